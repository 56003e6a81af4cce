/// Small JSON encoding helpers for the enrichment stage.
public enum JSONText {
    /// Appends `s` as a JSON string: quotes, backslashes and control
    /// characters escaped (RFC 8259 §7), everything else as raw UTF-8.
    public static func appendQuoted(_ s: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most values (names, uuids, tags) need no escape: copy them whole.
        let copied = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
                return false
            }
            output.append(contentsOf: bytes)
            return true
        }
        if copied == true {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30,
                                           hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
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
        output.append(contentsOf: ":[".utf8)
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

    /// Appends the decimal digits of `value`, without making a `String`
    /// (enrichment writes a criticality for nearly every event).
    public static func appendInteger(_ value: Int, to output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        // The magnitude as unsigned: Int.min has no positive Int.
        var remaining = value.magnitude
        let start = output.count
        repeat {
            output.append(UInt8(ascii: "0") + UInt8(remaining % 10))
            remaining /= 10
        } while remaining > 0
        output[start...].reverse()
    }
}
