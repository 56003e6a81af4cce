import Foundation
import PerimeterSQLite

/// An API token as stored: its hash, never the token itself.
public struct StoredToken: Sendable, Hashable {
    public var id: String
    /// Who the token speaks for, as the audit trail names them.
    public var name: String
    /// Nil for an operator token, which reads metrics and nothing else.
    public var community: String?
    public var role: String
    /// Lowercase hex SHA-256 of the token.
    public var digest: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(id: String, name: String, community: String?, role: String, digest: String,
                createdAt: Date, expiresAt: Date? = nil, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.community = community
        self.role = role
        self.digest = digest
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Usable at `now`: neither revoked nor expired.
    public func isUsable(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }
}

extension InventoryStore {
    private static let tokenColumns =
        "id, name, community, role, digest, created_at, expires_at, revoked_at"

    private static func token(from row: Row) -> StoredToken {
        StoredToken(id: row.text(0), name: row.text(1), community: row.optionalText(2),
                    role: row.text(3), digest: row.text(4), createdAt: date(row.int(5)),
                    expiresAt: row.optionalInt(6).map(date), revokedAt: row.optionalInt(7).map(date))
    }

    public func insert(_ token: StoredToken) throws {
        try database.statement("""
            INSERT INTO api_tokens (\(Self.tokenColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """).run([
                .text(token.id), .text(token.name), token.community.map { .text($0) } ?? .null,
                .text(token.role), .text(token.digest), .integer(Self.millis(token.createdAt)),
                token.expiresAt.map { .integer(Self.millis($0)) } ?? .null,
                token.revokedAt.map { .integer(Self.millis($0)) } ?? .null,
            ])
    }

    /// The token whose hash is `digest`, usable or not.
    public func token(digest: String) throws -> StoredToken? {
        try database.statement("SELECT \(Self.tokenColumns) FROM api_tokens WHERE digest = ?1")
            .firstRow([.text(digest)], Self.token(from:))
    }

    /// The tokens of a community (every token when nil), oldest first.
    public func tokens(community: String?) throws -> [StoredToken] {
        if let community {
            return try database.statement("""
                SELECT \(Self.tokenColumns) FROM api_tokens WHERE community = ?1
                ORDER BY created_at, id
                """).rows([.text(community)], Self.token(from:))
        }
        return try database.statement(
            "SELECT \(Self.tokenColumns) FROM api_tokens ORDER BY created_at, id")
            .rows([], Self.token(from:))
    }

    /// Revokes a token of a community (any token when nil); false when no
    /// such token is there. Revoking twice keeps the first time.
    @discardableResult
    public func revokeToken(id: String, community: String?, at now: Date) throws -> Bool {
        try database.statement("""
            UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?1)
            WHERE id = ?2 AND (?3 IS NULL OR community = ?3)
            """).run([.integer(Self.millis(now)), .text(id),
                      community.map { .text($0) } ?? .null])
        return database.changes > 0
    }
}
