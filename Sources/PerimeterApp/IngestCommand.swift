import Foundation
import Synchronization
import PerimeterDetection
import PerimeterEnrichment
import PerimeterIngest
import PerimeterInput
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// `perimeter ingest`: the main job.
enum IngestCommand {
    static let spec = CommandSpec(
        name: "ingest",
        summary: "Read ECS events (NDJSON, plain or gzip), discover the assets behind them, "
            + "and write each event enriched with the assets it touches.",
        usage: "ingest [OPTIONS] [FILE...]   (no FILE, or '-': standard input)",
        options: CommonOptions.store + [
            .init(name: "--entity", valueName: "NAME", help: "The entity the events belong to."),
            .init(name: "--output", valueName: "FILE",
                  help: "Append enriched events there ('-': standard output, the default "
                      + "unless it is a terminal); a run that resumes continues the file."),
            .init(name: "--no-output", valueName: nil, help: "Write no enriched events."),
            .init(name: "--view", valueName: "VIEW",
                  help: "detection (every asset field, default) or indexed (uuid, name, "
                      + "criticality_value)."),
            .init(name: "--rejects", valueName: "FILE",
                  help: "Append malformed lines there (not a file's unfinished last line, "
                      + "which the next run reads again)."),
            .init(name: "--no-rule", valueName: "RULE",
                  help: "Switch a discovery rule off for this run (repeatable).",
                  isRepeatable: true),
            .init(name: "--now", valueName: "TIME",
                  help: "Fix the clock (RFC 3339), for deterministic runs."),
            .init(name: "--lateness", valueName: "DURATION",
                  help: "Lateness window for this run (e.g. 3650d to backfill old, unordered "
                      + "logs); default from the configuration, 24h."),
            .init(name: "--no-resume", valueName: nil,
                  help: "Read files from the start even if a previous run got further."),
            .init(name: "--quiet", valueName: nil, help: "Print no summary."),
            .init(name: "--rules", valueName: "PATH",
                  help: "Sigma rules (file or folder, read recursively) to run on every "
                      + "enriched event (repeatable).", isRepeatable: true),
            .init(name: "--filters", valueName: "PATH",
                  help: "Sigma alert filters that suppress matches (repeatable).",
                  isRepeatable: true),
            .init(name: "--mapping", valueName: "FILE",
                  help: "Sigma-to-ECS mapping instead of the built-in one ('none': names "
                      + "as written, no log-source gates)."),
            .init(name: "--alerts", valueName: "FILE",
                  help: "Also append alerts as NDJSON there: one line per alert opened or "
                      + "updated, at each batch commit (the last line of an id is its state)."),
            .init(name: "--alert-window", valueName: "DURATION",
                  help: "Matches of a rule on the same assets within it join the open "
                      + "alert (default from the configuration, 1h)."),
        ],
        example: "perimeter ingest --db soc.db --output enriched.ndjson events/*.ndjson.gz",
        details: """
            Files are resumed where the last committed batch of a previous run ended
            (the same file: device, inode and first 4 KiB), so a killed ingest re-run
            counts nothing twice. Standard input cannot resume. Malformed lines are
            reported with their file and line, counted, and skipped; the stream goes on.
            A malformed last line with no newline is taken for one still being written:
            it is reported, and the next run reads it again. Ctrl-C (or SIGTERM) stops
            between two lines, commits what was read and exits 130 (143 for SIGTERM); a
            second quits at once.
            Discovery rules: \(DiscoveryRule.allCases.map(\.rawValue).joined(separator: ", ")).
            """)

    static func run(_ raw: [String]) throws -> Int32 {
        guard let arguments = try spec.parse(raw) else { return 0 }
        var configuration = try CommonOptions.configuration(arguments)
        if let text = arguments.value("--lateness") {
            guard let window = Duration(parsing: text) else {
                throw UsageError("'--lateness' must be a duration such as 24h or 3650d "
                                 + "(at most 1000000d), not '\(text)'")
            }
            configuration.inventory.latenessWindow = window
        }
        var options = IngestOptions()
        options.scope = ScopeKey(community: try CommonOptions.community(arguments),
                                 entity: try CommonOptions.entity(arguments))
        options.disabledRules = Set(try arguments.all("--no-rule").map { name in
            try parsingArgument { () throws(ModelError) in try DiscoveryRule(parsing: name) }
        })
        if let view = arguments.value("--view") {
            guard let parsed = EnrichmentView(rawValue: view) else {
                throw UsageError("unknown view '\(view)'; expected detection or indexed")
            }
            options.view = parsed
        }
        options.rejectsPath = arguments.value("--rejects")
        options.now = try arguments.value("--now").map { try CommonOptions.time($0, option: "--now") }
        options.resumes = !arguments.flag("--no-resume")

        let inputs = distinctInputs(arguments.positionals.isEmpty ? ["-"] : arguments.positionals)
        try refuseOutputsOverInputs(arguments, inputs: inputs, configuration: configuration)
        let detection = try detectionStage(arguments, configuration: configuration)
        // Nothing to read at all (a mistyped name): said before a store is
        // made for it. One missing input among others is reported in the
        // run, and the others are read.
        let missing = inputs.filter { $0 != "-" && !FileManager.default.fileExists(atPath: $0) }
        if missing.count == inputs.count {
            throw UsageError("cannot open " + missing.map { "'\($0)'" }.joined(separator: ", ")
                                 + ": no such file; nothing was read")
        }
        let sink = try outputSink(arguments)
        let (store, lock) = try CommonOptions.openStoreForWriting(
            arguments, configuration: configuration, raisesAlerts: detection != nil)
        defer { withExtendedLifetime(lock) {} }
        // Another expiry than the store's changes what every view answers
        // of the past, once this run records it: said, not done unsaid.
        let configuredExpiry = configuration.inventory.addressExpiry
        if let recorded = try store.recordedAddressExpiry(), recorded != configuredExpiry {
            Terminal.note("note: observed addresses expired after \(Formatting.duration(recorded)) "
                          + "in this store (timeline.address_expiry of the last ingest); this run "
                          + "reads events with \(Formatting.duration(configuredExpiry)) and records "
                          + "it once it has read them: the views then read the whole timeline "
                          + "with it")
        }
        try store.recordAddressExpiry(configuredExpiry, unlessRecorded: true)
        let pipeline = try IngestPipeline(store: store, configuration: configuration,
                                          options: options, output: sink,
                                          extraFields: detection?.stage.extraFields ?? [],
                                          collectsAllLeaves: detection?.stage.collectsAllLeaves
                                              ?? false)
        if let detection { detection.stage.attach(to: pipeline, alerts: detection.alerts) }
        let quiet = arguments.flag("--quiet")
        let report = ProblemReport(quiet: quiet)
        pipeline.onProblem = { report.add($0) }
        let notices = ProblemReport(quiet: quiet, noun: "@timestamp notice")
        pipeline.onNotice = { notices.add($0) }
        if Terminal.isStandardErrorTerminal && !quiet {
            pipeline.onProgress = { summary in
                Terminal.progress("ingesting: \(Formatting.count(summary.eventsRead)) events, "
                                  + "\(Formatting.count(Int(summary.eventsPerSecond))) events/s")
            }
        }

        // Ctrl-C (or SIGTERM) stops between two lines: what was read is
        // committed and summed up, and the next run resumes after it. A
        // second one quits at once, as a kill would (the store stays whole).
        let interruption = Interruption(stopping: pipeline.stopRequest)
        defer { interruption.cancel() }
        var failedInputs = 0
        inputs: for input in inputs {
            do {
                if input == "-" {
                    try pipeline.ingestStandardInput()
                } else {
                    try pipeline.ingest(path: input)
                }
            } catch let error as InputError {
                // A file that cannot be read is reported; the others go on.
                Terminal.error(error.message)
                failedInputs += 1
            } catch is IngestStopped {
                break inputs
            }
        }
        Terminal.endProgress()
        if pipeline.summaryNow.eventsIngested > 0 {
            try store.recordAddressExpiry(configuration.inventory.addressExpiry)
        }
        // SPEC §2's storage bounds, applied once the inputs are committed
        // (at most hourly: ingests run back to back). Not after a stop: the
        // run that goes on would find the hour taken, and its store would
        // differ from one run through at once.
        let pruned = interruption.signalNumber != nil ? RetentionOutcome()
            : try store.pruneExpiredIfDue(
            now: options.now ?? EventTime(Date()),
            activityWeeks: configuration.activityRetentionWeeks,
            unclaimedFor: configuration.unclaimedAtomRetention) ?? RetentionOutcome()
        // The log's pages go into the store file now: the connections close
        // as the process ends, on whichever thread lets go of the store
        // last, and an exit that came first left them in the log beside it
        // (in 4 runs of 20, and a copy of the .db file alone lacked them).
        // A copy that fails loses nothing: the log keeps the pages.
        try? store.copyLogIntoFile()
        if !quiet {
            report.finish()
            notices.finish()
            printSummary(pipeline.summaryNow, files: inputs.count - failedInputs,
                         unreadable: failedInputs, store: store,
                         community: options.scope.community, wroteOutput: sink != nil,
                         outputWasSuppressed: sink == nil && !arguments.flag("--no-output"))
            if pruned != RetentionOutcome() {
                let days = configuration.unclaimedAtomRetention.milliseconds / 86_400_000
                let weeks = configuration.activityRetentionWeeks
                Terminal.note("retention: removed "
                              + Formatting.count(pruned.activityBuckets, "activity bucket")
                              + " beyond \(Formatting.count(Int(weeks), "week")) and "
                              + Formatting.count(pruned.unclaimedAtoms, "unclaimed atom")
                              + " unseen for \(Formatting.count(Int(days), "day"))"
                              + (pruned.unclaimedBuckets == 0 ? "" : " (with their "
                                 + Formatting.count(pruned.unclaimedBuckets, "activity bucket")
                                 + ")")
                              + (pruned.countedAtoms == 0 ? "" : "; "
                                 + Formatting.count(pruned.countedAtoms, "atom")
                                 + " left with no bucket"))
            }
            if let detection { printDetectionSummary(detection.stage.summary) }
            // Appending is for a run that continues another; a run that
            // resumed nothing into a file that held lines (a new store, the
            // same path) most likely meant a file of its own.
            if let file = sink as? FileSink, file.existingBytes > 0,
               pipeline.summaryNow.resumedSources == 0 {
                Terminal.note("appended to \(file.name), which already held "
                              + "\(Formatting.count(file.existingBytes, "byte")) from an earlier "
                              + "run; give a new path for a file of this run alone")
            }
        }
        // Lines were read and none was an event: the input is not NDJSON of
        // events (a CSV, a JSON array, the wrong file), which a script should
        // hear about. Some bad lines among good ones are only reported, and a
        // last line left for the next run is not bad yet (a re-run over a
        // file whose writer is half-way through a line reads only that).
        let summary = pipeline.summaryNow
        if let signalNumber = interruption.signalNumber {
            // Standard input, pipes and devices are read once; a file given
            // through a symbolic link resumes as the file does.
            let readOnce = inputs.filter { input in
                var status = stat()
                return input == "-" || stat(input, &status) != 0
                    || status.st_mode & S_IFMT != S_IFREG
            }
            let onward = readOnce.isEmpty ? "run the same command again to go on from there"
                : readOnce.count == inputs.count
                    ? "standard input and pipes cannot resume: send what was not read again"
                    : "run the same command again to go on from there with the files; "
                        + ListFormatting.conjunction(readOnce.map {
                            $0 == "-" ? "standard input" : "'\($0)'"
                        }) + " cannot resume: send what was not read of "
                        + (readOnce.count == 1 ? "it" : "them") + " again"
            Terminal.note("stopped by \(signalNumber == SIGINT ? "Ctrl-C" : "SIGTERM"): what was "
                          + "read is in the store; \(onward)")
            return 128 + signalNumber
        }
        // A file resumed had events before: bad lines appended to it since
        // are reported, as among good ones, not taken for a wrong input.
        if summary.linesRead > summary.unterminatedLastLines && summary.eventsIngested == 0
            && summary.resumedSources == 0 {
            Terminal.error("no event could be read: every one of the "
                           + "\(Formatting.count(summary.linesRead, "line")) read was malformed or "
                           + "too long (is the input NDJSON, one JSON object per line?)")
            return 1
        }
        return failedInputs > 0 ? 1 : 0
    }

    /// The detection stage of `--rules`/`--filters` (or the configuration's
    /// `detection:` section); nil when there are no rules.
    private static func detectionStage(_ arguments: ParsedArguments,
                                       configuration: PerimeterConfiguration) throws
        -> (stage: DetectionStage, alerts: EnrichedEventSink?)?
    {
        var settings = try DetectionSettings(configuration: configuration)
        let rules = arguments.all("--rules")
        let filters = arguments.all("--filters")
        if !rules.isEmpty { settings.rulePaths = rules }
        if !filters.isEmpty { settings.filterPaths = filters }
        if let mapping = arguments.value("--mapping") {
            settings.mapping = mapping == "none" ? .none : .file(mapping)
        }
        if let text = arguments.value("--alert-window") {
            guard let window = Duration(parsing: text), window.milliseconds > 0 else {
                throw UsageError("'--alert-window' must be a duration such as 15m or 1h, "
                                 + "not '\(text)'")
            }
            settings.alertWindow = window
        }
        try refuseMissingRulePaths(settings)
        try refuseFiltersWithoutRules(settings, filtersGiven: !filters.isEmpty)
        guard settings.hasRules else {
            // Options of detection without rules would be dropped unread.
            for option in ["--alerts", "--mapping", "--alert-window"]
            where arguments.value(option) != nil {
                throw UsageError("'\(option)' needs rules: give --rules PATH")
            }
            return nil
        }
        let stage = try DetectionStage(settings: settings)
        // Named here, before the events: a rule that does not run should
        // not have to be looked for in `rules check`. (Not quieted by
        // --quiet: it is about the run's configuration, not its input.)
        for report in stage.reports where report.status == .refused {
            let kind = report.isFilter ? "filter" : "rule"
            Terminal.warning("\(report.location): \(kind) refused "
                             + "(\(report.reasonCode ?? "error")): \(report.reason ?? "")")
        }
        for warning in stage.filterWarnings { Terminal.warning(warning) }
        if !stage.reports.contains(where: { !$0.isFilter }) {
            Terminal.warning("no Sigma rule found in "
                             + settings.rulePaths.map { "'\($0)'" }.joined(separator: ", ")
                             + ": detection runs nothing")
        }
        let alerts = try arguments.value("--alerts").map {
            try FileSink(path: $0, contents: "alerts")
        }
        return (stage, alerts)
    }

    /// Refuses a rules or filters path, given or configured, where there is
    /// nothing to read, naming which of the two it is.
    static func refuseMissingRulePaths(_ settings: DetectionSettings) throws {
        for (paths, kind) in [(settings.rulePaths, "rules"), (settings.filterPaths, "filters")] {
            for path in paths where !FileManager.default.fileExists(atPath: path) {
                throw UsageError("cannot read \(kind) at '\(path)': "
                                 + CommonOptions.whyNothingAt(path))
            }
        }
    }

    /// Filters only suppress what rules match: alone they would load and
    /// never act, and the rules were most likely forgotten.
    static func refuseFiltersWithoutRules(_ settings: DetectionSettings,
                                          filtersGiven: Bool) throws {
        guard settings.rulePaths.isEmpty, !settings.filterPaths.isEmpty else { return }
        throw UsageError(filtersGiven
            ? "'--filters' needs rules: give --rules PATH"
            : "the configuration's detection section names filters but no rules; "
                + "filters only suppress the matches of rules")
    }

    static func printDetectionSummary(_ summary: DetectionSummary) {
        var lines = [
            "detection: \(Formatting.count(summary.rulesCompiled + summary.rulesUnmapped, "rule")) "
                + "(\(Formatting.count(summary.rulesUnmapped)) compiled-unmapped"
                + (summary.rulesUnmapped == 0 ? ""
                    : summary.runsUnmappedRules ? ", run"
                    : ", not run: detection.run_unmapped_rules; 'perimeter rules check' names them")
                + "), \(Formatting.count(summary.filters, "filter"))"
                + (summary.rulesRefused > 0
                    ? "; \(Formatting.count(summary.rulesRefused)) refused (see 'perimeter rules "
                        + "check')" : "")
                + (summary.filtersRefused > 0
                    ? "; \(Formatting.count(summary.filtersRefused, "filter")) refused (what "
                        + "they would suppress raises alerts)" : ""),
            "  matches                \(Formatting.count(summary.matches))",
            "  alerts raised          \(Formatting.count(summary.alertsOpened)) new, "
                + "\(Formatting.count(summary.matchesJoined)) "
                + "\(summary.matchesJoined == 1 ? "match" : "matches") joined open alerts",
        ]
        let byRule = summary.alertsByRule.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        for (rule, count) in byRule.prefix(10) {
            // The title is what a person reads; the id is what finds the rule.
            let title = summary.ruleTitles[rule].map { "\($0) (\(rule))" } ?? rule
            lines.append("    \(Formatting.count(count)) by rule \(title)")
        }
        if byRule.count > 10 {
            let rest = byRule.dropFirst(10).reduce(0) { $0 + $1.value }
            lines.append("    \(Formatting.count(rest)) by "
                         + Formatting.count(byRule.count - 10, "other rule"))
        }
        for (filter, count) in summary.suppressedByFilter.sorted(by: { $0.key < $1.key }) {
            lines.append("  suppressed by filter \(filter): \(Formatting.count(count))")
        }
        if summary.regexLimitExceeded > 0 {
            lines.append("  regex tests stopped at the match limit (no match): "
                         + Formatting.count(summary.regexLimitExceeded))
        }
        if summary.rulesOnExamplePlaceholders > 0 {
            lines.append("  \(Formatting.count(summary.rulesOnExamplePlaceholders, "rule")) ran on "
                         + "the example values shipped for their placeholders (see 'perimeter "
                         + "rules check'; detection.placeholders gives your environment's)")
        }
        Terminal.note(lines.joined(separator: "\n"))
    }

    /// The inputs, each file once: a file named twice (`f f`, `f ./f`, a
    /// link) would be read twice with `--no-resume`. Said on the terminal.
    /// Standard input redirected from a file that is also named (`f - < f`)
    /// is that file again: the named one is kept, as it can resume. A named
    /// pipe that is also standard input is read as standard input: a second
    /// reader of it would wait for a writer that already went to the first.
    private static func distinctInputs(_ inputs: [String]) -> [String] {
        var seen: [[UInt64]: String] = [:]
        var result: [String] = []
        let standardInput = openFile(descriptor: 0)
        let standardInputType = standardInput?.type ?? 0
        let namedAgain = standardInput.flatMap { file in
            file.type == S_IFREG || file.type == S_IFIFO
                ? inputs.first { $0 != "-" && fileIdentity($0) == file.identity } : nil
        }
        var readsStandardInput = false
        for input in inputs {
            if input == "-" {
                // `- -`: the second would find the stream at its end.
                if readsStandardInput { continue }
                if let namedAgain, standardInputType == S_IFREG {
                    Terminal.note("standard input is the file '\(namedAgain)' again: read once")
                    continue
                }
                readsStandardInput = true
            } else if let namedAgain, input == namedAgain, standardInputType == S_IFIFO,
                      inputs.contains("-") {
                Terminal.note("'\(input)' is the pipe standard input reads: read once, "
                              + "as standard input")
                continue
            }
            guard input != "-", let identity = fileIdentity(input) else {
                result.append(input)
                continue
            }
            if let first = seen[identity] {
                Terminal.note("'\(input)' is the file '\(first)' again: read once")
                continue
            }
            seen[identity] = input
            result.append(input)
        }
        return result
    }

    /// Refuses a file written by the ingest (`--output`, `--rejects`,
    /// `--alerts`, standard output redirected to a file) that is a file it
    /// reads (an input, the configuration, a rule, a mapping), the store,
    /// or another output: opening it emptied an input or corrupted the
    /// store, and an output read as its own input grew without end. Paths
    /// are compared as the system resolves them, links followed, also for
    /// files not made yet; a folder of rules protects what is inside it.
    private static func refuseOutputsOverInputs(_ arguments: ParsedArguments,
                                                inputs: [String],
                                                configuration: PerimeterConfiguration) throws {
        var taken: [(what: String, identity: [UInt64]?, path: String)] = []
        func protect(_ path: String, as what: String) {
            taken.append((what, fileIdentity(path), resolvedPath(path)))
        }
        // A folder given as an input is refused when read, not read: it
        // holds no input an output could destroy (an output inside it was
        // refused as the input itself, and nothing was read).
        for input in inputs where input != "-" {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder),
               isFolder.boolValue { continue }
            protect(input, as: "the input '\(input)'")
        }
        let store = try CommonOptions.databasePath(arguments)
        for suffix in ["", "-wal", "-shm", "-journal", ".lock"] {
            protect(store + suffix, as: "the store '\(store)'")
        }
        if let file = configuration.file { protect(file, as: "the configuration '\(file)'") }
        protect(configuration.publicSuffixListPath, as: "the public suffix list")
        let settings = try? DetectionSettings(configuration: configuration)
        var configuredMapping: [String] = []
        if case .file(let path) = settings?.mapping { configuredMapping.append(path) }
        let ruleFiles = arguments.all("--rules") + arguments.all("--filters")
            + (settings?.rulePaths ?? []) + (settings?.filterPaths ?? [])
            + [arguments.value("--mapping")].compactMap { $0 } + configuredMapping
        for path in ruleFiles { protect(path, as: "the rules or mapping at '\(path)'") }

        func clash(_ path: String, _ identity: [UInt64]?) -> String? {
            let resolved = resolvedPath(path)
            return taken.first { other in
                (identity != nil && other.identity == identity) || other.path == resolved
                    || resolved.hasPrefix(other.path.hasSuffix("/") ? other.path : other.path + "/")
            }?.what
        }
        let outputs: [(option: String, path: String)] = ["--output", "--rejects", "--alerts"]
            .compactMap { option in
                arguments.value(option).flatMap { $0 == "-" ? nil : (option, $0) }
            }
        let toStandardOutput = !arguments.flag("--no-output")
            && (arguments.value("--output") ?? "-") == "-"
        for (option, path) in outputs {
            // A device that keeps nothing (/dev/null) is no file to destroy,
            // and takes several outputs at once.
            if resolvedPath(path) == "/dev/null" { continue }
            if let what = clash(path, fileIdentity(path)) {
                throw UsageError("'\(option) \(path)' is \(what): writing there would "
                                 + "destroy it; choose another file")
            }
            protect(path, as: "the file of '\(option)'")
        }
        // Standard output redirected into a file (`> events.ndjson`).
        if toStandardOutput, let output = openFile(descriptor: 1), output.type == S_IFREG,
           let what = taken.first(where: { $0.identity == output.identity })?.what {
            throw UsageError("standard output is \(what): writing there would destroy it; "
                             + "send the enriched events elsewhere (--output FILE or --no-output)")
        }
    }

    /// `path` as the system resolves it, symbolic links followed, also
    /// when its last component does not exist yet (or is a link to a file
    /// that does not).
    private static func resolvedPath(_ path: String) -> String {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        for _ in 0..<16 {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)
            else { break }
            url = URL(fileURLWithPath: target, relativeTo: url.deletingLastPathComponent())
                .standardizedFileURL
        }
        let parent = url.deletingLastPathComponent().resolvingSymlinksInPath()
        return parent.appendingPathComponent(url.lastPathComponent).standardizedFileURL.path
    }

    /// The device and inode of the file at `path` (links followed), nil
    /// when there is none.
    private static func fileIdentity(_ path: String) -> [UInt64]? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return [UInt64(status.st_dev), UInt64(status.st_ino)]
    }

    /// The kind (`S_IFREG`, `S_IFIFO`…) and the device and inode of what an
    /// open descriptor (standard input, standard output) refers to.
    private static func openFile(descriptor: Int32) -> (type: mode_t, identity: [UInt64])? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return (status.st_mode & S_IFMT, [UInt64(status.st_dev), UInt64(status.st_ino)])
    }

    private static func outputSink(_ arguments: ParsedArguments) throws -> EnrichedEventSink? {
        if arguments.flag("--no-output") { return nil }
        switch arguments.value("--output") {
        case nil:
            return Terminal.isStandardOutputTerminal ? nil : FileSink.standardOutput
        case "-":
            return FileSink.standardOutput
        case let path?:
            return try FileSink(path: path)
        }
    }

    static func printSummary(_ summary: IngestSummary, files: Int, unreadable: Int = 0,
                             store: InventoryStore,
                             community: String, wroteOutput: Bool, outputWasSuppressed: Bool) {
        let megabytes = Double(summary.bytes) / 1_000_000
        // Malformed and oversized lines are read but not ingested: the first
        // line counts the events, and the lines read when some were skipped
        // (blank lines aside; a resumed file's line count includes them).
        let read = summary.linesRead > summary.eventsIngested
            ? " (of \(Formatting.count(summary.linesRead, "non-blank line")) read)" : ""
        var lines = [
            "ingested \(Formatting.count(summary.eventsIngested, "event"))\(read) "
                // An input that failed midway (a truncated gzip) gave events
                // too: "from 0 inputs" read as a count of nothing.
                + "from \(files + unreadable) input\(files + unreadable == 1 ? "" : "s")"
                + (unreadable == 0 ? ""
                   : " (\(unreadable) failed, whole or partly: see the error above)") + " in "
                + "\(Formatting.decimal(summary.seconds, places: 2)) s "
                + "(\(Formatting.count(Int(summary.eventsPerSecond))) lines/s, "
                + "\(Formatting.decimal(summary.seconds > 0 ? megabytes / summary.seconds : 0)) MB/s)",
            // An unfinished last line is counted on its own line below.
            "  malformed lines        "
                + "\(Formatting.count(summary.malformed - summary.unterminatedLastLines))",
            "  enriched events        \(Formatting.count(summary.enriched))"
                + (summary.ambiguous > 0 ? " (\(Formatting.count(summary.ambiguous)) ambiguous)" : ""),
            "  atoms seen             \(Formatting.count(summary.atomsSeen))",
        ]
        for rule in DiscoveryRule.allCases {
            if let count = summary.created[rule], count > 0 {
                lines.append("  assets discovered      \(Formatting.count(count)) by \(rule.rawValue)")
            }
        }
        if summary.created.values.reduce(0, +) == 0 { lines.append("  assets discovered      0") }
        let extras: [(String, Int)] = [
            ("late events (no structure change; --lateness widens the window"
                + (summary.firstLate.map { "; the first: \(Terminal.readable($0))" } ?? "") + ")",
             summary.late),
            ("future events (no structure change"
                + (summary.firstFuture.map { "; the first: \(Terminal.readable($0))" } ?? "") + ")",
             summary.future),
            ("events without a usable @timestamp (arrival time used)", summary.withoutTimestamp),
            ("dotted hostnames dropped (strict mode)", summary.droppedDottedHostnames),
            ("oversized lines skipped", summary.oversizedLines),
            ("malformed last lines without a newline, read again next run (a writer may "
                + "not have finished them)", summary.unterminatedLastLines),
            ("identifiers claimed by several assets (conflicts; see atoms conflicts)",
             summary.atomsInConflict.count),
        ]
        for (label, count) in extras where count > 0 {
            lines.append("  \(label): \(Formatting.count(count))")
        }
        // A backfill of old logs in the default window loses most of its
        // structure (a corpus run: 6,972 of 16,588 late, a domain controller
        // among the hosts never made): say what to do, not only how many.
        if summary.late * 10 > summary.eventsIngested, summary.late > 0 {
            lines.append("  note: \(summary.late * 100 / max(summary.eventsIngested, 1))% of the "
                         + "events came after newer ones beyond the lateness window and made or "
                         + "moved no asset; to load old or unordered logs, ingest them into a "
                         + "new store with --lateness 3650d")
        }
        if summary.resumedSources > 0 {
            lines.append("  resumed \(summary.resumedSources) file(s) after "
                         + "\(Formatting.count(summary.skippedLines)) lines already ingested")
        }
        if let counts = try? store.assetCounts(community: community) {
            let total = counts.reduce(0) { $0 + $1.count }
            lines.append("store \(store.path): \(Formatting.count(total, "asset")) in community "
                         + "'\(community)'")
        }
        if outputWasSuppressed {
            lines.append("enriched events were not written: standard output is a terminal "
                         + "(use --output FILE, --output -, or a pipe)")
        }
        Terminal.note(lines.joined(separator: "\n"))
    }
}

/// Prints line problems as they come, up to a limit, then a count: a file
/// of the wrong format would otherwise print every one of its lines.
final class ProblemReport {
    private let quiet: Bool
    /// What a problem is called in the count of those not shown.
    private let noun: String
    private let show: (String) -> Void
    private var count = 0
    private let limit = 20

    /// `show` prints one line; by default an ingest's warning.
    init(quiet: Bool, noun: String = "malformed line",
         show: @escaping (String) -> Void = { Terminal.warning($0) }) {
        self.quiet = quiet
        self.noun = noun
        self.show = show
    }

    func add(_ problem: LineProblem) { add(problem.description) }

    func add(_ text: String) {
        count += 1
        guard !quiet, count <= limit else { return }
        Terminal.endProgress()
        show(text)
    }

    func finish() {
        if count > limit {
            show(Formatting.count(count - limit, "more \(noun)") + " not shown")
        }
    }
}

/// Enriched events (or alerts) to a file or standard output.
final class FileSink: EnrichedEventSink {
    private let handle: FileHandle

    /// "'enriched.ndjson'" or "standard output", for messages.
    let name: String
    /// What the lines are ("enriched events", "alerts"), for messages.
    private let contents: String

    nonisolated(unsafe) static let standardOutput = FileSink(handle: .standardOutput,
                                                             name: "standard output",
                                                             contents: "enriched events")

    private init(handle: FileHandle, name: String, contents: String) {
        self.handle = handle
        self.name = name
        self.contents = contents
    }

    /// Creates `path`, readable by its owner only (enriched events are raw
    /// events, SPEC §8), or appends to it: a run that resumes after a
    /// killed one continues the output the killed one began (truncating it
    /// lost every line of the batches the store had already committed).
    init(path: String, contents: String = "enriched events") throws {
        // Read and write: the last byte is read (below); a file that may
        // only be written is written without that check.
        var descriptor = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if descriptor < 0 && errno == EACCES {
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        }
        guard descriptor >= 0 else {
            throw OutputError(message: "cannot open '\(path)' for writing: "
                                      + String(cString: strerror(errno)))
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        name = "'\(path)'"
        self.contents = contents
        // A file that ends mid-line would have the first line of this run
        // glued on. A run killed while writing leaves part of an event's
        // line, of a batch the store had not committed: this run writes
        // it again, so the part (an object begun, not ended) is cut off
        // rather than kept as a line that is no JSON. Any other last line
        // with no newline (a file written by hand) stays, ended.
        var stats = stat()
        if fstat(descriptor, &stats) == 0 { existingBytes = Int(stats.st_size) }
        guard LineReader.endsMidLine(descriptor) else { return }
        let lineStart = Self.startOfLastLine(descriptor, size: existingBytes)
        let tail = Self.read(descriptor, from: lineStart, to: existingBytes)
        let isTornEvent = tail.map {
            $0.first == UInt8(ascii: "{")
                && !((try? JSONSerialization.jsonObject(with: Data($0))) is [String: Any])
        } ?? false
        if isTornEvent, ftruncate(descriptor, off_t(lineStart)) == 0 {
            Terminal.warning("\(name) ended with "
                             + "\(Formatting.count(existingBytes - lineStart, "byte")) of an "
                             + "unfinished line (a run stopped while writing it): cut off, as "
                             + "this run writes that event again")
            existingBytes = lineStart
        } else {
            try write([0x0A])
        }
    }

    /// Where the last line of the file begins: just after its last newline.
    private static func startOfLastLine(_ descriptor: Int32, size: Int) -> Int {
        var end = size
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while end > 0 {
            let start = max(0, end - chunk.count)
            let count = chunk.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress, end - start, off_t(start))
            }
            guard count == end - start else { return size }
            if let newline = chunk[..<count].lastIndex(of: 0x0A) { return start + newline + 1 }
            end = start
        }
        return 0
    }

    /// The bytes `start..<end` of the file; nil past 16 MiB (no event line
    /// is longer) or when they cannot be read.
    private static func read(_ descriptor: Int32, from start: Int, to end: Int) -> [UInt8]? {
        guard end - start <= 16 << 20 else { return nil }
        var bytes = [UInt8](repeating: 0, count: end - start)
        let count = bytes.withUnsafeMutableBytes {
            pread(descriptor, $0.baseAddress, end - start, off_t(start))
        }
        return count == end - start ? bytes : nil
    }

    /// The size the file had when it was opened: what earlier runs wrote.
    private(set) var existingBytes = 0


    /// Writes the bytes whole or not at all, where the output is a file:
    /// a write that fails part way (a full disk) is cut back to where it
    /// began, so that writing the same bytes again once there is room
    /// (the next flush) leaves neither a torn line nor the lines before it
    /// twice. A pipe or a terminal keeps what it took.
    func write(_ bytes: [UInt8]) throws {
        let descriptor = handle.fileDescriptor
        var stats = stat()
        let isFile = fstat(descriptor, &stats) == 0 && stats.st_mode & S_IFMT == S_IFREG
        let appends = fcntl(descriptor, F_GETFL) & O_APPEND != 0
        let start = appends ? stats.st_size : lseek(descriptor, 0, SEEK_CUR)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + written, bytes.count - written)
            }
            if count >= 0 {
                written += count
                continue
            }
            let failure = errno
            if failure == EINTR { continue }
            if isFile && written > 0 && start >= 0 && ftruncate(descriptor, start) == 0
                && !appends {
                lseek(descriptor, start, SEEK_SET)
            }
            throw OutputError(message: "cannot write \(contents) to \(name): "
                              + "\(String(cString: strerror(failure))) "
                              + "(the store keeps the batches committed before; a re-run "
                              + "resumes after them)")
        }
    }
    func flush() throws {}
}

/// An output file that cannot be written.
struct OutputError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// SIGINT and SIGTERM during long work (an ingest, a bulk change): the
/// first asks it to stop at its next safe point, a second ends the process
/// at once.
///
/// Caught by a plain signal handler, which only stores to atomics and
/// writes its prepared note: a Dispatch signal source needs a file
/// descriptor of its own (out of them, the process crashed as it started)
/// and a thread to run its handler on (out of memory, no second signal
/// could end a process that hung). One is installed at a time: a later
/// one replaces an earlier one.
final class Interruption: @unchecked Sendable {
    /// The signal that stopped the ingest, if one did.
    var signalNumber: Int32? {
        let value = InterruptionState.received.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    /// `note` is told at the first signal: what stopping will keep.
    init(stopping request: StopRequest,
         note: String = "stopping: committing what was read (again to quit at once)") {
        InterruptionState.received.store(0, ordering: .releasing)
        // Written by the handler as it is: no allocation there. A progress
        // line on a terminal is cleared first.
        let text = (Terminal.isStandardErrorTerminal ? "\r\u{1B}[K" : "")
            + Terminal.readable(note) + "\n"
        InterruptionState.setNote(Array(text.utf8))
        target = Int(bitPattern: Unmanaged.passRetained(request).toOpaque())
        // A later one replaces an earlier one still installed, which lets
        // its request go (and its `cancel` then leaves this one be).
        let previous = InterruptionState.target.exchange(target, ordering: .acquiringAndReleasing)
        if let pointer = UnsafeRawPointer(bitPattern: previous) {
            Unmanaged<StopRequest>.fromOpaque(pointer).release()
        }
        var signals = sigset_t()
        sigemptyset(&signals)
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = interruptionHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
            sigaddset(&signals, signalNumber)
        }
        // A process started from a thread that blocks them (a thread pool's
        // worker, as a test runner's) inherits them blocked: the handler
        // would never run.
        sigprocmask(SIG_UNBLOCK, &signals, nil)
    }

    /// The retained stop request's bits, as installed.
    private var target = 0

    /// Puts the signals back as they were, unless another interruption
    /// was installed since.
    func cancel() {
        let (wasCurrent, _) = InterruptionState.target.compareExchange(
            expected: target, desired: 0, ordering: .acquiringAndReleasing)
        guard wasCurrent, let pointer = UnsafeRawPointer(bitPattern: target) else { return }
        for signalNumber in [SIGINT, SIGTERM] { signal(signalNumber, SIG_DFL) }
        Unmanaged<StopRequest>.fromOpaque(pointer).release()
    }
}

/// What the signal handler reads and writes; set before it is installed.
private enum InterruptionState {
    static let received = Atomic<Int32>(0)
    /// The stop request, retained: an `Unmanaged` pointer's bits.
    static let target = Atomic<Int>(0)
    nonisolated(unsafe) static var note: UnsafeMutableBufferPointer<UInt8>?

    /// The previous note is not freed: a handler running at that moment
    /// may be writing it (a few bytes, once per interruption made).
    static func setNote(_ bytes: [UInt8]) {
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = buffer.initialize(from: bytes)
        note = buffer
    }
}

private let interruptionHandler: @convention(c) (Int32) -> Void = { signalNumber in
    let (first, _) = InterruptionState.received.compareExchange(
        expected: 0, desired: signalNumber, ordering: .acquiringAndReleasing)
    guard first else { _exit(128 + signalNumber) }
    if let pointer = UnsafeRawPointer(bitPattern: InterruptionState.target.load(ordering: .acquiring)) {
        Unmanaged<StopRequest>.fromOpaque(pointer).takeUnretainedValue().request()
    }
    if let note = InterruptionState.note { _ = write(2, note.baseAddress, note.count) }
}
