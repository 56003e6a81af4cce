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
            guard let id = UUID(uuidString: row.text(1)) else { return nil }
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
