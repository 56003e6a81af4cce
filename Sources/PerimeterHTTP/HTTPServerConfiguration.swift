/// How an `HTTPServer` listens and what it tolerates from clients.
public struct HTTPServerConfiguration: Sendable {
    /// PEM files for HTTPS (GnuTLS inside libmicrohttpd).
    public struct TLS: Sendable, Equatable {
        public var certificatePath: String
        public var privateKeyPath: String

        public init(certificatePath: String, privateKeyPath: String) {
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
        }
    }

    /// An IP literal (`127.0.0.1`, `::1`, `0.0.0.0`) or `localhost`.
    /// Loopback by default: exposing the API is the operator's decision.
    public var host = "127.0.0.1"
    /// The TCP port; 0 lets the system pick a free one (see `boundPort`).
    public var port = 8740
    /// HTTPS when set; plain HTTP otherwise.
    public var tls: TLS?
    /// The largest body accepted as sent on the wire; larger ones get 413.
    public var maxBodyBytes = 16 << 20
    /// The largest body accepted after gunzip; a bigger one (a zip bomb)
    /// gets 413 without being inflated further.
    public var maxDecodedBodyBytes = 64 << 20
    /// A connection idle for this long is closed, so that a client that
    /// stalls mid-request cannot hold a slot forever. Whole seconds (MHD).
    public var connectionTimeoutSeconds = 30
    /// Network threads (libmicrohttpd's internal pool). Handlers run on the
    /// Swift concurrency pool, not on these threads.
    public var threadCount = 2
    /// Simultaneous connections; beyond it new ones are refused.
    public var connectionLimit = 1024
    /// Simultaneous connections from one client address: a client that
    /// opens slow connections by the thousand (each byte it trickles
    /// restarts the idle timeout) would otherwise take every slot from
    /// the others. A reverse proxy in front counts as one client.
    public var connectionLimitPerClient = 128
    /// How long `stop()` waits for requests that are still arriving or
    /// still being sent; handlers already running are always awaited.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// Called once per finished request, on a network thread.
    public var accessLog: (@Sendable (HTTPAccessLogRecord) -> Void)?
    /// Called with libmicrohttpd's own diagnostics (TLS failures, socket
    /// errors). They can hold client addresses; the caller decides.
    public var libraryLog: (@Sendable (String) -> Void)?

    public init() {}

    public init(host: String = "127.0.0.1", port: Int = 8740, tls: TLS? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
    }
}
