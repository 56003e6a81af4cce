import Foundation
import PerimeterDetection
import PerimeterIngest
import PerimeterStore

extension Benchmark {
    /// The whole ingest with detection (`bench --rules N`): the generated rules of
    /// `DetectionBenchmark` (exact values, substrings, lists, regexes, asset fields,
    /// as in the corpus) on the workload's events, over the seeded store, with
    /// discovery writes and alerts committed in each batch's transaction.
    static func measureIngestWithDetection(ruleCount: Int, events: Int, assets: Int,
                                           storePath: String,
                                           configuration: PerimeterConfiguration,
                                           options: IngestOptions) throws {
        let rulesDirectory = NSTemporaryDirectory() + "perimeter-bench-rules-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: rulesDirectory) }
        try DetectionBenchmark.export(ruleCounts: [ruleCount], eventCount: 0,
                                      directory: rulesDirectory)
        var settings = DetectionSettings()
        settings.rulePaths = [rulesDirectory + "/rules-\(ruleCount).yml"]
        let stage = try DetectionStage(settings: settings)
        let store = try InventoryStore(path: storePath)
        let pipeline = try IngestPipeline(store: store, configuration: configuration,
                                          options: options,
                                          extraFields: stage.extraFields,
                                          collectsAllLeaves: stage.collectsAllLeaves)
        stage.attach(to: pipeline)

        var workload = BenchmarkWorkload(assets: assets, seed: 11)
        var remaining = events
        var seconds = 0.0
        while remaining > 0 {
            let chunk = workload.makeEvents(min(remaining, 100_000))
            remaining -= chunk.count
            var clock = Stopwatch()
            try pipeline.ingest(lines: chunk, name: "bench-detection")
            seconds += clock.lap()
        }
        let summary = stage.summary
        let read = Double(max(pipeline.summary.eventsRead, 1))
        print("\n== full ingest with detection: \(ruleCount) generated rules "
              + "(\(summary.rulesCompiled) compiled, \(summary.rulesUnmapped) unmapped), "
              + "batches of \(configuration.batchSize)")
        print("   profile: \(Formatting.count(pipeline.summary.eventsRead)) events, "
              + "\(Formatting.decimal(Double(summary.matches) * 1000 / read)) matches and "
              + "\(Formatting.decimal(Double(summary.alertsOpened) * 1000 / read)) new alerts "
              + "per 1,000 events; keyword rules read every leaf: \(stage.collectsAllLeaves)")
        print("   \(Formatting.count(Int(read / seconds))) events/s on one core "
              + "(\(Formatting.decimal(seconds, places: 2)) s); peak memory \(peakMemory())")
        fflush(nil)
    }
}
