import PerimeterInventory
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

extension AssetQuery {
    /// Sets the source filter from its text, as the command line and the
    /// API take it: `automatic`, `manual`, `connector:NAME`, or the
    /// discovery rule that made the asset (`unique_hosts`…, as its
    /// `discovery_rule` field says, or `auto:RULE` as the command line's
    /// tables print it). False, and nothing set, for any other text (an
    /// unknown source selected nothing, silently).
    public mutating func selectSource(_ text: String) -> Bool {
        let ruleName = text.hasPrefix("auto:") ? String(text.dropFirst("auto:".count)) : text
        if let rule = DiscoveryRule(rawValue: ruleName) {
            source = "automatic"
            discoveryRule = rule.rawValue
            return true
        }
        guard ["automatic", "manual"].contains(text) || text.hasPrefix("connector:") else {
            return false
        }
        source = text
        return true
    }

    /// A criticality filter's range from its text: `MIN-MAX` within 0 to
    /// 100 (`68-100`) or one value; nil for anything else.
    /// `MIN-MAX`, one value, or a display bucket (`low`, `medium`, `high`:
    /// what lists show, by the configured bounds).
    public static func criticalityRange(_ text: String,
                                        bounds: CriticalityBounds = .standard) -> ClosedRange<Int>? {
        if let display = CriticalityDisplay(rawValue: text.lowercased()) {
            return bounds.range(of: display)
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), let low = parts.first ?? nil,
              let high = parts.last ?? nil, 0 <= low, low <= high, high <= 100 else { return nil }
        return low...high
    }
}
