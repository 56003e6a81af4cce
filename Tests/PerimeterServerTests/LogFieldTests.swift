import Foundation
@testable import PerimeterServer
import Testing

/// A value in the server's key=value lines stays one field whatever it
/// holds: a token named `a b=c rows=999` wrote `actor=token:a b=c
/// rows=999`, a line with fields it never had.
@Suite struct LogFieldTests {
    @Test(arguments: [
        ("token:shipper", "token:shipper"),
        ("token:a b=c rows=999", #""token:a b=c rows=999""#),
        ("say \"hi\"\\", #""say \"hi\"\\""#),
        ("line\nbreak", #""line\u{a}break""#),
        ("evil\u{202E}txt", #""evil\u{202e}txt""#),
        // A C1 control (CSI starts an escape on some terminals), a mark
        // that turns text around, a line separator.
        ("a\u{9B}31mb\u{200F}c\u{2028}d\u{61C}e", #""a\u{9b}31mb\u{200f}c\u{2028}d\u{61c}e""#),
        ("", #""""#),
        ("café", #""café""#),
    ])
    func aValueIsOneField(text: String, written: String) {
        #expect(LogField.value(text) == written)
    }

    /// Every line has its time, its level and its event, then its fields.
    @Test(arguments: [
        ("server started port=8740 store=soc.db",
         "level=info event=\"server started\" port=8740 store=soc.db"),
        ("warning command-line job left unfinished marked failed job=j1 done=5",
         "level=warn event=\"command-line job left unfinished marked failed\" job=j1 done=5"),
        ("warning no usable token in the store: every request is refused",
         "level=warn event=\"no usable token in the store: every request is refused\""),
        ("intake batch failed error=DatabaseError",
         "level=error event=\"intake batch failed\" error=DatabaseError"),
        ("request method=GET route=/healthz status=200",
         "level=info event=request method=GET route=/healthz status=200"),
    ])
    func aServerLogLineIsStructured(line: String, written: String) {
        let time = Date(timeIntervalSince1970: 1_765_000_000)
        #expect(ServerLogLine.format(line, at: time) == "time=2025-12-06T05:46:40.000Z " + written)
    }
}
