import Foundation
import PerimeterIngest
import PerimeterInput
import PerimeterInventory
import PerimeterStore

/// What one chunk of an intake request did.
struct IntakeOutcome: Sendable {
    struct Problem: Sendable {
        /// The line number in the request body, from 1.
        var line: Int
        /// The parser's stable code; no text of the line.
        var code: String
        var byteOffset: Int?
    }

    var received = 0
    var malformed = 0
    var enriched = 0
    var created = 0
    var late = 0
    var future = 0
    /// Events with no usable @timestamp, which took their arrival time
    /// (SPEC §2: counted as such).
    var withoutTimestamp = 0
    /// Dotted names dropped from hostname-only fields in strict mode
    /// (SPEC §2: counted, so that the loss is visible).
    var droppedDottedHostnames = 0
    /// Sigma rule matches, and the alerts they opened (joined ones aside).
    var matches = 0
    var alertsOpened = 0
    /// Matches an alert filter suppressed (SPEC §6: counted per filter,
    /// which `GET /v1/suppressions` gives).
    var suppressed = 0
    /// Regex tests that stopped at PCRE2's match limit and read as no
    /// match: a rule may have missed an event it should have matched.
    var regexLimitExceeded = 0
    var problems: [Problem] = []
    /// The enriched events, one per line, when asked for.
    var enrichedLines: [UInt8] = []

    mutating func add(_ other: IntakeOutcome) {
        received += other.received
        malformed += other.malformed
        enriched += other.enriched
        created += other.created
        late += other.late
        future += other.future
        withoutTimestamp += other.withoutTimestamp
        droppedDottedHostnames += other.droppedDottedHostnames
        matches += other.matches
        alertsOpened += other.alertsOpened
        suppressed += other.suppressed
        regexLimitExceeded += other.regexLimitExceeded
        problems += other.problems
        enrichedLines += other.enrichedLines
    }
}

/// One chunk of an intake request, read and on its way into the store.
struct IntakeChunk: Sendable {
    var outcome: IntakeOutcome
    /// Its value is the alerts the chunk opened, once committed.
    var batch: BatchCommit<Int>
    /// `InventoryService.inventoryGeneration` when the chunk was read.
    var generation: Int
    /// The number of its first line in the request, and how many it has
    /// (blank lines left out).
    var firstLine: Int
    var lineCount: Int
}

/// A request's next chunk, not read: a batch failed (or the inventory was
/// read again after one) since the request's previous chunk, and that
/// failure may be the request's own. The request settles the chunks it
/// sent before it goes on, so that it never stores lines after a chunk of
/// its own that was not stored (its answer says "from line N on").
struct IntakeChunkHeld: Error {}

/// The ingest pipeline of one scope, with its detection stage, kept for the
/// server's life: the reader, the rules and the open alerts are made once.
final class ScopeIntake {
    let pipeline: IngestPipeline
    let detection: DetectionStage?
    /// The line problems of the call in progress.
    var problems: [IntakeOutcome.Problem] = []

    init(pipeline: IngestPipeline, detection: DetectionStage?) {
        self.pipeline = pipeline
        self.detection = detection
        detection?.attach(to: pipeline)
        pipeline.onProblem = { [unowned self] problem in
            problems.append(.init(line: problem.line, code: problem.code ?? "unreadable",
                                  byteOffset: problem.byteOffset))
        }
    }
}

extension InventoryService {
    /// Runs lines of NDJSON through the ingest pipeline of one scope
    /// (discovery, enrichment, the server's Sigma rules) and hands what
    /// changed, alerts included, to the pipeline's writer thread. The
    /// HTTP handler cuts a large body into several calls, so edits and
    /// job chunks interleave with intake.
    ///
    /// The call returns before the batch is committed, so that the next
    /// request (or chunk) is read while this one is written: the caller
    /// awaits the returned batch, whose value is the alerts it opened,
    /// before it answers. Until then the store is the writer thread's;
    /// `store` waits for it (`settleIntake`).
    ///
    /// `lines` are byte ranges of `body` with their line numbers in the
    /// request.
    ///
    /// `previous`, the request's chunk before this one, holds this one
    /// back (`IntakeChunkHeld`) when a batch failed since it was read.
    ///
    /// `progress`, for a request sent with an `Idempotency-Key`, is
    /// committed with the chunk: a request sent again skips what it says.
    func ingest(_ body: [UInt8], lines: ArraySlice<NumberedLine>, scope: ScopeKey,
                returnEnriched: Bool, after previous: IntakeChunk? = nil,
                progress: IngestProgress? = nil) throws -> IntakeChunk {
        // One connection, one writer: another scope's batch commits first.
        settleIntake(except: scope)
        let aBatchFailed = intakes.values.contains { $0.pipeline.hasFailedBatch }
        if let previous, previous.generation != inventoryGeneration || aBatchFailed {
            throw IntakeChunkHeld()
        }
        // A failed batch left in the inventory what it did not store, and
        // every pipeline reads that inventory: this chunk is read against
        // the inventory read again, or its attachments could name assets
        // the store never got (rows of no asset, found after a failed chunk).
        if aBatchFailed { try reloadInventory(afterFailureIn: inventoryGeneration) }
        let intake = try intake(for: scope)
        let before = intake.pipeline.summary
        let detectionBefore = intake.detection?.evaluatedSummary
        intake.problems.removeAll(keepingCapacity: true)
        let enrichedLines: [UInt8]
        let batch: BatchCommit<Int>
        do {
            let detection = intake.detection
            (enrichedLines, batch) = try body.withUnsafeBytes { bytes in
                try intake.pipeline.ingestCommittingInBackground(
                    body: bytes, lines: lines, name: "http",
                    stream: "http:\(scope.community)/\(scope.entity ?? "")",
                    returnsEnriched: returnEnriched, progress: progress
                ) { detection?.takeAlertsOpened() ?? 0 }
            }
        } catch {
            // A pipeline that threw is not used again: the next request of
            // the scope gets a new one. (A batch that fails on the writer
            // thread fails its own request alone, through its commit.) What
            // it read went into the inventory every scope shares, and was
            // not stored (a line it had not the memory to parse stops its
            // batch): the inventory is read again, or the next scope's
            // commit would store it.
            intakes[scope] = nil
            try? reloadInventory(afterFailureIn: inventoryGeneration)
            throw error
        }
        let after = intake.pipeline.summary
        var outcome = IntakeOutcome()
        outcome.received = after.eventsRead - before.eventsRead
        outcome.malformed = after.malformed - before.malformed
        outcome.enriched = after.enriched - before.enriched
        outcome.created = after.created.values.reduce(0, +) - before.created.values.reduce(0, +)
        outcome.late = after.late - before.late
        outcome.future = after.future - before.future
        outcome.withoutTimestamp = after.withoutTimestamp - before.withoutTimestamp
        outcome.droppedDottedHostnames = after.droppedDottedHostnames
            - before.droppedDottedHostnames
        if let detectionBefore, let detectionAfter = intake.detection?.evaluatedSummary {
            outcome.matches = detectionAfter.matches - detectionBefore.matches
            outcome.suppressed = detectionAfter.suppressed - detectionBefore.suppressed
            outcome.regexLimitExceeded = detectionAfter.regexLimitExceeded
                - detectionBefore.regexLimitExceeded
        }
        outcome.problems = intake.problems
        outcome.enrichedLines = enrichedLines
        intakeTotals.received += outcome.received
        intakeTotals.malformed += outcome.malformed
        intakeTotals.enriched += outcome.enriched
        intakeTotals.created += outcome.created
        intakeTotals.regexLimitExceeded += outcome.regexLimitExceeded
        intakeTotals.droppedDottedHostnames += outcome.droppedDottedHostnames
        return IntakeChunk(outcome: outcome, batch: batch, generation: inventoryGeneration,
                           firstLine: lines.first?.number ?? 1, lineCount: lines.count)
    }

    /// Waits until no intake batch is committing (but `scope`'s, which its
    /// own pipeline orders): whatever else uses the store's connection
    /// comes after. A failed batch is its own request's error (the
    /// handler then has the inventory read again); here it only ends the
    /// wait.
    func settleIntake(except scope: ScopeKey? = nil) {
        for (key, intake) in intakes where key != scope {
            try? intake.pipeline.waitUntilCommitted()
        }
    }

    /// The pipeline of `scope`, made at its first request. Its detection
    /// stage stays when the pipeline is remade (a discovery rule switched),
    /// so open alerts and suppression counts carry on.
    private func intake(for scope: ScopeKey) throws -> ScopeIntake {
        if let index = intakeRecency.firstIndex(of: scope) { intakeRecency.remove(at: index) }
        intakeRecency.append(scope)
        while intakeRecency.count > Self.maximumIntakeScopes {
            let dropped = intakeRecency.removeFirst()
            try? intakes[dropped]?.pipeline.waitUntilCommitted()
            intakes[dropped] = nil
            detectionStages[dropped] = nil
        }
        if let intake = intakes[scope] { return intake }
        let detection = detectionStages[scope] ?? makeDetectionStage()
        detectionStages[scope] = detection
        var options = IngestOptions()
        options.scope = scope
        var configuration = configuration
        configuration.checkpointMegabytes = configuration.checkpointMegabytes(forServerIntake: true)
        let pipeline = try IngestPipeline(
            store: store, inventory: inventory, rules: rules(community: scope.community),
            configuration: configuration, options: options,
            extraFields: detection?.extraFields ?? [],
            collectsAllLeaves: detection?.collectsAllLeaves ?? false)
        let intake = ScopeIntake(pipeline: pipeline, detection: detection)
        intakes[scope] = intake
        return intake
    }
}
