import Dispatch

/// Runs each batch's store transaction on a thread of its own while the
/// pipeline goes on with the next batch, so that SQLite's writes and the
/// in-memory work of discovery and enrichment share the machine's two
/// cores instead of taking turns.
///
/// At most one batch is in flight: `submit` first waits for the previous
/// one, so batches commit in order and the store (with whatever the work
/// touches) belongs to one thread at a time, handed over by the
/// semaphore. A failed batch stops the writer: its error is thrown by the
/// next `submit` or `waitUntilIdle`, and no later batch is written.
final class BatchWriter {
    private let queue = DispatchQueue(label: "perimeter.batch-writer")
    private let idle = DispatchSemaphore(value: 1)
    /// Written by the writer thread, read after `idle.wait()`.
    private var failure: (any Error)?

    /// Waits for the batch in flight, then starts `work` in the background.
    func submit(_ work: @escaping () throws -> Void) throws {
        idle.wait()
        if let failure {
            idle.signal()
            throw failure
        }
        let handOver = UncheckedTransfer(writer: self, work: work)
        queue.async {
            do { try handOver.work() } catch { handOver.writer.failure = error }
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

/// Carries a batch's work to the writer thread. The compiler cannot see
/// that the semaphore of `BatchWriter` gives the work to one thread at a
/// time; this says so in the one place it is true. (A generic box holding
/// a tuple of the two crashed at run time with Swift 6.3: keep it plain.)
private struct UncheckedTransfer: @unchecked Sendable {
    let writer: BatchWriter
    let work: () throws -> Void
}
