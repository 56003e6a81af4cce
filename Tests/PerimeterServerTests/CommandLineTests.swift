import Foundation
import PerimeterTestSupport
import Testing

/// `perimeter tokens`, `serve` and the editing commands, run as an
/// operator runs them.
@Suite(.serialized)
struct CommandLineTests {
    static let executable = PerimeterExecutable.locate()

    /// A mistyped --db is refused, named, with what makes a store: the
    /// server made a new, empty one and refused every token as unknown.
    @Test(.enabled(if: executable != nil))
    func serveRefusesAStoreThatIsNotThere() throws {
        let perimeter = try #require(Self.executable)
        let directory = URL(fileURLWithPath: TestServer.makeStorePath()).deletingLastPathComponent()
        let missing = directory.appendingPathComponent("nope.db").path
        let result = try perimeter.run(["serve", "--listen", "127.0.0.1:0", "--db", missing])
        #expect(result.status == 2)
        #expect(result.standardError.contains("no store at '\(missing)'"), "\(result.standardError)")
        #expect(result.standardError.contains("perimeter tokens create --db \(missing)"))
        #expect(!FileManager.default.fileExists(atPath: missing))
        // An empty file is no store either, and says the same.
        #expect(FileManager.default.createFile(atPath: missing, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: missing) }
        let empty = try perimeter.run(["serve", "--listen", "127.0.0.1:0", "--db", missing])
        #expect(empty.status == 2)
        #expect(empty.standardError.contains("the file is empty ('perimeter tokens create"),
                "\(empty.standardError)")
    }

    @Test(.enabled(if: executable != nil))
    func tokensServeAndEditFromTheTerminal() async throws {
        let perimeter = try #require(Self.executable)
        let directory = URL(fileURLWithPath: TestServer.makeStorePath()).deletingLastPathComponent()
        let db = ["--db", directory.appendingPathComponent("cli.db").path]

        // The token alone on standard output, so that scripts capture it.
        let created = try perimeter.run(["tokens", "create", "--community", "acme",
                                         "--role", "admin", "--name", "ops"] + db)
        #expect(created.status == 0)
        let token = created.outputLines.first ?? ""
        #expect(created.outputLines.count == 1 && token.hasPrefix("pmt_") && token.count == 56)
        let refused = try perimeter.run(["tokens", "create", "--role", "admin"] + db)
        #expect(refused.status == 2)
        // Born expired: refused, as the API refuses it, and nothing printed.
        let expired = try perimeter.run(["tokens", "create", "--community", "acme", "--role",
                                         "reader", "--expires", "2020-01-01T00:00:00Z"] + db)
        #expect(expired.status == 2)
        #expect(expired.outputText.isEmpty)
        #expect(expired.standardError.contains("'--expires' is in the past"))
        // A name is one line of the audit trail and of every table.
        let broken = try perimeter.run(["tokens", "create", "--community", "acme", "--role",
                                        "reader", "--name", "ops\nroot"] + db)
        #expect(broken.status == 2)
        #expect(broken.standardError.contains("'--name' must not hold control characters"))

        let asset = try perimeter.run(["assets", "create", "--community", "acme", "--category",
                                       "host", "--name", "DC-01", "--atom", "hostname=dc-01"] + db)
        #expect(asset.status == 0)
        let updated = try perimeter.run(["assets", "update", "DC-01", "--community", "acme",
                                         "--criticality", "95", "--add-tag", "crown"] + db)
        #expect(updated.status == 0, "\(updated.standardError)")
        let bulk = try perimeter.run(["assets", "bulk", "--community", "acme", "--action",
                                      "set_reviewed", "--reviewed", "true", "--filter",
                                      "{\"category\": \"host\"}"] + db)
        #expect(bulk.status == 0, "\(bulk.standardError)")
        #expect(bulk.outputText.contains("1 of 1 asset changed"))
        // A filter that is no object is refused: a list read as no filter
        // changed every asset.
        for filter in [#"[{"tag": ["nosuch"]}]"#, "[]"] {
            let listed = try perimeter.run(["assets", "bulk", "--community", "acme", "--action",
                                            "add_tags", "--tag", "x", "--filter", filter] + db)
            #expect(listed.status == 2)
            #expect(listed.standardError.contains("'--filter' must be a JSON object"),
                    "\(listed.standardError)")
        }
        // Unrevoking by a filter reads the revoked assets, as the API's does
        // (the list's default left them out: "0 of 0 assets changed").
        #expect(try perimeter.run(["assets", "revoke", "DC-01", "--community", "acme"] + db)
            .status == 0)
        let unrevoked = try perimeter.run(["assets", "bulk", "--community", "acme", "--action",
                                           "unrevoke", "--filter", "{}"] + db)
        #expect(unrevoked.outputText.contains("1 of 1 asset changed"), "\(unrevoked.outputText)")
        // An action without the option it needs is told by the option's name.
        let bare = try perimeter.run(["assets", "bulk", "--community", "acme", "--action",
                                      "set_criticality", "--filter", "{}"] + db)
        #expect(bare.status == 2)
        #expect(bare.standardError.contains(
            "'--action set_criticality' needs '--criticality 0-100|none'"), "\(bare.standardError)")
        let rejected = try perimeter.run(["atoms", "reject", "DC-01", "mac=00:11:22:33:44:55",
                                          "--community", "acme"] + db)
        #expect(rejected.status == 0, "\(rejected.standardError)")
        let define = try perimeter.run(["properties", "define", "rack", "--category", "host",
                                        "--type", "string", "--community", "acme"] + db)
        #expect(define.status == 0)
        let audit = try perimeter.run(["audit", "--asset", "DC-01", "--community", "acme",
                                       "--json"] + db)
        let actions = audit.outputLines.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["action"]
                as? String
        }
        #expect(actions == ["create", "update", "bulk:set_reviewed", "revoke", "bulk:unrevoke",
                            "reject_atom"])
        // The trail names the atom rejected, not only its type.
        let rejection = audit.outputLines.last.flatMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(rejection?["after"] as? [String: String]
                == ["atom": "mac", "value": "00:11:22:33:44:55", "held": "rejected"],
                "\(String(describing: rejection))")

        // The server sees what the terminal did, and stops on SIGTERM.
        let process = try perimeter.launch(["serve", "--listen", "127.0.0.1:0", "--quiet"] + db)
        defer { if process.isRunning { process.terminate() } }
        try await Task.sleep(for: .seconds(2))
        #expect(process.isRunning)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let list = try perimeter.run(["tokens", "list", "--community", "acme"] + db)
        #expect(!list.outputText.contains(token), "tokens list never shows a secret")
    }

    /// The first SIGTERM drains the requests in flight; a second quits at
    /// once (it was ignored, and a drain held by a long request could only
    /// be ended by SIGKILL), and the store opens whole after it.
    @Test(.enabled(if: executable != nil))
    func aSecondSignalStopsTheServerAtOnce() async throws {
        let perimeter = try #require(Self.executable)
        let directory = URL(fileURLWithPath: TestServer.makeStorePath()).deletingLastPathComponent()
        let db = ["--db", directory.appendingPathComponent("drain.db").path]
        let token = try perimeter.run(["tokens", "create", "--community", "acme", "--role",
                                       "admin", "--name", "ops"] + db)
            .outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try Self.freeLoopbackPort()
        let process = try perimeter.launch(["serve", "--listen", "127.0.0.1:\(port)"] + db)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var started = false
        for _ in 0..<200 where !started {
            started = (try? rawRequest(port: port, "GET", "/healthz").status) == 200
            if !started { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(started)
        // An intake long enough to be in flight when the signals come.
        let body = (0..<140_000).map { index in
            "{\"@timestamp\":\"2026-03-02T08:00:00Z\",\"host\":{\"name\":\"h-\(index)\"}}"
        }.joined(separator: "\n")
        let intake = Task.detached {
            try? rawRequest(port: port, "POST", "/v1/events",
                            headers: ["Authorization": "Bearer \(token)"], body: Array(body.utf8))
        }
        try await Task.sleep(for: .milliseconds(1_500))
        kill(process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        try #require(process.isRunning, "the intake was over before the first signal")
        let second = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning && ContinuousClock.now - second < .seconds(10) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!process.isRunning)
        #expect(ContinuousClock.now - second < .seconds(3))
        #expect(process.terminationStatus == 128 + SIGTERM)
        _ = await intake.value
        let listed = try perimeter.run(["assets", "list", "--community", "acme", "--limit", "1"]
                                       + db)
        #expect(listed.status == 0, "\(listed.standardError)")
    }

    /// A port the kernel gives and takes back: free on loopback for the
    /// moment the test needs it.
    static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0
                    && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
