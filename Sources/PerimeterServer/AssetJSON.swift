import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// The JSON form of an asset, shared by `assets list --json`, `assets
/// show --json` and the HTTP API: one shape everywhere.
public enum AssetJSON {
    public static func object(_ asset: Asset, attachments: [Attachment],
                              bounds: CriticalityBounds, addressExpiry: Duration) -> [String: Any] {
        var object: [String: Any] = [
            "uuid": asset.id.lowercasedText,
            "name": asset.name,
            "category": asset.category.rawValue,
            "criticality_display": bounds.display(asset.criticality).rawValue,
            "tags": asset.tags.sorted(),
            "reviewed": asset.reviewed,
            "source": asset.source.description,
            "community": asset.community,
            "description": asset.description,
            "properties": asset.properties.mapValues(\.jsonObject),
            "atoms": attachments.map { atom($0, addressExpiry: addressExpiry) },
            "revoked": asset.isRevoked,
            "created_at": timestamp(asset.createdAt),
            "updated_at": timestamp(asset.updatedAt),
        ]
        object["subcategory"] = asset.subcategory?.rawValue ?? NSNull()
        object["criticality"] = asset.criticality?.value ?? NSNull()
        object["entity"] = asset.entity ?? NSNull()
        object["first_seen"] = asset.firstSeen.map(timestamp) ?? NSNull()
        object["last_seen"] = asset.lastSeen.map(timestamp) ?? NSNull()
        if let rule = asset.source.rule { object["discovery_rule"] = rule }
        return object
    }

    /// An attachment as `{type, value, kind, from, to}`: `from` null for
    /// always, `to` null while it holds. An observed address ends
    /// `addressExpiry` after its last sighting when nothing closed it
    /// earlier (SPEC §2), and `to` says so: an address last seen years ago
    /// is not shown open beside its later holder. A rejected atom's
    /// interval holds no time: `rejected` true, and `to` is `from` (both
    /// null when it was confirmed for always).
    public static func atom(_ attachment: Attachment, addressExpiry: Duration) -> [String: Any] {
        var object: [String: Any] = [
            "type": attachment.key.atom.type.rawValue,
            "value": attachment.key.atom.value,
            "kind": attachment.kind.rawValue,
        ]
        let from: Any = attachment.from == .distantPast ? NSNull() : attachment.from.description
        object["from"] = from
        if attachment.holdsNoTime {
            object["to"] = from
            object["rejected"] = true
            return object
        }
        let end = attachment.end(addressExpiry: addressExpiry)
        object["to"] = end == .distantFuture ? NSNull() : end.description
        return object
    }

    public static func timestamp(_ date: Date) -> String { EventTime(date).description }

    /// An audit entry, its before and after nested as the JSON they are:
    /// `audit --json` and the API's audit routes.
    public static func auditObject(_ entry: AuditEntry) -> [String: Any] {
        [
            "id": entry.id, "asset": entry.record.asset.lowercasedText,
            "actor": entry.record.actor, "action": entry.record.action,
            "at": entry.record.at.description,
            "before": entry.record.before.flatMap(JSONFields.parseAny) ?? NSNull(),
            "after": entry.record.after.flatMap(JSONFields.parseAny) ?? NSNull(),
        ]
    }

    /// An atom in conflict as `atoms conflicts --json` and `GET
    /// /v1/conflicts` write it, its assets named from `names`
    /// (`InventoryStore.assetNames(of:community:)`).
    public static func claimedAtomObject(_ claimed: InventoryStore.ClaimedAtom,
                                         names: [AssetID: String]) -> [String: Any] {
        ["type": claimed.key.atom.type.rawValue, "value": claimed.key.atom.value,
         "entity": claimed.key.scope.entity ?? NSNull(), "reason": claimed.reason,
         "since": claimed.since.description,
         "assets": claimed.assets.map { ["uuid": $0.lowercasedText, "name": names[$0] ?? ""] }]
    }

    public static func line(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object,
                                                     options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
