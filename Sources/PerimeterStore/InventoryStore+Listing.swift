import Foundation
import PerimeterModel
import PerimeterSQLite

/// Where a page of assets ended: the sort key and uuid of its last row.
///
/// Keyset paging rather than offsets: an asset created or changed while a
/// client pages moves at most itself, never shifts the rows after it.
public struct AssetCursor: Sendable, Hashable {
    public var sortValue: SQLValue
    public var uuid: String
    /// The order the page was listed in, `sort:asc` or `sort:desc`: a
    /// cursor read in another order ends nowhere meaningful (it gave an
    /// empty page), so the listing refuses it.
    public var ordering: String?
    /// In a listing by last seen, the last row's key in the seen-times
    /// table (`asset_seen.id`), which orders assets seen at the same time
    /// (and the never seen) in the order they were created. Other orders
    /// break ties by uuid and leave it nil.
    public var seenKey: Int64?

    public init(sortValue: SQLValue, uuid: String, ordering: String? = nil,
                seenKey: Int64? = nil) {
        self.sortValue = sortValue
        self.uuid = uuid
        self.ordering = ordering
        self.seenKey = seenKey
    }

    /// `ordering` of a query.
    public static func ordering(of query: AssetQuery) -> String {
        "\(query.sort.rawValue):\(query.descending ? "desc" : "asc")"
    }

    /// The opaque text clients send back (base64url of a small JSON array).
    public var token: String {
        let value: Any
        switch sortValue {
        case .integer(let number): value = number
        case .text(let text): value = text
        default: value = NSNull()
        }
        var items: [Any] = [value, uuid]
        if ordering != nil || seenKey != nil { items.append(ordering ?? NSNull()) }
        if let seenKey { items.append(seenKey) }
        let data = (try? JSONSerialization.data(withJSONObject: items)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
              let array = try? JSONSerialization.jsonObject(with: data) as? [Any],
              (2...4).contains(array.count), let uuid = array[1] as? String
        else { return nil }
        ordering = array.count >= 3 ? array[2] as? String : nil
        if array.count == 4 {
            guard let key = Self.integer(array[3]), key > 0 else { return nil }
            seenKey = key
        }
        switch array[0] {
        case let text as String: sortValue = .text(text)
        case is NSNull: sortValue = .null
        default:
            guard let number = Self.integer(array[0]) else { return nil }
            sortValue = .integer(number)
        }
        self.uuid = uuid
    }

    /// A whole number of the token's JSON; nil for anything else.
    /// Foundation reads `true` and `1.5` as numbers too, and taken as 1
    /// they would page from a position no listing gave.
    private static func integer(_ value: Any) -> Int64? {
        guard let number = value as? NSNumber,
              ["i", "l", "q", "s"].contains(String(cString: number.objCType))
        else { return nil }
        return number.int64Value
    }

    /// Whether the cursor can be a position in a listing sorted by `sort`:
    /// a uuid, a value of the sort's type (text for names, a number or
    /// nothing for the others) and, by last seen, a seen key. One that
    /// cannot would page nowhere.
    public func fits(_ sort: AssetQuery.SortKey) -> Bool {
        guard UUID(exactText: uuid) != nil else { return false }
        switch (sort, sortValue) {
        case (.name, .text), (.createdAt, .integer), (.criticality, .integer),
             (.criticality, .null): return true
        case (.lastSeen, .integer), (.lastSeen, .null): return seenKey != nil
        default: return false
        }
    }
}

/// One page of a listing.
public struct AssetPage: Sendable {
    public var assets: [Asset]
    /// Where the next page starts; nil on the last page.
    public var next: AssetCursor?
}

extension InventoryStore {
    /// The WHERE clause and its values for a query's filters (SPEC §4);
    /// every clause starts with the community, so no filter reaches past it.
    ///
    /// `probingTags` writes a tag filter as a check of each row the sort
    /// order visits, instead of a set SQLite reads whole first: the better
    /// plan for a page when the tag is common (see `page`).
    ///
    /// `listing` says how a text search is read when rows come in a sort
    /// order (see `TextPlan`); nil for a count or a job, where SQLite picks.
    func filterClause(for query: AssetQuery, probingTags: Bool = false,
                      listing plan: TextPlan? = nil) throws -> (sql: String, values: [SQLValue]) {
        // Reading from the text's few candidates, no index of the
        // community's rows may be the outer loop: `+` keeps a column out
        // of index use.
        let drives = plan == .fromCandidates
        var clauses = [drives ? "+community = ?1" : "community = ?1"]
        var values: [SQLValue] = [.text(query.community)]
        func bind(_ value: SQLValue) -> String {
            values.append(value)
            return "?\(values.count)"
        }
        if let entity = query.entity { clauses.append("entity = \(bind(.text(entity)))") }
        if !query.includeRevoked {
            clauses.append(drives ? "+revoked = 0" : "revoked = 0")
        } else if !query.categories.isEmpty || query.criticality != nil || query.unratedOnly {
            // Both values spelt out: the category and criticality indexes
            // lead with (community, revoked), and an IN keeps them usable.
            clauses.append("revoked IN (0, 1)")
        }
        if let range = query.criticality {
            clauses.append("criticality BETWEEN \(bind(.integer(Int64(range.lowerBound)))) "
                           + "AND \(bind(.integer(Int64(range.upperBound))))")
        }
        if query.unratedOnly { clauses.append("criticality IS NULL") }
        if !query.categories.isEmpty {
            let list = query.categories.map { bind(.text($0.rawValue)) }.joined(separator: ", ")
            clauses.append("category IN (\(list))")
        }
        for tag in query.tags {
            let spellings = try tagSpellings(of: tag, in: query.community)
            let list = (spellings.isEmpty ? [tag] : spellings).map { bind(.text($0)) }
                .joined(separator: ", ")
            if probingTags || drives {
                clauses.append("EXISTS (SELECT 1 FROM asset_tags WHERE community = ?1 AND tag IN "
                               + "(\(list)) AND asset_uuid = assets.uuid)")
            } else {
                clauses.append("uuid IN (SELECT asset_uuid FROM asset_tags WHERE community = ?1 "
                               + "AND tag IN (\(list)))")
            }
        }
        if let source = query.source { clauses.append("source = \(bind(.text(source)))") }
        if let rule = query.discoveryRule {
            clauses.append("source_rule = \(bind(.text(rule)))")
        }
        if let reviewed = query.reviewed { clauses.append("reviewed = \(reviewed ? 1 : 0)") }
        // Folded as host names are (a decomposed `ü` found none).
        if let text = query.text.map(Atom.foldedName), !text.isEmpty {
            let pattern = bind(.text("%" + Self.escapeLike(text) + "%"))
            // An ASCII text matches ASCII letters alone, which lower()
            // folds; any other is matched against the name folded in full.
            let name = text.utf8.allSatisfy { $0 < 0x80 } ? "lower(name)"
                : "\(Self.foldFunction)(name)"
            let recheck = """
                (\(name) LIKE \(pattern) ESCAPE '\\' OR EXISTS (SELECT 1 FROM attachments \
                WHERE asset_uuid = assets.uuid AND atom_value LIKE \(pattern) ESCAPE '\\'))
                """
            if let trigramPhrase = Self.trigramPhrase(text) {
                // The trigram index finds candidates; the re-check keeps
                // only those whose current name or atoms hold the text.
                let phrase = bind(.text(trigramPhrase))
                // Along a sort order (`+uuid`), the set is a check of each
                // row: as `uuid IN`, SQLite probed the whole set once per
                // row of the order's index (132 s for a page of 60,000
                // assets, the server's one reader blocked meanwhile).
                let membership = plan == .alongTheOrder ? "+uuid" : "uuid"
                clauses.append("\(membership) IN (SELECT asset_uuid FROM asset_text WHERE "
                               + "asset_text MATCH \(phrase) AND community = ?1) AND \(recheck)")
            } else {
                // Fewer than 3 characters: no trigram to look up; a scan.
                clauses.append("""
                    (\(name) LIKE \(pattern) ESCAPE '\\' OR uuid IN (SELECT asset_uuid FROM \
                    attachments WHERE community = ?1 AND atom_value LIKE \(pattern) ESCAPE '\\'))
                    """)
            }
        }
        return (clauses.joined(separator: " AND "), values)
    }

    private static func sortExpression(_ key: AssetQuery.SortKey) -> String {
        switch key {
        case .name: "name COLLATE NOCASE"
        case .criticality: "criticality"
        case .lastSeen: "last_seen"
        case .createdAt: "created_at"
        }
    }

    /// The asset with this uuid when it is of this community (revoked or
    /// not); nil otherwise, exactly as for an unknown uuid.
    public func asset(id: AssetID, community: String) throws -> Asset? {
        try database.statement("""
            SELECT \(Self.assetColumns) FROM \(Self.assetTables) WHERE uuid = ?1 AND community = ?2
            """)
            .firstRow([.text(id.lowercasedText), .text(community)]) {
                try Self.asset(from: $0)
            }
    }

    /// The communities that hold at least one asset, in name order: what
    /// a command names when it is given one that holds none (a typo).
    public func communitiesWithAssets() throws -> [String] {
        try database.statement("""
            SELECT community FROM asset_counts GROUP BY community HAVING sum(n) > 0
            ORDER BY community
            """).rows([]) { $0.text(0) }
    }

    /// How many assets match a query's filters: from the kept counts when
    /// the filters are all columns of `asset_counts` (or one tag with
    /// categories, from `asset_tag_counts`), else by counting.
    public func count(matching query: AssetQuery) throws -> Int {
        // An asset may hold two spellings of the tag (from before tags
        // were one label in any case): their counts would add it twice.
        if query.tags.count == 1, query.text?.isEmpty ?? true, query.entity == nil,
           query.criticality == nil, !query.unratedOnly, query.source == nil,
           query.discoveryRule == nil, query.reviewed == nil,
           case let spellings = try tagSpellings(of: query.tags[0], in: query.community),
           spellings.count <= 1 {
            guard let spelling = spellings.first else { return 0 }
            return try taggedCount(query.community, tag: spelling,
                                   categories: query.categories,
                                   includeRevoked: query.includeRevoked)
        }
        // The counts table knows no discovery rule: that filter counts rows.
        if query.tags.isEmpty, query.text?.isEmpty ?? true, query.entity == nil,
           query.discoveryRule == nil {
            var clauses = ["community = ?1"]
            var values: [SQLValue] = [.text(query.community)]
            func bind(_ value: SQLValue) -> String {
                values.append(value)
                return "?\(values.count)"
            }
            if !query.includeRevoked { clauses.append("revoked = 0") }
            if let range = query.criticality {
                clauses.append("criticality BETWEEN \(bind(.integer(Int64(range.lowerBound)))) "
                               + "AND \(bind(.integer(Int64(range.upperBound))))")
            }
            if query.unratedOnly { clauses.append("criticality = -1") }
            if !query.categories.isEmpty {
                let list = query.categories.map { bind(.text($0.rawValue)) }
                clauses.append("category IN (\(list.joined(separator: ", ")))")
            }
            if let source = query.source { clauses.append("source = \(bind(.text(source)))") }
            if let reviewed = query.reviewed { clauses.append("reviewed = \(reviewed ? 1 : 0)") }
            return try database.statement("""
                SELECT coalesce(sum(n), 0) FROM asset_counts \
                WHERE \(clauses.joined(separator: " AND "))
                """).firstRow(values) { Int($0.int(0)) } ?? 0
        }
        let (condition, values) = try filterClause(for: query)
        return try database.statement("SELECT count(*) FROM assets WHERE \(condition)")
            .firstRow(values) { Int($0.int(0)) } ?? 0
    }

    /// The spellings in which a community's assets hold a tag (`VIP`,
    /// `vip`), from the kept counts: a filter finds them all, as SQLite's
    /// NOCASE collation and `TagSpelling` compare tags.
    func tagSpellings(of tag: String, in community: String) throws -> [String] {
        try database.statement("""
            SELECT DISTINCT tag FROM asset_tag_counts
            WHERE community = ?1 AND tag = ?2 COLLATE NOCASE AND n > 0 ORDER BY tag
            """).rows([.text(community), .text(tag.composedText)]) { $0.text(0) }
    }

    /// Assets of a community holding `tag`, from the kept counts.
    private func taggedCount(_ community: String, tag: String, categories: [AssetCategory],
                             includeRevoked: Bool) throws -> Int {
        var values: [SQLValue] = [.text(community), .text(tag)]
        var sql = "SELECT coalesce(sum(n), 0) FROM asset_tag_counts WHERE community = ?1 "
            + "AND tag = ?2"
        if !includeRevoked { sql += " AND revoked = 0" }
        if !categories.isEmpty {
            let list = categories.map { category -> String in
                values.append(.text(category.rawValue))
                return "?\(values.count)"
            }
            sql += " AND category IN (\(list.joined(separator: ", ")))"
        }
        return try database.statement(sql).firstRow(values) { Int($0.int(0)) } ?? 0
    }

    /// How a listing reads a text search (`q`, three characters or more).
    enum TextPlan {
        /// The text's candidates first (from the trigram index), then
        /// sorted: for a text few assets hold.
        case fromCandidates
        /// The sort order's index, each row checked against the candidates:
        /// for a text so common that a page is found in the first rows.
        case alongTheOrder
    }

    /// A folded search text as an FTS5 phrase of the trigram index; nil
    /// under three characters, which hold no trigram.
    static func trigramPhrase(_ text: String) -> String? {
        guard text.count >= 3 else { return nil }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The plan for a listing's text search; nil when it has none.
    func textPlan(for query: AssetQuery) throws -> TextPlan? {
        guard let phrase = query.text.map(Atom.foldedName).flatMap(Self.trigramPhrase)
        else { return nil }
        let candidates = try database.statement("""
            SELECT count(*) FROM (SELECT 1 FROM asset_text WHERE asset_text MATCH ?1 \
            AND community = ?2 LIMIT \(textCandidatesToSort + 1))
            """).firstRow([.text(phrase), .text(query.community)]) { Int($0.int(0)) } ?? 0
        return candidates <= textCandidatesToSort ? .fromCandidates : .alongTheOrder
    }

    /// Whether a page should check the tags row by row along the sort
    /// order: it reads about `limit × assets / tagged` rows that way, and
    /// every tagged asset (then a sort) the other way.
    private func prefersTagProbe(_ query: AssetQuery, limit: Int) throws -> Bool {
        guard !query.tags.isEmpty else { return false }
        var tagged = Int.max
        for tag in query.tags {
            var count = 0
            for spelling in try tagSpellings(of: tag, in: query.community) {
                count += try taggedCount(query.community, tag: spelling, categories: [],
                                         includeRevoked: query.includeRevoked)
            }
            tagged = min(tagged, count)
        }
        guard tagged > 0 else { return false }
        let total = try count(matching: {
            var all = AssetQuery(community: query.community)
            all.includeRevoked = query.includeRevoked
            return all
        }())
        return (limit + 1) * total / tagged < tagged
    }

    /// One page of the assets matching a query, in its sort order (unrated
    /// and never-seen assets sort lowest, as SQLite orders NULLs), after
    /// `cursor` when given. Each order reads an index of the community's
    /// assets whose entries end with the tie-breaker (the uuid, or the
    /// seen key by last seen), so a page of a million assets reads its
    /// rows alone instead of sorting them all.
    /// A listing's filter, its values and its order, as pages and the
    /// uuids of an export read them.
    private struct ListingOrder {
        var condition: String
        var values: [SQLValue]
        var expression: String
        var direction: String
        var byLastSeen: Bool
        var tieColumn: String
    }

    private func listingOrder(_ query: AssetQuery, probingTags: Bool) throws -> ListingOrder {
        let textPlan = try textPlan(for: query)
        var (condition, values) = try filterClause(for: query, probingTags: probingTags,
                                                   listing: textPlan)
        // By last seen, ties go by the seen key, which the index of the
        // seen times holds after the time (migration 12), so a page reads
        // its rows alone even among thousands of never-seen assets; the
        // other orders' indexes end with the uuid.
        let byLastSeen = query.sort == .lastSeen
        if byLastSeen {
            condition += textPlan == .fromCandidates ? " AND +asset_community = ?1"
                : " AND asset_community = ?1"
        }
        return ListingOrder(condition: condition, values: values,
                            expression: Self.sortExpression(query.sort),
                            direction: query.descending ? "DESC" : "ASC", byLastSeen: byLastSeen,
                            tieColumn: byLastSeen ? "asset_seen.id" : "uuid")
    }

    public func page(matching query: AssetQuery, after cursor: AssetCursor?,
                     limit: Int) throws -> AssetPage {
        let order = try listingOrder(query, probingTags: try prefersTagProbe(query, limit: limit))
        var (condition, values) = (order.condition, order.values)
        let (expression, direction) = (order.expression, order.direction)
        let (byLastSeen, tieColumn) = (order.byLastSeen, order.tieColumn)
        if let cursor {
            values.append(cursor.sortValue)
            if byLastSeen {
                guard let seenKey = cursor.seenKey else {
                    throw StoreError(code: .invalid, message: "a cursor of a listing by last seen "
                                     + "needs the seen key of its last asset")
                }
                values.append(.integer(seenKey))
            } else {
                values.append(.text(cursor.uuid))
            }
            let value = "?\(values.count - 1)"
            let tie = "?\(values.count)"
            let comparison = query.descending ? "<" : ">"
            if query.sort == .criticality || byLastSeen {
                // Unrated or never seen (NULL) sorts lowest, as SQLite
                // orders NULLs, and needs its own comparison (a NULL never
                // compares).
                let column = expression
                switch (cursor.sortValue == .null, query.descending) {
                case (true, true):
                    condition += " AND \(column) IS NULL AND \(tieColumn) < \(tie)"
                case (true, false):
                    condition += " AND (\(column) IS NOT NULL OR \(tieColumn) > \(tie))"
                case (false, true):
                    condition += " AND (\(column) IS NULL OR \(column) < \(value) OR "
                        + "(\(column) = \(value) AND \(tieColumn) < \(tie)))"
                case (false, false):
                    condition += " AND \(column) >= \(value) AND (\(column) > \(value) OR "
                        + "\(tieColumn) > \(tie))"
                }
            } else {
                // A bound on the sort column alone, then the tie: SQLite
                // starts the index range there. As a row value, `(name
                // COLLATE NOCASE, uuid) > (…)` was no range, and each page
                // read the community's index from its start (an export of
                // 350,000 assets took 91 s, 2.6 s for 60,000 against 0.24).
                let bound = query.descending ? "<=" : ">="
                condition += " AND \(expression) \(bound) \(value) AND (\(expression) "
                    + "\(comparison) \(value) OR uuid \(comparison) \(tie))"
            }
        }
        values.append(.integer(Int64(limit + 1)))
        let sql = """
            SELECT \(Self.assetColumns), \(expression), asset_seen.id FROM \(Self.assetTables)
            WHERE \(condition)
            ORDER BY \(expression) \(direction), \(tieColumn) \(direction) LIMIT ?\(values.count)
            """
        let sortColumn = 18
        var assets: [Asset] = []
        var cursors: [AssetCursor] = []
        try database.statement(sql).forEachRow(values) { row in
            assets.append(try Self.asset(from: row))
            let value: SQLValue = query.sort == .name ? .text(row.text(sortColumn))
                : row.isNull(sortColumn) ? .null : .integer(row.int(sortColumn))
            cursors.append(AssetCursor(sortValue: value, uuid: row.text(0),
                                       ordering: AssetCursor.ordering(of: query),
                                       seenKey: byLastSeen ? row.int(sortColumn + 1) : nil))
        }
        // One row more than asked tells whether there is a next page.
        guard assets.count > limit else { return AssetPage(assets: assets, next: nil) }
        return AssetPage(assets: Array(assets.prefix(limit)), next: cursors[limit - 1])
    }

    /// The uuids of every matching asset, in the listing's order: what an
    /// export read while other writes go on lists, each asset once (read
    /// by pages of its sort key, an asset renamed meanwhile was listed
    /// twice, or not at all).
    public func assetIDs(matching query: AssetQuery) throws -> [AssetID] {
        let order = try listingOrder(query, probingTags: false)
        return try database.statement("""
            SELECT uuid FROM \(Self.assetTables) WHERE \(order.condition)
            ORDER BY \(order.expression) \(order.direction), \(order.tieColumn) \(order.direction)
            """).rows(order.values) { UUID(exactText: $0.text(0)) }.compactMap { $0 }
    }

    /// Every asset of a community that matches, one page at a time, for
    /// exports: `body` sees each page once.
    public func forEachPage(matching query: AssetQuery, pageSize: Int = 1_000,
                            _ body: ([Asset]) throws -> Void) throws {
        var cursor: AssetCursor?
        repeat {
            let page = try page(matching: query, after: cursor, limit: pageSize)
            if !page.assets.isEmpty { try body(page.assets) }
            cursor = page.next
        } while cursor != nil
    }
}
