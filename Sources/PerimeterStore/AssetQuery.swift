import PerimeterModel

/// The filters of the inventory views (SPEC §4); they combine (AND).
public struct AssetQuery: Sendable, Hashable {
    public enum SortKey: String, Sendable, CaseIterable {
        case name, criticality, lastSeen = "last_seen", createdAt = "created_at"
    }

    public var community: String
    public var entity: String?
    public var criticality: ClosedRange<Int>?
    /// Only unrated assets (criticality unset).
    public var unratedOnly = false
    /// Assets holding every one of these tags.
    public var tags: [String] = []
    public var categories: [AssetCategory] = []
    /// `automatic`, `manual` or `connector:<name>`.
    public var source: String?
    /// The discovery rule that made the asset (`unique_hosts`…), for
    /// automatic assets.
    public var discoveryRule: String?
    public var reviewed: Bool?
    /// Case-insensitive text found in the name or in an atom's value.
    public var text: String?
    public var includeRevoked = false
    public var sort: SortKey = .name
    public var descending = false
    public var limit: Int? = nil
    public var offset = 0

    public init(community: String) { self.community = community }
}
