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

    /// Appends the decimal digits of `value`, without making a `String`.
    public static func appendInteger(_ value: Int, to output: inout [UInt8]) {
        append(atMost: 20, to: &output) { $0.writeInteger(value) }
    }
}
