/// Byte-level text rules shared by the normal forms. Atom values are
/// checked millions of times a second, so they work on UTF-8 bytes and
/// allocate only for the result.
enum ASCII {
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }

    static func isUpper(_ byte: UInt8) -> Bool { byte &- 0x41 < 26 }

    static func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isLetter(byte) }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// The value of a hex digit, or nil.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        if isDigit(byte) { return byte &- 0x30 }
        let lower = byte | 0x20
        if lower >= 0x61 && lower <= 0x66 { return lower &- 0x61 &+ 10 }
        return nil
    }

    /// The value without leading and trailing spaces, tabs and newlines.
    static func trimmed(_ text: some StringProtocol) -> Substring {
        let text = Substring(text)
        let utf8 = text.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, isWhitespace(utf8[start]) { start = utf8.index(after: start) }
        while end > start {
            let before = utf8.index(before: end)
            guard isWhitespace(utf8[before]) else { break }
            end = before
        }
        return text[start..<end]
    }

    /// Lower case: a byte loop for ASCII (no allocation when already lower
    /// case beyond the result), Unicode case folding otherwise.
    static func lowercased(_ text: Substring) -> String {
        var hasUpper = false
        for byte in text.utf8 {
            if byte >= 0x80 { return text.lowercased() }
            if isUpper(byte) { hasUpper = true }
        }
        guard hasUpper else { return String(text) }
        let count = text.utf8.count
        return String(unsafeUninitializedCapacity: count) { buffer in
            var index = 0
            for byte in text.utf8 {
                buffer[index] = isUpper(byte) ? byte | 0x20 : byte
                index += 1
            }
            return count
        }
    }

    static func lowercased(_ text: String) -> String { lowercased(Substring(text)) }

    static func contains(_ text: some StringProtocol, _ byte: UInt8) -> Bool {
        text.utf8.contains(byte)
    }
}
