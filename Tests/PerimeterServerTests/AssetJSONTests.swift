import Foundation
import PerimeterInventory
import PerimeterModel
@testable import PerimeterServer
import Testing

/// Lists and exports write an asset's JSON directly; Foundation's writer,
/// over the same fields as `AssetJSON.object`, is the reference: both texts
/// must parse to the same object, for assets of every shape.
@Suite struct AssetJSONTests {
    private static let bounds = CriticalityBounds(mediumFrom: 40, highFrom: 70)
    private static let expiry = Duration.seconds(86_400)

    @Test func everyShapeOfAssetReadsAsFoundationWritesIt() throws {
        var random = SeededGenerator(seed: 20_261_206)
        for _ in 0..<500 {
            let (asset, attachments) = Self.randomAsset(&random)
            let reference = try JSONSerialization.data(
                withJSONObject: AssetJSON.object(asset, attachments: attachments,
                                                 bounds: Self.bounds, addressExpiry: Self.expiry),
                options: [.sortedKeys, .withoutEscapingSlashes])
            let direct = AssetJSON.line(asset, attachments: attachments, bounds: Self.bounds,
                                        addressExpiry: Self.expiry)
            let expected = try JSONSerialization.jsonObject(with: reference) as? NSDictionary
            let written = try JSONSerialization.jsonObject(with: Data(direct.utf8)) as? NSDictionary
            #expect(written != nil && written == expected, "\(direct)")
        }
    }

    /// With property names Foundation's collation and byte order sort alike,
    /// the texts are the same byte for byte: members in the same order.
    @Test func membersComeInFoundationsOrder() throws {
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let asset = Asset(name: "dc-01 \"main\"\n", category: .host, subcategory: .server,
                          criticality: try Criticality(90), tags: ["tier0", "ad"], reviewed: true,
                          source: .automatic(rule: "unique_hosts"), description: "a/b\\c",
                          properties: ["owner": .string("it"), "rack": .number(12),
                                       "ports": .list(["88", "389"]), "patched": .boolean(false)],
                          community: "acme", entity: "paris", createdAt: created,
                          firstSeen: created, lastSeen: created.addingTimeInterval(60))
        let key = AtomKey(scope: ScopeKey(community: "acme"),
                          atom: Atom(type: .ipv4, normalizedValue: "10.0.0.1"))
        let attachments = [
            PerimeterInventory.Attachment(id: 1, key: key, asset: asset.id, kind: .observed,
                       from: EventTime(milliseconds: 1_700_000_000_000), origin: "e:1"),
            PerimeterInventory.Attachment(id: 2, key: key, asset: asset.id, kind: .confirmed, from: .distantPast,
                       to: .distantPast, origin: "analyst"),
        ]
        let reference = try JSONSerialization.data(
            withJSONObject: AssetJSON.object(asset, attachments: attachments, bounds: Self.bounds,
                                             addressExpiry: Self.expiry),
            options: [.sortedKeys, .withoutEscapingSlashes])
        #expect(AssetJSON.line(asset, attachments: attachments, bounds: Self.bounds,
                               addressExpiry: Self.expiry)
                == String(decoding: reference, as: UTF8.self))
    }

    private static func randomAsset(_ random: inout SeededGenerator) -> (Asset, [PerimeterInventory.Attachment]) {
        func text(_ random: inout SeededGenerator) -> String {
            let pieces = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{7F}", "é",
                          "\u{2028}", "日本", "🙂", "-", "_", "."]
            return (0..<Int.random(in: 0...12, using: &random))
                .map { _ in pieces.randomElement(using: &random)! }.joined()
        }
        let category = AssetCategory.allCases.randomElement(using: &random)!
        var properties: [String: PropertyValue] = [:]
        for index in 0..<Int.random(in: 0...4, using: &random) {
            let name = "p\(index)_" + ["os", "owner", "rack"].randomElement(using: &random)!
            properties[name] = switch Int.random(in: 0..<4, using: &random) {
            case 0: .string(text(&random))
            case 1: .number([0, 12, -3, 1.5, 0.1, 1e20, 123_456_789_012].randomElement(using: &random)!)
            case 2: .boolean(Bool.random(using: &random))
            default: .list((0..<Int.random(in: 0...3, using: &random)).map { _ in text(&random) })
            }
        }
        let created = Date(timeIntervalSince1970: Double(Int.random(in: 0...2_000_000_000,
                                                                     using: &random)))
        let asset = Asset(
            name: text(&random), category: category,
            subcategory: Bool.random(using: &random) ? category.subcategories.first : nil,
            criticality: Bool.random(using: &random)
                ? try? Criticality(Int.random(in: 1...100, using: &random)) : nil,
            tags: Set((0..<Int.random(in: 0...3, using: &random)).map { _ in text(&random) }),
            reviewed: Bool.random(using: &random),
            source: [.manual, .automatic(rule: "unique_hosts"), .connector(name: "cmdb")]
                .randomElement(using: &random)!,
            description: text(&random), properties: properties, community: text(&random),
            entity: Bool.random(using: &random) ? text(&random) : nil, createdAt: created,
            updatedAt: created.addingTimeInterval(5),
            firstSeen: Bool.random(using: &random) ? created : nil,
            lastSeen: Bool.random(using: &random) ? created.addingTimeInterval(99) : nil,
            isRevoked: Bool.random(using: &random))
        let attachments = (0..<Int.random(in: 0...4, using: &random)).map { index in
            let type = AtomType.allCases.randomElement(using: &random)!
            let from: EventTime = Bool.random(using: &random) ? .distantPast
                : EventTime(milliseconds: Int64.random(in: 0...2_000_000_000_000, using: &random))
            let to: EventTime? = switch Int.random(in: 0..<3, using: &random) {
            case 0: nil
            case 1: from
            default: EventTime(milliseconds: 2_100_000_000_000)
            }
            return PerimeterInventory.Attachment(id: Int64(index), key: AtomKey(scope: ScopeKey(community: "c"),
                                                              atom: Atom(type: type, normalizedValue: text(&random))),
                              asset: asset.id, kind: Bool.random(using: &random) ? .observed : .confirmed,
                              from: from, to: to, origin: "test")
        }
        return (asset, attachments)
    }
}
