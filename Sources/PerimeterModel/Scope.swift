/// Where an event or an asset lives: a community (a tenant) and, within
/// it, optionally an entity (a part of the network or a subsidiary).
///
/// Nothing of one community is ever visible from another.
public struct Scope: Sendable, Hashable, Codable, CustomStringConvertible {
    public var community: String
    public var entity: String?

    public static let defaultCommunity = "default"

    public init(community: String = Scope.defaultCommunity, entity: String? = nil) {
        self.community = community
        self.entity = entity
    }

    public var description: String {
        entity.map { "\(community)/\($0)" } ?? community
    }
}
