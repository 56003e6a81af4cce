import Foundation
import PerimeterDetection
import PerimeterIngest
import PerimeterStore

extension Benchmark {
    /// The whole ingest with detection (`bench --rules N`): `DetectionBenchmark`'s
    /// generated rules (exact values, substrings, lists, regexes, asset fields, as
    /// in the corpus) on its generated events, which are shaped for them (a third
    /// pass a log-source gate), through read, discovery, enrichment, detection and
    /// the store's batch commits. The same events run once without rules into
    /// another store, so the cost of detection reads off the two rates.
    ///
    /// The events' own `sekoiaio` fields are removed on input (SPEC §2); their
    /// assets are the hosts discovery creates, unrated and untagged, so the
    /// asset-field rules match nothing here (the detection-only benchmark covers them).
    /// `keptIn`, when given, receives a folder per rule count (N and
    /// 2,000), each with its rules and the events the detection stage's
    /// figures were measured on, and keeps them (for
    /// `tests/sigma-reference/differential.py --bench DIR/N`).
    static func measureIngestWithDetection(ruleCount: Int, events: Int, assets: Int,
                                           storePath: String,
                                           configuration: PerimeterConfiguration,
                                           options: IngestOptions,
                                           keptIn kept: String? = nil) throws {
        let eventCount = min(events, 200_000)
        let directory = kept.map { "\($0)/\(ruleCount)" }
            ?? NSTemporaryDirectory() + "perimeter-bench-rules-\(getpid())"
        defer { if kept == nil { try? FileManager.default.removeItem(atPath: directory) } }
        try DetectionBenchmark.export(ruleCounts: [ruleCount], eventCount: eventCount,
                                      directory: directory)
        if let kept, ruleCount != 2_000 {
            try DetectionBenchmark.export(ruleCounts: [2_000], eventCount: eventCount,
                                          directory: "\(kept)/2000")
        }
        let text = try String(contentsOfFile: directory + "/events.ndjson", encoding: .utf8)
        let lines = text.split(separator: "\n").map { Array($0.utf8) }
        var settings = DetectionSettings()
        settings.rulePaths = [directory + "/rules-\(ruleCount).yml"]

        print("\n== full ingest with detection: \(ruleCount) generated rules, "
              + "\(Formatting.count(events)) generated events, batches of "
              + "\(Formatting.count(configuration.batchSize)), fresh stores")
        for withRules in [false, true] {
            let path = storePath + (withRules ? "-detection" : "-no-detection")
            defer {
                for suffix in ["", "-wal", "-shm"] {
                    try? FileManager.default.removeItem(atPath: path + suffix)
                }
            }
            let stage = withRules ? try DetectionStage(settings: settings) : nil
            let store = try InventoryStore(path: path)
            let pipeline = try IngestPipeline(
                store: store, configuration: configuration,
                options: options, extraFields: stage?.extraFields ?? [],
                collectsAllLeaves: stage?.collectsAllLeaves ?? false)
            stage?.attach(to: pipeline)
            var offset = 0
            let timing = try ingestThroughFile(events: events, pipeline: pipeline,
                                               store: store) { count in
                defer { offset += count }
                return (0..<count).map { lines[(offset + $0) % lines.count] }
            }
            let (seconds, cpu) = (timing.seconds, timing.cpu)
            let read = Double(max(pipeline.summary.eventsRead, 1))
            var line = "   \(withRules ? "with" : "without") detection: "
                + "\(Formatting.count(Int(read / seconds))) events/s on one core "
                + "(\(Formatting.decimal(seconds, places: 2)) s; "
                + "\(Formatting.count(Int(read / max(cpu.thread, 1e-9)))) per pipeline CPU-second)"
            if let summary = stage?.summary {
                line += "; \(Formatting.decimal(Double(summary.matches) * 1000 / read)) matches, "
                    + "\(Formatting.decimal(Double(summary.alertsOpened) * 1000 / read)) new "
                    + "alerts per 1,000 events (\(summary.rulesCompiled) rules compiled, "
                    + "\(summary.rulesUnmapped) unmapped)"
            }
            print(line + "; peak memory \(peakMemory())")
            fflush(nil)
        }
    }
}
