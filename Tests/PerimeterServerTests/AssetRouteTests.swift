import PerimeterTestSupport
import Foundation
import PerimeterSQLite
import PerimeterStore
import Testing

/// Assets over the API: create, get, update, revoke, history, listing
/// with filters, counts and cursor paging; atoms; import and export.
@Suite(.serialized)
struct AssetRouteTests {
    static func enrichedCriticality(_ server: TestServer, host: String) async throws -> [Int] {
        let event = "{\"@timestamp\":\"2026-02-01T10:00:00Z\",\"host\":{\"name\":\"\(host)\"}}\n"
        let response = try await server.call("POST", "/v1/events?return=enriched",
                                             as: "acme/admin", body: Array(event.utf8))
        #expect(response.status == 200)
        let events = try response.json()["events"] as? [[String: Any]] ?? []
        let any = (events.first?["sekoiaio"] as? [String: Any])?["any_asset"] as? [String: Any]
        return any?["criticality_value"] as? [Int] ?? []
    }

    @Test func anAnalystsCriticalityChangeAppliesToTheNextEvent() async throws {
        let server = try await TestServer.start()
        let id = try await server.createAsset([
            "name": "WS-7", "category": "host", "criticality": 20, "tags": ["lab"],
            "atoms": ["hostname": ["ws-7"]],
        ], as: "acme/analyst")
        #expect(try await Self.enrichedCriticality(server, host: "ws-7") == [20])

        let patched = try await server.call("PATCH", "/v1/assets/\(id)", as: "acme/analyst",
                                            json: ["criticality": 80, "add_tags": ["vip"],
                                                   "reviewed": true])
        #expect(patched.status == 200)
        let asset = try patched.json()
        #expect(asset["criticality"] as? Int == 80)
        #expect(asset["criticality_display"] as? String == "high")
        #expect(asset["tags"] as? [String] == ["lab", "vip"])
        #expect(asset["reviewed"] as? Bool == true)
        #expect(try await Self.enrichedCriticality(server, host: "ws-7") == [80])

        // Revoked: out of the views and of matching; history kept; undone.
        #expect(try await server.call("POST", "/v1/assets/\(id)/revoke",
                                      as: "acme/analyst").status == 200)
        #expect(try await Self.enrichedCriticality(server, host: "ws-7") == [])
        // (The event above found no live holder of ws-7, so discovery made
        // a new host: the revoked one is what must be gone from the view.)
        let listed = try await server.call("GET", "/v1/assets?q=ws-7", as: "acme/reader")
        #expect(!listed.text.contains(id))
        let withRevoked = try await server.call("GET", "/v1/assets?q=ws-7&include_revoked=true",
                                                as: "acme/reader")
        #expect(withRevoked.text.contains(id))
        #expect(try await server.call("POST", "/v1/assets/\(id)/unrevoke",
                                      as: "acme/analyst").status == 200)
        #expect(try await Self.enrichedCriticality(server, host: "ws-7") == [80])

        let history = try await server.call("GET", "/v1/assets/\(id)/history",
                                            as: "acme/reader").json()
        let changes = history["changes"] as? [[String: Any]] ?? []
        #expect(changes.map { $0["action"] as? String } == ["create", "update", "revoke",
                                                            "unrevoke"])
        #expect(changes.allSatisfy { $0["actor"] as? String == "token:acme-analyst" })
        let update = changes[1]
        #expect((update["before"] as? [String: Any])?["criticality"] as? Int == 20)
        #expect((update["after"] as? [String: Any])?["criticality"] as? Int == 80)

        let audit = try await server.call("GET", "/v1/audit?asset=\(id)", as: "acme/reader")
            .json()["entries"] as? [[String: Any]]
        #expect(audit?.count == 4)
        await server.stop()
    }

    /// The trail reads newest first, pages back with `before`, and reads on
    /// oldest first with `after`; an asset's history carries its latest
    /// 1,000 changes and the cursor to the older ones.
    @Test func theAuditTrailPagesBackFromTheNewestAndHistoryKeepsTheLatest() async throws {
        let server = try await TestServer.start()
        let id = try await server.createAsset(["name": "fs-1", "category": "host"],
                                              as: "acme/analyst")
        // 1,004 changes after the creation, written straight into the
        // store: 1,000 requests would only slow the test. Their `after`
        // carries their number, to tell them apart.
        let database = try Database(path: server.storePath)
        try database.transaction {
            let insert = try database.statement("""
                INSERT INTO audit (community, asset_uuid, actor, action, at, before, after)
                VALUES ('acme', ?1, 'token:acme-analyst', 'update', 1800000000000, NULL, ?2)
                """)
            for number in 1...1_004 {
                try insert.run([.text(id), .text("{\"number\":\(number)}")])
            }
        }
        func page(_ query: String) async throws -> (numbers: [Int?], actions: [String?],
                                                    json: [String: Any]) {
            let json = try await server.call("GET", "/v1/audit?asset=\(id)&\(query)",
                                             as: "acme/reader").json()
            let entries = json["entries"] as? [[String: Any]] ?? []
            return (entries.map { ($0["after"] as? [String: Any])?["number"] as? Int },
                    entries.map { $0["action"] as? String }, json)
        }
        let newest = try await page("limit=3")
        #expect(newest.numbers == [1_004, 1_003, 1_002])
        #expect(newest.json["next_after"] is NSNull)
        let cursor = try #require(newest.json["next_before"] as? Int)
        let back = try await page("limit=3&before=\(cursor)")
        #expect(back.numbers == [1_001, 1_000, 999])
        // The first page of 1,005 entries read forward: the creation, then
        // changes 1 and 2; the page is full, so it says where to read on.
        let first = try await page("limit=3&after=0")
        #expect(first.actions == ["create", "update", "update"])
        #expect(first.numbers == [nil, 1, 2])
        let onward = try #require(first.json["next_after"] as? Int)
        #expect(first.json["next_before"] is NSNull)
        #expect(try await page("limit=2&after=\(onward)").numbers == [3, 4])
        // The oldest page is short: no cursor past it.
        let third = try await page("limit=1&after=\(onward)")
        let oldest = try await page("limit=5&before=\(try #require(third.json["next_after"] as? Int))")
        #expect(oldest.numbers == [2, 1, nil] && oldest.json["next_before"] is NSNull)
        let both = try await server.call("GET", "/v1/audit?before=9&after=1", as: "acme/reader")
        #expect(both.status == 400)

        let history = try await server.call("GET", "/v1/assets/\(id)/history",
                                            as: "acme/reader").json()
        let changes = history["changes"] as? [[String: Any]] ?? []
        #expect(changes.count == 1_000)
        #expect((changes.first?["after"] as? [String: Any])?["number"] as? Int == 5)
        #expect((changes.last?["after"] as? [String: Any])?["number"] as? Int == 1_004)
        let older = try #require(history["next_before"] as? Int)
        #expect(try await page("before=\(older)").numbers == [4, 3, 2, 1, nil])
        await server.stop()
    }

    /// `GET /v1/assets/{uuid}?at=`: the asset as it was then. An event of
    /// May 1st makes ws-8 with 10.0.0.8; an analyst rates it afterwards
    /// (the clock's time, today); another community's uuid is unknown at
    /// any time.
    @Test func anAssetIsReadAsItWasAtATime() async throws {
        let server = try await TestServer.start()
        let event = #"{"@timestamp":"2024-05-01T08:00:00Z","host":{"name":"ws-8","ip":["10.0.0.8"]}}"#
        #expect(try await server.call("POST", "/v1/events", as: "acme/ingest",
                                      body: Array(event.utf8)).status == 200)
        let listed = try await server.call("GET", "/v1/assets?q=ws-8", as: "acme/reader").json()
        let id = try #require((listed["assets"] as? [[String: Any]])?.first?["uuid"] as? String)
        #expect(try await server.call("PATCH", "/v1/assets/\(id)", as: "acme/analyst",
                                      json: ["criticality": 70]).status == 200)
        let then = try await server.call("GET", "/v1/assets/\(id)?at=2024-05-02T00:00:00Z",
                                         as: "acme/reader")
        #expect(then.status == 200)
        let past = try then.json()
        #expect(past["criticality"] is NSNull)
        #expect(past["at"] as? String == "2024-05-02T00:00:00.000Z")
        // Not seen after then: its last seen then is exact.
        #expect(past["last_seen"] as? String == "2024-05-01T08:00:00.000Z")
        #expect(past["last_seen_is_lower_bound"] as? Bool == false)
        let values = (past["atoms"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
        #expect(values.sorted() == ["10.0.0.8", "ws-8"])
        #expect(then.headers["etag"] == nil)
        let now = try await server.call("GET", "/v1/assets/\(id)", as: "acme/reader").json()
        #expect(now["criticality"] as? Int == 70)
        let early = try await server.call("GET", "/v1/assets/\(id)?at=2024-04-01T00:00:00Z",
                                          as: "acme/reader")
        #expect(early.status == 404 && early.text.contains("did not exist yet"))
        #expect(try await server.call("GET", "/v1/assets/\(id)?at=yesterday",
                                      as: "acme/reader").status == 400)
        // A day alone is its start, as on the command line.
        let day = try await server.call("GET", "/v1/assets/\(id)?at=2024-05-02", as: "acme/reader")
        #expect(day.status == 200)
        #expect(try day.json()["at"] as? String == "2024-05-02T00:00:00.000Z")
        #expect(try await server.call("GET", "/v1/assets/\(id)?at=2024-05-02T00:00:00Z",
                                      as: "globex/reader").status == 404)
        await server.stop()
    }

    @Test func filtersCombineCountsAreExactAndCursorsAreStable() async throws {
        let server = try await TestServer.start()
        // 24 assets: category cycles host/account/network, criticality
        // 0, 10, …, 230 capped at 100 for index ≥ 10, tag "even" on even ones.
        for index in 0..<24 {
            var fields: [String: Any] = [
                "name": String(format: "asset-%02d", index),
                "category": ["host", "account", "network"][index % 3],
                "criticality": min(index * 10, 100),
            ]
            if index % 2 == 0 { fields["tags"] = ["even"] }
            try await server.createAsset(fields, as: "acme/analyst")
        }
        // host = indices 0,3,6,…,21; even among them: 0,6,12,18; with
        // criticality 50–100: 6 (60), 12 (100), 18 (100) → 3.
        let filtered = try await server.call(
            "GET", "/v1/assets?category=host&tag=even&criticality_min=50&sort=name",
            as: "acme/reader").json()
        #expect(filtered["total"] as? Int == 3)
        #expect((filtered["assets"] as? [[String: Any]])?.map { $0["name"] as? String }
                == ["asset-06", "asset-12", "asset-18"])

        // Paging by 5 while new assets arrive sees each original once, in order.
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let target = "/v1/assets?sort=name&limit=5"
                + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await server.call("GET", target, as: "acme/reader").json()
            seen += (page["assets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            cursor = page["next_cursor"] as? String
            pages += 1
            try await server.createAsset(["name": "aaa-new-\(pages)", "category": "host"],
                                         as: "acme/analyst")
        } while cursor != nil
        let originals = seen.filter { $0.hasPrefix("asset-") }
        #expect(originals == (0..<24).map { String(format: "asset-%02d", $0) })
        #expect(Set(seen).count == seen.count)

        // Descending criticality: rated highest first.
        let top = try await server.call("GET", "/v1/assets?sort=criticality&order=desc&limit=1",
                                        as: "acme/reader").json()
        #expect((top["assets"] as? [[String: Any]])?.first?["criticality"] as? Int == 100)

        // The 24 are rated, the pages' new ones not: unrated=true and
        // unrated=false split them (false meant "all").
        let unrated = try await server.call("GET", "/v1/assets?unrated=true", as: "acme/reader")
            .json()
        let rated = try await server.call("GET", "/v1/assets?unrated=false", as: "acme/reader")
            .json()
        #expect(rated["total"] as? Int == 24)
        #expect(unrated["total"] as? Int == pages)

        // A cursor goes on in the order of its first page only.
        let first = try await server.call("GET", "/v1/assets?sort=name&limit=5",
                                          as: "acme/reader").json()
        let next = try #require(first["next_cursor"] as? String)
        let reordered = try await server.call("GET", "/v1/assets?sort=criticality&cursor=\(next)",
                                              as: "acme/reader")
        #expect(reordered.status == 400)
        // A cursor made up by hand in the right order, but whose value is
        // not of the sort's type or whose uuid is no uuid, is refused too
        // (it paged nowhere: an empty last page).
        let uuid = "00000000-0000-4000-8000-000000000001"
        for (value, id) in [(SQLValue.text("x"), "y"), (.text("2026-11-22T10:00:00.000Z"), uuid),
                            (.integer(12_345), "zzz")] {
            let forged = AssetCursor(sortValue: value, uuid: id, ordering: "last_seen:asc").token
            let refused = try await server.call("GET", "/v1/assets?sort=last_seen&cursor=\(forged)",
                                                as: "acme/reader")
            #expect(refused.status == 400, "\(value) \(id)")
        }
        // By last seen a cursor also needs the seen key of its asset (keys
        // start at 1).
        for key in [nil, 0, -5] as [Int64?] {
            let keyless = AssetCursor(sortValue: .integer(12_345), uuid: uuid,
                                      ordering: "last_seen:asc", seenKey: key)
            #expect(try await server.call("GET", "/v1/assets?sort=last_seen&cursor=\(keyless.token)",
                                          as: "acme/reader").status == 400, "\(String(describing: key))")
        }
        let madeUp = AssetCursor(sortValue: .integer(12_345), uuid: uuid, ordering: "last_seen:asc",
                                 seenKey: 3)
        #expect(try await server.call("GET", "/v1/assets?sort=last_seen&cursor=\(madeUp.token)",
                                      as: "acme/reader").status == 200)
        await server.stop()
    }

    @Test func textSearchFindsNamesAndAtomsWithCurrentValuesOnly() async throws {
        let server = try await TestServer.start()
        let printer = try await server.createAsset([
            "name": "Printer-Floor3", "category": "host", "atoms": ["ipv4": ["10.20.30.40"]],
        ], as: "acme/analyst")
        try await server.createAsset(["name": "db-9", "category": "host"], as: "acme/analyst")
        try await server.createAsset(["name": "printer-other", "category": "host"],
                                     as: "globex/analyst")
        func names(_ q: String) async throws -> [String] {
            let page = try await server.call("GET", "/v1/assets?q=\(q)&sort=name",
                                             as: "acme/reader").json()
            return (page["assets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }
        #expect(try await names("printer") == ["Printer-Floor3"])
        #expect(try await names("FLOOR") == ["Printer-Floor3"])
        #expect(try await names("20.30") == ["Printer-Floor3"])
        #expect(try await names("b-") == ["db-9"])
        #expect(try await names("9") == ["db-9"])
        #expect(try await names("nothing") == [])
        _ = try await server.call("PATCH", "/v1/assets/\(printer)", as: "acme/analyst",
                                  json: ["name": "Copier-1"])
        #expect(try await names("printer") == [])
        #expect(try await names("copier") == ["Copier-1"])
        await server.stop()
    }

    @Test(arguments: ["asc", "desc"])
    func criticalityCursorsCrossTheUnratedAssets(_ order: String) async throws {
        let server = try await TestServer.start()
        // 9 assets: criticality 10, 20, 20, 30, and 5 unrated.
        let ratings: [Int?] = [10, 20, 20, 30, nil, nil, nil, nil, nil]
        for (index, rating) in ratings.enumerated() {
            var fields: [String: Any] = ["name": "c-\(index)", "category": "host"]
            if let rating { fields["criticality"] = rating }
            try await server.createAsset(fields, as: "acme/analyst")
        }
        var seen: [Int?] = []
        var names: Set<String> = []
        var cursor: String?
        repeat {
            let target = "/v1/assets?sort=criticality&order=\(order)&limit=2"
                + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await server.call("GET", target, as: "acme/reader").json()
            for asset in page["assets"] as? [[String: Any]] ?? [] {
                seen.append(asset["criticality"] as? Int)
                names.insert(asset["name"] as? String ?? "")
            }
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        // Unrated sorts lowest: last when descending, first when ascending.
        let expected: [Int?] = order == "desc" ? [30, 20, 20, 10, nil, nil, nil, nil, nil]
            : [nil, nil, nil, nil, nil, 10, 20, 20, 30]
        #expect(seen == expected)
        #expect(names.count == 9)
        await server.stop()
    }

    /// A body written by a tool that starts its text with a byte-order
    /// mark keeps its first event.
    @Test func aByteOrderMarkBeforeTheFirstEventIsSkipped() async throws {
        let server = try await TestServer.start()
        let events = "{\"@timestamp\":\"2026-03-02T08:00:00Z\",\"host\":{\"name\":\"ws-bom\"}}\n"
            + "{\"@timestamp\":\"2026-03-02T08:01:00Z\",\"host\":{\"name\":\"ws-bom\"}}\n"
        let intake = try await server.call("POST", "/v1/events", as: "acme/admin",
                                           body: [0xEF, 0xBB, 0xBF] + Array(events.utf8)).json()
        #expect(intake["received"] as? Int == 2)
        #expect(intake["malformed"] as? Int == 0)
        #expect(intake["discovered"] as? Int == 1)
        await server.stop()
    }

    /// An address that moved between more than three hosts within the
    /// hour is shared (SPEC §2): the lookup says so and since when, from
    /// that time on (it showed no holder and no reason).
    @Test func aSharedAddressIsSaidSoByTheLookup() async throws {
        let server = try await TestServer.start()
        let body = (0..<4).map { index in
            "{\"@timestamp\":\"2026-03-02T08:\(10 + index * 10):00Z\",\"host\":{\"name\":"
                + "\"ws-\(index)\",\"ip\":[\"10.0.0.99\"]}}"
        }.joined(separator: "\n")
        #expect(try await server.call("POST", "/v1/events", as: "acme/admin",
                                      body: Array(body.utf8)).status == 200)
        func atom(at time: String) async throws -> [String: Any]? {
            let answer = try await server.call("GET", "/v1/atoms?value=10.0.0.99&at=\(time)",
                                               as: "acme/reader").json()
            return (answer["atoms"] as? [[String: Any]])?.first
        }
        let after = try await atom(at: "2026-03-02T09:00:00Z")
        #expect(after?["shared"] as? Bool == true)
        #expect(after?["shared_since"] as? String == "2026-03-02T08:40:00.000Z")
        #expect((after?["holders"] as? [Any])?.isEmpty == true)
        let before = try await atom(at: "2026-03-02T08:25:00Z")
        #expect(before?["shared"] as? Bool == false)
        #expect((before?["holders"] as? [[String: Any]])?.count == 1)
        await server.stop()
    }

    /// An identifier typed in by a person has been seen by no event: its
    /// last_seen is null, then the time of the latest event naming it,
    /// even one dated before it was typed in. It was the creation time,
    /// later than any event, which an analyst read as a sighting.
    @Test func aHandEnteredIdentifierIsLastSeenByItsEvents() async throws {
        let server = try await TestServer.start()
        _ = try await server.createAsset([
            "name": "DC-01", "category": "host", "atoms": ["hostname": ["dc-01"]],
        ], as: "acme/analyst")
        func lastSeen() async throws -> Any? {
            let answer = try await server.call("GET", "/v1/atoms?value=dc-01", as: "acme/reader")
                .json()
            let atom = (answer["atoms"] as? [[String: Any]])?.first
            return (atom?["holders"] as? [[String: Any]])?.first?["last_seen"]
        }
        #expect(try await lastSeen() is NSNull)
        let event = "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"host\":{\"name\":\"dc-01\"}}\n"
        #expect(try await server.call("POST", "/v1/events", as: "acme/admin",
                                      body: Array(event.utf8)).status == 200)
        #expect(try await lastSeen() as? String == "2024-05-01T10:00:00.000Z")
        await server.stop()
    }

    @Test func atomsAreLookedUpConfirmedAndRejected() async throws {
        let server = try await TestServer.start()
        let event = "{\"@timestamp\":\"2026-03-02T08:00:00Z\",\"host\":{\"name\":\"laptop-9\","
            + "\"ip\":[\"10.0.0.9\"],\"mac\":[\"00-11-22-33-44-55\"]}}\n"
        let intake = try await server.call("POST", "/v1/events", as: "acme/admin",
                                           body: Array(event.utf8)).json()
        #expect(intake["discovered"] as? Int == 1)

        let lookup = try await server.call("GET", "/v1/atoms?value=10.0.0.9&at=2026-03-02T09:00:00Z",
                                           as: "acme/reader").json()
        let atoms = lookup["atoms"] as? [[String: Any]] ?? []
        #expect(atoms.map { $0["type"] as? String } == ["ipv4"])
        let holder = (atoms.first?["holders"] as? [[String: Any]])?.first
        let asset = try #require((holder?["asset"] as? [String: Any])?["uuid"] as? String)
        #expect((holder?["asset"] as? [String: Any])?["name"] as? String == "laptop-9")
        let activity = atoms.first?["weekly_activity"] as? [[String: Any]]
        #expect(activity?.map { $0["count"] as? Int } == [1])

        // Before the event, nobody held it.
        let earlier = try await server.call("GET", "/v1/atoms?value=10.0.0.9&at=2026-03-01T00:00:00Z",
                                            as: "acme/reader").json()
        #expect(((earlier["atoms"] as? [[String: Any]])?.first?["holders"] as? [Any])?.isEmpty
                == true)

        let confirmed = try await server.call(
            "POST", "/v1/assets/\(asset)/atoms/confirm", as: "acme/analyst",
            json: ["type": "mac", "value": "00:11:22:33:44:55"]).json()
        let mac = (confirmed["atoms"] as? [[String: Any]])?.first { $0["type"] as? String == "mac" }
        #expect(mac?["kind"] as? String == "confirmed")

        let rejected = try await server.call(
            "POST", "/v1/assets/\(asset)/atoms/reject", as: "acme/analyst",
            json: ["type": "ipv4", "value": "10.0.0.9"])
        #expect(rejected.status == 200)
        // A new sighting does not attach the rejected address again.
        let again = "{\"@timestamp\":\"2026-03-02T10:00:00Z\",\"host\":{\"name\":\"laptop-9\","
            + "\"ip\":[\"10.0.0.9\"]}}\n"
        _ = try await server.call("POST", "/v1/events", as: "acme/ingest", body: Array(again.utf8))
        let now = try await server.call("GET", "/v1/atoms?value=10.0.0.9&at=2026-03-02T11:00:00Z",
                                        as: "acme/reader").json()
        let holders = (now["atoms"] as? [[String: Any]])?.first?["holders"] as? [[String: Any]]
        #expect(holders?.isEmpty == true)

        // An atom confirmed without a sighting holds from the start of
        // time: rejecting it closes it there, and every route that shows
        // it still answers (formatting that end stopped the server).
        let fqdn = ["type": "fqdn", "value": "laptop-9.corp.example.org"]
        for action in ["confirm", "reject"] {
            let answer = try await server.call(
                "POST", "/v1/assets/\(asset)/atoms/\(action)", as: "acme/analyst", json: fqdn)
            #expect(answer.status == 200, "\(action)")
        }
        for path in ["/v1/assets/\(asset)", "/v1/assets", "/v1/assets/\(asset)/history",
                     "/v1/atoms?value=laptop-9.corp.example.org", "/v1/export"] {
            let answer = try await server.call("GET", path, as: "acme/reader")
            #expect(answer.status == 200, "GET \(path)")
        }
        let shown = try await server.call("GET", "/v1/assets/\(asset)", as: "acme/reader").json()
        let closed = (shown["atoms"] as? [[String: Any]])?.first { $0["type"] as? String == "fqdn" }
        // Rejected: an interval that holds no time, and says why.
        #expect(closed?["from"] is NSNull)
        #expect(closed?["to"] is NSNull)
        #expect(closed?["rejected"] as? Bool == true)
        // The observed address rejected above shows the same way, at the
        // time it was first seen.
        let address = (shown["atoms"] as? [[String: Any]])?
            .first { $0["type"] as? String == "ipv4" }
        #expect(address?["from"] as? String == "2026-03-02T08:00:00.000Z")
        #expect(address?["to"] as? String == "2026-03-02T08:00:00.000Z")
        #expect(address?["rejected"] as? Bool == true)
        await server.stop()
    }

    /// An observed address ends a week (timeline.address_expiry) after
    /// its last sighting when nothing closed it earlier: JSON's `to` says
    /// so, as `atoms show` does, instead of null (open) beside its later
    /// holder.
    @Test func anExpiredAddressIsNotShownOpen() async throws {
        let server = try await TestServer.start()
        let events = [("host-a", "2021-01-01T00:00:00Z"), ("host-b", "2026-03-01T00:00:00Z")]
            .map { "{\"@timestamp\":\"\($1)\",\"host\":{\"name\":\"\($0)\",\"ip\":\"10.9.9.9\"}}" }
            .joined(separator: "\n") + "\n"
        _ = try await server.call("POST", "/v1/events", as: "acme/ingest", body: Array(events.utf8))
        let lookup = try await server.call("GET", "/v1/atoms?value=10.9.9.9", as: "acme/reader")
            .json()
        let timeline = ((lookup["atoms"] as? [[String: Any]])?.first?["timeline"]
                        as? [[String: Any]]) ?? []
        #expect(timeline.map { $0["to"] as? String } == ["2021-01-08T00:00:00.000Z",
                                                          "2026-03-08T00:00:00.000Z"])
        await server.stop()
    }

    /// A JSON value of the wrong type is refused with its field, not
    /// turned into text: `[50]` became an unrated asset, `"90"` and
    /// `true` ratings, an object a property's debug text.
    @Test func valuesOfTheWrongTypeAreRefused() async throws {
        let server = try await TestServer.start()
        let cases: [(fields: [String: Any], field: String)] = [
            (["criticality": [50]], "criticality"),
            (["criticality": "90"], "criticality"),
            (["criticality": true], "criticality"),
            (["criticality": 50.5], "criticality"),
            (["name": 1], "name"),
            (["reviewed": 1], "reviewed"),
            (["reviewed": "yes"], "reviewed"),
            (["properties": ["owner": ["x": 1]]], "properties.owner"),
            (["properties": ["owner": [["a"]]]], "properties.owner"),
            // A property sent as JSON is of its definition's type.
            (["properties": ["owner": 5]], "properties.owner"),
            (["properties": ["owner": true]], "properties.owner"),
            (["properties": ["owner": ["a"]]], "properties.owner"),
            (["properties": ["edr_agent_id": "abc"]], "properties.edr_agent_id"),
        ]
        for (fields, field) in cases {
            var body: [String: Any] = ["name": "typed", "category": "host"]
            body.merge(fields) { $1 }
            let answer = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: body)
            #expect(answer.status == 422, "\(fields)")
            let error = try answer.json()["error"] as? [String: Any]
            let details = error?["details"] as? [String: Any]
            #expect(details?["field"] as? String == field, "\(fields)")
        }
        // PATCH reads properties the same way; a number property holds
        // finite numbers only.
        let asset = try await server.createAsset(["name": "lan-9", "category": "network"],
                                                 as: "acme/analyst")
        for properties in [["owner": ["x": 1]], ["owner": [1, 2]], ["vlan": "NaN"],
                           ["vlan": "1e999"], ["vlan": "12"], ["owner": 5], ["owner": false],
                           ["vlan": true]] as [[String: Any]] {
            let answer = try await server.call("PATCH", "/v1/assets/\(asset)", as: "acme/analyst",
                                               json: ["properties": properties])
            #expect(answer.status == 422, "\(properties)")
        }
        let vlan = try await server.call("PATCH", "/v1/assets/\(asset)", as: "acme/analyst",
                                         json: ["properties": ["vlan": 42]])
        #expect((try vlan.json()["properties"] as? [String: Any])?["vlan"] as? Int == 42)
        // null clears a property the asset holds, or a defined one it
        // lacks; an unknown name is refused, as its value would be (it
        // was a 200).
        for (name, status) in [("vlan", 200), ("owner", 200), ("vlna", 422)] {
            let cleared = try await server.call("PATCH", "/v1/assets/\(asset)", as: "acme/analyst",
                                                json: ["properties": [name: NSNull()]])
            #expect(cleared.status == status, "\(name): \(cleared.text)")
            if status == 422 {
                let details = (try cleared.json()["error"] as? [String: Any])?["details"]
                #expect((details as? [String: Any])?["field"] as? String == "properties.vlna")
                #expect(cleared.text.contains("did you mean 'vlan'"), "\(cleared.text)")
            }
        }
        // Lengths are bounded, on create and PATCH; a tag holds no ';'
        // (a CSV export would read it back as two tags) and no control
        // character.
        for (fields, field) in [(["name": String(repeating: "n", count: 513)], "name"),
                                (["tags": [String(repeating: "t", count: 129)]], "tags"),
                                // 65 characters, 130 code points, composed
                                // (NFC) as they are kept: U+20DD encloses,
                                // and no letter has it precomposed.
                                (["tags": [String(repeating: "e\u{20DD}", count: 65)]], "tags"),
                                (["name": "n" + String(repeating: "\u{20DD}", count: 512)],
                                 "name"),
                                (["tags": ["pci;prod"]], "tags"),
                                (["tags": ["pci\u{7}"]], "tags"),
                                (["name": "ws\u{1B}]0;x\u{7}"], "name"),
                                (["description": "a\u{0}b"], "description"),
                                (["add_tags": ["a;b"]], "tags"),
                                (["description": String(repeating: "d", count: 16_385)],
                                 "description")] as [([String: Any], String)] {
            var body: [String: Any] = ["name": "long", "category": "host"]
            body.merge(fields) { $1 }
            let created = try await server.call("POST", "/v1/assets", as: "acme/analyst",
                                                json: body)
            #expect(created.status == 422, "\(fields)")
            let patched = try await server.call("PATCH", "/v1/assets/\(asset)", as: "acme/analyst",
                                                json: fields)
            #expect(patched.status == 422, "PATCH \(field)")
        }
        // The right types, null for an unrated asset, are taken.
        let created = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: [
            "name": "typed", "category": "host", "criticality": NSNull(), "reviewed": true,
        ])
        #expect(created.status == 201)
        #expect(try created.json()["criticality"] is NSNull)
        // A description of null clears it, on PATCH as on create (the
        // published AssetPatch allows it; PATCH refused it).
        #expect(try await server.call("PATCH", "/v1/assets/\(asset)", as: "acme/analyst",
                                      json: ["description": "old text"]).status == 200)
        let cleared = try await server.call("PATCH", "/v1/assets/\(asset)", as: "acme/analyst",
                                            json: ["description": NSNull()])
        #expect(cleared.status == 200)
        #expect(try cleared.json()["description"] as? String == "")
        #expect(try await server.call("PATCH", "/v1/assets/\(asset)", as: "acme/analyst",
                                      json: ["description": 7]).status == 422)
        await server.stop()
    }

    /// A row that says one field twice is refused with that field: which
    /// of the two was meant is not ours to guess (JSONSerialization keeps
    /// the last). A key spelt with an escape is the key it decodes to; a
    /// key's text inside a value is no repetition.
    @Test func importRefusesARowWithARepeatedField() async throws {
        let server = try await TestServer.start()
        let lines = [
            #"{"name":"ws-01","category":"host","criticality":10,"criticality":90}"#,
            #"{"name":"ws-02","category":"host","atoms":{"hostname":["ws-02"],"hostname":["x"]}}"#,
            #"{"name":"ws-03","n\u0061me":"ws-33","category":"host"}"#,
            #"{"name":"ws-04","category":"host","properties":{"owner":"name"},"tags":["owner"]}"#,
            #"{"name":"ws-05","description":"\"name\":","category":"host"}"#,
        ]
        let result = try await server.importLines(lines).json()
        #expect(result["imported"] as? Int == 2)
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [1, 2, 3])
        #expect(refused.map { $0["column"] as? String } == ["criticality", "hostname", "name"])
        await server.stop()
    }

    /// An import row is JSON as strict as a body or an event line: a
    /// trailing comma is refused with where it is (it was taken), a line
    /// cut short says so, and a lone surrogate escape reads as U+FFFD.
    @Test func importRowsAreStrictJSON() async throws {
        let server = try await TestServer.start()
        let lines = [
            #"{"name":"ws-11","category":"host",}"#,
            #"{"name":"ws-12","category":"ho"#,
            #"{"name":"ws-13\ud800","category":"host"}"#,
        ]
        let result = try await server.importLines(lines).json()
        #expect(result["imported"] as? Int == 1)
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [1, 2])
        let reasons = refused.compactMap { $0["reason"] as? String }
        #expect(reasons.count == 2 && reasons.allSatisfy { $0.contains("at byte") }, "\(refused)")
        // A key that is a value (an email) is not given back as the column.
        let keyed = try await server.importLines([
            #"{"name":"ws-14","category":"host","ann.lee@example.com":1}"#,
            #"{"name":"ws-15","category":"host","properties":{"ann.lee@example.com":"x"}}"#,
        ]).text
        #expect(!keyed.contains("ann.lee"), "\(keyed)")
        await server.stop()
    }

    /// A new asset takes no field the inventory sets: `community` or
    /// `uuid` sent with one were dropped, the asset made in the token's
    /// community with a uuid of its own, and the caller told 201. An
    /// import row exported from another community is refused; one of the
    /// importing community goes in (the round trip).
    @Test func fieldsTheInventorySetsAreRefusedNotDropped() async throws {
        let server = try await TestServer.start()
        let globex = try await server.createAsset(["name": "g-01", "category": "host"],
                                                  as: "globex/analyst")
        for (field, value) in [("community", "globex" as Any), ("uuid", globex),
                               ("first_seen", 123), ("source", "connector:x")] {
            let response = try await server.call(
                "POST", "/v1/assets", as: "acme/analyst",
                json: ["name": "a-01", "category": "host", field: value])
            #expect(response.status == 422, "\(field): \(response.text)")
            let error = try response.json()["error"] as? [String: Any]
            #expect((error?["details"] as? [String: Any])?["field"] as? String == field)
        }
        // Null is none, as an import reads it.
        #expect(try await server.call("POST", "/v1/assets", as: "acme/analyst",
                                      json: ["name": "a-00", "category": "host",
                                             "uuid": NSNull()]).status == 201)
        let result = try await server.importLines([
            #"{"name":"a-02","category":"host","community":"globex"}"#,
            #"{"name":"a-03","category":"host","community":"acme"}"#,
        ]).json()
        #expect(result["imported"] as? Int == 1, "\(result)")
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [1])
        #expect(refused.map { $0["column"] as? String } == ["community"])
        let names = try await server.call("GET", "/v1/assets?sort=name", as: "acme/analyst").json()
        #expect((names["assets"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                == ["a-00", "a-03"])
        await server.stop()
    }

    /// A JSON array of assets imports as JSON lines do, found as JSON by
    /// its first byte (it was read as CSV, and refused for a column named
    /// `[{"name":"ws-21"`): its Nth object is row N, each refused alone,
    /// and what breaks the array (a comma too many, text after it) is
    /// refused at its place. A number out of range says so, where it was
    /// "not a JSON object".
    @Test func aJSONArrayImportsObjectByObject() async throws {
        let server = try await TestServer.start()
        let body = """
            [
              {"name": "ws-21", "category": "host", "atoms": {"hostname": ["ws-21"]}},
              {"name": "ws-22", "category": "hots"},
              ,
              {"name": "ws-23", "category": "host", "criticality": 1e400},
              {"name": "ws-24, [x]", "category": "host", "tags": ["a]b", "{c"]}
            ]

            """
        let result = try await server.call("POST", "/v1/import", as: "acme/analyst",
                                           body: Array(body.utf8)).json()
        #expect(result["imported"] as? Int == 2, "\(result)")
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [2, 3, 4], "\(refused)")
        #expect(refused.map { $0["column"] as? String } == ["category", nil, nil])
        let reasons = refused.compactMap { $0["reason"] as? String }
        #expect(reasons.count == 3 && reasons[1].contains("empty place")
                && reasons[2].contains("out of range"), "\(reasons)")
        let names = try await server.call("GET", "/v1/assets?sort=name", as: "acme/analyst").json()
        #expect((names["assets"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                == ["ws-21", "ws-24, [x]"], "\(names)")

        let trailing = try await server.call(
            "POST", "/v1/import?format=jsonl", as: "acme/analyst",
            body: Array(#"[{"name":"ws-25","category":"host"}] {"name":"ws-26"}"#.utf8)).json()
        #expect(trailing["imported"] as? Int == 1)
        #expect((trailing["refused"] as? [[String: Any]])?.map { $0["row"] as? Int } == [2])
        let unclosed = try await server.call(
            "POST", "/v1/import", as: "acme/analyst",
            body: Array(#"[{"name":"ws-27","category":"host"},{"name":"ws-28""#.utf8)).json()
        #expect(unclosed["imported"] as? Int == 1)
        #expect(((unclosed["refused"] as? [[String: Any]])?.first?["reason"] as? String)?
                .contains("not closed") == true, "\(unclosed)")
        await server.stop()
    }

    /// Rows that an import used to take wrongly are refused, each with its
    /// row, column and why: atoms of a type given as a number (they were
    /// dropped unseen), a review status that is not a boolean (in CSV,
    /// the reason names every spelling taken), and, in CSV, a quote never
    /// closed (the rest of the file went into one field).
    @Test func importRefusesRowsItUsedToMisread() async throws {
        let server = try await TestServer.start()
        let lines = [
            #"{"name":"ws-01","category":"host","atoms":{"hostname":7}}"#,
            #"{"name":"ws-02","category":"host","reviewed":"maybe"}"#,
            #"{"name":"ws-03","category":"host","atoms":{"hostname":"ws-03"}}"#,
        ]
        let json = try await server.importLines(lines).json()
        #expect(json["imported"] as? Int == 1)
        let refused = json["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [1, 2])
        #expect(refused.map { $0["column"] as? String } == ["atoms", "reviewed"])

        let csv = "name,category,reviewed,description\nws-04,host,yes,fine\nws-05,host,maybe,x\n"
            + "ws-06,host,no,\"an unterminated text\nws-07,host,no,x\n"
        let result = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                           body: Array(csv.utf8)).json()
        #expect(result["imported"] as? Int == 1)
        let csvRefused = result["refused"] as? [[String: Any]] ?? []
        #expect(csvRefused.map { $0["row"] as? Int } == [3, 4])
        #expect((csvRefused.first?["reason"] as? String)?.contains("(or yes/no, 1/0)") == true,
                "\(csvRefused)")
        #expect((csvRefused.last?["reason"] as? String)?.contains("opened on line 4 is never closed")
                == true, "\(csvRefused)")
        await server.stop()
    }

    /// An empty property is no property, whichever way it comes (a CSV's
    /// empty cell, JSON's "", PATCH's ""), so an unchanged CSV export of a
    /// JSON import goes back in as no change; a spreadsheet's `80.0` is
    /// criticality 80, and `80.5` is no whole number.
    @Test func anEmptyPropertyIsNoneAndAWholeDecimalIsARating() async throws {
        let server = try await TestServer.start()
        let imported = try await server.importLines([
            #"{"name":"ws-e","category":"host","properties":{"owner":"","location":"  "}}"#,
        ]).json()
        #expect(imported["imported"] as? Int == 1, "\(imported)")
        let listed = try await server.call("GET", "/v1/assets", as: "acme/reader").json()
        let asset = try #require((listed["assets"] as? [[String: Any]])?.first)
        #expect((asset["properties"] as? [String: Any])?.isEmpty == true, "\(asset)")
        let uuid = try #require(asset["uuid"] as? String)
        var patched = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                            json: ["properties": ["owner": "it-ops"]])
        #expect(try patched.json()["properties"] as? [String: String] == ["owner": "it-ops"])
        patched = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                        json: ["properties": ["owner": ""]])
        #expect((try patched.json()["properties"] as? [String: Any])?.isEmpty == true)

        // Hex and exponents are no spreadsheet's number (0x50 read as 80).
        let csv = "name,category,criticality\nr-80,host,80.0\nr-81,host,80.5\nr-82,host,0x50\n"
            + "r-83,host,8e1\n"
        let result = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                           body: Array(csv.utf8)).json()
        #expect(result["imported"] as? Int == 1)
        #expect((result["refused"] as? [[String: Any]])?.map { $0["row"] as? Int } == [3, 4, 5])
        let rated = try await server.call("GET", "/v1/assets?q=r-80", as: "acme/reader").json()
        #expect((rated["assets"] as? [[String: Any]])?.first?["criticality"] as? Int == 80)
        await server.stop()
    }

    /// A CSV row is numbered as a spreadsheet shows it (the header row 1),
    /// whatever lines a cell of several lines took before it: an export's
    /// descriptions hold newlines, and every later refusal named a row
    /// a person could not find.
    @Test func csvRowsAreNumberedAsASpreadsheetShowsThem() async throws {
        let server = try await TestServer.start()
        let csv = "name,category,description\nml,host,\"three\nline\ntext\"\n"
            + "badrow,hots,x\nok,host,\"two\nlines\"\nworse,hots,y\n"
        let result = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                           body: Array(csv.utf8)).json()
        #expect(result["imported"] as? Int == 2)
        let refused = result["refused"] as? [[String: Any]] ?? []
        // Rows: 1 header, 2 ml, 3 badrow, 4 ok, 5 worse (file lines 5 and 8).
        #expect(refused.map { $0["row"] as? Int } == [3, 5])
        await server.stop()
    }

    /// An entity is named as `ingest --entity` names it, whichever way it
    /// comes in: `../../etc` was taken by create, import and intake.
    @Test func entityNamesFollowOneRule() async throws {
        let server = try await TestServer.start()
        let created = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: [
            "name": "ws-01", "category": "host", "entity": "../../etc",
        ])
        #expect(created.status == 422, "\(created.text)")
        let error = try created.json()["error"] as? [String: Any]
        #expect((error?["details"] as? [String: Any])?["field"] as? String == "entity")
        let event = #"{"@timestamp":"2026-03-02T08:00:00Z","host":{"name":"ws-02"}}"# + "\n"
        let intake = try await server.call("POST", "/v1/events?entity=..%2Fx", as: "acme/ingest",
                                           body: Array(event.utf8))
        #expect(intake.status == 400, "\(intake.text)")
        let fine = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: [
            "name": "ws-03", "category": "host", "entity": "DMZ-1.paris_2",
        ])
        #expect(fine.status == 201, "\(fine.text)")
        await server.stop()
    }

    /// The list takes the command line's criticality filter too
    /// (`criticality=68-100`, one value, or `unrated`), and refuses it
    /// beside criticality_min or criticality_max.
    @Test func theCriticalityFilterReadsAsOnTheCommandLine() async throws {
        let server = try await TestServer.start()
        try await server.createAsset(["name": "low", "category": "host", "criticality": 20],
                                     as: "acme/analyst")
        try await server.createAsset(["name": "high", "category": "host", "criticality": 70],
                                     as: "acme/analyst")
        try await server.createAsset(["name": "unrated", "category": "host"], as: "acme/analyst")
        func names(_ query: String) async throws -> [String] {
            let listed = try await server.call("GET", "/v1/assets?" + query, as: "acme/reader")
            #expect(listed.status == 200, "\(query): \(listed.text)")
            return (try listed.json()["assets"] as? [[String: Any]] ?? [])
                .compactMap { $0["name"] as? String }.sorted()
        }
        #expect(try await names("criticality=68-100") == ["high"])
        #expect(try await names("criticality=20") == ["low"])
        #expect(try await names("criticality=0-100") == ["high", "low"])
        #expect(try await names("criticality=unrated") == ["unrated"])
        // The labels lists show, by the standard bounds (high 68-100).
        #expect(try await names("criticality=high") == ["high"])
        #expect(try await names("criticality=low") == ["low"])
        #expect(try await names("criticality=medium") == [])
        // Unrated and rated at once selects nothing: refused as the other
        // contradictory pairs are (it answered an empty page).
        for bad in ["criticality=68-100&criticality_min=1", "criticality=101", "criticality=9-3",
                    "criticality=severe", "unrated=true&criticality=high",
                    "unrated=true&criticality_min=1"] {
            let refused = try await server.call("GET", "/v1/assets?" + bad, as: "acme/reader")
            #expect(refused.status == 400, "\(bad): \(refused.text)")
        }
        await server.stop()
    }

    /// A patch that replaces the tags and adds or removes some is refused:
    /// the replacement won, and a tag the caller meant to keep was lost.
    @Test func aPatchReplacingAndAddingTagsIsRefused() async throws {
        let server = try await TestServer.start()
        let id = try await server.createAsset(["name": "db-01", "category": "host",
                                               "tags": ["crown-jewel"]], as: "acme/analyst")
        let both = try await server.call("PATCH", "/v1/assets/\(id)", as: "acme/analyst",
                                         json: ["tags": ["pci"], "add_tags": ["backup"]])
        #expect(both.status == 422, "\(both.text)")
        let asset = try await server.call("GET", "/v1/assets/\(id)", as: "acme/reader").json()
        #expect(asset["tags"] as? [String] == ["crown-jewel"])
        await server.stop()
    }

    /// `source` takes the discovery rule that made an asset, as its
    /// `discovery_rule` field says, besides automatic and manual, and
    /// refuses anything else (an unknown value listed nothing, silently).
    @Test func theSourceFilterTakesDiscoveryRules() async throws {
        let server = try await TestServer.start()
        try await server.createAsset(["name": "cmdb-host", "category": "host"], as: "acme/analyst")
        let events = [
            #"{"@timestamp":"2026-03-02T08:00:00Z","host":{"name":"ws-found"}}"#,
            #"{"@timestamp":"2026-03-02T08:01:00Z","user":{"name":"alice"},"event":{"outcome":"success"}}"#,
        ].joined(separator: "\n") + "\n"
        let intake = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                           body: Array(events.utf8))
        #expect(intake.status == 200, "\(intake.text)")
        func listed(_ source: String) async throws -> (names: [String], total: Int?) {
            let json = try await server.call("GET", "/v1/assets?source=\(source)",
                                             as: "acme/reader").json()
            return ((json["assets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                        .sorted(), json["total"] as? Int)
        }
        let hosts = try await listed("unique_hosts")
        #expect(hosts.names == ["ws-found"])
        #expect(hosts.total == 1)
        #expect(try await listed("unique_accounts").names == ["alice"])
        #expect(try await listed("automatic").names == ["alice", "ws-found"])
        #expect(try await listed("manual").names == ["cmdb-host"])
        let unknown = try await server.call("GET", "/v1/assets?source=bogus", as: "acme/reader")
        #expect(unknown.status == 400, "\(unknown.text)")
        await server.stop()
    }

    /// A JSON list property keeps its items whole, commas included (they
    /// were split at every comma, as a CSV cell is), a list of one item
    /// too; a list given for a text property is refused.
    @Test func aJSONListPropertyKeepsItsItems() async throws {
        let server = try await TestServer.start()
        for (name, type) in [("owners", "list"), ("rack", "string")] {
            let defined = try await server.call("POST", "/v1/properties", as: "acme/admin",
                                                json: ["name": name, "type": type,
                                                       "category": "host"])
            #expect(defined.status == 201, "\(defined.text)")
        }
        let id = try await server.createAsset([
            "name": "db-01", "category": "host", "properties": ["owners": ["Smith, J.", " ops"]],
        ], as: "acme/analyst")
        let asset = try await server.call("GET", "/v1/assets/\(id)", as: "acme/reader").json()
        #expect((asset["properties"] as? [String: Any])?["owners"] as? [String]
                == ["Smith, J.", "ops"])
        let one = try await server.call("PATCH", "/v1/assets/\(id)", as: "acme/analyst",
                                        json: ["properties": ["owners": ["Doe, A."]]]).json()
        #expect((one["properties"] as? [String: Any])?["owners"] as? [String] == ["Doe, A."])
        let refused = try await server.call("PATCH", "/v1/assets/\(id)", as: "acme/analyst",
                                            json: ["properties": ["rack": ["r1", "r2"]]])
        #expect(refused.status == 422, "\(refused.text)")
        await server.stop()
    }

    /// A filter of more tags than an asset can hold is a 400 naming the
    /// parameter (a thousand answered 500); as many as it can hold work.
    @Test func aFilterOfTooManyTagsIsRefused() async throws {
        let server = try await TestServer.start()
        func tags(_ count: Int) -> String { (0..<count).map { "tag=t\($0)" }.joined(separator: "&") }
        let most = try await server.call("GET", "/v1/assets?" + tags(100), as: "acme/reader")
        #expect(most.status == 200, "\(most.text)")
        let over = try await server.call("GET", "/v1/assets?" + tags(1_000), as: "acme/reader")
        #expect(over.status == 400, "\(over.text)")
        let error = try over.json()["error"] as? [String: Any]
        #expect((error?["details"] as? [String: Any])?["parameter"] as? String == "tag")
        await server.stop()
    }

    /// A CSV row's refusal names the column the atom was given in, and an
    /// atom's reason is its own: a range with host bits set suggests its
    /// network, a typo'd address is no address (both read "placeholders,
    /// loopback and built-in principals are never atoms").
    @Test func importRefusalsNameTheirColumnAndTheirReason() async throws {
        let server = try await TestServer.start()
        let csv = "name,category,atom.hostname,atom.cidr,atom.ipv4\n"
            + "pc-1,host,pc-1,,\npc-2,host,pc-1,,\nlan,network,,10.0.0.1/8,\n"
            + "pc-3,host,pc-3,,999.1.1.1\npc-4,host,pc-4,,127.0.0.1\n"
            + "pc-5,host,pc-5.corp.example.org,,\npc-6,host,localhost,,\n"
        let result = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                           body: Array(csv.utf8)).json()
        #expect(result["imported"] as? Int == 1)
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [3, 4, 5, 6, 7, 8])
        #expect(refused.map { $0["column"] as? String } == ["atom.hostname", "atom.cidr",
                                                            "atom.ipv4", "atom.ipv4",
                                                            "atom.hostname", "atom.hostname"])
        let reasons = refused.map { $0["reason"] as? String ?? "" }
        #expect(reasons[1].contains("did you mean '10.0.0.0/8'"), "\(reasons)")
        #expect(reasons[2].hasSuffix("it is not an IP address"), "\(reasons)")
        #expect(reasons[3].contains("loopback, link-local"), "\(reasons)")
        // A dotted hostname is an fqdn given in the wrong column (the
        // answer names no value: SPEC §8).
        #expect(reasons[4].hasSuffix("a hostname is one label; give a fully qualified name as "
                                     + "fqdn=…"), "\(reasons)")
        #expect(reasons[5].hasSuffix("every machine calls itself so: it is never an atom"))
        await server.stop()
    }

    /// An IPv4-mapped address given as ipv6 is its IPv4 address, as events
    /// give it (SPEC §2; it was refused as "loopback, link-local…"), and a
    /// real IPv6 address in the ipv4 column is told to go to ipv6.
    @Test func aMappedAddressGivenAsIPv6IsItsIPv4Address() async throws {
        let server = try await TestServer.start()
        let csv = "name,category,atom.ipv4,atom.ipv6\n"
            + "pc-1,host,,::ffff:10.3.3.3\npc-2,host,2001:db8::7,\n"
        let result = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                           body: Array(csv.utf8)).json()
        #expect(result["imported"] as? Int == 1)
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [3])
        #expect(refused.map { $0["column"] as? String } == ["atom.ipv4"])
        let reason = refused.first?["reason"] as? String ?? ""
        #expect(reason.contains("it is an IPv6 address; give it as ipv6="), "\(reason)")
        let atoms = try await server.call("GET", "/v1/atoms?value=10.3.3.3", as: "acme/reader")
            .json()
        let found = (atoms["atoms"] as? [[String: Any]])?.first
        #expect(found?["type"] as? String == "ipv4", "\(atoms)")
        #expect((found?["holders"] as? [Any])?.count == 1, "\(atoms)")
        await server.stop()
    }

    /// `match=atoms`: a row without uuid updates the asset of its category
    /// holding its atoms (a CMDB rating the hosts intake discovered); an
    /// unknown match is refused.
    @Test func anImportMayMatchRowsByTheirAtoms() async throws {
        let server = try await TestServer.start()
        let event = #"{"@timestamp":"2026-05-01T10:00:00Z","host":{"name":"db-07"}}"#
        #expect(try await server.call("POST", "/v1/events", as: "acme/admin",
                                      body: Array(event.utf8)).status == 200)
        let csv = "name,category,criticality,atom.hostname\nDB-07,host,85,db-07\n"
        let refused = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                            body: Array(csv.utf8)).json()
        #expect(refused["imported"] as? Int == 0)
        let result = try await server.call("POST", "/v1/import?format=csv&match=atoms",
                                           as: "acme/analyst", body: Array(csv.utf8)).json()
        #expect(result["updated"] as? Int == 1)
        #expect(result["created"] as? Int == 0)
        #expect(result["matched_by_atoms"] as? [Int] == [2])
        let listed = try await server.call("GET", "/v1/assets?category=host", as: "acme/reader")
        let assets = try listed.json()["assets"] as? [[String: Any]] ?? []
        #expect(assets.count == 1)
        #expect(assets.first?["criticality"] as? Int == 85)
        #expect(assets.first?["name"] as? String == "DB-07")
        #expect(try await server.call("POST", "/v1/import?format=csv&match=name",
                                      as: "acme/analyst", body: Array(csv.utf8)).status == 400)
        // Another community's rows match none of acme's assets.
        let foreign = try await server.call("POST", "/v1/import?format=csv&match=atoms",
                                            as: "globex/analyst", body: Array(csv.utf8)).json()
        #expect(foreign["created"] as? Int == 1)
        await server.stop()
    }

    /// A body that is not UTF-8 is refused whole, naming the line (it was
    /// repaired into replacement characters and imported).
    @Test func anImportThatIsNotUTF8IsRefused() async throws {
        let server = try await TestServer.start()
        let latin1: [UInt8] = Array("name,category\nws-01,host\nSoci".utf8) + [0xE9]
            + Array("t".utf8) + [0xE9] + Array("-srv,host\n".utf8)
        let response = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                             body: latin1)
        #expect(response.status == 400)
        #expect(response.text.contains("line 3 is not UTF-8 text"), "\(response.text)")
        let listed = try await server.call("GET", "/v1/assets", as: "acme/reader").json()
        #expect(listed["total"] as? Int == 0)
        await server.stop()
    }

    /// A value with quotes of its own stays out of an error body too: one
    /// that imitates a suggestion, one with an apostrophe, and a name an
    /// import quotes from another row (each came back whole, or its end
    /// after the apostrophe did).
    @Test func valuesWithQuotesStayOutOfErrorBodies() async throws {
        let server = try await TestServer.start()
        for category in ["x' did you mean 'jdoe@corp.example", "O'Brien-ssn-123-45-6789"] {
            let response = try await server.call("POST", "/v1/assets", as: "acme/analyst",
                                                 json: ["name": "a", "category": category])
            #expect(response.status == 422)
            for secret in ["jdoe", "Brien", "6789"] {
                #expect(!response.text.contains(secret), "\(response.text)")
            }
        }
        let lines = [
            #"{"name":"O'Neil jdoe@corp.example","category":"host","atoms":{"hostname":["pc-9"]}}"#,
            #"{"name":"pc-9-bis","category":"host","atoms":{"hostname":["pc-9"]}}"#,
        ]
        let imported = try await server.importLines(lines)
        #expect(try imported.json()["imported"] as? Int == 1)
        #expect(imported.text.contains("refused"))
        for secret in ["jdoe", "Neil", "pc-9"] {
            #expect(!imported.text.contains(secret), "\(imported.text)")
        }
        // A CSV cell's doubled quote is one in the message; an email as a
        // JSON key is no name of the API.
        let csv = "name,category,criticality\nx,host,\"9\"\" x' jane.doe@corp.example\"\n"
        let fromCSV = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                            body: Array(csv.utf8))
        #expect(!fromCSV.text.contains("jane.doe"), "\(fromCSV.text)")
        let keyed = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: [
            "name": "a", "category": "host", "jane.doe@corp.example": 1,
        ])
        #expect(keyed.status == 422)
        #expect(!keyed.text.contains("jane.doe"), "\(keyed.text)")
        // The API's own words given as values stay readable.
        let word = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: [
            "name": "a", "category": "host", "atoms": ["hostname": ["localhost"]],
        ])
        #expect(word.text.contains("not a valid hostname atom"), "\(word.text)")
        // The field an error names stays in its message.
        let field = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: [
            "name": "a", "category": "host", "criticality": 200,
        ])
        let message = ((try field.json())["error"] as? [String: Any])?["message"] as? String
        #expect(message?.hasPrefix("invalid field 'criticality': ") == true, "\(field.text)")
        await server.stop()
    }

    /// A cell a spreadsheet would read as a formula is exported after an
    /// apostrophe, which shows it as text (a discovered user name
    /// `=HYPERLINK(…)` was exported as a live formula), and the export
    /// imports back into another community with the values unchanged.
    @Test func exportedCellsAreNotFormulasAndImportBack() async throws {
        let server = try await TestServer.start()
        let names = ["=HYPERLINK(\"http://x.example\",\"y\")", "+1-555", "'@home", "plain", "two"]
        for name in names {
            try await server.createAsset(["name": name, "category": "account",
                                          "description": name == "two" ? "two\r\n@SUM(1)" : ""],
                                         as: "acme/analyst")
        }
        let export = try await server.call("GET", "/v1/export?format=csv", as: "acme/reader")
        // The name is the second cell, after the uuid.
        let cells = export.text.split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").dropFirst().first.map(String.init) ?? "" }
        // A CRLF inside a value stays inside its quoted cell.
        #expect(export.text.contains(",false,\"two\r\n@SUM(1)\","), "\(export.text)")
        #expect(cells.filter { !$0.hasPrefix("@SUM") }.sorted() == [
            "\"'=HYPERLINK(\"\"http://x.example\"\"", "''@home", "'+1-555", "plain", "two",
        ], "\(export.text)")
        let reimported = try await server.call("POST", "/v1/import?format=csv",
                                               as: "globex/analyst", body: export.body).json()
        #expect(reimported["imported"] as? Int == 5, "\(reimported)")
        let listed = try await server.call("GET", "/v1/assets", as: "globex/reader").json()
        let back = (listed["assets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(back.sorted() == names.sorted())
        let two = (listed["assets"] as? [[String: Any]])?.first { $0["name"] as? String == "two" }
        #expect(two?["description"] as? String == "two\r\n@SUM(1)")
        await server.stop()
    }

    /// A value of the body is taken out of a reason where it stands as a
    /// word of its own, not inside one of ours: a tag `critical` on one
    /// row cut "criticality" in another row's reason.
    @Test func aValueInsideAWordOfOursStaysInTheReason() async throws {
        let server = try await TestServer.start()
        let body = #"{"name":"dc-01","category":"host","tags":["critical"]}"# + "\n"
            + #"{"name":"ws-02","category":"host","criticality":"sixty"}"#
        let result = try await server.call("POST", "/v1/import?format=jsonl", as: "acme/analyst",
                                           body: Array(body.utf8)).json()
        let reason = (result["refused"] as? [[String: Any]])?.first?["reason"] as? String
        #expect(reason == "criticality must be a whole number or null", "\(result)")
        // As a word of its own, it still goes.
        let named = #"{"name":"jane-laptop","category":"hots"}"#
        let refused = try await server.call("POST", "/v1/import?format=jsonl", as: "acme/analyst",
                                            body: Array(named.utf8)).json()
        let why = (refused["refused"] as? [[String: Any]])?.first?["reason"] as? String ?? ""
        #expect(!why.contains("hots") && !why.contains("jane"), "\(why)")
        await server.stop()
    }

    /// A refusal keeps the caller's value out (SPEC §8) but not our own
    /// suggestion: "did you mean 'host'" is useless as "did you mean '…'".
    @Test func refusalsSuggestButDoNotEcho() async throws {
        let server = try await TestServer.start()
        let result = try await server.call(
            "POST", "/v1/import?format=csv", as: "acme/analyst",
            body: Array("name,category\nSECRET-ws,hots\n".utf8)).json()
        let reason = (result["refused"] as? [[String: Any]])?.first?["reason"] as? String ?? ""
        #expect(reason.contains("did you mean 'host'"), "\(reason)")
        #expect(!reason.contains("hots") && !reason.contains("SECRET"), "\(reason)")
        await server.stop()
    }

    /// A row naming a hostname another asset holds, or one an earlier row
    /// gives, is refused alone with its row and column; the other rows
    /// are imported. (The whole import was refused, naming no row.)
    @Test func importRefusesConflictingRowsAlone() async throws {
        let server = try await TestServer.start()
        try await server.createAsset(["name": "dc-01", "category": "host",
                                      "atoms": ["hostname": ["dc-01"]]], as: "acme/analyst")
        let lines = [
            #"{"name":"dc-one","category":"host","atoms":{"hostname":["dc-01"]}}"#,
            #"{"name":"ws-07","category":"host","atoms":{"hostname":["ws-07"]}}"#,
            #"{"name":"ws-07-bis","category":"host","atoms":{"hostname":["ws-07"]}}"#,
            #"{"name":"ws-08","category":"host","atoms":{"hostname":["ws-08"]}}"#,
        ]
        let result = try await server.importLines(lines).json()
        #expect(result["imported"] as? Int == 2)
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [1, 3])
        #expect(refused.map { $0["column"] as? String } == ["atoms", "atoms"])
        // No value is echoed: the hostname is redacted from the reason.
        #expect(!refused.contains { ($0["reason"] as? String)?.contains("ws-07") == true })

        let created = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: [
            "name": "dc-two", "category": "host", "atoms": ["hostname": ["dc-01"]],
        ])
        #expect(created.status == 409)
        let error = try created.json()["error"] as? [String: Any]
        #expect(error?["code"] as? String == "atom_conflict")
        #expect((error?["details"] as? [String: Any])?["field"] as? String == "atoms")

        // An address is one host's at a time (SPEC §2): one a person gave
        // a host is refused to another; one discovery saw is not (it
        // expires, and the person's word is newer).
        try await server.createAsset(["name": "db-01", "category": "host",
                                      "atoms": ["ipv4": ["10.0.0.10"]]], as: "acme/analyst")
        let second = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: [
            "name": "db-02", "category": "host", "atoms": ["ipv4": ["10.0.0.10"]],
        ])
        #expect(second.status == 409)
        let event = "{\"@timestamp\":\"2026-03-02T08:00:00Z\",\"host\":{\"name\":\"laptop-3\","
            + "\"ip\":[\"10.0.0.11\"]}}\n"
        _ = try await server.call("POST", "/v1/events", as: "acme/ingest", body: Array(event.utf8))
        let overDiscovery = try await server.call("POST", "/v1/assets", as: "acme/analyst", json: [
            "name": "printer-3", "category": "host", "atoms": ["ipv4": ["10.0.0.11"]],
        ])
        #expect(overDiscovery.status == 201)
        // Nor is a confirmed address confirmed on a second host.
        let other = try await server.createAsset(["name": "db-03", "category": "host"],
                                                 as: "acme/analyst")
        let confirmed = try await server.call(
            "POST", "/v1/assets/\(other)/atoms/confirm", as: "acme/analyst",
            json: ["type": "ipv4", "value": "10.0.0.10"])
        #expect(confirmed.status == 409)
        // A search with a NUL in it is refused, not a 500.
        let search = try await server.call("GET", "/v1/assets?q=abc%00def", as: "acme/reader")
        #expect(search.status == 400)
        await server.stop()
    }

    /// An export imported back into its community updates the assets its
    /// rows name by uuid, and a row without one creates an asset. Another
    /// community importing the same file creates assets of its own: a
    /// uuid of acme's names nothing in globex, and acme's asset is left
    /// as it was.
    @Test func anExportImportedBackUpdatesOnlyItsCommunitysAssets() async throws {
        let server = try await TestServer.start()
        let csv = "name,category,criticality,tags,atom.hostname\ndc-01,host,95,dc;crown,dc-01\n"
            + "svc-backup,account,40,,\n"
        _ = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                  body: Array(csv.utf8))
        let export = try await server.call("GET", "/v1/export?format=csv", as: "acme/reader").text
        func assets(_ token: String) async throws -> [String: [String: Any]] {
            let listed = try await server.call("GET", "/v1/assets", as: token).json()
            let list = listed["assets"] as? [[String: Any]] ?? []
            return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as? String ?? "", $0) })
        }
        let uuid = try #require(try await assets("acme/reader")["dc-01"]?["uuid"] as? String)
        let edited = export.replacingOccurrences(of: ",95,crown;dc,", with: ",60,dc,")
            + ",ws-09,host,,,,,,,,,\n"
        #expect(edited.contains("\(uuid),dc-01,host,,60,dc,false,"), "\(edited)")

        let result = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                           body: Array(edited.utf8)).json()
        #expect(result["created"] as? Int == 1 && result["updated"] as? Int == 1
                && result["unchanged"] as? Int == 1 && result["imported"] as? Int == 2, "\(result)")
        // ws-09 has no atom: no event will match it.
        #expect(result["created_without_atoms"] as? [Int] == [4], "\(result)")
        #expect(result["created_with_existing_name"] as? [Int] == [], "\(result)")
        var acme = try await assets("acme/reader")
        #expect(acme.keys.sorted() == ["dc-01", "svc-backup", "ws-09"])
        #expect(acme["dc-01"]?["uuid"] as? String == uuid)
        #expect(acme["dc-01"]?["criticality"] as? Int == 60)
        #expect(acme["dc-01"]?["tags"] as? [String] == ["dc"])
        // null clears, in JSON lines: the tags, and a property.
        let line = #"{"uuid":"\#(uuid)","tags":null,"properties":{"owner":"it"}}"# + "\n"
            + #"{"uuid":"\#(uuid.uppercased())","properties":{"owner":null}}"#
        let cleared = try await server.call("POST", "/v1/import?format=jsonl", as: "acme/analyst",
                                            body: Array(line.utf8)).json()
        // One row per asset: the second (the same uuid in capitals) is refused.
        #expect(cleared["updated"] as? Int == 1, "\(cleared)")
        #expect((cleared["refused"] as? [[String: Any]])?.first?["column"] as? String == "uuid")
        acme = try await assets("acme/reader")
        #expect(acme["dc-01"]?["tags"] as? [String] == [])
        #expect((acme["dc-01"]?["properties"] as? [String: Any])?["owner"] as? String == "it")
        let removal = #"{"uuid":"\#(uuid)","properties":{"owner":null}}"#
        _ = try await server.call("POST", "/v1/import?format=jsonl", as: "acme/analyst",
                                  body: Array(removal.utf8))
        acme = try await assets("acme/reader")
        #expect((acme["dc-01"]?["properties"] as? [String: Any])?["owner"] == nil)
        let history = try await server.call("GET", "/v1/audit?asset=\(uuid)", as: "acme/reader").json()
        let actions = (history["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
        #expect(actions.sorted() == ["create", "update", "update", "update"], "\(history)")

        let dry = try await server.call("POST", "/v1/import?format=csv&dry_run=true",
                                        as: "globex/analyst", body: Array(edited.utf8)).json()
        #expect(dry["dry_run"] as? Bool == true && dry["created"] as? Int == 3, "\(dry)")
        #expect(try await assets("globex/reader").isEmpty)
        // An unknown uuid given twice makes one asset, not two.
        let twice = try #require(edited.split(separator: "\n").first { $0.hasPrefix(uuid) })
        let doubled = try await server.call("POST", "/v1/import?format=csv&dry_run=1",
                                            as: "globex/analyst",
                                            body: Array((edited + twice + "\n").utf8)).json()
        #expect(doubled["created"] as? Int == 3, "\(doubled)")
        #expect((doubled["refused"] as? [[String: Any]])?.first?["row"] as? Int == 5, "\(doubled)")
        let other = try await server.call("POST", "/v1/import?format=csv", as: "globex/analyst",
                                          body: Array(edited.replacingOccurrences(
                                            of: ",60,dc,", with: ",5,dc,").utf8)).json()
        #expect(other["created"] as? Int == 3 && other["updated"] as? Int == 0, "\(other)")
        // Said as for any uuid the community has no asset of.
        #expect(other["created_from_unknown_uuid"] as? [Int] == [2, 3], "\(other)")
        let globex = try await assets("globex/reader")
        #expect(globex["dc-01"]?["uuid"] as? String != uuid)
        #expect(globex["dc-01"]?["criticality"] as? Int == 5)
        acme = try await assets("acme/reader")
        #expect(acme["dc-01"]?["criticality"] as? Int == 60)
        await server.stop()
    }

    @Test func importRefusesBadRowsAndExportReimports() async throws {
        let server = try await TestServer.start()
        let csv = """
            name,category,criticality,tags,atom.hostname
            dc-01,host,95,dc;crown,dc-01
            ,host,10,,
            ws-02,host,200,,ws-02
            svc-backup,account,40,,
            """
        let result = try await server.call("POST", "/v1/import", as: "acme/analyst",
                                           body: Array(csv.utf8),
                                           headers: ["Content-Type": "text/csv"]).json()
        #expect(result["imported"] as? Int == 2)
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [3, 4])
        #expect(refused.map { $0["column"] as? String } == ["name", "criticality"])

        let export = try await server.call("GET", "/v1/export?format=csv&category=host",
                                           as: "acme/reader")
        #expect(export.status == 200)
        let listed = try await server.call("GET", "/v1/assets", as: "acme/reader").json()
        let dc = (listed["assets"] as? [[String: Any]])?.first { $0["name"] as? String == "dc-01" }
        let uuid = try #require(dc?["uuid"] as? String)
        let stamp = try #require(dc?["updated_at"] as? String)
        #expect(export.text == "uuid,name,category,subcategory,criticality,tags,reviewed,"
                + "revoked,description,entity,updated_at,atom.hostname\n"
                + "\(uuid),dc-01,host,,95,crown;dc,false,false,,,\(stamp),dc-01\n")

        // The export re-imports into another community unchanged.
        let reimported = try await server.call("POST", "/v1/import?format=csv",
                                               as: "globex/analyst", body: export.body).json()
        #expect(reimported["imported"] as? Int == 1)
        let lines = try await server.call("GET", "/v1/export", as: "globex/reader").text
            .split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("\"community\":\"globex\"") == true)
        await server.stop()
    }
}

/// An export in the order asked, as the list takes it, each asset once
/// (streamed: chunked, a page of uuids at a time).
@Suite(.serialized)
struct ExportOrderTests {
    @Test func anExportTakesTheListsSortAndOrder() async throws {
        let server = try await TestServer.start()
        for (name, criticality) in [("b-host", 20), ("a-host", 90), ("c-host", 50)] {
            _ = try await server.createAsset(["name": name, "category": "host",
                                              "criticality": criticality], as: "acme/analyst")
        }
        func names(_ query: String) async throws -> [String] {
            let response = try await server.call("GET", "/v1/export?\(query)", as: "acme/reader")
            #expect(response.status == 200, "\(query): \(response.text)")
            #expect(response.headers["transfer-encoding"] == "chunked")
            return response.text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["name"]
                    as? String
            }
        }
        #expect(try await names("format=jsonl") == ["a-host", "b-host", "c-host"])
        #expect(try await names("sort=criticality&order=desc") == ["a-host", "c-host", "b-host"])
        #expect(try await names("sort=criticality&criticality_min=30")
                == ["c-host", "a-host"])
        let csv = try await server.call("GET", "/v1/export?format=csv&sort=name&order=desc",
                                        as: "acme/reader").text
        #expect(csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[1] }
                == ["c-host", "b-host", "a-host"])
        // HEAD answers with GET's headers and no body, reading nothing (the
        // whole export was read to be thrown away): the connection then
        // serves the next request as it is.
        let port = server.port
        let token = server.tokens["acme/reader"] ?? ""
        let (head, next) = try await offPool { () -> (RawHTTPConnection.Response,
                                                      RawHTTPConnection.Response) in
            let connection = try RawHTTPConnection(port: port)
            try connection.sendRequest("HEAD", "/v1/export?format=csv",
                                       headers: ["Authorization": "Bearer \(token)"])
            let head = try connection.receiveResponse(toHead: true)
            try connection.sendRequest("GET", "/v1/export?format=jsonl",
                                       headers: ["Authorization": "Bearer \(token)"])
            return (head, try connection.receiveResponse())
        }
        #expect(head.status == 200)
        #expect(head.headers["content-type"] == "text/csv; charset=utf-8")
        #expect(next.status == 200)
        #expect(next.text.split(separator: "\n").count == 3, "\(next.text)")
        await server.stop()
    }
}

/// An empty CSV body is said to be empty (it was answered as a header of
/// one column holding semicolons).
@Suite(.serialized)
struct EmptyImportTests {
    @Test func anEmptyCSVBodyIsSaidEmpty() async throws {
        let server = try await TestServer.start()
        for query in ["format=csv", "format=csv&dry_run=true"] {
            let response = try await server.call("POST", "/v1/import?\(query)", as: "acme/analyst",
                                                 body: [])
            #expect(response.status == 400)
            #expect(response.text.contains("the body is empty"), "\(response.text)")
        }
        await server.stop()
    }
}

/// A uuid followed by a NUL and more text is no uuid (Foundation's parser
/// stopped at the NUL and named the asset before it).
@Suite(.serialized)
struct UUIDTextRouteTests {
    @Test func aUUIDWithTextAfterANULNamesNoAsset() async throws {
        let server = try await TestServer.start()
        let uuid = try await server.createAsset(["name": "fs-1", "category": "host"],
                                                as: "acme/analyst")
        for target in ["/v1/assets/\(uuid)%00junk", "/v1/assets/\(uuid)%00junk/history"] {
            let response = try await server.call("GET", target, as: "acme/reader")
            #expect(response.status == 404, "\(target): \(response.status)")
        }
        let patched = try await server.call("PATCH", "/v1/assets/\(uuid)%00junk",
                                            as: "acme/analyst", json: ["criticality": 90])
        #expect(patched.status == 404)
        let bulk = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "add_tags", "tags": ["x"], "ids": ["\(uuid)\u{0}x"]])
        #expect(bulk.status == 422)
        for target in ["/v1/audit?asset=\(uuid)%00x", "/v1/alerts?asset=\(uuid)%00x",
                       "/v1/alerts?asset=fs-1%00x"] {
            let answer = try await server.call("GET", target, as: "acme/reader")
            #expect(answer.status == 400, "\(target): \(answer.status)")
        }
        let asset = try await server.call("GET", "/v1/assets/\(uuid)", as: "acme/reader")
        #expect(try asset.json()["criticality"] is NSNull)
        // A name where the uuid goes is told as such, not as an unknown uuid.
        let byName = try await server.call("GET", "/v1/assets/fs-1", as: "acme/reader")
        #expect(byName.status == 404)
        #expect(byName.text.contains("the path names an asset by its uuid, and this is none"),
                "\(byName.text)")
        let unknown = try await server.call("GET", "/v1/assets/\(UUID().uuidString)",
                                            as: "acme/reader")
        #expect(unknown.text.contains("no asset of this community has that uuid"))
        await server.stop()
    }
}
