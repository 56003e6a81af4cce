import Foundation
import Synchronization
import PerimeterEnrichment
import PerimeterEvents
import PerimeterInput
import PerimeterInventory
import PerimeterJSON
import PerimeterModel
import PerimeterStore

/// Where enriched events go.
public protocol EnrichedEventSink: AnyObject {
    /// Takes one enriched event line, without its newline.
    func write(_ line: [UInt8]) throws
    /// Makes everything written so far durable (before a store commit).
    func flush() throws
}

/// How one ingest runs.
public struct IngestOptions: Sendable {
    public var scope = ScopeKey(community: Scope.defaultCommunity)
    /// Rules switched off for this run only (`--no-rule`).
    public var disabledRules: Set<DiscoveryRule> = []
    public var view = EnrichmentView.detection
    /// Where malformed lines are copied, as they were.
    public var rejectsPath: String?
    /// The clock: fixed by `--now` for deterministic runs, else real time.
    public var now: EventTime?
    /// Resume files where the last committed batch ended.
    public var resumes = true

    public init() {}
}

/// A problem with one input line, reported and counted; the stream goes on.
public struct LineProblem: Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var message: String
    /// The parser's stable code (`json_malformed`…), for answers that must
    /// not quote the line.
    public var code: String? = nil
    /// Zero-based offset in the line of the first wrong byte, when known.
    public var byteOffset: Int? = nil

    /// `source:line: message`; a problem of no line (the rejects file
    /// cannot be written) is `source: message`.
    public var description: String {
        line > 0 ? "\(source):\(line): \(message)" : "\(source): \(message)"
    }
}

/// The system's reason a file write failed, in its words (`No space left
/// on device`): Foundation's own text is "Error Domain=NSCocoaErrorDomain…".
public func writeFailureReason(_ error: any Error) -> String {
    let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
    return underlying.flatMap {
        $0.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32($0.code))) : nil
    } ?? error.localizedDescription
}

/// Runs events through the whole pipeline: read → atoms → discovery →
/// enrichment → output, committing the inventory in batches together
/// with each input's progress (SPEC §9, issue "Embedded store").
public final class IngestPipeline {
    public let store: InventoryStore?
    public let configuration: PerimeterConfiguration
    public let options: IngestOptions
    public let inventory: Inventory
    public private(set) var summary = IngestSummary()
    private var committedSummary = IngestSummary()
    private let reader: EventReader
    private let rules: Set<DiscoveryRule>
    private var rejects: FileHandle?
    /// Set when a malformed line could not be copied to `rejects`.
    private var rejectsFailure: RejectsWriteError?
    /// Set when a line could not be parsed for want of memory: it is no
    /// malformed line, and the batch holding it must not commit.
    private var resourceFailure: IngestResourceError?
    private var output: EnrichedEventSink?
    private var outputBuffer: [UInt8] = []
    /// True while an in-memory body asks for its enriched events back.
    private var collectsEnriched = false
    private var uncommitted = 0
    /// Asked from another thread (a signal's handler) to stop reading:
    /// the lines read so far are committed, then `IngestStopped` is thrown.
    public let stopRequest = StopRequest()
    private let started = Date()
    /// Called for each line problem (the command line prints them).
    public var onProblem: (LineProblem) -> Void = { _ in }
    /// Called for a line that is read but not as its source meant, most
    /// likely (a `@timestamp` that is no time, or seconds where
    /// milliseconds go): the event goes on.
    public var onNotice: (LineProblem) -> Void = { _ in }
    /// Called now and then with the running summary (a progress line).
    public var onProgress: ((IngestSummary) -> Void)?
    /// Called for each enriched event (detection hooks in here).
    public var onEvent: ((ReadEvent, AssetEnrichment) -> Void)?
    /// Like `onEvent`, with the event's raw line (valid during the call
    /// only): detection keeps the enriched text of the events that match.
    public var onEventLine: ((ReadEvent, AssetEnrichment, UnsafeRawBufferPointer) -> Void)?
    /// Called on the pipeline's thread as each batch ends; the work it
    /// returns runs inside that batch's store transaction, after the
    /// inventory changes, on the writer thread (detection writes its alerts
    /// there). The work must not touch what the pipeline's thread goes on
    /// using: whatever it needs of that is taken here, when the batch ends.
    public var onBatchCommit: (() -> (InventoryStore) throws -> Void)?
    /// Called on the writer thread as each batch's transaction ends, with
    /// whether it committed: the work `onBatchCommit` returned may have
    /// changed state of its own before a rollback (detection puts its open
    /// alerts back).
    public var onBatchEnded: ((_ committed: Bool) -> Void)?
    /// Commits in the background while the next batch is processed.
    private let writer = BatchWriter()

    public convenience init(store: InventoryStore, configuration: PerimeterConfiguration,
                            options: IngestOptions, output: EnrichedEventSink? = nil,
                            extraFields: [String] = [], collectsAllLeaves: Bool = false) throws {
        try self.init(store: store, inventory: store.loadInventory(settings: configuration.inventory),
                      rules: store.enabledRules(community: options.scope.community),
                      configuration: configuration, options: options, output: output,
                      extraFields: extraFields, collectsAllLeaves: collectsAllLeaves)
    }

    /// A pipeline over an inventory already in memory. Without a store
    /// nothing is persisted: the changes of each batch are dropped (the
    /// benchmark's enrichment-only runs, dry runs).
    public init(store: InventoryStore?, inventory: Inventory, rules: Set<DiscoveryRule>,
                configuration: PerimeterConfiguration, options: IngestOptions,
                output: EnrichedEventSink? = nil, extraFields: [String] = [],
                collectsAllLeaves: Bool = false) throws {
        self.store = store
        self.configuration = configuration
        self.options = options
        self.output = output
        self.inventory = inventory
        try store?.prepareForIngest(
            checkpointMegabytes: configuration.checkpointMegabytes(forServerIntake: false))
        reader = try EventReader(configuration: configuration, extraFields: extraFields,
                                 collectsAllLeaves: collectsAllLeaves)
        self.rules = rules.subtracting(options.disabledRules)
        if let path = options.rejectsPath {
            rejects = try Self.openPrivateFile(path)
        }
    }

    /// The fields the reader extracts; `extraFields` are among them.
    public var selection: FieldSelection { reader.selection }

    private var now: EventTime { options.now ?? EventTime(Date()) }

    // MARK: - Inputs

    /// Ingests a file (plain or gzip), resuming where a previous run's last
    /// committed batch ended when it is the same file. A pipe or a device
    /// is read once, as standard input is: it cannot resume.
    public func ingest(path: String) throws {
        guard let found = try LineReader.regularFile(atPath: path) else {
            return try ingest(LineReader(path: path), source: path,
                              stream: "pipe:\(path)@\(options.scope)")
        }
        // Where a file was read to is kept per community and entity: the
        // same file ingested for another one is another input, whose
        // events one scope's progress must not skip. (The default scope
        // keeps the key it always had, so stores resume as before.)
        var source = "\(found.identity.device):\(found.identity.inode)"
        if options.scope != ScopeKey(community: Scope.defaultCommunity) {
            source += "@\(options.scope)"
        }
        let head = FileHead(of: found.head)
        var start: IngestProgress?
        // The same file: not shrunk since, and starting as it did (a new
        // file on a deleted one's inode, or a truncated one written again,
        // starts over). Offsets count uncompressed bytes, so a gzip file
        // is compared by its compressed size only.
        if options.resumes, let previous = try store?.progress(forSource: source),
           previous.byteOffset > 0 {
            if previous.size <= found.identity.size, previous.head.length <= found.head.count,
               FileHead(of: found.head.prefix(previous.head.length)) == previous.head,
               Self.endsALine(previous, path: path, head: found.head) {
                start = previous
            } else {
                // Said: a file read again from its start counts again what
                // its first lines hold, if they are the same events.
                onNotice(LineProblem(source: path, line: 0, message: "changed since the run "
                    + "that read it to line \(previous.line) (shorter, starting otherwise, or no "
                    + "line ending where that run stopped): read from its start"))
            }
        }
        let reader = try LineReader(path: path, startingAtOffset: start?.byteOffset ?? 0,
                                    startingLineNumber: start.map { $0.line + 1 })
        reader.stopsSkipping = { [stopRequest] in stopRequest.isRequested }
        let identity = reader.fileIdentity
        if let start, start.byteOffset > 0 {
            summary.resumedSources += 1
            summary.skippedLines += start.line
        }
        var last = start ?? IngestProgress(source: source, path: path, size: identity?.size ?? 0,
                                           byteOffset: 0, line: 0)
        last.head = head
        // A read error mid-file (a truncated gzip member), or a stop asked,
        // keeps what was read before it: that much is committed, then the
        // error reported.
        let stream = "file:\(source)"
        if start == nil { inventory.restart(stream: stream) }
        do {
            try reader.forEachLine(onOversizedLine: { [self] error in
                countOversizedLine(error, source: path)
            }) { line, number, end in
                if stopRequest.isRequested { throw IngestStopped() }
                let malformedBefore = summary.malformed
                process(line, source: path, lineNumber: number, stream: stream,
                        mayBeUnfinished: reader.isReadingUnterminatedLine)
                summary.bytes += UInt64(line.count + 1)
                // A malformed last line that no newline ends is most likely
                // one a writer is still appending to: it is reported, but
                // the progress stays at its start, so that the next run
                // reads it again, whole by then, instead of past it.
                if reader.isReadingUnterminatedLine, summary.malformed > malformedBefore {
                    summary.unterminatedLastLines += 1
                    return
                }
                last.byteOffset = end
                last.line = number
                if uncommitted >= configuration.batchSize { try commit(progress: last) }
            }
        } catch where error is InputError || error is IngestStopped {
            try commitAndWait(progress: last)
            throw error
        }
        last.size = identity?.size ?? last.size
        try commitAndWait(progress: last)
    }

    /// Whether a plain file still has a line end where `previous` stopped
    /// (the byte before its offset), as the file it read had: rewritten in
    /// place with the same first lines (the head matches), the resumed run
    /// started mid-line, reported a fragment as malformed and went on in
    /// other content. A run that took a last line no newline ended stopped
    /// at the end of the file it read, which later lines may continue: that
    /// one is let be. A gzip file's offsets are of its decompressed bytes,
    /// not checked here.
    private static func endsALine(_ previous: IngestProgress, path: String,
                                  head: [UInt8]) -> Bool {
        if head.starts(with: [0x1f, 0x8b]) || previous.byteOffset >= previous.size { return true }
        return LineReader.byte(atOffset: previous.byteOffset - 1, ofFile: path) == 0x0A
    }

    /// Ingests standard input. It cannot resume: what a killed run had
    /// committed stays, and a re-run would read the stream again.
    public func ingestStandardInput() throws {
        try ingest(LineReader.standardInput(), source: "stdin", stream: "stdin@\(options.scope)")
    }

    /// Reads a stream that cannot resume (standard input, a pipe). Each run
    /// reads it from its start, so its lateness window starts over, as a
    /// file's read from its start does; and it is the scope's own. (One key
    /// for every run and community made one community's events late for
    /// another's, across runs.)
    private func ingest(_ reader: LineReader, source: String, stream: String) throws {
        inventory.restart(stream: stream)
        reader.stopsWaiting = { [stopRequest] in stopRequest.isRequested }
        reader.stopsSkipping = { [stopRequest] in stopRequest.isRequested }
        do {
            // Counted and reported as from a file: on standard input a line
            // past the limit vanished without a word.
            try reader.forEachLine(onOversizedLine: { [self] error in
                countOversizedLine(error, source: source)
            }) { line, number, _ in
                if stopRequest.isRequested { throw IngestStopped() }
                process(line, source: source, lineNumber: number, stream: stream)
                summary.bytes += UInt64(line.count + 1)
                if uncommitted >= configuration.batchSize { try commit(progress: nil) }
            }
        } catch let stopped as IngestStopped {
            try commitAndWait(progress: nil)
            throw stopped
        }
        try commitAndWait(progress: nil)
    }

    private func countOversizedLine(_ error: InputError, source: String) {
        summary.oversizedLines += 1
        onProblem(LineProblem(source: source, line: error.lineNumber ?? 0, message: error.message))
    }

    /// Ingests lines given in memory (the HTTP intake and tests), with
    /// references `name:N`.
    public func ingest(lines: [[UInt8]], name: String) throws {
        let stream = "intake:\(name)"
        for (offset, line) in lines.enumerated() {
            line.withUnsafeBytes { bytes in
                process(bytes, source: name, lineNumber: offset + 1, stream: stream)
            }
            if uncommitted >= configuration.batchSize { try commit(progress: nil) }
        }
        try commitAndWait(progress: nil)
    }

    /// Ingests lines of one in-memory body (an HTTP intake request) in
    /// `stream`, with references `name:N`: `lines` are byte ranges of
    /// `body` with their numbers, committed as one batch. Returns
    /// the enriched events, a line each, when `returnsEnriched` (for a
    /// pipeline made without an output).
    ///
    /// It returns as soon as the batch is handed to the writer thread, so
    /// that the caller can read the next body while this one commits (the
    /// server's two cores then share reading and writing instead of taking
    /// turns). The batch is durable once `commit`'s value arrives;
    /// `afterCommit` runs on the writer thread right after the
    /// transaction, and its result is that value (detection reads its
    /// alert counts there). The store belongs to the writer thread until
    /// then: anything else that uses it calls `waitUntilCommitted()` first.
    /// A failed batch fails its `commit`, and the batches after it fail
    /// theirs unwritten (`EarlierBatchFailed`): they were read against an
    /// inventory that holds what the failed one did not store. The caller
    /// reads the inventory again into a new pipeline once the batches in
    /// flight have ended (the server's
    /// `InventoryService.reloadInventory(afterFailureIn:)`).
    public func ingestCommittingInBackground<Value: Sendable>(
        body: UnsafeRawBufferPointer, lines: some Collection<NumberedLine>, name: String,
        stream: String, returnsEnriched: Bool = false, progress: IngestProgress? = nil,
        afterCommit: @escaping () -> Value
    ) throws -> (enriched: [UInt8], commit: BatchCommit<Value>) {
        precondition(output == nil || !returnsEnriched,
                     "a pipeline with an output cannot also hand its enriched events back")
        collectsEnriched = returnsEnriched
        defer { collectsEnriched = false }
        for line in lines {
            process(UnsafeRawBufferPointer(rebasing: body[line.bytes]), source: name,
                    lineNumber: line.number, stream: stream)
            summary.bytes += UInt64(line.bytes.count + 1)
        }
        var enriched: [UInt8] = []
        if returnsEnriched { swap(&enriched, &outputBuffer) }
        let batch = BatchCommit<Value>()
        try commit(progress: progress, stopsAtFailure: false) { failure in
            batch.resolve(failure.map { .failure($0) } ?? .success(afterCommit()))
        }
        return (enriched, batch)
    }

    /// Whether a batch of this pipeline has failed so far: what it did is
    /// in the inventory and not in the store, and every later batch fails
    /// unwritten (`EarlierBatchFailed`) until the caller reads the
    /// inventory again into a new pipeline. The batch in flight may fail yet.
    public var hasFailedBatch: Bool { writer.hasFailedBatch }

    /// Waits until the batch in flight, if any, has ended; throws the error
    /// of a batch that stopped the writer.
    public func waitUntilCommitted() throws {
        try writer.waitUntilIdle()
    }

    // MARK: - One event

    /// Reads, observes, matches and enriches one event, named
    /// `source:lineNumber`. A line that `mayBeUnfinished` (a file's last,
    /// which no newline ends) is not copied to the rejects file when it is
    /// malformed: the next run reads it again, whole by then.
    private func process(_ line: UnsafeRawBufferPointer, source: String, lineNumber: Int,
                         stream: String, mayBeUnfinished: Bool = false) {
        if LineReader.isBlank(line) { return }
        summary.eventsRead += 1
        uncommitted += 1
        let event: ReadEvent
        do {
            event = try reader.read(line, scope: options.scope, source: source, line: lineNumber,
                                    arrival: now)
        } catch {
            if error.code == .outOfMemory {
                // Counted as malformed, the line's batch committed and its
                // progress passed it: a valid event lost for good. The run
                // stops before that batch, and a re-run reads the line again.
                if resourceFailure == nil {
                    resourceFailure = IngestResourceError(
                        message: "\(source): line \(lineNumber): \(error.message) (the process "
                            + "could not get the memory to parse it: raise its memory limit, or "
                            + "free memory, and run again; the store keeps the batches committed "
                            + "before, and the re-run resumes at them)")
                }
                return
            }
            summary.malformed += 1
            // A last line with no newline is most likely still being
            // written: the warning says it is not lost (see `ingest(path:)`).
            let message = mayBeUnfinished
                ? error.message + " (the last line, with no newline yet: read again next run)"
                : error.message
            onProblem(LineProblem(source: source, line: lineNumber, message: message,
                                  code: error.code.rawValue, byteOffset: error.byteOffset))
            if let rejects, !mayBeUnfinished, rejectsFailure == nil {
                do {
                    try rejects.write(contentsOf: Data(line) + [0x0A])
                } catch {
                    // The batch holding this line must not commit: its
                    // progress would pass a line the rejects file lacks.
                    // The run stops at the next commit, as a failing
                    // output stops it.
                    rejectsFailure = RejectsWriteError(
                        message: "cannot write malformed lines to the rejects file '"
                            + (options.rejectsPath ?? "rejects") + "': "
                            + writeFailureReason(error) + " (the store keeps the batches "
                            + "committed before; a re-run resumes after them)")
                }
            }
            return
        }
        if !event.hasEventTime { summary.withoutTimestamp += 1 }
        if let notice = event.timestampNotice {
            onNotice(LineProblem(source: source, line: lineNumber, message: notice))
        }
        summary.droppedDottedHostnames += event.droppedDottedHostnames
        summary.atomsSeen += event.observation.atoms.count

        let (outcome, match) = inventory.observeAndMatch(
            event.observation, rules: rules, now: now, stream: stream,
            advancesWatermark: event.hasEventTime)
        switch outcome.timing {
        case .accepted: break
        case .late:
            summary.late += 1
            if summary.firstLate == nil { summary.firstLate = "\(source):\(lineNumber)" }
        case .future:
            summary.future += 1
            if summary.firstFuture == nil { summary.firstFuture = "\(source):\(lineNumber)" }
        }
        for (_, rule) in outcome.created { summary.created[rule, default: 0] += 1 }
        for key in outcome.conflictedAtoms { summary.atomsInConflict.insert(key) }

        let enrichment = AssetEnrichment(cards: inventory.enrichmentCards(match.assets),
                                         bounds: configuration.criticalityBounds,
                                         isAmbiguous: match.isAmbiguous)
        if !enrichment.isEmpty { summary.enriched += 1 }
        if enrichment.isAmbiguous { summary.ambiguous += 1 }
        onEvent?(event, enrichment)
        onEventLine?(event, enrichment, line)
        if output != nil || collectsEnriched {
            EnrichedEventWriter.write(line: line, parsed: event.parsed,
                                      hasMembers: !enrichment.isEmpty, into: &outputBuffer) {
                enrichment.appendSekoiaioMembers(view: options.view, to: &$0)
            }
            outputBuffer.append(0x0A)
            if outputBuffer.count >= 1 << 20 { try? flushOutput() }
        }
        if let onProgress, summary.eventsRead % 10_000 == 0 { onProgress(summaryNow) }
    }

    // MARK: - Committing

    private func flushOutput() throws {
        guard let output, !outputBuffer.isEmpty else { return }
        try output.write(outputBuffer)
        outputBuffer.removeAll(keepingCapacity: true)
    }

    /// Writes the batch: output first (so a crash repeats output rather
    /// than loses it), then the inventory, progress and counters in one
    /// transaction, on the writer thread. A crash may thus repeat up to two
    /// batches of output: the one committing and the one being read.
    private func commit(progress: IngestProgress?, stopsAtFailure: Bool = true,
                        completion: @escaping ((any Error)?) -> Void = { _ in }) throws {
        try flushOutput()
        try output?.flush()
        if let rejectsFailure { throw rejectsFailure }
        if let resourceFailure { throw resourceFailure }
        try rejects?.synchronize()
        guard let store else {
            inventory.discardChanges()
            committedSummary = summary
            uncommitted = 0
            completion(nil)
            return
        }
        let changes = inventory.drainChanges()
        let counters = summary - committedSummary
        let community = options.scope.community
        let alongside = onBatchCommit?()
        let ended = onBatchEnded
        try writer.submit({
            try store.persist(changes, progress: progress, counters: counters,
                              community: community, alongside: alongside)
        }, stopsAtFailure: stopsAtFailure) { failure in
            ended?(failure == nil)
            completion(failure)
        }
        committedSummary = summary
        uncommitted = 0
    }

    /// Commits the last batch of an input and waits until the store has
    /// it: when an `ingest` call returns, everything it read is committed.
    private func commitAndWait(progress: IngestProgress?) throws {
        try commit(progress: progress)
        try writer.waitUntilIdle()
    }

    /// The summary with the elapsed time filled in.
    public var summaryNow: IngestSummary {
        var current = summary
        current.seconds = Date().timeIntervalSince(started)
        return current
    }

    static func openPrivateFile(_ path: String) throws -> FileHandle {
        var descriptor = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if descriptor < 0 && errno == EACCES {
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        }
        guard descriptor >= 0 else {
            throw StoreError(code: .invalid, message: "cannot open '\(path)' for writing: "
                             + String(cString: strerror(errno)))
        }
        // A file that ends mid-line (a run killed while copying a line)
        // gets its line ended, or the next line would be glued onto it.
        if LineReader.endsMidLine(descriptor) { _ = write(descriptor, [UInt8(0x0A)], 1) }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}

/// A line could not be read for want of a resource (memory): the run
/// stops before the batch that holds it.
public struct IngestResourceError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The rejects file could not take a malformed line.
public struct RejectsWriteError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A request to stop an ingest between two lines, safe to make from any
/// thread.
public final class StopRequest: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isRequested: Bool { flag.load(ordering: .relaxed) }

    public func request() { flag.store(true, ordering: .relaxed) }
}

/// An ingest stopped on request, after committing what it had read.
public struct IngestStopped: Error {}
