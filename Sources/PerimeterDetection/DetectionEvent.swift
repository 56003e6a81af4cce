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
    public var number: Double? {
        switch self {
        case .int(let int): Double(int)
        case .double(let double): double
        case .string(let string): SigmaNumber.parseDecimal(string)
        case .bool, .null: nil
        }
    }
}

enum SigmaNumber {
    /// Decimal integers and decimals only: a hex string such as `0x17` stays a string.
    static func parseDecimal(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.count < 40 else { return nil }
        var sawDigit = false
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"): if index != 0 { return nil }
            case UInt8(ascii: "."): continue
            default: return nil
            }
        }
        return sawDigit ? Double(text) : nil
    }
}

/// An event as the engine reads it. List fields give every element; the asset
/// fields of the enrichment stage come through the same calls.
public protocol DetectionEvent {
    /// The values of a field; empty when absent, `[.null]` when present and null.
    func values(of field: DetectionFieldID) -> ArraySlice<DetectionValue>
    /// Calls `body` with every string leaf of the event, for keyword searches.
    func forEachString(_ body: (String) -> Void)
}

/// A ready-made `DetectionEvent`: the values of the engine's fields, filled once.
///
/// Callers fill it from their parser through `append(_:to:)`; the engine never
/// walks the original JSON.
public struct DetectionRecord: DetectionEvent, Sendable {
    private var storage: [DetectionValue] = []
    /// For each field: start and end in `storage`; fields may be appended in any order.
    private var ranges: [Range<Int>]
    private var pending: [[DetectionValue]]
    private var isSealed = true
    /// Every string leaf, filled only when the engine has keyword rules.
    public var allStrings: [String] = []

    public init(fieldCount: Int) {
        ranges = Array(repeating: 0..<0, count: fieldCount)
        pending = Array(repeating: [], count: fieldCount)
    }

    /// Empties the record for the next event, keeping its capacity.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        for index in ranges.indices { ranges[index] = 0..<0 }
        for index in pending.indices where !pending[index].isEmpty {
            pending[index].removeAll(keepingCapacity: true)
        }
        allStrings.removeAll(keepingCapacity: true)
        isSealed = true
    }

    public mutating func append(_ value: DetectionValue, to field: DetectionFieldID) {
        pending[field].append(value)
        isSealed = false
    }

    public mutating func append(contentsOf values: [DetectionValue], to field: DetectionFieldID) {
        pending[field].append(contentsOf: values)
        isSealed = false
    }

    /// Lays the appended values out contiguously; call once after the last append.
    public mutating func seal() {
        guard !isSealed else { return }
        storage.removeAll(keepingCapacity: true)
        for field in pending.indices {
            let start = storage.count
            storage.append(contentsOf: pending[field])
            ranges[field] = start..<storage.count
        }
        isSealed = true
    }

    public func values(of field: DetectionFieldID) -> ArraySlice<DetectionValue> {
        precondition(isSealed, "DetectionRecord read before seal()")
        return storage[ranges[field]]
    }

    public func forEachString(_ body: (String) -> Void) {
        for string in allStrings { body(string) }
    }
}
