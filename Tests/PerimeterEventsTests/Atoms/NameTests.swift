import PerimeterModel
import Testing
@testable import PerimeterEvents

/// MACs, host names, fqdns, emails, ids and placeholders (SPEC §2).
struct NameTests {
    let normalizer = AtomNormalizer.standard

    static let macCases: [(String, String?)] = [
        ("AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"),
        ("aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff"),
        ("aabb.ccdd.eeff", "aa:bb:cc:dd:ee:ff"),
        ("AABBCCDDEEFF", "aa:bb:cc:dd:ee:ff"),
        ("0:1b:2c:3:4:5", "00:1b:2c:03:04:05"),
        ("00-1B-17-00-01-18", "00:1b:17:00:01:18"),
        ("aa:bb-cc:dd:ee:ff", nil),         // mixed separators
        ("aa:bb:cc:dd:ee", nil),
        ("aa:bb:cc:dd:ee:ff:00", nil),
        ("00-00-00-00-00-00-00-00", nil),
        ("aa:bb:cc:dd:ee:fg", nil),
        ("aaa:bb:cc:dd:ee:ff", nil),
        ("00:00:00:00:00:00", nil),         // all zero
        ("FF:FF:FF:FF:FF:FF", nil),         // broadcast
        ("01:00:5e:00:00:fb", nil),         // multicast group
        ("02:00:00:00:00:00", nil),         // a phone's "no MAC for apps"
        ("02:00:00:00:00:01", "02:00:00:00:00:01"),
        ("00-00-5E-00-53-00", nil),         // RFC 7042 documentation block
        ("00:00:5e:00:53:ff", nil),
        ("00:00:5e:00:54:00", "00:00:5e:00:54:00"),
        ("-", nil),
    ]

    @Test(arguments: macCases)
    func mac(input: String, expected: String?) {
        #expect(normalizer.mac(input)?.value == expected)
    }

    /// A MAC given as a placeholder is none in any spelling (it was
    /// compared as raw text, and never for MACs).
    @Test func aMACPlaceholderIsNoneInAnySpelling() {
        let configured = AtomNormalizer(extraPlaceholders: ["00-11-22-33-44-55"])
        for spelling in ["00:11:22:33:44:55", "0011.2233.4455", "001122334455"] {
            #expect(configured.mac(spelling) == nil, "\(spelling)")
        }
        #expect(configured.mac("00:11:22:33:44:56")?.value == "00:11:22:33:44:56")
    }

    static let hostnameCases: [(String, String?)] = [
        ("DESKTOP-123", "desktop-123"),
        ("ws_01", "ws_01"),
        ("_gateway", nil),                  // systemd's stand-in for the router
        ("_destinationHostname", nil),      // a template's field, never filled in
        ("__cloud_init_expected_not_found__", nil),
        (" WinAzureTest ", "winazuretest"),
        ("a", "a"),
        ("12345", nil),                     // numeric only
        ("1-2", nil),
        ("ws-01.corp.example.org", nil),    // dotted: an fqdn, not a hostname
        ("Peter’s MacBook Pro", nil),
        ("host name", nil),
        ("localhost", nil),
        ("LOCALHOST", nil),
        ("-", nil),
        ("unknown", nil),
        ("N/A", nil),
        (String(repeating: "a", count: 64), nil),
        // Windows allows letters beyond ASCII: composed, lower-cased.
        ("BÜCHER-PC", "bücher-pc"),
        ("Bu\u{0308}cher-pc", "bücher-pc"),   // decomposed ü: the same name
        ("Éric-PC", "éric-pc"),
        ("straße-pc", "straße-pc"),
        ("ПК-01", "пк-01"),
        ("bücher pc", nil),
        ("bücher.corp", nil),
        ("_bücher", nil),
        (String(repeating: "ü", count: 32), nil),  // 64 bytes: longer than a label
        ("ip6-localhost", nil),
        ("localhost6", nil),
        ("undefined", nil),
        ("ΣΊΣΥΦΟΣ-PC", "σίσυφοσ-pc"),    // the final sigma is a sigma
        ("σίσυφος-pc", "σίσυφοσ-pc"),
        // Composition where its cheap tests must not miss it: conjoining
        // jamo (ᄀ + ᅡ is 가), a Tamil vowel sign without a combining class
        // (U+0BC6 + U+0BBE is U+0BCA), a Cyrillic й written as и + breve.
        ("\u{1100}\u{1161}-pc", "\u{AC00}-pc"),
        ("\u{0B95}\u{0BC6}\u{0BBE}-pc", "\u{0B95}\u{0BCA}-pc"),
        ("МОИ\u{0306}-ПК", "мой-пк"),
        ("\u{212A}ELVIN-PC", "kelvin-pc"),  // the Kelvin sign is a k
    ]

    @Test(arguments: hostnameCases)
    func hostname(input: String, expected: String?) {
        #expect(normalizer.hostname(input)?.value == expected)
    }

    static let fqdnCases: [(String, String?)] = [
        ("WS-01.Corp.Example.ORG", "ws-01.corp.example.org"),
        ("example.com.", "example.com"),    // no trailing dot in the normal form
        ("testmynids.org", "testmynids.org"),
        ("a.b", "a.b"),
        ("host.123abc", "host.123abc"),
        ("10.1.2.3", nil),                  // IP literal: top label all digits
        ("host.123", nil),
        ("CORP", nil),                      // one label
        ("NT AUTHORITY", nil),
        ("*.bing.com", nil),
        ("_ldap._tcp.corp.local", nil),
        ("a..b", nil),
        (".example.com", nil),
        ("example.com..", nil),
        ("cisco-ise-host@host.local", nil),
        ("localhost.localdomain", nil),
        ("aéroport.ci", nil),
        ("xn--aroport-bya.ci", "xn--aroport-bya.ci"),
    ]

    @Test(arguments: fqdnCases)
    func fqdn(input: String, expected: String?) {
        #expect(normalizer.fqdn(input)?.value == expected)
    }

    static let emailCases: [(String, String?)] = [
        ("John.Doe@Example.ORG", "john.doe@example.org"),
        ("asr@testsiem.onmicrosoft.com", "asr@testsiem.onmicrosoft.com"),
        ("first+tag@mail.example.com", "first+tag@mail.example.com"),
        ("user@localhost", nil),            // domain is not an fqdn
        ("user@10.0.0.1", nil),
        ("@example.com", nil),
        ("user@", nil),
        ("a@b@example.com", nil),
        ("John Doe <jd@example.com>", nil),
        (".jd@example.com", nil),
        ("www.bing.com", nil),
        ("XXXXX@test.com", nil),            // a redacted mailbox
        ("xx@example.com", "xx@example.com"),
    ]

    @Test(arguments: emailCases)
    func email(input: String, expected: String?) {
        #expect(normalizer.email(input)?.value == expected)
    }

    static let identifierCases: [(String, String?)] = [
        ("3cdc1e10-DED0-4f5d-8434-ede1d1120b17", "3cdc1e10-ded0-4f5d-8434-ede1d1120b17"),
        (" i-0123456789abcdef0 ", "i-0123456789abcdef0"),
        // A few characters are some product's row number, another's too:
        // no id (they tied unrelated machines into one); six are one.
        ("2", nil),
        ("12345", nil),
        ("123456", "123456"),
        ("AB12CD", "ab12cd"),
        ("00000000-0000-0000-0000-000000000000", nil),
        ("{00000000-0000-0000-0000-000000000000}", nil),
        // A GUID in braces, as Windows writes it, is the GUID, whatever its
        // first digit (one that began with a letter read as a template).
        ("{AB2C1E10-DED0-4F5D-8434-EDE1D1120B17}", "ab2c1e10-ded0-4f5d-8434-ede1d1120b17"),
        (" {3cdc1e10-ded0-4f5d-8434-ede1d1120b17} ", "3cdc1e10-ded0-4f5d-8434-ede1d1120b17"),
        ("{HOST_ID}", nil),
        ("{3cdc1e10-ded0-4f5d-8434-ede1d1120b1}", "{3cdc1e10-ded0-4f5d-8434-ede1d1120b1}"),
        ("000000000000", nil),
        ("0", nil),
        ("", nil),
        ("-", nil),
        ("null", nil),
        ("(null)", nil),
        ("NONE", nil),
    ]

    @Test(arguments: identifierCases)
    func hostAndAgentIDs(input: String, expected: String?) {
        #expect(normalizer.hostID(input)?.value == expected)
        #expect(normalizer.agentID(input)?.value == expected)
        #expect(normalizer.hostID(input)?.type ?? .hostID == .hostID)
    }

    static let placeholderCases: [(String, Bool)] = [
        ("-", true), ("", true), ("  ", true), ("N/A", true), ("n/a", true), ("NULL", true),
        ("None", true), ("unknown", true), ("(null)", true), ("localhost", true),
        ("localhost.localdomain", true), ("nobody", false), ("admin", false),
        ("USERNAME", true), ("usernames", false),
        // Redaction masks: three x or more, and separators only.
        ("xxxxxx", true), ("XXXXX", true), ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", true),
        ("{XXXX-XX}", true), ("xx", false), ("xxx-docker", false), ("xoxo", false),
        ("x.x.x", true),
        // The word the other masks write: alone, bracketed, first before
        // a hyphen or underscore, or last after one (Sekoia's samples
        // write HOST-ANONYMIZED); not run into another word.
        ("REDACTED", true), ("redacted", true), ("[REDACTED]", true), ("<redacted>", true),
        ("REDACTED-HOST", true), ("REDACTED_DOMAIN", true), (" Redacted ", true),
        ("redactedhost", false), ("unredacted", false), ("ws-redacted", true),
        ("Pa_redacted", true), ("ws.redacted", false), ("-redacted", true),
        ("redacte", false), ("REDACTED.corp", false), ("ws-redactedx", false),
        ("ANONYMIZED", true), ("[anonymised]", true), ("anonymized_user", true),
        ("anonymous", false), ("HOST-ANONYMIZED", true), ("host_anonymised", true),
        ("anonymize", false), ("host-anonymize", false),
        // Cisco firewalls' words for a connection without a known user,
        // and ISE's for an authentication it could not read the user of.
        ("Not Found", true), ("No Authentication Required", true), ("not founder", false),
        ("INVALID", true), ("invalidated", false),
        // A placeholder with a remark in brackets; a name with one stays.
        ("Unknown (SSO failed)", true), ("N/A  (no user)", true), ("unknown(x)", false),
        ("John Smith (contractor)", false), ("(SSO failed)", false),
        // A template's field left unfilled names nobody.
        ("{object}", true), ("{{user.name}}", true), ("${USER}", true), ("%USERNAME%", true),
        ("$USER", true), ("${env:USERNAME}", true), ("$(whoami)", true), ("<USER>", true),
        ("[object Object]", true), ("broadcasthost", true),
        ("{}", false), ("%", false), ("100%", false), ("{x}y", false), ("$", false),
        ("$1", false), ("$admin", false), ("<>", false), ("a$b", false), ("50%off%", false), ("(x)", false),
        ("localhost4", true), ("ip6-allnodes", true),
        // An API documentation's example value for a text field.
        ("string", true), ("STRING", true), ("strings", false),
    ]

    @Test(arguments: placeholderCases)
    func placeholders(input: String, expected: Bool) {
        #expect(normalizer.isPlaceholder(input) == expected)
    }

    /// A name typed with the root's dot (`ws-01.`) is the hostname ingest
    /// reads from a hostname field; a dotted name is no hostname.
    @Test func aTypedHostnameLosesItsRootDot() {
        #expect(normalizer.atom("WS-01.", as: .hostname)?.value == "ws-01")
        #expect(normalizer.atom("ws-01.corp.", as: .hostname) == nil)
        #expect(normalizer.atom(".", as: .hostname) == nil)
    }

    @Test func extraPlaceholdersAreConfigurable() {
        let configured = AtomNormalizer(extraPlaceholders: [" NotAvailable ", "UNSET"])
        #expect(configured.isPlaceholder("notavailable"))
        #expect(configured.hostname("unset") == nil)
        #expect(normalizer.hostname("unset")?.value == "unset")
    }

    /// A vendor's sample mailbox, address or SID is listed as any other
    /// placeholder; an address matches in any spelling of it.
    @Test func extraPlaceholdersCoverEveryType() {
        let configured = AtomNormalizer(extraPlaceholders: [
            "nobody@example.com", "10.10.10.10", "2001:DB8:0:0::1", "S-1-5-21-1-2-3-500"])
        #expect(configured.email("Nobody@Example.COM") == nil)
        #expect(configured.email("somebody@example.com")?.value == "somebody@example.com")
        #expect(configured.address(" 10.10.10.10") == nil)
        #expect(configured.address("2001:db8::1") == nil)
        #expect(configured.address("2001:db8::2")?.value == "2001:db8::2")
        #expect(configured.sid("s-1-5-21-1-2-3-500") == nil)
        #expect(configured.sid("S-1-5-21-1-2-3-501")?.value == "S-1-5-21-1-2-3-501")
        #expect(normalizer.email("nobody@example.com")?.value == "nobody@example.com")
        #expect(normalizer.address("10.10.10.10")?.value == "10.10.10.10")
    }

    /// A template's field name left in the value is no machine's name;
    /// a name that only holds the word is one.
    @Test func theWordHostnameAloneIsAPlaceholder() {
        #expect(normalizer.hostname("HOSTNAME") == nil)
        #expect(normalizer.hostname(" hostname ") == nil)
        #expect(normalizer.hostname("hostname-for-pc")?.value == "hostname-for-pc")
        #expect(normalizer.hostname("test_hostname")?.value == "test_hostname")
    }
}
