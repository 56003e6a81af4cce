import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite
import PerimeterStore
import Testing

/// The store's fast paths (a bulk seed, the batch write of an ingest)
/// leave exactly what the plain row-by-row path leaves.
@Suite struct StoreWritePathTests {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("perimeter-write-\(UUID().uuidString)")

    func makeStore(_ name: String) throws -> InventoryStore {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try InventoryStore(path: directory.appendingPathComponent(name).path)
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

    /// Each table's rows as sorted text, and the schema's objects.
    static func contents(_ store: InventoryStore) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for table in ["assets", "attachments", "asset_tags", "asset_counts", "meta"] {
            result[table] = try store.database.statement("SELECT * FROM \(table)").rows { row in
                (0..<20).map { row.isNull($0) ? "NULL" : row.text($0) }.joined(separator: "|")
            }.sorted()
        }
        result["schema"] = try store.database.statement(
            "SELECT type || ' ' || name FROM sqlite_master ORDER BY 1").rows { $0.text(0) }
        return result
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
        _ = inventory.observe(EventObservation(
            time: t1, scope: ScopeKey(community: "acme"), reference: "e:1",
            atoms: [FieldAtom(atom: Atom(type: .hostname, normalizedValue: "lab-07"),
                              field: "host.name")],
            host: HostSubject(displayName: "LAB-07",
                              hostname: Atom(type: .hostname, normalizedValue: "lab-07"),
                              addresses: [])),
            rules: Set(DiscoveryRule.allCases), now: t1, stream: "s")
        try store.persist(inventory.drainChanges())
        var hosts = AssetQuery(community: "acme")
        hosts.categories = [.host]
        #expect(try store.count(matching: hosts) == 4)
        var search = AssetQuery(community: "acme")
        search.text = "lab-0"
        #expect(try store.assets(matching: search).assets.map(\.name) == ["LAB-07"])
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
}
