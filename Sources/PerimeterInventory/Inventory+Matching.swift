import PerimeterModel

/// The assets an event touches, as enrichment needs them.
public struct AssetMatch: Sendable {
    public var assets: [AssetID] = []
    /// Atoms that named several assets at once (a short name two machines
    /// share): the event is enriched with every candidate and marked.
    public var ambiguousAtoms: [Atom] = []

    public init() {}

    public var isAmbiguous: Bool { !ambiguousAtoms.isEmpty }
}

extension Inventory {
    /// Matches an event's atoms against the inventory as it was at the
    /// event's own time, so a replay of old logs gives the old answer.
    /// Atoms that no asset claims are remembered as unclaimed.
    public func match(_ atoms: [FieldAtom], in scope: ScopeKey, at time: EventTime) -> AssetMatch {
        var match = AssetMatch()
        var seen = Set<Atom>()
        for found in atoms where seen.insert(found.atom).inserted {
            let atom = found.atom
            var holders: [AssetID]
            switch atom.type {
            case .username where !atom.value.contains("\\"):
                let candidates = accountCandidates(bareName: atom.value, in: scope, at: time)
                // SPEC §2: an unqualified name matches only a single holder.
                holders = candidates.count == 1 ? candidates : []
            case .ipv4, .ipv6:
                holders = self.holders(of: atom, in: scope, at: time)
                for network in networks(containing: atom, in: scope, at: time)
                where !holders.contains(network) {
                    holders.append(network)
                }
            default:
                holders = self.holders(of: atom, in: scope, at: time)
            }
            if holders.isEmpty {
                let key = AtomKey(scope: scope, atom: atom)
                pending.unclaimed[key] = max(pending.unclaimed[key] ?? time, time)
                continue
            }
            if atom.type == .hostname && holders.count > 1 {
                match.ambiguousAtoms.append(atom)
            }
            for asset in holders where !match.assets.contains(asset) {
                match.assets.append(asset)
            }
        }
        return match
    }

    /// Sorts assets as enrichment lists them (SPEC §5): criticality
    /// highest first, unrated last, then uuid.
    public func enrichmentOrder(_ ids: [AssetID]) -> [Asset] {
        ids.compactMap { assets[$0] }.sorted { a, b in
            switch (a.criticality, b.criticality) {
            case let (x?, y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.id.uuidString.lowercased() < b.id.uuidString.lowercased()
            }
        }
    }
}
