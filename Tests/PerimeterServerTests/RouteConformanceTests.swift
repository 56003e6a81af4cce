import PerimeterTestSupport
import Foundation
import Testing

/// Walks every route of `/openapi.json`: each answers in its documented
/// status and shape, and none lets another community read, count or
/// change acme's data.
@Suite(.serialized)
struct RouteConformanceTests {
    /// Acme's data the other community must never see.
    struct AcmeData {
        var asset: String
        var job: String
        var tokenID: String
        var alert: Int
        let secretName = "acme-secret-host"
        let secretAddress = "10.1.2.3"
    }

    /// A sample request per documented route.
    struct Sample {
        var target: String
        var token: String
        var json: Any? = nil
        var body: [UInt8]? = nil
        var headers: [String: String] = [:]
    }

    static func event(host: String, address: String) -> String {
        "{\"@timestamp\":\"2026-01-05T10:00:00Z\",\"host\":{\"name\":\"\(host)\","
            + "\"ip\":[\"\(address)\"]},\"event\":{\"kind\":\"event\"}}\n"
    }

    /// The request each documented route gets, as `community`'s tokens,
    /// aimed at acme's ids (so that for globex they are another's).
    static func samples(_ community: String, _ acme: AcmeData) -> [String: Sample] {
        let admin = "\(community)/admin"
        let a = acme.asset
        return [
            "GET /healthz": Sample(target: "/healthz", token: admin),
            "GET /openapi.json": Sample(target: "/openapi.json", token: admin),
            "GET /metrics": Sample(target: "/metrics", token: "operator"),
            "GET /v1/assets": Sample(target: "/v1/assets?category=host&limit=10", token: admin),
            "POST /v1/assets": Sample(target: "/v1/assets", token: admin, json: [
                "name": "new-\(community)", "category": "host",
                "atoms": ["hostname": ["\(community)-new-host"]],
            ]),
            "GET /v1/assets/{uuid}": Sample(target: "/v1/assets/\(a)", token: admin),
            "PATCH /v1/assets/{uuid}": Sample(target: "/v1/assets/\(a)", token: admin,
                                              json: ["description": "changed by \(community)"]),
            "POST /v1/assets/{uuid}/revoke": Sample(target: "/v1/assets/\(a)/revoke",
                                                    token: admin),
            "POST /v1/assets/{uuid}/unrevoke": Sample(target: "/v1/assets/\(a)/unrevoke",
                                                      token: admin),
            "GET /v1/assets/{uuid}/history": Sample(target: "/v1/assets/\(a)/history",
                                                    token: admin),
            "POST /v1/assets/{uuid}/atoms/confirm": Sample(
                target: "/v1/assets/\(a)/atoms/confirm", token: admin,
                json: ["type": "hostname", "value": acme.secretName]),
            "POST /v1/assets/{uuid}/atoms/reject": Sample(
                target: "/v1/assets/\(a)/atoms/reject", token: admin,
                json: ["type": "mac", "value": "00:11:22:33:44:55"]),
            "GET /v1/atoms": Sample(target: "/v1/atoms?value=\(acme.secretName)", token: admin),
            "GET /v1/audit": Sample(target: "/v1/audit", token: admin),
            "GET /v1/properties": Sample(target: "/v1/properties", token: admin),
            "POST /v1/properties": Sample(target: "/v1/properties", token: admin,
                                          json: ["name": "rack", "type": "string",
                                                 "category": "host"]),
            "PATCH /v1/properties/{category}/{name}": Sample(
                target: "/v1/properties/host/cost_center", token: admin,
                json: ["name": "cost_centre"]),
            "DELETE /v1/properties/{category}/{name}": Sample(
                target: "/v1/properties/host/cost_centre", token: admin),
            "GET /v1/discovery-rules": Sample(target: "/v1/discovery-rules", token: admin),
            "PATCH /v1/discovery-rules": Sample(target: "/v1/discovery-rules", token: admin,
                                                json: ["unique_accounts": true]),
            "POST /v1/import": Sample(target: "/v1/import", token: admin,
                                      body: Array("name,category\nimported-\(community),host\n".utf8),
                                      headers: ["Content-Type": "text/csv"]),
            "GET /v1/export": Sample(target: "/v1/export?format=jsonl", token: admin),
            "POST /v1/bulk": Sample(target: "/v1/bulk", token: admin,
                                    json: ["action": "add_tags", "tags": ["swept"], "ids": [a]]),
            "GET /v1/jobs": Sample(target: "/v1/jobs?status=succeeded", token: admin),
            "GET /v1/jobs/{id}": Sample(target: "/v1/jobs/\(acme.job)", token: admin),
            "GET /v1/alerts": Sample(target: "/v1/alerts?status=open&min_urgency=50",
                                     token: admin),
            "GET /v1/alerts/{id}": Sample(target: "/v1/alerts/\(acme.alert)", token: admin),
            "GET /v1/suppressions": Sample(target: "/v1/suppressions", token: admin),
            "GET /v1/conflicts": Sample(target: "/v1/conflicts?limit=10", token: admin),
            "POST /v1/alerts/{id}/close": Sample(target: "/v1/alerts/\(acme.alert)/close",
                                                 token: admin, json: ["reason": "checked"]),
            "POST /v1/events": Sample(
                target: "/v1/events?return=enriched", token: admin,
                body: Array(event(host: "\(community)-event-host", address: "10.9.9.9").utf8),
                headers: ["Content-Type": "application/x-ndjson"]),
            // A dry run: the samples after it still find acme's asset.
            "POST /v1/forget": Sample(target: "/v1/forget", token: admin, json: [
                "type": "ipv4", "value": acme.secretAddress, "dry_run": true]),
            "GET /v1/tokens": Sample(target: "/v1/tokens", token: admin),
            "POST /v1/tokens": Sample(target: "/v1/tokens", token: admin,
                                      json: ["name": "script", "role": "reader"]),
            "POST /v1/tokens/{id}/revoke": Sample(target: "/v1/tokens/\(acme.tokenID)/revoke",
                                                  token: admin),
        ]
    }

    /// A server whose Sigma rule raises an alert on mallory's sign-in.
    static func startServer() async throws -> TestServer {
        let directory = try IntakeDetectionTests.ruleDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await TestServer.start { options in
            options.detection.rulePaths = [directory]
        }
    }

    /// Acme's asset (with a confirmed hostname and address), a custom
    /// property, a finished job, a spare token and an open alert.
    static func seedAcme(_ server: TestServer) async throws -> AcmeData {
        let asset = try await server.createAsset([
            "name": "acme-secret-host", "category": "host", "tags": ["crown"], "criticality": 90,
            "atoms": ["hostname": ["acme-secret-host"], "ipv4": ["10.1.2.3"]],
        ], as: "acme/admin")
        let property = try await server.call(
            "POST", "/v1/properties", as: "acme/admin",
            json: ["name": "cost_center", "type": "string", "category": "host"])
        #expect(property.status == 201)
        let job = try await server.call("POST", "/v1/bulk", as: "acme/analyst",
                                        json: ["action": "add_tags", "tags": ["x"], "ids": [asset]])
        let token = try await server.call("POST", "/v1/tokens", as: "acme/admin",
                                          json: ["name": "spare", "role": "reader"])
        let events = try await server.call(
            "POST", "/v1/events", as: "acme/admin",
            body: Array(IntakeDetectionTests.event(1, user: "mallory").utf8))
        #expect(try events.json()["alerts_opened"] as? Int == 1)
        let alerts = try await server.call("GET", "/v1/alerts", as: "acme/reader").json()
        let alert = (alerts["alerts"] as? [[String: Any]])?.first?["id"] as? Int
        return AcmeData(asset: asset, job: try job.json()["id"] as? String ?? "",
                        tokenID: try token.json()["id"] as? String ?? "", alert: alert ?? 0)
    }

    static func documentedRoutes(_ server: TestServer) async throws
        -> [(method: String, template: String, status: Int, schema: [String: Any])] {
        let response = try await server.call("GET", "/openapi.json")
        #expect(response.status == 200)
        let document = try response.json()
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        let components = (document["components"] as? [String: Any])?["schemas"]
            as? [String: [String: Any]] ?? [:]
        var routes: [(String, String, Int, [String: Any])] = []
        for (template, operations) in paths {
            for (method, value) in operations {
                let operation = value as? [String: Any] ?? [:]
                // Every query parameter says what it means and takes.
                for parameter in operation["parameters"] as? [[String: Any]] ?? []
                where parameter["in"] as? String == "query" {
                    #expect((parameter["description"] as? String)?.isEmpty == false,
                            "\(method) \(template): ?\(parameter["name"] ?? "") is undescribed")
                }
                let responses = operation["responses"] as? [String: Any] ?? [:]
                guard let success = responses.keys.compactMap(Int.init).filter({ $0 < 300 }).first,
                      let content = (responses[String(success)] as? [String: Any])?["content"]
                        as? [String: Any],
                      let media = content.values.first as? [String: Any],
                      let reference = (media["schema"] as? [String: Any])?["$ref"] as? String
                else {
                    Issue.record("\(method) \(template): no documented success response")
                    continue
                }
                let name = String(reference.split(separator: "/").last ?? "")
                routes.append((method.uppercased(), template, success, components[name] ?? [:]))
            }
        }
        return routes.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }

    /// The order requests run in: creations before the reads and removals
    /// that use them, revoke before unrevoke.
    static func ordered(_ routes: [(method: String, template: String, status: Int,
                                    schema: [String: Any])])
        -> [(method: String, template: String, status: Int, schema: [String: Any])] {
        let late = ["PATCH /v1/properties/{category}/{name}",
                    "DELETE /v1/properties/{category}/{name}",
                    "POST /v1/assets/{uuid}/unrevoke", "POST /v1/tokens/{id}/revoke"]
        return routes.filter { !late.contains("\($0.method) \($0.template)") }
            + late.compactMap { key in routes.first { "\($0.method) \($0.template)" == key } }
    }

    @Test func everyDocumentedRouteAnswersInItsDocumentedShape() async throws {
        let server = try await Self.startServer()
        let acme = try await Self.seedAcme(server)
        let samples = Self.samples("acme", acme)
        let routes = try await Self.documentedRoutes(server)
        #expect(routes.count == samples.count, "every route has a sample and vice versa")
        for route in Self.ordered(routes) {
            let key = "\(route.method) \(route.template)"
            guard let sample = samples[key] else {
                Issue.record("\(key) is documented but the test has no sample for it")
                continue
            }
            let response = try await server.call(route.method, sample.target, as: sample.token,
                                                 json: sample.json, body: sample.body,
                                                 headers: sample.headers)
            #expect(response.status == route.status, "\(key): \(response.text.prefix(300))")
            guard response.headers["content-type"]?.hasPrefix("application/json") == true else {
                #expect(route.schema["type"] as? String == "string", "\(key) is not JSON")
                continue
            }
            let body = try response.json()
            for field in route.schema["required"] as? [String] ?? [] {
                #expect(body[field] != nil, "\(key): the documented field '\(field)' is missing")
            }
        }
        await server.stop()
    }

    /// Every JSON body the document describes lists exactly the fields its
    /// handler takes: each route's sample holds documented fields only, and
    /// the sample with one field more is refused with the handler's own
    /// list of fields, which must be the documented one (request bodies
    /// were documented as any object).
    @Test func everyRequestBodyIsDocumentedFieldByField() async throws {
        let server = try await Self.startServer()
        let acme = try await Self.seedAcme(server)
        let samples = Self.samples("acme", acme)
        let document = try await server.call("GET", "/openapi.json").json()
        let paths = document["paths"] as? [String: [String: [String: Any]]] ?? [:]
        let schemas = (document["components"] as? [String: Any])?["schemas"]
            as? [String: [String: Any]] ?? [:]
        var checked = 0
        for (template, operations) in paths {
            for (method, operation) in operations {
                let content = (operation["requestBody"] as? [String: Any])?["content"]
                    as? [String: Any]
                guard let media = content?["application/json"] as? [String: Any] else { continue }
                let key = "\(method.uppercased()) \(template)"
                guard let reference = (media["schema"] as? [String: Any])?["$ref"] as? String,
                      let schema = schemas[String(reference.split(separator: "/").last ?? "")],
                      let sample = samples[key], let json = sample.json as? [String: Any]
                else {
                    Issue.record("\(key): a JSON body without a documented schema or a sample")
                    continue
                }
                let documented = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
                #expect(Set(json.keys).isSubset(of: documented), "\(key): \(json.keys.sorted())")
                var extra = json
                extra["zz_undocumented"] = true
                let refused = try await server.call(method.uppercased(), sample.target,
                                                    as: sample.token, json: extra)
                #expect(refused.status == 422, "\(key): \(refused.text.prefix(300))")
                let message = ((try? refused.json())?["error"] as? [String: Any])?["message"]
                    as? String ?? ""
                guard let start = message.range(of: "expected ") else {
                    Issue.record("\(key): no list of fields in '\(message)'")
                    continue
                }
                let list = message[start.upperBound...]
                    .replacingOccurrences(of: "one of ", with: "")
                    .components(separatedBy: " (did you mean").first ?? ""
                let taken = Set(list.replacingOccurrences(of: " or ", with: ", ")
                    .components(separatedBy: ", ")
                    .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " .")) })
                #expect(taken == documented,
                        "\(key): takes \(taken.sorted()), documented \(documented.sorted())")
                checked += 1
            }
        }
        #expect(checked == 11)
        await server.stop()
    }

    @Test func anotherCommunityCannotReadCountOrChangeAcmeDataOnAnyRoute() async throws {
        let server = try await Self.startServer()
        let acme = try await Self.seedAcme(server)
        let before = try await server.call("GET", "/v1/assets/\(acme.asset)", as: "acme/reader")
        let routes = try await Self.documentedRoutes(server)
        let samples = Self.samples("globex", acme)
        let byID = ["/v1/assets/{uuid}", "/v1/assets/{uuid}/revoke", "/v1/assets/{uuid}/unrevoke",
                    "/v1/assets/{uuid}/history", "/v1/assets/{uuid}/atoms/confirm",
                    "/v1/assets/{uuid}/atoms/reject", "/v1/jobs/{id}", "/v1/tokens/{id}/revoke",
                    "/v1/properties/{category}/{name}", "/v1/alerts/{id}",
                    "/v1/alerts/{id}/close"]
        // The routes that answer another community's ids 404 are the ones
        // the description documents a 404 for.
        let document = try await server.call("GET", "/openapi.json").json()
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        let documented404 = Set(paths.compactMap { template, operations in
            operations.values.contains {
                (($0 as? [String: Any])?["responses"] as? [String: Any])?["404"] != nil
            } ? template : nil
        })
        #expect(documented404 == Set(byID))
        for route in Self.ordered(routes) {
            let key = "\(route.method) \(route.template)"
            guard let sample = samples[key] else {
                Issue.record("\(key) has no sample")
                continue
            }
            let response = try await server.call(route.method, sample.target, as: sample.token,
                                                 json: sample.json, body: sample.body,
                                                 headers: sample.headers)
            if byID.contains(route.template) {
                #expect(response.status == 404, "\(key) as globex: \(response.status)")
                if response.status == 404 {
                    let error = try response.json()["error"] as? [String: Any]
                    #expect(error?["code"] as? String == "not_found")
                }
            } else if key == "POST /v1/bulk" {
                #expect(response.status == 404, "bulk on acme's ids as globex")
            } else {
                #expect(response.status < 300, "\(key) as globex: \(response.text.prefix(200))")
            }
            for secret in [acme.asset, acme.job, "acme-secret-host", "10.1.2.3", "acme",
                           "cost_center"] where route.template != "/openapi.json" {
                #expect(!response.text.contains(secret), "\(key) as globex shows '\(secret)'")
            }
        }

        // A bulk job by filter as globex counts none of acme's assets.
        let filtered = try await server.call("POST", "/v1/bulk", as: "globex/analyst", json: [
            "action": "set_criticality", "criticality": 1, "filter": ["category": "host"],
        ])
        #expect(filtered.status == 202)
        let globexHosts = try await server.call("GET", "/v1/assets?category=host",
                                                as: "globex/reader").json()["total"] as? Int
        #expect(try filtered.json()["total"] as? Int == globexHosts)

        // Acme's asset is exactly as it was, and its token still works.
        let after = try await server.call("GET", "/v1/assets/\(acme.asset)", as: "acme/reader")
        #expect(after.text == before.text)
        let tokens = try await server.call("GET", "/v1/tokens", as: "acme/admin").json()
        let spare = (tokens["tokens"] as? [[String: Any]])?.first { $0["id"] as? String == acme.tokenID }
        #expect(spare?["revoked"] as? Bool == false)
        await server.stop()
    }
}
