/// A store operation that failed for a reason the user can act on.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case newerSchema = "newer_schema"
        case notFound = "not_found"
        case ambiguous = "ambiguous"
        case conflict = "conflict"
        case invalid = "invalid"
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
