/// What the access log records about one request: the route template, never
/// the path or the query, whose values can be personal (SPEC §8).
public struct HTTPAccessLogRecord: Sendable, Equatable {
    /// How the exchange ended.
    public enum Termination: String, Sendable {
        /// The response was sent in full.
        case completed
        /// The client was too slow and the connection timed out.
        case timedOut = "timed_out"
        /// The client closed the connection first.
        case clientClosed = "client_closed"
        /// The server stopped while the request was open.
        case serverStopped = "server_stopped"
        /// A network or protocol error ended the connection.
        case failed
    }

    /// The method, or `OTHER` for a token outside `HTTPMethod.known`.
    public var method: String
    /// The matched route template, or `-` when no route matched.
    public var route: String
    /// The status sent, or 0 when none was.
    public var status: Int
    public var durationMilliseconds: Double
    /// Body bytes received, before content decoding.
    public var requestBytes: Int
    /// Body bytes of the response.
    public var responseBytes: Int
    public var termination: Termination

    public init(method: String, route: String, status: Int, durationMilliseconds: Double,
                requestBytes: Int, responseBytes: Int, termination: Termination) {
        self.method = method
        self.route = route
        self.status = status
        self.durationMilliseconds = durationMilliseconds
        self.requestBytes = requestBytes
        self.responseBytes = responseBytes
        self.termination = termination
    }

    /// The record as one `key=value` line, such as
    /// `method=GET route=/v1/assets/{uuid} status=200 duration_ms=1.250
    /// request_bytes=0 bytes=512 termination=completed`.
    public var line: String {
        let micros = Int((durationMilliseconds * 1000).rounded())
        let fraction = String(micros % 1000)
        let duration = "\(micros / 1000)."
            + String(repeating: "0", count: 3 - fraction.count) + fraction
        return "method=\(method) route=\(route) status=\(status) duration_ms=\(duration) "
            + "request_bytes=\(requestBytes) bytes=\(responseBytes) "
            + "termination=\(termination.rawValue)"
    }
}
