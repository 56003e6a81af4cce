import PerimeterTestSupport
import Foundation
import Testing

/// `POST /v1/forget`: erasure on request through the one writer, so that
/// the in-memory inventory stops matching what the store erased.
@Suite(.serialized)
struct ForgetRouteTests {
    static func event(_ user: [String: String]) -> [UInt8] {
        let fields = user.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
        return Array(("{\"@timestamp\":\"2026-05-01T10:00:00Z\",\"host\":{\"name\":\"ws-07\"},"
                      + "\"user\":{\(fields.joined(separator: ","))}}\n").utf8)
    }

    /// The raw text of the enriched event `user` gives.
    static func enriched(_ server: TestServer, _ user: [String: String]) async throws -> String {
        let response = try await server.call("POST", "/v1/events?return=enriched",
                                             as: "acme/admin", body: event(user))
        #expect(response.status == 200, "intake: \(response.text)")
        return response.text
    }

    @Test func anErasedEmailNoLongerEnrichesEvents() async throws {
        let server = try await TestServer.start()
        let ann = try await server.createAsset([
            "name": "Ann Lee", "category": "account",
            "atoms": ["username": ["ann.lee"], "email": ["ann.lee@example.com"]],
        ], as: "acme/analyst")
        #expect(try await Self.enriched(server, ["email": "ann.lee@example.com"]).contains(ann))

        for role in ["acme/reader", "acme/analyst"] {
            let refused = try await server.call("POST", "/v1/forget", as: role, json: [
                "type": "email", "value": "ann.lee@example.com"])
            #expect(refused.status == 403, "\(role): \(refused.text)")
        }
        // An entity no asset can have is refused: it erased nothing, and
        // answered as an erasure done. A list's entity is read alike.
        let traversal = try await server.call("POST", "/v1/forget", as: "acme/admin", json: [
            "type": "email", "value": "ann.lee@example.com", "entity": "../../x",
            "dry_run": true])
        #expect(traversal.status == 422, "\(traversal.text)")
        let badEntity = try await server.call("GET", "/v1/assets?entity=a%2Fb", as: "acme/reader")
        #expect(badEntity.status == 400, "\(badEntity.text)")
        // Blank is none, as intake reads it.
        let blank = try await server.call("GET", "/v1/assets?entity=%20", as: "acme/reader")
        #expect(blank.status == 200, "\(blank.text)")
        // A dry run counts; nothing changes.
        let dry = try await server.call("POST", "/v1/forget", as: "acme/admin", json: [
            "type": "email", "value": "Ann.Lee@Example.COM", "dry_run": true])
        #expect(dry.status == 200, "\(dry.text)")
        #expect(try dry.json()["dry_run"] as? Bool == true)
        #expect(try await Self.enriched(server, ["email": "ann.lee@example.com"]).contains(ann))

        // Normalised as ingest normalises it: the case does not matter.
        let response = try await server.call("POST", "/v1/forget", as: "acme/admin", json: [
            "type": "email", "value": "Ann.Lee@Example.COM"])
        #expect(response.status == 200, "\(response.text)")
        let deleted = try response.json()["deleted"] as? [String: Int] ?? [:]
        // Ann's attachment, the atom's row and its week of activity (two
        // events so far), its search text.
        #expect(deleted == ["attachments": 1, "attachment_sightings": 1, "atoms": 1,
                            "atom_activity": 1, "asset_text": 1])
        #expect(try response.json()["dry_run"] as? Bool == false)
        #expect(!response.text.lowercased().contains("ann.lee"))

        // The next event with the email is not enriched with Ann; her
        // username still is.
        #expect(!(try await Self.enriched(server, ["email": "ann.lee@example.com"])
            .contains(ann)))
        #expect(try await Self.enriched(server, ["name": "ann.lee"]).contains(ann))

        let audit = try await server.call("GET", "/v1/audit?asset=\(ann)", as: "acme/reader")
        let actions = (try audit.json()["entries"] as? [[String: Any]] ?? [])
            .compactMap { $0["action"] as? String }
        #expect(actions == ["forget_atom", "create"])
        #expect(!audit.text.contains("ann.lee@example.com"))
        await server.stop()
    }

    /// The search index's queue, emptied at every commit, left a deleted
    /// row's text in its page's free space; an erasure after an earlier one
    /// found nothing there to delete, and the email stayed in the file.
    @Test func anErasedValueLeavesNoCopyInTheFiles() async throws {
        let server = try await TestServer.start()
        let first = try await server.call("POST", "/v1/forget", as: "acme/admin", json: [
            "type": "email", "value": "nobody@example.com"])
        #expect(first.status == 200, "\(first.text)")
        _ = try await Self.enriched(server, ["name": "erin.q", "email": "erin.q@example.com"])
        let erased = try await server.call("POST", "/v1/forget", as: "acme/admin", json: [
            "type": "email", "value": "erin.q@example.com"])
        #expect(erased.status == 200, "\(erased.text)")
        await server.stop()
        for suffix in ["", "-wal", "-shm"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: server.storePath + suffix)))
                ?? Data()
            #expect(bytes.range(of: Data("erin.q@example.com".utf8)) == nil, "store\(suffix)")
        }
    }

    @Test func anErasedAccountIsGoneFromTheInventory() async throws {
        let server = try await TestServer.start()
        let ann = try await server.createAsset([
            "name": "Ann Lee", "category": "account", "atoms": ["username": ["ann.lee"]],
        ], as: "acme/analyst")
        #expect(try await Self.enriched(server, ["name": "ann.lee"]).contains(ann))

        let otherCommunity = try await server.call("POST", "/v1/forget", as: "globex/admin",
                                                   json: ["asset": ann])
        #expect(otherCommunity.status == 404)
        let response = try await server.call("POST", "/v1/forget", as: "acme/admin",
                                             json: ["asset": ann])
        #expect(response.status == 200, "\(response.text)")
        let deleted = try response.json()["deleted"] as? [String: Int] ?? [:]
        #expect(deleted["assets"] == 1)
        #expect(deleted["attachments"] == 1)
        #expect(try await server.call("GET", "/v1/assets/\(ann)", as: "acme/reader").status
                == 404)

        // The same username is discovered again as a new account, never
        // matched to the erased one.
        #expect(!(try await Self.enriched(server, ["name": "ann.lee"]).contains(ann)))
        await server.stop()
    }

    @Test(arguments: [
        (["type": "emial", "value": "x@example.com"], 422),
        (["type": "email", "value": "not an email"], 422),
        (["type": "email"], 422),
        (["value": "ann.lee"], 422),
        (["type": "email", "value": "a@example.com", "color": "red"], 422),
        (["asset": "not-a-uuid"], 404),
        (["asset": UUID().uuidString], 404),
        (["asset": UUID().uuidString, "type": "email"], 422),
        (["type": "email", "value": "a@example.com", "dry_run": "yes"], 422),
    ])
    func badRequestsAreRefused(body: [String: String], status: Int) async throws {
        let server = try await TestServer.start()
        let response = try await server.call("POST", "/v1/forget", as: "acme/admin", json: body)
        #expect(response.status == status, "\(body): \(response.text)")
        #expect(!response.text.contains("not an email"))
        await server.stop()
    }

    @Test func aHostIsNotErasedWhole() async throws {
        let server = try await TestServer.start()
        let host = try await server.createAsset(["name": "ws-9", "category": "host"],
                                                as: "acme/analyst")
        let response = try await server.call("POST", "/v1/forget", as: "acme/admin",
                                             json: ["asset": host])
        #expect(response.status == 422, "\(response.text)")
        #expect(try await server.call("GET", "/v1/assets/\(host)", as: "acme/reader").status
                == 200)
        await server.stop()
    }
}
