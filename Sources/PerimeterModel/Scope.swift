import Foundation

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

    /// Why a community or entity name is refused, nil when it is fine:
    /// letters, digits, `-`, `_` and `.`, 1 to 128 of them. One rule for
    /// every way a name comes in (an entity `../../etc` was refused by
    /// `ingest --entity` but taken by `assets create`, import and HTTP
    /// intake, whose assets no ingest could then reach).
    public static func problem(withName name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 128, allowed else {
            return "use 1 to 128 letters, digits, '-', '_' or '.'"
        }
        return nil
    }

    /// Why a name is refused for a new tenant (`tokens create`), nil when
    /// it is fine: `problem(withName:)`, and two rules for the names of new
    /// tenants alone, so that a store's existing communities stay
    /// reachable by every command.
    public static func problem(withNewName name: String) -> String? {
        if let problem = problem(withName: name) { return problem }
        // `-` is how `tokens list` shows an operator token's community,
        // and `..` reads as a path: a name holds a letter or digit.
        guard name.unicodeScalars.contains(where: {
            CharacterSet.alphanumerics.contains($0) && !CharacterSet.nonBaseCharacters.contains($0)
        }) else { return "it needs a letter or a digit" }
        // `café` typed with a combining accent is another string than the
        // `café` most keyboards write, so another tenant that lists alike.
        // (Swift's `==` holds the two spellings equal; SQLite does not.)
        guard name.unicodeScalars.elementsEqual(
            name.precomposedStringWithCanonicalMapping.unicodeScalars) else {
            return "write its accented letters precomposed (Unicode NFC), as most keyboards do"
        }
        return nil
    }
}
