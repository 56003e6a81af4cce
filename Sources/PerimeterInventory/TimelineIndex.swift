import PerimeterModel

/// The attachments of every atom, found by interned atom ids.
///
/// Each scoped atom gets a small integer id the first time it is seen;
/// the hot path hashes the atom's text once per event and then works on
/// ids (activity counts, attachment lists), instead of hashing scope and
/// atom strings again at every step.
///
/// The layout is chosen for an inventory of millions of atoms, where a
/// lookup costs cache misses more than instructions: an open-addressing
/// table of 64-bit slots (a hash tag and the id) finds the id, and all
/// that the hot path then needs of an atom (its first attachment, this
/// week's pending activity) sits in one 16-byte record. An atom with
/// one attachment, nearly all of them, needs no list of its own.
final class TimelineIndex {
    /// What the hot path reads and writes of one interned atom.
    private struct AtomSlot {
        /// The first attachment's index, -1 for none; later ones are in
        /// `moreAttachments`.
        var firstAttachment: Int32 = -1
        /// The week (days since 1970-01-01 of its first day) whose events
        /// `pendingCount` counts; `Int32.min` when nothing is pending.
        var pendingWeek: Int32 = .min
        var pendingCount: Int32 = 0
        /// The scope's id in the upper 24 bits, the type's hash index in
        /// the lower 8: what a lookup compares before the value.
        var scopeAndType: UInt32
    }

    private var scopeIDs: [ScopeKey: Int32] = [:]
    private var scopes: [ScopeKey] = []
    private var lastScope: (ScopeKey, Int32)?
    /// Open addressing with linear probing: the upper 32 bits of a slot
    /// are the key's hash, the lower 32 bits its id + 1 (0: empty).
    private var table: [UInt64] = Array(repeating: 0, count: 1 << 10)
    private var slots: [AtomSlot] = []
    /// The atoms' values, 16 bytes apart: with the scope and type in the
    /// slot, that is the whole key, and a lookup reads one cache line of it.
    private var values: [String] = []
    private var moreAttachments: [Int32: [Int32]] = [:]
    /// Activity counts moved out of `slots` when an atom's events cross a
    /// week, or when the pending counts are drained.
    private var spilledActivity: [ActivityCounter: Int] = [:]
    /// Atoms with a count pending in their slot.
    private var atomsWithActivity: [Int32] = []
    /// Per process, so that crafted event values cannot aim at collisions.
    private let seed = UInt64.random(in: .min ... .max)

    var count: Int { values.count }
    /// Atoms with at least one attachment: the rest are what
    /// `dropUnattachedAtoms` may let go.
    private(set) var attachedCount = 0

    /// The scoped atom of an id.
    func key(_ id: Int32) -> AtomKey {
        let packed = slots[Int(id)].scopeAndType
        return AtomKey(scope: scopes[Int(packed >> 8)],
                       atom: Atom(type: AtomType.byHashIndex[Int(packed & 0xFF)]!,
                                  normalizedValue: values[Int(id)]))
    }

    /// The type of an atom, without building its key.
    func type(of id: Int32) -> AtomType {
        AtomType.byHashIndex[Int(slots[Int(id)].scopeAndType & 0xFF)]!
    }

    private func scopeID(_ scope: ScopeKey, creating: Bool) -> Int32? {
        if let (last, id) = lastScope, last == scope { return id }
        if let id = scopeIDs[scope] {
            lastScope = (scope, id)
            return id
        }
        guard creating else { return nil }
        let id = Int32(scopeIDs.count)
        scopeIDs[scope] = id
        scopes.append(scope)
        lastScope = (scope, id)
        return id
    }

    /// The id of a scoped atom, nil when it was never seen.
    func id(of key: AtomKey) -> Int32? {
        guard let scope = scopeID(key.scope, creating: false) else { return nil }
        let hash = hash(scope: scope, atom: key.atom)
        return find(hash: hash, scopeAndType: Self.pack(scope, key.atom.type),
                    value: key.atom.value).id
    }

    /// The id of a scoped atom, given one if new.
    func intern(_ key: AtomKey) -> Int32 {
        let scope = scopeID(key.scope, creating: true)!
        return intern(hash: hash(scope: scope, atom: key.atom), scope: scope, atom: key.atom)
    }

    private func intern(hash: UInt32, scope: Int32, atom: Atom) -> Int32 {
        let scopeAndType = Self.pack(scope, atom.type)
        let (found, position) = find(hash: hash, scopeAndType: scopeAndType, value: atom.value)
        if let found { return found }
        let id = Int32(values.count)
        slots.append(AtomSlot(scopeAndType: scopeAndType))
        values.append(atom.value)
        table[position] = UInt64(hash) << 32 | UInt64(UInt32(id) + 1)
        // Kept at most three-quarters full, so probe runs stay short.
        if values.count * 4 > table.count * 3 { grow() }
        return id
    }

    /// The ids of an event's distinct atoms in one scope, given ones if
    /// new: `intern` for each, in phases. The atoms' table entries are
    /// read one after the other before any is used, then their slots, so
    /// the cache misses of a large index overlap instead of queueing.
    func intern(_ atoms: [Atom], in scope: ScopeKey) -> [Int32] {
        let scopeID = scopeID(scope, creating: true)!
        let count = atoms.count
        var ids = [Int32](repeating: -1, count: count)
        // Per atom: its hash, its first probe's entry, the candidate id
        // when the entry's tag matches, and that candidate's scope and type.
        withUnsafeTemporaryAllocation(of: (UInt32, UInt64, Int32, UInt32).self,
                                      capacity: count) { probes in
            let mask = table.count - 1
            for index in 0..<count {
                probes[index] = (hash(scope: scopeID, atom: atoms[index]), 0, -1, 0)
            }
            table.withUnsafeBufferPointer { table in
                for index in 0..<count { probes[index].1 = table[Int(probes[index].0) & mask] }
            }
            for index in 0..<count {
                let (hash, entry, _, _) = probes[index]
                if entry != 0 && UInt32(truncatingIfNeeded: entry >> 32) == hash {
                    let candidate = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                    probes[index].2 = candidate
                    probes[index].3 = slots[Int(candidate)].scopeAndType
                }
            }
            for index in 0..<count {
                let atom = atoms[index]
                let (hash, _, candidate, scopeAndType) = probes[index]
                if candidate >= 0 && scopeAndType == Self.pack(scopeID, atom.type)
                    && values[Int(candidate)] == atom.value {
                    ids[index] = candidate
                } else {
                    ids[index] = intern(hash: hash, scope: scopeID, atom: atom)
                }
            }
        }
        return ids
    }

    /// The id of the key, or the empty position where it would go.
    private static func pack(_ scope: Int32, _ type: AtomType) -> UInt32 {
        precondition(scope < 1 << 24, "more than 16 million scopes")
        return UInt32(scope) << 8 | UInt32(type.hashIndex)
    }

    private func find(hash: UInt32, scopeAndType: UInt32,
                      value: String) -> (id: Int32?, position: Int) {
        let mask = table.count - 1
        var position = Int(hash) & mask
        return table.withUnsafeBufferPointer { table in
            while true {
                let entry = table[position]
                if entry == 0 { return (nil, position) }
                if UInt32(truncatingIfNeeded: entry >> 32) == hash {
                    let id = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                    if slots[Int(id)].scopeAndType == scopeAndType && values[Int(id)] == value {
                        return (id, position)
                    }
                }
                position = (position + 1) & mask
            }
        }
    }

    private func grow() {
        var larger = [UInt64](repeating: 0, count: table.count * 2)
        // Only a tombstone's tag is 0 (bar one real hash in four billion):
        // its slot is read for nothing else.
        for entry in table where entry != 0 && !(entry >> 32 == 0 && isErased(entry)) {
            Self.place(entry, in: &larger)
        }
        table = larger
    }

    /// Puts an entry (hash tag and id + 1) at the first empty position of
    /// its probe run, in a table being built.
    private static func place(_ entry: UInt64, in table: inout [UInt64]) {
        let mask = table.count - 1
        var position = Int(entry >> 32) & mask
        while table[position] != 0 { position = (position + 1) & mask }
        table[position] = entry
    }

    /// A seeded 32-bit hash of the scope, type and value bytes: a
    /// multiply-xorshift mix over 8-byte words, cheaper than `Hasher` for
    /// the short values atoms are.
    private func hash(scope: Int32, atom: Atom) -> UInt32 {
        hash(scopeAndType: UInt64(UInt32(bitPattern: scope)) << 8 | UInt64(atom.type.hashIndex),
             value: atom.value)
    }

    private func hash(scopeAndType: UInt64, value: String) -> UInt32 {
        var state = seed ^ scopeAndType
        var value = value
        value.withUTF8 { bytes in
            state = Self.mix(state ^ UInt64(bytes.count))
            var offset = 0
            let raw = UnsafeRawBufferPointer(bytes)
            while offset + 8 <= bytes.count {
                state = Self.mix(state ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            if offset < bytes.count {
                var tail: UInt64 = 0
                for index in offset..<bytes.count {
                    tail |= UInt64(bytes[index]) << (8 * UInt64(index - offset))
                }
                state = Self.mix(state ^ tail)
            }
        }
        return UInt32(truncatingIfNeeded: state >> 32)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        x = x &* 0xBF58_476D_1CE4_E5B9
        return x ^ (x >> 32)
    }

    // MARK: - Attachments

    /// The attachment indices of an atom, in the order they were added.
    func indices(_ id: Int32) -> [Int32] {
        let first = slots[Int(id)].firstAttachment
        if first < 0 { return [] }
        guard let more = moreAttachments[id] else { return [first] }
        return [first] + more
    }

    /// Calls `body` with each attachment index of an atom, with no list
    /// made for the usual single attachment.
    @inline(__always)
    func forEachIndex(_ id: Int32, _ body: (Int32) -> Void) {
        let first = slots[Int(id)].firstAttachment
        if first < 0 { return }
        body(first)
        if let more = moreAttachments[id] { for index in more { body(index) } }
    }

    func append(_ index: Int32, to key: AtomKey) {
        let id = intern(key)
        if slots[Int(id)].firstAttachment < 0 {
            slots[Int(id)].firstAttachment = index
            attachedCount += 1
        } else {
            moreAttachments[id, default: []].append(index)
        }
    }

    /// The attachment indices of an atom; nil when it has none.
    subscript(key: AtomKey) -> [Int32]? {
        guard let id = id(of: key) else { return nil }
        let list = indices(id)
        return list.isEmpty ? nil : list
    }

    // MARK: - Activity

    /// Counts one event for an atom in a week; kept in the atom's slot
    /// while its events stay in the same week.
    @inline(__always)
    func countActivity(of id: Int32, weekStartDay day: Int32) {
        let slot = Int(id)
        let week = slots[slot].pendingWeek
        if week == day {
            slots[slot].pendingCount += 1
            return
        }
        if week == .min {
            atomsWithActivity.append(id)
        } else {
            spill(id)
        }
        slots[slot].pendingWeek = day
        slots[slot].pendingCount = 1
    }

    private func spill(_ id: Int32) {
        let slot = slots[Int(id)]
        spilledActivity[ActivityCounter(atom: id, weekStartDay: slot.pendingWeek),
                        default: 0] += Int(slot.pendingCount)
    }

    /// Every pending activity count, then none.
    func drainActivity() -> [ActivityCounter: Int] {
        var drained = spilledActivity
        for id in atomsWithActivity {
            let slot = slots[Int(id)]
            drained[ActivityCounter(atom: id, weekStartDay: slot.pendingWeek),
                    default: 0] += Int(slot.pendingCount)
            slots[Int(id)].pendingWeek = .min
            slots[Int(id)].pendingCount = 0
        }
        spilledActivity = [:]
        atomsWithActivity = []
        return drained
    }

    /// Forgets every pending activity count.
    func discardActivity() {
        for id in atomsWithActivity {
            slots[Int(id)].pendingWeek = .min
            slots[Int(id)].pendingCount = 0
        }
        spilledActivity = [:]
        atomsWithActivity = []
    }
}

// MARK: - Erasure

extension TimelineIndex {
    /// Drops an atom (an erasure on request, SPEC §2): its attachment
    /// list, its pending activity and its value. Its table entry stays,
    /// or the probe runs of keys placed after it would stop short, but
    /// with no hash and a slot that no key matches (type index 0 is no
    /// type's); `grow` leaves it out. The id is never given again.
    func remove(_ key: AtomKey) {
        guard let scope = scopeID(key.scope, creating: false) else { return }
        let hash = hash(scope: scope, atom: key.atom)
        guard let id = find(hash: hash, scopeAndType: Self.pack(scope, key.atom.type),
                            value: key.atom.value).id else { return }
        let mask = table.count - 1
        var position = Int(hash) & mask
        while table[position] & 0xFFFF_FFFF != UInt64(UInt32(id) + 1) {
            position = (position + 1) & mask
        }
        table[position] = UInt64(UInt32(id) + 1)
        if slots[Int(id)].firstAttachment >= 0 { attachedCount -= 1 }
        if slots[Int(id)].pendingWeek != .min { atomsWithActivity.removeAll { $0 == id } }
        spilledActivity = spilledActivity.filter { $0.key.atom != id }
        slots[Int(id)] = AtomSlot(scopeAndType: 0)
        moreAttachments[id] = nil
        values[Int(id)] = ""
    }

    private func isErased(_ entry: UInt64) -> Bool {
        slots[Int(entry & 0xFFFF_FFFF) - 1].scopeAndType & 0xFF == 0
    }

    /// Renumbers every attachment index after the inventory removed some:
    /// `newIndex[old]` is the new index, -1 for a removed attachment.
    func renumberAttachments(_ newIndex: [Int32]) {
        for id in slots.indices where slots[id].firstAttachment >= 0 {
            slots[id].firstAttachment = newIndex[Int(slots[id].firstAttachment)]
        }
        for (id, more) in moreAttachments {
            var kept = more.map { newIndex[Int($0)] }.filter { $0 >= 0 }
            if slots[Int(id)].firstAttachment < 0 && !kept.isEmpty {
                slots[Int(id)].firstAttachment = kept.removeFirst()
            }
            moreAttachments[id] = kept.isEmpty ? nil : kept
        }
        attachedCount = slots.reduce(0) { $0 + ($1.firstAttachment >= 0 ? 1 : 0) }
    }
}

// MARK: - Dropping unattached atoms

extension TimelineIndex {
    /// Drops every atom that holds no attachment, when more than `kept`
    /// of them beyond the attached ones are held; says whether it did.
    ///
    /// Such an atom is only a name for activity counts already drained:
    /// met again, it is interned anew. The kept atoms get new ids, so
    /// this runs between two batches only, when nothing holds an id (an
    /// event's ids, a pending count). The index is rebuilt whole, so the
    /// threshold grows with the attached atoms and the work per atom met
    /// stays constant.
    @discardableResult
    func dropUnattachedAtoms(ifMoreThan kept: Int) -> Bool {
        guard count - attachedCount > max(kept, attachedCount) else { return false }
        precondition(atomsWithActivity.isEmpty && spilledActivity.isEmpty,
                     "atoms dropped while activity counts by id are pending")
        var size = 1 << 10
        while attachedCount * 4 > size * 3 { size <<= 1 }
        var keptTable = [UInt64](repeating: 0, count: size)
        var keptSlots: [AtomSlot] = []
        var keptValues: [String] = []
        var keptMore: [Int32: [Int32]] = [:]
        keptSlots.reserveCapacity(attachedCount)
        keptValues.reserveCapacity(attachedCount)
        for old in slots.indices where slots[old].firstAttachment >= 0 {
            let id = Int32(keptValues.count)
            let scopeAndType = slots[old].scopeAndType
            keptSlots.append(AtomSlot(firstAttachment: slots[old].firstAttachment,
                                      scopeAndType: scopeAndType))
            keptValues.append(values[old])
            if let more = moreAttachments[Int32(old)] { keptMore[id] = more }
            let hash = hash(scopeAndType: UInt64(scopeAndType), value: values[old])
            Self.place(UInt64(hash) << 32 | UInt64(UInt32(id) + 1), in: &keptTable)
        }
        table = keptTable
        slots = keptSlots
        values = keptValues
        moreAttachments = keptMore
        return true
    }
}

private extension AtomType {
    static let byHashIndex: [AtomType?] = {
        var types = [AtomType?](repeating: nil, count: 12)
        for type in AtomType.allCases { types[Int(type.hashIndex)] = type }
        return types
    }()

    /// A small number per type (1...11), mixed into the hash.
    var hashIndex: UInt8 {
        switch self {
        case .ipv4: 1
        case .ipv6: 2
        case .hostname: 3
        case .fqdn: 4
        case .username: 5
        case .email: 6
        case .sid: 7
        case .mac: 8
        case .hostID: 9
        case .agentID: 10
        case .cidr: 11
        }
    }
}
