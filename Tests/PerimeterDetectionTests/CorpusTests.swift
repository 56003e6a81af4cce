import Foundation
import PerimeterModel
import Testing
@testable import PerimeterDetection

@Suite struct CorpusTests {
    /// Every rule of the corpus compiles or is refused with a named reason; at least
    /// 99% of the distinct rules are `compiled` or `compiled-unmapped` (correlation
    /// rules are refused). The specification's test folder holds two copies of a
    /// SigmaHQ rule under its id: refused as duplicates, the rule itself kept.
    @Test func everyCorpusRuleCompilesOrIsRefusedWithAReason() throws {
        let root = Corpus.root + "/sigma"
        try #require(FileManager.default.fileExists(atPath: root), "corpus missing at \(root)")
        let set = try RuleLoader.load(paths: [root])
        let summary = RuleCheckSummary(reports: set.reports)
        #expect(summary.total > 900)
        var duplicates = 0
        for report in set.reports where report.status == .refused {
            #expect(report.reasonCode?.isEmpty == false, "\(report.path): refused without reason")
            if report.reasonCode == "duplicate-id" {
                duplicates += 1
                #expect(report.path.contains("/specification/tests/"), "\(report.path)")
                continue
            }
            #expect(report.reasonCode == "correlation-unsupported",
                    "\(report.path): \(report.reason ?? "")")
        }
        #expect(duplicates == 2)
        #expect(Double(summary.compiled + summary.unmapped)
                >= 0.99 * Double(summary.total - duplicates))
        print(summary.text)
    }

    /// Two rules under one id: the first is kept, the second refused with
    /// where the first is (alerts group by rule id, filters name rules by it).
    @Test func aSecondRuleWithTheSameIDIsRefused() throws {
        let rule = { (title: String, level: String) in
            "title: \(title)\nid: same-id\nlevel: \(level)\ntaxonomy: ecs\n"
                + "logsource: {product: any}\ndetection:\n    s: {event.code: '1'}\n"
                + "    condition: s\n"
        }
        let set = try RuleLoader.load(text: rule("Low one", "low") + "---\n"
                                      + rule("Critical one", "critical"), path: "two.yml")
        #expect(set.rules.map(\.title) == ["Low one"])
        let refused = set.reports.filter { $0.status == .refused }
        #expect(refused.map(\.reasonCode) == ["duplicate-id"])
        #expect(refused.first?.line == 10)
        #expect(refused.first?.reason?.contains("'Low one' at two.yml:1") == true)
    }

    /// A document that is a list or a lone value is refused at its line:
    /// a rule written as a list item was skipped without a word.
    @Test func aDocumentThatIsNoMapIsRefused() throws {
        let set = try RuleLoader.load(text: "title: ok\nid: ok-1\ntaxonomy: ecs\ndetection:\n"
                                      + "    s: {a: 1}\n    condition: s\n---\n- title: x\n"
                                      + "  id: lr-1\n---\njust text\n", path: "l.yml")
        #expect(set.rules.map(\.id) == ["ok-1"])
        let refused = set.reports.filter { !$0.isOK }
        #expect(refused.map(\.reasonCode) == ["invalid-document", "invalid-document"])
        #expect(refused.map(\.line) == [8, 11])
        #expect(refused.first?.reason?.contains("this document is a list") == true)
    }

    /// The rules a correlation names, by `name` or id, run only within it
    /// (Sigma's `generate` is false by default), and correlations are not
    /// supported: alone, the base rule raised an alert for every failed
    /// logon of a brute-force count. `generate: true` keeps it running.
    @Test(arguments: [("", false), ("generate: true\n", true)])
    func theRulesOfACorrelationRunOnlyWithinIt(generate: String, runs: Bool) throws {
        let base = { (id: String, name: String) in
            "title: base \(id)\nid: \(id)\nname: \(name)\ntaxonomy: ecs\n"
                + "logsource: {product: any}\ndetection:\n    s: {event.action: login-failed}\n"
                + "    condition: s\n"
        }
        let correlation = "title: many failures\nid: corr-1\ncorrelation:\n    type: event_count\n"
            + "    rules: [by_name, base-2]\n    group-by: [user.name]\n    timespan: 5m\n"
            + "    condition: {gte: 3}\n" + generate
        let set = try RuleLoader.load(text: base("base-1", "by_name") + "---\n"
                                      + base("base-2", "other") + "---\n"
                                      + base("base-3", "unrelated") + "---\n" + correlation,
                                      path: "c.yml")
        #expect(set.rules.map(\.id) == (runs ? ["base-1", "base-2", "base-3"] : ["base-3"]))
        let codes = set.reports.map { "\($0.id ?? ""): \($0.reasonCode ?? "ok")" }
        #expect(codes == (runs ? ["base-1: ok", "base-2: ok", "base-3: ok",
                                  "corr-1: correlation-unsupported"]
                               : ["base-1: correlation-base", "base-2: correlation-base",
                                  "base-3: ok", "corr-1: correlation-unsupported"]))
        if !runs {
            #expect(set.reports[0].reason?.contains("'many failures' (c.yml:28)") == true,
                    "\(set.reports[0].reason ?? "")")
        }
    }

    /// A SigmaHQ Windows rule, through the built-in mapping, over winlogbeat's ECS
    /// event for "audit log cleared" (event.code 1102 on the Security channel).
    @Test func mappedWindowsRuleMatchesTheECSEvent() throws {
        let rule = """
            title: Security Eventlog Cleared
            id: mapped-1102
            logsource:
                product: windows
                service: security
            detection:
                selection:
                    EventID: 1102
                    Provider_Name: Microsoft-Windows-Eventlog
                condition: selection
            """
        let set = try RuleLoader.load(text: rule, mapping: .builtIn)
        let compiled = try #require(set.rules.first)
        #expect(compiled.status == .compiled)
        let engine = DetectionEngine(rules: set.rules)
        #expect(Set(engine.fieldPaths).isSuperset(of: ["event.code", "winlog.provider_name",
                                                       "winlog.channel"]))
        let reader = JSONEventReader(engine: engine)
        let event = #"{"event":{"code":"1102"},"winlog":{"channel":"Security","#
            + #""provider_name":"Microsoft-Windows-Eventlog"}}"#
        #expect(engine.evaluate(try reader.read(event)).count == 1)
        // The same values on another channel fail the log-source gate.
        let system = event.replacingOccurrences(of: "Security", with: "System")
        #expect(engine.evaluate(try reader.read(system)).isEmpty)
    }

    /// SigmaHQ's "console login without MFA" over the corpus's CloudTrail
    /// events, by hand: line 6 is the one successful ConsoleLogin with
    /// MFAUsed "No" (the rule's 'NO' matches case-insensitively); no other
    /// line is a console login.
    /// A corpus rule through the built-in mapping, and the lines of a
    /// corpus events file.
    func corpusRule(_ rule: String, events: String) throws
        -> (status: RuleStatus?, engine: DetectionEngine, reader: JSONEventReader,
            lines: [Substring]) {
        let rulePath = Corpus.root + "/sigma/rules/" + rule
        try #require(FileManager.default.fileExists(atPath: rulePath),
                     "corpus missing at \(Corpus.root)")
        let set = try RuleLoader.load(paths: [rulePath], mapping: .builtIn)
        let engine = DetectionEngine(rules: set.rules)
        let lines = try String(contentsOfFile: Corpus.root + "/ecs/" + events, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        return (set.rules.first?.status, engine, JSONEventReader(engine: engine), lines)
    }

    @Test func cloudTrailConsoleLoginWithoutMFAMatchesItsEvent() throws {
        let (status, engine, reader, lines) = try corpusRule(
            "cloud/aws/cloudtrail/aws_cloudtrail_console_login_success_without_mfa.yml",
            events: "elastic-integrations__aws__cloudtrail.ndjson")
        #expect(status == .compiled)
        var matching: [Int] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            if !engine.evaluate(try reader.read(String(line))).isEmpty {
                matching.append(index + 1)
            }
        }
        #expect(matching == [6])
    }

    /// A name mapped to two fields, of which an event fills one: a test
    /// holds on either, a test of absence (null, `|exists: false`) only on
    /// both. Each case worked by hand.
    @Test(arguments: [
        ("Addr: '-'", #"{"b":{"ip":"-"}}"#, true),
        ("Addr: '-'", #"{"a":{"ip":"1.2.3.4"}}"#, false),
        ("Addr|cidr: 1.2.3.0/24", #"{"a":{"ip":"1.2.3.4"}}"#, true),
        ("Addr|cidr: 1.2.3.0/24", #"{"b":{"ip":"1.2.3.4"}}"#, true),
        ("Addr: null", #"{"a":{"ip":"1.2.3.4"}}"#, false),
        ("Addr: null", #"{"c":1}"#, true),
        ("Addr|neq: x", #"{"b":{"ip":"x"}}"#, false),
        ("Addr|neq: x", #"{"a":{"ip":"y"}}"#, true),
        ("Addr|exists: false", #"{"b":{"ip":"-"}}"#, false),
        ("Addr|exists: true", #"{"b":{"ip":"-"}}"#, true),
    ] as [(String, String, Bool)])
    func aNameMappedToTwoFields(selection: String, event: String, matches: Bool) throws {
        let directory = NSTemporaryDirectory() + "perimeter-mapping-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mapping = directory + "/mapping.yml"
        try "fields:\n  Addr: [a.ip, b.ip]\nlogsources:\n  test:\n    product: test\n"
            .write(toFile: mapping, atomically: true, encoding: .utf8)
        let set = try RuleLoader.load(
            text: "title: t\nid: two-fields\nlogsource: {product: test}\ndetection:\n"
                + "    s:\n        \(selection)\n    condition: s\n",
            mapping: .file(mapping))
        try #require(set.rules.first?.status == .compiled, "\(set.reports)")
        let engine = DetectionEngine(rules: set.rules)
        let record = try JSONEventReader(engine: engine).read(event)
        #expect(!engine.evaluate(record).isEmpty == matches)
    }

    /// A mapping whose log source gate or field target is a value where a
    /// map or a field was meant is refused with its line (`conditions: 7`
    /// compiled as a keyword search, and the rules of that source never
    /// matched).
    @Test(arguments: [
        ("fields:\n  EventID: event.code\nlogsources:\n  x:\n    product: windows\n"
            + "    conditions: 7\n", 6),
        ("fields:\n  EventID: 5\n", 2),
        // A key the mapping does not read: a misspelt `feilds` left the
        // rules' fields unmapped without a word.
        ("feilds:\n  EventID: event.code\n", 1),
        ("fields:\n  EventID: event.code\nlogsources:\n  x:\n    product: windows\n"
            + "    condition: {a: 1}\n", 6),
    ] as [(String, Int)])
    func aMappingWithValuesForMapsIsRefused(text: String, line: Int) throws {
        let directory = NSTemporaryDirectory() + "perimeter-mapping-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mapping = directory + "/mapping.yml"
        try text.write(toFile: mapping, atomically: true, encoding: .utf8)
        #expect {
            _ = try RuleLoader.load(text: "title: t\nid: x\ndetection:\n    s: {F: 1}\n"
                                        + "    condition: s\n", mapping: .file(mapping))
        } throws: { error in
            (error as? RuleRefusal)?.code == "invalid-mapping"
                && (error as? RuleRefusal)?.line == line
        }
    }

    /// A Windows process-creation rule runs on an EDR's ECS process starts,
    /// not only on Sysmon's: harfanglab's `tasklist.exe` starts on Windows
    /// hosts are lines 12 and 51 of its corpus file (read by hand). The same
    /// test as a Linux rule holds on none of them (the hosts say windows).
    @Test(arguments: [("windows", [12, 51]), ("linux", [])] as [(String, [Int])])
    func processCreationOnAnEDRsEvents(product: String, expected: [Int]) throws {
        let set = try RuleLoader.load(
            text: "title: tasklist\nid: edr-\(product)\nlogsource:\n    product: \(product)\n"
                + "    category: process_creation\ndetection:\n    s:\n"
                + "        Image|endswith: 'tasklist.exe'\n    condition: s\n",
            mapping: .builtIn)
        try #require(set.rules.first?.status == .compiled)
        let engine = DetectionEngine(rules: set.rules)
        let reader = JSONEventReader(engine: engine)
        let lines = try String(contentsOfFile: Corpus.root
                                   + "/ecs/sekoia__harfanglab__harfanglab.ndjson", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        var matching: [Int] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            if !engine.evaluate(try reader.read(String(line))).isEmpty { matching.append(index + 1) }
        }
        #expect(matching == expected)
    }

    /// SigmaHQ's "External Remote SMB Logon from Public IP" (level high) over
    /// the system security file: its five 4624 network logons (lines 82-86)
    /// carry no address, winlogbeat keeping the `-` in
    /// `winlog.event_data.IpAddress` and writing no `source.ip`; the rule's
    /// `IpAddress: '-'` filter must see it, so none may match (mapped to
    /// `source.ip` alone, all five did). The same logon from 203.0.113.9
    /// matches.
    @Test func smbLogonWithoutAnAddressIsNotFromAPublicOne() throws {
        let (status, engine, reader, lines) = try corpusRule(
            "windows/builtin/security/account_management/"
                + "win_security_successful_external_remote_smb_login.yml",
            events: "elastic-integrations__system__security.ndjson")
        #expect(status == .compiled)
        for number in 82...86 {
            try #require(lines[number - 1].contains(#""IpAddress":"-""#))
        }
        var matching: [Int] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            if !engine.evaluate(try reader.read(String(line))).isEmpty { matching.append(index + 1) }
        }
        #expect(matching.isEmpty, "lines \(matching)")
        let publicLogon = #"{"event":{"code":"4624"},"winlog":{"channel":"Security","#
            + #""event_data":{"LogonType":"3"}},"source":{"ip":"203.0.113.9"}}"#
        #expect(!engine.evaluate(try reader.read(publicLogon)).isEmpty)
    }

    /// SigmaHQ's "external remote RDP logon from a public IP" over
    /// winlogbeat's 4624 with logon type 10 (line 88 of the system security
    /// file): its source, 10.0.2.2, is private and the rule's filter must
    /// see it in source.ip, where winlogbeat puts IpAddress. The same event
    /// from 203.0.113.9 matches.
    @Test func rdpLogonFromAPublicAddressReadsTheSourceAddress() throws {
        let (_, engine, reader, lines) = try corpusRule(
            "windows/builtin/security/account_management/"
                + "win_security_successful_external_remote_rdp_login.yml",
            events: "elastic-integrations__system__security.ndjson")
        let privateSource = String(lines[87])
        try #require(privateSource.contains(#""ip":"10.0.2.2""#))
        #expect(engine.evaluate(try reader.read(privateSource)).isEmpty)
        let publicSource = privateSource.replacingOccurrences(of: #""ip":"10.0.2.2""#,
                                                        with: #""ip":"203.0.113.9""#)
        #expect(engine.evaluate(try reader.read(publicSource)).count == 1)
    }

    @Test func unmappedLogSourceIsFlagged() throws {
        let rule = """
            title: t
            id: u
            logsource: {product: nosuchproduct}
            detection:
                selection:
                    Field: x
                condition: selection
            """
        let set = try RuleLoader.load(text: rule, mapping: .builtIn)
        #expect(set.reports.first?.status == .compiledUnmapped)
        #expect(set.reports.first?.reason?.contains("product=nosuchproduct") == true)
    }

    @Test func ecsTaxonomyKeepsFieldNames() throws {
        let rule = """
            title: t
            id: e
            taxonomy: ecs
            logsource: {product: windows, service: security}
            detection:
                selection:
                    user.name: bob
                condition: selection
            """
        let set = try RuleLoader.load(text: rule, mapping: .builtIn)
        #expect(set.reports.first?.status == .compiled)
        let engine = DetectionEngine(rules: set.rules)
        #expect(engine.fieldPaths.contains("user.name"))
    }

    /// An ECS rule's log source gates it too: one the mapping lacks (a
    /// typo) is flagged and kept from running, where it used to run on
    /// every event its selection fitted; ECS's own categories, declared
    /// without a product, gate on the event's event.category.
    @Test func anECSRulesLogSourceGatesIt() throws {
        func rule(_ logSource: String) -> String {
            """
            title: t
            id: ecs-gate
            taxonomy: ecs
            logsource: \(logSource)
            detection:
                selection:
                    process.name: powershell.exe
                condition: selection
            """
        }
        let typo = try RuleLoader.load(text: rule("{product: windwos, category: process_creation}"),
                                       mapping: .builtIn)
        #expect(typo.reports.first?.status == .compiledUnmapped)
        #expect(typo.reports.first?.reason?.contains("product=windwos") == true)

        let generic = try RuleLoader.load(text: rule("{category: process_creation}"),
                                          mapping: .builtIn)
        #expect(generic.reports.first?.status == .compiled)
        let engine = DetectionEngine(rules: generic.rules)
        let reader = JSONEventReader(engine: engine)
        let started = #"{"event":{"category":["process"],"type":["start"]},"#
            + #""process":{"name":"powershell.exe"}}"#
        let ended = #"{"event":{"category":["process"],"type":["end"]},"#
            + #""process":{"name":"powershell.exe"}}"#
        #expect(engine.evaluate(try reader.read(started)).count == 1)
        #expect(engine.evaluate(try reader.read(ended)).isEmpty)
        #expect(engine.evaluate(try reader.read(#"{"process":{"name":"powershell.exe"}}"#))
            .isEmpty)
    }

    /// A rule without an id is refused for that, each one: the second used
    /// to be refused as the first's duplicate, under the empty id, and the
    /// first ran with alerts no filter could name. A filter may go without.
    @Test func aRuleWithoutAnIDIsRefusedForIt() throws {
        let rule = { (title: String) in
            "title: \(title)\ntaxonomy: ecs\ndetection:\n    s: {event.code: '1'}\n"
                + "    condition: s\n"
        }
        let filter = "title: f\nfilter:\n    rules: ['*']\n    selection: {host.name: x}\n"
            + "    condition: selection\n"
        let set = try RuleLoader.load(text: rule("One") + "---\n" + rule("Two") + "---\n"
                                      + filter, path: "noid.yml")
        #expect(set.rules.isEmpty)
        let refused = set.reports.filter { $0.status == .refused }
        #expect(refused.map(\.reasonCode) == ["missing-id", "missing-id"])
        #expect(refused.first?.reason?.contains("has no id") == true)
        #expect(set.filters.count == 1)
    }

    /// Two filters that suppression counts would name alike are not both
    /// kept: the counts of `f-lab` summed three filters, and no analyst
    /// could tell which suppressed what. The second and the third are
    /// refused, each pointed at the first.
    @Test func filtersCountedUnderOneNameAreRefused() throws {
        let filter = { (head: String, rule: String) in
            head + "filter:\n    rules: [\(rule)]\n    selection: {host.name: lab}\n"
                + "    condition: selection\n"
        }
        let text = filter("title: Lab\nid: f-lab\n", "r-one") + "---\n"
            + filter("title: Lab two\nid: f-lab\n", "r-two") + "---\n"
            + filter("title: f-lab\n", "r-three") + "---\n"
            + filter("title: Lab three\nid: f-other\n", "r-three")
        let set = try RuleLoader.load(text: text, path: "lab.yml")
        #expect(set.filters.map(\.reportedName) == ["f-lab", "f-other"])
        let refused = set.reports.filter { $0.status == .refused }
        #expect(refused.map(\.reasonCode) == ["duplicate-id", "duplicate-id"])
        #expect(refused.map(\.line) == [8, 15])
        #expect(refused.allSatisfy { $0.reason?.contains("the filter at lab.yml:1 already") == true },
                "\(refused)")
    }

    /// A misspelt asset field is refused: the set enrichment gives is
    /// closed, and such a test never held (or its `not` always did).
    @Test func anAssetFieldEnrichmentDoesNotGiveIsRefused() throws {
        func rule(_ field: String, value: String = "x") -> String {
            "title: t\nid: asset-field\ntaxonomy: ecs\ndetection:\n"
                + "    s: {\(field): \(value)}\n    condition: s\n"
        }
        // Also in another case (an input field the event may fill itself:
        // `ANY_ASSET` is not removed as `any_asset` is), through the
        // `sekoia.` alias, and the objects, which hold no value to test.
        for field in ["sekoiaio.any_asset.tag", "sekoiaio.assets.host.tags",
                      "sekoiaio.assets.server.name", "sekoiaio.ANY_ASSET.tags",
                      "Sekoiaio.any_asset.tags", "sekoia.any_asset.tag",
                      "sekoia.Any_Asset.name", "sekoiaio.any_asset", "sekoiaio.assets",
                      "sekoia.any_asset"] {
            let set = try RuleLoader.load(text: rule(field), path: "f.yml")
            #expect(set.reports.first?.reasonCode == "unknown-asset-field", "\(field)")
            #expect(set.reports.first?.reason?.contains("sekoiaio.any_asset.tags") == true)
        }
        #expect(try RuleLoader.load(text: rule("sekoiaio.ANY_ASSET.tags"), path: "f.yml")
            .reports.first?.reason?.contains("case-sensitive: 'sekoiaio.any_asset.tags'") == true)
        #expect(try RuleLoader.load(text: rule("sekoiaio.any_asset"), path: "f.yml")
            .reports.first?.reason?.contains("sekoiaio.any_asset.uuid|exists: true") == true)
        // An intake's own sekoiaio fields (the corpus has them) are event
        // fields like any other, and the `sekoia.` alias names the asset fields.
        for field in EnrichmentFieldNames.all.union(["sekoiaio.server.name",
                                                     "sekoiaio.intake.dialect",
                                                     "sekoia.any_asset.tags",
                                                     "sekoia.assets.host.name", "sekoia.other"]) {
            // A wildcard: a value check of its own refuses `x` in some,
            // and a letter in a number's pattern.
            let pattern = field.hasSuffix("criticality_value") ? "'5*'" : "'x*'"
            let set = try RuleLoader.load(text: rule(field, value: pattern), path: "f.yml")
            #expect(set.rules.count == 1, "\(field): \(set.reports.first?.reason ?? "")")
        }
        // A field reference is checked too.
        let reference = "title: t\nid: ref\ntaxonomy: ecs\ndetection:\n"
            + "    s: {host.name|fieldref: sekoiaio.any_asset.nam}\n    condition: not s\n"
        let set = try RuleLoader.load(text: reference, path: "f.yml")
        #expect(set.reports.first?.reasonCode == "unknown-asset-field")
    }

    /// A value an asset field never carries is refused as a misspelt field
    /// is (a helper's rules compiled and never matched): `ambiguous` is
    /// written only when true, a criticality is 0–100 and its display one
    /// of four words. Values that can match, and patterns, compile.
    @Test(arguments: [
        ("sekoiaio.any_asset.ambiguous", "false", false),
        ("sekoiaio.any_asset.ambiguous", "true", true),
        ("sekoiaio.any_asset.ambiguous", "'True'", true),
        ("sekoiaio.any_asset.criticality_value", "high", false),
        ("sekoiaio.any_asset.criticality_value", "101", false),
        ("sekoiaio.any_asset.criticality_value", "50.0", true),
        ("sekoiaio.any_asset.criticality_value", "5e1", true),
        ("sekoiaio.any_asset.criticality_value", "50.5", false),
        ("sekoiaio.any_asset.criticality_value", "'0x32'", false),
        ("sekoiaio.assets.host.criticality_value", "[90, 100]", true),
        ("sekoiaio.any_asset.criticality_value", "'9*'", true),
        ("sekoiaio.any_asset.criticality_value|startswith", "'9'", true),
        ("sekoiaio.any_asset.criticality_value|contains", "'a'", false),
        ("sekoiaio.any_asset.criticality_value|gt", "100", false),
        ("sekoiaio.any_asset.criticality_value|gte", "100", true),
        ("sekoiaio.any_asset.criticality_value|lt", "0", false),
        ("sekoiaio.any_asset.criticality_value|lte", "0", true),
        ("sekoiaio.any_asset.criticality_display", "hihg", false),
        ("sekoiaio.any_asset.criticality_display", "[low, HIGH, unrated]", true),
        ("sekoiaio.any_asset.criticality_display|startswith", "hi", true),
        ("sekoiaio.any_asset.criticality_display", "null", true),
    ])
    func anAssetValueEnrichmentNeverWritesIsRefused(key: String, value: String,
                                                   compiles: Bool) throws {
        let text = "title: t\nid: asset-value\ntaxonomy: ecs\ndetection:\n"
            + "    s:\n        \(key): \(value)\n    condition: s\n"
        let report = try #require(try RuleLoader.load(text: text, path: "v.yml").reports.first)
        #expect(report.isOK == compiles, "\(report)")
        if !compiles {
            #expect(report.reasonCode == "invalid-value")
            #expect(report.line == 6)
            #expect(report.reason?.contains("never") == true)
        }
    }

    /// The summary counts a refused filter as a filter, not a rule, and
    /// says what share of the rules an ingest runs (not "ok", which the
    /// kept compiled-unmapped rules made 100%).
    @Test func theSummarySaysWhatRuns() throws {
        let text = """
            title: runs
            id: s-1
            taxonomy: ecs
            detection: {s: {event.code: '1'}, condition: s}
            ---
            title: kept
            id: s-2
            logsource: {product: nosuchproduct}
            detection: {s: {Rare: x}, condition: s}
            ---
            title: a filter
            id: f-1
            filter: {rules: [s-1], selection: {host.name: x}, condition: selection}
            ---
            title: a broken filter
            id: f-2
            filter: {rules: [s-1], selection: {host.name|nosuch: x}, condition: selection}
            """
        let summary = RuleCheckSummary(reports: try RuleLoader.load(text: text, path: "s.yml",
                                                                   mapping: .builtIn).reports)
        #expect(summary.total == 2 && summary.filters == 1 && summary.refusedFilters == 1)
        #expect(summary.problems == 1)
        #expect(summary.text.hasPrefix("2 rules: 1 compiled, 1 compiled-unmapped, 0 refused "
                                       + "(50.0% run in an ingest); 1 filter (1 more refused)"),
                "\(summary.text)")
    }

    /// A log source or an id that is not what it should be is refused, not
    /// read as none: `logsource: process_creation` left an ECS rule ungated,
    /// and `id: null` made the rule's id the text "null".
    @Test func malformedLogSourcesAndIDsAreRefused() throws {
        func rule(id: String = "x-1", logSource: String) -> String {
            "title: t\nid: \(id)\ntaxonomy: ecs\nlogsource: \(logSource)\ndetection:\n"
                + "    s: {process.name: x}\n    condition: s\n"
        }
        for logSource in ["process_creation", "[process_creation]",
                          "{category: [process_creation]}", "{product: {a: b}}"] {
            let set = try RuleLoader.load(text: rule(logSource: logSource), path: "l.yml",
                                          mapping: .builtIn)
            #expect(set.reports.first?.reasonCode == "invalid-logsource", "\(logSource)")
        }
        // A null value is no value: the rule has no product.
        let nullProduct = try RuleLoader.load(
            text: rule(logSource: "{product: null, category: process_creation}"),
            path: "l.yml", mapping: .builtIn)
        #expect(nullProduct.reports.first?.status == .compiled)
        for id in ["null", "~", "\"\\n\""] {
            let set = try RuleLoader.load(text: rule(id: id, logSource: "{}"), path: "i.yml")
            #expect(set.reports.first?.reasonCode == "missing-id", "\(id)")
        }
        let listed = try RuleLoader.load(text: rule(id: "[a, b]", logSource: "{}"), path: "i.yml")
        #expect(listed.reports.first?.reasonCode == "invalid-id")
        // `*` names every rule in a filter; an id is one line of a listing.
        for id in ["'*'", "\"a\\nb\"", String(repeating: "x", count: 257), "\"a\\u202Eb\"",
                   "\"a\\u2028b\"", "\"a\\u200Bb\""] {
            let set = try RuleLoader.load(text: rule(id: id, logSource: "{}"), path: "i.yml")
            #expect(set.reports.first?.reasonCode == "invalid-id", "\(id)")
        }
        let longest = try RuleLoader.load(text: rule(id: String(repeating: "x", count: 256),
                                                     logSource: "{}"), path: "i.yml")
        #expect(longest.reports.first?.status == .compiled)
        let spaced = try RuleLoader.load(text: rule(id: "'  spaced  '", logSource: "{}"),
                                         path: "i.yml")
        #expect(spaced.rules.first?.id == "spaced" && spaced.reports.first?.id == "spaced")
    }

    /// Placeholders of one's own add to the shipped ones: `placeholders: {}`
    /// (the documented default) used to drop them all.
    @Test func configuredPlaceholdersAddToTheShippedOnes() throws {
        let shipped = try RuleLoader.builtInPlaceholders()
        let name = try #require(shipped.keys.sorted().first)
        let text = "title: t\nid: p-1\ntaxonomy: ecs\ndetection:\n"
            + "    s: {user.name|expand: '%\(name)%'}\n    mine: {user.name|expand: '%Mine%'}\n"
            + "    condition: s or mine\n"
        let file = NSTemporaryDirectory() + "perimeter-placeholders-\(UUID().uuidString).yml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let set = try RuleLoader.load(paths: [file], placeholders: ["Mine": ["alice"]])
        #expect(set.rules.count == 1, "\(set.reports.first?.reason ?? "")")
        let none = try RuleLoader.load(paths: [file], placeholders: [:])
        #expect(none.reports.first?.reasonCode == "unknown-placeholder")
    }
}


/// Sigma's `User` of a Windows process start is `DOMAIN\user`, as Sysmon
/// writes it; Winlogbeat splits it into `user.domain` and `user.name`. The
/// built-in mapping joins them back, so that SigmaHQ's `User|contains:
/// 'AUTHORI'` filter holds for NT AUTHORITY\SYSTEM and `User|fieldref:
/// ParentUser` compares like with like (on `user.name` alone the filter
/// never held, and a process of the same user read as a cross-user spawn).
/// SPEC §5: the reference text's `sekoia.` prefix names the same asset
/// fields as `sekoiaio.`: a rule written so reads the enrichment's, and an
/// event's own `sekoia.any_asset.*` (which no enrichment wrote) claims
/// nothing.
@Suite struct SekoiaPrefixTests {
    @Test func theSekoiaPrefixNamesTheEnrichmentsAssetFields() throws {
        let set = try RuleLoader.load(text: """
            title: touches dc-01
            id: sekoia-prefix
            taxonomy: ecs
            logsource: {category: authentication}
            detection: {sel: {sekoia.any_asset.name: dc-01}, condition: sel}
            """, mapping: .builtIn)
        try #require(set.rules.first?.status == .compiled, "\(set.reports)")
        let engine = DetectionEngine(rules: set.rules)
        #expect(engine.fieldPaths.contains("sekoiaio.any_asset.name"))
        #expect(!engine.fieldPaths.contains("sekoia.any_asset.name"))
        let claim = #"{"event":{"category":["authentication"]},"#
            + #""sekoia":{"any_asset":{"name":["dc-01"]}},"sekoia.any_asset.name":"dc-01"}"#
        #expect(engine.evaluate(try JSONEventReader(engine: engine).read(claim)).isEmpty)
        let enriched = #"{"event":{"category":["authentication"]}}"#
        let matches = engine.evaluate(try JSONEventReader(engine: engine).read(
            enriched, extraValues: ["sekoiaio.any_asset.name": [.string("dc-01")]]))
        #expect(matches.map(\.ruleID) == ["sekoia-prefix"])
    }
}

@Suite struct QualifiedUserNameTests {
    static func event(image: String, domain: String, user: String, parent: String) -> String {
        #"{"event":{"provider":"Microsoft-Windows-Sysmon","code":"1"},"#
            + #""host":{"os":{"type":"windows"}},"process":{"executable":"\#(image)"},"#
            + #""user":{"domain":"\#(domain)","name":"\#(user)"},"#
            + #""winlog":{"event_data":{"ParentUser":"\#(parent)"}}}"#
    }

    static func matches(_ rule: String, _ event: String) throws -> Bool {
        let set = try RuleLoader.load(text: rule, mapping: .builtIn)
        try #require(set.rules.first?.status == .compiled, "\(set.reports)")
        let engine = DetectionEngine(rules: set.rules)
        return !engine.evaluate(try JSONEventReader(engine: engine).read(event)).isEmpty
    }

    @Test(arguments: [
        ("NT AUTHORITY", "SYSTEM", false),   // the filter holds: no alert
        ("CORP", "bob", true),
    ])
    func aSystemFilterSeesTheDomain(domain: String, user: String, fires: Bool) throws {
        let rule = """
            title: cmd not by SYSTEM
            id: qualified-1
            logsource: {product: windows, category: process_creation}
            detection:
                sel:
                    Image|endswith: '\\cmd.exe'
                filter:
                    User|contains: ['AUTHORI', 'AUTORI']
                condition: sel and not filter
            """
        let event = Self.event(image: #"C:\\Windows\\System32\\cmd.exe"#, domain: domain,
                               user: user, parent: #"CORP\\alice"#)
        #expect(try Self.matches(rule, event) == fires)
    }

    /// The field is Perimeter's: an event that brings its own cannot pass
    /// CORP\bob off as SYSTEM to the filter above (`rules test` read it).
    @Test func anEventCannotSetTheQualifiedName() throws {
        let rule = """
            title: cmd not by SYSTEM
            id: qualified-3
            logsource: {product: windows, category: process_creation}
            detection:
                sel:
                    Image|endswith: '\\cmd.exe'
                filter:
                    User: 'NT AUTHORITY\\SYSTEM'
                condition: sel and not filter
            """
        var event = Self.event(image: #"C:\\Windows\\System32\\cmd.exe"#, domain: "CORP",
                               user: "bob", parent: #"CORP\\alice"#)
        event.removeLast()
        event += #","perimeter":{"qualified_user_name":"NT AUTHORITY\\SYSTEM"}}"#
        #expect(try Self.matches(rule, event))
        event = event.replacingOccurrences(of: #""perimeter":{"qualified_user_name""#,
                                           with: #""perimeter.qualified_user_name""#)
            .replacingOccurrences(of: #"SYSTEM"}}"#, with: #"SYSTEM"}"#)
        #expect(try Self.matches(rule, event))
    }

    @Test(arguments: [("alice", false), ("bob", true)])
    func aParentOfTheSameUserIsNoCrossUserSpawn(user: String, fires: Bool) throws {
        let rule = """
            title: cross-user spawn
            id: qualified-2
            logsource: {product: windows, category: process_creation}
            detection:
                selection:
                    Image|endswith: '\\notepad.exe'
                same_user:
                    User|fieldref: ParentUser
                condition: selection and not same_user
            """
        let event = Self.event(image: #"C:\\Windows\\System32\\notepad.exe"#, domain: "CORP",
                               user: user, parent: #"CORP\\alice"#)
        #expect(try Self.matches(rule, event) == fires)
    }

    /// A Linux rule's `User` is `user.name` itself, one of the two parts:
    /// with a Windows rule beside it, the reader selects the field once and
    /// each rule reads its own (the reader trapped on every event).
    @Test func aLinuxUserRuleBesideAWindowsOneReadsTheSameField() throws {
        func rule(_ product: String) -> String {
            """
            title: \(product) root
            id: user-\(product)
            logsource: {product: \(product), category: process_creation}
            detection: {sel: {User: root}, condition: sel}
            """
        }
        let set = try RuleLoader.load(text: rule("linux") + "\n---\n" + rule("windows"),
                                      mapping: .builtIn)
        try #require(set.rules.count == 2 && set.rules.allSatisfy { $0.status == .compiled },
                     "\(set.reports)")
        let engine = DetectionEngine(rules: set.rules)
        let reader = JSONEventReader(engine: engine)
        func matched(_ event: String) throws -> [String] {
            engine.evaluate(try reader.read(event)).map(\.ruleID).sorted()
        }
        #expect(try matched(#"{"a":1}"#) == [])
        // A Linux process of root; a Windows one of CORP\root, whose bare
        // name is `root` (Windows' `User` is both forms), and one of
        // CORP\rooted, which neither form makes `root`.
        #expect(try matched(#"{"host":{"os":{"type":"linux"}},"event":{"category":"process","#
                            + #""type":"start"},"user":{"name":"root"}}"#) == ["user-linux"])
        #expect(try matched(#"{"event":{"provider":"Microsoft-Windows-Sysmon","code":"1"},"#
                            + #""host":{"os":{"type":"windows"}},"#
                            + #""user":{"domain":"CORP","name":"root"}}"#) == ["user-windows"])
        #expect(try matched(#"{"event":{"provider":"Microsoft-Windows-Sysmon","code":"1"},"#
                            + #""host":{"os":{"type":"windows"}},"#
                            + #""user":{"domain":"CORP","name":"rooted"}}"#) == [])
        #expect(try matched(#"{"event":{"provider":"Microsoft-Windows-Sysmon","code":"1"},"#
                            + #""host":{"os":{"type":"windows"}},"user":{"name":"root"}}"#)
                == ["user-windows"])
    }

    @Test func theValueIsTheDomainAndTheName() {
        #expect(QualifiedUserName.value(domain: "CORP", name: "alice") == "CORP\\alice")
        #expect(QualifiedUserName.value(domain: nil, name: "alice") == "alice")
        #expect(QualifiedUserName.value(domain: "CORP", name: "CORP\\alice") == "CORP\\alice")
        #expect(QualifiedUserName.value(domain: "CORP", name: nil) == nil)
    }
}
