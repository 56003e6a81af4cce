/// An HTTP request method, kept as the token the client sent.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, Comparable,
    CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public static let get: HTTPMethod = "GET"
    public static let head: HTTPMethod = "HEAD"
    public static let post: HTTPMethod = "POST"
    public static let put: HTTPMethod = "PUT"
    public static let patch: HTTPMethod = "PATCH"
    public static let delete: HTTPMethod = "DELETE"
    public static let options: HTTPMethod = "OPTIONS"
    public static let trace: HTTPMethod = "TRACE"
    public static let connect: HTTPMethod = "CONNECT"

    /// The methods this server knows; access logs write any other token as
    /// `OTHER` so that a client cannot put arbitrary text into the log.
    public static let known: Set<HTTPMethod> = [.get, .head, .post, .put, .patch,
                                                .delete, .options, .trace, .connect]

    public var description: String { rawValue }

    public static func < (lhs: HTTPMethod, rhs: HTTPMethod) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
