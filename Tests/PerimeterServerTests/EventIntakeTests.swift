import PerimeterTestSupport
import Foundation
import PerimeterModel
import PerimeterStore
import Testing

/// `POST /v1/events`: discovery, enrichment, counts, malformed lines by
/// number, gzip bodies, and consistency with concurrent reads.
@Suite(.serialized)
struct EventIntakeTests {
    /// `GET /v1/conflicts`: a MAC two hosts report is one atom claimed by
    /// both, for the community whose events said so and for no other.
    @Test func theAtomsSeveralAssetsClaimAreListed() async throws {
        let server = try await TestServer.start()
        let body = """
            {"@timestamp":"2026-05-01T10:00:00Z","host":{"name":"srv-1","mac":"00:1a:2b:3c:4d:5e"}}
            {"@timestamp":"2026-05-01T10:05:00Z","host":{"name":"srv-2","mac":"00-1A-2B-3C-4D-5E"}}
            {"@timestamp":"2026-05-01T10:06:00Z","host":{"name":"srv-3"}}
            """
        #expect(try await server.call("POST", "/v1/events", as: "acme/admin",
                                      body: Array(body.utf8)).status == 200)
        let listed = try await server.call("GET", "/v1/conflicts", as: "acme/reader")
        #expect(listed.status == 200)
        let answer = try listed.json()
        #expect(answer["total"] as? Int == 1)
        let atoms = answer["conflicts"] as? [[String: Any]] ?? []
        #expect(atoms.map { "\($0["type"] ?? "") \($0["value"] ?? "")" } == ["mac 00:1a:2b:3c:4d:5e"])
        let names = (atoms.first?["assets"] as? [[String: Any]] ?? [])
            .compactMap { $0["name"] as? String }.sorted()
        #expect(names == ["srv-1", "srv-2"])
        #expect(atoms.first?["since"] as? String == "2026-05-01T10:05:00.000Z")
        let other = try await server.call("GET", "/v1/conflicts", as: "globex/reader").json()
        #expect(other["total"] as? Int == 0)
        #expect((other["conflicts"] as? [Any])?.isEmpty == true)
        #expect(try await server.call("GET", "/v1/conflicts?limit=0", as: "acme/reader").status
                == 400)
        await server.stop()
    }

    /// A server cutting requests into chunks of 2 lines, over a store whose
    /// trigger refuses the host `name` (as a full or busy disk refuses a
    /// commit): the chunk that makes it fails. Drop `refuse_ghost` to let
    /// it through.
    static func serverRefusingHost(_ name: String) async throws -> (TestServer, String) {
        let path = TestServer.makeStorePath()
        let tokens = try TestServer.issueTokens(at: path)
        try InventoryStore(path: path).database.execute("""
            CREATE TRIGGER refuse_ghost BEFORE INSERT ON assets WHEN NEW.name = '\(name)'
            BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
            """)
        let server = try await TestServer(storePath: path, tokens: tokens) { options in
            options.intakeChunkLines = 2
        }
        return (server, path)
    }

    /// A request cut into chunks whose first chunk cannot be stored (a
    /// trigger refuses its host, as a busy or full disk would refuse the
    /// commit): the chunks after it, read against what the failed one left
    /// in memory, are not stored either, and the answer says from which
    /// line to send again. The second chunk's attachments named the host
    /// the first one made: rows of no asset, for good, and a bare 500.
    @Test func aFailedChunkStoresNothingAfterItAndSaysFromWhere() async throws {
        let (server, path) = try await Self.serverRefusingHost("ghost-a")
        let body = """
            {"@timestamp":"2026-05-01T10:00:00Z","host":{"name":"ghost-a","ip":"10.78.0.1"}}
            {"@timestamp":"2026-05-01T10:00:01Z","host":{"name":"ghost-a","ip":"10.78.0.1"}}
            {"@timestamp":"2026-05-01T10:00:02Z","host":{"name":"ghost-a","ip":"10.78.1.1"}}
            {"@timestamp":"2026-05-01T10:00:03Z","host":{"name":"ghost-a","ip":"10.78.1.1"}}
            """
        let failed = try await server.call("POST", "/v1/events", as: "acme/admin",
                                           body: Array(body.utf8))
        #expect(failed.status == 500)
        let error = try #require(try failed.json()["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains(
            "the events from line 1 on could not be stored (nothing was stored)") == true,
                "\(error)")
        let details = error["details"] as? [String: Any]
        #expect(details?["first_line_not_stored"] as? Int == 1)
        #expect(details?["lines_stored"] as? Int == 0)
        let orphans = try InventoryStore(path: path).database.statement("""
            SELECT count(*) FROM attachments WHERE asset_uuid NOT IN (SELECT uuid FROM assets)
            """).firstRow { $0.int(0) }
        #expect(orphans == 0)
        // Sent again once the store takes it, it is stored whole, once.
        try InventoryStore(path: path).database.execute("DROP TRIGGER refuse_ghost")
        let again = try await server.call("POST", "/v1/events", as: "acme/admin",
                                          body: Array(body.utf8))
        #expect(again.status == 200, "\(String(decoding: again.body, as: UTF8.self))")
        #expect(try again.json()["discovered"] as? Int == 1)
        await server.stop()
        let store = try InventoryStore(path: path)
        let hosts = try store.assets(matching: AssetQuery(community: "acme")).assets.map(\.name)
        #expect(hosts == ["ghost-a"])
        #expect(try store.weeklyActivity(of: Atom(type: .ipv4, normalizedValue: "10.78.0.1"),
                                         community: "acme").map(\.1) == [2])
    }

    /// A request whose second chunk fails stores nothing after it, however
    /// many chunks follow: a chunk read once the failure was known went
    /// through the inventory read again and was stored, while the answer
    /// said "from line 3 on" was not (sent again, it counted twice).
    @Test func noChunkAfterAFailedOneIsStored() async throws {
        let (server, path) = try await Self.serverRefusingHost("ghost-b")
        let names = ["ok-1", "ok-1", "ghost-b", "ghost-b"] + (3...8).flatMap { ["ok-\($0)"] }
        let body = names.enumerated().map { index, name in
            #"{"@timestamp":"2026-05-01T10:00:0\#(index)Z","host":{"name":"\#(name)"}}"#
        }.joined(separator: "\n")
        let failed = try await server.call("POST", "/v1/events", as: "acme/admin",
                                           body: Array(body.utf8))
        #expect(failed.status == 500)
        let details = (try failed.json()["error"] as? [String: Any])?["details"]
            as? [String: Any]
        #expect(details?["first_line_not_stored"] as? Int == 3)
        #expect(details?["lines_stored"] as? Int == 2)
        await server.stop()
        let store = try InventoryStore(path: path)
        #expect(try store.assets(matching: AssetQuery(community: "acme")).assets.map(\.name)
            == ["ok-1"])
    }

    /// An `Idempotency-Key` makes sending again safe: a body whose answer
    /// was lost (or whose second chunk failed) is sent again whole with
    /// its key, and only the lines not stored yet go in; the same key with
    /// another body is refused, a malformed key too.
    @Test func aBodySentAgainWithItsKeyStoresOnlyTheRest() async throws {
        let (server, path) = try await Self.serverRefusingHost("ghost-c")
        let names = ["ok-1", "ok-2", "ghost-c", "ok-3", "ok-4"]
        let body = Array(names.enumerated().map { index, name in
            #"{"@timestamp":"2026-05-01T10:00:0\#(index)Z","host":{"name":"\#(name)","#
                + #""ip":"10.79.0.\#(index + 1)"}}"#
        }.joined(separator: "\n").utf8)
        let key = ["Idempotency-Key": "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b5c"]
        let failed = try await server.call("POST", "/v1/events", as: "acme/admin", body: body,
                                           headers: key)
        #expect(failed.status == 500)
        let error = try #require(try failed.json()["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains("send the same body again with the "
                                                        + "same Idempotency-Key") == true)
        #expect((error["details"] as? [String: Any])?["lines_stored"] as? Int == 2)

        try InventoryStore(path: path).database.execute("DROP TRIGGER refuse_ghost")
        let again = try await server.call("POST", "/v1/events", as: "acme/admin", body: body,
                                          headers: key)
        #expect(again.status == 200, "\(again.text)")
        let result = try again.json()
        #expect(result["already_stored"] as? Int == 2)
        #expect(result["received"] as? Int == 3)
        // Once more: nothing left to store.
        let third = try await server.call("POST", "/v1/events", as: "acme/admin", body: body,
                                          headers: key).json()
        #expect(third["already_stored"] as? Int == 5)
        #expect(third["received"] as? Int == 0)

        var other = body
        other[other.count - 3] = UInt8(ascii: "9")
        let reused = try await server.call("POST", "/v1/events", as: "acme/admin", body: other,
                                           headers: key)
        #expect(reused.status == 409)
        let badKey = try await server.call("POST", "/v1/events", as: "acme/admin", body: body,
                                           headers: ["Idempotency-Key": "two words"])
        #expect(badKey.status == 400)
        #expect(badKey.text.contains("invalid header 'Idempotency-Key'"), "\(badKey.text)")
        await server.stop()

        // Each event counted once: the first address's week holds 1.
        let store = try InventoryStore(path: path)
        #expect(try store.assets(matching: AssetQuery(community: "acme")).assets.map(\.name)
            == ["ghost-c", "ok-1", "ok-2", "ok-3", "ok-4"])
        for index in 1...5 {
            #expect(try store.weeklyActivity(of: Atom(type: .ipv4,
                                                      normalizedValue: "10.79.0.\(index)"),
                                             community: "acme").map(\.1) == [1], "\(index)")
        }
    }

    /// One request of a key at a time: a client that gave up waiting and
    /// sends again while the first request is still being stored is told
    /// to wait (it read the first one's progress before its last chunks,
    /// and stored them twice).
    @Test func aKeyInFlightIsRefusedToASecondRequest() async throws {
        let server = try await TestServer.start { options in options.intakeChunkLines = 100 }
        let body = Array((0..<20_000).map { index in
            #"{"@timestamp":"2026-05-01T10:00:00Z","host":{"name":"h-\#(index % 50)"},"#
                + #""source":{"ip":"10.80.\#(index % 200).1"}}"#
        }.joined(separator: "\n").utf8)
        let key = ["Idempotency-Key": "in-flight-1"]
        async let first = server.call("POST", "/v1/events", as: "acme/admin", body: body,
                                      headers: key)
        async let second = server.call("POST", "/v1/events", as: "acme/admin", body: body,
                                       headers: key)
        let answers = try await [first, second]
        let statuses = answers.map(\.status)
        #expect(statuses.allSatisfy { [200, 409].contains($0) } && statuses.contains(200),
                "\(statuses)")
        for answer in answers where answer.status == 409 {
            #expect(answer.text.contains("idempotency_key_in_use"), "\(answer.text)")
        }
        // Both stored: the later one stored only what the first had not.
        let received = try answers.filter { $0.status == 200 }
            .map { try $0.json()["received"] as? Int ?? -1 }
        #expect(received.reduce(0, +) == 20_000, "\(received)")
        // Once both are done, the same body again: nothing left.
        let after = try await server.call("POST", "/v1/events", as: "acme/admin", body: body,
                                          headers: key).json()
        #expect(after["already_stored"] as? Int == 20_000)
        await server.stop()
        // However the requests met, each event counted once: each address
        // is in 100 of the 20,000 lines.
        let store = try InventoryStore(path: server.storePath)
        for third in [0, 77, 199] {
            #expect(try store.weeklyActivity(of: Atom(type: .ipv4,
                                                      normalizedValue: "10.80.\(third).1"),
                                             community: "acme").map(\.1) == [100],
                    "\(statuses)")
        }
    }

    /// Two `Idempotency-Key` fields name two bodies: refused, where the
    /// first was taken silently (and the two joined by a comma refused).
    @Test func twoIdempotencyKeysAreRefused() async throws {
        let server = try await TestServer.start()
        let body = #"{"@timestamp":"2026-05-01T10:00:00Z","host":{"name":"k-1"}}"#
        let token = try #require(server.tokens["acme/admin"])
        let port = server.port
        let response = try await offPool {
            let connection = try RawHTTPConnection(port: port)
            try connection.send("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer \(token)\r\nIdempotency-Key: a\r\n"
                + "Idempotency-Key: b\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            return try connection.receiveResponse()
        }
        #expect(response.status == 400)
        #expect(response.text.contains("given 2 times"), "\(response.text)")
        await server.stop()
    }

    @Test func malformedLinesAreReportedByLineAndTheRestGoThrough() async throws {
        let server = try await TestServer.start()
        let body = """
            {"@timestamp":"2026-05-01T10:00:00Z","host":{"name":"srv-1"},"user":{"name":"alice"}}
            {"@timestamp": "2026-05-01T10:00:01Z", "host": {"name"
            
            not json at all
            {"@timestamp":"2026-05-01T10:00:02Z","host":{"name":"srv-1"}}
            """
        let response = try await server.call("POST", "/v1/events?return=enriched",
                                             as: "acme/admin", body: Array(body.utf8))
        #expect(response.status == 200)
        let result = try response.json()
        #expect(result["received"] as? Int == 4)
        #expect(result["malformed"] as? Int == 2)
        #expect(result["discovered"] as? Int == 2)
        #expect(result["enriched"] as? Int == 2)
        let problems = result["problems"] as? [[String: Any]] ?? []
        #expect(problems.map { $0["line"] as? Int } == [2, 4])
        #expect(result["problems_omitted"] as? Int == 0)
        #expect(!response.text.contains("not json at all"))
        let events = result["events"] as? [[String: Any]] ?? []
        #expect(events.count == 2)
        let names = (events.first?["sekoiaio"] as? [String: Any])
            .flatMap { $0["any_asset"] as? [String: Any] }?["name"] as? [String]
        #expect(names?.sorted() == ["alice", "srv-1"])
        // The first 1,000 problems are listed, and how many more there were.
        let many = String(repeating: "{x\n", count: 1_200)
        let capped = try await server.call("POST", "/v1/events", as: "acme/admin",
                                           body: Array(many.utf8)).json()
        #expect(capped["malformed"] as? Int == 1_200)
        #expect((capped["problems"] as? [[String: Any]])?.last?["line"] as? Int == 1_000)
        #expect(capped["problems_omitted"] as? Int == 200)
        // Any other value of return= is refused, not taken for none: the
        // caller asked for something it would not get.
        let misspelt = try await server.call("POST", "/v1/events?return=enrich",
                                             as: "acme/ingest", body: Array(body.utf8))
        #expect(misspelt.status == 400)
        #expect((try misspelt.json()["error"] as? [String: Any])?["code"] as? String
                    == "malformed_query")
        #expect(result["without_timestamp"] as? Int == 0)
        // What "late" means is in the answer: the default window, 24 hours.
        #expect(result["lateness_window_seconds"] as? Int == 86_400)
        // SPEC §2: an event without a usable @timestamp takes its arrival
        // time and is counted as such.
        let untimed = #"{"@timestamp":"garbage","host":{"name":"srv-2"}}"# + "\n"
            + #"{"host":{"name":"srv-3"}}"# + "\n"
        let counted = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                            body: Array(untimed.utf8))
        #expect(try counted.json()["without_timestamp"] as? Int == 2, "\(counted.text)")
        await server.stop()
    }

    /// SPEC §2: in strict mode a dotted name in a hostname-only field is
    /// dropped and counted, so that the loss is visible: in the answer and
    /// in the metrics, as an ingest's summary counts it.
    @Test func strictModeCountsTheDottedNamesItDrops() async throws {
        let server = try await TestServer.start { options in
            options.configuration.extraction.strictHostnames = true
        }
        let body = #"{"@timestamp":"2026-05-01T10:00:00Z","host":{"name":"x.corp.example.org"}}"#
            + "\n" + #"{"@timestamp":"2026-05-01T10:00:00Z","host":{"name":"ws-01"}}"# + "\n"
        let response = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                             body: Array(body.utf8))
        #expect(try response.json()["dotted_hostnames_dropped"] as? Int == 1, "\(response.text)")
        let metrics = try await server.call("GET", "/metrics", as: "operator").text
        #expect(metrics.contains("perimeter_dotted_hostnames_dropped_total 1\n"), "\(metrics)")
        await server.stop()
    }

    /// README: an ingest token sends events and reads nothing else; the
    /// enriched events name the assets they touch, their criticality and
    /// tags, so asking for them is reading (403, and nothing ingested).
    @Test func anIngestTokenCannotReadTheInventoryBackThroughEnrichedEvents() async throws {
        let server = try await TestServer.start()
        let uuid = try await server.createAsset(
            ["name": "ceo-laptop", "category": "host", "criticality": 97,
             "atoms": ["hostname": ["ceo-laptop"]]], as: "acme/analyst")
        let event = #"{"@timestamp":"2026-05-01T10:00:00Z","host":{"name":"probe-1"},"#
            + #""related":{"hosts":["ceo-laptop"]}}"#
        let refused = try await server.call("POST", "/v1/events?return=enriched",
                                            as: "acme/ingest", body: Array(event.utf8))
        #expect(refused.status == 403)
        #expect(refused.text.contains("return=enriched"))
        #expect(!refused.text.contains("ceo-laptop"))
        func probeHosts() async throws -> Int? {
            let list = try await server.call("GET", "/v1/assets?q=probe-1", as: "acme/reader")
            return try list.json()["total"] as? Int
        }
        #expect(try await probeHosts() == 0, "the refused event was ingested")
        #expect(!uuid.isEmpty)
        // Without the parameter the same token sends the event.
        let sent = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                         body: Array(event.utf8))
        #expect(sent.status == 200)
        #expect(try sent.json()["received"] as? Int == 1)
        // Nor do the counts tell what the events met: null for this token
        // (enriched: 1 against 0 said whether an address was known).
        for key in ["enriched", "discovered", "matches", "alerts_opened"] {
            #expect(try sent.json()[key] is NSNull, "\(key): \(sent.text)")
        }
        #expect(!sent.text.contains("ceo-laptop"))
        #expect(try await probeHosts() == 1)
        await server.stop()
    }

    @Test func gzipBodiesOfCorpusEventsAreIngested() async throws {
        let server = try await TestServer.start()
        let plain = try Corpus.ecs("elastic-integrations-samples__windows")
        let lines = plain.split(separator: 0x0A).filter { !$0.isEmpty }.count
        let response = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                             body: try gzipped(plain),
                                             headers: ["Content-Encoding": "gzip"])
        #expect(response.status == 200)
        #expect(try response.json()["received"] as? Int == lines)
        #expect(try response.json()["malformed"] as? Int == 0)
        let hosts = try await server.call("GET", "/v1/assets?category=host", as: "acme/reader")
        #expect((try hosts.json()["total"] as? Int ?? 0) >= 1)
        let others = try await server.call("GET", "/v1/assets", as: "globex/reader").json()
        #expect(others["total"] as? Int == 0)
        await server.stop()
    }

    /// Each entity that sends events gets a pipeline; the server keeps the
    /// 64 most recent (an ingest token naming a new entity per request
    /// grew the server by a megabyte each), and a dropped one is made
    /// again by its next request. An entity name is bounded.
    @Test func intakePipelinesAreBoundedAndEntityNamesChecked() async throws {
        let server = try await TestServer.start()
        func send(_ host: String, entity: String) async throws -> Int {
            let event = "{\"@timestamp\":\"2026-03-02T08:00:00Z\","
                + "\"host\":{\"name\":\"\(host)\"}}\n"
            let query = entity.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return try await server.call("POST", "/v1/events?entity=\(query)", as: "acme/ingest",
                                         body: Array(event.utf8)).status
        }
        for index in 0..<70 { #expect(try await send("h-\(index)", entity: "e\(index)") == 200) }
        let metrics = try await server.call("GET", "/metrics", as: "operator").text
        #expect(metrics.contains("perimeter_intake_pipelines 64\n"))
        // e0's pipeline was dropped; its next event is ingested all the same.
        #expect(try await send("h-0b", entity: "e0") == 200)
        let listed = try await server.call("GET", "/v1/assets?q=h-0&entity=e0", as: "acme/reader")
            .json()
        #expect(listed["total"] as? Int == 2)

        #expect(try await send("x", entity: String(repeating: "e", count: 129)) == 400)
        #expect(try await send("x", entity: "e\u{1}") == 400)
        await server.stop()
    }

    @Test func concurrentIntakeAndReadsStayConsistent() async throws {
        let server = try await TestServer.start { $0.intakeChunkLines = 50 }
        let batches = 8
        let perBatch = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in 0..<batches {
                group.addTask {
                    var body = ""
                    for index in 0..<perBatch {
                        body += "{\"@timestamp\":\"2026-06-01T10:00:00Z\",\"host\":{\"name\":"
                            + "\"h-\(batch)-\(index)\"}}\n"
                    }
                    let response = try await server.call("POST", "/v1/events",
                                                         as: "acme/ingest", body: Array(body.utf8))
                    #expect(response.status == 200)
                }
                group.addTask {
                    // Every read sees a count that matches its own listing.
                    let page = try await server.call("GET", "/v1/assets?limit=1000&count=true",
                                                     as: "acme/reader").json()
                    let listed = (page["assets"] as? [Any])?.count ?? -1
                    #expect(min(page["total"] as? Int ?? -2, 1_000) == listed)
                }
            }
            try await group.waitForAll()
        }
        let all = try await server.call("GET", "/v1/assets?limit=1", as: "acme/reader").json()
        #expect(all["total"] as? Int == batches * perBatch)
        await server.stop()
    }
}
