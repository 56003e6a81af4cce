import Foundation
import PerimeterDetection
import PerimeterIngest
import PerimeterInput
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// `perimeter rules check|test`: the detection engineer's tools.
enum RulesCommands {
    static let help = """
        Check Sigma rules and filters, and test them on events.

        Usage: perimeter rules check PATH... [--json] [--mapping FILE|none] [--config FILE]
               perimeter rules test RULE EVENTS... [--json] [--mapping FILE|none] [--unmapped]
                                    [--filters PATH]... [--config FILE]
                                    [--db FILE [--community NAME] [--entity NAME] [--now TIME]]

        Commands:
        check   Parses and compiles Sigma rules and filters (files or folders, read
                recursively) and reports each problem with file, line and reason, then
                a summary. With --json: one object per rule per line,
                {"path", "id", "title", "ok", "status", "reason", "line"} (line: where
                the document or its problem is, 1-based; null for a file that cannot
                be read).
        test    Runs RULE (a file or folder) over the NDJSON events in EVENTS (files,
                plain or .gz, or - for standard input) and prints which events match
                and why. With --json: one object per line for each rule an event
                matches, {"file", "line", "rule_id", "title", "why"}; line is 1-based
                (file is "-" for standard input). Like an ingest, it runs the compiled
                rules only: a compiled-unmapped rule names fields or a log source
                outside the mapping, so on ECS events its tests read absent fields
                ('not selection' then matches everything). It shows every match, as
                an ingest sees them before its alert filters; with --filters (or
                filters among RULE's files), a match a filter would suppress says
                which (in --json, "suppressed_by"). Up to 50 rules, it also counts
                the events whose detection holds but that a rule's log source keeps
                out (a note per rule).

        Options:
        --mapping FILE  Maps Sigma taxonomy names to ECS with FILE instead of the built-in
                        mapping; 'none' keeps field names as written and ignores log
                        sources (for events in their native shape). Default: the
                        configuration's detection.mapping, else the built-in one.
        --config FILE   The configuration (default: $PERIMETER_CONFIG), read as an ingest
                        reads it: its detection.placeholders or placeholders_file give
                        |expand its values, its detection.mapping the mapping.
        --unmapped      (test) Runs the compiled-unmapped rules too, their matches marked
                        "compiled-unmapped" (in --json, "status": "compiled-unmapped").
        --filters PATH  (test) Alert filters (a file or folder, repeatable) to try on the
                        matches, as an ingest's --filters: each match they would suppress
                        is shown, marked with the filter.
        --db FILE       (test) Gives each event the asset fields an ingest into that store
                        would give it (sekoiaio.any_asset.*, sekoiaio.assets.*): the events go
                        through discovery with the community's rules and are matched as of
                        their own time, in memory, so that asset-aware rules can be tried;
                        the store is only read. Without it, events carry no asset fields
                        (any in the input are removed, as an ingest removes them).
        --community, --entity  (test, with --db) The scope the events belong to
                        (default: community 'default').
        --now TIME      (test, with --db) The clock, as for 'perimeter ingest --now': the
                        arrival time of events without a @timestamp, and what is late or
                        in the future (default: the real clock).

        Examples:
          perimeter rules check rules/ --json
          perimeter rules test rules/win_susp_logon.yml events.ndjson
          zcat day-*.ndjson.gz | perimeter rules test rules/ -
          perimeter rules test rules/dc_logon.yml events.ndjson --db soc.db --community acme

        Exit status: 0 ok, 1 when problems were found, 2 on usage errors.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first else { return usage("missing a subcommand") }
        if command == "--help" || command == "-h" || command == "help" {
            print(help)
            return 0
        }
        var positional: [String] = []
        var filterPaths: [String] = []
        var json = false
        var runsUnmapped = false
        var mapping: MappingChoice?
        var inventory = InventoryChoice()
        var index = 1
        // An option's value that is an option itself was a value forgotten
        // (`--mapping --json` read a mapping file named --json).
        func forgotten(_ option: String) -> Int32? {
            let value = arguments[index + 1]
            guard ParsedArguments.looksLikeAnOption(value) else { return nil }
            return usage("\(option) needs a value, and '\(value)' is an option")
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--json": json = true
            case "--unmapped": runsUnmapped = true
            case "--help", "-h":
                print(help)
                return 0
            case "--filters":
                guard index + 1 < arguments.count else { return usage("--filters needs a PATH") }
                if let refused = forgotten(argument) { return refused }
                index += 1
                filterPaths.append(arguments[index])
            case "--mapping":
                guard index + 1 < arguments.count else { return usage("--mapping needs a FILE") }
                if let refused = forgotten(argument) { return refused }
                if mapping != nil { return usage("'--mapping' is given twice") }
                index += 1
                mapping = arguments[index] == "none" ? MappingChoice.none : .file(arguments[index])
            case "--db", "--community", "--entity", "--config", "--now":
                guard index + 1 < arguments.count else {
                    return usage("\(argument) needs a value")
                }
                if let refused = forgotten(argument) { return refused }
                // As every other command says it: the second value was
                // taken without a word.
                if inventory.values[argument] != nil {
                    return usage("'\(argument)' is given twice")
                }
                if argument == "--config" && arguments[index + 1].isEmpty {
                    return usage(CommonOptions.emptyConfigurationPath)
                }
                index += 1
                inventory.values[argument] = arguments[index]
            default:
                if argument.hasPrefix("--") { return usage("unknown option '\(argument)'") }
                positional.append(argument)
            }
            index += 1
        }
        // The rules are read as an ingest reads them: placeholders for
        // |expand and the mapping come from the configuration (an ingest
        // compiled a rule that these commands refused).
        let detection: DetectionSettings
        do {
            detection = try DetectionSettings(configuration: PerimeterConfiguration.load(
                path: inventory.values["--config"] ?? CommonOptions.environment("PERIMETER_CONFIG")))
        } catch {
            return fail(String(describing: error))
        }
        let rules = RuleChoice(mapping: mapping ?? detection.mapping,
                               placeholders: detection.placeholders,
                               runsUnmapped: detection.runsUnmappedRules)
        switch command {
        case "check":
            guard !positional.isEmpty else { return usage("rules check needs at least one PATH") }
            if let option = inventory.values.keys.sorted().first(where: { $0 != "--config" })
                ?? (filterPaths.isEmpty ? nil : "--filters") {
                return usage("\(option) is for 'rules test'")
            }
            return check(paths: positional, json: json, rules: rules)
        case "test":
            guard positional.count >= 2 else {
                return usage("rules test needs RULE and at least one EVENTS file (- for "
                             + "standard input), got \(Formatting.count(positional.count, "path"))")
            }
            if inventory.values["--db"] == nil,
               let other = inventory.values.keys.sorted().first(where: { $0 != "--config" }) {
                return usage("\(other) names the scope of the store given with --db")
            }
            return test(rulePath: positional[0], filterPaths: filterPaths,
                        eventsPaths: Array(positional.dropFirst()), json: json, rules: rules,
                        runsUnmapped: runsUnmapped || rules.runsUnmapped, inventory: inventory)
        default:
            return usage("unknown subcommand '\(command)'; expected check or test")
        }
    }

    private static func usage(_ message: String) -> Int32 {
        Terminal.write("perimeter rules: \(message)\n\n\(help)\n")
        return 2
    }

    private static func fail(_ message: String) -> Int32 {
        Terminal.write("perimeter rules: \(message)\n")
        return 1
    }

    /// How rule files are read (the mapping and |expand's placeholders),
    /// and whether an ingest would run the compiled-unmapped ones.
    struct RuleChoice {
        var mapping: MappingChoice
        var placeholders: [String: [String]]?
        var runsUnmapped: Bool

        func load(_ paths: [String]) throws(RuleRefusal) -> RuleSet {
            try RuleLoader.load(paths: paths, mapping: mapping, placeholders: placeholders)
        }

        /// Filters alone: a detection rule among them is refused, as an
        /// ingest refuses it (`rule-among-filters`).
        func loadFilters(_ paths: [String]) throws(RuleRefusal) -> RuleSet {
            try RuleLoader.load(paths: [], filterPaths: paths, mapping: mapping,
                                placeholders: placeholders)
        }
    }

    // MARK: - check

    private static func check(paths: [String], json: Bool, rules: RuleChoice) -> Int32 {
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            return fail("cannot read '\(path)': \(CommonOptions.whyNothingAt(path))")
        }
        let set: RuleSet
        do {
            set = try rules.load(paths)
        } catch {
            return fail(error.message)
        }
        for report in set.reports {
            if json {
                print(jsonObject([
                    ("path", .string(report.path)), ("id", report.id.map(JSONField.string) ?? .null),
                    ("title", report.title.map(JSONField.string) ?? .null),
                    ("ok", .bool(report.isOK)), ("status", .string(report.status.rawValue)),
                    ("reason", report.reason.map { .string(reasonText(report, $0)) } ?? .null),
                    ("line", report.line > 0 ? .int(report.line) : .null),
                    ("example_placeholders", .raw("[" + report.examplePlaceholders.map(quoted)
                        .joined(separator: ",") + "]")),
                ]))
            } else if report.status == .compiled && !report.examplePlaceholders.isEmpty {
                print("\(report.location): compiled, on example values: "
                      + report.examplePlaceholders.map { "%\($0)%" }.joined(separator: ", "))
            } else if report.status != .compiled {
                let label = report.status == .refused
                    ? "refused (\(report.reasonCode ?? "error"))" : "compiled-unmapped"
                print("\(report.location): \(label): \(report.reason ?? "")")
            }
        }
        for warning in set.filterWarnings {
            Terminal.write("warning: \(warning)\n")
        }
        let summary = RuleCheckSummary(reports: set.reports, runsUnmapped: rules.runsUnmapped)
        guard summary.total > 0 || !set.filters.isEmpty else {
            return fail("no Sigma rule or filter found in " + paths.map { "'\($0)'" }
                .joined(separator: ", ") + " (.yml and .yaml files, read recursively)")
        }
        if json {
            Terminal.write(summary.text + "\n")
        } else {
            print(summary.text)
        }
        return summary.problems == 0 ? 0 : 1
    }

    private static func reasonText(_ report: RuleStatusReport, _ reason: String) -> String {
        report.reasonCode.map { $0 == "unmapped" ? reason : "\($0): \(reason)" } ?? reason
    }

    // MARK: - test

    /// The store `rules test --db` reads asset fields from, with its scope
    /// and configuration, as given.
    struct InventoryChoice {
        var values: [String: String] = [:]

        /// The asset fields of the store named, nil without `--db`.
        func assetFields(for engine: DetectionEngine) throws -> StoredAssetFields? {
            guard let path = values["--db"] else { return nil }
            try CommonOptions.requireStore(at: path)
            let community = values["--community"] ?? Scope.defaultCommunity
            try CommonOptions.validateScopeName(community, kind: "community")
            if let entity = values["--entity"] {
                try CommonOptions.validateScopeName(entity, kind: "entity")
            }
            let configuration = try PerimeterConfiguration.load(
                path: values["--config"] ?? CommonOptions.environment("PERIMETER_CONFIG"))
            let now = try values["--now"].map { try CommonOptions.time($0, option: "--now") }
            let store = try InventoryStore(path: path)
            // A mistyped community matches no asset, and the rule then
            // seems wrong to its author.
            try CommonOptions.noteAnEmptyCommunity(community, in: store)
            return try StoredAssetFields(engine: engine, store: store,
                                         configuration: configuration,
                                         scope: ScopeKey(community: community,
                                                         entity: values["--entity"]),
                                         now: now ?? EventTime(Date()))
        }
    }

    /// Up to this many rules, `rules test` counts the events each rule's
    /// log source keeps out.
    static let logSourceCheckLimit = 50

    private static func test(rulePath: String, filterPaths: [String], eventsPaths: [String],
                             json: Bool,
                             rules: RuleChoice, runsUnmapped: Bool,
                             inventory: InventoryChoice) -> Int32 {
        for path in filterPaths where !FileManager.default.fileExists(atPath: path) {
            return fail("cannot read the filters '\(path)': \(CommonOptions.whyNothingAt(path))")
        }
        var set: RuleSet
        do {
            set = try rules.load([rulePath])
            // Filters from elsewhere: a rule among them is refused, not the
            // rule under test. (None given, nothing is read again.)
            if !filterPaths.isEmpty {
                let given = try rules.loadFilters(filterPaths)
                set.filters += given.filters
                set.reports += given.reports
                // Their rules named by Sigma's `name` are found among these
                // rules, as an ingest finds them.
                RuleLoader.resolveReferences(in: &set)
            }
        } catch {
            return fail(error.message)
        }
        var problems = 0
        for report in set.reports where report.status == .refused {
            problems += 1
            Terminal.write("\(report.location): refused (\(report.reasonCode ?? "")): "
                           + "\(report.reason ?? "")\n")
        }
        guard !set.rules.isEmpty else { return fail("no rule compiled from '\(rulePath)'") }
        // As `rules check` and an ingest tell them: a filter whose rule id
        // is not here, or whose condition holds where its selections do not.
        for warning in set.filterWarnings { Terminal.warning(warning) }
        let unmapped = set.rules.filter { $0.status == .compiledUnmapped }.count
        if unmapped > 0 && !runsUnmapped {
            guard unmapped < set.rules.count else {
                return fail("the \(Formatting.count(unmapped, "rule")) of '\(rulePath)' "
                            + "\(unmapped == 1 ? "is" : "are") compiled-unmapped; "
                            + "--unmapped runs them (see 'perimeter rules check')")
            }
            Terminal.write("\(Formatting.count(unmapped, "compiled-unmapped rule")) not run "
                           + "(--unmapped runs them, see 'perimeter rules check')\n")
        }
        guard eventsPaths.filter({ $0 == "-" }).count <= 1 else {
            return usage("standard input (-) can be read once")
        }
        let engine = DetectionEngine(rules: set.rules, filters: set.filters,
                                     configuration: DetectionConfiguration(
                                        runsUnmappedRules: runsUnmapped))
        let reader = JSONEventReader(engine: engine, keepsStringPaths: true)
        let assetFields: StoredAssetFields?
        do { assetFields = try inventory.assetFields(for: engine) } catch {
            return fail(String(describing: error))
        }
        var matchedEvents = 0
        var matchedByCompiled = 0
        var suppressed = 0
        // For a few rules (the one being written), the events whose
        // detection holds but whose log source keeps them out are counted:
        // otherwise they read as plain misses. Every rule on every event
        // would make a test of a whole rule folder many times slower.
        let checksLogSources = engine.rules.count <= Self.logSourceCheckLimit
        var keptOut: [Int: Int] = [:]
        var eventCount = 0
        // Line problems are shown up to a limit, as an ingest shows them.
        let lineProblems = ProblemReport(quiet: false, noun: "line problem") {
            Terminal.write($0 + "\n")
        }
        func reportLine(_ text: String) {
            problems += 1
            lineProblems.add(text)
        }
        // One input keeps the short "line N" form; several name the file.
        let namesFiles = eventsPaths.count > 1
        for eventsPath in eventsPaths {
            do {
                let lines = eventsPath == "-" ? LineReader.standardInput()
                    : try LineReader(path: eventsPath)
                try lines.forEachLine(onOversizedLine: { error in
                    reportLine("\(eventsPath):\(error.lineNumber ?? 0): \(error.message)")
                }) { line, lineNumber, _ in
                    guard !line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) else { return }
                    var record: DetectionRecord
                    do {
                        record = try reader.read(line)
                        eventCount += 1
                    } catch {
                        reportLine("\(eventsPath):\(lineNumber): \(String(describing: error))")
                        return
                    }
                    assetFields?.append(ofEventOn: line, to: &record)
                    let limitsBefore = engine.regexLimitExceededCount
                    let indices = engine.matchingRuleIndices(record)
                    // A regex that ran into its match limit reads as no
                    // match: the rule's verdict on this event is unsure.
                    let limits = engine.regexLimitExceededCount - limitsBefore
                    if limits > 0 {
                        reportLine("\(eventsPath):\(lineNumber): "
                                   + Formatting.count(limits, "regex test")
                                   + " stopped at the match limit (read as no match)")
                    }
                    if !indices.isEmpty { matchedEvents += 1 }
                    if checksLogSources {
                        for rule in engine.rules.indices where !indices.contains(rule)
                            && (runsUnmapped || engine.rules[rule].status == .compiled)
                            && engine.isKeptOutByItsLogSource(ruleIndex: rule, event: record) {
                            keptOut[rule, default: 0] += 1
                        }
                    }
                    if indices.contains(where: { engine.rules[$0].status == .compiled }) {
                        matchedByCompiled += 1
                    }
                    for ruleIndex in indices {
                        let filter = engine.filters.isEmpty ? nil
                            : engine.suppressingFilter(ofRule: ruleIndex, event: record)
                        if filter != nil { suppressed += 1 }
                        printMatch(engine: engine, ruleIndex: ruleIndex, record: record,
                                   file: eventsPath, line: lineNumber, namesFile: namesFiles,
                                   json: json, suppressedBy: filter)
                    }
                }
            } catch let error as InputError {
                // What was read of the input counts; the next input goes on.
                Terminal.write("\(error.message)\n")
                problems += 1
            } catch {
                return fail(String(describing: error))
            }
        }
        lineProblems.finish()
        for (rule, count) in keptOut.sorted(by: { $0.key < $1.key }) {
            Terminal.write("note: \(Formatting.count(count, "event")) "
                           + "\(count == 1 ? "matches" : "match") the detection of "
                           + "\(engine.rules[rule].title) (\(engine.rules[rule].id)) but not its "
                           + "log source's conditions, so not the rule (see DETECTION.md, "
                           + "'The mapping file')\n")
        }
        // Without a store an event touches no asset: a rule on asset fields
        // reads "0 matched" as though its detection were wrong.
        if assetFields == nil, engine.fieldPaths.contains(where: { $0.hasPrefix("sekoiaio.") }) {
            Terminal.write("note: a rule reads the assets an event touches (sekoiaio.*), and "
                           + "without --db STORE the events touch none: give the store whose "
                           + "assets they should see\n")
        }
        let split = runsUnmapped && unmapped > 0
            ? " (\(Formatting.count(matchedByCompiled)) by compiled rules)" : ""
        let filtered = engine.filters.isEmpty ? ""
            : "; \(Formatting.count(suppressed)) match\(suppressed == 1 ? "" : "es") a filter "
                + "would suppress"
        let summary = "\(matchedEvents) of \(eventCount) events matched\(split)\(filtered); "
            + Formatting.count(problems, "problem")
        Terminal.write(summary + "\n")
        return problems == 0 ? 0 : 1
    }

    /// Prints one rule's match on one event, with why it matched.
    private static func printMatch(engine: DetectionEngine, ruleIndex: Int,
                                   record: DetectionRecord, file: String, line: Int,
                                   namesFile: Bool, json: Bool,
                                   suppressedBy filter: CompiledFilter? = nil) {
        let rule = engine.rules[ruleIndex]
        let why = engine.explain(ruleIndex: ruleIndex, event: record)
        let isUnmapped = rule.status == .compiledUnmapped
        if json {
            let reasons = why.map { item in
                jsonObject([("selection", .string(item.selection)),
                            ("field", .string(item.field)), ("test", .string(item.test)),
                            ("value", item.value.map(JSONField.string) ?? .null)])
            }
            var members: [(String, JSONField)] = [
                ("file", .string(file)), ("line", .int(line)), ("rule_id", .string(rule.id)),
                ("title", .string(rule.title)),
                ("why", .raw("[" + reasons.joined(separator: ",") + "]")),
            ]
            if isUnmapped { members.append(("status", .string("compiled-unmapped"))) }
            if let filter {
                members.append(("suppressed_by", .string(filter.reportedName)))
            }
            print(jsonObject(members))
        } else {
            print("\(namesFile ? "\(file):\(line)" : "line \(line)"): \(rule.title) (\(rule.id))"
                  + (isUnmapped ? " [compiled-unmapped]" : "")
                  + (filter.map { " [suppressed by filter \($0.title)"
                      + ($0.id.isEmpty ? "" : " (\($0.id))") + "]" } ?? ""))
            for item in why {
                let value = item.value.map { " ← '\(shown($0))'" } ?? ""
                print("    \(item.selection): \(item.test)\(value)")
            }
        }
    }

    /// A matched value as the text view shows it: on one line, and cut
    /// after 160 characters (a Windows event's whole `message` is several
    /// KB). `--json` gives it whole.
    static func shown(_ value: String) -> String {
        let escaped = String(quoted(value).dropFirst().dropLast())
        guard escaped.count > 160 else { return escaped }
        return escaped.prefix(160) + "… (\(value.count) characters)"
    }

    // MARK: - JSON output

    enum JSONField {
        case string(String), int(Int), bool(Bool), null, raw(String)
    }

    static func jsonObject(_ members: [(String, JSONField)]) -> String {
        let body = members.map { key, value -> String in
            let encoded: String = switch value {
            case .string(let text): quoted(text)
            case .int(let int): String(int)
            case .bool(let bool): bool ? "true" : "false"
            case .null: "null"
            case .raw(let raw): raw
            }
            return quoted(key) + ":" + encoded
        }
        return "{" + body.joined(separator: ",") + "}"
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
