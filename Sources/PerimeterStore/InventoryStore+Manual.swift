import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite

/// An asset a person creates or imports, with its confirmed atoms
/// (detection properties) already in normal form.
public struct AssetDraft: Sendable {
    public var asset: Asset
    public var confirmedAtoms: [Atom]

    public init(asset: Asset, confirmedAtoms: [Atom]) {
        self.asset = asset
        self.confirmedAtoms = confirmedAtoms
    }
}

extension InventoryStore {
    /// Creates assets in one transaction: all of them or, when one is
    /// refused, none. Confirmed atoms hold from the beginning of time, so
    /// a replay of older events matches them too.
    ///
    /// An exclusive atom already held by another asset of the same scope
    /// is refused rather than silently shared (SPEC §2).
    ///
    /// `changes` (an import's updates of stored assets, made in the
    /// inventory) are written first, in the same transaction. Returns the
    /// ids of the open alerts their changed ratings re-rated.
    @discardableResult
    public func create(_ drafts: [AssetDraft], actor: String, at now: EventTime,
                       along changes: InventoryChanges? = nil) throws -> [Int64] {
        // A first import of a large inventory into a store without assets
        // takes the seed path: the same rows, written in one pass with the
        // indexes and triggers rebuilt once instead of fired per row.
        let storeHasNoAsset = try database.statement("SELECT NOT EXISTS (SELECT 1 FROM assets)")
            .firstRow { $0.int(0) != 0 } ?? false
        if drafts.count >= Self.seedingImportSize && storeHasNoAsset && changes == nil {
            var claimed: [AtomKey: AtomClaim] = [:]
            for draft in drafts {
                if let refusal = try refusal(of: draft, claimed: &claimed) {
                    throw StoreError(code: .conflict, message: refusal.message)
                }
            }
            let (attachments, audit) = try confirmedAttachments(of: drafts, actor: actor, at: now)
            try seed(with: .creating(drafts.map(\.asset), attachments: attachments, audit: audit))
            return []
        }
        var rerated: [Int64] = []
        try writing {
            if let changes { rerated = try write(changes) }
            var claimed: [AtomKey: AtomClaim] = [:]
            for draft in drafts {
                if let refusal = try refusal(of: draft, claimed: &claimed) {
                    throw StoreError(code: .conflict, message: refusal.message)
                }
            }
            let (attachments, audit) = try confirmedAttachments(of: drafts, actor: actor, at: now)
            for draft in drafts { try upsert(draft.asset) }
            try insertConfirmed(attachments)
            let revoked = Set(drafts.filter(\.asset.isRevoked).map(\.asset.id))
            try endObservations(besides: attachments.filter { !revoked.contains($0.asset) },
                                at: now)
            try writeAudit(audit)
        }
        return rerated
    }

    /// The store's side of `Inventory.endObservations`, for the assets the
    /// command line creates here directly: an address a person gives a
    /// host ends the open sightings of it on other hosts, unless it is
    /// shared in its scope or the sighting starts later (the rules of
    /// `Inventory.endObservations`; the caller leaves out revoked hosts).
    private func endObservations(besides attachments: [Attachment], at now: EventTime) throws {
        let end = try database.statement("""
            UPDATE attachments SET valid_to = ?6
            WHERE community = ?1 AND entity = ?2 AND atom_type = ?3 AND atom_value = ?4
              AND asset_uuid != ?5 AND kind = 'observed' AND valid_to IS NULL
              AND valid_from < ?6
              AND NOT EXISTS (SELECT 1 FROM shared_atoms WHERE community = ?1 AND entity = ?2
                              AND atom_type = ?3 AND atom_value = ?4)
            """)
        for a in attachments where a.key.atom.type.isAddress {
            try end.run([.text(a.key.scope.community), .text(a.key.scope.entity ?? ""),
                         .text(a.key.atom.type.rawValue), .text(a.key.atom.value),
                         .text(a.asset.lowercasedText), .integer(now.milliseconds)])
        }
    }

    /// From this many assets, a create into a store without assets seeds it.
    static let seedingImportSize = 1_000

    /// The drafts' confirmed atoms as attachments numbered after the
    /// store's, and the audit record of each creation.
    private func confirmedAttachments(of drafts: [AssetDraft], actor: String,
                                      at now: EventTime) throws
        -> (attachments: [Attachment], audit: [AuditRecord])
    {
        var nextID = try database.statement("SELECT coalesce(max(id), 0) + 1 FROM attachments")
            .firstRow { $0.int(0) } ?? 1
        var attachments: [Attachment] = []
        for draft in drafts {
            let scope = ScopeKey(community: draft.asset.community, entity: draft.asset.entity)
            for atom in Set(draft.confirmedAtoms).sorted() {
                attachments.append(Attachment(
                    id: nextID, key: AtomKey(scope: scope, atom: atom), asset: draft.asset.id,
                    kind: .confirmed, from: .distantPast,
                    origin: "created by \(actor)"))
                nextID += 1
            }
        }
        let audit = drafts.map {
            AuditRecord(asset: $0.asset.id, actor: actor, action: "create", at: now,
                        after: Self.jsonText(Self.summary(of: $0)))
        }
        return (attachments, audit)
    }

    /// An exclusive atom or an address an earlier draft of the same input
    /// gives: which asset, and its name for the refusal. (The whole draft
    /// was kept, about 300 bytes an atom: two thirds of the memory of a
    /// large import's check.)
    public struct AtomClaim: Sendable {
        public let asset: AssetID
        public let assetName: String
    }

    /// A draft's atom that another asset holds, and why it is refused.
    public struct AtomRefusal: Sendable {
        public let atom: Atom
        public let message: String
    }

    /// Why a draft cannot be created beside the store's assets and the
    /// drafts before it in the same batch (`claimed`, which it extends):
    /// an exclusive atom held by another asset, or an address another
    /// asset holds as confirmed (SPEC §2: one host at a time; a person
    /// said so, and two statements must not both stand). An address
    /// discovery saw on another host does not refuse it: that sighting
    /// ends (`endObservations(besides:at:)`). Nil
    /// when the draft can be created.
    public func refusal(of draft: AssetDraft, claimed: inout [AtomKey: AtomClaim]) throws
        -> AtomRefusal? {
        let scope = ScopeKey(community: draft.asset.community, entity: draft.asset.entity)
        var keys: [AtomKey] = []
        for atom in draft.confirmedAtoms where atom.type.isExclusive || atom.type.isAddress {
            let key = AtomKey(scope: scope, atom: atom)
            let rule = atom.type.isAddress ? "an address belongs to one host at a time"
                : "an exclusive atom has one asset"
            if let earlier = claimed[key], earlier.asset != draft.asset.id {
                return AtomRefusal(atom: atom, message: "\(atom.type.rawValue) '\(atom.value)' "
                    + "is also given to '\(earlier.assetName)' earlier in the same input; \(rule)")
            }
            let holder = try openHolder(of: key, confirmedOnly: atom.type.isAddress)
            if let other = holder, other != draft.asset.id {
                // Most often discovery made that asset from events: the
                // person meant to rate or tag it, not to make a second one.
                let name = try asset(id: other, community: scope.community)
                    .map { " (\($0.name), \($0.source.description))" } ?? ""
                return AtomRefusal(atom: atom, message: "\(atom.type.rawValue) '\(atom.value)' "
                    + "already belongs to asset \(other.lowercasedText)\(name); \(rule): to "
                    + "rate, tag or describe that asset, update it (or import with its uuid, "
                    + "or matching by atoms)")
            }
            keys.append(key)
        }
        let claim = AtomClaim(asset: draft.asset.id, assetName: draft.asset.name)
        for key in keys { claimed[key] = claim }
        return nil
    }

    /// A live asset's: a revoked one matches no event and holds nothing a
    /// person may not give its replacement (unrevoking it then records
    /// the clash as a conflict, as discovery's new host of its name does).
    private func openHolder(of key: AtomKey, confirmedOnly: Bool) throws -> AssetID? {
        try database.statement("""
            SELECT asset_uuid FROM attachments
            WHERE community = ?1 AND entity = ?2 AND atom_type = ?3 AND atom_value = ?4
              AND valid_to IS NULL AND (?5 = 0 OR kind = 'confirmed')
              AND NOT EXISTS (SELECT 1 FROM assets
                              WHERE assets.uuid = attachments.asset_uuid AND assets.revoked = 1)
            LIMIT 1
            """).firstRow(Self.keyValues(key) + [.integer(confirmedOnly ? 1 : 0)]) {
                UUID(exactText: $0.text(0))
            } ?? nil
    }

    private func insertConfirmed(_ attachments: [Attachment]) throws {
        let statement = try database.statement("""
            INSERT INTO attachments (id, community, entity, atom_type, atom_value, asset_uuid, kind,
                valid_from, valid_to, origin)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9)
            """)
        for a in attachments {
            try statement.run([
                .integer(a.id), .text(a.key.scope.community), .text(a.key.scope.entity ?? ""),
                .text(a.key.atom.type.rawValue), .text(a.key.atom.value),
                .text(a.asset.lowercasedText), .text(a.kind.rawValue),
                .integer(a.from.milliseconds), .text(a.origin),
            ])
            try writeSightings(of: a.id, lastSeen: a.lastSeen, recent: [], rowMayExist: false)
        }
    }

    private static func summary(of draft: AssetDraft) -> [String: Any] {
        let asset = draft.asset
        var fields: [String: Any] = [
            "name": asset.name, "category": asset.category.rawValue, "reviewed": asset.reviewed,
            "tags": asset.tags.sorted(), "description": asset.description,
            "atoms": draft.confirmedAtoms.sorted().map(\.description),
        ]
        fields["criticality"] = asset.criticality?.value ?? NSNull()
        fields["subcategory"] = asset.subcategory?.rawValue ?? NSNull()
        fields["properties"] = asset.properties.mapValues(\.jsonObject)
        // What else a creation can set: an import makes an entity's asset,
        // or one revoked from the start.
        fields["entity"] = asset.entity ?? NSNull()
        if asset.isRevoked { fields["revoked"] = true }
        return fields
    }
}
