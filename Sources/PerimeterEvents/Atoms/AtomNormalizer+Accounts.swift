import PerimeterModel

extension AtomNormalizer {
    // MARK: - SIDs

    /// A sid atom, upper case, for a value of the shape
    /// `S-1-<authority>-<sub-authority>…` (decimal, 1 to 15 sub-authorities
    /// of 32 bits, MS-DTYP §2.4.2.1); nil for other shapes and for the
    /// well-known SIDs that exist on every Windows machine.
    public func sid(_ value: some StringProtocol) -> Atom? {
        let trimmed = ASCII.trimmed(value)
        guard let parts = Self.sidParts(trimmed), !Self.isWellKnownSID(parts) else {
            return nil
        }
        return Atom(type: .sid, normalizedValue: "S" + trimmed.dropFirst())
    }

    /// Whether the value has the shape of a SID, well-known or not.
    public static func isSIDShaped(_ value: some StringProtocol) -> Bool {
        sidParts(ASCII.trimmed(value)) != nil
    }

    /// The authority and the sub-authorities of a SID's text.
    static func sidParts(_ text: Substring) -> (authority: UInt64, subs: [UInt32])? {
        let utf8 = text.utf8
        guard utf8.count >= 7, utf8.count <= 184 else { return nil }
        var iterator = utf8.makeIterator()
        guard iterator.next().map({ $0 | 0x20 }) == UInt8(ascii: "s"),
              iterator.next() == UInt8(ascii: "-"), iterator.next() == UInt8(ascii: "1"),
              iterator.next() == UInt8(ascii: "-")
        else { return nil }
        var numbers: [UInt64] = []
        numbers.reserveCapacity(8)
        var current: UInt64 = 0
        var digits = 0
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "-") {
                guard digits > 0 else { return nil }
                numbers.append(current)
                current = 0
                digits = 0
                continue
            }
            guard ASCII.isDigit(byte), digits < 15 else { return nil }
            current = current * 10 + UInt64(byte &- 0x30)
            digits += 1
        }
        guard digits > 0 else { return nil }
        numbers.append(current)
        guard numbers.count >= 2, numbers.count <= 16, numbers[0] < 1 << 48,
              numbers.dropFirst().allSatisfy({ $0 <= UInt64(UInt32.max) })
        else { return nil }
        return (numbers[0], numbers.dropFirst().map { UInt32($0) })
    }

    /// Well-known SIDs name the same built-in principal on every machine,
    /// so they create no account (SPEC §2). The list follows MS-DTYP
    /// §2.4.2.4 "Well-Known SID Structures"
    /// (https://learn.microsoft.com/openspecs/windows_protocols/ms-dtyp/81d92bba-d22b-4a8c-908a-554ab29148ab)
    /// and "Security identifiers"
    /// (https://learn.microsoft.com/windows-server/identity/ad-ds/manage/understand-security-identifiers):
    /// - authorities 0–4: S-1-0-0 Nobody, S-1-1-0 Everyone, S-1-2-0 Local,
    ///   S-1-2-1 Console Logon, S-1-3-* Creator Owner/Group/Owner Rights,
    ///   S-1-4 the non-unique authority;
    /// - authority 5 (NT AUTHORITY) outside S-1-5-21: S-1-5-1…-17 (Dialup,
    ///   Network, Batch, Interactive, logon sessions S-1-5-5-x-y, Service,
    ///   Anonymous, Proxy, Enterprise DCs, Self, Authenticated Users,
    ///   Restricted, Terminal Server User, Remote Interactive, This
    ///   Organization, IUSR), S-1-5-18 SYSTEM, -19 LOCAL SERVICE, -20 NETWORK
    ///   SERVICE, -22 Enterprise RODCs, S-1-5-32-* BUILTIN groups, -33,
    ///   S-1-5-64-* authentication packages, -65-1, S-1-5-80-* services
    ///   (NT SERVICE\…), -82-* IIS app pools, -83-0 virtual machines, -84-*
    ///   user-mode drivers, -90-* Window Manager (DWM-n), -96-* Font Driver
    ///   Host (UMFD-n), -113/-114 local account groups, -1000;
    /// - S-1-15-* app containers and capabilities (S-1-15-2-*, -3-*),
    ///   S-1-16-* mandatory integrity labels, S-1-18-* authentication
    ///   assertions.
    /// Account SIDs are S-1-5-21-<domain or machine>-<RID> (five
    /// sub-authorities or more; the domain-relative well-known RIDs such as
    /// -500 Administrator or -512 Domain Admins are real accounts of that
    /// domain, so they stay atoms), Entra ID's S-1-12-1-* and the other
    /// authorities.
    static func isWellKnownSID(_ parts: (authority: UInt64, subs: [UInt32])) -> Bool {
        switch parts.authority {
        case 0...4, 15, 16, 18:
            return true
        case 5:
            // A bare domain SID (S-1-5-21-a-b-c) names a domain, not an account.
            return parts.subs[0] != 21 || parts.subs.count < 5
        default:
            return false
        }
    }

    // MARK: - User names

    /// Domains whose principals exist on every Windows machine.
    static let builtInDomains: Set<String> = [
        "nt authority", "nt service", "builtin", "font driver host", "window manager",
        "iis apppool",
        // The localised NT AUTHORITY names seen in French and German logs.
        "autorite nt", "autorité nt", "nt-autorität",
    ]

    /// Built-in principal names (lower case); DWM-n and UMFD-n are matched
    /// by prefix. Shortcoming: localised names other than the domains above
    /// (e.g. `Système`) are not recognised.
    static let builtInNames: Set<String> = [
        "system", "local system", "localsystem", "local service", "localservice",
        "network service", "networkservice", "anonymous logon",
    ]

    /// Whether the account name (user part, lower case) or its domain is a
    /// built-in principal.
    static func isBuiltInPrincipal(user: String, domain: String?) -> Bool {
        if let domain, builtInDomains.contains(domain) { return true }
        return builtInNames.contains(user) || user.hasPrefix("dwm-") || user.hasPrefix("umfd-")
    }

    /// A username atom, lower case. `DOMAIN\user` gives `domain\user`;
    /// `user@corp.example.com` gives `corp.example.com\user` (the full
    /// domain kept); otherwise `siblingDomain` (user.domain for user.name…)
    /// qualifies the name unless it is a placeholder. `.\user` is a local
    /// account and stays unqualified. Built-in principals (SYSTEM, LOCAL
    /// SERVICE, NETWORK SERVICE, ANONYMOUS LOGON, DWM-*, UMFD-*, anything
    /// under NT AUTHORITY…), placeholders and SID-shaped values give nil.
    ///
    /// A `user@domain` value is a qualified user name, not an email atom:
    /// SPEC §2 reads emails from email fields only, and UPNs often differ
    /// from mail addresses.
    public func username(_ value: some StringProtocol,
                         siblingDomain: String? = nil) -> Atom? {
        let trimmed = ASCII.trimmed(value)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 256, !isPlaceholder(trimmed),
              !trimmed.utf8.contains(where: { $0 < 0x20 })
        else { return nil }

        var user = trimmed
        var domain: Substring?
        if let slash = trimmed.firstIndex(of: "\\") {
            // Doubly escaped logs write `CORP\\user`: a run of backslashes is one.
            user = ASCII.trimmed(trimmed[trimmed.index(after: slash)...].drop { $0 == "\\" })
            domain = ASCII.trimmed(trimmed[..<slash])
        } else if let at = trimmed.lastIndex(of: "@"), at != trimmed.startIndex {
            let after = trimmed[trimmed.index(after: at)...]
            if !after.isEmpty {
                user = trimmed[..<at]
                domain = after
            }
        }
        if domain == nil, let siblingDomain {
            domain = ASCII.trimmed(Substring(siblingDomain))
        }
        if let known = domain, known.isEmpty || known == "." || isPlaceholder(known) {
            domain = nil
        }
        guard !user.isEmpty, !isPlaceholder(user), !Self.isSIDShaped(user) else { return nil }

        let lowerUser = ASCII.lowercased(user)
        let lowerDomain = domain.map { ASCII.lowercased($0) }
        guard !Self.isBuiltInPrincipal(user: lowerUser, domain: lowerDomain) else { return nil }
        let value = lowerDomain.map { $0 + "\\" + lowerUser } ?? lowerUser
        return Atom(type: .username, normalizedValue: value)
    }

    /// Whether a username atom is a machine account (its name ends in `$`).
    public static func isMachineAccount(_ atom: Atom) -> Bool {
        atom.type == .username && atom.value.utf8.last == UInt8(ascii: "$")
    }
}
