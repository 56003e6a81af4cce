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
        #"{"event":{"code":"4624"}}"#,
        #"{"event":{"code":"4625"}}"#,
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
        #expect(matches(plain) == ["2 cli-failed-logon compiled"])
        #expect(plain.standardError.contains("1 compiled-unmapped rule not run"))

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
    }
}
