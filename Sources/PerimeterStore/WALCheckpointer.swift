import Dispatch
import PerimeterSQLite
import Synchronization

/// Copies the write-ahead log into the database file on a thread of its
/// own during an ingest, so that the writer's commits do not wait for it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its
/// threshold and syncs the database file there; over a store of a million
/// assets that was a third of the writer's time. Here a commit that leaves
/// the log over `threshold` frames asks a second connection for a passive
/// checkpoint, which never blocks the writer.
///
/// The log starts again from its beginning only when a write transaction
/// begins after a checkpoint copied all of it. A busy writer begins its
/// next batch before the copy of the last one ends, so the log grows by a
/// batch each time until it passes `limit` frames; then the committing
/// thread waits for a copy of the rest, and the next batch starts the log
/// over. An idle writer's log starts over at its next commit.
///
/// Durability is unchanged: a commit is in the log before it returns, and
/// a checkpoint only moves committed pages; a crash mid-way leaves the log
/// to the next connection, which finishes the copy.
final class WALCheckpointer: Sendable {
    private let connection: Database
    private let queue = DispatchQueue(label: "perimeter.checkpointer")
    private let isScheduled = Atomic<Bool>(false)
    let threshold: Int
    let limit: Int

    /// `threshold` and `limit` count frames (a page each); the defaults
    /// are 256 MB of log and 1 GB for `perimeter ingest`, 64 MB and 256 MB
    /// for the server's intake (`ingest.checkpoint_mb`).
    init(path: String, threshold: Int, limit: Int) throws {
        connection = try Database(path: path)
        try connection.execute("PRAGMA synchronous = NORMAL")
        self.threshold = threshold
        self.limit = limit
    }

    /// Called after each commit of the writer with the log's frame count.
    func logHolds(frames: Int) {
        if frames >= limit {
            queue.sync { copyLog() }
            return
        }
        guard frames >= threshold,
              isScheduled.compareExchange(expected: false, desired: true,
                                          ordering: .acquiringAndReleasing).exchanged
        else { return }
        queue.async { [self] in
            copyLog()
            isScheduled.store(false, ordering: .releasing)
        }
    }

    /// Waits for the checkpoint in flight, if any.
    func waitUntilIdle() { queue.sync {} }

    /// A failed checkpoint loses nothing (the pages stay in the log, and
    /// the next checkpoint or connection copies them); the writer's own
    /// commits report a full disk or an I/O error.
    private func copyLog() {
        _ = try? connection.checkpointPassively()
    }
}
