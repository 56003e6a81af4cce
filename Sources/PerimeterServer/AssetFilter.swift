import PerimeterHTTP
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// Reads the inventory filters of SPEC §4 from query parameters (or from
/// a bulk request's `filter` object, as the same names). They combine.
enum AssetFilter {
    static let parameters = [
        "category", "tag", "criticality", "criticality_min", "criticality_max", "unrated", "source",
        "reviewed", "q", "entity", "include_revoked",
    ]

    /// How a filter's value is refused: as a query parameter (a 400), or,
    /// in a bulk request, as the body's `filter.NAME` field (a 422).
    typealias Refusal = (_ name: String, _ why: String) -> HTTPError

    /// A true-or-false query parameter (nil when not given).
    static func flag(_ text: String?, named name: String,
                     refusing refuse: Refusal = APIErrors.invalidQuery) throws -> Bool? {
        guard let text else { return nil }
        guard let flag = Bool(flagText: text) else {
            throw refuse(name, "must be true or false (yes/no, 1/0 are taken too)")
        }
        return flag
    }

    /// The query for `community`: always the token's, never a parameter.
    static func query(_ values: [String: [String]], community: String,
                      bounds: CriticalityBounds = .standard,
                      refusing refuse: Refusal = APIErrors.invalidQuery) throws -> AssetQuery {
        var query = AssetQuery(community: community)
        func single(_ name: String) -> String? { values[name]?.last }
        func flag(_ name: String) throws -> Bool? {
            try Self.flag(single(name), named: name, refusing: refuse)
        }
        for text in (values["category"] ?? []).flatMap({ $0.split(separator: ",") }) {
            guard let category = AssetCategory(rawValue: String(text).lowercased()) else {
                throw refuse("category", "must be account, host or network")
            }
            query.categories.append(category)
        }
        // An asset holds at most `Asset.maximumTagCount` tags; a thousand
        // `tag=` passed SQLite's limit of expressions and answered 500.
        query.tags = values["tag"] ?? []
        guard query.tags.count <= Asset.maximumTagCount else {
            throw refuse("tag", "is given \(query.tags.count) times; a filter "
                                         + "takes \(Asset.maximumTagCount) tags at most")
        }
        let minMax = try APIHandlers.percentRange(
            low: ("criticality_min", single("criticality_min")),
            high: ("criticality_max", single("criticality_max")), refusing: refuse)
        query.criticality = minMax
        // The command line's spelling too (`--criticality 68-100`), which
        // API users tried first.
        if let text = single("criticality") {
            guard minMax == nil else {
                throw refuse("criticality", "is given with criticality_min or "
                                             + "criticality_max; give one or the other")
            }
            if text.lowercased() == "unrated" {
                query.unratedOnly = true
            } else {
                guard let range = AssetQuery.criticalityRange(text, bounds: bounds) else {
                    throw refuse("criticality", "must be MIN-MAX within 0-100 "
                                                 + "(68-100), one value, low, medium, high or "
                                                 + "unrated")
                }
                query.criticality = range
            }
        }
        // unrated=false asks for the rated ones (any rating), not for all.
        switch try flag("unrated") {
        case true?:
            // Unrated and a rating at once selects nothing, as the other
            // contradictory pairs are refused (it answered an empty page).
            if let range = query.criticality {
                throw refuse("unrated", "is true with a criticality range (\(range.lowerBound)-"
                                        + "\(range.upperBound)); an asset is unrated or rated, "
                                        + "give one or the other")
            }
            query.unratedOnly = true
        case false?: query.criticality = query.criticality ?? 0...100
        case nil: break
        }
        if let source = single("source"), !query.selectSource(source) {
            throw refuse("source", "must be automatic, manual, "
                + "connector:NAME or a discovery rule ("
                + DiscoveryRule.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        query.reviewed = try flag("reviewed")
        query.text = single("q")
        // The search index and LIKE read text up to a NUL: a NUL in the
        // search answered 500 (three characters or more) or everything.
        if query.text?.holdsControlCharacter == true {
            throw refuse("q", "must not hold control characters")
        }
        // Trimmed, and blank for none, as intake reads `?entity=`; a name
        // no entity can have (`a/b`) is refused: it listed nothing, as
        // though the entity were empty.
        if let entity = single("entity")?.trimmingCharacters(in: .whitespaces), !entity.isEmpty {
            if let problem = Scope.problem(withName: entity) {
                throw refuse("entity", "is not an entity name: \(problem)")
            }
            query.entity = entity
        }
        query.includeRevoked = try flag("include_revoked") ?? false
        if let sort = single("sort") {
            guard let key = AssetQuery.SortKey(rawValue: sort) else {
                throw refuse("sort", "must be one of "
                    + AssetQuery.SortKey.allCases.map(\.rawValue).joined(separator: ", "))
            }
            query.sort = key
        }
        if let order = single("order") {
            guard order == "asc" || order == "desc" else {
                throw refuse("order", "must be asc or desc")
            }
            query.descending = order == "desc"
        }
        return query
    }

    /// A bulk request's `filter` object as parameter lists.
    static func values(fromJSON object: [String: Any]) throws -> [String: [String]] {
        var values: [String: [String]] = [:]
        for (key, value) in object {
            guard parameters.contains(key) else {
                throw APIErrors.invalidField("filter.\(key)", "is not a filter; expected one of "
                                             + parameters.joined(separator: ", "))
            }
            values[key] = try Self.texts(ofJSON: value, filter: key)
        }
        return values
    }

    /// The texts of one filter sent as JSON, of the type its query form
    /// reads: text, a list of texts where the query repeats it (`tag`,
    /// `category`), true or false for a flag, a whole number for a bound.
    /// Any other type is refused, not turned into text (`{"q": 5}`
    /// searched for "5"; a list's last item alone was checked).
    private static func texts(ofJSON value: Any, filter key: String) throws -> [String] {
        let field = "filter.\(key)"
        // An empty filter selected every asset, which a bulk change on
        // "none of these" should not: it is left out to mean that.
        if let text = value as? String {
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIErrors.invalidField(field, "is empty; leave it out to select every asset")
            }
            return [text]
        }
        if let list = value as? [Any] {
            guard APIHandlers.repeatableParameters.contains(key) else {
                throw APIErrors.invalidField(field, "takes one value, not a list")
            }
            guard !list.isEmpty else {
                throw APIErrors.invalidField(field, "is empty; leave it out to select every asset")
            }
            return try list.map { item in
                guard let text = item as? String else {
                    throw APIErrors.invalidField(field, "must be a list of text")
                }
                return text
            }
        }
        if let flag = JSONFields.boolean(value), flagFilters.contains(key) {
            return [flag ? "true" : "false"]
        }
        if let number = JSONFields.integer(value), boundFilters.contains(key) {
            return [String(number)]
        }
        let expected = flagFilters.contains(key) ? "true or false"
            : boundFilters.contains(key) ? "a whole number"
            : APIHandlers.repeatableParameters.contains(key) ? "text or a list of text" : "text"
        throw APIErrors.invalidField(field, "must be \(expected)")
    }

    private static let flagFilters: Set<String> = ["unrated", "reviewed", "include_revoked"]
    private static let boundFilters: Set<String> = ["criticality_min", "criticality_max"]
}

extension String {
    /// Whether the text holds a control character (NUL, ESC, …), which no
    /// search text or entity name has reason to hold.
    var holdsControlCharacter: Bool {
        unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
