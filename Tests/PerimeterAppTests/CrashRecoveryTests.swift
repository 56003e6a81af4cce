import Foundation
@testable import PerimeterApp
import PerimeterModel
import PerimeterSQLite
import PerimeterTestSupport
import Testing

/// Issue #2: an ingest killed at any moment and run again leaves the same
/// store as one run that was never interrupted, and the store opens
/// intact after every kill.
///
/// The input is generated (`SyntheticIngestInput`), three files of
/// `PERIMETER_CRASH_LINES` lines each (default 8,000: a debug build reads
/// about 2,500 events a second, and the test must stay near two minutes).
/// A small `ingest.batch_size` makes kills land between and inside batches,
/// and a small `ingest.checkpoint_mb` inside background checkpoints.
@Suite(.serialized, .requiresPerimeterExecutable)
struct CrashRecoveryTests {
    static let linesPerFile = ProcessInfo.processInfo.environment["PERIMETER_CRASH_LINES"]
        .flatMap(Int.init) ?? 8_000
    static let killsPerSeed = 4

    /// Inputs and the reference store, made once for every seed.
    final class Fixture: Sendable {
        let directory: ScratchDirectory
        let files: [String]
        let configuration: String
        let reference: StoreDump
        /// How long the uninterrupted run took: kills are drawn inside it.
        let referenceSeconds: Double

        init(binary: PerimeterExecutable) throws {
            let directory = try ScratchDirectory("crash")
            self.directory = directory
            files = try (0..<3).map { index in
                try directory.write("events-\(index).ndjson",
                                    SyntheticIngestInput.file(index, lines: linesPerFile))
            }
            // A log of 1 MB starts a checkpoint every few batches, so that
            // kills also land while one copies the log into the file.
            configuration = try directory.write("perimeter.yaml",
                                                "ingest:\n  batch_size: 250\n  checkpoint_mb: 1\n")
            let store = directory.path("reference.db")
            let started = Date()
            let result = try binary.run(CrashRecoveryTests.arguments(store: store,
                                                                      configuration: configuration,
                                                                      files: files))
            referenceSeconds = Date().timeIntervalSince(started)
            guard result.status == 0 else {
                throw FixtureError(message: "reference ingest failed: \(result.standardError)")
            }
            reference = try StoreDump(path: store)
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    nonisolated(unsafe) static var fixture: Result<Fixture, any Error>?
    static let fixtureLock = NSLock()

    static func sharedFixture(_ binary: PerimeterExecutable) throws -> Fixture {
        try fixtureLock.withLock {
            if fixture == nil { fixture = Result { try Fixture(binary: binary) } }
            return try fixture!.get()
        }
    }

    static func arguments(store: String, configuration: String, files: [String]) -> [String] {
        ["ingest", "--db", store, "--config", configuration, "--no-output", "--quiet",
         "--now", SyntheticIngestInput.now] + files
    }

    @Test func referenceRunCountsEveryLine() throws {
        guard let binary = PerimeterExecutable.locate() else {
            Issue.record("perimeter is not built: run 'swift build --build-tests' first")
            return
        }
        let fixture = try Self.sharedFixture(binary)
        let counters = Dictionary(uniqueKeysWithValues: fixture.reference.sections["counters"]!
            .map { line -> (String, Int) in
                let parts = line.components(separatedBy: " | ")
                return (parts[1], Int(parts[2])!)
            })
        // No blank lines: every line is an event read.
        #expect(counters["events_read"] == 3 * Self.linesPerFile)
        // The generator writes malformed, late and timestamp-less lines.
        #expect((counters["events_malformed"] ?? 0) > 0)
        #expect((counters["events_late"] ?? 0) > 0)
        #expect((counters["events_without_timestamp"] ?? 0) > 0)
        #expect((fixture.reference.sections["shared_atoms"] ?? []).count > 0)
        // Every generated host and account name stands for one machine or
        // person (one host.id per host name): each is discovered once.
        let names = (fixture.reference.sections["assets"] ?? []).map { line in
            line.components(separatedBy: " @")[0]
        }
        let repeated = Dictionary(grouping: names, by: { $0 }).filter { $0.value.count > 1 }
        #expect(repeated.isEmpty, """
            \(repeated.count) names discovered more than once, e.g. \
            \(repeated.keys.sorted().prefix(5))
            """)
        let sources = fixture.reference.sections["ingest_progress"] ?? []
        #expect(sources.count == 3)
        #expect(sources.allSatisfy { $0.hasSuffix(" | \(Self.linesPerFile)") })
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func killedIngestResumesToTheSameStore(seed: UInt64) throws {
        guard let binary = PerimeterExecutable.locate() else {
            Issue.record("perimeter is not built: run 'swift build --build-tests' first")
            return
        }
        let fixture = try Self.sharedFixture(binary)
        let store = fixture.directory.path("killed-\(seed).db")
        let arguments = Self.arguments(store: store, configuration: fixture.configuration,
                                       files: fixture.files)
        var random = SeededGenerator(seed: seed)
        var killed = 0
        var midway = 0
        for round in 1...Self.killsPerSeed {
            // Each run is killed within the first quarter of the time a whole
            // run takes, so that every kill lands before the work is done.
            let delay = 0.05 + random.unit() * fixture.referenceSeconds / 4
            let process = try binary.launch(arguments)
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killed += 1 }
            let committed = try Self.expectIntactStore(
                store, after: "seed \(seed), kill \(round) at \(delay) s")
            if 0 < committed && committed < 3 * Self.linesPerFile { midway += 1 }
        }
        let final = try binary.run(arguments)
        #expect(final.status == 0, "final run failed: \(final.standardError)")

        let dump = try StoreDump(path: store)
        #expect(killed > 0, "no run was killed: the input is too small to test anything")
        #expect(midway > 0, "no kill left a partly ingested input: nothing was resumed")
        let sharedValues = (fixture.reference.sections["shared_atoms"] ?? [])
            .map { $0.components(separatedBy: " | ")[3] }
        let (others, shared) = dump.differences(from: fixture.reference) { line in
            sharedValues.contains { value in
                ["=\(value)]", "=\(value),", "| \(value) |"].contains { line.contains($0) }
            }
        }
        #expect(others.isEmpty, """
            seed \(seed): the store after \(killed) kills differs from an uninterrupted run:
            \(others)
            """)
        #expect(shared.isEmpty, """
            seed \(seed): shared addresses differ after \(killed) kills:
            \(shared)
            """)
    }

    /// Opens the store as the next run would, checks SQLite's integrity,
    /// and that the counters and the progress were committed together.
    /// Returns how many lines the store holds as ingested.
    @discardableResult
    static func expectIntactStore(_ path: String, after moment: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let database = try Database(path: path)
        let integrity = try database.statement("PRAGMA integrity_check").rows { $0.text(0) }
        #expect(integrity == ["ok"], "integrity check after \(moment): \(integrity)")
        let tables = try database.statement(
            "SELECT count(*) FROM sqlite_master WHERE name = 'counters'").firstRow { $0.int(0) }
        guard tables == 1 else { return 0 }
        let read = try database.statement(
            "SELECT value FROM counters WHERE name = 'events_read'").firstRow { $0.int(0) } ?? 0
        let lines = try database.statement(
            "SELECT coalesce(sum(line), 0) FROM ingest_progress").firstRow { $0.int(0) } ?? 0
        #expect(read == lines, """
            after \(moment): events_read is \(read) but the committed progress ends at \
            line \(lines) in total: counters and progress must commit together
            """)
        return Int(lines)
    }
}
