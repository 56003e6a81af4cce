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
