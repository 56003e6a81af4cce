import Foundation
import PerimeterSQLite

/// A store's content as sorted text lines, with every asset uuid replaced
/// by a stable key (category, name, creation time and the sorted atoms it
/// ever held), so
/// that two stores built from the same events compare equal whatever
/// uuids they drew. Row ids and wall-clock `updated_at` of the ingest
/// progress are left out: they are bookkeeping, not inventory.
struct StoreDump: Equatable {
    /// Section name → sorted lines.
    var sections: [String: [String]] = [:]

    init(path: String) throws {
        let database = try Database(path: path)
        let keys = try Self.assetKeys(database)

        sections["assets"] = try database.statement("""
            SELECT uuid, community, entity, subcategory, criticality, tags, reviewed, source,
                   source_rule, description, properties, created_at, updated_at, first_seen,
                   last_seen, revoked
            FROM assets JOIN asset_seen ON asset_seen.id = assets.seen_id
            """).rows { row in
            ([keys[row.text(0)] ?? "?"] + (1...15).map { Self.cell(row, $0) })
                .joined(separator: " | ")
        }.sorted()
        sections["attachments"] = try database.statement("""
            SELECT asset_uuid, community, entity, atom_type, atom_value, kind, valid_from,
                   valid_to, s.last_seen, origin, hex(s.sightings)
            FROM attachments LEFT JOIN attachment_sightings s ON s.attachment = attachments.id
            """).rows { row in
            ([keys[row.text(0)] ?? "?"] + (1...10).map { Self.cell(row, $0) })
                .joined(separator: " | ")
        }.sorted()
        sections["conflicts"] = try database.statement("""
            SELECT assets, community, entity, atom_type, atom_value, at, reason FROM conflicts
            """).rows { row in
            let assets = row.text(0).split(separator: ",").map { keys[String($0)] ?? "?" }.sorted()
            return ([assets.joined(separator: " + ")] + (1...6).map { Self.cell(row, $0) })
                .joined(separator: " | ")
        }.sorted()
        sections["audit"] = try database.statement("""
            SELECT asset_uuid, community, actor, action, at, before, after FROM audit
            """).rows { row in
            ([keys[row.text(0)] ?? "?"] + (1...6).map { Self.cell(row, $0) })
                .joined(separator: " | ")
        }.sorted()
        sections["rejected_atoms"] = try database.statement("""
            SELECT asset_uuid, atom_type, atom_value FROM rejected_atoms
            """).rows { row in
            ([keys[row.text(0)] ?? "?"] + (1...2).map { Self.cell(row, $0) })
                .joined(separator: " | ")
        }.sorted()
        let plain = [
            "activity": "SELECT community, entity, atom_type, atom_value, week_start, count "
                + "FROM activity",
            "unclaimed_atoms": "SELECT community, entity, atom_type, atom_value, last_seen "
                + "FROM unclaimed_atoms",
            "shared_atoms": "SELECT community, entity, atom_type, atom_value FROM shared_atoms",
            "counters": "SELECT community, name, value FROM counters",
            "asset_tags": "SELECT community, tag, asset_uuid FROM asset_tags",
            "meta": "SELECT key, value FROM meta",
            "ingest_progress": "SELECT source, path, size, byte_offset, line FROM ingest_progress",
        ]
        for (name, sql) in plain {
            sections[name] = try database.statement(sql).rows { row in
                (0..<Self.columnCount(sql)).map { column in
                    let text = Self.cell(row, column)
                    return keys[text] ?? text
                }.joined(separator: " | ")
            }.sorted()
        }
    }

    /// Maps each asset uuid to "category name [type=value, ...]".
    private static func assetKeys(_ database: Database) throws -> [String: String] {
        var atoms: [String: Set<String>] = [:]
        try database.statement("SELECT asset_uuid, atom_type, atom_value FROM attachments")
            .forEachRow { row in
                atoms[row.text(0), default: []].insert("\(row.text(1))=\(row.text(2))")
            }
        var keys: [String: String] = [:]
        var seen: [String: Int] = [:]
        try database.statement("SELECT uuid, category, name, created_at FROM assets")
            .forEachRow { row in
            let uuid = row.text(0)
            let held = (atoms[uuid] ?? []).sorted().joined(separator: ", ")
            // Discovery stamps created_at with the event's time, so it
            // tells apart namesakes that discovery made from different events.
            var key = "\(row.text(1)) \(row.text(2)) @\(row.text(3)) [\(held)]"
            // Twins (same name, same atoms) cannot be told apart by content;
            // they are numbered, which is stable as long as they are identical.
            seen[key, default: 0] += 1
            if let count = seen[key], count > 1 { key += " #\(count)" }
            keys[uuid] = key
        }
        return keys
    }

    private static func cell(_ row: Row, _ column: Int) -> String {
        row.isNull(column) ? "NULL" : row.text(column)
    }

    private static func columnCount(_ sql: String) -> Int {
        let list = sql.components(separatedBy: " FROM ")[0].dropFirst("SELECT ".count)
        return list.split(separator: ",").count
    }

    /// The lines of each section that only one side holds, for a failure
    /// message that a person can read (at most `limit` per section), split
    /// in two: the lines `isSet` picks out, and the others. Empty texts
    /// when the dumps agree.
    func differences(from other: StoreDump, limit: Int = 8,
                     setApart isSet: (String) -> Bool = { _ in false })
        -> (others: String, setApart: String) {
        var report: [String] = []
        var apart: [String] = []
        for name in Set(sections.keys).union(other.sections.keys).sorted() {
            let mine = sections[name] ?? []
            let theirs = other.sections[name] ?? []
            guard mine != theirs else { continue }
            let onlyMine = Self.multisetDifference(mine, theirs)
            let onlyTheirs = Self.multisetDifference(theirs, mine)
            for group in [true, false] {
                let here = onlyMine.filter { isSet($0) == group }
                let there = onlyTheirs.filter { isSet($0) == group }
                guard !here.isEmpty || !there.isEmpty else { continue }
                var lines = ["[\(name)] \(here.count) rows only here, "
                             + "\(there.count) only in the reference"]
                lines += here.prefix(limit).map { "  - here:      \($0)" }
                lines += there.prefix(limit).map { "  + reference: \($0)" }
                if group { apart += lines } else { report += lines }
            }
        }
        return (report.joined(separator: "\n"), apart.joined(separator: "\n"))
    }

    private static func multisetDifference(_ a: [String], _ b: [String]) -> [String] {
        var remaining: [String: Int] = [:]
        for line in b { remaining[line, default: 0] += 1 }
        var result: [String] = []
        for line in a {
            if let count = remaining[line], count > 0 { remaining[line] = count - 1 }
            else { result.append(line) }
        }
        return result
    }
}
