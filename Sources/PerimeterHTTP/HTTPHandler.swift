/// Answers complete requests. The server calls it concurrently, once per
/// request, off the library's network threads.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) async -> HTTPResponse
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
