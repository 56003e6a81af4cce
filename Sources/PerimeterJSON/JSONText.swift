import Foundation

/// Small JSON encoding helpers for the enrichment stage.
public enum JSONText {
    /// Appends `s` as a JSON string: quotes, backslashes and control
    /// characters escaped (RFC 8259 §7), everything else as raw UTF-8.
    public static func appendQuoted(_ s: String, to output: inout [UInt8]) {
        append(atMost: quotedLengthBound(of: s), to: &output) { $0.writeQuoted(s) }
    }

    /// Appends `s` quoted, or `null` when there is none.
    public static func appendQuotedOrNull(_ s: String?, to output: inout [UInt8]) {
        if let s { appendQuoted(s, to: &output) } else { output.append(contentsOf: "null".utf8) }
    }

    /// `s` as a JSON string literal.
    public static func quoted(_ s: String) -> String {
        var bytes: [UInt8] = []
        appendQuoted(s, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `"key":["a","b"]`.
    public static func appendMember(_ key: String, strings: [String],
                                    to output: inout [UInt8]) {
        appendQuoted(key, to: &output)
        output.append(UInt8(ascii: ":"))
        appendArray(strings: strings, to: &output)
    }

    /// Appends `["a","b"]`.
    public static func appendArray(strings: some Sequence<String>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "["))
        for (index, value) in strings.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            appendQuoted(value, to: &output)
        }
        output.append(UInt8(ascii: "]"))
    }

    /// Appends `"key":[1,2]`.
    public static func appendMember(_ key: String, integers: [Int],
                                    to output: inout [UInt8]) {
        appendQuoted(key, to: &output)
        output.append(contentsOf: ":[".utf8)
        for (index, value) in integers.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            appendInteger(value, to: &output)
        }
        output.append(UInt8(ascii: "]"))
    }

    /// Appends a double as the store writes a property's number: a whole
    /// one as an integer (`3`, and -0.0 as 0), else the shortest text that
    /// reads back as the same double; `null` for one JSON cannot hold.
    public static func appendNumber(_ value: Double, to output: inout [UInt8]) {
        let text = !value.isFinite ? "null"
            : value == value.rounded() && abs(value) < 1e15 ? String(Int64(value))
            : String(value)
        output.append(contentsOf: text.utf8)
    }

    /// Appends the decimal digits of `value`, without making a `String`.
    public static func appendInteger(_ value: Int, to output: inout [UInt8]) {
        append(atMost: 20, to: &output) { $0.writeInteger(value) }
    }
}

extension JSONText {
    /// A Foundation JSON value (`String`, `Bool`, integers, finite
    /// doubles, `NSNull`, arrays, `[String: Any]`) as compact JSON, keys
    /// sorted by their Unicode scalars; nil for what this writer does not
    /// take (an `NSNumber`, a NaN), which the caller hands to Foundation.
    ///
    /// Foundation's writer sorts keys through the locale's collation: an
    /// import of 100,000 assets spent half its time, inside the write
    /// transaction that holds up every other writer, writing the audit
    /// record of each.
    public static func compact(_ value: Any) -> String? {
        var output: [UInt8] = []
        guard appendCompact(value, to: &output) else { return nil }
        return String(decoding: output, as: UTF8.self)
    }

    private static func appendCompact(_ value: Any, to output: inout [UInt8]) -> Bool {
        switch value {
        case let text as String:
            appendQuoted(text, to: &output)
        case let flag as Bool where type(of: value) == Bool.self:
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case let number as Int where type(of: value) == Int.self:
            appendInteger(number, to: &output)
        case let number as Int64 where type(of: value) == Int64.self:
            output.append(contentsOf: String(number).utf8)
        case let number as Int32 where type(of: value) == Int32.self:
            appendInteger(Int(number), to: &output)
        case let number as Double where type(of: value) == Double.self:
            guard number.isFinite else { return false }
            appendNumber(number, to: &output)
        case let list as [Any]:
            output.append(UInt8(ascii: "["))
            for (index, item) in list.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                guard appendCompact(item, to: &output) else { return false }
            }
            output.append(UInt8(ascii: "]"))
        case let members as [String: Any]:
            output.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendQuoted(key, to: &output)
                output.append(UInt8(ascii: ":"))
                guard appendCompact(members[key]!, to: &output) else { return false }
            }
            output.append(UInt8(ascii: "}"))
        case is NSNull:
            output.append(contentsOf: "null".utf8)
        default:
            return false
        }
        return true
    }
}
