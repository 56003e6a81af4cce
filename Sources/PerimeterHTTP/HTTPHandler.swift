/// Answers complete requests. The server calls it concurrently, once per
/// request, off the library's network threads.
public protocol HTTPHandler: Sendable {
    /// Looks at a request's head (its method, path, query and headers;
    /// no body yet) before the server reads the body: an answer here is
    /// sent at once, and the body is neither read nor decompressed. It
    /// lets a request without valid credentials cost the server no more
    /// than its headers. Called on a network thread, so it must be quick.
    func admit(_ head: HTTPRequest) -> HTTPResponse?

    func handle(_ request: HTTPRequest) async -> HTTPResponse
}

extension HTTPHandler {
    /// Every request is read whole.
    public func admit(_ head: HTTPRequest) -> HTTPResponse? { nil }
}

/// An `HTTPHandler` made of a closure.
public struct HTTPClosureHandler: HTTPHandler {
    private let body: @Sendable (HTTPRequest) async -> HTTPResponse

    public init(_ body: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.body = body
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        await body(request)
    }
}
