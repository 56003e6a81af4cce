import Foundation
import PerimeterModel
import PerimeterYAML

/// How Sigma taxonomy names (SigmaHQ's raw Windows, Sysmon and Linux fields and
/// log sources) become ECS fields and event conditions. Read from a YAML file
/// that users can read, extend or replace (`--mapping FILE`).
public struct FieldMapping: Sendable {
    public struct Source: Sendable {
        public var name: String
        public var logSource: LogSource
        /// A Sigma selection (ECS names) that the event must satisfy; nil gates nothing.
        var condition: RuleExpression?
        public var fields: [String: [String]]
        /// Fields not listed become `prefix + name` (Windows event data, for instance).
        public var unlistedFieldPrefix: String?
        /// Per Sigma name, this source's own value translations (as the
        /// mapping's `values`): Sysmon's `Initiated: 'true'` is Winlogbeat's
        /// `network.direction: egress`.
        public var values: [String: [String: String]] = [:]
        /// Per Sigma name, a rewriting of values by form rather than by table.
        public var valueForms: [String: ValueForm] = [:]
    }

    /// Rewritings of a rule's value that a table cannot list.
    public enum ValueForm: String, Sendable, CaseIterable {
        /// Sysmon's registry numbers (`DWORD (0x00000010)`,
        /// `QWORD (0x00000001-0x00000000)`, high part first) as Elastic's
        /// Sysmon pipeline writes them to `registry.data.strings`: decimal,
        /// and a QWORD as that pipeline reckons it, the high part shifted
        /// by 8 bits (not 32) plus the low one: what the events carry.
        case sysmonRegistryNumber = "sysmon-registry-number"

        func rewrite(_ value: String) -> String? {
            switch self {
            case .sysmonRegistryNumber:
                let upper = value.uppercased()
                for (prefix, parts) in [("DWORD (0X", 1), ("QWORD (0X", 2)]
                where upper.hasPrefix(prefix) && upper.hasSuffix(")") {
                    let digits = upper.dropFirst(prefix.count).dropLast()
                        .split(separator: "-", omittingEmptySubsequences: false)
                    guard digits.count == parts else { return nil }
                    var words: [UInt64] = []
                    for (index, part) in digits.enumerated() {
                        let hex = index == 0 ? part : part.dropFirst(2)
                        guard index == 0 || part.hasPrefix("0X"), (1...8).contains(hex.count),
                              let word = UInt64(hex, radix: 16)
                        else { return nil }
                        words.append(word)
                    }
                    return String(words.count == 1 ? words[0] : words[0] << 8 + words[1])
                }
                return nil
            }
        }
    }

    /// Field names mapped for every log source, unless a source overrides them.
    /// A name may map to several fields, of which an event fills one
    /// (`IpAddress: [source.ip, winlog.event_data.IpAddress]`: winlogbeat
    /// writes the address to the first, its `-` to the second): a test
    /// holds when it holds on any of them, a test of absence (`null`,
    /// `|exists: false`) when it holds on all of them.
    public var fields: [String: [String]]
    public var sources: [Source]
    /// Per Sigma name, a rule's value (lower case: Sigma compares without
    /// regard to case) and the value events carry for it, for a test with
    /// no modifier: a Windows level number (`Level: 4`) is the word
    /// Winlogbeat writes (`information`).
    public var values: [String: [String: String]] = [:]
    /// Where it was read from, for messages.
    public var origin: String

    /// The source whose product, category and service all equal the rule's.
    func source(for logSource: LogSource) -> Source? {
        sources.first { $0.logSource == logSource }
    }

    /// The mapping shipped with Perimeter (`Resources/sigma-ecs-mapping.yml`),
    /// compiled into the program: it runs with no file beside it.
    public static func builtIn() throws(RuleRefusal) -> FieldMapping {
        try load(text: String(decoding: PackageResources.sigma_ecs_mapping_yml, as: UTF8.self),
                 origin: "the built-in sigma-ecs-mapping.yml")
    }

    public static func load(path: String) throws(RuleRefusal) -> FieldMapping {
        try load(text: RuleRefusal.text(ofFile: path, code: "invalid-mapping"), origin: path)
    }

    private static func load(text: String, origin: String) throws(RuleRefusal) -> FieldMapping {
        let documents: [YAMLNode]
        do {
            documents = try YAMLParser.parseDocuments(text, file: origin)
        } catch {
            throw RuleRefusal(code: "invalid-mapping", message: error.description)
        }
        guard let root = documents.first else {
            throw RuleRefusal(code: "invalid-mapping", message: "\(origin): the file is empty")
        }
        return try parse(root, origin: origin)
    }

    static func parse(_ root: YAMLNode, origin: String) throws(RuleRefusal) -> FieldMapping {
        func failure(_ node: YAMLNode, _ text: String) -> RuleRefusal {
            RuleRefusal(code: "invalid-mapping",
                        message: "\(origin):\(node.mark.line): \(text) (while reading the mapping)",
                        line: node.mark.line)
        }
        func stringMap(_ node: YAMLNode?) throws(RuleRefusal) -> [String: [String]] {
            guard let node, !node.isNull else { return [:] }
            guard let mapping = node.mapping else {
                throw failure(node, "expected a map of field names")
            }
            var result: [String: [String]] = [:]
            for entry in mapping {
                let targets = entry.value.string.map { [$0] }
                    ?? entry.value.sequence?.compactMap(\.string)
                // A target is a field's path: `5` or `true` is a value
                // written where a field was meant.
                guard let key = entry.key.string, let targets, !targets.isEmpty,
                      targets.count == (entry.value.sequence?.count ?? 1),
                      targets.allSatisfy({ $0.contains(where: \.isLetter) }) else {
                    throw failure(entry.key, "a field mapping must be 'Name: ecs.field' or "
                                  + "'Name: [ecs.field, other.field]'")
                }
                result[key] = targets
            }
            return result
        }

        func valueTable(_ node: YAMLNode?) throws(RuleRefusal) -> [String: [String: String]] {
            guard let node, !node.isNull else { return [:] }
            guard let names = node.mapping else {
                throw failure(node, "'values' must map field names to maps of values")
            }
            var values: [String: [String: String]] = [:]
            for entry in names {
                guard let name = entry.key.string, let pairs = entry.value.mapping else {
                    throw failure(entry.key, "'values' of a field must map a rule's value to "
                                  + "the event's")
                }
                for pair in pairs {
                    guard let written = pair.key.string, let read = pair.value.string else {
                        throw failure(pair.key, "a value must be text or a number")
                    }
                    values[name, default: [:]][written.lowercased()] = read
                }
            }
            return values
        }

        /// A key the mapping does not read is refused: a misspelt
        /// `feilds:` left every rule of the mapping's names unmapped or
        /// matching nothing, without a word.
        func requireKnownKeys(of node: YAMLNode, _ known: [String],
                              in place: String) throws(RuleRefusal) {
            for entry in node.mapping?.entries ?? [] {
                guard let key = entry.key.string, !known.contains(key) else { continue }
                let near = NearestName.find(key, in: known).map { "; did you mean '\($0)'?" }
                    ?? "; expected " + known.joined(separator: ", ")
                throw failure(entry.key, "unknown key '\(key)' \(place)\(near)")
            }
        }

        guard root.mapping != nil else { throw failure(root, "expected a map at the top") }
        try requireKnownKeys(of: root, ["fields", "logsources", "values"], in: "at the top")
        let fields = try stringMap(root["fields"])
        var sources: [Source] = []
        if let list = root["logsources"], !list.isNull {
            guard let entries = list.mapping else {
                throw failure(list, "'logsources' must map source names to definitions")
            }
            let compiler = SigmaCompiler(mapping: nil, placeholders: [:])
            for entry in entries {
                guard let name = entry.key.string, entry.value.mapping != nil else {
                    throw failure(entry.key, "a log source must be 'name: {product: …, …}'")
                }
                let definition = entry.value
                try requireKnownKeys(of: definition,
                                     ["product", "category", "service", "conditions", "fields",
                                      "unlisted_field_prefix", "values", "value_forms"],
                                     in: "of log source '\(name)'")
                let logSource = LogSource(product: definition["product"]?.string,
                                          category: definition["category"]?.string,
                                          service: definition["service"]?.string)
                var condition: RuleExpression?
                if let conditions = definition["conditions"], !conditions.isNull {
                    // Fields and the values they hold (or a list of such
                    // maps); a bare `7` compiled as a keyword search.
                    guard conditions.mapping != nil || conditions.sequence.map({
                        !$0.isEmpty && $0.allSatisfy { $0.mapping != nil }
                    }) == true else {
                        throw failure(conditions, "log source '\(name)': 'conditions' must map "
                                      + "event fields to the values they hold")
                    }
                    do {
                        condition = try compiler.compileSelection(conditions,
                                                                  resolver: .identity)
                    } catch {
                        throw failure(conditions, "log source '\(name)': \(error.message)")
                    }
                }
                var forms: [String: ValueForm] = [:]
                if let table = definition["value_forms"], !table.isNull {
                    guard let entries = table.mapping else {
                        throw failure(table, "log source '\(name)': 'value_forms' must map "
                                      + "field names to forms")
                    }
                    for entry in entries {
                        guard let field = entry.key.string, let text = entry.value.string,
                              let form = ValueForm(rawValue: text) else {
                            throw failure(entry.value, "log source '\(name)': a value form is "
                                          + ValueForm.allCases.map(\.rawValue)
                                              .joined(separator: ", "))
                        }
                        forms[field] = form
                    }
                }
                sources.append(Source(
                    name: name, logSource: logSource, condition: condition,
                    fields: try stringMap(definition["fields"]),
                    unlistedFieldPrefix: definition["unlisted_field_prefix"]?.string,
                    values: try valueTable(definition["values"]), valueForms: forms))
            }
        }
        var mapping = FieldMapping(fields: fields, sources: sources, origin: origin)
        mapping.values = try valueTable(root["values"])
        return mapping
    }
}

/// Turns a rule's field names into event field paths, remembering what was unmapped.
final class FieldResolver {
    enum Mode {
        /// Names as written: ECS rules, alert filters, and runs with no mapping.
        case identity
        case mapped(FieldMapping, FieldMapping.Source)
        /// The log source is outside the mapping: names stay as written, flagged.
        case unmappedSource
        /// An alert filter's: a Sigma name the mapping lists (for its log
        /// source, when it has one the mapping knows) is mapped, any other
        /// stays as written, unflagged: filters may name ECS fields.
        case filter(FieldMapping, FieldMapping.Source?)
    }

    static var identity: FieldResolver { FieldResolver(mode: .identity) }

    let mode: Mode
    private(set) var unmappedFields: [String] = []
    /// The rule line of the first unmapped field, when known.
    private(set) var firstUnmappedLine: Int?
    /// An alert filter's Sigma names that the mapping maps for other log
    /// sources only (`Image` in a filter with no logsource), with the line
    /// of the first: read as written they match no ECS event, so
    /// `not selection` suppresses every match. The compiler refuses them.
    private(set) var namesOfOtherSources: [(name: String, sources: [LogSource])] = []
    private(set) var firstNameOfOtherSourcesLine: Int?

    init(mode: Mode) { self.mode = mode }

    /// The value events carry for a rule's plain value of `name`, when the
    /// mapping translates it (`values`); nil keeps it as written.
    func eventValue(_ value: String, of name: String) -> String? {
        let source: FieldMapping.Source?
        let mapping: FieldMapping
        switch mode {
        case .identity, .unmappedSource: return nil
        case .mapped(let given, let own): (mapping, source) = (given, own)
        case .filter(let given, let own): (mapping, source) = (given, own)
        }
        let key = value.lowercased()
        if let source {
            if let read = source.values[name]?[key] { return read }
            if let form = source.valueForms[name] { return form.rewrite(value) }
        }
        return mapping.values[name]?[key]
    }

    /// The event fields a rule's field name reads, one or more.
    /// `line`: where the rule names the field, for `rules check` to point at.
    func resolve(_ name: String, at line: Int?) -> [String] {
        // Asset fields come from enrichment and are valid in every taxonomy.
        if name.hasPrefix("sekoiaio.") { return [name] }
        // SPEC §5: the reference text's `sekoia.` prefix is the same
        // namespace. Read as written, the rule saw no asset, and an event's
        // own `sekoia.any_asset.*` (kept, not the enrichment's) could claim one.
        for namespace in ["sekoia.any_asset.", "sekoia.assets."] where name.hasPrefix(namespace) {
            return ["sekoiaio." + name.dropFirst("sekoia.".count)]
        }
        switch mode {
        case .identity, .unmappedSource:
            return [name]
        case .filter(let mapping, let source):
            if let mapped = source?.fields[name] ?? mapping.fields[name] { return mapped }
            let others = mapping.sources.filter { $0.fields[name] != nil }.map(\.logSource)
            if !others.isEmpty && !namesOfOtherSources.contains(where: { $0.name == name }) {
                namesOfOtherSources.append((name, others))
                if firstNameOfOtherSourcesLine == nil { firstNameOfOtherSourcesLine = line }
            }
            return [name]
        case .mapped(let mapping, let source):
            if let mapped = source.fields[name] ?? mapping.fields[name] { return mapped }
            if let prefix = source.unlistedFieldPrefix { return [prefix + name] }
            if !unmappedFields.contains(name) {
                unmappedFields.append(name)
                if firstUnmappedLine == nil { firstUnmappedLine = line }
            }
            return [name]
        }
    }
}
