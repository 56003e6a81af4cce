/// A file or stream that cannot be read as NDJSON lines.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case cannotOpen = "input_cannot_open"
        case readFailed = "input_read_failed"
        case corruptCompressedData = "input_corrupt_gzip"
        case offsetBeyondEnd = "input_offset_beyond_end"
        case lineTooLong = "input_line_too_long"
    }

    public let code: Code
    public let message: String
    /// "'events.ndjson'" or "standard input", as it appears in messages.
    public let source: String
    /// The 1-based line the error is about, when it is about one.
    public let lineNumber: Int?

    public init(code: Code, message: String, source: String, lineNumber: Int? = nil) {
        self.code = code
        self.message = message
        self.source = source
        self.lineNumber = lineNumber
    }

    public var description: String { message }
}
