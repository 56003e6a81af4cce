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

/// The asset fields of one enriched event.
///
/// It holds the matched assets' cards and derives each field from them
/// when asked: the ingest's hot path writes the JSON members straight
/// from the cards (`appendSekoiaioMembers`) without making the lists, and
/// detection reads the few fields its rules name. The list properties are
/// computed on each call, so a caller that reads one many times keeps it.
///
/// Lists hold each value once, in the order of the assets (criticality
/// highest first, unrated last, then uuid); tags are sorted.
public struct AssetEnrichment: Sendable, Hashable {
    public struct CategoryFields: Sendable, Hashable {
        public var uuids: [String] = []
        public var names: [String] = []
        public var criticalityValues: [Int] = []
    }

    /// The matched assets, in enrichment order.
    public let cards: [AssetCard]
    public let bounds: CriticalityBounds
    /// The event named atoms several assets hold (an ambiguous short name).
    public let isAmbiguous: Bool

    public var isEmpty: Bool { cards.isEmpty }

    /// `assets` must already be in enrichment order.
    public init(assets: [Asset], bounds: CriticalityBounds, isAmbiguous: Bool = false) {
        self.init(cards: assets.map(AssetCard.init), bounds: bounds, isAmbiguous: isAmbiguous)
    }

    /// `cards` must already be in enrichment order
    /// (`Inventory.enrichmentCards`).
    public init(cards: [AssetCard], bounds: CriticalityBounds, isAmbiguous: Bool = false) {
        self.cards = cards
        self.bounds = bounds
        self.isAmbiguous = !cards.isEmpty && isAmbiguous
    }

    public static func == (a: AssetEnrichment, b: AssetEnrichment) -> Bool {
        a.cards == b.cards && a.isAmbiguous == b.isAmbiguous && a.bounds == b.bounds
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(cards.map(\.id)) }

    // MARK: - Fields

    public var uuids: [String] { cards.map(\.uuid) }
    public var names: [String] { Self.once(cards.map(\.name)) }
    public var criticalityDisplays: [String] { Self.once(cards.map { display(of: $0).rawValue }) }
    public var criticalityValues: [Int] { Self.once(cards.compactMap(\.criticality)) }

    public var tags: [String] {
        if cards.count == 1 { return cards[0].tags }
        return Set(cards.flatMap(\.tags)).sorted()
    }

    /// The fields per asset category, in `AssetCategory.allCases` order,
    /// categories without a matched asset left out.
    public var categories: [(AssetCategory, CategoryFields)] {
        AssetCategory.allCases.compactMap { category in fields(of: category).map { (category, $0) } }
    }

    /// The fields of one asset category; nil when no asset of it matched.
    public func fields(of category: AssetCategory) -> CategoryFields? {
        let members = cards.filter { $0.category == category }
        guard !members.isEmpty else { return nil }
        return CategoryFields(uuids: members.map(\.uuid), names: Self.once(members.map(\.name)),
                              criticalityValues: Self.once(members.compactMap(\.criticality)))
    }

    private func display(of card: AssetCard) -> CriticalityDisplay {
        guard let value = card.criticality else { return .unrated }
        if value >= bounds.highFrom { return .high }
        if value >= bounds.mediumFrom { return .medium }
        return .low
    }

    /// The values in order, each once.
    private static func once<T: Equatable>(_ values: [T]) -> [T] {
        if values.count < 2 { return values }
        var kept: [T] = []
        kept.reserveCapacity(values.count)
        for value in values where !kept.contains(value) { kept.append(value) }
        return kept
    }

    // MARK: - Output
    //
    // Written for every enriched event, so nothing here makes an array:
    // an event matches a handful of assets, and a value is left out when
    // an earlier card of the same list gives it (a scan of those few
    // cards) rather than by keeping the values written.

    /// Appends `"any_asset":{…},"assets":{…}` to `output`, written straight
    /// from the cards; nothing when no asset matched.
    public func appendSekoiaioMembers(view: EnrichmentView, to output: inout [UInt8]) {
        guard !isEmpty else { return }
        appendAnyAsset(view: view, to: &output)
        output.append(UInt8(ascii: ","))
        appendPerCategory(to: &output)
    }

    private func appendAnyAsset(view: EnrichmentView, to output: inout [UInt8]) {
        output.append(contentsOf: #""any_asset":{"#.utf8)
        if view == .detection {
            output.append(contentsOf: #""tags":["#.utf8)
            appendTags(to: &output)
            output.append(contentsOf: "],".utf8)
        }
        output.append(contentsOf: #""uuid":["#.utf8)
        appendUUIDs(of: nil, to: &output)
        output.append(contentsOf: #"],"name":["#.utf8)
        appendNames(of: nil, to: &output)
        output.append(UInt8(ascii: "]"))
        if view == .detection {
            output.append(contentsOf: #","criticality_display":["#.utf8)
            var written = false
            for index in cards.indices
            where !cards[..<index].contains(where: { display(of: $0) == display(of: cards[index]) }) {
                if written { output.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(display(of: cards[index]).rawValue, to: &output)
                written = true
            }
            output.append(UInt8(ascii: "]"))
        }
        output.append(UInt8(ascii: ","))
        appendValues(of: nil, to: &output)
        if view == .detection && isAmbiguous {
            output.append(contentsOf: #","ambiguous":true"#.utf8)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// The categories in the order the output lists them.
    private static let categoryOrder = AssetCategory.allCases

    private func appendPerCategory(to output: inout [UInt8]) {
        output.append(contentsOf: #""assets":{"#.utf8)
        var firstCategory = true
        for category in Self.categoryOrder where cards.contains(where: { $0.category == category }) {
            if !firstCategory { output.append(UInt8(ascii: ",")) }
            firstCategory = false
            JSONText.appendQuoted(category.rawValue, to: &output)
            output.append(contentsOf: #":{"uuid":["#.utf8)
            appendUUIDs(of: category, to: &output)
            output.append(contentsOf: #"],"name":["#.utf8)
            appendNames(of: category, to: &output)
            output.append(contentsOf: "],".utf8)
            appendValues(of: category, to: &output)
            output.append(UInt8(ascii: "}"))
        }
        output.append(UInt8(ascii: "}"))
    }

    /// The tags of every card, sorted, each once; a single card's are
    /// sorted already.
    private func appendTags(to output: inout [UInt8]) {
        let list = cards.count == 1 || cards.allSatisfy({ $0.tags.isEmpty }) ? cards[0].tags : tags
        for (index, tag) in list.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(tag, to: &output)
        }
    }

    /// The quoted uuids of the cards of `category` (of all, for nil),
    /// comma-separated.
    private func appendUUIDs(of category: AssetCategory?, to output: inout [UInt8]) {
        var written = false
        for card in cards where category == nil || card.category == category {
            if written { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "\""))
            card.id.appendLowercasedText(to: &output)
            output.append(UInt8(ascii: "\""))
            written = true
        }
    }

    /// The quoted names of the cards of `category` (of all, for nil),
    /// each once.
    private func appendNames(of category: AssetCategory?, to output: inout [UInt8]) {
        var written = false
        for index in cards.indices where category == nil || cards[index].category == category {
            let name = cards[index].name
            guard !cards[..<index].contains(where: {
                (category == nil || $0.category == category) && $0.name == name
            }) else { continue }
            if written { output.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(name, to: &output)
            written = true
        }
    }

    /// `"criticality_value":[…]` of the cards of `category` (of all, for
    /// nil), unrated ones left out, each value once.
    private func appendValues(of category: AssetCategory?, to output: inout [UInt8]) {
        output.append(contentsOf: #""criticality_value":["#.utf8)
        var written = false
        for index in cards.indices where category == nil || cards[index].category == category {
            guard let value = cards[index].criticality,
                  !cards[..<index].contains(where: {
                      (category == nil || $0.category == category) && $0.criticality == value
                  }) else { continue }
            if written { output.append(UInt8(ascii: ",")) }
            JSONText.appendInteger(value, to: &output)
            written = true
        }
        output.append(UInt8(ascii: "]"))
    }
}
