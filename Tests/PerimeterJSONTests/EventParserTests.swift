import Testing
@testable import PerimeterJSON

/// A value as the tests write it: strings quoted, others as JSON text.
private func render(_ values: JSONValues) -> [String] { values.map(\.description) }

private func values(_ line: String, _ path: String) throws -> [String] {
    let parser = EventParser(selection: FieldSelection(paths: [path]))
    let event = try parser.parse(line)
    return render(event.values(of: 0))
}

struct FieldCase: CustomTestStringConvertible, Sendable {
    let line: String
    let path: String
    let expected: [String]
    var testDescription: String { "\(path) in \(line)" }
}

@Test(arguments: [
    FieldCase(line: #"{"host.name":"a"}"#, path: "host.name", expected: [#""a""#]),
    FieldCase(line: #"{"host":{"name":"a"}}"#, path: "host.name", expected: [#""a""#]),
    FieldCase(line: #"{"host":{"os.name":"x"}}"#, path: "host.os.name", expected: [#""x""#]),
    FieldCase(line: #"{"host.os":{"name":"x"}}"#, path: "host.os.name", expected: [#""x""#]),
    FieldCase(line: #"{"host":{"name":"a"},"host.name":"b"}"#, path: "host.name",
              expected: [#""a""#, #""b""#]),
    FieldCase(line: #"{"a":[{"b":1},{"b":2}]}"#, path: "a.b", expected: ["1", "2"]),
    FieldCase(line: #"{"a":[{"b":[1,2]},{"c":3},{"b":{"d":4}}]}"#, path: "a.b",
              expected: ["1", "2"]),
    FieldCase(line: #"{"related":{"ip":["10.0.0.1","10.0.0.2"]}}"#, path: "related.ip",
              expected: [#""10.0.0.1""#, #""10.0.0.2""#]),
    FieldCase(line: #"{"a":[[1,2],[3],[]]}"#, path: "a", expected: ["1", "2", "3"]),
    FieldCase(line: #"{"n":-42}"#, path: "n", expected: ["-42"]),
    FieldCase(line: #"{"n":18446744073709551615}"#, path: "n",
              expected: ["18446744073709551615"]),
    FieldCase(line: #"{"n":1.5}"#, path: "n", expected: ["1.5"]),
    FieldCase(line: #"{"n":[-9223372036854775808,1e300]}"#, path: "n",
              expected: ["-9223372036854775808", "1e+300"]),
    FieldCase(line: #"{"n":[true,false,null]}"#, path: "n", expected: ["true", "false", "null"]),
    FieldCase(line: #"{"host":"x"}"#, path: "host.name", expected: []),
    FieldCase(line: #"{"host":{"name":{"first":"a"}}}"#, path: "host.name", expected: []),
    FieldCase(line: #"{"hostname":"a","host":{"names":"b"}}"#, path: "host.name",
              expected: []),
    FieldCase(line: #"{"user":{"name":"J\u00e9r\u00f4me"}}"#, path: "user.name",
              expected: [#""Jérôme""#]),
    FieldCase(line: #"{"a":"\ud83d\ude00 \"q\" \\ \/"}"#, path: "a",
              expected: [#""😀 "q" \ /""#]),
    FieldCase(line: #"{"ho\u0073t.name":"a"}"#, path: "host.name", expected: [#""a""#]),
    FieldCase(line: #"{ "host" : { "name" : "a" } }"#, path: "host.name", expected: [#""a""#]),
    FieldCase(line: #"{"@timestamp":"2024-01-01T00:00:00Z"}"#, path: "@timestamp",
              expected: [#""2024-01-01T00:00:00Z""#]),
    FieldCase(line: #"{"sekoiaio.any_asset.uuid":"x"}"#, path: "sekoiaio.any_asset.uuid",
              expected: []),
    FieldCase(line: #"{"sekoiaio":{"any_asset":{"uuid":"x"}}}"#,
              path: "sekoiaio.any_asset.uuid", expected: []),
    FieldCase(line: #"{"sekoiaio":{"assets.host":{"uuid":"x"}}}"#,
              path: "sekoiaio.assets.host.uuid", expected: []),
    FieldCase(line: #"{"sekoiaio":{"intake":{"uuid":"x"}}}"#, path: "sekoiaio.intake.uuid",
              expected: [#""x""#]),
])
func fieldValues(_ c: FieldCase) throws {
    #expect(try values(c.line, c.path) == c.expected)
}

@Test func selectionDeduplicatesAndNumbersPaths() {
    let selection = FieldSelection(paths: ["a", "b", "a", "c"])
    #expect(selection.paths == ["a", "b", "c"])
    #expect(selection.id(of: "c") == 2)
    #expect(selection.id(of: "d") == nil)
}

@Test func valuesAreGroupedPerField() throws {
    let selection = FieldSelection(paths: ["source.ip", "host.name", "user.id"])
    let parser = EventParser(selection: selection)
    let line = #"{"host":{"name":"h1"},"source":{"ip":"10.0.0.1"},"host.name":"h2","x":1}"#
    let event = try parser.parse(line)
    #expect(render(event.values(of: 0)) == [#""10.0.0.1""#])
    #expect(render(event.values(of: 1)) == [#""h1""#, #""h2""#])
    #expect(event.values(of: 2).isEmpty)
    #expect(event.firstString(of: 1) == "h1")
    #expect(event.firstString(of: 2) == nil)
    #expect(event.contains(0))
    #expect(!event.contains(2))
    #expect(!event.removedCollidingFields)
}

@Test func firstStringSkipsNonStrings() throws {
    let parser = EventParser(selection: FieldSelection(paths: ["a"]))
    #expect(try parser.parse(#"{"a":[1,null,"x"]}"#).firstString(of: 0) == "x")
}

@Test func jsonStringByteHelpers() throws {
    let parser = EventParser(selection: FieldSelection(paths: ["a"]))
    let event = try parser.parse(#"{"a":"WS-01.corp"}"#)
    let s = try #require(event.values(of: 0).first?.jsonString)
    #expect(s.count == 10)
    #expect(s.isEqual(to: "WS-01.corp"))
    #expect(!s.isEqual(to: "WS-01.cor"))
    #expect(s.isEqualIgnoringASCIICase(to: "ws-01.CORP"))
    #expect(s.hasPrefix("WS-"))
    #expect(!s.hasPrefix("WS-01.corp!"))
    #expect(s.hasSuffix(".corp"))
    #expect(s.contains(byte: UInt8(ascii: ".")))
}

@Test func collectsEveryLeafWithItsPath() throws {
    let parser = EventParser(selection: FieldSelection(paths: ["b.c"]),
                             collectsAllLeaves: true)
    let line = #"{"a":1,"b":{"c":["x",{"d":true}],"e.f":null},"sekoiaio":{"assets":1,"k":2}}"#
    let event = try parser.parse(line)
    var leaves: [String] = []
    event.forEachLeaf { path, value in leaves.append("\(path)=\(value)") }
    #expect(leaves == ["a=1", #"b.c="x""#, "b.c.d=true", "b.e.f=null", "sekoiaio.k=2"])
    #expect(render(event.values(of: 0)) == [#""x""#])
    #expect(event.removedCollidingFields)
}

@Test func parserIsReusableAcrossLines() throws {
    let parser = EventParser(selection: FieldSelection(paths: ["a"]))
    for n in 0..<100 {
        let event = try parser.parse(#"{"a":"v\#(n)","pad":"\#(String(repeating: "x", count: n * 50))"}"#)
        #expect(event.firstString(of: 0) == "v\(n)")
    }
}

@Test func staleEventTraps() async {
    await #expect(processExitsWith: .failure) {
        let parser = EventParser(selection: FieldSelection(paths: ["a"]))
        let first = try parser.parse(#"{"a":1}"#)
        _ = try parser.parse(#"{"a":2}"#)
        _ = first.contains(0)
    }
}

struct ErrorCase: CustomTestStringConvertible, Sendable {
    let line: String
    let code: JSONParseError.Code
    let message: String
    var testDescription: String { line }
}

@Test(arguments: [
    ErrorCase(line: #"{"a":"b"#, code: .malformed,
              message: "malformed JSON: unclosed string (at byte 5)"),
    ErrorCase(line: #"{"a":1"#, code: .malformed,
              message: "malformed JSON: unclosed object (cut short?) (at byte 6)"),
    ErrorCase(line: #"{"a":"#, code: .malformed,
              message: "malformed JSON: unexpected end of input (cut short?) (at byte 5)"),
    ErrorCase(line: #"{"a":1} x"#, code: .malformed,
              message: "malformed JSON: unexpected content after the JSON value (at byte 8)"),
    ErrorCase(line: #"{"a":1}{"b":2}"#, code: .malformed,
              message: "malformed JSON: unexpected content after the JSON value (at byte 7)"),
    ErrorCase(line: #"{"a":tru}"#, code: .malformed,
              message: "malformed JSON: invalid literal (expected true, false or null) (at byte 5)"),
    ErrorCase(line: #"{"a":01}"#, code: .malformed,
              message: "malformed JSON: invalid number (at byte 5)"),
    ErrorCase(line: #"{a:1}"#, code: .malformed,
              message: "malformed JSON: expected a quoted key (at byte 1)"),
    ErrorCase(line: #"{"a" 1}"#, code: .malformed,
              message: "malformed JSON: expected ':' after the key (at byte 5)"),
    ErrorCase(line: #"{"a":1 "b":2}"#, code: .malformed,
              message: "malformed JSON: expected ',' or '}' after a member (at byte 7)"),
    ErrorCase(line: #"{"a":[1 2]}"#, code: .malformed,
              message: "malformed JSON: expected ',' or ']' after an element (at byte 8)"),
    ErrorCase(line: "{\"a\":\"\u{01}\"}", code: .malformed,
              message: "malformed JSON: unescaped control character in a string (at byte 6)"),
    ErrorCase(line: #"{"a":"\q"}"#, code: .malformed,
              message: "malformed JSON: invalid escape in a string (at byte 6)"),
    // Read as text up to 64 such numbers a line; the 65th is refused.
    ErrorCase(line: #"{"n":["# + Array(repeating: "1e400", count: 65).joined(separator: ",")
                  + "]}", code: .numberOutOfRange,
              message: "unsupported JSON: a number beyond 64-bit integer or double range "
                  + "(at byte 390)"),
    ErrorCase(line: #"[1,2]"#, code: .notObject,
              message: "event is not a JSON object: it is an array"),
    ErrorCase(line: #""x""#, code: .notObject, message: "event is not a JSON object: it is a string"),
    ErrorCase(line: "42", code: .notObject, message: "event is not a JSON object: it is a number"),
    ErrorCase(line: "", code: .empty, message: "event is empty: nothing but whitespace"),
    ErrorCase(line: "  \t", code: .empty, message: "event is empty: nothing but whitespace"),
])
func malformedLines(_ c: ErrorCase) {
    let parser = EventParser(selection: FieldSelection(paths: ["a"]))
    #expect(throws: JSONParseError.self) { try parser.parse(c.line) }
    do {
        _ = try parser.parse(c.line)
    } catch {
        #expect(error.code == c.code)
        #expect(error.message == c.message)
    }
}

/// A whole number past 64 bits is valid JSON: the event is read (it was
/// refused whole, and no rule saw it), the number as its exact digits in
/// text (a host id of 30 digits is an id, not a double that another id
/// sharing its first digits would also be), every other field as it is.
/// So is a decimal past double range (one such field hid the event from
/// every rule), as the text the event gave.
@Test(arguments: [
    (#"{"a":123456789012345678901234567890,"b":"x"}"#, "123456789012345678901234567890"),
    (#"{"a":1e400,"b":"x"}"#, "1e400"),
    (#"{"b":"x","a":-2.5E+999}"#, "-2.5E+999"),
    (#"{"a":[1e309,1.5],"b":"x"}"#, "1e309"),
    (#"{"a":-9223372036854775809,"b":"x"}"#, "-9223372036854775809"),
    (#"{"b":"x","o":{"d":[1,99999999999999999999]},"a":18446744073709551616}"#,
     "18446744073709551616"),
])
func integersPast64BitsAreReadAsTheirDigits(line: String, expected: String) throws {
    let parser = EventParser(selection: FieldSelection(paths: ["a", "b"]))
    let event = try parser.parse(line)
    #expect(render(event.values(of: 0)).first == "\"" + expected + "\"",
            "\(render(event.values(of: 0)))")
    #expect(render(event.values(of: 1)) == [#""x""#])
}

/// Two such integers of one line that become one double keep their own
/// digits, in order.
@Test func twoIntegersPast64BitsKeepTheirOwnDigits() throws {
    let parser = EventParser(selection: FieldSelection(paths: ["a"]))
    let event = try parser.parse(
        #"{"a":[123456789012345678901234567890,123456789012345678901234567891]}"#)
    #expect(render(event.values(of: 0))
        == [#""123456789012345678901234567890""#, #""123456789012345678901234567891""#])
}

/// RFC 8259's grammar allows a lone surrogate escape; Elasticsearch and
/// Python read such events, so they are read, with U+FFFD in its place.
@Test(arguments: [
    (#"{"a":"\ud800x"}"#, "\u{FFFD}x"),
    (#"{"a":"x\uDC00"}"#, "x\u{FFFD}"),
    (#"{"a":"\ud800\ud800\udc00"}"#, "\u{FFFD}\u{10000}"),   // a lone one, then a pair
    (#"{"a":"\\ud800"}"#, "\\ud800"),                          // an escaped backslash
])
func loneSurrogateEscapesReadAsReplacementCharacters(line: String, expected: String) throws {
    let parser = EventParser(selection: FieldSelection(paths: ["a"]))
    let event = try parser.parse(line)
    #expect(event.firstString(of: 0) == expected)
}

@Test func invalidUTF8IsLocated() {
    let parser = EventParser(selection: FieldSelection(paths: ["a"]))
    let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8)
    do {
        _ = try bytes.withUnsafeBytes { try parser.parse($0) }
        Issue.record("invalid UTF-8 accepted")
    } catch let error as JSONParseError {
        #expect(error.code == .malformed)
        #expect(error.message == "malformed JSON: invalid UTF-8 in a string (at byte 6)")
        #expect(error.byteOffset == 6)
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func deepNestingIsRefused() {
    let parser = EventParser(selection: FieldSelection(paths: ["a"]))
    let line = "{\"a\":" + String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000) + "}"
    #expect(throws: JSONParseError.self) { try parser.parse(line) }
}

@Test func emptyObjectHasNoValues() throws {
    let parser = EventParser(selection: FieldSelection(paths: ["a"]), collectsAllLeaves: true)
    let event = try parser.parse("{}")
    #expect(!event.contains(0))
    var count = 0
    event.forEachLeaf { _, _ in count += 1 }
    #expect(count == 0)
}
