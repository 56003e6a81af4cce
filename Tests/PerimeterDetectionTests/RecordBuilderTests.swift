import Testing
import PerimeterJSON
@testable import PerimeterDetection

@Suite struct RecordBuilderTests {
    /// Ingest parses with its own selection (other fields first); IDs are translated.
    @Test func recordFromAnotherParsersSelection() throws {
        let harness = try RuleHarness(detection: """
            selection:
                process.name: cmd.exe
                sekoiaio.any_asset.tags: vip
            condition: selection
            """)
        let selection = FieldSelection(paths: ["host.name", "source.ip"]
                                       + harness.engine.fieldPaths)
        let parser = EventParser(selection: selection)
        var builder = DetectionRecordBuilder(engine: harness.engine, selection: selection)
        #expect(builder.missingPaths.isEmpty)
        let parsed = try parser.parse(#"{"host":{"name":"h"},"process":{"name":"CMD.EXE"}}"#)
        let tagged = builder.record(for: parsed,
                                    extraValues: ["sekoiaio.any_asset.tags": [.string("VIP")]])
        #expect(harness.engine.evaluate(tagged).count == 1)
        let untagged = builder.record(for: parsed)
        #expect(harness.engine.evaluate(untagged).isEmpty)
    }
}
