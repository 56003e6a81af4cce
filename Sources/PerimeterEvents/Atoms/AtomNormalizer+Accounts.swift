import PerimeterModel

extension AtomNormalizer {
    // MARK: - SIDs

    /// A sid atom, upper case, for a value of the shape
    /// `S-1-<authority>-<sub-authority>…` (decimal, 1 to 15 sub-authorities
    /// of 32 bits, MS-DTYP §2.4.2.1); nil for other shapes and for the
    /// well-known SIDs that exist on every Windows machine.
    public func sid(_ value: some StringProtocol) -> Atom? {
        ASCII.withUTF8(value) { sid(utf8: $0) }
    }

    func sid(utf8 value: UTF8Bytes) -> Atom? {
        let trimmed = ASCII.trimmed(value)
        guard let parts = Self.sidParts(trimmed), !Self.isWellKnownSID(parts),
              !isPlaceholder(utf8: trimmed) else {
            return nil
        }
        // A SID's text is ASCII: only its leading `s` changes case.
        let text = String(unsafeUninitializedCapacity: trimmed.count) { buffer in
            _ = buffer.initialize(from: trimmed)
            buffer[0] = UInt8(ascii: "S")
            return trimmed.count
        }
        return Atom(type: .sid, normalizedValue: text)
    }

    /// Whether the value has the shape of a SID, well-known or not.
    public static func isSIDShaped(_ value: some StringProtocol) -> Bool {
        ASCII.withUTF8(value) { isSIDShaped(utf8: $0) }
    }

    static func isSIDShaped(utf8 value: UTF8Bytes) -> Bool {
        sidParts(ASCII.trimmed(value)) != nil
    }

    /// What the well-known test reads of a SID.
    struct SIDParts {
        let authority: UInt64
        let firstSubAuthority: UInt32
        let subAuthorityCount: Int
    }

    /// The authority and the sub-authorities of a SID's text.
    static func sidParts(_ bytes: UTF8Bytes) -> SIDParts? {
        guard bytes.count >= 7, bytes.count <= 184 else { return nil }
        guard bytes[0] | 0x20 == UInt8(ascii: "s"), bytes[1] == UInt8(ascii: "-"),
              bytes[2] == UInt8(ascii: "1"), bytes[3] == UInt8(ascii: "-")
        else { return nil }
        var authority: UInt64 = 0
        var firstSub: UInt64 = 0
        var numbers = 0
        var current: UInt64 = 0
        var digits = 0
        // Each number is checked when it ends: the authority below 2^48,
        // sub-authorities 32 bits.
        func close() -> Bool {
            if numbers == 0 {
                authority = current
            } else {
                guard current <= UInt64(UInt32.max) else { return false }
                if numbers == 1 { firstSub = current }
            }
            numbers += 1
            return true
        }
        for index in 4..<bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "-") {
                guard digits > 0, close() else { return nil }
                current = 0
                digits = 0
                continue
            }
            guard ASCII.isDigit(byte), digits < 15 else { return nil }
            current = current * 10 + UInt64(byte &- 0x30)
            digits += 1
        }
        guard digits > 0, close() else { return nil }
        guard numbers >= 2, numbers <= 16, authority < 1 << 48 else { return nil }
        return SIDParts(authority: authority, firstSubAuthority: UInt32(firstSub),
                        subAuthorityCount: numbers - 1)
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
    static func isWellKnownSID(_ parts: SIDParts) -> Bool {
        switch parts.authority {
        case 0...4, 15, 16, 18:
            return true
        case 5:
            // A bare domain SID (S-1-5-21-a-b-c) names a domain, not an account.
            return parts.firstSubAuthority != 21 || parts.subAuthorityCount < 5
        default:
            return false
        }
    }

    // MARK: - User names

    /// Domains whose principals exist on every Windows machine.
    static let builtInDomains: Set<String> = [
        "nt authority", "nt service", "builtin", "font driver host", "window manager",
        "iis apppool",
        // NT AUTHORITY as French, German, Portuguese and Spanish Windows
        // write it.
        "autorite nt", "autorité nt", "nt-autorität", "autoridade nt", "autoridad nt",
    ]

    /// Built-in principal names (lower case); DWM-n and UMFD-n are matched
    /// by prefix. Localised: SYSTEM, LOCAL SERVICE and NETWORK SERVICE in
    /// French, German, Portuguese and Spanish. Shortcoming: other
    /// languages' names are not recognised (their SIDs are).
    static let builtInNames: Set<String> = [
        "system", "local system", "localsystem", "local service", "localservice",
        "network service", "networkservice", "anonymous logon",
        "système", "sistema", "service local", "service réseau", "lokaler dienst",
        "netzwerkdienst", "serviço local", "serviço de rede", "servicio local",
        "servicio de red",
        // The same as logs that drop accents write them.
        "systeme", "service reseau", "servico local", "servico de rede",
        // As logs that decoded UTF-8 as Latin-1 write it (a sample's SystÃ¨me).
        "systã¨me",
        // A web application's unauthenticated visitor (Jira, Bitbucket,
        // Confluence), and Kubernetes': everyone, not an account.
        "anonymous", "system:anonymous",
    ]

    /// Whether the account name (user part, lower case) or its domain is a
    /// built-in principal.
    static func isBuiltInPrincipal(user: String, domain: String?) -> Bool {
        if let domain, builtInDomains.contains(domain) { return true }
        return builtInNames.contains(user) || user.hasPrefix("dwm-") || user.hasPrefix("umfd-")
    }

    static let asciiBuiltInDomains = builtInDomains.filter { $0.utf8.allSatisfy { $0 < 0x80 } }
        .map { Array($0.utf8) }
    static let asciiBuiltInNames = builtInNames.map { Array($0.utf8) }
    static let builtInNamePrefixes = [Array("dwm-".utf8), Array("umfd-".utf8)]

    /// `isBuiltInPrincipal` for ASCII bytes, not yet lower case.
    static func isBuiltInPrincipal(user: UTF8Bytes, domain: UTF8Bytes?) -> Bool {
        if let domain, asciiBuiltInDomains.contains(where: { ASCII.equalsFolded(domain, $0) }) {
            return true
        }
        if asciiBuiltInNames.contains(where: { ASCII.equalsFolded(user, $0) }) { return true }
        return builtInNamePrefixes.contains { prefix in
            user.count >= prefix.count
                && ASCII.equalsFolded(ASCII.slice(user, 0..<prefix.count), prefix)
        }
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
        ASCII.withUTF8(value) { username(utf8: $0, siblingDomain: siblingDomain) }
    }

    func username(utf8 value: UTF8Bytes, siblingDomain: String? = nil) -> Atom? {
        let trimmed = ASCII.trimmed(value)
        if let principal = Self.principalInRemark(trimmed) {
            return username(utf8: principal, siblingDomain: siblingDomain)
        }
        guard !trimmed.isEmpty, trimmed.count <= 256, !isPlaceholder(utf8: trimmed),
              !trimmed.contains(where: { $0 < 0x20 })
        else { return nil }
        // Unicode text splits and compares by Character: the String rules decide.
        guard ASCII.isASCII(trimmed),
              siblingDomain.map({ $0.utf8.allSatisfy { $0 < 0x80 } }) != false
        else {
            return unicodeUsername(String(decoding: trimmed, as: UTF8.self),
                                   siblingDomain: siblingDomain)
        }

        var user = trimmed
        var domain: UTF8Bytes?
        if let slash = ASCII.firstIndex(of: UInt8(ascii: "\\"), in: trimmed) {
            // Doubly escaped logs write `CORP\\user`: a run of backslashes is one.
            var userStart = slash + 1
            while userStart < trimmed.count, trimmed[userStart] == UInt8(ascii: "\\") {
                userStart += 1
            }
            user = ASCII.trimmed(ASCII.slice(trimmed, userStart..<trimmed.count))
            domain = ASCII.trimmed(ASCII.slice(trimmed, 0..<slash))
        } else if let at = ASCII.lastIndex(of: UInt8(ascii: "@"), in: trimmed) {
            // `@corp` names no user of corp: a principal name with no
            // local part is nobody's.
            guard at != 0 else { return nil }
            // `bob@` (a form cut short) is bob: an empty domain is none.
            user = ASCII.slice(trimmed, 0..<at)
            domain = ASCII.slice(trimmed, at + 1..<trimmed.count)
        }
        if domain == nil, let siblingDomain {
            return ASCII.withUTF8(siblingDomain) {
                qualifiedUsername(user: user, domain: ASCII.trimmed($0))
            }
        }
        return qualifiedUsername(user: user, domain: domain)
    }

    /// The principal name of `Display Name (user@domain)`, as Cisco
    /// Umbrella writes an identity in user.name (also as a mail link,
    /// `(mailto:user@domain)`), or of `Display Name <user@domain>`: split
    /// at its last `@`, the whole text made an account of
    /// `domain)\display name (user`. Nil for any other value.
    static func principalInRemark(_ bytes: UTF8Bytes) -> UTF8Bytes? {
        guard bytes.count > 4, let closing = bytes.last,
              closing == UInt8(ascii: ")") || closing == UInt8(ascii: ">") else { return nil }
        let opening = closing == UInt8(ascii: ">") ? UInt8(ascii: "<") : UInt8(ascii: "(")
        guard let open = ASCII.lastIndex(of: opening, in: bytes), open > 0,
              bytes[open - 1] == UInt8(ascii: " ") || bytes[open - 1] == UInt8(ascii: "]")
        else { return nil }
        // The link's own bracket may close the remark's: `…))`.
        var close = bytes.count - 1
        while close > open + 1, bytes[close - 1] == closing { close -= 1 }
        var inner = ASCII.slice(bytes, open + 1..<close)
        let mailto = Array("mailto:".utf8)
        if inner.count > mailto.count,
           ASCII.equalsFolded(ASCII.slice(inner, 0..<mailto.count), mailto) {
            inner = ASCII.slice(inner, mailto.count..<inner.count)
        }
        guard let at = ASCII.firstIndex(of: UInt8(ascii: "@"), in: inner), at > 0,
              at < inner.count - 1, ASCII.lastIndex(of: UInt8(ascii: "@"), in: inner) == at,
              !inner.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "(")
                                  || $0 == UInt8(ascii: ")") || $0 == UInt8(ascii: "[")
                                  || $0 == UInt8(ascii: "]") || $0 == UInt8(ascii: "<")
                                  || $0 == UInt8(ascii: ">") })
        else { return nil }
        return inner
    }

    /// The end of `username(utf8:)` for ASCII bytes.
    private func qualifiedUsername(user: UTF8Bytes, domain: UTF8Bytes?) -> Atom? {
        var domain = domain
        // `corp.` is `corp`: the root's dot ends a DNS name.
        if let known = domain, known.count > 1, known.last == UInt8(ascii: ".") {
            domain = ASCII.slice(known, 0..<known.count - 1)
        }
        // A domain holding a control character (`CORP\u{0B}pxd`, in the
        // corpus) is damaged text, no domain: the account it made had a
        // name that an import of its own export refused.
        if let known = domain,
           known.isEmpty || (known.count == 1 && known[0] == UInt8(ascii: "."))
            || isPlaceholder(utf8: known) || known.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            domain = nil
        }
        // A machine account's name ends in `$`; a masked one (`xxxx$`) is
        // a mask all the same (`isPlaceholder` sees the other masks).
        let isMaskedMachine = user.last == UInt8(ascii: "$")
            && Self.isRedactionMask(ASCII.slice(user, 0..<user.count - 1))
        // A name of no letter or digit (`@`, `$`) names nobody.
        guard user.contains(where: { ASCII.isLetter($0) || ASCII.isDigit($0) }),
              !isPlaceholder(utf8: user), !Self.isSIDShaped(utf8: user),
              !isMaskedMachine,
              !Self.isBuiltInPrincipal(user: user, domain: domain),
              domain != nil || !Self.isAddressText(user)
        else { return nil }
        let domainCount = domain.map { $0.count + 1 } ?? 0
        let value = String(unsafeUninitializedCapacity: domainCount + user.count) { buffer in
            var index = 0
            func append(_ bytes: UTF8Bytes) {
                for byte in bytes {
                    buffer[index] = ASCII.isUpper(byte) ? byte | 0x20 : byte
                    index += 1
                }
            }
            if let domain {
                append(domain)
                buffer[index] = UInt8(ascii: "\\")
                index += 1
            }
            append(user)
            return index
        }
        return Atom(type: .username, normalizedValue: value)
    }

    /// Whether an unqualified name is an IP address or a MAC written with
    /// separators: parsers put the peer there (a MAC-authentication login,
    /// a tunnel's source address), and an account named by an address is
    /// no account. Twelve bare hex digits may be a generated user name.
    static func isAddressText(_ user: UTF8Bytes) -> Bool {
        if IPAddress(utf8: user) != nil { return true }
        // An address with its port, as a peer is written: `10.0.0.1:443`,
        // `[2001:db8::2]` or `[2001:db8::2]:443`.
        if user.first == UInt8(ascii: "["),
           let close = ASCII.firstIndex(of: UInt8(ascii: "]"), in: user),
           close == user.count - 1 || user[close + 1] == UInt8(ascii: ":") {
            return IPAddress(utf8: ASCII.slice(user, 1..<close)) != nil
        }
        if let colon = ASCII.lastIndex(of: UInt8(ascii: ":"), in: user),
           ASCII.firstIndex(of: UInt8(ascii: ":"), in: user) == colon, colon + 1 < user.count,
           ASCII.slice(user, colon + 1..<user.count).allSatisfy(ASCII.isDigit),
           IPAddress(utf8: ASCII.slice(user, 0..<colon)) != nil {
            return true
        }
        let separated = [UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: ".")].contains {
            ASCII.contains(user, $0)
        }
        return separated && macOctets(user) != nil
    }

    /// `username` by Character, for text that is not ASCII.
    private func unicodeUsername(_ value: String, siblingDomain: String?) -> Atom? {
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
        } else if let at = trimmed.lastIndex(of: "@") {
            guard at != trimmed.startIndex else { return nil }
            user = trimmed[..<at]
            domain = trimmed[trimmed.index(after: at)...]
        }
        if domain == nil, let siblingDomain {
            domain = ASCII.trimmed(Substring(siblingDomain))
        }
        if let known = domain, known.count > 1, known.hasSuffix(".") {
            domain = known.dropLast()
        }
        if let known = domain, known.isEmpty || known == "." || isPlaceholder(known)
            || known.unicodeScalars.contains(where: {
                [.control, .format, .lineSeparator, .paragraphSeparator]
                    .contains($0.properties.generalCategory)
            }) {
            domain = nil
        }
        guard user.contains(where: { $0.isLetter || $0.isNumber }), !isPlaceholder(user),
              !Self.isSIDShaped(user) else { return nil }

        // Composed as well as lower-cased (`Atom.foldedName`): `Jörg` typed
        // with a combining umlaut and `jörg` precomposed are one account,
        // as they are one host name.
        let lowerUser = Atom.foldedName(String(user))
        let lowerDomain = domain.map { Atom.foldedName(String($0)) }
        guard !Self.isBuiltInPrincipal(user: lowerUser, domain: lowerDomain) else { return nil }
        let value = lowerDomain.map { $0 + "\\" + lowerUser } ?? lowerUser
        return Atom(type: .username, normalizedValue: value)
    }

    /// Whether a username atom is a machine account (its name ends in `$`).
    public static func isMachineAccount(_ atom: Atom) -> Bool {
        atom.type == .username && atom.value.utf8.last == UInt8(ascii: "$")
    }
}
