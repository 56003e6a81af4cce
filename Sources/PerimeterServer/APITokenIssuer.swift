import Foundation
import PerimeterCrypto
import PerimeterStore

/// Creates API tokens: the secret is returned once and only its SHA-256
/// is stored. The server and `perimeter tokens create` both use it.
public enum APITokenIssuer {
    public static func issue(in store: InventoryStore, name: String, community: String?,
                             role: APIRole, expiresAt: Date?,
                             now: Date = Date()) throws -> (secret: String, token: StoredToken) {
        precondition((role == .operator) == (community == nil),
                     "operator tokens, and only they, have no community")
        let secret = try APIToken.generate()
        let token = StoredToken(
            id: UUID().uuidString.lowercased(), name: name, community: community,
            role: role.rawValue, digest: APIToken.digest(of: secret).hexString,
            createdAt: now, expiresAt: expiresAt)
        try store.insert(token)
        return (secret, token)
    }
}
