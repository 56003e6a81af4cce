import Foundation
import Testing
@testable import PerimeterEvents

/// Registrable domains, from Debian's list and from a list written here.
struct PublicSuffixListTests {
    static let debian = try! PublicSuffixList(contentsOfFile: PublicSuffixList.debianPath)

    static let registrableCases: [(String, String?)] = [
        ("ws-01.corp.example.org", "example.org"),
        ("example.com", "example.com"),
        ("www.example.co.uk", "example.co.uk"),
        ("co.uk", nil),
        ("com", nil),
        ("tenant.onmicrosoft.com", "tenant.onmicrosoft.com"), // no label below it
        ("onmicrosoft.com", nil),                 // built-in extra suffix
        ("host.tenant.onmicrosoft.com", "tenant.onmicrosoft.com"),
        ("dc01.contoso.local", "contoso.local"),  // unknown top label: the `*` rule
        ("a.b.c.kawasaki.jp", "b.c.kawasaki.jp"), // *.kawasaki.jp
        ("city.kawasaki.jp", "city.kawasaki.jp"), // !city.kawasaki.jp
        ("www.ck", "www.ck"),                     // !www.ck under *.ck
        ("a.b.ck", "a.b.ck"),
    ]

    @Test(arguments: registrableCases)
    func registrableDomain(input: String, expected: String?) {
        #expect(Self.debian.registrableDomain(of: input).map(String.init) == expected)
    }

    @Test func parsesTheTextFormat() {
        let list = PublicSuffixList(parsing: """
            // comment
            com
            *.wild.test
            !keep.wild.test
            example.com trailing words are ignored

            """, extraSuffixes: [])
        #expect(list.ruleCount == 4)
        #expect(list.registrableDomain(of: "a.b.com").map(String.init) == "b.com")
        #expect(list.registrableDomain(of: "x.y.wild.test").map(String.init) == "x.y.wild.test")
        #expect(list.registrableDomain(of: "y.wild.test") == nil)
        #expect(list.registrableDomain(of: "a.keep.wild.test").map(String.init)
                == "keep.wild.test")
        #expect(list.registrableDomain(of: "a.example.com").map(String.init) == "a.example.com")
    }

    /// An empty file, or another file named by mistake, is refused: the
    /// built-in extra suffix let an empty one pass, and `example.com`
    /// then read as a host name.
    @Test(arguments: [("", "holds no rule"), ("ws-01\n", "is not the Public Suffix List"),
                      ("// comment\nuk\nco.uk\n", "is not the Public Suffix List")])
    func aFileThatIsNoListIsRefused(text: String, reason: String) throws {
        let path = NSTemporaryDirectory() + "perimeter-psl-\(UUID().uuidString).dat"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try PublicSuffixList(contentsOfFile: path)
        } throws: { error in
            (error as? AtomError)?.code == .publicSuffixListEmpty
                && (error as? AtomError)?.message.contains(reason) == true
        }
        // Windows line ends, as Unix ones.
        for small in ["com\nuk\nco.uk\n", "com\r\nuk\r\nco.uk\r\n"] {
            try small.write(toFile: path, atomically: true, encoding: .utf8)
            let list = try PublicSuffixList(contentsOfFile: path)
            #expect(list.ruleCount == 3 + PublicSuffixList.builtInExtraSuffixes.count)
            #expect(list.registrableDomain(of: "www.example.co.uk").map(String.init)
                    == "example.co.uk")
        }
    }

    @Test func missingFileThrowsWithThePath() {
        #expect {
            try PublicSuffixList(contentsOfFile: "/nonexistent/psl.dat")
        } throws: { error in
            let error = error as? AtomError
            // The reason in words, not Foundation's error printed whole.
            return error?.code == .publicSuffixListUnreadable
                && error?.message.contains("'/nonexistent/psl.dat': no such file (") == true
                && error?.message.contains("NSCocoaErrorDomain") == false
        }
    }
}
