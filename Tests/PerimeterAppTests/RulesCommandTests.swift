import Foundation
import PerimeterTestSupport
import Testing

/// `perimeter rules test` runs what an ingest runs: the compiled rules,
/// and the compiled-unmapped ones only when asked, marked as such.
@Suite("Rules command line", .requiresPerimeterExecutable)
struct RulesCommandTests {
    static let failedLogon = """
        title: Failed logon
        id: cli-failed-logon
        taxonomy: ecs
        logsource: {category: authentication}
        detection:
            selection:
                event.code: 4625
            condition: selection
        """
    /// Its log source is outside the mapping; on ECS events its field is
    /// absent, so `not selection` holds for every event.
    static let unmapped = """
        title: Not a rare field
        id: cli-unmapped
        logsource: {product: nosuchproduct}
        detection:
            selection:
                RareField: x
            condition: not selection
        """
    static let events = [
        #"{"event":{"code":"4624","category":["authentication"]}}"#,
        #"{"event":{"code":"4625","category":["authentication"]}}"#,
    ].joined(separator: "\n") + "\n"

    func matches(_ result: PerimeterExecutable.Result) -> [String] {
        result.outputLines.compactMap(CommandLineHarness.object).map {
            "\($0["line"] ?? "?") \($0["rule_id"] ?? "?") \($0["status"] ?? "compiled")"
        }
    }

    @Test func unmappedRulesRunOnlyWhenAskedAndAreMarked() throws {
        guard let cli = try CommandLineHarness.make("rules-cli") else { return }
        defer { cli.remove() }
        try FileManager.default.createDirectory(atPath: cli.directory.path("rules"),
                                                withIntermediateDirectories: true)
        try cli.directory.write("rules/failed.yml", Self.failedLogon)
        try cli.directory.write("rules/unmapped.yml", Self.unmapped)
        try cli.directory.write("events.ndjson", Self.events)
        func rulesTest(_ extra: [String]) throws -> PerimeterExecutable.Result {
            try cli.binary.run(["rules", "test", "rules", "events.ndjson", "--json"] + extra,
                               in: cli.directory.url)
        }

        let plain = try rulesTest([])
        #expect(plain.status == 0, "\(plain.standardError)")
        // A filter given beside them is told of as rules check tells it.
        try cli.directory.write("keep.yml", """
            title: Keep only admins
            id: f-keep
            filter:
                rules: [cli-failed-logon]
                selection: {user.name|startswith: adm_}
                condition: not selection
            """)
        let filtered = try rulesTest(["--filters", "keep.yml"])
        #expect(filtered.standardError.contains("filter 'f-keep' has a condition that holds "
                                                + "where none of its selections does"),
                "\(filtered.standardError)")
        #expect(matches(plain) == ["2 cli-failed-logon compiled"])
        #expect(plain.standardError.contains("1 compiled-unmapped rule not run"))
        // An ingest's summary says where they are named.
        let ingested = try cli.run(["ingest", "--no-output", "--rules", cli.directory.path("rules"),
                                    cli.directory.path("events.ndjson")])
        #expect(ingested.standardError.contains(
            "(1 compiled-unmapped, not run: detection.run_unmapped_rules; 'perimeter rules "
                + "check' names them)"), "\(ingested.standardError)")

        let asked = try rulesTest(["--unmapped"])
        #expect(asked.status == 0, "\(asked.standardError)")
        #expect(matches(asked).sorted() == ["1 cli-unmapped compiled-unmapped",
                                            "2 cli-failed-logon compiled",
                                            "2 cli-unmapped compiled-unmapped"])
        #expect(asked.standardError.contains("2 of 2 events matched (1 by compiled rules)"))
        let titles = Set(asked.outputLines.compactMap(CommandLineHarness.object)
            .compactMap { $0["title"] as? String })
        #expect(titles == ["Failed logon", "Not a rare field"])

        // A rule that is only compiled-unmapped: nothing would run.
        let alone = try cli.binary.run(["rules", "test", "rules/unmapped.yml", "events.ndjson"],
                                       in: cli.directory.url)
        #expect(alone.status == 1)
        #expect(alone.standardError.contains("compiled-unmapped; --unmapped runs them"))
        #expect(alone.outputText.isEmpty)
    }

    /// An asset-aware rule (a tag of the asset an event touches) matches
    /// under `rules test --db` what an ingest into that store would match:
    /// the domain controller's event, not the workstation's, nor a tag an
    /// event claims for itself; without --db no event carries asset fields.
    @Test func assetAwareRulesAreTriedAgainstAStore() throws {
        guard let cli = try CommandLineHarness.make("rules-db") else { return }
        defer { cli.remove() }
        let created = try cli.run(["assets", "create", "--category", "host", "--name", "DC-01",
                                   "--atom", "hostname=dc-01", "--tag", "domain-controller",
                                   "--community", "acme"])
        #expect(created.status == 0, "\(created.standardError)")
        try cli.directory.write("dc.yml", """
            title: Anything on a domain controller
            id: cli-dc
            taxonomy: ecs
            logsource: {category: authentication}
            detection:
                selection:
                    sekoiaio.any_asset.tags: domain-controller
                condition: selection
            """)
        try cli.directory.write("events.ndjson", [
            #"{"@timestamp":"2024-05-01T10:00:00Z","event":{"category":["authentication"]},"host":{"name":"DC-01"}}"#,
            #"{"@timestamp":"2024-05-01T10:01:00Z","event":{"category":["authentication"]},"host":{"name":"ws-07"}}"#,
            #"{"@timestamp":"2024-05-01T10:02:00Z","event":{"category":["authentication"]},"host":{"name":"ws-08"},"sekoiaio":{"any_asset":{"tags":["domain-controller"]}}}"#,
        ].joined(separator: "\n") + "\n")
        func rulesTest(_ extra: [String]) throws -> PerimeterExecutable.Result {
            try cli.binary.run(["rules", "test", "dc.yml", "events.ndjson", "--json"] + extra,
                               in: cli.directory.url)
        }
        let withStore = try rulesTest(["--db", cli.store, "--community", "acme"])
        #expect(withStore.status == 0, "\(withStore.standardError)")
        #expect(matches(withStore) == ["1 cli-dc compiled"])
        #expect(withStore.standardError.contains("1 of 3 events matched"))
        // Another community's store view holds no such asset.
        let otherCommunity = try rulesTest(["--db", cli.store])
        #expect(matches(otherCommunity).isEmpty)
        let without = try rulesTest([])
        #expect(matches(without).isEmpty)
        #expect(without.standardError.contains("0 of 3 events matched"))
        #expect(without.standardError.contains("without --db STORE the events touch none"),
                "\(without.standardError)")
        #expect(!withStore.standardError.contains("without --db"))
        let scopeAlone = try rulesTest(["--community", "acme"])
        #expect(scopeAlone.status == 2)

        // The events go through discovery as an ingest takes them: ws-07,
        // which the store does not hold, is the asset of its own event.
        try cli.directory.write("named.yml", """
            title: Anything on ws-07
            id: cli-ws07
            taxonomy: ecs
            logsource: {category: authentication}
            detection:
                selection:
                    sekoiaio.any_asset.name: ws-07
                condition: selection
            """)
        let discovered = try cli.binary.run(["rules", "test", "named.yml", "events.ndjson",
                                             "--json", "--db", cli.store, "--community", "acme"],
                                            in: cli.directory.url)
        #expect(matches(discovered) == ["2 cli-ws07 compiled"], "\(discovered.standardError)")
        // With the clock a month before them, the events are in the future
        // and make nothing, as an ingest with that --now takes them.
        let early = try cli.binary.run(["rules", "test", "named.yml", "events.ndjson", "--json",
                                        "--db", cli.store, "--community", "acme",
                                        "--now", "2024-04-01"], in: cli.directory.url)
        #expect(early.status == 0, "\(early.standardError)")
        #expect(matches(early).isEmpty)
    }

    /// An event whose detection holds but that the rule's log source keeps
    /// out (`product: linux` alone needs a `message`) is counted in a note,
    /// not left to read as a plain miss.
    @Test func eventsALogSourceKeepsOutAreCounted() throws {
        guard let cli = try CommandLineHarness.make("rules-gate") else { return }
        defer { cli.remove() }
        try cli.directory.write("sudo.yml", """
            title: Sudo run
            id: cli-sudo
            taxonomy: ecs
            logsource: {product: linux}
            detection:
                selection:
                    process.name: sudo
                condition: selection
            """)
        try cli.directory.write("events.ndjson", [
            #"{"message":"sudo: alice : COMMAND=/bin/ls","process":{"name":"sudo"}}"#,
            #"{"process":{"name":"sudo"},"host":{"os":{"type":"linux"}}}"#,
            #"{"process":{"name":"bash"}}"#,
        ].joined(separator: "\n") + "\n")
        let result = try cli.binary.run(["rules", "test", "sudo.yml", "events.ndjson", "--json"],
                                        in: cli.directory.url)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(matches(result) == ["1 cli-sudo compiled"])
        #expect(result.standardError.contains("note: 1 event matches the detection of Sudo run "
                                              + "(cli-sudo) but not its log source's conditions"),
                "\(result.standardError)")
    }

    /// Events from several inputs: a plain file, a gzip file and standard
    /// input, each line numbered within its own input, a bad line named by
    /// file and line (a problem, not an event) while the rest goes on.
    @Test func testReadsSeveralInputsAndStandardInput() throws {
        guard let cli = try CommandLineHarness.make("rules-inputs") else { return }
        defer { cli.remove() }
        try cli.directory.write("failed.yml", Self.failedLogon)
        try cli.directory.write("a.ndjson", Self.events + "{not json\n"
                                + #"{"event":{"code":"4625","category":["authentication"]}}"#
                                + "\n")
        let compressed = cli.directory.path("b.ndjson.gz")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "printf '%s\\n' '{\"event\":{\"code\":\"4625\","
                          + "\"category\":[\"authentication\"]}}' "
                          + "| gzip > '\(compressed)'"]
        try gzip.run()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)

        let result = try cli.binary.run(
            ["rules", "test", "failed.yml", "a.ndjson", "b.ndjson.gz", "-", "--json"],
            in: cli.directory.url,
            standardInput: Data((#"{"event":{"code":"4624","category":["authentication"]}}"#
                                 + "\n"
                                 + #"{"event":{"code":"4625","category":["authentication"]}}"#
                                 + "\n").utf8))
        #expect(result.status == 1, "the bad line is a problem")
        let found = result.outputLines.compactMap(CommandLineHarness.object).map {
            "\($0["file"] ?? "?"):\($0["line"] ?? "?")"
        }
        #expect(found == ["a.ndjson:2", "a.ndjson:4", "b.ndjson.gz:1", "-:2"])
        #expect(result.standardError.contains("a.ndjson:3:"))
        #expect(result.standardError.contains("4 of 6 events matched; 1 problem"),
                "\(result.standardError)")

        // A file of the wrong format: 25 bad lines, 20 shown, all counted.
        try cli.directory.write("bad.ndjson", String(repeating: "x\n", count: 25))
        let bad = try cli.binary.run(["rules", "test", "failed.yml", "bad.ndjson"],
                                     in: cli.directory.url)
        #expect(bad.status == 1)
        #expect(bad.standardError.contains("bad.ndjson:20:"))
        #expect(!bad.standardError.contains("bad.ndjson:21:"))
        #expect(bad.standardError.contains("5 more line problems not shown"))
        #expect(bad.standardError.contains("0 of 0 events matched; 25 problems"))

        let text = try cli.binary.run(["rules", "test", "failed.yml", "a.ndjson", "b.ndjson.gz"],
                                      in: cli.directory.url)
        #expect(text.outputLines.filter { !$0.hasPrefix(" ") }
            == ["a.ndjson:2: Failed logon (cli-failed-logon)",
                "a.ndjson:4: Failed logon (cli-failed-logon)",
                "b.ndjson.gz:1: Failed logon (cli-failed-logon)"])
    }

    /// A filter naming a rule id that no rule has is checked but warned
    /// about: a typo there would silently disable it.
    @Test func aFilterForAnUnknownRuleIsWarnedAbout() throws {
        guard let cli = try CommandLineHarness.make("rules-filter") else { return }
        defer { cli.remove() }
        try cli.directory.write("failed.yml", Self.failedLogon)
        try cli.directory.write("filter.yml", """
            title: Lab noise
            id: cli-filter
            filter:
                rules: [cli-failed-logn, cli-failed-logon]
                selection:
                    host.name: lab-1
                condition: selection
            """)
        let result = try cli.binary.run(["rules", "check", "failed.yml", "filter.yml"],
                                        in: cli.directory.url)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains(
            "filter 'cli-filter' names the rule id 'cli-failed-logn', which no loaded rule has"))
        #expect(!result.standardError.contains("'cli-failed-logon', which"))
        // Filters checked on their own: no rule to compare with, no warning.
        let alone = try cli.binary.run(["rules", "check", "filter.yml"], in: cli.directory.url)
        #expect(alone.standardError.isEmpty, "\(alone.standardError)")
    }

    /// A keyword's explanation names the field it was found in.
    @Test func aKeywordMatchNamesItsField() throws {
        guard let cli = try CommandLineHarness.make("rules-keyword") else { return }
        defer { cli.remove() }
        try cli.directory.write("words.yml", """
            title: Scanner words
            id: cli-keywords
            taxonomy: ecs
            detection:
                words: [unrated]
                condition: words
            """)
        try cli.directory.write("events.ndjson",
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-1"},"#
                + #""event":{"original":"x"},"scan":{"summary":"3 UNRATED findings"}}"# + "\n")
        let result = try cli.binary.run(["rules", "test", "words.yml", "events.ndjson", "--json"],
                                        in: cli.directory.url)
        #expect(result.status == 0, "\(result.standardError)")
        let why = result.outputLines.compactMap(CommandLineHarness.object).first?["why"]
            as? [[String: Any]]
        #expect(why?.first?["field"] as? String == "scan.summary")
        #expect(why?.first?["test"] as? String == "scan.summary contains 'unrated'")
        #expect(why?.first?["value"] as? String == "3 UNRATED findings")
    }

    /// A regex test cut short by its match limit reads as no match; the
    /// detection engineer is told on which event, and it is a problem.
    @Test func aRegexAtItsMatchLimitIsAProblem() throws {
        guard let cli = try CommandLineHarness.make("rules-limit") else { return }
        defer { cli.remove() }
        try cli.directory.write("re.yml", """
            title: Runaway pattern
            id: cli-regex-limit
            detection:
                sel:
                    message|re: '^(a+)+$'
                condition: sel
            """)
        let runaway = String(repeating: "a", count: 40) + "!"
        try cli.directory.write("events.ndjson",
                                #"{"message":"\#(runaway)"}"# + "\n" + #"{"message":"aaa"}"# + "\n")
        let result = try cli.binary.run(["rules", "test", "re.yml", "events.ndjson",
                                         "--mapping", "none"], in: cli.directory.url)
        #expect(result.status == 1)
        #expect(result.standardError.contains(
            "events.ndjson:1: 1 regex test stopped at the match limit (read as no match)"))
        #expect(result.standardError.contains("1 of 2 events matched; 1 problem"))
    }

    /// Two documents in one file, the second refused on its line 15 (the
    /// line of the unsupported modifier, counted by hand).
    @Test func checkGivesEachDocumentItsLine() throws {
        guard let cli = try CommandLineHarness.make("rules-check") else { return }
        defer { cli.remove() }
        let refused = """
            title: Misspelt modifier
            id: cli-refused
            logsource: {product: windows}
            detection:
                selection:
                    Provider_Name|startwith: x
                condition: selection
            """
        try cli.directory.write("two.yml", Self.failedLogon + "\n---\n" + refused + "\n")
        let result = try cli.binary.run(["rules", "check", "two.yml", "--json"],
                                        in: cli.directory.url)
        #expect(result.status == 1)
        let reports = result.outputLines.compactMap(CommandLineHarness.object).map {
            "\($0["id"] ?? "?") \($0["ok"] ?? "?") \($0["status"] ?? "?") \($0["line"] ?? "?")"
        }
        #expect(reports == ["cli-failed-logon 1 compiled 1", "cli-refused 0 refused 15"])

        // A compiled-unmapped rule points at its first unmapped field (line
        // 7 here), or at its log source when that is what the mapping lacks
        // (line 3 of `unmapped`).
        let field = """
            title: Unmapped field
            id: cli-unmapped-field
            logsource: {product: linux, category: process_creation}
            detection:
                selection:
                    Image: /usr/bin/curl
                    NoSuchField: x
                condition: selection
            """
        try cli.directory.write("field.yml", field + "\n")
        try cli.directory.write("source.yml", Self.unmapped + "\n")
        let unmapped = try cli.binary.run(["rules", "check", "field.yml", "source.yml", "--json"],
                                          in: cli.directory.url)
        let lines = unmapped.outputLines.compactMap(CommandLineHarness.object).map {
            "\($0["id"] ?? "?") \($0["status"] ?? "?") \($0["line"] ?? "?")"
        }
        #expect(lines == ["cli-unmapped-field compiled-unmapped 7",
                          "cli-unmapped compiled-unmapped 3"])

        // A folder without one rule is a mistake to report, not "100% ok".
        try FileManager.default.createDirectory(atPath: cli.directory.path("empty"),
                                                withIntermediateDirectories: true)
        let empty = try cli.binary.run(["rules", "check", "empty"], in: cli.directory.url)
        #expect(empty.status == 1)
        #expect(empty.standardError.contains("no Sigma rule or filter found in 'empty'"))
    }

    /// A rule with |expand reads its placeholders from the configuration,
    /// in check and test as in an ingest: both refused a rule an ingest
    /// with the same configuration compiled and ran.
    @Test func expandReadsTheConfigurationsPlaceholders() throws {
        guard let cli = try CommandLineHarness.make("rules-expand") else { return }
        defer { cli.remove() }
        try cli.directory.write("admins.yml", """
            title: An admin signs in
            id: cli-admin-sign-in
            taxonomy: ecs
            logsource: {category: authentication}
            detection:
                selection:
                    user.name|expand: '%admin_users%'
                condition: selection
            """)
        try cli.directory.write("soc.yml", """
            detection:
              placeholders:
                admin_users: [administrator, alice]
            """)
        try cli.directory.write("events.ndjson", [
            #"{"event":{"category":["authentication"]},"user":{"name":"alice"}}"#,
            #"{"event":{"category":["authentication"]},"user":{"name":"bob"}}"#,
        ].joined(separator: "\n") + "\n")
        let bare = try cli.binary.run(["rules", "check", "admins.yml"], in: cli.directory.url)
        #expect(bare.status == 1)
        #expect(bare.outputText.contains("unknown-placeholder"), "\(bare.outputText)")
        #expect(bare.outputText.contains("--config"), "\(bare.outputText)")
        let checked = try cli.binary.run(["rules", "check", "admins.yml", "--config", "soc.yml"],
                                         in: cli.directory.url)
        #expect(checked.status == 0, "\(checked.outputText)\(checked.standardError)")
        let tested = try cli.binary.run(["rules", "test", "admins.yml", "events.ndjson", "--json",
                                         "--config", "soc.yml"], in: cli.directory.url)
        #expect(tested.status == 0, "\(tested.standardError)")
        #expect(matches(tested) == ["1 cli-admin-sign-in compiled"])
    }

    /// With `detection.run_unmapped_rules: true` an ingest runs the
    /// compiled-unmapped rules; check and test, reading that
    /// configuration, say and do the same.
    @Test func theConfigurationsRunUnmappedRulesIsHeeded() throws {
        guard let cli = try CommandLineHarness.make("rules-unmapped-config") else { return }
        defer { cli.remove() }
        try cli.directory.write("unmapped.yml", Self.unmapped)
        try cli.directory.write("events.ndjson", Self.events)
        try cli.directory.write("soc.yml", "detection:\n  run_unmapped_rules: true\n")
        let checked = try cli.binary.run(["rules", "check", "unmapped.yml", "--config", "soc.yml"],
                                         in: cli.directory.url)
        #expect(checked.outputText.contains("(100.0% run in an ingest)"), "\(checked.outputText)")
        let plain = try cli.binary.run(["rules", "check", "unmapped.yml"], in: cli.directory.url)
        #expect(plain.outputText.contains("(0.0% run in an ingest)"), "\(plain.outputText)")
        let tested = try cli.binary.run(["rules", "test", "unmapped.yml", "events.ndjson",
                                         "--json", "--config", "soc.yml"], in: cli.directory.url)
        #expect(tested.status == 0, "\(tested.standardError)")
        #expect(matches(tested) == ["1 cli-unmapped compiled-unmapped",
                                    "2 cli-unmapped compiled-unmapped"])
    }

    /// A rules path that names nothing says why: missing, or a link that
    /// leads to nothing (here two links that lead to each other).
    @Test func aPathThatNamesNothingSaysWhy() throws {
        guard let cli = try CommandLineHarness.make("rules-nothing") else { return }
        defer { cli.remove() }
        let loop = cli.directory.path("loop-a")
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: "loop-b")
        try FileManager.default.createSymbolicLink(atPath: cli.directory.path("loop-b"),
                                                   withDestinationPath: "loop-a")
        let looped = try cli.binary.run(["rules", "check", loop], in: cli.directory.url)
        #expect(looped.status == 1)
        #expect(looped.standardError.contains(
                    "cannot read '\(loop)': a symbolic link that leads to nothing (or round a loop)"),
                "\(looped.standardError)")
        let missing = try cli.binary.run(["rules", "check", "nowhere.yml"], in: cli.directory.url)
        #expect(missing.standardError.contains("cannot read 'nowhere.yml': no such file or folder"))
        // An ingest names which of its paths is missing: the filters here.
        try "title: r\nid: r\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n"
            .write(toFile: cli.directory.path("rule.yml"), atomically: true, encoding: .utf8)
        let ingest = try cli.binary.run(["ingest", "--db", "s.db", "--rules", "rule.yml",
                                         "--filters", "nofilters", "-"], in: cli.directory.url)
        #expect(ingest.status != 0)
        #expect(ingest.standardError.contains(
                    "cannot read filters at 'nofilters': no such file or folder"),
                "\(ingest.standardError)")
    }

    /// `rules test --filters` tries alert filters on the matches: every
    /// match is still shown, and one a filter would suppress says which.
    @Test func filtersAreTriedOnTheMatches() throws {
        guard let cli = try CommandLineHarness.make("rules-filters") else { return }
        defer { cli.remove() }
        try cli.directory.write("failed.yml", Self.failedLogon)
        try cli.directory.write("lab.yml", """
            title: The lab host fails on purpose
            id: filter-lab
            filter:
                rules: [cli-failed-logon]
                selection:
                    host.name: lab-01
                condition: selection
            """)
        try cli.directory.write("events.ndjson", [
            #"{"event":{"code":"4625","category":["authentication"]},"host":{"name":"lab-01"}}"#,
            #"{"event":{"code":"4625","category":["authentication"]},"host":{"name":"dc-01"}}"#,
        ].joined(separator: "\n") + "\n")
        let tested = try cli.binary.run(["rules", "test", "failed.yml", "events.ndjson", "--json",
                                         "--filters", "lab.yml"], in: cli.directory.url)
        #expect(tested.status == 0, "\(tested.standardError)")
        let lines = tested.outputLines.compactMap(CommandLineHarness.object)
        #expect(lines.map { $0["line"] as? Int } == [1, 2])
        #expect(lines.map { $0["suppressed_by"] as? String } == ["filter-lab", nil])
        #expect(tested.standardError.contains("2 of 2 events matched; 1 match a filter would "
                                              + "suppress; 0 problems"), "\(tested.standardError)")
        let text = try cli.binary.run(["rules", "test", "failed.yml", "events.ndjson",
                                       "--filters", "lab.yml"], in: cli.directory.url)
        #expect(text.outputText.contains("[suppressed by filter The lab host fails on purpose "
                                         + "(filter-lab)]"), "\(text.outputText)")
        let check = try cli.binary.run(["rules", "check", "failed.yml", "--filters", "lab.yml"],
                                       in: cli.directory.url)
        #expect(check.status == 2)
        // A detection rule among the filters is refused, as an ingest
        // refuses it, and counted as a problem.
        let swapped = try cli.binary.run(["rules", "test", "failed.yml", "events.ndjson",
                                          "--filters", "failed.yml"], in: cli.directory.url)
        #expect(swapped.standardError.contains("failed.yml:1: refused (rule-among-filters)"),
                "\(swapped.standardError)")
        #expect(swapped.standardError.contains("; 1 problem"), "\(swapped.standardError)")
    }
}

