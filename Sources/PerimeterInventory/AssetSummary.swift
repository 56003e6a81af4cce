import Foundation
import PerimeterModel

/// Compact JSON descriptions of assets for the audit trail's before and
/// after columns.
enum AssetSummary {
    static func fields(of asset: Asset) -> [String: Any] {
        var fields: [String: Any] = [
            "name": asset.name, "category": asset.category.rawValue,
            "reviewed": asset.reviewed, "tags": asset.tags.sorted(),
            "revoked": asset.isRevoked, "description": asset.description,
        ]
        fields["subcategory"] = asset.subcategory?.rawValue ?? NSNull()
        fields["criticality"] = asset.criticality?.value ?? NSNull()
        var properties: [String: Any] = [:]
        for (name, value) in asset.properties { properties[name] = value.jsonObject }
        fields["properties"] = properties
        return fields
    }

    static func describe(_ asset: Asset) -> String { encode(fields(of: asset)) }

    /// Only the fields that differ, so the trail reads as a diff.
    static func changedFields(from before: Asset, to after: Asset) -> (before: String, after: String) {
        let old = fields(of: before)
        let new = fields(of: after)
        var changedOld: [String: Any] = [:]
        var changedNew: [String: Any] = [:]
        for (name, value) in new where !isEqual(old[name], value) {
            changedOld[name] = old[name] ?? NSNull()
            changedNew[name] = value
        }
        return (encode(changedOld), encode(changedNew))
    }

    private static func isEqual(_ a: Any?, _ b: Any) -> Bool {
        guard let a else { return false }
        return encode(["v": a]) == encode(["v": b])
    }

    static func encode(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension PropertyValue {
    /// The value as a Foundation JSON object.
    public var jsonObject: Any {
        switch self {
        case .string(let s): s
        case .number(let n): n
        case .boolean(let b): b
        case .list(let l): l
        }
    }
}
