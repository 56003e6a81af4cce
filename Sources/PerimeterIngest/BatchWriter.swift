import Dispatch
import Synchronization

/// Runs each batch's store transaction on a thread of its own while the
/// pipeline goes on with the next batch, so that SQLite's writes and the
/// in-memory work of discovery and enrichment share the machine's two
/// cores instead of taking turns.
///
/// At most one batch is in flight: `submit` first waits for the previous
/// one, so batches commit in order and the store (with whatever the work
/// touches) belongs to one thread at a time, handed over by the
/// semaphore. A failed batch stops the writer: its error is thrown by the
/// next `submit` or `waitUntilIdle`, and no later batch is written; but a
/// batch submitted with `stopsAtFailure` false fails through its
/// completion, and every batch after it fails so too, unwritten
/// (`EarlierBatchFailed`): it was made in memory after the failed one,
/// from an inventory that holds what the failed one did not store (its
/// attachments named the assets the failed batch made, rows of no asset).
/// The caller reads its inventory again and makes a new writer.
final class BatchWriter {
    private let queue = DispatchQueue(label: "perimeter.batch-writer")
    private let idle = DispatchSemaphore(value: 1)
    /// Written by the writer thread, read after `idle.wait()`.
    private var failure: (any Error)?
    /// A batch failed: the later ones fail unwritten. Set on the writer
    /// thread; read there, and by the caller without waiting for the batch
    /// in flight (`hasFailedBatch`).
    private let failedEarlier = Atomic<Bool>(false)

    /// Whether a batch has failed so far (the one in flight may yet).
    var hasFailedBatch: Bool { failedEarlier.load(ordering: .acquiring) }

    /// Waits for the batch in flight, then starts `work` in the background.
    /// `completion` runs on the writer thread once `work` has ended, with
    /// its error or nil, before the next batch may start.
    func submit(_ work: @escaping () throws -> Void, stopsAtFailure: Bool = true,
                completion: @escaping ((any Error)?) -> Void = { _ in }) throws {
        idle.wait()
        if let failure {
            idle.signal()
            throw failure
        }
        let handOver = UncheckedTransfer(writer: self, work: work, stopsAtFailure: stopsAtFailure,
                                         completion: completion)
        queue.async {
            var failure: (any Error)?
            if handOver.writer.hasFailedBatch {
                failure = EarlierBatchFailed()
            } else {
                do { try handOver.work() } catch { failure = error }
            }
            if failure != nil { handOver.writer.failedEarlier.store(true, ordering: .releasing) }
            if handOver.stopsAtFailure { handOver.writer.failure = failure }
            handOver.completion(failure)
            handOver.writer.idle.signal()
        }
    }

    /// Waits until no batch is in flight; throws the error of a failed one.
    func waitUntilIdle() throws {
        idle.wait()
        defer { idle.signal() }
        if let failure { throw failure }
    }
}

/// A batch not written because one before it failed (see `BatchWriter`).
public struct EarlierBatchFailed: Error, Sendable, CustomStringConvertible {
    public var description: String {
        "not written: an earlier batch failed, and this one was made from what it left in memory"
    }
}

/// Carries a batch's work to the writer thread. The compiler cannot see
/// that the semaphore of `BatchWriter` gives the work to one thread at a
/// time; this says so in the one place it is true. (A generic box holding
/// a tuple of the two crashed at run time with Swift 6.3: keep it plain.)
private struct UncheckedTransfer: @unchecked Sendable {
    let writer: BatchWriter
    let work: () throws -> Void
    let stopsAtFailure: Bool
    let completion: ((any Error)?) -> Void
}

/// One batch on its way into the store: `value()` suspends, without
/// holding a thread, until the writer thread has committed it, and
/// returns what the batch's `afterCommit` read there, or throws the
/// batch's error.
public final class BatchCommit<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, any Error>?
        var waiters: [CheckedContinuation<Value, any Error>] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Called once, on the writer thread.
    func resolve(_ result: Result<Value, any Error>) {
        let waiters = state.withLock { state in
            state.result = result
            let waiting = state.waiters
            state.waiters = []
            return waiting
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    public func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let result = state.withLock { state -> Result<Value, any Error>? in
                if let result = state.result { return result }
                state.waiters.append(continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }
}
