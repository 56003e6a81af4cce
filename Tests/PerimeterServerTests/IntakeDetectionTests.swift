import PerimeterTestSupport
import Foundation
import PerimeterIngest
import PerimeterStore
import Testing

/// `POST /v1/events` runs the server's Sigma rules (`serve --rules`): the
/// answer counts matches and alerts, the alerts land in the store, each in
/// the community that sent the events.
@Suite(.serialized)
struct IntakeDetectionTests {
    static let ruleID = "7d1c0a4e-2222-4c1e-9f00-000000000002"
    static let rule = """
        title: Mallory signs in
        id: \(ruleID)
        taxonomy: ecs
        level: high
        logsource: {category: authentication}
        detection:
            selection:
                user.name: mallory
                event.action: logged-in
            condition: selection
        """

    static func event(_ second: Int, user: String) -> String {
        "{\"@timestamp\":\"2026-05-01T10:00:\(String(format: "%02d", second))Z\","
            + "\"event\":{\"category\":[\"authentication\"],\"action\":\"logged-in\"},"
            + "\"host\":{\"name\":\"srv-1\"},\"user\":{\"name\":\"\(user)\"}}\n"
    }

    /// A new directory holding `rule` alone.
    static func ruleDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "perimeter-intake-rules-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory,
                                                withIntermediateDirectories: true)
        try rule.write(toFile: directory + "/mallory.yml", atomically: true, encoding: .utf8)
        return directory
    }

    static func startServer() async throws -> (TestServer, String) {
        let directory = try ruleDirectory()
        let server = try await TestServer.start { options in
            options.detection.rulePaths = [directory]
        }
        return (server, directory)
    }

    @Test func matchesOpenOneAlertPerGroupInTheSendersCommunity() async throws {
        let (server, directory) = try await Self.startServer()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Two sign-ins of mallory on srv-1 (one group: same rule, same
        // assets) and one of alice, which the rule does not name.
        let body = Self.event(1, user: "mallory") + Self.event(2, user: "alice")
            + Self.event(3, user: "mallory")
        let acme = try await server.call("POST", "/v1/events", as: "acme/admin",
                                         body: Array(body.utf8)).json()
        #expect(acme["received"] as? Int == 3)
        #expect(acme["matches"] as? Int == 2)
        #expect(acme["alerts_opened"] as? Int == 1)
        let globex = try await server.call("POST", "/v1/events", as: "globex/admin",
                                           body: Array(Self.event(4, user: "mallory").utf8))
            .json()
        #expect(globex["matches"] as? Int == 1)
        #expect(globex["alerts_opened"] as? Int == 1)
        await server.stop()

        let store = try InventoryStore(path: server.storePath)
        let acmeAlerts = try store.alerts(matching: AlertQuery(community: "acme"))
        #expect(acmeAlerts.map(\.ruleID) == [Self.ruleID])
        #expect(acmeAlerts.first?.count == 2)
        #expect(Set(acmeAlerts.first?.assets.map(\.name) ?? []) == ["srv-1", "mallory"])
        let globexAlerts = try store.alerts(matching: AlertQuery(community: "globex"))
        #expect(globexAlerts.map(\.count) == [1])
        // Each community's alert names its own assets only.
        let acmeUUIDs = Set(acmeAlerts.flatMap { $0.assets.map(\.uuid) })
        let globexUUIDs = Set(globexAlerts.flatMap { $0.assets.map(\.uuid) })
        #expect(acmeUUIDs.isDisjoint(with: globexUUIDs))
    }

    /// SPEC §6: suppressed matches are counted per filter. The answer says
    /// how many a request's events had suppressed (null for a token that
    /// may not read the inventory), `/v1/suppressions` the community's
    /// counts by filter id since the store began.
    @Test func suppressedMatchesAreCountedPerFilterOverTheAPI() async throws {
        let directory = try Self.ruleDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let filter = """
            title: mallory tests on the lab host
            id: filter-lab
            filter:
                rules: ['\(Self.ruleID)']
                selection:
                    host.name: lab-1
                condition: selection
            """
        try filter.write(toFile: directory + "/lab.filter.yml", atomically: true, encoding: .utf8)
        let server = try await TestServer.start { options in
            options.detection.rulePaths = [directory + "/mallory.yml"]
            options.detection.filterPaths = [directory + "/lab.filter.yml"]
        }
        func onLab(_ second: Int) -> String {
            Self.event(second, user: "mallory").replacingOccurrences(of: "srv-1", with: "lab-1")
        }
        // Mallory on srv-1 (an alert) and twice on lab-1 (suppressed).
        let answer = try await server.call("POST", "/v1/events", as: "acme/admin",
                                           body: Array((Self.event(1, user: "mallory") + onLab(2)
                                                        + onLab(3)).utf8)).json()
        #expect(answer["matches"] as? Int == 1)
        #expect(answer["suppressed"] as? Int == 2)
        let shipper = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                            body: Array(onLab(4).utf8)).json()
        #expect(shipper["suppressed"] is NSNull)
        let counts = try await server.call("GET", "/v1/suppressions", as: "acme/reader").json()
        #expect(counts["suppressed_by_filter"] as? [String: Int] == ["filter-lab": 3])
        let other = try await server.call("GET", "/v1/suppressions", as: "globex/reader").json()
        #expect(other["suppressed_by_filter"] as? [String: Int] == [:])
        await server.stop()
    }

    /// SPEC §6 ranks an alert on the domain controller above one on a test
    /// laptop: an analyst who rates an asset after its alert was raised
    /// (PATCH, then a bulk job) re-rates the open alert at once, by the
    /// formula, and the alert's next match keeps the new rating instead of
    /// the running detection's older copy. Level high: severity 75.
    @Test func ratingAnAssetReratesItsOpenAlerts() async throws {
        let (server, directory) = try await Self.startServer()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await server.call("POST", "/v1/events", as: "acme/admin",
                                  body: Array(Self.event(1, user: "mallory").utf8))
        func openAlert() async throws -> [String: Any] {
            let listed = try await server.call("GET", "/v1/alerts?status=open", as: "acme/reader")
            let alerts = try listed.json()["alerts"] as? [[String: Any]] ?? []
            #expect(alerts.count == 1)
            return try #require(alerts.first)
        }
        func rating(_ alert: [String: Any], of name: String) -> Any? {
            let assets = alert["assets"] as? [[String: Any]] ?? []
            return assets.first { $0["name"] as? String == name }?["criticality"] as Any?
        }
        let raised = try await openAlert()
        #expect(raised["urgency"] as? Int == 75)
        let host = try #require((raised["assets"] as? [[String: Any]])?
            .first { $0["name"] as? String == "srv-1" }?["uuid"] as? String)

        // Rated 95: (75 + 95) / 2 = 85.
        #expect(try await server.call("PATCH", "/v1/assets/\(host)", as: "acme/analyst",
                                      json: ["criticality": 95]).status == 200)
        var alert = try await openAlert()
        #expect(alert["urgency"] as? Int == 85)
        #expect(rating(alert, of: "srv-1") as? Int == 95)
        #expect(rating(alert, of: "mallory") is NSNull)

        // Rated 10, a test machine after all: (75 + 10) / 2 = 42.5, half up 43,
        // and a match joining the alert keeps it there.
        _ = try await server.call("PATCH", "/v1/assets/\(host)", as: "acme/analyst",
                                  json: ["criticality": 10])
        #expect(try await openAlert()["urgency"] as? Int == 43)
        _ = try await server.call("POST", "/v1/events", as: "acme/admin",
                                  body: Array(Self.event(2, user: "mallory").utf8))
        alert = try await openAlert()
        #expect(alert["count"] as? Int == 2)
        #expect(alert["urgency"] as? Int == 43)

        // A bulk job rates it 60: (75 + 60) / 2 = 67.5, half up 68.
        let started = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "set_criticality", "criticality": 60, "ids": [host],
        ])
        let id = try #require(try started.json()["id"] as? String)
        for _ in 0..<300 {
            let job = try await server.call("GET", "/v1/jobs/\(id)", as: "acme/reader").json()
            if job["status"] as? String == "succeeded" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        alert = try await openAlert()
        #expect(alert["urgency"] as? Int == 68)
        #expect(rating(alert, of: "srv-1") as? Int == 60)

        // An import row rates it 10 again: 43, and the next match keeps it
        // (the copy the running detection took at the match before the
        // import brought back 68).
        _ = try await server.call("POST", "/v1/events", as: "acme/admin",
                                  body: Array(Self.event(3, user: "mallory").utf8))
        #expect(try await openAlert()["urgency"] as? Int == 68)
        let imported = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                             body: Array("uuid,criticality\n\(host),10\n".utf8))
        #expect(imported.status == 200)
        #expect(try await openAlert()["urgency"] as? Int == 43)
        _ = try await server.call("POST", "/v1/events", as: "acme/admin",
                                  body: Array(Self.event(4, user: "mallory").utf8))
        alert = try await openAlert()
        #expect(alert["count"] as? Int == 4)
        #expect(alert["urgency"] as? Int == 43)
        #expect(rating(alert, of: "srv-1") as? Int == 10)
    }

    /// Intake commits a chunk on its pipeline's writer thread while the
    /// next chunk or request is read. With requests of three scopes at
    /// once, cut in chunks of two lines, and asset edits among them, each
    /// answer still counts the alerts its own events opened, and the store
    /// ends with every alert, every discovered host and every edit.
    /// The alerts over the API: listed and read by a reader, closed by an
    /// analyst with a reason kept beside who and when; the running
    /// server's detection lets go of the closed alert, so the next match
    /// of its group opens a new one (the command line cannot close an
    /// alert while the server holds the store).
    @Test func alertsAreListedReadAndClosedOverTheAPI() async throws {
        let (server, directory) = try await Self.startServer()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sent = try await server.call("POST", "/v1/events", as: "acme/admin",
                                         body: Array(Self.event(1, user: "mallory").utf8)).json()
        #expect(sent["alerts_opened"] as? Int == 1)
        let listed = try await server.call("GET", "/v1/alerts?status=open", as: "acme/reader")
        #expect(listed.status == 200)
        let alerts = try listed.json()["alerts"] as? [[String: Any]] ?? []
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        let id = try #require(alert["id"] as? Int)
        #expect(alert["rule_id"] as? String == Self.ruleID)
        #expect(alert["urgency"] as? Int == 75)  // level high, no rated asset
        #expect(alert["closed"] is NSNull)
        #expect((alert["last_event"] as? [String: Any])?["user"] != nil)
        #expect(try listed.json()["next_cursor"] is NSNull)

        // Globex sees none of it; a reader cannot close.
        let foreign = try await server.call("GET", "/v1/alerts", as: "globex/reader").json()
        #expect((foreign["alerts"] as? [Any])?.isEmpty == true)
        #expect(try await server.call("GET", "/v1/alerts/\(id)", as: "globex/reader").status == 404)
        #expect(try await server.call("POST", "/v1/alerts/\(id)/close", as: "globex/analyst")
            .status == 404)
        #expect(try await server.call("POST", "/v1/alerts/\(id)/close", as: "acme/reader")
            .status == 403)
        #expect(try await server.call("POST", "/v1/alerts/\(id)/close", as: "acme/analyst",
                                      json: ["reason": 7]).status == 422)
        // 1,001 characters of 2,002 code points: over the 2,000 the schema's
        // maxLength allows (counted in characters, 1,000 marks on one
        // letter passed as one).
        let marked = String(repeating: "e\u{301}", count: 1_001)
        let long = try await server.call("POST", "/v1/alerts/\(id)/close", as: "acme/analyst",
                                         json: ["reason": marked])
        #expect(long.status == 422)
        #expect(String(decoding: long.body, as: UTF8.self).contains("longer than 2000 characters"))

        let closed = try await server.call("POST", "/v1/alerts/\(id)/close", as: "acme/analyst",
                                           json: ["reason": "  mallory is the red team  "])
        #expect(closed.status == 200)
        let closure = try closed.json()["closed"] as? [String: Any]
        #expect(closure?["by"] as? String == "token:acme-analyst")
        #expect(closure?["reason"] as? String == "mallory is the red team")
        #expect(try closed.json()["status"] as? String == "closed")
        // Refused again, naming who closed it, whatever the words of the
        // second reason (the server's data is not taken for the caller's).
        let again = try await server.call("POST", "/v1/alerts/\(id)/close", as: "acme/admin",
                                          json: ["reason": "closed"])
        #expect(again.status == 409)
        let error = try again.json()["error"] as? [String: Any]
        #expect(error?["code"] as? String == "alert_closed")
        let details = error?["details"] as? [String: Any]
        #expect(details?["status"] as? String == "closed")
        #expect(details?["closed_by"] as? String == "token:acme-analyst")
        #expect(try await server.call("POST", "/v1/alerts/0\(id)/close", as: "acme/admin")
            .status == 404)
        let read = try await server.call("GET", "/v1/alerts/\(id)", as: "acme/reader").json()
        #expect((read["closed"] as? [String: Any])?["reason"] as? String == "mallory is the red team")

        // The same group's next match, a second later (well within the
        // alert window), opens a new alert instead of joining the closed one.
        let next = try await server.call("POST", "/v1/events", as: "acme/admin",
                                         body: Array(Self.event(2, user: "mallory").utf8)).json()
        #expect(next["alerts_opened"] as? Int == 1)
        let open = try await server.call("GET", "/v1/alerts?status=open", as: "acme/reader").json()
        let reopened = open["alerts"] as? [[String: Any]] ?? []
        #expect(reopened.count == 1)
        #expect(reopened.first?["id"] as? Int != id)
        #expect(reopened.first?["count"] as? Int == 1)

        // Paging: one alert a page, the open one first (the later match).
        let page = try await server.call("GET", "/v1/alerts?limit=1", as: "acme/reader").json()
        let cursor = try #require(page["next_cursor"] as? String)
        let rest = try await server.call("GET", "/v1/alerts?limit=1&cursor=\(cursor)",
                                         as: "acme/reader").json()
        #expect((rest["alerts"] as? [[String: Any]])?.first?["id"] as? Int == id)
        #expect(try await server.call("GET", "/v1/alerts?cursor=oops", as: "acme/reader")
            .status == 400)
        #expect(try await server.call("GET", "/v1/alerts?min_urgency=80&max_urgency=70",
                                      as: "acme/reader").status == 400)
        let upper = try await server.call("GET", "/v1/alerts?status=OPEN", as: "acme/reader")
        #expect(upper.status == 400)
        #expect(upper.text.contains("must be open or closed"), "\(upper.text)")
        // An open alert's `closed` is null, which its schema allows.
        let document = try await server.call("GET", "/openapi.json").json()
        let alertSchema = ((document["components"] as? [String: Any])?["schemas"]
            as? [String: Any])?["Alert"] as? [String: Any]
        let closedSchema = (alertSchema?["properties"] as? [String: Any])?["closed"]
            as? [String: Any]
        let choices = closedSchema?["oneOf"] as? [[String: Any]] ?? []
        #expect(choices.contains { $0["type"] as? String == "null" })
        await server.stop()

        let store = try InventoryStore(path: server.storePath)
        let stored = try store.alerts(matching: AlertQuery(community: "acme"))
        #expect(stored.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.closed, .open])
        #expect(stored.first { $0.status == .closed }?.closure?.by == "token:acme-analyst")
    }

    @Test func concurrentChunkedIntakeCountsItsOwnAlertsAndLosesNothing() async throws {
        let directory = try Self.ruleDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await TestServer.start { options in
            options.detection.rulePaths = [directory]
            options.intakeChunkLines = 2
        }
        let requests = 9
        // Request k: mallory twice and alice once on its own host srv-k
        // (one alert: same rule, same assets), in entity site-(k mod 3).
        func body(_ k: Int) -> [UInt8] {
            let lines = [Self.event(1, user: "mallory"), Self.event(2, user: "alice"),
                         Self.event(3, user: "mallory")]
            return Array(lines.map { $0.replacingOccurrences(of: "srv-1", with: "srv-\(k)") }
                .joined().utf8)
        }
        // Each answer's received, matches and alerts_opened.
        let answers = try await withThrowingTaskGroup(of: [Int]?.self) { group in
            for k in 0..<requests {
                group.addTask {
                    let answer = try await server.call("POST", "/v1/events?entity=site-\(k % 3)",
                                                       as: "acme/admin", body: body(k)).json()
                    return ["received", "matches", "alerts_opened"].map { answer[$0] as? Int ?? -1 }
                }
                group.addTask {
                    let created = try await server.call("POST", "/v1/assets", as: "acme/analyst",
                                                        json: ["name": "manual-\(k)",
                                                               "category": "host"])
                    #expect(created.status == 201)
                    return nil
                }
            }
            var answers: [[Int]] = []
            for try await answer in group { if let answer { answers.append(answer) } }
            return answers
        }
        #expect(answers == Array(repeating: [3, 2, 1], count: requests))
        await server.stop()

        let store = try InventoryStore(path: server.storePath)
        let alerts = try store.alerts(matching: AlertQuery(community: "acme"))
        #expect(alerts.count == requests)
        #expect(alerts.allSatisfy { $0.count == 2 })
        let names = Set(try store.assets(matching: AssetQuery(community: "acme")).assets.map(\.name))
        for k in 0..<requests {
            #expect(names.contains("srv-\(k)"))
            #expect(names.contains("manual-\(k)"))
        }
    }

    /// A batch whose transaction fails (here a trigger refuses the update
    /// of one alert, as a full disk would refuse the commit) fails its own
    /// request alone: the next request of the same scope is answered and
    /// stored, detection forgets the alert that was rolled back, so no
    /// answer counts it and no later match joins it (its row id went to the
    /// next alert, which that join would overwrite), and the server reads
    /// its inventory again, so that what the failed batch discovered is
    /// discovered again rather than kept in memory alone.
    @Test func aFailedBatchFailsItsOwnRequestOnly() async throws {
        let directory = try Self.ruleDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = TestServer.makeStorePath()
        let tokens = try TestServer.issueTokens(at: path)
        // The alert of the first event on host "poison" (10:00:01) is
        // inserted, then refused when the batch writes it back at its end.
        try InventoryStore(path: path).database.execute("""
            CREATE TRIGGER refuse_poison BEFORE UPDATE ON alerts
            WHEN NEW.first_event LIKE '%10:00:01Z%"poison"%'
            BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
            """)
        let server = try await TestServer(storePath: path, tokens: tokens) { options in
            options.detection.rulePaths = [directory]
        }
        func send(_ second: Int, on host: String) async throws -> RawHTTPConnection.Response {
            try await server.call("POST", "/v1/events", as: "acme/admin",
                                  body: Array(Self.event(second, user: "mallory")
                                      .replacingOccurrences(of: "srv-1", with: host).utf8))
        }
        #expect(try await send(1, on: "poison").status == 500)
        // mallory's account, discovered by the failed batch, is discovered
        // again with srv-2.
        for (second, host, discovered) in [(2, "srv-2", 2), (3, "srv-3", 1)] {
            let answer = try await send(second, on: host)
            #expect(answer.status == 200)
            let counts = try answer.json()
            #expect(counts["discovered"] as? Int == discovered, "\(host)")
            #expect(counts["alerts_opened"] as? Int == 1, "\(host)")
        }
        // The poisoned host's alert was rolled back: a new match on that
        // host discovers it and opens an alert of its own, in a row of its own.
        let again = try await send(5, on: "poison")
        #expect(again.status == 200)
        #expect(try again.json()["discovered"] as? Int == 1)
        #expect(try again.json()["alerts_opened"] as? Int == 1)
        await server.stop()

        let store = try InventoryStore(path: path)
        let alerts = try store.alerts(matching: AlertQuery(community: "acme"))
        #expect(alerts.count == 3)
        #expect(alerts.allSatisfy { $0.count == 1 })
        let hosts = alerts.map { Set($0.assets.map(\.name)).subtracting(["mallory"]) }
        #expect(Set(hosts) == [["srv-2"], ["srv-3"], ["poison"]])
        let names = Set(try store.assets(matching: AssetQuery(community: "acme")).assets.map(\.name))
        #expect(names == ["srv-2", "srv-3", "poison", "mallory"])
    }

    /// A regex cut short by PCRE2's match limit reads as no match: the
    /// sender is told how many tests of its request stopped there, and
    /// /metrics keeps the total.
    @Test func aRegexAtItsMatchLimitIsCountedInTheAnswer() async throws {
        let directory = NSTemporaryDirectory() + "perimeter-intake-limit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory,
                                                withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            title: Runaway pattern
            id: intake-regex-limit
            logsource: {product: any}
            detection:
                sel:
                    message|re: '^(a+)+$'
                condition: sel
            """.write(toFile: directory + "/re.yml", atomically: true, encoding: .utf8)
        let server = try await TestServer.start { options in
            options.detection.rulePaths = [directory]
            options.detection.mapping = .none
        }
        // The first message backtracks past the limit; the second matches.
        let runaway = String(repeating: "a", count: 40) + "!"
        let body = #"{"message":"\#(runaway)"}"# + "\n" + #"{"message":"aaa"}"# + "\n"
        let answer = try await server.call("POST", "/v1/events", as: "acme/admin",
                                           body: Array(body.utf8)).json()
        #expect(answer["received"] as? Int == 2)
        #expect(answer["matches"] as? Int == 1)
        #expect(answer["regex_limit_exceeded"] as? Int == 1)
        let metrics = try await server.call("GET", "/metrics", as: "operator").text
        #expect(metrics.contains("perimeter_regex_limit_exceeded_total 1\n"))
        await server.stop()
    }

    /// The server says at start what its rules came to: the counts, then
    /// each refused document by file and line with its reason code, and a
    /// filter naming a rule id no rule has (which an ingest said, and the
    /// server did not).
    @Test func startingLogsTheRulesLoadedAndRefused() async throws {
        let (_, log) = try await Self.startServerAndStop()
        defer { try? FileManager.default.removeItem(atPath: log.path) }
        let lines = log.lines
        #expect(lines.contains("detection loaded rules=2 unmapped=1 unmapped_run=false filters=1 "
                               + "refused=1"), "\(lines)")
        // Line 5: the modifier's, counted by hand in the rule below.
        #expect(lines.contains("warning rule refused path=\(log.path)/bad.yml line=5 "
                               + "reason=unsupported-modifier"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("warning ") && $0.contains("'no-such-rule'") },
                "\(lines)")
    }

    /// A store whose events were read with another address expiry than
    /// the server's is said at start: the API answered with the server's,
    /// the command line with the store's, and nothing told why.
    @Test func anotherAddressExpiryThanTheStoresIsSaidAtStart() async throws {
        let path = TestServer.makeStorePath()
        try InventoryStore(path: path).recordAddressExpiry(.days(2))
        let log = LogLines(path: path)
        let server = try await TestServer(storePath: path, tokens: [:]) { options in
            options.log = { log.append($0) }
        }
        await server.stop()
        #expect(log.lines.contains("warning address expiry differs from the store's "
                                   + "recorded_ms=172800000 configured_ms=604800000 "
                                   + "api_reads=configured recorded_by=first_events_received"),
                "\(log.lines)")
        let same = LogLines(path: path)
        try InventoryStore(path: path).recordAddressExpiry(.days(7))
        let served = try await TestServer(storePath: path, tokens: [:]) { options in
            options.log = { same.append($0) }
        }
        await served.stop()
        #expect(!same.lines.contains { $0.hasPrefix("warning address expiry") })
    }

    /// A store no token can sign in to (a new one, a mistyped path) is
    /// said at start: every request was refused as unknown, unexplained.
    /// The start line names the store.
    @Test func aStoreWithoutATokenIsSaidAtStart() async throws {
        let path = TestServer.makeStorePath()
        let log = LogLines(path: path)
        let server = try await TestServer(storePath: path, tokens: [:]) { options in
            options.log = { log.append($0) }
        }
        await server.stop()
        #expect(log.lines.contains { $0.hasPrefix("warning no usable token in the store") },
                "\(log.lines)")
        #expect(log.lines.contains { $0.hasSuffix(" store=\(path)") }, "\(log.lines)")
        let served = try await TestServer.start { options in options.log = { log.append($0) } }
        await served.stop()
        #expect(log.lines.filter { $0.hasPrefix("warning no usable token") }.count == 1)
    }

    final class LogLines: @unchecked Sendable {
        let path: String
        private let lock = NSLock()
        private var collected: [String] = []
        init(path: String) { self.path = path }
        func append(_ line: String) { lock.withLock { collected.append(line) } }
        var lines: [String] { lock.withLock { collected } }
    }

    static func startServerAndStop() async throws -> (TestServer, LogLines) {
        let directory = NSTemporaryDirectory() + "perimeter-intake-log-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory,
                                                withIntermediateDirectories: true)
        try rule.write(toFile: directory + "/mallory.yml", atomically: true, encoding: .utf8)
        try """
            title: Bad modifier
            logsource: {category: authentication}
            detection:
                sel:
                    user.name|nosuchmodifier: x
                condition: sel
            """.write(toFile: directory + "/bad.yml", atomically: true, encoding: .utf8)
        // Loaded, and not run: no mapping of its log source.
        try """
            title: Firewall deny
            id: fw-unmapped
            logsource: {category: firewall}
            detection:
                sel: {action: deny}
                condition: sel
            """.write(toFile: directory + "/firewall.yml", atomically: true, encoding: .utf8)
        try """
            title: Quiet the retired rule
            id: f-retired
            filter:
                rules: [no-such-rule]
                selection: {user.name: svc}
                condition: selection
            """.write(toFile: directory + "/filter.yml", atomically: true, encoding: .utf8)
        let log = LogLines(path: directory)
        let server = try await TestServer.start { options in
            options.detection.rulePaths = [directory]
            options.log = { log.append($0) }
        }
        await server.stop()
        return (server, log)
    }

    @Test func aServerWithoutRulesCountsNoMatches() async throws {
        let server = try await TestServer.start()
        let answer = try await server.call("POST", "/v1/events", as: "acme/admin",
                                           body: Array(Self.event(1, user: "mallory").utf8))
            .json()
        #expect(answer["received"] as? Int == 1)
        #expect(answer["matches"] as? Int == 0)
        #expect(answer["alerts_opened"] as? Int == 0)
        await server.stop()
    }

    @Test func aDiscoveryRuleSwitchedOffAppliesToTheNextRequest() async throws {
        let server = try await TestServer.start()
        let first = try await server.call("POST", "/v1/events", as: "acme/admin",
                                          body: Array(Self.event(1, user: "alice").utf8)).json()
        // srv-1 and alice.
        #expect(first["discovered"] as? Int == 2)
        let switched = try await server.call("PATCH", "/v1/discovery-rules", as: "acme/admin",
                                             json: ["unique_accounts": false])
        #expect(switched.status == 200)
        let second = try await server.call("POST", "/v1/events", as: "acme/admin",
                                           body: Array(Self.event(2, user: "bob").utf8)).json()
        // bob is not made an account; srv-1 exists already.
        #expect(second["discovered"] as? Int == 0)
        // Another community keeps its rules.
        let other = try await server.call("POST", "/v1/events", as: "globex/admin",
                                          body: Array(Self.event(3, user: "bob").utf8)).json()
        #expect(other["discovered"] as? Int == 2)
        await server.stop()
    }
}
