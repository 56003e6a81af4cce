/// An asset an alert is about, as the enrichment stage matched it: what
/// urgency weighs and what the store keeps with the alert.
public struct AlertAsset: Sendable, Hashable, Codable {
    public var uuid: String
    public var name: String
    public var category: AssetCategory
    /// 0–100, nil when the asset is not rated.
    public var criticality: Int?

    public init(uuid: String, name: String, category: AssetCategory, criticality: Int?) {
        self.uuid = uuid
        self.name = name
        self.category = category
        self.criticality = criticality
    }
}

/// The asset fields enrichment gives an event, as detection rules and
/// alert filters name them (the detection stage reads them from the
/// enrichment; a test holds the two together). Under the two reserved
/// prefixes the set is closed: a rule naming another field there would
/// never match, or its `not` always. Other `sekoiaio.` fields are the
/// event's own (an intake's), read like any field.
public enum EnrichmentFieldNames {
    public static let anyAsset = ["tags", "uuid", "name", "criticality_display",
                                  "criticality_value", "ambiguous"]
        .map { "sekoiaio.any_asset." + $0 }
    public static let perCategory = AssetCategory.allCases.flatMap { category in
        ["uuid", "name", "criticality_value"].map { "sekoiaio.assets.\(category.rawValue)." + $0 }
    }
    public static let all = Set(anyAsset + perCategory)

    /// Whether a field is enrichment's to give: input fields there are
    /// removed before detection (SPEC §2).
    public static func isReserved(_ path: String) -> Bool {
        path.hasPrefix("sekoiaio.any_asset.") || path.hasPrefix("sekoiaio.assets.")
    }
}
