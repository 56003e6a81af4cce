import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// The OpenAPI 3.1 description, generated from the same route table the
/// router serves, so that a route cannot be served and not documented.
/// The schemas are written by hand; a test checks each documented route
/// answers in its documented shape.
enum OpenAPIDocument {
    private static func object(_ required: [String: String],
                               optional: [String: String] = [:]) -> [String: Any] {
        var properties: [String: Any] = [:]
        for (name, type) in required.merging(optional, uniquingKeysWith: { a, _ in a }) {
            properties[name] = schema(type)
        }
        return ["type": "object", "required": required.keys.sorted(), "properties": properties]
    }

    /// `string`, `integer`, `boolean`, `object`, `[T]`, `T?` or a schema name.
    private static func schema(_ type: String) -> [String: Any] {
        if type.hasSuffix("?") {
            var inner = schema(String(type.dropLast()))
            if let name = inner["type"] as? String {
                inner["type"] = [name, "null"]
            } else {
                // A schema by reference: that schema, or null.
                inner = ["oneOf": [inner, ["type": "null"]]]
            }
            return inner
        }
        if type.hasPrefix("[") {
            return ["type": "array", "items": schema(String(type.dropFirst().dropLast()))]
        }
        if ["string", "integer", "boolean", "object", "number"].contains(type) {
            return ["type": type]
        }
        return ["$ref": "#/components/schemas/\(type)"]
    }

    private static var alertSchema: [String: Any] {
        var alert = object([
            "id": "integer", "rule_id": "string", "title": "string", "level": "string",
            "urgency": "integer", "urgency_label": "string", "status": "string",
            "community": "string", "entity": "string?", "count": "integer",
            "first_time": "string", "last_time": "string", "assets": "[object]",
            "first_event": "object?", "last_event": "object?", "closed": "AlertClosure?",
        ])
        var properties = alert["properties"] as? [String: Any] ?? [:]
        properties["status"] = ["type": "string",
                                "enum": StoredAlert.Status.allCases.map(\.rawValue)]
        alert["properties"] = properties
        return alert
    }

    /// Path parameters that are numbers, by the template that ends in them
    /// (`/v1/alerts/{id}` covers `/v1/alerts/{id}/close` too); the others
    /// are text: uuids, job and token ids, names.
    static let integerPathParameters: Set<String> = ["/v1/alerts/{id}"]

    static var schemas: [String: [String: Any]] { [
        "Error": object(["error": "ErrorBody"]),
        "ErrorBody": object(["code": "string", "message": "string", "details": "object"]),
        "Health": object(["status": "string"]),
        "OpenAPI": object(["openapi": "string", "info": "object", "paths": "object"]),
        "Metrics": ["type": "string", "description": "Prometheus text format 0.0.4."],
        "Atom": object(["type": "string", "value": "string", "kind": "string",
                        "from": "string?", "to": "string?"]),
        "Asset": object([
            "uuid": "string", "name": "string", "category": "string",
            "subcategory": "string?", "criticality": "integer?",
            "criticality_display": "string", "tags": "[string]", "reviewed": "boolean",
            "source": "string", "community": "string", "entity": "string?",
            "description": "string", "properties": "object", "atoms": "[Atom]",
            "revoked": "boolean", "created_at": "string", "updated_at": "string",
            "first_seen": "string?", "last_seen": "string?",
        ], optional: ["discovery_rule": "string", "at": "string",
                      "last_seen_is_lower_bound": "boolean"]),
        "AssetList": object(["assets": "[Asset]", "total": "integer?",
                             "next_cursor": "string?"]),
        "History": object(["uuid": "string", "attachments": "[object]",
                           "changes": "[AuditEntry]", "next_before": "integer?"]),
        "AuditEntry": object(["id": "integer", "asset": "string", "actor": "string",
                              "action": "string", "at": "string"],
                             optional: ["before": "object?", "after": "object?"]),
        "AuditList": object(["entries": "[AuditEntry]", "next_before": "integer?",
                             "next_after": "integer?"]),
        "AtomLookup": object(["at": "string", "atoms": "[object]"]),
        "Property": object(["name": "string", "type": "string", "category": "string",
                            "default": "boolean"]),
        "PropertyList": object(["properties": "[Property]"]),
        "Deleted": object(["deleted": "boolean"]),
        "RuleList": object(["rules": "[object]"]),
        "ImportResult": object(["dry_run": "boolean", "imported": "integer", "created": "integer",
                                 "updated": "integer", "unchanged": "integer",
                                 "created_from_unknown_uuid": "[integer]",
                                 "atoms_left_out_kept": "[integer]",
                                 "created_without_atoms": "[integer]",
                                 "matched_by_atoms": "[integer]",
                                 "created_with_existing_name": "[integer]", "refused": "[object]"]),
        "Export": ["type": "string",
                   "description": "JSON lines of Asset objects, or CSV with the import's columns."],
        // `request` is the action with its selection: `filter` as it was
        // sent, or `id_count` (the ids themselves are the job's items).
        "Job": object(["id": "string", "action": "string", "status": "string",
                       "done": "integer", "changed": "integer", "total": "integer",
                       "error": "string?", "actor": "string", "request": "object",
                       "created_at": "string", "updated_at": "string"]),
        "JobList": object(["jobs": "[Job]", "next_before": "string?"]),
        "Alert": alertSchema,
        "AlertClosure": object(["at": "string", "by": "string", "reason": "string?"]),
        "AlertList": object(["alerts": "[Alert]", "next_cursor": "string?"]),
        // Counts by filter id (a filter without one: its title).
        "Suppressions": object(["suppressed_by_filter": "object"]),
        "ConflictList": object(["conflicts": "[object]", "total": "integer"]),
        // The counts of what the events met in the inventory are null for
        // a token that may not read it (ingest).
        "IntakeResult": object(["received": "integer", "malformed": "integer",
                                "enriched": "integer?", "discovered": "integer?",
                                "late": "integer", "future": "integer",
                                "lateness_window_seconds": "integer",
                                "without_timestamp": "integer",
                                "dotted_hostnames_dropped": "integer",
                                "matches": "integer?", "alerts_opened": "integer?",
                                "suppressed": "integer?",
                                "regex_limit_exceeded": "integer?",
                                "already_stored": "integer",
                                "problems": "[object]", "problems_omitted": "integer"],
                               optional: ["events": "[object]"]),
        "Forgotten": object(["dry_run": "boolean", "rows_erased": "integer",
                             "deleted": "object", "redacted": "object"]),
        "Token": object(["id": "string", "name": "string", "role": "string",
                         "revoked": "boolean"]),
        "TokenList": object(["tokens": "[Token]"]),
        "NewToken": object(["id": "string", "name": "string", "role": "string",
                            "token": "string"]),
    ] }

    /// The JSON bodies the routes read, by `METHOD template`: each lists
    /// every field its handler takes (a field it does not take is refused
    /// with the list; a test compares the two).
    static let requestSchemaNames: [String: String] = [
        "POST /v1/assets": "AssetInput", "PATCH /v1/assets/{uuid}": "AssetPatch",
        "POST /v1/assets/{uuid}/atoms/confirm": "AtomChange",
        "POST /v1/assets/{uuid}/atoms/reject": "AtomChange",
        "POST /v1/properties": "PropertyDefinition",
        "PATCH /v1/properties/{category}/{name}": "PropertyRename",
        "PATCH /v1/discovery-rules": "RuleSwitches", "POST /v1/bulk": "BulkRequest",
        "POST /v1/tokens": "TokenRequest", "POST /v1/forget": "ForgetRequest",
        "POST /v1/alerts/{id}/close": "AlertClose",
    ]

    /// Routes whose JSON body may be left out.
    static let optionalBodies: Set<String> = ["POST /v1/alerts/{id}/close"]

    /// The schemas of `requestSchemaNames`.
    static var requestSchemas: [String: [String: Any]] {
        func closed(_ properties: [String: [String: Any]], required: [String] = [])
            -> [String: Any] {
            ["type": "object", "properties": properties, "required": required,
             "additionalProperties": false]
        }
        let text: [String: Any] = ["type": "string"]
        let texts: [String: Any] = ["type": "array", "items": text]
        let flag: [String: Any] = ["type": "boolean"]
        let rating: [String: Any] = ["type": ["integer", "null"], "minimum": 0, "maximum": 100]
        let category: [String: Any] = ["type": "string",
                                       "enum": AssetCategory.allCases.map(\.rawValue)]
        let atomType: [String: Any] = ["type": "string", "enum": AtomType.allCases.map(\.rawValue)]
        let atoms: [String: Any] = [
            "description": "Confirmed atoms: {\"hostname\": [\"dc-01\"], ...} or "
                + "[{\"type\": \"hostname\", \"value\": \"dc-01\"}, ...].",
            "oneOf": [
                ["type": "object", "additionalProperties": ["oneOf": [texts, text]]],
                ["type": "array", "items": closed(["type": atomType, "value": text],
                                                  required: ["type", "value"])],
            ],
        ]
        let properties: [String: Any] = [
            "type": "object", "description": "Contextual properties by name, typed as defined "
                + "(GET /v1/properties); in a patch, null removes one.",
        ]
        return [
            "AssetInput": closed([
                "name": text, "category": category, "subcategory": ["type": ["string", "null"]],
                "criticality": rating, "tags": texts, "reviewed": ["type": ["boolean", "null"]],
                "revoked": ["type": ["boolean", "null"], "description": "Made or kept "
                    + "revoked (an export's revoked asset imported back)."],
                "description": ["type": ["string", "null"]],
                "entity": ["type": ["string", "null"]], "atoms": atoms,
                "properties": properties,
            ], required: ["name", "category"]),
            "AssetPatch": closed([
                "name": text, "subcategory": ["type": ["string", "null"]], "criticality": rating,
                "tags": texts, "add_tags": texts, "remove_tags": texts, "reviewed": flag,
                "description": ["type": ["string", "null"]], "properties": properties,
            ]),
            "AtomChange": closed(["type": atomType, "value": text], required: ["type", "value"]),
            "PropertyDefinition": closed([
                "name": text, "type": ["type": "string",
                                       "enum": PropertyType.allCases.map(\.rawValue)],
                "category": category,
            ], required: ["name", "type", "category"]),
            "PropertyRename": closed(["name": text], required: ["name"]),
            "RuleSwitches": closed(Dictionary(uniqueKeysWithValues: DiscoveryRule.allCases.map {
                ($0.rawValue, flag)
            })),
            "BulkRequest": closed([
                "action": ["type": "string",
                           "enum": BulkAction.Kind.allCases.map(\.rawValue)],
                "ids": texts, "filter": ["type": "object", "description": "The list filters, "
                                         + "by their query parameter names."],
                "tags": texts, "criticality": rating, "reviewed": flag,
            ], required: ["action"]),
            "TokenRequest": closed([
                "name": text,
                // A community's roles: the operator's token has none.
                "role": ["type": "string", "enum": APIRole.allCases.filter { $0 != .operator }
                            .map(\.rawValue)],
                "expires_at": ["type": ["string", "null"], "format": "date-time"],
            ], required: ["name", "role"]),
            "ForgetRequest": closed([
                "asset": text, "type": atomType, "value": text, "entity": text, "dry_run": flag,
            ]),
            "AlertClose": closed([
                "reason": ["type": ["string", "null"], "maxLength": StoredAlert.Closure.reasonLimit,
                           "description": "Why the alert is closed (kept with it)."],
            ]),
        ]
    }

    /// The query parameters the routes read: their schema and meaning.
    static var queryParameters: [String: ([String: Any], String)] {
        let flag: [String: Any] = ["type": "boolean"]
        let criticality: [String: Any] = ["type": "integer", "minimum": 0, "maximum": 100]
        let limit: [String: Any] = ["type": "integer", "minimum": 1, "maximum": 1_000]
        // A date-time, or a day alone (its first instant, UTC).
        let time: [String: Any] = ["type": "string",
                                   "anyOf": [["format": "date-time"], ["format": "date"]]]
        return [
            "category": (["type": "string", "enum": ["host", "account", "network"]],
                         "Assets of this category; repeat for several."),
            "tag": (["type": "string"], "Assets holding this tag; repeat for several (all)."),
            "criticality": (["type": "string",
                             "pattern": "^([0-9]{1,3}(-[0-9]{1,3})?|low|medium|high|unrated)$"],
                            "MIN-MAX (68-100), one value, low, medium or high (by the "
                            + "configured bounds), or unrated, as the command line takes it; or "
                            + "criticality_min and criticality_max."),
            "criticality_min": (criticality, "Rated at least this."),
            "criticality_max": (criticality, "Rated at most this."),
            "unrated": (flag, "true: unrated assets only; false: rated ones only."),
            "source": (["type": "string"],
                       "automatic, manual, connector:NAME, or the discovery rule that made "
                       + "the asset (unique_hosts…)."),
            "reviewed": (flag, "Reviewed by a person, or not."),
            "q": (["type": "string"], "Text in the name or an atom value (3 characters or "
                  + "more use the trigram index)."),
            "entity": (["type": "string"], "Assets of this entity (and, for intake, the "
                       + "entity the events come from)."),
            "include_revoked": (flag, "Revoked assets too (default false)."),
            "sort": (["type": "string", "enum": ["name", "criticality", "last_seen",
                                                  "created_at"]],
                     "The listing's order. Unrated and never-seen assets sort lowest; ties go "
                     + "by uuid, or for last_seen by the order the assets were created in."),
            "order": (["type": "string", "enum": ["asc", "desc"]], "Ascending or descending."),
            "limit": (limit, "Page size (default 50 for assets, 100 otherwise)."),
            "cursor": (["type": "string"], "next_cursor of the previous page."),
            "count": (flag, "false skips the exact count."),
            "format": (["type": "string", "enum": ["jsonl", "csv"]], "Body or export format."),
            "dry_run": (flag, "Check every row and write nothing (default false)."),
            "match": (["type": "string", "enum": ["uuid", "atoms"]],
                      "How a row names the asset it updates: by uuid (default), or also, "
                      + "for a row without one, by the atoms one asset of its category "
                      + "holds."),
            "asset": (["type": "string", "format": "uuid"], "One asset's entries only."),
            "/v1/audit after": (["type": "integer", "minimum": 0],
                                "Entries after this id, oldest first (next_after): to follow "
                                + "the trail."),
            "/v1/audit before": (["type": "integer", "minimum": 0],
                                 "Entries before this id, newest first (next_before); without "
                                 + "before or after, the newest entries."),
            "status": (["type": "string", "enum": ["queued", "running", "succeeded", "failed"]],
                       "Jobs of this status only."),
            "before": (["type": "string"], "Jobs older than this one (next_before)."),
            "value": (["type": "string"], "The atom value, in any form (normalised)."),
            "type": (["type": "string"], "The atom type, when the value could be several."),
            "at": (time, "The time to answer for (default now)."),
            "return": (["type": "string", "enum": ["enriched"]],
                       "enriched: the enriched events in the answer (a token that reads "
                       + "as well: admin; they show the assets each event touches)."),
            // The alerts' own meanings of names other routes use too.
            "/v1/alerts asset": (["type": "string"],
                                 "Alerts about this asset: its uuid, or its name in any case "
                                 + "(as the alert recorded it)."),
            "/v1/alerts status": (["type": "string",
                                   "enum": StoredAlert.Status.allCases.map(\.rawValue)],
                                  "Alerts of this status only."),
            "/v1/alerts cursor": (["type": "string"], "next_cursor of the previous page."),
            "/v1/alerts limit": (limit, "Page size (default 100)."),
            "rule": (["type": "string"], "Alerts of this rule id."),
            "min_urgency": (criticality, "Urgency at least this."),
            "max_urgency": (criticality, "Urgency at most this."),
            "since": (time, "Alerts whose last match is at or after this (event time)."),
            "until": (time, "Alerts whose first match is at or before this (event time)."),
        ]
    }

    static func make() -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        let queryParameters = Self.queryParameters
        for route in APIHandlers.routes {
            var operation: [String: Any] = [
                "summary": route.summary,
                "operationId": operationID(route),
            ]
            var parameters: [[String: Any]] = []
            for segment in route.template.split(separator: "/") where segment.hasPrefix("{") {
                let isInteger = integerPathParameters.contains {
                    route.template.hasPrefix($0) && $0.hasSuffix("/" + segment)
                }
                let schema: [String: Any] = isInteger ? ["type": "integer", "minimum": 1]
                    : ["type": "string"]
                parameters.append(["name": String(segment.dropFirst().dropLast()), "in": "path",
                                   "required": true, "schema": schema])
            }
            for name in route.parameters {
                let (schema, description) = queryParameters["\(route.template) \(name)"]
                    ?? queryParameters[name] ?? (["type": "string"], "")
                var parameter: [String: Any] = ["name": name, "in": "query",
                                                "required": name == "value", "schema": schema]
                if !description.isEmpty { parameter["description"] = description }
                parameters.append(parameter)
            }
            let isAssetRead = route.method == .get && route.response == "Asset"
            if isAssetRead {
                parameters.append([
                    "name": "If-None-Match", "in": "header", "required": false,
                    "schema": ["type": "string"],
                    "description": "The asset's ETag as last read: 304 and no body while it "
                        + "is still the current version.",
                ])
            }
            if route.conditional {
                parameters.append([
                    "name": "If-Match", "in": "header", "required": false,
                    "schema": ["type": "string"],
                    "description": "The asset's ETag as read (or a list of them, or *): the "
                        + "change is made only if the asset is still at that version; else 412.",
                ])
            }
            if route.template == "/v1/events" {
                parameters.append([
                    "name": "Idempotency-Key", "in": "header", "required": false,
                    "schema": ["type": "string", "minLength": 1, "maxLength": 200],
                    "description": "A key of the client's for this body (a UUID): each chunk "
                        + "stored records how far the body is stored, for 24 hours, and the "
                        + "same key and body sent again store only the rest (already_stored "
                        + "says how many lines were skipped); another body with the key, or a "
                        + "second request of it while the first is stored: 409.",
                ])
            }
            if !parameters.isEmpty { operation["parameters"] = parameters }
            if let body = route.body {
                let key = "\(route.method.rawValue) \(route.template)"
                let schema: [String: Any] = body != "application/json" ? ["type": "string"]
                    : requestSchemaNames[key].map { ["$ref": "#/components/schemas/\($0)"] }
                        ?? ["type": "object"]
                operation["requestBody"] = ["required": !optionalBodies.contains(key),
                                            "content": [body: [
                    "schema": schema,
                ]]]
            }
            let mediaTypes = ["Metrics": ["text/plain"],
                              "Export": ["application/x-ndjson", "text/csv"]]
            let schema = ["schema": ["$ref": "#/components/schemas/\(route.response)"]]
            var success: [String: Any] = [
                "description": "Success.",
                "content": Dictionary(uniqueKeysWithValues:
                    (mediaTypes[route.response] ?? ["application/json"]).map { ($0, schema) }),
            ]
            if route.response == "Asset" {
                success["headers"] = ["ETag": [
                    "description": "The asset's version, for If-Match on a later change.",
                    "schema": ["type": "string"],
                ]]
            }
            var responses: [String: Any] = [
                String(route.status): success,
                "default": [
                    "description": "An error, always in this shape.",
                    "content": ["application/json": [
                        "schema": ["$ref": "#/components/schemas/Error"],
                    ]],
                ],
            ]
            if isAssetRead {
                responses["304"] = ["description": "Not modified: If-None-Match names the "
                                        + "asset's current version."]
            }
            // A path that names something: an unknown id and another
            // community's answer alike (tenants cannot tell theirs apart).
            if route.template.contains("{") {
                responses["404"] = [
                    "description": "Nothing of the token's community has that id (another "
                        + "community's ids answer the same).",
                    "content": ["application/json": [
                        "schema": ["$ref": "#/components/schemas/Error"],
                    ]],
                ]
            }
            if route.conditional {
                responses["412"] = ["description": "If-Match names another version than the "
                                        + "asset's current one (its ETag is in the answer)."]
            }
            if route.permission != nil {
                operation["security"] = [["bearer": [String]()]]
                responses["401"] = ["description": "No token, or an unknown, expired or "
                                        + "revoked one."]
                responses["403"] = ["description": "The token's role lacks the permission "
                                        + (route.permission?.rawValue ?? "") + "."]
            } else {
                operation["security"] = [[String: [String]]]()
            }
            operation["responses"] = responses
            operation["x-perimeter-permission"] = route.permission?.rawValue ?? NSNull()
            paths[route.template, default: [:]][route.method.rawValue.lowercased()] = operation
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Perimeter API",
                "version": "1",
                "description": "Asset inventory and discovery. Every route but /healthz and "
                    + "/openapi.json needs `Authorization: Bearer <token>`; a token sees its "
                    + "own community only, and another community's ids answer 404.",
            ],
            "paths": paths,
            "components": [
                "schemas": schemas.merging(requestSchemas) { own, _ in own },
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
            ],
        ]
    }

    private static func operationID(_ route: APIRoute) -> String {
        let words = route.template.split(separator: "/").map {
            $0.replacingOccurrences(of: "{", with: "by_").replacingOccurrences(of: "}", with: "")
                .replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: ".", with: "_")
        }
        return route.method.rawValue.lowercased() + "_" + words.joined(separator: "_")
    }
}
