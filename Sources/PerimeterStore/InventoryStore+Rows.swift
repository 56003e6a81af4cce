import Foundation
import PerimeterJSON
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite

/// Conversions between rows and model values.
extension InventoryStore {
    static let assetColumns = """
        uuid, community, entity, name, category, subcategory, criticality, tags, reviewed, \
        source, source_rule, description, properties, created_at, updated_at, first_seen, \
        last_seen, revoked
        """

    /// What `assetColumns` is selected from: the asset rows with their
    /// seen times, which live in a table of their own (migration 12).
    /// Every asset has its row there, so the join is an inner one, which
    /// leaves SQLite free to read either table first (a listing by last
    /// seen reads the seen times' index first).
    static let assetTables = "assets JOIN asset_seen ON asset_seen.id = assets.seen_id"

    static func asset(from row: Row) throws -> Asset {
        guard let id = UUID(exactText: row.text(0)),
              let category = AssetCategory(rawValue: row.text(4))
        else { throw StoreError(code: .invalid, message: "corrupt asset row '\(row.text(0))'") }
        let source: AssetSource
        let sourceText = row.text(9)
        if sourceText == "manual" {
            source = .manual
        } else if sourceText.hasPrefix("connector:") {
            source = .connector(name: String(sourceText.dropFirst("connector:".count)))
        } else {
            source = .automatic(rule: row.optionalText(10) ?? "")
        }
        let tagText = row.text(7)
        let tags = tagText == "[]" ? [] : (jsonObject(tagText) as? [String]) ?? []
        let propertyText = row.text(12)
        let properties = propertyText == "{}" ? [:] : decodeProperties(propertyText)
        let entity = row.text(2)
        return Asset(
            id: id, name: row.text(3), category: category,
            subcategory: row.optionalText(5).flatMap(AssetSubcategory.init(rawValue:)),
            criticality: row.optionalInt(6).flatMap { try? Criticality(Int($0)) },
            tags: Set(tags), reviewed: row.int(8) != 0, source: source,
            description: row.text(11), properties: properties, community: row.text(1),
            entity: entity.isEmpty ? nil : entity, createdAt: date(row.int(13)),
            updatedAt: date(row.int(14)), firstSeen: row.optionalInt(15).map(date),
            lastSeen: row.optionalInt(16).map(date), isRevoked: row.int(17) != 0)
    }

    /// The attachments with their sightings, in the columns that
    /// `attachment(from:)` reads; a query adds its WHERE and ORDER BY.
    /// (A row without sightings, which the store never writes, would read
    /// as last seen when it began.)
    static let attachmentSelection = """
        SELECT attachments.id, community, entity, atom_type, atom_value, asset_uuid, kind,
               valid_from, valid_to, coalesce(attachment_sightings.last_seen, valid_from), origin,
               attachment_sightings.sightings
        FROM attachments LEFT JOIN attachment_sightings
            ON attachment_sightings.attachment = attachments.id
        """

    /// Reads columns id, community, entity, atom_type, atom_value,
    /// asset_uuid, kind, valid_from, valid_to, last_seen, origin, sightings.
    static func attachment(from row: Row) -> Attachment? {
        guard let key = atomKey(row, from: 1), let asset = UUID(exactText: row.text(5)),
              let kind = AttachmentKind(rawValue: row.text(6))
        else { return nil }
        return Attachment(
            id: row.int(0), key: key, asset: asset, kind: kind,
            from: EventTime(milliseconds: row.int(7)),
            to: row.optionalInt(8).map { EventTime(milliseconds: $0) },
            lastSeen: EventTime(milliseconds: row.int(9)), origin: row.text(10),
            recentSightings: decode(row.blob(11)))
    }

    /// Reads community, entity, atom_type, atom_value starting at `column`.
    static func atomKey(_ row: Row, from column: Int) -> AtomKey? {
        guard let type = AtomType(rawValue: row.text(column + 2)) else { return nil }
        let entity = row.text(column + 1)
        return AtomKey(scope: ScopeKey(community: row.text(column),
                                       entity: entity.isEmpty ? nil : entity),
                       atom: Atom(type: type, normalizedValue: row.text(column + 3)))
    }

    static func keyValues(_ key: AtomKey) -> [SQLValue] {
        [.text(key.scope.community), .text(key.scope.entity ?? ""),
         .text(key.atom.type.rawValue), .text(key.atom.value)]
    }

    /// Sightings as varints: the first time, then each one's distance
    /// from the one before (zigzag, so any order survives). Sightings are
    /// close together, so most take two or three bytes instead of eight:
    /// an address's row stays small as its sightings grow, and SQLite
    /// rewrites and splits fewer pages for it.
    static func encode(_ times: [EventTime]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(times.count * 3 + 6)
        var previous: Int64 = 0
        for time in times {
            let delta = time.milliseconds &- previous
            previous = time.milliseconds
            var zigzag = UInt64(bitPattern: (delta << 1) ^ (delta >> 63))
            while zigzag >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
                zigzag >>= 7
            }
            bytes.append(UInt8(zigzag))
        }
        return bytes
    }

    /// Reads what `encode` wrote; a truncated last varint is dropped.
    static func decode(_ bytes: [UInt8]) -> [EventTime] {
        var times: [EventTime] = []
        var previous: Int64 = 0
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for byte in bytes {
            guard shift < 64 else { break }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 != 0 {
                shift += 7
                continue
            }
            let delta = Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
            previous = previous &+ delta
            times.append(EventTime(milliseconds: previous))
            value = 0
            shift = 0
        }
        return times
    }

    /// Sightings as schema 5 and earlier stored them: 8 bytes each,
    /// little-endian milliseconds.
    static func decodeFixedWidth(_ bytes: [UInt8]) -> [EventTime] {
        stride(from: 0, to: bytes.count - bytes.count % 8, by: 8).map { start in
            var value: Int64 = 0
            for offset in (0..<8).reversed() { value = value << 8 | Int64(bytes[start + offset]) }
            return EventTime(milliseconds: value)
        }
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    static func jsonText(_ object: Any) -> String {
        if let text = JSONText.compact(object) { return text }
        // A range (`10.0.0.0/8`) reads as typed in the trail's table.
        guard let data = try? JSONSerialization.data(withJSONObject: object,
                                                     options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The properties of an asset row, numbers exact: `JSONSerialization`
    /// on Linux reads 0.30000000000000004 back as 0.3000000000000001, so an
    /// asset read from the store differed from the one written (and its
    /// version, the API's `ETag`, with it). A row `JSONDecoder` cannot
    /// read as written here (a list of numbers, from an older writer) is
    /// read the lenient way.
    static func decodeProperties(_ text: String) -> [String: PropertyValue] {
        if let stored = try? JSONDecoder().decode([String: StoredProperty].self,
                                                  from: Data(text.utf8)) {
            return stored.mapValues(\.value)
        }
        var properties: [String: PropertyValue] = [:]
        for (name, value) in (jsonObject(text) as? [String: Any]) ?? [:] {
            if let value = PropertyValue(jsonObject: value) { properties[name] = value }
        }
        return properties
    }

    /// One value of the properties column, as `encodeProperties` writes it.
    private struct StoredProperty: Decodable {
        let value: PropertyValue

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                value = .boolean(flag)
            } else if let number = try? container.decode(Double.self) {
                value = .number(number)
            } else if let text = try? container.decode(String.self) {
                value = .string(text)
            } else {
                value = .list(try container.decode([String].self))
            }
        }
    }

    static func jsonObject(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}

extension PropertyValue {
    /// A property value from its JSON form, or nil for a shape no
    /// property type has.
    public init?(jsonObject value: Any) {
        switch value {
        // Foundation gives every JSON number and boolean as an NSNumber,
        // and `as? Bool` accepts 0 and 1: only the boolean kind ("c") is one.
        case let n as NSNumber where String(cString: n.objCType) == "c": self = .boolean(n.boolValue)
        case let n as NSNumber: self = .number(n.doubleValue)
        case let s as String: self = .string(s)
        case let l as [Any]:
            self = .list(l.map { "\($0)" })
        default: return nil
        }
    }
}
