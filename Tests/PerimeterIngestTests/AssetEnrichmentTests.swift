import Foundation
import PerimeterEnrichment
import PerimeterInventory
import PerimeterModel
import PerimeterTestSupport
import Testing

/// The `sekoiaio` members of SPEC §5, written out by hand for three
/// assets: a domain controller and an admin account rated 90, and an
/// unrated host that shares the controller's name.
@Suite struct AssetEnrichmentTests {
    static let created = Date(timeIntervalSince1970: 1_714_000_000)

    static func asset(_ last: String, _ name: String, _ category: AssetCategory,
                      criticality: Int?, tags: Set<String>) -> Asset {
        Asset(id: UUID(uuidString: "00000000-0000-0000-0000-0000000000\(last)")!, name: name,
              category: category, criticality: criticality.map { try! Criticality($0) },
              tags: tags, source: .manual, community: "acme", createdAt: created)
    }

    /// In enrichment order: rated highest first (ties by uuid), unrated last.
    let enrichment = AssetEnrichment(
        assets: [asset("0a", "DC-01", .host, criticality: 90, tags: ["vip", "ad"]),
                 asset("0b", #"CORP\admin"#, .account, criticality: 90, tags: ["ad"]),
                 asset("0c", "DC-01", .host, criticality: nil, tags: [])],
        bounds: .standard, isAmbiguous: true)

    let a = "00000000-0000-0000-0000-00000000000a"
    let b = "00000000-0000-0000-0000-00000000000b"
    let c = "00000000-0000-0000-0000-00000000000c"

    @Test func detectionViewListsEveryFieldOnceInAssetOrder() {
        var output: [UInt8] = []
        enrichment.appendSekoiaioMembers(view: .detection, to: &output)
        let expected = #""any_asset":{"tags":["ad","vip"],"uuid":[""# + a + #"",""# + b + #"",""#
            + c + #""],"name":["DC-01","CORP\\admin"],"criticality_display":["high","unrated"],"#
            + #""criticality_value":[90],"ambiguous":true},"#
            + #""assets":{"account":{"uuid":[""# + b + #""],"name":["CORP\\admin"],"#
            + #""criticality_value":[90]},"host":{"uuid":[""# + a + #"",""# + c + #""],"#
            + #""name":["DC-01"],"criticality_value":[90]}}"#
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    @Test func indexedViewKeepsUUIDNameAndValueOnly() {
        var output: [UInt8] = []
        enrichment.appendSekoiaioMembers(view: .indexed, to: &output)
        // No tags, displays or ambiguity mark; the per-category member follows.
        #expect(String(decoding: output, as: UTF8.self).hasPrefix(
            #""any_asset":{"uuid":[""# + a + #"",""# + b + #"",""# + c
                + #""],"name":["DC-01","CORP\\admin"],"criticality_value":[90]},"assets":{"#))
    }

    @Test func fieldsForDetectionAreTheSameLists() {
        #expect(enrichment.tags == ["ad", "vip"])
        #expect(enrichment.names == ["DC-01", #"CORP\admin"#])
        #expect(enrichment.criticalityDisplays == ["high", "unrated"])
        #expect(enrichment.criticalityValues == [90])
        #expect(enrichment.categories.map(\.0) == [.account, .host])
        #expect(enrichment.categories.last?.1.uuids == [a, c])
    }

    @Test func noAssetWritesNothing() {
        var output: [UInt8] = []
        let empty = AssetEnrichment(cards: [], bounds: .standard, isAmbiguous: true)
        empty.appendSekoiaioMembers(view: .detection, to: &output)
        #expect(output.isEmpty)
        #expect(!empty.isAmbiguous)
    }
}

/// The members written for detection, read back by Foundation's JSON
/// parser, hold the same lists as the enrichment's own fields, for
/// assets with names and tags that need escaping and repeat across them.
@Suite struct AssetEnrichmentOutputTests {
    static let names = ["DC-01", #"CORP\admin"#, "say \"hi\"", "tab\there", "café ☃",
                        "\u{01}ctl", String(repeating: "\u{1F}", count: 40), ""]
    static let tags = ["vip", "ad", "pci \"zone\"", "x\\y", "\u{02}"]

    @Test(arguments: 0..<40)
    func membersReadBackAsTheFieldLists(_ seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed))
        let count = 1 + Int(generator.next() % 5)
        let assets = (0..<count).map { _ in
            Asset(name: Self.names[Int(generator.next() % UInt64(Self.names.count))],
                  category: AssetCategory.allCases[Int(generator.next() % 3)],
                  criticality: generator.next() % 3 == 0 ? nil
                      : try! Criticality(Int(generator.next() % 101)),
                  tags: Set(Self.tags.filter { _ in generator.next() % 2 == 0 }),
                  source: .manual, community: "acme", createdAt: Date())
        }
        // The inventory's order: rated highest first, then uuid.
        let ordered = assets.sorted { a, b in
            switch (a.criticality?.value, b.criticality?.value) {
            case let (x?, y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.id.sortsBefore(b.id)
            }
        }
        let enrichment = AssetEnrichment(assets: ordered, bounds: .standard,
                                         isAmbiguous: seed % 2 == 0)
        var output = Array("{".utf8)
        enrichment.appendSekoiaioMembers(view: .detection, to: &output)
        output.append(UInt8(ascii: "}"))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(output)) as? [String: Any])
        let any = try #require(object["any_asset"] as? [String: Any])
        #expect(any["uuid"] as? [String] == enrichment.uuids)
        #expect(any["name"] as? [String] == enrichment.names)
        #expect(any["tags"] as? [String] == enrichment.tags)
        #expect(any["criticality_display"] as? [String] == enrichment.criticalityDisplays)
        #expect(any["criticality_value"] as? [Int] == enrichment.criticalityValues)
        #expect((any["ambiguous"] as? Bool ?? false) == enrichment.isAmbiguous)
        let perCategory = try #require(object["assets"] as? [String: [String: Any]])
        #expect(Set(perCategory.keys) == Set(enrichment.categories.map(\.0.rawValue)))
        for (category, fields) in enrichment.categories {
            let written = try #require(perCategory[category.rawValue])
            #expect(written["uuid"] as? [String] == fields.uuids)
            #expect(written["name"] as? [String] == fields.names)
            #expect(written["criticality_value"] as? [Int] == fields.criticalityValues)
        }
    }
}
