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
        ("", #""""#),
        ("café", #""café""#),
    ])
    func aValueIsOneField(text: String, written: String) {
        #expect(LogField.value(text) == written)
    }
}
