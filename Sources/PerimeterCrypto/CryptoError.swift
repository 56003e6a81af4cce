/// A failure of the cryptographic layer that the world caused.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, extensible identifier of the kind of failure.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The system could not provide random bytes.
        public static let randomUnavailable = Code(rawValue: "random_unavailable")
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
