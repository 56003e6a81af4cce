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
@Suite(.serialized)
struct ServerBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["PERIMETER_SERVER_BENCH"] == "1"
    static let assetCount = Int(ProcessInfo.processInfo.environment["PERIMETER_BENCH_ASSETS"]
                                ?? "") ?? 1_000_000

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
    static func events(_ count: Int, seed: Int) -> [UInt8] {
        var text = ""
        text.reserveCapacity(count * 200)
        for index in 0..<count {
            let n = seed * count + index
            text += "{\"@timestamp\":\"2026-07-01T10:\(String(format: "%02d", (n / 60) % 60)):"
                + "\(String(format: "%02d", n % 60))Z\",\"host\":{\"name\":\"bench-\(n % 20_000)\","
                + "\"ip\":[\"10.\((n / 65_536) % 256).\((n / 256) % 256).\(n % 256)\"]},"
                + "\"user\":{\"name\":\"user\(n % 5_000)\"},\"event\":{\"outcome\":\"success\"},"
                + "\"source\":{\"ip\":\"192.168.\((n / 256) % 256).\(n % 256)\"}}\n"
        }
        return Array(text.utf8)
    }

    @Test(.enabled(if: enabled)) func oneMillionAssets() async throws {
        let path = TestServer.makeStorePath()
        let tokens = try TestServer.issueTokens(at: path)
        var clock = ContinuousClock.now
        let ids = try StoreSeeder.seed(path: path, community: "acme", count: Self.assetCount)
        let store = try InventoryStore(path: path)
        try store.database.transaction {
            let tag = try store.database.statement(
                "INSERT INTO asset_tags (community, tag, asset_uuid) VALUES ('acme', 'b100k', ?1)")
            for id in ids.prefix(100_000) { try tag.run([.text(id)]) }
        }
        try store.database.execute("ANALYZE")
        print("bench seed: \(Self.assetCount) assets in \(ContinuousClock.now - clock)")

        clock = ContinuousClock.now
        let server = try await TestServer(storePath: path, tokens: tokens) {
            $0.http.threadCount = 2
        }
        print("bench start (inventory load): \(ContinuousClock.now - clock)")

        // List with two filters and the count; the count alone matters most.
        var list: [Double] = []
        for round in 0..<200 {
            let low = [0, 34, 68][round % 3]
            list.append(try await Self.timed(
                server, "/v1/assets?category=host&criticality_min=\(low)&limit=50&sort=criticality",
                as: "acme/reader"))
        }
        Self.report("list category+criticality with count", list)
        var tagged: [Double] = []
        for _ in 0..<100 {
            tagged.append(try await Self.timed(server, "/v1/assets?tag=b100k&category=host&limit=50",
                                               as: "acme/reader"))
        }
        Self.report("list tag+category with count", tagged)
        var text: [Double] = []
        for round in 0..<20 {
            text.append(try await Self.timed(server, "/v1/assets?q=seed-\(round * 7919)&limit=50",
                                             as: "acme/reader"))
        }
        Self.report("list text search (FTS5 trigram)", text)

        var get: [Double] = []
        for round in 0..<1_000 {
            let id = ids[(round * 7_919) % ids.count]
            get.append(try await Self.timed(server, "/v1/assets/\(id)", as: "acme/reader"))
        }
        Self.report("get one asset", get)

        // Bulk criticality change on 100,000 assets, alone.
        clock = ContinuousClock.now
        let alone = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "set_criticality", "criticality": 55, "filter": ["tag": ["b100k"]],
        ])
        let aloneJob = try #require(try alone.json()["id"] as? String)
        var aloneStatus = ""
        repeat {
            try await Task.sleep(for: .milliseconds(50))
            aloneStatus = try await server.call("GET", "/v1/jobs/\(aloneJob)", as: "acme/reader")
                .json()["status"] as? String ?? ""
        } while aloneStatus == "running" || aloneStatus == "queued"
        print("bench bulk set_criticality 100,000 assets alone: \(ContinuousClock.now - clock)")

        // Bulk criticality change on 100,000 assets, intake running meanwhile.
        clock = ContinuousClock.now
        let started = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "set_criticality", "criticality": 99, "filter": ["tag": ["b100k"]],
        ])
        let job = try #require(try started.json()["id"] as? String)
        var ingested = 0
        var batch = 0
        let intakeStart = ContinuousClock.now
        var status = ""
        repeat {
            let body = Self.events(2_000, seed: batch)
            batch += 1
            let response = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                                 body: body)
            ingested += try response.json()["received"] as? Int ?? 0
            status = try await server.call("GET", "/v1/jobs/\(job)", as: "acme/reader")
                .json()["status"] as? String ?? ""
        } while status == "running" || status == "queued"
        let bulkTime = ContinuousClock.now - clock
        let intakeSeconds = Double((ContinuousClock.now - intakeStart).components.seconds)
            + Double((ContinuousClock.now - intakeStart).components.attoseconds) / 1e18
        print("bench bulk set_criticality 100,000 assets: \(bulkTime) (status \(status))")
        print(String(format: "bench intake during bulk: %d events in %.2f s = %.0f events/s",
                     ingested, intakeSeconds, Double(ingested) / intakeSeconds))

        // Intake alone: 20 bodies of 10,000 events, two clients.
        let bodies = (0..<20).map { Self.events(10_000, seed: 1_000 + $0) }
        clock = ContinuousClock.now
        let received = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<2 {
                group.addTask {
                    var count = 0
                    for index in stride(from: client, to: bodies.count, by: 2) {
                        let response = try await server.call("POST", "/v1/events",
                                                             as: "acme/ingest", body: bodies[index])
                        count += try response.json()["received"] as? Int ?? 0
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds)
            + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "bench intake over HTTP with discovery: %d events in %.2f s = "
                     + "%.0f events/s", received, seconds, Double(received) / seconds))
        #expect(received == 200_000)
        await server.stop()
    }
}
