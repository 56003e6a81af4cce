import Foundation
import PerimeterTestSupport
import PerimeterSQLite
@testable import PerimeterStore
import Testing

/// Checkpoints on a second connection copy the write-ahead log while the
/// writer goes on, so that the log starts again from its beginning instead
/// of growing, and nothing committed is lost on the way.
@Suite struct WALCheckpointerTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-checkpoint-\(UUID().uuidString)")
        RemovedAtExit.register(url)
        return url
    }()

    /// A WAL database with a table of 1 KB rows, and what each commit's
    /// hook reported.
    final class Writer {
        let database: Database
        private(set) var framesAfterCommit: [Int] = []
        var afterCommit: (Int) -> Void = { _ in }

        init(path: String) throws {
            database = try Database(path: path)
            try database.execute("""
                PRAGMA journal_mode = WAL;
                CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
                """)
            database.onCommit { [unowned self] frames in
                framesAfterCommit.append(frames)
                afterCommit(frames)
            }
        }

        /// One transaction of 200 new rows: some fifty pages, the same
        /// count every time, so that a log that restarted reports about
        /// what the first commit reported, and one that grew twice that.
        func commitRows() throws {
            try database.transaction {
                for _ in 0..<200 {
                    try database.statement("INSERT INTO rows (payload) VALUES (zeroblob(1000))").run()
                }
            }
        }

        var rowCount: Int {
            get throws { try database.statement("SELECT count(*) FROM rows").firstRow { Int($0.int(0)) } ?? -1 }
        }
    }

    func path(_ name: String) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    @Test func withoutACheckpointTheLogGrowsAndAPassiveOneCopiesAllOfIt() throws {
        let writer = try Writer(path: try path("grows.db"))
        try writer.commitRows()
        try writer.commitRows()
        let frames = writer.framesAfterCommit.suffix(2)
        #expect(frames.count == 2)
        // The hook replaced SQLite's automatic checkpoint: the second
        // commit's frames came after the first's.
        #expect(frames.last! > frames.first! * 3 / 2)
        let result = try writer.database.checkpointPassively()
        #expect(!result.wasBusy)
        #expect(result.logFrames == frames.last!)
        #expect(result.copiedFrames == result.logFrames)
    }

    /// A writer whose commits report to a checkpointer of these bounds.
    func checkpointedWriter(_ name: String, threshold: Int,
                            limit: Int) throws -> (Writer, WALCheckpointer) {
        let file = try path(name)
        let writer = try Writer(path: file)
        let checkpointer = try WALCheckpointer(path: file, threshold: threshold, limit: limit)
        writer.afterCommit = { checkpointer.logHolds(frames: $0) }
        return (writer, checkpointer)
    }

    /// The second and third of three equal commits found the log copied
    /// and wrote from its start: about as many frames as the first.
    func expectRestartedLog(_ writer: Writer) {
        let frames = Array(writer.framesAfterCommit.suffix(3))
        #expect(frames.count == 3)
        #expect(frames[1] < frames[0] * 3 / 2)
        #expect(frames[2] < frames[0] * 3 / 2)
    }

    @Test func aBackgroundCheckpointLetsTheNextCommitRestartTheLog() throws {
        let (writer, checkpointer) = try checkpointedWriter("background.db", threshold: 1,
                                                            limit: 1_000_000)
        for _ in 0..<3 {
            try writer.commitRows()
            checkpointer.waitUntilIdle()
        }
        expectRestartedLog(writer)
        #expect(try writer.rowCount == 600)
        #expect(try writer.database.statement("PRAGMA integrity_check").firstRow { $0.text(0) } == "ok")
    }

    @Test func pastTheLimitTheCommittingThreadWaitsForTheCopy() throws {
        // Never in the background; every commit is over the limit.
        let (writer, _) = try checkpointedWriter("limit.db", threshold: .max, limit: 1)
        for _ in 0..<3 { try writer.commitRows() }
        expectRestartedLog(writer)
        // What was copied is in the file: a new connection reads it all.
        let reader = try Database(path: writer.database.path)
        #expect(try reader.statement("SELECT count(*) FROM rows").firstRow { $0.int(0) } == 600)
    }

    /// A busy writer begins each transaction before the background copy
    /// of the last commit ends, so its log restarts only at the limit;
    /// there it does restart, and the log never holds much more than the
    /// limit (about 52 frames a commit here).
    @Test func aBusyWritersLogStaysWithinTheLimit() throws {
        let (writer, checkpointer) = try checkpointedWriter("busy.db", threshold: 100, limit: 400)
        for _ in 0..<40 { try writer.commitRows() }
        checkpointer.waitUntilIdle()
        let frames = writer.framesAfterCommit
        #expect(frames.max()! <= 400 + 60)
        let restarts = zip(frames, frames.dropFirst()).filter { $1 < $0 }.count
        #expect(restarts >= 3, "the log restarted \(restarts) times in 40 commits: \(frames)")
        #expect(try writer.rowCount == 8_000)
    }

    @Test func belowTheThresholdNothingIsCopied() throws {
        let (writer, checkpointer) = try checkpointedWriter("below.db", threshold: 1_000_000,
                                                            limit: 2_000_000)
        try writer.commitRows()
        checkpointer.waitUntilIdle()
        try writer.commitRows()
        let frames = writer.framesAfterCommit.suffix(2)
        #expect(frames.last! > frames.first! * 3 / 2)
    }
}
