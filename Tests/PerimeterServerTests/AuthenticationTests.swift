import PerimeterTestSupport
import Foundation
import Synchronization
import Testing

/// Tokens and roles: who may call what, and how refusals answer.
@Suite(.serialized)
struct AuthenticationTests {
    struct Case: Sendable, CustomStringConvertible {
        var token: String?
        var method: String
        var target: String
        var json: [String: String]? = nil
        var status: Int
        var code: String? = nil

        var description: String { "\(token ?? "none") \(method) \(target) → \(status)" }
    }

    /// Worked out from the brief: readers read; ingest tokens send events;
    /// analysts change assets; admins also manage tokens, properties and
    /// rules; operator tokens read metrics only.
    static let cases: [Case] = [
        Case(token: nil, method: "GET", target: "/healthz", status: 200),
        Case(token: nil, method: "GET", target: "/v1/assets", status: 401, code: "unauthorized"),
        Case(token: "pmt_garbage", method: "GET", target: "/v1/assets", status: 401,
             code: "invalid_token"),
        Case(token: "pmt_" + String(repeating: "a", count: 52), method: "GET",
             target: "/v1/assets", status: 401, code: "invalid_token"),
        Case(token: "expired", method: "GET", target: "/v1/assets", status: 401,
             code: "token_expired"),
        Case(token: "revoked", method: "GET", target: "/v1/assets", status: 401,
             code: "token_revoked"),
        Case(token: "acme/reader", method: "GET", target: "/v1/assets", status: 200),
        Case(token: "acme/reader", method: "POST", target: "/v1/assets",
             json: ["name": "x", "category": "host"], status: 403, code: "forbidden"),
        Case(token: "acme/reader", method: "POST", target: "/v1/events", status: 403,
             code: "forbidden"),
        Case(token: "acme/ingest", method: "GET", target: "/v1/assets", status: 403,
             code: "forbidden"),
        Case(token: "acme/ingest", method: "POST", target: "/v1/events", status: 200),
        Case(token: "acme/analyst", method: "POST", target: "/v1/assets",
             json: ["name": "x", "category": "host"], status: 201),
        Case(token: "acme/analyst", method: "POST", target: "/v1/properties",
             json: ["name": "rack", "type": "string", "category": "host"], status: 403,
             code: "forbidden"),
        Case(token: "acme/analyst", method: "GET", target: "/v1/tokens", status: 403,
             code: "forbidden"),
        Case(token: "acme/analyst", method: "PATCH", target: "/v1/discovery-rules",
             json: ["unique_hosts": "x"], status: 403, code: "forbidden"),
        Case(token: "acme/admin", method: "POST", target: "/v1/properties",
             json: ["name": "rack", "type": "string", "category": "host"], status: 201),
        Case(token: "acme/admin", method: "GET", target: "/v1/tokens", status: 200),
        Case(token: "acme/admin", method: "GET", target: "/metrics", status: 403,
             code: "forbidden"),
        Case(token: "operator", method: "GET", target: "/v1/assets", status: 403,
             code: "forbidden"),
        Case(token: "operator", method: "POST", target: "/v1/events", status: 403,
             code: "forbidden"),
        Case(token: "operator", method: "GET", target: "/metrics", status: 200),
    ]

    @Test func rolesAndTokens() async throws {
        let server = try await TestServer.start()
        for item in Self.cases {
            let response = try await server.call(item.method, item.target, as: item.token,
                                                 json: item.json)
            #expect(response.status == item.status, "\(item): \(response.text.prefix(200))")
            if let code = item.code {
                let error = try response.json()["error"] as? [String: Any]
                #expect(error?["code"] as? String == code, "\(item)")
                #expect(error?["message"] is String && error?["details"] is [String: Any])
            }
            if item.status == 401 {
                #expect(response.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            }
        }
        // The hint survives the scrubbing of quoted values from errors.
        let missing = try await server.call("GET", "/v1/assets")
        #expect((try missing.json()["error"] as? [String: Any])?["message"] as? String
                    == "not authenticated: the Authorization header is missing (expected Bearer "
                        + "and the token)")
        await server.stop()
    }

    /// A request that may not run its route is answered from its headers:
    /// no `100 Continue` invites its body, and a gzip body is not
    /// decompressed (a bomb without a token is a 401, not the 413 of its
    /// decoded size). Before, anyone could make the server read and gunzip
    /// 64 MiB per request before the 401.
    @Test func refusalsComeBeforeTheBody() async throws {
        let server = try await TestServer.start()
        let port = server.port
        let tokens = [nil, server.tokens["acme/reader"], server.tokens["acme/ingest"]]
        let statuses = try await offPool { () -> [Int] in
            try tokens.map { token in
                let connection = try RawHTTPConnection(port: port, receiveTimeoutSeconds: 10)
                var headers = ["Content-Type": "application/x-ndjson",
                               "Content-Length": "10000000", "Expect": "100-continue"]
                if let token { headers["Authorization"] = "Bearer \(token)" }
                try connection.sendRequest("POST", "/v1/events", headers: headers)
                return try connection.receiveResponse().status
            }
        }
        #expect(statuses == [401, 403, 100])
        // 64 MiB and one byte of empty lines, 65 KB gzipped: over the limit
        // of a decoded body.
        let bomb = try gzipped([UInt8](repeating: 10, count: (64 << 20) + 1))
        let gzip = ["Content-Encoding": "gzip", "Content-Type": "application/x-ndjson"]
        for (token, status) in [(nil, 401), ("acme/reader", 403), ("acme/ingest", 413)] {
            let response = try await server.call("POST", "/v1/events", as: token, body: bomb,
                                                 headers: gzip)
            #expect(response.status == status, "\(token ?? "none")")
        }
        // Unknown routes and methods are answered from the head as well.
        #expect(try await server.call("POST", "/v1/nothing", body: bomb, headers: gzip).status
                    == 404)
        await server.stop()
    }

    @Test func tokensCreatedAndRevokedOverTheAPIWorkAtOnce() async throws {
        let log = Mutex<[String]>([])
        let server = try await TestServer.start { options in
            options.log = { line in log.withLock { $0.append(line) } }
        }
        let created = try await server.call("POST", "/v1/tokens", as: "acme/admin",
                                            json: ["name": "script", "role": "reader"])
        #expect(created.status == 201)
        // The one answer that carries the secret, and every other, is kept
        // by no cache between the caller and the server.
        #expect(created.headers["cache-control"] == "no-store")
        #expect(created.headers["x-content-type-options"] == "nosniff")
        let listing = try await server.call("GET", "/v1/assets", as: "acme/admin")
        #expect(listing.headers["cache-control"] == "no-store")
        let refusal = try await server.call("GET", "/v1/assets")
        #expect(refusal.status == 401 && refusal.headers["cache-control"] == "no-store")
        for name in ["", "line\nbreak", "tab\there", "esc\u{1B}[31m"] {
            let refused = try await server.call("POST", "/v1/tokens", as: "acme/admin",
                                                json: ["name": name, "role": "reader"])
            #expect(refused.status == 422, "\(name.debugDescription)")
        }
        let body = try created.json()
        let secret = try #require(body["token"] as? String)
        let id = try #require(body["id"] as? String)
        #expect(try await server.call("GET", "/v1/assets", as: secret).status == 200)

        // Listing never shows a secret.
        let list = try await server.call("GET", "/v1/tokens", as: "acme/admin")
        #expect(!list.text.contains(secret))

        #expect(try await server.call("POST", "/v1/tokens/\(id)/revoke",
                                      as: "acme/admin").status == 200)
        let refused = try await server.call("GET", "/v1/assets", as: secret)
        #expect(refused.status == 401)
        #expect((try refused.json()["error"] as? [String: Any])?["code"] as? String
                == "token_revoked")
        // Who gave and took access is in the server's log, the secret never.
        let lines = log.withLock { $0 }
        #expect(lines.contains("token created community=acme id=\(id) name=script role=reader "
                               + "actor=token:acme-admin"), "\(lines)")
        #expect(lines.contains("token revoked community=acme id=\(id) name=script "
                               + "actor=token:acme-admin"), "\(lines)")
        // Revoked again: the same answer, no second line.
        #expect(try await server.call("POST", "/v1/tokens/\(id)/revoke", as: "acme/admin").status
                    == 200)
        #expect(log.withLock { $0 }.filter { $0.hasPrefix("token revoked") }.count == 1)
        #expect(!lines.joined().contains(secret))
        await server.stop()
    }

    /// A misspelt field is refused, not dropped: `expires` for
    /// `expires_at` made a token that never expires. The same holds for
    /// the other routes that read a JSON object of named fields.
    @Test func unknownFieldsAreRefused() async throws {
        let server = try await TestServer.start()
        let asset = try await server.createAsset(["name": "u1", "category": "host"],
                                                 as: "acme/admin")
        let cases: [(path: String, body: [String: Any], field: String)] = [
            ("/v1/tokens", ["name": "t", "role": "reader", "expires": "2000-01-01T00:00:00Z"],
             "expires"),
            ("/v1/tokens", ["name": "t", "role": "reader", "community": "globex"], "community"),
            // A time that is no time, or one already past: no token that
            // never expires, none that never works.
            ("/v1/tokens", ["name": "t", "role": "reader", "expires_at": 12_345], "expires_at"),
            ("/v1/tokens", ["name": "t", "role": "reader", "expires_at": "2000-01-01T00:00:00Z"],
             "expires_at"),
            ("/v1/bulk", ["action": "revoke", "ids": [asset], "dry": true], "dry"),
            ("/v1/assets/\(asset)/atoms/confirm", ["type": "fqdn", "value": "u1.example.org",
                                                   "kind": "observed"], "kind"),
        ]
        for (path, body, field) in cases {
            let answer = try await server.call("POST", path, as: "acme/admin", json: body)
            #expect(answer.status == 422, "\(path) \(field)")
            let error = try answer.json()["error"] as? [String: Any]
            #expect((error?["details"] as? [String: Any])?["field"] as? String == field)
        }
        // Nothing was made: no token beside the test's own, the asset kept.
        let tokens = try await server.call("GET", "/v1/tokens", as: "acme/admin").json()
        #expect((tokens["tokens"] as? [[String: Any]])?.contains { $0["name"] as? String == "t" }
                == false)
        await server.stop()
    }

    @Test func metricsCarryNoCommunity() async throws {
        let server = try await TestServer.start()
        try await server.createAsset(["name": "m1", "category": "host"], as: "acme/admin")
        try await server.createAsset(["name": "m2", "category": "account"], as: "globex/admin")
        _ = try await server.call("GET", "/v1/assets", as: "acme/reader")
        let metrics = try await server.call("GET", "/metrics", as: "operator")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        let text = metrics.text
        #expect(text.contains("perimeter_assets{category=\"host\"} 1"))
        #expect(text.contains("perimeter_assets{category=\"account\"} 1"))
        #expect(text.contains("perimeter_http_requests_total{method=\"GET\",route=\"/v1/assets\","
                              + "status=\"200\"} 1"))
        #expect(text.contains("perimeter_http_request_duration_seconds_count"))
        #expect(!text.contains("acme") && !text.contains("globex") && !text.contains("community"))
        await server.stop()
    }
}
