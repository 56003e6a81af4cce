import Foundation
import PerimeterEnrichment
import PerimeterInventory
import PerimeterModel
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
