import Foundation
@testable import PerimeterDetection
import Testing

/// SigmaHQ's Sysmon categories through the built-in mapping, over the
/// corpus's Sysmon events as Elastic's pipeline writes them. The lines
/// each rule must match were found by a separate script reading the JSON
/// (event.code, and the ECS or event_data field the rule names).
@Suite struct SysmonMappingTests {
    static let events = "elastic-integrations__windows__sysmon_operational.ndjson"

    /// The 1-based lines of the corpus file that a rule matches.
    func matchedLines(_ category: String, _ selection: String,
                      in file: String = SysmonMappingTests.events) throws -> [Int] {
        let rule = "title: t\nid: t\nlogsource:\n    product: windows\n    category: \(category)\n"
            + "detection:\n    selection:\n" + selection + "    condition: selection\n"
        let set = try RuleLoader.load(text: rule, mapping: .builtIn)
        let compiled = try #require(set.rules.first, "\(set.reports)")
        #expect(compiled.status == .compiled, "\(category): \(set.reports)")
        let engine = DetectionEngine(rules: set.rules)
        let reader = JSONEventReader(engine: engine)
        let path = Corpus.root + "/ecs/" + file
        try #require(FileManager.default.fileExists(atPath: path), "corpus missing at \(path)")
        let lines = try String(contentsOfFile: path, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        var matched: [Int] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            if !engine.evaluate(try reader.read(String(line))).isEmpty { matched.append(index + 1) }
        }
        return matched
    }

    /// Sigma's process_creation is also the Security log's 4688, which
    /// Winlogbeat writes in the same ECS fields: a SOC without Sysmon gets
    /// its process rules (they never ran there). Line 131 of Elastic's
    /// security sample is the one 4688, wevtutil clearing the Security log
    /// as vagrant (VAGRANT\vagrant).
    @Test func securityProcessStartsAreProcessCreation() throws {
        let security = "elastic-integrations__system__security.ndjson"
        #expect(try matchedLines("process_creation",
                                 "        Image|endswith: '\\wevtutil.exe'\n"
                                 + "        CommandLine|contains: ' cl '\n"
                                 + "        ParentImage|endswith: '\\powershell.exe'\n"
                                 + "        User: 'VAGRANT\\vagrant'\n",
                                 in: security) == [131])
        // Other Security events are no process starts, whatever they hold.
        #expect(try matchedLines("process_creation", "        User|contains: vagrant\n",
                                 in: security) == [131])
    }

    /// Winlogbeat drops Sysmon's `Initiated` and writes network.direction:
    /// `Initiated: 'true'` is egress, `'false'` ingress (it matched nothing).
    @Test func initiatedReadsTheDirection() throws {
        #expect(try matchedLines("network_connection",
                                 "        Image|endswith: '\\chrome.exe'\n        Initiated: 'true'\n")
                == [74, 75])
        #expect(try matchedLines("network_connection", "        Initiated: 'false'\n")
                == [73, 80, 85])
    }

    /// A registry number as Sysmon writes it is compared with the decimal
    /// text Elastic writes: DWORD 0x12349abc is 305437372, the QWORD
    /// 0x00000000-0x1234fabd (high part first) 305461949.
    @Test func registryNumbersAreComparedAsElasticWritesThem() throws {
        #expect(try matchedLines("registry_set", "        Details: 'DWORD (0x00000004)'\n") == [6])
        #expect(try matchedLines("registry_set", "        Details: 'dword (0x12349ABC)'\n") == [205])
        #expect(try matchedLines("registry_set",
                                 "        Details: 'QWORD (0x00000000-0x1234fabd)'\n") == [203])
        #expect(try matchedLines("registry_event",
                                 "        Details: 'QWORD (0x00000000-0x00000005)'\n") == [23])
        #expect(try matchedLines("registry_set", "        Details: 'abcd'\n") == [204])
        #expect(try matchedLines("registry_set",
                                 "        TargetObject|endswith: '\\Software\\Key 1'\n") == [6])
    }

    @Test func theOtherSysmonCategoriesReadTheirFields() throws {
        #expect(try matchedLines("dns_query", "        QueryName: go.microsoft.com\n") == [1])
        #expect(try matchedLines("image_load", "        ImageLoaded|endswith: '\\IDStore.dll'\n"
                                 + "        Signed: 'true'\n") == [196])
        #expect(try matchedLines("process_access",
                                 "        TargetImage|endswith: '\\WerFault.exe'\n"
                                 + "        GrantedAccess: '0x1fffff'\n") == [211])
        #expect(try matchedLines("create_remote_thread",
                                 "        SourceImage|endswith: '\\msvsmon.exe'\n"
                                 + "        StartFunction: DbgUiRemoteBreakin\n") == [212])
    }

    /// Fields the pipeline moves out of event_data: a tampering's Type
    /// (line 194: "Image is replaced") is the message, a WMI consumer's
    /// Destination (line 215) the process, a DNS query's status its
    /// Windows name (SUCCESS for 0: 151 of the 157 queries).
    @Test func movedFieldsAreReadWhereThePipelinePutsThem() throws {
        #expect(try matchedLines("process_tampering", "        Type: 'Image is replaced'\n")
                == [194])
        #expect(try matchedLines("wmi_event", "        Destination|contains: '.exe'\n") == [215])
        #expect(try matchedLines("dns_query", "        QueryStatus: '0'\n").count == 151)
    }

    /// Sysmon for Linux keeps a winlog.channel of its own: its process
    /// starts and connections are Linux's (they were kept out, the Linux
    /// sources asking for no channel), and a Windows rule still skips them.
    @Test func sysmonForLinuxEventsReachTheLinuxSources() throws {
        func rule(_ category: String, _ selection: String) throws -> DetectionEngine {
            let text = "title: t\nid: t\nlogsource:\n    product: linux\n    category: "
                + category + "\ndetection:\n    selection:\n" + selection
                + "    condition: selection\n"
            let set = try RuleLoader.load(text: text, mapping: .builtIn)
            #expect(set.rules.first?.status == .compiled, "\(set.reports)")
            return DetectionEngine(rules: set.rules)
        }
        let channel = #""winlog":{"channel":"Linux-Sysmon/Operational"}"#
        let start = #"{"event":{"category":["process"],"type":["start"],"code":"1"},"#
            + #""process":{"executable":"/usr/bin/nc","command_line":"nc -e /bin/sh"},"#
            + channel + "}"
        let connection = #"{"event":{"category":["network"],"code":"3"},"#
            + #""process":{"executable":"/tmp/x"},"network":{"direction":"egress"},"#
            + #""destination":{"port":4444},"# + channel + "}"
        let process = try rule("process_creation", "        Image|endswith: '/nc'\n")
        #expect(!process.evaluate(try JSONEventReader(engine: process).read(start)).isEmpty)
        let network = try rule("network_connection",
                               "        Initiated: 'true'\n        DestinationPort: 4444\n")
        #expect(!network.evaluate(try JSONEventReader(engine: network).read(connection)).isEmpty)
        // The Windows process source keeps them out.
        let set = try RuleLoader.load(text: "title: w\nid: w\nlogsource:\n    product: windows\n"
            + "    category: process_creation\ndetection:\n    selection:\n"
            + "        Image|endswith: '/nc'\n    condition: selection\n", mapping: .builtIn)
        let windows = DetectionEngine(rules: set.rules)
        #expect(windows.evaluate(try JSONEventReader(engine: windows).read(start)).isEmpty)
    }

    /// The forms a registry number may not take are left as written.
    @Test func malformedRegistryNumbersAreLeftAlone() {
        let form = FieldMapping.ValueForm.sysmonRegistryNumber
        #expect(form.rewrite("DWORD (0x00000010)") == "16")
        // As Elastic's pipeline reckons a QWORD: high × 256 + low.
        #expect(form.rewrite("QWORD (0x00000001-0x00000000)") == "256")
        #expect(form.rewrite("QWORD (0x00000002-0x00000003)") == "515")
        for text in ["DWORD (0x)", "DWORD (0x123456789)", "DWORD (0xzz)", "QWORD (0x1)",
                     "QWORD (0x1-2)", "DWORD 0x10", "Binary Data"] {
            #expect(form.rewrite(text) == nil, "\(text)")
        }
    }
}
