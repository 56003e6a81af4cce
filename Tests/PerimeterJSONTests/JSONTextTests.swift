import Foundation
import PerimeterJSON
import Testing

/// The JSON text writers, read back by Foundation's JSON parser (the
/// reference) and checked byte for byte where RFC 8259 fixes the form.
@Suite struct JSONTextTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        (#"say "hi""#, #""say \"hi\"""#),
        (#"CORP\admin"#, #""CORP\\admin""#),
        ("tab\there\nline", #""tab\there\nline""#),
        ("\u{01}\u{1F}", #""\u0001\u001f""#),
        ("\u{08}\u{0C}\r", #""\b\f\r""#),
        ("", #""""#),
        ("café ☃ 🛡", "\"café ☃ 🛡\""),
    ])
    func quotedTextEscapesWhatRFC8259Requires(_ input: String, _ expected: String) throws {
        var output = Array("[".utf8)
        JSONText.appendQuoted(input, to: &output)
        #expect(String(decoding: output.dropFirst(), as: UTF8.self) == expected)
        output.append(UInt8(ascii: "]"))
        let parsed = try JSONSerialization.jsonObject(with: Data(output)) as? [String]
        #expect(parsed == [input])
    }

    @Test func theBoundHoldsForTheWorstText() {
        // Every byte a control character: six bytes each, plus the quotes.
        let worst = String(repeating: "\u{01}", count: 50)
        var output: [UInt8] = []
        JSONText.appendQuoted(worst, to: &output)
        #expect(output.count == JSONText.quotedLengthBound(of: worst))
    }

    @Test(arguments: [0, 7, 10, 99, 100, -1, -80, 1_000_000_007, Int.max, Int.min])
    func integersAreTheirDecimalDigits(_ value: Int) {
        var output = Array("x".utf8)
        JSONText.appendInteger(value, to: &output)
        #expect(String(decoding: output, as: UTF8.self) == "x" + String(value))
    }

    @Test func piecesWrittenThroughTheCursorFollowWhatWasThere() throws {
        var output = Array(#"{"a":1,"#.utf8)
        JSONText.append(atMost: 200, to: &output) { cursor in
            cursor.write(#""list":["#)
            cursor.writeInteger(-42)
            cursor.write(UInt8(ascii: ","))
            cursor.writeQuoted("x\"y")
            cursor.write(UInt8(ascii: ","))
            cursor.write(UInt8(ascii: "\""))
            cursor.write(exactly: 3) { $0.update(repeating: UInt8(ascii: "z")) }
            cursor.write(UInt8(ascii: "\""))
            cursor.write("]}")
        }
        // What was reserved and not written is taken off again.
        #expect(String(decoding: output, as: UTF8.self) == #"{"a":1,"list":[-42,"x\"y","zzz"]}"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output)) as? [String: Any])
        #expect(object["list"] as? [AnyHashable] == [-42, "x\"y", "zzz"])
    }
}
