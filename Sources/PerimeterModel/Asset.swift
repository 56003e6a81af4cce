import Foundation

/// The three kinds of asset Perimeter knows (SPEC §1).
public enum AssetCategory: String, Sendable, Hashable, CaseIterable, Codable {
    case account, host, network

    /// The name after its article, for messages: "an account", "a host".
    public var withArticle: String { self == .account ? "an account" : "a \(rawValue)" }

    /// The sub-categories allowed in this category.
    public var subcategories: [AssetSubcategory] {
        switch self {
        case .account: [.user, .service, .machine]
        case .host: [.desktop, .server, .mobile]
        case .network: [.ipv4, .ipv6]
        }
    }

    public init(parsing name: String) throws(ModelError) {
        guard let category = AssetCategory(rawValue: name.lowercased()) else {
            throw ModelError.unknownValue(
                kind: "category", value: name,
                expected: AssetCategory.allCases.map(\.rawValue))
        }
        self = category
    }
}

public enum AssetSubcategory: String, Sendable, Hashable, CaseIterable, Codable {
    case user, service, machine
    case desktop, server, mobile
    case ipv4, ipv6

    public var category: AssetCategory {
        switch self {
        case .user, .service, .machine: .account
        case .desktop, .server, .mobile: .host
        case .ipv4, .ipv6: .network
        }
    }

    public init(parsing name: String, in category: AssetCategory) throws(ModelError) {
        guard let sub = AssetSubcategory(rawValue: name.lowercased()),
              sub.category == category
        else {
            throw ModelError.unknownValue(
                kind: "\(category.rawValue) sub-category", value: name,
                expected: category.subcategories.map(\.rawValue))
        }
        self = sub
    }
}

/// How an asset entered the inventory.
public enum AssetSource: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Discovered from events by the named discovery rule.
    case automatic(rule: String)
    /// Created or imported by a person.
    case manual
    case connector(name: String)

    /// `automatic`, `manual` or `connector:<name>`, as SPEC §1 spells it.
    public var description: String {
        switch self {
        case .automatic: "automatic"
        case .manual: "manual"
        case .connector(let name): "connector:\(name)"
        }
    }

    /// The discovery rule, for automatic assets.
    public var rule: String? {
        if case .automatic(let rule) = self { return rule }
        return nil
    }
}

/// Identifies an asset for ever: generated once, never reused.
public typealias AssetID = UUID

/// An asset's current attributes. Its atoms live in the timeline, since
/// they change with event time; these attributes have their current value
/// and their change history in the audit trail.
public struct Asset: Sendable, Hashable, Identifiable {
    public var id: AssetID
    public var name: String
    public var category: AssetCategory
    public var subcategory: AssetSubcategory?
    public var criticality: Criticality?
    public var tags: Set<String>
    public var reviewed: Bool
    public var source: AssetSource
    public var description: String
    public var properties: [String: PropertyValue]
    public var community: String
    public var entity: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var firstSeen: Date?
    public var lastSeen: Date?
    public var isRevoked: Bool

    public static let maximumTagCount = 100
    /// What a person or a client may give an asset: a name, a tag and a
    /// description beyond these are refused (a 1,000,000-character name was
    /// taken, and every listing carried it).
    public static let maximumNameLength = 512
    public static let maximumTagLength = 128
    public static let maximumDescriptionLength = 16_384

    public init(
        id: AssetID = .random(), name: String, category: AssetCategory,
        subcategory: AssetSubcategory? = nil, criticality: Criticality? = nil,
        tags: Set<String> = [], reviewed: Bool = false, source: AssetSource,
        description: String = "", properties: [String: PropertyValue] = [:],
        community: String, entity: String? = nil, createdAt: Date,
        updatedAt: Date? = nil, firstSeen: Date? = nil, lastSeen: Date? = nil,
        isRevoked: Bool = false
    ) {
        self.id = id
        self.name = name
        self.category = category
        self.subcategory = subcategory
        self.criticality = criticality
        self.tags = tags
        self.reviewed = reviewed
        self.source = source
        self.description = description
        self.properties = properties
        self.community = community
        self.entity = entity
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.isRevoked = isRevoked
    }
}
