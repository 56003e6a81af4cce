import Foundation
import PerimeterTestSupport
import Testing

/// `perimeter demo`, the README's first command, as a new user runs it.
@Suite("Demo", .requiresPerimeterExecutable)
struct DemoCommandTests {
    /// Worked from the demo's events and SPEC §6: the 20 failed logons of
    /// the spray hit DC-01 (rated 95 by hand) and make one alert of the
    /// medium rule (50), urgency ⌊(50 + 95 + 1) / 2⌋ = 73; of the six
    /// workstations' PowerShell commands the filter suppresses the five
    /// inventory scripts, and WS-06's download (with CORP\frank, both
    /// unrated) gets the rule's severity alone, 50.
    @Test func theDemoRaisesTheDomainControllersAlertAboveTheWorkstations() throws {
        guard let binary = PerimeterExecutable.locate() else { return }
        let directory = try ScratchDirectory("demo")
        defer { directory.remove() }
        let result = try binary.run(["demo", "--dir", "demo"], in: directory.url)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains(
            "suppressed by filter demo-filter-inventory-script: 5"))

        let text = try String(contentsOfFile: directory.path("demo/alerts.ndjson"), encoding: .utf8)
        var latest: [Int: [String: Any]] = [:]  // the last line of each alert id
        for line in text.split(separator: "\n") {
            let alert = try #require(CommandLineHarness.object(String(line)))
            latest[try #require(alert["id"] as? Int)] = alert
        }
        let summaries = latest.values.map { alert -> String in
            let names = (alert["assets"] as? [[String: Any]] ?? [])
                .compactMap { $0["name"] as? String }.sorted()
            return "\(alert["rule_id"] ?? "?") \(alert["urgency"] ?? "?") "
                + "\(alert["count"] ?? "?") \(names.joined(separator: ","))"
        }.sorted()
        #expect(summaries == ["demo-failed-logon 73 20 DC-01",
                              "demo-powershell-command 50 1 CORP\\frank,WS-06"])
    }

    /// The demo replaces only what an earlier demo wrote: a folder with a
    /// store of someone else's is refused and left as it was.
    @Test func theDemoLeavesAFolderItDidNotMakeAlone() throws {
        guard let binary = PerimeterExecutable.locate() else { return }
        let directory = try ScratchDirectory("demo-refuse")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path("soc"),
                                                withIntermediateDirectories: true)
        try directory.write("soc/perimeter.db", "someone's store")
        let refused = try binary.run(["demo", "--dir", "soc"], in: directory.url)
        #expect(refused.status == 2)
        #expect(refused.standardError.contains(
            "already holds files that an earlier demo did not write"))
        #expect(try String(contentsOfFile: directory.path("soc/perimeter.db"), encoding: .utf8)
                == "someone's store")

        // Its own folder it runs again, with only its own rules.
        #expect(try binary.run(["demo", "--dir", "demo"], in: directory.url).status == 0)
        try directory.write("demo/rules/left-over.yml", "title: not the demo's")
        let again = try binary.run(["demo", "--dir", "demo"], in: directory.url)
        #expect(again.status == 0, "\(again.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("demo/rules"))
                .sorted() == ["failed-logon.yml", "powershell-command.yml"])
    }
}
