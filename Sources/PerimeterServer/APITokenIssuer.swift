import Foundation
import PerimeterCrypto
import PerimeterStore

/// Creates API tokens: the secret is returned once and only its SHA-256
/// is stored. The server and `perimeter tokens create` both use it.
public enum APITokenIssuer {
    /// Why a token name cannot be used, nil when it can: 1 to 128
    /// characters, no control character. The name is who did what in the
    /// audit trail, on alerts and in tables, one line each; a line break in
    /// it split every row it appeared in.
    public static func problem(withName name: String) -> String? {
        guard !name.isEmpty, name.count <= 128 else { return "must be 1 to 128 characters" }
        guard !name.holdsControlCharacter else {
            return "must not hold control characters (line breaks, tabs, escapes)"
        }
        return nil
    }

    public static func issue(in store: InventoryStore, name: String, community: String?,
                             role: APIRole, expiresAt: Date?,
                             now: Date = Date()) throws -> (secret: String, token: StoredToken) {
        precondition((role == .operator) == (community == nil),
                     "operator tokens, and only they, have no community")
        let secret = try APIToken.generate()
        let token = StoredToken(
            id: UUID.random().lowercasedText, name: name, community: community,
            role: role.rawValue, digest: APIToken.digest(of: secret).hexString,
            createdAt: now, expiresAt: expiresAt)
        try store.insert(token)
        return (secret, token)
    }
}
