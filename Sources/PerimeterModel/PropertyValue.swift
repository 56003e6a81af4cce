import Foundation

/// The value of a contextual property (SPEC §1): typed, never a secret.
public enum PropertyValue: Sendable, Hashable, Codable {
    case string(String)
    case number(Double)
    case boolean(Bool)
    case list([String])

    /// The longest text value, in characters (code points): as a
    /// description. A value is shown with its asset in every listing, so
    /// the request body's 16 MiB was no bound a reader could live with.
    public static let maximumTextLength = 16_384
    /// A list's most items, and each item's longest text: agent ids,
    /// owners, tags of another system.
    public static let maximumListItems = 1_000
    public static let maximumItemLength = 1_024

    /// The type a definition of this value would declare.
    public var type: PropertyType {
        switch self {
        case .string: .string
        case .number: .number
        case .boolean: .boolean
        case .list: .list
        }
    }
}

extension PropertyValue {
    /// A number property's text: decimal notation only (`12`, `-0.5`,
    /// `1e3`), finite, and a value a double holds as written. `Double(_:)`
    /// also read `0x10` as 16 and `inf`, and `9007199254740993` as …992
    /// without a word.
    public static func number(parsing text: String) -> Double? {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") {
            bytes = bytes.dropFirst()
        }
        func digits() -> Int {
            let count = bytes.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        let whole = digits()
        var fraction = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            fraction = digits()
        }
        guard whole + fraction > 0 else { return nil }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") {
                bytes = bytes.dropFirst()
            }
            guard digits() > 0 else { return nil }
        }
        guard bytes.isEmpty, let number = Double(text), number.isFinite else { return nil }
        // The number the text says must be the one a double holds: the
        // double's shortest text read back as a decimal is the same value
        // (`9007199254740993`, `…993.0` and `1234…5678.5` were stored
        // rounded; `0.1`, `1e16` and `1e300` are held as written).
        if let said = Decimal(string: text), let held = Decimal(string: String(number)),
           said != held {
            return nil
        }
        return number
    }

    /// 2^53: below it a double holds every whole number.
    static let exactWholeLimit = 9_007_199_254_740_992.0

    /// A number as people write it: a whole one without `.0`.
    public static func text(ofNumber number: Double) -> String {
        number == number.rounded() && abs(number) <= exactWholeLimit
            ? String(Int64(number)) : String(number)
    }
}

/// The type a contextual property definition declares.
public enum PropertyType: String, Sendable, Hashable, CaseIterable, Codable {
    case string, number, boolean, list
}

/// A contextual property that assets of one category may carry.
public struct PropertyDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var type: PropertyType
    public var category: AssetCategory
    public var isDefault: Bool

    public init(name: String, type: PropertyType, category: AssetCategory,
                isDefault: Bool = false) {
        self.name = name
        self.type = type
        self.category = category
        self.isDefault = isDefault
    }

    /// The definitions every community starts with.
    public static let defaults: [PropertyDefinition] = [
        .init(name: "owner", type: .string, category: .host, isDefault: true),
        .init(name: "location", type: .string, category: .host, isDefault: true),
        .init(name: "department", type: .string, category: .host, isDefault: true),
        .init(name: "os", type: .string, category: .host, isDefault: true),
        .init(name: "os_version", type: .string, category: .host, isDefault: true),
        .init(name: "os_family", type: .string, category: .host, isDefault: true),
        .init(name: "os_platform", type: .string, category: .host, isDefault: true),
        .init(name: "os_kernel", type: .string, category: .host, isDefault: true),
        .init(name: "edr_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "sentinelone_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "crowdstrike_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "defender_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "carbonblack_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "cortex_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "trendmicro_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "sophos_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "harfanglab_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "elastic_agent_id", type: .list, category: .host, isDefault: true),
        // The other EDR vendors discovery recognises (`EventReader.edrVendors`):
        // a host it gave one of these held a property no definition had,
        // and its export did not import into another store.
        .init(name: "cybereason_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "cylance_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "withsecure_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "eset_agent_id", type: .list, category: .host, isDefault: true),
        .init(name: "owner", type: .string, category: .account, isDefault: true),
        .init(name: "department", type: .string, category: .account, isDefault: true),
        .init(name: "full_name", type: .string, category: .account, isDefault: true),
        .init(name: "title", type: .string, category: .account, isDefault: true),
        .init(name: "location", type: .string, category: .network, isDefault: true),
        .init(name: "vlan", type: .number, category: .network, isDefault: true),
        .init(name: "owner", type: .string, category: .network, isDefault: true),
    ]

    /// The longest property name: a column heading people read.
    public static let maximumNameLength = 64

    /// What a property name must be, for messages.
    public static let nameRule = "lower snake case (e.g. cost_center), "
        + "\(maximumNameLength) characters at most"

    /// Whether a name is lower snake case, `[a-z][a-z0-9_]*`, and no longer
    /// than `maximumNameLength` (a name of 100,000 characters was taken).
    public static func isValidName(_ name: String) -> Bool {
        guard name.utf8.count <= maximumNameLength, let first = name.utf8.first,
              (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return name.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
        }
    }
}
