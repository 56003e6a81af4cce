import PerimeterTestSupport
import Foundation
import PerimeterHTTP
import PerimeterIngest
import PerimeterServer
import PerimeterStore
import Testing

/// A Perimeter server on a free loopback port over a fresh store, with
/// tokens of every role in two communities, `acme` and `globex`.
final class TestServer: Sendable {
    let server: PerimeterAPIServer
    let storePath: String
    /// Secrets by `community/role`, plus `expired`, `revoked` and `operator`.
    let tokens: [String: String]
    var port: Int { server.port }

    static let communities = ["acme", "globex"]

    static func makeStorePath() -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-server-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        RemovedAtExit.register(directory)
        return directory.appendingPathComponent("store.db").path
    }

    /// Issues the tokens into the store at `path` (once per store).
    static func issueTokens(at path: String) throws -> [String: String] {
        let store = try InventoryStore(path: path)
        var tokens: [String: String] = [:]
        for community in communities {
            for role in [APIRole.admin, .analyst, .reader, .ingest] {
                tokens["\(community)/\(role.rawValue)"] = try APITokenIssuer.issue(
                    in: store, name: "\(community)-\(role.rawValue)", community: community,
                    role: role, expiresAt: nil).secret
            }
        }
        tokens["expired"] = try APITokenIssuer.issue(
            in: store, name: "old", community: "acme", role: .admin,
            expiresAt: Date(timeIntervalSinceNow: -60)).secret
        let (revoked, record) = try APITokenIssuer.issue(
            in: store, name: "gone", community: "acme", role: .admin, expiresAt: nil)
        try store.revokeToken(id: record.id, community: nil, at: Date())
        tokens["revoked"] = revoked
        tokens["operator"] = try APITokenIssuer.issue(
            in: store, name: "prometheus", community: nil, role: .operator, expiresAt: nil).secret
        return tokens
    }

    init(storePath: String, tokens: [String: String],
         tweak: (inout PerimeterServerOptions) -> Void = { _ in }) async throws {
        var http = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        http.threadCount = 2
        var options = PerimeterServerOptions(storePath: storePath, configuration: .init(),
                                             http: http)
        tweak(&options)
        server = try PerimeterAPIServer(options: options)
        self.storePath = storePath
        self.tokens = tokens
        try await server.start()
    }

    static func start(tweak: (inout PerimeterServerOptions) -> Void = { _ in })
        async throws -> TestServer {
        let path = makeStorePath()
        let tokens = try issueTokens(at: path)
        return try await TestServer(storePath: path, tokens: tokens, tweak: tweak)
    }

    func stop() async { await server.stop() }

    /// One request as `token` (a key of `tokens`, or nil for none).
    func call(_ method: String, _ target: String, as token: String? = nil, json: Any? = nil,
              body: [UInt8]? = nil, headers: [String: String] = [:]) async throws
        -> RawHTTPConnection.Response {
        var allHeaders = headers
        if let token {
            allHeaders["Authorization"] = "Bearer \(tokens[token] ?? token)"
        }
        var bytes = body ?? []
        if let json {
            bytes = [UInt8](try JSONSerialization.data(withJSONObject: json))
            allHeaders["Content-Type"] = "application/json"
        }
        let port = port
        let sent = bytes
        let sentHeaders = allHeaders
        return try await offPool {
            try rawRequest(port: port, method, target, headers: sentHeaders, body: sent)
        }
    }

    /// `POST /v1/import` of JSON lines, one object a line.
    func importLines(_ lines: [String], as token: String = "acme/analyst") async throws
        -> RawHTTPConnection.Response {
        try await call("POST", "/v1/import?format=jsonl", as: token,
                       body: Array((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// Creates an asset as `token` and returns its uuid.
    @discardableResult
    func createAsset(_ fields: [String: Any], as token: String) async throws -> String {
        let response = try await call("POST", "/v1/assets", as: token, json: fields)
        #expect(response.status == 201, "create: \(response.text)")
        return try response.json()["uuid"] as? String ?? ""
    }
}

/// The shared test corpus (`../shared/corpus` from the package root).
enum Corpus {
    static var root: URL {
        if let path = ProcessInfo.processInfo.environment["PERIMETER_CORPUS"] {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus")
    }

    static func ecs(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent("ecs/\(name).ndjson")))
    }
}

/// Writes many assets straight into a store, for the large-job tests and
/// the benchmark (much faster than creating them one by one).
enum StoreSeeder {
    static func seed(path: String, community: String, count: Int, prefix: String = "seed",
                     categories: [String] = ["host", "account", "network"]) throws -> [String] {
        let store = try InventoryStore(path: path)
        var ids: [String] = []
        ids.reserveCapacity(count)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try store.database.transaction {
            let insert = try store.database.statement("""
                INSERT INTO assets (uuid, community, entity, name, category, criticality, tags,
                    reviewed, source, description, properties, created_at, updated_at, revoked)
                VALUES (?1, ?2, '', ?3, ?4, ?5, '[]', 0, 'manual', '', '{}', ?6, ?6, 0)
                """)
            for index in 0..<count {
                let id = UUID().uuidString.lowercased()
                ids.append(id)
                try insert.run([.text(id), .text(community), .text("\(prefix)-\(index)"),
                                .text(categories[index % categories.count]),
                                index % 4 == 0 ? .null : .integer(Int64(index % 101)),
                                .integer(now + Int64(index))])
            }
        }
        return ids
    }
}
