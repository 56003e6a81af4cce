import PerimeterTestSupport
import Foundation
import PerimeterModel
import PerimeterStore
import Testing

/// The tag filter of the asset list and its count (kept per tag, category
/// and state by migration 7), through every change that moves them.
@Suite(.serialized)
struct TagFilterTests {
    static func total(_ server: TestServer, _ query: String,
                      as token: String = "acme/reader") async throws -> Int {
        let page = try await server.call("GET", "/v1/assets?limit=1000&\(query)", as: token)
            .json()
        let total = page["total"] as? Int ?? -1
        // The count is the listing's length, never a guess beside it.
        #expect((page["assets"] as? [Any])?.count == total, "\(query)")
        return total
    }

    @Test func countsFollowTagsCategoriesAndRevocation() async throws {
        let server = try await TestServer.start()
        var hosts: [String] = []
        for index in 0..<3 {
            hosts.append(try await server.createAsset(
                ["name": "vip-host-\(index)", "category": "host", "tags": ["vip"]],
                as: "acme/analyst"))
        }
        let account = try await server.createAsset(
            ["name": "vip-account", "category": "account", "tags": ["vip", "finance"]],
            as: "acme/analyst")
        try await server.createAsset(["name": "plain-host", "category": "host"],
                                     as: "acme/analyst")
        try await server.createAsset(
            ["name": "other-vip", "category": "host", "tags": ["vip"]], as: "globex/analyst")

        #expect(try await Self.total(server, "tag=vip&category=host") == 3)
        #expect(try await Self.total(server, "tag=vip") == 4)
        #expect(try await Self.total(server, "tag=vip&category=account") == 1)
        #expect(try await Self.total(server, "tag=vip", as: "globex/reader") == 1)
        #expect(try await Self.total(server, "tag=nobody") == 0)

        // A revoked asset leaves the default view, not the revoked one.
        let revoked = try await server.call("POST", "/v1/assets/\(hosts[0])/revoke",
                                            as: "acme/analyst")
        #expect(revoked.status == 200)
        #expect(try await Self.total(server, "tag=vip&category=host") == 2)
        #expect(try await Self.total(server, "tag=vip&category=host&include_revoked=true") == 3)

        // Tags removed and added by an edit and by a bulk job.
        let patched = try await server.call("PATCH", "/v1/assets/\(account)", as: "acme/analyst",
                                            json: ["remove_tags": ["vip"]])
        #expect(patched.status == 200)
        #expect(try await Self.total(server, "tag=vip&category=account") == 0)
        #expect(try await Self.total(server, "tag=finance&category=account") == 1)
        let job = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "add_tags", "tags": ["vip"], "ids": [account],
        ])
        let id = try #require(try job.json()["id"] as? String)
        var status = ""
        for _ in 0..<200 where status != "succeeded" {
            try await Task.sleep(for: .milliseconds(20))
            status = try await server.call("GET", "/v1/jobs/\(id)", as: "acme/reader")
                .json()["status"] as? String ?? ""
        }
        #expect(status == "succeeded")
        #expect(try await Self.total(server, "tag=vip&category=account") == 1)
        // Two tags: both held (the count is made by counting).
        #expect(try await Self.total(server, "tag=vip&tag=finance") == 1)
        await server.stop()
    }

    /// `VIP`, `vip` and `Vip` are one label: an asset keeps the first
    /// spelling given, and filters and edits find every spelling.
    @Test func tagsAreOneLabelInAnyASCIICase() async throws {
        let server = try await TestServer.start()
        try await server.createAsset(["name": "a", "category": "host", "tags": ["VIP"]],
                                     as: "acme/analyst")
        try await server.createAsset(["name": "b", "category": "host",
                                      "tags": ["vip", "Finance"]], as: "acme/analyst")
        let account = try await server.createAsset(
            ["name": "c", "category": "account", "tags": ["Vip", "VIP"]], as: "acme/analyst")
        func tags(_ id: String) async throws -> [String] {
            try await server.call("GET", "/v1/assets/\(id)", as: "acme/reader")
                .json()["tags"] as? [String] ?? ["?"]
        }
        #expect(try await tags(account) == ["Vip"])
        #expect(try await Self.total(server, "tag=vip") == 3)
        #expect(try await Self.total(server, "tag=VIP&category=host") == 2)
        #expect(try await Self.total(server, "tag=FINANCE") == 1)
        #expect(try await Self.total(server, "tag=finance&tag=Vip") == 1)

        var patched = try await server.call("PATCH", "/v1/assets/\(account)", as: "acme/analyst",
                                            json: ["add_tags": ["VIP"]])
        #expect(patched.status == 200)
        #expect(try await tags(account) == ["Vip"])
        patched = try await server.call("PATCH", "/v1/assets/\(account)", as: "acme/analyst",
                                        json: ["remove_tags": ["vIP"]])
        #expect(patched.status == 200)
        #expect(try await tags(account) == [])
        #expect(try await Self.total(server, "tag=vip") == 2)

        // Typed decomposed (e + U+0301), a name and a tag are kept
        // composed, as events and searches spell them.
        let cafe = try await server.createAsset(
            ["name": "Cafe\u{301}", "category": "host", "tags": ["e\u{301}quipe"]],
            as: "acme/analyst")
        let shown = try await server.call("GET", "/v1/assets/\(cafe)", as: "acme/reader").json()
        #expect((shown["name"] as? String).map { Array($0.unicodeScalars) }
            == Array("Café".unicodeScalars))
        #expect((shown["tags"] as? [String])?.map { Array($0.unicodeScalars) }
            == [Array("équipe".unicodeScalars)])
        for spelling in ["équipe", "e\u{301}quipe"] {
            let query = spelling.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(try await Self.total(server, "tag=\(query)") == 1, "\(spelling.unicodeScalars.count)")
        }
        await server.stop()
    }

    /// A store may hold two spellings on one asset, written before tags
    /// were one label: the asset is found and counted once.
    @Test func anAssetHoldingTwoSpellingsIsCountedOnce() throws {
        let path = TestServer.makeStorePath()
        let ids = try StoreSeeder.seed(path: path, community: "acme", count: 10,
                                       categories: ["host"])
        let store = try InventoryStore(path: path)
        try store.database.transaction {
            let insert = try store.database.statement(
                "INSERT INTO asset_tags (community, tag, asset_uuid) VALUES ('acme', ?1, ?2)")
            for (tag, id) in [("VIP", ids[0]), ("vip", ids[0]), ("vip", ids[1])] {
                try insert.run([.text(tag), .text(id)])
            }
        }
        var query = AssetQuery(community: "acme")
        query.tags = ["Vip"]
        #expect(try store.count(matching: query) == 2)
        query.categories = [.host]
        #expect(try store.count(matching: query) == 2)
        let page = try store.page(matching: query, after: nil, limit: 50)
        #expect(page.assets.map { $0.id.uuidString.lowercased() }.sorted()
            == [ids[0], ids[1]].sorted())
    }

    /// A common tag is checked row by row along the sort, a rare one read
    /// whole and sorted: both give the same pages as the filter says.
    @Test(arguments: [("dense", 2), ("sparse", 400)])
    func pagesOfCommonAndRareTags(tag: String, every step: Int) throws {
        let path = TestServer.makeStorePath()
        let ids = try StoreSeeder.seed(path: path, community: "acme", count: 2_000,
                                       categories: ["host"])
        let store = try InventoryStore(path: path)
        let tagged = stride(from: 0, to: ids.count, by: step).map { ids[$0] }
        try store.database.transaction {
            let insert = try store.database.statement(
                "INSERT INTO asset_tags (community, tag, asset_uuid) VALUES ('acme', ?1, ?2)")
            for id in tagged { try insert.run([.text(tag), .text(id)]) }
        }
        var query = AssetQuery(community: "acme")
        query.tags = [tag]
        query.categories = [.host]
        #expect(try store.count(matching: query) == tagged.count)

        var seen: [String] = []
        var cursor: AssetCursor?
        repeat {
            let page = try store.page(matching: query, after: cursor, limit: 50)
            seen += page.assets.map { $0.id.uuidString.lowercased() }
            cursor = page.next
        } while cursor != nil
        #expect(Set(seen) == Set(tagged))
        #expect(seen.count == tagged.count)
        // Names in order: "seed-<index>", sorted as text without case.
        let names = try tagged.map { try #require(try store.asset(
            id: UUID(uuidString: $0)!, community: "acme")?.name) }
        let pagedNames = try seen.map { try #require(try store.asset(
            id: UUID(uuidString: $0)!, community: "acme")?.name) }
        #expect(pagedNames == names.sorted { $0.lowercased() < $1.lowercased() })
    }

    /// A store made before migration 7 gets its tag counts when opened,
    /// and keeps its free-text rows through migration 8.
    @Test func anExistingStoreMigrates() throws {
        let path = TestServer.makeStorePath()
        let ids = try StoreSeeder.seed(path: path, community: "acme", count: 30,
                                       categories: ["host", "account"])
        do {
            // Back to schema 6 as it was: no counts, the indexes of 1, no
            // index of jobs (migration 9), no file heads (10), sightings in
            // the attachment rows (11), seen times in the asset rows (12), no
            // time of becoming shared (13), no closing of alerts kept (14).
            let store = try InventoryStore(path: path)
            try store.database.execute("""
                DROP TRIGGER asset_seen_on_create;
                DROP TRIGGER asset_seen_on_delete;
                DROP INDEX assets_by_seen_id;
                ALTER TABLE assets ADD COLUMN first_seen INTEGER;
                ALTER TABLE assets ADD COLUMN last_seen INTEGER;
                UPDATE assets SET
                    first_seen = (SELECT first_seen FROM asset_seen WHERE id = seen_id),
                    last_seen = (SELECT last_seen FROM asset_seen WHERE id = seen_id);
                ALTER TABLE assets DROP COLUMN seen_id;
                DROP TABLE asset_seen;
                CREATE INDEX assets_by_last_seen ON assets(community, last_seen);
                DROP TRIGGER attachment_sightings_on_delete;
                ALTER TABLE attachments ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE attachments ADD COLUMN sightings BLOB;
                UPDATE attachments SET
                    last_seen = (SELECT last_seen FROM attachment_sightings WHERE attachment = id),
                    sightings = (SELECT sightings FROM attachment_sightings WHERE attachment = id);
                DROP TABLE attachment_sightings;
                DROP INDEX jobs_by_community;
                ALTER TABLE ingest_progress DROP COLUMN head_length;
                ALTER TABLE ingest_progress DROP COLUMN head_digest;
                DROP TABLE asset_tag_counts;
                DROP TRIGGER asset_tag_counts_on_tag;
                DROP TRIGGER asset_tag_counts_on_untag;
                DROP TRIGGER asset_tag_counts_on_change;
                DROP TRIGGER asset_tag_counts_on_delete;
                CREATE INDEX assets_by_category ON assets(community, category, criticality);
                CREATE INDEX assets_by_criticality ON assets(community, criticality);
                ALTER TABLE shared_atoms DROP COLUMN since;
                ALTER TABLE alerts DROP COLUMN closed_at;
                ALTER TABLE alerts DROP COLUMN closed_by;
                ALTER TABLE alerts DROP COLUMN close_reason;
                PRAGMA user_version = 6;
                """)
            // Migration 8 undone: the free-text triggers write straight
            // into the index again, as migration 3 made them.
            let queueing = try store.database.statement("""
                SELECT name, sql FROM sqlite_master
                WHERE type = 'trigger' AND name LIKE 'asset_text_on_%'
                """).rows { (name: $0.text(0), sql: $0.text(1)) }
            #expect(queueing.count == 3)
            for trigger in queueing {
                try store.database.execute("DROP TRIGGER \(trigger.name)")
                try store.database.execute(
                    trigger.sql.replacingOccurrences(of: "asset_text_pending", with: "asset_text"))
            }
            try store.database.execute("DROP TABLE asset_text_pending")
            let insert = try store.database.statement(
                "INSERT INTO asset_tags (community, tag, asset_uuid) VALUES ('acme', 'old', ?1)")
            // Seeded categories alternate host, account: 5 hosts, 5 accounts.
            for id in ids.prefix(10) { try insert.run([.text(id)]) }
        }
        let store = try InventoryStore(path: path)
        #expect(try store.database.statement("PRAGMA user_version").firstRow { $0.int(0) }
                == Int64(InventoryStore.schemaVersion))
        var query = AssetQuery(community: "acme")
        query.tags = ["old"]
        #expect(try store.count(matching: query) == 10)
        query.categories = [.host]
        #expect(try store.count(matching: query) == 5)
        let first = try #require(try store.asset(id: UUID(uuidString: ids[0])!, community: "acme"))
        var search = AssetQuery(community: "acme")
        search.text = first.name
        #expect(try store.assets(matching: search).assets.map(\.name) == [first.name])
    }
}
