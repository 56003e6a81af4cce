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
        bounds.display(rating: card.criticality)
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
    // cards) rather than by keeping the values written. The text goes
    // through a cursor into space reserved once (`JSONText.append`).

    /// Appends `"any_asset":{…},"assets":{…}` to `output`, written straight
    /// from the cards; nothing when no asset matched.
    public func appendSekoiaioMembers(view: EnrichmentView, to output: inout [UInt8]) {
        guard !isEmpty else { return }
        JSONText.append(atMost: outputLengthBound, to: &output) { cursor in
            writeAnyAsset(view: view, to: &cursor)
            cursor.write(UInt8(ascii: ","))
            writePerCategory(to: &cursor)
        }
    }

    /// The most bytes `appendSekoiaioMembers` writes: the fixed text, each
    /// card's values written twice (in `any_asset` and in its category),
    /// and every tag of every card.
    private var outputLengthBound: Int {
        // The member names, brackets and "ambiguous" of `any_asset` and
        // `assets` come to about 130 bytes; a category's own to about 50
        // beside its name.
        var bound = 256
        for index in cards.indices {
            let uuid = 36 + 3
            let value = 20 + 1
            let display = 16
            let category = JSONText.quotedLengthBound(of: cards[index].category.rawValue) + 64
            bound += 2 * (uuid + JSONText.quotedLengthBound(of: cards[index].name) + 1 + value)
                + display + category
            for tag in cards[index].tags { bound += JSONText.quotedLengthBound(of: tag) + 1 }
        }
        return bound
    }

    /// Whether a card before `end` satisfies `matches`, which is given
    /// the card's index: its fields are read in place, where iterating the
    /// cards copied each one (retaining its name and tags) for each test.
    private func anyCard(before end: Int, _ matches: (Int) -> Bool) -> Bool {
        var index = 0
        while index < end {
            if matches(index) { return true }
            index += 1
        }
        return false
    }

    private func writeAnyAsset(view: EnrichmentView, to cursor: inout JSONOutputCursor) {
        cursor.write(#""any_asset":{"#)
        if view == .detection {
            cursor.write(#""tags":["#)
            writeTags(to: &cursor)
            cursor.write("],")
        }
        cursor.write(#""uuid":["#)
        writeUUIDs(of: nil, to: &cursor)
        cursor.write(#"],"name":["#)
        writeNames(of: nil, to: &cursor)
        cursor.write(UInt8(ascii: "]"))
        if view == .detection {
            cursor.write(#","criticality_display":["#)
            var written = false
            for index in cards.indices {
                let shown = bounds.display(rating: cards[index].criticality)
                guard !anyCard(before: index, {
                    bounds.display(rating: cards[$0].criticality) == shown
                }) else { continue }
                if written { cursor.write(UInt8(ascii: ",")) }
                cursor.write(Self.quoted(shown))
                written = true
            }
            cursor.write(UInt8(ascii: "]"))
        }
        cursor.write(UInt8(ascii: ","))
        writeValues(of: nil, to: &cursor)
        if view == .detection && isAmbiguous {
            cursor.write(#","ambiguous":true"#)
        }
        cursor.write(UInt8(ascii: "}"))
    }

    /// The categories in the order the output lists them.
    private static let categoryOrder = AssetCategory.allCases

    private func writePerCategory(to cursor: inout JSONOutputCursor) {
        cursor.write(#""assets":{"#)
        var firstCategory = true
        for category in Self.categoryOrder
        where anyCard(before: cards.count, { cards[$0].category == category }) {
            if !firstCategory { cursor.write(UInt8(ascii: ",")) }
            firstCategory = false
            cursor.write(Self.opening(of: category))
            writeUUIDs(of: category, to: &cursor)
            cursor.write(#"],"name":["#)
            writeNames(of: category, to: &cursor)
            cursor.write("],")
            writeValues(of: category, to: &cursor)
            cursor.write(UInt8(ascii: "}"))
        }
        cursor.write(UInt8(ascii: "}"))
    }

    /// A display's name as JSON text, written as it is: the same few
    /// words for every event.
    private static func quoted(_ display: CriticalityDisplay) -> StaticString {
        switch display {
        case .low: #""low""#
        case .medium: #""medium""#
        case .high: #""high""#
        case .unrated: #""unrated""#
        }
    }

    /// A category's member up to its first list.
    private static func opening(of category: AssetCategory) -> StaticString {
        switch category {
        case .account: #""account":{"uuid":["#
        case .host: #""host":{"uuid":["#
        case .network: #""network":{"uuid":["#
        }
    }

    /// The tags of every card, sorted, each once; a single card's are
    /// sorted already.
    private func writeTags(to cursor: inout JSONOutputCursor) {
        let list = cards.count == 1 || !anyCard(before: cards.count, { !cards[$0].tags.isEmpty })
            ? cards[0].tags : tags
        for (index, tag) in list.enumerated() {
            if index > 0 { cursor.write(UInt8(ascii: ",")) }
            cursor.writeQuoted(tag)
        }
    }

    /// The quoted uuids of the cards of `category` (of all, for nil),
    /// comma-separated.
    private func writeUUIDs(of category: AssetCategory?, to cursor: inout JSONOutputCursor) {
        var written = false
        for index in cards.indices where category == nil || cards[index].category == category {
            if written { cursor.write(UInt8(ascii: ",")) }
            let id = cards[index].id
            cursor.write(UInt8(ascii: "\""))
            cursor.write(exactly: 36) { id.writeLowercasedText(into: $0) }
            cursor.write(UInt8(ascii: "\""))
            written = true
        }
    }

    /// The quoted names of the cards of `category` (of all, for nil),
    /// each once.
    private func writeNames(of category: AssetCategory?, to cursor: inout JSONOutputCursor) {
        var written = false
        for index in cards.indices where category == nil || cards[index].category == category {
            let name = cards[index].name
            guard !anyCard(before: index, {
                (category == nil || cards[$0].category == category) && cards[$0].name == name
            }) else { continue }
            if written { cursor.write(UInt8(ascii: ",")) }
            cursor.writeQuoted(name)
            written = true
        }
    }

    /// `"criticality_value":[…]` of the cards of `category` (of all, for
    /// nil), unrated ones left out, each value once.
    private func writeValues(of category: AssetCategory?, to cursor: inout JSONOutputCursor) {
        cursor.write(#""criticality_value":["#)
        var written = false
        for index in cards.indices where category == nil || cards[index].category == category {
            guard let value = cards[index].criticality,
                  !anyCard(before: index, {
                      (category == nil || cards[$0].category == category)
                          && cards[$0].criticality == value
                  }) else { continue }
            if written { cursor.write(UInt8(ascii: ",")) }
            cursor.writeInteger(value)
            written = true
        }
        cursor.write(UInt8(ascii: "]"))
    }
}
