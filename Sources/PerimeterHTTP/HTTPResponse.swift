import Foundation

/// A response to send: status, header fields and the body, whole or
/// streamed.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The route template that produced this response, which the access log
    /// records instead of the path (the path can hold personal values).
    /// The `Router` sets it; nil means no route matched.
    public var routeTemplate: String?
    /// A body written while it is sent, in place of `body` (which is then
    /// empty): see `HTTPBodyStream`.
    public var bodyStream: HTTPBodyStream?

    public init(status: Int = 200, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body `stream` is written while it is sent.
    public static func streamed(_ stream: HTTPBodyStream, status: Int = 200,
                                contentType: String) -> HTTPResponse {
        var response = HTTPResponse(status: status, headers: ["Content-Type": contentType])
        response.bodyStream = stream
        return response
    }

    /// A JSON response encoding `value` with sorted keys.
    ///
    /// A value that cannot be encoded (a non-finite number) is our bug; it
    /// answers 500 rather than stopping the server.
    public static func json(_ value: some Encodable, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return HTTPError.internalError().response
        }
        return json(encoded: [UInt8](data), status: status)
    }

    /// A JSON response whose body is already encoded.
    public static func json(encoded body: [UInt8], status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status,
                     headers: ["Content-Type": "application/json"], body: body)
    }

    /// A plain-text response, UTF-8.
    public static func text(_ text: String, status: Int = 200,
                            contentType: String = "text/plain; charset=utf-8")
        -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType],
                     body: Array(text.utf8))
    }

    /// The JSON error body of one shape for `error`.
    public static func error(_ error: HTTPError) -> HTTPResponse {
        error.response
    }
}
