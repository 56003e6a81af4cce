import Testing
@testable import PerimeterDetection

/// The disagreements of the pySigma SQLite differential run, each worked out by hand.
@Suite struct DifferentialPinTests {
    /// ::ffff:1.2.3.4 is the IPv4 host 1.2.3.4 written as IPv6 (RFC 4291 §2.5.5.2):
    /// Perimeter counts it in 1.2.3.0/24; the backend's LIKE '1.2.3.%' does not.
    @Test func ipv4MappedAddressIsInTheIPv4Network() throws {
        let harness = try RuleHarness(detection: "selection:\n    ip|cidr: 1.2.3.0/24\n"
                                      + "condition: selection")
        #expect(try harness.matches(#"{"ip":"::ffff:1.2.3.4"}"#))
        #expect(try !harness.matches(#"{"ip":"::ffff:1.2.4.4"}"#))
    }

    /// An IPv4 address belongs to no IPv6 network, not even ::/0; the backend's
    /// LIKE '%' matches every address.
    @Test func ipv4AddressIsNotInAnIPv6Network() throws {
        let harness = try RuleHarness(detection: "selection:\n    ip|cidr: '::/0'\n"
                                      + "condition: selection")
        #expect(try !harness.matches(#"{"ip":"89.160.20.156"}"#))
        #expect(try harness.matches(#"{"ip":"2001:db8::1"}"#))
    }
}
