import Foundation
import PerimeterModel

/// The normal forms of SPEC §2: one real-world identifier always gives the
/// same atom, and the values that logs write for "nothing" give none.
///
/// Every function takes a raw field value (spaces around it are ignored)
/// and returns the atom, or nil when the value is not one. They are pure
/// and byte-level so that extraction keeps up with millions of values a
/// second. The only state is the configurable list of extra placeholders.
public struct AtomNormalizer: Sendable {
    /// Placeholder values, lower case. SPEC §2 lists `-`, the empty string,
    /// `N/A`, `null`, `none`, `unknown`, `(null)` and `localhost`;
    /// `localhost.localdomain` is the same loopback name, written by
    /// syslog daemons. `hostname` is a template's field name left in the
    /// value (a forwarder's unexpanded `HOSTNAME`, a vendor's sample): 19
    /// files of the corpus carry it, and as one host it tied the addresses
    /// and accounts of unrelated machines together; `username` is the
    /// same left in a user field (eleven files, one account of them all).
    /// `not found` and `no
    /// authentication required` are what Cisco's firewalls (FTD, Secure
    /// Firewall) write as the user of a connection they know no user of:
    /// in the corpus both became accounts. `localhost4`, `localhost6` and
    /// the `ip6-` names are the loopback and multicast names of Debian's
    /// /etc/hosts (`broadcasthost`, macOS's); `[object Object]` is what
    /// JavaScript writes for an object made text;
    /// `undefined` is what JavaScript collectors write for a field they
    /// lack; `string` is what an API's documented example writes for a
    /// text field (the corpus's Google Workspace and BloxOne samples: the
    /// account `string\string`); `invalid` is what Cisco ISE writes as the
    /// user of an authentication whose user it could not read. (`nil` and
    /// `nan` are not here: they are also people's names.)
    public static let standardPlaceholders: Set<String> = [
        "", "-", "n/a", "null", "none", "unknown", "(null)", "undefined",
        "localhost", "localhost.localdomain", "localhost4", "localhost4.localdomain4",
        "localhost6", "localhost6.localdomain6", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "broadcasthost",
        "hostname", "username", "[object object]", "string",
        "not found", "no authentication required", "invalid",
    ]

    private let placeholders: Set<String>
    private let longestPlaceholder: Int
    /// The placeholders as bytes grouped by length, for the byte-level
    /// check (a scan of all of them was 2% of the read path's instructions:
    /// nearly every value is as short as the longest); nil when one is not
    /// ASCII, where Unicode rules decide and the `String` path runs.
    private let asciiPlaceholders: FoldedSet?
    /// The placeholders that read as MACs, as their 48 bits: a MAC is
    /// compared in its normal form, whatever spelling either side used.
    private let placeholderMACs: Set<UInt64>
    /// The placeholders that read as IP addresses, in normal form: an IPv6
    /// one matches however an event spells it.
    private let placeholderAddresses: Set<Atom>

    /// - Parameter extraPlaceholders: more "nothing" values from the
    ///   configuration, compared case-insensitively after trimming.
    public init(extraPlaceholders: [String] = []) {
        placeholders = Self.standardPlaceholders.union(
            extraPlaceholders.map { ASCII.lowercased(ASCII.trimmed($0)) })
        longestPlaceholder = placeholders.map(\.utf8.count).max() ?? 0
        asciiPlaceholders = placeholders.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
            ? FoldedSet(placeholders) : nil
        placeholderMACs = Set(placeholders.compactMap { placeholder in
            ASCII.withUTF8(placeholder) { Self.macOctets($0) }
        })
        placeholderAddresses = Set(placeholders.compactMap { placeholder in
            ASCII.withUTF8(placeholder) { IPAddress(utf8: $0)?.atom }
        })
    }

    /// The normalizer with the standard placeholders only.
    public static let standard = AtomNormalizer()

    /// A value a person typed, read as an atom of `type`; nil when it is
    /// none (an address of the other family, a placeholder, a malformed
    /// range). The one reading of typed values: `atoms show`, `forget`, an
    /// import's atoms and an edit's unknown name all go through it.
    /// An IPv4-mapped IPv6 address given as ipv6 is its IPv4 atom, as
    /// events give it (SPEC §2).
    public func atom(_ value: String, as type: AtomType) -> Atom? {
        switch type {
        case .ipv4: address(value).flatMap { $0.type == .ipv4 ? $0 : nil }
        case .ipv6:
            address(value).flatMap { $0.type == .ipv6 || value.contains(":") ? $0 : nil }
        case .hostname: ASCII.withUTF8(value) { hostname(utf8: Self.rootDottedLabel($0) ?? $0) }
        case .fqdn: fqdn(value)
        case .username: username(value)
        case .email: email(value)
        case .sid: sid(value)
        case .mac: mac(value)
        case .hostID: hostID(value)
        case .agentID: agentID(value)
        case .cidr: (try? CIDRRange(parsing: value))?.atom
        }
    }

    /// The label of `ws-01.`: one label and the root's dot (which ends a
    /// DNS name), a hostname's form, read as the hostname both in an
    /// event's field and typed; nil for any other.
    static func rootDottedLabel(_ value: UTF8Bytes) -> UTF8Bytes? {
        let trimmed = ASCII.trimmed(value)
        guard trimmed.count > 1, trimmed.last == UInt8(ascii: "."),
              ASCII.firstIndex(of: UInt8(ascii: "."), in: trimmed) == trimmed.count - 1
        else { return nil }
        return ASCII.slice(trimmed, 0..<trimmed.count - 1)
    }

    // MARK: - Placeholders

    /// Whether the value means "nothing" (case-insensitive, trimmed), or
    /// says so with a remark in brackets after it (SonicWall's `Unknown
    /// (SSO failed)`, an account in the corpus).
    public func isPlaceholder(_ value: some StringProtocol) -> Bool {
        let trimmed = ASCII.trimmed(value)
        if Self.isRedactionMask(trimmed.utf8) || Self.isTemplateField(trimmed.utf8) { return true }
        if let remarked = Self.beforeRemark(trimmed.utf8) {
            return isPlaceholder(String(decoding: remarked, as: UTF8.self))
        }
        // Placeholders are short: most real values skip the lower-casing.
        guard trimmed.utf8.count <= longestPlaceholder else { return false }
        return placeholders.contains(ASCII.lowercased(trimmed))
    }

    /// `isPlaceholder(_:)` on bytes, without making a `String` for ASCII.
    func isPlaceholder(utf8 value: UTF8Bytes) -> Bool {
        let trimmed = ASCII.trimmed(value)
        if Self.isRedactionMask(trimmed) || Self.isTemplateField(trimmed) { return true }
        if let remarked = Self.beforeRemark(trimmed) {
            return isPlaceholder(String(decoding: remarked, as: UTF8.self))
        }
        guard trimmed.count <= longestPlaceholder else { return false }
        guard let asciiPlaceholders, ASCII.isASCII(trimmed) else {
            return isPlaceholder(String(decoding: trimmed, as: UTF8.self))
        }
        return asciiPlaceholders.contains(trimmed)
    }

    /// What comes before a closing remark in brackets (`unknown (sso
    /// failed)` gives `unknown`); nil when the value does not end in one
    /// or nothing comes before it. Most values fail at their last byte.
    static func beforeRemark<Bytes: BidirectionalCollection<UInt8>>(
        _ bytes: Bytes) -> Bytes.SubSequence? {
        guard bytes.last == UInt8(ascii: ")"),
              let open = bytes.lastIndex(of: UInt8(ascii: "(")) else { return nil }
        var end = open
        while end != bytes.startIndex, bytes[bytes.index(before: end)] == UInt8(ascii: " ") {
            end = bytes.index(before: end)
        }
        // A space parts the value from its remark, and something comes first.
        guard end != open, end != bytes.startIndex else { return nil }
        return bytes[..<end]
    }

    /// Whether the value is a redaction mask: at least three `x` (either
    /// case) and nothing else but separators, such as `xxxxxx` or
    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. Sample and anonymised logs
    /// write them where a name or an id was; they name nothing, and as
    /// ids they would tie every redacted machine together. Most values
    /// fail at their first byte.
    static func isRedactionMask(_ bytes: some Collection<UInt8>) -> Bool {
        if isRedactedWord(bytes) { return true }
        var marks = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "x"), UInt8(ascii: "X"): marks += 1
            case UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: " "), UInt8(ascii: "{"), UInt8(ascii: "}"):
                continue
            default: return false
            }
        }
        return marks >= 3
    }

    /// Whether the value is a template's field or a shell's variable left
    /// unfilled: a name in braces (`{object}`, `{{user}}`, `${USER}`,
    /// `${env:USERNAME}`), after a dollar sign (`$USER` in upper case,
    /// `$(whoami)`), in angle brackets (`<USER>`) or between percent signs
    /// (`%USERNAME%`). Lacework's `{object}` became an account in the
    /// corpus; no machine or person is named so.
    static func isTemplateField(_ bytes: some Collection<UInt8>) -> Bool {
        guard let first = bytes.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "$")
                || first == UInt8(ascii: "%") || first == UInt8(ascii: "<") else { return false }
        let text = Array(bytes)
        var start = 0, end = text.count
        func encloses(_ open: UInt8, _ close: UInt8) -> Bool {
            guard end - start >= 3, text[start] == open, text[end - 1] == close else { return false }
            start += 1
            end -= 1
            return true
        }
        if text[start] == UInt8(ascii: "$") {
            start += 1
            if start < end, text[start] == UInt8(ascii: "(") {
                guard encloses(UInt8(ascii: "("), UInt8(ascii: ")")) else { return false }
            }
        }
        if !encloses(UInt8(ascii: "%"), UInt8(ascii: "%")),
           !encloses(UInt8(ascii: "<"), UInt8(ascii: ">")) {
            // Braces, doubled or not: `{x}`, `{{x}}`.
            while end - start >= 3, text[start] == UInt8(ascii: "{"),
                  text[end - 1] == UInt8(ascii: "}") {
                start += 1
                end -= 1
            }
            // A name enclosed, or bare after a dollar sign in a variable's
            // upper case (`$USER`; `$admin` may be someone's name).
            let enclosed = start > 0 && (text[start - 1] == UInt8(ascii: "{")
                                         || text[start - 1] == UInt8(ascii: "("))
            let isVariable = text.first == UInt8(ascii: "$") && start == 1
                && !text[start...].contains { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
            guard enclosed || isVariable else { return false }
        }
        guard start < end, let head = text[start..<end].first,
              ASCII.isLetter(head) || head == UInt8(ascii: "_") else { return false }
        return text[start..<end].allSatisfy {
            ASCII.isLetter($0) || ASCII.isDigit($0) || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ":")
                || $0 == UInt8(ascii: " ")
        }
    }

    /// Whether the value is a word the other redaction masks write,
    /// `REDACTED` or `ANONYMIZED` (`ANONYMISED`) in any case, alone,
    /// bracketed (`[REDACTED]`, `<redacted>`), first before a hyphen or
    /// underscore (`REDACTED-HOST`, `REDACTED_DOMAIN`) or last after one
    /// (`HOST-ANONYMIZED`, `Pa_redacted`): in the corpus 18 machines were
    /// `REDACTED`, one host made of them all, two accounts `ANONYMIZED`,
    /// and 20 events' hosts `HOST-ANONYMIZED`. Read in place: most values
    /// fail at their first and last bytes, and none is copied.
    static func isRedactedWord(_ bytes: some Collection<UInt8>) -> Bool {
        if isRedactedWordFirst(bytes) { return true }
        // Every value of every event comes here: only one ending in `d`
        // has its tail copied and read.
        guard let last = bytes.suffix(1).first, last | 0x20 == UInt8(ascii: "d") else {
            return false
        }
        return isRedactedWordLast(Array(bytes.suffix(12)))
    }

    /// `…-redacted`, `…_anonymized` and the like, in any case.
    private static func isRedactedWordLast(_ tail: [UInt8]) -> Bool {
        for word in ["redacted", "anonymized", "anonymised"] {
            let letters = Array(word.utf8)
            guard tail.count > letters.count else { continue }
            let separator = tail[tail.count - letters.count - 1]
            guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: "_") else { continue }
            if zip(tail.suffix(letters.count), letters).allSatisfy({ $0 | 0x20 == $1 }) {
                return true
            }
        }
        return false
    }

    private static func isRedactedWordFirst(_ bytes: some Collection<UInt8>) -> Bool {
        func opens(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "[") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "(")
                || byte == UInt8(ascii: "*")
        }
        func closes(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "]") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: ")")
                || byte == UInt8(ascii: "*")
        }
        var index = bytes.startIndex
        while index != bytes.endIndex, opens(bytes[index]) { index = bytes.index(after: index) }
        guard index != bytes.endIndex else { return false }
        // `| 0x20` lower-cases an ASCII letter, and makes no other byte one.
        let first = bytes[index] | 0x20
        guard first == UInt8(ascii: "r") || first == UInt8(ascii: "a") else { return false }
        let start = index
        func reads(_ word: StaticString) -> Bool {
            index = start
            return word.withUTF8Buffer { letters in
                for letter in letters {
                    guard index != bytes.endIndex, bytes[index] | 0x20 == letter else { return false }
                    index = bytes.index(after: index)
                }
                return true
            }
        }
        guard reads("redacted") || reads("anonymized") || reads("anonymised") else { return false }
        if index != bytes.endIndex,
           bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "_") {
            return true
        }
        return bytes[index...].allSatisfy(closes)
    }

    /// Whether the value is a GUID (or any id) made only of zeros, such as
    /// `00000000-0000-0000-0000-000000000000` or `{0000…}`: agents write it
    /// before they are enrolled, so it names no machine.
    public static func isAllZeroIdentifier(_ value: some StringProtocol) -> Bool {
        var zeros = 0
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "0"): zeros += 1
            case UInt8(ascii: "-"), UInt8(ascii: "{"), UInt8(ascii: "}"): continue
            default: return false
            }
        }
        return zeros > 0
    }

    static func isAllZeroIdentifier(utf8 value: UTF8Bytes) -> Bool {
        var zeros = 0
        for byte in value {
            switch byte {
            case UInt8(ascii: "0"): zeros += 1
            case UInt8(ascii: "-"), UInt8(ascii: "{"), UInt8(ascii: "}"): continue
            default: return false
            }
        }
        return zeros > 0
    }

    // MARK: - Addresses

    /// An ipv4 or ipv6 atom in canonical text; nil for text that is not an
    /// address and for the addresses that name no asset (loopback,
    /// link-local, multicast, broadcast, unspecified). `::ffff:10.1.2.3`
    /// gives the ipv4 atom `10.1.2.3`.
    public func address(_ value: some StringProtocol) -> Atom? {
        ASCII.withUTF8(value) { address(utf8: $0) }
    }

    func address(utf8 value: UTF8Bytes) -> Atom? {
        guard let atom = IPAddress(utf8: ASCII.trimmed(value))?.atom else { return nil }
        return placeholderAddresses.isEmpty || !placeholderAddresses.contains(atom) ? atom : nil
    }

    /// A mac atom as lower-case colon-separated hex. Accepted input:
    /// six groups of one or two hex digits separated by `:` or `-`
    /// (one separator throughout), Cisco's `aabb.ccdd.eeff`, or twelve
    /// bare hex digits. The all-zero, broadcast and group (multicast bit
    /// set) addresses name no interface and give nil; so do two that many
    /// machines report at once: `02:00:00:00:00:00`, what Android and iOS
    /// answer an app that asks for the MAC, and RFC 7042's documentation
    /// block `00:00:5e:00:53:00`–`ff`, which vendors' sample logs carry;
    /// and a MAC given as a placeholder (`atoms.extra_placeholders`), in
    /// any of the spellings read here.
    public func mac(_ value: some StringProtocol) -> Atom? {
        ASCII.withUTF8(value) { mac(utf8: $0) }
    }

    func mac(utf8 value: UTF8Bytes) -> Atom? {
        // The six octets, first in the high bits.
        guard let octets = Self.macOctets(ASCII.trimmed(value)) else { return nil }
        if octets == 0 || octets >> 40 & 1 == 1 || octets == 0x02_00_00_00_00_00
            || octets >> 8 == 0x00_00_5E_00_53
            || (!placeholderMACs.isEmpty && placeholderMACs.contains(octets)) { return nil }
        let hex: StaticString = "0123456789abcdef"
        let text = String(unsafeUninitializedCapacity: 17) { buffer in
            let digits = hex.utf8Start
            for index in 0..<6 {
                let octet = Int(truncatingIfNeeded: octets >> (40 - 8 * UInt64(index)) & 0xFF)
                buffer[index * 3] = digits[octet >> 4]
                buffer[index * 3 + 1] = digits[octet & 0xF]
                if index < 5 { buffer[index * 3 + 2] = UInt8(ascii: ":") }
            }
            return 17
        }
        return Atom(type: .mac, normalizedValue: text)
    }

    /// The 48 bits of a MAC's text, first octet highest, or nil.
    static func macOctets(_ bytes: UTF8Bytes) -> UInt64? {
        let count = bytes.count
        guard count >= 11, count <= 17 else { return nil }
        let isSeparated = ASCII.contains(bytes, UInt8(ascii: ":"))
            || ASCII.contains(bytes, UInt8(ascii: "-"))
        var octets: UInt64 = 0
        if !isSeparated {
            guard count == 12 || count == 14 else { return nil }
            // Bare hex, or Cisco dotted groups of four.
            var nibbles = 0
            for offset in 0..<count {
                let byte = bytes[offset]
                if count == 14 && (offset == 4 || offset == 9) {
                    guard byte == UInt8(ascii: ".") else { return nil }
                    continue
                }
                guard let nibble = HexDigit.value(byte) else { return nil }
                octets = octets << 4 | UInt64(nibble)
                nibbles += 1
            }
            return nibbles == 12 ? octets : nil
        }
        var groups = 0
        var separator: UInt8?
        var current: UInt64 = 0
        var digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-") {
                guard digits > 0, separator == nil || separator == byte else { return nil }
                separator = byte
                octets = octets << 8 | current
                groups += 1
                current = 0
                digits = 0
                continue
            }
            guard let nibble = HexDigit.value(byte), digits < 2 else { return nil }
            current = current << 4 | UInt64(nibble)
            digits += 1
        }
        guard digits > 0 else { return nil }
        octets = octets << 8 | current
        groups += 1
        return groups == 6 ? octets : nil
    }

    // MARK: - Host names

    /// A hostname atom, lower case: only letters, digits, hyphens and
    /// underscores (beyond ASCII too: `unicodeHostname`), at least one
    /// letter, at most 63 bytes (one DNS label),
    /// no dot (dotted values are fqdns; see `AtomExtractor` for the
    /// FQDN-in-host.name rule). Placeholders such as `localhost` give nil,
    /// and so does a leading underscore: that is a DNS service label
    /// (`_ldap`), a template's field (`_destinationHostname`) or a
    /// resolver's stand-in (systemd's `_gateway`, whichever host routes),
    /// never one machine's name.
    public func hostname(_ value: some StringProtocol) -> Atom? {
        ASCII.withUTF8(value) { hostname(utf8: $0) }
    }

    func hostname(utf8 value: UTF8Bytes) -> Atom? {
        let trimmed = ASCII.trimmed(value)
        guard ASCII.isASCII(trimmed) else {
            return unicodeHostname(String(decoding: trimmed, as: UTF8.self))
        }
        guard Self.isHostnameLabel(trimmed), !isPlaceholder(utf8: trimmed) else { return nil }
        return Atom(type: .hostname, normalizedValue: ASCII.asciiLowercasedString(trimmed))
    }

    /// A machine name of letters beyond ASCII (`BÜCHER-PC`, `Éric-PC`, as
    /// Windows allows): the same rule with Unicode letters and digits,
    /// folded as `Atom.foldedName` folds names. Shortcoming: its DNS
    /// spelling (`xn--bcher-pc-65a`) is another atom; IDNA is not decoded.
    private func unicodeHostname(_ value: String) -> Atom? {
        let composed = value.precomposedStringWithCanonicalMapping
        guard !composed.isEmpty, composed.utf8.count <= 63, composed.first != "_" else {
            return nil
        }
        var hasLetter = false
        for character in composed {
            if character.isLetter {
                hasLetter = true
            } else if !(character.isNumber || character == "-" || character == "_") {
                return nil
            }
        }
        guard hasLetter else { return nil }
        let lowered = Atom.foldedName(composed)
        guard !isPlaceholder(lowered) else { return nil }
        return Atom(type: .hostname, normalizedValue: lowered)
    }

    /// ASCII only, so a label passing it may be lower-cased as ASCII.
    static func isHostnameLabel(_ bytes: UTF8Bytes) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 63, bytes[0] != UInt8(ascii: "_") else {
            return false
        }
        var hasLetter = false
        for byte in bytes {
            if ASCII.isLetter(byte) {
                hasLetter = true
            } else if !(ASCII.isDigit(byte) || byte == UInt8(ascii: "-")
                        || byte == UInt8(ascii: "_")) {
                return false
            }
        }
        return hasLetter
    }

    /// An fqdn atom, lower case, without its trailing dot: at least two
    /// labels of letters, digits and hyphens (1–63 bytes each, 253 in all)
    /// and a top label that is not all digits, so IP literals are not
    /// fqdns. Shortcoming: internationalised names are accepted only in
    /// their ASCII (`xn--`) form.
    public func fqdn(_ value: some StringProtocol) -> Atom? {
        fqdnText(value).map { Atom(type: .fqdn, normalizedValue: $0) }
    }

    func fqdn(utf8 value: UTF8Bytes) -> Atom? {
        fqdnText(utf8: value).map { Atom(type: .fqdn, normalizedValue: $0) }
    }

    /// The fqdn normal form as text, for the rules built on top of it.
    func fqdnText(_ value: some StringProtocol) -> String? {
        ASCII.withUTF8(value) { fqdnText(utf8: $0) }
    }

    func fqdnText(utf8 value: UTF8Bytes) -> String? {
        var trimmed = ASCII.trimmed(value)
        // Dropping the trailing dot drops a whole Character in Unicode text.
        guard ASCII.isASCII(trimmed) else {
            return unicodeFQDNText(String(decoding: trimmed, as: UTF8.self))
        }
        if trimmed.last == UInt8(ascii: ".") {
            trimmed = ASCII.slice(trimmed, 0..<trimmed.count - 1)
        }
        guard Self.isFQDN(trimmed), !isPlaceholder(utf8: trimmed) else { return nil }
        return ASCII.asciiLowercasedString(trimmed)
    }

    private func unicodeFQDNText(_ value: String) -> String? {
        var trimmed = Substring(value)
        if trimmed.utf8.last == UInt8(ascii: ".") { trimmed = trimmed.dropLast() }
        guard ASCII.withUTF8(trimmed, Self.isFQDN), !isPlaceholder(trimmed) else { return nil }
        return ASCII.lowercased(trimmed)
    }

    /// ASCII only, like `isHostnameLabel(_:)`.
    static func isFQDN(_ bytes: UTF8Bytes) -> Bool {
        guard bytes.count >= 3, bytes.count <= 253 else { return false }
        var labels = 0
        var labelLength = 0
        var labelAllDigits = true
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard labelLength > 0 else { return false }
                labels += 1
                labelLength = 0
                labelAllDigits = true
                continue
            }
            guard ASCII.isAlphanumeric(byte) || byte == UInt8(ascii: "-") else { return false }
            if !ASCII.isDigit(byte) { labelAllDigits = false }
            labelLength += 1
            guard labelLength <= 63 else { return false }
        }
        guard labelLength > 0 else { return false }
        return labels >= 1 && !labelAllDigits
    }

    // MARK: - Email

    /// An email atom, lower case: a local part of the usual unquoted
    /// characters, one `@`, and a domain that is a valid fqdn.
    /// Shortcoming: quoted local parts and address literals are refused.
    public func email(_ value: some StringProtocol) -> Atom? {
        ASCII.withUTF8(value) { email(utf8: $0) }
    }

    func email(utf8 value: UTF8Bytes) -> Atom? {
        let trimmed = ASCII.trimmed(value)
        guard trimmed.count <= 254, let at = ASCII.firstIndex(of: UInt8(ascii: "@"), in: trimmed)
        else { return nil }
        let local = ASCII.slice(trimmed, 0..<at)
        let domain = ASCII.slice(trimmed, at + 1..<trimmed.count)
        // The local bytes and the fqdn are ASCII: the whole may be lowered as ASCII.
        guard !local.isEmpty, local.count <= 64, local.allSatisfy(Self.isEmailLocalByte),
              local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."),
              Self.isFQDN(domain),
              // A redacted mailbox (`xxxxx@test.com`) names nobody.
              !Self.isRedactionMask(local),
              // A vendor's sample mailbox, listed in `atoms.extra_placeholders`.
              !isPlaceholder(utf8: trimmed)
        else { return nil }
        return Atom(type: .email, normalizedValue: ASCII.asciiLowercasedString(trimmed))
    }

    static func isEmailLocalByte(_ byte: UInt8) -> Bool {
        if ASCII.isAlphanumeric(byte) { return true }
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"),
             UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
             UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "/"),
             UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "`"),
             UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    // MARK: - Opaque identifiers

    /// A host_id atom (host.id, cloud.instance.id): opaque, trimmed, lower
    /// case; placeholders and all-zero ids give nil.
    public func hostID(_ value: some StringProtocol) -> Atom? {
        ASCII.withUTF8(value) { hostID(utf8: $0) }
    }

    func hostID(utf8 value: UTF8Bytes) -> Atom? {
        opaqueIdentifier(value).map { Atom(type: .hostID, normalizedValue: $0) }
    }

    /// An agent_id atom (agent.id), with the rules of `hostID(_:)`.
    public func agentID(_ value: some StringProtocol) -> Atom? {
        ASCII.withUTF8(value) { agentID(utf8: $0) }
    }

    func agentID(utf8 value: UTF8Bytes) -> Atom? {
        opaqueIdentifier(value).map { Atom(type: .agentID, normalizedValue: $0) }
    }

    private func opaqueIdentifier(_ value: UTF8Bytes) -> String? {
        var trimmed = ASCII.trimmed(value)
        // Windows writes a GUID in braces as often as not: `{8c3e…}` is the
        // id `8c3e…` (read as a template field, one that began with a
        // letter was dropped and one that began with a digit kept its
        // braces, two atoms for one machine).
        if Self.isBracedGUID(trimmed) {
            trimmed = UTF8Bytes(rebasing: trimmed[(trimmed.startIndex + 1)..<(trimmed.endIndex - 1)])
        }
        // An id of a few characters (`1`, `12`, a row number of one
        // product's database) is another product's id too: exclusive, it
        // tied a Tenable record, a Darktrace device and a Carbon Black
        // endpoint into one machine. Machine ids, agent ids and instance
        // ids are GUIDs, hashes or long numbers.
        guard trimmed.count >= Self.shortestIdentifier, trimmed.count <= 256,
              !isPlaceholder(utf8: trimmed),
              !Self.isAllZeroIdentifier(utf8: trimmed),
              !trimmed.contains(where: { $0 < 0x20 })
        else { return nil }
        return ASCII.lowercasedString(trimmed)
    }

    /// The fewest characters of a host or agent id taken as one.
    static let shortestIdentifier = 6

    /// `{` + a uuid's text (8-4-4-4-12 hex digits, `UUID(exactText:)`) + `}`.
    static func isBracedGUID(_ bytes: UTF8Bytes) -> Bool {
        guard bytes.count == 38, bytes.first == UInt8(ascii: "{"),
              bytes.last == UInt8(ascii: "}") else { return false }
        return UUID(exactText: String(decoding: bytes[1..<37], as: UTF8.self)) != nil
    }
}
