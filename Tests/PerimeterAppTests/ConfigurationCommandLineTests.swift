import Foundation
import PerimeterTestSupport
import Testing

/// The configuration file (SPEC §8) as the command line reads it.
@Suite(.requiresPerimeterExecutable)
struct ConfigurationCommandLineTests {
    typealias H = CommandLineHarness

    /// SPEC §1: the display buckets' bounds are configuration. Default
    /// low 0–33, medium 34–67, high 68–100; with medium_from 20 and
    /// high_from 45: low 0–19, medium 20–44, high 45–100.
    @Test(arguments: [
        (30, "low", "medium"),
        (50, "medium", "high"),
        (19, "low", "low"),
        (45, "medium", "high"),
        (68, "high", "high"),
    ])
    func criticalityBoundsChangeTheDisplay(value: Int, byDefault: String,
                                           configured: String) throws {
        guard let cli = try H.make("bounds") else { return }
        defer { cli.remove() }
        let config = try cli.directory.write(
            "perimeter.yaml", "criticality:\n  medium_from: 20\n  high_from: 45\n")
        let created = try cli.run(["assets", "create", "--category", "host", "--name", "APP-01",
                                   "--criticality", String(value), "--atom", "hostname=app-01"])
        #expect(created.status == 0, "\(created.standardError)")

        let plain = try cli.listAssets().assets
        #expect(plain.first?["criticality_display"] as? String == byDefault)
        let tuned = try cli.listAssets(["--config", config]).assets
        #expect(tuned.first?["criticality_display"] as? String == configured)

        let event = #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"app-01"}}"#
        for (options, display) in [([String](), byDefault), (["--config", config], configured)] {
            let result = try cli.ingest([event], name: "e\(options.count).ndjson",
                                        options: options)
            let enriched = try #require(result.outputLines.first.flatMap(H.object))
            #expect(H.value(enriched, "sekoiaio.any_asset.criticality_display") as? [String]
                    == [display], "options \(options)")
            #expect(H.value(enriched, "sekoiaio.any_asset.criticality_value") as? [Int] == [value])
        }
    }

    /// SPEC §2: `ws-01.corp.example.org` in host.name gives the host
    /// `ws-01` with its fqdn; strict mode drops it and counts the loss.
    @Test func strictHostnamesDropDottedNamesAndCountThem() throws {
        guard let cli = try H.make("strict") else { return }
        defer { cli.remove() }
        let event = #"{"@timestamp":"2024-05-01T10:00:00Z","#
            + #""host":{"name":"ws-01.corp.example.org"}}"#

        let relaxed = try cli.ingest([event], options: ["--no-output"])
        #expect(relaxed.status == 0)
        let hosts = try cli.listAssets(["--category", "host"]).assets
        #expect(hosts.count == 1)
        let atoms = (hosts.first?["atoms"] as? [[String: Any]] ?? [])
            .map { "\($0["type"] ?? "?")=\($0["value"] ?? "?")" }.sorted()
        #expect(atoms == ["fqdn=ws-01.corp.example.org", "hostname=ws-01"])
        #expect(!relaxed.standardError.contains("dotted hostnames dropped"))

        guard let strictCLI = try H.make("strict-on") else { return }
        defer { strictCLI.remove() }
        let config = try strictCLI.directory.write("perimeter.yaml",
                                                   "atoms:\n  strict_hostnames: true\n")
        let strict = try strictCLI.ingest([event, event],
                                          options: ["--no-output", "--config", config])
        #expect(strict.status == 0)
        #expect(strict.standardError.contains("dotted hostnames dropped (strict mode): 2"),
                "\(strict.standardError)")
        #expect(try strictCLI.listAssets(["--category", "host"]).count == 0)
        #expect(try strictCLI.counters()["dotted_hostnames_dropped"] == 2)
    }

    /// A log received over syslog names its receiver in agent.*: no atom
    /// by default; `collector_sources` with `replace: true` and no relay
    /// types reads agent.id as the sender's again.
    @Test func relayInputTypesAreConfigurable() throws {
        let event = #"{"@timestamp":"2024-05-01T10:00:00Z","input":{"type":"udp"},"#
            + #""host":{"name":"fw-edge-1"},"agent":{"name":"collector-3","#
            + #""id":"7d1f0c52-aaaa-4bbb-8ccc-0123456789ab"}}"#
        func hostAtoms(_ configuration: String?) throws -> [String]? {
            guard let cli = try H.make("relay") else { return nil }
            defer { cli.remove() }
            var options = ["--no-output"]
            if let configuration {
                options += ["--config", try cli.directory.write("perimeter.yaml", configuration)]
            }
            let result = try cli.ingest([event], options: options)
            #expect(result.status == 0, "\(result.standardError)")
            let hosts = try cli.listAssets(["--category", "host"]).assets
            return (hosts.first?["atoms"] as? [[String: Any]] ?? [])
                .map { "\($0["type"] ?? "?")=\($0["value"] ?? "?")" }.sorted()
        }
        guard let relayed = try hostAtoms(nil) else { return }
        #expect(relayed == ["hostname=fw-edge-1"])
        let own = try hostAtoms("atoms:\n  collector_sources:\n    replace: true\n")
        #expect(own == ["agent_id=7d1f0c52-aaaa-4bbb-8ccc-0123456789ab", "hostname=fw-edge-1"])
    }

    /// A view reads the timeline with the address expiry the ingest read
    /// the events with (recorded in the store), not with its own
    /// configuration's: with 2h at ingest, the address of a sighting at
    /// 10:00 is no one's at 13:00, as enrichment had it, also for a view
    /// given no configuration (which said held, with its default 7 days);
    /// a configuration that says otherwise is noted.
    @Test func viewsReadTheTimelineWithTheIngestsExpiry() throws {
        guard let cli = try H.make("expiry") else { return }
        defer { cli.remove() }
        let config = try cli.directory.write("perimeter.yaml", "timeline:\n  address_expiry: 2h\n")
        let ingest = try cli.ingest([#"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-01","ip":"10.0.0.5"}}"#],
                                    options: ["--config", config, "--no-output"])
        #expect(ingest.status == 0, "\(ingest.standardError)")
        // An ingest that reads no event, with the default 7 days, leaves
        // the store's expiry as the one that read events had it; it says
        // that it reads with another one.
        let empty = try cli.run(["ingest", "--no-output", "-"], input: "")
        #expect(empty.status == 0)
        #expect(empty.standardError.contains("note: observed addresses expired after 2h in this "
                                             + "store"), "\(empty.standardError)")
        let later = try cli.run(["atoms", "show", "10.0.0.5", "--at", "2024-05-01T13:00:00Z"])
        #expect(later.outputLines.dropFirst().first == "  held by no asset at 2024-05-01T13:00:00.000Z",
                "\(later.outputText)")
        #expect(later.standardError.contains("observed addresses expire after 2h here"),
                "\(later.standardError)")
        let within = try cli.run(["atoms", "show", "10.0.0.5", "--at", "2024-05-01T11:00:00Z",
                                  "--config", config])
        #expect(within.outputLines.dropFirst().first?.hasPrefix("  held at 2024-05-01T11:00:00.000Z by ws-01")
                == true, "\(within.outputText)")
        #expect(!within.standardError.contains("expire after"), "\(within.standardError)")
        // `--at now` is the command's now: `--now` fixes it (it read the
        // wall clock, years after, when no one held the address).
        let fixed = try cli.run(["atoms", "show", "10.0.0.5", "--now", "2024-05-01T11:00:00Z",
                                 "--at", "now", "--config", config])
        #expect(fixed.outputLines.dropFirst().first?.hasPrefix("  held at 2024-05-01T11:00:00.000Z by ws-01")
                == true, "\(fixed.outputText)")
    }

    /// The sample configuration of docs/configuration.md is read as it
    /// is: a user copies it and edits it (a section holding only comments,
    /// YAML's null, was refused as "must be a mapping").
    @Test func theDocumentedSampleIsAValidConfiguration() throws {
        guard let cli = try H.make("doc-sample") else { return }
        defer { cli.remove() }
        let document = try String(contentsOfFile: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/configuration.md").path, encoding: .utf8)
        let start = try #require(document.range(of: "```yaml\n"))
        let end = try #require(document.range(of: "```", range: start.upperBound..<document.endIndex))
        let sample = String(document[start.upperBound..<end.lowerBound])
        let config = try cli.directory.write("perimeter.yaml", sample)
        let result = try cli.run(["ingest", "--no-output", "--config", config, "-"],
                                 input: H.oneHostEvent)
        #expect(result.status == 0, "\(result.standardError)")
        let empty = try cli.directory.write(
            "empty.yaml", "timeline:\n  # nothing yet\nleases:\ndetection:\n  urgency:\n  placeholders:\n")
        let again = try cli.run(["assets", "list", "--config", empty])
        #expect(again.status == 0, "\(again.standardError)")
    }

    /// SPEC §8 and the loader's contract: an unknown key is refused with
    /// its file and line and the nearest valid key, so that a typo never
    /// silently leaves a default in force.
    @Test(arguments: [
        ("criticality:\n  medium_from: 30\n  hihg_from: 70\n", 3, "'hihg_from'", "'high_from'"),
        ("# tuned for the SOC\natom:\n  strict_hostnames: true\n", 2, "'atom'", "'atoms'"),
        ("ingest:\n  batch_sise: 10\n", 2, "'batch_sise'", "'batch_size'"),
    ])
    func unknownKeyIsRefusedWithItsLineAndASuggestion(yaml: String, line: Int, key: String,
                                                      suggestion: String) throws {
        guard let cli = try H.make("unknown-key") else { return }
        defer { cli.remove() }
        let config = try cli.directory.write("perimeter.yaml", yaml)
        for command in [["assets", "list"], ["ingest", "--no-output", "-"]] {
            let result = try cli.run(command + ["--config", config], input: "")
            #expect(result.status == 1, "\(command)")
            let message = result.standardError
            #expect(message.contains("\(config):\(line):"), "\(command): \(message)")
            #expect(message.contains("unknown key \(key)"), "\(command): \(message)")
            #expect(message.contains("did you mean \(suggestion)"), "\(command): \(message)")
        }
    }

    /// A bad value of the detection section names the file and its own
    /// line (the second item of the list, line 5), and a key said twice
    /// in one mapping is refused with both lines.
    @Test(arguments: [
        ("detection:\n  placeholders:\n    admins:\n      - a\n      - {x: 1}\n", 5,
         "'detection.placeholders.admins' must list text values only"),
        ("ingest:\n  batch_size: 10\ningest:\n  batch_size: 20\n", 3,
         "the key 'ingest' appears twice in one mapping (first on line 1)"),
        ("timeline:\n  address_expiry: 0s\n", 2, "'timeline.address_expiry' must be longer than 0s"),
        ("timeline:\n  lateness_window: 1h\n  shared_address_window: 0s\n", 3,
         "'timeline.shared_address_window' must be longer than 0s"),
        ("retention:\n  unclaimed_atoms: 0s\n", 2,
         "'retention.unclaimed_atoms' must be longer than 0s"),
        ("timeline:\n  lateness_window: soon\n", 2,
         "'timeline.lateness_window' must be a duration such as 90s, 15m, 24h, 7d or 52w (at "
            + "most 1000000d), not 'soon'"),
        ("detection:\n  rules: {a: 1}\n", 2, "'detection.rules' must be a list"),
        ("ingest:\n  batch_size: 10\n  checkpoint_mb: 0\n", 3,
         "'ingest.checkpoint_mb' must be a whole number from 1 to 4096, not '0'"),
        ("ingest:\n  checkpoint_mb: \"5\"\n", 2,
         "'ingest.checkpoint_mb' must be a whole number from 1 to 4096, not the quoted text '5'"),
        ("ingest:\n  batch_size: [1]\n", 2,
         "'ingest.batch_size' must be a whole number from 1 to 1000000, not a list"),
        ("accounts:\n  strict: {a: 1}\n", 2, "'accounts.strict' must be true or false, not a mapping"),
        ("detection:\n  rules: [.]\n  urgency:\n    severities: {high: [1]}\n", 4,
         "'detection.urgency.severities.high' must be a whole number from 0 to 100, not a list"),
        ("ingest:\n  batch_size: 10\n---\ningest:\n  bogus: 1\n", 4,
         "a configuration file holds one YAML document; this one starts another"),
        // An empty bucket made `--criticality medium` a range that does
        // not exist: the process trapped (the server too).
        ("criticality:\n  medium_from: 50\n  high_from: 50\n", 2,
         "criticality.medium_from (50) must be above 0 and below criticality.high_from (50)"),
        ("criticality:\n  medium_from: 0\n", 2,
         "criticality.medium_from (0) must be above 0"),
        // A path that names nothing readable is said with its key and line.
        ("detection:\n  rules:\n    - .\n    - nope\n", 4,
         "'detection.rules' names '"),
        ("leases:\n  sources_file: .\n", 2,
         "which is a folder, not a file (a relative path is read from the configuration"),
        ("atoms:\n  public_suffix_list: missing.dat\n", 2, "which does not exist"),
        ("detection:\n  alert_windw: 1h\n", 2,
         "unknown key 'alert_windw' in 'detection'; did you mean 'alert_window'?"),
        // A placeholder left empty: a rule's `not` of it held on every event.
        ("detection:\n  placeholders: {Admins: }\n", 2, "placeholder 'Admins' has no values"),
        ("detection:\n  placeholders:\n    Admins: []\n", 3, "placeholder 'Admins' has no values"),
        ("detection:\n  placeholders:\n    Admins: [root, '']\n", 3,
         "placeholder 'Admins' has no values, or an empty one"),
        // An empty path named the configuration's own folder: its YAML
        // files were read as rules.
        ("detection:\n  rules: ['']\n", 2, "'detection.rules' names an empty path"),
        ("atoms:\n  public_suffix_list: ''\n", 2,
         "'atoms.public_suffix_list' must be a file path, not the quoted text ''"),
        ("detection:\n  urgency:\n    include_networks: maybe\n", 3,
         "'detection.urgency.include_networks' must be true or false, not 'maybe'"),
        // A mapping file is read by every command, not only those that
        // compile rules (this one is the configuration itself).
        ("detection:\n  mapping: perimeter.yaml\n", 2,
         "perimeter.yaml:1: unknown key 'detection' at the top; expected fields, logsources, values"),
    ])
    func aBadValueNamesItsFileAndLine(yaml: String, line: Int, message: String) throws {
        guard let cli = try H.make("bad-value") else { return }
        defer { cli.remove() }
        let config = try cli.directory.write("perimeter.yaml", yaml)
        // A read command refuses the file as the ingest does (the detection
        // section passed `assets list`).
        for command in [["ingest", "--no-output", "-"], ["assets", "list"]] {
            let result = try cli.run(command + ["--config", config], input: "")
            #expect(result.status == 1, "\(command)")
            #expect(result.standardError.contains("\(config):\(line)"), "\(result.standardError)")
            #expect(result.standardError.contains(message), "\(result.standardError)")
        }
    }

    /// An empty list key (`rules:`, `rules: null`) is no paths at all, not a
    /// path named "null": here filters are left without rules.
    @Test(arguments: ["rules:", "rules: null", "rules: ~"])
    func anEmptyRulesKeyIsNoRules(line: String) throws {
        guard let cli = try H.make("null-rules") else { return }
        defer { cli.remove() }
        let filter = try cli.directory.write("filter.yml", "title: f\n")
        let config = try cli.directory.write(
            "perimeter.yaml", "detection:\n  \(line)\n  filters: [\(filter)]\n")
        let result = try cli.run(["ingest", "--no-output", "--config", config, "-"], input: "")
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains("names filters but no rules"),
                "\(result.standardError)")
    }

    /// A lease sources file's unknown key is refused at its own line (it
    /// was the entry's), with the nearest key.
    /// Every relative path a configuration file names is relative to the
    /// file's folder, wherever the command runs: its rules, placeholders
    /// and lease sources were read from two different folders (rules from
    /// where the command ran: missing there, or another folder's rules).
    @Test func pathsInTheConfigurationAreRelativeToIt() throws {
        guard let cli = try H.make("config-paths") else { return }
        defer { cli.remove() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: cli.directory.path("conf/rules"),
                               withIntermediateDirectories: true)
        try fm.createDirectory(atPath: cli.directory.path("elsewhere/rules"),
                               withIntermediateDirectories: true)
        _ = try cli.directory.write("conf/rules/admin.yml", """
            title: Admins log on
            id: conf-admin-logon
            taxonomy: ecs
            detection:
                selection:
                    user.name|expand: '%Admins%'
                condition: selection
            """)
        // Another folder's rule of the same name, where the command runs.
        _ = try cli.directory.write("elsewhere/rules/admin.yml", """
            title: Wrong folder
            id: elsewhere-rule
            taxonomy: ecs
            detection:
                selection:
                    user.name: nobody
                condition: selection
            """)
        _ = try cli.directory.write("conf/admins.yml", "placeholders:\n  Admins: [adm_*]\n")
        let config = try cli.directory.write("conf/perimeter.yaml", """
            detection:
              rules: [rules]
              placeholders_file: admins.yml
            """)
        let events = try cli.directory.write("events.ndjson",
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-1"},"user":{"name":"adm_jo"}}"#
                + "\n")
        let result = try cli.binary.run(["ingest", "--no-output", "--db", cli.store, "--config",
                                         config, events],
                                        in: URL(fileURLWithPath: cli.directory.path("elsewhere")))
        #expect(result.status == 0, "\(result.standardError)")
        let alerts = try cli.run(["alerts", "list", "--json"])
        let rules = alerts.outputLines.compactMap(H.object).compactMap { $0["rule_id"] as? String }
        #expect(rules == ["conf-admin-logon"], "\(alerts.outputText)")
    }

    /// A lease source's field given as a list or a mapping, a `when` with
    /// no value, and a key beside the list are refused at their lines:
    /// each was dropped, and the default field (or nothing) read instead.
    @Test(arguments: [
        ("", "    action_field: [other.act]\n", 5, "'action_field' names one field, not a list"),
        ("", "    mac_field: {a: b}\n", 5, "'mac_field' names one field, not a mapping"),
        ("", "    hostname_field: ''\n", 5,
         "'hostname_field' names one field, not the quoted text ''"),
        ("", "extra: true\n", 5,
         "unknown key 'extra'; a lease sources file holds 'lease_sources:' alone"),
        ("[]", "", 3, "'when.event.dataset' lists no value"),
    ])
    func aLeaseSourceOfTheWrongShapeIsRefused(datasets: String, line: String, at number: Int,
                                              message: String) throws {
        guard let cli = try H.make("lease-shape") else { return }
        defer { cli.remove() }
        let leases = try cli.directory.write("leases.yaml", """
            lease_sources:
              - name: kea
                when: { event.dataset: \(datasets.isEmpty ? "[kea.dhcp4]" : datasets) }
                address_field: client.ip

            """ + line)
        let config = try cli.directory.write("perimeter.yaml", "leases:\n  sources_file: leases.yaml\n")
        let result = try cli.run(["ingest", "--no-output", "--config", config, "-"], input: "")
        #expect(result.status == 1)
        #expect(result.standardError.contains("\(leases):\(number): \(message)"),
                "\(result.standardError)")
    }

    @Test func aLeaseSourceKeyIsRefusedAtItsLine() throws {
        guard let cli = try H.make("lease-key") else { return }
        defer { cli.remove() }
        let leases = try cli.directory.write("leases.yaml", """
            lease_sources:
              - name: kea
                when: { event.dataset: [kea.dhcp4] }
                action_field: event.action
                grant: [dhcp4_lease_alloc]
                release: [dhcp4_release]
                address_field: client.ip
                hostname_feild: client.domain
            """)
        let config = try cli.directory.write("perimeter.yaml",
                                             "leases:\n  sources_file: \(leases)\n")
        let result = try cli.run(["ingest", "--no-output", "--config", config, "-"], input: "")
        #expect(result.status == 1)
        #expect(result.standardError.contains("\(leases):8: unknown key 'hostname_feild'"),
                "\(result.standardError)")
        #expect(result.standardError.contains("did you mean 'hostname_field'"))
    }

    /// An action listed as both a grant and a release is refused: every
    /// such event was read as whichever was tested first.
    @Test func aLeaseActionIsAGrantOrARelease() throws {
        guard let cli = try H.make("lease-action") else { return }
        defer { cli.remove() }
        let leases = try cli.directory.write("leases.yaml", """
            lease_sources:
              - name: kea
                when: { event.dataset: [kea.dhcp4] }
                grant: [dhcp4_lease_alloc, DHCP4_Renew]
                release: [dhcp4_release, dhcp4_renew]
                address_field: client.ip
            """)
        let config = try cli.directory.write("perimeter.yaml",
                                             "leases:\n  sources_file: \(leases)\n")
        let result = try cli.run(["ingest", "--no-output", "--config", config, "-"], input: "")
        #expect(result.status == 1)
        #expect(result.standardError.contains("lease source 'kea' lists the action 'dhcp4_renew' "
                                              + "under both grant and release"),
                "\(result.standardError)")
    }

    /// A configuration or lease sources file that cannot be read says
    /// why, in the system's words: it said "no such file, or not
    /// readable" of a folder, and a setting with bytes that are no UTF-8
    /// was read with replacement characters in it.
    @Test func anUnreadableConfigurationSaysWhy() throws {
        guard let cli = try H.make("config-unreadable") else { return }
        defer { cli.remove() }
        let folder = cli.directory.url.path
        let folderRun = try cli.run(["ingest", "--no-output", "--config", folder, "-"], input: "")
        #expect(folderRun.status == 1)
        #expect(folderRun.standardError.contains(
            "\(folder): cannot read the configuration file: it is a folder"),
                "\(folderRun.standardError)")
        let missing = try cli.run(["ingest", "--no-output", "--config", folder + "/none.yaml", "-"],
                                  input: "")
        #expect(missing.standardError.contains("none.yaml: cannot read the configuration file: "
                                               + "no such file"), "\(missing.standardError)")
        let latin1 = try cli.directory.write("latin1.yaml", "")
        try Data(Array("store:\n  path: caf".utf8) + [0xE9] + Array(".db\n".utf8))
            .write(to: URL(fileURLWithPath: latin1))
        let encoded = try cli.run(["ingest", "--no-output", "--config", latin1, "-"], input: "")
        #expect(encoded.status == 1)
        #expect(encoded.standardError.contains("latin1.yaml: cannot read the configuration file: "
                                               + "line 2 is not UTF-8 text"),
                "\(encoded.standardError)")
        let config = try cli.directory.write("perimeter.yaml",
                                             "leases:\n  sources_file: \(latin1)\n")
        let leases = try cli.run(["ingest", "--no-output", "--config", config, "-"], input: "")
        #expect(leases.status == 1)
        #expect(leases.standardError.contains("latin1.yaml: cannot read the lease sources file: "
                                              + "line 2 is not UTF-8 text"),
                "\(leases.standardError)")
        // Left empty, the key names no file (it was read as the folder).
        for value in ["", "''"] {
            let empty = try cli.directory.write("empty-leases.yaml",
                                                "leases:\n  sources_file: \(value)\n")
            let unset = try cli.run(["ingest", "--no-output", "--config", empty, "-"], input: "")
            #expect(unset.status == 0, "\(value): \(unset.standardError)")
        }
    }
}
