import Foundation
import PerimeterModel

extension Inventory {
    /// Drops erased atoms, and an erased asset, from memory, as the store
    /// erased them (SPEC §2 `forget`): every attachment of each atom (all
    /// intervals, all assets) and of the asset, the atoms' index entries,
    /// their pending activity, unclaimed sightings, shared marks,
    /// rejections and conflicts, and the asset's record and pending
    /// changes. Events seen later that carry a value again rediscover it.
    ///
    /// The attachment list is compacted and every index into it renumbered:
    /// a pass over all attachments, paid by the erasure alone, so that
    /// matching keeps no tombstone to step over.
    public func forget(_ keys: [AtomKey], asset erased: AssetID? = nil) {
        let erasedKeys = Set(keys)
        var removed = Set<Int32>()
        for key in erasedKeys {
            for index in timelines[key] ?? [] { removed.insert(index) }
        }
        if let erased {
            for index in attachmentsByAsset[erased] ?? [] { removed.insert(index) }
        }
        // Keys of the asset's attachments that are not erased keep their
        // index entry (another asset may hold them later); only the list
        // of attachments shrinks.
        if !removed.isEmpty { removeAttachments(removed) }
        for key in erasedKeys {
            if let id = timelines.id(of: key) {
                pending.unclaimed[id] = nil
                pending.activity = pending.activity.filter { $0.key.atom != id }
            }
            timelines.remove(key)
            forgetBareName(of: key)
        }

        for key in erasedKeys {
            pending.shared[key] = nil
            sharedSince[key] = nil
        }
        if !waitingReleases.isEmpty {
            // An erased MAC in any scope: keeping it a day longer is no answer.
            let erasedValues = Set(erasedKeys.map(\.atom))
            keepWaitingReleases { address, release in
                !erasedKeys.contains(address)
                    && release.holderMAC.map { !erasedValues.contains($0) } ?? true
                    && release.grantee.map { !erasedValues.contains($0) } ?? true
            }
        }
        pending.conflicts.removeAll { conflict in
            erasedKeys.contains(conflict.key)
                || erased.map { conflict.assets.contains($0) } == true
        }
        let erasedAtoms = Dictionary(grouping: erasedKeys, by: \.atom)
        let isErasedRejection = { (rejection: RejectedAtom) -> Bool in
            if rejection.asset == erased { return true }
            guard let scopes = erasedAtoms[rejection.atom],
                  let holder = self.assets[rejection.asset] else { return false }
            return scopes.contains { $0.scope == ScopeKey(community: holder.community,
                                                          entity: holder.entity) }
        }
        rejected = rejected.filter { !isErasedRejection($0) }
        pending.rejected.removeAll(where: isErasedRejection)

        guard let erased else { return }
        assets[erased] = nil
        revokedAssets.remove(erased)
        attachmentsByAsset[erased] = nil
        pending.assets.remove(erased)
        pending.seenAssets.remove(erased)
        pending.audit.removeAll { $0.asset == erased }
    }

    /// Removes attachments by index and renumbers every index kept: the
    /// timeline's lists, the per-asset lists, the network ranges and the
    /// pending changes.
    private func removeAttachments(_ removed: Set<Int32>) {
        // Indices below the first removed one keep their place.
        let first = Int(removed.min()!)
        var newIndex = (0..<Int32(attachments.count)).map { $0 }
        var next = Int32(first)
        for index in first..<attachments.count {
            if removed.contains(Int32(index)) {
                newIndex[index] = -1
            } else {
                newIndex[index] = next
                attachments[Int(next)] = attachments[index]
                next += 1
            }
        }
        attachments.removeLast(attachments.count - Int(next))
        timelines.renumberAttachments(newIndex)
        // In place: a million assets' lists, none of them rehashed.
        for slot in attachmentsByAsset.values.indices {
            let list = attachmentsByAsset.values[slot]
            if list.count == 1 && newIndex[Int(list[0])] == list[0] { continue }
            attachmentsByAsset.values[slot] = list.map { newIndex[Int($0)] }.filter { $0 >= 0 }
        }
        pending.attachments = Set(pending.attachments.map { newIndex[Int($0)] }.filter { $0 >= 0 })
        if !networks.isEmpty {
            networks = NetworkIndex()
            for (index, attachment) in attachments.enumerated()
            where attachment.key.atom.type == .cidr {
                networks.insert(attachment, at: Int32(index))
            }
        }
    }

    /// Keeps the bare-name index from naming an erased qualified username.
    private func forgetBareName(of key: AtomKey) {
        guard let bare = key.atom.bareUserName else { return }
        let bareKey = AtomKey(scope: key.scope, atom: Atom(type: .username, normalizedValue: bare))
        usernamesByBareName[bareKey]?.remove(key.atom.value)
        if usernamesByBareName[bareKey]?.isEmpty == true { usernamesByBareName[bareKey] = nil }
    }
}
