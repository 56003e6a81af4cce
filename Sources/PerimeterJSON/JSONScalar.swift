#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One scalar leaf of a parsed event.
///
/// A `.string` refers to the parser's memory: it is valid only as long as
/// the `ParsedEvent` it came from (see `EventParser.parse`).
public enum JSONScalar: CustomStringConvertible {
    case string(JSONString)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case null

    /// The value when it is a string, as a Swift `String` (this allocates
    /// for strings longer than 15 bytes).
    public var stringValue: String? {
        if case .string(let s) = self { return s.string }
        return nil
    }

    public var jsonString: JSONString? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value as text, the way Sigma compares values: strings as they
    /// are, numbers in decimal, `true`, `false`, `null`.
    public var text: String {
        switch self {
        case .string(let s): return s.string
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        case .double(let v): return String(v)
        case .bool(let v): return v ? "true" : "false"
        case .null: return "null"
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s.string)\""
        default: return text
        }
    }
}

/// Unescaped UTF-8 bytes of a JSON string, in the parser's memory.
///
/// Comparing through the byte helpers avoids making a `String`.
public struct JSONString: Equatable, CustomStringConvertible {
    let base: UnsafePointer<UInt8>?
    public let count: Int
    // Not retained: the ParsedEvent that handed this out holds the parser.
    unowned(unsafe) let owner: EventParser
    let generation: UInt64

    init(base: UnsafePointer<UInt8>?, count: Int, owner: EventParser, generation: UInt64) {
        self.base = base
        self.count = count
        self.owner = owner
        self.generation = generation
    }

    public var isEmpty: Bool { count == 0 }

    public var string: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    public var description: String { string }

    /// Calls `body` with the bytes; they must not escape it.
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        precondition(owner.generation == generation,
                     "JSONString used after its parser parsed another line")
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    public func isEqual(to other: String) -> Bool {
        compare(other) { mine, theirs in
            mine.count == theirs.count && Self.bytesEqual(mine, 0, theirs)
        }
    }

    public func hasPrefix(_ prefix: String) -> Bool {
        compare(prefix) { mine, theirs in
            mine.count >= theirs.count && Self.bytesEqual(mine, 0, theirs)
        }
    }

    public func hasSuffix(_ suffix: String) -> Bool {
        compare(suffix) { mine, theirs in
            mine.count >= theirs.count
                && Self.bytesEqual(mine, mine.count - theirs.count, theirs)
        }
    }

    /// Whether `mine[offset...]` starts with all of `theirs`.
    private static func bytesEqual(_ mine: UnsafeRawBufferPointer, _ offset: Int,
                                   _ theirs: UnsafeRawBufferPointer) -> Bool {
        guard !theirs.isEmpty else { return true }
        return memcmp(mine.baseAddress! + offset, theirs.baseAddress!, theirs.count) == 0
    }

    /// Equality that folds only ASCII letters, as for host and user names.
    public func isEqualIgnoringASCIICase(to other: String) -> Bool {
        compare(other) { mine, theirs in
            guard mine.count == theirs.count else { return false }
            for (a, b) in zip(mine, theirs) where a != b {
                if Self.asciiLower(a) != Self.asciiLower(b) { return false }
            }
            return true
        }
    }

    public func contains(byte: UInt8) -> Bool {
        withUnsafeBytes { $0.contains(byte) }
    }

    public static func == (lhs: JSONString, rhs: JSONString) -> Bool {
        lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in a.count == b.count && bytesEqual(a, 0, b) }
        }
    }

    private func compare(
        _ other: String,
        _ test: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool
    ) -> Bool {
        withUnsafeBytes { mine in
            if let result = other.utf8.withContiguousStorageIfAvailable({
                test(mine, UnsafeRawBufferPointer($0))
            }) {
                return result
            }
            return Array(other.utf8).withUnsafeBytes { test(mine, $0) }
        }
    }

    private static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}
