import Foundation
import PerimeterModel

/// What an analyst does to the inventory by hand (the HTTP API and the
/// command line): edits of attributes, and confirming or rejecting atoms.
public struct CurationError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownAsset = "unknown_asset"
        case notAttached = "not_attached"
        case exclusiveConflict = "exclusive_conflict"
        case rejected = "rejected"
    }

    public let code: Code
    public let message: String

    public var description: String { message }
}

extension Inventory {
    /// Puts an edited asset in place of the current one and records the
    /// audit record of the change; the caller drains and persists both.
    ///
    /// Traps for an asset the inventory does not hold: callers look it up
    /// first, so that is our bug.
    public func replace(_ asset: Asset, actor: String, action: String, at time: EventTime) {
        guard let before = assets[asset.id] else {
            preconditionFailure("replace: asset \(asset.id) is not in the inventory")
        }
        guard asset != before else { return }
        assets[asset.id] = asset
        markChanged(asset.id)
        let diff = AssetSummary.changedFields(from: before, to: asset)
        pending.audit.append(AuditRecord(asset: asset.id, actor: actor, action: action, at: time,
                                         before: diff.before, after: diff.after))
        if before.isRevoked && !asset.isRevoked { recordClashes(ofUnrevoked: asset.id, at: time) }
    }

    /// The reason of the conflicts `recordClashes(ofUnrevoked:at:)` records.
    public static let unrevokedClash = "held by an asset unrevoked while another held it"

    /// An unrevoked asset holds its exclusive atoms and its addresses again;
    /// one that another live asset took meanwhile (discovery makes a new
    /// host of a revoked one's name; a person gives its address to the
    /// replacement host) is a conflict, recorded and shown as discovery's
    /// are, not left to be found in the enrichment of every event naming it.
    private func recordClashes(ofUnrevoked id: AssetID, at time: EventTime) {
        var outcome = ObservationOutcome()
        for index in attachmentsByAsset[id] ?? [] {
            let key = attachments[Int(index)].key
            guard attachments[Int(index)].to == nil,
                  key.atom.type.isExclusive || key.atom.type.isAddress else { continue }
            let others = holders(of: key, at: time).filter { $0 != id }
            guard !others.isEmpty else { continue }
            recordConflict(key, assets: others + [id], at: time, reason: Self.unrevokedClash,
                           outcome: &outcome)
        }
    }

    /// Puts a job's edit in place, recording nothing: the job writes the
    /// row and its own audit record in one transaction with its progress.
    public func put(_ asset: Asset) {
        precondition(assets[asset.id] != nil, "put: asset \(asset.id) is not in the inventory")
        assets[asset.id] = asset
    }

    /// The first attachment of `key` to `asset` that no end closed yet.
    /// Asked for every identifier of every host and account event: no
    /// array is made.
    func firstOpenAttachment(of key: AtomKey, on asset: AssetID) -> Int32? {
        guard let atomID = timelines.id(of: key) else { return nil }
        var found: Int32?
        timelines.forEachIndex(atomID) { index in
            if found == nil, attachments[Int(index)].asset == asset,
               attachments[Int(index)].to == nil {
                found = index
            }
        }
        return found
    }

    /// An atom in the scope of an asset.
    private static func key(of atom: Atom, on asset: Asset) -> AtomKey {
        AtomKey(scope: ScopeKey(community: asset.community, entity: asset.entity), atom: atom)
    }

    /// Whether an asset holds an atom now, confirmed or observed.
    public func holdsNow(_ atom: Atom, on id: AssetID) -> Bool {
        guard let asset = assets[id] else { return false }
        let key = Self.key(of: atom, on: asset)
        return firstOpenAttachment(of: key, on: id) != nil
    }

    /// The atoms an asset holds with no end closing them yet.
    public func openAtoms(of asset: AssetID) -> [Atom] {
        (attachmentsByAsset[asset] ?? []).compactMap { index in
            attachments[Int(index)].to == nil ? attachments[Int(index)].key.atom : nil
        }
    }

    /// The attachments of `key` to `asset` that no end closed yet.
    func openAttachments(of key: AtomKey, on asset: AssetID) -> [Int32] {
        (timelines[key] ?? []).filter {
            attachments[Int($0)].asset == asset && attachments[Int($0)].to == nil
        }
    }

    /// Another asset holding `key` as an open confirmed attachment. Asked
    /// for every address a host event reports: no array is made.
    func confirmedHolder(of key: AtomKey, besides id: AssetID) -> AssetID? {
        guard let atomID = timelines.id(of: key) else { return nil }
        var found: AssetID?
        timelines.forEachIndex(atomID) { index in
            let i = Int(index)
            guard found == nil, attachments[i].kind == .confirmed, attachments[i].to == nil,
                  attachments[i].asset != id, !revokedAssets.contains(attachments[i].asset)
            else { return }
            found = attachments[i].asset
        }
        return found
    }

    /// Makes an atom a confirmed detection property of an asset: an open
    /// observed attachment becomes confirmed; otherwise a new confirmed
    /// attachment holds from the beginning of time.
    public func confirm(_ atom: Atom, on id: AssetID, actor: String,
                        at time: EventTime) throws(CurationError) {
        guard let asset = assets[id] else {
            throw CurationError(code: .unknownAsset, message: "no such asset")
        }
        let key = Self.key(of: atom, on: asset)
        let open = openAttachments(of: key, on: id)
        // An address is one host's at a time (SPEC §2): one that a person
        // gave another host stays there, as creating refuses it; whether
        // this host observes it too does not matter (it did: a confirmed
        // address ended up with two confirmed holders).
        if atom.type.isAddress, let other = confirmedHolder(of: key, besides: id) {
            throw CurationError(
                code: .exclusiveConflict,
                message: "cannot confirm the \(atom.type.rawValue) atom: an address belongs to "
                    + "one host at a time, and asset \(other.lowercasedText) holds "
                    + "it as confirmed")
        }
        // Confirming an atom the asset holds as confirmed changes nothing.
        let heldConfirmed = !open.isEmpty
            && !open.contains { attachments[Int($0)].kind == .observed }
        let heldBefore = Self.heldState(open.map { attachments[Int($0)].kind },
                                        rejected: rejected.contains(RejectedAtom(asset: id,
                                                                                 atom: atom)))
        if let observed = open.first(where: { attachments[Int($0)].kind == .observed }) {
            update(observed) { $0.kind = .confirmed }
        } else if open.isEmpty {
            let others = holders(of: key, at: time).filter { $0 != id }
            if atom.type.isExclusive, let other = others.first {
                throw CurationError(
                    code: .exclusiveConflict,
                    message: "cannot confirm the \(atom.type.rawValue) atom: it is exclusive and "
                        + "asset \(other.lowercasedText) holds it")
            }
            // Known shortcoming: a confirmation holds from the beginning of
            // time, so "who held it then?" about a time before it names this
            // asset too (docs/limitations.md); a person cannot date it.
            attach(key, to: id, kind: .confirmed, from: .distantPast,
                   origin: "confirmed by \(actor)")
        }
        endObservations(of: key, besides: id, at: time)
        let index = rejected.firstIndex(of: RejectedAtom(asset: id, atom: atom))
        if let index { rejected.remove(at: index) }
        // A confirmation repeated changes nothing, and the trail says nothing.
        guard !heldConfirmed || index != nil else { return }
        noteEdit(of: id, at: time)
        pending.audit.append(AuditRecord(asset: id, actor: actor, action: "confirm_atom", at: time,
                                         before: heldBefore.map {
                                             AssetSummary.atom(atom, held: $0)
                                         },
                                         after: AssetSummary.atom(atom, held: "confirmed")))
    }

    /// An address is one host's at a time (SPEC §2): a person who gives it
    /// to a host (confirming it, creating the host with it) takes it from
    /// the hosts discovery saw with it, whose sightings end now. They
    /// stood until they expired, and every event with the address named
    /// both hosts meanwhile, marked ambiguous. An address shared in its
    /// scope (a NAT's) is left to its hosts; so is one given to a revoked
    /// asset, which holds nothing for events (it took the address from
    /// the live host, and events were enriched with no host at all); so is
    /// a sighting that starts after `time` (an event a little ahead of the
    /// clock), which closing would empty, as a rejection empties one.
    public func endObservations(of key: AtomKey, besides id: AssetID, at time: EventTime) {
        guard key.atom.type.isAddress, sharedSince[key] == nil, !revokedAssets.contains(id)
        else { return }
        for index in timelines[key] ?? [] {
            let attachment = attachments[Int(index)]
            guard attachment.asset != id, attachment.kind == .observed, attachment.to == nil,
                  attachment.from < time
            else { continue }
            update(index) { $0.to = time }
        }
    }

    /// A person's change of an asset's atoms is a change of the asset: its
    /// `updated_at` moves, so that a version read before (an API `ETag`,
    /// an export's `updated_at`) no longer passes for the current one.
    private func noteEdit(of id: AssetID, at time: EventTime) {
        guard let index = assets.index(forKey: id) else { return }
        assets.values[index].noteChange(at: time.date)
        markChanged(id)
    }

    /// Rejects an atom for an asset: discovery never attaches it to that
    /// asset again (SPEC §2), and its open attachments are emptied (closed
    /// at their own start) rather than closed now: an analyst who rejects
    /// an atom says the attachment was wrong, and enrichment of replayed
    /// older events must not use it either. The records stay, for history.
    public func reject(_ atom: Atom, on id: AssetID, actor: String,
                       at time: EventTime) throws(CurationError) {
        guard let asset = assets[id] else {
            throw CurationError(code: .unknownAsset, message: "no such asset")
        }
        let key = Self.key(of: atom, on: asset)
        let open = openAttachments(of: key, on: id)
        let heldBefore = Self.heldState(open.map { attachments[Int($0)].kind }, rejected: false)
        for index in open {
            update(index) { $0.to = $0.from }
        }
        let record = RejectedAtom(asset: id, atom: atom)
        let isNew = rejected.insert(record).inserted
        if isNew { pending.rejected.append(record) }
        // A rejection repeated changes nothing, and the trail says nothing.
        guard isNew || !open.isEmpty else { return }
        noteEdit(of: id, at: time)
        pending.audit.append(AuditRecord(asset: id, actor: actor, action: "reject_atom", at: time,
                                         before: heldBefore.map {
                                             AssetSummary.atom(atom, held: $0)
                                         },
                                         after: AssetSummary.atom(atom, held: "rejected")))
    }

    /// How an asset held an atom before a person's word on it, for the
    /// trail: by its open attachments (confirmed over observed), else
    /// rejected, else nil (not held: the trail's "before" is empty).
    private static func heldState(_ kinds: [AttachmentKind], rejected: Bool) -> String? {
        if kinds.contains(.confirmed) { return "confirmed" }
        if kinds.contains(.observed) { return "observed" }
        return rejected ? "rejected" : nil
    }
}

extension Asset {
    /// Records a change of the asset at `time`: `updated_at` moves to it,
    /// or to a millisecond past the last change when that is later (an
    /// old log's event, two changes within one millisecond). Every change
    /// thus gives a new, later `updated_at`: an export's rows and the
    /// API's `ETag` tell versions apart by it.
    public mutating func noteChange(at time: Date) {
        let next = max(EventTime(time).milliseconds, EventTime(updatedAt).milliseconds + 1)
        updatedAt = EventTime(milliseconds: next).date
    }
}
