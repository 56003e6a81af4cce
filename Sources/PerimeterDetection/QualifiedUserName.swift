import PerimeterJSON

/// Sigma's `User` of Windows events is `DOMAIN\user`, as Sysmon writes it;
/// Winlogbeat splits it into `user.domain` and `user.name`. The mapping
/// names this field for it, made from those two, so that the rules'
/// `User|contains: 'AUTHORI'` (NT AUTHORITY) and `User: 'CORP\alice'` read
/// what they were written for (on `user.name` alone they never held).
public enum QualifiedUserName {
    /// The field a mapping gives `User`; no event holds it.
    public static let path = "perimeter.qualified_user_name"
    /// The event fields it is made of.
    public static let domainPath = "user.domain"
    public static let namePath = "user.name"

    /// `domain\name`, or the name alone without a domain (or when the name
    /// is already qualified); nil without a name.
    public static func value(domain: String?, name: String?) -> String? {
        guard let name, !name.isEmpty else { return nil }
        guard let domain, !domain.isEmpty, !name.contains("\\") else { return name }
        return domain + "\\" + name
    }

    /// The value from a parsed event, its two fields read by selection id.
    public static func value(in parsed: ParsedEvent, domainID: Int, nameID: Int) -> String? {
        value(domain: parsed.firstString(of: domainID), name: parsed.firstString(of: nameID))
    }
}
