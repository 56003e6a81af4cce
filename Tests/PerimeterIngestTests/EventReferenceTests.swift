import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import Testing

/// An attachment records the event that opened it as `source:line`
/// (SPEC §2, the atom's origin), counted from 1 in its input.
@Suite struct EventReferenceTests {
    @Test func attachmentsNameTheLineThatOpenedThem() throws {
        let inventory = Inventory()
        let pipeline = try IngestPipeline(
            store: nil, inventory: inventory, rules: Set(DiscoveryRule.allCases),
            configuration: PerimeterConfiguration(), options: IngestOptions())
        let lines = [
            #"{"@timestamp":"2024-05-01T09:00:00Z","host":{"name":"ws-01"}}"#,
            #"{"@timestamp":"2024-05-01T09:01:00Z","host":{"name":"ws-01","ip":"10.1.2.3"}}"#,
        ].map { Array($0.utf8) }
        try pipeline.ingest(lines: lines, name: "intake-test")

        let scope = ScopeKey(community: "default")
        let name = AtomKey(scope: scope, atom: Atom(type: .hostname, normalizedValue: "ws-01"))
        let address = AtomKey(scope: scope, atom: Atom(type: .ipv4, normalizedValue: "10.1.2.3"))
        #expect(inventory.timeline(of: name).map(\.origin) == ["intake-test:1"])
        #expect(inventory.timeline(of: address).map(\.origin) == ["intake-test:2"])
    }
}
