import PerimeterModel
import Testing
@testable import PerimeterEvents

/// The address normal forms of SPEC §2, worked out by hand from RFC 5952.
struct IPAddressTests {
    static let addressCases: [(String, String?)] = [
        // IPv4: strict dotted decimal.
        ("192.168.1.2", "ipv4:192.168.1.2"),
        (" 10.0.0.7 ", "ipv4:10.0.0.7"),
        ("8.8.8.8", "ipv4:8.8.8.8"),
        ("255.255.255.254", "ipv4:255.255.255.254"),
        ("010.1.1.1", nil),          // leading zero: octal to some parsers
        ("10.01.1.1", nil),
        ("167772161", nil),          // integer form
        ("0x0a.0.0.1", nil),         // hex form
        ("10.1", nil),               // short form
        ("10.0.0.256", nil),
        ("10.0.0.1.", nil),
        ("10..0.1", nil),
        ("1234.1.1.1", nil),
        ("", nil),
        // IPv4 never atoms.
        ("0.0.0.0", nil),
        ("0.0.228.153", nil),   // 0.0.0.0/8: "this network"
        ("1.0.0.1", "ipv4:1.0.0.1"),
        ("127.0.0.1", nil),
        ("127.255.0.9", nil),
        ("169.254.10.20", nil),
        ("224.0.0.251", nil),
        ("239.255.255.250", nil),
        ("255.255.255.255", nil),
        ("169.253.1.1", "ipv4:169.253.1.1"),
        ("223.255.255.255", "ipv4:223.255.255.255"),
        // IPv6: RFC 5952 canonical text.
        ("2001:DB8:0:0:1:0:0:1", "ipv6:2001:db8::1:0:0:1"),   // leftmost run on a tie
        ("2001:0db8:0000:0000:0000:0000:0002:0001", "ipv6:2001:db8::2:1"),
        ("2001:db8:0:1:1:1:1:1", "ipv6:2001:db8:0:1:1:1:1:1"), // one zero group stays
        ("2001:db8::1:1:1:1:1", "ipv6:2001:db8:0:1:1:1:1:1"),  // :: for one group in input
        ("2001:db8:0:0:1:0:0:0", "ipv6:2001:db8:0:0:1::"),     // the longer run wins
        ("2001:db8:aaaa:bbbb:cccc:dddd:eeee:AAAA", "ipv6:2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa"),
        ("2001:db8::", "ipv6:2001:db8::"),
        ("::2", "ipv6:::2"),
        ("2606:4700:4700::1111", "ipv6:2606:4700:4700::1111"),
        ("2001:db8::1%eth0", "ipv6:2001:db8::1"),                // zone id removed
        ("::ffff:10.1.2.3", "ipv4:10.1.2.3"),                    // mapped: the IPv4 atom
        ("::FFFF:0a01:0203", "ipv4:10.1.2.3"),
        ("::ffff:127.0.0.1", nil),
        ("64:ff9b::192.0.2.33", "ipv6:64:ff9b::c000:221"),       // embedded IPv4 parsed
        ("::ffff:0", "ipv6:::ffff:0"),                           // not a mapped address
        ("2001:db8::1::2", nil),
        ("2001:db8:::1", nil),
        ("1:2:3:4:5:6:7:8:9", nil),
        ("1:2:3:4:5:6:7", nil),
        (":1:2:3:4:5:6:7", nil),
        ("1:2:3:4:5:6:7:", nil),
        ("2001:db8::12345", nil),
        ("2001:db8::g", nil),
        ("::ffff:010.1.2.3", nil),
        ("fe80::1%", nil),
        // IPv6 never atoms.
        ("::", nil),
        ("::1", nil),
        ("0:0:0:0:0:0:0:1", nil),
        ("fe80::1%eth0", nil),
        ("febf::1", nil),
        ("fec0::1", "ipv6:fec0::1"),
        ("ff02::1", nil),
    ]

    @Test(arguments: addressCases)
    func addressAtom(input: String, expected: String?) {
        #expect(AtomNormalizer.standard.address(input)?.description == expected)
    }

    @Test func binaryForms() throws {
        let v4 = try #require(IPv4Address(parsing: "10.1.2.3"))
        #expect(v4.bits == 0x0A01_0203)
        let v6 = try #require(IPv6Address(parsing: "2001:db8::1:0:0:1"))
        #expect(v6.high == 0x2001_0DB8_0000_0000)
        #expect(v6.low == 0x0001_0000_0000_0001)
    }

    static let cidrCases: [(String, String?)] = [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("192.168.1.0/24", "192.168.1.0/24"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("10.1.2.3/32", "10.1.2.3/32"),
        ("2001:DB8::/32", "2001:db8::/32"),
        ("2001:db8:0:0::/64", "2001:db8::/64"),
        ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
        ("::/0", "::/0"),
        ("10.1.2.3/8", nil),        // host bits set
        ("10.0.0.0/33", nil),
        ("10.0.0.0", nil),
        ("10.0.0.0/", nil),
        ("10.0.0.0/x", nil),
        ("010.0.0.0/8", nil),
        ("2001:db8::1/32", nil),
        ("2001:db8::/129", nil),
    ]

    @Test(arguments: cidrCases)
    func cidrParsing(input: String, expected: String?) {
        #expect((try? CIDRRange(parsing: input))?.description == expected)
    }

    @Test func cidrHostBitsErrorSuggestsTheNetwork() {
        #expect {
            try CIDRRange(parsing: "10.1.2.3/8")
        } throws: { error in
            let error = error as? AtomError
            return error?.code == .cidrHostBitsSet
                && error?.message.contains("did you mean '10.0.0.0/8'") == true
        }
        #expect((try? CIDRRange(parsing: "10.1.2.3/8", masksHostBits: true))?.description
                == "10.0.0.0/8")
    }

    static let containmentCases: [(String, String, Bool)] = [
        ("10.0.0.0/8", "10.255.1.2", true),
        ("10.0.0.0/8", "11.0.0.0", false),
        ("192.168.1.0/24", "192.168.1.255", true),
        ("192.168.1.0/24", "192.168.2.0", false),
        ("0.0.0.0/0", "8.8.8.8", true),
        ("10.0.0.0/8", "::ffff:10.9.9.9", true),
        ("10.0.0.0/8", "2001:db8::1", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::1", false),
        ("2001:db8:0:1::/64", "2001:db8:0:1:ffff::1", true),
        ("2001:db8:0:1::/64", "2001:db8:0:2::1", false),
        ("2001:db8::1/128", "2001:db8::1", true),
        ("2001:db8::/96", "2001:db8::ffff:ffff", true),
        ("2001:db8::/96", "2001:db8::1:0:0", false),
    ]

    @Test(arguments: containmentCases)
    func cidrContains(range: String, address: String, expected: Bool) throws {
        let cidr = try CIDRRange(parsing: range)
        let ip = try #require(IPAddress(parsing: address))
        #expect(cidr.contains(ip) == expected)
    }
}
