import Foundation
import PerimeterHTTP
import PerimeterInventory
import PerimeterModel
import PerimeterStore

extension APIHandlers {
    // MARK: - Atoms and audit

    func atoms(_ context: APIContext) async throws -> HTTPResponse {
        let query = context.request.query
        guard let value = query["value"], !value.isEmpty else {
            throw APIErrors.invalidQuery("value", "is required (the atom value to look up)")
        }
        let at = try Self.time(query["at"], parameter: "at")
        let types: [AtomType]
        if let name = query["type"] {
            guard let type = try? AtomType(parsing: name) else {
                throw APIErrors.invalidQuery("type", "must be one of "
                    + AtomType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            types = [type]
        } else {
            types = AtomType.allCases
        }
        let holdings = try await readers.read {
            try await $0.lookUp(value, types: types, community: context.community)
        }
        let time = at ?? EventTime(Date())
        let expiry = options.configuration.inventory.addressExpiry
        let results: [[String: Any]] = holdings.map { holding in
            let holders = holding.attachments.filter { $0.isValid(at: time, addressExpiry: expiry) }
                .compactMap { attachment -> [String: Any]? in
                    guard let asset = holding.assets[attachment.asset], !asset.isRevoked
                    else { return nil }
                    var object = Self.attachmentObject(attachment, addressExpiry: expiry)
                    object["asset"] = ["uuid": asset.id.lowercasedText,
                                       "name": asset.name, "category": asset.category.rawValue]
                    return object
                }
            return [
                "type": holding.atom.type.rawValue, "value": holding.atom.value,
                "holders": holders,
                "timeline": holding.attachments.map { attachment -> [String: Any] in
                    var object = Self.attachmentObject(attachment, addressExpiry: expiry)
                    object["asset"] = attachment.asset.lowercasedText
                    return object
                },
                "weekly_activity": holding.activity.map {
                    ["week": $0.0.description, "count": $0.1] as [String: Any]
                },
                // Why an address no host holds is held by none: it moved
                // between too many (`atoms show` said so; the API did not).
                "shared": holding.shared.contains { ($0.since ?? .distantPast) <= time },
                "shared_since": holding.shared.compactMap(\.since).min()?.description
                    ?? NSNull() as Any,
            ]
        }
        return JSONFields.response(["at": time.description, "atoms": results])
    }

    /// A time parameter; nil when absent.
    static func time(_ text: String?, parameter: String) throws -> EventTime? {
        guard let text else { return nil }
        guard let time = EventTime(parsing: text) else {
            throw APIErrors.invalidQuery(parameter, "must be a time such as 2024-05-01T10:00:00Z, "
                                         + "or a day such as 2024-05-01 (its start, UTC)")
        }
        return time
    }

    /// The range two optional bounds of 0 to 100 give (`criticality_min`
    /// and `criticality_max`, `min_urgency` and `max_urgency`), an absent
    /// one open; nil when neither is given. A lower bound above the upper
    /// one is refused.
    static func percentRange(low: (name: String, text: String?),
                             high: (name: String, text: String?),
                             refusing refuse: AssetFilter.Refusal = APIErrors.invalidQuery)
        throws -> ClosedRange<Int>? {
        func bound(_ name: String, _ text: String?) throws -> Int? {
            guard let text else { return nil }
            guard let value = Int(text), (0...100).contains(value) else {
                throw refuse(name, "must be a whole number from 0 to 100")
            }
            return value
        }
        let lower = try bound(low.name, low.text)
        let upper = try bound(high.name, high.text)
        guard lower != nil || upper != nil else { return nil }
        guard (lower ?? 0) <= (upper ?? 100) else {
            throw refuse(low.name, "is above \(high.name)")
        }
        return (lower ?? 0)...(upper ?? 100)
    }

    /// A page size from the `limit` parameter: 1 to 1,000, `standard`
    /// when absent.
    static func limit(_ text: String?, standard: Int = 100) throws -> Int {
        guard let text else { return standard }
        guard let value = Int(text), (1...1_000).contains(value) else {
            throw APIErrors.invalidQuery("limit", "must be from 1 to 1000")
        }
        return value
    }

    func audit(_ context: APIContext) async throws -> HTTPResponse {
        let query = context.request.query
        var asset: AssetID?
        if let text = query["asset"] {
            // An unknown uuid, or one of another community, shows nothing.
            guard let id = UUID(exactText: text),
                  try await readers.read({ try await $0.asset(id, community: context.community) })
                      != nil
            else { throw APIErrors.assetNotFound() }
            asset = id
        }
        func entryID(_ name: String) throws -> Int64? {
            guard let text = query[name] else { return nil }
            guard let value = Int64(text), value >= 0 else {
                throw APIErrors.invalidQuery(name, "must be an audit entry id")
            }
            return value
        }
        let after = try entryID("after")
        let before = try entryID("before")
        if after != nil && before != nil {
            throw APIErrors.invalidQuery("before", "cannot be combined with after: before pages "
                                         + "back from the newest entries, after reads on from "
                                         + "an entry")
        }
        let limit = try Self.limit(query["limit"])
        // Newest first unless the caller reads on from an entry (a
        // collector following the trail): what changed last is what an
        // analyst asks for first.
        let readsOn = after != nil
        let entries = try await readers.read {
            try await $0.audit(community: context.community, asset: asset, afterID: after ?? 0,
                               beforeID: before ?? .max, latest: !readsOn, limit: limit)
        }
        let page = readsOn ? entries : entries.reversed()
        let next: Any = page.count == limit ? (page.last?.id ?? 0) : NSNull()
        return JSONFields.response([
            "entries": page.map(AssetJSON.auditObject),
            "next_after": readsOn ? next : NSNull(),
            "next_before": readsOn ? NSNull() : next,
        ])
    }

    // MARK: - Properties and rules

    static func propertyObject(_ definition: PropertyDefinition) -> [String: Any] {
        ["name": definition.name, "type": definition.type.rawValue,
         "category": definition.category.rawValue, "default": definition.isDefault]
    }

    func properties(_ context: APIContext) async throws -> HTTPResponse {
        let definitions = try await readers.read {
            try await $0.properties(community: context.community)
        }
        return JSONFields.response(["properties": definitions.map(Self.propertyObject)])
    }

    func defineProperty(_ context: APIContext) async throws -> HTTPResponse {
        let object = try JSONFields.object(context.request.body,
                                           fields: ["name", "type", "category"])
        guard let name = object["name"] as? String else {
            throw APIErrors.invalidField("name", "is required (\(PropertyDefinition.nameRule))")
        }
        guard PropertyDefinition.isValidName(name) else {
            throw APIErrors.invalidField("name", "must be \(PropertyDefinition.nameRule)")
        }
        guard let typeName = object["type"] as? String,
              let type = PropertyType(rawValue: typeName) else {
            throw APIErrors.invalidField("type", "must be one of "
                + PropertyType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let categoryName = object["category"] as? String,
              let category = AssetCategory(rawValue: categoryName) else {
            throw APIErrors.invalidField("category", "must be account, host or network")
        }
        let definition = PropertyDefinition(name: name, type: type, category: category)
        try await service.define(definition, community: context.community)
        return JSONFields.response(Self.propertyObject(definition), status: 201)
    }

    private func propertyPath(_ context: APIContext) throws -> (AssetCategory, String) {
        guard let category = context.request.pathParameters["category"]
            .flatMap(AssetCategory.init(rawValue:)),
              let name = context.request.pathParameters["name"] else {
            throw HTTPError(status: 404, code: .notFound, message: "no such property definition")
        }
        return (category, name)
    }

    func renameProperty(_ context: APIContext) async throws -> HTTPResponse {
        let (category, name) = try propertyPath(context)
        let object = try JSONFields.object(context.request.body, fields: ["name"])
        guard let newName = object["name"] as? String else {
            throw APIErrors.invalidField("name", "is required (the new name)")
        }
        guard PropertyDefinition.isValidName(newName) else {
            throw APIErrors.invalidField("name", "must be \(PropertyDefinition.nameRule)")
        }
        try await service.renameProperty(name, to: newName, category: category,
                                         community: context.community, actor: context.actor)
        let definitions = try await readers.read {
            try await $0.properties(community: context.community)
        }
        guard let renamed = definitions.first(where: {
            $0.name == newName && $0.category == category
        }) else { throw HTTPError.internalError() }
        return JSONFields.response(Self.propertyObject(renamed))
    }

    func removeProperty(_ context: APIContext) async throws -> HTTPResponse {
        let (category, name) = try propertyPath(context)
        try await service.removeProperty(name, category: category, community: context.community)
        return JSONFields.response(["deleted": true])
    }

    func rules(_ context: APIContext) async throws -> HTTPResponse {
        let enabled = try await readers.read { try await $0.rules(community: context.community) }
        return JSONFields.response(["rules": DiscoveryRule.allCases.map {
            ["rule": $0.rawValue, "enabled": enabled.contains($0), "summary": $0.summary]
                as [String: Any]
        }])
    }

    func setRules(_ context: APIContext) async throws -> HTTPResponse {
        let object = try JSONFields.object(context.request.body)
        var changes: [(DiscoveryRule, Bool)] = []
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let rule = DiscoveryRule(rawValue: key) else {
                throw APIErrors.invalidField(key, "is not a discovery rule; expected one of "
                    + DiscoveryRule.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let enabled = JSONFields.boolean(value) else {
                throw APIErrors.invalidField(key, "must be true or false")
            }
            changes.append((rule, enabled))
        }
        for (rule, enabled) in changes {
            try await service.setRule(rule, enabled: enabled, community: context.community)
        }
        return try await rules(context)
    }

    // MARK: - Tokens and metrics

    static func tokenObject(_ token: StoredToken) -> [String: Any] {
        [
            "id": token.id, "name": token.name, "role": token.role,
            "community": token.community ?? NSNull(),
            "created_at": EventTime(token.createdAt).description,
            "expires_at": token.expiresAt.map { EventTime($0).description } ?? NSNull(),
            "revoked": token.revokedAt != nil,
        ]
    }

    func tokens(_ context: APIContext) async throws -> HTTPResponse {
        let tokens = try await readers.read { try await $0.tokens(community: context.community) }
        return JSONFields.response(["tokens": tokens.map(Self.tokenObject)])
    }

    func createToken(_ context: APIContext) async throws -> HTTPResponse {
        let object = try JSONFields.object(context.request.body,
                                           fields: ["name", "role", "expires_at"])
        guard let name = object["name"] as? String else {
            throw APIErrors.invalidField("name", "is required (1 to 128 characters)")
        }
        if let problem = APITokenIssuer.problem(withName: name) {
            throw APIErrors.invalidField("name", problem)
        }
        guard let roleName = object["role"] as? String, let role = APIRole(rawValue: roleName),
              role != .operator else {
            throw APIErrors.invalidField("role", "must be admin, analyst, reader or ingest")
        }
        var expiry: Date?
        if let value = object["expires_at"], !(value is NSNull) {
            // Anything but a future time is refused: a number or a typo
            // read as "no expiry" made a token that never expires.
            guard let text = value as? String, let time = EventTime(parsing: text) else {
                throw APIErrors.invalidField("expires_at", "must be a time such as "
                                             + "2027-01-01T00:00:00Z, or null")
            }
            guard time.date > Date() else {
                throw APIErrors.invalidField("expires_at", "is in the past: the token would "
                                             + "never work")
            }
            expiry = time.date
        }
        let (secret, token) = try await service.createToken(
            name: name, community: context.community, role: role, expiresAt: expiry)
        // Who gave whom access is an operator's question: the token's id,
        // name and role, and the actor; never the secret.
        options.log("token created community=\(LogField.value(context.community)) "
                    + "id=\(LogField.value(token.id)) name=\(LogField.value(name)) "
                    + "role=\(role.rawValue) actor=\(LogField.value(context.actor))")
        var result = Self.tokenObject(token)
        result["token"] = secret
        return JSONFields.response(result, status: 201)
    }

    func revokeToken(_ context: APIContext) async throws -> HTTPResponse {
        let id = context.request.pathParameters["id"] ?? ""
        func current() async throws -> StoredToken? {
            try await readers.read { try await $0.tokens(community: context.community) }
                .first { $0.id == id }
        }
        // Revoking again changes nothing, and is not logged again.
        let wasLive = try await current()?.revokedAt == nil
        guard try await service.revokeToken(id, community: context.community),
              let token = try await current()
        else { throw APIErrors.tokenNotFound() }
        if wasLive {
            options.log("token revoked community=\(LogField.value(context.community)) "
                        + "id=\(LogField.value(id)) name=\(LogField.value(token.name)) "
                        + "actor=\(LogField.value(context.actor))")
        }
        return JSONFields.response(Self.tokenObject(token))
    }

    func metricsText() async throws -> HTTPResponse {
        let totals = try await readers.read { try await $0.totals() }
        let intake = await service.intakeTotals
        // Counted when asked: a pipeline is also dropped after a failed
        // commit or an erasure.
        let pipelines = await service.intakePipelineCount
        return HTTPResponse.text(metrics.exposition(
            intake: intake, intakePipelines: pipelines, assetsByCategory: totals.assetsByCategory,
            jobsByStatus: totals.jobsByStatus),
            contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}

extension StoreReader {
    /// The atoms a looked-up value may be, in normal form, and who held them.
    func lookUp(_ value: String, types: [AtomType], community: String) throws -> [AtomHolding] {
        let builder = try AssetDraftBuilder(store: store, community: community)
        var atoms: [Atom] = []
        for type in types {
            if let atom = try? builder.atom(type.rawValue, value, category: type.category),
               !atoms.contains(atom) {
                atoms.append(atom)
            }
        }
        return try holdings(of: atoms, community: community)
    }
}
