import PerimeterTestSupport
import Foundation
import Testing

/// Errors come in one shape with the right status, name the field, and
/// never repeat the values sent (SPEC §8).
@Suite(.serialized)
struct ErrorShapeTests {
    struct Case: Sendable, CustomStringConvertible {
        var method: String
        var target: String
        var body: String?
        var status: Int
        var code: String
        var field: String? = nil

        var description: String { "\(method) \(target) → \(status) \(code)" }
    }

    /// Values marked SECRET must never come back in an error body.
    static let cases: [Case] = [
        Case(method: "POST", target: "/v1/assets", body: "{\"name\": \"SECRET-1\",", status: 400,
             code: "malformed_body"),
        Case(method: "POST", target: "/v1/assets", body: "[\"SECRET-2\"]", status: 400,
             code: "malformed_body"),
        Case(method: "POST", target: "/v1/assets", body: "", status: 400, code: "malformed_body"),
        // A field said twice, at the top or inside: which one was meant?
        Case(method: "POST", target: "/v1/assets",
             body: "{\"name\": \"x\", \"category\": \"host\", \"name\": \"SECRET-11\"}",
             status: 400, code: "malformed_body"),
        // One key in two objects is no repetition: the atom type is refused.
        Case(method: "POST", target: "/v1/assets",
             body: "{\"name\": \"x\", \"category\": \"host\", "
                + "\"atoms\": {\"name\": [\"SECRET-12\"]}}",
             status: 422, code: "invalid_field", field: "atoms.name"),
        Case(method: "POST", target: "/v1/tokens",
             body: "{\"name\": \"t\", \"role\": \"reader\", \"r\\u006fle\": \"admin\"}",
             status: 400, code: "malformed_body"),
        Case(method: "POST", target: "/v1/assets",
             body: "{\"name\": \"x\", \"category\": \"SECRET-3\"}", status: 422,
             code: "invalid_field", field: "category"),
        Case(method: "POST", target: "/v1/assets",
             body: "{\"name\": \"x\", \"category\": \"host\", \"atoms\": {\"ipv4\": [\"SECRET-4\"]}}",
             status: 422, code: "invalid_field", field: "atoms.ipv4"),
        Case(method: "POST", target: "/v1/assets",
             body: "{\"name\": \"x\", \"category\": \"host\", \"criticality\": 101}", status: 422,
             code: "invalid_field", field: "criticality"),
        Case(method: "GET", target: "/v1/assets?criticality_min=SECRET-5", body: nil,
             status: 400, code: "malformed_query"),
        Case(method: "GET", target: "/v1/assets?cursor=SECRET-6", body: nil, status: 400,
             code: "malformed_query"),
        Case(method: "GET", target: "/v1/assets/SECRET-7", body: nil, status: 404,
             code: "not_found"),
        Case(method: "GET", target: "/v1/nothing-here/SECRET-8", body: nil, status: 404,
             code: "not_found"),
        Case(method: "DELETE", target: "/v1/assets", body: nil, status: 405,
             code: "method_not_allowed"),
        Case(method: "POST", target: "/v1/bulk", body: "{\"action\": \"SECRET-9\"}", status: 422,
             code: "invalid_field", field: "action"),
        Case(method: "GET", target: "/v1/jobs/SECRET-10", body: nil, status: 404,
             code: "not_found"),
        Case(method: "GET", target: "/v1/atoms", body: nil, status: 400,
             code: "malformed_query"),
        // A misspelt filter is refused, not ignored (the list would look filtered).
        Case(method: "GET", target: "/v1/assets?categry=host", body: nil, status: 400,
             code: "malformed_query"),
        Case(method: "GET", target: "/v1/assets?criticality=68-1000", body: nil, status: 400,
             code: "malformed_query"),
        // A bulk job's filter is a body's field, refused as one.
        refusedBulkFilter(#"{"criticality": "999"}"#, field: "filter.criticality"),
        // A filter's JSON is of its query form's type: a list only where the
        // query repeats the filter, no number for text, no 1 for true.
        refusedBulkFilter(#"{"source": ["SECRET-50", "manual"]}"#, field: "filter.source"),
        refusedBulkFilter(#"{"q": 5}"#, field: "filter.q"),
        refusedBulkFilter(#"{"reviewed": 1}"#, field: "filter.reviewed"),
        // An empty filter is refused: it selected every asset.
        refusedBulkFilter(#"{"category": []}"#, field: "filter.category"),
        refusedBulkFilter(#"{"entity": ""}"#, field: "filter.entity"),
        // Flags are read one way on every route; a range the wrong way round
        // is refused rather than answered empty.
        Case(method: "GET", target: "/v1/assets?count=maybe", body: nil, status: 400,
             code: "malformed_query"),
        Case(method: "GET",
             target: "/v1/alerts?since=2027-01-01T00:00:00Z&until=2020-01-01T00:00:00Z",
             body: nil, status: 400, code: "malformed_query"),
        // A property's name is bounded and its refusal names the field; a
        // default property cannot go (a conflict with what it is).
        Case(method: "POST", target: "/v1/properties",
             body: "{\"name\": \"\(String(repeating: "p", count: 65))\", \"type\": \"string\", "
                + "\"category\": \"host\"}",
             status: 422, code: "invalid_field", field: "name"),
        Case(method: "POST", target: "/v1/properties",
             body: "{\"name\": \"Bad Name\", \"type\": \"string\", \"category\": \"host\"}",
             status: 422, code: "invalid_field", field: "name"),
        Case(method: "DELETE", target: "/v1/properties/host/owner", body: nil, status: 409,
             code: "conflict"),
        // A body on a route that reads none is refused, not dropped.
        Case(method: "POST",
             target: "/v1/assets/00000000-0000-4000-8000-000000000001/revoke",
             body: "{\"reason\": \"SECRET-30\"}", status: 422, code: "invalid_field",
             field: "body"),
        Case(method: "GET", target: "/v1/assets", body: "SECRET-31{", status: 422,
             code: "invalid_field", field: "body"),
        // One value given twice: the first or the last? (Routes differed.)
        Case(method: "GET", target: "/v1/jobs?limit=1&limit=3", body: nil, status: 400,
             code: "malformed_query"),
    ]

    /// A bulk job on `filter` (a JSON object's text), refused for `field`.
    static func refusedBulkFilter(_ filter: String, field: String) -> Case {
        Case(method: "POST", target: "/v1/bulk",
             body: #"{"action": "add_tags", "tags": ["x"], "filter": "# + filter + "}",
             status: 422, code: "invalid_field", field: field)
    }

    /// A body that is no JSON object is called a body, not an event (the
    /// parser's wording for event lines read "event is empty" for a body
    /// of spaces).
    @Test func aMalformedBodyIsCalledABody() async throws {
        let server = try await TestServer.start()
        for (body, said) in [("   ", "the body is empty"),
                             ("{\"a\":" + String(repeating: "[", count: 2_000)
                                + String(repeating: "]", count: 2_000) + "}",
                              "the body is nested too deep: more than 512 levels"),
                             // Valid JSON past Foundation's 512 levels and
                             // below the parser's 1,024 read "not valid JSON".
                             ("{\"a\":" + String(repeating: "[", count: 600)
                                + String(repeating: "]", count: 600) + "}",
                              "the body is nested too deep: more than 512 levels")] {
            let answer = try await server.call("POST", "/v1/assets", as: "acme/analyst",
                                               body: Array(body.utf8))
            #expect(answer.status == 400)
            let message = (try answer.json()["error"] as? [String: Any])?["message"] as? String
            #expect(message?.contains(said) == true, "\(message ?? "")")
            #expect(message?.contains("event") == false, "\(message ?? "")")
        }
        await server.stop()
    }

    @Test(arguments: cases)
    func errorsHaveOneShapeAndNoValues(_ item: Case) async throws {
        let server = try await Self.shared()
        let response = try await server.call(
            item.method, item.target, as: "acme/admin", body: item.body.map { Array($0.utf8) },
            headers: item.body == nil ? [:] : ["Content-Type": "application/json"])
        #expect(response.status == item.status, "\(item): \(response.text)")
        let object = try response.json()
        #expect(object.keys.sorted() == ["error"])
        let error = try #require(object["error"] as? [String: Any])
        #expect(error.keys.sorted() == ["code", "details", "message"])
        #expect(error["code"] as? String == item.code)
        if let field = item.field {
            #expect((error["details"] as? [String: Any])?["field"] as? String == field)
        }
        #expect(!response.text.contains("SECRET"), "\(item) echoes a value: \(response.text)")
    }

    /// A body that is no JSON object says why and where, as intake says it
    /// of an event line; JSON that is no object is said to be JSON.
    @Test func malformedBodiesSayWhyAndWhere() async throws {
        let server = try await Self.shared()
        let cases: [(body: String, code: String?, says: String)] = [
            ("null", nil, "it is JSON but not an object"),
            ("\"SECRET-40\"", nil, "it is JSON but not an object"),
            ("{\"a\":" + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
                + "}", "json_too_deep", "deep"),
            ("{\"name\": \"x\",, }", "json_malformed", "at byte"),
            // RFC 8259 has no trailing comma (Foundation's reader let it pass).
            ("{\"name\": \"trail\", \"category\": \"host\",}", "json_malformed", "at byte"),
            ("{\"name\": \"x\", \"category\": \"host\", \"tags\": [\"a\",]}", "json_malformed",
             "at byte"),
        ]
        for (body, code, says) in cases {
            let answer = try await server.call("POST", "/v1/assets", as: "acme/admin",
                                               body: Array(body.utf8),
                                               headers: ["Content-Type": "application/json"])
            #expect(answer.status == 400, "\(body.prefix(20)): \(answer.text)")
            let error = try answer.json()["error"] as? [String: Any]
            #expect((error?["message"] as? String)?.contains(says) == true,
                    "\(body.prefix(20)): \(answer.text)")
            let details = error?["details"] as? [String: Any]
            #expect(details?["json_code"] as? String == code, "\(body.prefix(20)): \(answer.text)")
            #expect(!answer.text.contains("SECRET"))
        }
        // A lone surrogate escape reads as U+FFFD, as in an event.
        let surrogate = try await server.call(
            "POST", "/v1/assets", as: "acme/admin",
            body: Array(#"{"name": "odd\ud800name", "category": "host"}"#.utf8),
            headers: ["Content-Type": "application/json"])
        #expect(surrogate.status == 201, "\(surrogate.text)")
        #expect(try surrogate.json()["name"] as? String == "odd\u{FFFD}name")
    }

    /// The API's own words stay in messages (only the caller's values go):
    /// the fields a route reads, and the signs a name may hold.
    @Test func messagesKeepTheAPIsOwnWords() async throws {
        let server = try await Self.shared()
        let forget = try await server.call("POST", "/v1/forget", as: "acme/admin", json: [:])
        #expect(forget.status == 422)
        #expect(forget.text.contains("'asset'"), "\(forget.text)")
        let entity = try await server.call("POST", "/v1/events?entity=a%20b%20SECRET",
                                           as: "acme/ingest", body: Array("{}".utf8))
        #expect(entity.status == 400)
        #expect(entity.text.contains("'-'"), "\(entity.text)")
        #expect(!entity.text.contains("SECRET"))
        // A parameter's name that reads as no name (a control character in
        // it) is not echoed, in the message or the details.
        let oddName = try await server.call("GET", "/v1/assets?zqxw%0a=1", as: "acme/reader")
        #expect(oddName.status == 400)
        #expect(!oddName.text.contains("zqxw"), "\(oddName.text)")
        // An unknown CSV column that reads as data is not named, but placed.
        let header = try await server.call(
            "POST", "/v1/import?format=csv", as: "acme/admin",
            body: Array("name,category,SECRET-70@example.org\nx,host,y\n".utf8),
            headers: ["Content-Type": "text/csv"])
        #expect(header.status == 400)
        let headerError = try header.json()["error"] as? [String: Any]
        #expect((headerError?["details"] as? [String: Any])?["position"] as? Int == 3)
        #expect((headerError?["message"] as? String)?.contains("(column 3)") == true,
                "\(header.text)")
        #expect(!header.text.contains("SECRET"))
        // A value equal to a word of the API or of the refused field's name
        // leaves them whole.
        let named = try await server.call("POST", "/v1/forget", as: "acme/admin",
                                          json: ["asset": "asset", "type": "email",
                                                 "value": "value"])
        #expect(named.status == 422)
        #expect(named.text.contains("'asset'"), "\(named.text)")
        let rack = try await server.call("POST", "/v1/assets", as: "acme/admin", json: [
            "name": "Rack", "category": "host", "properties": ["rack": "12"]])
        #expect(rack.status == 422)
        let rackError = try rack.json()["error"] as? [String: Any]
        #expect((rackError?["details"] as? [String: Any])?["field"] as? String
                    == "properties.rack", "\(rack.text)")
        #expect((rackError?["message"] as? String)?.contains("properties.rack") == true,
                "\(rack.text)")
        // A property's own name stays where its message quotes it alone.
        let long = try await server.call("POST", "/v1/assets", as: "acme/admin", json: [
            "name": "Long", "category": "host",
            "properties": ["os": String(repeating: "x", count: 16_385)]])
        #expect(long.status == 422)
        #expect(long.text.contains("property 'os' holds at most 16384 characters"),
                "\(long.text.prefix(300))")
        // As an import's refusal of the row says it.
        let row = #"{"name":"Long","category":"host","properties":{"os":""#
            + String(repeating: "x", count: 16_385) + "\"}}\n"
        let imported = try await server.call("POST", "/v1/import?format=jsonl&dry_run=true",
                                             as: "acme/admin", body: Array(row.utf8))
        #expect(imported.text.contains("property 'os' holds at most 16384 characters"),
                "\(imported.text.prefix(300))")
        let created = try await server.call("POST", "/v1/assets", as: "acme/admin",
                                            json: ["name": "curated", "category": "host"])
        let uuid = try #require(try created.json()["uuid"] as? String)
        for (body, field) in [(["type": "planet", "value": "SECRET-20"], "type"),
                              (["type": "email", "value": "x@example.org"], "type"),
                              (["type": "ipv4", "value": "SECRET-21"], "value")] {
            let answer = try await server.call("POST", "/v1/assets/\(uuid)/atoms/confirm",
                                               as: "acme/admin", json: body)
            #expect(answer.status == 422, "\(body): \(answer.text)")
            let error = try answer.json()["error"] as? [String: Any]
            #expect((error?["details"] as? [String: Any])?["field"] as? String == field,
                    "\(body): \(answer.text)")
            #expect(!answer.text.contains("SECRET"))
        }
    }

    @Test func oversizedBodiesAndSlowClientsAreRefused() async throws {
        let server = try await TestServer.start { options in
            options.http.maxBodyBytes = 1_000
            options.http.connectionTimeoutSeconds = 1
        }
        let big = [UInt8](repeating: UInt8(ascii: " "), count: 5_000)
        let response = try await server.call("POST", "/v1/events", as: "acme/ingest", body: big)
        #expect(response.status == 413)
        #expect((try response.json()["error"] as? [String: Any])?["code"] as? String
                == "body_too_large")

        // A client that stalls mid-headers is cut off; others are served.
        let port = server.port
        let closed = try await offPool { () -> Bool in
            let connection = try RawHTTPConnection(port: port, receiveTimeoutSeconds: 5)
            try connection.send("GET /v1/assets HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            Thread.sleep(forTimeInterval: 2.5)
            return connection.isClosedByPeer()
        }
        #expect(closed)
        #expect(try await server.call("GET", "/healthz").status == 200)
        await server.stop()
    }

    /// One server for the table's cases (they change nothing).
    static func shared() async throws -> TestServer {
        try await SharedServer.instance.get()
    }
}

actor SharedServer {
    static let instance = SharedServer()
    private var server: TestServer?

    func get() async throws -> TestServer {
        if let server { return server }
        let started = try await TestServer.start()
        server = started
        return started
    }
}
