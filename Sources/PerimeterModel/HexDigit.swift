/// Hexadecimal digits read from bytes, for every text form Perimeter
/// parses by hand (UUIDs, IPv6 groups, MACs, percent escapes): one
/// definition, so that none of them accepts a digit another refuses.
public enum HexDigit {
    /// The value of an ASCII hex digit in either case, or nil. Inlinable:
    /// MACs and IPv6 addresses are read digit by digit on the hot path,
    /// and a call into this module per digit cost instructions there.
    @inlinable @inline(__always)
    public static func value(_ byte: UInt8) -> UInt8? {
        if byte &- 0x30 < 10 { return byte &- 0x30 }
        let lower = byte | 0x20
        if lower >= 0x61 && lower <= 0x66 { return lower &- 0x61 &+ 10 }
        return nil
    }
}
