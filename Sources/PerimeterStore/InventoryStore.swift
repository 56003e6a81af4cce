import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterJSON
import PerimeterSQLite

/// Where an ingest of one input stopped, recorded in the same transaction
/// as the batch it ends, so that a re-run resumes exactly there.
public struct IngestProgress: Sendable, Hashable {
    /// Identifies the file whatever its name: its device and inode.
    public var source: String
    public var path: String
    public var size: UInt64
    public var byteOffset: UInt64
    public var line: Int
    /// The file's first bytes (up to 4 KiB) as they were: a new file that
    /// took a deleted one's inode, or a file truncated and written again,
    /// starts otherwise, and is read from its start.
    public var head: FileHead

    public init(source: String, path: String, size: UInt64, byteOffset: UInt64, line: Int,
                head: FileHead = FileHead()) {
        self.source = source
        self.path = path
        self.size = size
        self.byteOffset = byteOffset
        self.line = line
        self.head = head
    }
}

/// How many bytes a file starts with, and their FNV-1a hash: enough to
/// tell two files apart that shared an inode, not a defence against
/// anyone who can write the file.
public struct FileHead: Sendable, Hashable {
    public var length: Int
    public var digest: UInt64

    /// No bytes: what every file starts with (progress recorded before
    /// heads were).
    public init() { self.init(length: 0, digest: Self.fnv1a([])) }

    public init(length: Int, digest: UInt64) {
        self.length = length
        self.digest = digest
    }

    public init(of bytes: some Collection<UInt8>) {
        self.init(length: bytes.count, digest: Self.fnv1a(bytes))
    }

    static func fnv1a(_ bytes: some Collection<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}

/// The embedded inventory store: one SQLite file in WAL mode.
///
/// The file is created readable by its owner only. Every write happens in
/// a transaction, so a killed process leaves the last committed state.
public final class InventoryStore {
    public let database: Database
    public var path: String { database.path }
    /// A listing's text search with more candidates than this walks the
    /// sort order instead of sorting them (`TextPlan`); a test lowers it.
    var textCandidatesToSort = 20_000
    /// Atom row ids this connection knows (see `addAtom(_:fingerprint:)`).
    private var atomIDs = RowIDCache()
    /// The `asset_seen` keys of the assets this connection loaded (see
    /// `loadInventory`) or created since; empty outside an ingest. An
    /// asset it does not know has its key looked up in the asset table.
    private var seenKeys = RowIDCache()
    /// Attachments with ids up to this one are known to be stored (they
    /// were loaded or written here): a change to one is an update. 0 when
    /// unknown; an update that finds no row falls back to an insert.
    private var storedAttachmentID: Int64 = 0
    /// Set by `prepareForIngest`: checkpoints off the writer's thread.
    private var checkpointer: WALCheckpointer?
    /// The urgency of an alert of a rule level (its stored text) on these
    /// assets, as the detection configuration works it out (SPEC §6). Set,
    /// a criticality changed here re-rates the open alerts about that
    /// asset (`rerateOpenAlerts`); nil leaves them as they were raised.
    public var alertUrgency: ((_ level: String, _ assets: [AlertAsset]) -> Int)?

    public init(path: String) throws {
        try StoreError.checkStorePath(path)
        database = try Database(path: path)
        do {
            try Schema.check(database)
        } catch let error as DatabaseError where error.resultCode & 0xFF == 26 {
            throw StoreError.notADatabase(path)
        }
        // Switching a new store to WAL needs it alone for an instant; a
        // second process opening it then is told "locked" at once, its
        // busy timeout not consulted (SQLite's rule for this pragma).
        try Self.retryingWhileBusy(database) { (database) throws(DatabaseError) in
            try database.execute("""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                PRAGMA foreign_keys = ON;
                PRAGMA temp_store = MEMORY;
                PRAGMA cache_size = -65536;
                \(InventoryStore.everydaySecureDelete);
                """)
        }
        try Schema.migrate(database)
        // SQLite's lower() folds ASCII alone: `MÜLLER-WS` stayed `mÜller-ws`,
        // and no search found it. Names are folded as search texts are.
        try database.defineTextFunction(Self.foldFunction, Atom.foldedName)
        // Rows queued by a write that did not go through `transaction`
        // (none should); a reader opening the store takes no write lock.
        let hasQueuedText = try database.statement(
            "SELECT EXISTS (SELECT 1 FROM asset_text_pending)").firstRow { $0.int(0) != 0 }
        if hasQueuedText == true { try transaction {} }
    }

    /// The SQL name of `Atom.foldedName`, defined on every connection.
    static let foldFunction = "perimeter_fold"

    /// Deleted and rewritten rows are zeroed in the pages a write changes
    /// anyway (`FAST`: no page is written for it alone). Without it, a row
    /// deleted in the ordinary course (the search index's queue, emptied
    /// at every commit) left its text in the page's free space, where an
    /// erasure later found nothing to delete: a person's email, erased,
    /// was still in the file. An erasure itself runs fully secure (`ON`).
    static let everydaySecureDelete = "PRAGMA secure_delete = FAST"

    /// Runs `body` again while SQLite answers "busy" at once, for up to
    /// about three seconds.
    private static func retryingWhileBusy(_ database: Database,
                                          _ body: (Database) throws(DatabaseError) -> Void)
        throws(DatabaseError) {
        for attempt in 0... {
            do {
                return try body(database)
            } catch {
                guard error.resultCode & 0xFF == 5, attempt < 200 else { throw error }
            }
            usleep(useconds_t(UInt32.random(in: 5_000...25_000)))
        }
    }

    /// Sizes the page cache for a long ingest: batches touch assets and
    /// atoms all over a large store, and every page missed is a read (from
    /// the system's file cache, mostly). 64 MB, not more: a batch's time
    /// goes to the pages it dirties, not to those it reads. Over a store of
    /// 1,000,000 assets, 256 MB took the ingest's peak to 2.06 GB, over the
    /// 2 GB it must stay under, and wrote no faster (4,500 events/s against
    /// 5,100 with 128 MB); with batches of 50,000 events, 64 MB kept the
    /// peak at 1.96 GB where 128 MB reached 2.02 GB, at the same speed.
    ///
    /// The write-ahead log is copied into the database file by a second
    /// connection on a thread of its own (`WALCheckpointer`), not inside
    /// the commits: over that store it gave 7,800 events/s against 6,200
    /// for the first ingest, and 18,300 against 13,800 for the steady one.
    /// A checkpoint starts once the log holds `checkpointMegabytes`; the
    /// writer waits for one past 4 times that, which is when a busy
    /// writer's log starts again from its beginning (see
    /// `WALCheckpointer`). The log's file is then cut back to that size:
    /// the batch that crossed it would otherwise leave its overshoot on
    /// disk for as long as the store is open. (Cutting it back to the
    /// threshold itself, to regrow each round, measured slower.)
    public func prepareForIngest(cacheMegabytes: Int = 64, checkpointMegabytes: Int) throws {
        let logLimitMegabytes = checkpointMegabytes * 4
        try database.execute("""
            PRAGMA cache_size = -\(cacheMegabytes * 1024);
            PRAGMA journal_size_limit = \(logLimitMegabytes * 1_048_576);
            """)
        guard checkpointer == nil, path != ":memory:" else { return }
        let pageSize = try database.statement("PRAGMA page_size").firstRow { Int($0.int(0)) } ?? 4_096
        let pagesIn = { (megabytes: Int) in max(1, megabytes * 1_048_576 / max(pageSize, 512)) }
        let checkpointer = try WALCheckpointer(path: path, threshold: pagesIn(checkpointMegabytes),
                                               limit: pagesIn(logLimitMegabytes))
        self.checkpointer = checkpointer
        database.onCommit { frames in checkpointer.logHolds(frames: frames) }
    }

    /// Waits for a checkpoint in flight: the copy belongs to this store's
    /// lifetime, not to whoever closes the file after it.
    deinit { checkpointer?.waitUntilIdle() }

    /// Copies what the write-ahead log holds into the store file, after
    /// the checkpoint in flight, and returns when it is done: the work an
    /// ingest leaves to the store's closing, which the benchmark times as
    /// part of the ingest (a larger `ingest.checkpoint_mb` leaves more).
    public func copyLogIntoFile() throws {
        checkpointer?.waitUntilIdle()
        try database.checkpointPassively()
    }

    public static var schemaVersion: Int { Schema.migrations.count }

    // MARK: - Loading the inventory

    /// Reads the whole inventory into memory for an ingest.
    public func loadInventory(settings: InventorySettings) throws -> Inventory {
        let inventory = Inventory(settings: settings)
        seenKeys.removeAll()
        let highestSeenKey = try database.statement("SELECT max(seen_id) FROM assets")
            .firstRow { $0.int(0) } ?? 0
        seenKeys.reserveCapacity(Int(highestSeenKey))
        try database.statement("SELECT \(Self.assetColumns), seen_id FROM \(Self.assetTables)")
            .forEachRow { row in
                let asset = try Self.asset(from: row)
                seenKeys.insert(row.int(18), for: .init(asset: asset.id))
                inventory.load(asset: asset)
            }
        seenKeys.holdsWholeTable = true
        try database.statement("\(Self.attachmentSelection) ORDER BY id").forEachRow { row in
            if let attachment = Self.attachment(from: row) { inventory.load(attachment: attachment) }
            storedAttachmentID = max(storedAttachmentID, row.int(0))
        }
        try database.statement("SELECT asset_uuid, atom_type, atom_value FROM rejected_atoms")
            .forEachRow { row in
                guard let id = UUID(exactText: row.text(0)),
                      let type = AtomType(rawValue: row.text(1)) else { return }
                inventory.load(rejected: RejectedAtom(
                    asset: id, atom: Atom(type: type, normalizedValue: row.text(2))))
            }
        try database.statement(
            "SELECT community, entity, atom_type, atom_value, since FROM shared_atoms"
        ).forEachRow { row in
            guard let key = Self.atomKey(row, from: 0) else { return }
            inventory.load(sharedAtom: key,
                           since: row.isNull(4) ? nil : EventTime(milliseconds: row.int(4)))
        }
        try database.statement("SELECT key, value FROM meta WHERE key LIKE 'watermark:%'")
            .forEachRow { row in
                guard let millis = Int64(row.text(1)) else { return }
                inventory.load(watermark: EventTime(milliseconds: millis),
                               stream: String(row.text(0).dropFirst("watermark:".count)))
            }
        return inventory
    }

    // MARK: - Persisting changes

    /// Writes a batch of inventory changes, the ingest progress that ends
    /// it and the counters, all in one transaction.
    ///
    /// `alongside` runs inside the same transaction (the detection stage
    /// writes its alerts there), so a batch and everything derived from
    /// it commit or roll back together.
    public func persist(_ changes: InventoryChanges, progress: IngestProgress?,
                        counters: [String: Int], community: String,
                        alongside: ((InventoryStore) throws -> Void)? = nil) throws {
        try writing {
            try write(changes)
            try alongside?(self)
            if let progress {
                try database.statement("""
                    INSERT INTO ingest_progress (source, path, size, byte_offset, line, updated_at,
                                                 head_length, head_digest)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                    ON CONFLICT (source) DO UPDATE SET path = ?2, size = ?3, byte_offset = ?4,
                        line = ?5, updated_at = ?6, head_length = ?7, head_digest = ?8
                    """).run([.text(progress.source), .text(progress.path),
                              .integer(Int64(progress.size)), .integer(Int64(progress.byteOffset)),
                              .integer(Int64(progress.line)),
                              .integer(Int64(Date().timeIntervalSince1970 * 1000)),
                              .integer(Int64(progress.head.length)),
                              .integer(Int64(bitPattern: progress.head.digest))])
            }
            let counter = try database.statement("""
                INSERT INTO counters (community, name, value) VALUES (?1, ?2, ?3)
                ON CONFLICT (community, name) DO UPDATE SET value = value + ?3
                """)
            for (name, value) in counters.sorted(by: { $0.key < $1.key }) where value != 0 {
                try counter.run([.text(community), .text(name), .integer(Int64(value))])
            }
        }
    }

    /// Writes changes made outside an ingest (an analyst's action); returns
    /// the ids of the open alerts a changed criticality re-rated.
    @discardableResult
    public func persist(_ changes: InventoryChanges) throws -> [Int64] {
        var rerated: [Int64] = []
        try writing { rerated = try write(changes) }
        return rerated
    }

    /// Writes a whole inventory into a store that holds no asset yet (the
    /// benchmark's seed, a first import of a large inventory) in one
    /// transaction, far faster than `persist`: the indexes and triggers of
    /// the asset and attachment tables are dropped, the rows go in in key
    /// order, then the indexes, the free-text index and the counts are
    /// built in one pass each. A store that already holds assets is
    /// written by `persist` instead: the result is the same either way.
    public func seed(with changes: InventoryChanges) throws {
        let isEmpty = try database.statement("SELECT NOT EXISTS (SELECT 1 FROM assets)")
            .firstRow { $0.int(0) != 0 } ?? false
        guard isEmpty else {
            try persist(changes)
            return
        }
        try writing {
            // Everything SQLite would otherwise maintain row by row, but
            // the seen-times rows, which the asset rows point to.
            let derived = try database.statement("""
                SELECT type, name, sql FROM sqlite_master
                WHERE tbl_name IN ('assets', 'attachments', 'asset_tags')
                  AND type IN ('index', 'trigger') AND sql IS NOT NULL
                  AND name <> 'asset_seen_on_create'
                ORDER BY type, name
                """).rows { (type: $0.text(0), name: $0.text(1), sql: $0.text(2)) }
            for item in derived {
                try database.execute("DROP \(item.type.uppercased()) \"\(item.name)\"")
            }
            for asset in changes.assets.sorted(by: { $0.id.sortsBefore($1.id) }) {
                try upsert(asset, replacingTags: false)
            }
            try writeAttachments(changes.attachments.sorted { $0.id < $1.id })
            for item in derived where item.type == "index" { try database.execute(item.sql) }
            try database.execute(Self.derivedRowsSQL)
            for item in derived where item.type == "trigger" { try database.execute(item.sql) }

            var rest = changes
            rest.assets = []
            rest.attachments = []
            try write(rest)
        }
    }

    /// The triggers' work on an empty store, in one pass: the free-text
    /// index, the asset counts and the per-tag counts (migration 7).
    static let derivedRowsSQL = """
        DELETE FROM asset_text;
        DELETE FROM asset_text_pending;
        INSERT INTO asset_text (text, community, asset_uuid)
            SELECT name, community, uuid FROM assets;
        INSERT INTO asset_text (text, community, asset_uuid)
            SELECT DISTINCT atom_value, community, asset_uuid FROM attachments;
        DELETE FROM asset_counts;
        INSERT INTO asset_counts
            SELECT community, category, coalesce(criticality, -1), revoked, reviewed, source,
                   count(*)
            FROM assets GROUP BY 1, 2, 3, 4, 5, 6;
        DELETE FROM asset_tag_counts;
        INSERT INTO asset_tag_counts
            SELECT t.community, t.tag, a.category, a.revoked, count(*)
            FROM asset_tags t JOIN assets a ON a.uuid = t.asset_uuid GROUP BY 1, 2, 3, 4;
        """

    /// Writes a batch of changes; returns the ids of the open alerts that a
    /// changed criticality re-rated.
    @discardableResult
    func write(_ changes: InventoryChanges) throws -> [Int64] {
        var rated: [Asset] = []
        for asset in changes.assets where try upsert(asset) == .ratingOrStateChanged {
            rated.append(asset)
        }
        let rerated = try rerateOpenAlerts(about: rated)
        try writeSeenTimes(changes.seenTimes)
        try writeAttachments(changes.attachments)
        try writeSightings(changes.sightings)
        try writeActivity(changes.activity)
        let unclaimed = try database.statement("""
            INSERT INTO unclaimed_atoms (community, entity, atom_type, atom_value, last_seen)
            VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT DO UPDATE SET last_seen = max(last_seen, ?5)
            """)
        for (key, time) in changes.unclaimed {
            try unclaimed.run(Self.keyValues(key) + [.integer(time.milliseconds)])
        }
        let conflict = try database.statement("""
            INSERT INTO conflicts (community, entity, atom_type, atom_value, assets, at, reason)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT DO UPDATE SET at = min(at, ?6)
            """)
        for c in changes.conflicts {
            let ids = c.assets.map { $0.lowercasedText }.joined(separator: ",")
            try conflict.run(Self.keyValues(c.key) + [.text(ids), .integer(c.at.milliseconds),
                                                      .text(c.reason)])
        }
        // A time only moves earlier (a late sighting before it); a row
        // shared since forever (NULL) stays so.
        let shared = try database.statement("""
            INSERT INTO shared_atoms (community, entity, atom_type, atom_value, since)
            VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (community, entity, atom_type, atom_value) DO UPDATE SET
                since = CASE WHEN since IS NULL THEN NULL ELSE min(since, excluded.since) END
            """)
        for (key, since) in changes.shared {
            try shared.run(Self.keyValues(key) + [.integer(since.milliseconds)])
        }
        let rejected = try database.statement("""
            INSERT OR IGNORE INTO rejected_atoms (asset_uuid, atom_type, atom_value) VALUES (?1, ?2, ?3)
            """)
        for r in changes.rejected {
            try rejected.run([.text(r.asset.lowercasedText), .text(r.atom.type.rawValue),
                              .text(r.atom.value)])
        }
        try writeAudit(changes.audit)
        for (stream, time) in changes.watermarks.sorted(by: { $0.key < $1.key }) {
            try setMeta("watermark:\(stream)", String(time.milliseconds))
        }
        return rerated
    }

    /// Updates assets' rows of `asset_seen`, by the keys this connection
    /// knows; the key of an asset it does not know (or whose row is gone)
    /// is looked up in the asset table, in uuid order so that consecutive
    /// lookups share its pages.
    private func writeSeenTimes(_ seenTimes: [SeenTimes]) throws {
        let byKey = try database.statement(
            "UPDATE asset_seen SET first_seen = ?2, last_seen = ?3 WHERE id = ?1")
        let byUUID = try database.statement("""
            UPDATE asset_seen SET first_seen = ?2, last_seen = ?3
            WHERE id = (SELECT seen_id FROM assets WHERE uuid = ?1)
            """)
        for times in seenTimes.sorted(by: { $0.asset.sortsBefore($1.asset) }) {
            let firstSeen = times.firstSeen.map { SQLValue.integer(Self.millis($0)) } ?? .null
            let lastSeen = times.lastSeen.map { SQLValue.integer(Self.millis($0)) } ?? .null
            if let key = seenKeys.id(of: .init(asset: times.asset)) {
                try byKey.run([.integer(key), firstSeen, lastSeen])
                if database.changes == 1 { continue }
            }
            try byUUID.run([.text(times.asset.lowercasedText), firstSeen, lastSeen])
        }
    }

    /// Attachments already stored change only in their interval and
    /// kind: those are updated alone (no text to bind or compare); the
    /// others are inserted whole. Either way their sightings are written.
    private func writeAttachments(_ attachments: [Attachment]) throws {
        let update = try database.statement(
            "UPDATE attachments SET valid_from = ?2, valid_to = ?3, kind = ?4 WHERE id = ?1")
        let insert = try database.statement("""
            INSERT INTO attachments (id, community, entity, atom_type, atom_value, asset_uuid, kind,
                valid_from, valid_to, origin)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            ON CONFLICT (id) DO UPDATE SET valid_from = ?8, valid_to = ?9, kind = ?7
            """)
        for a in attachments {
            let to: SQLValue = a.to.map { .integer($0.milliseconds) } ?? .null
            var stored = false
            if a.id <= storedAttachmentID {
                try update.run([.integer(a.id), .integer(a.from.milliseconds), to,
                                .text(a.kind.rawValue)])
                stored = database.changes == 1
            }
            if !stored {
                try insert.run([
                    .integer(a.id), .text(a.key.scope.community), .text(a.key.scope.entity ?? ""),
                    .text(a.key.atom.type.rawValue), .text(a.key.atom.value),
                    .text(a.asset.lowercasedText), .text(a.kind.rawValue),
                    .integer(a.from.milliseconds), to, .text(a.origin),
                ])
                storedAttachmentID = max(storedAttachmentID, a.id)
            }
            try writeSightings(of: a.id, lastSeen: a.lastSeen, recent: a.recentSightings,
                               rowMayExist: stored)
        }
    }

    /// The sightings of attachments whose rows are stored already.
    private func writeSightings(_ sightings: [AttachmentSightings]) throws {
        for s in sightings {
            try writeSightings(of: s.attachment, lastSeen: s.lastSeen, recent: s.recentSightings)
        }
    }

    /// Updates an attachment's sightings row, or adds it. For a row that
    /// most likely exists the update alone is one probe of the narrow
    /// table, where the upsert takes two; a new attachment's row is added
    /// at once.
    func writeSightings(of attachment: Int64, lastSeen: EventTime, recent: [EventTime],
                        rowMayExist: Bool = true) throws {
        let sightings = recent.isEmpty ? SQLValue.null : SQLValue.blob(Self.encode(recent))
        let values: [SQLValue] = [.integer(attachment), .integer(lastSeen.milliseconds), sightings]
        if rowMayExist {
            try database.statement(
                "UPDATE attachment_sightings SET last_seen = ?2, sightings = ?3 WHERE attachment = ?1"
            ).run(values)
            if database.changes == 1 { return }
        }
        try database.statement("""
            INSERT INTO attachment_sightings (attachment, last_seen, sightings) VALUES (?1, ?2, ?3)
            ON CONFLICT (attachment) DO UPDATE SET last_seen = ?2, sightings = ?3
            """).run(values)
    }

    /// Adds a batch's weekly counts, in (atom id, week) order. Atoms new to
    /// the store get their `atoms` rows first, in the order of that table's
    /// text index: in a large first ingest most atoms of a batch are new,
    /// and inserted in hash order each one went to a page of the index of
    /// its own, read and dirtied at random.
    private func writeActivity(_ activity: [WeeklyActivity]) throws {
        guard !activity.isEmpty else { return }
        if !atomIDs.holdsWholeTable { try loadAtomIDs() }
        var rows: [(atom: Int64, week: Int64, count: Int64)] = []
        rows.reserveCapacity(activity.count)
        var unknown: [(key: AtomKey, fingerprint: RowIDCache.Fingerprint, week: Int64,
                       count: Int64)] = []
        for entry in activity {
            let week = entry.weekStart.milliseconds
            let fingerprint = Self.fingerprint(of: entry.key)
            if let id = atomIDs.id(of: fingerprint) {
                rows.append((id, week, Int64(entry.count)))
            } else {
                unknown.append((entry.key, fingerprint, week, Int64(entry.count)))
            }
        }
        for position in Self.indexOrder(of: unknown.map(\.key)) {
            let atom = unknown[position]
            rows.append((try addAtom(atom.key, fingerprint: atom.fingerprint), atom.week, atom.count))
        }
        rows.sort { ($0.atom, $0.week) < ($1.atom, $1.week) }
        let add = try database.statement("""
            INSERT INTO atom_activity (atom, week_start, count) VALUES (?1, ?2, ?3)
            ON CONFLICT DO UPDATE SET count = count + ?3
            """)
        for row in rows { try add.run([.integer(row.atom), .integer(row.week), .integer(row.count)]) }
    }

    /// Reads the id of every row of `atoms` into the cache: one pass over
    /// the table instead of a probe of its index for each atom of a batch.
    private func loadAtomIDs() throws {
        atomIDs.removeAll()
        let highestID = try database.statement("SELECT max(id) FROM atoms").firstRow { $0.int(0) } ?? 0
        atomIDs.reserveCapacity(Int(highestID))
        try database.statement("SELECT id, community, entity, atom_type, atom_value FROM atoms")
            .forEachRow { row in
                atomIDs.insert(row.int(0), for: RowIDCache.Fingerprint(
                    community: row.text(1), entity: row.text(2), type: row.text(3),
                    value: row.text(4)))
            }
        atomIDs.holdsWholeTable = true
    }

    /// The row id of an atom the cache does not know, added to `atoms`.
    /// The cache holds the whole table (`writeActivity` loads it first), so
    /// such an atom is new and is inserted without a lookup first; the
    /// insert still yields to a row that another connection of this
    /// process wrote meanwhile.
    private func addAtom(_ key: AtomKey, fingerprint: RowIDCache.Fingerprint) throws -> Int64 {
        let values = Self.keyValues(key)
        try database.statement("""
            INSERT INTO atoms (community, entity, atom_type, atom_value) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT DO NOTHING
            """).run(values)
        let id = database.changes == 1
            ? database.lastInsertRowID
            : try database.statement("""
                SELECT id FROM atoms
                WHERE community = ?1 AND atom_type = ?3 AND atom_value = ?4 AND entity = ?2
                """).firstRow(values) { $0.int(0) }
        guard let id else {
            throw StoreError(code: .conflict, message: "an atom of type \(key.atom.type.rawValue) "
                             + "could be neither added to nor found in the atoms table")
        }
        atomIDs.insert(id, for: fingerprint)
        return id
    }

    private static func fingerprint(of key: AtomKey) -> RowIDCache.Fingerprint {
        RowIDCache.Fingerprint(community: key.scope.community, entity: key.scope.entity ?? "",
                               type: key.atom.type.rawValue, value: key.atom.value)
    }

    /// The positions of `keys` in `indexPrecedes` order. A batch of hosts
    /// met for the first time brings some 100,000 new atoms; sorting them
    /// by `indexPrecedes` alone compared and moved whole keys, and took
    /// more of the writer's time than inserting them. Here the positions
    /// are sorted by integers made once per key (the community's and the
    /// type's rank, the value's first 16 bytes big-endian), and the strings
    /// are compared only when those tie.
    static func indexOrder(of keys: [AtomKey]) -> [Int] {
        let communities = Set(keys.map(\.scope.community))
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let communityRank = Dictionary(uniqueKeysWithValues: communities.enumerated().map { ($1, $0) })
        let typeRank = Dictionary(uniqueKeysWithValues: AtomType.allCases
            .sorted { $0.rawValue.utf8.lexicographicallyPrecedes($1.rawValue.utf8) }
            .enumerated().map { ($1, $0) })
        var order = keys.indices.map { position -> (group: Int, head: UInt64, tail: UInt64,
                                                   position: Int) in
            let key = keys[position]
            var head: UInt64 = 0
            var tail: UInt64 = 0
            for (index, byte) in key.atom.value.utf8.prefix(16).enumerated() {
                let shift = UInt64(56 - 8 * (index % 8))
                if index < 8 { head |= UInt64(byte) << shift } else { tail |= UInt64(byte) << shift }
            }
            return (communityRank[key.scope.community]! << 8 | typeRank[key.atom.type]!,
                    head, tail, position)
        }
        order.sort { a, b in
            if (a.group, a.head, a.tail) != (b.group, b.head, b.tail) {
                return (a.group, a.head, a.tail) < (b.group, b.head, b.tail)
            }
            return indexPrecedes(keys[a.position], keys[b.position])
        }
        return order.map(\.position)
    }

    /// The order of `atoms_by_value` (community, atom_type, atom_value,
    /// entity), byte for byte as SQLite's BINARY collation compares text.
    static func indexPrecedes(_ a: AtomKey, _ b: AtomKey) -> Bool {
        func precedes(_ x: String, _ y: String) -> Bool? {
            x == y ? nil : x.utf8.lexicographicallyPrecedes(y.utf8)
        }
        return precedes(a.scope.community, b.scope.community)
            ?? precedes(a.atom.type.rawValue, b.atom.type.rawValue)
            ?? precedes(a.atom.value, b.atom.value)
            ?? precedes(a.scope.entity ?? "", b.scope.entity ?? "") ?? false
    }

    /// Forgets the atom row ids this connection remembers: rows of `atoms`
    /// were deleted (an erasure), and an id must not outlive its row.
    func forgetRememberedAtomIDs() { atomIDs.removeAll() }

    /// Runs one write transaction of the store. Every write of the store
    /// goes through here: the free-text rows its triggers queued move
    /// into the search index before it commits (migration 8).
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try database.transaction {
            let result = try body()
            try indexQueuedText()
            return result
        }
    }

    private func indexQueuedText() throws {
        try database.statement("""
            INSERT INTO asset_text (text, community, asset_uuid)
            SELECT text, community, asset_uuid FROM asset_text_pending
            """).run()
        guard database.changes > 0 else { return }
        try database.statement("DELETE FROM asset_text_pending").run()
    }

    /// Runs one write transaction; when it fails, what this connection
    /// remembers of the rows it wrote is forgotten with them.
    func writing(_ body: () throws -> Void) throws {
        do {
            try transaction(body)
        } catch {
            atomIDs.removeAll()
            seenKeys.removeAll()
            storedAttachmentID = 0
            throw error
        }
    }

    func writeAudit(_ records: [AuditRecord]) throws {
        let audit = try database.statement("""
            INSERT INTO audit (community, asset_uuid, actor, action, at, before, after)
            SELECT community, ?1, ?2, ?3, ?4, ?5, ?6 FROM assets WHERE uuid = ?1
            """)
        for r in records {
            try audit.run([.text(r.asset.lowercasedText), .text(r.actor), .text(r.action),
                           .integer(r.at.milliseconds), r.before.map { .text($0) } ?? .null,
                           r.after.map { .text($0) } ?? .null])
        }
    }

    /// Inserts a new asset, or updates a stored one column group by
    /// column group, each only when its value changed: a changed name,
    /// rating or state rewrites its index entries (and fires the count
    /// and search triggers), other columns are rewritten in the row alone.
    /// Updating every column at once made SQLite rewrite all nine indexes.
    /// `replacingTags` false is for an asset known to be new (a seed).
    @discardableResult
    func upsert(_ asset: Asset, replacingTags: Bool = true) throws -> AssetRowWrite {
        let uuid = SQLValue.text(asset.id.lowercasedText)
        let tags = SQLValue.text(Self.encodeTags(asset.tags))
        let properties = SQLValue.text(Self.encodeProperties(asset.properties))
        let name = SQLValue.text(asset.name)
        let subcategory = asset.subcategory.map { SQLValue.text($0.rawValue) } ?? .null
        let criticality = asset.criticality.map { SQLValue.integer(Int64($0.value)) } ?? .null
        let reviewed = SQLValue.integer(asset.reviewed ? 1 : 0)
        let revoked = SQLValue.integer(asset.isRevoked ? 1 : 0)
        let updatedAt = SQLValue.integer(Self.millis(asset.updatedAt))
        let firstSeen = asset.firstSeen.map { SQLValue.integer(Self.millis($0)) } ?? .null
        let lastSeen = asset.lastSeen.map { SQLValue.integer(Self.millis($0)) } ?? .null
        // An asset the seen keys do not know is new (unless another
        // connection stored it since): its seen row is written first, with
        // its times, and the insert carries its key. Left to the trigger,
        // which serves every other writer, a new asset cost an empty seen
        // row, a rewrite of the asset row just inserted to point at it, a
        // lookup of that key and an update of the seen row.
        var newSeenKey: Int64?
        if seenKeys.holdsWholeTable, seenKeys.id(of: .init(asset: asset.id)) == nil {
            try database.statement("""
                INSERT INTO asset_seen (asset_community, first_seen, last_seen) VALUES (?1, ?2, ?3)
                """).run([.text(asset.community), firstSeen, lastSeen])
            newSeenKey = database.lastInsertRowID
        }
        try database.statement("""
            INSERT INTO assets (uuid, community, entity, name, category, subcategory, criticality,
                tags, reviewed, source, source_rule, description, properties, created_at,
                updated_at, revoked, seen_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
            ON CONFLICT (uuid) DO NOTHING
            """).run([
                uuid, .text(asset.community), .text(asset.entity ?? ""), name,
                .text(asset.category.rawValue), subcategory, criticality, tags, reviewed,
                .text(asset.source.description), asset.source.rule.map { .text($0) } ?? .null,
                .text(asset.description), properties, .integer(Self.millis(asset.createdAt)),
                updatedAt, revoked, newSeenKey.map { .integer($0) } ?? .null,
            ])
        var tagsChanged = database.changes == 1
        var outcome = tagsChanged ? AssetRowWrite.inserted : .otherColumnsWritten
        if let key = newSeenKey {
            if tagsChanged {
                seenKeys.insert(key, for: .init(asset: asset.id))
            } else {
                // Stored after all: the seen row made for it belongs to no one.
                try database.statement("DELETE FROM asset_seen WHERE id = ?1").run([.integer(key)])
                newSeenKey = nil
            }
        } else if tagsChanged && seenKeys.holdsWholeTable {
            let key = try database.statement("SELECT seen_id FROM assets WHERE uuid = ?1")
                .firstRow([uuid]) { $0.int(0) }
            if let key { seenKeys.insert(key, for: .init(asset: asset.id)) }
        }
        if newSeenKey == nil {
            try database.statement("""
                UPDATE asset_seen SET first_seen = ?2, last_seen = ?3
                WHERE id = (SELECT seen_id FROM assets WHERE uuid = ?1)
                  AND (first_seen IS NOT ?2 OR last_seen IS NOT ?3)
                """).run([uuid, firstSeen, lastSeen])
        }
        if !tagsChanged {
            try database.statement("""
                UPDATE assets SET subcategory = ?2, description = ?3, properties = ?4,
                    updated_at = ?5
                WHERE uuid = ?1
                """).run([uuid, subcategory, .text(asset.description), properties, updatedAt])
            try database.statement("""
                UPDATE assets SET name = ?2, criticality = ?3, reviewed = ?4, revoked = ?5
                WHERE uuid = ?1 AND (name IS NOT ?2 OR criticality IS NOT ?3
                    OR reviewed IS NOT ?4 OR revoked IS NOT ?5)
                """).run([uuid, name, criticality, reviewed, revoked])
            if database.changes == 1 { outcome = .ratingOrStateChanged }
            try database.statement("UPDATE assets SET tags = ?2 WHERE uuid = ?1 AND tags IS NOT ?2")
                .run([uuid, tags])
            tagsChanged = database.changes == 1
            if tagsChanged && replacingTags {
                try database.statement("DELETE FROM asset_tags WHERE asset_uuid = ?1").run([uuid])
            }
        }
        guard tagsChanged else { return outcome }
        let tag = try database.statement(
            "INSERT OR IGNORE INTO asset_tags (community, tag, asset_uuid) VALUES (?1, ?2, ?3)")
        for name in asset.tags { try tag.run([.text(asset.community), .text(name), uuid]) }
        return outcome
    }

    /// What `upsert` did to an asset's row.
    enum AssetRowWrite {
        case inserted
        /// Its name, criticality, review or revocation changed.
        case ratingOrStateChanged
        /// Nothing of those: its other columns were written (or unchanged).
        case otherColumnsWritten
    }

    // MARK: - Progress, rules, metadata

    /// Where the last committed batch of this source ended.
    public func progress(forSource source: String) throws -> IngestProgress? {
        try database.statement("""
            SELECT source, path, size, byte_offset, line, head_length, head_digest
            FROM ingest_progress WHERE source = ?1
            """).firstRow([.text(source)]) { row in
            IngestProgress(source: row.text(0), path: row.text(1), size: UInt64(row.int(2)),
                           byteOffset: UInt64(row.int(3)), line: Int(row.int(4)),
                           head: FileHead(length: Int(row.int(5)),
                                          digest: UInt64(bitPattern: row.int(6))))
        }
    }

    /// Forgets the progress of sources named with `prefix` that no batch
    /// moved since `date` (the server's idempotency keys).
    public func deleteProgress(ofSourcesStartingWith prefix: String,
                               updatedBefore date: Date) throws {
        try database.statement("""
            DELETE FROM ingest_progress WHERE substr(source, 1, length(?1)) = ?1 AND updated_at < ?2
            """).run([.text(prefix), .integer(Int64(date.timeIntervalSince1970 * 1000))])
    }

    /// The discovery rules switched on for a community (all by default).
    public func enabledRules(community: String) throws -> Set<DiscoveryRule> {
        var rules = Set(DiscoveryRule.allCases)
        try database.statement("SELECT rule, enabled FROM discovery_rules WHERE community = ?1")
            .forEachRow([.text(community)]) { row in
                guard let rule = DiscoveryRule(rawValue: row.text(0)) else { return }
                if row.int(1) == 0 { rules.remove(rule) } else { rules.insert(rule) }
            }
        return rules
    }

    public func setRule(_ rule: DiscoveryRule, enabled: Bool, community: String) throws {
        try database.statement("""
            INSERT INTO discovery_rules (community, rule, enabled) VALUES (?1, ?2, ?3)
            ON CONFLICT DO UPDATE SET enabled = ?3
            """).run([.text(community), .text(rule.rawValue), .integer(enabled ? 1 : 0)])
    }

    public func counters(community: String) throws -> [String: Int] {
        var result: [String: Int] = [:]
        try database.statement("SELECT name, value FROM counters WHERE community = ?1")
            .forEachRow([.text(community)]) { result[$0.text(0)] = Int($0.int(1)) }
        return result
    }

    /// Records the address expiry the store's events are read with (an
    /// ingest, a server), so that the views read the intervals it cut
    /// with the same one whatever their own configuration says: an
    /// address that expired for enrichment was shown held when a view was
    /// given no configuration, and the other way round.
    /// `unlessRecorded` keeps a value already there: a run that reads no
    /// event (an empty input, a server that is sent none) leaves the
    /// store's intervals as the last one that read events cut them.
    public func recordAddressExpiry(_ expiry: Duration, unlessRecorded: Bool = false) throws {
        let text = String(expiry.milliseconds)
        let recorded = try metaValue(Self.addressExpiryKey)
        guard recorded != text, !(unlessRecorded && recorded != nil) else { return }
        try transaction { try setMeta(Self.addressExpiryKey, text) }
    }

    /// The address expiry the store's events were last read with; nil for
    /// a store no ingest recorded one in.
    public func recordedAddressExpiry() throws -> Duration? {
        try metaValue(Self.addressExpiryKey).flatMap(Int64.init).map(Duration.init(milliseconds:))
    }

    static let addressExpiryKey = "timeline:address_expiry_ms"

    /// Records the urgency formula (`UrgencyPolicy.recordText`) the store's
    /// alerts are raised with, by an ingest or a server that runs rules:
    /// a rating changed later re-rates the open alerts with it, whatever
    /// the configuration of the command that changes the rating (an
    /// `assets update` without the ingest's `--config` lowered an alert
    /// whose asset it rated higher, against SPEC §6).
    public func recordUrgencyFormula(_ text: String) throws {
        guard try metaValue(Self.urgencyFormulaKey) != text else { return }
        try transaction { try setMeta(Self.urgencyFormulaKey, text) }
    }

    /// The urgency formula the store's alerts were last raised with.
    public func recordedUrgencyFormula() throws -> String? {
        try metaValue(Self.urgencyFormulaKey)
    }

    static let urgencyFormulaKey = "detection:urgency_formula"

    func metaValue(_ key: String) throws -> String? {
        try database.statement("SELECT value FROM meta WHERE key = ?1").firstRow([.text(key)]) {
            $0.text(0)
        }
    }

    func setMeta(_ key: String, _ value: String) throws {
        try database.statement("""
            INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT DO UPDATE SET value = ?2
            """).run([.text(key), .text(value)])
    }
}

extension InventoryStore {
    /// Tags as a JSON array, written by hand: assets are upserted by the
    /// thousand per ingest batch, and Foundation's encoder is slow.
    static func encodeTags(_ tags: Set<String>) -> String {
        if tags.isEmpty { return "[]" }
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, tag) in tags.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(tag, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The properties as the store keeps them: keys sorted, numbers in
    /// their shortest exact form (an integral one as an integer, so -0.0
    /// is 0). It is also the canonical form an asset's version hashes.
    public static func encodeProperties(_ properties: [String: PropertyValue]) -> String {
        if properties.isEmpty { return "{}" }
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for (index, name) in properties.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(name, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            switch properties[name]! {
            case .string(let text): JSONText.appendQuoted(text, to: &bytes)
            case .number(let number): JSONText.appendNumber(number, to: &bytes)
            case .boolean(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
            case .list(let items):
                bytes.append(UInt8(ascii: "["))
                for (offset, item) in items.enumerated() {
                    if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                    JSONText.appendQuoted(item, to: &bytes)
                }
                bytes.append(UInt8(ascii: "]"))
            }
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
