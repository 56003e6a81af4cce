import PerimeterTestSupport
import Foundation
import Synchronization
import Testing
import PerimeterHTTP

/// Throughput of the HTTP layer alone (a trivial handler), printed, not
/// asserted: run with PERIMETER_HTTP_BENCH=1.
@Suite(.serialized,
       .enabled(if: ProcessInfo.processInfo.environment["PERIMETER_HTTP_BENCH"] != nil))
struct HTTPServerBenchmark {
    static func measure(port: Int, clients: Int, seconds: Double,
                        request: @escaping @Sendable (RawHTTPConnection) throws -> Void)
        async throws -> (count: Int, latencies: [Double]) {
        let results = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    try await offPool {
                        let connection = try RawHTTPConnection(port: port)
                        var latencies: [Double] = []
                        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
                        while ContinuousClock.now < end {
                            let started = ContinuousClock.now
                            try request(connection)
                            let elapsed = ContinuousClock.now - started
                            latencies.append(Double(elapsed.components.attoseconds) / 1e15
                                             + Double(elapsed.components.seconds) * 1000)
                        }
                        return latencies
                    }
                }
            }
            var all: [Double] = []
            for try await latencies in group { all += latencies }
            return all
        }
        return (results.count, results.sorted())
    }

    @Test func smallJSONRequests() async throws {
        var router = Router()
        router.add(.get, "/v1/assets/{uuid}") { request in
            .json(["uuid": request.pathParameters["uuid"] ?? ""])
        }
        let server = try startServer({ $0.threadCount = 2 }, handler: router)
        defer { server.stop() }
        let seconds = 3.0
        let (count, latencies) = try await Self.measure(
            port: server.boundPort, clients: 8, seconds: seconds) { connection in
            try connection.sendRequest("GET", "/v1/assets/3f2a")
            _ = try connection.receiveResponse()
        }
        print("bench small GET: \(Int(Double(count) / seconds)) req/s, "
              + "p50 \(latencies[count / 2]) ms, p99 \(latencies[count * 99 / 100]) ms")
    }

    @Test func largeBodies() async throws {
        let line = "{\"@timestamp\":\"2024-01-01T00:00:00Z\",\"host\":{\"name\":\"ws-01\"}}\n"
        let body = Array(String(repeating: line, count: 16_000).utf8)
        let server = try startServer({ $0.threadCount = 2 }, handler: HTTPClosureHandler {
            .text("\($0.body.count)")
        })
        defer { server.stop() }
        let seconds = 3.0
        let (count, _) = try await Self.measure(
            port: server.boundPort, clients: 4, seconds: seconds) { connection in
            try connection.sendRequest("POST", "/v1/events", body: body)
            _ = try connection.receiveResponse()
        }
        let megabytes = Double(count * body.count) / 1e6 / seconds
        print("bench POST \(body.count) bytes: \(Int(Double(count) / seconds)) req/s, "
              + "\(Int(megabytes)) MB/s, ~\(Int(Double(count * 16_000) / seconds)) lines/s")
    }
}
