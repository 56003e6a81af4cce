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

    @Test func exactTextReadsEitherCaseAndWholeSubstrings() {
        let expected = UUID(uuidString: "6F1C2A3B-0D4E-4F5A-8B9C-0D1E2F3A4B5C")!
        #expect(UUID(exactText: "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b5c") == expected)
        #expect(UUID(exactText: "6F1C2A3B-0D4E-4F5A-8B9C-0D1E2F3A4B5C") == expected)
        let framed = "/assets/6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b5c/"
        #expect(UUID(exactText: framed.dropFirst(8).dropLast()) == expected)
        for _ in 0..<100 {
            let id = UUID()
            #expect(UUID(exactText: id.lowercasedText) == id)
            #expect(UUID(exactText: id.uuidString) == id)
        }
    }

    @Test(arguments: [
        "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b5",        // 35 characters
        "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b5c0",      // 37
        "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b5\u{0}",  // a NUL where a digit goes
        "6f1c2a3b0d4e-4f5a-8b9c-0d1e2f3a4b5c-",       // dash out of place
        "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b5g",       // not hexadecimal
        "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b:c",       // the byte after '9'
        "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b@c",       // the byte before 'A'
        "6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4bé",        // 36 bytes, 35 characters
        "{6f1c2a3b-0d4e-4f5a-8b9c-0d1e2f3a4b5c}",
        "",
    ])
    func exactTextRefusesAnythingElse(_ text: String) {
        #expect(UUID(exactText: text) == nil)
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

@Suite struct HexDigitTests {
    @Test func everyByteHasTheValueOfItsDigitOrNone() {
        // Worked out from the ASCII table: 0-9 at 0x30-0x39, A-F at
        // 0x41-0x46, a-f at 0x61-0x66; every other byte is no digit.
        for byte in UInt8.min...UInt8.max {
            let expected: UInt8? = switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
            #expect(HexDigit.value(byte) == expected, "byte \(byte)")
        }
    }
}

@Suite struct TagSpellingTests {
    @Test func aSetKeepsTheFirstSpellingOfEachTag() {
        var tags: Set<String> = ["Tier0"]
        tags.addTags(["TIER0", "vip", "VIP", "Équipe", "équipe"])
        // ASCII letters fold; É and é stay two tags, as NOCASE has them.
        #expect(tags == ["Tier0", "vip", "Équipe", "équipe"])
        // ÉQUIPE folds to Équipe (its É kept), so only that one goes.
        tags.removeTags(["tier0", "Vip", "ÉQUIPE"])
        #expect(tags == ["équipe"])
        #expect(TagSpelling.folded("DC-01_Prod") == "dc-01_prod")
        #expect(TagSpelling.folded("ok") == "ok")
    }

    @Test func composedTextIsNFC() {
        let decomposed = "Cafe\u{301}"
        #expect(Array(decomposed.composedText.unicodeScalars) == Array("Café".unicodeScalars))
        #expect(decomposed.unicodeScalars.count == 5)
        #expect("plain".composedText == "plain")
    }
}
