import PerimeterInventory
import PerimeterJSON
import PerimeterModel

/// Which fields an enriched event carries (SPEC §5).
public enum EnrichmentView: String, Sendable, CaseIterable {
    /// Every asset field, for detection and alert filters.
    case detection
    /// What is stored for search: uuid, name and criticality_value only.
    case indexed
}

/// The asset fields of one enriched event, computed once and then
/// written out or handed to detection.
///
/// Lists hold each value once, in the order of the assets (criticality
/// highest first, unrated last, then uuid); tags are sorted.
public struct AssetEnrichment: Sendable, Hashable {
    public struct CategoryFields: Sendable, Hashable {
        public var uuids: [String] = []
        public var names: [String] = []
        public var criticalityValues: [Int] = []
    }

    public var tags: [String] = []
    public var uuids: [String] = []
    public var names: [String] = []
    public var criticalityDisplays: [String] = []
    public var criticalityValues: [Int] = []
    public var categories: [(AssetCategory, CategoryFields)] = []
    /// The event named atoms several assets hold (an ambiguous short name).
    public var isAmbiguous = false

    public var isEmpty: Bool { uuids.isEmpty }

    /// `assets` must already be in enrichment order.
    public init(assets: [Asset], bounds: CriticalityBounds, isAmbiguous: Bool = false) {
        self.init(cards: assets.map(AssetCard.init), bounds: bounds, isAmbiguous: isAmbiguous)
    }

    /// `cards` must already be in enrichment order
    /// (`Inventory.enrichmentCards`).
    public init(cards: [AssetCard], bounds: CriticalityBounds, isAmbiguous: Bool = false) {
        guard !cards.isEmpty else { return }
        var byCategory: [CategoryFields] = Array(repeating: CategoryFields(),
                                                 count: AssetCategory.allCases.count)
        for card in cards {
            Self.appendOnce(card.uuid, to: &uuids)
            Self.appendOnce(card.name, to: &names)
            let display = bounds.display(card.criticality.flatMap { try? Criticality($0) })
            Self.appendOnce(display.rawValue, to: &criticalityDisplays)
            for tag in card.tags { Self.appendOnce(tag, to: &tags) }
            let slot = AssetCategory.allCases.firstIndex(of: card.category)!
            Self.appendOnce(card.uuid, to: &byCategory[slot].uuids)
            Self.appendOnce(card.name, to: &byCategory[slot].names)
            if let value = card.criticality {
                Self.appendOnce(value, to: &criticalityValues)
                Self.appendOnce(value, to: &byCategory[slot].criticalityValues)
            }
        }
        if cards.count > 1 { tags.sort() }
        categories = zip(AssetCategory.allCases, byCategory).filter { !$0.1.uuids.isEmpty }
        self.isAmbiguous = isAmbiguous
    }

    public static func == (a: AssetEnrichment, b: AssetEnrichment) -> Bool {
        a.uuids == b.uuids && a.tags == b.tags && a.names == b.names
            && a.criticalityValues == b.criticalityValues && a.isAmbiguous == b.isAmbiguous
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(uuids) }

    private static func appendOnce<T: Equatable>(_ value: T, to list: inout [T]) {
        if !list.contains(value) { list.append(value) }
    }

    // MARK: - Output

    /// The members to add to the event's `sekoiaio` object, as JSON text.
    public func sekoiaioMembers(view: EnrichmentView) -> [String] {
        guard !isEmpty else { return [] }
        var anyAsset: [UInt8] = Array(#""any_asset":{"#.utf8)
        if view == .detection {
            JSONText.appendMember("tags", strings: tags, to: &anyAsset)
            anyAsset.append(UInt8(ascii: ","))
        }
        JSONText.appendMember("uuid", strings: uuids, to: &anyAsset)
        anyAsset.append(UInt8(ascii: ","))
        JSONText.appendMember("name", strings: names, to: &anyAsset)
        if view == .detection {
            anyAsset.append(UInt8(ascii: ","))
            JSONText.appendMember("criticality_display", strings: criticalityDisplays, to: &anyAsset)
        }
        anyAsset.append(UInt8(ascii: ","))
        JSONText.appendMember("criticality_value", integers: criticalityValues, to: &anyAsset)
        if view == .detection && isAmbiguous {
            anyAsset.append(contentsOf: #","ambiguous":true"#.utf8)
        }
        anyAsset.append(UInt8(ascii: "}"))

        var perCategory: [UInt8] = Array(#""assets":{"#.utf8)
        for (index, (category, fields)) in categories.enumerated() {
            if index > 0 { perCategory.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(category.rawValue, to: &perCategory)
            perCategory.append(contentsOf: ":{".utf8)
            JSONText.appendMember("uuid", strings: fields.uuids, to: &perCategory)
            perCategory.append(UInt8(ascii: ","))
            JSONText.appendMember("name", strings: fields.names, to: &perCategory)
            perCategory.append(UInt8(ascii: ","))
            JSONText.appendMember("criticality_value", integers: fields.criticalityValues,
                                  to: &perCategory)
            perCategory.append(UInt8(ascii: "}"))
        }
        perCategory.append(UInt8(ascii: "}"))
        return [String(decoding: anyAsset, as: UTF8.self), String(decoding: perCategory, as: UTF8.self)]
    }

    /// The asset fields by their dotted names, for detection rules and
    /// alert filters (every field is a list).
    public var detectionFields: [String: [AssetFieldValue]] {
        guard !isEmpty else { return [:] }
        var fields: [String: [AssetFieldValue]] = [
            "sekoiaio.any_asset.tags": tags.map { .string($0) },
            "sekoiaio.any_asset.uuid": uuids.map { .string($0) },
            "sekoiaio.any_asset.name": names.map { .string($0) },
            "sekoiaio.any_asset.criticality_display": criticalityDisplays.map { .string($0) },
            "sekoiaio.any_asset.criticality_value": criticalityValues.map { .integer($0) },
        ]
        for (category, values) in categories {
            let prefix = "sekoiaio.assets.\(category.rawValue)."
            fields[prefix + "uuid"] = values.uuids.map { .string($0) }
            fields[prefix + "name"] = values.names.map { .string($0) }
            fields[prefix + "criticality_value"] = values.criticalityValues.map { .integer($0) }
        }
        return fields
    }
}

/// One value of an asset field as detection sees it.
public enum AssetFieldValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
}
