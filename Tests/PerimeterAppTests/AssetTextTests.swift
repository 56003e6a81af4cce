import Foundation
@testable import PerimeterApp
import PerimeterInventory
import PerimeterModel
import Testing

/// The asset table and page as a terminal shows them: columns aligned by
/// the columns characters take, names cut between characters, and no
/// value able to pass for another field or hide what it holds.
@Suite struct AssetTextTests {
    static func host(_ name: String, description: String = "",
                     properties: [String: PropertyValue] = [:]) -> Asset {
        Asset(name: name, category: .host, source: .manual, description: description,
              properties: properties,
              community: "default", createdAt: Date(timeIntervalSince1970: 0))
    }

    @Test func terminalColumns() {
        #expect(Terminal.columns(of: "abc") == 3)
        #expect(Terminal.columns(of: "東京") == 4)
        #expect(Terminal.columns(of: "🔥") == 2)
        #expect(Terminal.columns(of: "e\u{301}") == 1)      // one letter with its accent
        #expect(Terminal.columns(of: "❤\u{FE0F}") == 2)      // drawn as a picture
        #expect(Terminal.columns(of: "#") == 1)
    }

    /// Cut at whole characters to the width, the ellipsis its last column
    /// (an emoji cut in half showed U+FFFD).
    @Test func clippingKeepsWholeCharacters() {
        #expect(Terminal.clipped("abcdef", to: 4) == "abc…")
        #expect(Terminal.clipped("🔥🔥🔥🔥", to: 6) == "🔥🔥…")
        #expect(Terminal.clipped("🔥🔥🔥", to: 6) == "🔥🔥🔥")
        #expect(Terminal.clipped("東京東京", to: 4) == "東…")
        #expect(Terminal.padded("東京", to: 6) == "東京  ")
        #expect(Terminal.padded("toolong", to: 3) == "toolong")
    }

    /// Every row's CATEGORY column starts at one place, whatever the
    /// names' scripts; an invisible character in a name is written out.
    @Test func tableColumnsAlign() throws {
        let assets = [Self.host("abc🔥def"), Self.host("東京サーバー"), Self.host("zero\u{200B}width"),
                      Self.host("plain"), Self.host(String(repeating: "🔥", count: 20))]
        let table = AssetTable.render(assets, attachments: [:], bounds: .standard,
                                      addressExpiry: .days(7))
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        let starts = try lines.map { line -> Int in
            let range = try #require(line.range(of: "host") ?? line.range(of: "CATEGORY"))
            return Terminal.columns(of: String(line[..<range.lowerBound]))
        }
        #expect(Set(starts).count == 1, "\(table)")
        #expect(table.contains("zero\\u{200B}width"))
        #expect(!table.unicodeScalars.contains("\u{FFFD}"))
        #expect(table.contains(String(repeating: "🔥", count: 15) + "…"), "\(table)")
    }

    /// A description or property of several lines shows its later lines
    /// indented and marked: `  reviewed      yes` in a description read as
    /// the asset's own field.
    @Test func pageValuesCannotPassForFields() {
        let asset = Self.host("spoof", description: "fine\n  reviewed      yes",
                              properties: ["owner": .string("alice\r\n  criticality   100")])
        let page = AssetPage.render(asset, attachments: [], activity: [], conflicts: [],
                                    audit: [], bounds: .standard)
        let lines = page.split(separator: "\n").map(String.init)
        #expect(lines.contains("  description   fine"))
        #expect(lines.contains("              |   reviewed      yes"))
        #expect(lines.contains("  owner                    alice"))
        #expect(lines.contains("                         |   criticality   100"))
        #expect(!lines.contains { $0.hasPrefix("  reviewed      yes") })
        #expect(!lines.contains { $0.hasPrefix("  criticality   100") })
    }
}
