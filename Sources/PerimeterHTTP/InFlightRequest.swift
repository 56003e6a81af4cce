import Synchronization

/// The state of one request between its first callback from libmicrohttpd
/// and the library's "request completed" notification.
///
/// Safe to share because of how libmicrohttpd schedules a connection: every
/// callback for it runs on the one network thread that owns it, so the
/// plain fields are touched by that thread only. The handler's task writes
/// only `phase`, behind a mutex, and then resumes the connection.
final class InFlightRequest: @unchecked Sendable {
    enum Phase {
        /// Headers are in; body chunks are arriving.
        case receiving
        /// The handler's task is running; the connection is suspended.
        case handling
        /// The handler has answered; the network thread should queue it.
        case answered(HTTPResponse)
        /// A response is queued with libmicrohttpd.
        case responded
    }

    let startedAt = ContinuousClock.now
    let method: HTTPMethod
    let path: String
    var headers = HTTPHeaders()
    var queryItems: [HTTPQueryItem] = []
    var isQueryMalformed = false
    var remoteAddress: String?
    var body: [UInt8] = []
    /// Bytes received on the wire, kept or not.
    var receivedBytes = 0
    /// Set once the body passed the limit: the rest is read and dropped,
    /// then 413 is answered (the library cannot answer mid-body).
    var isBodyOverLimit = false
    /// Filled when a response is queued, for the access log.
    var sentStatus = 0
    var sentBytes = 0
    /// A streamed body, whose bytes are counted as they go.
    var sentStream: HTTPBodyStream?
    var sentRoute: String?

    let phase = Mutex(Phase.receiving)

    init(method: HTTPMethod, path: String) {
        self.method = method
        self.path = path
    }
}
