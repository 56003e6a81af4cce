/// How much an asset matters, 0 (no importance) to 100 (vital).
///
/// Unrated is `nil` at the use site (`Criticality?`), never a magic value.
public struct Criticality: Sendable, Hashable, Comparable, Codable {
    public let value: Int

    public init(_ value: Int) throws(ModelError) {
        guard (0...100).contains(value) else {
            throw ModelError.outOfRange(kind: "criticality", value: String(value),
                                        range: "0 to 100")
        }
        self.value = value
    }

    public static func < (lhs: Criticality, rhs: Criticality) -> Bool {
        lhs.value < rhs.value
    }
}

/// The display bucket of a criticality (SPEC §1).
public enum CriticalityDisplay: String, Sendable, Hashable, Codable {
    case low, medium, high, unrated
}

/// Where the display buckets start; configuration.
///
/// Defaults are SPEC §1: low 0–33, medium 34–67, high 68–100.
extension Criticality {
    /// A rating's whole number as a person or a spreadsheet writes it:
    /// `80`, `+80`, `080`, or `80.0` (a number cell saved as CSV); nil for
    /// anything else (`80.5`, `0x50`, `8e1`), whatever its range.
    public static func wholeNumber(_ text: String) -> Int? {
        if let value = Int(text) { return value }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].allSatisfy({ $0 == "0" }),
              parts[0].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "+" || $0 == "-") })
        else { return nil }
        return Int(parts[0])
    }
}

public struct CriticalityBounds: Sendable, Hashable {
    /// The lowest value shown as `medium`.
    public var mediumFrom: Int
    /// The lowest value shown as `high`.
    public var highFrom: Int

    public static let standard = CriticalityBounds(mediumFrom: 34, highFrom: 68)

    public init(mediumFrom: Int, highFrom: Int) {
        self.mediumFrom = mediumFrom
        self.highFrom = highFrom
    }

    /// The ratings shown as `display`; nil for unrated.
    public func range(of display: CriticalityDisplay) -> ClosedRange<Int>? {
        switch display {
        case .low: 0...(mediumFrom - 1)
        case .medium: mediumFrom...(highFrom - 1)
        case .high: highFrom...100
        case .unrated: nil
        }
    }

    public func display(_ criticality: Criticality?) -> CriticalityDisplay {
        display(rating: criticality?.value)
    }

    /// The display of a rating as a plain number (an enrichment card's).
    public func display(rating: Int?) -> CriticalityDisplay {
        guard let value = rating else { return .unrated }
        if value >= highFrom { return .high }
        if value >= mediumFrom { return .medium }
        return .low
    }
}
