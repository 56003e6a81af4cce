import Foundation
import PerimeterInventory
import PerimeterJSON
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

    /// `object(...)` written as JSON directly, its members in order: what
    /// lists and exports write for every asset. Through Foundation's
    /// writer, whose key sorting goes through the locale's collation, an
    /// export of 300,000 assets took 130 s (about 430 µs an asset).
    public static func append(_ asset: Asset, attachments: [Attachment], bounds: CriticalityBounds,
                              addressExpiry: Duration, to output: inout [UInt8]) {
        func member(_ name: StaticString) {
            if output.last != UInt8(ascii: "{") { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { output.append(contentsOf: $0) }
            output.append(contentsOf: "\":".utf8)
        }
        func text(_ value: String?) { JSONText.appendQuotedOrNull(value, to: &output) }
        output.append(UInt8(ascii: "{"))
        member("atoms")
        output.append(UInt8(ascii: "["))
        for (index, attachment) in attachments.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            appendAtom(attachment, addressExpiry: addressExpiry, to: &output)
        }
        output.append(UInt8(ascii: "]"))
        member("category"); text(asset.category.rawValue)
        member("community"); text(asset.community)
        member("created_at"); text(timestamp(asset.createdAt))
        member("criticality")
        if let value = asset.criticality?.value { JSONText.appendInteger(value, to: &output) }
        else { output.append(contentsOf: "null".utf8) }
        member("criticality_display"); text(bounds.display(asset.criticality).rawValue)
        member("description"); text(asset.description)
        if let rule = asset.source.rule { member("discovery_rule"); text(rule) }
        member("entity"); text(asset.entity)
        member("first_seen"); text(asset.firstSeen.map(timestamp))
        member("last_seen"); text(asset.lastSeen.map(timestamp))
        member("name"); text(asset.name)
        member("properties"); PropertyValue.appendJSON(asset.properties, to: &output)
        member("reviewed"); output.append(contentsOf: (asset.reviewed ? "true" : "false").utf8)
        member("revoked"); output.append(contentsOf: (asset.isRevoked ? "true" : "false").utf8)
        member("source"); text(asset.source.description)
        member("subcategory"); text(asset.subcategory?.rawValue)
        member("tags"); JSONText.appendArray(strings: asset.tags.sorted(), to: &output)
        member("updated_at"); text(timestamp(asset.updatedAt))
        member("uuid"); text(asset.id.lowercasedText)
        output.append(UInt8(ascii: "}"))
    }

    /// `atom(...)` written as JSON directly, its members in order.
    static func appendAtom(_ attachment: Attachment, addressExpiry: Duration,
                           to output: inout [UInt8]) {
        let from = attachment.from == .distantPast ? nil : attachment.from.description
        func text(_ value: String?) { JSONText.appendQuotedOrNull(value, to: &output) }
        output.append(contentsOf: "{\"from\":".utf8); text(from)
        output.append(contentsOf: ",\"kind\":".utf8); text(attachment.kind.rawValue)
        if attachment.holdsNoTime {
            output.append(contentsOf: ",\"rejected\":true,\"to\":".utf8); text(from)
        } else {
            let end = attachment.end(addressExpiry: addressExpiry)
            output.append(contentsOf: ",\"to\":".utf8)
            text(end == .distantFuture ? nil : end.description)
        }
        output.append(contentsOf: ",\"type\":".utf8); text(attachment.key.atom.type.rawValue)
        output.append(contentsOf: ",\"value\":".utf8); text(attachment.key.atom.value)
        output.append(UInt8(ascii: "}"))
    }

    /// `append(...)` as one line of text.
    public static func line(_ asset: Asset, attachments: [Attachment], bounds: CriticalityBounds,
                            addressExpiry: Duration) -> String {
        var output: [UInt8] = []
        append(asset, attachments: attachments, bounds: bounds, addressExpiry: addressExpiry,
               to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    public static func line(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object,
                                                     options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
