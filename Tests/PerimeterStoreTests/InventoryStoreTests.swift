import Foundation
import Synchronization
import PerimeterTestSupport
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite
import PerimeterStore
import Testing

@Suite struct InventoryStoreTests {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("perimeter-store-\(UUID().uuidString)")

    func makeStore() throws -> InventoryStore {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try InventoryStore(path: directory.appendingPathComponent("store.db").path)
    }

    let scope = ScopeKey(community: "acme")
    let t0 = EventTime(parsing: "2024-05-01T09:00:00Z")!
    let ws = Atom(type: .hostname, normalizedValue: "ws-01")
    let ip = Atom(type: .ipv4, normalizedValue: "10.0.0.9")

    /// WS-01 seen with its address `offset` seconds after `t0`.
    func observeWS01(_ inventory: Inventory, after offset: Int64) {
        _ = inventory.observe(EventObservation(
            time: t0 + .seconds(offset), scope: scope, reference: "t:\(offset)",
            atoms: [FieldAtom(atom: ws, field: "host.name"), FieldAtom(atom: ip, field: "host.ip")],
            host: HostSubject(displayName: "WS-01", hostname: ws, addresses: [ip])),
            rules: Set(DiscoveryRule.allCases), now: t0 + .days(1), stream: "file:1")
    }

    /// What discovery did in memory comes back, attachment for attachment,
    /// from a new process's load.
    @Test func persistedInventoryLoadsBackTheSame() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore()
        let inventory = Inventory()
        for offset: Int64 in [0, 3_600] { observeWS01(inventory, after: offset) }
        try store.persist(inventory.drainChanges(), progress: nil, counters: ["events_read": 2],
                          community: "acme")

        let loaded = try store.loadInventory(settings: InventorySettings())
        #expect(loaded.assetCount == 1)
        let asset = try #require(loaded.assets.values.first)
        #expect(asset.name == "WS-01")
        #expect(asset.source == .automatic(rule: "unique_hosts"))
        let atoms = loaded.attachments(of: asset.id).map { "\($0.key.atom) \($0.from) \($0.lastSeen)" }
        #expect(atoms == ["hostname:ws-01 2024-05-01T09:00:00.000Z 2024-05-01T10:00:00.000Z",
                          "ipv4:10.0.0.9 2024-05-01T09:00:00.000Z 2024-05-01T10:00:00.000Z"])
        #expect(try store.counters(community: "acme") == ["events_read": 2])
        // Two events in the week of Monday 2024-04-29 for each atom.
        #expect(try store.weeklyActivity(of: ip, community: "acme").map(\.1) == [2])
        #expect(try store.weeklyActivity(of: ip, community: "globex").isEmpty)
        // The watermark of the stream survives, so lateness is judged alike.
        _ = loaded.observe(EventObservation(time: t0 - .hours(30), scope: scope, reference: "old",
                                            atoms: [FieldAtom(atom: ws, field: "host.name")]),
                           rules: [], now: t0 + .days(1), stream: "file:1")
        #expect(loaded.watermark == t0 + .seconds(3_600))
    }

    /// A later batch that only sights what an earlier one attached writes
    /// the sightings alone (migration 11), and a new process's load reads
    /// them back with their attachments; deleting an attachment takes its
    /// sightings with it.
    @Test func sightingsOfALaterBatchLoadBack() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore()
        let inventory = Inventory()
        for offset: Int64 in [0, 600] {
            observeWS01(inventory, after: offset)
            let changes = inventory.drainChanges()
            #expect(changes.sightings.count == (offset == 0 ? 0 : 2))
            try store.persist(changes, progress: nil, counters: [:], community: "acme")
        }
        func count(_ table: String) throws -> Int64? {
            try store.database.statement("SELECT count(*) FROM \(table)").firstRow { $0.int(0) }
        }
        #expect(try count("attachments") == 2)
        #expect(try count("attachment_sightings") == 2)

        let loaded = try store.loadInventory(settings: InventorySettings())
        let asset = try #require(loaded.assets.values.first)
        let attachments = loaded.attachments(of: asset.id).sorted { $0.key.atom < $1.key.atom }
        #expect(attachments.map(\.key.atom) == [ws, ip])
        #expect(attachments.map(\.from) == [t0, t0])
        #expect(attachments.map(\.lastSeen) == [t0 + .seconds(600), t0 + .seconds(600)])
        #expect(attachments.map(\.recentSightings) == [[t0], [t0, t0 + .seconds(600)]])

        try store.database.execute("DELETE FROM attachments WHERE atom_type = 'ipv4'")
        #expect(try count("attachment_sightings") == 1)
    }

    /// SPEC §8: the store holds raw events' identifiers; only its owner reads it.
    /// The server's idempotency keys are progress rows of their own
    /// prefix: forgotten once old, the files' progress kept whatever its age.
    @Test func oldProgressOfAPrefixIsForgottenAlone() throws {
        let store = try makeStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        for source in ["http-key:acme//k1", "dev:1:inode:7"] {
            try store.persist(InventoryChanges.creating([], attachments: [], audit: []),
                              progress: IngestProgress(
                source: source, path: "p", size: 10, byteOffset: 10, line: 2),
                counters: [:], community: "acme")
        }
        try store.deleteProgress(ofSourcesStartingWith: "http-key:",
                                 updatedBefore: Date().addingTimeInterval(-3600))
        #expect(try store.progress(forSource: "http-key:acme//k1")?.line == 2)
        try store.deleteProgress(ofSourcesStartingWith: "http-key:",
                                 updatedBefore: Date().addingTimeInterval(60))
        #expect(try store.progress(forSource: "http-key:acme//k1") == nil)
        #expect(try store.progress(forSource: "dev:1:inode:7")?.line == 2)
    }

    @Test func storeFileIsPrivate() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore()
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o600)
    }

    /// An empty file made beforehand (`touch`, mode 0644) becomes a store
    /// readable by its owner only, as a new one does.
    @Test func anEmptyFileMadeAStoreIsPrivate() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("touched.db").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil,
                                               attributes: [.posixPermissions: 0o644]))
        _ = try InventoryStore(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o600)
    }

    /// A store from a newer Perimeter is refused, not silently downgraded.
    @Test func newerSchemaIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore()
        try store.database.execute("PRAGMA user_version = \(InventoryStore.schemaVersion + 1)")
        #expect(throws: StoreError.self) { _ = try InventoryStore(path: store.path) }
    }

    /// A name seven assets share is refused with five of their uuids and
    /// the count of the rest (it listed five, as if they were all).
    @Test func anAmbiguousNameSaysHowManyShareIt() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore()
        let now = EventTime(parsing: "2024-05-01T09:00:00Z")!
        try store.create((0..<7).map { _ in
            AssetDraft(asset: Asset(name: "docker-agent", category: .host, source: .manual,
                                    community: "acme", createdAt: now.date), confirmedAtoms: [])
        }, actor: "test", at: now)
        #expect {
            _ = try store.asset(named: "Docker-Agent", community: "acme")
        } throws: { error in
            guard let error = error as? StoreError, error.code == .ambiguous else { return false }
            // Each uuid says what it is (a host and an account may share a name).
            return error.message.hasPrefix("7 assets are named 'Docker-Agent'; give a uuid: ")
                && error.message.hasSuffix(" and 2 more")
                && error.message.components(separatedBy: " (host)").count == 6
        }
    }

    /// An SQLite database of something else, given as the store, is
    /// refused and left as it was: it had Perimeter's tables added to it.
    @Test func aForeignDatabaseIsNotMadeAStore() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("customers.db").path
        do {
            let other = try Database(path: path)
            try other.execute("CREATE TABLE customers (name TEXT)")
        }
        #expect {
            _ = try InventoryStore(path: path)
        } throws: { error in
            (error as? StoreError)?.message.contains("not a Perimeter store") == true
        }
        let other = try Database(path: path)
        let tables = try other.statement("SELECT name FROM sqlite_master ORDER BY name")
            .rows([]) { $0.text(0) }
        #expect(tables == ["customers"])
        // One with a version of its own is no store either.
        let versioned = directory.appendingPathComponent("versioned.db").path
        do {
            let database = try Database(path: versioned)
            try database.execute("CREATE TABLE t (x); PRAGMA user_version = 3")
        }
        #expect {
            _ = try InventoryStore(path: versioned)
        } throws: { error in
            (error as? StoreError)?.message.contains("not a Perimeter store") == true
        }
        #expect(try Database(path: versioned).statement("PRAGMA journal_mode").firstRow([]) {
            $0.text(0)
        } == "delete")
        // Nor is its journal mode changed (it was set to WAL for good), nor
        // a newer store's.
        #expect(try other.statement("PRAGMA journal_mode").firstRow([]) { $0.text(0) } == "delete")
        let newer = directory.appendingPathComponent("newer.db").path
        do {
            let database = try Database(path: newer)
            try database.execute("PRAGMA user_version = \(InventoryStore.schemaVersion + 1)")
        }
        #expect(throws: StoreError.self) { _ = try InventoryStore(path: newer) }
        #expect(try Database(path: newer).statement("PRAGMA journal_mode").firstRow([]) {
            $0.text(0)
        } == "delete")
    }

    /// Connections opening a new store at once each get the whole schema:
    /// the version was read outside the steps' transactions, and the second
    /// ran the first step again ("table meta already exists").
    @Test func aNewStoreOpenedByManyAtOnceIsMadeOnce() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for round in 0..<10 {
            let path = directory.appendingPathComponent("race-\(round).db").path
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { _ = try InventoryStore(path: path) } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [], "round \(round)")
            let version = try Database(path: path).statement("PRAGMA user_version")
                .firstRow([]) { Int($0.int(0)) }
            #expect(version == InventoryStore.schemaVersion)
        }
    }

    /// Creating an asset whose exclusive atom another asset holds is refused
    /// whole: nothing of the batch is written.
    @Test func exclusiveAtomClashRefusesTheBatch() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore()
        let now = EventTime(parsing: "2024-05-01T09:00:00Z")!
        func draft(_ name: String) -> AssetDraft {
            AssetDraft(asset: Asset(name: name, category: .host, source: .manual, community: "acme",
                                    createdAt: now.date),
                       confirmedAtoms: [Atom(type: .mac, normalizedValue: "00:50:56:a1:00:01")])
        }
        try store.create([draft("one")], actor: "test", at: now)
        #expect(throws: StoreError.self) { try store.create([draft("two"), draft("three")],
                                                             actor: "test", at: now) }
        #expect(try store.assets(matching: AssetQuery(community: "acme")).total == 1)
    }

    /// The filters of SPEC §4 combine, and the count is of all matches.
    @Test func filtersCombine() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try makeStore()
        let now = EventTime(parsing: "2024-05-01T09:00:00Z")!
        let rows: [(String, AssetCategory, Int?, Set<String>)] = [
            ("dc-01", .host, 95, ["critical", "dc"]), ("dc-02", .host, 90, ["dc"]),
            ("ws-01", .host, 20, []), ("alice", .account, 80, ["critical"]), ("lab", .host, nil, []),
        ]
        try store.create(rows.map { name, category, criticality, tags in
            AssetDraft(asset: Asset(name: name, category: category,
                                    criticality: try criticality.map { try Criticality($0) },
                                    tags: tags, source: .manual, community: "acme", createdAt: now.date),
                       confirmedAtoms: [])
        }, actor: "test", at: now)
        var query = AssetQuery(community: "acme")
        query.categories = [.host]
        query.criticality = 68...100
        #expect(try store.assets(matching: query).assets.map(\.name) == ["dc-01", "dc-02"])
        query.tags = ["critical"]
        #expect(try store.assets(matching: query).total == 1)
        var unrated = AssetQuery(community: "acme")
        unrated.unratedOnly = true
        #expect(try store.assets(matching: unrated).assets.map(\.name) == ["lab"])
        var text = AssetQuery(community: "acme")
        text.text = "DC-"
        text.limit = 1
        let page = try store.assets(matching: text)
        #expect(page.total == 2 && page.assets.count == 1)
        #expect(try store.assets(matching: AssetQuery(community: "globex")).total == 0)
    }

    /// A name with capitals beyond ASCII is found however the search spells
    /// it: SQLite's lower() left `MÜLLER-WS` as `mÜller-ws`, which no
    /// search matched, not even the name typed as it is.
    @Test func aSearchFindsCapitalsBeyondASCII() throws {
        let directory = try ScratchDirectory("search-folded")
        defer { directory.remove() }
        let store = try InventoryStore(path: directory.path("store.db"))
        let now = EventTime(parsing: "2024-05-01T09:00:00Z")!
        try store.create(["MÜLLER-WS", "ÉRIC-PC", "éric-pc2", "mull-01"].map { name in
            AssetDraft(asset: Asset(name: name, category: .host, source: .manual,
                                    community: "acme", createdAt: now.date), confirmedAtoms: [])
        }, actor: "test", at: now)
        for (text, names) in [("MÜLLER", ["MÜLLER-WS"]), ("müller", ["MÜLLER-WS"]),
                              ("Ü", ["MÜLLER-WS"]), ("ÉRIC-PC", ["ÉRIC-PC", "éric-pc2"]),
                              ("éric", ["ÉRIC-PC", "éric-pc2"]), ("MULL", ["mull-01"])] {
            var query = AssetQuery(community: "acme")
            query.text = text
            #expect(try store.assets(matching: query).assets.map(\.name).sorted() == names.sorted(),
                    "\(text)")
        }
    }

    /// A source filter takes the discovery rule as the API names it and as
    /// the command line's tables print it (`auto:unique_hosts`).
    @Test func aSourceFilterTakesARuleByEitherName() {
        for text in ["unique_hosts", "auto:unique_hosts"] {
            var query = AssetQuery(community: "acme")
            let accepted = query.selectSource(text)
            #expect(accepted, "\(text)")
            #expect(query.source == "automatic" && query.discoveryRule == "unique_hosts", "\(text)")
        }
        for refused in ["auto:", "auto:bogus", "auto:manual", "Unique_Hosts"] {
            var query = AssetQuery(community: "acme")
            let accepted = query.selectSource(refused)
            #expect(!accepted, "\(refused)")
            #expect(query.source == nil && query.discoveryRule == nil, "\(refused)")
        }
    }
}

@Suite struct PropertyRoundTripTests {
    /// A number 1 stays a number and `true` a boolean through the store's
    /// JSON (Foundation gives both as NSNumber).
    @Test func typedValuesSurviveTheStore() throws {
        let directory = try ScratchDirectory("props")
        defer { directory.remove() }
        let store = try InventoryStore(path: directory.path("s.db"))
        let properties: [String: PropertyValue] = [
            "vlan": .number(1), "owner": .string("it \"ops\""), "managed": .boolean(true),
            "edr_agent_id": .list(["a", "b"]), "ratio": .number(0.5),
        ]
        let asset = Asset(name: "n", category: .network, tags: ["x", "a"], source: .manual,
                          properties: properties, community: "acme", createdAt: Date())
        try store.create([AssetDraft(asset: asset, confirmedAtoms: [])], actor: "t",
                         at: EventTime(Date()))
        let loaded = try store.asset(named: asset.id.uuidString, community: "acme")
        #expect(loaded.properties == properties)
        #expect(loaded.tags == ["a", "x"])
    }
}
