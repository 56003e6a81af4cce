import PerimeterModel

/// A network asset's address range (`10.0.0.0/8`, `2001:db8::/32`).
///
/// Host bits must be zero by default: `10.1.2.3/8` is most likely a typo
/// for an address or for another prefix, so it is refused with the
/// network it would have meant. Callers that import ranges from tools
/// that write the interface address (`ip addr` style) pass
/// `masksHostBits: true` to keep the network part.
public struct CIDRRange: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The network address, host bits zero.
    public let network: IPAddress
    public let prefixLength: Int

    public init(parsing text: String, masksHostBits: Bool = false) throws(AtomError) {
        let trimmed = ASCII.trimmed(text)
        guard let slash = trimmed.utf8.firstIndex(of: UInt8(ascii: "/")) else {
            throw Self.invalid(text, "a prefix length after '/' is missing")
        }
        let addressText = trimmed[..<slash]
        let lengthText = trimmed[trimmed.index(after: slash)...]
        guard !ASCII.contains(addressText, UInt8(ascii: "%")),
              let address = IPAddress(parsing: addressText)
        else { throw Self.invalid(text, "'\(addressText)' is not an IP address") }
        guard !lengthText.isEmpty, lengthText.utf8.count <= 3,
              lengthText.utf8.allSatisfy(ASCII.isDigit), var length = Int(lengthText)
        else { throw Self.invalid(text, "'\(lengthText)' is not a prefix length") }

        // An IPv4-mapped range is the IPv4 range, as its addresses are.
        var width = 32
        if case .v6 = address { width = 128 }
        if case .v4 = address, ASCII.contains(addressText, UInt8(ascii: ":")) {
            guard length >= 96 else {
                throw Self.invalid(text, "an IPv4-mapped range needs a prefix of 96 or more")
            }
            length -= 96
        }
        guard length <= width else {
            throw Self.invalid(text, "the prefix length is over \(width)")
        }

        let masked = Self.masking(address, to: length)
        if masked != address && !masksHostBits {
            let suggestion = "\(masked)/\(length)"
            throw AtomError(
                code: .cidrHostBitsSet,
                message: "invalid CIDR range '\(text)': host bits are set "
                    + "(did you mean '\(suggestion)'?)")
        }
        network = masked
        prefixLength = length
    }

    public init(network: IPAddress, prefixLength: Int) {
        precondition(prefixLength >= 0 && prefixLength <= network.bitWidth,
                     "prefix length \(prefixLength) out of range")
        self.network = Self.masking(network, to: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Canonical text: the canonical network address, `/`, the length.
    public var description: String { "\(network)/\(prefixLength)" }

    /// The atom of a network asset.
    public var atom: Atom { Atom(type: .cidr, normalizedValue: description) }

    /// Whether the address lies inside the range (never across families).
    public func contains(_ address: IPAddress) -> Bool {
        switch (network, address) {
        case (.v4, .v4), (.v6, .v6): Self.masking(address, to: prefixLength) == network
        default: false
        }
    }

    public static func < (lhs: CIDRRange, rhs: CIDRRange) -> Bool {
        (lhs.network, lhs.prefixLength) < (rhs.network, rhs.prefixLength)
    }

    static func masking(_ address: IPAddress, to length: Int) -> IPAddress {
        switch address {
        case .v4(let v4):
            let mask: UInt32 = length == 0 ? 0 : UInt32.max << (32 - length)
            return .v4(IPv4Address(bits: v4.bits & mask))
        case .v6(let v6):
            let highMask: UInt64 = length >= 64 ? .max : length == 0 ? 0 : .max << (64 - length)
            let lowMask: UInt64 = length <= 64 ? 0 : length == 128 ? .max
                : .max << (128 - length)
            return .v6(IPv6Address(high: v6.high & highMask, low: v6.low & lowMask))
        }
    }

    private static func invalid(_ text: String, _ why: String) -> AtomError {
        AtomError(code: .invalidCIDR,
                  message: "invalid CIDR range '\(text)': \(why) "
                      + "(expected an address, '/', a prefix length, as in 10.0.0.0/8)")
    }
}

extension IPAddress {
    /// 32 or 128.
    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }
}
