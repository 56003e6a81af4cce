import Testing
@testable import PerimeterDetection

@Suite struct ExplanationTests {
    @Test func explainsWhichSelectionAndFieldMatched() throws {
        let harness = try RuleHarness(detection: """
            selection_img:
                Image|endswith: '\\cmd.exe'
            selection_cli:
                CommandLine|contains: whoami
            condition: 1 of selection_*
            """)
        let record = try harness.reader.read(#"{"Image":"C:\\W\\cmd.exe","CommandLine":"x"}"#)
        #expect(harness.engine.matchingRuleIndices(record) == [0])
        let why = harness.engine.explain(ruleIndex: 0, event: record)
        #expect(why.count == 1)
        #expect(why.first?.selection == "selection_img")
        #expect(why.first?.field == "Image")
        #expect(why.first?.value == "C:\\W\\cmd.exe")
    }
}
