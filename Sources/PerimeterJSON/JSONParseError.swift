/// A line that is not a JSON object event.
///
/// Messages never quote the event's content (it may hold personal data);
/// they name the problem and the zero-based byte offset where it was found.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case empty = "json_empty"
        case malformed = "json_malformed"
        /// Valid JSON, but a number beyond Int64/UInt64/Double (simdjson's
        /// limit): such events are refused, not read.
        case numberOutOfRange = "json_number_out_of_range"
        case notObject = "json_not_object"
        case tooDeep = "json_too_deep"
        case tooLarge = "json_too_large"
        case outOfMemory = "json_out_of_memory"
    }

    public let code: Code
    public let message: String
    /// Zero-based offset in the line of the first wrong byte, when known.
    public let byteOffset: Int?

    public init(code: Code, message: String, byteOffset: Int? = nil) {
        self.code = code
        self.message = message
        self.byteOffset = byteOffset
    }

    public var description: String { message }

    init(code: Code, summary: String, reason: String, byteOffset: Int?) {
        var message = "\(summary): \(reason)"
        if let byteOffset { message += " (at byte \(byteOffset))" }
        self.init(code: code, message: message, byteOffset: byteOffset)
    }
}
