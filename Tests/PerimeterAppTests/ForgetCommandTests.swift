import Foundation
import PerimeterSQLite
import PerimeterStore
import PerimeterTestSupport
import Testing

/// `perimeter forget`, run as a privacy officer would: an atom, an
/// account, a dry run, mistakes, and a store another process writes.
@Suite("Forget command line", .requiresPerimeterExecutable)
struct ForgetCommandTests {
    static let events = [
        #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-07","ip":["10.0.0.7"]},"#
            + #""user":{"name":"ann.lee","email":"ann.lee@example.com"}}"#,
        #"{"@timestamp":"2024-05-01T10:05:00Z","host":{"name":"ws-70","ip":["10.0.0.70"]},"#
            + #""user":{"name":"bob"}}"#,
    ]

    /// Every text cell of the store, one line per row.
    static func cells(_ path: String) throws -> [String] {
        let database = try Database(path: path, readOnly: true)
        let tables = try database.statement(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .rows { $0.text(0) }
        var lines: [String] = []
        for table in tables where !["asset_text_data", "asset_text_idx"].contains(table) {
            let columns = try database.statement("PRAGMA table_info(\"\(table)\")")
                .rows { "quote(\"\($0.text(1))\")" }
            try database.statement(
                "SELECT \(columns.joined(separator: " || '|' || ")) FROM \"\(table)\"")
                .forEachRow { lines.append(table + ": " + $0.text(0)) }
        }
        return lines.sorted()
    }

    @Test("an email is erased; a dry run before it changes nothing")
    func atom() throws {
        guard let cli = try CommandLineHarness.make("forget-atom") else { return }
        defer { cli.remove() }
        #expect(try cli.ingest(Self.events).status == 0)
        #expect(try Self.cells(cli.store).contains { $0.contains("ann.lee@example.com") })

        let before = try Self.cells(cli.store)
        let dry = try cli.run(["forget", "--type", "email", "--value", "Ann.Lee@Example.com",
                               "--dry-run"])
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.outputLines.first?.hasPrefix("dry run: would erase ") == true)
        #expect(try Self.cells(cli.store) == before)

        let result = try cli.run(["forget", "--type", "email", "--value", "Ann.Lee@Example.com",
                                  "--actor", "dpo"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.outputLines.first?.hasPrefix("erased ") == true)
        #expect(result.outputLines.contains { $0.hasPrefix("  attachments ") })
        // Each table's name stands whole, two spaces at least before its
        // count (a fixed width cut `attachment_sightings`).
        for line in result.outputLines.dropFirst() {
            #expect(line.wholeMatch(of: #/ {2}[a-z_]+ {2,}[0-9]+ (deleted|redacted).*/#) != nil,
                    "\(line)")
        }
        #expect(!result.outputText.contains("ann.lee@example.com"))
        let after = try Self.cells(cli.store)
        #expect(!after.contains { $0.lowercased().contains("ann.lee@example.com") })
        // Who ran it, and who asked.
        #expect(after.contains { $0.hasPrefix("forgotten: ") && $0.contains("'email'")
                    && $0.contains(" for dpo'") && $0.contains("'cli") })
        // The account stays, with its username; the hosts are untouched.
        #expect(after.contains { $0.hasPrefix("attachments: ") && $0.contains("'ann.lee'") })
        #expect(after.contains { $0.hasPrefix("attachments: ") && $0.contains("'10.0.0.7'") })
        #expect(after.contains { $0.hasPrefix("attachments: ") && $0.contains("'10.0.0.70'") })
    }

    /// An account of 300 emails (a condition of one LIKE per value and
    /// column was too deep for SQLite, and nothing could be erased), its
    /// values gone from the file's free pages too, and a person who asks
    /// under their own email not recorded by it.
    @Test("an account of many atoms is erased, and leaves no copy in the file")
    func manyAtoms() throws {
        guard let cli = try CommandLineHarness.make("forget-many") else { return }
        defer { cli.remove() }
        let lines = (0..<300).map { index in
            #"{"@timestamp":"2024-05-01T10:00:00Z","user":{"name":"zmiller","domain":"CORP","#
                + #""email":"z\#(index).miller@example.com"},"host":{"name":"ws-1"}}"#
        }
        #expect(try cli.ingest(lines).status == 0)
        let result = try cli.run(["forget", "--asset", "CORP\\zmiller",
                                  "--actor", "z7.miller@example.com"])
        #expect(result.status == 0, "\(result.standardError)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cli.store))
        #expect(bytes.range(of: Data("miller@example.com".utf8)) == nil)
        #expect(bytes.range(of: Data("zmiller".utf8)) == nil)
        let after = try Self.cells(cli.store)
        #expect(after.contains { $0.hasPrefix("forgotten: ") && $0.contains(" for [erased]'") },
                "\(after.filter { $0.hasPrefix("forgotten: ") })")
    }

    /// A file named after the person: where atoms were seen (`FILE:LINE`)
    /// and the ingest's progress quoted it, the email followed by `.ndjson`
    /// (no whole word), and kept it after the erasure.
    @Test("a file named after an erased email loses it from origins and progress")
    func fileNamedAfterTheValue() throws {
        guard let cli = try CommandLineHarness.make("forget-file") else { return }
        defer { cli.remove() }
        let file = try cli.directory.write("zed.x@example.com.ndjson", #"{"@timestamp":"#
            + #""2024-05-01T10:00:00Z","host":{"name":"ws-09"},"user":{"name":"zed","#
            + #""email":"zed.x@example.com"}}"# + "\n")
        #expect(try cli.run(["ingest", "--no-output", file]).status == 0)
        let result = try cli.run(["forget", "--type", "email", "--value", "zed.x@example.com"])
        #expect(result.status == 0, "\(result.standardError)")
        let shown = try cli.run(["atoms", "show", "ws-09"]).outputText
        #expect(shown.contains("/[erased].ndjson:1"), "\(shown)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cli.store))
        #expect(bytes.range(of: Data("zed.x@example.com".utf8)) == nil)
        // The file's progress is kept by its identity: a re-run reads nothing again.
        let again = try cli.run(["ingest", "--no-output", file])
        #expect(again.standardError.contains("ingested 0 events"), "\(again.standardError)")
    }

    @Test("an account is erased by name, with its counts as JSON")
    func account() throws {
        guard let cli = try CommandLineHarness.make("forget-account") else { return }
        defer { cli.remove() }
        #expect(try cli.ingest(Self.events).status == 0)
        let result = try cli.run(["forget", "--asset", "ann.lee", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(
            with: result.standardOutput) as? [String: Any])
        let deleted = object["deleted"] as? [String: Int] ?? [:]
        #expect(deleted["assets"] == 1)
        #expect(object["dry_run"] as? Bool == false)
        let after = try Self.cells(cli.store)
        #expect(!after.contains { $0.contains("'ann.lee'") || $0.contains("ann.lee@") })
        #expect(after.contains { $0.hasPrefix("assets: ") && $0.contains("'bob'") })
        #expect(after.contains { $0.hasPrefix("audit: ") && $0.contains("'forget_asset'") })
    }

    @Test("mistakes are usage errors that say what is wrong", arguments: [
        (["forget"], "say what to erase"),
        (["forget", "--type", "emial", "--value", "x"], "unknown atom type 'emial'"),
        (["forget", "--type", "email"], "needs '--value VALUE'"),
        (["forget", "--type", "ipv4", "--value", "not-an-ip"], "is no ipv4 atom"),
        (["forget", "--asset", "ann", "--type", "email", "--value", "a@b.c"], "not both"),
        (["forget", "ann.lee"], "unexpected argument 'ann.lee'"),
    ])
    func mistakes(arguments: [String], message: String) throws {
        guard let cli = try CommandLineHarness.make("forget-usage") else { return }
        defer { cli.remove() }
        #expect(try cli.ingest(Self.events).status == 0)
        let result = try cli.run(arguments)
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains(message), "\(result.standardError)")
        #expect(result.standardError.contains("perimeter forget --help"))
    }

    @Test("a store another process writes is refused, and nothing is erased")
    func lockedStore() throws {
        guard let cli = try CommandLineHarness.make("forget-locked") else { return }
        defer { cli.remove() }
        #expect(try cli.ingest(Self.events).status == 0)
        let before = try Self.cells(cli.store)
        let lock = try StoreLock(store: cli.store)
        let result = try cli.run(["forget", "--type", "username", "--value", "bob"])
        withExtendedLifetime(lock) {}
        #expect(result.status == 1)
        #expect(result.standardError.contains("is being written by another perimeter process"))
        #expect(try Self.cells(cli.store) == before)
    }

    @Test("help names the rediscovery of values seen again")
    func help() throws {
        guard let cli = try CommandLineHarness.make("forget-help") else { return }
        defer { cli.remove() }
        let result = try cli.run(["forget", "--help"])
        #expect(result.status == 0)
        #expect(result.outputText.contains("Events ingested later that carry the value again"))
        let overview = try cli.binary.run(["help"], in: cli.directory.url, standardInput: nil)
        #expect(overview.outputLines.contains { $0.hasPrefix("  forget ") })
    }
}
