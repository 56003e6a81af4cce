import PerimeterTestSupport
import Foundation
import Synchronization
import Testing
@testable import PerimeterHTTP

/// Bodies written while they are sent (`HTTPBodyStream`): whole when the
/// writer finishes, visibly cut when it fails, and a writer told to stop
/// when its client leaves or the server stops.
@Suite(.serialized) struct HTTPBodyStreamTests {
    /// Each writer's last answer from `write`.
    final class Outcomes: Sendable {
        let values = Mutex<[Bool]>([])
    }

    /// The body a streaming route writes: `count` lines of 100 bytes, the
    /// line number first, so that a reordered or lost piece shows.
    static func lines(_ count: Int) -> [[UInt8]] {
        (0..<count).map { number in
            let head = String(format: "%08d ", number)
            return Array((head + String(repeating: "x", count: 100 - head.count - 1) + "\n").utf8)
        }
    }

    /// Serves `/stream?lines=N&fail=K&hold=1`: N lines written a few at a
    /// time (with yields, so the writer outruns the client or not by
    /// turns); with `fail`, the stream fails after K lines; with `hold`,
    /// it writes one line and then neither writes nor ends. `outcomes`
    /// gets each writer's last answer from `write`.
    static func router(bufferLimit: Int, outcomes: Outcomes) -> Router {
        var router = Router()
        router.add(.get, "/stream") { request in
            let count = Int(request.query["lines"] ?? "0") ?? 0
            let failAfter = request.query["fail"].flatMap { Int($0) }
            let holds = request.query["hold"] != nil
            let stream = HTTPBodyStream(bufferLimit: bufferLimit)
            Task {
                if holds {
                    _ = await stream.write(lines(1)[0])
                    try? await Task.sleep(for: .seconds(3600))
                    return
                }
                var accepted = true
                for (number, line) in lines(count).enumerated() {
                    if number == failAfter {
                        stream.fail()
                        return
                    }
                    accepted = await stream.write(line)
                    if !accepted { break }
                    if number % 7 == 0 { await Task.yield() }
                }
                outcomes.values.withLock { $0.append(accepted) }
                if accepted { stream.finish() }
            }
            return .streamed(stream, contentType: "text/plain")
        }
        return router
    }

    @Test func aStreamedBodyArrivesWholeAndChunked() async throws {
        let outcomes = Outcomes()
        let log = AccessLogCollector()
        // A limit far below the body: the writer waits for the client
        // again and again.
        let server = try startServer({ $0.accessLog = log.append },
                                     handler: Self.router(bufferLimit: 4096, outcomes: outcomes))
        defer { server.stop() }
        let port = server.boundPort
        let (big, empty) = try await offPool {
            (try rawRequest(port: port, "GET", "/stream?lines=20000"),
             try rawRequest(port: port, "GET", "/stream?lines=0"))
        }
        #expect(big.status == 200)
        #expect(big.headers["transfer-encoding"] == "chunked")
        #expect(big.headers["content-length"] == nil)
        #expect(big.headers["content-type"] == "text/plain")
        #expect(big.body == Self.lines(20000).flatMap { $0 })
        #expect(empty.status == 200)
        #expect(empty.body.isEmpty)
        let record = try #require(await log.waitFor { $0.responseBytes > 0 })
        #expect(record.responseBytes == 2_000_000)
        #expect(record.termination == .completed)
        #expect(outcomes.values.withLock { $0 } == [true, true])
    }

    /// A failed stream ends the connection without the last chunk: the
    /// client cannot take the first part for the whole.
    @Test func aFailedStreamIsCutShortVisibly() async throws {
        let outcomes = Outcomes()
        let server = try startServer(handler: Self.router(bufferLimit: 1 << 20, outcomes: outcomes))
        defer { server.stop() }
        let port = server.boundPort
        let failure = try await offPool { () -> String in
            do {
                _ = try rawRequest(port: port, "GET", "/stream?lines=5000&fail=2500")
                return "a whole body"
            } catch {
                return "\(error)"
            }
        }
        #expect(failure.contains("without its last chunk") || failure.contains("inside a chunk"),
                "\(failure)")
        // The server goes on answering.
        let after = try await offPool { try rawRequest(port: port, "GET", "/stream?lines=3") }
        #expect(after.body == Self.lines(3).flatMap { $0 })
    }

    /// A client that leaves midway stops the writer: `write` answers
    /// false, and nothing is left waiting for it.
    @Test func aClientLeavingStopsTheWriter() async throws {
        let outcomes = Outcomes()
        let server = try startServer(handler: Self.router(bufferLimit: 4096, outcomes: outcomes))
        defer { server.stop() }
        let port = server.boundPort
        try await offPool {
            let connection = try RawHTTPConnection(port: port)
            try connection.sendRequest("GET", "/stream?lines=1000000")
            // Some of the head and body, then gone.
            var byte = [UInt8](repeating: 0, count: 1024)
            _ = byte.withUnsafeMutableBytes { recv(connection.descriptorForTests, $0.baseAddress, 1024, 0) }
        }
        for _ in 0..<500 where outcomes.values.withLock({ $0.isEmpty }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(outcomes.values.withLock { $0 } == [false])
    }

    /// A stop with a stream parked (its writer neither writes nor ends)
    /// cuts it after the grace period and stops: the library must not be
    /// stopped with a connection suspended.
    @Test func aStopCutsAParkedStream() async throws {
        let outcomes = Outcomes()
        let server = try startServer({ $0.shutdownGracePeriod = .milliseconds(300) },
                                     handler: Self.router(bufferLimit: 4096, outcomes: outcomes))
        let port = server.boundPort
        let connection = try RawHTTPConnection(port: port, receiveTimeoutSeconds: 10)
        let cut = Task.detached { () -> String in
            do {
                try connection.sendRequest("GET", "/stream?hold=1")
                _ = try connection.receiveResponse()
                return "a whole body"
            } catch {
                return "\(error)"
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        try await offPool { server.stop() }
        #expect(ContinuousClock.now - started < .seconds(5))
        let failure = await cut.value
        #expect(failure.contains("without its last chunk"), "\(failure)")
    }
}
