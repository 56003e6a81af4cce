import Foundation
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// `perimeter demo`: the README's first command. Writes events of its
/// own, creates one manual asset, ingests, and shows the inventory.
enum DemoCommand {
    static let spec = CommandSpec(
        name: "demo", summary: "Generate a small company's sample events (written by "
            + "Perimeter itself), rate the domain controller by hand, ingest the events with two "
            + "Sigma rules and an alert filter of the demo's own, and show the assets found, "
            + "the alerts and one address's timeline. The demo keeps to its own folder and uses "
            + "the built-in settings (PERIMETER_CONFIG is not read).",
        usage: "demo [--dir DIR]",
        options: [
            .init(name: "--dir", valueName: "DIR",
                  help: "Where to write events, rules, store and output (default: "
                      + "perimeter-demo). A folder that holds anything but an earlier demo is "
                      + "refused, so that no store of yours is replaced."),
        ],
        example: "perimeter demo && perimeter assets list --db perimeter-demo/perimeter.db",
        takesArguments: false)

    /// Marks a folder as the demo's own, so that a re-run may replace it.
    static let marker = ".perimeter-demo"

    /// The day after the demo's events: its clock, for the ingest and for
    /// the views, which would find every address expired by today's.
    static let demoNow = "2024-05-02T00:00:00Z"

    static func run(_ raw: [String]) throws -> Int32 {
        guard let arguments = try spec.parse(raw) else { return 0 }
        let directory = arguments.value("--dir") ?? "perimeter-demo"
        let files = FileManager.default
        var isFolder: ObjCBool = false
        if files.fileExists(atPath: directory, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw UsageError("demo: '\(directory)' is a file, not a folder")
            }
            let contents = (try? files.contentsOfDirectory(atPath: directory)) ?? []
            guard contents.isEmpty || contents.contains(marker) else {
                throw UsageError("demo: '\(directory)' already holds files that an earlier demo "
                                 + "did not write; give --dir a new or empty folder")
            }
        }
        // The narration states the urgencies of the built-in settings.
        unsetenv("PERIMETER_CONFIG")
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: "\(directory)/\(marker)"))
        let events = "\(directory)/events.ndjson"
        let db = "\(directory)/perimeter.db"
        for file in [db, db + "-wal", db + "-shm", db + ".lock", "\(directory)/enriched.ndjson",
                     "\(directory)/alerts.ndjson", "\(directory)/rules",
                     "\(directory)/filters"] {
            try? files.removeItem(atPath: file)
        }
        try (DemoEvents.lines().joined(separator: "\n") + "\n").write(toFile: events, atomically: true,
                                                                     encoding: .utf8)
        flushingPrint("== wrote \(DemoEvents.lines().count) sample events to \(events)")
        for folder in ["rules", "filters"] {
            try files.createDirectory(atPath: "\(directory)/\(folder)",
                                      withIntermediateDirectories: true)
        }
        for file in DemoRules.files {
            try (file.text + "\n").write(toFile: "\(directory)/\(file.name)", atomically: true,
                                         encoding: .utf8)
        }
        flushingPrint("== wrote two Sigma rules to \(directory)/rules and an alert filter to "
                      + "\(directory)/filters\n")

        flushingPrint("== a person rates the domain controller before any event is seen "
                      + "(perimeter assets create prints the new asset's uuid)")
        var status = PerimeterCommandLine.run([
            "assets", "create", "--db", db, "--category", "host", "--name", "DC-01",
            "--subcategory", "server", "--criticality", "95", "--tag", "domain-controller",
            "--reviewed", "--atom", "hostname=dc-01", "--property", "owner=IT infrastructure",
        ])
        guard status == 0 else { return status }

        flushingPrint("\n== perimeter ingest \(events)")
        status = PerimeterCommandLine.run([
            "ingest", "--db", db, "--output", "\(directory)/enriched.ndjson",
            "--rules", "\(directory)/rules", "--filters", "\(directory)/filters",
            "--alerts", "\(directory)/alerts.ndjson", "--now", demoNow, events,
        ])
        flushingPrint("\n== perimeter assets list")
        _ = PerimeterCommandLine.run(["assets", "list", "--db", db, "--sort", "criticality",
                                      "--limit", "0", "--now", demoNow])
        flushingPrint("\n== one enriched event (a logon on the domain controller): its asset fields")
        if let enriched = try? String(contentsOfFile: "\(directory)/enriched.ndjson", encoding: .utf8),
           let first = enriched.split(separator: "\n").first,
           let range = first.range(of: #""sekoiaio":"#) {
            print("  {" + first[range.lowerBound...])
        }
        flushingPrint("""

            == 20 failed logons from 198.51.100.7 (a password spray) created no accounts:
               failures are tracked as unclaimed atoms, not assets (SPEC §3.1)
            """)
        flushingPrint("""

            == perimeter alerts list: the same medium rule level, but the failed logons hit the
               domain controller (rated 95): urgency (50 + 95) / 2, rounded up, is 73; the
               workstation is unrated, so its alert has the rule's severity alone, 50
            """)
        _ = PerimeterCommandLine.run(["alerts", "list", "--db", db])
        // As the user typed it (argv[0]), not the path its symbolic links lead to.
        let binary = CommandLine.arguments.first ?? "perimeter"
        flushingPrint("\n== perimeter atoms show 10.0.1.50 --at 2024-05-01T08:25:00Z (leased to laptop-12)")
        _ = PerimeterCommandLine.run(["atoms", "show", "--db", db, "10.0.1.50",
                                      "--at", "2024-05-01T08:25:00Z",
                                      "--now", demoNow])
        print("""

            Enriched events: \(directory)/enriched.ndjson; alerts: \(directory)/alerts.ndjson. Try:
              \(binary) assets show DC-01 --db \(db)
              \(binary) assets list --db \(db) --category account --json
              \(binary) alerts show 1 --db \(db)
              \(binary) rules test \(directory)/rules \(events)
            """)
        return status
    }
}

/// Prints and flushes, so the demo's headings stay in order with what the
/// commands it runs write to standard error.
private func flushingPrint(_ text: String) {
    print(text)
    fflush(nil)
}
