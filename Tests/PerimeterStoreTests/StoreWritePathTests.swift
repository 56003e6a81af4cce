import Foundation
import PerimeterTestSupport
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite
@testable import PerimeterStore
import Testing

/// The store's fast paths (a bulk seed, the batch write of an ingest)
/// leave exactly what the plain row-by-row path leaves.
@Suite struct StoreWritePathTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-write-\(UUID().uuidString)")
        RemovedAtExit.register(url)
        return url
    }()

    func makeStore(_ name: String) throws -> InventoryStore {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try InventoryStore(path: directory.appendingPathComponent(name).path)
    }

    /// Text is bound and read by its length: a NUL inside a name (valid
    /// JSON, `\u0000`) is kept, where it used to end the text there.
    @Test func textWithANULRoundTrips() throws {
        let store = try makeStore("nul.db")
        try store.database.execute("CREATE TABLE t (value TEXT)")
        for value in ["n\u{0}x", "", "plain", "é\u{0}"] {
            try store.database.statement("DELETE FROM t").run()
            try store.database.statement("INSERT INTO t VALUES (?1)").run([.text(value)])
            let back = try store.database
                .statement("SELECT value, length(CAST(value AS BLOB)) FROM t")
                .firstRow { ($0.text(0), $0.int(1)) }
            #expect(back?.0 == value)
            #expect(back?.1 == Int64(value.utf8.count))
        }
    }

    /// Three hosts and an account, with tags, ratings and atoms.
    static func makeInventory() -> Inventory {
        let inventory = Inventory()
        let created = Date(timeIntervalSince1970: 1_714_000_000)
        let t0 = EventTime(milliseconds: 1_714_000_000_000)
        var nextID: Int64 = 1
        func attach(_ type: AtomType, _ value: String, to asset: Asset) {
            inventory.load(attachment: Attachment(
                id: nextID, key: AtomKey(scope: ScopeKey(community: "acme"),
                                         atom: Atom(type: type, normalizedValue: value)),
                asset: asset.id, kind: .observed, from: t0, lastSeen: t0 + .seconds(60),
                origin: "seed", recentSightings: [t0, t0 + .seconds(60)]))
            nextID += 1
        }
        for (index, name) in ["ws-01", "ws-02", "dc-01"].enumerated() {
            let host = Asset(name: name.uppercased(), category: .host,
                             criticality: index == 2 ? try? Criticality(90) : nil,
                             tags: index == 2 ? ["dc", "critical"] : [],
                             source: .automatic(rule: "unique_hosts"), community: "acme",
                             createdAt: created)
            inventory.load(asset: host)
            attach(.hostname, name, to: host)
            attach(.ipv4, "10.0.0.\(index + 1)", to: host)
        }
        let account = Asset(name: "CORP\\alice", category: .account, tags: ["admin"],
                            source: .manual, community: "acme", createdAt: created)
        inventory.load(asset: account)
        attach(.username, "corp\\alice", to: account)
        return inventory
    }

    /// An event of acme naming only a host, which discovery creates.
    static func observeHost(_ name: String, in inventory: Inventory, at time: EventTime) {
        let hostname = Atom(type: .hostname, normalizedValue: name.lowercased())
        _ = inventory.observe(EventObservation(
            time: time, scope: ScopeKey(community: "acme"), reference: "e:1",
            atoms: [FieldAtom(atom: hostname, field: "host.name")],
            host: HostSubject(displayName: name, hostname: hostname, addresses: [])),
            rules: Set(DiscoveryRule.allCases), now: time, stream: "s")
    }

    /// Each table's rows as sorted text, and the schema's objects.
    static func contents(_ store: InventoryStore) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for table in ["assets", "asset_seen", "attachments", "asset_tags", "asset_counts",
                      "asset_tag_counts", "meta"] {
            result[table] = try store.database.statement("SELECT * FROM \(table)").rows { row in
                (0..<20).map { row.isNull($0) ? "NULL" : row.text($0) }.joined(separator: "|")
            }.sorted()
        }
        result["schema"] = try store.database.statement(
            "SELECT type || ' ' || name FROM sqlite_master ORDER BY 1").rows { $0.text(0) }
        return result
    }

    /// A database at `path` as schema 5 left it, before the migrations
    /// of this work.
    static func schemaFiveDatabase(at path: String) throws -> Database {
        let old = try Database(path: path)
        for (index, sql) in Schema.migrations.prefix(5).enumerated() {
            try old.execute(sql)
            try old.execute("PRAGMA user_version = \(index + 1)")
        }
        return old
    }

    @Test func seedLeavesWhatPersistLeaves() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let seeded = try makeStore("seeded.db")
        try seeded.seed(with: Self.makeInventory().snapshotChanges())
        let plain = try makeStore("plain.db")
        try plain.persist(Self.makeInventory().snapshotChanges())

        // Uuids differ between the two inventories: compare by name.
        let names = { (store: InventoryStore) in
            try store.assets(matching: AssetQuery(community: "acme")).assets.map(\.name)
        }
        #expect(try names(seeded) == ["CORP\\alice", "DC-01", "WS-01", "WS-02"])
        #expect(try Self.contents(seeded)["schema"] == Self.contents(plain)["schema"])
        #expect(try Self.contents(seeded)["asset_counts"] == Self.contents(plain)["asset_counts"])
        #expect(try seeded.database.statement("SELECT count(*) FROM attachments")
            .firstRow { $0.int(0) } == 7)

        // Free text finds names and atoms; the tag and count views agree.
        var search = AssetQuery(community: "acme")
        search.text = "0.0.3"
        #expect(try seeded.assets(matching: search).assets.map(\.name) == ["DC-01"])
        search.text = "alic"
        #expect(try seeded.assets(matching: search).assets.map(\.name) == ["CORP\\alice"])
        var tagged = AssetQuery(community: "acme")
        tagged.tags = ["critical"]
        #expect(try seeded.assets(matching: tagged).assets.map(\.name) == ["DC-01"])
        #expect(try seeded.count(matching: tagged) == 1)
        #expect(try Self.contents(seeded)["asset_tag_counts"]
                == Self.contents(plain)["asset_tag_counts"])
        var hosts = AssetQuery(community: "acme")
        hosts.categories = [.host]
        #expect(try seeded.count(matching: hosts) == 3)
    }

    /// A seed puts its triggers back: an asset written afterwards is
    /// counted and searchable as on any store.
    @Test func writesAfterASeedKeepTheDerivedTables() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore("seeded.db")
        try store.seed(with: Self.makeInventory().snapshotChanges())
        let inventory = try store.loadInventory(settings: InventorySettings())
        let t1 = EventTime(milliseconds: 1_714_100_000_000)
        Self.observeHost("LAB-07", in: inventory, at: t1)
        try store.persist(inventory.drainChanges())
        var hosts = AssetQuery(community: "acme")
        hosts.categories = [.host]
        #expect(try store.count(matching: hosts) == 4)
        var search = AssetQuery(community: "acme")
        search.text = "lab-0"
        #expect(try store.assets(matching: search).assets.map(\.name) == ["LAB-07"])
    }

    /// Every write path queues its free-text rows and moves them into the
    /// search index before it commits (migration 8): a manual creation, a
    /// batch of discovery, a rename. Nothing stays queued after a commit.
    @Test func everyWritePathLeavesItsTextSearchable() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore("text.db")
        let queued = {
            try store.database.statement("SELECT count(*) FROM asset_text_pending")
                .firstRow { $0.int(0) }
        }
        let created = Date(timeIntervalSince1970: 1_714_000_000)
        let t0 = EventTime(milliseconds: 1_714_000_000_000)
        try store.create([AssetDraft(
            asset: Asset(name: "PRINTER-3", category: .host, source: .manual, community: "acme",
                         createdAt: created),
            confirmedAtoms: [Atom(type: .ipv4, normalizedValue: "10.7.7.7")])],
            actor: "test", at: t0)
        #expect(try queued() == 0)

        let inventory = try store.loadInventory(settings: InventorySettings())
        Self.observeHost("KIOSK-12", in: inventory, at: t0)
        try store.persist(inventory.drainChanges(), progress: nil, counters: [:],
                          community: "acme")
        #expect(try queued() == 0)

        var printer = try #require(store.assets(matching: AssetQuery(community: "acme"))
            .assets.first { $0.name == "PRINTER-3" })
        printer.name = "PRINTER-3-FLOOR2"
        try store.persist(InventoryChanges.creating([printer], attachments: [], audit: []))
        #expect(try queued() == 0)

        var search = AssetQuery(community: "acme")
        for (text, names) in [("7.7.7", ["PRINTER-3-FLOOR2"]), ("floor2", ["PRINTER-3-FLOOR2"]),
                              ("iosk-1", ["KIOSK-12"])] {
            search.text = text
            #expect(try store.assets(matching: search).assets.map(\.name) == names, "\(text)")
        }
    }

    /// A second seed into a store with assets adds to it, as persist does.
    @Test func seedIntoAStoreWithAssetsAddsToIt() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore("twice.db")
        try store.seed(with: Self.makeInventory().snapshotChanges())
        try store.seed(with: Self.makeInventory().snapshotChanges())
        #expect(try store.assets(matching: AssetQuery(community: "acme")).total == 8)
        #expect(try store.count(matching: AssetQuery(community: "acme")) == 8)
    }

    /// New atoms are added in the order SQLite keeps `atoms_by_value` in,
    /// byte order included (an accented letter after every ASCII one, an
    /// upper-case one before every lower-case one).
    @Test func newAtomsGoInInTheOrderOfTheirIndex() throws {
        let keys = [("acme", nil, AtomType.hostname, "ws-02"), ("acme", "DMZ", .hostname, "ws-02"),
                    ("acme", nil, .hostname, "WS-01"), ("acme", nil, .hostname, "wé-01"),
                    ("acme", nil, .ipv4, "10.0.0.1"), ("acme", nil, .fqdn, "a.example.org"),
                    ("globex", nil, .email, "a@example.org"), ("acme", "", .hostname, "ws-03"),
                    ("Acme", nil, .username, "corp\\bob"),
                    // Values alike in their first 16 bytes, one of them
                    // those 16 bytes alone: `indexOrder` compares the
                    // strings themselves to order them.
                    ("acme", nil, .fqdn, "host-with-a-long.example.org"),
                    ("acme", nil, .fqdn, "host-with-a-long"),
                    ("acme", nil, .fqdn, "host-with-a-long.example.net")].map { community, entity, type, value in
            AtomKey(scope: ScopeKey(community: community, entity: entity),
                    atom: Atom(type: type, normalizedValue: value))
        }
        let store = try makeStore("order.db")
        defer { try? FileManager.default.removeItem(at: directory) }
        let insert = try store.database.statement(
            "INSERT INTO atoms (community, entity, atom_type, atom_value) VALUES (?1, ?2, ?3, ?4)")
        for key in keys {
            try insert.run([.text(key.scope.community), .text(key.scope.entity ?? ""),
                            .text(key.atom.type.rawValue), .text(key.atom.value)])
        }
        let indexOrder = try store.database.statement("""
            SELECT atom_type || ':' || atom_value || '@' || community || '/' || entity
            FROM atoms INDEXED BY atoms_by_value WHERE community > ''
            ORDER BY community, atom_type, atom_value, entity
            """).rows { $0.text(0) }
        let sorted = keys.sorted(by: InventoryStore.indexPrecedes).map {
            "\($0.atom.type.rawValue):\($0.atom.value)@\($0.scope.community)/\($0.scope.entity ?? "")"
        }
        #expect(sorted == indexOrder)
        #expect(sorted.first == "username:corp\\bob@Acme/")
        let ranked = InventoryStore.indexOrder(of: keys).map {
            "\(keys[$0].atom.type.rawValue):\(keys[$0].atom.value)@\(keys[$0].scope.community)/"
                + (keys[$0].scope.entity ?? "")
        }
        #expect(ranked == indexOrder)
    }
}

/// Migration 6 moves weekly activity to integer atom ids; a store made by
/// an older Perimeter keeps its counts and goes on adding to them.
@Suite struct ActivityMigrationTests {
    @Test func activityOfASchemaFiveStoreSurvivesAndGrows() throws {
        let directory = try ScratchDirectory("migrate")
        defer { directory.remove() }
        let path = directory.path("old.db")

        // A store as schema 5 left it, with counts in two weeks and two
        // entities for one address, and one for an account.
        let week1: Int64 = 1_714_348_800_000 // Monday 2024-04-29
        let week2 = week1 + 7 * 86_400_000
        do {
            let old = try StoreWritePathTests.schemaFiveDatabase(at: path)
            try old.execute("""
                INSERT INTO activity VALUES
                    ('acme', '', 'ipv4', '10.0.0.9', \(week1), 3),
                    ('acme', '', 'ipv4', '10.0.0.9', \(week2), 4),
                    ('acme', 'dmz', 'ipv4', '10.0.0.9', \(week2), 5),
                    ('acme', '', 'username', 'corp\\alice', \(week1), 1),
                    ('globex', '', 'ipv4', '10.0.0.9', \(week1), 9);
                """)
        }

        let store = try InventoryStore(path: path)
        let ip = Atom(type: .ipv4, normalizedValue: "10.0.0.9")
        let alice = Atom(type: .username, normalizedValue: "corp\\alice")
        let weeks = { (atom: Atom, community: String) in
            try store.weeklyActivity(of: atom, community: community).map {
                "\($0.0.milliseconds):\($0.1)"
            }
        }
        // Entities of a community add up, per week; communities stay apart.
        #expect(try weeks(ip, "acme") == ["\(week1):3", "\(week2):9"])
        #expect(try weeks(alice, "acme") == ["\(week1):1"])
        #expect(try weeks(ip, "globex") == ["\(week1):9"])
        // The old shape is still readable, row for row.
        let rows = try store.database.statement("""
            SELECT community, entity, atom_type, atom_value, week_start, count FROM activity
            """).rows { row in (0..<6).map { row.text($0) }.joined(separator: "|") }.sorted()
        #expect(rows == [
            "acme|dmz|ipv4|10.0.0.9|\(week2)|5", "acme||ipv4|10.0.0.9|\(week1)|3",
            "acme||ipv4|10.0.0.9|\(week2)|4", "acme||username|corp\\alice|\(week1)|1",
            "globex||ipv4|10.0.0.9|\(week1)|9",
        ])

        // An ingest batch adds to the migrated counts of the same atom.
        let inventory = try store.loadInventory(settings: InventorySettings())
        let time = EventTime(milliseconds: week2 + 3_600_000)
        for offset in 0..<2 {
            _ = inventory.observe(EventObservation(
                time: time + .seconds(Int64(offset)), scope: ScopeKey(community: "acme"),
                reference: "e:\(offset)", atoms: [FieldAtom(atom: ip, field: "source.ip")]),
                rules: [], now: time + .days(1), stream: "s")
        }
        try store.persist(inventory.drainChanges(), progress: nil, counters: [:],
                          community: "acme")
        #expect(try weeks(ip, "acme") == ["\(week1):3", "\(week2):11"])
        #expect(try store.database.statement("SELECT count(*) FROM atoms").firstRow {
            $0.int(0)
        } == 4)
    }
}

/// Sightings are stored as varint deltas (schema 6); the table is the
/// format, worked out by hand.
@Suite struct SightingsEncodingTests {
    static let cases: [([Int64], [UInt8])] = [
        ([], []),
        // 1000 → zigzag 2000 = 0b1111_1010000 → 0xD0 0x0F; then +1 → 2.
        ([1_000, 1_001], [0xD0, 0x0F, 0x02]),
        // Out of order: 5 → 10; then -2 → zigzag 3.
        ([5, 3], [0x0A, 0x03]),
        // A time before 1970 is negative: -1 → zigzag 1.
        ([-1], [0x01]),
    ]

    @Test(arguments: cases)
    func encodesAsVarintDeltas(times: [Int64], bytes: [UInt8]) {
        let events = times.map { EventTime(milliseconds: $0) }
        #expect(InventoryStore.encode(events) == bytes)
        #expect(InventoryStore.decode(bytes) == events)
    }

    /// Real times a minute apart: 6 bytes for the first, 3 for the next.
    @Test func realSightingsTakeAFewBytesEach() {
        let times = (0..<100).map { EventTime(milliseconds: 1_714_000_000_000 + $0 * 60_000) }
        let bytes = InventoryStore.encode(times)
        #expect(bytes.count == 6 + 99 * 3)
        #expect(InventoryStore.decode(bytes) == times)
    }

    /// A schema 5 store's fixed-width sightings read back the same after
    /// the migration.
    @Test func migrationRewritesFixedWidthSightings() throws {
        let directory = try ScratchDirectory("sightings")
        defer { directory.remove() }
        let path = directory.path("old.db")
        let asset = UUID()
        do {
            let old = try StoreWritePathTests.schemaFiveDatabase(at: path)
            // 1714000000000 = 0x18F_125C_7400 and +60000 = 0x18F_125D_5E60, little-endian.
            try old.execute("""
                INSERT INTO attachments VALUES
                    (1, 'acme', '', 'ipv4', '10.0.0.9', '\(asset.uuidString.lowercased())',
                     'observed', 1714000000000, NULL, 1714000060000, 'f:1',
                     x'00745C128F010000605E5D128F010000'),
                    (2, 'acme', '', 'hostname', 'ws-01', '\(asset.uuidString.lowercased())',
                     'observed', 1714000000000, NULL, 1714000000000, 'f:1', NULL);
                """)
        }
        let store = try InventoryStore(path: path)
        let attachments = try store.attachments(ofAsset: asset)
        #expect(attachments.map(\.recentSightings) == [
            [EventTime(milliseconds: 1_714_000_000_000), EventTime(milliseconds: 1_714_000_060_000)],
            [],
        ])
        // Migration 11 moved the last sightings out of the attachment rows.
        #expect(attachments.map(\.lastSeen.milliseconds) == [1_714_000_060_000, 1_714_000_000_000])
        let columns = try store.database.statement("SELECT name FROM pragma_table_info('attachments')")
            .rows { $0.text(0) }
        #expect(!columns.contains("last_seen") && !columns.contains("sightings"))
    }
}

/// Seen times in `asset_seen` (migration 12), and the keys that reach them.
@Suite struct SeenTimesTests {
    static let created: Int64 = 1_714_000_000_000

    /// A store as schema 11 left it, with two hosts: WS-02 seen from
    /// created+100 s to created+900 s, WS-01 created a second later and
    /// never seen. Their uuids run the other way on purpose.
    static func schemaElevenStore(at path: String) throws {
        let old = try Database(path: path)
        for (index, sql) in Schema.migrations.prefix(11).enumerated() {
            try old.execute(sql)
            try old.execute("PRAGMA user_version = \(index + 1)")
        }
        try old.execute("""
            INSERT INTO assets (uuid, community, name, category, source, created_at, updated_at,
                                first_seen, last_seen)
            VALUES ('00000000-0000-4000-8000-000000000002', 'acme', 'WS-02', 'host', 'manual',
                    \(created), \(created), \(created + 100_000), \(created + 900_000)),
                   ('00000000-0000-4000-8000-000000000001', 'acme', 'WS-01', 'host', 'manual',
                    \(created + 1_000), \(created + 1_000), NULL, NULL);
            """)
    }

    /// That store, opened (and so migrated) by this perimeter.
    static func migratedStore(in directory: ScratchDirectory) throws -> InventoryStore {
        let path = directory.path("old.db")
        try schemaElevenStore(at: path)
        return try InventoryStore(path: path)
    }

    @Test func seenTimesSurviveAndTheColumnsLeave() throws {
        let directory = try ScratchDirectory("seen")
        defer { directory.remove() }
        let store = try Self.migratedStore(in: directory)

        let seen = try store.asset(named: "WS-02", community: "acme")
        #expect(seen.firstSeen == Date(timeIntervalSince1970: 1_714_000_100))
        #expect(seen.lastSeen == Date(timeIntervalSince1970: 1_714_000_900))
        let never = try store.asset(named: "WS-01", community: "acme")
        #expect(never.firstSeen == nil && never.lastSeen == nil)
        let columns = try store.database.statement("SELECT name FROM pragma_table_info('assets')")
            .rows { $0.text(0) }
        #expect(!columns.contains("first_seen") && !columns.contains("last_seen"))
        // Keys numbered in creation order, as new assets get theirs; each
        // row carries its asset's community.
        #expect(try store.database.statement("""
            SELECT name, seen_id, asset_community FROM assets JOIN asset_seen ON id = seen_id
            ORDER BY seen_id
            """).rows { "\($0.text(0)) \($0.int(1)) \($0.text(2))" } == ["WS-02 1 acme", "WS-01 2 acme"])
    }

    @Test func newAssetsTakeTheNextKeyAndErasedOnesTakeTheirRow() throws {
        let directory = try ScratchDirectory("seen")
        defer { directory.remove() }
        let store = try Self.migratedStore(in: directory)
        let seenAt = Date(timeIntervalSince1970: 1_714_000_500)
        let newHost = Asset(id: UUID(uuidString: "00000000-0000-4000-8000-000000000000")!,
                            name: "WS-03", category: .host, source: .manual, community: "acme",
                            createdAt: Date(timeIntervalSince1970: 1_714_000_000),
                            firstSeen: seenAt, lastSeen: seenAt)
        try store.persist(.creating([newHost], attachments: [], audit: []))
        #expect(try store.database.statement("SELECT seen_id FROM assets WHERE name = 'WS-03'")
            .firstRow { $0.int(0) } == 3)

        // Newest first: WS-02 (900 s), WS-03 (500 s), then WS-01, never seen.
        var query = AssetQuery(community: "acme")
        query.sort = .lastSeen
        query.descending = true
        #expect(try store.page(matching: query, after: nil, limit: 10).assets.map(\.name)
                == ["WS-02", "WS-03", "WS-01"])

        try store.database.execute("DELETE FROM assets WHERE name = 'WS-02'")
        #expect(try store.database.statement("SELECT id FROM asset_seen ORDER BY id")
            .rows { $0.int(0) } == [2, 3])
    }

    static func host(_ number: Int) -> Asset {
        Asset(id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", number))!,
              name: "WS-\(number)", category: .host, source: .manual, community: "acme",
              createdAt: Date(timeIntervalSince1970: 1_714_000_000))
    }

    static func seen(_ asset: Asset, _ first: TimeInterval, _ last: TimeInterval) -> InventoryChanges {
        var changes = InventoryChanges.creating([], attachments: [], audit: [])
        changes.seenTimes = [SeenTimes(asset: asset.id,
                                       firstSeen: Date(timeIntervalSince1970: first),
                                       lastSeen: Date(timeIntervalSince1970: last))]
        return changes
    }

    /// An ingest's connection writes seen times by the keys it loaded with
    /// the inventory; a key it kept for an erased asset reaches no other
    /// asset's row, and it looks up the key of an asset another
    /// connection created since.
    @Test func seenTimesReachTheirAssetWhateverTheConnectionKnows() throws {
        let directory = try ScratchDirectory("seen")
        defer { directory.remove() }
        let ingest = try InventoryStore(path: directory.path("store.db"))
        let other = try InventoryStore(path: directory.path("store.db"))
        let (kept, erased, later) = (Self.host(1), Self.host(2), Self.host(3))
        try ingest.persist(.creating([kept, erased], attachments: [], audit: []))
        _ = try ingest.loadInventory(settings: InventorySettings())

        try ingest.persist(Self.seen(kept, 1_714_000_100, 1_714_000_200))
        let first = try #require(try other.asset(id: kept.id, community: "acme"))
        #expect(first.firstSeen == Date(timeIntervalSince1970: 1_714_000_100))
        #expect(first.lastSeen == Date(timeIntervalSince1970: 1_714_000_200))

        // The erased asset held the largest key, 2; the next one takes 3.
        try other.database.execute("DELETE FROM assets WHERE name = 'WS-2'")
        try other.persist(.creating([later], attachments: [], audit: []))
        #expect(try other.database.statement("SELECT seen_id FROM assets WHERE name = 'WS-3'")
            .firstRow { $0.int(0) } == 3)
        try ingest.persist(Self.seen(erased, 1_714_000_300, 1_714_000_400))
        let untouched = try #require(try other.asset(id: later.id, community: "acme"))
        #expect(untouched.firstSeen == nil && untouched.lastSeen == nil)

        try ingest.persist(Self.seen(later, 1_714_000_500, 1_714_000_600))
        let found = try #require(try other.asset(id: later.id, community: "acme"))
        #expect(found.firstSeen == Date(timeIntervalSince1970: 1_714_000_500))
        #expect(found.lastSeen == Date(timeIntervalSince1970: 1_714_000_600))
        #expect(try other.database.statement("SELECT count(*) FROM asset_seen")
            .firstRow { $0.int(0) } == 2)
    }

    /// An ingest's connection writes a new asset's seen row itself, times
    /// and all, before the asset; an asset another connection stored since
    /// the inventory was loaded keeps its own row, and no row is left
    /// without an asset.
    @Test func anIngestWritesANewAssetsSeenRowWithIt() throws {
        let directory = try ScratchDirectory("seen")
        defer { directory.remove() }
        let ingest = try InventoryStore(path: directory.path("store.db"))
        let other = try InventoryStore(path: directory.path("store.db"))
        try ingest.persist(.creating([Self.host(1)], attachments: [], audit: []))
        _ = try ingest.loadInventory(settings: InventorySettings())

        /// The ingest writes `number` as a new host seen from `first` to
        /// `last`; the other connection finds those times and `key`.
        func writeNew(_ number: Int, seen first: TimeInterval, _ last: TimeInterval,
                      expectingKey key: Int64) throws {
            var host = Self.host(number)
            host.firstSeen = Date(timeIntervalSince1970: first)
            host.lastSeen = Date(timeIntervalSince1970: last)
            try ingest.persist(.creating([host], attachments: [], audit: []))
            let stored = try #require(try other.asset(id: host.id, community: "acme"))
            #expect(stored.firstSeen == host.firstSeen && stored.lastSeen == host.lastSeen)
            #expect(try other.database.statement("SELECT seen_id FROM assets WHERE uuid = ?1")
                .firstRow([.text(host.id.lowercasedText)]) { $0.int(0) } == key)
        }
        try writeNew(2, seen: 1_714_000_100, 1_714_000_200, expectingKey: 2)
        // Host 3 is stored by the other connection (key 3); the ingest,
        // which never loaded it, writes it as new: its row is dropped and
        // the stored one takes the times.
        try other.persist(.creating([Self.host(3)], attachments: [], audit: []))
        try writeNew(3, seen: 1_714_000_300, 1_714_000_400, expectingKey: 3)
        #expect(try other.database.statement("""
            SELECT (SELECT count(*) FROM asset_seen),
                   (SELECT count(*) FROM asset_seen WHERE id NOT IN (SELECT seen_id FROM assets))
            """).firstRow { "\($0.int(0)) \($0.int(1))" } == "3 0")
    }
}

/// A first import of 1,000 assets or more into a store without assets is
/// seeded; it must leave exactly the rows of the row-by-row path.
@Suite struct SeededImportTests {
    static func drafts(_ count: Int) -> [AssetDraft] {
        let created = Date(timeIntervalSince1970: 1_714_000_000)
        return (0..<count).map { index in
            let asset = Asset(
                id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", index))!,
                name: "HOST-\(index)", category: .host,
                criticality: index % 3 == 0 ? try? Criticality(index % 101) : nil,
                tags: index % 2 == 0 ? ["prod", "linux"] : [], source: .manual,
                community: "acme", createdAt: created)
            return AssetDraft(asset: asset, confirmedAtoms: [
                Atom(type: .hostname, normalizedValue: "host-\(index)"),
                Atom(type: .ipv4, normalizedValue: "10.0.\(index / 256).\(index % 256)"),
            ])
        }
    }

    @Test func aSeededImportLeavesTheRowsOfARowByRowOne() throws {
        let directory = try ScratchDirectory("import")
        defer { directory.remove() }
        let now = EventTime(milliseconds: 1_714_000_000_000)
        let drafts = Self.drafts(1_200)

        let seeded = try InventoryStore(path: directory.path("s.db"))
        try seeded.create(drafts, actor: "import", at: now)
        // Two halves under the threshold: the row-by-row path.
        let plain = try InventoryStore(path: directory.path("p.db"))
        try plain.create(Array(drafts[..<600]), actor: "import", at: now)
        try plain.create(Array(drafts[600...]), actor: "import", at: now)

        let seededRows = try StoreWritePathTests.contents(seeded)
        let plainRows = try StoreWritePathTests.contents(plain)
        for table in ["assets", "asset_seen", "attachments", "asset_tags", "asset_counts",
                      "asset_tag_counts"] {
            #expect(seededRows[table] == plainRows[table], "table \(table)")
        }
        #expect(seededRows["asset_seen"]?.count == 1_200)
        #expect(seededRows["attachments"]?.count == 2_400)
        var tagged = AssetQuery(community: "acme")
        tagged.tags = ["prod"]
        #expect(try seeded.count(matching: tagged) == 600)
        var search = AssetQuery(community: "acme")
        search.text = "10.0.4.175"
        #expect(try seeded.assets(matching: search).assets.map(\.name) == ["HOST-1199"])
        #expect(try seeded.database.statement("SELECT count(*) FROM audit")
            .firstRow { $0.int(0) } == 1_200)
    }

    @Test func aConflictInALargeImportWritesNothing() throws {
        let directory = try ScratchDirectory("import")
        defer { directory.remove() }
        var drafts = Self.drafts(1_100)
        // The last asset claims the first one's hostname, an exclusive atom.
        drafts[1_099].confirmedAtoms = [Atom(type: .hostname, normalizedValue: "host-0")]
        let store = try InventoryStore(path: directory.path("c.db"))
        #expect(throws: StoreError.self) {
            try store.create(drafts, actor: "import", at: EventTime(milliseconds: 0))
        }
        #expect(try store.database.statement("SELECT count(*) FROM assets")
            .firstRow { $0.int(0) } == 0)
    }
}
