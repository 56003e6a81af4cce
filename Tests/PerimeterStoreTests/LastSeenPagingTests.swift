import Foundation
import PerimeterInventory
import PerimeterModel
@testable import PerimeterStore
import Testing

/// Paging sorted by last seen: never-seen assets first (ascending), ties
/// broken by the order the assets were created in (not by uuid: the
/// uuids below run the other way), every asset exactly once whatever the
/// page size.
@Suite struct LastSeenPagingTests {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("perimeter-paging-\(UUID().uuidString)")

    /// Seven hosts: two never seen, two seen at the same time.
    func seededStore() throws -> (InventoryStore, [Asset]) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try InventoryStore(path: directory.appendingPathComponent("store.db").path)
        let created = Date(timeIntervalSince1970: 1_714_000_000)
        let seen: [TimeInterval?] = [nil, 1_714_000_500, 1_714_000_100, nil, 1_714_000_100,
                                     1_714_000_900, 1_714_000_300]
        let assets = seen.enumerated().map { index, time in
            Asset(id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", 7 - index))!,
                  name: "HOST-\(index)", category: .host, source: .manual, community: "acme",
                  createdAt: created, firstSeen: time.map(Date.init(timeIntervalSince1970:)),
                  lastSeen: time.map(Date.init(timeIntervalSince1970:)))
        }
        try store.persist(.creating(assets, attachments: [], audit: []))
        return (store, assets)
    }

    func pages(_ store: InventoryStore, descending: Bool, limit: Int) throws -> [String] {
        var query = AssetQuery(community: "acme")
        query.sort = .lastSeen
        query.descending = descending
        return try everyPage(store, query, limit: limit).map(\.name)
    }

    /// Every page of a listing, each cursor sent back as a client sends it.
    func everyPage(_ store: InventoryStore, _ query: AssetQuery, limit: Int) throws -> [Asset] {
        var assets: [Asset] = []
        var cursor: AssetCursor?
        repeat {
            let page = try store.page(matching: query, after: cursor, limit: limit)
            assets += page.assets
            cursor = try page.next.map { try #require(AssetCursor(token: $0.token)) }
        } while cursor != nil
        return assets
    }

    @Test(arguments: [1, 2, 3, 10])
    func everyAssetOnceInOrder(limit: Int) throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, _) = try seededStore()
        // By hand: never seen (HOST-0 stored first, then HOST-3), then 100
        // (HOST-2 stored before HOST-4), 300, 500, 900.
        let ascending = ["HOST-0", "HOST-3", "HOST-2", "HOST-4", "HOST-6", "HOST-1", "HOST-5"]
        #expect(try pages(store, descending: false, limit: limit) == ascending)
        #expect(try pages(store, descending: true, limit: limit) == ascending.reversed())
    }

    /// A text search pages the same whether its few candidates are read
    /// first and sorted, or the sort order is walked and each row checked
    /// (the plan for a common text: as a set probed per row, a page of
    /// 60,000 assets took 132 s), by last seen and by name.
    @Test(arguments: [0, 20_000])
    func aTextSearchPagesAlikeWhateverItsPlan(candidatesToSort: Int) throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, _) = try seededStore()
        store.textCandidatesToSort = candidatesToSort
        var query = AssetQuery(community: "acme")
        query.text = "host-"
        #expect(try store.textPlan(for: query) == (candidatesToSort == 0 ? .alongTheOrder
                                                                         : .fromCandidates))
        query.sort = .lastSeen
        for limit in [1, 2, 10] {
            #expect(try everyPage(store, query, limit: limit).map(\.name)
                    == ["HOST-0", "HOST-3", "HOST-2", "HOST-4", "HOST-6", "HOST-1", "HOST-5"])
        }
        query.text = "host-4"
        #expect(try store.page(matching: query, after: nil, limit: 10).assets.map(\.name)
                == ["HOST-4"])
        query.sort = .name
        query.descending = true
        query.text = "host-"
        #expect(try store.assets(matching: query).assets.map(\.name)
                == (0..<7).reversed().map { "HOST-\($0)" })
    }

    /// Paging by name, creation time and criticality, where many assets
    /// tie (names differing by case alone, equal times and ratings, the
    /// unrated): every asset once, in the order a whole sorted listing
    /// gives, for every page size and both directions. (The cursor's
    /// bound is written so SQLite starts its index range there.)
    @Test func tiesPageInTheOrderOfAWholeListing() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try InventoryStore(path: directory.appendingPathComponent("ties.db").path)
        let names = ["b", "B", "a", "A", "c", "b", "a", "C", "a"]
        let ratings: [Int?] = [50, nil, 50, 90, nil, 50, 10, 90, nil]
        let assets = try names.enumerated().map { index, name in
            Asset(id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d",
                                              (index * 7) % 9))!,
                  name: name, category: .host, criticality: try ratings[index].map(Criticality.init),
                  source: .manual, community: "acme",
                  createdAt: Date(timeIntervalSince1970: TimeInterval(1_714_000_000 + index % 3)))
        }
        try store.persist(.creating(assets, attachments: [], audit: []))
        for sort in [AssetQuery.SortKey.name, .createdAt, .criticality] {
            for descending in [false, true] {
                var query = AssetQuery(community: "acme")
                query.sort = sort
                query.descending = descending
                query.limit = nil
                let whole = try store.page(matching: query, after: nil, limit: 100).assets.map(\.id)
                #expect(Set(whole).count == names.count)
                for limit in [1, 2, 4] {
                    #expect(try everyPage(store, query, limit: limit).map(\.id) == whole,
                            "\(sort) \(descending ? "desc" : "asc") by \(limit)")
                }
            }
        }
    }

    /// A cursor's token is base64url of a JSON array; written here by hand.
    static func token(_ json: String) -> String {
        Data(json.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Sort values and seen keys are whole numbers: `true`, `1.5` and
    /// even `2.0` are refused, where Foundation would read each as a number.
    @Test func aCursorTakesWholeNumbersOnly() throws {
        let uuid = "00000000-0000-4000-8000-000000000001"
        let valid = try #require(AssetCursor(token: Self.token(
            #"[1714000100000,"\#(uuid)","last_seen:asc",3]"#)))
        #expect(valid.sortValue == .integer(1_714_000_100_000))
        #expect(valid.seenKey == 3)
        #expect(AssetCursor(token: Self.token(#"[null,"\#(uuid)","last_seen:asc",1]"#))?.sortValue
            == .null)
        for json in [#"[1.5,"\#(uuid)","last_seen:asc",3]"#, #"[true,"\#(uuid)","last_seen:asc",3]"#,
                     #"[2.0,"\#(uuid)","last_seen:asc",3]"#, #"[12345,"\#(uuid)","last_seen:asc",true]"#,
                     #"[12345,"\#(uuid)","last_seen:asc",3.0]"#, #"[12345,"\#(uuid)","last_seen:asc",0]"#] {
            #expect(AssetCursor(token: Self.token(json)) == nil, "\(json)")
        }
    }
}
