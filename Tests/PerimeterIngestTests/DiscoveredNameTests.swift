import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import Testing

/// A discovered asset is named as the event wrote its host or user name,
/// without the spaces around it (its atom is trimmed; the name was not).
@Suite struct DiscoveredNameTests {
    @Test func namesAreTheEventsSpellingWithoutSurroundingSpaces() throws {
        let inventory = Inventory()
        let pipeline = try IngestPipeline(
            store: nil, inventory: inventory, rules: Set(DiscoveryRule.allCases),
            configuration: PerimeterConfiguration(), options: IngestOptions())
        let lines = [
            #"{"@timestamp":"2024-05-01T09:00:00Z","host":{"name":"  WS-Spaced \t"},"#
                + #""user":{"name":" Alice ","domain":" CORP "}}"#,
            #"{"@timestamp":"2024-05-01T09:01:00Z","host":{"name":"DB-01"}}"#,
        ]
        try pipeline.ingest(lines: lines.map { Array($0.utf8) }, name: "names")
        let names = inventory.assets.values.map(\.name).sorted()
        #expect(names == ["CORP\\Alice", "DB-01", "WS-Spaced"])
    }
}
