import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite

/// A bulk job as stored. Its selection (`job_items`) is frozen when it is
/// created, and `done` moves in the same transaction as each chunk's
/// changes, so after a crash the job resumes exactly after the last
/// committed chunk.
public struct StoredJob: Sendable, Hashable {
    public enum Status: String, Sendable {
        case queued, running, succeeded, failed
    }

    public var id: String
    public var community: String
    public var actor: String
    public var action: String
    /// The request as JSON text, so that a resumed job does the same.
    public var request: String
    public var status: Status
    /// Assets processed so far (changed or already as asked).
    public var done: Int
    /// Assets actually changed so far.
    public var changed: Int
    public var total: Int
    public var error: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, community: String, actor: String, action: String, request: String,
                status: Status = .queued, done: Int = 0, changed: Int = 0, total: Int = 0,
                error: String? = nil, createdAt: Date, updatedAt: Date? = nil) {
        self.id = id
        self.community = community
        self.actor = actor
        self.action = action
        self.request = request
        self.status = status
        self.done = done
        self.changed = changed
        self.total = total
        self.error = error
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

extension InventoryStore {
    private static let jobColumns = """
        id, community, actor, action, request, status, done, changed, total, error, \
        created_at, updated_at
        """

    private static func job(from row: Row) -> StoredJob {
        StoredJob(id: row.text(0), community: row.text(1), actor: row.text(2),
                  action: row.text(3), request: row.text(4),
                  status: StoredJob.Status(rawValue: row.text(5)) ?? .failed,
                  done: Int(row.int(6)), changed: Int(row.int(7)), total: Int(row.int(8)),
                  error: row.optionalText(9), createdAt: date(row.int(10)),
                  updatedAt: date(row.int(11)))
    }

    /// Creates a job on the assets of its community that match `query`,
    /// or on those of `ids` (uuids in lowercase) that are in its community;
    /// returns the job with its total.
    public func createJob(_ job: StoredJob, matching query: AssetQuery?,
                          ids: [String]?) throws -> StoredJob {
        precondition(query == nil || query?.community == job.community,
                     "a job's filter must be of the job's community")
        return try transaction {
            if let query {
                let (condition, values) = try filterClause(for: query)
                let jobValue = SQLValue.text(job.id)
                try database.statement("""
                    INSERT INTO job_items (job_id, seq, asset_uuid)
                    SELECT ?\(values.count + 1), row_number() OVER (ORDER BY uuid), uuid
                    FROM assets WHERE \(condition)
                    """).run(values + [jobValue])
            } else {
                let list = Self.jsonText(ids ?? [])
                try database.statement("""
                    INSERT INTO job_items (job_id, seq, asset_uuid)
                    SELECT ?1, row_number() OVER (ORDER BY uuid), uuid FROM assets
                    WHERE community = ?2 AND uuid IN (SELECT value FROM json_each(?3))
                    """).run([.text(job.id), .text(job.community), .text(list)])
            }
            var stored = job
            stored.total = try database.statement(
                "SELECT count(*) FROM job_items WHERE job_id = ?1")
                .firstRow([.text(job.id)]) { Int($0.int(0)) } ?? 0
            try database.statement("""
                INSERT INTO jobs (\(Self.jobColumns))
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                """).run([
                    .text(stored.id), .text(stored.community), .text(stored.actor),
                    .text(stored.action), .text(stored.request), .text(stored.status.rawValue),
                    .integer(Int64(stored.done)), .integer(Int64(stored.changed)),
                    .integer(Int64(stored.total)), stored.error.map { .text($0) } ?? .null,
                    .integer(Self.millis(stored.createdAt)), .integer(Self.millis(stored.updatedAt)),
                ])
            return stored
        }
    }

    /// A job of a community; nil for an unknown id or another community's.
    public func job(id: String, community: String) throws -> StoredJob? {
        try database.statement(
            "SELECT \(Self.jobColumns) FROM jobs WHERE id = ?1 AND community = ?2")
            .firstRow([.text(id), .text(community)], Self.job(from:))
    }

    /// A community's jobs, newest first, of one status or of any; after
    /// `before` (a job id of the community: the last of the previous page).
    /// Nil when `before` names no job of the community.
    public func jobs(community: String, status: StoredJob.Status?, before: String?,
                     limit: Int) throws -> [StoredJob]? {
        var bound = (Int64.max, "")
        if let before {
            guard let start = try database.statement(
                "SELECT created_at, id FROM jobs WHERE id = ?1 AND community = ?2")
                .firstRow([.text(before), .text(community)], { ($0.int(0), $0.text(1)) })
            else { return nil }
            bound = start
        }
        return try database.statement("""
            SELECT \(Self.jobColumns) FROM jobs
            WHERE community = ?1 AND (?2 IS NULL OR status = ?2)
              AND (created_at < ?3 OR (created_at = ?3 AND id < ?4))
            ORDER BY created_at DESC, id DESC LIMIT ?5
            """).rows([.text(community), status.map { .text($0.rawValue) } ?? .null,
                        .integer(bound.0), .text(bound.1), .integer(Int64(limit))],
                       Self.job(from:))
    }

    /// Jobs that were queued or running, oldest first: what to resume.
    public func unfinishedJobs() throws -> [StoredJob] {
        try database.statement("""
            SELECT \(Self.jobColumns) FROM jobs WHERE status IN ('queued', 'running')
            ORDER BY created_at, id
            """).rows([], Self.job(from:))
    }

    /// Jobs of every community by status, for the metrics.
    public func jobCountsByStatus() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        try database.statement("SELECT status, count(*) FROM jobs GROUP BY status")
            .forEachRow { counts[$0.text(0)] = Int($0.int(1)) }
        return counts
    }

    /// The next `limit` asset uuids of a job after position `done`.
    public func jobItems(_ id: String, after done: Int, limit: Int) throws -> [String] {
        try database.statement("""
            SELECT asset_uuid FROM job_items WHERE job_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3
            """).rows([.text(id), .integer(Int64(done)), .integer(Int64(limit))]) { $0.text(0) }
    }

    /// The one attribute a bulk action changes, so that a chunk writes
    /// that column only instead of whole rows.
    public enum BulkColumn: Sendable {
        case criticality, reviewed, revoked, tags
    }

    /// Writes one chunk of a job: the changed assets, their audit records
    /// and the job's new progress, all or nothing. Returns the ids of the
    /// open alerts that the chunk's criticality changes re-rated
    /// (`rerateOpenAlerts`).
    @discardableResult
    public func recordChunk(job id: String, assets: [Asset], column: BulkColumn,
                            audit: [AuditRecord], done: Int, changed: Int,
                            status: StoredJob.Status, at now: Date) throws -> [Int64] {
        try transaction {
            let sql = switch column {
            case .criticality: "UPDATE assets SET criticality = ?2, updated_at = ?3 WHERE uuid = ?1"
            case .reviewed: "UPDATE assets SET reviewed = ?2, updated_at = ?3 WHERE uuid = ?1"
            case .revoked: "UPDATE assets SET revoked = ?2, updated_at = ?3 WHERE uuid = ?1"
            case .tags: ""
            }
            for asset in assets {
                guard column != .tags else {
                    try upsert(asset)
                    continue
                }
                let value: SQLValue = switch column {
                case .criticality: asset.criticality.map { .integer(Int64($0.value)) } ?? .null
                case .reviewed: .integer(asset.reviewed ? 1 : 0)
                case .revoked, .tags: .integer(asset.isRevoked ? 1 : 0)
                }
                try database.statement(sql).run([.text(asset.id.lowercasedText), value,
                                                 .integer(Self.millis(asset.updatedAt))])
            }
            try writeAudit(audit)
            try database.statement("""
                UPDATE jobs SET done = ?2, changed = ?3, status = ?4, updated_at = ?5 WHERE id = ?1
                """).run([.text(id), .integer(Int64(done)), .integer(Int64(changed)),
                          .text(status.rawValue), .integer(Self.millis(now))])
            return column == .criticality ? try rerateOpenAlerts(about: assets) : []
        }
    }

    public func setJobStatus(_ id: String, _ status: StoredJob.Status, error: String? = nil,
                             at now: Date) throws {
        try database.statement("""
            UPDATE jobs SET status = ?2, error = ?3, updated_at = ?4 WHERE id = ?1
            """).run([.text(id), .text(status.rawValue), error.map { .text($0) } ?? .null,
                      .integer(Self.millis(now))])
    }
}
