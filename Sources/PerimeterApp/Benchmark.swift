import Foundation
import PerimeterDetection
import PerimeterEnrichment
import PerimeterIngest
import PerimeterInventory
import PerimeterJSON
import PerimeterModel
import PerimeterStore

/// `perimeter bench`: throughput and memory of the ingest pipeline on a
/// workload it generates (and on the real corpus, replicated), one core.
///
/// It prints figures; it asserts nothing. Run it on a release build:
/// `swift build -c release && .build/release/perimeter bench`.
enum Benchmark {
    static let spec = CommandSpec(
        name: "bench", summary: "Measure the pipeline on one core: read+extract+enrich with "
            + "the inventory loaded, full ingest with discovery writes, and peak memory, on a "
            + "generated workload and on the corpus replicated.",
        usage: "bench [--assets N] [--events N] [--ingest-events N] [--corpus DIR] "
            + "[--corpus-events N] [--dir DIR] [--batch N] [--checkpoint-mb N] [--rules N] "
            + "[--keep-rules DIR]",
        options: [
            .init(name: "--assets", valueName: "N", help: "Inventory size (default 1,000,000)."),
            .init(name: "--events", valueName: "N", help: "Generated events (default 2,000,000)."),
            .init(name: "--ingest-events", valueName: "N",
                  help: "Events for the full-ingest run (default 1,000,000)."),
            .init(name: "--corpus", valueName: "DIR",
                  help: "ECS corpus to replicate (default $PERIMETER_CORPUS/ecs, else "
                      + "../shared/corpus/ecs, when present)."),
            .init(name: "--corpus-events", valueName: "N",
                  help: "Replicated corpus events (default 2,000,000; 0 skips)."),
            .init(name: "--dir", valueName: "DIR", help: "Where the benchmark's stores go (default /tmp)."),
            .init(name: "--batch", valueName: "N",
                  help: "Events per store transaction (default: the configuration's 50,000)."),
            .init(name: "--checkpoint-mb", valueName: "N",
                  help: "Write-ahead log size that starts a background checkpoint (default: "
                      + "perimeter ingest's 256)."),
            .init(name: "--rules", valueName: "N",
                  help: "Generated Sigma rules: the detection stage alone with N and with 2,000 "
                      + "rules, then the full ingest with N (default 50; 0 skips)."),
            .init(name: "--keep-rules", valueName: "DIR",
                  help: "Keep the generated rules and events of N and of 2,000 rules in "
                      + "DIR/N and DIR/2000, for tests/sigma-reference/differential.py "
                      + "--bench DIR/N."),
        ],
        example: "perimeter bench --assets 20000 --events 50000 --ingest-events 5000 "
            + "--corpus-events 5000 --rules 0   # seconds; the full run (no options) takes "
            + "about 10 minutes and 2.3 GB",
        takesArguments: false)

    static func run(_ raw: [String]) throws -> Int32 {
        guard let arguments = try spec.parse(raw) else { return 0 }
        let assets = try arguments.int("--assets", in: 1_000...50_000_000) ?? 1_000_000
        let events = try arguments.int("--events", in: 1_000...100_000_000) ?? 2_000_000
        let ingestEvents = try arguments.int("--ingest-events", in: 1_000...100_000_000) ?? 1_000_000
        let corpusEvents = try arguments.int("--corpus-events", in: 0...100_000_000) ?? 2_000_000
        let directory = arguments.value("--dir") ?? NSTemporaryDirectory()
        let ruleCount = try arguments.int("--rules", in: 0...100_000) ?? 50
        // The tests' variable names the corpus here too.
        let corpus = arguments.value("--corpus")
            ?? ProcessInfo.processInfo.environment["PERIMETER_CORPUS"].map { $0 + "/ecs" }
            ?? "../shared/corpus/ecs"
        // A corpus asked for that is not there is a mistake to say before
        // ten minutes of work, not a stage to skip.
        if let asked = arguments.value("--corpus"), corpusEvents > 0,
           !((try? FileManager.default.contentsOfDirectory(atPath: asked)) ?? [])
               .contains(where: { $0.hasSuffix(".ndjson") }) {
            throw UsageError("'--corpus \(asked)' holds no .ndjson files")
        }

        #if DEBUG
        report("warning: this is a debug build; figures mean little (use swift build -c release)")
        #endif
        report("simdjson kernel: \(EventReader.activeKernel)")
        report("threads: the pipeline runs on the calling thread; with a store, each batch "
               + "commits on a writer thread while the next is read, and a third copies the "
               + "write-ahead log into the store file (its CPU time is counted with the writer's); "
               + "the full ingests read a file of the generated events, written beforehand, as "
               + "`perimeter ingest FILE` does")
        var configuration = PerimeterConfiguration()
        configuration.inventory.latenessWindow = .days(100_000)
        if let batch = try arguments.int("--batch", in: 100...1_000_000) {
            configuration.batchSize = batch
        }
        if let megabytes = try arguments.int("--checkpoint-mb", in: 1...4_096) {
            configuration.checkpointMegabytes = megabytes
        }
        let options = benchOptions()
        let checkpointMegabytes = configuration.checkpointMegabytes(forServerIntake: false)

        // 1. The generated workload, then a store seeded with it. The
        // generated inventory is released before the store's is loaded, so
        // that the full ingest's memory is that of one inventory.
        let path = "\(directory)/perimeter-bench-\(getpid()).db"
        defer { removeStore(path) }
        removeStore(path)
        try measureGenerated(assets: assets, events: events, storePath: path,
                             configuration: configuration, options: options)

        // 2. Full ingest with discovery writes into a SQLite store. From
        // here the process is what `perimeter ingest` over that store is,
        // so its peak memory is counted afresh: the generation and the
        // seeding before (two inventories at once) are the benchmark's own.
        // The reset moves getrusage's maximum too: the peak so far is
        // taken first.
        let generationPeak = peakMemory()
        let peakIsFresh = resetPeakMemory()
        report("\n== memory: \(residentMemory()) resident after the generated inventory was released; "
               + (peakIsFresh ? "peak memory is counted from here"
                              : "the peak could not be reset and still counts the seeding"))
        var clock = Stopwatch()
        let store = try InventoryStore(path: path)
        let full = try IngestPipeline(store: store, configuration: configuration, options: options,
                                      output: DiscardingSink())
        report("   inventory loaded from the store in \(Formatting.decimal(clock.lap())) s; "
               + "resident memory \(residentMemory()) (peak of the run so far \(peakMemory()))")
        var ingestWorkload = BenchmarkWorkload(assets: assets, seed: 7)
        try measure("full ingest with discovery writes (batches of \(Formatting.count(configuration.batchSize)), "
                    + "checkpoints from \(checkpointMegabytes) MB of log)",
                    events: ingestEvents, pipeline: full) { count in ingestWorkload.makeEvents(count) }
        // The first run meets most hosts for the first time since the
        // store was seeded: their MAC, agent id and operating system are new
        // (an attachment or a property change and its audit record each).
        // The same events a day later are a store in its steady state:
        // every atom known, only sightings, seen times and counts written.
        var dayLater = BenchmarkWorkload(assets: assets, seed: 7)
        dayLater.firstEventTime = dayLater.firstEventTime + .days(1)
        try measure("full ingest, the same events a day later (steady state: sightings only)",
                    events: ingestEvents, pipeline: full) { count in dayLater.makeEvents(count) }
        let ingestPeak = peakMemory()
        if ruleCount > 0 {
            // The Sigma stage alone on already-parsed events, at this size
            // and at 2,000 rules (issue #3's two sizes by default).
            try DetectionBenchmark.run(ruleCounts: Array(Set([ruleCount, 2_000])).sorted(),
                                       eventCount: min(ingestEvents, 200_000), print: report)
            try measureIngestWithDetection(ruleCount: ruleCount, events: ingestEvents,
                                           assets: assets, storePath: path,
                                           configuration: configuration, options: options,
                                           keptIn: arguments.value("--keep-rules"))
        }

        // 3. The corpus, replicated.
        if corpusEvents > 0 {
            try measureCorpus(directory: corpus, events: corpusEvents, storeDirectory: directory,
                              configuration: configuration, options: options)
        }
        report("\npeak memory of the full ingests over the store of \(Formatting.count(assets)) "
               + "assets: \(ingestPeak); of the generation and seeding before them: "
               + "\(generationPeak); of the whole run from the store's loading on (the "
               + "detection and corpus stages add stores and inventories of their own, the "
               + "large one still loaded): \(peakMemory())")
        return 0
    }

    /// Read+extract+enrich on the generated inventory, then the store
    /// seeded with it.
    private static func measureGenerated(assets: Int, events: Int, storePath: String,
                                         configuration: PerimeterConfiguration,
                                         options: IngestOptions) throws {
        var workload = BenchmarkWorkload(assets: assets)
        var clock = Stopwatch()
        let inventory = workload.makeInventory(settings: configuration.inventory)
        report("\n== generated workload: \(Formatting.count(inventory.assetCount)) assets, "
               + "\(Formatting.count(inventory.attachmentCount)) atom attachments, "
               + "built in \(Formatting.decimal(clock.lap())) s; resident memory \(residentMemory())")
        try measureStages(workload: &workload, inventory: inventory, configuration: configuration,
                          events: min(events, 200_000))
        let enrichOnly = try IngestPipeline(store: nil, inventory: inventory, rules: [],
                                            configuration: configuration, options: options,
                                            output: DiscardingSink())
        try measure("read+extract+enrich+write (inventory loaded, no discovery)", events: events,
                    pipeline: enrichOnly) { count in workload.makeEvents(count) }
        clock = Stopwatch()
        let store = try InventoryStore(path: storePath)
        try store.seed(with: inventory.snapshotChanges())
        report("\n== store seeded with the inventory in \(Formatting.decimal(clock.lap())) s")
    }

    private static func benchOptions() -> IngestOptions {
        var options = IngestOptions()
        options.scope = ScopeKey(community: "bench")
        options.now = EventTime(milliseconds: 1_900_000_000_000)
        return options
    }

    /// Runs `events` events through the pipeline (generation not timed),
    /// printing the workload's profile and the rates; with a store, through
    /// a file (`ingestThroughFile`).
    private static func measure(_ label: String, events: Int, pipeline: IngestPipeline,
                                makeChunk: (Int) -> [[UInt8]]) throws {
        var seconds = 0.0
        var cpu = CPUTimes()
        var bytes = 0
        var logCopySeconds = 0.0
        let before = pipeline.summary
        if let store = pipeline.store {
            let timing = try ingestThroughFile(events: events, pipeline: pipeline, store: store,
                                               makeChunk: makeChunk)
            (seconds, logCopySeconds, cpu, bytes) = (timing.seconds, timing.logCopySeconds,
                                                     timing.cpu, timing.bytes)
        } else {
            var remaining = events
            while remaining > 0 {
                let chunk = makeChunk(min(remaining, 100_000))
                remaining -= chunk.count
                bytes += chunk.reduce(0) { $0 + $1.count + 1 }
                var clock = Stopwatch()
                let start = CPUTimes.now()
                try pipeline.ingest(lines: chunk, name: "bench")
                seconds += clock.lap()
                cpu += CPUTimes.now() - start
            }
        }
        let summary = pipeline.summary
        let read = summary.eventsRead - before.eventsRead
        let atoms = summary.atomsSeen - before.atomsSeen
        let enriched = summary.enriched - before.enriched
        let created = summary.created.values.reduce(0, +) - before.created.values.reduce(0, +)
        report("\n== \(label)")
        report("   profile: \(Formatting.count(read)) events, mean \(bytes / max(read, 1)) bytes, "
               + "\(Formatting.decimal(Double(atoms) / Double(max(read, 1)))) atoms/event, "
               + "\(Formatting.decimal(100 * Double(enriched) / Double(max(read, 1))))% enriched, "
               + "\(Formatting.count(created)) assets created")
        report("   \(Formatting.count(Int(Double(read) / seconds))) events/s, "
               + "\(Formatting.decimal(Double(bytes) / seconds / 1_000_000)) MB/s "
               + "(\(Formatting.decimal(seconds, places: 2)) s"
               + (pipeline.store == nil ? "" : ", of which \(Formatting.decimal(logCopySeconds, places: 2)) s "
                   + "copying the log left at the end into the store file")
               + "); peak memory \(peakMemory())")
        report("   CPU: pipeline thread \(Formatting.decimal(cpu.thread, places: 2)) s "
               + "(\(Formatting.count(Int(Double(read) / max(cpu.thread, 1e-9)))) events per "
               + "CPU-second), store writer and checkpoint threads "
               + "\(Formatting.decimal(max(cpu.process - cpu.thread, 0), places: 2)) s")
    }

    /// What one timed ingest of a file took.
    struct FileIngestTiming {
        var seconds = 0.0
        var logCopySeconds = 0.0
        var cpu = CPUTimes()
        var bytes = 0
    }

    /// Writes `events` events from `makeChunk` to a file beside the store
    /// (not timed), then ingests it as `perimeter ingest FILE` does: reading
    /// goes on while batches commit, from the first event to the last. The
    /// time runs until the log the ingest leaves is copied into the store
    /// file, which closing the store would otherwise do.
    static func ingestThroughFile(events: Int, pipeline: IngestPipeline, store: InventoryStore,
                                  makeChunk: (Int) -> [[UInt8]]) throws -> FileIngestTiming {
        var timing = FileIngestTiming()
        let eventsPath = "\(store.path).events.ndjson"
        defer { try? FileManager.default.removeItem(atPath: eventsPath) }
        guard let file = fopen(eventsPath, "w") else {
            throw OutputError(message: "cannot write the benchmark's events to '\(eventsPath)'")
        }
        var remaining = events
        while remaining > 0 {
            let chunk = makeChunk(min(remaining, 100_000))
            remaining -= chunk.count
            for line in chunk {
                timing.bytes += line.count + 1
                _ = line.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
                fputc(0x0A, file)
            }
        }
        guard fclose(file) == 0 else {
            throw OutputError(message: "cannot write the benchmark's events to '\(eventsPath)'")
        }
        var clock = Stopwatch()
        let start = CPUTimes.now()
        try pipeline.ingest(path: eventsPath)
        timing.seconds = clock.lap()
        timing.cpu = CPUTimes.now() - start
        let copyStart = CPUTimes.now()
        try store.copyLogIntoFile()
        timing.logCopySeconds = clock.lap()
        timing.seconds += timing.logCopySeconds
        // Checkpoint work, though on this thread: counted with the writer's.
        timing.cpu.process += (CPUTimes.now() - copyStart).process
        return timing
    }

    private static func measureCorpus(directory: String, events: Int, storeDirectory: String,
                                      configuration: PerimeterConfiguration,
                                      options: IngestOptions) throws {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".ndjson") }.sorted()
        guard !files.isEmpty else {
            report("\n== corpus: none at \(directory) (give --corpus DIR); skipped")
            return
        }
        var lines: [[UInt8]] = []
        for file in files {
            let text = (try? String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where !line.isEmpty { lines.append(Array(line.utf8)) }
        }
        report("\n== corpus: \(Formatting.count(lines.count)) events from \(files.count) files, "
               + (events >= lines.count ? "replicated to" : "the first")
               + " \(Formatting.count(events))")
        let path = "\(storeDirectory)/perimeter-bench-corpus-\(getpid()).db"
        defer { removeStore(path) }
        removeStore(path)
        let store = try InventoryStore(path: path)
        let full = try IngestPipeline(store: store, configuration: configuration, options: options,
                                      output: DiscardingSink())
        var offset = 0
        func chunk(_ count: Int) -> [[UInt8]] {
            (0..<count).map { _ in
                defer { offset = (offset + 1) % lines.count }
                return lines[offset]
            }
        }
        try measure("corpus: full ingest with discovery writes", events: events, pipeline: full,
                    makeChunk: chunk)
        let enrichOnly = try IngestPipeline(store: nil, inventory: full.inventory, rules: [],
                                            configuration: configuration, options: options,
                                            output: DiscardingSink())
        offset = 0
        try measure("corpus: read+extract+enrich+write (inventory discovered from it)", events: events,
                    pipeline: enrichOnly, makeChunk: chunk)
    }

    /// The cost of each stage on its own, cumulatively, so a slow stage
    /// shows: parse+extract, then discovery-free observe and match, then
    /// enrichment and writing.
    private static func measureStages(workload: inout BenchmarkWorkload, inventory: Inventory,
                                      configuration: PerimeterConfiguration, events: Int) throws {
        let lines = workload.makeEvents(events)
        let reader = try EventReader(configuration: configuration)
        let scope = ScopeKey(community: "bench")
        let arrival = EventTime(milliseconds: 1_900_000_000_000)
        var output: [UInt8] = []
        output.reserveCapacity(1 << 20)
        report("\n== stages, cumulative (\(Formatting.count(events)) events)")
        for stage in 1...3 {
            var clock = Stopwatch()
            for line in lines {
                try line.withUnsafeBytes { bytes in
                    let event = try reader.read(bytes, scope: scope, source: "bench", arrival: arrival)
                    guard stage >= 2 else { return }
                    let (_, match) = inventory.observeAndMatch(
                        event.observation, rules: [], now: arrival, stream: "stages",
                        advancesWatermark: true)
                    guard stage >= 3 else { return }
                    let enrichment = AssetEnrichment(cards: inventory.enrichmentCards(match.assets),
                                                     bounds: configuration.criticalityBounds,
                                                     isAmbiguous: match.isAmbiguous)
                    EnrichedEventWriter.write(line: bytes, parsed: event.parsed,
                                              hasMembers: !enrichment.isEmpty, into: &output) {
                        enrichment.appendSekoiaioMembers(view: .detection, to: &$0)
                    }
                    output.removeAll(keepingCapacity: true)
                }
            }
            let seconds = clock.lap()
            inventory.discardChanges()
            let name = ["parse + atoms + observation", "+ observe and match", "+ enrich and write"][stage - 1]
            report("   \(name.padding(toLength: 30, withPad: " ", startingAt: 0)) "
                   + "\(Formatting.decimal(seconds / Double(events) * 1e6, places: 2)) µs/event, "
                   + "\(Formatting.count(Int(Double(events) / seconds))) events/s")
        }
    }

    private static func removeStore(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Resident memory now (it falls when an inventory is released, where
    /// the peak does not).
    static func residentMemory() -> String {
        let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?
            .split(separator: " ") ?? []
        guard fields.count > 1, let pages = Double(fields[1]) else { return "unknown" }
        let bytes = pages * Double(sysconf(Int32(_SC_PAGESIZE)))
        return "\(Formatting.decimal(bytes / 1_073_741_824, places: 2)) GB"
    }

    /// Peak resident memory since the process started or since
    /// `resetPeakMemory`.
    static func peakMemory() -> String {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return "\(Formatting.decimal(Double(usage.ru_maxrss) / 1_048_576, places: 2)) GB"
    }

    /// Starts the high-water mark of `peakMemory` again from the memory
    /// resident now (Linux's /proc/self/clear_refs); false when refused.
    static func resetPeakMemory() -> Bool {
        let descriptor = open("/proc/self/clear_refs", O_WRONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return write(descriptor, "5", 1) == 1
    }

    private static func report(_ text: String) {
        print(text)
        fflush(nil)
    }
}

/// Takes enriched events and drops them: the benchmark measures the
/// writing of each enriched line, not a disk.
final class DiscardingSink: EnrichedEventSink {
    private(set) var bytes = 0
    func write(_ line: [UInt8]) throws { bytes += line.count }
    func flush() throws {}
}

/// CPU seconds of the whole process and of the calling thread: on a busy
/// machine the wall-clock rate falls while the CPU time per event does not,
/// and the difference of the two is what the store's writer and checkpoint
/// threads used.
struct CPUTimes {
    var process = 0.0
    var thread = 0.0

    static func now() -> CPUTimes {
        func seconds(_ clock: clockid_t) -> Double {
            var time = timespec()
            clock_gettime(clock, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        return CPUTimes(process: seconds(CLOCK_PROCESS_CPUTIME_ID),
                        thread: seconds(CLOCK_THREAD_CPUTIME_ID))
    }

    static func - (a: CPUTimes, b: CPUTimes) -> CPUTimes {
        CPUTimes(process: a.process - b.process, thread: a.thread - b.thread)
    }

    static func += (a: inout CPUTimes, b: CPUTimes) {
        a.process += b.process
        a.thread += b.thread
    }
}

/// Wall-clock laps, in seconds.
struct Stopwatch {
    private var start = DispatchTime.now().uptimeNanoseconds

    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { start = now }
        return Double(now - start) / 1e9
    }
}
