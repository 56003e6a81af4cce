import PerimeterTestSupport
import Foundation
import PerimeterServer
import PerimeterStore
import Testing

/// The issue's benchmark, opt-in (`PERIMETER_SERVER_BENCH=1`, best in a
/// release build): a million assets generated straight into the store,
/// then list/count and get latencies, a bulk change of 100,000 assets
/// with the intake rate during it, and the intake rate alone. It prints
/// figures; it asserts only that the work was done.
///
/// `PERIMETER_BENCH_SEEDED=FILE` keeps the seeded store there and copies it
/// on later runs (seeding takes minutes); `PERIMETER_BENCH_PHASES` picks
/// some of `list,bulk,intake` (default: all); `PERIMETER_BENCH_JOB_CHUNK`
/// and `PERIMETER_BENCH_JOB_TURN_MS` set the job chunk size and turn,
/// `PERIMETER_BENCH_INTAKE_CHUNK` the intake lines per batch and
/// `PERIMETER_BENCH_CHECKPOINT_MB` the store's `ingest.checkpoint_mb`.
@Suite(.serialized)
struct ServerBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["PERIMETER_SERVER_BENCH"] == "1"
    static let assetCount = Int(ProcessInfo.processInfo.environment["PERIMETER_BENCH_ASSETS"]
                                ?? "") ?? 1_000_000

    static let environment = ProcessInfo.processInfo.environment
    static let phases = Set((environment["PERIMETER_BENCH_PHASES"] ?? "list,bulk,intake")
                                .split(separator: ",").map(String.init))

    /// A store of `assetCount` seeded assets, the first 100,000 tagged
    /// `b100k`, and their uuids in seeding order.
    static func seededStore() throws -> (path: String, ids: [String]) {
        let path = TestServer.makeStorePath()
        let cache = environment["PERIMETER_BENCH_SEEDED"]
        if let cache, FileManager.default.fileExists(atPath: cache) {
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.copyItem(atPath: cache, toPath: path)
            let store = try InventoryStore(path: path)
            let ids = try store.database.statement(
                "SELECT uuid FROM assets WHERE name LIKE 'seed-%' ORDER BY created_at")
                .rows([]) { $0.text(0) }
            return (path, ids)
        }
        let ids = try StoreSeeder.seed(path: path, community: "acme", count: assetCount)
        let store = try InventoryStore(path: path)
        try store.database.transaction {
            let tag = try store.database.statement(
                "INSERT INTO asset_tags (community, tag, asset_uuid) VALUES ('acme', 'b100k', ?1)")
            for id in ids.prefix(100_000) { try tag.run([.text(id)]) }
            // Three assets in four seen, for an hour at times spread over
            // 30 days; the fourth never, as imported assets start.
            try store.database.execute("""
                UPDATE asset_seen SET first_seen = 1714000000000 + (id * 7919 % 2592000) * 1000,
                                      last_seen = 1714003600000 + (id * 7919 % 2592000) * 1000
                WHERE id % 4 <> 0
                """)
        }
        try store.database.execute("ANALYZE")
        try store.database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if let cache { try FileManager.default.copyItem(atPath: path, toPath: cache) }
        return (path, ids)
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    static func report(_ name: String, _ milliseconds: [Double]) {
        print(String(format: "bench %@: n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms", name,
                     milliseconds.count, percentile(milliseconds, 0.5),
                     percentile(milliseconds, 0.99), milliseconds.max() ?? .nan))
    }

    static func timed(_ server: TestServer, _ target: String, as token: String) async throws
        -> Double {
        let start = ContinuousClock.now
        let response = try await server.call("GET", target, as: token)
        #expect(response.status == 200, "\(target): \(response.text.prefix(200))")
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.attoseconds) / 1e15
            + Double(elapsed.components.seconds) * 1000
    }

    /// NDJSON of `count` events over many hosts, users and addresses.
    /// `count` events of `day` (of July 2026): each names one of 20,000
    /// hosts with an address of its own, so that a first intake attaches
    /// a new address to a host at every event.
    static func events(_ count: Int, seed: Int, day: Int = 1) -> [UInt8] {
        var text = ""
        text.reserveCapacity(count * 200)
        for index in 0..<count {
            let n = seed * count + index
            text += "{\"@timestamp\":\"2026-07-\(String(format: "%02d", day))T10:"
                + "\(String(format: "%02d", (n / 60) % 60)):"
                + "\(String(format: "%02d", n % 60))Z\","
                + "\"host\":{\"name\":\"bench-\(n % 20_000)\","
                + "\"ip\":[\"10.\((n / 65_536) % 256).\((n / 256) % 256).\(n % 256)\"]},"
                + "\"user\":{\"name\":\"user\(n % 5_000)\"},\"event\":{\"outcome\":\"success\"},"
                + "\"source\":{\"ip\":\"192.168.\((n / 256) % 256).\(n % 256)\"}}\n"
        }
        return Array(text.utf8)
    }

    @Test(.enabled(if: enabled)) func oneMillionAssets() async throws {
        let clock = ContinuousClock.now
        let (path, ids) = try Self.seededStore()
        let tokens = try TestServer.issueTokens(at: path)
        print("bench seed: \(ids.count) assets in \(ContinuousClock.now - clock)")
        let started = ContinuousClock.now
        let server = try await TestServer(storePath: path, tokens: tokens) { options in
            options.http.threadCount = 2
            // Job tuning to try without a rebuild.
            if let size = Self.environment["PERIMETER_BENCH_JOB_CHUNK"].flatMap(Int.init) {
                options.jobChunkSize = size
            }
            if let turn = Self.environment["PERIMETER_BENCH_JOB_TURN_MS"].flatMap(Int.init) {
                options.jobTurnMilliseconds = turn
            }
            if let lines = Self.environment["PERIMETER_BENCH_INTAKE_CHUNK"].flatMap(Int.init) {
                options.intakeChunkLines = lines
            }
            if let megabytes = Self.environment["PERIMETER_BENCH_CHECKPOINT_MB"].flatMap(Int.init) {
                options.configuration.checkpointMegabytes = megabytes
            }
        }
        print("bench start (inventory load): \(ContinuousClock.now - started)")
        if Self.phases.contains("list") { try await Self.listPhase(server, ids: ids) }
        if Self.phases.contains("bulk") { try await Self.bulkPhase(server) }
        if Self.phases.contains("intake") { try await Self.intakePhase(server) }
        await server.stop()
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// List with two filters and the count (the count matters most), a tag
    /// filter, a text search and single gets.
    static func listPhase(_ server: TestServer, ids: [String]) async throws {
        var list: [Double] = []
        for round in 0..<200 {
            let low = [0, 34, 68][round % 3]
            list.append(try await timed(
                server, "/v1/assets?category=host&criticality_min=\(low)&limit=50"
                    + "&sort=criticality", as: "acme/reader"))
        }
        report("list category+criticality with count", list)
        var tagged: [Double] = []
        for _ in 0..<100 {
            tagged.append(try await timed(server, "/v1/assets?tag=b100k&category=host&limit=50",
                                          as: "acme/reader"))
        }
        report("list tag+category with count", tagged)
        // Newest first, then never seen first: 250,000 assets share the
        // never-seen place at the start of the ascending order.
        var bySeen: [Double] = []
        for round in 0..<200 {
            bySeen.append(try await timed(
                server, "/v1/assets?category=host&sort=last_seen&order="
                    + (round % 2 == 0 ? "desc" : "asc") + "&limit=50", as: "acme/reader"))
        }
        report("list category by last seen (either order) with count", bySeen)
        var text: [Double] = []
        for round in 0..<20 {
            text.append(try await timed(server, "/v1/assets?q=seed-\(round * 7919)&limit=50",
                                        as: "acme/reader"))
        }
        report("list text search (FTS5 trigram)", text)
        var get: [Double] = []
        for round in 0..<1_000 {
            let id = ids[(round * 7_919) % ids.count]
            get.append(try await timed(server, "/v1/assets/\(id)", as: "acme/reader"))
        }
        report("get one asset", get)
    }

    static func startJob(_ server: TestServer, criticality: Int) async throws -> String {
        let started = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "set_criticality", "criticality": criticality,
            "filter": ["tag": ["b100k"]],
        ])
        return try #require(try started.json()["id"] as? String)
    }

    static func jobStatus(_ server: TestServer, _ job: String) async throws -> String {
        try await server.call("GET", "/v1/jobs/\(job)", as: "acme/reader")
            .json()["status"] as? String ?? ""
    }

    /// A criticality change on 100,000 assets alone, then again with
    /// intake running meanwhile.
    static func bulkPhase(_ server: TestServer) async throws {
        var clock = ContinuousClock.now
        let alone = try await startJob(server, criticality: 55)
        var status = ""
        repeat {
            try await Task.sleep(for: .milliseconds(50))
            status = try await jobStatus(server, alone)
        } while status == "running" || status == "queued"
        print(String(format: "bench bulk set_criticality 100,000 assets alone: %.2f s "
                     + "(status %@)", seconds(since: clock), status))

        clock = ContinuousClock.now
        let job = try await startJob(server, criticality: 99)
        var ingested = 0
        var batch = 0
        repeat {
            let body = events(2_000, seed: batch)
            batch += 1
            let response = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                                 body: body)
            ingested += try response.json()["received"] as? Int ?? 0
            status = try await jobStatus(server, job)
        } while status == "running" || status == "queued"
        let elapsed = seconds(since: clock)
        print(String(format: "bench bulk set_criticality 100,000 assets: %.2f s (status %@)",
                     elapsed, status))
        print(String(format: "bench intake during bulk: %d events in %.2f s = %.0f events/s",
                     ingested, elapsed, Double(ingested) / elapsed))
    }

    /// Intake alone: 20 bodies of 10,000 events, two clients; then the same
    /// events a day later, every atom known (the steady state, as the
    /// command line's bench measures it: sightings, seen times and counts).
    static func intakePhase(_ server: TestServer) async throws {
        try await timedIntake(server, day: 1, label: "with discovery")
        try await timedIntake(server, day: 2,
                              label: "the same events a day later (steady state)")
    }

    /// Sends the 20 bodies of `day` (of July 2026) and prints the rate.
    static func timedIntake(_ server: TestServer, day: Int, label: String) async throws {
        let bodies = (0..<20).map { events(10_000, seed: 1_000 + $0, day: day) }
        let clock = ContinuousClock.now
        let received = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<2 {
                group.addTask {
                    var count = 0
                    for index in stride(from: client, to: bodies.count, by: 2) {
                        let response = try await server.call("POST", "/v1/events",
                                                             as: "acme/ingest",
                                                             body: bodies[index])
                        count += try response.json()["received"] as? Int ?? 0
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let answered = seconds(since: clock)
        // The log the intake left is its work too (a longer stream would
        // copy it meanwhile): copied now, through a connection of the
        // test's, once the server's own checkpoint in flight has ended.
        let copyStart = ContinuousClock.now
        let store = try InventoryStore(path: server.storePath)
        let copy = try store.database.statement("PRAGMA wal_checkpoint(FULL)")
        var frames = (busy: 1, log: 0, copied: 0)
        while frames.busy != 0 {   // the server's own checkpoint in flight
            frames = try copy.firstRow { (Int($0.int(0)), Int($0.int(1)), Int($0.int(2))) }
                ?? (0, 0, 0)
            if frames.busy != 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        let copied = seconds(since: copyStart)
        let elapsed = answered + copied
        print(String(format: "bench intake over HTTP %@: %d events in %.2f s = "
                     + "%.0f events/s (answered in %.2f s, then %.2f s copying the log left "
                     + "into the store file: %d of %d frames)", label, received, elapsed,
                     Double(received) / elapsed, answered, copied, frames.copied, frames.log))
        #expect(received == 200_000)
    }
}
