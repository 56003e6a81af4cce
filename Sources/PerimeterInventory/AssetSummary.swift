import PerimeterJSON
import PerimeterModel

/// Compact JSON descriptions of assets for the audit trail's before and
/// after columns. Written by hand: discovery records one for every asset
/// it changes, on the ingest's hot path.
enum AssetSummary {
    private typealias Field = (name: String, write: (inout [UInt8]) -> Void)

    private static func fields(of asset: Asset) -> [Field] {
        [
            ("category", { JSONText.appendQuoted(asset.category.rawValue, to: &$0) }),
            ("criticality", { output in
                if let value = asset.criticality?.value { output.append(contentsOf: String(value).utf8) }
                else { output.append(contentsOf: "null".utf8) }
            }),
            ("description", { JSONText.appendQuoted(asset.description, to: &$0) }),
            ("name", { JSONText.appendQuoted(asset.name, to: &$0) }),
            ("properties", { appendProperties(asset.properties, to: &$0) }),
            ("reviewed", { $0.append(contentsOf: (asset.reviewed ? "true" : "false").utf8) }),
            ("revoked", { $0.append(contentsOf: (asset.isRevoked ? "true" : "false").utf8) }),
            ("subcategory", { output in
                if let sub = asset.subcategory { JSONText.appendQuoted(sub.rawValue, to: &output) }
                else { output.append(contentsOf: "null".utf8) }
            }),
            ("tags", { appendStrings(asset.tags.sorted(), to: &$0) }),
        ]
    }

    static func describe(_ asset: Asset) -> String {
        encode(fields(of: asset).map { ($0.name, render($0.write)) })
    }

    /// Only the fields that differ, so the trail reads as a diff; of the
    /// properties, only the ones that differ (a property set by hand must
    /// not read as set by the discovery rule that later added another).
    static func changedFields(from before: Asset, to after: Asset) -> (before: String, after: String) {
        var old: [(String, [UInt8])] = []
        var new: [(String, [UInt8])] = []
        for (a, b) in zip(fields(of: before), fields(of: after)) {
            if a.name == "properties" {
                let changed = Set(before.properties.keys).union(after.properties.keys)
                    .filter { before.properties[$0] != after.properties[$0] }
                guard !changed.isEmpty else { continue }
                old.append((a.name, render {
                    appendProperties(before.properties, only: changed, to: &$0)
                }))
                new.append((b.name, render {
                    appendProperties(after.properties, only: changed, to: &$0)
                }))
                continue
            }
            let oldValue = render(a.write)
            let newValue = render(b.write)
            if oldValue != newValue {
                old.append((a.name, oldValue))
                new.append((b.name, newValue))
            }
        }
        return (encode(old), encode(new))
    }

    /// The atom an analyst confirmed or rejected, type and value: the
    /// trail must say which address or name it was (an erasure redacts
    /// the value here as everywhere else).
    static func atom(_ atom: Atom) -> String {
        encode([("atom", render { JSONText.appendQuoted(atom.type.rawValue, to: &$0) }),
                ("value", render { JSONText.appendQuoted(atom.value, to: &$0) })])
    }

    private static func render(_ write: (inout [UInt8]) -> Void) -> [UInt8] {
        var bytes: [UInt8] = []
        write(&bytes)
        return bytes
    }

    private static func encode(_ members: [(String, [UInt8])]) -> String {
        var output: [UInt8] = [UInt8(ascii: "{")]
        for (index, (name, value)) in members.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(name, to: &output)
            output.append(UInt8(ascii: ":"))
            output.append(contentsOf: value)
        }
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
    }

    private static func appendStrings(_ values: [String], to output: inout [UInt8]) {
        output.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(value, to: &output)
        }
        output.append(UInt8(ascii: "]"))
    }

    /// The properties as a JSON object; with `only`, those names alone.
    private static func appendProperties(_ properties: [String: PropertyValue],
                                         only names: Set<String>? = nil,
                                         to output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        let shown = properties.keys.filter { names?.contains($0) ?? true }.sorted()
        for (index, name) in shown.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(name, to: &output)
            output.append(UInt8(ascii: ":"))
            switch properties[name]! {
            case .string(let s): JSONText.appendQuoted(s, to: &output)
            case .number(let n):
                let text = n.isFinite && n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
                output.append(contentsOf: (n.isFinite ? text : "null").utf8)
            case .boolean(let b): output.append(contentsOf: (b ? "true" : "false").utf8)
            case .list(let l): appendStrings(l, to: &output)
            }
        }
        output.append(UInt8(ascii: "}"))
    }
}

extension PropertyValue {
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
