import Foundation

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
            if let name = inner["type"] as? String { inner["type"] = [name, "null"] }
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
        ], optional: ["discovery_rule": "string"]),
        "AssetList": object(["assets": "[Asset]", "total": "integer?",
                             "next_cursor": "string?"]),
        "History": object(["uuid": "string", "attachments": "[object]",
                           "changes": "[AuditEntry]"]),
        "AuditEntry": object(["id": "integer", "asset": "string", "actor": "string",
                              "action": "string", "at": "string"],
                             optional: ["before": "object?", "after": "object?"]),
        "AuditList": object(["entries": "[AuditEntry]", "next_after": "integer?"]),
        "AtomLookup": object(["at": "string", "atoms": "[object]"]),
        "Property": object(["name": "string", "type": "string", "category": "string",
                            "default": "boolean"]),
        "PropertyList": object(["properties": "[Property]"]),
        "Deleted": object(["deleted": "boolean"]),
        "RuleList": object(["rules": "[object]"]),
        "ImportResult": object(["imported": "integer", "refused": "[object]"]),
        "Export": ["type": "string",
                   "description": "JSON lines of Asset objects, or CSV with the import's columns."],
        "Job": object(["id": "string", "action": "string", "status": "string",
                       "done": "integer", "changed": "integer", "total": "integer",
                       "error": "string?"]),
        "JobList": object(["jobs": "[Job]", "next_before": "string?"]),
        "IntakeResult": object(["received": "integer", "malformed": "integer",
                                "enriched": "integer", "discovered": "integer",
                                "late": "integer", "future": "integer",
                                "matches": "integer", "alerts_opened": "integer",
                                "problems": "[object]"], optional: ["events": "[object]"]),
        "Forgotten": object(["dry_run": "boolean", "rows_erased": "integer",
                             "deleted": "object", "redacted": "object"]),
        "Token": object(["id": "string", "name": "string", "role": "string",
                         "revoked": "boolean"]),
        "TokenList": object(["tokens": "[Token]"]),
        "NewToken": object(["id": "string", "name": "string", "role": "string",
                            "token": "string"]),
    ] }

    static func make() -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for route in APIHandlers.routes {
            var operation: [String: Any] = [
                "summary": route.summary,
                "operationId": operationID(route),
            ]
            var parameters: [[String: Any]] = []
            for segment in route.template.split(separator: "/") where segment.hasPrefix("{") {
                parameters.append(["name": String(segment.dropFirst().dropLast()), "in": "path",
                                   "required": true, "schema": ["type": "string"]])
            }
            for name in route.parameters {
                parameters.append(["name": name, "in": "query", "required": name == "value",
                                   "schema": ["type": "string"]])
            }
            if !parameters.isEmpty { operation["parameters"] = parameters }
            if let body = route.body {
                operation["requestBody"] = ["required": true, "content": [body: [
                    "schema": body == "application/json" ? ["type": "object"] : ["type": "string"],
                ]]]
            }
            let mediaType = ["Metrics": "text/plain", "Export": "application/x-ndjson"]
            var responses: [String: Any] = [
                String(route.status): [
                    "description": "Success.",
                    "content": [mediaType[route.response] ?? "application/json": [
                        "schema": ["$ref": "#/components/schemas/\(route.response)"],
                    ]],
                ],
                "default": [
                    "description": "An error, always in this shape.",
                    "content": ["application/json": [
                        "schema": ["$ref": "#/components/schemas/Error"],
                    ]],
                ],
            ]
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
                "schemas": schemas,
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
