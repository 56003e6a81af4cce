import Foundation
import PerimeterHTTP
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// What a bulk job does to each asset of its selection (SPEC §4).
struct BulkAction: Sendable, Hashable {
    enum Kind: String, Sendable, CaseIterable {
        case addTags = "add_tags"
        case removeTags = "remove_tags"
        case revoke, unrevoke
        case setCriticality = "set_criticality"
        case setReviewed = "set_reviewed"
    }

    var kind: Kind
    var tags: [String] = []
    /// For `set_criticality`: nil makes the assets unrated.
    var criticality: Int?
    var reviewed = true

    /// Reads the action from a request (or a stored job's request).
    init(json object: [String: Any]) throws {
        guard let name = object["action"] as? String, let kind = Kind(rawValue: name) else {
            // `{"action": {"add_tags": [...]}}` is a natural first guess:
            // the answer says where the values go.
            throw APIErrors.invalidField("action", "must be one of "
                + Kind.allCases.map(\.rawValue).joined(separator: ", ")
                + ", as text; its values are fields beside it: \"tags\" (add_tags, "
                + "remove_tags), \"criticality\" (set_criticality), \"reviewed\" (set_reviewed)")
        }
        self.kind = kind
        switch kind {
        case .addTags, .removeTags:
            tags = AssetPatch.clean(try JSONFields.strings(object, "tags") ?? [])
            guard !tags.isEmpty else {
                throw APIErrors.invalidField("tags", "must list at least one tag")
            }
            if kind == .addTags {
                do {
                    try AssetDraftBuilder.checkTexts(name: nil, tags: tags, description: nil)
                } catch let problem as RowProblem {
                    throw APIErrors.invalidField("tags", problem.message)
                }
            }
            // More than an asset may hold changes no asset: say so now,
            // not with a job that succeeds having changed nothing.
            guard kind == .removeTags || tags.count <= Asset.maximumTagCount else {
                throw APIErrors.invalidField("tags", "lists \(tags.count) tags; an asset holds at "
                                             + "most \(Asset.maximumTagCount)")
            }
        case .setCriticality:
            guard let value = object["criticality"] else {
                throw APIErrors.invalidField("criticality", "is required (0 to 100, or null)")
            }
            if !(value is NSNull) {
                guard let number = JSONFields.integer(value), (0...100).contains(number) else {
                    throw APIErrors.invalidField("criticality", "must be from 0 to 100, or null")
                }
                criticality = number
            }
        case .setReviewed:
            guard let flag = object["reviewed"].flatMap(JSONFields.boolean) else {
                throw APIErrors.invalidField("reviewed", "must be true or false")
            }
            reviewed = flag
        case .revoke, .unrevoke: break
        }
    }

    /// Refuses a request field that this action does not read (README: a
    /// field a route does not read is a 422): `criticality` beside
    /// `add_tags` was dropped without a word, and the job's record kept
    /// no trace of it.
    func refuseFieldsItDoesNotRead(in object: [String: Any]) throws {
        // What it reads is what it keeps (`json`), and the selection.
        let read = Set(json.keys).union(["ids", "filter"])
        if let unread = object.keys.sorted().first(where: { !read.contains($0) }) {
            throw APIErrors.invalidField(unread, "is not read by the action \(kind.rawValue)")
        }
    }

    /// The request as stored with the job, so a resumed job does the same.
    var json: [String: Any] {
        var object: [String: Any] = ["action": kind.rawValue]
        switch kind {
        case .addTags, .removeTags: object["tags"] = tags
        case .setCriticality: object["criticality"] = criticality ?? NSNull()
        case .setReviewed: object["reviewed"] = reviewed
        case .revoke, .unrevoke: break
        }
        return object
    }

    var column: InventoryStore.BulkColumn {
        switch kind {
        case .addTags, .removeTags: .tags
        case .revoke, .unrevoke: .revoked
        case .setCriticality: .criticality
        case .setReviewed: .reviewed
        }
    }

    /// The audit trail's before and after for the one field the action
    /// changes, built without encoding whole assets (a job writes 100,000).
    func auditFields(before: Asset, after: Asset) -> (before: String, after: String) {
        func criticality(_ asset: Asset) -> String {
            asset.criticality.map { String($0.value) } ?? "null"
        }
        func tags(_ asset: Asset) -> String { JSONFields.text(["tags": asset.tags.sorted()]) }
        switch kind {
        case .addTags, .removeTags: return (tags(before), tags(after))
        case .revoke, .unrevoke:
            return ("{\"revoked\":\(before.isRevoked)}", "{\"revoked\":\(after.isRevoked)}")
        case .setCriticality:
            return ("{\"criticality\":\(criticality(before))}",
                    "{\"criticality\":\(criticality(after))}")
        case .setReviewed:
            return ("{\"reviewed\":\(before.reviewed)}", "{\"reviewed\":\(after.reviewed)}")
        }
    }

    /// The asset after the action; equal to the input when it was already so.
    func applied(to asset: Asset) -> Asset {
        var result = asset
        switch kind {
        case .addTags:
            result.tags.addTags(tags)
            if result.tags.count > Asset.maximumTagCount { return asset }
        case .removeTags: result.tags.removeTags(tags)
        case .revoke: result.isRevoked = true
        case .unrevoke: result.isRevoked = false
        case .setCriticality: result.criticality = criticality.flatMap { try? Criticality($0) }
        case .setReviewed: result.reviewed = reviewed
        }
        return result
    }
}

/// Which assets a bulk job acts on, as its request named them.
enum BulkSelection: Sendable {
    /// The assets a bulk request's `filter` object selects for `action`,
    /// in `community`; a filter value refused is thrown as 422 naming
    /// `filter.NAME`. Shared by the API and the command line.
    static func filter(_ value: Any, for action: BulkAction, community: String,
                       bounds: CriticalityBounds) throws -> BulkSelection {
        // A list or any other non-object is refused: read as no filter,
        // `[{"tag": ["lab"]}]` selected every asset.
        guard let map = value as? [String: Any] else {
            throw APIErrors.invalidField("filter", "must be an object of list filters")
        }
        // The list's filters, refused as the body's fields: a 422 naming
        // `filter.criticality`, not a query parameter's 400.
        var query = try AssetFilter.query(
            try AssetFilter.values(fromJSON: map), community: community, bounds: bounds,
            refusing: { APIErrors.invalidField("filter.\($0)", $1) })
        // Unrevoking reads revoked assets: the list's default, which
        // leaves them out, made `unrevoke` of `{}` succeed on none.
        if action.kind == .unrevoke { query.includeRevoked = true }
        return .filter(query, requested: JSONFields.text(map))
    }

    /// The assets matching a list filter; `requested` is the filter object
    /// as the request gave it (JSON text), kept with the job so that its
    /// record says which assets were meant, not only how many.
    case filter(AssetQuery, requested: String)
    /// These assets (lowercase uuids). The job's items hold them; the
    /// stored request counts them, as a request of 100,000 ids would
    /// otherwise be copied into every listing of the jobs.
    case ids([String])

    /// The selection's members of the stored request.
    var requestMembers: [String: Any] {
        switch self {
        case .filter(_, let requested): ["filter": JSONFields.parse(requested) ?? [:]]
        case .ids(let ids): ["id_count": ids.count]
        }
    }
}

extension InventoryService {
    /// Creates a job on a frozen selection: the assets of the community
    /// that match the filter, or those of the ids that are in the community.
    func createJob(_ action: BulkAction, selection: BulkSelection, community: String,
                   actor: String) throws -> StoredJob {
        let request = JSONFields.text(action.json.merging(selection.requestMembers) { own, _ in own })
        let job = StoredJob(id: UUID.random().lowercasedText, community: community,
                            actor: actor, action: action.kind.rawValue, request: request,
                            createdAt: Date())
        switch selection {
        case .filter(let query, _): return try store.createJob(job, matching: query, ids: nil)
        case .ids(let ids): return try store.createJob(job, matching: nil, ids: ids)
        }
    }

    /// Runs chunks of a job, each its own transaction, until `turn` has
    /// passed (one at least); true when the job is over.
    func runChunks(ofJob id: String, size: Int, for turn: Swift.Duration) -> Bool {
        let start = ContinuousClock.now
        repeat {
            if runChunk(ofJob: id, size: size) { return true }
        } while ContinuousClock.now - start < turn && !Task.isCancelled
        return false
    }

    /// Runs the next chunk of a job; true when the job is over.
    ///
    /// The chunk's assets change in memory and in the store together: when
    /// the store refuses the chunk, the in-memory assets are put back.
    func runChunk(ofJob id: String, size: Int) -> Bool {
        do {
            let jobs = try store.unfinishedJobs()
            guard let job = jobs.first(where: { $0.id == id }) else { return true }
            guard let object = JSONFields.parse(job.request) else {
                try store.setJobStatus(id, .failed, error: "the stored request is unreadable",
                                       at: Date())
                return true
            }
            let action = try BulkAction(json: object)
            let uuids = try store.jobItems(id, after: job.done, limit: size)
            if uuids.isEmpty {
                try store.setJobStatus(id, .succeeded, at: Date())
                return true
            }
            let now = Date()
            var changedAssets: [Asset] = []
            var previous: [Asset] = []
            var audit: [AuditRecord] = []
            for text in uuids {
                guard let uuid = UUID(exactText: text), let asset = inventory.asset(uuid),
                      asset.community == job.community else { continue }
                var updated = action.applied(to: asset)
                guard updated != asset else { continue }
                updated.noteChange(at: now)
                inventory.put(updated)
                let fields = action.auditFields(before: asset, after: updated)
                previous.append(asset)
                changedAssets.append(updated)
                audit.append(AuditRecord(asset: uuid, actor: job.actor,
                                         action: "bulk:\(action.kind.rawValue)",
                                         at: EventTime(now), before: fields.before,
                                         after: fields.after))
            }
            let done = job.done + uuids.count
            do {
                let rerated = try store.recordChunk(
                    job: id, assets: changedAssets, column: action.column, audit: audit,
                    done: done, changed: job.changed + changedAssets.count,
                    status: done >= job.total ? .succeeded : .running, at: now)
                letGo(ofAlerts: rerated)
            } catch {
                for asset in previous { inventory.put(asset) }
                throw error
            }
            if done >= job.total, action.kind == .addTags {
                try noteAssetsAtTheTagLimit(ofJob: id, total: job.total, tags: action.tags)
            }
            return done >= job.total
        } catch {
            try? store.setJobStatus(id, .failed, error: "the job stopped: the store refused a "
                                    + "chunk (see the server log)", at: Date())
            return true
        }
    }

    /// A finished `add_tags` job's assets that would have held more than
    /// `Asset.maximumTagCount` tags were left as they were (as a PATCH
    /// refuses them): the job says how many, or it read as if every asset
    /// had been tagged.
    private func noteAssetsAtTheTagLimit(ofJob id: String, total: Int, tags: [String]) throws {
        let untagged = try store.jobItems(id, after: 0, limit: total).filter { text in
            guard let uuid = UUID(exactText: text), let asset = inventory.asset(uuid) else {
                return false
            }
            // Held in another case (`prod` for `PROD`) is held: one label.
            let held = Set(asset.tags.map(TagSpelling.folded))
            return !tags.allSatisfy { held.contains(TagSpelling.folded($0)) }
        }.count
        guard untagged > 0 else { return }
        try store.setJobStatus(id, .succeeded, error: "\(untagged) of the assets "
                               + "\(untagged == 1 ? "was" : "were") left without the tags: "
                               + "an asset holds at most \(Asset.maximumTagCount)", at: Date())
    }

    /// Ids of the jobs to run, oldest first (after a restart: the
    /// interrupted ones). A job the command line ran is not among them:
    /// `abandonCommandLineJobs` ends it first.
    func unfinishedJobIDs() throws -> [String] {
        try store.unfinishedJobs().filter { !Self.isCommandLineJob($0) }.map(\.id)
    }

    /// The command line runs its bulk job itself, to the end or until it
    /// is stopped; one left unfinished was killed. The server resumed it
    /// at its next start, days later maybe, over assets corrected since:
    /// such a job now fails, saying how far it went. Returns those ended.
    func abandonCommandLineJobs() throws -> [StoredJob] {
        var ended: [StoredJob] = []
        for job in try store.unfinishedJobs() where Self.isCommandLineJob(job) {
            try stop(job, why: "the command line that ran it was killed")
            ended.append(job)
        }
        return ended
    }

    /// Ends an unfinished job as failed: `why`, and how far it went.
    func stop(_ job: StoredJob, why: String) throws {
        try store.setJobStatus(job.id, .failed, error: "\(why) after \(job.done) of "
                               + "\(job.total) assets; the others are as they were (run the "
                               + "bulk change again for them)", at: Date())
    }

    /// Ends the job `id` of `community` as stopped on request.
    func stopJob(_ id: String, community: String, why: String) throws -> StoredJob? {
        guard let job = try store.job(id: id, community: community) else { return nil }
        if job.status == .queued || job.status == .running { try stop(job, why: why) }
        return try store.job(id: id, community: community)
    }

    private static func isCommandLineJob(_ job: StoredJob) -> Bool {
        job.actor == "cli" || job.actor.hasPrefix("cli:")
    }
}

extension JSONFields {
    static func text(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object,
                                                     options: [.sortedKeys])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func parse(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}
