import Foundation

extension UUID {
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

    private func writeLowercasedText(into buffer: UnsafeMutableBufferPointer<UInt8>) {
        let digits: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: uuid) { bytes in
            digits.withUTF8Buffer { hex in
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    // Dashes after the 4th, 6th, 8th and 10th byte: 8-4-4-4-12.
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        buffer[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    buffer[position] = hex[Int(byte >> 4)]
                    buffer[position + 1] = hex[Int(byte & 0x0F)]
                    position += 2
                }
            }
        }
    }
}
