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
        "\(bits >> 24).\(bits >> 16 & 0xFF).\(bits >> 8 & 0xFF).\(bits & 0xFF)"
    }

    /// SPEC §2: 0.0.0.0, 127.0.0.0/8, 169.254.0.0/16, multicast
    /// (224.0.0.0/4) and broadcast name no asset.
    public var isNeverAtom: Bool {
        bits == 0 || bits >> 24 == 127 || bits >> 16 == 0xA9FE || bits >> 28 == 0xE
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
        guard let (high, low) = Self.parse(Array(text.utf8)) else { return nil }
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
        let groups = groups
        var bestStart = -1, bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength { bestStart = index; bestLength = end - index }
            index = end
        }
        var text = ""
        text.reserveCapacity(39)
        index = 0
        while index < 8 {
            if index == bestStart {
                text += "::"
                index += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[index], radix: 16)
            index += 1
        }
        return text
    }

    static func parse(_ input: [UInt8]) -> (UInt64, UInt64)? {
        var bytes = input[...]
        if let percent = bytes.firstIndex(of: UInt8(ascii: "%")) {
            guard percent < bytes.endIndex - 1 else { return nil }
            bytes = bytes[..<percent]
        }
        guard bytes.count >= 2, bytes.count <= 45 else { return nil }

        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var ellipsis: Int?
        var index = bytes.startIndex
        let colon = UInt8(ascii: ":")
        if bytes[index] == colon {
            guard bytes[index + 1] == colon else { return nil }
            ellipsis = 0
            index += 2
        }
        while index < bytes.endIndex {
            let end = bytes[index...].firstIndex(of: colon) ?? bytes.endIndex
            let token = bytes[index..<end]
            guard !token.isEmpty else { return nil }
            if token.contains(UInt8(ascii: ".")) {
                // The dotted tail ends the address and fills two groups.
                guard end == bytes.endIndex, groups.count <= 6,
                      let v4 = IPv4Address.parse(token) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                break
            }
            guard token.count <= 4 else { return nil }
            var group: UInt16 = 0
            for byte in token {
                guard let digit = ASCII.hexValue(byte) else { return nil }
                group = group << 4 | UInt16(digit)
            }
            groups.append(group)
            guard groups.count <= 8 else { return nil }
            guard end < bytes.endIndex else { break }
            if end + 1 < bytes.endIndex && bytes[end + 1] == colon {
                guard ellipsis == nil else { return nil }
                ellipsis = groups.count
                index = end + 2
            } else {
                index = end + 1
                guard index < bytes.endIndex else { return nil }
            }
        }

        if let ellipsis {
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: ellipsis)
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
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
        if ASCII.contains(text, UInt8(ascii: ":")) {
            guard let v6 = IPv6Address(parsing: text) else { return nil }
            self = v6.mappedIPv4.map(IPAddress.v4) ?? .v6(v6)
        } else {
            guard let v4 = IPv4Address(parsing: text) else { return nil }
            self = .v4(v4)
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
