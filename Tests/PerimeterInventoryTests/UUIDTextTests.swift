import Foundation
import PerimeterModel
import Testing

@Suite struct UUIDTextTests {
    @Test(arguments: [
        ("6F1C2A3B-0D4E-4F5A-8B9C-0D1E2F3A4B5C", "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b5c"),
        ("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"),
        ("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "ffffffff-ffff-ffff-ffff-ffffffffffff"),
    ])
    func textIsLowerCaseWithDashesAt8_13_18_23(_ input: String, _ expected: String) {
        let id = UUID(uuidString: input)!
        #expect(id.lowercasedText == expected)
        var bytes: [UInt8] = Array("[".utf8)
        id.appendLowercasedText(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "[" + expected)
    }

    @Test func byteOrderIsTextOrder() {
        let a = UUID(uuidString: "0000000A-0000-0000-0000-000000000000")!
        let b = UUID(uuidString: "000000A0-0000-0000-0000-000000000000")!
        #expect(a.sortsBefore(b) && !b.sortsBefore(a) && !a.sortsBefore(a))
        for _ in 0..<200 {
            let (x, y) = (UUID(), UUID())
            #expect(x.sortsBefore(y) == (x.lowercasedText < y.lowercasedText))
        }
    }
}
