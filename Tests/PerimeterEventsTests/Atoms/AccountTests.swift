import PerimeterModel
import Testing
@testable import PerimeterEvents

/// User names and SIDs (SPEC §2, "Accounts" and "Never atoms").
struct AccountTests {
    let normalizer = AtomNormalizer.standard

    static let sidCases: [(String, String?)] = [
        ("S-1-5-21-1-2-3-500", "S-1-5-21-1-2-3-500"),          // domain Administrator
        ("s-1-5-21-1350058589-2282154016-2764056528-1000",
         "S-1-5-21-1350058589-2282154016-2764056528-1000"),
        ("S-1-5-21-1-2-3-512", "S-1-5-21-1-2-3-512"),          // Domain Admins
        ("S-1-12-1-1111-2222-3333-4444", "S-1-12-1-1111-2222-3333-4444"), // Entra ID
        ("S-1-5-21-1-2-3", nil),          // a domain, not an account
        ("S-1-5-18", nil), ("S-1-5-19", nil), ("S-1-5-20", nil),
        ("S-1-5-32-544", nil), ("S-1-5-32-545", nil),
        ("S-1-1-0", nil), ("S-1-0-0", nil), ("S-1-2-0", nil), ("S-1-2-1", nil),
        ("S-1-2-3", nil), ("S-1-3-0", nil), ("S-1-3-4", nil),
        ("S-1-5-1", nil), ("S-1-5-7", nil), ("S-1-5-11", nil), ("S-1-5-17", nil),
        ("S-1-5-5-0-123456", nil),        // logon session
        ("S-1-5-64-10", nil), ("S-1-5-80-0", nil),
        ("S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464", nil),
        ("S-1-5-90-0-2", nil), ("S-1-5-96-0-1", nil), ("S-1-5-113", nil),
        ("S-1-16-12288", nil), ("S-1-15-2-1", nil), ("S-1-15-3-1024-1", nil),
        ("S-1-18-1", nil),
        ("S-1-5", nil),                   // no sub-authority
        ("S-1-5-21-1-2-3-", nil),
        ("S-1-5-21-1-2-3-4294967296", nil), // over 32 bits
        ("S-2-5-21-1-2-3-500", nil),
        ("00u1abvz4pYqdM8ms4x6", nil),
        ("asr@testsiem.onmicrosoft.com", nil),
        ("1000", nil),
    ]

    @Test(arguments: sidCases)
    func sid(input: String, expected: String?) {
        #expect(normalizer.sid(input)?.value == expected)
    }

    static let usernameCases: [(String, String?, String?)] = [
        ("Admin", nil, "admin"),
        ("CORP\\Admin", nil, "corp\\admin"),
        ("LAB\\admin", nil, "lab\\admin"),
        ("admin", "CORP", "corp\\admin"),                       // sibling user.domain
        ("CORP\\admin", "OTHER", "corp\\admin"),                // the value's own domain wins
        ("user@corp.example.com", nil, "corp.example.com\\user"),
        ("User@Corp.Example.com", "IGNORED", "corp.example.com\\user"),
        ("bob@", nil, "bob"),                                   // a form cut short
        ("bob6@corp.", nil, "corp\\bob6"),                      // the root's dot
        ("@", nil, nil),                                        // no letter, nobody
        ("@corp", nil, nil),                                    // no local part, nobody
        // Cisco Umbrella's identities: a display name and the principal.
        ("Firstname LASTNAME (firstname.lastname@corp.com)", nil, "corp.com\\firstname.lastname"),
        ("Active Directory User ([aduser@example.net](mailto:aduser@example.net))", nil,
         "example.net\\aduser"),
        ("Jane Roe <jane.roe@corp.com>", nil, "corp.com\\jane.roe"),
        ("John (contractor)", nil, "john (contractor)"),        // no principal in it
        ("CORP - IP INTERNET", nil, "corp - ip internet"),
        ("testUser", "CORP\u{0B}pxd", "testuser"),             // a damaged domain is none
        ("CORP\u{0B}pxd\\testUser", nil, nil),                // a damaged value is none
        ("jürgen", "CORP\u{0B}", "jürgen"),
        ("jürgen", "CORP\u{2028}", "jürgen"),                  // a line separator too
        ("@Jürgen", nil, nil),
        ("SYSTEME", "DOMAIN", nil),                             // accents dropped
        ("SystÃ¨me", nil, nil),                                  // UTF-8 read as Latin-1
        ("Anonymous", nil, nil),                                // a web app's visitor
        ("anonymous", "JIRA", nil),
        ("system:anonymous", nil, nil),                         // Kubernetes' visitor
        ("Éric@", "CORP", "éric"),                              // an empty domain is none
        ("asr", "testsiem.onmicrosoft.com", "testsiem.onmicrosoft.com\\asr"),
        ("admin", "-", "admin"),                                // placeholder domain
        ("admin", "", "admin"),
        (".\\admin", nil, "admin"),                             // local account
        ("MYDomain\\\\johndoe", nil, "mydomain\\johndoe"),      // doubly escaped
        ("WORKSTATION$", "J_DOE", "j_doe\\workstation$"),
        ("VAGRANT-2012-R2$", nil, "vagrant-2012-r2$"),
        ("Éric", nil, "éric"),
        ("SYSTEM", nil, nil),
        ("system", "NT AUTHORITY", nil),
        ("NT AUTHORITY\\SYSTEM", nil, nil),
        ("LOCAL SERVICE", nil, nil),
        ("NETWORK SERVICE", "NT AUTHORITY", nil),
        ("ANONYMOUS LOGON", nil, nil),
        ("NT AUTHORITY\\IUSR", nil, nil),
        ("DWM-1", nil, nil),
        ("Window Manager\\DWM-3", nil, nil),
        ("UMFD-0", nil, nil),
        ("Font Driver Host\\UMFD-1", nil, nil),
        ("BUILTIN\\Administrators", nil, nil),
        // Localised Windows: Portuguese, French and German.
        ("AUTORIDADE NT\\SISTEMA", nil, nil),
        ("Système", "DOMAIN", nil),
        ("SERVICE RÉSEAU", "AUTORITE NT", nil),
        ("LOKALER DIENST", nil, nil),
        ("NT-AUTORITÄT\\SYSTEM", nil, nil),
        ("-", "CORP", nil),
        ("CORP\\-", nil, nil),
        ("N/A", nil, nil),
        ("S-1-5-21-1-2-3-500", nil, nil),                       // a SID, not a name
        // An address where a parser put the peer in user.name (MAC
        // authentication, a tunnel's source): not a person or a service.
        ("81.2.69.145", nil, nil),
        ("2001:DB8::1", nil, nil),
        ("02-00-00-00-00-01", nil, nil),
        ("00:16:3E:A1:12:F7", nil, nil),
        ("aabb.ccdd.eeff", nil, nil),
        ("81.2.69.145", "CORP", "corp\\81.2.69.145"),          // a domain says it is a name
        ("deadbeefcafe", nil, "deadbeefcafe"),                  // bare hex: could be a name
        ("10.0.0.1:443", nil, nil),                              // a peer with its port
        ("[2001:db8::2]", nil, nil),
        ("[2001:db8::2]:443", nil, nil),
        ("host:443", nil, "host:443"),                          // not an address
        ("xxxx$", nil, nil),                                    // a masked machine account
        ("xxxx", "CORP", nil),
        ("10.1.2", nil, "10.1.2"),                              // not an address
        // One account however its accents are typed: composed (NFC) and
        // lower case, user and domain; the Greek final sigma as σ.
        ("Jo\u{0308}rg", nil, "j\u{00F6}rg"),
        ("J\u{00F6}rg", nil, "j\u{00F6}rg"),
        ("Jo\u{0308}rg", "Mu\u{0308}nchen", "m\u{00FC}nchen\\j\u{00F6}rg"),
        ("ΣΊΣΥΦΟΣ", nil, "σίσυφοσ"),
        ("", nil, nil),
    ]

    @Test(arguments: usernameCases)
    func username(input: String, domain: String?, expected: String?) {
        // By bytes: Swift's `==` takes `ö` and `o` + U+0308 as equal, the
        // store and its indexes do not.
        #expect(normalizer.username(input, siblingDomain: domain).map { Array($0.value.utf8) }
                == expected.map { Array($0.utf8) })
    }

    static let machineAccountCases: [(String, Bool)] = [
        ("WS-01$", true), ("CORP\\DC01$", true), ("admin", false), ("$admin", false),
    ]

    @Test(arguments: machineAccountCases)
    func machineAccount(input: String, expected: Bool) throws {
        let atom = try #require(normalizer.username(input))
        #expect(AtomNormalizer.isMachineAccount(atom) == expected)
    }
}
