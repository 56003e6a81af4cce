import Foundation
import PerimeterInventory
import PerimeterJSON
import PerimeterModel
import PerimeterSQLite

/// What an erasure on request (SPEC §2 `forget`) removed, or would remove
/// in a dry run: rows deleted and rows whose text was redacted, by table.
///
/// It holds the erased atoms' keys so that the caller can drop them from
/// an in-memory inventory too; nothing of it is stored.
public struct ForgetOutcome: Sendable, Equatable {
    /// Rows deleted, by table name.
    public var deleted: [String: Int] = [:]
    /// Rows kept with the value replaced by `ForgetOutcome.marker`, by table.
    public var redacted: [String: Int] = [:]
    /// Every scoped atom erased, for `Inventory.forget`.
    public var erasedKeys: [AtomKey] = []
    /// The account erased, when the request named one.
    public var erasedAsset: AssetID?
    /// Assets kept whose name, description or properties were redacted,
    /// as they now are (an in-memory inventory puts them in place).
    public var redactedAssets: [Asset] = []
    /// True when nothing was written.
    public var isDryRun = false

    /// What replaces an erased value in text that is kept (audit, alerts).
    public static let marker = "[erased]"

    /// Rows deleted and redacted, over every table: `forgotten.rows_erased`.
    public var rowsErased: Int {
        deleted.values.reduce(0, +) + redacted.values.reduce(0, +)
    }
}

extension InventoryStore {
    /// Erases one atom from a community: every attachment of it (all
    /// intervals, all assets), its activity, its unclaimed, shared,
    /// rejected and conflict rows, the free-text rows that quote it; the
    /// audit trail, alerts, jobs and asset texts that quote it keep their
    /// rows with the value replaced by `ForgetOutcome.marker`. `entity`
    /// nil erases it in every entity of the community and community-wide.
    ///
    /// One transaction; the erasure is recorded in `forgotten` and the
    /// audit trail by type, never by value. A dry run counts the same rows
    /// in the same transaction and rolls it back.
    public func forget(_ atom: Atom, community: String, entity: String? = nil, actor: String,
                       at now: EventTime, dryRun: Bool = false) throws -> ForgetOutcome {
        try erasing(dryRun: dryRun) { outcome in
            let keys = try storedKeys(of: atom, community: community, entity: entity)
            let holders = try erase(keys, atom: atom, community: community, entity: entity,
                                    into: &outcome)
            try redact(Self.spellings(of: atom), community: community, entity: entity, at: now,
                       into: &outcome)
            let assets = holders.isEmpty ? [Self.noAsset]
                : holders.sorted { $0.uuidString < $1.uuidString }
            try record(type: atom.type.rawValue, action: "forget_atom", community: community,
                       assets: assets,
                       actor: Self.actor(actor, without: Self.spellings(of: atom)),
                       at: now, outcome: &outcome)
        }
    }

    /// Erases an account: the asset, its tags, every atom it ever held
    /// (each erased as `forget(_:community:...)` erases one, whoever else
    /// held it), its rejected atoms, the conflicts naming it, and its place
    /// in alerts. Its audit rows stay, emptied of the before and after they
    /// quoted, so that the trail shows who changed it when and that it was
    /// erased.
    ///
    /// Only accounts: a host or a network is no person's data, and its
    /// atoms are erased one by one.
    public func forget(asset id: AssetID, community: String, actor: String, at now: EventTime,
                       dryRun: Bool = false) throws -> ForgetOutcome {
        let uuid = id.lowercasedText
        guard let asset = try asset(id: id, community: community) else {
            throw StoreError(code: .notFound, message: "cannot forget asset \(uuid): "
                             + "no such asset in community '\(community)' (while erasing)")
        }
        guard asset.category == .account else {
            throw StoreError(code: .invalid, message: "cannot forget asset \(uuid): it is a "
                             + "\(asset.category.rawValue), and only accounts are erased whole; "
                             + "erase its atoms one by one instead (while erasing)")
        }
        return try erasing(dryRun: dryRun) { outcome in
            outcome.erasedAsset = id
            let keys = try database.statement("""
                SELECT DISTINCT community, entity, atom_type, atom_value FROM attachments
                WHERE asset_uuid = ?1 ORDER BY 3, 4, 2
                """).rows([.text(uuid)]) { Self.atomKey($0, from: 0) }.compactMap { $0 }
            // The person's values go wherever the community holds them,
            // in every entity, whichever scope the account held them in.
            for atom in Set(keys.map(\.atom)).sorted() {
                let all = try storedKeys(of: atom, community: community, entity: nil)
                _ = try erase(all, atom: atom, community: community, entity: nil, into: &outcome)
            }
            try delete("rejected_atoms", "DELETE FROM rejected_atoms WHERE asset_uuid = ?1",
                       [.text(uuid)], into: &outcome)
            try delete("conflicts", """
                DELETE FROM conflicts WHERE community = ?2 AND ',' || assets || ',' LIKE ?1
                """, [.text("%," + uuid + ",%"), .text(community)], into: &outcome)
            // Untagged first: the tag counts' trigger reads the asset's row.
            // A tag of the person's alone (`ext-kim-family`) leaves no count.
            let tags = try database.statement("SELECT tag FROM asset_tags WHERE asset_uuid = ?1")
                .rows([.text(uuid)]) { $0.text(0) }
            try delete("asset_tags", "DELETE FROM asset_tags WHERE asset_uuid = ?1", [.text(uuid)],
                       into: &outcome)
            let dropCount = try database.statement(
                "DELETE FROM asset_tag_counts WHERE community = ?1 AND tag = ?2 AND n <= 0")
            for tag in tags { try dropCount.run([.text(community), .text(tag)]) }
            try delete("assets", "DELETE FROM assets WHERE uuid = ?1", [.text(uuid)],
                       into: &outcome)
            try deleteText(of: uuid, into: &outcome)
            // The account's own trail keeps who did what when, not what it
            // held: its description, properties and tags were the person's
            // too (a full name, a title, "on sick leave"), and the asset
            // they described is gone.
            let emptied = try database.statement("""
                UPDATE audit SET before = NULL, after = NULL
                WHERE community = ?1 AND asset_uuid = ?2
                  AND (before IS NOT NULL OR after IS NOT NULL)
                """)
            try emptied.run([.text(community), .text(uuid)])
            let emptiedRows = database.changes
            if emptiedRows > 0 { outcome.redacted["audit", default: 0] += emptiedRows }

            var values = Set(keys.map(\.atom).flatMap(Self.spellings(of:)))
            values.insert(asset.name)
            try redact(values.sorted(), community: community, removingAsset: uuid,
                       alsoAboutIt: Self.bareNames(of: keys.map(\.atom)), at: now,
                       into: &outcome)
            let actor = Self.actor(actor, without: values.sorted() + Self.bareNames(of: keys.map(\.atom)))
            try record(type: AssetCategory.account.rawValue, action: "forget_asset",
                       community: community, assets: [id], actor: actor, at: now,
                       outcome: &outcome)
        }
    }

    /// The user parts of an account's domain-qualified names (`ann.lee`
    /// of `corp\ann.lee`): ECS splits the name into `user.name` and
    /// `user.domain`, so the events of the account's alerts, and its own
    /// audit rows, quote the bare name, which the qualified one's
    /// whole-word redaction does not reach. Only there: elsewhere the
    /// bare name may be another person's (`OTHER\ann.lee`, a local one).
    static func bareNames(of atoms: [Atom]) -> [String] {
        Set(atoms.compactMap(\.bareUserName).filter { !$0.isEmpty }).sorted()
    }

    /// How texts may spell an atom: its value, and a user name qualified
    /// by a dotted domain (`corp.example.com\ivo`, the normal form) also
    /// as the UPN it was most likely written as (`Ivo@corp.example.com`,
    /// an account's name taken from the event).
    static func spellings(of atom: Atom) -> [String] {
        guard atom.isQualifiedUserName, let user = atom.bareUserName, !user.isEmpty else {
            return [atom.value]
        }
        let domain = String(atom.value.dropLast(user.count + 1))
        guard domain.contains(".") else { return [atom.value] }
        return [atom.value, user + "@" + domain]
    }

    /// The audit rows of an erasure of no asset's atom name this uuid.
    static let noAsset = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    // MARK: - Steps

    /// Runs an erasure in one store transaction; a dry run rolls it back.
    private func erasing(dryRun: Bool,
                         _ body: (inout ForgetOutcome) throws -> Void) throws -> ForgetOutcome {
        struct DryRunRollback: Error { var outcome: ForgetOutcome }
        // Deleted content is overwritten with zeros in the file, not left
        // in free pages where a copy of the file would still show it.
        try database.execute("PRAGMA secure_delete = ON")
        defer { try? database.execute(Self.everydaySecureDelete) }
        do {
            let outcome = try transaction { () throws -> ForgetOutcome in
                var outcome = ForgetOutcome()
                try body(&outcome)
                if dryRun { throw DryRunRollback(outcome: outcome) }
                return outcome
            }
            // Ids of deleted `atoms` rows must not be reused from memory.
            forgetRememberedAtomIDs()
            // After the erasure committed: a failure here (a full disk as
            // the log grows) must not report the erasure as failed, nor
            // skip the index merge and the checkpoint below.
            try? zeroFreePages()
            // The deleted texts' trigrams stay in FTS5's segments until
            // they merge, and the pages as they were before the erasure
            // stay in the write-ahead log until a checkpoint: both now, so
            // that the value leaves the files (about 5 s at a million
            // assets). The checkpoint is best effort: a reader holding an
            // older snapshot keeps those frames until it is done.
            try database.execute("INSERT INTO asset_text (asset_text) VALUES ('optimize')")
            try? database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return outcome
        } catch let rollback as DryRunRollback {
            var outcome = rollback.outcome
            outcome.isDryRun = true
            outcome.redactedAssets = []
            return outcome
        }
    }

    /// Who asked, as the erasure records it, with the erased value taken
    /// out: a person asking to erase their own email named themselves by
    /// it, and the record of the erasure kept it.
    static func actor(_ actor: String, without values: [String]) -> String {
        TextRedaction.redacting(values.flatMap { TextRedaction.needles(for: $0) }, in: actor)
    }

    /// Overwrites the pages on SQLite's free list with zeros. Pages freed
    /// whole before the erasure (the search text's queue, emptied at every
    /// commit of an ingest, held each new atom's value) kept their content
    /// there: after an account of 200 emails was erased, 154 of them were
    /// still in the file. A table of zeros takes those pages (SQLite
    /// allocates from its free list first) and is dropped again, with
    /// `secure_delete` on; each of its rows spans at most 65,536 pages.
    private func zeroFreePages() throws {
        let free = try database.statement("PRAGMA freelist_count").firstRow { $0.int(0) } ?? 0
        guard free > 0 else { return }
        // Every free page is taken, the list's trunk pages too (whose ends
        // keep what they held before): the file may grow by a page or two.
        var pages = free
        let pageSize = try database.statement("PRAGMA page_size").firstRow { $0.int(0) } ?? 4096
        try transaction {
            try database.execute("CREATE TABLE erased_pages_scratch (zeros BLOB)")
            let insert = try database.statement(
                "INSERT INTO erased_pages_scratch (zeros) VALUES (zeroblob(?1))")
            while pages > 0 {
                let taken = min(pages, 65_536)
                // An overflow page holds its size less a 4-byte link.
                try insert.run([.integer(taken * (pageSize - 4))])
                pages -= taken
            }
            try database.execute("DROP TABLE erased_pages_scratch")
        }
    }

    /// The scoped keys under which an atom is stored anywhere in a
    /// community (or in one entity of it).
    private func storedKeys(of atom: Atom, community: String,
                            entity: String?) throws -> [AtomKey] {
        var entities = Set<String>()
        let values: [SQLValue] = [.text(community), .text(atom.type.rawValue), .text(atom.value)]
        // Indexed by (community, type, value).
        for table in ["attachments", "atoms"] {
            try database.statement("""
                SELECT DISTINCT entity FROM \(table)
                WHERE community = ?1 AND atom_type = ?2 AND atom_value = ?3
                """).forEachRow(values) { entities.insert($0.text(0)) }
        }
        // Keyed by (community, entity, type, value): each entity of the
        // community is probed through the key, where a search by value
        // would read every row (millions of unclaimed external addresses).
        for table in ["unclaimed_atoms", "shared_atoms", "conflicts"] {
            let first = try database.statement(
                "SELECT min(entity) FROM \(table) WHERE community = ?1 AND entity >= ''")
            let next = try database.statement(
                "SELECT min(entity) FROM \(table) WHERE community = ?1 AND entity > ?2")
            let probe = try database.statement("""
                SELECT EXISTS (SELECT 1 FROM \(table) WHERE community = ?1 AND entity = ?2
                               AND atom_type = ?3 AND atom_value = ?4)
                """)
            var entity = try first.firstRow([.text(community)]) { $0.optionalText(0) } ?? nil
            while let current = entity {
                let holds = try probe.firstRow([.text(community), .text(current),
                                                .text(atom.type.rawValue), .text(atom.value)]) {
                    $0.int(0) != 0
                }
                if holds == true { entities.insert(current) }
                entity = try next.firstRow([.text(community), .text(current)]) {
                    $0.optionalText(0)
                } ?? nil
            }
        }
        return entities.filter { entity == nil || $0 == entity }.sorted().map {
            AtomKey(scope: ScopeKey(community: community, entity: $0.isEmpty ? nil : $0),
                    atom: atom)
        }
    }

    /// Deletes every row of an atom under the given keys, and its
    /// rejections by assets of `entity` (nil: of any); returns the assets
    /// that held it.
    private func erase(_ keys: [AtomKey], atom: Atom, community: String, entity: String?,
                       into outcome: inout ForgetOutcome) throws -> Set<AssetID> {
        var holders = Set<AssetID>()
        for key in keys {
            let values = Self.keyValues(key)
            let match = "community = ?1 AND entity = ?2 AND atom_type = ?3 AND atom_value = ?4"
            try database.statement("SELECT DISTINCT asset_uuid FROM attachments WHERE \(match)")
                .forEachRow(values) { row in
                    if let id = UUID(exactText: row.text(0)) { holders.insert(id) }
                }
            // Counted here rather than left to the delete trigger, so that
            // the erasure's report counts every row it removed.
            try delete("attachment_sightings", """
                DELETE FROM attachment_sightings
                WHERE attachment IN (SELECT id FROM attachments WHERE \(match))
                """, values, into: &outcome)
            try delete("attachments", "DELETE FROM attachments WHERE \(match)", values,
                       into: &outcome)
            try delete("atom_activity", """
                DELETE FROM atom_activity WHERE atom IN (SELECT id FROM atoms WHERE \(match))
                """, values, into: &outcome)
            for table in ["atoms", "unclaimed_atoms", "shared_atoms", "conflicts"] {
                try delete(table, "DELETE FROM \(table) WHERE \(match)", values, into: &outcome)
            }
            outcome.erasedKeys.append(key)
        }
        // Rejections carry no scope: the rejecting asset's is theirs.
        // The rejections of the value are few: each is checked against its
        // asset, rather than every asset of the community against them.
        try delete("rejected_atoms", """
            DELETE FROM rejected_atoms WHERE atom_type = ?2 AND atom_value = ?3
              AND (SELECT community = ?1 AND (?4 IS NULL OR entity = ?4) FROM assets
                   WHERE uuid = rejected_atoms.asset_uuid)
            """, [.text(community), .text(atom.type.rawValue), .text(atom.value),
                  entity.map { .text($0) } ?? .null], into: &outcome)
        try deleteText(quoting: [atom.value], community: community, entity: entity,
                       into: &outcome)
        return holders
    }

    private func delete(_ table: String, _ sql: String, _ values: [SQLValue],
                        into outcome: inout ForgetOutcome) throws {
        try database.statement(sql).run(values)
        if database.changes > 0 { outcome.deleted[table, default: 0] += database.changes }
    }

    /// Deletes the free-text rows (and queued ones) of the community's
    /// assets, or of one entity's, that quote a value, by rowid: FTS5 rows
    /// cannot be updated in place, and the asset's other texts stay.
    private func deleteText(quoting values: [String], community: String, entity: String?,
                            into outcome: inout ForgetOutcome) throws {
        let entityAssets = try entity.map { entity in
            Set(try database.statement(
                "SELECT uuid FROM assets WHERE community = ?1 AND entity = ?2")
                .rows([.text(community), .text(entity)]) { $0.text(0) })
        }
        let isInScope = { (rowCommunity: String, uuid: String) -> Bool in
            rowCommunity == community && entityAssets.map { $0.contains(uuid) } != false
        }
        for value in values {
            let needles = TextRedaction.needles(for: value)
            // The trigram index answers a phrase of three characters or
            // more; a shorter value is looked for in every row.
            let columns = "SELECT rowid, text, community, asset_uuid FROM asset_text"
            let candidates = value.count >= 3 ? columns + " WHERE asset_text MATCH ?1"
                : columns + " WHERE ?1 IS NOT NULL"
            let phrase = "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            let rowids = try database.statement(candidates).rows([.text(phrase)]) { row in
                (row.int(0), row.text(1), row.text(2), row.text(3))
            }.filter { isInScope($0.2, $0.3) && TextRedaction.quotes($0.1, needles) }.map(\.0)
            for rowid in rowids {
                try delete("asset_text", "DELETE FROM asset_text WHERE rowid = ?1",
                           [.integer(rowid)], into: &outcome)
            }
            let queued = try database.statement(
                "SELECT rowid, text, asset_uuid FROM asset_text_pending WHERE community = ?1")
                .rows([.text(community)]) { ($0.int(0), $0.text(1), $0.text(2)) }
                .filter { isInScope(community, $0.2) && TextRedaction.quotes($0.1, needles) }
                .map(\.0)
            for rowid in queued {
                try delete("asset_text", "DELETE FROM asset_text_pending WHERE rowid = ?1",
                           [.integer(rowid)], into: &outcome)
            }
        }
    }

    /// Deletes every free-text row of an erased asset.
    private func deleteText(of uuid: String, into outcome: inout ForgetOutcome) throws {
        try delete("asset_text", "DELETE FROM asset_text WHERE asset_uuid = ?1", [.text(uuid)],
                   into: &outcome)
        try delete("asset_text", "DELETE FROM asset_text_pending WHERE asset_uuid = ?1",
                   [.text(uuid)], into: &outcome)
    }

    /// Replaces each value, where a text column of the community quotes
    /// it as a whole word, by the marker: the audit trail's before and
    /// after, the alerts' events, assets, closing reasons and rule titles,
    /// jobs' requests and errors, assets' names, descriptions and
    /// properties, and where attachments were seen (`FILE:LINE`). An erased
    /// account leaves the asset lists of the alerts about it; the alerts
    /// stay (they are about what happened). With `entity`, only the rows
    /// of that entity's assets and alerts (jobs have no entity).
    private func redact(_ values: [String], community: String, entity: String? = nil,
                        removingAsset uuid: String? = nil, alsoAboutIt bareNames: [String] = [],
                        at now: EventTime, into outcome: inout ForgetOutcome) throws {
        let needles = values.flatMap { TextRedaction.needles(for: $0) }
        guard !needles.isEmpty else { return }
        // Redacted too, but only in the alerts and audit rows about the
        // erased asset (`bareNames(of:)`).
        let aboutNeedles = needles + bareNames.flatMap { TextRedaction.needles(for: $0) }
        let columns: [(table: String, key: String, isInteger: Bool, columns: [String])] = [
            ("audit", "id", true, ["before", "after"]),
            // An analyst's reason for closing may name the person, and so
            // may a rule's title (a rule written about one account); the
            // alert keeps the rule's id.
            ("alerts", "id", true, ["assets", "first_event", "last_event", "close_reason",
                                    "rule_title"]),
            ("jobs", "id", false, ["request", "error"]),
            ("assets", "uuid", false, ["name", "description", "properties"]),
        ]
        // Columns of JSON: their member names are Perimeter's or ECS's
        // words, never the erased person's, and must survive an erasure
        // of a user named "value" or "host".
        let jsonColumns: Set<String> = ["before", "after", "assets", "first_event", "last_event",
                                        "request", "properties"]
        var redactedAssets: Set<String> = []
        var alertsWithChangedAssets: [Int64] = []
        for (table, key, isInteger, names) in columns where entity == nil || table != "jobs" {
            // A row found by an earlier group of needles is redacted once,
            // of all of them.
            var done: Set<String> = []
            for group in TextRedaction.groups(of: needles) {
                // Narrowed in SQL, then checked for whole words here.
                var (anyQuote, values) = TextRedaction.mayQuote(group, in: names,
                                                                community: community)
                if table == "alerts", let uuid {
                    values.append(.text(uuid))
                    anyQuote += " OR instr(assets, ?\(values.count)) > 0"
                }
                // Whether a row is about the erased asset, read before its
                // uuid leaves the alert's list.
                var about = "0"
                if let uuid, table == "alerts" || table == "audit" {
                    values.append(.text(uuid))
                    about = table == "alerts" ? "instr(assets, ?\(values.count)) > 0"
                        : "asset_uuid = ?\(values.count)"
                    if table == "audit" { anyQuote += " OR \(about)" }
                }
                var scope = ""
                if let entity {
                    values.append(.text(entity))
                    scope = table == "audit"
                        ? " AND asset_uuid IN (SELECT uuid FROM assets WHERE community = ?1 "
                            + "AND entity = ?\(values.count))"
                        : " AND entity = ?\(values.count)"
                }
                let sql = "SELECT \(key), \(names.joined(separator: ", ")), \(about) FROM \(table) "
                    + "WHERE community = ?1 AND (\(anyQuote))\(scope)"
                let rows = try database.statement(sql).rows(values) { row in
                    (isInteger ? SQLValue.integer(row.int(0)) : .text(row.text(0)),
                     names.indices.map { row.optionalText($0 + 1) },
                     row.int(names.count + 1) != 0)
                }.filter { done.insert("\($0.0)").inserted }
                let assignments = names.indices.map { "\(names[$0]) = ?\($0 + 2)" }
                    .joined(separator: ", ")
                let update = try database.statement(
                    "UPDATE \(table) SET \(assignments) WHERE \(key) = ?1")
                for (rowKey, texts, isAboutIt) in rows {
                    let needles = isAboutIt ? aboutNeedles : needles
                    var redacted = zip(names, texts).map { column, text in
                        text.map {
                            jsonColumns.contains(column)
                                ? TextRedaction.redactingJSON(needles, in: $0)
                                : TextRedaction.redacting(needles, in: $0)
                        }
                    }
                    if table == "alerts", let uuid, let assets = redacted[0] {
                        redacted[0] = Self.alertAssets(assets, without: uuid)
                    }
                    guard redacted != texts else { continue }
                    try update.run([rowKey] + redacted.map { $0.map { .text($0) } ?? .null })
                    outcome.redacted[table, default: 0] += 1
                    if table == "alerts", redacted[0] != texts[0], case .integer(let id) = rowKey {
                        alertsWithChangedAssets.append(id)
                    }
                    if table == "assets", case .text(let uuid) = rowKey { redactedAssets.insert(uuid) }
                }
            }
        }
        // An alert that lost the erased account (or whose list quoted the
        // value), and with it perhaps the rating its urgency came from, is
        // rated by the assets it keeps.
        _ = try rerateOpenAlerts(ids: alertsWithChangedAssets)
        redactedAssets.formUnion(try redactTags(needles, community: community, entity: entity,
                                                into: &outcome))
        try redactFileNames(needles, community: community, entity: entity, into: &outcome)
        // A redacted asset is a changed one: a version read before the
        // erasure (an export's row, an ETag) must not write the value back.
        // Later than every change before, as `Asset.noteChange(at:)` does.
        let touch = try database.statement(
            "UPDATE assets SET updated_at = max(?2, updated_at + 1) WHERE uuid = ?1")
        for uuid in redactedAssets.sorted() {
            try touch.run([.text(uuid), .integer(now.milliseconds)])
            if let id = UUID(exactText: uuid), let asset = try asset(id: id, community: community) {
                outcome.redactedAssets.append(asset)
            }
        }
    }

    /// Where atoms were seen (`FILE:LINE`) and the paths of the files an
    /// ingest read: a file may be named after the person
    /// (`jdoe@corp.example.com.ndjson`). The value goes wherever it stands
    /// in a path, not only as a whole word (`.ndjson` after an email
    /// continues its last word). Progress is keyed by the file's identity,
    /// so a path redacted does not stop a resume.
    private func redactFileNames(_ needles: [String], community: String, entity: String?,
                                 into outcome: inout ForgetOutcome) throws {
        /// Rewrites the rows `select` finds, keyed by their first column.
        func rewrite(_ table: String, select: String, values: [SQLValue], integerKey: Bool,
                     update: String) throws {
            let rows = try database.statement(select).rows(values) { row in
                (integerKey ? SQLValue.integer(row.int(0)) : .text(row.text(0)), row.text(1))
            }
            let statement = try database.statement(update)
            for (key, text) in rows {
                let redacted = TextRedaction.redactingAnywhere(needles, in: text)
                guard redacted != text else { continue }
                try statement.run([key, .text(redacted)])
                outcome.redacted[table, default: 0] += 1
            }
        }
        for group in TextRedaction.groups(of: needles) {
            var (condition, values) = TextRedaction.mayQuote(group, in: ["origin"],
                                                             community: community)
            var scope = ""
            if let entity {
                values.append(.text(entity))
                scope = " AND entity = ?\(values.count)"
            }
            try rewrite("attachments", select: "SELECT id, origin FROM attachments "
                            + "WHERE community = ?1 AND (\(condition))\(scope)",
                        values: values, integerKey: true,
                        update: "UPDATE attachments SET origin = ?2 WHERE id = ?1")
            // Progress has no community column: ?1 (the community) is
            // bound and left unused.
            let (anyPath, pathValues) = TextRedaction.mayQuote(group, in: ["path"],
                                                               community: community)
            try rewrite("ingest_progress", select: "SELECT source, path FROM ingest_progress "
                            + "WHERE ?1 = ?1 AND (\(anyPath))",
                        values: pathValues, integerKey: false,
                        update: "UPDATE ingest_progress SET path = ?2 WHERE source = ?1")
        }
    }

    /// Tags that quote the value (an email given as a tag) become their
    /// redacted form, in `asset_tags` (whose triggers move the counts) and
    /// in the asset's own list; a count left at zero goes with the old
    /// label. Returns the uuids of the assets whose tags changed.
    private func redactTags(_ needles: [String], community: String, entity: String?,
                            into outcome: inout ForgetOutcome) throws -> Set<String> {
        var rows: [(String, String)] = []
        var found: Set<String> = []
        for group in TextRedaction.groups(of: needles) {
            var (condition, values) = TextRedaction.mayQuote(group, in: ["tag"],
                                                             community: community)
            var sql = "SELECT tag, asset_uuid FROM asset_tags WHERE community = ?1 AND (\(condition))"
            if let entity {
                values.append(.text(entity))
                sql += " AND asset_uuid IN (SELECT uuid FROM assets WHERE community = ?1 "
                    + "AND entity = ?\(values.count))"
            }
            rows += try database.statement(sql).rows(values) { ($0.text(0), $0.text(1)) }
                .filter { found.insert($0.0 + "\u{0}" + $0.1).inserted }
        }
        let untag = try database.statement(
            "DELETE FROM asset_tags WHERE community = ?1 AND tag = ?2 AND asset_uuid = ?3")
        let tag = try database.statement(
            "INSERT OR IGNORE INTO asset_tags (community, tag, asset_uuid) VALUES (?1, ?2, ?3)")
        let dropCount = try database.statement(
            "DELETE FROM asset_tag_counts WHERE community = ?1 AND tag = ?2 AND n <= 0")
        var changed: Set<String> = []
        for (label, uuid) in rows {
            let redacted = TextRedaction.redacting(needles, in: label)
            guard redacted != label else { continue }
            try untag.run([.text(community), .text(label), .text(uuid)])
            try tag.run([.text(community), .text(redacted), .text(uuid)])
            try dropCount.run([.text(community), .text(label)])
            outcome.redacted["asset_tags", default: 0] += 1
            changed.insert(uuid)
        }
        let list = try database.statement("SELECT tag FROM asset_tags WHERE asset_uuid = ?1")
        let rewrite = try database.statement("UPDATE assets SET tags = ?2 WHERE uuid = ?1")
        for uuid in changed {
            let tags = Set(try list.rows([.text(uuid)]) { $0.text(0) })
            try rewrite.run([.text(uuid), .text(Self.encodeTags(tags))])
        }
        return changed
    }

    /// An alert's asset list (JSON) without one asset.
    private static func alertAssets(_ text: String, without uuid: String) -> String {
        guard let list = jsonObject(text) as? [[String: Any]] else { return text }
        let kept = list.filter { ($0["uuid"] as? String)?.lowercased() != uuid }
        return kept.count == list.count ? text : jsonText(kept)
    }

    /// The erasure's own traces, without the value: one `forgotten` row
    /// and an audit record per asset concerned.
    private func record(type: String, action: String, community: String, assets: [AssetID],
                        actor: String, at now: EventTime,
                        outcome: inout ForgetOutcome) throws {
        let summary = Self.jsonText([
            "type": type, "rows_erased": outcome.rowsErased,
            "deleted": outcome.deleted, "redacted": outcome.redacted,
        ] as [String: Any])
        try database.statement("""
            INSERT INTO forgotten (community, atom_type, at, actor, rows_erased)
            VALUES (?1, ?2, ?3, ?4, ?5)
            """).run([.text(community), .text(type), .integer(now.milliseconds), .text(actor),
                      .integer(Int64(outcome.rowsErased))])
        let audit = try database.statement("""
            INSERT INTO audit (community, asset_uuid, actor, action, at, before, after)
            VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)
            """)
        for asset in assets {
            try audit.run([.text(community), .text(asset.lowercasedText), .text(actor),
                           .text(action), .integer(now.milliseconds), .text(summary)])
        }
    }
}

/// Finding and replacing an erased value in kept text.
enum TextRedaction {
    /// The forms a value takes in stored text: as is, and escaped as
    /// JSON writes it (backslashes and quotes doubled, `/` as `\/`).
    static func needles(for value: String) -> [String] {
        guard !value.isEmpty else { return [] }
        var bytes: [UInt8] = []
        JSONText.appendQuoted(value, to: &bytes)
        let escaped = String(decoding: bytes.dropFirst().dropLast(), as: UTF8.self)
        var forms = [value.lowercased(), escaped.lowercased(),
                     escaped.replacingOccurrences(of: "/", with: "\\/").lowercased()]
        forms = forms.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        return forms
    }

    /// The SQL that narrows rows to those whose `columns` may quote a
    /// needle (LIKE: ASCII case-insensitive, and far cheaper than lower()
    /// over a million rows; whole words are checked after), and its
    /// parameters: the community as ?1, the needles' patterns from ?2.
    static func mayQuote(_ needles: [String], in columns: [String],
                         community: String) -> (condition: String, values: [SQLValue]) {
        let condition = columns.flatMap { column in
            needles.indices.map { "\(column) LIKE ?\($0 + 2) ESCAPE '\\'" }
        }.joined(separator: " OR ")
        return (condition, [.text(community)] + needles.map { .text("%" + escapingLike($0) + "%") })
    }

    /// The needles in groups small enough for one query each: a condition
    /// of one LIKE per needle and column is a chain of ORs that SQLite
    /// parses as a tree as deep as it is long, and refuses past 1,000 (an
    /// account of 250 emails could not be erased).
    static func groups(of needles: [String]) -> [[String]] {
        stride(from: 0, to: needles.count, by: 100).map {
            Array(needles[$0..<min($0 + 100, needles.count)])
        }
    }

    /// A text that LIKE matches only literally (with `ESCAPE '\'`).
    static func escapingLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    /// Whether `text` quotes one of the needles as a whole word.
    static func quotes(_ text: String, _ needles: [String]) -> Bool {
        redacting(needles, in: text) != text
    }

    /// JSON text with the needles redacted in its values, its member names
    /// left as they are, its layout unchanged. A number or literal that is
    /// the value becomes the marker as a string, so the text stays JSON.
    /// Text that is not a JSON object or array is redacted as plain text.
    static func redactingJSON(_ needles: [String], in text: String) -> String {
        let bytes = Array(text.utf8)
        guard let first = bytes.first(where: { !isJSONSpace($0) }),
              first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else { return redacting(needles, in: text) }
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        var plainStart = 0
        func flushPlain(upTo end: Int) {
            guard plainStart < end else { return }
            let segment = String(decoding: bytes[plainStart..<end], as: UTF8.self)
            output += Array(redacting(needles, in: segment,
                                      marker: "\"" + ForgetOutcome.marker + "\"").utf8)
        }
        while index < bytes.count {
            guard bytes[index] == quote else { index += 1; continue }
            flushPlain(upTo: index)
            var end = index + 1
            while end < bytes.count, bytes[end] != quote {
                end += bytes[end] == backslash ? 2 : 1
            }
            // Not JSON after all (stored texts are, but never trust that).
            guard end < bytes.count else { return redacting(needles, in: text) }
            var next = end + 1
            while next < bytes.count, isJSONSpace(bytes[next]) { next += 1 }
            let isName = next < bytes.count && bytes[next] == UInt8(ascii: ":")
            if !isName,
               let redacted = redactingJSONString(needles, content: bytes[(index + 1)..<end]) {
                output += redacted
            } else {
                output += bytes[index...end]
            }
            index = end + 1
            plainStart = index
        }
        flushPlain(upTo: bytes.count)
        return output == bytes ? text : String(decoding: output, as: UTF8.self)
    }

    /// A JSON string (its escaped content given) with the needles
    /// redacted in what it says: an escape before a value (the `\t\t`
    /// of a Windows event's "Account Name:\t\tann") must not hide it.
    /// Written back escaped, quotes included; nil when nothing is
    /// redacted (the string stays byte for byte).
    private static func redactingJSONString(_ needles: [String],
                                            content: ArraySlice<UInt8>) -> [UInt8]? {
        var text = String(decoding: content, as: UTF8.self)
        if content.contains(UInt8(ascii: "\\")) {
            let literal = Data(("\"" + text + "\"").utf8)
            guard let decoded = try? JSONSerialization.jsonObject(
                with: literal, options: .fragmentsAllowed) as? String else { return nil }
            text = decoded
        }
        let redacted = redacting(needles, in: text)
        guard redacted != text else { return nil }
        var output: [UInt8] = []
        JSONText.appendQuoted(redacted, to: &output)
        return output
    }

    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// `text` with every whole-word occurrence of a needle replaced by
    /// the marker, matching ASCII letters of any case (values are stored
    /// case-folded; events quote them as they came).
    /// A needle right after a domain and a backslash (`CORP\ann`) is part
    /// of that qualified name, an atom (and maybe a person) of its own,
    /// which keeps its name, its atom and its search text: erasing the bare
    /// `ann` leaves it, wherever it is quoted. After a path's folder
    /// (`C:\Users\ann`) it is a word.
    /// `text` with every occurrence of the needles replaced by the marker,
    /// ASCII case folded, wherever it stands (a file's name).
    static func redactingAnywhere(_ needles: [String], in text: String) -> String {
        var result = text
        for needle in needles.sorted(by: { $0.utf8.count > $1.utf8.count }) where !needle.isEmpty {
            result = result.replacingOccurrences(of: needle, with: ForgetOutcome.marker,
                                                 options: [.caseInsensitive])
        }
        return result
    }

    static func redacting(_ needles: [String], in text: String,
                          marker markerText: String = ForgetOutcome.marker) -> String {
        var bytes = Array(text.utf8)
        let marker = Array(markerText.utf8)
        var changed = false
        for needle in needles.sorted(by: { $0.utf8.count > $1.utf8.count }) {
            let pattern = Array(needle.utf8)
            var index = 0
            var output: [UInt8] = []
            var matched = false
            while index < bytes.count {
                if index + pattern.count <= bytes.count, matches(pattern, in: bytes, at: index),
                   isBoundary(before: index, in: bytes),
                   isBoundary(after: index + pattern.count, in: bytes),
                   !isQualified(at: index, in: bytes) {
                    output.append(contentsOf: marker)
                    index += pattern.count
                    matched = true
                } else {
                    output.append(bytes[index])
                    index += 1
                }
            }
            if matched {
                bytes = output
                changed = true
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    private static func matches(_ pattern: [UInt8], in bytes: [UInt8], at start: Int) -> Bool {
        pattern.indices.allSatisfy { folded(bytes[start + $0]) == folded(pattern[$0]) }
    }

    private static func folded(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
    }

    /// Bytes that continue an identifier: `10.0.0.1` is not erased from
    /// `10.0.0.10`, nor `ann` from `anna` or `ann.lee@example.com`.
    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x80...0xFF: true
        case UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }

    /// Whether the word at `index` follows `DOMAIN\`: a backslash after a
    /// word that no other backslash comes before (`x C:\Users\ann` is a
    /// path).
    private static func isQualified(at index: Int, in bytes: [UInt8]) -> Bool {
        let backslash = UInt8(ascii: "\\")
        guard index >= 2, bytes[index - 1] == backslash, isWordByte(bytes[index - 2]) else {
            return false
        }
        var start = index - 2
        while start > 0, isWordByte(bytes[start - 1]) { start -= 1 }
        return start == 0 || bytes[start - 1] != backslash
    }

    private static func isBoundary(before index: Int, in bytes: [UInt8]) -> Bool {
        index == 0 || !isWordByte(bytes[index - 1])
    }

    /// A `.` or `-` ends a value when no letter or digit follows it (the
    /// end of a sentence).
    private static func isBoundary(after index: Int, in bytes: [UInt8]) -> Bool {
        guard index < bytes.count else { return true }
        let byte = bytes[index]
        if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") {
            return index + 1 >= bytes.count || !isWordByte(bytes[index + 1])
                || bytes[index + 1] == UInt8(ascii: ".")
        }
        return !isWordByte(byte)
    }
}
