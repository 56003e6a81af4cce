import Testing
@testable import PerimeterJSON

/// `ParsedEvent.forEachText`, `hasValues` and `forEachFieldWithValues`: the
/// byte views the atom extractor reads. Each must agree with `values(of:)`:
/// strings as they are, numbers as `JSONScalar.text`, booleans and nulls
/// left out of the text but counted as present.
struct ParsedEventTextTests {
    struct TextCase: CustomTestStringConvertible, Sendable {
        let line: String
        let texts: [String]
        let hasValues: Bool
        var testDescription: String { line }
    }

    @Test(arguments: [
        TextCase(line: #"{"f":"a"}"#, texts: ["a"], hasValues: true),
        TextCase(line: #"{"f":["a","","b"]}"#, texts: ["a", "", "b"], hasValues: true),
        TextCase(line: #"{"f":[1,-2,18446744073709551615,1.5]}"#,
                 texts: ["1", "-2", "18446744073709551615", "1.5"], hasValues: true),
        TextCase(line: #"{"f":[true,null,"x",false]}"#, texts: ["x"], hasValues: true),
        TextCase(line: #"{"f":null}"#, texts: [], hasValues: true),
        TextCase(line: #"{"f":{"g":"a"}}"#, texts: [], hasValues: false),
        TextCase(line: #"{"g":"a"}"#, texts: [], hasValues: false),
        TextCase(line: #"{"f":"J\u00e9r\u00f4me"}"#, texts: ["Jérôme"], hasValues: true),
    ])
    func textOfAField(_ test: TextCase) throws {
        let parser = EventParser(selection: FieldSelection(paths: ["f"]))
        let event = try parser.parse(test.line)
        var texts: [String] = []
        event.forEachText(of: 0) { texts.append(String(decoding: $0, as: UTF8.self)) }
        #expect(texts == test.texts)
        #expect(event.hasValues(of: 0) == test.hasValues)
    }

    /// The walk looks members up without building their paths; these are
    /// the paths where that could go wrong: empty keys, dotted keys mixed
    /// with objects, and the `sekoiaio` members that must be left out.
    @Test(arguments: [
        (#"{"":{"a":1}}"#, ".a", ["1"]),
        (#"{"":{"a":1},"a":2}"#, "a", ["2"]),
        (#"{"x":{"":{"y":3}}}"#, "x..y", ["3"]),
        (#"{"x.y":{"z":4},"x":{"y.z":5}}"#, "x.y.z", ["4", "5"]),
        (#"{"sekoiaio":{"intake":{"uuid":"u"},"any_asset":{"uuid":"v"}}}"#,
         "sekoiaio.intake.uuid", ["u"]),
        (#"{"sekoiaio.any_asset":{"uuid":"v"},"sekoiaiox":{"a":"w"}}"#, "sekoiaiox.a", ["w"]),
    ] as [(String, String, [String])])
    func pathsFoundWithoutBuildingThem(line: String, path: String, expected: [String]) throws {
        let parser = EventParser(selection: FieldSelection(paths: [path]))
        let event = try parser.parse(line)
        var texts: [String] = []
        event.forEachText(of: 0) { texts.append(String(decoding: $0, as: UTF8.self)) }
        #expect(texts == expected)
    }

    @Test func fieldsWithValuesFollowTheGivenOrder() throws {
        let parser = EventParser(selection: FieldSelection(paths: ["a", "b", "c", "d"]))
        let event = try parser.parse(#"{"d":1,"b":null,"a":{"x":1}}"#)
        var positions: [Int] = []
        // Positions in the list given, not selection ids: [d, c, b, a].
        event.forEachFieldWithValues(among: [3, 2, 1, 0]) { positions.append($0) }
        #expect(positions == [0, 2])
    }
}
