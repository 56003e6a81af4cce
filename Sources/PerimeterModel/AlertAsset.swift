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
/// alert filters name them (`AssetEnrichment.detectionFields` writes
/// them; a test holds the two together). The set is closed: a rule naming
/// another `sekoiaio.` field would never match, or its `not` always.
public enum EnrichmentFieldNames {
    public static let anyAsset = ["tags", "uuid", "name", "criticality_display",
                                  "criticality_value"].map { "sekoiaio.any_asset." + $0 }
    public static let perCategory = AssetCategory.allCases.flatMap { category in
        ["uuid", "name", "criticality_value"].map { "sekoiaio.assets.\(category.rawValue)." + $0 }
    }
    public static let all = Set(anyAsset + perCategory)
}
