import PerimeterJSON
import PerimeterModel

/// Compact JSON descriptions of assets for the audit trail's before and
/// after columns. Written by hand: discovery records one for every asset
/// it changes, on the ingest's hot path.
enum AssetSummary {
    /// The fields the trail describes, in the order it writes them.
    private enum Field: String, CaseIterable {
        case category, criticality, description, name, properties, reviewed, revoked
        case subcategory, tags
    }

    private static func append(_ field: Field, of asset: Asset, to output: inout [UInt8]) {
        switch field {
        case .category: JSONText.appendQuoted(asset.category.rawValue, to: &output)
        case .criticality:
            if let value = asset.criticality?.value { JSONText.appendInteger(value, to: &output) }
            else { output.append(contentsOf: "null".utf8) }
        case .description: JSONText.appendQuoted(asset.description, to: &output)
        case .name: JSONText.appendQuoted(asset.name, to: &output)
        case .properties: PropertyValue.appendJSON(asset.properties, to: &output)
        case .reviewed: output.append(contentsOf: (asset.reviewed ? "true" : "false").utf8)
        case .revoked: output.append(contentsOf: (asset.isRevoked ? "true" : "false").utf8)
        case .subcategory: JSONText.appendQuotedOrNull(asset.subcategory?.rawValue, to: &output)
        case .tags: JSONText.appendArray(strings: asset.tags.sorted(), to: &output)
        }
    }

    /// Whether the field reads differently in the two assets: texts by
    /// their bytes, as written, the rest by value.
    private static func differs(_ field: Field, _ a: Asset, _ b: Asset) -> Bool {
        switch field {
        case .category: a.category != b.category
        case .criticality: a.criticality?.value != b.criticality?.value
        case .description: !a.description.utf8.elementsEqual(b.description.utf8)
        case .name: !a.name.utf8.elementsEqual(b.name.utf8)
        case .properties: a.properties != b.properties
        case .reviewed: a.reviewed != b.reviewed
        case .revoked: a.isRevoked != b.isRevoked
        case .subcategory: a.subcategory != b.subcategory
        case .tags:
            !(a.tags.isEmpty && b.tags.isEmpty)
                && !a.tags.sorted().elementsEqual(b.tags.sorted()) { $0.utf8.elementsEqual($1.utf8) }
        }
    }

    private static func changedProperties(_ a: Asset, _ b: Asset) -> Set<String> {
        var changed: Set<String> = []
        for (name, value) in a.properties where b.properties[name] != value { changed.insert(name) }
        for (name, value) in b.properties where a.properties[name] != value { changed.insert(name) }
        return changed
    }

    static func describe(_ asset: Asset) -> String {
        var output: [UInt8] = [UInt8(ascii: "{")]
        for field in Field.allCases {
            appendName(field.rawValue, to: &output)
            append(field, of: asset, to: &output)
        }
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
    }

    /// Only the fields that differ, so the trail reads as a diff; of the
    /// properties, only the ones that differ (a property set by hand must
    /// not read as set by the discovery rule that later added another).
    ///
    /// Discovery records one for every asset it changes, on the ingest's
    /// hot path: the fields are compared first, and only those that differ
    /// are written (rendering every field of both twice, through closures
    /// that copied the asset, cost about 5,000 instructions a record).
    static func changedFields(from before: Asset, to after: Asset) -> (before: String, after: String) {
        var old: [UInt8] = [UInt8(ascii: "{")]
        var new: [UInt8] = [UInt8(ascii: "{")]
        for field in Field.allCases {
            if field == .properties {
                let changed = changedProperties(before, after)
                guard !changed.isEmpty else { continue }
                appendName(field.rawValue, to: &old)
                PropertyValue.appendJSON(before.properties, only: changed, to: &old)
                appendName(field.rawValue, to: &new)
                PropertyValue.appendJSON(after.properties, only: changed, to: &new)
            } else if differs(field, before, after) {
                appendName(field.rawValue, to: &old)
                append(field, of: before, to: &old)
                appendName(field.rawValue, to: &new)
                append(field, of: after, to: &new)
            }
        }
        old.append(UInt8(ascii: "}"))
        new.append(UInt8(ascii: "}"))
        return (String(decoding: old, as: UTF8.self), String(decoding: new, as: UTF8.self))
    }

    /// A member's name and colon, after a comma unless it is the first.
    private static func appendName(_ name: String, to output: inout [UInt8]) {
        if output.last != UInt8(ascii: "{") { output.append(UInt8(ascii: ",")) }
        JSONText.appendQuoted(name, to: &output)
        output.append(UInt8(ascii: ":"))
    }

    /// The atom an analyst confirmed or rejected, type and value: the
    /// trail must say which address or name it was (an erasure redacts
    /// the value here as everywhere else).
    /// `held`: how the asset held the atom (`observed`, `confirmed`,
    /// `rejected`), for the trail's "before" of a confirmation or rejection.
    static func atom(_ atom: Atom, held: String? = nil) -> String {
        var output: [UInt8] = [UInt8(ascii: "{")]
        appendName("atom", to: &output)
        JSONText.appendQuoted(atom.type.rawValue, to: &output)
        if let held {
            appendName("held", to: &output)
            JSONText.appendQuoted(held, to: &output)
        }
        appendName("value", to: &output)
        JSONText.appendQuoted(atom.value, to: &output)
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
    }
}

extension PropertyValue {
    /// Appends the value as JSON. A whole number is written without a
    /// fraction (`5`, not `5.0`), as Foundation's writer does.
    public func appendJSON(to output: inout [UInt8]) {
        switch self {
        case .string(let s): JSONText.appendQuoted(s, to: &output)
        case .number(let n):
            let text = n.isFinite && n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
            output.append(contentsOf: (n.isFinite ? text : "null").utf8)
        case .boolean(let b): output.append(contentsOf: (b ? "true" : "false").utf8)
        case .list(let l): JSONText.appendArray(strings: l, to: &output)
        }
    }

    /// Appends properties as a JSON object, names in order; with `only`,
    /// those names alone.
    public static func appendJSON(_ properties: [String: PropertyValue], only names: Set<String>? = nil,
                                  to output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        let shown = properties.keys.filter { names?.contains($0) ?? true }.sorted()
        for (index, name) in shown.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(name, to: &output)
            output.append(UInt8(ascii: ":"))
            properties[name]!.appendJSON(to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// The value as a Foundation JSON object.
    public var jsonObject: Any {
        switch self {
        case .string(let s): s
        case .number(let n): n
        case .boolean(let b): b
        case .list(let l): l
        }
    }
}
