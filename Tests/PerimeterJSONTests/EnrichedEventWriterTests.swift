import Testing
@testable import PerimeterJSON

private let member = #""any_asset":{"uuid":["u1"]}"#

private func enrich(_ line: String, _ members: [String]) throws -> (String, Bool) {
    let parser = EventParser(selection: FieldSelection(paths: ["sekoiaio.any_asset.uuid"]))
    var output: [UInt8] = []
    var line = line
    var removed = false
    try line.withUTF8 { bytes in
        let raw = UnsafeRawBufferPointer(bytes)
        let event = try parser.parse(raw)
        removed = event.removedCollidingFields
        EnrichedEventWriter.write(line: raw, parsed: event, sekoiaioMembers: members,
                                  into: &output)
    }
    return (String(decoding: output, as: UTF8.self), removed)
}

struct WriteCase: CustomTestStringConvertible, Sendable {
    let input: String
    let members: [String]
    let expected: String
    let removes: Bool
    var testDescription: String { "\(input) + \(members)" }

    init(_ input: String, _ members: [String], _ expected: String, removes: Bool = false) {
        self.input = input
        self.members = members
        self.expected = expected
        self.removes = removes
    }
}

@Test(arguments: [
    // Untouched: byte for byte, whitespace included.
    WriteCase(#"{ "a" : 1 ,  "b":[1, 2] }"#, [], #"{ "a" : 1 ,  "b":[1, 2] }"#),
    WriteCase(#"{"sekoiaio":{"intake":"x"}}"#, [], #"{"sekoiaio":{"intake":"x"}}"#),
    WriteCase(#"{"sekoiaio":{"any_assets":1}}"#, [], #"{"sekoiaio":{"any_assets":1}}"#),
    WriteCase(#"{"x":{"sekoiaio":{"assets":1}}}"#, [], #"{"x":{"sekoiaio":{"assets":1}}}"#),
    // A new sekoiaio object at the end of the document.
    WriteCase(#"{"a":1}"#, [member], #"{"a":1,"sekoiaio":{\#(member)}}"#),
    WriteCase("{}", [member], #"{"sekoiaio":{\#(member)}}"#),
    WriteCase("{ }", [member], #"{ "sekoiaio":{\#(member)}}"#),
    WriteCase(#"{"a":1} "#, [member, #""b":2"#],
              #"{"a":1,"sekoiaio":{\#(member),"b":2}} "#),
    // Into the existing sekoiaio object.
    WriteCase(#"{"sekoiaio":{}}"#, [member], #"{"sekoiaio":{\#(member)}}"#),
    WriteCase(#"{"sekoiaio":{"x":1},"b":2}"#, [member],
              #"{"sekoiaio":{"x":1,\#(member)},"b":2}"#),
    WriteCase(#"{ "a" : 1 ,  "sekoiaio" : { "k" : 2 } }"#, [member],
              #"{ "a" : 1 ,  "sekoiaio" : { "k" : 2 ,\#(member)} }"#),
    // Colliding members removed: first, middle, last, all.
    WriteCase(#"{"sekoiaio":{"any_asset":{"uuid":["evil"]},"x":1}}"#, [member],
              #"{"sekoiaio":{"x":1,\#(member)}}"#, removes: true),
    WriteCase(#"{"sekoiaio":{"x":1,"assets":{"host":{}},"y":2}}"#, [],
              #"{"sekoiaio":{"x":1,"y":2}}"#, removes: true),
    WriteCase(#"{"sekoiaio":{"x":1, "assets":{}}}"#, [],
              #"{"sekoiaio":{"x":1}}"#, removes: true),
    WriteCase(#"{"sekoiaio":{"any_asset":1,"assets":2}}"#, [member],
              #"{"sekoiaio":{\#(member)}}"#, removes: true),
    WriteCase(#"{"sekoiaio":{ "any_asset":1 , "assets":2 }}"#, [],
              #"{"sekoiaio":{  }}"#, removes: true),
    WriteCase(#"{"sekoiaio":{"a":1,"assets":2,"b":3,"any_asset":4}}"#, [member],
              #"{"sekoiaio":{"a":1,"b":3,\#(member)}}"#, removes: true),
    // Dotted at the top level, and mixed.
    WriteCase(#"{"a":1,"sekoiaio.any_asset.uuid":["x"],"b":2}"#, [],
              #"{"a":1,"b":2}"#, removes: true),
    WriteCase(#"{"a":1,"sekoiaio.any_asset.uuid":["x"],"b":2}"#, [member],
              #"{"a":1,"b":2,"sekoiaio":{\#(member)}}"#, removes: true),
    WriteCase(#"{"a":1,"sekoiaio.assets.host.uuid":"x"}"#, [],
              #"{"a":1}"#, removes: true),
    WriteCase(#"{"sekoiaio.assets":{}}"#, [member], #"{"sekoiaio":{\#(member)}}"#,
              removes: true),
    WriteCase(#"{"a":1,"sekoiaio.assets.x":1,"sekoiaio.any_asset.y":2}"#, [],
              #"{"a":1}"#, removes: true),
    WriteCase(#"{"sekoiaio.assets.x":1,"sekoiaio.any_asset.y":2,"a":1}"#, [],
              #"{"a":1}"#, removes: true),
    WriteCase(#"{"sekoiaio":{"assets.host":{"uuid":"x"},"intake":"y"}}"#, [],
              #"{"sekoiaio":{"intake":"y"}}"#, removes: true),
    WriteCase(#"{"sekoiaio":{"intake":"y"},"sekoiaio.any_asset.name":"z"}"#, [member],
              #"{"sekoiaio":{"intake":"y",\#(member)}}"#, removes: true),
    // A sekoiaio that is not an object cannot take members: replaced.
    WriteCase(#"{"sekoiaio":"x","a":1}"#, [member], #"{"a":1,"sekoiaio":{\#(member)}}"#,
              removes: true),
    WriteCase(#"{"a":1,"sekoiaio":[{"assets":1}]}"#, [], #"{"a":1}"#, removes: true),
    // Escaped keys are the same keys.
    WriteCase(#"{"sekoia\u0069o":{"any_asset":1,"k":2}}"#, [],
              #"{"sekoia\u0069o":{"k":2}}"#, removes: true),
    WriteCase(#"{"sekoiaio.\u0061ssets.x":1,"k":"\u00e9"}"#, [],
              #"{"k":"\u00e9"}"#, removes: true),
])
func writesEnrichedEvent(_ c: WriteCase) throws {
    let (output, removed) = try enrich(c.input, c.members)
    #expect(output == c.expected)
    #expect(removed == c.removes)
    _ = try StrictJSON.parse(output)
}

@Test func collidingInputIsNeverAValue() throws {
    let paths = ["sekoiaio.any_asset.uuid", "sekoiaio.assets.host.uuid", "sekoiaio.intake"]
    let parser = EventParser(selection: FieldSelection(paths: paths), collectsAllLeaves: true)
    let line = #"{"sekoiaio":{"any_asset":{"uuid":"a"},"assets.host":{"uuid":"b"},"intake":"i"},"#
        + #""sekoiaio.any_asset":{"uuid":"c"},"sekoiaio.assets":[{"host.uuid":"d"}]}"#
    let event = try parser.parse(line)
    #expect(event.values(of: 0).isEmpty)
    #expect(event.values(of: 1).isEmpty)
    #expect(event.firstString(of: 2) == "i")
    var paths_: [String] = []
    event.forEachLeaf { path, _ in paths_.append(path) }
    #expect(paths_ == ["sekoiaio.intake"])
}

struct QuoteCase: CustomTestStringConvertible, Sendable {
    let input: String
    let expected: String
    var testDescription: String { input.debugDescription }
}

@Test(arguments: [
    QuoteCase(input: "plain", expected: #""plain""#),
    QuoteCase(input: #"a"b"#, expected: #""a\"b""#),
    QuoteCase(input: #"C:\Windows"#, expected: #""C:\\Windows""#),
    QuoteCase(input: "l1\nl2\r\t", expected: #""l1\nl2\r\t""#),
    QuoteCase(input: "\u{01}\u{1F}\u{08}\u{0C}", expected: #""\u0001\u001f\b\f""#),
    QuoteCase(input: "é😀/", expected: "\"é😀/\""),
    QuoteCase(input: "", expected: #""""#),
])
func quotesStrings(_ c: QuoteCase) throws {
    #expect(JSONText.quoted(c.input) == c.expected)
    #expect(try StrictJSON.parse(c.expected) == .string(c.input))
}

@Test func encodesMembers() {
    var bytes: [UInt8] = []
    JSONText.appendMember("uuid", strings: ["a", "b\""], to: &bytes)
    bytes.append(UInt8(ascii: ","))
    JSONText.appendMember("criticality_value", integers: [80, 0], to: &bytes)
    #expect(String(decoding: bytes, as: UTF8.self)
        == #""uuid":["a","b\""],"criticality_value":[80,0]"#)
}

@Test(arguments: [
    (0, "0"), (7, "7"), (80, "80"), (100, "100"), (-5, "-5"),
    (Int.max, "9223372036854775807"), (Int.min, "-9223372036854775808"),
])
func writesIntegerDigits(_ value: Int, _ expected: String) {
    var bytes: [UInt8] = Array("x".utf8)
    JSONText.appendInteger(value, to: &bytes)
    #expect(String(decoding: bytes, as: UTF8.self) == "x" + expected)
}
