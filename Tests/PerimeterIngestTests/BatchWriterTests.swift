import Synchronization
import Testing
@testable import PerimeterIngest

/// The writer thread's contract: batches run one at a time and in order,
/// and a failed batch stops the writer, its error reaching the caller.
@Suite struct BatchWriterTests {
    struct DiskFull: Error {}

    @Test func batchesRunInOrderOneAtATime() throws {
        let writer = BatchWriter()
        let log = Mutex<[Int]>([])
        let running = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)
        for batch in 0..<50 {
            try writer.submit {
                if running.add(1, ordering: .sequentiallyConsistent).newValue > 1 {
                    overlapped.store(true, ordering: .sequentiallyConsistent)
                }
                log.withLock { $0.append(batch) }
                running.subtract(1, ordering: .sequentiallyConsistent)
            }
        }
        try writer.waitUntilIdle()
        #expect(log.withLock { $0 } == Array(0..<50))
        let didOverlap = overlapped.load(ordering: .sequentiallyConsistent)
        #expect(!didOverlap)
    }

    @Test func aFailedBatchStopsTheWriterAndItsErrorIsThrown() throws {
        let writer = BatchWriter()
        let ran = Mutex<[Int]>([])
        try writer.submit { ran.withLock { $0.append(1) } }
        try writer.submit {
            ran.withLock { $0.append(2) }
            throw DiskFull()
        }
        #expect(throws: DiskFull.self) {
            try writer.submit { ran.withLock { $0.append(3) } }
        }
        #expect(throws: DiskFull.self) { try writer.waitUntilIdle() }
        #expect(ran.withLock { $0 } == [1, 2])
    }

    /// A batch that fails without stopping the writer fails its own
    /// completion, and every batch after it fails unwritten: they were
    /// made from what the failed one left in memory.
    @Test func batchesAfterOneThatFailedAreNotWritten() throws {
        let writer = BatchWriter()
        let ran = Mutex<[Int]>([])
        let failures = Mutex<[String]>([])
        func record(_ failure: (any Error)?) {
            failures.withLock { $0.append(failure.map { "\(type(of: $0))" } ?? "ok") }
        }
        try writer.submit({ ran.withLock { $0.append(1) } }, stopsAtFailure: false,
                          completion: record)
        try writer.submit({
            ran.withLock { $0.append(2) }
            throw DiskFull()
        }, stopsAtFailure: false, completion: record)
        try writer.submit({ ran.withLock { $0.append(3) } }, stopsAtFailure: false,
                          completion: record)
        try writer.waitUntilIdle()
        #expect(ran.withLock { $0 } == [1, 2])
        #expect(failures.withLock { $0 } == ["ok", "DiskFull", "EarlierBatchFailed"])
        #expect(writer.hasFailedBatch)
    }
}
