import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite

extension InventoryStore {
    // MARK: - Assets

    /// The assets matching a query, and how many match in all.
    public func assets(matching query: AssetQuery) throws -> (total: Int, assets: [Asset]) {
        let (condition, filterValues) = try filterClause(for: query,
                                                         listing: try textPlan(for: query))
        var values = filterValues
        func bind(_ value: SQLValue) -> String {
            values.append(value)
            return "?\(values.count)"
        }
        let total = try database.statement("SELECT count(*) FROM assets WHERE \(condition)")
            .firstRow(values) { Int($0.int(0)) } ?? 0

        let direction = query.descending ? "DESC" : "ASC"
        let order: String
        switch query.sort {
        case .name: order = "name COLLATE NOCASE \(direction), uuid"
        case .criticality: order = "criticality IS NULL, criticality \(direction), name COLLATE NOCASE, uuid"
        case .lastSeen: order = "last_seen \(direction), name COLLATE NOCASE, uuid"
        case .createdAt: order = "created_at \(direction), uuid"
        }
        var sql = """
            SELECT \(Self.assetColumns) FROM \(Self.assetTables) WHERE \(condition) ORDER BY \(order)
            """
        // No limit with an offset is SQLite's LIMIT -1: the offset was
        // dropped with the limit, and `--offset 10` listed from the first.
        if query.limit != nil || query.offset > 0 {
            sql += " LIMIT \(bind(.integer(Int64(query.limit ?? -1)))) "
                + "OFFSET \(bind(.integer(Int64(query.offset))))"
        }
        let assets = try database.statement(sql).rows(values) { try Self.asset(from: $0) }
        return (total, assets)
    }

    /// One asset by uuid, or by its name when exactly one asset has it.
    /// The name is read composed (NFC), as names are kept: one typed with
    /// a decomposed accent finds the asset it made.
    public func asset(named given: String, community: String) throws -> Asset {
        let reference = given.composedText
        if let id = UUID(exactText: reference) {
            if let asset = try database.statement("""
                SELECT \(Self.assetColumns) FROM \(Self.assetTables) WHERE uuid = ?1 AND community = ?2
                """)
                .firstRow([.text(id.lowercasedText), .text(community)],
                          { try Self.asset(from: $0) }) {
                return asset
            }
        }
        let found = try database.statement("""
            SELECT \(Self.assetColumns) FROM \(Self.assetTables)
            WHERE community = ?1 AND name = ?2 COLLATE NOCASE
            ORDER BY revoked, uuid LIMIT 5
            """).rows([.text(community), .text(reference)]) { try Self.asset(from: $0) }
        switch found.count {
        case 1: return found[0]
        case 0:
            // The start of a uuid, as `atoms conflicts` shows them to tell
            // assets of one name apart: at least 8 of its characters.
            let lowered = reference.lowercased()
            if lowered.count >= 8, lowered.count < 36,
               lowered.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                let prefixed = try database.statement("""
                    SELECT \(Self.assetColumns) FROM \(Self.assetTables)
                    WHERE community = ?1 AND uuid >= ?2 AND uuid < ?2 || 'g' ORDER BY uuid LIMIT 2
                    """).rows([.text(community), .text(lowered)]) { try Self.asset(from: $0) }
                if prefixed.count == 1 { return prefixed[0] }
                if prefixed.count > 1 {
                    throw StoreError(code: .ambiguous,
                                     message: "several assets' uuids start with '\(reference)' in "
                                        + "community '\(community)': give more of it")
                }
            }
            throw StoreError(code: .notFound,
                             message: "no asset '\(reference)' in community '\(community)'")
        default:
            // Each with what it is (a host and an account share `admin`).
            let ids = found.map { asset in
                var kind = asset.category.rawValue
                if let entity = asset.entity { kind += " of \(entity)" }
                if asset.isRevoked { kind += ", revoked" }
                return "\(asset.id.lowercasedText) (\(kind))"
            }.joined(separator: ", ")
            // Five are shown; the count says how many more there are.
            let total = found.count < 5 ? found.count : try database.statement(
                "SELECT count(*) FROM assets WHERE community = ?1 AND name = ?2 COLLATE NOCASE"
            ).firstRow([.text(community), .text(reference)]) { Int($0.int(0)) } ?? found.count
            let more = total > found.count ? " and \(total - found.count) more" : ""
            throw StoreError(code: .ambiguous,
                             message: "\(total) assets are named '\(reference)'; give a uuid: "
                                 + "\(ids)\(more)")
        }
    }

    /// Whether the community has an asset of this category and name, in
    /// any case.
    public func hasAsset(named name: String, category: AssetCategory,
                         community: String) throws -> Bool {
        try database.statement("""
            SELECT EXISTS (SELECT 1 FROM assets
                           WHERE community = ?1 AND name = ?2 COLLATE NOCASE AND category = ?3)
            """).firstRow([.text(community), .text(name), .text(category.rawValue)]) {
                $0.int(0) != 0
            } ?? false
    }

    /// Whether any community's asset has this uuid (an erased one's
    /// included: `forgotten` keeps no uuid, so it is not): an import keeps
    /// an exported uuid only where no asset has it.
    public func uuidIsTaken(_ id: AssetID) throws -> Bool {
        try database.statement("SELECT EXISTS (SELECT 1 FROM assets WHERE uuid = ?1)")
            .firstRow([.text(id.lowercasedText)]) { $0.int(0) != 0 } ?? false
    }

    // MARK: - Atoms and timeline

    /// Every attachment of an asset, oldest first, as the views show
    /// them: of those that hold no time (`Attachment.holdsNoTime`), only
    /// the ones of an atom a person rejected for the asset, which say so.
    public func attachments(ofAsset id: AssetID) throws -> [Attachment] {
        try database.statement("""
            \(Self.attachmentSelection) WHERE asset_uuid = ?1 AND \(Self.shownInViews)
            ORDER BY valid_from, id
            """).rows([.text(id.lowercasedText)]) { Self.attachment(from: $0) }
            .compactMap { $0 }
    }

    /// The asset's rejections of atoms it never held, as the views show a
    /// rejection (an attachment holding no time, never seen, numbered 0):
    /// rejecting an atom ahead of discovery works, and showed nowhere but
    /// in the audit trail. `shown` are the attachments the view has.
    public func rejectionsNeverHeld(by asset: Asset, besides shown: [Attachment]) throws
        -> [Attachment] {
        let held = Set(shown.map(\.key.atom))
        let scope = ScopeKey(community: asset.community, entity: asset.entity)
        return try database.statement("""
            SELECT atom_type, atom_value FROM rejected_atoms WHERE asset_uuid = ?1
            ORDER BY atom_type, atom_value
            """).rows([.text(asset.id.lowercasedText)]) { row -> Attachment? in
            guard let type = AtomType(rawValue: row.text(0)) else { return nil }
            let atom = Atom(type: type, normalizedValue: row.text(1))
            guard !held.contains(atom) else { return nil }
            return Attachment(id: 0, key: AtomKey(scope: scope, atom: atom), asset: asset.id,
                              kind: .confirmed, from: .distantPast, to: .distantPast,
                              lastSeen: .distantPast, origin: "rejected")
        }.compactMap { $0 }
    }

    /// The attachments the views show: an empty interval `[t, t)` only
    /// when it is a rejection (`Inventory.reject` empties the attachments
    /// of the atom it rejects).
    private static let shownInViews = """
        (valid_to IS NULL OR valid_to <> valid_from OR EXISTS (
            SELECT 1 FROM rejected_atoms r WHERE r.asset_uuid = attachments.asset_uuid
            AND r.atom_type = attachments.atom_type AND r.atom_value = attachments.atom_value))
        """

    /// The attachments of a batch of assets, by asset.
    public func attachments(ofAssets ids: [AssetID]) throws -> [AssetID: [Attachment]] {
        var result: [AssetID: [Attachment]] = [:]
        for id in ids { result[id] = try attachments(ofAsset: id) }
        return result
    }

    /// Every attachment of an atom in a community (all entities), oldest
    /// first, as the views show them (`shownInViews`).
    public func attachments(ofAtom atom: Atom, community: String) throws -> [Attachment] {
        try database.statement("""
            \(Self.attachmentSelection) WHERE community = ?1 AND atom_type = ?2 AND atom_value = ?3
              AND \(Self.shownInViews)
            ORDER BY valid_from, id
            """).rows([.text(community), .text(atom.type.rawValue), .text(atom.value)]) {
            Self.attachment(from: $0)
        }.compactMap { $0 }
    }

    /// The attachments of the domain-qualified user names whose bare name
    /// is `bareName` (`corp\alice` for `alice`), oldest first: an analyst
    /// names an account by its user name alone. `bareName` is a normalised
    /// user name without a domain.
    public func attachments(ofQualifiedNamesOf bareName: String,
                            community: String) throws -> [Attachment] {
        guard !bareName.isEmpty, !bareName.contains("\\") else { return [] }
        let suffix = "\\" + bareName
        return try database.statement("""
            \(Self.attachmentSelection) WHERE community = ?1 AND atom_type = 'username'
              AND substr(atom_value, -?3) = ?2 AND \(Self.shownInViews)
            ORDER BY valid_from, id
            """).rows([.text(community), .text(suffix),
                       .integer(Int64(suffix.unicodeScalars.count))]) {
            Self.attachment(from: $0)
        }.compactMap { $0 }
    }

    /// Every attachment of a type in a community (all entities), oldest
    /// first: the network ranges (`cidr`) are few, and an address is
    /// looked up among all of them.
    public func attachments(ofType type: AtomType, community: String) throws -> [Attachment] {
        try database.statement("""
            \(Self.attachmentSelection) WHERE community = ?1 AND atom_type = ?2
              AND \(Self.shownInViews)
            ORDER BY valid_from, id
            """).rows([.text(community), .text(type.rawValue)]) {
            Self.attachment(from: $0)
        }.compactMap { $0 }
    }

    /// Events seen per week for an atom, oldest week first.
    public func weeklyActivity(of atom: Atom, community: String) throws -> [(EventTime, Int)] {
        try database.statement("""
            SELECT week_start, sum(count) FROM atom_activity
            WHERE atom IN (SELECT id FROM atoms
                           WHERE community = ?1 AND atom_type = ?2 AND atom_value = ?3)
            GROUP BY week_start ORDER BY week_start
            """).rows([.text(community), .text(atom.type.rawValue), .text(atom.value)]) {
            (EventTime(milliseconds: $0.int(0)), Int($0.int(1)))
        }
    }

    /// The entities (empty text: community-wide) in which an atom became a
    /// shared atom, held by no host (SPEC §2, shared addresses), with when
    /// (nil: shared since before that was recorded).
    public func sharedScopes(of atom: Atom, community: String) throws
        -> [(entity: String, since: EventTime?)] {
        try database.statement("""
            SELECT entity, since FROM shared_atoms
            WHERE community = ?1 AND atom_type = ?2 AND atom_value = ?3 ORDER BY entity
            """).rows([.text(community), .text(atom.type.rawValue), .text(atom.value)]) {
            ($0.text(0), $0.isNull(1) ? nil : EventTime(milliseconds: $0.int(1)))
        }
    }

    /// Conflicts recorded on an asset's exclusive atoms.
    public func conflicts(involving id: AssetID) throws -> [AtomConflict] {
        let pattern = "%" + id.lowercasedText + "%"
        return try database.statement("""
            SELECT community, entity, atom_type, atom_value, assets, at, reason FROM conflicts
            WHERE assets LIKE ?1 ORDER BY at
            """).rows([.text(pattern)], Self.conflict).compactMap { $0 }
    }

    /// A `conflicts` row read from `community, entity, atom_type,
    /// atom_value, assets, at, reason`.
    private static func conflict(from row: Row) -> AtomConflict? {
        guard let key = atomKey(row, from: 0) else { return nil }
        let assets = row.text(4).split(separator: ",").compactMap { UUID(exactText: String($0)) }
        return AtomConflict(key: key, assets: assets, at: EventTime(milliseconds: row.int(5)),
                            reason: row.text(6))
    }

    /// An exclusive atom that several assets claim: the conflicts recorded
    /// about it merged, with every asset they named.
    public struct ClaimedAtom: Sendable, Hashable {
        public var key: AtomKey
        /// The first conflict's reason.
        public var reason: String
        /// When the first conflict was recorded.
        public var since: EventTime
        /// Each asset once, in the order the conflicts named them.
        public var assets: [AssetID]
    }

    /// The atoms of a community in conflict, the most claimed first (then
    /// the oldest): what an analyst goes through after an ingest counted
    /// them. An asset that rejected the atom, was revoked or erased claims
    /// it no more, and an atom left with one claimant is no longer listed:
    /// that is how an analyst resolves a conflict. (The conflicts stay
    /// recorded, for `assets show` and the API's asset history.)
    public func claimedAtoms(community: String) throws -> [ClaimedAtom] {
        var merged: [ClaimedAtom] = []
        var byKey: [AtomKey: Int] = [:]
        for conflict in try conflicts(community: community) {
            guard let index = byKey[conflict.key] else {
                byKey[conflict.key] = merged.count
                merged.append(ClaimedAtom(key: conflict.key, reason: conflict.reason,
                                          since: conflict.at, assets: conflict.assets))
                continue
            }
            for asset in conflict.assets where !merged[index].assets.contains(asset) {
                merged[index].assets.append(asset)
            }
        }
        // Two reads for the whole list, not one per asset and atom: the
        // live assets among those named, and the rejections they made.
        var named = Set<AssetID>()
        for claimed in merged { named.formUnion(claimed.assets) }
        let live = Set(try database.statement("""
            SELECT uuid FROM assets WHERE community = ?1 AND revoked = 0
              AND uuid IN (SELECT value FROM json_each(?2))
            """).rows([.text(community), .text(Self.jsonText(named.map(\.lowercasedText)))]) {
            UUID(exactText: $0.text(0))
        }.compactMap { $0 })
        struct Rejection: Hashable { var asset: AssetID; var type: String; var value: String }
        let rejected = Set(try database.statement("""
            SELECT r.asset_uuid, r.atom_type, r.atom_value FROM rejected_atoms r
            WHERE r.asset_uuid IN (SELECT value FROM json_each(?1))
            """).rows([.text(Self.jsonText(live.map(\.lowercasedText)))]) { row in
            UUID(exactText: row.text(0)).map {
                Rejection(asset: $0, type: row.text(1), value: row.text(2))
            }
        }.compactMap { $0 })
        for index in merged.indices {
            let atom = merged[index].key.atom
            merged[index].assets.removeAll { asset in
                !live.contains(asset) || rejected.contains(
                    Rejection(asset: asset, type: atom.type.rawValue, value: atom.value))
            }
        }
        merged.removeAll { $0.assets.count < 2 }
        return merged.sorted { ($1.assets.count, $0.since) < ($0.assets.count, $1.since) }
    }

    /// The names of the assets the atoms name, by uuid; an erased asset,
    /// whose uuid its conflicts keep, is "(erased)".
    public func assetNames(of atoms: some Sequence<ClaimedAtom>,
                           community: String) throws -> [AssetID: String] {
        var names: [AssetID: String] = [:]
        for id in atoms.lazy.flatMap(\.assets) where names[id] == nil {
            names[id] = try asset(id: id, community: community)?.name ?? "(erased)"
        }
        return names
    }

    /// The conflicts recorded in a community, oldest first: every clash
    /// over an exclusive atom, each listing the holders so far.
    public func conflicts(community: String) throws -> [AtomConflict] {
        try database.statement("""
            SELECT community, entity, atom_type, atom_value, assets, at, reason FROM conflicts
            WHERE community = ?1 ORDER BY at, id
            """).rows([.text(community)], Self.conflict).compactMap { $0 }
    }

    /// The audit trail of one asset, oldest first.
    public func audit(of id: AssetID) throws -> [AuditRecord] {
        try database.statement("""
            SELECT asset_uuid, actor, action, at, before, after FROM audit
            WHERE asset_uuid = ?1 ORDER BY id
            """).rows([.text(id.lowercasedText)]) { row in
            AuditRecord(asset: id, actor: row.text(1), action: row.text(2),
                        at: EventTime(milliseconds: row.int(3)), before: row.optionalText(4),
                        after: row.optionalText(5))
        }
    }

    /// Counts for the summary: assets per category and source.
    public func assetCounts(community: String) throws -> [(category: String, source: String, count: Int)] {
        try database.statement("""
            SELECT category, source, count(*) FROM assets WHERE community = ?1 AND revoked = 0
            GROUP BY category, source ORDER BY category, source
            """).rows([.text(community)]) { ($0.text(0), $0.text(1), Int($0.int(2))) }
    }

    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
