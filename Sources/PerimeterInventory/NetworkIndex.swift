import Glibc
import PerimeterModel

/// Network assets' CIDR ranges, for longest-prefix matching of addresses.
///
/// Ranges are bucketed by prefix length, so a lookup costs one hash probe
/// per distinct length in use (a handful in practice), whatever the number
/// of networks, and the answer never depends on insertion order.
struct NetworkIndex {
    /// An address or a network, as 128 bits; IPv4 in the low 32 bits.
    struct Bits: Hashable {
        var high: UInt64
        var low: UInt64

        func masked(to length: Int, isIPv4: Bool) -> Bits {
            let total = isIPv4 ? 32 : 128
            let keep = max(0, min(length, total))
            if isIPv4 {
                let mask: UInt64 = keep == 0 ? 0 : (0xFFFF_FFFF << UInt64(32 - keep)) & 0xFFFF_FFFF
                return Bits(high: 0, low: low & mask)
            }
            let highMask: UInt64 = keep >= 64 ? .max : (keep == 0 ? 0 : .max << UInt64(64 - keep))
            let lowMask: UInt64 = keep <= 64 ? 0 : (keep == 128 ? .max : .max << UInt64(128 - keep))
            return Bits(high: high & highMask, low: low & lowMask)
        }
    }

    struct BucketKey: Hashable {
        var scope: ScopeKey
        var isIPv4: Bool
        var length: Int
        var network: Bits
    }

    private var buckets: [BucketKey: [Int32]] = [:]
    var isEmpty: Bool { buckets.isEmpty }
    /// Prefix lengths in use per scope and family, longest first.
    private var lengths: [ScopeKey: [Bool: [Int]]] = [:]
    private(set) var indexByAttachmentID: [Int64: Int32] = [:]

    mutating func insert(_ attachment: Attachment, at index: Int32) {
        guard let (bits, length, isIPv4) = Self.parseCIDR(attachment.key.atom.value) else { return }
        let key = BucketKey(scope: attachment.key.scope, isIPv4: isIPv4, length: length,
                            network: bits.masked(to: length, isIPv4: isIPv4))
        buckets[key, default: []].append(index)
        var scopeLengths = lengths[attachment.key.scope, default: [:]]
        var family = scopeLengths[isIPv4, default: []]
        if !family.contains(length) {
            family.append(length)
            family.sort(by: >)
        }
        scopeLengths[isIPv4] = family
        lengths[attachment.key.scope] = scopeLengths
    }

    /// The candidate attachments of the longest prefixes containing the
    /// address in one scope key, longest first.
    func candidates(containing address: Atom, in scope: ScopeKey) -> [(length: Int, indices: [Int32])] {
        guard let bits = Self.parseAddress(address) else { return [] }
        let isIPv4 = address.type == .ipv4
        var result: [(Int, [Int32])] = []
        for length in lengths[scope]?[isIPv4] ?? [] {
            let key = BucketKey(scope: scope, isIPv4: isIPv4, length: length,
                                network: bits.masked(to: length, isIPv4: isIPv4))
            if let indices = buckets[key] { result.append((length, indices)) }
        }
        return result
    }

    static func parseAddress(_ atom: Atom) -> Bits? {
        switch atom.type {
        case .ipv4: return parse(atom.value, family: AF_INET)
        case .ipv6: return parse(atom.value, family: AF_INET6)
        default: return nil
        }
    }

    /// Reads a CIDR atom's canonical text (`10.0.0.0/8`, `2001:db8::/32`).
    static func parseCIDR(_ text: String) -> (Bits, Int, Bool)? {
        guard let slash = text.lastIndex(of: "/"),
              let length = Int(text[text.index(after: slash)...])
        else { return nil }
        let address = String(text[..<slash])
        let isIPv4 = !address.contains(":")
        guard let bits = parse(address, family: isIPv4 ? AF_INET : AF_INET6),
              length >= 0, length <= (isIPv4 ? 32 : 128)
        else { return nil }
        return (bits, length, isIPv4)
    }

    private static func parse(_ text: String, family: Int32) -> Bits? {
        var storage = (UInt64(0), UInt64(0))
        let ok = withUnsafeMutableBytes(of: &storage) { inet_pton(family, text, $0.baseAddress) == 1 }
        guard ok else { return nil }
        return withUnsafeBytes(of: storage) { raw in
            let bytes = Array(raw)
            if family == AF_INET {
                let value = bytes[0..<4].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                return Bits(high: 0, low: value)
            }
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return Bits(high: high, low: low)
        }
    }
}

extension Inventory {
    /// The network assets whose range holds an address at `time`: the
    /// longest prefix wins, and at equal length the entity's own range
    /// beats an entity-less one (SPEC §2).
    public func networks(containing address: Atom, in scope: ScopeKey,
                         at time: EventTime) -> [AssetID] {
        var best: (length: Int, isOwn: Bool, assets: [AssetID])?
        let keys = scope.entity == nil ? [scope] : [scope, scope.communityWide]
        for key in keys {
            for (length, indices) in networks.candidates(containing: address, in: key) {
                let valid = indices.map { attachments[Int($0)] }
                    .filter { $0.isValid(at: time, addressExpiry: settings.addressExpiry)
                        && !revokedAssets.contains($0.asset) }
                    .map(\.asset)
                guard !valid.isEmpty else { continue }
                let isOwn = key.entity != nil
                if best == nil || length > best!.length
                    || (length == best!.length && isOwn && !best!.isOwn) {
                    best = (length, isOwn, Array(Set(valid)).sorted { $0.uuidString < $1.uuidString })
                }
                break
            }
        }
        return best?.assets ?? []
    }
}
