import Foundation
import PerimeterCrypto
import PerimeterHTTP
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// One route of the API: what the router serves and what the OpenAPI
/// description documents, from the same table.
struct APIRoute: Sendable {
    let method: HTTPMethod
    let template: String
    let summary: String
    /// Nil: no token needed.
    let permission: APIPermission?
    let status: Int
    /// The response schema's name in `OpenAPIDocument.schemas`.
    let response: String
    /// The request body's media type, when it takes one.
    var body: String? = nil
    var parameters: [String] = []
    /// Whether the route's change honours `If-Match` (an asset's `ETag`).
    var conditional = false
    let action: @Sendable (APIHandlers, APIContext) async throws -> HTTPResponse
}

/// A routed, authenticated request.
struct APIContext: Sendable {
    var request: HTTPRequest
    var principal: APIPrincipal?

    /// The token's community; every route that reads or writes data has one.
    var community: String {
        guard let community = principal?.community else {
            preconditionFailure("a community route ran without a community token")
        }
        return community
    }

    var actor: String { principal?.actor ?? "anonymous" }

    var queryLists: [String: [String]] {
        var lists: [String: [String]] = [:]
        for item in request.queryItems { lists[item.name, default: []].append(item.value) }
        return lists
    }

    func uuid(_ name: String = "uuid") throws -> AssetID {
        // A malformed uuid answers like an unknown one, 404, saying why.
        guard let text = request.pathParameters[name], let id = UUID(exactText: text) else {
            throw APIErrors.assetPathIsNoUUID()
        }
        return id
    }
}

/// The API's handlers; they hold no state of their own.
struct APIHandlers: Sendable {
    let service: InventoryService
    let readers: StoreReaderPool
    let tokens: TokenVerifier
    let metrics: ServerMetrics
    let scheduler: JobScheduler
    let options: PerimeterServerOptions

    var bounds: CriticalityBounds { options.configuration.criticalityBounds }
    var addressExpiry: Duration { options.configuration.inventory.addressExpiry }

    func handle(_ route: APIRoute, _ request: HTTPRequest) async throws -> HTTPResponse {
        var context = APIContext(request: request, principal: nil)
        if let permission = route.permission {
            context.principal = try authenticate(request, for: permission)
        }
        // A misspelt filter is refused, never silently dropped: the answer
        // would look filtered when it is not. The route's documented
        // parameters are the ones it reads.
        for name in Set(request.query.keys).sorted() where !route.parameters.contains(name) {
            let why = NearestName.find(name, in: route.parameters).map { "unknown; did you mean '\($0)'?" }
                ?? (route.parameters.isEmpty ? "this route takes no query parameters"
                    : "unknown; expected " + ListFormatting.disjunction(route.parameters))
            // A name that is none of ours (control characters, a value sent
            // as a name) is not echoed: it could be anything.
            guard CallerValues.looksLikeAName(name) else {
                throw HTTPError(status: 400, code: .malformedQuery,
                                message: "invalid query parameter: a parameter's name is not one "
                                    + "of this route's (it is not shown, as it reads as no name); "
                                    + why)
            }
            throw APIErrors.invalidQuery(name, why)
        }
        // A NUL ends text for SQLite's functions and C parsers: the value
        // before it would be what is looked up (`?asset=<uuid>%00junk`
        // found that asset's alerts).
        for item in request.queryItems where item.value.unicodeScalars.contains("\u{0}") {
            throw APIErrors.invalidQuery(item.name, "holds a NUL character")
        }
        // A parameter of one value given twice (`?limit=1&limit=3`): routes
        // read the first or the last; which was meant is not ours to guess.
        var seen: Set<String> = []
        for item in request.queryItems where !Self.repeatableParameters.contains(item.name) {
            guard seen.insert(item.name).inserted else {
                throw APIErrors.invalidQuery(item.name, "is given twice; it takes one value")
            }
        }
        // A body sent to a route that reads none (a revoke's "reason") would
        // be dropped without a word; an empty object says nothing, and passes.
        if route.body == nil, !Self.saysNothing(request.body) {
            throw APIErrors.invalidField("body", "this route reads no body; send none")
        }
        do {
            return try await route.action(self, context)
        } catch let error as StoreError {
            throw APIErrors.from(error)
        }
    }

    /// Whether a body is empty, blank, or an empty JSON object.
    static func saysNothing(_ body: [UInt8]) -> Bool {
        let meaningful = body.filter { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return meaningful.isEmpty || meaningful == Array("{}".utf8)
    }

    // MARK: - Authentication

    /// The principal of a request's bearer token, checked for `permission`.
    /// Synchronous: the server asks it from a request's headers, before it
    /// reads the body (`admit`), and again when the request is handled.
    func authenticate(_ request: HTTPRequest,
                      for permission: APIPermission) throws -> APIPrincipal {
        guard let header = request.headers["Authorization"] else {
            // No quotes: an error's quoted text is taken for the caller's.
            throw APIErrors.unauthorized("unauthorized", "the Authorization header is missing "
                                         + "(expected Bearer and the token)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIErrors.unauthorized("unauthorized", "the Authorization header must be "
                                         + "Bearer, a space and the token")
        }
        let secret = String(parts[1]).trimmingCharacters(in: .whitespaces)
        guard APIToken.isWellFormed(secret) else {
            throw APIErrors.unauthorized("invalid_token", "the token is not a Perimeter token")
        }
        let digest = APIToken.digest(of: secret)
        guard let token = try tokens.token(digest: digest.hexString),
              let stored = SHA256Digest(hex: token.digest),
              ConstantTime.isEqual(stored.bytes, digest.bytes)
        else {
            throw APIErrors.unauthorized("invalid_token", "the token is unknown")
        }
        if token.revokedAt != nil {
            throw APIErrors.unauthorized("token_revoked", "the token was revoked")
        }
        if let expiry = token.expiresAt, expiry <= Date() {
            throw APIErrors.unauthorized("token_expired", "the token has expired")
        }
        let principal = APIPrincipal(token: token)
        guard principal.role.permissions.contains(permission) else {
            throw APIErrors.forbidden(role: principal.role, needs: permission)
        }
        guard permission == .metrics || principal.community != nil else {
            throw APIErrors.forbidden(role: principal.role, needs: permission)
        }
        return principal
    }

    /// The answer to a request whose head shows it may not run the route
    /// (no token, an unknown, revoked or expired one, a role without the
    /// permission): given before its body is read. Nil lets it in.
    func admit(_ route: APIRoute, _ head: HTTPRequest) -> HTTPError? {
        guard let permission = route.permission else { return nil }
        do {
            _ = try authenticate(head, for: permission)
            return nil
        } catch let error as HTTPError {
            return error
        } catch {
            // The token table could not be read: the request is let in,
            // and its handling answers the failure as every route does.
            return nil
        }
    }

    // MARK: - The route table

    /// The parameters that take several values (`?tag=a&tag=b`).
    static let repeatableParameters: Set<String> = ["tag", "category"]

    static let listParameters = AssetFilter.parameters + ["sort", "order", "limit", "cursor",
                                                          "count"]

    static let routes: [APIRoute] = [
        APIRoute(method: .get, template: "/healthz", summary: "Liveness.", permission: nil,
                 status: 200, response: "Health") { _, _ in
            JSONFields.response(["status": "ok"])
        },
        APIRoute(method: .get, template: "/openapi.json", summary: "This description.",
                 permission: nil, status: 200, response: "OpenAPI") { _, _ in
            JSONFields.response(OpenAPIDocument.make())
        },
        APIRoute(method: .get, template: "/metrics",
                 summary: "Prometheus metrics, totals over every community (operator token).",
                 permission: .metrics, status: 200, response: "Metrics") { h, _ in
            try await h.metricsText()
        },
        APIRoute(method: .get, template: "/v1/assets",
                 summary: "List assets: filters combine; count, sort, cursor paging.",
                 permission: .read, status: 200, response: "AssetList",
                 parameters: listParameters) { h, c in try await h.listAssets(c) },
        APIRoute(method: .post, template: "/v1/assets", summary: "Create an asset.",
                 permission: .edit, status: 201, response: "Asset",
                 body: "application/json") { h, c in try await h.createAsset(c) },
        APIRoute(method: .get, template: "/v1/assets/{uuid}",
                 summary: "One asset; with ?at=, as it was then and the atoms it held then.",
                 permission: .read, status: 200, response: "Asset",
                 parameters: ["at"]) { h, c in
            try await h.getAsset(c)
        },
        APIRoute(method: .patch, template: "/v1/assets/{uuid}",
                 summary: "Change some fields of an asset; a new criticality re-rates its "
                     + "open alerts.", permission: .edit, status: 200,
                 response: "Asset", body: "application/json", conditional: true) { h, c in
            try await h.updateAsset(c)
        },
        APIRoute(method: .post, template: "/v1/assets/{uuid}/revoke",
                 summary: "Revoke an asset (its history stays).", permission: .edit,
                 status: 200, response: "Asset", conditional: true) { h, c in
            try await h.revoke(c, true)
        },
        APIRoute(method: .post, template: "/v1/assets/{uuid}/unrevoke",
                 summary: "Undo a revocation.", permission: .edit, status: 200,
                 response: "Asset", conditional: true) { h, c in try await h.revoke(c, false) },
        APIRoute(method: .get, template: "/v1/assets/{uuid}/history",
                 summary: "Atom attachments and attribute changes over time.",
                 permission: .read, status: 200, response: "History") { h, c in
            try await h.history(c)
        },
        APIRoute(method: .post, template: "/v1/assets/{uuid}/atoms/confirm",
                 summary: "Confirm an atom as a detection property of the asset.",
                 permission: .edit, status: 200, response: "Asset", body: "application/json",
                 conditional: true) { h, c in try await h.curate(c, confirming: true) },
        APIRoute(method: .post, template: "/v1/assets/{uuid}/atoms/reject",
                 summary: "Reject an atom for the asset: never attached to it again.",
                 permission: .edit, status: 200, response: "Asset", body: "application/json",
                 conditional: true) { h, c in try await h.curate(c, confirming: false) },
        APIRoute(method: .get, template: "/v1/atoms",
                 summary: "Which asset holds an atom value, now or at ?at=; its weekly activity.",
                 permission: .read, status: 200, response: "AtomLookup",
                 parameters: ["value", "type", "at"]) { h, c in try await h.atoms(c) },
        APIRoute(method: .get, template: "/v1/audit",
                 summary: "The audit trail of the community, or of ?asset=: newest first, or "
                     + "oldest first from ?after=.",
                 permission: .read, status: 200, response: "AuditList",
                 parameters: ["asset", "before", "after", "limit"]) { h, c in
            try await h.audit(c)
        },
        APIRoute(method: .get, template: "/v1/properties",
                 summary: "Contextual property definitions: defaults and custom ones.",
                 permission: .read, status: 200, response: "PropertyList") { h, c in
            try await h.properties(c)
        },
        APIRoute(method: .post, template: "/v1/properties",
                 summary: "Define a custom property.", permission: .administer, status: 201,
                 response: "Property", body: "application/json") { h, c in
            try await h.defineProperty(c)
        },
        APIRoute(method: .patch, template: "/v1/properties/{category}/{name}",
                 summary: "Rename a custom property.", permission: .administer, status: 200,
                 response: "Property", body: "application/json") { h, c in
            try await h.renameProperty(c)
        },
        APIRoute(method: .delete, template: "/v1/properties/{category}/{name}",
                 summary: "Remove a custom property definition.", permission: .administer,
                 status: 200, response: "Deleted") { h, c in try await h.removeProperty(c) },
        APIRoute(method: .get, template: "/v1/discovery-rules",
                 summary: "The discovery rules and whether each is on.", permission: .read,
                 status: 200, response: "RuleList") { h, c in try await h.rules(c) },
        APIRoute(method: .patch, template: "/v1/discovery-rules",
                 summary: "Switch rules on or off: {\"unique_hosts\": false, ...}.",
                 permission: .administer, status: 200, response: "RuleList",
                 body: "application/json") { h, c in try await h.setRules(c) },
        APIRoute(method: .post, template: "/v1/import",
                 summary: "Import assets from CSV or JSON lines; bad rows refused with "
                     + "row, column and reason, good rows in one transaction. CSV columns: "
                     + "uuid, name, category, subcategory, criticality, tags (;-separated), "
                     + "reviewed, description, entity, atom.TYPE (values ;-separated), "
                     + "property.NAME; JSON lines (?format=jsonl or a JSON content type) take "
                     + "the fields of AssetInput and uuid, one object a line. A row whose uuid "
                     + "names an asset of the community updates it (the fields it gives, the "
                     + "atoms it adds); with match=atoms, so does a row without uuid whose "
                     + "atoms one asset of its category holds (a CMDB's rows); any other row "
                     + "creates an asset. An export imports back. "
                     + "dry_run=true checks every row and writes nothing.",
                 permission: .edit, status: 200, response: "ImportResult", body: "text/csv",
                 parameters: ["format", "dry_run", "match"]) { h, c in
            try await h.importAssets(c)
        },
        APIRoute(method: .get, template: "/v1/export",
                 summary: "Export assets as JSON lines or CSV (the import's columns).",
                 permission: .read, status: 200, response: "Export",
                 parameters: ["format", "sort", "order"] + AssetFilter.parameters) { h, c in
            try await h.export(c)
        },
        APIRoute(method: .post, template: "/v1/bulk",
                 summary: "Start a bulk action on ids or a filter; answers with a job "
                     + "(a criticality change re-rates the assets' open alerts).",
                 permission: .edit, status: 202, response: "Job",
                 body: "application/json") { h, c in try await h.bulk(c) },
        APIRoute(method: .get, template: "/v1/jobs",
                 summary: "The community's bulk jobs, newest first; ?status= keeps one status.",
                 permission: .read, status: 200, response: "JobList",
                 parameters: ["status", "before", "limit"]) { h, c in try await h.jobs(c) },
        APIRoute(method: .get, template: "/v1/jobs/{id}", summary: "A job's progress.",
                 permission: .read, status: 200, response: "Job") { h, c in
            try await h.job(c)
        },
        APIRoute(method: .get, template: "/v1/alerts",
                 summary: "The alerts detection raised, most urgent first, then latest first; "
                     + "each with its assets and its first and last enriched events.",
                 permission: .read, status: 200, response: "AlertList",
                 parameters: alertParameters) { h, c in try await h.alerts(c) },
        APIRoute(method: .get, template: "/v1/suppressions",
                 summary: "How many rule matches each alert filter suppressed in the "
                     + "community, by filter id, since the store began.",
                 permission: .read, status: 200, response: "Suppressions") { h, c in
            try await h.suppressions(c)
        },
        APIRoute(method: .get, template: "/v1/conflicts",
                 summary: "The identifiers several assets claim (exclusive atoms: names, "
                     + "MACs, host and agent ids, SIDs), the most claimed first, with the "
                     + "assets, since when and why; total counts them all.",
                 permission: .read, status: 200, response: "ConflictList",
                 parameters: ["limit"]) { h, c in try await h.conflicts(c) },
        APIRoute(method: .get, template: "/v1/alerts/{id}", summary: "One alert.",
                 permission: .read, status: 200, response: "Alert") { h, c in
            try await h.alert(c)
        },
        APIRoute(method: .post, template: "/v1/alerts/{id}/close",
                 summary: "Close an open alert, with an optional reason; the token's name is "
                     + "kept as who closed it. Later matches of its rule on its assets open "
                     + "a new alert.",
                 permission: .edit, status: 200, response: "Alert",
                 body: "application/json") { h, c in try await h.closeAlert(c) },
        APIRoute(method: .post, template: "/v1/events",
                 summary: "Send NDJSON events (gzip: Content-Encoding or its magic bytes): "
                     + "discovery, enrichment, detection.",
                 permission: .ingest, status: 200, response: "IntakeResult",
                 body: "application/x-ndjson", parameters: ["entity", "return"]) { h, c in
            try await h.events(c)
        },
        APIRoute(method: .post, template: "/v1/forget",
                 summary: "Erase an atom ({\"type\", \"value\"}) or an account "
                     + "({\"asset\": uuid}) on request; answers the rows erased per table.",
                 permission: .administer, status: 200, response: "Forgotten",
                 body: "application/json") { h, c in try await h.forget(c) },
        APIRoute(method: .get, template: "/v1/tokens", summary: "The community's tokens.",
                 permission: .administer, status: 200, response: "TokenList") { h, c in
            try await h.tokens(c)
        },
        APIRoute(method: .post, template: "/v1/tokens",
                 summary: "Create a token of the community; the secret is shown once.",
                 permission: .administer, status: 201, response: "NewToken",
                 body: "application/json") { h, c in try await h.createToken(c) },
        APIRoute(method: .post, template: "/v1/tokens/{id}/revoke",
                 summary: "Revoke a token of the community.", permission: .administer,
                 status: 200, response: "Token") { h, c in try await h.revokeToken(c) },
    ]
}
