import Foundation

/// A Sigma rule id as rules, filters and alert queries compare it: a UUID
/// in lower case (RFC 9562 reads UUIDs without regard to case, so
/// `ABCDEF00-…` and `abcdef00-…` are one rule), any other id as written,
/// without surrounding spaces.
public enum RuleIdentifier {
    public static func canonical(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return UUID(exactText: trimmed) == nil ? trimmed : trimmed.lowercased()
    }
}
