import PerimeterTestSupport
import Testing
@testable import PerimeterHTTP

@Suite struct PercentDecodingTests {
    @Test(arguments: [
        ("plain", true, "plain"),
        ("CORP%5Cadmin", true, "CORP\\admin"),
        ("10.0.0.0%2F8", true, "10.0.0.0/8"),
        ("a+b", true, "a b"),
        ("a+b", false, "a+b"),
        ("a%2Bb", true, "a+b"),
        ("%C3%A9t%C3%A9", true, "été"),
        ("%e2%82%ac", false, "€"),
        ("", true, ""),
    ])
    func decodes(input: String, plusIsSpace: Bool, expected: String) {
        #expect(PercentDecoding.decode(input[...], plusIsSpace: plusIsSpace) == expected)
    }

    @Test(arguments: ["%", "%4", "%zz", "abc%", "%C3", "%FF%FE"])
    func refusesBrokenEscapes(input: String) {
        #expect(PercentDecoding.decode(input[...], plusIsSpace: true) == nil)
    }
}
