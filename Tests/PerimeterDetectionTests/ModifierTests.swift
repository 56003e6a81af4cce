import Foundation
import Testing
@testable import PerimeterDetection

/// One detection, one event, and the outcome worked out by hand from the Sigma spec.
struct MatchCase: CustomTestStringConvertible, Sendable {
    let name: String
    let detection: String
    let event: String
    let expected: Bool

    var testDescription: String { name }
}

private func sel(_ body: String, condition: String = "selection") -> String {
    "selection:\n" + body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        + "\ncondition: \(condition)"
}

let valueCases: [MatchCase] = [
    // "café" precomposed in the rule, decomposed (e + U+0301) in the event:
    // the same text, found by equality and by contains alike.
    MatchCase(name: "a decomposed letter equals the composed one",
              detection: sel("a: 'café'"), event: #"{"a":"CAFE\u0301"}"#, expected: true),
    MatchCase(name: "a decomposed letter is contained as the composed one",
              detection: sel("a|contains: 'café'"), event: #"{"a":"le cafe\u0301 noir"}"#,
              expected: true),
    // The final sigma is σ's lower case at a word's end.
    MatchCase(name: "final sigma equals its capital",
              detection: sel("a: 'ΟΔΥΣΣΕΥΣ'"), event: #"{"a":"οδυσσευς"}"#, expected: true),
    MatchCase(name: "final sigma ends with its capital",
              detection: sel("a|endswith: 'ΣΥΦΟΣ'"), event: #"{"a":"σίσυφος"}"#, expected: true),
    MatchCase(name: "strings match case-insensitively",
              detection: sel(#"Image: 'C:\Windows\cmd.exe'"#),
              event: #"{"Image":"c:\\windows\\CMD.EXE"}"#, expected: true),
    MatchCase(name: "cased refuses another case", detection: sel("Image|cased: cmd.exe"),
              event: #"{"Image":"CMD.exe"}"#, expected: false),
    MatchCase(name: "cased accepts the same case", detection: sel("Image|cased: cmd.exe"),
              event: #"{"Image":"cmd.exe"}"#, expected: true),
    MatchCase(name: "number equals numeric string", detection: sel("EventID: 4624"),
              event: #"{"EventID":"4624"}"#, expected: true),
    // A plain integer spelt otherwise than its decimal is also that
    // spelling: an ECS file mode is the text "0777".
    MatchCase(name: "a zero-led integer equals its spelling", detection: sel("m: 0777"),
              event: #"{"m":"0777"}"#, expected: true),
    MatchCase(name: "a zero-led integer equals its number", detection: sel("m: 0777"),
              event: #"{"m":777}"#, expected: true),
    MatchCase(name: "a signed integer equals its spelling", detection: sel("n: +5"),
              event: #"{"n":"+5"}"#, expected: true),
    MatchCase(name: "a zero-led integer is not another spelling", detection: sel("m: 0777"),
              event: #"{"m":"00777"}"#, expected: false),
    // neq negates that same equality; all and cased keep it.
    MatchCase(name: "neq of a zero-led integer refuses its spelling",
              detection: sel("m|neq: 0777"), event: #"{"m":"0777"}"#, expected: false),
    MatchCase(name: "neq of a zero-led integer takes another value",
              detection: sel("m|neq: 0777"), event: #"{"m":"0755"}"#, expected: true),
    MatchCase(name: "all of a zero-led integer takes its spelling",
              detection: sel("m|all: [0777]"), event: #"{"m":"0777"}"#, expected: true),
    MatchCase(name: "cased zero-led integer takes its spelling",
              detection: sel("m|cased: 0777"), event: #"{"m":"0777"}"#, expected: true),
    // A plain YAML float is the number (1.0 is 1, 1e3 is 1000) and its
    // own spelling: a version 1.10 is still found as written.
    MatchCase(name: "a float equals the event's number", detection: sel("n: 1.0"),
              event: #"{"n":1.0}"#, expected: true),
    MatchCase(name: "a float equals the event's integer", detection: sel("n: 1.0"),
              event: #"{"n":1}"#, expected: true),
    MatchCase(name: "a float equals its own spelling", detection: sel("n: 1.0"),
              event: #"{"n":"1.0"}"#, expected: true),
    MatchCase(name: "an exponent equals the event's number", detection: sel("n: 1e3"),
              event: #"{"n":1000}"#, expected: true),
    MatchCase(name: "a version-like float keeps its spelling", detection: sel("v: 1.10"),
              event: #"{"v":"1.10"}"#, expected: true),
    MatchCase(name: "a float is not another number", detection: sel("n: 1.5"),
              event: #"{"n":15}"#, expected: false),
    MatchCase(name: "a quoted float is text only", detection: sel("n: '1.0'"),
              event: #"{"n":1}"#, expected: false),
    // Under a text modifier a float is its spelling alone: `1.0` is not `1`,
    // found in every "15".
    MatchCase(name: "contains a float is its spelling", detection: sel("c|contains: 1.0"),
              event: #"{"c":"run 15 times"}"#, expected: false),
    MatchCase(name: "startswith a float is its spelling", detection: sel("c|startswith: 10.0"),
              event: #"{"c":"100 bottles"}"#, expected: false),
    MatchCase(name: "contains a float finds its spelling", detection: sel("c|contains: 5.0"),
              event: #"{"c":"Mozilla/5.0 (X11)"}"#, expected: true),
    MatchCase(name: "numeric string equals number", detection: sel("EventID: '4624'"),
              event: #"{"EventID":4624}"#, expected: true),
    MatchCase(name: "hex string stays a string", detection: sel("Options: '0x17'"),
              event: #"{"Options":23}"#, expected: false),
    MatchCase(name: "hex string equals itself", detection: sel("Options: '0x17'"),
              event: #"{"Options":"0X17"}"#, expected: true),
    MatchCase(name: "leading star is endswith", detection: sel(#"Image: '*\cmd.exe'"#),
              event: #"{"Image":"C:\\x\\cmd.exe"}"#, expected: true),
    MatchCase(name: "question mark takes one character", detection: sel("Name: prog?.exe"),
              event: #"{"Name":"progA.exe"}"#, expected: true),
    MatchCase(name: "question mark needs a character", detection: sel("Name: prog?.exe"),
              event: #"{"Name":"prog.exe"}"#, expected: false),
    MatchCase(name: "escaped star is a plain star", detection: sel(#"Name: 'a\*b'"#),
              event: #"{"Name":"a*b"}"#, expected: true),
    MatchCase(name: "escaped star is not a wildcard", detection: sel(#"Name: 'a\*b'"#),
              event: #"{"Name":"axxb"}"#, expected: false),
    MatchCase(name: "double backslash then star: backslash and wildcard",
              detection: sel(#"Name: 'a\\*'"#), event: #"{"Name":"a\\zzz"}"#, expected: true),
    MatchCase(name: "escaped question mark", detection: sel(#"Name: 'why\?'"#),
              event: #"{"Name":"whyx"}"#, expected: false),
    MatchCase(name: "list of values is OR", detection: sel("EventID:\n    - 1\n    - 2"),
              event: #"{"EventID":2}"#, expected: true),
    MatchCase(name: "map is AND", detection: sel("A: x\nB: y"),
              event: #"{"A":"x","B":"z"}"#, expected: false),
    MatchCase(name: "list of maps is OR",
              detection: "selection:\n    - A: x\n    - B: y\ncondition: selection",
              event: #"{"A":"q","B":"y"}"#, expected: true),
    MatchCase(name: "contains|all needs every value",
              detection: sel("CommandLine|contains|all:\n    - ' -a '\n    - ' -b '"),
              event: #"{"CommandLine":"cmd -a -b x"}"#, expected: true),
    MatchCase(name: "contains|all fails on one missing value",
              detection: sel("CommandLine|contains|all:\n    - ' -a '\n    - ' -b '"),
              event: #"{"CommandLine":"cmd -a x"}"#, expected: false),
    MatchCase(name: "endswith on a list field: any element", detection: sel("tags|endswith: vip"),
              event: #"{"tags":["a","corp-VIP"]}"#, expected: true),
    MatchCase(name: "startswith", detection: sel("User|startswith: adm_"),
              event: #"{"User":"ADM_joe"}"#, expected: true),
    MatchCase(name: "list field: any element matches", detection: sel("Tags: VIP"),
              event: #"{"Tags":["critical","vip"]}"#, expected: true),
    MatchCase(name: "gte on a list is true when any value is", detection: sel("Crit|gte: 80"),
              event: #"{"Crit":[10,85]}"#, expected: true),
    MatchCase(name: "gte on a list is false when no value is", detection: sel("Crit|gte: 80"),
              event: #"{"Crit":[10,79]}"#, expected: false),
    MatchCase(name: "gt on a numeric string field", detection: sel("Size|gt: 100"),
              event: #"{"Size":"150"}"#, expected: true),
    MatchCase(name: "gt on a non-numeric string", detection: sel("Size|gt: 100"),
              event: #"{"Size":"abc"}"#, expected: false),
    MatchCase(name: "lt and lte bounds", detection: sel("N|lt: 5\nM|lte: 5"),
              event: #"{"N":4,"M":5}"#, expected: true),
    // Past 2^53 a double holds every other integer only: 2^53 + 1 read as
    // 2^53 was not greater than it.
    MatchCase(name: "gt past 2^53 is exact", detection: sel("N|gt: 9007199254740992"),
              event: #"{"N":9007199254740993}"#, expected: true),
    MatchCase(name: "gte past 2^53 is exact", detection: sel("N|gte: 9007199254740993"),
              event: #"{"N":9007199254740992}"#, expected: false),
    MatchCase(name: "lt past Int64 is exact", detection: sel("N|lt: 18446744073709551615"),
              event: #"{"N":18446744073709551614}"#, expected: true),
    MatchCase(name: "an integer and a decimal compare", detection: sel("N|gt: 4.5"),
              event: #"{"N":5}"#, expected: true),
    MatchCase(name: "lte of equal integer and decimal", detection: sel("N|lte: 5"),
              event: #"{"N":5.0}"#, expected: true),
    MatchCase(name: "a number past Int64 equals itself", detection: sel("N: 18446744073709551615"),
              event: #"{"N":18446744073709551615}"#, expected: true),
    MatchCase(name: "a number past Int64 equals its text", detection: sel("N: '9223372036854775808'"),
              event: #"{"N":9223372036854775808}"#, expected: true),
    MatchCase(name: "a number past Int64 is not its neighbour",
              detection: sel("N: 9223372036854775809"),
              event: #"{"N":9223372036854775808}"#, expected: false),
    MatchCase(name: "null matches an absent field", detection: sel("Field: null"),
              event: #"{"Other":1}"#, expected: true),
    MatchCase(name: "null matches a null field", detection: sel("Field: null"),
              event: #"{"Field":null}"#, expected: true),
    MatchCase(name: "null refuses a value", detection: sel("Field: null"),
              event: #"{"Field":"x"}"#, expected: false),
    MatchCase(name: "empty string is not null", detection: sel("Field: ''"),
              event: #"{"Other":1}"#, expected: false),
    MatchCase(name: "empty string equals empty", detection: sel("Field: ''"),
              event: #"{"Field":""}"#, expected: true),
    MatchCase(name: "exists false on absent field", detection: sel("Field|exists: false"),
              event: #"{"Other":1}"#, expected: true),
    MatchCase(name: "exists true on a null field", detection: sel("Field|exists: true"),
              event: #"{"Field":null}"#, expected: true),
    // pySigma reads YAML 1.1: `yes` and `no` are booleans there.
    MatchCase(name: "exists yes as pySigma reads it", detection: sel("Field|exists: yes"),
              event: #"{"Field":"x"}"#, expected: true),
    MatchCase(name: "exists no as pySigma reads it", detection: sel("Field|exists: no"),
              event: #"{"Field":"x"}"#, expected: false),
    MatchCase(name: "dotted and nested keys are one field", detection: sel("process.name: x"),
              event: #"{"process.name":"x"}"#, expected: true),
    MatchCase(name: "keywords search every string",
              detection: "keywords:\n    - mimikatz\n    - 'event::clear'\ncondition: keywords",
              event: #"{"msg":"run MIMIKATZ now"}"#, expected: true),
    MatchCase(name: "keywords do not search numbers' absence",
              detection: "keywords:\n    - mimikatz\ncondition: keywords",
              event: #"{"msg":"nothing"}"#, expected: false),
    MatchCase(name: "keywords do not search the event's time",
              detection: "keywords:\n    - '2024'\ncondition: keywords",
              event: #"{"@timestamp":"2024-05-01T10:00:00Z","msg":"logon"}"#, expected: false),
    MatchCase(name: "keywords search the event's text beside its time",
              detection: "keywords:\n    - '2024'\ncondition: keywords",
              event: #"{"@timestamp":"2024-05-01T10:00:00Z","msg":"report 2024.xlsx"}"#,
              expected: true),
    MatchCase(name: "keywords with all",
              detection: "keywords:\n    '|all':\n        - Oab\n        - ' -ExternalUrl '\ncondition: keywords",
              event: #"{"a":"Set-OabVirtualDirectory","b":"x -externalurl y"}"#, expected: true),
    MatchCase(name: "cidr IPv4 inside", detection: sel("Ip|cidr: 10.0.0.0/8"),
              event: #"{"Ip":"10.1.2.3"}"#, expected: true),
    MatchCase(name: "cidr IPv4 outside", detection: sel("Ip|cidr: 10.0.0.0/8"),
              event: #"{"Ip":"11.0.0.1"}"#, expected: false),
    MatchCase(name: "cidr IPv6 inside", detection: sel("Ip|cidr: '2001:db8::/32'"),
              event: #"{"Ip":"2001:db8:1::5"}"#, expected: true),
    MatchCase(name: "cidr IPv6 outside", detection: sel("Ip|cidr: '2001:db8::/32'"),
              event: #"{"Ip":"2001:db9::1"}"#, expected: false),
    MatchCase(name: "cidr list is OR", detection: sel("Ip|cidr:\n    - 10.0.0.0/8\n    - 'fe80::/10'"),
              event: #"{"Ip":"fe80::1"}"#, expected: true),
    MatchCase(name: "base64 encodes the value", detection: sel("F|base64: abc"),
              event: #"{"F":"YWJj"}"#, expected: true),
    // b64(" http")[2:-2] is "h0dH", found in b64("xhttp") = "eGh0dHA=".
    MatchCase(name: "base64offset finds offset 1", detection: sel("F|base64offset|contains: http"),
              event: #"{"F":"eGh0dHA="}"#, expected: true),
    // b64("  http")[3:] is "odHRw", found in b64("xxhttp") = "eHhodHRw".
    MatchCase(name: "base64offset finds offset 2", detection: sel("F|base64offset|contains: http"),
              event: #"{"F":"eHhodHRw"}"#, expected: true),
    MatchCase(name: "base64offset misses other text", detection: sel("F|base64offset|contains: http"),
              event: #"{"F":"Zm9vYmFy"}"#, expected: false),
    // Base64 is compared as written: "AGVSBG8=" differs from b64("hello")
    // = "aGVsbG8=" in case alone, and decodes to other bytes.
    MatchCase(name: "base64 keeps the case of its text", detection: sel("F|base64: hello"),
              event: #"{"F":"AGVSBG8="}"#, expected: false),
    MatchCase(name: "base64offset keeps the case of its text",
              detection: sel("F|base64offset|contains: http"),
              event: #"{"F":"EGH0DHA="}"#, expected: false),
    // b64(utf16le("run cmd")) = "cgB1AG4AIABjAG0AZAA=", which holds "jAG0AZA" (offset 2).
    MatchCase(name: "wide then base64offset", detection: sel("F|wide|base64offset|contains: cmd"),
              event: #"{"F":"cgB1AG4AIABjAG0AZAA="}"#, expected: true),
    MatchCase(name: "windash accepts a slash", detection: sel("C|windash|contains: ' -decode '"),
              event: #"{"C":"certutil /decode x"}"#, expected: true),
    MatchCase(name: "windash accepts an en dash", detection: sel("C|contains|windash: ' -decode '"),
              event: "{\"C\":\"certutil \u{2013}decode x\"}", expected: true),
    MatchCase(name: "windash leaves inner dashes", detection: sel("C|windash: 'a-b'"),
              event: #"{"C":"a/b"}"#, expected: false),
    MatchCase(name: "re is case-sensitive", detection: sel("F|re: '^ab+c$'"),
              event: #"{"F":"ABBC"}"#, expected: false),
    MatchCase(name: "re matches", detection: sel("F|re: '^ab+c$'"),
              event: #"{"F":"abbc"}"#, expected: true),
    MatchCase(name: "re|i is caseless", detection: sel("F|re|i: '^ab+c$'"),
              event: #"{"F":"ABBC"}"#, expected: true),
    MatchCase(name: "re|m anchors at lines", detection: sel("F|re|m: '^b$'"),
              event: #"{"F":"a\nb"}"#, expected: true),
    MatchCase(name: "re without m anchors at the text", detection: sel("F|re: '^b$'"),
              event: #"{"F":"a\nb"}"#, expected: false),
    MatchCase(name: "re|s dot takes newline", detection: sel("F|re|s: 'a.b'"),
              event: #"{"F":"a\nb"}"#, expected: true),
    MatchCase(name: "re without s", detection: sel("F|re: 'a.b'"),
              event: #"{"F":"a\nb"}"#, expected: false),
    MatchCase(name: "neq differs", detection: sel("F|neq: x"), event: #"{"F":"y"}"#,
              expected: true),
    MatchCase(name: "neq equal", detection: sel("F|neq: x"), event: #"{"F":"X"}"#,
              expected: false),
    MatchCase(name: "fieldref equal caseless", detection: sel("A|fieldref: B"),
              event: #"{"A":"Bob","B":"bob"}"#, expected: true),
    MatchCase(name: "fieldref differ", detection: sel("A|fieldref: B"),
              event: #"{"A":"x","B":"y"}"#, expected: false),
    // `neq` compares two present values, as `F|neq: x` needs its field.
    MatchCase(name: "fieldref neq differ", detection: sel("A|fieldref|neq: B"),
              event: #"{"A":"x","B":"y"}"#, expected: true),
    MatchCase(name: "fieldref neq equal", detection: sel("A|fieldref|neq: B"),
              event: #"{"A":"x","B":"X"}"#, expected: false),
    MatchCase(name: "fieldref neq without the other field", detection: sel("A|fieldref|neq: B"),
              event: #"{"A":"x"}"#, expected: false),
    MatchCase(name: "fieldref neq with the other field null", detection: sel("A|fieldref|neq: B"),
              event: #"{"A":"x","B":null}"#, expected: false),
    MatchCase(name: "fieldref neq without its own field", detection: sel("A|fieldref|neq: B"),
              event: #"{"B":"x"}"#, expected: false),
    MatchCase(name: "fieldref neq with its own field null", detection: sel("A|fieldref|neq: B"),
              event: #"{"A":null,"B":"x"}"#, expected: false),
    MatchCase(name: "utf16le encodes", detection: sel("F|utf16le|contains: ab"),
              event: "{\"F\":\"xa\\u0000b\\u0000\"}", expected: true),
]

let conditionCases: [MatchCase] = [
    MatchCase(name: "not over a missing field is true",
              detection: "selection:\n    A: x\nfilter:\n    User: admin\ncondition: selection and not filter",
              event: #"{"A":"x"}"#, expected: true),
    MatchCase(name: "not over a present match is false",
              detection: "selection:\n    A: x\nfilter:\n    User: admin\ncondition: selection and not filter",
              event: #"{"A":"x","User":"Admin"}"#, expected: false),
    MatchCase(name: "1 of selection_* with several matching",
              detection: "selection_a:\n    A: x\nselection_b:\n    B: y\ncondition: 1 of selection_*",
              event: #"{"A":"x","B":"y"}"#, expected: true),
    MatchCase(name: "1 of selection_* with none matching",
              detection: "selection_a:\n    A: x\nselection_b:\n    B: y\ncondition: 1 of selection_*",
              event: #"{"A":"q"}"#, expected: false),
    MatchCase(name: "all of selection_* needs both",
              detection: "selection_a:\n    A: x\nselection_b:\n    B: y\ncondition: all of selection_*",
              event: #"{"A":"x"}"#, expected: false),
    MatchCase(name: "1 of them skips underscore names",
              detection: "_hidden:\n    A: x\nshown:\n    B: y\ncondition: 1 of them",
              event: #"{"A":"x"}"#, expected: false),
    MatchCase(name: "all of them",
              detection: "one:\n    A: x\ntwo:\n    B: y\ncondition: all of them",
              event: #"{"A":"x","B":"y"}"#, expected: true),
    // or binds least: a or (b and (not c)).
    MatchCase(name: "precedence: b and not c false",
              detection: "a:\n    A: 1\nb:\n    B: 1\nc:\n    C: 1\ncondition: a or b and not c",
              event: #"{"A":0,"B":1,"C":1}"#, expected: false),
    MatchCase(name: "precedence: a alone wins",
              detection: "a:\n    A: 1\nb:\n    B: 1\nc:\n    C: 1\ncondition: a or b and not c",
              event: #"{"A":1,"B":0,"C":1}"#, expected: true),
    MatchCase(name: "parentheses regroup",
              detection: "a:\n    A: 1\nb:\n    B: 1\nc:\n    C: 1\ncondition: (a or b) and not c",
              event: #"{"A":1,"B":0,"C":1}"#, expected: false),
    MatchCase(name: "not binds tighter than and",
              detection: "a:\n    A: 1\nb:\n    B: 1\ncondition: not a and b",
              event: #"{"A":0,"B":1}"#, expected: true),
    MatchCase(name: "1 of pattern inside not",
              detection: "sel:\n    A: 1\nfilter_a:\n    B: 1\nfilter_b:\n    C: 1\ncondition: sel and not 1 of filter_*",
              event: #"{"A":1,"C":1}"#, expected: false),
    MatchCase(name: "condition list is OR",
              detection: "a:\n    A: 1\nb:\n    B: 1\ncondition:\n    - a\n    - b",
              event: #"{"B":1}"#, expected: true),
]

@Suite struct ModifierTests {
    @Test(arguments: valueCases)
    func valueRule(_ item: MatchCase) throws {
        let harness = try RuleHarness(detection: item.detection)
        #expect(try harness.matches(item.event) == item.expected, "\(item.name)")
    }

    @Test(arguments: conditionCases)
    func conditionRule(_ item: MatchCase) throws {
        let harness = try RuleHarness(detection: item.detection)
        #expect(try harness.matches(item.event) == item.expected, "\(item.name)")
    }

    /// Asset fields come from enrichment, merged by the caller (the parser drops
    /// input fields under sekoiaio.any_asset).
    @Test func assetFieldsAreListFields() throws {
        let tags = try RuleHarness(detection: sel("sekoiaio.any_asset.tags: VIP"))
        #expect(try tags.matches("{}", assets: ["sekoiaio.any_asset.tags":
            [.string("critical"), .string("vip")]]))
        #expect(try !tags.matches("{}", assets: ["sekoiaio.any_asset.tags": [.string("low")]]))
        let rated = try RuleHarness(
            detection: sel("sekoiaio.any_asset.criticality_value|gte: 80"))
        #expect(try rated.matches("{}", assets: ["sekoiaio.any_asset.criticality_value":
            [.int(85), .int(10)]]))
        #expect(try !rated.matches("{}", assets: ["sekoiaio.any_asset.criticality_value":
            [.int(79), .int(10)]]))
    }

    /// A rule that runs on the example values shipped for its placeholders
    /// (`DC-*` as the domain controllers) is said to, by name; one whose
    /// placeholders the configuration gives is not.
    @Test func rulesOnShippedExamplePlaceholdersAreNamed() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-placeholders-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rule = folder.appendingPathComponent("dc.yml")
        try Data("""
            title: Logon of a DC machine account
            id: 3f1b6a52-9c1e-4d8e-8f0a-0c5d9e2b7a11
            logsource: {product: windows, service: security}
            detection:
                selection:
                    TargetUserName|expand: '%dc_machine_accounts%'
                condition: selection
            """.utf8).write(to: rule)
        let shipped = try RuleLoader.load(paths: [folder.path])
        #expect(shipped.reports.map(\.examplePlaceholders) == [["dc_machine_accounts"]])
        #expect(RuleCheckSummary(reports: shipped.reports).text.contains(
            "1 rule runs on the example values shipped for %dc_machine_accounts%"))
        let given = try RuleLoader.load(paths: [folder.path],
                                        placeholders: ["dc_machine_accounts": ["DC01$"]])
        #expect(given.reports.map(\.examplePlaceholders) == [[]])
    }

    /// A placeholder file holds text values under `placeholders` alone: a
    /// map, a null or a stray key is refused at its line (they were
    /// dropped unsaid); a number is its digits.
    @Test(arguments: [
        ("placeholders:\n  Admins: [root, {x: 1}]\n", 2),
        ("placeholders:\n  Admins: [root, null]\n", 2),
        ("placeholders:\n  Admins: [root]\nextra: 1\n", 3),
        // No values: a rule's `not` of it held on every event.
        ("placeholders:\n  Users: [joe]\n  Admins: []\n", 3),
    ])
    func aPlaceholderFileIsReadStrictly(text: String, line: Int) throws {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-placeholders-\(UUID().uuidString).yml")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            _ = try RuleLoader.loadPlaceholders(path: file.path)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error.message)")
        }
        try Data("placeholders:\n  Ports: [445, '3389']\n".utf8).write(to: file)
        #expect(try RuleLoader.loadPlaceholders(path: file.path) == ["Ports": ["445", "3389"]])
    }

    /// A rule listing tens of thousands of names (an allow list, IOC
    /// hashes) finds each by its exact value. Its index was built with a
    /// copy of the field's table per value: 50,000 took 37 s to load.
    @Test func aLongListOfExactValuesFindsEachOfThem() throws {
        let names = (0..<30_000).map { "proc\($0).exe" }
        let harness = try RuleHarness(detection: "selection:\n    process.name:\n"
                                      + names.map { "        - \($0)\n" }.joined()
                                      + "condition: selection")
        for name in ["proc0.exe", "PROC17321.EXE", "proc29999.exe"] {
            #expect(try harness.matches(#"{"process":{"name":"\#(name)"}}"#), "\(name)")
        }
        #expect(try !harness.matches(#"{"process":{"name":"proc30000.exe"}}"#))
    }

    /// `windash` lets five dash characters start each flag, up to five
    /// flags a value, counted over the whole value (a wildcard between
    /// flags multiplied the counts of its two sides), and refuses a list
    /// whose variants pass 20,000 (a list of such values reached millions
    /// of tests on every event, and a load that seemed to hang).
    @Test func windashVariantsAreBounded() throws {
        let value = SigmaString(parsing: "-a -b -c*-d -e -f -g")
        #expect(SigmaEncoding.windashVariants(value).count == 3_125)
        // Six such values make 18,744 variants beyond themselves, seven
        // 21,868; 21,000 values without a dash make none.
        let plain = (0..<21_000).map { "    - 'tool\($0).exe'\n" }.joined()
        let names = try RuleHarness(detection: "selection:\n  C|windash|endswith:\n" + plain
                                    + "condition: selection")
        #expect(try names.matches(#"{"C":"c:\\bin\\tool20999.exe"}"#))
        let six = (0..<6).map { "    - '-a -b -c -d -e \($0)'\n" }.joined()
        let accepted = try RuleHarness(detection: "selection:\n  C|windash|contains:\n" + six
                                       + "condition: selection")
        #expect(try accepted.matches(#"{"C":"x /a \u2013b -c \u2014d \u2015e 5"}"#))
        #expect(try !accepted.matches(#"{"C":"x /a \u2013b -c \u2014d \u2015e 6"}"#))
        let seven = (0..<7).map { "    - '-a -b -c -d -e \($0)'\n" }.joined()
        #expect(throws: RuleRefusal.self) {
            _ = try RuleHarness(detection: "selection:\n  C|windash|contains:\n" + seven
                                + "condition: selection")
        }
    }

    @Test func expandUsesPlaceholders() throws {
        let harness = try RuleHarness(detection: sel("User|expand: '%Admins%'"),
                                      placeholders: ["Admins": ["root", "adm_*"]])
        #expect(try harness.matches(#"{"User":"adm_joe"}"#))
        #expect(try harness.matches(#"{"User":"ROOT"}"#))
        #expect(try !harness.matches(#"{"User":"joe"}"#))
    }

    @Test func unknownPlaceholderIsRefused() {
        #expect(throws: RuleRefusal.self) {
            _ = try RuleHarness(detection: sel("User|expand: '%Nobody%'"))
        }
    }

    /// Modifiers that contradict one another, or that the test would
    /// drop, refuse the rule: `cidr|contains` tested the network alone,
    /// `lt|gt` the first comparison, `startswith|endswith` read as contains.
    @Test(arguments: [
        ("F|cidr|contains: 10.0.0.0/8", "cidr tests an address and cannot be combined with contains"),
        ("F|lt|gt: 5", "one comparison a value: lt and gt are two"),
        ("F|gt|contains: 5", "gt compares numbers and cannot be combined with contains"),
        ("F|re|i|cased: ABC", "re|i ignores case and cased keeps it"),
        ("F|startswith|endswith: abc", "startswith and endswith exclude one another"),
        ("F|contains|startswith: abc", "contains and startswith exclude one another"),
        ("sekoiaio.any_asset.criticality_value|cidr: 10.0.0.0/8",
         "never matches: cidr does not read a criticality value"),
        ("sekoiaio.any_asset.criticality_value|base64: 95",
         "never matches: base64 does not read a criticality value"),
        ("sekoiaio.any_asset.uuid|gt: 5", "never matches: gt compares numbers, and uuid is none"),
    ])
    func contradictoryModifiersAreRefused(_ selection: String, reason: String) throws {
        let text = "title: t\nid: x\ntaxonomy: ecs\ndetection:\n"
            + "    selection:\n        \(selection)\n    condition: selection\n"
        let report = try #require(try RuleLoader.load(text: text).reports.first)
        #expect(report.status == .refused)
        #expect(report.reasonCode == "invalid-modifier", "\(report)")
        #expect(report.reason?.contains(reason) == true, "\(report.reason ?? "")")
    }

    /// What rules of SigmaHQ combine stays accepted.
    @Test(arguments: ["F|base64offset|contains: abc", "F|wide|base64offset|contains: cmd",
                      "F|contains|all: [a, b]", "F|contains|windash: ' -e '",
                      "F|cidr|neq: 10.0.0.0/8", "F|re|i: abc", "F|re|cased: ABC",
                      "F|gte|all: 5", "sekoiaio.any_asset.criticality_value|gte: 70",
                      "sekoiaio.any_asset.criticality_display|startswith: hi",
                      // The digits of a number are text to these (95).
                      "sekoiaio.any_asset.criticality_value|startswith: '9'",
                      "sekoiaio.any_asset.criticality_value|re: '^9'"])
    func compatibleModifiersCompile(_ selection: String) throws {
        let text = "title: t\nid: x\ntaxonomy: ecs\ndetection:\n"
            + "    selection:\n        \(selection)\n    condition: selection\n"
        let report = try #require(try RuleLoader.load(text: text).reports.first)
        #expect(report.isOK, "\(report)")
    }

    @Test(arguments: ["hour", "minute", "frobnicate"])
    func unsupportedModifierIsRefusedByName(_ modifier: String) throws {
        let text = "title: t\nid: x\nlogsource: {product: p}\ndetection:\n"
            + "    selection:\n        F|\(modifier): 3\n    condition: selection\n"
        let set = try RuleLoader.load(text: text)
        let report = try #require(set.reports.first)
        #expect(report.status == .refused)
        #expect(report.reasonCode == "unsupported-modifier")
        #expect(report.reason?.contains("'\(modifier)'") == true)
        #expect(report.line == 6)
    }

    /// A misspelt key that changes what a rule does refuses the rule,
    /// named with its line; a document with a title and no detection is a
    /// rule missing one, not metadata to skip; the specification's own
    /// keys and a rule's custom metadata pass.
    @Test(arguments: [
        ("detections:\n    sel: {F: 1}\n    condition: sel\n", "misspelt-key", 4,
         "did you mean 'detection'?"),
        ("levle: critical\ndetection:\n    sel: {F: 1}\n    condition: sel\n", "misspelt-key",
         4, "did you mean 'level'?"),
        ("logsouce: {product: windows}\ndetection:\n    sel: {F: 1}\n    condition: sel\n",
         "misspelt-key", 4, "did you mean 'logsource'?"),
        ("level: [high]\ndetection:\n    sel: {F: 1}\n    condition: sel\n", "invalid-level",
         4, "'level' must be one text, not a list"),
        ("level: {high: 1}\ndetection:\n    sel: {F: 1}\n    condition: sel\n", "invalid-level",
         4, "not a mapping"),
        ("level: high\n", "missing-detection", 1, "no 'detection'"),
        // Sigma makes the level optional: null is none (the default's).
        ("level: null\ndetection:\n    sel: {F: 1}\n    condition: sel\n", nil, 1, ""),
        ("level: ~\ndetection:\n    sel: {F: 1}\n    condition: sel\n", nil, 1, ""),
        ("level: high\nlicense: MIT\nfields: [F]\ncustom_owner: soc\ndetection:\n"
            + "    sel: {F: 1}\n    condition: sel\n", nil, 1, ""),
        // Inside the logsource too: without its category the rule ran on
        // every event. Its `definition`, and a vendor's key, pass.
        ("logsource: {catgory: process_creation}\ndetection:\n    sel: {F: 1}\n"
            + "    condition: sel\n", "misspelt-key", 4, "did you mean 'category'?"),
        ("logsource: {category: process_creation, prodcut: windows}\ndetection:\n"
            + "    sel: {F: 1}\n    condition: sel\n", "misspelt-key", 4,
         "did you mean 'product'?"),
        ("logsource: {product: windows, definition: 'Sysmon on', vendor_feed: x}\n"
            + "detection:\n    sel: {F: 1}\n    condition: sel\n", nil, 1, ""),
        // A merge key, which libyaml does not apply, wherever it is: a
        // merged logsource was none, a merged level the default.
        ("x-common: &ls {category: process_creation}\nlogsource:\n    <<: *ls\ndetection:\n"
            + "    sel: {F: 1}\n    condition: sel\n", "merge-key-unsupported", 6,
         "merge keys ('<<') are not supported"),
        ("meta: &m {level: critical}\n<<: *m\ndetection:\n    sel: {F: 1}\n    condition: sel\n",
         "merge-key-unsupported", 5, "merge keys"),
    ] as [(String, String?, Int, String)])
    func misspeltOrMissingSectionsAreRefused(body: String, code: String?, line: Int,
                                             reason: String) throws {
        let set = try RuleLoader.load(text: "title: t\nid: x\ntaxonomy: ecs\n" + body)
        let report = try #require(set.reports.first)
        #expect(report.reasonCode == code, "\(report)")
        #expect(report.line == line)
        #expect(report.reason?.contains(reason) ?? reason.isEmpty, "\(report)")
        #expect(set.rules.count == (code == nil ? 1 : 0))
    }

    /// A list where the taxonomy or the title goes refuses the rule: read
    /// as none, `taxonomy: [ecs]` mapped the rule's ECS names as SigmaHQ's.
    @Test func aListForTheTaxonomyOrTitleIsRefused() throws {
        let detection = "detection:\n    sel: {process.name: a}\n    condition: sel\n"
        for (document, code) in [("title: t\nid: x\ntaxonomy: [ecs]\n", "invalid-taxonomy"),
                                 ("title: [a, b]\nid: x\ntaxonomy: ecs\n", "invalid-title")] {
            let set = try RuleLoader.load(text: document + detection)
            let report = try #require(set.reports.first)
            #expect(report.reasonCode == code)
            #expect(report.reason?.contains("must be one text, not a list") == true)
            #expect(set.rules.isEmpty)
        }
    }

    /// One document that is no YAML refuses itself, with its line: the
    /// rules before and after it in the file load (all were lost unsaid).
    @Test func aBrokenDocumentRefusesItselfNotItsFile() throws {
        let rule = { (id: String, value: String) in
            "title: \(id)\nid: \(id)\ntaxonomy: ecs\ndetection:\n    sel: {F: \(value)}\n"
                + "    condition: sel\n"
        }
        let text = rule("a", "1") + "---\n"
            + "title: b\nid: b\ndetection: {sel: {F: [}, condition: sel}\n" + "---\n"
            + rule("c", "3")
        // The same with Windows line ends.
        for file in [text, text.replacingOccurrences(of: "\n", with: "\r\n")] {
            let set = try RuleLoader.load(text: file)
            #expect(set.rules.map(\.id) == ["a", "c"])
            let refused = set.reports.filter { $0.status == .refused }
            #expect(refused.map(\.reasonCode) == ["invalid-yaml"])
            #expect(refused.first?.line == 10)
        }
    }

    /// A Sigma rule collection (`action: global`, whose keys the documents
    /// after it share) is refused, each of its documents: the global part
    /// ran as a rule of its own, and the others lacked what they shared.
    @Test func aRuleCollectionIsRefusedWhole() throws {
        let set = try RuleLoader.load(text: "action: global\ntitle: g\nid: g-0\n"
            + "logsource: {category: process_creation}\ndetection:\n    sel: {user.name: x}\n"
            + "    condition: sel\n---\nid: g-1\ndetection:\n    sel2: {F: 1}\n"
            + "    condition: sel2\n")
        #expect(set.rules.isEmpty)
        #expect(set.reports.map(\.reasonCode) == ["collection-unsupported", "collection-unsupported"])
        #expect(set.reports.map(\.line) == [1, 9])
        #expect(set.reports.first?.reason?.contains("'action: global' at line 1") == true)
    }

    /// A title is one line wherever it is shown: a block scalar's line
    /// breaks made rows of their own in tables and summaries.
    @Test func aTitleIsOneLine() throws {
        let set = try RuleLoader.load(text: "title: |\n    Encoded\n    PowerShell\t run\nid: x\n"
            + "taxonomy: ecs\ndetection:\n    sel: {F: 1}\n    condition: sel\n")
        #expect(set.rules.first?.title == "Encoded PowerShell run")
        #expect(set.reports.first?.title == "Encoded PowerShell run")
    }

    /// A document is a rule or a filter: one with both sections is refused
    /// (read as a rule, its filter part suppressed nothing, unsaid).
    @Test func aDocumentWithARuleAndAFilterIsRefused() throws {
        let set = try RuleLoader.load(text: "title: t\nid: x\ntaxonomy: ecs\ndetection:\n"
            + "    sel: {F: 1}\n    condition: sel\nfilter:\n    rules: ['*']\n"
            + "    selection: {F: 2}\n    condition: selection\n")
        #expect(set.rules.isEmpty && set.filters.isEmpty)
        #expect(set.reports.first?.reasonCode == "invalid-document")
    }

    /// A null with a modifier (`contains: null`) is refused: it was read as
    /// a null test, which is not what its author wrote.
    @Test func aNullWithAModifierIsRefused() throws {
        let set = try RuleLoader.load(text: "title: t\nid: x\ntaxonomy: ecs\ndetection:\n"
            + "    sel:\n        F|contains: null\n    condition: sel\n")
        #expect(set.rules.isEmpty)
        #expect(set.reports.first?.reasonCode == "invalid-value")
        #expect(set.reports.first?.line == 6)
    }

    /// `exists` takes a boolean: quoted, `'yes'` is text as `'true'` is,
    /// and both are refused (the first was taken as true).
    @Test(arguments: ["'yes'", "'true'", "\"off\""])
    func aQuotedExistsValueIsRefused(value: String) throws {
        let set = try RuleLoader.load(text: "title: t\nid: x\ntaxonomy: ecs\ndetection:\n"
            + "    sel:\n        F|exists: \(value)\n    condition: sel\n")
        #expect(set.rules.isEmpty, "\(value)")
        #expect(set.reports.first?.reasonCode == "invalid-value")
    }

    /// A filter's condition that is refused is pointed at by its own line.
    @Test func aFiltersBadConditionIsPlacedOnItsLine() throws {
        let set = try RuleLoader.load(text: "title: f\nid: f\ntaxonomy: ecs\nfilter:\n"
            + "    rules: ['*']\n    selection: {F: 1}\n    condition: selection and nope\n")
        #expect(set.reports.first?.reasonCode == "invalid-condition")
        #expect(set.reports.first?.line == 7)
    }

    /// A bad value in a list is placed on its own line and named with its
    /// field (the key's line and the bare value were all a helper saw).
    @Test(arguments: [
        ("source.ip|cidr", "10.0.0.0/8", "'300.1.1.1/8'", "invalid-value",
         "'300.1.1.1/8' is not a CIDR network (in 'source.ip|cidr')"),
        ("event.severity|lt", "5", "five", "invalid-value",
         "lt needs a number, not 'five' (in 'event.severity|lt')"),
        ("process.name|re", "a", "'a(b'", "invalid-regex", "(in 'process.name|re')"),
    ])
    func aBadListValueIsPlacedOnItsLineWithItsField(key: String, good: String, value: String,
                                                   code: String, message: String) throws {
        let set = try RuleLoader.load(text: "title: t\nid: x\ntaxonomy: ecs\ndetection:\n"
            + "    sel:\n        \(key):\n            - \(good)\n            - \(value)\n"
            + "    condition: sel\n")
        let report = try #require(set.reports.first)
        #expect(report.reasonCode == code)
        #expect(report.line == 8)
        #expect(report.reason?.contains(message) == true, "\(report.reason ?? "")")
    }

    /// An empty selection names no field and is true of every event: a
    /// rule would fire on all, a filter hide every alert. It is refused.
    @Test(arguments: ["sel: {}", "sel:\n        - {}"])
    func anEmptySelectionIsRefused(selection: String) throws {
        let set = try RuleLoader.load(text: "title: t\nid: x\ntaxonomy: ecs\ndetection:\n    "
            + selection + "\n    condition: sel\n")
        #expect(set.rules.isEmpty)
        #expect(set.reports.first?.reasonCode == "invalid-selection")
    }

    /// UUIDs are read without regard to case: a rule whose id differs from
    /// another's by case alone is a duplicate, and a filter naming the id in
    /// capitals suppresses the rule.
    @Test func ruleIDsThatAreUUIDsCompareWithoutCase() throws {
        let rule = { (id: String) in
            "title: t\nid: \(id)\ntaxonomy: ecs\ndetection:\n    sel: {F: 1}\n    condition: sel\n"
        }
        let twice = try RuleLoader.load(text: rule("abcdef00-0000-4000-8000-000000000001")
            + "---\n" + rule("ABCDEF00-0000-4000-8000-000000000001"))
        #expect(twice.rules.count == 1)
        #expect(twice.reports.map(\.reasonCode) == [nil, "duplicate-id"])
        let filtered = try RuleLoader.load(text: rule("abcdef00-0000-4000-8000-000000000001") + """
            ---
            title: f
            id: f-1
            filter:
                rules: [ABCDEF00-0000-4000-8000-000000000001]
                selection: {F: 1}
                condition: selection
            """)
        #expect(filtered.filterTargetsWithoutRule.isEmpty)
        let engine = DetectionEngine(rules: filtered.rules, filters: filtered.filters)
        let event = try JSONEventReader(engine: engine).read(#"{"F":1}"#)
        #expect(engine.evaluate(event).isEmpty, "suppressed by the filter")
    }

    /// The Sigma filter specification's own example names `User`, in the
    /// rules' taxonomy: it is mapped through the filter's log source, as
    /// the rule's `Image` is (it suppressed nothing, read as a field named
    /// `User`); an ECS name in a filter still reads as written. Winlogbeat's
    /// events carry the domain beside the name, as the corpus's Sysmon
    /// events do: the example's bare `adm_` must still suppress
    /// `CORP\adm_bob` (it read only the qualified name, and suppressed
    /// nothing on real events).
    @Test(arguments: ["User|startswith: 'adm_'", "user.name|startswith: 'adm_'"])
    func filtersReadSigmaNamesThroughTheirLogSource(selection: String) throws {
        let set = try RuleLoader.load(text: """
            title: Data compressed with rar
            id: 6f3e2987-db24-4c78-a860-b4f4095a7095
            logsource: {category: process_creation, product: windows}
            detection:
                selection:
                    Image|endswith: '\\rar.exe'
                condition: selection
            ---
            title: Filter Administrator account
            logsource: {category: process_creation, product: windows}
            filter:
                rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
                selection:
                    \(selection)
                condition: selection
            """, mapping: .builtIn)
        #expect(set.reports.allSatisfy { $0.isOK }, "\(set.reports)")
        let engine = DetectionEngine(rules: set.rules, filters: set.filters)
        let reader = JSONEventReader(engine: engine)
        func matches(_ user: String, domain: String?) throws -> Bool {
            let domainMember = domain.map { #","domain":"\#($0)""# } ?? ""
            return !engine.evaluate(try reader.read("""
                {"event":{"provider":"Microsoft-Windows-Sysmon","code":"1"},
                 "process":{"executable":"C:\\\\Tools\\\\rar.exe"},
                 "user":{"name":"\(user)"\(domainMember)}}
                """)).isEmpty
        }
        for domain in [nil, "CORP"] {
            #expect(try matches("bob", domain: domain))
            #expect(try !matches("adm_bob", domain: domain))
        }
    }

    /// A filter naming `Image` with no logsource (or another than its
    /// rule's) read a field `Image` that ECS events lack: `not selection`
    /// suppressed every match, silently (a helper's run). Refused, named,
    /// on the field's line; the same filter with its logsource compiles.
    @Test(arguments: [nil, "{product: zeek, service: dns}",
                      "{category: process_creation, product: windows}"])
    func aFilterNamingAnotherLogSourcesFieldIsRefused(logSource: String?) throws {
        let set = try RuleLoader.load(text: """
            title: Office spawns a process
            id: r-office
            logsource: {category: process_creation, product: windows}
            detection:
                selection:
                    ParentImage|endswith: '\\winword.exe'
                condition: selection
            ---
            title: Keep only the shells
            id: f-shells
            \(logSource.map { "logsource: \($0)" } ?? "")
            filter:
                rules: [r-office]
                selection:
                    Image|endswith: '\\cmd.exe'
                condition: not selection
            """, mapping: .builtIn)
        let report = try #require(set.reports.first { $0.id == "f-shells" })
        if logSource?.contains("windows") == true {
            #expect(report.isOK, "\(report)")
            #expect(set.filters.count == 1)
        } else {
            #expect(report.reasonCode == "filter-field-of-other-logsource")
            #expect(report.line == 15)
            #expect(report.reason?.contains("'Image' is a Sigma field") == true)
            #expect(set.filters.isEmpty)
        }
    }

    /// Sigma's `User` of a Sysmon process start is `DOMAIN\user` for
    /// SigmaHQ's rules (`User|contains: AUTHORI`, `User|endswith:
    /// '\SYSTEM'`, an exact qualified name) and the bare name for a rule
    /// written in ECS terms; a test of absence holds only when both lack it.
    @Test func sysmonUserIsTheQualifiedAndTheBareName() throws {
        func holds(_ test: String, user: String?, domain: String?) throws -> Bool {
            let set = try RuleLoader.load(text: """
                title: user test
                id: 0b6d2a38-3c1e-4a55-9d51-7a3c1e0f5a01
                logsource: {category: process_creation, product: windows}
                detection:
                    selection:
                        \(test)
                    condition: selection
                """, mapping: .builtIn)
            #expect(set.reports.allSatisfy { $0.isOK }, "\(set.reports)")
            let engine = DetectionEngine(rules: set.rules, filters: set.filters)
            var members: [String] = []
            if let user { members.append(#""name":"\#(user)""#) }
            if let domain { members.append(#""domain":"\#(domain)""#) }
            let userObject = members.isEmpty ? "" : #","user":{"# + members.joined(separator: ",") + "}"
            let event = try JSONEventReader(engine: engine).read(
                #"{"event":{"provider":"Microsoft-Windows-Sysmon","code":"1"}"# + userObject + "}")
            return !engine.evaluate(event).isEmpty
        }
        #expect(try holds("User|contains: AUTHORI", user: "SYSTEM", domain: "NT AUTHORITY"))
        #expect(try holds(#"User|endswith: '\SYSTEM'"#, user: "SYSTEM", domain: "NT AUTHORITY"))
        #expect(try holds(#"User: 'NT AUTHORITY\SYSTEM'"#, user: "SYSTEM", domain: "NT AUTHORITY"))
        #expect(try holds("User: SYSTEM", user: "SYSTEM", domain: "NT AUTHORITY"))
        #expect(try !holds("User|startswith: NT", user: "bob", domain: "CORP"))
        #expect(try !holds("User|contains: AUTHORI", user: "SYSTEM", domain: nil))
        #expect(try holds("User: null", user: nil, domain: nil))
        #expect(try !holds("User: null", user: "bob", domain: nil))
        #expect(try !holds("User: null", user: "bob", domain: "CORP"))
    }

    /// A Windows level number in a rule (`Level: 4`, SigmaHQ's way to
    /// leave informational events out) is compared with the word
    /// Winlogbeat writes in log.level: the mapping's `values` table. With
    /// a modifier the value is taken as written.
    @Test func windowsLevelNumbersMatchTheWordsEventsCarry() throws {
        let set = try RuleLoader.load(text: """
            title: Not informational
            id: level-test
            logsource: {product: windows, service: application}
            detection:
                selection:
                    Provider_Name: MsiInstaller
                informational:
                    Level: 4
                written:
                    Level|contains: '4'
                condition: selection and not informational and not written
            """, mapping: .builtIn)
        #expect(set.rules.count == 1, "\(set.reports)")
        let engine = DetectionEngine(rules: set.rules, filters: [])
        let reader = JSONEventReader(engine: engine)
        func matches(_ level: String) throws -> Bool {
            !engine.evaluate(try reader.read("""
                {"winlog":{"channel":"Application","provider_name":"MsiInstaller"},
                 "log":{"level":"\(level)"}}
                """)).isEmpty
        }
        #expect(try !matches("information"))
        #expect(try matches("warning"))
        #expect(try !matches("4"), "|contains reads the value as written")
    }

    /// SigmaHQ's regression-test metadata beside its rules has neither a
    /// title nor a rule's sections: skipped without a report.
    @Test func regressionTestMetadataIsNotARule() throws {
        let set = try RuleLoader.load(text: """
            id: 5e9ac3f8-0000-4000-8000-000000000000
            description: regression data
            date: 2024-01-01
            author: someone
            rule_metadata: [{id: 1}]
            regression_tests_info: [{name: Positive}]
            """)
        #expect(set.reports.isEmpty && set.rules.isEmpty)
    }

    /// Conditions nest at most 64 levels of parentheses and `not`: 64 are
    /// compiled and run, 65 and 2,000 (which overflowed the stack) refused.
    @Test(arguments: [(64, true), (65, false), (2_000, false)])
    func conditionNestingIsBounded(levels: Int, compiles: Bool) throws {
        let condition = String(repeating: "(", count: levels / 2)
            + String(repeating: "not ", count: levels - levels / 2) + "selection"
            + String(repeating: ")", count: levels / 2)
        let text = "title: t\nid: x\nlogsource: {product: p}\ndetection:\n"
            + "    selection:\n        F: 3\n    condition: \(condition)\n"
        let set = try RuleLoader.load(text: text)
        let report = try #require(set.reports.first)
        #expect((report.status != .refused) == compiles)
        if !compiles { #expect(report.reasonCode == "invalid-condition") }
    }

    /// A condition list needs a condition, each a text: `[]` compiled into
    /// a rule that never fired, and a map in the list was left out unseen.
    /// A list of two conditions is either.
    @Test(arguments: [("[]", "the condition list is empty"),
                      ("[selection, {a: b}]", "each condition of the list must be a string"),
                      ("[selection, not selection]", nil)])
    func conditionListsHoldTexts(condition: String, refusal: String?) throws {
        let text = "title: t\nid: x\nlogsource: {product: p}\ndetection:\n"
            + "    selection:\n        F: 3\n    condition: \(condition)\n"
        let report = try #require(try RuleLoader.load(text: text).reports.first)
        if let refusal {
            #expect(report.reasonCode == "invalid-condition")
            #expect(report.line == 7)
            #expect(report.reason?.contains(refusal) == true, "\(report)")
        } else {
            #expect(report.status != .refused, "\(report)")
        }
    }

    /// Sigma quantifies with 1, any or all only: "2 of" says so, rather
    /// than that "2" is no search identifier.
    @Test func aCountOtherThanOneOfIsRefusedByName() throws {
        let text = "title: t\nid: x\nlogsource: {product: p}\ndetection:\n"
            + "    sel_a:\n        F: 3\n    sel_b:\n        G: 4\n    condition: 2 of sel_*\n"
        let report = try #require(try RuleLoader.load(text: text).reports.first)
        #expect(report.reasonCode == "invalid-condition")
        #expect(report.reason?.contains("'2 of' is not Sigma: a condition takes '1 of', "
                                        + "'any of' or 'all of'") == true, "\(report)")
    }

    @Test func catastrophicRegexEndsInACountedLimitError() throws {
        let harness = try RuleHarness(detection: sel("F|re: '^(a+)+$'"))
        let subject = String(repeating: "a", count: 40) + "!"
        #expect(try !harness.matches("{\"F\":\"\(subject)\"}"))
        #expect(harness.engine.regexLimitExceededCount == 1)
    }

    /// Ordinary patterns over long values match: PCRE2's own 32 KiB JIT
    /// stack ended them at the limit (a false "no match"), on 3 KB already
    /// for the second; each thread now has a larger one. Concurrent
    /// matches each use their own thread's stack.
    @Test(arguments: [("(ab )+END", String(repeating: "ab ", count: 5_000) + "END"),
                      ("^(a|b|\\s)+END$", String(repeating: "a b ", count: 2_000) + "END")])
    func longValuesMatch(pattern: String, subject: String) async throws {
        let regex = try PerimeterRegexFacade.make(pattern)
        #expect(try regex.matches(subject))
        let all = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { (try? regex.matches(subject)) == true } }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(all)
        #expect(regex.matchLimitExceededCount == 0)
    }

    /// An invalid pattern is quoted in part when long: a 2 MB one filled
    /// the terminal.
    @Test func aLongInvalidPatternIsQuotedInPart() throws {
        let pattern = String(repeating: "a", count: 5_000) + "("
        do {
            _ = try PerimeterRegexFacade.make(pattern)
            Issue.record("an unclosed group compiled")
        } catch {
            let text = String(describing: error)
            #expect(text.contains("(5001 characters)"))
            #expect(text.count < 300, "\(text.count)")
        }
    }

    @Test func regexItselfThrowsMatchLimitExceeded() throws {
        let regex = try PerimeterRegexFacade.make("^(a+)+$")
        let subject = String(repeating: "a", count: 40) + "!"
        #expect(throws: (any Error).self) { _ = try regex.matches(subject) }
        #expect(regex.matchLimitExceededCount == 1)
    }
}
