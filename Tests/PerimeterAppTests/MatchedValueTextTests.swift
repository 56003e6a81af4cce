@testable import PerimeterApp
import Testing

/// How `rules test` shows the value that satisfied a test: on one line,
/// and cut when long (a Windows event's whole message is several KB).
@Suite struct MatchedValueTextTests {
    @Test func aValueIsShownOnOneLineAndCutWhenLong() {
        #expect(RulesCommands.shown("a\tb\r\nc") == #"a\tb\r\nc"#)
        let long = String(repeating: "x", count: 500)
        #expect(RulesCommands.shown(long) == String(repeating: "x", count: 160)
                    + "… (500 characters)")
        let edge = String(repeating: "y", count: 160)
        #expect(RulesCommands.shown(edge) == edge)
    }
}
