import Foundation

extension UUID {
    /// A uuid from its text only when the text is exactly a uuid's 36
    /// characters (8-4-4-4-12 hexadecimal digits, either case).
    /// Foundation's `init(uuidString:)` reads a C string: text that goes on
    /// after a NUL (`<uuid>\u{0}junk`, sent in a path, a query or a JSON
    /// body) named the uuid before it.
    public init?(exactText text: some StringProtocol) {
        let parsed = text.utf8.withContiguousStorageIfAvailable(Self.parse)
            ?? Array(text.utf8).withUnsafeBufferPointer(Self.parse)
        guard let parsed else { return nil }
        self.init(uuid: parsed)
    }

    /// The 16 bytes of a uuid's exact 36-byte text, nil for anything else.
    /// Decoded here rather than by Foundation: the store reads a uuid for
    /// each of millions of rows when it loads, and the generic scan this
    /// replaced spent most of that load looking up type metadata.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> uuid_t? {
        guard bytes.count == 36, bytes[8] == UInt8(ascii: "-"), bytes[13] == UInt8(ascii: "-"),
              bytes[18] == UInt8(ascii: "-"), bytes[23] == UInt8(ascii: "-")
        else { return nil }
        var result: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let isValid = withUnsafeMutableBytes(of: &result) { output -> Bool in
            var position = 0
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    position += 1
                }
                guard let high = HexDigit.value(bytes[position]), let low = HexDigit.value(bytes[position + 1])
                else { return false }
                output[index] = high << 4 | low
                position += 2
            }
            return true
        }
        return isValid ? result : nil
    }

    /// The lower-case text form every Perimeter output and the store use
    /// (`6f1c…-…`), made without Foundation's upper-case string and a
    /// second lower-cased copy: enrichment and the store write millions.
    public var lowercasedText: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            writeLowercasedText(into: buffer)
            return 36
        }
    }

    /// Appends the 36 bytes of `lowercasedText` to `output`.
    public func appendLowercasedText(to output: inout [UInt8]) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: 36))
        output.withUnsafeMutableBufferPointer { buffer in
            writeLowercasedText(into: UnsafeMutableBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// Whether this uuid's text sorts before `other`'s: byte order is the
    /// order of the hexadecimal text, so no text is made to compare.
    public func sortsBefore(_ other: UUID) -> Bool {
        withUnsafeBytes(of: uuid) { mine in
            withUnsafeBytes(of: other.uuid) { theirs in
                mine.lexicographicallyPrecedes(theirs)
            }
        }
    }

    /// Writes the 36 bytes of `lowercasedText` into `buffer`, which must
    /// hold at least that many: each byte's two digits come from a table,
    /// and the dashes go at fixed places (enrichment writes two uuids for
    /// each asset of each event).
    public func writeLowercasedText(into buffer: UnsafeMutableBufferPointer<UInt8>) {
        precondition(buffer.count >= 36, "a uuid's text needs 36 bytes")
        let output = UnsafeMutableRawPointer(buffer.baseAddress!)
        withUnsafeBytes(of: uuid) { bytes in
            Self.hexPairs.withUnsafeBufferPointer { pairs in
                // One group of the 8-4-4-4-12 digits: bytes `first..<end`,
                // written from `start`. Fixed bounds, which the compiler
                // unrolls.
                @inline(__always) func group(_ first: Int, _ end: Int, at start: Int) {
                    for index in first..<end {
                        output.storeBytes(of: pairs[Int(bytes[index])],
                                          toByteOffset: start + (index - first) * 2, as: UInt16.self)
                    }
                }
                group(0, 4, at: 0)
                group(4, 6, at: 9)
                group(6, 8, at: 14)
                group(8, 10, at: 19)
                group(10, 16, at: 24)
            }
        }
        buffer[8] = UInt8(ascii: "-")
        buffer[13] = UInt8(ascii: "-")
        buffer[18] = UInt8(ascii: "-")
        buffer[23] = UInt8(ascii: "-")
    }

    /// The two lower-case hexadecimal digits of each byte value, as the
    /// bytes of one `UInt16` in memory order.
    private static let hexPairs: [UInt16] = (0...255).map { (byte: Int) -> UInt16 in
        let digits = Array("0123456789abcdef".utf8)
        return withUnsafeBytes(of: (digits[byte >> 4], digits[byte & 0x0F])) {
            $0.load(as: UInt16.self)
        }
    }
}
