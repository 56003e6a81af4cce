/// Writes JSON text into space reserved at the end of an output array
/// (`JSONText.append(atMost:to:_:)`).
///
/// Enrichment writes some sixty small pieces for each event (brackets,
/// member names, uuids, names, numbers); appending each to the array
/// checked its uniqueness and capacity and went through the generic
/// sequence path, about 80 instructions a piece, a fifth of the whole
/// pipeline's. Here a piece is a store or a `memcpy` through a pointer,
/// each still checked against the space reserved, so a wrong bound traps
/// instead of writing past it.
public struct JSONOutputCursor: ~Copyable {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// The bytes written so far.
    public private(set) var count = 0

    fileprivate init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    private mutating func reserve(_ length: Int) -> UnsafeMutablePointer<UInt8> {
        precondition(length <= capacity - count, "JSONOutputCursor: more bytes than reserved")
        let start = base + count
        count += length
        return start
    }

    public mutating func write(_ byte: UInt8) {
        reserve(1).pointee = byte
    }

    /// Writes literal JSON text (a member name with its quotes and colon,
    /// brackets), as it is.
    public mutating func write(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length).update(from: text.utf8Start, count: length)
    }

    /// Lets `fill` write exactly `length` bytes (a uuid's text).
    public mutating func write(exactly length: Int,
                               _ fill: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        fill(UnsafeMutableBufferPointer(start: reserve(length), count: length))
    }

    /// Writes `s` as a JSON string: quotes, backslashes and control
    /// characters escaped (RFC 8259 §7), the rest as raw UTF-8; at most
    /// `JSONText.quotedLengthBound(of:)` bytes.
    public mutating func writeQuoted(_ s: String) {
        var text = s
        text.withUTF8 { bytes in
            write(UInt8(ascii: "\""))
            if !bytes.contains(where: JSONText.needsEscape) {
                if let source = bytes.baseAddress {
                    reserve(bytes.count).update(from: source, count: bytes.count)
                }
            } else {
                for byte in bytes { writeEscaped(byte) }
            }
            write(UInt8(ascii: "\""))
        }
    }

    private mutating func writeEscaped(_ byte: UInt8) {
        let shortForm: UInt8? = switch byte {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case 0x0A: UInt8(ascii: "n")
        case 0x0D: UInt8(ascii: "r")
        case 0x09: UInt8(ascii: "t")
        case 0x08: UInt8(ascii: "b")
        case 0x0C: UInt8(ascii: "f")
        default: nil
        }
        if let shortForm {
            write(UInt8(ascii: "\\"))
            write(shortForm)
        } else if byte < 0x20 {
            write(#"\u00"#)
            write(JSONText.hexDigit(byte >> 4))
            write(JSONText.hexDigit(byte & 0x0F))
        } else {
            write(byte)
        }
    }

    /// Writes the decimal digits of `value`; at most 20 bytes.
    public mutating func writeInteger(_ value: Int) {
        if value < 0 { write(UInt8(ascii: "-")) }
        // The magnitude as unsigned: Int.min has no positive Int.
        var remaining = value.magnitude
        var digits = 1
        var scale: UInt = 10
        while digits < 20 && remaining >= scale {
            digits += 1
            // 10^19 is the last power below UInt.max: no overflow.
            if digits < 20 { scale &*= 10 }
        }
        let start = reserve(digits)
        for position in stride(from: digits - 1, through: 0, by: -1) {
            start[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
        }
    }
}

extension JSONText {
    /// Appends what `body` writes, at most `maximumCount` bytes, to
    /// `output`: the space is reserved (zeroed) once, written through a
    /// pointer, and what is left unused is taken off again.
    public static func append(atMost maximumCount: Int, to output: inout [UInt8],
                              _ body: (inout JSONOutputCursor) -> Void) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: maximumCount))
        let written = output.withUnsafeMutableBufferPointer { buffer in
            var cursor = JSONOutputCursor(base: buffer.baseAddress! + start,
                                          capacity: maximumCount)
            body(&cursor)
            return cursor.count
        }
        output.removeLast(maximumCount - written)
    }

    /// The most bytes `writeQuoted` can write for `s`: every byte escaped
    /// as `\u00XX`, and the two quotes.
    public static func quotedLengthBound(of s: String) -> Int { s.utf8.count * 6 + 2 }

    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
