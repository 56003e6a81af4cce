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
        var tagSet = Set<String>()
        var byCategory: [AssetCategory: CategoryFields] = [:]
        for asset in assets {
            let uuid = asset.id.uuidString.lowercased()
            Self.appendOnce(uuid, to: &uuids)
            Self.appendOnce(asset.name, to: &names)
            Self.appendOnce(bounds.display(asset.criticality).rawValue, to: &criticalityDisplays)
            tagSet.formUnion(asset.tags)
            var fields = byCategory[asset.category] ?? CategoryFields()
            Self.appendOnce(uuid, to: &fields.uuids)
            Self.appendOnce(asset.name, to: &fields.names)
            if let value = asset.criticality?.value {
                Self.appendOnce(value, to: &criticalityValues)
                Self.appendOnce(value, to: &fields.criticalityValues)
            }
            byCategory[asset.category] = fields
        }
        tags = tagSet.sorted()
        categories = AssetCategory.allCases.compactMap { category in
            byCategory[category].map { (category, $0) }
        }
        self.isAmbiguous = isAmbiguous && !assets.isEmpty
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
