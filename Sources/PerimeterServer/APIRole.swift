import PerimeterStore

/// What a token may do. Roles grow by inclusion, except `ingest` (events
/// only) and `operator` (metrics only, no community).
public enum APIRole: String, Sendable, CaseIterable {
    case admin, analyst, reader, ingest, `operator`

    public var permissions: Set<APIPermission> {
        switch self {
        case .reader: [.read]
        case .analyst: [.read, .edit]
        case .admin: [.read, .edit, .administer, .ingest]
        case .ingest: [.ingest]
        case .operator: [.metrics]
        }
    }
}

public enum APIPermission: String, Sendable, Hashable {
    /// Read the inventory of the token's community.
    case read
    /// Change assets: create, update, revoke, confirm or reject atoms, bulk, import.
    case edit
    /// Manage tokens, property definitions and discovery rules.
    case administer
    /// Send events.
    case ingest
    /// Read `/metrics` (totals over every community).
    case metrics
}

/// The token a request came with, once checked.
public struct APIPrincipal: Sendable, Hashable {
    public var tokenID: String
    /// The name the audit trail records.
    public var name: String
    /// Nil for operator tokens only.
    public var community: String?
    public var role: APIRole

    public init(token: StoredToken) {
        tokenID = token.id
        name = token.name
        community = token.community
        role = APIRole(rawValue: token.role) ?? .reader
    }

    /// The actor string of the audit trail: `token:<name>`.
    public var actor: String { "token:\(name)" }
}
