import Foundation
import PerimeterModel

/// The detection benchmark: generated rules shaped like the corpus's (exact values,
/// contains/startswith/endswith, lists, regexes, filters, asset fields) over generated
/// enriched events, on one thread. `perimeter bench` calls `run`.
public enum DetectionBenchmark {
    public struct Result: Sendable {
        public var ruleCount: Int
        public var eventCount: Int
        /// Share of events passing each log-source gate, by mapping source name.
        public var gateShares: [(name: String, share: Double)]
        public var shareOfEventsPassingAnyGate: Double
        public var matchesPerThousandEvents: Double
        public var alertsPerThousandEvents: Double
        /// Detection alone, over events already parsed into records.
        public var detectionEventsPerSecond: Double
        /// NDJSON parsing (simdjson), record filling, detection and alert grouping.
        public var pipelineEventsPerSecond: Double
    }

    /// Runs both rule-set sizes (50 and 2,000 by default) and prints the report.
    @discardableResult
    public static func run(ruleCounts: [Int] = [50, 2000], eventCount: Int = 200_000,
                           print report: (String) -> Void = { Swift.print($0) }) throws
        -> [Result]
    {
        var results: [Result] = []
        for count in ruleCounts {
            let result = try measure(ruleCount: count, eventCount: eventCount)
            results.append(result)
            report(describe(result))
        }
        return results
    }

    /// Writes the generated rules (`rules-N.yml`) and events (`events.ndjson`, asset
    /// fields inlined under `sekoiaio.any_asset`) for a reference implementation to run.
    public static func export(ruleCounts: [Int] = [50, 2000], eventCount: Int,
                              directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory,
                                                withIntermediateDirectories: true)
        for count in ruleCounts {
            var generator = SeededGenerator(seed: 0x5EED)
            let text = BenchmarkRules.make(count: count, using: &generator)
            try text.write(toFile: directory + "/rules-\(count).yml", atomically: true,
                           encoding: .utf8)
        }
        // The same seed and draw order as `measure` with 2,000 rules: identical events.
        var generator = SeededGenerator(seed: 0x5EED)
        _ = BenchmarkRules.make(count: ruleCounts.last ?? 2000, using: &generator)
        var output = ""
        for _ in 0..<eventCount {
            let line = BenchmarkEvents.make(using: &generator)
            var json = line.json
            if !line.assets.isEmpty {
                let members = line.assets.sorted { $0.key < $1.key }.map { path, values in
                    let name = path.split(separator: ".").last!
                    let items = values.map { value -> String in
                        if case .string(let text) = value { return "\"\(text)\"" }
                        return value.text ?? "null"
                    }
                    return "\"\(name)\":[\(items.joined(separator: ","))]"
                }
                json.removeLast()
                json += ",\"sekoiaio\":{\"any_asset\":{\(members.joined(separator: ","))}}}"
            }
            output += json + "\n"
        }
        try output.write(toFile: directory + "/events.ndjson", atomically: true, encoding: .utf8)
    }

    public static func describe(_ result: Result) -> String {
        // Thousands grouped, as the rest of `perimeter bench` prints them.
        func grouped(_ value: Double) -> String { NumberFormatting.grouped(Int(value.rounded())) }
        var lines = ["\n== the Sigma stage alone: \(NumberFormatting.grouped(result.ruleCount)) "
            + "rules, \(NumberFormatting.grouped(result.eventCount)) enriched events, one thread"]
        lines.append(String(format: "  events passing any log-source gate: %.1f%%",
                            result.shareOfEventsPassingAnyGate * 100))
        for (name, share) in result.gateShares {
            lines.append(String(format: "    %@: %.1f%%", name, share * 100))
        }
        lines.append(String(format: "  matches per 1,000 events: %.1f; alerts per 1,000: %.1f",
                            result.matchesPerThousandEvents, result.alertsPerThousandEvents))
        lines.append("  detection stage: \(grouped(result.detectionEventsPerSecond)) events/s "
                     + String(format: "(%.3f µs per event, %.4f µs per rule per event)",
                              1e6 / result.detectionEventsPerSecond,
                              1e6 / result.detectionEventsPerSecond / Double(result.ruleCount)))
        lines.append("  parse + detection + alert grouping: "
                     + "\(grouped(result.pipelineEventsPerSecond)) events/s")
        return lines.joined(separator: "\n")
    }

    public static func measure(ruleCount: Int, eventCount: Int) throws -> Result {
        var generator = SeededGenerator(seed: 0x5EED)
        let text = BenchmarkRules.make(count: ruleCount, using: &generator)
        let set = try RuleLoader.load(text: text, path: "<benchmark>", mapping: .builtIn)
        precondition(set.rules.count == ruleCount, "benchmark rules failed to compile: "
            + "\(set.reports.first { $0.status == .refused }?.reason ?? "")")
        let engine = DetectionEngine(rules: set.rules)
        let lines = (0..<eventCount).map { _ in BenchmarkEvents.make(using: &generator) }

        // Parse once for the detection-only measurement (already-parsed events).
        let reader = JSONEventReader(engine: engine)
        var records: [DetectionRecord] = []
        records.reserveCapacity(lines.count)
        for line in lines { records.append(try reader.read(line.json, extraValues: line.assets)) }

        // Profile: which gates pass.
        let program = engine.program
        var gatePasses = Array(repeating: 0, count: program.gates.count)
        var anyGate = 0
        for record in records {
            var passed = false
            for (index, gate) in program.gateRoots.enumerated() {
                engine.prepareForProfiling()
                if engine.evaluate(flat: gate, record) { gatePasses[index] += 1; passed = true }
            }
            if passed { anyGate += 1 }
        }
        var gateNames = Array(repeating: "?", count: program.gates.count)
        for (rule, gate) in program.ruleGate.enumerated() where gate >= 0 {
            gateNames[gate] = engine.rules[rule].logSource.description
        }

        // Detection alone.
        var matchCount = 0
        let detectionStart = DispatchTime.now().uptimeNanoseconds
        for record in records { matchCount += engine.evaluate(record).count }
        let detectionSeconds = Double(DispatchTime.now().uptimeNanoseconds - detectionStart) / 1e9

        // Parsing, detection and alert grouping from the NDJSON bytes.
        var grouper = AlertGrouper(makeUUID: { "bench" })
        var alerts = Set<String>()
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        let pipelineStart = DispatchTime.now().uptimeNanoseconds
        for (index, line) in lines.enumerated() {
            let record = try reader.read(line.json, extraValues: line.assets)
            for match in engine.evaluate(record) {
                let alert = grouper.add(AlertCandidate(
                    match: match, eventTime: time.addingTimeInterval(Double(index) / 100),
                    assets: line.alertAssets, community: "c", entity: "e", event: ""))
                if alert.count == 1 { alerts.insert("\(index)-\(match.ruleIndex)") }
            }
        }
        let pipelineSeconds = Double(DispatchTime.now().uptimeNanoseconds - pipelineStart) / 1e9

        let events = Double(eventCount)
        return Result(
            ruleCount: ruleCount, eventCount: eventCount,
            gateShares: zip(gateNames, gatePasses).map { ($0, Double($1) / events) }
                .sorted { $0.share > $1.share },
            shareOfEventsPassingAnyGate: Double(anyGate) / events,
            matchesPerThousandEvents: Double(matchCount) * 1000 / events,
            alertsPerThousandEvents: Double(alerts.count) * 1000 / events,
            detectionEventsPerSecond: events / detectionSeconds,
            pipelineEventsPerSecond: events / pipelineSeconds)
    }
}

extension DetectionEngine {
    /// Starts a fresh evaluation pass without counting an event (profiling only).
    func prepareForProfiling() { resetForProfiling() }
}

/// Vocabulary shared by generated rules and events, so that some rules match.
enum BenchmarkVocabulary {
    static let binaries = ["cmd.exe", "powershell.exe", "rundll32.exe", "regsvr32.exe",
                           "mshta.exe", "wscript.exe", "cscript.exe", "certutil.exe",
                           "bitsadmin.exe", "schtasks.exe", "wmic.exe", "net.exe",
                           "net1.exe", "reg.exe", "msiexec.exe", "svchost.exe",
                           "explorer.exe", "chrome.exe", "winword.exe", "excel.exe"]
    static let flags = [" -enc ", " /c ", " -nop ", " -w hidden ", " /create ", " /delete ",
                        " -decode ", " /transfer ", " add ", " user ", " -urlcache ",
                        " /s ", " /i:", " -exec bypass ", " /query ", " delete "]
    static let words = ["invoke-", "downloadstring", "iex", "mimikatz", "sekurlsa",
                        "bypass", "hidden", "temp", "appdata", "programdata", "http://",
                        "https://", ".ps1", ".vbs", ".hta", "frombase64string"]
    static let users = ["alice", "bob", "carol", "dave", "adm_erin", "adm_frank", "svc_sql",
                        "svc_backup", "SYSTEM", "Administrator", "guest", "ANONYMOUS LOGON"]
    static let securityCodes = [4624, 4625, 4634, 4648, 4672, 4688, 4697, 4720, 4728,
                                4732, 4738, 4768, 4769, 4776, 5140, 5145, 1102, 4104]
    static let linuxBinaries = ["/usr/bin/curl", "/usr/bin/wget", "/bin/bash", "/usr/bin/sudo",
                                "/usr/bin/nc", "/usr/bin/python3", "/usr/bin/base64",
                                "/usr/bin/crontab", "/usr/sbin/useradd", "/usr/bin/ssh"]
    static let tags = ["VIP", "critical", "dmz", "pci", "finance", "lab"]
}

enum BenchmarkRules {
    static func make(count: Int, using generator: inout SeededGenerator) -> String {
        var documents: [String] = []
        for index in 0..<count {
            let kind = Int.random(in: 0..<100, using: &generator)
            let body: String
            switch kind {
            case 0..<35: body = processCreation(using: &generator)
            case 35..<70: body = security(using: &generator)
            case 70..<80: body = linux(using: &generator)
            case 80..<90: body = assetRule(using: &generator)
            default: body = system(using: &generator)
            }
            // UUID-shaped ids, as the Sigma specification (and pySigma) expect.
            let id = String(format: "5eed0000-0000-4000-8000-%012d", index)
            documents.append("title: benchmark rule \(index)\nid: \(id)\n"
                + "level: \(["low", "medium", "high", "critical"][index % 4])\n" + body)
        }
        return documents.joined(separator: "\n---\n")
    }

    private static func pick<T>(_ items: [T], _ generator: inout SeededGenerator) -> T {
        items[Int.random(in: 0..<items.count, using: &generator)]
    }

    private static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    private static func processCreation(using generator: inout SeededGenerator) -> String {
        let binary = pick(BenchmarkVocabulary.binaries, &generator)
        let other = pick(BenchmarkVocabulary.binaries, &generator)
        let flag = pick(BenchmarkVocabulary.flags, &generator)
        let word = pick(BenchmarkVocabulary.words, &generator)
        let shape = Int.random(in: 0..<5, using: &generator)
        var detection: String
        switch shape {
        case 0:
            detection = """
                    selection_img:
                        - Image|endswith: \(quoted("\\" + binary))
                        - OriginalFileName: \(quoted(binary.uppercased()))
                    selection_cli:
                        CommandLine|contains: \(quoted(flag))
                    condition: all of selection_*
                """
        case 1:
            detection = """
                    selection:
                        Image|endswith:
                            - \(quoted("\\" + binary))
                            - \(quoted("\\" + other))
                        CommandLine|contains|all:
                            - \(quoted(flag))
                            - \(quoted(word))
                    filter_main:
                        ParentImage|startswith: 'C:\\Program Files\\'
                    condition: selection and not 1 of filter_*
                """
        case 2:
            detection = """
                    selection:
                        ParentImage|endswith: \(quoted("\\" + other))
                        Image|endswith: \(quoted("\\" + binary))
                    condition: selection
                """
        case 3:
            detection = """
                    selection:
                        Image|endswith: \(quoted("\\" + binary))
                        CommandLine|re: \(quoted("(?i)" + NSRegularExpressionEscape(word)
                                                  + ".{0,40}" + NSRegularExpressionEscape(flag.trimmingCharacters(in: .whitespaces))))
                    condition: selection
                """
        default:
            detection = """
                    selection:
                        CommandLine|contains:
                            - \(quoted(word))
                            - \(quoted(pick(BenchmarkVocabulary.words, &generator)))
                        User|startswith: adm_
                    condition: selection
                """
        }
        return "logsource:\n    product: windows\n    category: process_creation\n"
            + "detection:\n" + detection
    }

    private static func security(using generator: inout SeededGenerator) -> String {
        let code = pick(BenchmarkVocabulary.securityCodes, &generator)
        let user = pick(BenchmarkVocabulary.users, &generator)
        let shape = Int.random(in: 0..<4, using: &generator)
        let detection: String
        switch shape {
        case 0:
            detection = """
                    selection:
                        EventID: \(code)
                        TargetUserName: \(quoted(user))
                    condition: selection
                """
        case 1:
            detection = """
                    selection:
                        EventID:
                            - \(code)
                            - \(pick(BenchmarkVocabulary.securityCodes, &generator))
                        LogonType:
                            - 3
                            - 10
                        SubjectUserName: \(quoted(user))
                    filter:
                        TargetUserName|endswith: '$'
                    condition: selection and not filter
                """
        case 2:
            detection = """
                    selection:
                        EventID: \(code)
                        SubjectUserName|startswith: \(quoted(String(user.prefix(3))))
                        IpAddress|cidr: 10.0.0.0/8
                    condition: selection
                """
        default:
            detection = """
                    selection:
                        EventID: \(code)
                        ServiceFileName|contains: \(quoted(pick(BenchmarkVocabulary.words, &generator)))
                    condition: selection
                """
        }
        return "logsource:\n    product: windows\n    service: security\ndetection:\n" + detection
    }

    private static func system(using generator: inout SeededGenerator) -> String {
        """
        logsource:
            product: windows
            service: system
        detection:
            selection:
                EventID: \(pick([7045, 7036, 7040, 104, 6005], &generator))
                ImagePath|contains: \(quoted(pick(BenchmarkVocabulary.words, &generator)))
            condition: selection
        """
    }

    private static func linux(using generator: inout SeededGenerator) -> String {
        let binary = pick(BenchmarkVocabulary.linuxBinaries, &generator)
        return """
            logsource:
                product: linux
                category: process_creation
            detection:
                selection:
                    Image|endswith: \(quoted(String(binary.split(separator: "/").last!)))
                    CommandLine|contains: \(quoted(pick(BenchmarkVocabulary.words, &generator)))
                condition: selection
            """
    }

    private static func assetRule(using generator: inout SeededGenerator) -> String {
        let tag = pick(BenchmarkVocabulary.tags, &generator)
        let code = pick(BenchmarkVocabulary.securityCodes, &generator)
        return """
            logsource:
                product: windows
                service: security
            detection:
                selection:
                    EventID: \(code)
                    sekoiaio.any_asset.tags: \(tag)
                    sekoiaio.any_asset.criticality_value|gte: \(pick([50, 70, 80, 90], &generator))
                condition: selection
            """
    }

    private static func NSRegularExpressionEscape(_ text: String) -> String {
        var result = ""
        for character in text {
            if "\\^$.|?*+()[]{}/".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }
}

enum BenchmarkEvents {
    struct Line {
        var json: String
        var assets: [String: [DetectionValue]]
        var alertAssets: [AlertAsset]
    }

    private static func pick<T>(_ items: [T], _ generator: inout SeededGenerator) -> T {
        items[Int.random(in: 0..<items.count, using: &generator)]
    }

    /// Mostly values no rule names, sometimes one from the rules' vocabulary.
    private static func sometimes(_ items: [String], _ percent: Int, _ other: String,
                                  _ generator: inout SeededGenerator) -> String {
        Int.random(in: 0..<100, using: &generator) < percent
            ? pick(items, &generator)
            : other + String(Int.random(in: 0..<5000, using: &generator))
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// 12% Sysmon process creation, 10% Security, 4% System, 3% Linux processes, and
    /// 71% other traffic (firewall, proxy, DNS) that no gate lets through.
    static func make(using generator: inout SeededGenerator) -> Line {
        let kind = Int.random(in: 0..<100, using: &generator)
        let host = "host-\(Int.random(in: 0..<500, using: &generator))"
        let time = "\"@timestamp\":\"2027-01-01T00:00:00Z\",\"host\":{\"name\":\"\(host)\"}"
        let json: String
        switch kind {
        case 0..<12:
            let binary = sometimes(BenchmarkVocabulary.binaries, 30, "tool", &generator)
                + (Bool.random(using: &generator) ? "" : ".exe")
            let parent = sometimes(BenchmarkVocabulary.binaries, 30, "parent", &generator)
            var command = "\(binary)"
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                command += sometimes(BenchmarkVocabulary.flags, 30, " --option", &generator)
                    + sometimes(BenchmarkVocabulary.words, 20, "argument", &generator)
            }
            json = "{\(time),\"event\":{\"code\":\"1\",\"provider\":\"Microsoft-Windows-Sysmon\","
                + "\"category\":[\"process\"],\"type\":[\"start\"]},\"winlog\":{\"channel\":"
                + "\"Microsoft-Windows-Sysmon/Operational\"},\"process\":{\"executable\":"
                + "\"\(escape("C:\\Windows\\System32\\" + binary))\",\"command_line\":\""
                + escape(command) + "\",\"parent\":{\"executable\":\""
                + escape("C:\\Windows\\" + parent) + "\"},\"pe\":{\"original_file_name\":\""
                + binary.uppercased() + "\"}},\"user\":{\"name\":\""
                + sometimes(BenchmarkVocabulary.users, 20, "user", &generator) + "\"}}"
        case 12..<22:
            let code = Int.random(in: 0..<100, using: &generator) < 50
                ? pick(BenchmarkVocabulary.securityCodes, &generator)
                : Int.random(in: 4000..<6000, using: &generator)
            json = "{\(time),\"event\":{\"code\":\"\(code)\",\"provider\":"
                + "\"Microsoft-Windows-Security-Auditing\"},\"winlog\":{\"channel\":\"Security\","
                + "\"event_data\":{\"TargetUserName\":\"\(pick(BenchmarkVocabulary.users, &generator))\","
                + "\"SubjectUserName\":\"\(sometimes(BenchmarkVocabulary.users, 20, "user", &generator))\","
                + "\"LogonType\":\"\(pick([2, 3, 5, 10], &generator))\","
                + "\"IpAddress\":\"10.0.\(Int.random(in: 0..<255, using: &generator)).7\"}}}"
        case 22..<26:
            json = "{\(time),\"event\":{\"code\":\"7045\"},\"winlog\":{\"channel\":\"System\","
                + "\"event_data\":{\"ImagePath\":\"C:\\\\Windows\\\\Temp\\\\"
                + sometimes(BenchmarkVocabulary.words, 20, "service", &generator) + ".exe\"}}}"
        case 26..<29:
            let binary = pick(BenchmarkVocabulary.linuxBinaries, &generator)
            json = "{\(time),\"event\":{\"category\":[\"process\"],\"type\":[\"start\"]},"
                + "\"process\":{\"executable\":\"\(binary)\",\"command_line\":\"\(binary) "
                + escape(sometimes(BenchmarkVocabulary.words, 20, "arg", &generator)) + "\"}}"
        case 29..<60:
            json = "{\(time),\"event\":{\"category\":[\"network\"],\"action\":\"firewall-rule\"},"
                + "\"source\":{\"ip\":\"10.1.\(Int.random(in: 0..<255, using: &generator)).3\","
                + "\"port\":\(Int.random(in: 1024..<65535, using: &generator))},\"destination\":"
                + "{\"ip\":\"81.2.69.\(Int.random(in: 0..<255, using: &generator))\",\"port\":443},"
                + "\"network\":{\"transport\":\"tcp\"}}"
        case 60..<85:
            json = "{\(time),\"event\":{\"category\":[\"web\"]},\"url\":{\"domain\":"
                + "\"www.example.com\",\"path\":\"/\(pick(BenchmarkVocabulary.words, &generator))\"},"
                + "\"http\":{\"request\":{\"method\":\"GET\"},\"response\":{\"status_code\":200}}}"
        default:
            json = "{\(time),\"event\":{\"category\":[\"network\"]},\"dns\":{\"question\":"
                + "{\"name\":\"x\(Int.random(in: 0..<1000, using: &generator)).example.org\"}}}"
        }
        var assets: [String: [DetectionValue]] = [:]
        var alertAssets: [AlertAsset] = []
        if Int.random(in: 0..<100, using: &generator) < 40 {
            let tag = pick(BenchmarkVocabulary.tags, &generator)
            let criticality = pick([0, 20, 50, 80, 95], &generator)
            assets["sekoiaio.any_asset.tags"] = [.string(tag)]
            assets["sekoiaio.any_asset.uuid"] = [.string("uuid-\(host)")]
            assets["sekoiaio.any_asset.criticality_value"] = [.int(Int64(criticality))]
            alertAssets = [AlertAsset(uuid: "uuid-\(host)", name: host, category: .host,
                                      criticality: criticality)]
        }
        return Line(json: json, assets: assets, alertAssets: alertAssets)
    }
}
