import PerimeterModel

/// An IPv4 address as the 32-bit number a longest-prefix-match index keys on.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let bits: UInt32

    public init(bits: UInt32) { self.bits = bits }

    /// Strict dotted decimal only: four decimal parts of 0–255 without
    /// leading zeros. `010.1.1.1` is refused because some parsers read it
    /// as octal (8.1.1.1) and others as decimal: either reading would split
    /// one asset in two. Integer, hex and short forms are refused likewise.
    public init?(parsing text: some StringProtocol) {
        guard let bits = Self.parse(text.utf8) else { return nil }
        self.bits = bits
    }

    static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt32? {
        guard bytes.count >= 7, bytes.count <= 15 else { return nil }
        var result: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | part
                parts += 1
                part = 0
                digits = 0
                continue
            }
            // A digit after a leading zero makes an octal-looking part.
            guard ASCII.isDigit(byte), !(digits == 1 && part == 0) else { return nil }
            part = part * 10 + UInt32(byte &- 0x30)
            digits += 1
            guard digits <= 3, part <= 255 else { return nil }
        }
        guard digits > 0, parts == 3 else { return nil }
        return result << 8 | part
    }

    /// Dotted decimal, the canonical form.
    public var description: String {
        String(unsafeUninitializedCapacity: 15) { buffer in
            var index = 0
            var shift: UInt32 = 32
            while shift > 0 {
                shift -= 8
                let part = Int(bits >> shift & 0xFF)
                if shift != 24 {
                    buffer[index] = UInt8(ascii: ".")
                    index += 1
                }
                if part >= 100 {
                    buffer[index] = UInt8(truncatingIfNeeded: 0x30 + part / 100)
                    index += 1
                }
                if part >= 10 {
                    buffer[index] = UInt8(truncatingIfNeeded: 0x30 + part / 10 % 10)
                    index += 1
                }
                buffer[index] = UInt8(truncatingIfNeeded: 0x30 + part % 10)
                index += 1
            }
            return index
        }
    }

    /// SPEC §2: 0.0.0.0, 127.0.0.0/8, 169.254.0.0/16, multicast
    /// (224.0.0.0/4) and broadcast name no asset; nor does the rest of
    /// 0.0.0.0/8, "this network" (RFC 1122), which a host uses before it
    /// has an address (a scanner's sample held `0.0.228.153`).
    public var isNeverAtom: Bool {
        bits >> 24 == 0 || bits >> 24 == 127 || bits >> 16 == 0xA9FE || bits >> 28 == 0xE
            || bits == UInt32.max
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.bits < rhs.bits }
}

/// An IPv6 address as two 64-bit halves (network order: `high` holds the
/// first eight bytes), for a longest-prefix-match index.
public struct IPv6Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// RFC 4291 text forms, with `::`, an embedded dotted IPv4 tail
    /// (strict, as for IPv4) and a zone id (`%eth0`), which is dropped:
    /// a zone names an interface of the observer, not part of the address.
    public init?(parsing text: some StringProtocol) {
        guard let (high, low) = ASCII.withUTF8(text, Self.parse) else { return nil }
        self.high = high
        self.low = low
    }

    /// The eight 16-bit groups, first to last.
    public var groups: [UInt16] {
        (0..<8).map { index in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> (UInt64(3 - index % 4) * 16))
        }
    }

    /// The IPv4 address of an IPv4-mapped address (`::ffff:a.b.c.d`).
    public var mappedIPv4: IPv4Address? {
        guard high == 0, low >> 32 == 0xFFFF else { return nil }
        return IPv4Address(bits: UInt32(truncatingIfNeeded: low))
    }

    /// SPEC §2: `::`, `::1`, link-local fe80::/10 and multicast ff00::/8
    /// name no asset. (A mapped address is judged as its IPv4 atom.)
    public var isNeverAtom: Bool {
        if let v4 = mappedIPv4 { return v4.isNeverAtom }
        if high == 0 && (low == 0 || low == 1) { return true }
        return high >> 54 == 0x3FA || high >> 56 == 0xFF
    }

    /// RFC 5952 §4: lower-case hex without leading zeros; the longest run
    /// of two or more zero groups becomes `::` (the leftmost on a tie);
    /// a single zero group stays `0`.
    ///
    /// Shortcoming: RFC 5952 §5 allows dotted tails for IPv4-translated
    /// forms; they are written in hex here (mapped addresses never reach
    /// this text, they become IPv4 atoms).
    public var description: String {
        let high = high, low = low
        func group(_ index: Int) -> UInt16 {
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> (UInt64(3 - index % 4) * 16))
        }
        var bestStart = -1, bestLength = 1
        var index = 0
        while index < 8 {
            guard group(index) == 0 else { index += 1; continue }
            var end = index
            while end < 8 && group(end) == 0 { end += 1 }
            if end - index > bestLength { bestStart = index; bestLength = end - index }
            index = end
        }
        let hex: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 39) { buffer in
            var count = 0
            func append(_ byte: UInt8) {
                buffer[count] = byte
                count += 1
            }
            var index = 0
            while index < 8 {
                if index == bestStart {
                    append(UInt8(ascii: ":"))
                    append(UInt8(ascii: ":"))
                    index += bestLength
                    continue
                }
                if count > 0 && buffer[count - 1] != UInt8(ascii: ":") {
                    append(UInt8(ascii: ":"))
                }
                let value = group(index)
                var shift = 12
                while shift > 0 && value >> UInt16(shift) == 0 { shift -= 4 }
                while shift >= 0 {
                    append(hex.utf8Start[Int(value >> UInt16(shift) & 0xF)])
                    shift -= 4
                }
                index += 1
            }
            return count
        }
    }

    static func parse(_ input: UTF8Bytes) -> (UInt64, UInt64)? {
        var bytes = input
        if let percent = ASCII.firstIndex(of: UInt8(ascii: "%"), in: bytes) {
            guard percent < bytes.count - 1 else { return nil }
            bytes = ASCII.slice(bytes, 0..<percent)
        }
        guard bytes.count >= 2, bytes.count <= 45 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 8) { groups in
            parse(bytes, into: groups)
        }
    }

    /// `parse` with the groups in caller-provided storage (eight slots).
    private static func parse(
        _ bytes: UTF8Bytes, into groups: UnsafeMutableBufferPointer<UInt16>
    ) -> (UInt64, UInt64)? {
        var count = 0
        var ellipsis: Int?
        var index = 0
        let colon = UInt8(ascii: ":")
        if bytes[0] == colon {
            guard bytes[1] == colon else { return nil }
            ellipsis = 0
            index = 2
        }
        while index < bytes.count {
            var end = index
            while end < bytes.count && bytes[end] != colon { end += 1 }
            let token = ASCII.slice(bytes, index..<end)
            guard !token.isEmpty else { return nil }
            if ASCII.contains(token, UInt8(ascii: ".")) {
                // The dotted tail ends the address and fills two groups.
                guard end == bytes.count, count <= 6,
                      let v4 = IPv4Address.parse(token) else { return nil }
                groups[count] = UInt16(v4 >> 16)
                groups[count + 1] = UInt16(v4 & 0xFFFF)
                count += 2
                break
            }
            guard token.count <= 4 else { return nil }
            var group: UInt16 = 0
            for byte in token {
                guard let digit = HexDigit.value(byte) else { return nil }
                group = group << 4 | UInt16(digit)
            }
            guard count < 8 else { return nil }
            groups[count] = group
            count += 1
            guard end < bytes.count else { break }
            if end + 1 < bytes.count && bytes[end + 1] == colon {
                guard ellipsis == nil else { return nil }
                ellipsis = count
                index = end + 2
            } else {
                index = end + 1
                guard index < bytes.count else { return nil }
            }
        }

        if let ellipsis {
            guard count <= 7 else { return nil }
            // Move the groups after `::` to the end, zeros in between.
            let shift = 8 - count
            var position = count - 1
            while position >= ellipsis {
                groups[position + shift] = groups[position]
                position -= 1
            }
            for zero in ellipsis..<ellipsis + shift { groups[zero] = 0 }
            count = 8
        }
        guard count == 8 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for slot in 0..<4 { high = high << 16 | UInt64(groups[slot]) }
        for slot in 4..<8 { low = low << 16 | UInt64(groups[slot]) }
        return (high, low)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

/// An address of either family, IPv4-mapped IPv6 folded into IPv4 so that
/// one host is never two atoms.
public enum IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public init?(parsing text: some StringProtocol) {
        guard let address = ASCII.withUTF8(text, IPAddress.init(utf8:)) else { return nil }
        self = address
    }

    init?(utf8 bytes: UTF8Bytes) {
        if ASCII.contains(bytes, UInt8(ascii: ":")) {
            guard let (high, low) = IPv6Address.parse(bytes) else { return nil }
            let v6 = IPv6Address(high: high, low: low)
            self = v6.mappedIPv4.map(IPAddress.v4) ?? .v6(v6)
        } else {
            guard let bits = IPv4Address.parse(bytes) else { return nil }
            self = .v4(IPv4Address(bits: bits))
        }
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    public var isNeverAtom: Bool {
        switch self {
        case .v4(let address): address.isNeverAtom
        case .v6(let address): address.isNeverAtom
        }
    }

    public var atomType: AtomType {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The atom of this address, or nil for the addresses that name no asset.
    public var atom: Atom? {
        isNeverAtom ? nil : Atom(type: atomType, normalizedValue: description)
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}
