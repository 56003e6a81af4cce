import PerimeterTestSupport
import Foundation
import PerimeterServer
import PerimeterStore
import Testing

/// Bulk jobs: chunked, observable, interleaved with other work, and
/// resumable after a restart.
@Suite(.serialized)
struct BulkJobTests {
    static func job(_ server: TestServer, _ id: String) async throws -> [String: Any] {
        try await server.call("GET", "/v1/jobs/\(id)", as: "acme/reader").json()
    }

    /// Unrevoking by a filter reads the revoked assets: `{}` selects every
    /// asset of the community, and the revoked ones are those it changes
    /// (the list's default, which leaves them out, made it change none).
    @Test func unrevokingByAFilterReadsTheRevokedAssets() async throws {
        let server = try await TestServer.start()
        var ids: [String] = []
        for name in ["a-1", "a-2", "a-3"] {
            let created = try await server.call("POST", "/v1/assets", as: "acme/analyst",
                                                json: ["name": name, "category": "host"])
            ids.append(try #require(try created.json()["uuid"] as? String))
        }
        func run(_ body: [String: Any]) async throws -> [String: Any] {
            let started = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: body)
            #expect(started.status == 202)
            let id = try #require(try started.json()["id"] as? String)
            for _ in 0..<500 {
                let job = try await Self.job(server, id)
                if job["status"] as? String == "succeeded" || job["status"] as? String == "failed" {
                    return job
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("the job did not end")
            return [:]
        }
        let revoked = try await run(["action": "revoke", "ids": Array(ids.prefix(2))])
        #expect(revoked["changed"] as? Int == 2)
        let unrevoked = try await run(["action": "unrevoke", "filter": [String: Any]()])
        #expect(unrevoked["status"] as? String == "succeeded")
        #expect(unrevoked["changed"] as? Int == 2)
        let listed = try await server.call("GET", "/v1/assets", as: "acme/reader").json()
        #expect(listed["total"] as? Int == 3)
        await server.stop()
    }

    @Test func aJobOnOneHundredThousandAssetsLetsIntakeAndReadsGoOn() async throws {
        let path = TestServer.makeStorePath()
        let tokens = try TestServer.issueTokens(at: path)
        _ = try StoreSeeder.seed(path: path, community: "acme", count: 100_000)
        _ = try StoreSeeder.seed(path: path, community: "globex", count: 1_000, prefix: "other")
        let server = try await TestServer(storePath: path, tokens: tokens)

        let started = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "set_criticality", "criticality": 77, "filter": [String: Any](),
        ])
        #expect(started.status == 202)
        let id = try #require(try started.json()["id"] as? String)
        #expect(try started.json()["total"] as? Int == 100_000)

        // While it runs: events go in, reads answer, progress moves.
        var progress: [Int] = []
        var answeredWhileRunning = 0
        var status = "queued"
        var round = 0
        while status != "succeeded" && status != "failed" {
            round += 1
            let event = "{\"@timestamp\":\"2026-04-01T10:00:00Z\",\"host\":{\"name\":"
                + "\"during-\(round)\"}}\n"
            let intake = try await server.call("POST", "/v1/events", as: "acme/ingest",
                                               body: Array(event.utf8))
            #expect(intake.status == 200)
            let read = try await server.call("GET", "/v1/assets?limit=1", as: "acme/reader")
            #expect(read.status == 200)
            let job = try await Self.job(server, id)
            status = job["status"] as? String ?? "?"
            let done = job["done"] as? Int ?? -1
            if status == "running" || status == "queued" { answeredWhileRunning += 1 }
            progress.append(done)
            #expect(round < 5_000, "the job does not finish")
            if round >= 5_000 { break }
        }
        #expect(status == "succeeded")
        #expect(progress == progress.sorted(), "done never goes back")
        #expect(progress.contains { $0 > 0 && $0 < 100_000 }, "progress was seen midway")
        #expect(answeredWhileRunning > 0)
        let final = try await Self.job(server, id)
        #expect(final["done"] as? Int == 100_000)
        // The seeder rated asset i at i % 101 unless i % 4 == 0: those
        // already at 77 do not change.
        let alreadyRated = (0..<100_000).filter { $0 % 4 != 0 && $0 % 101 == 77 }.count
        #expect(final["changed"] as? Int == 100_000 - alreadyRated)

        let rated = try await server.call("GET", "/v1/assets?criticality_min=77&criticality_max=77"
                                          + "&limit=1", as: "acme/reader").json()
        #expect(rated["total"] as? Int == 100_000)
        let untouched = try await server.call("GET", "/v1/assets?criticality_min=77"
                                              + "&criticality_max=77&limit=1",
                                              as: "globex/reader").json()
        // Globex's own assets at 77 are the seeder's 8 (77, 178, 279, 481,
        // 582, 683, 885, 986), none added.
        #expect(untouched["total"] as? Int == 8)
        await server.stop()
    }

    @Test func aJobInterruptedByARestartResumesAndDoesEachAssetOnce() async throws {
        let path = TestServer.makeStorePath()
        let tokens = try TestServer.issueTokens(at: path)
        _ = try StoreSeeder.seed(path: path, community: "acme", count: 5_000)
        let slow: (inout PerimeterServerOptions) -> Void = { options in
            options.jobChunkSize = 500
            options.jobChunkPauseMilliseconds = 150
        }
        let first = try await TestServer(storePath: path, tokens: tokens, tweak: slow)
        let started = try await first.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "add_tags", "tags": ["patched"], "filter": ["category": "host"],
        ])
        let id = try #require(try started.json()["id"] as? String)
        let total = try #require(try started.json()["total"] as? Int)
        #expect(total == 1_667)
        while (try await Self.job(first, id)["done"] as? Int ?? 0) < 500 {
            try await Task.sleep(for: .milliseconds(20))
        }
        await first.stop()

        // What the store says it did is exactly what it did.
        let store = try InventoryStore(path: path)
        let stopped = try #require(try store.job(id: id, community: "acme"))
        #expect(stopped.status == .running)
        #expect(stopped.done % 500 == 0 && stopped.done > 0 && stopped.done < total)
        var query = AssetQuery(community: "acme")
        query.tags = ["patched"]
        #expect(try store.count(matching: query) == stopped.done)
        #expect(stopped.changed == stopped.done)

        let second = try await TestServer(storePath: path, tokens: tokens)
        var job = try await Self.job(second, id)
        for _ in 0..<500 where job["status"] as? String != "succeeded" {
            try await Task.sleep(for: .milliseconds(20))
            job = try await Self.job(second, id)
        }
        #expect(job["status"] as? String == "succeeded")
        #expect(job["done"] as? Int == total)
        #expect(job["changed"] as? Int == total)
        #expect(try store.count(matching: query) == total)
        let audit = try store.database.statement(
            "SELECT count(*) FROM audit WHERE action = 'bulk:add_tags'").firstRow { $0.int(0) }
        #expect(audit == Int64(total), "one audit record per asset, none twice")
        await second.stop()
    }

    /// The command line runs its own bulk job: stopped (Ctrl-C) between
    /// chunks, it ends there, failed, saying how far it went; one a killed
    /// command line left running is not resumed by the next server, which
    /// finished it days later over assets corrected since.
    @Test func aCommandLineJobIsNeverFinishedBySomeoneElse() async throws {
        let path = TestServer.makeStorePath()
        let tokens = try TestServer.issueTokens(at: path)
        _ = try StoreSeeder.seed(path: path, community: "acme", count: 5_000)
        let editor = try InventoryEditor(storePath: path, configuration: .init(),
                                         community: "acme", actor: "cli:analyst")
        let request = #"{"action":"add_tags","tags":["patched"],"filter":{"category":"host"}}"#
        let (job, abandoned) = try await editor.bulk(requestJSON: request, chunkSize: 500,
                                                     isStopRequested: { true })
        #expect(abandoned.isEmpty)
        #expect(job.status == .failed && job.done == 500 && job.total == 1_667)
        #expect(job.error == "stopped on request after 500 of 1667 assets; the others are as "
                + "they were (run the bulk change again for them)")

        // As a kill leaves it: running.
        let store = try InventoryStore(path: path)
        try store.database.statement("UPDATE jobs SET status = 'running', error = NULL")
            .run([])
        let server = try await TestServer(storePath: path, tokens: tokens)
        try await Task.sleep(for: .milliseconds(300))
        let ended = try await Self.job(server, job.id)
        #expect(ended["status"] as? String == "failed", "\(ended)")
        #expect((ended["error"] as? String)?.hasPrefix("the command line that ran it was killed "
                                                        + "after 500 of 1667 assets") == true)
        var query = AssetQuery(community: "acme")
        query.tags = ["patched"]
        #expect(try store.count(matching: query) == 500)
        await server.stop()
    }

    /// GET /v1/jobs: the community's jobs, newest first, one status kept
    /// on ask, in pages that follow each other; another community's job
    /// is neither listed nor a page mark.
    @Test func jobsAreListedNewestFirstPerCommunity() async throws {
        let server = try await TestServer.start()
        let host = try await server.createAsset(["name": "j-1", "category": "host"],
                                                as: "acme/analyst")
        let theirs = try await server.createAsset(["name": "j-2", "category": "host"],
                                                  as: "globex/analyst")
        func start(_ community: String, _ body: [String: Any]) async throws -> String {
            let answer = try await server.call("POST", "/v1/bulk", as: "\(community)/analyst",
                                               json: body)
            #expect(answer.status == 202)
            let id = try #require(try answer.json()["id"] as? String)
            // Finished before the next starts: the order is the creation's.
            for _ in 0..<300 {
                let job = try await server.call("GET", "/v1/jobs/\(id)",
                                                as: "\(community)/reader").json()
                if ["succeeded", "failed"].contains(job["status"] as? String) { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(5))
            return id
        }
        let first = try await start("acme", ["action": "set_reviewed", "reviewed": true,
                                             "ids": [host]])
        let second = try await start("acme", ["action": "add_tags", "tags": ["x"], "ids": [host]])
        let globex = try await start("globex", ["action": "revoke", "ids": [theirs]])
        let third = try await start("acme", ["action": "set_criticality", "criticality": 40,
                                             "filter": ["category": "host"]])

        func list(_ query: String) async throws -> (ids: [String], next: Any?) {
            let answer = try await server.call("GET", "/v1/jobs\(query)", as: "acme/reader")
            #expect(answer.status == 200, "\(query): \(answer.text)")
            let object = try answer.json()
            let jobs = object["jobs"] as? [[String: Any]] ?? []
            return (jobs.compactMap { $0["id"] as? String }, object["next_before"])
        }
        let all = try await list("")
        #expect(all.ids == [third, second, first])
        #expect(all.next is NSNull)
        let page = try await list("?limit=2")
        #expect(page.ids == [third, second])
        #expect(page.next as? String == second)
        let rest = try await list("?limit=2&before=\(second)")
        #expect(rest.ids == [first])
        #expect(rest.next is NSNull)
        #expect(try await list("?status=succeeded").ids == [third, second, first])
        #expect(try await list("?status=failed").ids == [])
        for refused in ["?before=\(globex)", "?status=done", "?limit=0"] {
            let answer = try await server.call("GET", "/v1/jobs\(refused)", as: "acme/reader")
            #expect(answer.status == 400, "\(refused)")
        }
        await server.stop()
    }

    /// A job's record says which assets were meant: the filter as it was
    /// sent, or how many ids (each once) the request named.
    @Test func aJobRecordsItsSelectionWithItsAction() async throws {
        let server = try await TestServer.start()
        let host = try await server.createAsset(["name": "sel-1", "category": "host"],
                                                as: "acme/analyst")
        let byFilter = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "set_criticality", "criticality": 40,
            "filter": ["category": "host", "tag": ["pci", "prod"], "criticality_min": 10],
        ])
        #expect(byFilter.status == 202, "\(byFilter.text)")
        let filterRequest = try #require(try byFilter.json()["request"] as? [String: Any])
        #expect(filterRequest.keys.sorted() == ["action", "criticality", "filter"])
        #expect(filterRequest["action"] as? String == "set_criticality")
        #expect(filterRequest["criticality"] as? Int == 40)
        let filter = try #require(filterRequest["filter"] as? [String: Any])
        #expect(filter.keys.sorted() == ["category", "criticality_min", "tag"])
        #expect(filter["category"] as? String == "host")
        #expect(filter["tag"] as? [String] == ["pci", "prod"])
        #expect(filter["criticality_min"] as? Int == 10)

        let byIds = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "add_tags", "tags": ["x"], "ids": [host, host.uppercased()],
        ])
        #expect(byIds.status == 202, "\(byIds.text)")
        let id = try #require(try byIds.json()["id"] as? String)
        // Read back from the store, as a listing of the jobs shows it.
        let listed = try await server.call("GET", "/v1/jobs", as: "acme/reader").json()
        let jobs = listed["jobs"] as? [[String: Any]] ?? []
        let idsRequest = try #require(jobs.first { $0["id"] as? String == id }?["request"]
                                      as? [String: Any])
        #expect(idsRequest.keys.sorted() == ["action", "id_count", "tags"])
        #expect(idsRequest["tags"] as? [String] == ["x"])
        #expect(idsRequest["id_count"] as? Int == 1)
        await server.stop()
    }

    /// An asset that holds the most tags an asset may is left as it is by
    /// `add_tags`, as a PATCH refuses it; the finished job says so rather
    /// than read as if every asset had been tagged.
    @Test func aJobSaysWhichAssetsItLeftAtTheTagLimit() async throws {
        let server = try await TestServer.start()
        let full = try await server.createAsset(
            ["name": "full", "category": "host", "tags": (0..<100).map { "t\($0)" }],
            as: "acme/analyst")
        let empty = try await server.createAsset(["name": "empty", "category": "host"],
                                                 as: "acme/analyst")
        let started = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "add_tags", "tags": ["over"], "ids": [full, empty],
        ])
        #expect(started.status == 202, "\(started.text)")
        let id = try #require(try started.json()["id"] as? String)
        var job = try await Self.job(server, id)
        for _ in 0..<200 where job["status"] as? String != "succeeded" {
            try await Task.sleep(for: .milliseconds(10))
            job = try await Self.job(server, id)
        }
        #expect(job["status"] as? String == "succeeded")
        #expect(job["changed"] as? Int == 1)
        #expect(job["error"] as? String
                    == "1 of the assets was left without the tags: an asset holds at most 100")

        // A tag held in another case is held (one label): no asset is said
        // to be left without it.
        let again = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "add_tags", "tags": ["T1"], "ids": [full],
        ])
        let second = try #require(try again.json()["id"] as? String)
        job = try await Self.job(server, second)
        for _ in 0..<200 where job["status"] as? String != "succeeded" {
            try await Task.sleep(for: .milliseconds(10))
            job = try await Self.job(server, second)
        }
        #expect(job["status"] as? String == "succeeded")
        #expect(job["error"] is NSNull, "\(job)")
        await server.stop()
    }

    @Test func jobsOnExplicitIdsRefuseUnknownOnes() async throws {
        let server = try await TestServer.start()
        let mine = try await server.createAsset(["name": "a", "category": "host"],
                                                as: "acme/analyst")
        let theirs = try await server.createAsset(["name": "b", "category": "host"],
                                                  as: "globex/analyst")
        let refused = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "revoke", "ids": [mine, theirs],
        ])
        #expect(refused.status == 404)
        // More tags than an asset may hold would change nothing: refused.
        let tooMany = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "add_tags", "tags": (0..<101).map { "t\($0)" }, "ids": [mine],
        ])
        #expect(tooMany.status == 422)
        // A tag no asset may hold (';' separates CSV tags) is refused too.
        for tag in ["pci;prod", String(repeating: "t", count: 129)] {
            let refusedTag = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
                "action": "add_tags", "tags": [tag], "ids": [mine],
            ])
            #expect(refusedTag.status == 422, "\(tag)")
        }
        // A field the action does not read is refused, not dropped.
        let unread = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "add_tags", "tags": ["z"], "ids": [mine], "criticality": 5,
        ])
        #expect(unread.status == 422)
        let field = (try unread.json()["error"] as? [String: Any])?["details"] as? [String: Any]
        #expect(field?["field"] as? String == "criticality", "\(unread.text)")
        let accepted = try await server.call("POST", "/v1/bulk", as: "acme/analyst", json: [
            "action": "set_reviewed", "reviewed": true, "ids": [mine],
        ])
        #expect(accepted.status == 202)
        let id = try #require(try accepted.json()["id"] as? String)
        var job = try await Self.job(server, id)
        for _ in 0..<200 where job["status"] as? String != "succeeded" {
            try await Task.sleep(for: .milliseconds(10))
            job = try await Self.job(server, id)
        }
        #expect(job["changed"] as? Int == 1)
        let asset = try await server.call("GET", "/v1/assets/\(mine)", as: "acme/reader").json()
        #expect(asset["reviewed"] as? Bool == true)
        let other = try await server.call("GET", "/v1/assets/\(theirs)", as: "globex/reader")
            .json()
        #expect(other["revoked"] as? Bool == false)
        // Another community's job id reads as unknown.
        #expect(try await server.call("GET", "/v1/jobs/\(id)", as: "globex/reader").status == 404)
        await server.stop()
    }
}
