import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite

/// An alert as the store keeps it: the matches of one rule on the same assets
/// (community, entity, rule, sorted asset uuids) within a window of event time.
///
/// The store knows nothing of Sigma: the detection stage computes the urgency
/// and the grouping key, and the store finds, writes and lists alerts.
public struct StoredAlert: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable { case open, closed }

    /// One asset the alert is about, as enrichment matched it.
    public typealias Asset = AlertAsset

    /// The row id; nil until the alert is inserted.
    public var id: Int64?
    public var community: String
    public var entity: String?
    public var ruleID: String
    public var ruleTitle: String
    public var level: String
    /// Rule id and sorted asset uuids: alerts of one key and scope may join.
    public var groupKey: String
    /// Sorted by uuid.
    public var assets: [Asset]
    public var urgency: Int
    public var firstTime: EventTime
    public var lastTime: EventTime
    public var count: Int
    /// The first and last enriched events, as JSON text: there is no event store.
    public var firstEvent: String
    public var lastEvent: String
    public var status: Status
    /// Who closed the alert, when and why; nil while it is open.
    public var closure: Closure?

    /// An analyst's closing of an alert.
    public struct Closure: Sendable, Hashable {
        /// The longest reason kept, in code points (as JSON Schema counts
        /// `maxLength`): every listing carries it.
        public static let reasonLimit = 2_000

        /// A reason's length as `reasonLimit` counts it.
        public static func length(of reason: String) -> Int { reason.unicodeScalars.count }

        /// A reason as a person gave it, trimmed; nil when blank.
        public static func reason(given text: String) -> String? {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        }

        /// Wall-clock time of the closing.
        public var at: EventTime
        /// The token's name, or `cli`.
        public var by: String
        public var reason: String?

        public init(at: EventTime, by: String, reason: String?) {
            self.at = at
            self.by = by
            self.reason = reason
        }
    }

    public init(id: Int64? = nil, community: String, entity: String?, ruleID: String,
                ruleTitle: String, level: String, groupKey: String, assets: [Asset],
                urgency: Int, firstTime: EventTime, lastTime: EventTime, count: Int,
                firstEvent: String, lastEvent: String, status: Status = .open,
                closure: Closure? = nil) {
        self.id = id
        self.community = community
        self.entity = entity
        self.ruleID = ruleID
        self.ruleTitle = ruleTitle
        self.level = level
        self.groupKey = groupKey
        self.assets = assets
        self.urgency = urgency
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.count = count
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.status = status
        self.closure = closure
    }

    /// The grouping key of a rule on a set of assets.
    public static func groupKey(ruleID: String, assetUUIDs: [String]) -> String {
        ruleID + "|" + assetUUIDs.sorted().joined(separator: ",")
    }

    /// An alert id as written: digits without a sign or a leading zero,
    /// so that `02` or `+2` does not act on alert 2 unseen.
    public static func id(parsing text: some StringProtocol) -> Int64? {
        guard let first = text.first, first != "0",
              text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(text)
    }
}

/// Which alerts `alerts(matching:)` lists; every criterion is optional.
public struct AlertQuery: Sendable, Hashable {
    public var community: String
    public var ruleID: String?
    /// Alerts about any of these assets, each an asset uuid or an asset
    /// name (case-insensitive); empty: every alert.
    public var assets: [String]
    public var urgency: ClosedRange<Int>?
    /// Alerts whose [first, last] time overlaps this interval.
    public var since: EventTime?
    public var until: EventTime?
    public var status: StoredAlert.Status?
    /// Only the alerts after this one in the listing's order (paging).
    public var after: AlertCursor?
    public var limit: Int

    public init(community: String, ruleID: String? = nil, assets: [String] = [],
                urgency: ClosedRange<Int>? = nil, since: EventTime? = nil,
                until: EventTime? = nil, status: StoredAlert.Status? = nil,
                after: AlertCursor? = nil, limit: Int = 1_000) {
        self.community = community
        self.ruleID = ruleID
        self.assets = assets
        self.urgency = urgency
        self.since = since
        self.until = until
        self.status = status
        self.after = after
        self.limit = limit
    }
}

/// Where a page of alerts ends, in the listing's order (most urgent, then
/// latest, then highest id): the next page starts after it. An alert that
/// a later match makes more urgent or later moves up, to a page already
/// read; none is shown twice on one walk unless it moved.
public struct AlertCursor: Sendable, Hashable {
    public var urgency: Int
    public var lastTime: EventTime
    public var id: Int64

    public init(urgency: Int, lastTime: EventTime, id: Int64) {
        self.urgency = urgency
        self.lastTime = lastTime
        self.id = id
    }

    public init(after alert: StoredAlert) {
        self.init(urgency: alert.urgency, lastTime: alert.lastTime, id: alert.id ?? 0)
    }

    /// `urgency.last_time_ms.id`, as the API hands it out.
    public var text: String { "\(urgency).\(lastTime.milliseconds).\(id)" }

    public init?(text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let urgency = Int(parts[0]), (0...100).contains(urgency),
              let time = Int64(parts[1]), let id = Int64(parts[2]), id > 0
        else { return nil }
        self.init(urgency: urgency, lastTime: EventTime(milliseconds: time), id: id)
    }
}

extension InventoryStore {
    private static let alertColumns = """
        id, community, entity, rule_id, rule_title, level, group_key, assets, urgency,
        first_time, last_time, count, first_event, last_event, status, closed_at, closed_by,
        close_reason
        """

    private static func alert(from row: Row) throws -> StoredAlert {
        let entity = row.text(2)
        return StoredAlert(
            id: row.int(0), community: row.text(1), entity: entity.isEmpty ? nil : entity,
            ruleID: row.text(3), ruleTitle: row.text(4), level: row.text(5),
            groupKey: row.text(6), assets: try decodeAssets(row.text(7), alertID: row.int(0)),
            urgency: Int(row.int(8)), firstTime: EventTime(milliseconds: row.int(9)),
            lastTime: EventTime(milliseconds: row.int(10)), count: Int(row.int(11)),
            firstEvent: row.text(12), lastEvent: row.text(13),
            status: StoredAlert.Status(rawValue: row.text(14)) ?? .open,
            closure: row.isNull(15) ? nil
                : StoredAlert.Closure(at: EventTime(milliseconds: row.int(15)),
                                      by: row.text(16), reason: row.optionalText(17)))
    }

    private static func encodeAssets(_ assets: [StoredAlert.Asset]) -> String {
        jsonText(assets.map { asset -> [String: Any] in
            var object: [String: Any] = ["uuid": asset.uuid, "name": asset.name,
                                         "category": asset.category.rawValue]
            object["criticality"] = asset.criticality ?? NSNull()
            return object
        })
    }

    private static func decodeAssets(_ text: String, alertID: Int64) throws
        -> [StoredAlert.Asset]
    {
        guard let list = jsonObject(text) as? [[String: Any]] else {
            throw StoreError(code: .invalid, message: "alert \(alertID): the assets column is "
                             + "not a JSON list of objects (while reading alerts)")
        }
        return try list.map { object in
            guard let uuid = object["uuid"] as? String, let name = object["name"] as? String,
                  let categoryName = object["category"] as? String,
                  let category = AssetCategory(rawValue: categoryName)
            else {
                throw StoreError(code: .invalid, message: "alert \(alertID): an asset lacks "
                                 + "uuid, name or category (while reading alerts)")
            }
            return StoredAlert.Asset(uuid: uuid, name: name, category: category,
                                     criticality: (object["criticality"] as? NSNumber)?.intValue)
        }
    }

    // MARK: - Writing

    /// The open alert of this key and scope that a match at `time` joins: its last
    /// match at most `window` before `time` and its first at most `window` after.
    public func openAlert(community: String, entity: String?, groupKey: String,
                          joiningAt time: EventTime, window: Duration) throws -> StoredAlert? {
        try database.statement("""
            SELECT \(Self.alertColumns) FROM alerts
            WHERE community = ?1 AND group_key = ?2 AND status = 'open' AND entity = ?3
              AND last_time >= ?4 AND first_time <= ?5
            ORDER BY last_time DESC LIMIT 1
            """).firstRow([.text(community), .text(groupKey), .text(entity ?? ""),
                           .integer(time.milliseconds - window.milliseconds),
                           .integer(time.milliseconds + window.milliseconds)],
                          Self.alert(from:))
    }

    /// Inserts a new alert, or updates the level, counts, times, events and assets of
    /// the one with the same id (not its status: an analyst may have closed it);
    /// returns the id.
    @discardableResult
    public func save(_ alert: StoredAlert) throws -> Int64 {
        let values: [SQLValue] = [
            .text(alert.community), .text(alert.entity ?? ""), .text(alert.ruleID),
            .text(alert.ruleTitle), .text(alert.level), .text(alert.groupKey),
            .text(Self.encodeAssets(alert.assets)), .integer(Int64(alert.urgency)),
            .integer(alert.firstTime.milliseconds), .integer(alert.lastTime.milliseconds),
            .integer(Int64(alert.count)), .text(alert.firstEvent), .text(alert.lastEvent),
            .text(alert.status.rawValue),
        ]
        guard let id = alert.id else {
            try database.statement("""
                INSERT INTO alerts (community, entity, rule_id, rule_title, level, group_key,
                    assets, urgency, first_time, last_time, count, first_event, last_event, status)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                """).run(values)
            return database.lastInsertRowID
        }
        try database.statement("""
            UPDATE alerts SET level = ?5, assets = ?7, urgency = ?8, first_time = ?9,
                last_time = ?10, count = ?11, first_event = ?12, last_event = ?13
            WHERE id = ?14 AND community = ?1
            """).run(Array(values.dropLast()) + [.integer(id)])
        guard database.changes == 1 else {
            throw StoreError(code: .notFound, message: "cannot update alert \(id): no such alert "
                             + "in community '\(alert.community)' (while saving alerts)")
        }
        return id
    }

    /// Re-rates the open alerts of `community` about these assets (uuid
    /// text → new criticality, nil when unrated): each one's rating of
    /// them, and its urgency worked out again by `alertUrgency` from its
    /// level and all its assets, as the alert's next match would. An
    /// analyst who rates the domain controller after its alerts were raised
    /// sees them rise above those of a test laptop (SPEC §6). Returns the
    /// ids of the alerts changed; none without `alertUrgency`.
    func rerateOpenAlerts(criticality: [String: Int?], community: String) throws -> [Int64] {
        guard let alertUrgency, !criticality.isEmpty else { return [] }
        // SQLite's JSON functions find the alerts naming any of the
        // assets, so that a bulk change of many assets scans the open
        // alerts once rather than once per asset.
        let about = try database.statement("""
            SELECT DISTINCT alerts.id, alerts.level, alerts.assets, alerts.urgency
            FROM alerts, json_each(alerts.assets) AS named
            WHERE alerts.community = ?1 AND alerts.status = 'open'
              AND json_extract(named.value, '$.uuid') IN (SELECT value FROM json_each(?2))
            """).rows([.text(community), .text(Self.jsonText(Array(criticality.keys)))]) {
            (id: $0.int(0), level: $0.text(1), assets: $0.text(2), urgency: Int($0.int(3)))
        }
        return try rerate(about, urgency: alertUrgency) { assets in
            for index in assets.indices {
                if let rating = criticality[assets[index].uuid] { assets[index].criticality = rating }
            }
        }
    }

    /// `rerateOpenAlerts(criticality:community:)` for these assets as they
    /// now are, community by community.
    func rerateOpenAlerts(about assets: [Asset]) throws -> [Int64] {
        var rerated: [Int64] = []
        let byCommunity = Dictionary(grouping: assets, by: \.community)
        for (community, rated) in byCommunity.sorted(by: { $0.key < $1.key }) {
            let criticality = Dictionary(
                rated.map { ($0.id.lowercasedText, $0.criticality.map(\.value)) },
                uniquingKeysWith: { _, last in last })
            rerated += try rerateOpenAlerts(criticality: criticality, community: community)
        }
        return rerated
    }

    /// Re-rates the open alerts among `ids` as they now stand: an erasure
    /// took an asset, and perhaps the rating that made their urgency, out
    /// of their lists. Returns the ids of the alerts changed.
    func rerateOpenAlerts(ids: [Int64]) throws -> [Int64] {
        guard let alertUrgency, !ids.isEmpty else { return [] }
        let about = try database.statement("""
            SELECT id, level, assets, urgency FROM alerts
            WHERE status = 'open' AND id IN (SELECT value FROM json_each(?1))
            """).rows([.text(Self.jsonText(ids))]) {
            (id: $0.int(0), level: $0.text(1), assets: $0.text(2), urgency: Int($0.int(3)))
        }
        return try rerate(about, urgency: alertUrgency) { _ in }
    }

    /// Writes each alert's assets after `change`, with the urgency worked
    /// out again from them; returns the ids of those that changed.
    private func rerate(_ alerts: [(id: Int64, level: String, assets: String, urgency: Int)],
                        urgency alertUrgency: (String, [AlertAsset]) -> Int,
                        changing change: (inout [StoredAlert.Asset]) -> Void) throws -> [Int64] {
        let update = try database.statement(
            "UPDATE alerts SET assets = ?2, urgency = ?3 WHERE id = ?1")
        var rerated: [Int64] = []
        for alert in alerts {
            var assets = try Self.decodeAssets(alert.assets, alertID: alert.id)
            change(&assets)
            let urgency = alertUrgency(alert.level, assets)
            let text = Self.encodeAssets(assets)
            guard urgency != alert.urgency || text != alert.assets else { continue }
            try update.run([.integer(alert.id), .text(text), .integer(Int64(urgency))])
            rerated.append(alert.id)
        }
        return rerated.sorted()
    }

    /// Adds suppressed-match counts, by alert filter id.
    public func addSuppressions(_ counts: [String: Int], community: String) throws {
        let statement = try database.statement("""
            INSERT INTO suppressions (community, filter_id, count) VALUES (?1, ?2, ?3)
            ON CONFLICT (community, filter_id) DO UPDATE SET count = count + ?3
            """)
        for (filter, count) in counts.sorted(by: { $0.key < $1.key }) where count != 0 {
            try statement.run([.text(community), .text(filter), .integer(Int64(count))])
        }
    }

    /// Suppressed matches so far, by alert filter id.
    public func suppressions(community: String) throws -> [String: Int] {
        var result: [String: Int] = [:]
        try database.statement("SELECT filter_id, count FROM suppressions WHERE community = ?1")
            .forEachRow([.text(community)]) { result[$0.text(0)] = Int($0.int(1)) }
        return result
    }

    /// Closes an alert, recording who closed it, when and why; false when
    /// the community has no open alert with this id.
    @discardableResult
    public func closeAlert(id: Int64, community: String, closure: StoredAlert.Closure) throws
        -> Bool
    {
        try database.statement("""
            UPDATE alerts SET status = 'closed', closed_at = ?3, closed_by = ?4, close_reason = ?5
            WHERE id = ?1 AND community = ?2 AND status = 'open'
            """).run([.integer(id), .text(community), .integer(closure.at.milliseconds),
                      .text(closure.by), closure.reason.map { .text($0) } ?? .null])
        return database.changes > 0
    }

    // MARK: - Reading

    public func alert(id: Int64, community: String) throws -> StoredAlert? {
        try database.statement("""
            SELECT \(Self.alertColumns) FROM alerts WHERE id = ?1 AND community = ?2
            """).firstRow([.integer(id), .text(community)], Self.alert(from:))
    }

    /// Alerts of a community that meet every criterion of `query`, most urgent
    /// first, then latest first.
    public func alerts(matching query: AlertQuery) throws -> [StoredAlert] {
        // Fixed SQL with optional parameters (NULL disables a criterion), so one
        // prepared statement serves every query.
        try database.statement("""
            SELECT \(Self.alertColumns) FROM alerts
            WHERE community = ?1
              AND (?2 IS NULL OR rule_id = ?2)
              AND (?3 IS NULL OR EXISTS (
                    SELECT 1 FROM json_each(alerts.assets) AS a, json_each(?3) AS wanted
                    WHERE json_extract(a.value, '$.uuid') = lower(wanted.value)
                       OR json_extract(a.value, '$.name') = wanted.value COLLATE NOCASE))
              AND (?4 IS NULL OR urgency >= ?4) AND (?5 IS NULL OR urgency <= ?5)
              AND (?6 IS NULL OR last_time >= ?6) AND (?7 IS NULL OR first_time <= ?7)
              AND (?8 IS NULL OR status = ?8)
              AND (?10 IS NULL OR (urgency, last_time, id) < (?10, ?11, ?12))
            ORDER BY urgency DESC, last_time DESC, id DESC
            LIMIT ?9
            """).rows([
                .text(query.community),
                // As rules are loaded: a UUID in capitals names the same rule.
                query.ruleID.map { .text(RuleIdentifier.canonical($0)) } ?? .null,
                // Names as they are kept, composed (NFC).
                query.assets.isEmpty ? .null
                    : .text(Self.jsonText(query.assets.map(\.composedText))),
                query.urgency.map { .integer(Int64($0.lowerBound)) } ?? .null,
                query.urgency.map { .integer(Int64($0.upperBound)) } ?? .null,
                query.since.map { .integer($0.milliseconds) } ?? .null,
                query.until.map { .integer($0.milliseconds) } ?? .null,
                query.status.map { .text($0.rawValue) } ?? .null,
                .integer(Int64(max(0, query.limit))),
                query.after.map { .integer(Int64($0.urgency)) } ?? .null,
                query.after.map { .integer($0.lastTime.milliseconds) } ?? .null,
                query.after.map { .integer($0.id) } ?? .null,
            ], Self.alert(from:))
    }
}
