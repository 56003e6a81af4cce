import PerimeterModel

/// The attachments of every atom, found by interned atom ids.
///
/// Each scoped atom gets a small integer id the first time it is seen;
/// the hot path hashes the atom's text once per event and then works on
/// ids (activity counts, attachment lists), instead of hashing scope and
/// atom strings again at every step.
final class TimelineIndex {
    private struct InternKey: Hashable {
        var scope: Int32
        var type: AtomType
        var value: String
    }

    private var scopeIDs: [ScopeKey: Int32] = [:]
    private var lastScope: (ScopeKey, Int32)?
    private var ids: [InternKey: Int32] = [:]
    private(set) var keys: [AtomKey] = []
    private var lists: [[Int32]] = []

    var count: Int { keys.count }

    private func scopeID(_ scope: ScopeKey, creating: Bool) -> Int32? {
        if let (last, id) = lastScope, last == scope { return id }
        if let id = scopeIDs[scope] {
            lastScope = (scope, id)
            return id
        }
        guard creating else { return nil }
        let id = Int32(scopeIDs.count)
        scopeIDs[scope] = id
        lastScope = (scope, id)
        return id
    }

    /// The id of a scoped atom, nil when it was never seen.
    func id(of key: AtomKey) -> Int32? {
        guard let scope = scopeID(key.scope, creating: false) else { return nil }
        return ids[InternKey(scope: scope, type: key.atom.type, value: key.atom.value)]
    }

    /// The id of a scoped atom, given one if new.
    func intern(_ key: AtomKey) -> Int32 {
        let scope = scopeID(key.scope, creating: true)!
        let internKey = InternKey(scope: scope, type: key.atom.type, value: key.atom.value)
        if let id = ids[internKey] { return id }
        let id = Int32(keys.count)
        ids[internKey] = id
        keys.append(key)
        lists.append([])
        return id
    }

    func indices(_ id: Int32) -> [Int32] { lists[Int(id)] }

    func append(_ index: Int32, to key: AtomKey) {
        lists[Int(intern(key))].append(index)
    }

    /// The attachment indices of an atom; nil when it has none.
    subscript(key: AtomKey) -> [Int32]? {
        guard let id = id(of: key) else { return nil }
        let list = lists[Int(id)]
        return list.isEmpty ? nil : list
    }
}
