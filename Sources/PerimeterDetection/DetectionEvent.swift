/// The index of a field path in `DetectionEngine.fieldPaths`, resolved once at load.
public typealias DetectionFieldID = Int

/// One value of an event field, as detection sees it.
public enum DetectionValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null

    /// The text that string modifiers and regexes see: numbers in decimal,
    /// booleans as `true`/`false`, nil for null.
    public var text: String? {
        switch self {
        case .string(let string): string
        case .int(let int): String(int)
        case .double(let double):
            double.rounded() == double && abs(double) < 1e18
                ? String(Int64(double)) : String(double)
        case .bool(let bool): bool ? "true" : "false"
        case .null: nil
        }
    }

    /// The number of a numeric value or of a decimal numeric string, for lt/gt/…
    public var number: SigmaNumber? {
        switch self {
        case .int(let int): .integer(Int128(int))
        case .double(let double): .decimal(double)
        case .string(let string): SigmaNumber.parseDecimal(string)
        case .bool, .null: nil
        }
    }
}

/// A number that lt/lte/gt/gte compare. Integers stay exact: as doubles,
/// those past 2^53 lose their last digits, so `gt: 9007199254740992` did
/// not hold for 9007199254740993 (ids, counters and sizes in events are
/// such integers). A decimal and an integer compare as doubles.
public enum SigmaNumber: Sendable, Hashable, CustomStringConvertible {
    case integer(Int128)
    case decimal(Double)

    /// Decimal integers and decimals only: a hex string such as `0x17` stays a string.
    static func parseDecimal(_ text: String) -> SigmaNumber? {
        guard !text.isEmpty, text.utf8.count < 40 else { return nil }
        var sawDigit = false
        var sawPoint = false
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"): if index != 0 { return nil }
            case UInt8(ascii: "."): sawPoint = true
            default: return nil
            }
        }
        guard sawDigit else { return nil }
        // Fewer than 40 bytes: any integer of them fits 128 bits.
        if !sawPoint, let integer = Int128(text) { return .integer(integer) }
        return Double(text).map(SigmaNumber.decimal)
    }

    var double: Double {
        switch self {
        case .integer(let integer): Double(integer)
        case .decimal(let decimal): decimal
        }
    }

    func isLess(than other: SigmaNumber) -> Bool {
        if case .integer(let a) = self, case .integer(let b) = other { return a < b }
        return double < other.double
    }

    /// Equal as numbers (`5` and `5.0`), where `==` compares the cases.
    func isNumericallyEqual(to other: SigmaNumber) -> Bool {
        if case .integer(let a) = self, case .integer(let b) = other { return a == b }
        return double == other.double
    }

    public var description: String {
        switch self {
        case .integer(let integer): String(integer)
        case .decimal(let decimal): String(decimal)
        }
    }
}

/// An event as the engine reads it. List fields give every element; the asset
/// fields of the enrichment stage come through the same calls.
public protocol DetectionEvent {
    /// The values of a field; empty when absent, `[.null]` when present and null.
    func values(of field: DetectionFieldID) -> ArraySlice<DetectionValue>
    /// Calls `body` with every string leaf of the event, for keyword searches.
    func forEachString(_ body: (String) -> Void)
    /// The field path of the first string leaf equal to `value`, when the
    /// event kept them: explanations name where a keyword was found.
    func path(ofString value: String) -> String?
}

extension DetectionEvent {
    public func path(ofString value: String) -> String? { nil }
}

/// A ready-made `DetectionEvent`: the values of the engine's fields, filled once.
///
/// Callers fill it from their parser through `append(_:to:)`; the engine never
/// walks the original JSON. Each field's values sit in one run of `storage`;
/// a field is normally filled in one go, so its run grows at the end and no
/// value is copied twice. A field appended to again after another one moves
/// its run to the end (correct, only slower).
public struct DetectionRecord: DetectionEvent, Sendable {
    private var storage: [DetectionValue] = []
    /// For each field: its run in `storage`, empty when the event has none.
    private var ranges: [Range<Int>]
    /// Fields with a non-empty run, so that emptying the record resets them
    /// alone instead of every field the engine knows.
    private var filled: [DetectionFieldID] = []
    /// Every string leaf, filled only when the engine has keyword rules.
    public var allStrings: [String] = []
    /// The path of each of `allStrings`, filled only by a reader asked for
    /// them (`JSONEventReader(engine:keepsStringPaths:)`, for `rules test`).
    public var allStringPaths: [String] = []

    public init(fieldCount: Int) {
        ranges = Array(repeating: 0..<0, count: fieldCount)
    }

    /// Empties the record for the next event, keeping its capacity.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        for field in filled { ranges[field] = 0..<0 }
        filled.removeAll(keepingCapacity: true)
        allStrings.removeAll(keepingCapacity: true)
        allStringPaths.removeAll(keepingCapacity: true)
    }

    public mutating func append(_ value: DetectionValue, to field: DetectionFieldID) {
        openRunAtEnd(for: field)
        storage.append(value)
        ranges[field] = ranges[field].lowerBound..<storage.count
    }

    public mutating func append(contentsOf values: [DetectionValue], to field: DetectionFieldID) {
        guard !values.isEmpty else { return }
        openRunAtEnd(for: field)
        storage.append(contentsOf: values)
        ranges[field] = ranges[field].lowerBound..<storage.count
    }

    /// Makes the field's run end where `storage` ends, so that appending
    /// to `storage` extends it.
    private mutating func openRunAtEnd(for field: DetectionFieldID) {
        let run = ranges[field]
        if run.isEmpty {
            filled.append(field)
            ranges[field] = storage.count..<storage.count
        } else if run.upperBound != storage.count {
            let start = storage.count
            storage.append(contentsOf: storage[run])
            ranges[field] = start..<storage.count
        }
    }

    public func values(of field: DetectionFieldID) -> ArraySlice<DetectionValue> {
        storage[ranges[field]]
    }

    public func forEachString(_ body: (String) -> Void) {
        for string in allStrings { body(string) }
    }

    public func path(ofString value: String) -> String? {
        guard allStringPaths.count == allStrings.count,
              let index = allStrings.firstIndex(of: value) else { return nil }
        return allStringPaths[index]
    }
}
