import PerimeterTestSupport
import Foundation
import PerimeterCrypto
import Synchronization
import Testing
@testable import PerimeterHTTP

/// Collects access log records written on the server's network threads.
final class AccessLogCollector: Sendable {
    private let records = Mutex<[HTTPAccessLogRecord]>([])

    func append(_ record: HTTPAccessLogRecord) {
        records.withLock { $0.append(record) }
    }

    /// Waits (up to 3 s) for a record that satisfies `condition`.
    func waitFor(_ condition: (HTTPAccessLogRecord) -> Bool) async -> HTTPAccessLogRecord? {
        for _ in 0..<300 {
            if let found = records.withLock({ $0.first(where: condition) }) { return found }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    var all: [HTTPAccessLogRecord] { records.withLock { $0 } }
}

/// A router whose handlers echo what they saw, as JSON.
func makeEchoRouter() -> Router {
    struct Echo: Encodable {
        var method: String
        var route: String?
        var parameters: [String: String]
        var query: [String: String]
        var tags: [String]
        var bodyBytes: Int
        var bodySHA256: String
        var remoteAddress: String?
    }
    let echo: Router.Handler = { request in
        .json(Echo(method: request.method.rawValue, route: request.routeTemplate,
                   parameters: request.pathParameters, query: request.query,
                   tags: request.queryValues("tag"), bodyBytes: request.body.count,
                   bodySHA256: SHA256Digest(hashing: request.body).hexString,
                   remoteAddress: request.remoteAddress))
    }
    var router = Router()
    router.add(.get, "/v1/assets/{uuid}", handler: echo)
    router.add(.patch, "/v1/assets/{uuid}", handler: echo)
    router.add(.get, "/v1/atoms", handler: echo)
    router.add(.post, "/v1/events", handler: echo)
    router.add(.get, "/sleep") { request in
        let milliseconds = Int(request.query["ms"] ?? "0") ?? 0
        try await Task.sleep(for: .milliseconds(milliseconds))
        return .text("slept \(milliseconds)")
    }
    return router
}

func startServer(
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    handler: some HTTPHandler = makeEchoRouter()
) throws -> HTTPServer {
    var configuration = HTTPServerConfiguration(port: 0)
    configure(&configuration)
    let server = try HTTPServer(configuration: configuration, handler: handler)
    try server.start()
    return server
}

@Suite(.serialized) struct HTTPServerTests {
    /// An empty pair (`&&`, a trailing `&`) is no parameter, as clients
    /// and other servers take it: it was an unknown parameter named ''.
    @Test func routesWithPathParametersAndDecodedQuery() async throws {
        let server = try startServer()
        defer { server.stop() }
        let port = server.boundPort
        #expect(port > 0)

        let response = try await offPool {
            try rawRequest(port: port, "GET",
                           "/v1/assets/a%2Fb?value=CORP%5Cadmin&&q=a+b%2Bc&tag=x&tag=y&flag&")
        }
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        let echo = try response.json()
        #expect(echo["route"] as? String == "/v1/assets/{uuid}")
        #expect(echo["parameters"] as? [String: String] == ["uuid": "a/b"])
        #expect(echo["query"] as? [String: String]
                == ["value": "CORP\\admin", "q": "a b+c", "tag": "x", "flag": ""])
        #expect(echo["tags"] as? [String] == ["x", "y"])
        let remote = try #require(echo["remoteAddress"] as? String)
        #expect(remote.hasPrefix("127.0.0.1:"))
    }

    @Test func answersNotFoundAndMethodNotAllowedAsJSON() async throws {
        let server = try startServer()
        defer { server.stop() }
        let port = server.boundPort
        let (missing, wrongMethod, badPath, badQuery) = try await offPool {
            (try rawRequest(port: port, "GET", "/v1/nothing/here"),
             try rawRequest(port: port, "DELETE", "/v1/assets/abc"),
             try rawRequest(port: port, "GET", "/v1/assets/%zz"),
             try rawRequest(port: port, "GET", "/v1/atoms?value=%E2%28"))
        }
        #expect(missing.status == 404)
        #expect(missing.text == #"{"error":{"code":"not_found","message":"no such resource: "#
                + #"no route matches the request path","details":{}}}"#)
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET, HEAD, PATCH")
        let error = try #require(try wrongMethod.json()["error"] as? [String: Any])
        #expect(error["code"] as? String == "method_not_allowed")
        #expect(badPath.status == 400)
        #expect(try badPath.json()["error"].flatMap { $0 as? [String: Any] }?["code"]
                as? String == "malformed_path")
        #expect(badQuery.status == 400)
        #expect(try badQuery.json()["error"].flatMap { $0 as? [String: Any] }?["code"]
                as? String == "malformed_query")
    }

    @Test func errorBodiesAndLogsCarryNoPathValues() async throws {
        let log = AccessLogCollector()
        let server = try startServer { $0.accessLog = log.append }
        defer { server.stop() }
        let port = server.boundPort
        let secret = "CORP%5Calice.secret"
        let (found, missing) = try await offPool {
            (try rawRequest(port: port, "GET", "/v1/assets/\(secret)?value=\(secret)"),
             try rawRequest(port: port, "GET", "/v1/nowhere/\(secret)"))
        }
        #expect(found.status == 200)
        #expect(!missing.text.contains("alice"))
        let record = try #require(await log.waitFor { $0.status == 200 })
        #expect(record.route == "/v1/assets/{uuid}")
        #expect(record.method == "GET")
        #expect(record.termination == .completed)
        #expect(record.responseBytes == found.body.count)
        let unmatched = try #require(await log.waitFor { $0.status == 404 })
        #expect(unmatched.route == "-")
        #expect(!log.all.map(\.line).joined().contains("alice"))
    }

    @Test func refusesBodiesOverTheLimit() async throws {
        let server = try startServer { $0.maxBodyBytes = 1000 }
        defer { server.stop() }
        let port = server.boundPort
        let (declared, chunked, atLimit) = try await offPool {
            let declared = try rawRequest(port: port, "POST", "/v1/events",
                                          body: [UInt8](repeating: 65, count: 1001))
            // Chunked: the length is not known until the body has arrived.
            let connection = try RawHTTPConnection(port: port)
            let chunk = String(repeating: "B", count: 600)
            try connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n"
                + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
            let chunked = try connection.receiveResponse()
            let atLimit = try rawRequest(port: port, "POST", "/v1/events",
                                         body: [UInt8](repeating: 65, count: 1000))
            return (declared, chunked, atLimit)
        }
        for refused in [declared, chunked] {
            #expect(refused.status == 413)
            #expect(refused.text == #"{"error":{"code":"body_too_large","message":"request "#
                    + #"body too large: it exceeds the limit of 1000 bytes","details":"#
                    + #"{"decoded":false,"limit_bytes":1000}}}"#)
        }
        #expect(atLimit.status == 200)
        #expect(try atLimit.json()["bodyBytes"] as? Int == 1000)
    }

    @Test func decodesGzipBodies() async throws {
        let server = try startServer { $0.maxDecodedBodyBytes = 100_000 }
        defer { server.stop() }
        let port = server.boundPort
        let ndjson = Array(String(repeating: "{\"event\":{\"kind\":\"event\"}}\n",
                                  count: 2000).utf8)
        let compressed = try gzipped(ndjson)
        let bomb = try gzipped([UInt8](repeating: 0, count: 1 << 20))
        let (plain, zipped, broken, tooBig, brotli) = try await offPool {
            (try rawRequest(port: port, "POST", "/v1/events", body: ndjson),
             try rawRequest(port: port, "POST", "/v1/events",
                            headers: ["Content-Encoding": "gzip"], body: compressed),
             try rawRequest(port: port, "POST", "/v1/events",
                            headers: ["Content-Encoding": "gzip"], body: Array("nope".utf8)),
             try rawRequest(port: port, "POST", "/v1/events",
                            headers: ["Content-Encoding": "gzip"], body: bomb),
             try rawRequest(port: port, "POST", "/v1/events",
                            headers: ["Content-Encoding": "br"], body: [1, 2, 3]))
        }
        let expectedSHA = SHA256Digest(hashing: ndjson).hexString
        #expect(try plain.json()["bodySHA256"] as? String == expectedSHA)
        #expect(zipped.status == 200)
        #expect(try zipped.json()["bodySHA256"] as? String == expectedSHA)
        #expect(try zipped.json()["bodyBytes"] as? Int == ndjson.count)
        #expect(broken.status == 400)
        #expect(broken.text.contains(#""code":"malformed_body""#))
        #expect(tooBig.status == 413)
        #expect(tooBig.text.contains(#""decoded":true"#))
        #expect(brotli.status == 415)
        #expect(brotli.text.contains(#""code":"unsupported_content_encoding""#))

        // Without the header, gzip's magic bytes say it; an explicit
        // identity keeps the bytes as sent.
        let (sniffed, identity, sniffedBomb) = try await offPool {
            (try rawRequest(port: port, "POST", "/v1/events", body: compressed),
             try rawRequest(port: port, "POST", "/v1/events",
                            headers: ["Content-Encoding": "identity"], body: compressed),
             try rawRequest(port: port, "POST", "/v1/events", body: bomb))
        }
        #expect(try sniffed.json()["bodySHA256"] as? String == expectedSHA)
        #expect(try identity.json()["bodyBytes"] as? Int == compressed.count)
        #expect(sniffedBomb.status == 413)
    }

    @Test func refusesMalformedRequests() async throws {
        let server = try startServer()
        defer { server.stop() }
        let port = server.boundPort
        let (garbage, noHost) = try await offPool {
            let garbage = try RawHTTPConnection(port: port)
            try garbage.send("THIS IS NOT HTTP\r\n\r\n")
            let noHost = try RawHTTPConnection(port: port)
            try noHost.send("GET /v1/atoms HTTP/1.1\r\n\r\n")
            return (try garbage.receiveResponse(), try noHost.receiveResponse())
        }
        // libmicrohttpd answers these itself, before any handler runs.
        #expect(garbage.status == 400)
        #expect(noHost.status == 400)
    }

    /// One client address holds at most `connectionLimitPerClient`
    /// connections: a third is closed unanswered while two are open, and a
    /// slot freed is usable again.
    @Test func connectionsPerClientAreBounded() throws {
        let server = try startServer { $0.connectionLimitPerClient = 2 }
        defer { server.stop() }
        let port = server.boundPort
        // Each answered once and kept open: both are accepted and counted
        // before the third comes (the server's threads accept in any order).
        var held = [try RawHTTPConnection(port: port), try RawHTTPConnection(port: port)]
        for connection in held {
            try connection.sendRequest("GET", "/v1/assets/a")
            #expect(try connection.receiveResponse().status == 200)
        }
        let third = try RawHTTPConnection(port: port, receiveTimeoutSeconds: 5)
        #expect(throws: (any Error).self) {
            try third.sendRequest("GET", "/v1/assets/a")
            _ = try third.receiveResponse()
        }
        held.removeFirst()
        // The kernel has the closed socket's slot back at once; the server
        // notices it on its next poll. A refused connection fails at once,
        // an accepted one is answered: the wait is bounded by time, not by
        // tries, and each answer may take long on a loaded machine (the
        // whole suite in parallel on two cores once took 19 s here).
        var answered = false
        let deadline = Date().addingTimeInterval(60)
        while !answered && Date() < deadline {
            let fresh = try RawHTTPConnection(port: port, receiveTimeoutSeconds: 20)
            answered = (try? { () throws -> Bool in
                try fresh.sendRequest("GET", "/v1/assets/b")
                return try fresh.receiveResponse().status == 200
            }()) ?? false
            if !answered { usleep(20_000) }
        }
        #expect(answered)
        _ = held
    }

    /// Two different Content-Length or Authorization fields are refused
    /// (400, JSON) instead of the first being used; the same one twice
    /// says one thing and passes.
    @Test(arguments: [
        ("Content-Length: 2\r\nContent-Length: 9\r\n", 400),
        ("Authorization: Bearer a\r\nAuthorization: Bearer b\r\n", 400),
        ("Content-Length: 2\r\nContent-Length: 2\r\n", 200),
        ("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", 400),
    ])
    func fieldsThatMustAppearOnce(fields: String, status: Int) throws {
        let server = try startServer()
        defer { server.stop() }
        let connection = try RawHTTPConnection(port: server.boundPort)
        let length = fields.contains("Content-Length") ? "" : "Content-Length: 2\r\n"
        try connection.send("PATCH /v1/assets/a HTTP/1.1\r\nHost: t\r\n\(fields)\(length)"
                            + "Content-Type: application/json\r\n\r\n{}")
        let response = try connection.receiveResponse()
        #expect(response.status == status)
        if status == 400 {
            #expect((try response.json()["error"] as? [String: Any])?["code"] as? String
                    == "bad_request")
        }
    }

    @Test func servesConcurrentRequests() async throws {
        let server = try startServer { $0.threadCount = 2 }
        defer { server.stop() }
        let port = server.boundPort
        let started = ContinuousClock.now
        let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await offPool {
                        let response = try rawRequest(port: port, "GET", "/sleep?ms=200")
                        return (response.status, "\(index) \(response.text)")
                    }
                }
            }
            var all: [(Int, String)] = []
            for try await result in group { all.append(result) }
            return all
        }
        let elapsed = ContinuousClock.now - started
        #expect(statuses.count == 40)
        #expect(statuses.allSatisfy { $0.0 == 200 && $0.1.hasSuffix("slept 200") })
        // 40 handlers of 200 ms on 2 network threads: far less than 40 × 200 ms,
        // because a sleeping handler holds no network thread.
        #expect(elapsed < .seconds(3))
    }

    @Test func keepsConnectionsAlive() async throws {
        let server = try startServer()
        defer { server.stop() }
        let port = server.boundPort
        let statuses = try await offPool {
            let connection = try RawHTTPConnection(port: port)
            return try (0..<5).map { index in
                try connection.sendRequest("GET", "/v1/assets/\(index)")
                return try connection.receiveResponse().status
            }
        }
        #expect(statuses == [200, 200, 200, 200, 200])
    }

    @Test func stopsGracefullyWithARequestInFlight() async throws {
        let log = AccessLogCollector()
        let entered = Mutex(false)
        let finished = Mutex<ContinuousClock.Instant?>(nil)
        let server = try startServer({ $0.accessLog = log.append },
                                     handler: HTTPClosureHandler { _ in
            entered.withLock { $0 = true }
            try? await Task.sleep(for: .milliseconds(500))
            finished.withLock { $0 = ContinuousClock.now }
            var response = HTTPResponse.text("finished")
            response.routeTemplate = "/slow"
            return response
        })
        let port = server.boundPort
        async let inFlight = offPool { try rawRequest(port: port, "GET", "/slow") }
        // Stop once the handler is running.
        while !entered.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        let stopReturned = try await offPool { () -> ContinuousClock.Instant in
            server.stop()
            return ContinuousClock.now
        }
        let response = try await inFlight
        #expect(response.status == 200)
        #expect(response.text == "finished")
        // stop() returned only after the in-flight handler had finished.
        let handlerFinished = try #require(finished.withLock { $0 })
        #expect(stopReturned >= handlerFinished)
        #expect(log.all.contains { $0.route == "/slow" && $0.termination == .completed })
        #expect(throws: (any Error).self) { try RawHTTPConnection(port: port) }
        server.stop() // a second stop does nothing
    }

    @Test func refusesNewRequestsWhileStopping() async throws {
        let entered = Mutex(false)
        let server = try startServer(handler: HTTPClosureHandler { request in
            if request.path == "/slow" {
                entered.withLock { $0 = true }
                try? await Task.sleep(for: .milliseconds(1_200))
            }
            return .text("ok")
        })
        let port = server.boundPort
        let kept = try RawHTTPConnection(port: port)
        let first = try await offPool { () -> Int in
            try kept.sendRequest("GET", "/fast")
            return try kept.receiveResponse().status
        }
        #expect(first == 200)
        async let slow = offPool { try rawRequest(port: port, "GET", "/slow") }
        while !entered.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        async let stopping: Void = offPool { server.stop() }
        try await Task.sleep(for: .milliseconds(100))
        // The kept-alive connection asks again while the server drains.
        let during = try await offPool { () -> RawHTTPConnection.Response in
            try kept.sendRequest("GET", "/fast")
            return try kept.receiveResponse()
        }
        #expect(during.status == 503)
        #expect(during.headers["connection"]?.lowercased() == "close")
        #expect(during.text.contains(#""code":"service_unavailable""#))
        // A new connection is refused at once: it was taken into the
        // kernel's backlog and hung, unanswered, until the drain ended.
        let refusedAt = ContinuousClock.now
        let fresh = try await offPool { () -> Bool in
            do {
                let connection = try RawHTTPConnection(port: port)
                try connection.sendRequest("GET", "/fast")
                _ = try connection.receiveResponse()
                return true
            } catch {
                return false
            }
        }
        #expect(!fresh)
        #expect(ContinuousClock.now - refusedAt < .milliseconds(600))
        #expect(try await slow.status == 200)
        try await stopping
    }

    /// libmicrohttpd 0.9.75 on epoll aborted the process now and then when
    /// a stop's quiesce raced a pool thread (twice in CI runs); on epoll this
    /// loop hit it within a second or two. It passes only while the server
    /// stays off that path. (The race needs a thread pool: two threads or
    /// more.)
    @Test func startsAndStopsManyTimesWithoutAborting() async throws {
        for round in 0..<3_000 {
            let server = try startServer { $0.threadCount = round % 2 + 2 }
            if round.isMultiple(of: 2) {
                let port = server.boundPort
                let response = try await offPool { try rawRequest(port: port, "GET", "/v1/atoms") }
                #expect(response.status == 200)
            }
            server.stop()
        }
    }

    @Test func timesOutASlowClientWhileServingOthers() async throws {
        let log = AccessLogCollector()
        let server = try startServer {
            $0.connectionTimeoutSeconds = 1
            $0.threadCount = 1
            $0.accessLog = log.append
        }
        defer { server.stop() }
        let port = server.boundPort
        let (closed, othersServed, waited) = try await offPool {
            let started = ContinuousClock.now
            let slow = try RawHTTPConnection(port: port)
            try slow.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
            let slower = try RawHTTPConnection(port: port)
            try slower.send("GET /v1/atoms HTTP/1.1\r\nHost: x\r\nX-Half")
            // The one network thread keeps serving other clients meanwhile.
            var served = 0
            for _ in 0..<10 where try rawRequest(port: port, "GET", "/v1/atoms").status == 200 {
                served += 1
            }
            let closed = slow.isClosedByPeer() && slower.isClosedByPeer()
            return (closed, served, ContinuousClock.now - started)
        }
        #expect(closed)
        #expect(othersServed == 10)
        #expect(waited < .seconds(5))
        let record = try #require(await log.waitFor { $0.termination == .timedOut })
        #expect(record.status == 0)
        #expect(record.requestBytes == 2)
    }

    @Test func pickingAPortAndRefusingBadSettings() throws {
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: .init(host: "example.org", port: 0),
                           handler: makeEchoRouter())
        }
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: .init(port: 70000), handler: makeEchoRouter())
        }
        let first = try startServer()
        defer { first.stop() }
        // The port is taken: a second server cannot bind it.
        do {
            _ = try HTTPServer(configuration: .init(port: first.boundPort),
                               handler: makeEchoRouter())
            Issue.record("binding a taken port succeeded")
        } catch {
            #expect(error.code == .addressUnavailable)
        }
        #expect(throws: HTTPServerError.self) { try first.start() }
    }

    @Test func listensOnIPv6Loopback() async throws {
        let server = try startServer { $0.host = "::1" }
        defer { server.stop() }
        let port = server.boundPort
        let response = try await offPool {
            let connection = try RawHTTPConnection(port: port, ipv6: true)
            try connection.sendRequest("GET", "/v1/atoms")
            return try connection.receiveResponse()
        }
        let echo = try response.json()
        #expect((echo["remoteAddress"] as? String)?.hasPrefix("[::1]:") == true)
    }
}
