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
        var distinct: [Atom] = []
        for found in atoms where !distinct.containsInPlace(found.atom) { distinct.append(found.atom) }
        let ids = distinct.map { timelines.intern(AtomKey(scope: scope, atom: $0)) }
        let subjectMACs = atoms.filter { $0.field == "host.mac" }.map(\.atom)
        let subjectSIDs = atoms.filter { $0.field == "user.id" }.map(\.atom)
        return match(distinct, ids: ids, subjectMACs: subjectMACs, subjectSIDs: subjectSIDs,
                     in: scope, at: time)
    }

    /// Matches distinct atoms whose ids in `scope` are already interned.
    ///
    /// The name decides which host an event is about (SPEC §2): the
    /// holders of its host.id or agent.id pick among machines that share
    /// the name, and add no machine the name does not denote. An id held
    /// by another host than the one named (a forwarder's agent id on the
    /// events it relays, an image cloned with its id) is a conflict that
    /// discovery records; enriching with that host would rate the event by
    /// a machine it is not about. Ids alone, with no known name, decide.
    /// The event's own MACs (`subjectMACs`, from host.mac) are such ids;
    /// a source or destination MAC names the machine at the other end.
    /// The user's own SIDs (`subjectSIDs`, from user.id) pick among the
    /// accounts of its name; a target's SID (user.target.id) is another
    /// principal's.
    func match(_ atoms: [Atom], ids: [Int32], subjectMACs: [Atom], subjectSIDs: [Atom] = [],
               in scope: ScopeKey, at time: EventTime) -> AssetMatch {
        var match = AssetMatch()
        // Room for a usual event's assets and an atom's holders at once:
        // grown from empty, the two arrays were reallocated about nine
        // times an event (callgrind).
        match.assets.reserveCapacity(8)
        // Which of `match.assets` a hostname or fqdn named, and which some
        // other atom (bit i for asset i; an event names a handful), so that
        // an id can narrow the named hosts without an array per event. The
        // holders of ids wait in `identified`, made only when an id has one.
        var namedMask: UInt64 = 0
        var otherMask: UInt64 = 0
        var identified: [AssetID] = []
        // One array for every atom's holders (see `holders(ofAtomID:at:into:)`).
        var holders: [AssetID] = []
        holders.reserveCapacity(4)
        for (atom, id) in zip(atoms, ids) {
            switch atom.type {
            case .username where !atom.isQualifiedUserName:
                let candidates = accountCandidates(bareName: atom.value, in: scope, at: time)
                // SPEC §2: an unqualified name matches only a single holder.
                holders.removeAll(keepingCapacity: true)
                if candidates.count == 1 { holders.append(candidates[0]) }
            case .ipv4, .ipv6:
                self.holders(atomID: id, atom: atom, in: scope, at: time, into: &holders)
                // One host at a time holds an address; two at once are a
                // conflict a person made (an unrevoked host beside the
                // one given its address), and the event names both.
                if holders.count > 1 { match.ambiguousAtoms.append(atom) }
                if !networks.isEmpty {
                    for network in networks(containing: atom, in: scope, at: time)
                    where !holders.contains(network) {
                        holders.append(network)
                    }
                }
            default:
                self.holders(atomID: id, atom: atom, in: scope, at: time, into: &holders)
            }
            if holders.isEmpty {
                pending.unclaimed[id] = max(pending.unclaimed[id] ?? time, time)
                continue
            }
            if atom.type == .hostID || atom.type == .agentID
                || (atom.type == .mac && subjectMACs.contains(atom)) {
                for asset in holders where !identified.contains(asset) { identified.append(asset) }
                continue
            }
            let isName = atom.type == .hostname || atom.type == .fqdn
            if atom.type == .hostname && holders.count > 1 {
                // `ws-01` that the event also spells out in full
                // (`ws-01.corp.example.org`) names that machine only.
                let spelled = fqdnHolders(spelling: atom, among: atoms, ids: ids, in: scope,
                                          at: time)
                let narrowed = holders.filter { spelled.contains($0) }
                if !narrowed.isEmpty { holders = narrowed }
                if holders.count > 1 { match.ambiguousAtoms.append(atom) }
            }
            // A user name is no exclusive atom (SPEC §2): two accounts a
            // person gave the same one both hold it (`VAGRANT\vagrant` of
            // two machines named alike), and the event is enriched with
            // both, so it is marked as naming several; unless the event's
            // SID is one of theirs, which says whose it is.
            if atom.type == .username && holders.count > 1 {
                let owners = sidHolders(subjectSIDs, among: atoms, ids: ids, in: scope, at: time)
                let narrowed = holders.filter { owners.contains($0) }
                if !narrowed.isEmpty { holders = narrowed }
                if holders.count > 1 { match.ambiguousAtoms.append(atom) }
            }
            for asset in holders {
                let index = match.assets.firstIndex(of: asset) ?? {
                    match.assets.append(asset)
                    return match.assets.count - 1
                }()
                guard index < 64 else { continue }
                if isName { namedMask |= 1 << index } else { otherMask |= 1 << index }
            }
        }
        guard !identified.isEmpty else { return match }
        if namedMask == 0 {
            for asset in identified where !match.assets.contains(asset) { match.assets.append(asset) }
        } else if namedMask.nonzeroBitCount > 1 {
            // A name several machines share: the ids pick among them.
            let picked = (0..<match.assets.count).filter {
                namedMask & (1 << $0) != 0 && identified.contains(match.assets[$0])
            }
            guard !picked.isEmpty else { return match }
            match.assets = match.assets.indices.filter {
                picked.contains($0) || namedMask & (1 << $0) == 0 || otherMask & (1 << $0) != 0
            }.map { match.assets[$0] }
            match.ambiguousAtoms.removeAll { $0.type == .hostname }
        }
        return match
    }

    /// The holders of the event's fqdns whose first label is `hostname`.
    private func fqdnHolders(spelling hostname: Atom, among atoms: [Atom], ids: [Int32],
                             in scope: ScopeKey, at time: EventTime) -> [AssetID] {
        var found: [AssetID] = []
        for (atom, id) in zip(atoms, ids) where atom.type == .fqdn {
            let label = atom.value.utf8.prefix { $0 != UInt8(ascii: ".") }
            guard label.elementsEqual(hostname.value.utf8) else { continue }
            found += holders(atomID: id, atom: atom, in: scope, at: time)
        }
        return found
    }

    /// The holders of `sids`, atoms of the event.
    private func sidHolders(_ sids: [Atom], among atoms: [Atom], ids: [Int32], in scope: ScopeKey,
                            at time: EventTime) -> [AssetID] {
        guard !sids.isEmpty else { return [] }
        var found: [AssetID] = []
        for (atom, id) in zip(atoms, ids) where atom.type == .sid && sids.contains(atom) {
            found += holders(atomID: id, atom: atom, in: scope, at: time)
        }
        return found
    }

    /// `holders(of:in:at:)` with the id of the atom in `scope` known.
    private func holders(atomID id: Int32, atom: Atom, in scope: ScopeKey,
                         at time: EventTime) -> [AssetID] {
        var found: [AssetID] = []
        holders(atomID: id, atom: atom, in: scope, at: time, into: &found)
        return found
    }

    /// The same, written into `result` (emptied first).
    private func holders(atomID id: Int32, atom: Atom, in scope: ScopeKey, at time: EventTime,
                         into result: inout [AssetID]) {
        holders(ofAtomID: id, at: time, into: &result)
        if !result.isEmpty || scope.entity == nil { return }
        result = holders(of: AtomKey(scope: scope.communityWide, atom: atom), at: time)
    }

    /// The enrichment cards of assets, in enrichment order (SPEC §5):
    /// criticality highest first, unrated last, then uuid.
    public func enrichmentCards(_ ids: [AssetID]) -> [AssetCard] {
        var found: [AssetCard] = []
        found.reserveCapacity(ids.count)
        for id in ids {
            guard let index = assets.index(forKey: id) else { continue }
            found.append(assets.values[index].enrichmentCard())
        }
        if found.count > 1 {
            found.sort { a, b in
                switch (a.criticality, b.criticality) {
                case let (x?, y?) where x != y: return x > y
                case (.some, nil): return true
                case (nil, .some): return false
                default: return a.id.sortsBefore(b.id)
                }
            }
        }
        return found
    }

    /// Sorts assets as enrichment lists them (SPEC §5): criticality
    /// highest first, unrated last, then uuid.
    public func enrichmentOrder(_ ids: [AssetID]) -> [Asset] {
        enrichmentCards(ids).compactMap { assets[$0.id] }
    }
}

private extension Asset {
    /// Mutating only so that `assets.values[index].enrichmentCard()` reads
    /// the record in place, through the dictionary's modify accessor: its
    /// getter copies the whole asset out, retaining and then releasing
    /// every text and collection it holds, for each card of each event.
    mutating func enrichmentCard() -> AssetCard { AssetCard(self) }
}

/// What enrichment shows of an asset, made from it for each event: it is
/// cheap (the uuid's text is written when needed, not kept), so the
/// inventory keeps no second copy of its assets for enrichment.
public struct AssetCard: Sendable, Hashable {
    public let id: AssetID
    public let name: String
    public let category: AssetCategory
    public let criticality: Int?
    /// Sorted.
    public let tags: [String]

    public init(_ asset: borrowing Asset) {
        id = asset.id
        name = asset.name
        category = asset.category
        criticality = asset.criticality?.value
        tags = asset.tags.isEmpty ? [] : asset.tags.sorted()
    }

    /// The uuid in lower case, as every output writes it.
    public var uuid: String { id.lowercasedText }
}
