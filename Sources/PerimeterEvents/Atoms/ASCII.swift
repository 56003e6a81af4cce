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

/// The UTF-8 bytes of one value, valid only inside the call that lends them.
typealias UTF8Bytes = UnsafeBufferPointer<UInt8>

// MARK: - Byte buffers

extension ASCII {
    /// Calls `body` with the UTF-8 of `text`, copying only when the text
    /// is not contiguous (bridged or lazily built strings).
    static func withUTF8<R>(_ text: some StringProtocol, _ body: (UTF8Bytes) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = String(text)
        return copy.withUTF8(body)
    }

    /// The bytes without leading and trailing spaces, tabs and newlines.
    static func trimmed(_ bytes: UTF8Bytes) -> UTF8Bytes {
        var start = 0
        var end = bytes.count
        while start < end, isWhitespace(bytes[start]) { start += 1 }
        while end > start, isWhitespace(bytes[end - 1]) { end -= 1 }
        if start == 0 && end == bytes.count { return bytes }
        return UTF8Bytes(rebasing: bytes[start..<end])
    }

    static func slice(_ bytes: UTF8Bytes, _ range: Range<Int>) -> UTF8Bytes {
        UTF8Bytes(rebasing: bytes[range])
    }

    static func isASCII(_ bytes: UTF8Bytes) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }

    static func contains(_ bytes: UTF8Bytes, _ byte: UInt8) -> Bool {
        for candidate in bytes where candidate == byte { return true }
        return false
    }

    static func firstIndex(of byte: UInt8, in bytes: UTF8Bytes) -> Int? {
        for index in 0..<bytes.count where bytes[index] == byte { return index }
        return nil
    }

    static func lastIndex(of byte: UInt8, in bytes: UTF8Bytes) -> Int? {
        var index = bytes.count
        while index > 0 {
            index -= 1
            if bytes[index] == byte { return index }
        }
        return nil
    }

    /// Whether `bytes`, lower-cased as ASCII, equal `lower` (which is lower
    /// case already).
    static func equalsFolded(_ bytes: UTF8Bytes, _ lower: [UInt8]) -> Bool {
        guard bytes.count == lower.count else { return false }
        for index in 0..<lower.count {
            let byte = bytes[index]
            if (isUpper(byte) ? byte | 0x20 : byte) != lower[index] { return false }
        }
        return true
    }

    /// `lowercased(_:)` on bytes: a byte loop for ASCII, Unicode case
    /// folding (through a `String`) when a byte is not ASCII.
    static func lowercasedString(_ bytes: UTF8Bytes) -> String {
        guard isASCII(bytes) else {
            return String(decoding: bytes, as: UTF8.self).lowercased()
        }
        return asciiLowercasedString(bytes)
    }

    /// Lower case for bytes known to be ASCII.
    static func asciiLowercasedString(_ bytes: UTF8Bytes) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            for index in 0..<bytes.count {
                let byte = bytes[index]
                buffer[index] = isUpper(byte) ? byte | 0x20 : byte
            }
            return bytes.count
        }
    }
}
