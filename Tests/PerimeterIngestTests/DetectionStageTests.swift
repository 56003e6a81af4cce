import Foundation
import PerimeterDetection
@testable import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterStore
import Testing

/// Issue #3 end to end: Sigma rules and alert filters run on every enriched event
/// of an ingest, alerts are grouped, rated, persisted and listed.
///
/// Every expected value below is worked by hand from SPEC §6: severity high = 75;
/// urgency = ⌊(75 + highest host/account criticality + 1) / 2⌋, or 75 when none is
/// rated; networks left out.
@Suite("Detection stage")
struct DetectionStageTests {
    static let ruleID = "5a0c7e2e-1111-4c1e-9f00-000000000001"
    static let rule = """
        title: Sign-in on a VIP asset
        id: \(ruleID)
        taxonomy: ecs
        level: high
        logsource: {category: authentication}
        detection:
            selection:
                sekoiaio.any_asset.tags: VIP
                event.action: logged-in
            condition: selection
        """
    static let filter = """
        title: The lab VIP host is tested all day
        id: filter-lab-host
        filter:
            rules: ['\(ruleID)']
            selection:
                sekoiaio.any_asset.name: ws-vip-2
            condition: selection
        """

    /// A store holding the assets of the scenario, and a folder for rule files.
    final class Fixture {
        let directory: String
        let store: InventoryStore
        let network = UUID()

        init() throws {
            directory = NSTemporaryDirectory() + "perimeter-detection-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory,
                                                    withIntermediateDirectories: true)
            store = try InventoryStore(path: directory + "/store.db")
            let created = Date(timeIntervalSince1970: 1_700_000_000)
            func host(_ name: String, _ criticality: Int?, tags: Set<String>) -> AssetDraft {
                AssetDraft(
                    asset: Asset(name: name.uppercased(), category: .host,
                                 criticality: criticality.flatMap { try? Criticality($0) },
                                 tags: tags, source: .manual, community: "default",
                                 createdAt: created),
                    confirmedAtoms: [Atom(type: .hostname, normalizedValue: name)])
            }
            let erin = AssetDraft(
                asset: Asset(name: "erin", category: .account, criticality: try Criticality(61),
                             source: .manual, community: "default", createdAt: created),
                confirmedAtoms: [Atom(type: .username, normalizedValue: "erin")])
            let lan = AssetDraft(
                asset: Asset(id: network, name: "LAN", category: .network,
                             criticality: try Criticality(95), source: .manual,
                             community: "default", createdAt: created),
                confirmedAtoms: [Atom(type: .cidr, normalizedValue: "10.0.0.0/8")])
            try store.create([
                host("ws-vip-1", 90, tags: ["VIP"]), host("ws-vip-2", 40, tags: ["VIP"]),
                host("ws-vip-3", nil, tags: ["VIP"]), host("ws-vip-4", 20, tags: ["VIP"]),
                host("ws-plain", 100, tags: []), host("dc-01", 70, tags: []), erin, lan,
            ], actor: "test", at: EventTime(milliseconds: 1_700_000_000_000))
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        /// Writes a file once: a rewritten file is another file, which ingest
        /// would not resume.
        func write(_ name: String, _ text: String) throws -> String {
            let path = directory + "/" + name
            if !FileManager.default.fileExists(atPath: path) {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            }
            return path
        }

        /// Settings that load one rule file of `text`.
        func settings(ruleFile name: String, _ text: String) throws -> DetectionSettings {
            var settings = DetectionSettings()
            settings.rulePaths = [try write(name, text)]
            return settings
        }

        /// Ingests `lines` as a file through a pipeline with the stage attached.
        @discardableResult
        func ingest(_ lines: [String], file: String, window: Duration = .seconds(1800),
                    alerts: MemorySink? = nil) throws -> DetectionSummary {
            var settings = DetectionSettings()
            settings.rulePaths = [try write("rules.yml", DetectionStageTests.rule)]
            settings.filterPaths = [try write("filters.yml", DetectionStageTests.filter)]
            settings.alertWindow = window
            return try ingest(lines, file: file, settings: settings, alerts: alerts)
        }

        func ingest(_ lines: [String], file: String, settings: DetectionSettings,
                    alerts: MemorySink? = nil,
                    stage given: DetectionStage? = nil) throws -> DetectionSummary {
            let stage = try given ?? DetectionStage(settings: settings)
            var configuration = PerimeterConfiguration()
            configuration.inventory.latenessWindow = .days(100_000)
            var options = IngestOptions()
            options.now = EventTime(milliseconds: 1_800_000_000_000)
            let pipeline = try IngestPipeline(store: store, configuration: configuration,
                                              options: options, extraFields: stage.extraFields,
                                              collectsAllLeaves: stage.collectsAllLeaves)
            stage.attach(to: pipeline, alerts: alerts)
            let path = try write(file, lines.joined(separator: "\n") + "\n")
            try pipeline.ingest(path: path)
            return stage.summary
        }
    }

    final class MemorySink: EnrichedEventSink {
        var text = ""
        func write(_ line: [UInt8]) throws { text += String(decoding: line, as: UTF8.self) }
        func flush() throws {}
        var lines: [[String: Any]] {
            text.split(separator: "\n").map {
                try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
    }

    static func signIn(_ host: String, at time: String, user: String? = nil,
                       sourceIP: String? = nil) -> String {
        var fields = [#""@timestamp":"2024-05-01T\#(time):00Z""#,
                      #""event":{"action":"logged-in","category":["authentication"]}"#,
                      #""host":{"name":"\#(host)"}"#]
        if let user { fields.append(#""user":{"name":"\#(user)"}"#) }
        if let sourceIP { fields.append(#""source":{"ip":"\#(sourceIP)"}"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static let scenario = [
        signIn("ws-vip-1", at: "10:00"), signIn("ws-vip-1", at: "10:20"),
        signIn("ws-vip-2", at: "10:05"), signIn("ws-vip-2", at: "10:10"),
        signIn("ws-vip-1", at: "10:50"),
        signIn("ws-vip-3", at: "11:00", sourceIP: "10.1.2.3"),
        signIn("ws-vip-4", at: "11:10", user: "erin"),
        signIn("ws-plain", at: "11:20"),
        // 100 minutes after the last match on ws-vip-1: beyond the 30-minute window.
        signIn("ws-vip-1", at: "12:30"),
        #"{"@timestamp":"2024-05-01T11:30:00Z","event":{"action":"logged-out"},"#
            + #""host":{"name":"ws-vip-1"}}"#,
    ]

    func alerts(_ store: InventoryStore, _ query: AlertQuery = AlertQuery(community: "default"))
        throws -> [StoredAlert]
    {
        try store.alerts(matching: query).sorted { $0.firstTime < $1.firstTime }
    }

    func names(_ alert: StoredAlert) -> [String] { alert.assets.map(\.name).sorted() }

    @Test("alerts raised, rated, suppressed and grouped within the window")
    func scenarioAlerts() throws {
        let fixture = try Fixture()
        let summary = try fixture.ingest(Self.scenario, file: "events.ndjson")

        #expect(summary.matches == 6)
        #expect(summary.alertsOpened == 4)
        #expect(summary.matchesJoined == 2)
        #expect(summary.suppressedByFilter == ["filter-lab-host": 2])
        #expect(try fixture.store.suppressions(community: "default") == ["filter-lab-host": 2])

        let stored = try alerts(fixture.store)
        #expect(stored.count == 4)
        guard stored.count == 4 else { return }
        let (first, vip3, vip4, later) = (stored[0], stored[1], stored[2], stored[3])
        // ws-vip-1 at 10:00, 10:20, 10:50: each within 30 minutes of the last.
        #expect(names(first) == ["WS-VIP-1"])
        #expect(first.count == 3)
        #expect(first.urgency == 83)  // (75 + 90 + 1) / 2 = 83: 82.5 rounded half up
        #expect(first.firstTime == EventTime(parsing: "2024-05-01T10:00:00Z"))
        #expect(first.lastTime == EventTime(parsing: "2024-05-01T10:50:00Z"))
        #expect(first.firstEvent.contains("2024-05-01T10:00:00Z"))
        #expect(first.lastEvent.contains("10:50:00Z"))
        #expect(first.lastEvent.contains(#""any_asset""#))
        #expect(first.ruleID == Self.ruleID && first.level == "high")
        // Unrated host; the network rated 95 does not raise urgency: severity alone.
        #expect(names(vip3) == ["LAN", "WS-VIP-3"])
        #expect(vip3.urgency == 75)
        // Host 20 and account 61: the highest rated counts, (75 + 61 + 1) / 2 = 68.
        #expect(names(vip4) == ["WS-VIP-4", "erin"])
        #expect(vip4.urgency == 68)
        #expect(vip4.assets.first { $0.name == "erin" }?.criticality == 61)
        #expect(names(later) == ["WS-VIP-1"])
        #expect(later.count == 1)
        #expect(later.firstTime == EventTime(parsing: "2024-05-01T12:30:00Z"))
        #expect(stored.allSatisfy { $0.status == .open && $0.entity == nil })
    }

    /// Rules and filters given the wrong way round: the filters' path holds
    /// a detection rule, refused there, so the swap runs nothing unsaid.
    @Test func aRuleAmongTheFiltersIsRefused() throws {
        let fixture = try Fixture()
        var swapped = DetectionSettings()
        swapped.rulePaths = [try fixture.write("filters.yml", Self.filter)]
        swapped.filterPaths = [try fixture.write("rules.yml", Self.rule)]
        let stage = try DetectionStage(settings: swapped)
        #expect(stage.engine.rules.isEmpty)
        #expect(stage.engine.filters.count == 1, "a filter among rules is taken")
        let refused = stage.reports.filter { $0.status == .refused }
        #expect(refused.map(\.reasonCode) == ["rule-among-filters"])
        #expect(refused.first?.path == fixture.directory + "/rules.yml")
        var right = DetectionSettings()
        right.rulePaths = swapped.filterPaths
        right.filterPaths = swapped.rulePaths
        let loaded = try DetectionStage(settings: right)
        #expect(loaded.engine.rules.count == 1 && loaded.engine.filters.count == 1)
        #expect(loaded.reports.allSatisfy { $0.status != .refused })
    }

    @Test("a stage sharing another's rules matches as it does and counts on its own")
    func sharedRules() throws {
        let fixture = try Fixture()
        var settings = DetectionSettings()
        settings.rulePaths = [try fixture.write("rules.yml", Self.rule)]
        settings.filterPaths = [try fixture.write("filters.yml", Self.filter)]
        settings.alertWindow = .seconds(1800)
        let template = try DetectionStage(settings: settings)
        let shared = DetectionStage(sharingRulesOf: template)
        #expect(shared.extraFields == template.extraFields)
        let summary = try fixture.ingest(Self.scenario, file: "events.ndjson", settings: settings,
                                         stage: shared)
        // The scenario's figures (scenarioAlerts), with the template untouched.
        #expect(summary.matches == 6)
        #expect(summary.alertsOpened == 4)
        #expect(summary.matchesJoined == 2)
        #expect(summary.suppressedByFilter == ["filter-lab-host": 2])
        #expect(summary.rulesCompiled == template.summary.rulesCompiled)
        #expect(template.summary.matches == 0)
    }

    @Test("alerts are listed by rule, asset uuid or name, urgency, time and status")
    func listing() throws {
        let fixture = try Fixture()
        try fixture.ingest(Self.scenario, file: "events.ndjson")
        let all = try alerts(fixture.store)
        #expect(all.count == 4)
        guard all.count == 4 else { return }
        func count(_ query: AlertQuery) throws -> Int { try alerts(fixture.store, query).count }
        let base = AlertQuery(community: "default")
        var query = base
        query.assets = ["WS-vip-1"]  // names compare in any case
        #expect(try count(query) == 2)
        query.assets = [fixture.network.uuidString.uppercased()]
        #expect(try count(query) == 1)
        // Any of several: ws-vip-1's two alerts and the network's one.
        query.assets = ["ws-vip-1", fixture.network.uuidString]
        #expect(try count(query) == 3)
        query = base
        query.urgency = 76...100
        #expect(try count(query) == 2)  // both ws-vip-1 alerts: 83
        query.urgency = 68...75
        #expect(try count(query) == 2)  // 75 and 68
        query = base
        query.since = EventTime(parsing: "2024-05-01T12:00:00Z")
        #expect(try count(query) == 1)
        query = base
        query.until = EventTime(parsing: "2024-05-01T10:30:00Z")
        #expect(try count(query) == 1)  // the 10:00–10:50 alert overlaps
        query = base
        query.ruleID = "no-such-rule"
        #expect(try count(query) == 0)
        // A rule id that is a UUID names its rule in any case.
        query.ruleID = Self.ruleID.uppercased()
        #expect(try count(query) == all.filter { $0.ruleID == Self.ruleID }.count)
        #expect(try count(query) > 0)
        query = AlertQuery(community: "another")
        #expect(try count(query) == 0)

        // Pages: two alerts, then the next two after the second one, in
        // the same order as the whole listing.
        // (In the store's order: `alerts` sorts by first time.)
        let listing = try fixture.store.alerts(matching: base)
        query = base
        query.limit = 2
        let first = try fixture.store.alerts(matching: query)
        query.after = AlertCursor(after: try #require(first.last))
        let second = try fixture.store.alerts(matching: query)
        #expect((first + second).map(\.id) == listing.map(\.id))
        #expect(listing.map(\.urgency) == listing.map(\.urgency).sorted(by: >))
        #expect(AlertCursor(text: query.after?.text ?? "") == query.after)
        #expect(AlertCursor(text: "75.1714557600000") == nil)

        let id = try #require(all[0].id)
        let closure = StoredAlert.Closure(at: EventTime(milliseconds: 1_800_000_000_000),
                                          by: "alice", reason: "admin maintenance")
        #expect(try fixture.store.closeAlert(id: id, community: "another", closure: closure)
                == false)
        #expect(try fixture.store.closeAlert(id: id, community: "default", closure: closure))
        #expect(try !fixture.store.closeAlert(id: id, community: "default", closure: closure))
        query = base
        query.status = .closed
        let closed = try alerts(fixture.store, query)
        #expect(closed.map(\.id) == [id])
        #expect(closed.first?.closure == closure)
        query.status = .open
        #expect(try count(query) == 3)
        #expect(try alerts(fixture.store, query).allSatisfy { $0.closure == nil })
    }

    @Test("a later run joins the open alert in the store; a re-run counts nothing twice")
    func acrossRuns() throws {
        let fixture = try Fixture()
        try fixture.ingest(Self.scenario, file: "events.ndjson")
        // The same file again: resumed at its end, no event read twice.
        let again = try fixture.ingest(Self.scenario, file: "events.ndjson")
        #expect(again.matches == 0)
        #expect(try fixture.store.suppressions(community: "default") == ["filter-lab-host": 2])

        // 13:00 is 30 minutes after the 12:30 alert: it joins it.
        let more = try fixture.ingest([Self.signIn("ws-vip-1", at: "13:00")], file: "more.ndjson")
        #expect(more.alertsOpened == 0 && more.matchesJoined == 1)
        let stored = try alerts(fixture.store)
        #expect(stored.count == 4)
        #expect(stored.last?.count == 2)
        #expect(stored.last?.lastTime == EventTime(parsing: "2024-05-01T13:00:00Z"))

        // A closed alert is never joined: the next match opens a new one.
        try fixture.store.closeAlert(id: try #require(stored.last?.id), community: "default",
                                     closure: .init(at: EventTime(milliseconds: 0), by: "cli",
                                                    reason: nil))
        let after = try fixture.ingest([Self.signIn("ws-vip-1", at: "13:10")], file: "last.ndjson")
        #expect(after.alertsOpened == 1)
        #expect(try alerts(fixture.store).count == 5)
    }

    @Test("--alerts NDJSON: one line per alert opened or updated, at each commit")
    func alertLines() throws {
        let fixture = try Fixture()
        let sink = MemorySink()
        try fixture.ingest(Self.scenario, file: "events.ndjson", alerts: sink)
        let lines = sink.lines
        // One batch: each of the 4 alerts is written once, in its final state.
        #expect(lines.count == 4)
        let first = try #require(lines.first { ($0["count"] as? Int) == 3 })
        #expect(first["rule_id"] as? String == Self.ruleID)
        #expect(first["title"] as? String == "Sign-in on a VIP asset")
        #expect(first["level"] as? String == "high")
        #expect(first["urgency"] as? Int == 83)
        #expect(first["urgency_label"] as? String == "high")
        #expect(first["status"] as? String == "open")
        #expect(first["first_time"] as? String == "2024-05-01T10:00:00.000Z")
        #expect(first["last_time"] as? String == "2024-05-01T10:50:00.000Z")
        let assets = try #require(first["assets"] as? [[String: Any]])
        #expect(assets.count == 1)
        #expect(assets.first?["name"] as? String == "WS-VIP-1")
        #expect(assets.first?["category"] as? String == "host")
        #expect(assets.first?["criticality"] as? Int == 90)
        let event = try #require(first["first_event"] as? [String: Any])
        let sekoiaio = try #require(event["sekoiaio"] as? [String: Any])
        let anyAsset = try #require(sekoiaio["any_asset"] as? [String: Any])
        #expect(anyAsset["tags"] as? [String] == ["VIP"])
        #expect(first["id"] as? Int != nil)
        let vip4 = try #require(lines.first { ($0["urgency"] as? Int) == 68 })
        #expect(vip4["urgency_label"] as? String == "medium")
    }

    @Test("a SigmaHQ corpus rule on a generated Windows event, through the whole ingest")
    func corpusRule() throws {
        let path = Self.corpus + "/sigma/rules/windows/builtin/security/"
            + "win_security_susp_local_anon_logon_created.yml"
        try #require(FileManager.default.fileExists(atPath: path), "corpus missing at \(path)")
        let fixture = try Fixture()
        var settings = DetectionSettings()
        settings.rulePaths = [path]
        // Security 4720 (a user account was created) with the rule's two substrings;
        // event.code is a string in ECS and 4720 a number in the rule: equal.
        let created = #"{"@timestamp":"2024-05-02T08:00:00Z","event":{"code":"4720","#
            + #""provider":"Microsoft-Windows-Security-Auditing"},"host":{"name":"dc-01"},"#
            + #""winlog":{"channel":"Security","event_data":{"SamAccountName":"ANONYMOUS LOGON","#
            + #""TargetUserName":"ANONYMOUS LOGON"}}}"#
        let otherChannel = created.replacingOccurrences(of: #""Security""#, with: #""System""#)
        let otherAccount = created.replacingOccurrences(of: "ANONYMOUS LOGON", with: "alice")
        let summary = try fixture.ingest([created, otherChannel, otherAccount], file: "win.ndjson",
                                         settings: settings)
        #expect(summary.rulesCompiled == 1)
        #expect(summary.matches == 1)
        let stored = try alerts(fixture.store)
        #expect(stored.count == 1)
        #expect(stored.first?.ruleID == "1bbf25b9-8038-4154-a50b-118f2a32be27")
        #expect(stored.first?.ruleTitle
                == "Suspicious Windows ANONYMOUS LOGON Local Account Created")
        #expect(stored.first.map(names) == ["DC-01"])
        #expect(stored.first?.urgency == 73)  // high 75, host 70: (75 + 70 + 1) / 2
    }

    /// A keyword is searched in what the event says, not in the asset
    /// fields enrichment adds: ws-vip-3 is unrated ("unrated" is in its
    /// enrichment), but only the second event's own text holds the word.
    @Test("keywords search the event's own strings, not its enrichment")
    func keywordsIgnoreEnrichment() throws {
        let fixture = try Fixture()
        let settings = try fixture.settings(ruleFile: "keywords.yml", """
            title: Unrated word
            id: keyword-unrated
            taxonomy: ecs
            level: low
            detection:
                words: [unrated, vip-lab]
                condition: words
            """)
        let summary = try fixture.ingest([
            Self.signIn("ws-vip-3", at: "11:00"),
            #"{"@timestamp":"2024-05-01T11:05:00Z","message":"scan: 3 unrated findings","#
                + #""host":{"name":"dc-01"}}"#,
        ], file: "keywords.ndjson", settings: settings)
        #expect(summary.eventsEvaluated == 2)
        #expect(summary.matches == 1)
    }

    @Test("the configuration's detection section", arguments: [
        ("detection: {alert_window: 15m}", nil),
        ("detection: {alert_window: soon}", "alert_window"),
        ("detection: {urgency: {severities: {high: 101}}}", "from 0 to 100"),
        ("detection: {urgency: {default_level: severe}}", "default_level"),
        // Medium keeps its 50: a high of 20 would rank a rule lower for a
        // higher level.
        ("detection: {urgency: {severities: {high: 20}}}", "high 20 is below medium 50"),
        ("detection: {alert_window: 15m, urgency: {unrated_criticality: null}}", nil),
        ("detection: {urgency: {unrated_criticality: 101}}", "unrated_criticality"),
        ("detection: {windows: 1h}", "unknown key 'windows'"),
    ] as [(String, String?)])
    func settings(text: String, problem: String?) throws {
        let fixture = try Fixture()
        let path = try fixture.write("perimeter.yml", text)
        let configuration = try PerimeterConfiguration.load(path: path)
        do {
            let settings = try DetectionSettings(configuration: configuration)
            #expect(problem == nil)
            #expect(settings.alertWindow == .seconds(900))
            #expect(!settings.runsUnmappedRules)
        } catch let error as DetectionSettingsError {
            let expected = try #require(problem, "unexpected error \(error)")
            #expect(error.description.contains(expected))
            #expect(error.line == 1)
        }
    }

    @Test("configured severities and networks drive urgency")
    func configuredUrgency() throws {
        let fixture = try Fixture()
        let path = try fixture.write("perimeter.yml", """
            detection:
              alert_window: 30m
              urgency:
                severities: {high: 60}
                include_networks: true
                unrated_criticality: 40
            """)
        let configuration = try PerimeterConfiguration.load(path: path)
        var settings = try DetectionSettings(configuration: configuration)
        settings.rulePaths = [try fixture.write("rules.yml", Self.rule)]
        _ = try fixture.ingest([Self.signIn("ws-vip-3", at: "11:00", sourceIP: "10.1.2.3"),
                            Self.signIn("ws-vip-1", at: "11:05")],
                           file: "events.ndjson", settings: settings)
        let stored = try alerts(fixture.store)
        // Networks included: LAN 95 with high = 60: (60 + 95 + 1) / 2 = 78.
        #expect(stored.map(\.urgency) == [78, 75])  // ws-vip-1: (60 + 90 + 1) / 2 = 75
        #expect(settings.urgency.unratedCriticality == 40)
    }

    /// A rule with no level takes `default_level`: its alert says so, and
    /// on an unrated host its urgency is that level's severity alone.
    @Test("a rule without a level takes the configured default level")
    func configuredDefaultLevel() throws {
        let fixture = try Fixture()
        let path = try fixture.write("perimeter.yml", """
            detection:
              urgency: {default_level: critical}
            """)
        var settings = try DetectionSettings(configuration: PerimeterConfiguration.load(path: path))
        let levelless = Self.rule.replacingOccurrences(of: "level: high\n", with: "")
        #expect(!levelless.contains("level:"))
        settings.rulePaths = [try fixture.write("rules.yml", levelless)]
        _ = try fixture.ingest([Self.signIn("ws-vip-3", at: "11:00")], file: "events.ndjson",
                               settings: settings)
        let stored = try alerts(fixture.store)
        #expect(stored.map(\.level) == ["critical"])
        #expect(stored.map(\.urgency) == [100])
    }

    static var corpus: String {
        if let path = ProcessInfo.processInfo.environment["PERIMETER_CORPUS"] { return path }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus").path
    }

    /// Rules are refused for an asset field outside `EnrichmentFieldNames`:
    /// the detection stage reads every one of them, and nothing else under
    /// the reserved prefixes.
    @Test func theStageReadsEveryNamedAssetField() {
        for name in EnrichmentFieldNames.all {
            #expect(AssetField(path: name) != nil, "\(name)")
        }
        for name in ["sekoiaio.any_asset.tag", "sekoiaio.assets.host.tags",
                     "sekoiaio.assets.server.name"] {
            #expect(AssetField(path: name) == nil, "\(name)")
        }
    }

    /// An event whose atoms name two namesakes is marked ambiguous, and a
    /// rule can ask for that, as the enriched event shows it.
    @Test func aRuleCanReadTheAmbiguousMark() throws {
        let fixture = try Fixture()
        let settings = try fixture.settings(ruleFile: "ambiguous.yml", """
            title: Ambiguous enrichment
            id: ambiguous-mark
            taxonomy: ecs
            detection:
                selection:
                    sekoiaio.any_asset.ambiguous: true
                condition: selection
            """)
        // Two machines of one short name in two domains: an event naming
        // the short name alone is theirs both, and ambiguous.
        let summary = try fixture.ingest([Self.signIn("ws-vip-3", at: "11:00"),
                                          Self.signIn("twin.a.corp.example.org", at: "11:01"),
                                          Self.signIn("twin.b.corp.example.org", at: "11:02"),
                                          Self.signIn("twin", at: "11:05")],
                                         file: "ambiguous.ndjson", settings: settings)
        #expect(summary.matches == 1)
    }
}

