import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite

/// One row of the audit trail, with its position for paging.
public struct AuditEntry: Sendable, Hashable {
    public var id: Int64
    public var record: AuditRecord
}

extension InventoryStore {
    /// The audit trail of a community, or of one of its assets, oldest
    /// first: of the entries between `afterID` and `beforeID` (both left
    /// out), the first `limit`, or with `latest` the last `limit`. The
    /// community is always part of the query, so an asset of another
    /// community shows nothing.
    public func auditTrail(community: String, asset: AssetID? = nil, afterID: Int64 = 0,
                           beforeID: Int64 = .max, latest: Bool = false,
                           limit: Int) throws -> [AuditEntry] {
        var sql = """
            SELECT id, asset_uuid, actor, action, at, before, after FROM audit
            WHERE community = ?1 AND id > ?2 AND id < ?3
            """
        var values: [SQLValue] = [.text(community), .integer(afterID), .integer(beforeID)]
        if let asset {
            sql += " AND asset_uuid = ?4"
            values.append(.text(asset.lowercasedText))
        }
        values.append(.integer(Int64(limit)))
        sql += " ORDER BY id \(latest ? "DESC" : "") LIMIT ?\(values.count)"
        let entries = try database.statement(sql).rows(values) { row -> AuditEntry? in
            guard let id = UUID(exactText: row.text(1)) else { return nil }
            return AuditEntry(id: row.int(0), record: AuditRecord(
                asset: id, actor: row.text(2), action: row.text(3),
                at: EventTime(milliseconds: row.int(4)), before: row.optionalText(5),
                after: row.optionalText(6)))
        }.compactMap { $0 }
        return latest ? entries.reversed() : entries
    }

    /// Live assets per category over every community: the operator's
    /// metrics, which carry no community.
    public func assetCountsByCategory() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        try database.statement(
            "SELECT category, count(*) FROM assets WHERE revoked = 0 GROUP BY category")
            .forEachRow { counts[$0.text(0)] = Int($0.int(1)) }
        return counts
    }

    /// Forgets that an atom was rejected for an asset (an analyst
    /// confirmed it after all).
    public func removeRejection(of atom: Atom, asset: AssetID) throws {
        try database.statement("""
            DELETE FROM rejected_atoms WHERE asset_uuid = ?1 AND atom_type = ?2 AND atom_value = ?3
            """).run([.text(asset.lowercasedText), .text(atom.type.rawValue),
                      .text(atom.value)])
    }
}

extension InventoryStore {
    /// `asset` as it was at `time`: every change its audit trail records
    /// after then undone, the newest first; nil when it was created after
    /// `time` and not seen before then (one made by an event that arrived
    /// before an earlier one was seen earlier). One made by a person is
    /// of all time, as the atoms it was given are (a confirmation holds
    /// from the beginning of time): events of any time were enriched
    /// with it. Its atoms at `time` are its attachments valid then
    /// (`Attachment.isValid(at:addressExpiry:)`); its last change is the
    /// latest one up to `time`.
    ///
    /// A change is dated by what made it: discovery by the event's time,
    /// a person or a job by the clock. Changes are undone in the order
    /// they were written; a late event's change written after a later
    /// one may read in a different order than the events had.
    public func asset(_ asset: Asset, asItWasAt time: EventTime) throws -> Asset? {
        let changes = try database.statement("""
            SELECT action, before, after FROM audit
            WHERE community = ?1 AND asset_uuid = ?2 AND at > ?3 ORDER BY id DESC
            """).rows([.text(asset.community), .text(asset.id.lowercasedText),
                       .integer(time.milliseconds)]) {
                (action: $0.text(0), before: $0.optionalText(1), after: $0.optionalText(2))
            }
        var result = asset
        let seenBefore = asset.source == .manual || asset.firstSeen.map { $0 <= time.date } ?? false
        for change in changes {
            if change.action == "create" {
                guard seenBefore else { return nil }
                continue
            }
            // Atom curation and erasure record atoms, not fields: their
            // keys are none of the fields below and change nothing here.
            guard let before = change.before.flatMap(Self.jsonObject) as? [String: Any] else {
                continue
            }
            let after = change.after.flatMap(Self.jsonObject) as? [String: Any] ?? [:]
            Self.undo(&result, before: before, after: after)
        }
        if !changes.isEmpty {
            let latest = try database.statement("""
                SELECT max(at) FROM audit WHERE community = ?1 AND asset_uuid = ?2 AND at <= ?3
                """).firstRow([.text(asset.community), .text(asset.id.lowercasedText),
                               .integer(time.milliseconds)]) { $0.optionalInt(0) } ?? nil
            // No change up to then: as made (a manual asset made after
            // then says so by its created_at).
            result.updatedAt = latest.map { EventTime(milliseconds: $0).date } ?? result.createdAt
        }
        return result
    }

    /// What an asset page shows for `time`: the asset as it was then
    /// (`asset(_:asItWasAt:)`; its first sighting when it was before then;
    /// its last one up to then as its attachments' kept sightings and
    /// openings tell it: the asset's own last seen is its latest, not kept
    /// over time, and showed none) and the attachments valid then. Nil
    /// when it was created after `time`.
    ///
    /// For an asset seen again after `time`, that last seen is a lower
    /// bound (`lastSeenIsLowerBound`): an attachment keeps its first and
    /// last sightings and, for an address, the recent ones of the lateness
    /// window, not every one (a host seen at 06:00, 10:00 and 22:00 shows
    /// 06:00 at 11:00). Keeping every sighting of every atom would cost a
    /// busy host's atoms a time per event.
    public func asItWas(_ asset: Asset, attachments: [Attachment], at time: EventTime,
                        addressExpiry: Duration) throws
        -> (asset: Asset, attachments: [Attachment], lastSeenIsLowerBound: Bool)? {
        guard var past = try self.asset(asset, asItWasAt: time) else { return nil }
        if let first = past.firstSeen, first > time.date { past.firstSeen = nil }
        var isLowerBound = false
        if let last = past.lastSeen, last > time.date {
            let kept = attachments.flatMap { $0.recentSightings + [$0.from, $0.lastSeen] }
                .filter { $0 != .distantPast && $0 <= time }.max()
            past.lastSeen = past.firstSeen.map { first in
                max(first, kept?.date ?? first)
            }
            isLowerBound = past.lastSeen != nil
        }
        return (past, attachments.filter { $0.isValid(at: time, addressExpiry: addressExpiry) },
                isLowerBound)
    }

    /// Puts back the fields an audit record's `before` gives, as
    /// `AssetSummary.changedFields` and the bulk jobs write them. A
    /// property that `after` has and `before` lacks was added: removed.
    private static func undo(_ asset: inout Asset, before: [String: Any], after: [String: Any]) {
        for (field, value) in before {
            switch field {
            case "name": if let text = value as? String { asset.name = text }
            case "description": if let text = value as? String { asset.description = text }
            case "category":
                if let category = (value as? String).flatMap(AssetCategory.init(rawValue:)) {
                    asset.category = category
                }
            case "subcategory":
                asset.subcategory = (value as? String).flatMap(AssetSubcategory.init(rawValue:))
            case "criticality":
                asset.criticality = (value as? NSNumber).flatMap { try? Criticality($0.intValue) }
            case "tags": if let tags = value as? [String] { asset.tags = Set(tags) }
            case "reviewed": if let flag = value as? NSNumber { asset.reviewed = flag.boolValue }
            case "revoked": if let flag = value as? NSNumber { asset.isRevoked = flag.boolValue }
            default: continue
            }
        }
        let old = before["properties"] as? [String: Any] ?? [:]
        let new = after["properties"] as? [String: Any] ?? [:]
        for name in new.keys where old[name] == nil { asset.properties[name] = nil }
        for (name, value) in old { asset.properties[name] = PropertyValue(jsonObject: value) }
    }
}
