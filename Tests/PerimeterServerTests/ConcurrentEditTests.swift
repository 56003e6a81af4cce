import Foundation
import PerimeterTestSupport
import Testing

/// Two people editing one asset: a change made on a version of the asset
/// that is no longer current is refused (an `If-Match` that names an old
/// `ETag`, an import row whose `updated_at` is older than the asset's last
/// change) instead of silently undoing the other person's change.
@Suite(.serialized)
struct ConcurrentEditTests {
    private func asset(_ server: TestServer, _ uuid: String) async throws
        -> (json: [String: Any], etag: String) {
        let response = try await server.call("GET", "/v1/assets/\(uuid)", as: "acme/reader")
        #expect(response.status == 200, "\(response.text)")
        let etag = try #require(response.headers["etag"], "no ETag on GET")
        return (try response.json(), etag)
    }

    @Test func aChangeOnAStaleVersionIsRefusedWith412() async throws {
        let server = try await TestServer.start()
        let uuid = try await server.createAsset(["name": "dc-01", "category": "host",
                                                 "criticality": 95], as: "acme/analyst")
        let (_, first) = try await asset(server, uuid)
        // A strong tag: quoted, not W/.
        #expect(first.hasPrefix("\"") && first.hasSuffix("\"") && first.count > 2, "\(first)")
        #expect(try await asset(server, uuid).etag == first, "reading twice gives one version")

        // Alice changes the rating on the version she read: accepted, and
        // the answer carries the new version.
        let alice = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                          json: ["criticality": 70], headers: ["If-Match": first])
        #expect(alice.status == 200, "\(alice.text)")
        let second = try #require(alice.headers["etag"])
        #expect(second != first)
        #expect(try await asset(server, uuid).etag == second)

        // Bob read the asset before Alice's change: his change is refused,
        // the asset keeps Alice's rating, and he is told the current version.
        let bob = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                        json: ["criticality": 20], headers: ["If-Match": first])
        #expect(bob.status == 412, "\(bob.text)")
        let error = try bob.json()["error"] as? [String: Any]
        #expect(error?["code"] as? String == "precondition_failed")
        #expect((error?["message"] as? String)?.contains("changed since it was read") == true)
        #expect((error?["details"] as? [String: Any])?["etag"] as? String == second)
        #expect(bob.headers["etag"] == second)
        #expect(try await asset(server, uuid).json["criticality"] as? Int == 70)

        // Revoking and confirming an atom are checked the same way.
        let revoke = try await server.call("POST", "/v1/assets/\(uuid)/revoke", as: "acme/analyst",
                                           headers: ["If-Match": first])
        #expect(revoke.status == 412)
        #expect(try await asset(server, uuid).json["revoked"] as? Bool == false)
        let confirm = try await server.call("POST", "/v1/assets/\(uuid)/atoms/confirm",
                                            as: "acme/analyst",
                                            json: ["type": "hostname", "value": "dc-01"],
                                            headers: ["If-Match": first])
        #expect(confirm.status == 412)
        #expect((try await asset(server, uuid).json["atoms"] as? [Any])?.isEmpty == true)

        // Several tags: any one current passes; * passes whatever the version.
        let listed = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                           json: ["reviewed": true],
                                           headers: ["If-Match": "\(first), \(second)"])
        #expect(listed.status == 200, "\(listed.text)")
        let any = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                        json: ["description": "domain controller"],
                                        headers: ["If-Match": "*"])
        #expect(any.status == 200, "\(any.text)")
        // A client keeping the asset asks whether it changed: 304 while the
        // version it holds is current (weak tags compare too), the asset
        // when not.
        let current = try await asset(server, uuid).etag
        let kept = try await server.call("GET", "/v1/assets/\(uuid)", as: "acme/reader",
                                         headers: ["If-None-Match": "W/" + current])
        #expect(kept.status == 304 && kept.body.isEmpty && kept.headers["etag"] == current,
                "\(kept.status) \(kept.text)")
        let changed = try await server.call("GET", "/v1/assets/\(uuid)", as: "acme/reader",
                                            headers: ["If-None-Match": first])
        #expect(changed.status == 200 && changed.headers["etag"] == current)
        // Without If-Match the change is made, as before.
        let plain = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                          json: ["criticality": 80])
        #expect(plain.status == 200)
        await server.stop()
    }

    /// A version covers what people edit, not what every event moves: a
    /// sighting of the host leaves it as it was, so an analyst's edit is
    /// not refused because the host was seen meanwhile. Confirming an
    /// atom is an edit: it moves `updated_at`, and the version with it.
    @Test func sightingsKeepTheVersionAndCurationMovesIt() async throws {
        let server = try await TestServer.start()
        let event = #"{"@timestamp":"2026-03-02T08:00:00Z","host":{"name":"laptop-9","ip":["10.0.0.9"]}}"#
        _ = try await server.call("POST", "/v1/events", as: "acme/ingest", body: Array(event.utf8))
        let listed = try await server.call("GET", "/v1/assets", as: "acme/reader").json()
        let uuid = try #require((listed["assets"] as? [[String: Any]])?.first?["uuid"] as? String)
        let (before, etag) = try await asset(server, uuid)

        let later = #"{"@timestamp":"2026-03-02T09:00:00Z","host":{"name":"laptop-9","ip":["10.0.0.9"]}}"#
        _ = try await server.call("POST", "/v1/events", as: "acme/ingest", body: Array(later.utf8))
        let (seen, seenTag) = try await asset(server, uuid)
        #expect(seen["last_seen"] as? String != before["last_seen"] as? String, "\(seen)")
        #expect(seenTag == etag)

        let confirm = try await server.call("POST", "/v1/assets/\(uuid)/atoms/confirm",
                                            as: "acme/analyst",
                                            json: ["type": "ipv4", "value": "10.0.0.9"],
                                            headers: ["If-Match": etag])
        #expect(confirm.status == 200, "\(confirm.text)")
        let (confirmed, confirmedTag) = try await asset(server, uuid)
        #expect(confirmedTag != etag)
        #expect(confirm.headers["etag"] == confirmedTag)
        #expect(confirmed["updated_at"] as? String != before["updated_at"] as? String)
        await server.stop()
    }

    /// The spreadsheet round trip: an export's rows carry `updated_at`, and
    /// a row whose asset changed after the export is refused (it would put
    /// the old values back); rows of unchanged assets go in, and a row
    /// whose `updated_at` is emptied overwrites on purpose.
    @Test func aStaleImportRowIsRefusedAndAnEmptiedOneOverwrites() async throws {
        let server = try await TestServer.start()
        let dc = try await server.createAsset(["name": "dc-01", "category": "host",
                                               "criticality": 95], as: "acme/analyst")
        let ws = try await server.createAsset(["name": "ws-02", "category": "host",
                                               "criticality": 30], as: "acme/analyst")
        let export = try await server.call("GET", "/v1/export?format=csv", as: "acme/reader").text
        let header = try #require(export.split(separator: "\n").first)
        #expect(header.hasPrefix("uuid,name,category,subcategory,criticality,tags,reviewed,"
                                 + "revoked,description,entity,updated_at"), "\(header)")
        let dcStamp = try #require(try await asset(server, dc).json["updated_at"] as? String)
        #expect(export.contains("\(dc),dc-01,host,,95,,false,false,,,\(dcStamp)"), "\(export)")

        // Meanwhile a colleague rates dc-01 down through the API.
        let patched = try await server.call("PATCH", "/v1/assets/\(dc)", as: "acme/analyst",
                                            json: ["criticality": 60])
        #expect(patched.status == 200)
        // The spreadsheet's author raises ws-02 and leaves dc-01's row as
        // exported: written, it would put 95 back.
        let sheet = export.replacingOccurrences(of: ",ws-02,host,,30,", with: ",ws-02,host,,50,")
        let result = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                           body: Array(sheet.utf8)).json()
        #expect(result["updated"] as? Int == 1, "\(result)")
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.count == 1, "\(result)")
        #expect(refused.first?["column"] as? String == "updated_at")
        // One stamp in a thousand falls on a whole second: the row's then
        // reads as reformatted too, and the message names both readings.
        let staleReason = refused.first?["reason"] as? String ?? ""
        #expect(staleReason.contains("has changed since this row was exported")
                || (dcStamp.hasSuffix(".000Z")
                    && staleReason.contains("changed within that second")),
                "\(refused)")
        #expect(try await asset(server, dc).json["criticality"] as? Int == 60)
        #expect(try await asset(server, ws).json["criticality"] as? Int == 50)

        // A spreadsheet that rewrote the stamp without its milliseconds is
        // told so, not that the asset changed.
        let wsStamp = try #require(try await asset(server, ws).json["updated_at"] as? String)
        let truncated = String(wsStamp.prefix(19)) + "Z"
        let reformatted = "uuid,criticality,updated_at\n\(ws),40,\(truncated)\n"
        let sameSecond = try await server.call("POST", "/v1/import?format=csv",
                                               as: "acme/analyst",
                                               body: Array(reformatted.utf8)).json()
        let reason = (sameSecond["refused"] as? [[String: Any]])?.first?["reason"] as? String
        #expect(reason?.contains("and the row's is that second without its milliseconds") == true
                    || wsStamp.hasSuffix(".000Z"), "\(sameSecond)")

        // A time after the asset's last change was typed, not exported.
        let future = "uuid,criticality,updated_at\n\(ws),40,2099-01-01T00:00:00.000Z\n"
        let typed = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                          body: Array(future.utf8)).json()
        #expect(((typed["refused"] as? [[String: Any]])?.first?["reason"] as? String)?
            .contains("later than the asset's last change") == true, "\(typed)")

        // Emptied, the cell no longer guards the row: 95 is written back,
        // as the person asked.
        let overwrite = "uuid,criticality,updated_at\n\(dc),95,\n"
        let forced = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                           body: Array(overwrite.utf8)).json()
        #expect(forced["updated"] as? Int == 1, "\(forced)")
        #expect(try await asset(server, dc).json["criticality"] as? Int == 95)

        // A JSON line carries updated_at the same way; a malformed one is
        // refused with the form an export writes.
        let current = try #require(try await asset(server, dc).json["updated_at"] as? String)
        let lines = #"{"uuid":"\#(dc)","criticality":90,"updated_at":"\#(dcStamp)"}"# + "\n"
            + #"{"uuid":"\#(ws)","criticality":40,"updated_at":"yesterday"}"# + "\n"
        let jsonResult = try await server.call("POST", "/v1/import?format=jsonl", as: "acme/analyst",
                                               body: Array(lines.utf8)).json()
        let jsonRefused = jsonResult["refused"] as? [[String: Any]] ?? []
        #expect(jsonRefused.map { $0["row"] as? Int } == [1, 2], "\(jsonResult)")
        #expect((jsonRefused.last?["reason"] as? String)?.contains("is not a time") == true,
                "\(jsonRefused)")
        let fresh = #"{"uuid":"\#(dc)","criticality":90,"updated_at":"\#(current)"}"#
        let freshResult = try await server.call("POST", "/v1/import?format=jsonl",
                                                as: "acme/analyst", body: Array(fresh.utf8)).json()
        #expect(freshResult["updated"] as? Int == 1, "\(freshResult)")
        #expect(try await asset(server, dc).json["criticality"] as? Int == 90)
        await server.stop()
    }

    /// The version a read gives passes for as long as nothing changed,
    /// whatever the asset holds: a number the store keeps exactly, two
    /// assets alike in every field, a change that changes nothing.
    @Test func aVersionJustReadAlwaysPasses() async throws {
        let server = try await TestServer.start()
        let defined = try await server.call("POST", "/v1/properties", as: "acme/admin",
                                            json: ["name": "score", "type": "number",
                                                   "category": "host"])
        #expect(defined.status == 201, "\(defined.text)")
        let uuid = try await server.createAsset(["name": "ws-1", "category": "host"],
                                                as: "acme/analyst")
        // Read back through Foundation's JSONSerialization these became
        // 0.3000000000000001 and 0: the store's version differed from the
        // one in memory, and every If-Match failed.
        for number in [0.30000000000000004, -0.0, 1e300] {
            let set = try await server.call(
                "PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                body: Array(#"{"properties":{"score":\#(number)}}"#.utf8),
                headers: ["Content-Type": "application/json"])
            #expect(set.status == 200, "\(set.text)")
            let (json, etag) = try await asset(server, uuid)
            #expect(set.headers["etag"] == etag, "\(number)")
            #expect((json["properties"] as? [String: Any])?["score"] is Double, "\(json)")
            let next = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                             json: ["description": "score \(number)"],
                                             headers: ["If-Match": etag])
            #expect(next.status == 200, "\(number): \(next.text)")
        }

        // A change that changes nothing keeps the version and writes no
        // audit entry.
        let (_, etag) = try await asset(server, uuid)
        let audit = { () async throws -> Int in
            let entries = try await server.call("GET", "/v1/audit?asset=\(uuid)",
                                                as: "acme/reader").json()["entries"] as? [Any]
            return entries?.count ?? -1
        }
        let entries = try await audit()
        for body in [[String: Any](), ["description": "score 1e+300"]] {
            let same = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                             json: body, headers: ["If-Match": etag])
            #expect(same.status == 200 && same.headers["etag"] == etag, "\(body): \(same.text)")
        }
        #expect(try await audit() == entries)

        // Two assets alike in every field are two versions.
        let twin = try await server.createAsset(["name": "twin", "category": "host"],
                                                as: "acme/analyst")
        let other = try await server.createAsset(["name": "twin", "category": "host"],
                                                 as: "acme/analyst")
        let twinTag = try await asset(server, twin).etag
        let stolen = try await server.call("PATCH", "/v1/assets/\(other)", as: "acme/analyst",
                                           json: ["criticality": 1], headers: ["If-Match": twinTag])
        #expect(stolen.status == 412, "\(stolen.text)")
        await server.stop()
    }

    /// Every change moves `updated_at` forward, even one that discovery
    /// dates from an older event, and an erasure is a change: a version
    /// read before either no longer passes.
    @Test func updatedAtOnlyMovesForward() async throws {
        let server = try await TestServer.start()
        func send(_ time: String, os: String) async throws {
            let event = #"{"@timestamp":"\#(time)","host":{"name":"dc-01","os":{"name":"\#(os)"}}}"#
            let answer = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                               body: Array(event.utf8))
            #expect(answer.status == 200, "\(answer.text)")
        }
        try await send("2026-03-02T08:00:00Z", os: "Windows Server 2019")
        let listed = try await server.call("GET", "/v1/assets", as: "acme/reader").json()
        let uuid = try #require((listed["assets"] as? [[String: Any]])?.first?["uuid"] as? String)
        let patched = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                            json: ["criticality": 90, "description": "DC"])
        #expect(patched.status == 200)
        let (afterEdit, editTag) = try await asset(server, uuid)
        let editTime = try #require(afterEdit["updated_at"] as? String)
        let export = try await server.call("GET", "/v1/export?format=csv", as: "acme/reader").text

        // A late event changes the operating system: discovery dates it
        // from the event, weeks before the edit, yet updated_at moves on.
        try await send("2026-03-02T09:00:00Z", os: "Windows Server 2025")
        let (afterEvent, eventTag) = try await asset(server, uuid)
        let eventTime = try #require(afterEvent["updated_at"] as? String)
        #expect(eventTime > editTime, "\(eventTime) after \(editTime)")
        #expect(eventTag != editTag)
        let stale = export.replacingOccurrences(of: ",90,", with: ",95,")
        let refused = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                            body: Array(stale.utf8)).json()
        #expect((refused["refused"] as? [[String: Any]])?.first?["column"] as? String
                == "updated_at", "\(refused)")

        // An erasure redacts the description and is a change too: the
        // export made before it cannot write the value back.
        let before = try await server.call("GET", "/v1/export?format=csv", as: "acme/reader").text
        let described = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                              json: ["description": "owner ann.lee@example.com"])
        #expect(described.status == 200)
        let withValue = try await server.call("GET", "/v1/export?format=csv", as: "acme/reader").text
        #expect(withValue != before)
        let erased = try await server.call("POST", "/v1/forget", as: "acme/admin",
                                           json: ["type": "email", "value": "ann.lee@example.com"])
        #expect(erased.status == 200, "\(erased.text)")
        let reimport = try await server.call("POST", "/v1/import?format=csv", as: "acme/analyst",
                                             body: Array(withValue.utf8)).json()
        #expect(reimport["updated"] as? Int == 0, "\(reimport)")
        #expect((reimport["refused"] as? [[String: Any]])?.count == 1, "\(reimport)")
        let description = try await asset(server, uuid).json["description"] as? String
        #expect(description?.contains("ann.lee") == false, "\(description ?? "")")
        await server.stop()
    }

    @Test func ifMatchListsAreReadStrictly() async throws {
        let server = try await TestServer.start()
        let uuid = try await server.createAsset(["name": "ws-2", "category": "host"],
                                                as: "acme/analyst")
        let (_, etag) = try await asset(server, uuid)
        let unquoted = String(etag.dropFirst().dropLast())
        // An empty field, or commas alone, name no version (a 412 said the
        // asset had changed).
        for malformed in [unquoted, "\"x\"\(etag)", "*, \(etag)", "**", "\(etag) junk", "",
                          " , "] {
            let answer = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                               json: ["criticality": 3],
                                               headers: ["If-Match": malformed])
            #expect(answer.status == 400, "\(malformed): \(answer.text)")
            #expect(answer.text.contains("If-Match"), "\(answer.text)")
        }
        #expect(try await asset(server, uuid).json["criticality"] is NSNull)
        // If-Match compares strongly: a weak tag never matches (RFC 9110).
        let weak = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                         json: ["criticality": 3], headers: ["If-Match": "W/\(etag)"])
        #expect(weak.status == 412)
        #expect(weak.text.contains("weak"), "\(weak.text)")
        let spaced = try await server.call("PATCH", "/v1/assets/\(uuid)", as: "acme/analyst",
                                           json: ["criticality": 3],
                                           headers: ["If-Match": " , W/\"a\" ,\t\(etag) ,"])
        #expect(spaced.status == 200, "\(spaced.text)")
        await server.stop()
    }

    /// JSON lines saved with Windows line ends are still one row a line,
    /// and a malformed `updated_at` is refused on any row, a new asset's too.
    @Test func jsonLinesWithCRLFAndNewRowsWithBadTimes() async throws {
        let server = try await TestServer.start()
        let lines = #"{"name":"a-1","category":"host"}"# + "\r\n"
            + #"{"name":"a-2","category":"host","updated_at":"last week"}"# + "\r\n"
            + #"{"name":"a-3","category":"host"}"# + "\r\n"
        let result = try await server.call("POST", "/v1/import?format=jsonl", as: "acme/analyst",
                                           body: Array(lines.utf8)).json()
        #expect(result["created"] as? Int == 2, "\(result)")
        let refused = result["refused"] as? [[String: Any]] ?? []
        #expect(refused.map { $0["row"] as? Int } == [2], "\(result)")
        #expect(refused.first?["column"] as? String == "updated_at")
        await server.stop()
    }
}
