/// A failure to set up, start or run the HTTP server.
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, extensible identifier of the kind of failure.
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }

        public static let invalidConfiguration: Code = "invalid_configuration"
        public static let addressUnavailable: Code = "address_unavailable"
        public static let tlsFileUnreadable: Code = "tls_file_unreadable"
        public static let startFailed: Code = "start_failed"
        public static let alreadyStarted: Code = "already_started"
    }

    public let code: Code
    /// "what failed: why (while doing what)".
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
