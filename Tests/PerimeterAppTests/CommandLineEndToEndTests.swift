import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite
import PerimeterStore
import PerimeterTestSupport
import Testing

/// The command line end to end, as an operator uses it: every expected
/// value below is worked out from SPEC.md by hand.
@Suite(.requiresPerimeterExecutable)
struct CommandLineEndToEndTests {
    typealias H = CommandLineHarness

    // MARK: - Manual assets and enrichment

    /// SPEC §2 "Confirmed and observed": discovery looks for an existing
    /// asset first, so a manual asset's criticality applies from the
    /// first event that names one of its atoms.
    /// A misspelt subcommand names every subcommand and the nearest one,
    /// and points to the command's own help, the one that exists.
    @Test(arguments: [
        (["assets", "lis"], "expected list, show, create, import, update, revoke, unrevoke or "
            + "bulk; did you mean 'list'? (see 'perimeter assets --help')"),
        (["tokens", "revok"], "expected create, list or revoke; did you mean 'revoke'? "
            + "(see 'perimeter tokens --help')"),
        (["alerts", "clse"], "expected list, show or close; did you mean 'close'? "
            + "(see 'perimeter alerts --help')"),
    ])
    func unknownSubcommandNamesTheNearest(arguments: [String], expected: String) throws {
        guard let cli = try H.make("subcommand") else { return }
        defer { cli.remove() }
        let result = try cli.run(arguments)
        #expect(result.status == 2)
        #expect(result.standardError.contains("unknown \(arguments[0]) command '\(arguments[1])'; "
                                              + expected), "\(result.standardError)")
    }

    /// `help GROUP VERB` is the verb's own help; a group's help is a
    /// summary of its verbs, for every group alike (alerts and tokens
    /// printed every verb's whole help); a command of several verbs shows
    /// an example of each.
    @Test func helpNamesEachVerbAndShowsOneVerbWhole() throws {
        guard let cli = try H.make("help") else { return }
        defer { cli.remove() }
        #expect(try cli.run(["help", "assets", "list"]).outputText
            == (try cli.run(["assets", "list", "--help"]).outputText))
        #expect(try cli.run(["assets", "list", "--help"]).outputLines.first?
            .hasPrefix("List the assets that match every filter given") == true)
        for group in ["alerts", "tokens"] {
            let lines = try cli.run([group, "--help"]).outputLines
            #expect(lines.contains { $0.hasPrefix("Usage: perimeter \(group) COMMAND") }, "\(lines)")
            #expect(!lines.contains("Options:"), "\(group): \(lines)")
        }
        let discovery = try cli.run(["discovery", "list", "--help"]).outputLines
            .filter { !$0.isEmpty }
        #expect(discovery.suffix(3) == ["Examples:",
                                        "  perimeter discovery list --community acme",
                                        "  perimeter discovery disable unique_accounts --community acme"])
    }

    /// A community that holds no asset is said to, with those that do: a
    /// mistyped `--community` answered "0 matching assets" as a filter
    /// matching nothing would. A community that holds some says nothing.
    @Test func anEmptyCommunityIsNamedAsSuch() throws {
        guard let cli = try H.make("community-typo") else { return }
        defer { cli.remove() }
        #expect(try cli.ingest([H.oneHostEvent], options: ["--community", "acme"]).status == 0)
        for command in [["assets", "list"], ["alerts", "list"]] {
            let typo = try cli.run(command + ["--community", "acmee"])
            #expect(typo.status == 0)
            #expect(typo.standardError.contains("note: the community 'acmee' holds no asset; "
                                                + "the store's communities: acme (did you mean "
                                                + "'acme'?)"), "\(typo.standardError)")
        }
        let known = try cli.run(["assets", "list", "--community", "acme", "--tag", "none"])
        #expect(!known.standardError.contains("holds no asset"), "\(known.standardError)")
        // A rule tested against the store's assets: its author would
        // otherwise blame the rule for matching nothing.
        let rule = try cli.directory.write("rule.yml", """
            title: Any host
            id: 5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d
            logsource: {product: windows}
            detection:
              selection: {sekoiaio.any_asset.criticality_value|gte: 0}
              condition: selection
            """)
        let events = try cli.directory.write("test.ndjson", H.oneHostEvent)
        let tested = try cli.run(["rules", "test", rule, events, "--community", "acmee"])
        #expect(tested.standardError.contains("note: the community 'acmee' holds no asset"),
                "\(tested.standardError)")
    }

    /// An option where a value goes is a value forgotten: `--db --quiet`
    /// made a store named --quiet and wrote the output into it. Given as
    /// `--db=--quiet`, it is the value; a value that merely starts with
    /// dashes is taken.
    @Test func anOptionIsNotTakenForTheValueBeforeIt() throws {
        guard let cli = try H.make("option-value") else { return }
        defer { cli.remove() }
        let events = try cli.directory.write("events.ndjson", H.oneHostEvent)
        let forgotten = try cli.binary.run(["ingest", "--db", "--quiet", events],
                                           in: cli.directory.url)
        #expect(forgotten.status == 2)
        #expect(forgotten.standardError.contains("'--db' needs a value (FILE), and '--quiet' is "
                                                 + "an option (--db=--quiet gives it as the value)"),
                "\(forgotten.standardError)")
        #expect(!FileManager.default.fileExists(atPath: cli.directory.path("--quiet")))
        let community = try cli.run(["assets", "list", "--community", "--tag=x"])
        #expect(community.status == 2)
        #expect(community.standardError.contains("'--tag=x' is an option"),
                "\(community.standardError)")
        // Any option's form, the command's or not, and `perimeter rules` too.
        let weird = try cli.run(["ingest", "--rejects", "--weird", events])
        #expect(weird.standardError.contains("'--weird' is an option"), "\(weird.standardError)")
        let rules = try cli.run(["rules", "test", "r.yml", events, "--mapping", "--json"])
        #expect(rules.status == 2)
        #expect(rules.standardError.contains("--mapping needs a value, and '--json' is an option"))
        let given = try cli.binary.run(["ingest", "--no-output", "--db=--quiet", events],
                                       in: cli.directory.url)
        #expect(given.status == 0, "\(given.standardError)")
        #expect(FileManager.default.fileExists(atPath: cli.directory.path("--quiet")))
    }

    /// An ingest of nothing but missing files says so before a store is
    /// made for it; a missing file among others is reported in the run.
    @Test func anIngestOfMissingFilesMakesNoStore() throws {
        guard let cli = try H.make("missing") else { return }
        defer { cli.remove() }
        let result = try cli.run(["ingest", "nowhere.ndjson"])
        #expect(result.status == 2)
        #expect(result.standardError.contains(
            "cannot open 'nowhere.ndjson': no such file; nothing was read"))
        #expect(!FileManager.default.fileExists(atPath: cli.store))
        let events = try cli.directory.write("events.ndjson", H.oneHostEvent)
        let mixed = try cli.run(["ingest", "--output", "/dev/null", "nowhere.ndjson", events])
        #expect(mixed.status == 1)
        #expect(mixed.standardError.contains("cannot open 'nowhere.ndjson'"))
        #expect(mixed.standardError.contains("from 2 inputs (1 failed, whole or partly: see the error above) in "),
                "\(mixed.standardError)")
        #expect(try cli.listAssets().assets.count == 1)
    }

    @Test func createdAssetEnrichesItsFirstEvent() throws {
        guard let cli = try H.make("create") else { return }
        defer { cli.remove() }
        let created = try cli.run([
            "assets", "create", "--category", "host", "--name", "DC-01", "--subcategory", "server",
            "--criticality", "95", "--tag", "domain-controller", "--tag", "tier0",
            "--description", "Primary domain controller", "--property", "owner=it-ops",
            "--property", "location=Paris", "--atom", "hostname=dc-01", "--atom", "ipv4=10.0.0.10",
            "--reviewed", "--entity", "DMZ-1",
        ])
        #expect(created.status == 0, "\(created.standardError)")
        #expect(created.standardError.isEmpty, "\(created.standardError)")
        let uuid = created.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: uuid) != nil && uuid == uuid.lowercased())
        // One without atoms is created, and said to match no event, as an
        // import says of such a row.
        let bare = try cli.run(["assets", "create", "--category", "host", "--name", "NOATOM",
                                "--community", "elsewhere"])
        #expect(bare.status == 0)
        #expect(bare.standardError.contains("note: no atom identifies the asset: no event will "
                                            + "match it"), "\(bare.standardError)")

        let shown = try cli.run(["assets", "show", uuid, "--json"])
        let asset = try #require(H.object(shown.outputText))
        #expect(asset["name"] as? String == "DC-01")
        #expect(asset["category"] as? String == "host")
        #expect(asset["subcategory"] as? String == "server")
        #expect(asset["criticality"] as? Int == 95)
        #expect(asset["criticality_display"] as? String == "high")
        #expect(asset["tags"] as? [String] == ["domain-controller", "tier0"])
        #expect(asset["reviewed"] as? Bool == true)
        #expect(asset["source"] as? String == "manual")
        #expect(asset["description"] as? String == "Primary domain controller")
        #expect(asset["entity"] as? String == "DMZ-1")
        let properties = asset["properties"] as? [String: Any]
        #expect(properties?["owner"] as? String == "it-ops")
        #expect(properties?["location"] as? String == "Paris")
        let atoms = (asset["atoms"] as? [[String: Any]] ?? []).map {
            "\($0["type"] ?? "?")=\($0["value"] ?? "?") \($0["kind"] ?? "?")"
        }.sorted()
        #expect(atoms == ["hostname=dc-01 confirmed", "ipv4=10.0.0.10 confirmed"])

        // The first event of DC-01, in its entity: enriched with the manual
        // asset, and no second host discovered.
        let first = #"{"@timestamp":"2024-05-01T10:00:00Z","#
            + #""host":{"name":"DC-01","ip":["10.0.0.10"]}}"#
        let ingested = try cli.ingest([first], options: ["--entity", "DMZ-1"])
        #expect(ingested.status == 0, "\(ingested.standardError)")
        let event = try #require(ingested.outputLines.first.flatMap(H.object))
        #expect(H.value(event, "sekoiaio.any_asset.uuid") as? [String] == [uuid])
        #expect(H.value(event, "sekoiaio.any_asset.name") as? [String] == ["DC-01"])
        #expect(H.value(event, "sekoiaio.any_asset.criticality_value") as? [Int] == [95])
        #expect(H.value(event, "sekoiaio.any_asset.criticality_display") as? [String] == ["high"])
        #expect(H.value(event, "sekoiaio.any_asset.tags") as? [String]
                == ["domain-controller", "tier0"])
        #expect(H.value(event, "sekoiaio.assets.host.uuid") as? [String] == [uuid])
        #expect(H.value(event, "sekoiaio.assets.host.criticality_value") as? [Int] == [95])
        #expect(try cli.listAssets().count == 1)

        // An event of no entity does not see an asset of DMZ-1 (SPEC §1).
        let outside = #"{"@timestamp":"2024-05-01T11:00:00Z","source":{"ip":"10.0.0.10"}}"#
        let other = try cli.ingest([outside], name: "outside.ndjson")
        #expect(other.outputLines == [outside])
    }

    // MARK: - Import

    @Test func csvImportRefusesBadRowsAndImportsTheGoodOnes() throws {
        guard let cli = try H.make("import-csv") else { return }
        defer { cli.remove() }
        let csv = """
            name,category,subcategory,criticality,tags,reviewed,description,entity,\
            atom.hostname,atom.ipv4,property.owner
            web-01,host,server,80,web;prod,true,Front web server,,web-01,10.1.0.5,web-team
            ws-bad,hots,,10,,,,,,,
            db-01,host,server,150,db,,,,db-01,,
            jdoe,account,user,40,vip,false,John Doe,,,,
            ws-02,host,desktop,20,,,,,ws-02,999.1.1.1,
            short,host

            """
        let path = try cli.directory.write("cmdb.csv", csv)
        let result = try cli.run(["assets", "import", path])
        #expect(result.status == 1)
        #expect(result.outputText == "imported 2 assets; refused 4 rows\n")
        let warnings = result.standardError.split(separator: "\n").map(String.init)
        let expected: [(row: Int, column: String?, quote: String)] = [
            (3, "category", "hots"), (4, "criticality", "150"), (6, "atom.ipv4", "999.1.1.1"),
            (7, nil, "2 fields"),
        ]
        for (row, column, quote) in expected {
            let prefix = "\(path): row \(row)" + (column.map { ", column '\($0)'" } ?? "")
            let line = warnings.first { $0.contains(prefix) }
            #expect(line?.contains(quote) == true,
                    "no refusal naming row \(row) and '\(quote)' in:\n\(result.standardError)")
        }
        let assets = try cli.listAssets().assets
        #expect(assets.names == ["jdoe", "web-01"])
        let web = try #require(assets.first { $0["name"] as? String == "web-01" })
        #expect(web["tags"] as? [String] == ["prod", "web"])
        #expect(web["reviewed"] as? Bool == true)
        #expect((web["properties"] as? [String: Any])?["owner"] as? String == "web-team")
    }

    @Test func jsonLinesImportRefusesBadRowsAndImportsTheGoodOnes() throws {
        guard let cli = try H.make("import-jsonl") else { return }
        defer { cli.remove() }
        let lines = [
            #"{"name":"vpn-gw","category":"host","criticality":70,"tags":["edge"],"#
                + #""atoms":{"ipv4":["10.2.0.1"]}}"#,
            #"{"name":"","category":"host"}"#,
            "not json",
            #"{"name":"svc-backup","category":"account","subcategory":"service","#
                + #""criticality":"high"}"#,
            #"{"name":"corp-lan","category":"network","atoms":{"cidr":["10.0.0.0/8"]},"#
                + #""criticality":30}"#,
        ]
        let path = try cli.directory.write("assets.jsonl", lines.joined(separator: "\n") + "\n")
        let result = try cli.run(["assets", "import", path])
        #expect(result.status == 1)
        #expect(result.outputText == "imported 2 assets; refused 3 rows\n")
        for (row, detail) in [(2, "column 'name'"), (3, "JSON"), (4, "column 'criticality'")] {
            #expect(result.standardError.contains("\(path): row \(row)"), "row \(row) not named")
            let line = result.standardError.split(separator: "\n")
                .first { $0.contains("row \(row)") }
            #expect(line?.contains(detail) == true, "row \(row): \(line ?? "nothing")")
        }
        #expect(try cli.listAssets().assets.names == ["corp-lan", "vpn-gw"])
    }

    /// A community is a tenant, chosen by name: a name that lists like
    /// another but is another string (`café` with a combining accent), or
    /// that is no name (`-`, which `tokens list` shows for an operator
    /// token), is refused; `ACME` for the store's `acme` is taken with a
    /// note naming it (a new tenant starts so too). A community the store
    /// holds already is taken whatever its name.
    @Test func tokenCommunitiesThatWouldSplitATenantAreRefusedOrNoted() throws {
        guard let cli = try H.make("token-community") else { return }
        defer { cli.remove() }
        #expect(try cli.run(["assets", "create", "--community", "acme", "--category", "host",
                             "--name", "dc-01", "--atom", "hostname=dc-01"]).status == 0)
        for (name, reason) in [("-", "it needs a letter or a digit"),
                               ("..", "it needs a letter or a digit"),
                               ("cafe\u{301}", "precomposed (Unicode NFC)")] {
            let result = try cli.run(["tokens", "create", "--community", name, "--role", "reader"])
            #expect(result.status == 2 && result.standardError.contains(reason),
                    "\(name.unicodeScalars.map(\.value)): \(result.standardError)")
        }
        let upper = try cli.run(["tokens", "create", "--community", "ACME", "--role", "reader"])
        #expect(upper.status == 0)
        #expect(upper.standardError.contains("note: the community 'ACME' holds no asset; the "
                                             + "store's communities: acme (did you mean 'acme'?)"),
                "\(upper.standardError)")
        let own = try cli.run(["tokens", "create", "--community", "acme", "--role", "reader"])
        #expect(own.status == 0 && own.standardError.isEmpty, "\(own.standardError)")
        // Those rules are a new tenant's: a community the store holds keeps
        // its name, for every command (`_` was a name before them).
        #expect(try cli.run(["assets", "create", "--community", "_", "--category", "host",
                             "--name", "lab-01", "--atom", "hostname=lab-01"]).status == 0)
        #expect(try cli.run(["tokens", "create", "--community", "_", "--role", "reader"])
                    .status == 0)
        #expect(try cli.run(["assets", "list", "--community", "_"]).outputText.contains("lab-01"))
    }

    /// An export of another community is refused row by row on every
    /// path of the command line's import (new assets alone went straight
    /// into the store unchecked), a dry run against no store included;
    /// its own community's goes in.
    @Test func anotherCommunitysExportIsRefused() throws {
        guard let cli = try H.make("import-community") else { return }
        defer { cli.remove() }
        let path = try cli.directory.write("acme.jsonl",
                                           #"{"name":"a-01","category":"host","community":"acme"}"# + "\n")
        for extra in [["--dry-run"], []] {
            let refused = try cli.run(["assets", "import", path, "--community", "other"] + extra)
            #expect(refused.status == 1, "\(extra)")
            #expect(refused.standardError.contains("row 1, column 'community': the row is another "
                                                   + "community's"), "\(refused.standardError)")
        }
        let taken = try cli.run(["assets", "import", path, "--community", "acme"])
        #expect(taken.status == 0 && taken.outputText == "imported 1 asset; refused 0 rows\n",
                "\(taken.outputText)\(taken.standardError)")
    }

    /// The summary says where the first late and the first future event
    /// are: counted alone, they could not be found in a backfill.
    @Test func theSummaryLocatesTheFirstLateAndFutureEvents() throws {
        guard let cli = try H.make("late-located") else { return }
        defer { cli.remove() }
        let result = try cli.ingest([
            #"{"@timestamp":"2024-05-10T10:00:00Z","host":{"name":"ws-1"}}"#,
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-2"}}"#,
            #"{"@timestamp":"2024-05-01T11:00:00Z","host":{"name":"ws-3"}}"#,
            #"{"@timestamp":"2030-01-01T00:00:00Z","host":{"name":"ws-4"}}"#,
        ], name: "backfill.ndjson")
        #expect(result.standardError.contains("late events (no structure change; --lateness "
                                              + "widens the window; the first: "), "\(result.standardError)")
        #expect(result.standardError.contains("backfill.ndjson:2): 2\n"), "\(result.standardError)")
        #expect(result.standardError.contains("future events (no structure change; the first: "),
                "\(result.standardError)")
        #expect(result.standardError.contains("backfill.ndjson:4): 1\n"), "\(result.standardError)")
    }

    /// A `.json` file holding an array of assets, pretty-printed as a
    /// script writes it, imports object by object (it was read as CSV).
    @Test func aJSONArrayFileImports() throws {
        guard let cli = try H.make("import-array") else { return }
        defer { cli.remove() }
        let path = try cli.directory.write("cmdb.json", """
            [
              {
                "name": "dc-01",
                "category": "host",
                "criticality": 95,
                "atoms": {"hostname": ["dc-01"]}
              },
              {"name": "dc-02", "category": "host", "criticality": 1e400}
            ]
            """)
        let result = try cli.run(["assets", "import", path])
        #expect(result.status == 1)
        #expect(result.outputText == "imported 1 asset; refused 1 row\n")
        #expect(result.standardError.contains("\(path): row 2: a number in it is out of range"),
                "\(result.standardError)")
        #expect(try cli.listAssets().assets.names == ["dc-01"])
    }

    /// `assets list --json` imports back: a line naming an asset by its
    /// uuid updates that asset (the fields it gives), one without a uuid
    /// creates an asset, and a line as the asset already is changes
    /// nothing. An atom the export lists with the end of its interval is
    /// history, not confirmed again.
    @Test func anExportImportedBackUpdatesItsAssets() throws {
        guard let cli = try H.make("import-update") else { return }
        defer { cli.remove() }
        let first = try cli.directory.write("first.jsonl", [
            #"{"name":"dc-01","category":"host","criticality":95,"tags":["dc","crown"],"#
                + #""atoms":{"hostname":["dc-01"]}}"#,
            #"{"name":"svc-backup","category":"account","criticality":40}"#,
        ].joined(separator: "\n"))
        #expect(try cli.run(["assets", "import", first]).outputText
                == "imported 2 assets; refused 0 rows\n")
        let exported = try cli.run(["assets", "list", "--json"]).outputLines
        let dc = try #require(exported.first { $0.contains(#""name":"dc-01""#) })
        let uuid = try #require(try cli.listAssets().assets
            .first { $0["name"] as? String == "dc-01" }?["uuid"] as? String)
        // Rated 60, one tag fewer, and an atom it held until yesterday.
        let edited = dc.replacingOccurrences(of: #""criticality":95"#, with: #""criticality":60"#)
            .replacingOccurrences(of: #""tags":["crown","dc"]"#, with: #""tags":["dc"]"#)
            .replacingOccurrences(of: #""atoms":["#, with: #""atoms":[{"type":"ipv4","#
                + #""value":"10.9.9.9","kind":"observed","from":"2026-01-01T00:00:00Z","#
                + #""to":"2026-01-02T00:00:00Z"},"#)
        #expect(edited.contains(#""criticality":60"#) && edited.contains(#""tags":["dc"]"#)
                && edited.contains("10.9.9.9"), "the export changed shape: \(dc)")
        let unchanged = try #require(exported.first { $0.contains("svc-backup") })
        let second = try cli.directory.write("second.jsonl", [
            edited, unchanged, #"{"name":"ws-09","category":"host"}"#,
        ].joined(separator: "\n"))
        let result = try cli.run(["assets", "import", second])
        #expect(result.outputText
                == "imported 2 assets (1 new, 1 updated, 1 unchanged); refused 0 rows\n",
                "\(result.standardError)")
        #expect(result.standardError.contains("1 row (row 3) creates an asset that no atom "
                                              + "identifies: no event will match it"),
                "\(result.standardError)")
        // The same file again: ws-09 twice is said.
        let twice = try cli.run(["assets", "import", second, "--dry-run"]).standardError
        #expect(twice.contains("1 row (row 3) gives a new asset the name of one the community "
                               + "has"), "\(twice)")
        let assets = try cli.listAssets().assets
        #expect(assets.names == ["dc-01", "svc-backup", "ws-09"])
        let updated = try #require(assets.first { $0["name"] as? String == "dc-01" })
        #expect(updated["uuid"] as? String == uuid)
        #expect(updated["criticality"] as? Int == 60)
        #expect(updated["tags"] as? [String] == ["dc"])
        let atoms = (updated["atoms"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
        #expect(atoms == ["dc-01"])
        let audit = try cli.run(["audit", "--asset", uuid, "--json"]).outputLines.compactMap(H.object)
        #expect(audit.compactMap { $0["action"] as? String } == ["create", "update"])
        let change = try #require(audit.last)
        let login = ProcessInfo.processInfo.userName
        #expect(change["actor"] as? String
            == (login.isEmpty ? "cli" : "cli:\(login)") + " import:second.jsonl")
        let before = change["before"] as? [String: Any], after = change["after"] as? [String: Any]
        #expect(before?["criticality"] as? Int == 95 && after?["criticality"] as? Int == 60)
        #expect(before?["tags"] as? [String] == ["crown", "dc"] && after?["tags"] as? [String] == ["dc"])

        // The same through a spreadsheet: `--csv`, one cell edited.
        let table = try cli.run(["assets", "list", "--csv", "--limit", "0"])
        #expect(table.outputLines.first == "uuid,name,category,subcategory,criticality,tags,"
                + "reviewed,revoked,description,entity,updated_at,atom.hostname")
        let stamp = try #require(updated["updated_at"] as? String)
        #expect(table.outputLines.contains("\(uuid),dc-01,host,,60,dc,false,false,,,\(stamp),dc-01"),
                "\(table.outputText)")
        let sheet = try cli.directory.write("sheet.csv", table.outputText.replacingOccurrences(
            of: "\(uuid),dc-01,host,,60,", with: "\(uuid),dc-01,host,server,60,"))
        #expect(try cli.run(["assets", "import", sheet]).outputText
                == "imported 1 asset (0 new, 1 updated, 2 unchanged); refused 0 rows\n")
        #expect(try cli.listAssets().assets.first { $0["uuid"] as? String == uuid }?["subcategory"]
                as? String == "server")
        // An emptied atom cell removes nothing, and says so.
        let emptied = try cli.directory.write("emptied.csv", "uuid,atom.hostname\n\(uuid),\n")
        let kept = try cli.run(["assets", "import", emptied])
        #expect(kept.outputText == "imported 0 assets (0 new, 0 updated, 1 unchanged); refused 0 rows\n")
        #expect(kept.standardError.contains("1 row (row 2) leaves out atoms their asset holds as "
                                            + "confirmed; they stay"), "\(kept.standardError)")
        let restamped = try #require(try cli.listAssets().assets
            .first { $0["uuid"] as? String == uuid }?["updated_at"] as? String)
        #expect(restamped != stamp)
        #expect(try cli.run(["assets", "list", "--csv", "--search", "dc-01"]).outputText
            .contains("\(uuid),dc-01,host,server,60,dc,false,false,,,\(restamped),dc-01"))
        let firstOnly = try cli.run(["assets", "list", "--csv", "--limit", "1"])
        #expect(firstOnly.standardError == "3 matching assets (these are 1–1; --limit 0 gives all)\n")

        // A category cannot change, and one asset takes one row.
        let refused = try cli.directory.write("third.jsonl", [
            edited.replacingOccurrences(of: #""category":"host""#, with: #""category":"account""#),
            edited, edited,
        ].joined(separator: "\n"))
        let refusal = try cli.run(["assets", "import", refused])
        #expect(refusal.status == 1)
        #expect(refusal.standardError.contains("row 1, column 'category'"), "\(refusal.standardError)")
        #expect(refusal.standardError.contains("row 3, column 'uuid': row 1 gives this uuid already"),
                "\(refusal.standardError)")
    }

    /// What an export says that is not the asset's now stays out of an
    /// import: an atom a person rejected stays rejected, and one whose
    /// interval ended is not confirmed again; an atom two hosts hold
    /// (discovered hosts of one short name) is no conflict for either; an
    /// address still held comes along into another store; an empty
    /// property cell removes the property; a dry run leaves no store.
    @Test func anImportLeavesOutWhatTheAssetNoLongerHolds() throws {
        guard let cli = try H.make("import-history") else { return }
        defer { cli.remove() }
        // Two machines named "dup" (their host ids differ), and ws-02 seen
        // with an address an hour ago: held for 7 days unless seen again.
        let recent = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3_600))
        let events = try cli.directory.write("events.ndjson", [
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"dup","id":"hid-AAA"}}"#,
            #"{"@timestamp":"2024-05-01T10:01:00Z","host":{"name":"dup","id":"hid-BBB"}}"#,
            #"{"@timestamp":"\#(recent)","host":{"name":"ws-02","ip":["10.0.0.6"]}}"#,
        ].joined(separator: "\n") + "\n")
        #expect(try cli.run(["ingest", "--no-output", events]).status == 0)
        let ws = try #require(try cli.listAssets().assets.first { $0["name"] as? String == "ws-02" })
        let uuid = try #require(ws["uuid"] as? String)
        let alias = try cli.directory.write("alias.csv",
                                            "uuid,atom.hostname,property.owner\n\(uuid),ws-02-old,it\n")
        #expect(try cli.run(["assets", "import", alias]).outputText
                == "imported 1 asset (0 new, 1 updated); refused 0 rows\n")
        #expect(try cli.run(["atoms", "reject", uuid, "hostname=ws-02-old"]).status == 0)
        // The timeline says what the rejected attachment had been, not as
        // a holding ("never held (rejected)  ws-02  confirmed  confirmed by").
        let login = ProcessInfo.processInfo.userName
        #expect(try cli.run(["atoms", "show", "ws-02-old"]).outputLines.last
            == "    never held: rejected for ws-02 (it had been confirmed, confirmed by "
            + (login.isEmpty ? "cli" : "cli:\(login)") + " import:alias.csv)")

        let export = try cli.run(["assets", "list", "--json"]).outputText
        let path = try cli.directory.write("export.jsonl", export)
        let again = try cli.run(["assets", "import", path])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.outputText == "imported 0 assets (0 new, 0 updated, 3 unchanged); refused 0 rows\n")
        let atoms = try #require(try cli.listAssets().assets
            .first { $0["uuid"] as? String == uuid }?["atoms"] as? [[String: Any]])
        let old = atoms.first { $0["value"] as? String == "ws-02-old" }
        #expect(old?["rejected"] as? Bool == true, "\(atoms)")

        // Into a store of its own: the address ws-02 holds comes along,
        // the rejected name does not; and a name two new assets would
        // share is refused to the second (an exclusive atom).
        let other = try cli.binary.run(["assets", "import", path, "--db", "other.db"],
                                       in: cli.directory.url)
        #expect(other.outputText == "imported 2 assets; refused 1 row\n")
        #expect(other.standardError.contains("hostname 'dup' is also given to 'dup' earlier in the same input"),
                "\(other.standardError)")
        #expect(other.standardError.contains("2 rows (row 1, 3) gave a uuid that no asset of the "
                                             + "community has: each created a new asset"),
                "\(other.standardError)")
        let copied = try cli.binary.run(["assets", "list", "--json", "--db", "other.db"],
                                        in: cli.directory.url).outputLines.compactMap(H.object)
        let copy = try #require(copied.first { $0["name"] as? String == "ws-02" })
        // Its uuid kept: no asset of that store had it.
        #expect(copy["uuid"] as? String == uuid)
        let values = (copy["atoms"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
        #expect(values.sorted() == ["10.0.0.6", "ws-02"], "\(copy)")

        let cleared = try cli.directory.write("clear.csv", "uuid,property.owner\n\(uuid),\n")
        #expect(try cli.run(["assets", "import", cleared]).outputText
                == "imported 1 asset (0 new, 1 updated); refused 0 rows\n")
        let properties = try cli.listAssets().assets
            .first { $0["uuid"] as? String == uuid }?["properties"] as? [String: Any]
        #expect(properties?["owner"] == nil, "\(properties ?? [:])")

        let dry = try cli.binary.run(["assets", "import", path, "--dry-run", "--db", "none.db"],
                                     in: cli.directory.url)
        #expect(dry.outputText == "would import 2 assets; refused 1 row\n", "\(dry.standardError)")
        #expect(!FileManager.default.fileExists(atPath: cli.directory.path("none.db")))
    }

    /// What a CSV cell cannot hold whole is refused or written another way,
    /// so that an unedited spreadsheet imports back unchanged: an atom
    /// given by hand holds no semicolon (the atoms' separator), a list whose
    /// items hold commas (or none) is written as a JSON list, a formula
    /// disguised by a combining accent is still neutralised, and a hostile
    /// cell quoted in a warning does not reach the terminal raw.
    @Test func whatACSVCellCannotHoldSurvivesTheRoundTrip() throws {
        guard let cli = try H.make("csv-cells") else { return }
        defer { cli.remove() }
        let semicolon = try cli.run(["assets", "create", "--category", "account", "--name", "semi",
                                     "--atom", "username=x;y"])
        #expect(semicolon.status != 0)
        #expect(semicolon.standardError.contains("cannot hold a semicolon"), "\(semicolon.standardError)")

        let formula = "=\u{301}HYPERLINK(1)"
        let lines = try cli.directory.write("assets.jsonl", [
            #"{"name":"listy","category":"host","properties":{"edr_agent_id":["a,b","c"]}}"#,
            #"{"name":"empty","category":"host","properties":{"edr_agent_id":[]}}"#,
            #"{"name":"plain","category":"host","properties":{"edr_agent_id":["a","b"]}}"#,
            #"{"name":"\#(formula)","category":"host"}"#,
        ].joined(separator: "\n"))
        #expect(try cli.run(["assets", "import", lines]).outputText == "imported 4 assets; refused 0 rows\n")
        let table = try cli.run(["assets", "list", "--csv", "--limit", "0"]).outputText
        let stamps = Dictionary(uniqueKeysWithValues: try cli.listAssets().assets.map {
            ($0["name"] as? String ?? "", $0["updated_at"] as? String ?? "")
        })
        #expect(table.contains(#",listy,host,,,,false,false,,,"# + stamps["listy"]!
                               + #","[""a,b"",""c""]""#), "\(table)")
        #expect(table.contains(",empty,host,,,,false,false,,,\(stamps["empty"]!),[]"), "\(table)")
        #expect(table.contains(",plain,host,,,,false,false,,,\(stamps["plain"]!),\"a,b\""), "\(table)")
        #expect(table.contains(",'\(formula),host,"), "\(table)")
        let sheet = try cli.directory.write("sheet.csv", table)
        let again = try cli.run(["assets", "import", sheet])
        #expect(again.outputText == "imported 0 assets (0 new, 0 updated, 4 unchanged); refused 0 rows\n",
                "\(again.standardError)")
        #expect(again.standardError.isEmpty, "\(again.standardError)")
        let listy = try cli.listAssets().assets.first { $0["name"] as? String == "listy" }
        #expect((listy?["properties"] as? [String: Any])?["edr_agent_id"] as? [String] == ["a,b", "c"])

        // A spreadsheet that saved its CSV with semicolons is told so.
        let semicolons = try cli.directory.write("semicolons.csv", "name;category\nx;host\n")
        #expect(try cli.run(["assets", "import", semicolons]).standardError
            .contains("the file seems separated by ';' where CSV separates by commas"))
        // An atom column of no type is refused from the header, even with
        // its cells empty (it imported the row, the column unread).
        let bogus = try cli.directory.write("bogus.csv", "name,category,atom.bogus\nx,host,\n")
        let refused = try cli.run(["assets", "import", bogus])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("column 'atom.bogus': unknown atom type 'bogus'"),
                "\(refused.standardError)")

        let hostile = try cli.directory.write("hostile.csv", "name,category,criticality\nx,host,\"9\u{1B}[31m\"\n")
        let warning = try cli.run(["assets", "import", hostile]).standardError
        #expect(warning.contains("9\\u{1B}[31m") && !warning.contains("\u{1B}"), "\(warning)")
    }

    /// Standard input is read from its start at every run: its lateness
    /// window starts over, and is its community's own. One key for every
    /// run and community made globex's event late after acme's.
    @Test func standardInputStartsItsLatenessWindowOverEachRun() throws {
        guard let cli = try H.make("stdin-lateness") else { return }
        defer { cli.remove() }
        func ingest(_ community: String, _ time: String, _ host: String) throws -> String {
            try cli.run(["ingest", "--community", community, "--now", "2024-05-11T00:00:00Z",
                         "--no-output"],
                        input: #"{"@timestamp":"\#(time)","host":{"name":"\#(host)"}}"# + "\n")
                .standardError
        }
        #expect(try ingest("acme", "2024-05-10T10:00:00Z", "acme-ws1")
            .contains("assets discovered      1"))
        let globex = try ingest("globex", "2024-05-08T10:00:00Z", "globex-ws1")
        #expect(globex.contains("assets discovered      1") && !globex.contains("late events"), "\(globex)")
        // The same community's next run too: a new stream.
        let again = try ingest("acme", "2024-05-08T09:00:00Z", "acme-ws2")
        #expect(again.contains("assets discovered      1") && !again.contains("late events"), "\(again)")
    }

    /// An atom rejected ahead of discovery (the asset never held it) shows
    /// among the rejected atoms, where only the audit trail told of it; a
    /// confirmed atom rejected before any event is "never seen", not seen
    /// at -infinity.
    @Test func aRejectionAheadOfDiscoveryShows() throws {
        guard let cli = try H.make("rejected-ahead") else { return }
        defer { cli.remove() }
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "I"]).status == 0)
        #expect(try cli.run(["atoms", "reject", "I", "ipv4=10.6.6.7"]).status == 0)
        #expect(try cli.run(["atoms", "confirm", "I", "ipv4=10.6.6.6"]).status == 0)
        #expect(try cli.run(["atoms", "reject", "I", "ipv4=10.6.6.6"]).status == 0)
        let page = try cli.run(["assets", "show", "I"]).outputLines
        let section = page.drop { !$0.hasPrefix("Rejected atoms") }.dropFirst().prefix(2)
        #expect(section.map { $0.split(separator: " ", omittingEmptySubsequences: true)
            .joined(separator: " ") } == ["ipv4 10.6.6.6 was confirmed, never seen in events",
                                          "ipv4 10.6.6.7 never held"], "\(page)")
        let shown = try cli.run(["assets", "show", "I", "--json"]).outputText
        let atoms = (try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])?[
            "atoms"] as? [[String: Any]] ?? []
        #expect(atoms.filter { $0["rejected"] as? Bool == true }.compactMap { $0["value"] as? String }
                    .sorted() == ["10.6.6.6", "10.6.6.7"], "\(shown)")
    }

    /// SPEC §2, one host at a time: a host created with an address that
    /// discovery saw on another takes it; the sighting ends there, where it
    /// stood until it expired and events named both hosts.
    @Test func aHostCreatedWithAnAddressTakesItFromItsObserver() throws {
        guard let cli = try H.make("address-taken") else { return }
        defer { cli.remove() }
        // An hour ago: the sighting holds for a week unless something ends it.
        let seen = EventTime(Date().addingTimeInterval(-3_600)).description
        let events = try cli.directory.write("seen.ndjson", #"{"@timestamp":"\#(seen)","#
                                             + #""host":{"name":"srv-db","ip":"10.20.0.2"}}"# + "\n")
        #expect(try cli.run(["ingest", "--no-output", events]).status == 0)
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "NEW",
                             "--atom", "ipv4=10.20.0.2"]).status == 0)
        let shown = try cli.run(["atoms", "show", "10.20.0.2", "--json"]).outputText
        let object = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8))
            as? [String: Any])
        let holders = (object["holders"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(holders == ["NEW"], "\(shown)")
        let timeline = object["timeline"] as? [[String: Any]] ?? []
        let sighting = try #require(timeline.first { $0["name"] as? String == "srv-db" })
        #expect(sighting["to"] is String, "\(sighting)")
    }

    /// Discovery attaches a user name holding a semicolon (only a person's
    /// are refused, for CSV's sake); the JSON export of its account
    /// imports back, into the same store and into another.
    @Test func anObservedAtomWithASemicolonImportsBack() throws {
        guard let cli = try H.make("semicolon-observed") else { return }
        defer { cli.remove() }
        let ingested = try cli.ingest([
            #"{"@timestamp":"2024-05-01T10:01:00Z","host":{"name":"srv-db"},"#
                + #""user":{"name":"bob;semi"}}"#])
        #expect(ingested.status == 0, "\(ingested.standardError)")
        let export = try cli.run(["assets", "list", "--json"]).outputText
        let file = try cli.directory.write("export.jsonl", export)
        let same = try cli.run(["assets", "import", file])
        #expect(same.outputText == "imported 0 assets (0 new, 0 updated, 2 unchanged); "
                + "refused 0 rows\n", "\(same.standardError)")
        let other = ["--db", cli.directory.path("other.db")]
        let fresh = try cli.binary.run(["assets", "import", file] + other, in: cli.directory.url)
        #expect(fresh.outputText == "imported 2 assets; refused 0 rows\n", "\(fresh.standardError)")
    }

    /// An atom object of a JSON line holds an export's members alone: a
    /// misspelt one (`knd`) or a kind of no meaning is refused, not read
    /// as a confirmation.
    @Test func anAtomObjectWithAnUnknownMemberIsRefused() throws {
        guard let cli = try H.make("atom-members") else { return }
        defer { cli.remove() }
        for (item, reason) in [
            (#"{"type":"ipv4","value":"10.1.1.1","knd":"observed"}"#,
             "unknown atom member 'knd'"),
            (#"{"type":"ipv4","value":"10.1.1.1","kind":"maybe"}"#,
             "an atom's kind is confirmed or observed"),
        ] {
            let file = try cli.directory.write("row.jsonl",
                                               #"{"name":"h","category":"host","atoms":["#
                                                   + item + "]}\n")
            let refused = try cli.run(["assets", "import", file])
            #expect(refused.status == 1)
            #expect(refused.standardError.contains(reason), "\(refused.standardError)")
        }
    }

    /// SPEC §1: a revoked asset leaves the views and matches no event; an
    /// export imported into another store keeps it so (it came back live),
    /// from CSV and from JSON lines, and a row may revoke or restore one.
    @Test func aRevokedAssetStaysRevokedThroughAnExport() throws {
        guard let cli = try H.make("revoked-round-trip") else { return }
        defer { cli.remove() }
        for name in ["live", "gone"] {
            #expect(try cli.run(["assets", "create", "--category", "host", "--name", name,
                                 "--atom", "hostname=\(name)"]).status == 0)
        }
        #expect(try cli.run(["assets", "revoke", "gone"]).status == 0)
        for format in ["--csv", "--json"] {
            let export = try cli.run(["assets", "list", "--revoked", format]).outputText
            let file = try cli.directory.write("export\(format).txt", export)
            let other = ["--db", cli.directory.path("other\(format).db")]
            let imported = try cli.binary.run(["assets", "import", file, "--format",
                                               format == "--csv" ? "csv" : "jsonl"] + other,
                                              in: cli.directory.url)
            #expect(imported.status == 0, "\(imported.standardError)")
            let listed = try cli.binary.run(["assets", "list", "--revoked", "--json"] + other,
                                            in: cli.directory.url).outputLines
            let revoked = Dictionary(uniqueKeysWithValues: listed.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    .flatMap { object in
                        (object["name"] as? String).map { ($0, object["revoked"] as? Bool) }
                    }
            })
            #expect(revoked == ["live": false, "gone": true], "\(format)")
        }
        // In the same store, a row of its uuid saying so restores the asset.
        let gone = try #require(try cli.run(["assets", "list", "--revoked", "--json"]).outputLines
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["name"] as? String == "gone" }?["uuid"] as? String)
        let row = try cli.directory.write("restore.jsonl", #"{"uuid":"\#(gone)","revoked":false}"#)
        #expect(try cli.run(["assets", "import", row]).status == 0)
        #expect(try cli.listAssets().assets.compactMap { $0["name"] as? String }.sorted()
                == ["gone", "live"])
    }

    /// SPEC §4: filters combine, and the count of matches is always shown.
    /// A property whose definition was removed stays on the assets that
    /// hold it; their export still imports back unchanged (it was refused
    /// as an unknown property). It is defined again with another type only
    /// once no asset holds a value of the old one.
    @Test func anExportImportsBackAfterItsPropertyWasRemovedOrRetyped() throws {
        guard let cli = try H.make("property-removed") else { return }
        defer { cli.remove() }
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "FW-01",
                             "--atom", "hostname=fw-01"]).status == 0)
        let defined = try cli.run(["properties", "define", "patched", "--category", "host",
                                   "--type", "boolean"])
        #expect(defined.outputText == "defined the host property 'patched' (boolean)\n")
        #expect(try cli.run(["assets", "update", "FW-01", "--property", "patched=true"])
            .status == 0)
        let removed = try cli.run(["properties", "remove", "patched", "--category", "host"])
        #expect(removed.status == 0)
        #expect(removed.standardError.contains("1 asset keeps a value of it"),
                "\(removed.standardError)")
        let sheet = try cli.directory.write("sheet.csv",
                                            try cli.run(["assets", "list", "--csv"]).outputText)
        #expect(try String(contentsOfFile: sheet, encoding: .utf8).contains(",true\n"))
        let again = try cli.run(["assets", "import", sheet])
        #expect(again.outputText == "imported 0 assets (0 new, 0 updated, 1 unchanged); "
                + "refused 0 rows\n", "\(again.standardError)")
        // Defined again as a number while FW-01 holds true: refused, as a
        // number property holding a boolean would mislead every reader.
        let retyped = try cli.run(["properties", "define", "patched", "--category", "host",
                                   "--type", "number"])
        #expect(retyped.status != 0)
        #expect(retyped.standardError.contains("1 host holds a value of 'patched' that is not a "
                                               + "number (boolean, left by its earlier "
                                               + "definition)"), "\(retyped.standardError)")
        // Cleared, it may be; then a value must be a number.
        #expect(try cli.run(["assets", "update", "FW-01", "--property", "patched="]).status == 0)
        #expect(try cli.run(["properties", "define", "patched", "--category", "host",
                             "--type", "number"]).status == 0)
        let changed = try cli.directory.write(
            "changed.csv", try String(contentsOfFile: sheet, encoding: .utf8)
                .replacingOccurrences(of: ",true\n", with: ",false\n"))
        let refused = try cli.run(["assets", "import", changed])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("property 'patched' is a number"),
                "\(refused.standardError)")
    }

    /// An edit names an asset by uuid or name, never by an atom (an
    /// address is another host's tomorrow); a name that is an atom of one
    /// asset now says which asset that is.
    @Test func anEditByAnAtomSaysWhichAssetHoldsIt() throws {
        guard let cli = try H.make("edit-by-atom") else { return }
        defer { cli.remove() }
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "DC01",
                             "--atom", "fqdn=dc01.contoso.local", "--atom", "ipv4=10.0.0.10"])
            .status == 0)
        for reference in ["dc01.contoso.local", "10.0.0.10"] {
            let edit = try cli.run(["assets", "update", reference, "--criticality", "90"])
            #expect(edit.status != 0)
            #expect(edit.standardError.contains("DC01 (") && edit.standardError.contains(
                "holds '\(reference)' as an atom: name it by its name or uuid"),
                "\(edit.standardError)")
        }
        let unknown = try cli.run(["assets", "update", "nothing-here", "--criticality", "90"])
        #expect(!unknown.standardError.contains("as an atom"), "\(unknown.standardError)")
    }

    @Test func listFiltersCombineWithTheCount() throws {
        guard let cli = try H.make("list") else { return }
        defer { cli.remove() }
        let lines = [
            #"{"name":"web-01","category":"host","criticality":80,"tags":["web","prod"],"#
                + #""reviewed":true,"atoms":{"hostname":["web-01"]}}"#,
            #"{"name":"vpn-gw","category":"host","criticality":70,"tags":["edge"],"#
                + #""atoms":{"ipv4":["10.2.0.1"]}}"#,
            #"{"name":"ws-17","category":"host","tags":["prod"]}"#,
            #"{"name":"jdoe","category":"account","criticality":40,"tags":["vip"]}"#,
            #"{"name":"corp-lan","category":"network","criticality":30,"#
                + #""atoms":{"cidr":["10.0.0.0/8"]}}"#,
        ]
        let path = try cli.directory.write("assets.jsonl", lines.joined(separator: "\n"))
        #expect(try cli.run(["assets", "import", path]).status == 0)

        let cases: [([String], [String])] = [
            ([], ["corp-lan", "jdoe", "vpn-gw", "web-01", "ws-17"]),
            (["--category", "host", "--criticality", "75-100"], ["web-01"]),
            (["--category", "host", "--category", "network", "--reviewed", "false"],
             ["corp-lan", "vpn-gw", "ws-17"]),
            (["--tag", "prod"], ["web-01", "ws-17"]),
            (["--tag", "prod", "--tag", "web"], ["web-01"]),
            (["--tag", "prod", "--criticality", "unrated"], ["ws-17"]),
            (["--tag", "web", "--tag", "vip"], []),
            (["--source", "manual", "--criticality", "0-50"], ["corp-lan", "jdoe"]),
            (["--search", "10.2.0.1"], ["vpn-gw"]),
            (["--search", "vpn", "--category", "account"], []),
            // The list's labels, by the standard bounds: high 68-100,
            // medium 34-67, low 0-33.
            (["--criticality", "high"], ["vpn-gw", "web-01"]),
            (["--criticality", "Medium"], ["jdoe"]),
            (["--criticality", "low"], ["corp-lan"]),
        ]
        for (filters, names) in cases {
            let (assets, count) = try cli.listAssets(filters)
            #expect(assets.names == names, "filters \(filters)")
            #expect(count == names.count, "count for filters \(filters)")
        }
        let table = try cli.run(["assets", "list", "--tag", "prod", "--limit", "1"])
        #expect(table.outputLines.last == "2 matching assets (showing 1–1)")
    }

    // MARK: - Timeline

    /// 10.0.0.7 leased to laptop-12 at 08:00 (May 1st), released at 12:00,
    /// leased to laptop-40 at 14:00 (Microsoft DHCP).
    static let tenZeroZeroSevenMoves: [String] = {
        func lease(_ time: String, _ action: String, _ host: String, _ mac: String) -> String {
            #"{"@timestamp":"2024-05-01T\#(time):00Z","#
                + #""event":{"dataset":"microsoft_dhcp.log","action":"\#(action)"},"#
                + #""host":{"ip":"10.0.0.7","name":"\#(host)","mac":"\#(mac)"}}"#
        }
        return [lease("08:00", "dhcp-new", "laptop-12", "00-11-22-33-44-12"),
                lease("12:00", "dhcp-release", "laptop-12", "00-11-22-33-44-12"),
                lease("14:00", "dhcp-new", "laptop-40", "00-11-22-33-44-40")]
    }()

    /// SPEC §2 "Timeline": a lease to laptop-12, its release, then a lease
    /// of the same address to laptop-40. A day alone is its first instant
    /// (UTC): before the first lease on May 1, laptop-40's on May 2.
    @Test(arguments: [
        ("2024-05-01", [String]()),
        ("2024-05-02", ["laptop-40"]),
        ("2024-05-01T07:00:00Z", [String]()),
        ("2024-05-01T08:00:00Z", ["laptop-12"]),
        ("2024-05-01T10:00:00Z", ["laptop-12"]),
        ("2024-05-01T12:00:00Z", []),
        ("2024-05-01T13:00:00Z", []),
        ("2024-05-01T15:00:00Z", ["laptop-40"]),
    ])
    func atomsShowAnswersAsOfTheGivenTime(at: String, holders: [String]) throws {
        guard let cli = try H.make("atoms") else { return }
        defer { cli.remove() }
        #expect(try cli.ingest(Self.tenZeroZeroSevenMoves, options: ["--no-output"]).status == 0)
        let shown = try cli.run(["atoms", "show", "10.0.0.7", "--at", at, "--json"])
        #expect(shown.status == 0, "\(shown.standardError)")
        let answer = try #require(shown.outputLines.first.flatMap(H.object))
        #expect(answer["type"] as? String == "ipv4")
        let names = (answer["holders"] as? [[String: Any]] ?? []).names
        #expect(names == holders, "holders of 10.0.0.7 at \(at)")
    }

    /// A bare user name names the domain accounts of that name, as
    /// `assets show alice` finds CORP\alice: `atoms show alice` said no
    /// asset held it, and nothing more.
    @Test func atomsShowNamesTheDomainAccountsOfABareName() throws {
        guard let cli = try H.make("atoms-bare") else { return }
        defer { cli.remove() }
        let events = ["CORP", "LAB"].map { domain in
            #"{"@timestamp":"2024-05-01T10:00:00Z","event":{"outcome":"success"},"#
                + #""user":{"name":"alice","domain":"\#(domain)"},"host":{"name":"ws-1"}}"#
        }
        #expect(try cli.ingest(events, options: ["--no-output"]).status == 0)
        let shown = try cli.run(["atoms", "show", "alice"])
        #expect(shown.outputText.contains("no asset holds 'alice' itself; the domain accounts "
                                          + #"of that name: 'corp\alice', 'lab\alice' "#
                                          + #"(atoms show 'corp\alice')"#), "\(shown.outputText)")
        let none = try cli.run(["atoms", "show", "bob"])
        #expect(none.outputText.contains("no asset holds 'bob', and no sighting of it is kept"))
        // An entity no asset can have is refused, as the API refuses it: it
        // matched nothing (or, empty, everything) without a word.
        for command in [["assets", "list"], ["atoms", "show", "alice"]] {
            let refused = try cli.run(command + ["--entity", "../x"])
            #expect(refused.status == 2)
            #expect(refused.standardError.contains("invalid entity '../x'"),
                    "\(refused.standardError)")
        }
    }

    /// A revoked asset keeps its history, and `atoms show` says that it is
    /// revoked, so its name beside an atom is not read as what enriches.
    @Test func atomsShowSaysAHolderIsRevoked() throws {
        guard let cli = try H.make("atoms-revoked") else { return }
        defer { cli.remove() }
        let created = try cli.run(["assets", "create", "--category", "host", "--name", "OLD-01",
                                   "--atom", "hostname=old-01"])
        #expect(created.status == 0)
        let uuid = try #require(created.outputLines.last)
        #expect(try cli.run(["assets", "revoke", "OLD-01"]).status == 0)
        let shown = try cli.run(["atoms", "show", "old-01"])
        #expect(shown.outputText.contains("held at") && shown.outputText.contains(
            "revoked: events are not enriched with it)"), "\(shown.outputText)")
        // A person's doing reads as such in the timeline, not "from created by".
        #expect(shown.outputText.contains(
                    "confirmed  created by cli:\(ProcessInfo.processInfo.userName)"),
                "\(shown.outputText)")
        let json = try cli.run(["atoms", "show", "old-01", "--json"]).outputLines
            .compactMap(H.object).first
        #expect((json?["holders"] as? [[String: Any]])?.first?["revoked"] as? Bool == true)
        // Listed among live assets with --revoked, it says which it is
        // (the rows looked alike); without a revoked row, no such column.
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "NEW-02"])
                    .status == 0)
        let listed = try cli.run(["assets", "list", "--revoked"]).outputLines
        let header = try #require(listed.first)
        #expect(header.contains("REVIEWED  REVOKED  LAST SEEN"), "\(listed)")
        let column = try #require(header.range(of: "REVOKED")).lowerBound
        func revokedCell(_ name: String) -> String? {
            guard let row = listed.first(where: { $0.hasPrefix(name + " ") }) else { return nil }
            let start = row.index(row.startIndex, offsetBy: header.distance(from: header.startIndex,
                                                                           to: column))
            return row[start...].split(separator: " ").first.map(String.init)
        }
        #expect(revokedCell("OLD-01") == "yes", "\(listed)")
        #expect(revokedCell("NEW-02") == "-", "\(listed)")
        #expect(try cli.run(["assets", "list"]).outputLines.first?.contains("REVOKED") == false)
        // A new asset of the name made meanwhile, with its hostname (the
        // revoked one's no longer refuses it): unrevoking records the clash
        // and says so, and names the namesake.
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "old-01",
                             "--atom", "hostname=old-01"]).status == 0)
        let back = try cli.run(["assets", "unrevoke", uuid])
        #expect(back.status == 0, "\(back.standardError)")
        #expect(back.standardError.contains("1 other live asset is named 'OLD-01'"),
                "\(back.standardError)")
        #expect(back.standardError.contains("(hostname:old-01 with old-01): recorded as 1 conflict"),
                "\(back.standardError)")
    }

    /// The list's ATOMS column holds what each asset holds now: an address
    /// last seen years ago has ended (the address expiry), as `atoms show`
    /// says, and is not listed as the host's address.
    @Test func theListShowsTheAtomsHeldNow() throws {
        guard let cli = try H.make("list-atoms-now") else { return }
        defer { cli.remove() }
        let recent = EventTime(Date()).description
        // On the real clock (no --now): the list asks about now.
        let events = try cli.directory.write("events.ndjson", [
            #"{"@timestamp":"2024-05-01T08:00:00Z","host":{"name":"old-pc","ip":"10.1.1.1"}}"#,
            #"{"@timestamp":"\#(recent)","host":{"name":"new-pc","ip":"10.1.1.2"}}"#,
        ].joined(separator: "\n") + "\n")
        let ingest = try cli.run(["ingest", "--no-output", "--lateness", "3650d", events])
        #expect(ingest.status == 0, "\(ingest.standardError)")
        let table = try cli.run(["assets", "list"]).outputLines
        let old = try #require(table.first { $0.hasPrefix("old-pc") })
        let new = try #require(table.first { $0.hasPrefix("new-pc") })
        #expect(old.contains("hostname:old-pc") && !old.contains("10.1.1.1"), "\(old)")
        #expect(new.contains("ipv4:10.1.1.2"), "\(new)")
    }

    /// An import reads standard input (`-`), as ingest does; a pipe named
    /// by path (`<(zcat cmdb.csv.gz)`) was refused as "permission denied".
    @Test func anImportReadsStandardInput() throws {
        guard let cli = try H.make("import-stdin") else { return }
        defer { cli.remove() }
        let piped = try cli.run(["assets", "import", "-", "--format", "csv"],
                                input: "name,category,atom.hostname\nsrv-9,host,srv-9\n")
        #expect(piped.outputText == "imported 1 asset; refused 0 rows\n", "\(piped.standardError)")
        let audit = try cli.run(["audit", "--json"]).outputText
        #expect(audit.contains("import:stdin"), "\(audit)")
    }

    /// A rename onto a name whose removed definition left values on assets
    /// would overwrite them: refused, as defining the name over them is.
    @Test func aRenameDoesNotOverwriteValuesLeftBehind() throws {
        guard let cli = try H.make("rename-over-leftovers") else { return }
        defer { cli.remove() }
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "h1"]).status == 0)
        for (name, type) in [("pa", "string"), ("pb", "number")] {
            #expect(try cli.run(["properties", "define", name, "--category", "host",
                                 "--type", type]).status == 0)
        }
        #expect(try cli.run(["assets", "update", "h1", "--property", "pa=old",
                             "--property", "pb=2"]).status == 0)
        #expect(try cli.run(["properties", "remove", "pa", "--category", "host"]).status == 0)
        let renamed = try cli.run(["properties", "rename", "pb", "pa", "--category", "host"])
        #expect(renamed.status != 0)
        #expect(renamed.standardError.contains("1 host holds a value of 'pa' left by its earlier "
                                               + "definition"), "\(renamed.standardError)")
        let properties = try cli.listAssets().assets.first?["properties"] as? [String: Any]
        #expect(properties?["pa"] as? String == "old" && properties?["pb"] as? Int == 2)
    }

    /// A rating is 0-100 or none in any case, and an empty one is refused
    /// (`create` took it for unrated; `bulk` answered in the API's words).
    @Test func aRatingIsANumberOrNone() throws {
        guard let cli = try H.make("rating-words") else { return }
        defer { cli.remove() }
        let empty = try cli.run(["assets", "create", "--category", "host", "--name", "h1",
                                 "--criticality", ""])
        #expect(empty.status == 2)
        #expect(empty.standardError.contains("'--criticality' takes 0-100, not an empty value"))
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "h2",
                             "--criticality", "50"]).status == 0)
        let word = try cli.run(["assets", "bulk", "--action", "set_criticality",
                                "--criticality", "high", "--id", "h2"])
        #expect(word.standardError.contains("'--criticality' takes 0-100 or none, not 'high'"),
                "\(word.standardError)")
        #expect(try cli.run(["assets", "bulk", "--action", "set_criticality",
                             "--criticality", "NONE", "--id", "h2"]).status == 0)
        #expect(try cli.listAssets().assets.first?["criticality"] is NSNull)
    }

    /// A network's sub-category is its family: a range of the other one
    /// is refused, naming both.
    @Test func aNetworksRangeIsOfItsFamily() throws {
        guard let cli = try H.make("network-family") else { return }
        defer { cli.remove() }
        for (family, range) in [("ipv6", "10.0.0.0/8"), ("ipv4", "2001:db8::/32")] {
            let refused = try cli.run(["assets", "create", "--category", "network",
                                       "--subcategory", family, "--name", "n",
                                       "--atom", "cidr=\(range)"])
            #expect(refused.status != 0)
            #expect(refused.standardError.contains("an \(family) network cannot hold the range "
                                                   + range), "\(refused.standardError)")
        }
        #expect(try cli.run(["assets", "create", "--category", "network", "--subcategory",
                             "ipv6", "--name", "v6", "--atom", "cidr=2001:db8::/32"]).status == 0)
        // Nor by confirming a range, or changing the sub-category, after.
        let confirmed = try cli.run(["atoms", "confirm", "v6", "cidr=10.0.0.0/8"])
        #expect(confirmed.standardError.contains("an ipv6 network cannot hold the range "
                                                 + "10.0.0.0/8"), "\(confirmed.standardError)")
        let updated = try cli.run(["assets", "update", "v6", "--subcategory", "ipv4"])
        #expect(updated.standardError.contains("an ipv4 network cannot hold the range "
                                               + "2001:db8::/32"), "\(updated.standardError)")
        let uuid = try #require(try cli.listAssets().assets
            .first { $0["name"] as? String == "v6" }?["uuid"] as? String)
        let row = try cli.directory.write("row.csv", "uuid,subcategory\n\(uuid),ipv4\n")
        let imported = try cli.run(["assets", "import", row])
        #expect(imported.status == 1)
        #expect(imported.standardError.contains("an ipv4 network cannot hold the range "
                                                + "2001:db8::/32"), "\(imported.standardError)")
    }

    /// An address inside a network's range is shown with that network,
    /// the longest prefix first, as events with it are enriched (it read
    /// "held by no asset" alone).
    @Test func atomsShowNamesTheNetworksAroundAnAddress() throws {
        guard let cli = try H.make("atoms-networks") else { return }
        defer { cli.remove() }
        for (name, range) in [("LAN", "10.20.0.0/16"), ("Servers", "10.20.5.0/24"),
                              ("Other", "192.168.0.0/16")] {
            let created = try cli.run(["assets", "create", "--category", "network",
                                       "--name", name, "--atom", "cidr=\(range)"])
            #expect(created.status == 0, "\(created.standardError)")
        }
        let text = try cli.run(["atoms", "show", "10.20.5.5"])
        #expect(text.status == 0, "\(text.standardError)")
        let inside = text.outputLines.filter { $0.hasPrefix("  inside ") }
        #expect(inside.count == 2)
        #expect(inside.first?.hasPrefix("  inside 10.20.5.0/24, network Servers (") == true)
        #expect(inside.last?.hasPrefix("  inside 10.20.0.0/16, network LAN (") == true)
        let json = try cli.run(["atoms", "show", "10.20.5.5", "--json"])
        let answer = try #require(json.outputLines.first.flatMap(H.object))
        let networks = (answer["networks"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(networks == ["Servers", "LAN"])
    }

    /// An export imported back unchanged confirms none of the atoms it
    /// listed as observed: the address ws-a was seen with when exported
    /// moved to ws-b since, and stays ws-b's alone (it was held by both).
    /// Times are today's, so that the exported interval is not over yet.
    @Test func anExportImportedBackConfirmsNoObservedAtom() throws {
        guard let cli = try H.make("export-observed") else { return }
        defer { cli.remove() }
        func event(_ host: String, hoursAgo: Double) -> String {
            let time = EventTime(Date().addingTimeInterval(-hoursAgo * 3600))
            return #"{"@timestamp":"\#(time)","host":{"name":"\#(host)","ip":"10.70.0.5"}}"#
        }
        let first = try cli.directory.write("a.ndjson", event("ws-a", hoursAgo: 2) + "\n")
        #expect(try cli.run(["ingest", "--no-output", first]).status == 0)
        let export = try cli.run(["assets", "list", "--json", "--limit", "0"])
        let exported = try cli.directory.write("export.jsonl", export.outputText)
        #expect(export.outputText.contains("\"kind\":\"observed\""), "\(export.outputText)")
        let second = try cli.directory.write("b.ndjson", event("ws-b", hoursAgo: 1) + "\n")
        #expect(try cli.run(["ingest", "--no-output", second]).status == 0)
        let imported = try cli.run(["assets", "import", exported])
        #expect(imported.status == 0, "\(imported.standardError)")
        let shown = try cli.run(["atoms", "show", "10.70.0.5", "--json"])
        let answer = try #require(shown.outputLines.first.flatMap(H.object))
        let holders = (answer["holders"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(holders == ["ws-b"], "\(shown.outputText)")
    }

    /// Issue #2, "an asset as it was at T": ws-1 runs Windows 10 with
    /// 10.0.0.5 on May 1st, Windows 11 with 10.0.0.9 from May 3rd, and is
    /// rated by hand afterwards. On May 2nd it is the first; before May
    /// 1st it did not exist.
    @Test func anAssetIsShownAsItWasAtATime() throws {
        guard let cli = try H.make("as-it-was") else { return }
        defer { cli.remove() }
        let ingested = try cli.ingest([
            #"{"@timestamp":"2024-05-01T08:00:00Z","host":{"name":"ws-1","ip":["10.0.0.5"],"#
                + #""os":{"name":"Windows 10","family":"windows"}}}"#,
            #"{"@timestamp":"2024-05-03T08:00:00Z","host":{"name":"ws-1","ip":["10.0.0.9"],"#
                + #""os":{"name":"Windows 11","family":"windows"}}}"#,
        ])
        #expect(ingested.status == 0, "\(ingested.standardError)")
        #expect(try cli.run(["assets", "update", "ws-1", "--criticality", "80"]).status == 0)
        func shown(_ options: [String]) throws -> [String: Any] {
            let result = try cli.run(["assets", "show", "ws-1", "--json"] + options)
            #expect(result.status == 0, "\(result.standardError)")
            return try #require(result.outputLines.first.flatMap(H.object))
        }
        func addresses(_ object: [String: Any]) -> [String] {
            (object["atoms"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "ipv4" }
                .compactMap { $0["value"] as? String }.sorted()
        }
        let now = try shown([])
        #expect((now["properties"] as? [String: Any])?["os"] as? String == "Windows 11")
        #expect(now["criticality"] as? Int == 80)
        let then = try shown(["--at", "2024-05-02T00:00:00Z"])
        #expect(then["at"] as? String == "2024-05-02T00:00:00.000Z")
        #expect((then["properties"] as? [String: Any])?["os"] as? String == "Windows 10")
        #expect(then["criticality"] is NSNull, "rated after May 2nd: unrated then")
        #expect(addresses(then) == ["10.0.0.5"])
        // Its last sighting up to then, not its latest (May 3rd): none was
        // shown, as if it had not been seen.
        #expect(then["last_seen"] as? String == "2024-05-01T08:00:00.000Z")
        #expect(then["first_seen"] as? String == "2024-05-01T08:00:00.000Z")
        // Seen again after then (May 3rd): the last seen is the latest kept
        // sighting, a lower bound, and says so.
        #expect(then["last_seen_is_lower_bound"] as? Bool == true)
        let later = try shown(["--at", "2024-05-03T09:00:00Z"])
        #expect(later["last_seen_is_lower_bound"] as? Bool == false)
        #expect((later["properties"] as? [String: Any])?["os"] as? String == "Windows 11")
        #expect(addresses(later) == ["10.0.0.5", "10.0.0.9"])
        let before = try cli.run(["assets", "show", "ws-1", "--at", "2024-04-30T00:00:00Z"])
        #expect(before.status != 0)
        #expect(before.standardError.contains("did not exist yet at 2024-04-30"),
                "\(before.standardError)")
        let text = try cli.run(["assets", "show", "ws-1", "--at", "2024-05-02T00:00:00Z"])
        #expect(text.outputText.hasPrefix("As it was at 2024-05-02T00:00:00.000Z"))
        #expect(!text.outputText.contains("10.0.0.9"), "\(text.outputText)")
        #expect(text.outputText.contains("  last seen     2024-05-01T08:00:00.000Z or later\n"),
                "\(text.outputText)")
        // Its addresses expired long ago by the clock; on May 4th, by
        // --now, 10.0.0.9 was held (seen the day before), and is listed.
        let listed = try cli.run(["assets", "list", "--now", "2024-05-04T00:00:00Z"]).outputText
        #expect(listed.contains("ipv4:10.0.0.9"), "\(listed)")
        #expect(!(try cli.run(["assets", "list"]).outputText.contains("ipv4:")))
        let page = try cli.run(["assets", "show", "ws-1", "--now", "2024-05-04T00:00:00Z"])
        #expect(page.outputText.contains("unless seen again"), "\(page.outputText)")
        // By an address it held then; 10.0.0.9 it held from May 3rd only.
        let byAddress = try cli.run(["assets", "show", "10.0.0.5", "--at", "2024-05-02T00:00:00Z"])
        #expect(byAddress.status == 0 && byAddress.outputText.contains("ws-1  (host)"))
        let notYet = try cli.run(["assets", "show", "10.0.0.9", "--at", "2024-05-02T00:00:00Z"])
        #expect(notYet.standardError.contains("no asset held it as an atom at 2024-05-02"),
                "\(notYet.standardError)")
    }

    /// An asset made today by hand, and one whose first event arrived after
    /// a later one, existed at the times events saw them: the README's
    /// DC-01, rated 95 before any event, is shown as it was on May 1st.
    @Test func anAssetSeenBeforeItWasMadeIsShownAsItWasThen() throws {
        guard let cli = try H.make("seen-before-made") else { return }
        defer { cli.remove() }
        let created = try cli.run(["assets", "create", "--category", "host", "--name", "DC-01",
                                   "--criticality", "95", "--atom", "hostname=dc-01"])
        #expect(created.status == 0, "\(created.standardError)")
        let ingested = try cli.ingest([
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-04"}}"#,
            #"{"@timestamp":"2024-05-01T09:00:00Z","host":{"name":"ws-04"}}"#,
            #"{"@timestamp":"2024-05-01T08:00:00Z","host":{"name":"dc-01"}}"#,
        ])
        #expect(ingested.status == 0, "\(ingested.standardError)")
        for (name, criticality) in [("DC-01", 95), ("ws-04", nil)] as [(String, Int?)] {
            let shown = try cli.run(["assets", "show", name, "--at", "2024-05-01T09:30:00Z",
                                     "--json"])
            #expect(shown.status == 0, "\(name): \(shown.standardError)")
            let object = try #require(shown.outputLines.first.flatMap(H.object))
            #expect(object["criticality"] as? Int == criticality, "\(name)")
        }
        let early = try cli.run(["assets", "show", "ws-04", "--at", "2024-05-01T08:30:00Z"])
        #expect(early.standardError.contains("did not exist yet"), "\(early.standardError)")
        // Made by hand: of all time, as its confirmed name is.
        let dcEarly = try cli.run(["assets", "show", "DC-01", "--at", "2020-01-01T00:00:00Z",
                                   "--json"])
        #expect(dcEarly.status == 0, "\(dcEarly.standardError)")
        // No change up to then: its last change is its making.
        let early2020 = try #require(dcEarly.outputLines.first.flatMap(H.object))
        #expect(early2020["updated_at"] as? String == early2020["created_at"] as? String)
    }

    /// SPEC §2 "Shared addresses": an address seen from five hosts within
    /// twenty minutes moves between more than 3 hosts within an hour, so
    /// at 10:25 it is held by no host. A restart between the sightings
    /// (a resumed file, as after a kill) must not change that.
    @Test(arguments: [1, 2])
    func sharedAddressSurvivesARestart(runs: Int) throws {
        guard let cli = try H.make("shared") else { return }
        defer { cli.remove() }
        func sighting(_ host: Int) -> String {
            #"{"@timestamp":"2024-05-01T10:\#(SyntheticIngestInput.pad(host * 5, 2)):00Z","#
                + #""host":{"name":"nat-client-\#(host)","ip":["10.9.9.9"]}}"# + "\n"
        }
        let path = cli.directory.path("nat.ndjson")
        let arguments = ["ingest", "--no-output", "--now", "2024-06-01T00:00:00Z", path]
        if runs == 2 {
            try Data((0..<2).map(sighting).joined().utf8).write(to: URL(fileURLWithPath: path))
            #expect(try cli.run(arguments).status == 0)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((2..<5).map(sighting).joined().utf8))
            try handle.close()
        } else {
            try Data((0..<5).map(sighting).joined().utf8).write(to: URL(fileURLWithPath: path))
        }
        #expect(try cli.run(arguments).status == 0)
        let shown = try cli.run(["atoms", "show", "10.9.9.9", "--at", "2024-05-01T10:25:00Z",
                                 "--json"])
        let answer = try #require(shown.outputLines.first.flatMap(H.object))
        let holders = (answer["holders"] as? [[String: Any]] ?? []).names
        #expect(holders == [], "holders of a shared address after \(runs) run(s)")
        // Said, not left to be read from an empty list of holders.
        #expect(answer["shared"] as? Bool == true)
        let text = try cli.run(["atoms", "show", "10.9.9.9"])
        // ws at 10:00, 10:05, 10:10, then the fourth host at 10:15.
        #expect(text.outputText.contains("shared since 2024-05-01T10:15:00.000Z: it moved between "
                                         + "more hosts within a short window than one address can "
                                         + "(timeline.shared_address_hosts: more than 3 within "
                                         + "1 hour in this configuration)"), "\(text.outputText)")
        // Not yet at 10:10: then it was a host's.
        let before = try cli.run(["atoms", "show", "10.9.9.9", "--at", "2024-05-01T10:12:00Z",
                                  "--json"])
        let earlier = try #require(before.outputLines.first.flatMap(H.object))
        #expect(earlier["shared"] as? Bool == false)
    }

    // MARK: - Ingest files and output

    /// SPEC §8: files that hold raw events (the store, rejects, enriched
    /// output) are readable by their owner only.
    @Test func rejectsGetTheMalformedLinesAndEveryFileIsPrivate() throws {
        guard let cli = try H.make("rejects") else { return }
        defer { cli.remove() }
        let lines = [
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-01"}}"#,
            #"{"host":"#,
            "not json at all",
            #"{"@timestamp":"2024-05-01T10:01:00Z","host":{"name":"ws-02"}}"#,
        ]
        let rejects = cli.directory.path("rejects.ndjson")
        let output = cli.directory.path("enriched.ndjson")
        let input = try cli.directory.write("events.ndjson", lines.map { $0 + "\n" }.joined())
        let result = try cli.run(["ingest", "--rejects", rejects, "--output", output,
                                  "--now", "2024-06-01T00:00:00Z", input])
        #expect(result.status == 0)
        let rejected = try String(contentsOfFile: rejects, encoding: .utf8)
        #expect(rejected == lines[1] + "\n" + lines[2] + "\n")
        #expect(result.standardError.contains("\(input):2:"))
        #expect(result.standardError.contains("\(input):3:"))
        #expect(result.standardError.contains("malformed lines        2"))
        // Two events went in; the two bad lines are counted apart.
        #expect(result.standardError.contains(
                    "\ningested 2 events (of 4 non-blank lines read) from 1 input"),
                "\(result.standardError)")
        #expect(try filePermissions(rejects) == 0o600)
        #expect(try filePermissions(cli.store) == 0o600)
        #expect(try filePermissions(output) == 0o600)
        let companions = ["-wal", "-shm"].map { cli.store + $0 }
        for path in companions where FileManager.default.fileExists(atPath: path) {
            #expect(try filePermissions(path) == 0o600, "\(path)")
        }
        let written = try String(contentsOfFile: output, encoding: .utf8)
        #expect(written.split(separator: "\n").count == 2)
    }

    /// The summary counts the identifiers in conflict, each once: the name
    /// ws-01 of three hosts with different host ids (two conflicts as the
    /// third host appears) and one MAC on two hosts, seen twice there.
    @Test func theSummaryCountsEachIdentifierInConflictOnce() throws {
        guard let cli = try H.make("conflicts") else { return }
        defer { cli.remove() }
        let lines = [
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-01","id":"aaa-111"}}"#,
            #"{"@timestamp":"2024-05-01T10:01:00Z","host":{"name":"ws-01","id":"bbb-222"}}"#,
            #"{"@timestamp":"2024-05-01T10:02:00Z","host":{"name":"ws-01","id":"ccc-333"}}"#,
            #"{"@timestamp":"2024-05-01T10:04:00Z","host":{"name":"ws-02","mac":"00:1a:2b:3c:4d:5e"}}"#,
            #"{"@timestamp":"2024-05-01T10:05:00Z","host":{"name":"ws-03","mac":"00:1a:2b:3c:4d:5e"}}"#,
            #"{"@timestamp":"2024-05-01T10:06:00Z","host":{"name":"ws-03","mac":"00:1a:2b:3c:4d:5e"}}"#,
        ]
        let input = try cli.directory.write("events.ndjson", lines.map { $0 + "\n" }.joined())
        let result = try cli.run(["ingest", "--output", "/dev/null", input])
        #expect(result.status == 0)
        #expect(result.standardError.contains(
                    "identifiers claimed by several assets (conflicts; see atoms conflicts): 2\n"),
                "\(result.standardError)")
        // The two, the most claimed first: ws-01 by its three hosts, the
        // MAC by ws-02 and ws-03.
        let listed = try cli.run(["atoms", "conflicts", "--json"])
        #expect(listed.status == 0, "\(listed.standardError)")
        let atoms = listed.outputLines.compactMap(H.object)
        #expect(atoms.map { "\($0["type"] ?? "") \($0["value"] ?? "")" }
                == ["hostname ws-01", "mac 00:1a:2b:3c:4d:5e"])
        let holders = atoms.map {
            ($0["assets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }.sorted()
        }
        #expect(holders == [["ws-01", "ws-01", "ws-01"], ["ws-02", "ws-03"]])
        #expect(atoms.first?["since"] as? String == "2024-05-01T10:01:00.000Z")
        #expect(listed.standardError.contains("2 atoms in conflict"))
        let first = try cli.run(["atoms", "conflicts", "--limit", "1"])
        #expect(first.outputLines.count == 2, "\(first.outputText)")
        #expect(first.standardError.contains("2 atoms in conflict (the 1 most claimed shown; "
                                             + "--limit 0 gives all)"))

        // Resolved as an analyst does: ws-02 rejects the MAC, one ws-01 is
        // revoked. The MAC has one claimant left and is listed no more;
        // ws-01 has two. Revoking a second ws-01 leaves none in conflict.
        func uuids(_ atom: [String: Any]?) -> [String] {
            (atom?["assets"] as? [[String: Any]] ?? []).compactMap { $0["uuid"] as? String }
        }
        let ws02 = try #require((atoms[1]["assets"] as? [[String: Any]])?
            .first { $0["name"] as? String == "ws-02" }?["uuid"] as? String)
        // Named by the start of its uuid, as the table shows it.
        let rejected = try cli.run(["atoms", "reject", String(ws02.prefix(8)),
                                    "mac=00:1a:2b:3c:4d:5e"])
        #expect(rejected.status == 0, "\(rejected.standardError)")
        #expect(try cli.run(["assets", "show", "0000000"]).standardError
                    .contains("no asset '0000000'"))
        let ws01 = uuids(atoms[0])
        // The table tells the three ws-01 apart by their uuids' start.
        let row = first.outputLines[1]
        #expect(ws01.allSatisfy { row.contains("ws-01 (\($0.prefix(8)))") }, "\(row)")
        #expect(try cli.run(["assets", "revoke", ws01[0]]).status == 0)
        let resolved = try cli.run(["atoms", "conflicts", "--json"])
        let left = resolved.outputLines.compactMap(H.object)
        #expect(left.map { "\($0["type"] ?? "") \($0["value"] ?? "")" } == ["hostname ws-01"])
        #expect(uuids(left.first).sorted() == ws01.dropFirst().sorted())
        #expect(resolved.standardError.contains("1 atom in conflict"), "\(resolved.standardError)")
        #expect(try cli.run(["assets", "revoke", ws01[1]]).status == 0)
        let none = try cli.run(["atoms", "conflicts", "--json"])
        #expect(none.outputText.isEmpty, "\(none.outputText)")
        #expect(none.standardError.contains("0 atoms in conflict"), "\(none.standardError)")
    }

    /// README: malformed lines are copied to --rejects. A rejects file that
    /// cannot take them stops the run before the batch commits, as a
    /// failing --output does: its progress would pass a line kept nowhere.
    @Test func aRejectsFileThatCannotBeWrittenStopsTheRun() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full"),
              let cli = try H.make("rejects-full") else { return }
        defer { cli.remove() }
        let input = try cli.directory.write("events.ndjson", """
            {"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-01"}}
            bad

            """)
        let arguments = ["ingest", "--no-output", "--now", "2024-06-01T00:00:00Z", input]
        let failed = try cli.run(arguments + ["--rejects", "/dev/full"])
        #expect(failed.status == 1)
        #expect(failed.standardError.contains("cannot write malformed lines to the rejects file "
                                              + "'/dev/full'"), "\(failed.standardError)")
        // A rejects file a run left mid-line gets its line ended first.
        let rejects = try cli.directory.write("rejects.ndjson", "cut sho")
        let again = try cli.run(arguments + ["--rejects", rejects])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(try String(contentsOfFile: rejects, encoding: .utf8) == "cut sho\nbad\n")
    }

    /// A CSV export holds every asset unless --limit says otherwise (it
    /// was cut at 50, with a note on standard error alone); the table and
    /// JSON lines still show 50.
    @Test func aCSVExportHoldsEveryAsset() throws {
        guard let cli = try H.make("csv-all") else { return }
        defer { cli.remove() }
        let events = (1...60).map { #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-\#($0)"}}"# }
        #expect(try cli.ingest(events, options: ["--no-output"]).status == 0)
        #expect(try cli.run(["assets", "list", "--csv"]).outputLines.count == 61)
        #expect(try cli.run(["assets", "list", "--csv", "--limit", "10"]).outputLines.count == 11)
        // An offset without a limit starts there (it was ignored).
        let rest = try cli.run(["assets", "list", "--csv", "--offset", "10"])
        #expect(rest.outputLines.count == 51)
        #expect(rest.standardError.contains("these are 11–60"), "\(rest.standardError)")
        #expect(try cli.run(["assets", "list", "--json"]).outputLines.count == 50)
    }

    /// A line past 16 MiB on standard input is skipped, counted and named,
    /// as from a file (it vanished without a word: "ingested 2 events").
    @Test func anOversizedLineOnStandardInputIsReported() throws {
        guard let cli = try H.make("stdin-oversized") else { return }
        defer { cli.remove() }
        let huge = #"{"host":{"name":"big"},"m":""# + String(repeating: "a", count: 17 << 20)
            + #""}"#
        let input = #"{"host":{"name":"ok-1"}}"# + "\n" + huge + "\n"
            + #"{"host":{"name":"ok-2"}}"# + "\n"
        let result = try cli.run(["ingest", "--no-output", "-"], input: input)
        #expect(result.status == 0, "\(result.standardError)")
        for said in ["stdin:2: line 2 of standard input is longer than 16 MiB: skipped",
                     "ingested 2 events (of 3 non-blank lines read)",
                     "oversized lines skipped: 1"] {
            #expect(result.standardError.contains(said), "\(result.standardError)")
        }
        #expect(try cli.listAssets().assets.names == ["ok-1", "ok-2"])
    }

    /// Ctrl-C stops an ingest between two lines, also one waiting on a pipe
    /// (`tail -f`): what was read is committed and said, and the exit
    /// status is 130 (it died at once, with no summary, what it had read
    /// of standard input lost). A pipe given by its path (`/dev/stdin`
    /// here, a named pipe alike) is waited on as standard input is: it
    /// went on waiting for its writer after the signal. The note says
    /// what resumes: a file, also given through a symbolic link, does;
    /// standard input does not (a link to a file was called a pipe).
    @Test(arguments: [[], ["/dev/stdin"], ["LINK", "-"]])
    func ctrlCCommitsWhatWasReadAndSaysSo(input arguments: [String]) throws {
        guard let cli = try H.make("interrupt") else { return }
        defer { cli.remove() }
        let file = try cli.directory.write(
            "zero.ndjson", #"{"@timestamp":"2024-05-01T09:00:00Z","host":{"name":"ws-0"}}"# + "\n")
        let link = cli.directory.path("link.ndjson")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        let path = arguments.map { $0 == "LINK" ? link : $0 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli.binary.path)
        process.arguments = ["ingest", "--no-output", "--now", "2024-06-01T00:00:00Z",
                             "--db", cli.store] + path
        process.environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("PERIMETER_")
        }
        let input = Pipe()
        let error = Pipe()
        process.standardInput = input
        process.standardError = error
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data((
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-1"}}"# + "\n"
                + #"{"@timestamp":"2024-05-01T10:01:00Z","host":{"name":"ws-2"}}"# + "\n").utf8))
        // The pipe stays open: the ingest waits for more, as on `tail -f`.
        Thread.sleep(forTimeInterval: 1.5)
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let said = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 130, "\(said)")
        #expect(said.contains("stopped by Ctrl-C"), "\(said)")
        if path.count == 2 {
            #expect(said.contains("ingested 3 events"), "\(said)")
            #expect(said.contains("run the same command again to go on from there with the "
                                  + "files; standard input cannot resume: send what was not read "
                                  + "of it again"), "\(said)")
            #expect(try cli.listAssets().assets.names == ["ws-0", "ws-1", "ws-2"])
        } else {
            #expect(said.contains("ingested 2 events"), "\(said)")
            #expect(said.contains("standard input and pipes cannot resume"), "\(said)")
            #expect(try cli.listAssets().assets.names == ["ws-1", "ws-2"])
        }
        try? input.fileHandleForWriting.close()
    }

    /// A machine named beyond ASCII is found however its letters are
    /// composed: its name is kept composed (NFC), as its atom is, and a
    /// search is read so (a decomposed `é` found nothing).
    @Test func namesBeyondASCIIAreComposed() throws {
        guard let cli = try H.make("nfc") else { return }
        defer { cli.remove() }
        let decomposed = "E\u{301}ric-PC"
        let result = try cli.ingest([
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"\#(decomposed)"}}"#,
            #"{"@timestamp":"2024-05-01T10:01:00Z","host":{"name":"Éric-PC"}}"#,
        ], options: ["--no-output"])
        #expect(result.status == 0, "\(result.standardError)")
        let names = try cli.listAssets().assets.names
        #expect(names.map { Array($0.unicodeScalars) } == [Array("Éric-PC".unicodeScalars)])
        for search in [decomposed, "éric"] {
            #expect(try cli.listAssets(["--search", search]).assets.names.count == 1, "\(search)")
        }
        // A name typed decomposed is kept composed, and found as typed.
        let typed = "Cafe\u{301}-01"
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", typed]).status == 0)
        let shown = try cli.run(["assets", "show", typed])
        #expect(shown.status == 0, "\(shown.standardError)")
        #expect(shown.outputLines.first.map { Array($0.unicodeScalars.prefix(7)) }
            == Array("Café-01".unicodeScalars))
        // A final sigma is the sigma the name holds.
        let greek = try cli.ingest([#"{"@timestamp":"2024-05-01T10:02:00Z","host":{"name":"ΣΊΣΥΦΟΣ-PC"}}"#],
                                   name: "greek.ndjson", options: ["--no-output"])
        #expect(greek.status == 0, "\(greek.standardError)")
        for search in ["σίσυφος", "ΣΊΣΥΦΟΣ-pc"] {
            #expect(try cli.listAssets(["--search", search]).assets.names == ["ΣΊΣΥΦΟΣ-PC"],
                    "\(search)")
        }
    }

    /// /dev/null keeps nothing: it takes several outputs at once (it was
    /// refused as a file the other output would destroy).
    @Test func devNullTakesEveryOutput() throws {
        guard let cli = try H.make("dev-null") else { return }
        defer { cli.remove() }
        let input = try cli.directory.write("in.ndjson", H.oneHostEvent + "bad\n")
        let result = try cli.run(["ingest", "--output", "/dev/null", "--rejects", "/dev/null",
                                  input])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try cli.listAssets().assets.names == ["ws-1"])
    }

    /// The same name in an entity and community-wide is two assets: the
    /// list then shows an ENTITY column, or the two rows read alike.
    @Test func theListShowsEntitiesWhenItHoldsAnEntitysAsset() throws {
        guard let cli = try H.make("entity-column") else { return }
        defer { cli.remove() }
        let input = try cli.directory.write("in.ndjson", H.oneHostEvent)
        let other = try cli.directory.write("other.ndjson",
                                            H.oneHostEvent.replacingOccurrences(of: "ws-1", with: "ws-2"))
        #expect(try cli.run(["ingest", "--no-output", other]).status == 0)
        let plain = try cli.run(["assets", "list"]).outputText
        #expect(!plain.contains("ENTITY"), "\(plain)")
        // An entity's ws-1 first: the community's event then makes its own.
        #expect(try cli.run(["ingest", "--no-output", "--entity", "DMZ-1", input]).status == 0)
        #expect(try cli.run(["ingest", "--no-output", input]).status == 0)
        let listed = try cli.run(["assets", "list", "--search", "ws-1"]).outputText
        let lines = listed.split(separator: "\n")
        #expect(lines.first?.hasPrefix("NAME  ENTITY  CATEGORY") == true, "\(listed)")
        #expect(lines.filter { $0.hasPrefix("ws-1") }
                    .map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
                    .sorted() == ["ws-1 -", "ws-1 DMZ-1"], "\(listed)")
    }

    /// SPEC §5: the indexed view keeps only uuid, name and criticality_value.
    @Test(arguments: [
        ("indexed", ["criticality_value", "name", "uuid"]),
        ("detection", ["criticality_display", "criticality_value", "name", "tags", "uuid"]),
    ])
    func viewChoosesTheAssetFields(view: String, anyAssetKeys: [String]) throws {
        guard let cli = try H.make("view") else { return }
        defer { cli.remove() }
        let created = try cli.run(["assets", "create", "--category", "host", "--name", "FS-01",
                                   "--criticality", "60", "--tag", "files",
                                   "--atom", "hostname=fs-01"])
        let uuid = created.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        let event = #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"fs-01"}}"#
        let result = try cli.ingest([event], options: ["--view", view])
        let enriched = try #require(result.outputLines.first.flatMap(H.object))
        let anyAsset = try #require(H.value(enriched, "sekoiaio.any_asset") as? [String: Any])
        #expect(anyAsset.keys.sorted() == anyAssetKeys)
        let host = try #require(H.value(enriched, "sekoiaio.assets.host") as? [String: Any])
        #expect(host.keys.sorted() == ["criticality_value", "name", "uuid"])
        #expect(anyAsset["uuid"] as? [String] == [uuid])
        #expect(anyAsset["criticality_value"] as? [Int] == [60])
        #expect((enriched["sekoiaio"] as? [String: Any])?.keys.sorted() == ["any_asset", "assets"])
    }

    /// Commands about assets that must exist refuse a store path where
    /// there is none, instead of creating an empty store at a typo.
    @Test(arguments: [["audit"], ["atoms", "reject", "WS-1", "ipv4=10.0.0.1"],
                      ["assets", "update", "WS-1", "--criticality", "50"],
                      ["assets", "list"], ["tokens", "list"], ["tokens", "revoke", "t-1"],
                      ["properties", "list"], ["alerts", "close", "1"]])
    func aMistypedStoreIsRefused(_ command: [String]) throws {
        guard let cli = try H.make("typo") else { return }
        defer { cli.remove() }
        let typo = cli.directory.path("tpyo.db")
        let result = try cli.binary.run(command + ["--db", typo], in: cli.directory.url)
        #expect(result.status == 2, "\(command)")
        #expect(result.standardError.contains("no store at '\(typo)'"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: typo))
    }

    /// A `--db` that cannot be a store (a CSV given by mistake, a folder, a
    /// path in a folder that does not exist) is named with what it is, not
    /// in SQLite's words, and no lock file is left beside it.
    @Test(arguments: [["ingest", "-"], ["assets", "list"]])
    func aPathThatCannotBeAStoreIsNamed(_ command: [String]) throws {
        guard let cli = try H.make("not-a-store") else { return }
        defer { cli.remove() }
        let csv = cli.directory.path("cmdb.csv")
        try Data("name,category\nDC-01,host\n".utf8).write(to: URL(fileURLWithPath: csv))
        let folder = cli.directory.path("stores")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let missing = cli.directory.path("nowhere") + "/soc.db"
        let cases = [
            (csv, "'\(csv)' is not a Perimeter store (it is not an SQLite database)"),
            (folder, "'\(folder)' is a folder, not a store"),
            // A command that reads says there is no store; one that
            // writes, that it cannot make one there.
            (missing, command[0] == "ingest"
                ? "the folder '\(cli.directory.path("nowhere"))' does not exist"
                : "no store at '\(missing)'"),
            // A device: SQLite wrote /dev/null-journal beside it.
            ("/dev/null", "'/dev/null' is not a regular file"),
        ]
        for (path, expected) in cases {
            let result = try cli.binary.run(command + ["--db", path], in: cli.directory.url,
                                            standardInput: Data())
            #expect(result.status != 0, "\(command) \(path)")
            #expect(result.standardError.contains(expected), "\(result.standardError)")
            #expect(!result.standardError.contains("code 2"), "\(result.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: csv + ".lock"))
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == "name,category\nDC-01,host\n")
    }

    /// A process that writes the store (the server) keeps its SQLite
    /// locks when it opens the store again (a reader, the checkpointer):
    /// the path checks read no byte of the file through a descriptor of
    /// their own, whose closing dropped every POSIX lock of the process on
    /// it. A reader in another process then took the store for unused on
    /// closing, folded the log in and deleted it while the writer went on
    /// writing into the deleted file: all lost at the next crash.
    @Test func openingTheStoreAgainKeepsTheWritersLocks() throws {
        guard let cli = try H.make("locks") else { return }
        defer { cli.remove() }
        let writer = try InventoryStore(path: cli.store)
        let lock = try StoreLock(store: cli.store)
        let first = Asset(name: "first", category: .host, source: .manual, community: "default",
                          createdAt: Date())
        try writer.create([AssetDraft(asset: first, confirmedAtoms: [])], actor: "test",
                          at: EventTime(Date()))
        _ = try InventoryStore(path: cli.store)
        _ = lock
        #expect(FileManager.default.fileExists(atPath: cli.store + "-wal"))
        let reader = try cli.binary.run(["assets", "list", "--db", cli.store, "--json"],
                                        in: cli.directory.url)
        #expect(reader.outputLines.count == 1, "\(reader.standardError)")
        // The log is still the writer's: what it writes next is kept.
        #expect(FileManager.default.fileExists(atPath: cli.store + "-wal"))
        let second = Asset(name: "second", category: .host, source: .manual, community: "default",
                          createdAt: Date())
        try writer.create([AssetDraft(asset: second, confirmedAtoms: [])], actor: "test",
                          at: EventTime(Date()))
        let again = try cli.binary.run(["assets", "list", "--db", cli.store, "--json"],
                                       in: cli.directory.url)
        #expect(again.outputLines.count == 2, "\(again.standardError)")
    }

    /// An output file that cannot take a whole write (here a file-size
    /// limit; a full disk alike) is cut back to where the write began: the
    /// run fails, and the file holds whole lines, none twice. A write that
    /// failed part way was kept, torn, and written again whole at the next
    /// flush once there was room: torn lines and duplicates in a run that
    /// exited 0.
    @Test func anOutputWriteThatFailsPartWayLeavesNoTornLine() throws {
        guard let cli = try H.make("output-limit") else { return }
        defer { cli.remove() }
        let padding = String(repeating: "x", count: 900)
        let lines = (0..<6_000).map { index in
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-1"},"n":\#(index),"#
                + #""pad":"\#(padding)"}"#
        }
        let events = try cli.directory.write("big.ndjson", lines.joined(separator: "\n") + "\n")
        let output = cli.directory.path("enriched.ndjson")
        // 3 MiB in 512-byte blocks; SIGXFSZ ignored, so a write past it
        // fails with EFBIG as a full disk's fails with ENOSPC.
        let script = "trap '' XFSZ; ulimit -f 6144; exec \"$0\" \"$@\""
        let result = try PerimeterExecutable(path: "/bin/sh").run(
            ["-c", script, cli.binary.path, "ingest", "--db", cli.store, "--output", output,
             events], in: cli.directory.url)
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains("cannot write enriched events to"),
                "\(result.standardError)")
        let written = try Data(contentsOf: URL(fileURLWithPath: output))
        #expect(written.count > 0 && written.count <= 3 << 20)
        #expect(written.last == 0x0A)
        let numbers = written.split(separator: 0x0A).map { line -> Int in
            let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            return object?["n"] as? Int ?? -1
        }
        // Each line whole (no -1), in order, once.
        #expect(numbers.enumerated().allSatisfy { $0.offset == $0.element },
                "\(numbers.count) lines, last \(numbers.suffix(3))")
    }

    /// `audit` shows the latest changes (what an analyst just did), oldest
    /// of them first; `--before ID` reads back and `--after ID` reads on
    /// from an entry.
    @Test func auditShowsTheLatestChanges() throws {
        guard let cli = try H.make("audit") else { return }
        defer { cli.remove() }
        let created = try cli.run(["assets", "create", "--category", "host", "--name", "AU-01"])
        #expect(created.status == 0, "\(created.standardError)")
        for criticality in ["10", "20", "30"] {
            let updated = try cli.run(["assets", "update", "AU-01", "--criticality", criticality])
            #expect(updated.status == 0, "\(updated.standardError)")
        }
        func entries(_ options: [String]) throws -> [[String: Any]] {
            try cli.run(["audit", "--json"] + options).outputLines.compactMap(H.object)
        }
        let all = try entries([])
        #expect(all.count == 4)
        let ids = all.compactMap { $0["id"] as? Int }
        #expect(ids == ids.sorted())
        let latest = try entries(["--limit", "2"])
        #expect(latest.compactMap { $0["id"] as? Int } == Array(ids.suffix(2)))
        // Before and after are JSON objects, as the API gives them.
        #expect((latest.last?["before"] as? [String: Any])?["criticality"] as? Int == 20)
        #expect((latest.last?["after"] as? [String: Any])?["criticality"] as? Int == 30)
        let next = try entries(["--after", String(ids[0]), "--limit", "1"])
        #expect(next.compactMap { $0["id"] as? Int } == [ids[1]])
        // --before reads back from the oldest entry shown, oldest first too.
        let back = try entries(["--before", String(ids[2]), "--limit", "2"])
        #expect(back.compactMap { $0["id"] as? Int } == [ids[0], ids[1]])
        #expect(try cli.run(["audit", "--before", "9", "--after", "1"]).status == 2)
        // 0 is every entry, as `assets list --limit 0` is every asset.
        #expect(try entries(["--limit", "0"]).compactMap { $0["id"] as? Int } == ids)
        // The text lines start with the id that --after takes, under a header.
        let text = try cli.run(["audit"]).outputLines
        #expect(text.first == "ID\tAT\tASSET\tACTOR\tACTION\tBEFORE\tAFTER")
        #expect(text.dropFirst().map { $0.split(separator: "\t").first.map(String.init) }
                == ids.map { String($0) }, "\(text)")
        // An empty tag is refused, not dropped unsaid, and writes nothing.
        let emptyTag = try cli.run(["assets", "update", "AU-01", "--add-tag", ""])
        #expect(emptyTag.status != 0)
        #expect(emptyTag.standardError.contains("a tag cannot be empty"),
                "\(emptyTag.standardError)")
        #expect(try entries(["--limit", "0"]).count == 4)
    }

    /// Two hosts seen with one address at the same instant: the second
    /// holds it from then, and the first one's interval `[t, t)` holds no
    /// time. The timeline shows what held the address, so it is not listed.
    @Test func intervalsThatHoldNoTimeAreNotShown() throws {
        guard let cli = try H.make("moment") else { return }
        defer { cli.remove() }
        let at = "2024-05-01T10:00:00Z"
        let events = ["ws-01", "ws-02"].map {
            #"{"@timestamp":"\#(at)","host":{"name":"\#($0)","ip":["10.4.4.4"]}}"#
        }
        #expect(try cli.ingest(events).status == 0)
        let shown = try cli.run(["atoms", "show", "10.4.4.4", "--json", "--at", at])
        let object = try #require(shown.outputLines.first.flatMap(H.object))
        let timeline = object["timeline"] as? [[String: Any]] ?? []
        #expect(timeline.compactMap { $0["name"] as? String } == ["ws-02"])
        #expect(timeline.first?["from"] as? String == "2024-05-01T10:00:00.000Z")
        let first = try cli.run(["assets", "show", "ws-01", "--json"])
        let atoms = try #require(first.outputLines.first.flatMap(H.object))
        #expect(!String(describing: atoms).contains("10.4.4.4"))
    }

    /// Names come from events as they wrote them: the tables write their
    /// control characters out, so an escape sequence in a name does not
    /// drive the analyst's terminal. JSON escapes them itself. A person's
    /// own name for an asset cannot hold one.
    @Test func controlCharactersAreWrittenOut() throws {
        guard let cli = try H.make("controls") else { return }
        defer { cli.remove() }
        let typed = try cli.run(["assets", "create", "--category", "host", "--name",
                                 "ws\u{1B}]0;owned\u{07}-01", "--atom", "hostname=ws-01"])
        #expect(typed.status != 0)
        #expect(typed.standardError.contains("a name cannot hold control characters"))
        // As a store written before names were checked may hold it.
        let created = try cli.run(["assets", "create", "--category", "host", "--name", "ws-01",
                                   "--atom", "hostname=ws-01"])
        let uuid = created.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        try Database(path: cli.store).execute("""
            UPDATE assets SET name = 'ws' || char(27) || ']0;owned' || char(7) || '-01'
            """)
        let commands = [["assets", "list"], ["assets", "show", uuid], ["atoms", "show", "ws-01"]]
        for arguments in commands {
            let shown = try cli.run(arguments).outputText
            #expect(!shown.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" },
                    "\(arguments)")
            if arguments[0] == "assets" {
                #expect(shown.contains("ws\\u{1B}]0;owned\\u{7}-01"), "\(arguments)")
            }
        }
    }

    /// SPEC §2 and §5: asset fields an event brings itself are removed, so
    /// it cannot claim assets it does not touch; the real ones join the
    /// event's own `sekoiaio` object, and no key appears twice.
    @Test func forgedAssetFieldsAreReplaced() throws {
        guard let cli = try H.make("forged") else { return }
        defer { cli.remove() }
        let created = try cli.run(["assets", "create", "--category", "host", "--name", "FS-01",
                                   "--criticality", "60", "--atom", "hostname=fs-01"])
        let uuid = created.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        let forged = #""sekoiaio":{"customer":"acme","any_asset":{"name":["DC-99"]},"#
            + #""assets":{"host":{"criticality_value":[100]}}}"#
        let lines = [
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"fs-01"},"# + forged + "}",
            #"{"@timestamp":"2024-05-01T10:00:00Z","source":{"ip":"203.0.113.9"},"# + forged + "}",
        ]
        let result = try cli.ingest(lines)
        #expect(result.outputLines.count == 2)
        let matched = try #require(result.outputLines.first.flatMap(H.object))
        #expect(H.value(matched, "sekoiaio.customer") as? String == "acme")
        #expect(H.value(matched, "sekoiaio.any_asset.name") as? [String] == ["FS-01"])
        #expect(H.value(matched, "sekoiaio.any_asset.uuid") as? [String] == [uuid])
        #expect(H.value(matched, "sekoiaio.assets.host.criticality_value") as? [Int] == [60])
        for key in [#""any_asset""#, #""assets""#, #""sekoiaio""#] {
            #expect(result.outputLines[0].components(separatedBy: key).count == 2,
                    "\(key) appears once in \(result.outputLines[0])")
        }
        let unmatched = try #require(result.outputLines.last.flatMap(H.object))
        #expect((unmatched["sekoiaio"] as? [String: Any])?.keys.sorted() == ["customer"])
    }

    /// SPEC §5: the original bytes are kept; an event with no matching
    /// asset comes out exactly as it went in.
    @Test func eventsThatMatchNothingPassThroughByteForByte() throws {
        guard let cli = try H.make("passthrough") else { return }
        defer { cli.remove() }
        let lines = [
            #"{ "@timestamp" : "2024-05-01T10:00:00Z", "message":"caf\u00e9 \"q\" \/ é","#
                + #"  "n": 1.50e1 }"#,
            #"{"event":{"kind":"metric"},"list":[1, 2 ,3],"nested":{"deep":{"x":null}},"t":true}"#,
            #"{"@timestamp":"2024-05-01T10:00:00Z","source":{"ip":"203.0.113.9","port":443}}"#,
            #"{"user":{"name":"-"},"host":{"name":"localhost"},"source":{"ip":"127.0.0.1"}}"#,
        ]
        let result = try cli.ingest(lines)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == Data(lines.map { $0 + "\n" }.joined().utf8))
        #expect(try cli.listAssets().count == 0)
    }

    /// SPEC §3.1: a rule switched off for one run creates nothing, and the
    /// other rules still run.
    @Test(arguments: [
        ([String](), 1),
        (["--no-rule", "unique_accounts"], 0),
        (["--no-rule", "unique-accounts"], 0),
    ])
    func noRuleSwitchesDiscoveryOffForOneRun(options: [String], accounts: Int) throws {
        guard let cli = try H.make("norule") else { return }
        defer { cli.remove() }
        let event = #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-07"},"#
            + #""user":{"name":"alice","domain":"CORP"},"event":{"outcome":"success"}}"#
        #expect(try cli.ingest([event], options: ["--no-output"] + options).status == 0)
        #expect(try cli.listAssets(["--category", "account"]).count == accounts)
        #expect(try cli.listAssets(["--category", "host"]).assets.names == ["ws-07"])
    }

    /// An input of which no line is an event (a CSV, say) fails the run,
    /// where a few bad lines among events are only reported.
    @Test func anInputWithoutOneEventFails() throws {
        guard let cli = try H.make("no-events") else { return }
        defer { cli.remove() }
        let input = try cli.directory.write("assets.csv", "name,ip\nws-01,10.0.0.1\n\n")
        let result = try cli.run(["ingest", "--no-output", "--now", "2024-06-01T00:00:00Z", input])
        #expect(result.status == 1)
        #expect(result.standardError.contains(
            "no event could be read: every one of the 2 lines read was malformed"),
                "\(result.standardError)")
    }

    /// Issue "Embedded store": a re-run reads only what was appended.
    @Test func resumedIngestCountsOnlyTheNewLines() throws {
        guard let cli = try H.make("resume") else { return }
        defer { cli.remove() }
        func event(_ minute: Int) -> String {
            #"{"@timestamp":"2024-05-01T10:\#(SyntheticIngestInput.pad(minute, 2)):00Z","#
                + #""host":{"name":"ws-\#(minute)"}}"# + "\n"
        }
        let path = cli.directory.path("growing.ndjson")
        try Data((0..<3).map(event).joined().utf8).write(to: URL(fileURLWithPath: path))
        let arguments = ["ingest", "--no-output", "--now", "2024-06-01T00:00:00Z", path]
        let first = try cli.run(arguments)
        #expect(first.standardError.hasPrefix("ingested 3 events from 1 input"))

        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((3..<5).map(event).joined().utf8))
        try handle.close()
        let second = try cli.run(arguments)
        #expect(second.standardError.hasPrefix("ingested 2 events from 1 input"),
                "\(second.standardError)")
        #expect(second.standardError.contains("resumed 1 file(s) after 3 lines already ingested"))
        let third = try cli.run(arguments)
        #expect(third.standardError.hasPrefix("ingested 0 events from 1 input"))
        #expect(try cli.counters()["events_read"] == 5)
        #expect(try cli.listAssets().assets.names == ["ws-0", "ws-1", "ws-2", "ws-3", "ws-4"])
        // Bad lines appended to a file read before are reported as among
        // good ones: the input is no wrong file (exit 0, not 1).
        let handle2 = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle2.seekToEnd()
        try handle2.write(contentsOf: Data("garbage\n".utf8))
        try handle2.close()
        let fourth = try cli.run(arguments)
        #expect(fourth.status == 0, "\(fourth.standardError)")
        #expect(fourth.standardError.contains(":6: malformed JSON"), "\(fourth.standardError)")
    }

    /// SPEC §1: one community's ingest decides nothing for another's. The
    /// same file ingested for another community or entity is read whole
    /// (its progress was kept per file, and the second run read nothing).
    @Test func progressIsKeptPerCommunityAndEntity() throws {
        guard let cli = try H.make("resume-scopes") else { return }
        defer { cli.remove() }
        let path = try cli.directory.write(
            "shared.ndjson",
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"d-01","ip":"10.0.0.1"}}"# + "\n")
        for (scope, expected) in [([String](), 1), (["--community", "acme"], 1),
                                  (["--community", "globex"], 1),
                                  (["--community", "acme", "--entity", "DMZ-1"], 1),
                                  (["--community", "acme"], 0)] {
            let run = try cli.run(["ingest", "--no-output", "--now", "2024-06-01T00:00:00Z"]
                                  + scope + [path])
            #expect(run.standardError.hasPrefix("ingested \(expected) event"),
                    "\(scope): \(run.standardError)")
        }
        for community in ["acme", "globex"] {
            #expect(try cli.listAssets(["--community", community]).assets.names == ["d-01"])
        }
    }

    /// A file truncated and written again past its old size (copytruncate
    /// rotation; a new file on a deleted one's inode looks the same) starts
    /// otherwise than the file ingested before: it is read from its start,
    /// not resumed in the middle of other lines.
    @Test func aFileWrittenAgainIsReadFromItsStart() throws {
        guard let cli = try H.make("rewritten") else { return }
        defer { cli.remove() }
        func events(_ prefix: String, _ count: Int) -> Data {
            Data((0..<count).map {
                #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"\#(prefix)-\#($0)"}}"#
                    + "\n"
            }.joined().utf8)
        }
        let path = cli.directory.path("rotating.ndjson")
        let arguments = ["ingest", "--no-output", "--now", "2024-06-01T00:00:00Z", path]
        try events("old", 3).write(to: URL(fileURLWithPath: path))
        #expect(try cli.run(arguments).standardError.hasPrefix("ingested 3 events from 1 input"))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: events("new", 5))
        try handle.close()
        let again = try cli.run(arguments)
        // Said, as it may count its first lines again.
        #expect(again.standardError.hasPrefix("perimeter: warning: \(path): changed since the run "
                                              + "that read it to line 3"), "\(again.standardError)")
        #expect(again.standardError.contains("\ningested 5 events from 1 input"),
                "\(again.standardError)")
        #expect(try cli.listAssets().assets.names.filter { $0.hasPrefix("new-") }.count == 5)
    }

    /// A file rewritten in place with the same first lines (the head
    /// compared) and other lines after: the run resumed mid-line, reported
    /// a fragment as malformed and skipped lines without a word. No line
    /// ends where the last run stopped: it is read from its start.
    @Test func aFileRewrittenWithTheSameHeadIsReadFromItsStart() throws {
        guard let cli = try H.make("same-head") else { return }
        defer { cli.remove() }
        func lines(_ prefix: String, _ range: Range<Int>, padding: Int = 0) -> String {
            range.map {
                #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"\#(prefix)-\#($0)"},"#
                    + #""message":""# + String(repeating: "x", count: padding) + #""}"# + "\n"
            }.joined()
        }
        let head = lines("head", 0..<3, padding: 1_500)
        let path = cli.directory.path("rewritten.ndjson")
        let arguments = ["ingest", "--no-output", "--now", "2024-06-01T00:00:00Z", path]
        try Data((head + lines("body", 0..<400)).utf8).write(to: URL(fileURLWithPath: path))
        #expect(try cli.run(arguments).status == 0)
        try Data((head + lines("other", 0..<250, padding: 7)).utf8)
            .write(to: URL(fileURLWithPath: path))
        let again = try cli.run(arguments)
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardError.contains("changed since the run that read it to line 403"),
                "\(again.standardError)")
        #expect(!again.standardError.contains("malformed lines        1"))
        #expect(try cli.listAssets().assets.names.filter { $0.hasPrefix("other-") }.count == 250)
    }

    /// A file read again from its start is a new stream: its events are
    /// not late against the newest of the file it replaced on the same
    /// inode (a backfill of last year there made no asset, in the default
    /// window of 24 hours).
    @Test func aFileWrittenAgainIsNotLateAgainstTheOldOne() throws {
        guard let cli = try H.make("rewritten-older") else { return }
        defer { cli.remove() }
        let path = cli.directory.path("day.ndjson")
        let arguments = ["ingest", "--no-output", "--now", "2024-05-02T00:00:00Z", path]
        try Data(#"{"@timestamp":"2024-05-01T00:00:00Z","host":{"name":"today-1"}}"#.utf8
                 + [0x0A]).write(to: URL(fileURLWithPath: path))
        #expect(try cli.run(arguments).status == 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(
            #"{"@timestamp":"2023-06-01T00:00:00Z","host":{"name":"backfill-1"}}"#.utf8 + [0x0A]))
        try handle.close()
        let again = try cli.run(arguments)
        #expect(!again.standardError.contains("late events"), "\(again.standardError)")
        #expect(try cli.listAssets().assets.names.contains("backfill-1"))
    }

    /// A named pipe is read once, as standard input is: opening it to
    /// look for a resume point read (and lost) its first events.
    @Test func aNamedPipeIsReadWhole() throws {
        guard let cli = try H.make("fifo") else { return }
        defer { cli.remove() }
        let path = cli.directory.path("events.fifo")
        #expect(mkfifo(path, 0o600) == 0)
        let lines = (0..<200).map {
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"p-\#($0)"}}"#
        }.joined(separator: "\n") + "\n"
        let writer = Thread {
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.write(Data(lines.utf8))
                handle.closeFile()
            }
        }
        writer.start()
        let result = try cli.run(["ingest", "--no-output", "--now", "2024-06-01T00:00:00Z", path])
        #expect(result.standardError.hasPrefix("ingested 200 events from 1 input"),
                "\(result.standardError)")
        #expect(result.status == 0)
    }

    /// When more than a tenth of the events were late, the summary says
    /// what to do about it (a backfill of old logs in the default window
    /// made most of its hosts from nothing); with the window widened it
    /// says nothing.
    @Test func manyLateEventsGetANote() throws {
        guard let cli = try H.make("late-note") else { return }
        defer { cli.remove() }
        let events = ["2024-05-10T10:00:00Z", "2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z"]
            .enumerated().map { index, time in
                #"{"@timestamp":"\#(time)","host":{"name":"ws-\#(index)"}}"#
            }
        let narrow = try cli.ingest(events, name: "narrow.ndjson", options: ["--no-output"])
        #expect(narrow.status == 0, "\(narrow.standardError)")
        #expect(narrow.standardError.contains("note: 66% of the events came after newer ones "
                                              + "beyond the lateness window"),
                "\(narrow.standardError)")
        guard let other = try H.make("late-note-wide") else { return }
        defer { other.remove() }
        let wide = try other.ingest(events, options: ["--no-output", "--lateness", "3650d"])
        #expect(wide.status == 0, "\(wide.standardError)")
        #expect(!wide.standardError.contains("note:"), "\(wide.standardError)")
    }

    /// A run that resumes continues the enriched output the run before it
    /// began: each event's enriched line is in the file once (the file was
    /// truncated at each run, so a run resuming after a kill lost the lines
    /// of every batch already committed).
    @Test func aResumedRunContinuesTheOutputFile() throws {
        guard let cli = try H.make("output-append") else { return }
        defer { cli.remove() }
        let second = #"{"@timestamp":"2024-05-01T10:05:00Z","host":{"name":"ws-2"}}"# + "\n"
        let input = try cli.directory.write("in.ndjson", H.oneHostEvent)
        let output = cli.directory.path("enriched.ndjson")
        func lines() throws -> [String] {
            try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        #expect(try cli.run(["ingest", "--output", output, input]).status == 0)
        let first = try lines()
        #expect(first.count == 1)
        // Nothing new: nothing written, nothing lost.
        #expect(try cli.run(["ingest", "--output", output, input]).status == 0)
        #expect(try lines() == first)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(second.utf8))
        try handle.close()
        #expect(try cli.run(["ingest", "--output", output, input]).status == 0)
        let all = try lines()
        #expect(all.count == 2)
        #expect(all.first == first.first)
        #expect(all.last?.contains("\"ws-2\"") == true)

        // A file that ends mid-line gets its line ended before this run's;
        // a run that resumed nothing (another store) says it appended.
        let handEdited = cli.directory.path("hand.ndjson")
        try "no newline at the end".write(toFile: handEdited, atomically: true, encoding: .utf8)
        let other = try cli.binary.run(["ingest", "--db", cli.directory.path("other.db"),
                                        "--output", handEdited, input], in: cli.directory.url)
        #expect(other.status == 0, "\(other.standardError)")
        let written = try String(contentsOfFile: handEdited, encoding: .utf8)
        #expect(written.hasPrefix("no newline at the end\n{"), "\(written)")
        #expect(other.standardError.contains("appended to '\(handEdited)', which already held "
                                             + "21 bytes"), "\(other.standardError)")

        // An event's line cut short by a killed run is cut off: the run
        // that resumes writes that event again, whole.
        let torn = cli.directory.path("torn.ndjson")
        try (first[0] + "\n" + String(first[0].prefix(40))).write(toFile: torn, atomically: true,
                                                                  encoding: .utf8)
        let resumed = try cli.binary.run(["ingest", "--db", cli.directory.path("third.db"),
                                          "--output", torn, input], in: cli.directory.url)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let kept = try String(contentsOfFile: torn, encoding: .utf8).split(separator: "\n")
        #expect(kept.count == 3, "\(kept)")
        #expect(kept.allSatisfy { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any]
        })
        #expect(resumed.standardError.contains("of an unfinished line"), "\(resumed.standardError)")
    }

    /// A file the ingest writes that is one it reads, the store, or
    /// another it writes is refused before anything is opened: the input
    /// and the store are left whole.
    @Test func outputsThatWouldDestroyAnInputAreRefused() throws {
        guard let cli = try H.make("clobber") else { return }
        defer { cli.remove() }
        let event = H.oneHostEvent
        let input = try cli.directory.write("in.ndjson", event)
        #expect(try cli.run(["ingest", "--no-output", input]).status == 0)
        let storeBytes = try Data(contentsOf: URL(fileURLWithPath: cli.store))
        let config = try cli.directory.write("perimeter.yaml", "ingest:\n  batch_size: 100\n")
        try FileManager.default.createDirectory(atPath: cli.directory.path("rules"),
                                                withIntermediateDirectories: true)
        for options in [["--output", input], ["--rejects", input], ["--output", cli.store],
                        ["--output", cli.store + "-journal"], ["--rejects", cli.store + ".lock"],
                        ["--output", "o.ndjson", "--alerts", "./o.ndjson"],
                        ["--config", config, "--output", config],
                        ["--rules", "rules", "--output", "rules/new.yml"]] {
            let result = try cli.run(["ingest"] + options + [input])
            #expect(result.status == 2, "\(options)")
            #expect(result.standardError.contains("would destroy it"), "\(options)")
        }
        #expect(try String(contentsOfFile: input, encoding: .utf8) == event)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.store)) == storeBytes)
        // A store not made yet, named through a linked folder.
        let real = cli.directory.path("real")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cli.directory.path("linked"),
                                                   withDestinationPath: real)
        let linked = try cli.binary.run(["ingest", "--db", "linked/new.db", "--output",
                                         "real/new.db", input], in: cli.directory.url)
        #expect(linked.status == 2, "\(linked.standardError)")
        #expect(!FileManager.default.fileExists(atPath: real + "/new.db"))
        // A folder among the inputs is refused when read, the others read:
        // an output inside it destroys no input (it was refused as the
        // folder itself, and nothing was read).
        let beside = try cli.run(["ingest", "--output", "out.ndjson", input, "."])
        #expect(beside.standardError.contains("cannot open '.': it is a directory"),
                "\(beside.standardError)")
        #expect(!beside.standardError.contains("would destroy it"), "\(beside.standardError)")
        #expect(FileManager.default.fileExists(atPath: cli.directory.path("out.ndjson")))
    }

    /// The writer lock follows a symbolic link to the store: a second
    /// writer through the link is refused as one through the store's own
    /// path is (two ingests through both duplicated assets).
    @Test func theWriterLockFollowsASymbolicLink() throws {
        guard let cli = try H.make("symlink-lock") else { return }
        defer { cli.remove() }
        let event = H.oneHostEvent
        let input = try cli.directory.write("in.ndjson", event)
        #expect(try cli.run(["ingest", "--no-output", input]).status == 0)
        let link = cli.directory.path("link.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: cli.store)
        let lock = try StoreLock(store: cli.store)
        let result = try cli.binary.run(["ingest", "--no-output", "--db", link, input],
                                        in: cli.directory.url)
        withExtendedLifetime(lock) {}
        #expect(result.status == 1)
        #expect(result.standardError.contains("is being written by another perimeter process"))
    }

    /// The store file is locked too: a hard link to it (another name, not
    /// a link to follow) and a lock file deleted while held both let a
    /// second writer in when only the lock file was locked.
    @Test func theWriterLockHoldsThroughAHardLinkAndADeletedLockFile() throws {
        guard let cli = try H.make("hardlink-lock") else { return }
        defer { cli.remove() }
        let input = try cli.directory.write("in.ndjson", H.oneHostEvent)
        #expect(try cli.run(["ingest", "--no-output", input]).status == 0)
        let link = cli.directory.path("other-name.db")
        try FileManager.default.linkItem(atPath: cli.store, toPath: link)
        let lock = try StoreLock(store: cli.store)
        try FileManager.default.removeItem(atPath: lock.path)
        for store in [link, cli.store] {
            let result = try cli.binary.run(["ingest", "--no-output", "--db", store, input],
                                            in: cli.directory.url)
            #expect(result.status == 1, "\(store)")
            #expect(result.standardError.contains("is being written by another perimeter process"))
        }
        // A refused process names itself nowhere: the lock file it made
        // anew holds no pid (it held its own, named by the next refusal).
        #expect((try? String(contentsOfFile: lock.path, encoding: .utf8)) ?? "" == "")
        withExtendedLifetime(lock) {}
    }

    /// A store named `file:…` is that file, not a SQLite URI for another
    /// (`file:x.db` wrote x.db past x.db's writer lock), and `:memory:`,
    /// which kept nothing, is refused.
    @Test func aStoreNameIsAFileNameNotASQLiteURI() throws {
        guard let cli = try H.make("uri-store") else { return }
        defer { cli.remove() }
        let input = try cli.directory.write("in.ndjson", H.oneHostEvent)
        let uri = try cli.binary.run(["ingest", "--no-output", "--db", "file:uri.db", input],
                                     in: cli.directory.url)
        #expect(uri.status == 0, "\(uri.standardError)")
        #expect(FileManager.default.fileExists(atPath: cli.directory.path("file:uri.db")))
        #expect(!FileManager.default.fileExists(atPath: cli.directory.path("uri.db")))
        let memory = try cli.binary.run(["ingest", "--no-output", "--db", ":memory:", input],
                                        in: cli.directory.url)
        #expect(memory.status == 2)
        #expect(memory.standardError.contains("':memory:' is a store in memory"))
    }

    /// One file named twice on a command line is read once, even with
    /// `--no-resume` (it counted every event twice).
    @Test func aFileNamedTwiceIsReadOnce() throws {
        guard let cli = try H.make("twice") else { return }
        defer { cli.remove() }
        let event = H.oneHostEvent
        let input = try cli.directory.write("in.ndjson", event + event)
        let result = try cli.run(["ingest", "--no-output", "--no-resume", input,
                                  cli.directory.url.path + "/./in.ndjson"])
        #expect(result.standardError.contains("again: read once"))
        #expect(result.standardError.contains("ingested 2 events from 1 input"),
                "\(result.standardError)")
        #expect(try cli.counters()["events_read"] == 2)
    }

    /// A file read while its writer is half-way through the last line: that
    /// line is reported, but left for the next run, which reads it whole;
    /// nothing is lost and nothing counted twice. It is not copied to
    /// `--rejects` either, since it is no reject (a helper found it there,
    /// then ingested).
    @Test func aHalfWrittenLastLineIsReadWholeByTheNextRun() throws {
        guard let cli = try H.make("half-line") else { return }
        defer { cli.remove() }
        let second = #"{"@timestamp":"2024-05-01T10:05:00Z","host":{"name":"ws-2"}}"#
        let cut = second.index(second.startIndex, offsetBy: 30)
        let broken = #"{"@timestamp":"2024-05-01T10:01:00Z","host":{"name":"#
        let input = try cli.directory.write("in.ndjson",
                                            H.oneHostEvent + broken + "\n" + second[..<cut])
        let rejects = cli.directory.path("rejects.ndjson")
        let first = try cli.run(["ingest", "--no-output", "--rejects", rejects, input])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardError.contains("in.ndjson:3:"), "\(first.standardError)")
        #expect(first.standardError.contains("read again next run"), "\(first.standardError)")
        // Counted on a line of its own, not among the malformed lines.
        #expect(first.standardError.contains("malformed lines        1\n"),
                "\(first.standardError)")
        #expect(first.standardError.contains("without a newline, read again next run (a writer "
                                             + "may not have finished them): 1"),
                "\(first.standardError)")
        // The malformed line in the middle is a reject; the unfinished last one is not.
        #expect(try String(contentsOfFile: rejects, encoding: .utf8) == broken + "\n")
        #expect(try cli.counters()["events_read"] == 2)
        #expect(try cli.counters()["events_malformed"] == 1)
        // A run before the writer finishes finds only that line: not yet a
        // failure, and still not counted.
        let again = try cli.run(["ingest", "--no-output", input])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(try cli.counters()["events_read"] == 2)

        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((second[cut...] + "\n").utf8))
        try handle.close()
        let resumed = try cli.run(["ingest", "--no-output", input])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(try cli.counters()["events_read"] == 3)
        #expect(try cli.counters()["events_malformed"] == 1)
        let hosts = try cli.listAssets(["--category", "host"]).assets.compactMap { $0["name"] as? String }
        #expect(hosts.sorted() == ["ws-1", "ws-2"])
    }

    /// Standard input redirected from a file that is named too is that
    /// file again: read once, as the named input (which can resume).
    @Test func standardInputFromANamedInputIsReadOnce() throws {
        guard let cli = try H.make("stdin-twice") else { return }
        defer { cli.remove() }
        let event = H.oneHostEvent
        let input = try cli.directory.write("in.ndjson", event + event)
        let (status, said) = try Self.shell(
            "exec \"$0\" ingest --no-output --no-resume --db \"$1\" \"$2\" - < \"$2\"",
            cli.binary.path, cli.store, input)
        #expect(status == 0, "\(said)")
        #expect(said.contains("standard input is the file '\(input)' again: read once"), "\(said)")
        #expect(try cli.counters()["events_read"] == 2)
    }

    /// A named pipe that is standard input too is read once, as standard
    /// input: opening it a second time waited for ever.
    @Test func aNamedPipeThatIsAlsoStandardInputIsReadOnce() throws {
        guard let cli = try H.make("fifo-twice") else { return }
        defer { cli.remove() }
        let event = H.oneHostEvent
        let input = try cli.directory.write("in.ndjson", event + event)
        let pipe = cli.directory.path("events.pipe")
        #expect(mkfifo(pipe, 0o600) == 0)
        let (status, said) = try Self.shell(
            "cat \"$3\" > \"$2\" & exec timeout 20 \"$0\" ingest --no-output --db \"$1\" "
                + "\"$2\" - < \"$2\"",
            cli.binary.path, cli.store, pipe, input)
        #expect(status == 0, "\(said)")
        #expect(said.contains("is the pipe standard input reads: read once"), "\(said)")
        #expect(try cli.counters()["events_read"] == 2)
    }

    /// Runs `script` with /bin/sh, `arguments` as $0, $1…: for the tests
    /// whose redirections (`< file`) the harness's pipes cannot make.
    private static func shell(_ script: String,
                              _ arguments: String...) throws -> (status: Int32, error: String) {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", script] + arguments
        let error = Pipe()
        shell.standardError = error
        try shell.run()
        let said = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        return (shell.terminationStatus, said)
    }

    /// A store that outgrows the shell's file-size limit is said in
    /// words: the process was killed by SIGXFSZ with none (exit 153), and
    /// then SQLite's "disk I/O error" named no cause. A run without the
    /// limit then completes what the failed one did not commit.
    @Test func aFileSizeLimitIsSaidPlainly() throws {
        guard let cli = try H.make("file-limit") else { return }
        defer { cli.remove() }
        let lines = (0..<3_000).map { index in
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-\#(index)","#
                + #""ip":["10.1.\#(index / 250).\#(index % 250)"]}}"#
        }
        let input = try cli.directory.write("in.ndjson", lines.joined(separator: "\n") + "\n")
        let (status, said) = try Self.shell("ulimit -f 200; exec \"$0\" ingest --no-output "
                                            + "--db \"$1\" \"$2\"", cli.binary.path, cli.store, input)
        #expect(status == 1, "\(said)")
        // 200 blocks: of 512 bytes in dash (POSIX), of 1,024 in bash.
        #expect(["100", "200"].contains { said.contains("(this process may write files of at "
                                          + "most \($0) KB: the shell's file-size limit, ulimit -f; "
                                          + "the store '\(cli.store)' and its write-ahead log "
                                          + "'\(cli.store)-wal' must grow past it)") },
                "\(said)")
        let again = try cli.run(["ingest", "--no-output", input])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(try cli.counters()["events_read"] == 3_000)
    }

    /// A full disk under the output is said in words, with the file.
    @Test func aFullOutputIsSaidPlainly() throws {
        guard let cli = try H.make("full") else { return }
        defer { cli.remove() }
        let event = H.oneHostEvent
        let input = try cli.directory.write("in.ndjson", event)
        let result = try cli.run(["ingest", "--output", "/dev/full", input])
        #expect(result.status == 1)
        #expect(result.standardError.contains(
            "cannot write enriched events to '/dev/full': No space left on device"),
                "\(result.standardError)")
        // So is a rejects file that cannot be written, which stops the run
        // (the write trapped: SIGILL; then it went on, the line kept nowhere).
        let bad = try cli.directory.write("bad.ndjson", "not json\n" + event)
        let rejects = try cli.run(["ingest", "--no-output", "--rejects", "/dev/full", bad])
        #expect(rejects.status == 1, "\(rejects.standardError)")
        #expect(rejects.standardError.contains("cannot write malformed lines to the rejects "
                                               + "file '/dev/full': No space left on device"))
        // A listing that cannot be written ends in failure, said: it ended
        // with success, the file cut short (past `ulimit -f` too, now that
        // the store's writes report that limit rather than die of it).
        #expect(try cli.run(["ingest", "--no-output", input]).status == 0)
        let (status, said) = try Self.shell("exec \"$0\" assets list --json --db \"$1\" > /dev/full",
                                            cli.binary.path, cli.store)
        #expect(status == 1, "\(said)")
        #expect(said.contains("perimeter: error: cannot write standard output: No space left on "
                              + "device"), "\(said)")
    }

    /// Discovery switches and alert closing write the store: while another
    /// process writes it (a server holding them in memory), they are
    /// refused, as the other writing commands are (the server went on
    /// with the old switch; a closed alert took the next matches).
    @Test func switchesAndClosingTakeTheWriterLock() throws {
        guard let cli = try H.make("switch-lock") else { return }
        defer { cli.remove() }
        #expect(try cli.ingest([H.oneHostEvent]).status == 0)
        do {
            let lock = try StoreLock(store: cli.store)
            for arguments in [["discovery", "disable", "unique_accounts"],
                              ["alerts", "close", "1"]] {
                let result = try cli.run(arguments)
                #expect(result.status == 1, "\(arguments)")
                #expect(result.standardError.contains(
                    "being written by another perimeter process"),
                        "\(arguments): \(result.standardError)")
            }
            withExtendedLifetime(lock) {}
        }
        #expect(try cli.run(["discovery", "disable", "unique_accounts"]).status == 0)
    }

    /// `atoms show --entity` names the holders an entity's event is
    /// enriched with (SPEC §1: the entity's own win over community-wide
    /// ones; it listed both), one line an asset with each way it holds the
    /// atom (a host confirmed by hand and seen in events was listed twice),
    /// and says in which entity an attachment is (`assets show` listed an
    /// atom of a community-wide host twice, once for an entity's events).
    @Test func atomsShowReadsAnEntityAsEnrichmentDoes() throws {
        guard let cli = try H.make("atoms-entity") else { return }
        defer { cli.remove() }
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "GLOBAL-DC",
                             "--atom", "hostname=dc-01", "--atom", "ipv4=10.3.0.1"]).status == 0)
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "DMZ-DC",
                             "--entity", "DMZ", "--atom", "hostname=dc-01"]).status == 0)
        let event = #"{"@timestamp":"2024-05-01T01:00:00Z","host":{"name":"dc-01","#
            + #""ip":["10.3.0.1"]}}"#
        for entity in ["DMZ", "LAN"] {
            let ingested = try cli.ingest([event], name: "\(entity).ndjson",
                                          options: ["--entity", entity])
            #expect(ingested.status == 0, "\(ingested.standardError)")
        }
        func holders(_ entity: String) throws -> [String] {
            try cli.run(["atoms", "show", "10.3.0.1", "--entity", entity,
                         "--at", "2024-05-01T02:00:00Z"]).outputLines
                .filter { $0.hasPrefix("  held at") }
        }
        let dmz = try holders("DMZ")
        #expect(dmz.count == 1 && dmz[0].contains("by DMZ-DC (")
                    && dmz[0].hasSuffix("observed in entity DMZ)"), "\(dmz)")
        // In LAN, GLOBAL-DC holds it in the entity's own scope too (LAN's
        // event found it by name): that attachment is the one that counts.
        let lan = try holders("LAN")
        #expect(lan.count == 1 && lan[0].contains("by GLOBAL-DC (")
                    && lan[0].hasSuffix(", observed in entity LAN)"), "\(lan)")
        // Without an entity, every holder: one line for GLOBAL-DC, each way.
        let all = try cli.run(["atoms", "show", "10.3.0.1", "--at", "2024-05-01T02:00:00Z"])
            .outputLines.filter { $0.hasPrefix("  held at") }
        #expect(all.count == 2, "\(all)")
        #expect(all.contains { $0.contains("by GLOBAL-DC (")
                    && $0.hasSuffix(", confirmed, observed in entity LAN)") }, "\(all)")
        let page = try cli.run(["assets", "show", "GLOBAL-DC"]).outputLines
        #expect(page.contains { $0.hasPrefix("  ipv4 10.3.0.1") && $0.hasSuffix("in entity LAN") },
                "\(page)")
    }

    /// When an ingest ends, the store file holds everything: a copy of the
    /// `.db` file alone (a backup taken after the run) is the inventory.
    /// The log's last pages were left beside it in 4 runs of 20, the
    /// connections closing as the process ended, and the copy had no
    /// `assets` table.
    @Test func theStoreFileAloneHoldsAnEndedIngest() throws {
        guard let cli = try H.make("log-copied") else { return }
        defer { cli.remove() }
        for run in 1...8 {
            let store = cli.directory.path("run\(run).db")
            let events = try cli.directory.write("e.ndjson", H.oneHostEvent + "\n")
            let result = try cli.binary.run(["ingest", "--no-output", "--now",
                                             "2024-06-01T00:00:00Z", "--db", store, events],
                                            in: cli.directory.url)
            #expect(result.status == 0, "\(result.standardError)")
            let copy = cli.directory.path("copy\(run).db")
            try FileManager.default.copyItem(atPath: store, toPath: copy)
            let count = try Database(path: copy, readOnly: true)
                .statement("SELECT count(*) FROM assets").firstRow { $0.int(0) }
            #expect(count == 1, "run \(run)")
        }
    }

    /// A discovery rule is switched off before the first ingest: the store
    /// is made for it (it was refused as missing, so a rule could only be
    /// switched off after it had discovered what it should not have), and
    /// the ingest that follows creates no account.
    @Test func aRuleIsSwitchedOffBeforeTheFirstIngest() throws {
        guard let cli = try H.make("switch-first") else { return }
        defer { cli.remove() }
        #expect(!FileManager.default.fileExists(atPath: cli.store))
        let off = try cli.run(["discovery", "disable", "unique_accounts"])
        #expect(off.status == 0, "\(off.standardError)")
        #expect(off.standardError.contains("made a new store at"), "\(off.standardError)")
        let event = #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-1"},"#
            + #""user":{"name":"alice"}}"#
        #expect(try cli.ingest([event]).status == 0)
        let listed = try cli.run(["assets", "list", "--json"])
        let names = listed.outputLines.compactMap(H.object).compactMap { $0["name"] as? String }
        #expect(names == ["ws-1"], "\(listed.standardOutput)")
    }

    /// The audit trail is a read: it is shown while another process (a
    /// server, an ingest) holds the writer lock, and an asset given by one
    /// of its atoms is named for the user.
    @Test func theAuditTrailIsReadWhileAnotherProcessWrites() throws {
        guard let cli = try H.make("audit-lock") else { return }
        defer { cli.remove() }
        #expect(try cli.run(["assets", "create", "--category", "host", "--name", "DC01",
                             "--atom", "ipv4=10.0.0.10"]).status == 0)
        let lock = try StoreLock(store: cli.store)
        let trail = try cli.run(["audit", "--json"])
        #expect(trail.status == 0, "\(trail.standardError)")
        #expect(trail.outputLines.compactMap(H.object).map { $0["action"] as? String }
                == ["create"])
        let byAtom = try cli.run(["audit", "--asset", "10.0.0.10"])
        #expect(byAtom.status != 0)
        #expect(byAtom.standardError.contains(
            "DC01 (") && byAtom.standardError.contains("holds '10.0.0.10' as an atom"),
                "\(byAtom.standardError)")
        // The header and the one change.
        #expect(try cli.run(["audit", "--asset", "DC01"]).outputLines.count == 2)
        withExtendedLifetime(lock) {}
    }

    /// A host takes at most 256 values of one identifier list from one
    /// event (a list of 40,000 MACs held the ingest a minute); the rest
    /// stay atoms of the event.
    @Test func aHostTakesAtMost256ValuesOfAList() throws {
        guard let cli = try H.make("long-list") else { return }
        defer { cli.remove() }
        let macs = (0..<300).map { String(format: "\"02:00:00:00:%02x:%02x\"", $0 / 256, $0 % 256) }
        let event = #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"switch-1","mac":["#
            + macs.joined(separator: ",") + "]}}"
        #expect(try cli.ingest([event]).status == 0)
        let shown = try cli.run(["assets", "show", "switch-1", "--json"])
        let object = try #require(shown.outputLines.first.flatMap(H.object))
        let atoms = object["atoms"] as? [[String: Any]] ?? []
        #expect(atoms.filter { $0["type"] as? String == "mac" }.count == 256)
    }

    /// `assets show` takes an atom when no asset has that name: the short
    /// name of a host that discovery named by its fqdn, or an address. An
    /// atom that two assets held names both; nothing at all is not found.
    @Test func assetsShowFindsTheOneAssetHoldingAnAtom() throws {
        guard let cli = try H.make("show-atom") else { return }
        defer { cli.remove() }
        let events = [("fs-01.acme.lan", "10.1.1.1", "10:00"), ("ws-20", "10.2.2.2", "10:00"),
                      ("ws-21", "10.3.3.3", "10:00"), ("ws-22", "10.3.3.3", "11:00")].map {
            #"{"@timestamp":"2024-05-01T\#($0.2):00Z","host":{"name":"\#($0.0)","ip":["\#($0.1)"]}}"#
        }
        #expect(try cli.ingest(events).status == 0)

        let byShortName = try cli.run(["assets", "show", "fs-01", "--json"])
        #expect(byShortName.status == 0, "\(byShortName.standardError)")
        let server = try #require(byShortName.outputLines.first.flatMap(H.object))
        #expect(server["name"] as? String == "fs-01.acme.lan")
        #expect(byShortName.standardError.contains(
            "no asset is named 'fs-01'; showing fs-01.acme.lan"), "\(byShortName.standardError)")

        let byAddress = try cli.run(["assets", "show", "10.2.2.2", "--json"])
        #expect(byAddress.outputLines.first.flatMap(H.object)?["name"] as? String == "ws-20")

        let shared = try cli.run(["assets", "show", "10.3.3.3"])
        #expect(shared.status != 0)
        #expect(shared.standardError.contains("2 assets hold or held it as an atom"),
                "\(shared.standardError)")
        #expect(shared.standardError.contains("ws-21") && shared.standardError.contains("ws-22"))

        let unknown = try cli.run(["assets", "show", "fs-99"])
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("no asset 'fs-99'"), "\(unknown.standardError)")
    }

    /// A user name alone finds the domain account of that name (`assets
    /// show`; `audit --asset` names it); two domains' accounts of the name
    /// are both named, and none is chosen.
    @Test func aBareUserNameFindsItsDomainAccount() throws {
        guard let cli = try H.make("bare-user") else { return }
        defer { cli.remove() }
        func logon(_ user: String, _ domain: String) -> String {
            #"{"@timestamp":"2024-05-01T10:00:00Z","event":{"category":["authentication"],"#
                + #""outcome":"success"},"user":{"name":"\#(user)","domain":"\#(domain)"},"#
                + #""host":{"name":"ws-1"}}"#
        }
        #expect(try cli.ingest([logon("alice", "CORP"), logon("bob", "CORP"), logon("bob", "LAB")],
                               options: ["--no-output"]).status == 0)
        let alice = try cli.run(["assets", "show", "Alice", "--json"])
        #expect(alice.status == 0, "\(alice.standardError)")
        #expect(alice.outputLines.first.flatMap(H.object)?["name"] as? String == "CORP\\alice")
        let bob = try cli.run(["assets", "show", "bob"])
        #expect(bob.status != 0)
        #expect(bob.standardError.contains("2 assets hold or held it as an atom"),
                "\(bob.standardError)")
        // The audit trail points at the account rather than guess.
        let audit = try cli.run(["audit", "--asset", "alice"])
        #expect(audit.standardError.contains("CORP\\alice ("), "\(audit.standardError)")
    }

    /// A DHCP address that moved from laptop-12 to laptop-40 names
    /// laptop-40 while it holds the lease (the clock, `--now`): both held
    /// it, and the lookup was refused as ambiguous. Before laptop-40's
    /// lease, between the release and the new grant, neither holds it.
    @Test(arguments: [("2024-05-01T15:00:00Z", "laptop-40"), ("2024-05-01T13:00:00Z", nil),
                      ("2024-05-01T09:00:00Z", "laptop-12")] as [(String, String?)])
    func assetsShowByAMovedAddressShowsItsHolderNow(now: String, shown: String?) throws {
        guard let cli = try H.make("show-moved") else { return }
        defer { cli.remove() }
        #expect(try cli.ingest(Self.tenZeroZeroSevenMoves, options: ["--no-output"]).status == 0)
        let result = try cli.run(["assets", "show", "10.0.0.7", "--now", now, "--json"])
        guard let shown else {
            #expect(result.status != 0)
            #expect(result.standardError.contains("2 assets hold or held it as an atom"),
                    "\(result.standardError)")
            return
        }
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.outputLines.first.flatMap(H.object)?["name"] as? String == shown)
        #expect(result.standardError.contains("showing \(shown), which holds it as an atom now "
                                              + "(1 other asset held it before"),
                "\(result.standardError)")
    }

    /// A CMDB's rows name machines by their host names, not Perimeter's
    /// uuids: with --match-atoms a row whose atoms one host holds rates
    /// that host (it was refused, the name being another asset's); atoms
    /// two hosts hold refuse the row; without the option, nothing changes.
    @Test func anImportMatchingAtomsUpdatesTheAssetHoldingThem() throws {
        guard let cli = try H.make("match-atoms") else { return }
        defer { cli.remove() }
        let events = ["vagrant-2016", "ws-1", "ws-2"].map {
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"\#($0)","ip":["10.0.0.9"]}}"#
        }
        #expect(try cli.ingest(events, options: ["--no-output"]).status == 0)
        let before = try #require(try cli.run(["assets", "show", "vagrant-2016", "--json"])
            .outputLines.first.flatMap(H.object))
        let cmdb = try cli.directory.write("cmdb.csv", """
            name,category,criticality,tags,atom.hostname
            vagrant-2016,host,90,crown-jewel,vagrant-2016
            shared,host,50,,ws-1;ws-2

            """)
        let plain = try cli.run(["assets", "import", cmdb])
        #expect(plain.status == 1)
        #expect(plain.standardError.contains("already belongs to asset"), "\(plain.standardError)")
        let matched = try cli.run(["assets", "import", cmdb, "--match-atoms"])
        #expect(matched.status == 1, "row 3 is refused")
        #expect(matched.outputText.contains("imported 1 asset (0 new, 1 updated)"),
                "\(matched.outputText)")
        #expect(matched.standardError.contains("row 2) matched the asset holding its atoms"),
                "\(matched.standardError)")
        #expect(matched.standardError.contains("row 3: its atoms are held by 2 assets"),
                "\(matched.standardError)")
        let after = try #require(try cli.run(["assets", "show", "vagrant-2016", "--json"])
            .outputLines.first.flatMap(H.object))
        #expect(after["uuid"] as? String == before["uuid"] as? String)
        #expect(after["criticality"] as? Int == 90)
        #expect(after["tags"] as? [String] == ["crown-jewel"])
        let listed = try cli.run(["assets", "list", "--json", "--limit", "0"])
        #expect(listed.outputLines.count == 3, "no asset was made")
    }

    /// A CSV header naming a column twice is refused: which cell was meant?
    /// (The last one was kept silently.)
    @Test func aCSVColumnTwiceIsRefused() throws {
        guard let cli = try H.make("csv-twice") else { return }
        defer { cli.remove() }
        #expect(try cli.ingest([H.oneHostEvent]).status == 0)
        let path = try cli.directory.write("dup.csv", "name,category,Name\nx,host,y\n")
        let result = try cli.run(["assets", "import", path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("the CSV column 'name' appears twice in the header"),
                "\(result.standardError)")
    }

    /// A spreadsheet's file as people save it: nameless trailing columns
    /// left out, spaces around a word and `none` read as people mean
    /// them; text after a closing quote and a value in a nameless column
    /// refused by row (not read as something else); an empty file refused
    /// by name.
    @Test func aSpreadsheetsCSVImportsAsMeant() throws {
        guard let cli = try H.make("csv-sheet") else { return }
        defer { cli.remove() }
        let sheet = try cli.directory.write("sheet.csv", "name,category,criticality,reviewed,,\n"
            + "\"ab\"c,host,,,,\n"
            + "ok-1, host ,none, yes ,,\n"
            + "ok-2,host, Unrated ,,,\n"
            + "bad,host,5,,x,\n"
            + "\"spaced\" ,host,7,,,\n")
        let result = try cli.run(["assets", "import", sheet])
        #expect(result.status == 1, "rows were refused")
        #expect(result.outputText.contains("imported 3 assets; refused 2 rows"),
                "\(result.outputText)")
        #expect(result.standardError.contains("row 2: a quoted field on line 2 has text after its "
                                              + "closing quote"), "\(result.standardError)")
        #expect(result.standardError.contains("row 5: column 5 has no name in the header, yet "
                                              + "this row has a value in it"),
                "\(result.standardError)")
        let listed = try cli.run(["assets", "list", "--json", "--limit", "0"]).outputLines
            .compactMap(H.object)
        let byName = Dictionary(uniqueKeysWithValues: listed.map { ($0["name"] as? String ?? "", $0) })
        #expect(Set(byName.keys) == ["ok-1", "ok-2", "spaced"])
        #expect(byName["ok-1"]?["criticality"] is NSNull)
        #expect(byName["ok-1"]?["reviewed"] as? Bool == true)
        #expect(byName["ok-2"]?["criticality"] is NSNull)
        #expect(byName["spaced"]?["criticality"] as? Int == 7)

        // A header's trailing comma over rows without it.
        let stray = try cli.directory.write("stray.csv", "name,category,criticality,\nok-3,host,4\n")
        let strayImport = try cli.run(["assets", "import", stray])
        #expect(strayImport.status == 0, "\(strayImport.standardError)")
        #expect(strayImport.outputText.contains("imported 1 asset"), "\(strayImport.outputText)")

        let empty = try cli.directory.write("empty.csv", "")
        let refused = try cli.run(["assets", "import", empty])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("empty.csv: the file is empty"),
                "\(refused.standardError)")
    }
}
