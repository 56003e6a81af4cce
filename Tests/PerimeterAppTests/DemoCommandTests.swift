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
        #expect(result.standardError.contains("suppressed by filter demo-filter-inventory-script: 5"))

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
}
