import Foundation
import PerimeterModel
import PerimeterRegex
import PerimeterYAML

/// What one YAML document compiled into.
enum CompiledDocument {
    case rule(CompiledRule)
    case filter(CompiledFilter)
}

/// Compiles Sigma rule and filter documents into expressions over field tests.
struct SigmaCompiler {
    /// nil: fields as written and no log-source gates (for raw events).
    var mapping: FieldMapping?
    var placeholders: [String: [String]]
    /// The names of `placeholders` whose values are the examples shipped
    /// with Perimeter, which no configuration replaced.
    var examplePlaceholders: Set<String> = []
    /// Those of them the rule being compiled resolved (`compileDocument`
    /// empties it; `expandedStrings` adds to it).
    let exampleUse = ExamplePlaceholderUse()

    final class ExamplePlaceholderUse {
        var names: Set<String> = []
    }

    static let supportedModifiers: Set<String> = [
        "contains", "startswith", "endswith", "all", "exists", "re", "i", "m", "s",
        "cidr", "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide",
        "windash", "lt", "lte", "gt", "gte", "neq", "fieldref", "cased", "expand",
    ]

    // MARK: - Documents

    /// The top-level keys of the Sigma specification (rules, filters and
    /// correlations); others are a rule's own metadata and are kept quiet.
    static let specificationKeys: Set<String> = [
        "title", "id", "related", "name", "taxonomy", "status", "description", "license",
        "author", "references", "date", "modified", "logsource", "detection", "fields",
        "falsepositives", "level", "tags", "scope", "simulation", "regression_tests_path",
        "correlation", "filter", "generate",
    ]

    /// The keys whose loss changes what a rule matches or how it ranks.
    static let behaviourKeys = ["title", "id", "taxonomy", "logsource", "detection", "level",
                                "filter", "correlation"]

    /// Refuses a document whose own key is one letter or two from a key that
    /// changes what it does and that it lacks: `levle: critical` ran the rule
    /// at the default level, `logsouce:` on every event, with no word said.
    static func refuseMisspeltKeys(_ root: YAMLMapping) throws(RuleRefusal) {
        let missing = behaviourKeys.filter { root[$0] == nil }
        for entry in root {
            guard let key = entry.key.string, !specificationKeys.contains(key),
                  let meant = NearestName.find(key, in: missing)
            else { continue }
            throw RuleRefusal(code: "misspelt-key",
                              message: "unknown key '\(key)': did you mean '\(meant)'? (Sigma "
                                + "ignores keys it does not know, so the rule would run without "
                                + "its \(meant))",
                              line: entry.key.mark.line)
        }
    }

    /// YAML merge keys (`<<: *defaults`) belong to YAML 1.1, and libyaml
    /// does not apply them: read as a key like any other, a merged
    /// `logsource` was none (the rule ran on every event) and a merged
    /// `level` no level, with no word said. Refused wherever they are.
    static func refuseMergeKeys(in node: YAMLNode) throws(RuleRefusal) {
        switch node {
        case .scalar: return
        case .sequence(let items, _):
            for item in items { try refuseMergeKeys(in: item) }
        case .mapping(let mapping, _):
            for entry in mapping {
                if case .scalar(let key) = entry.key, key.style == .plain, key.value == "<<" {
                    throw RuleRefusal(code: "merge-key-unsupported",
                                      message: "YAML merge keys ('<<') are not supported: write "
                                        + "the merged keys out", line: key.mark.line)
                }
                try refuseMergeKeys(in: entry.value)
            }
        }
    }

    /// A title as one line of a table or a summary: a block scalar's line
    /// breaks (and any other control character) read as one space each
    /// run; printed as they were, they made rows of their own.
    static func oneLine(_ title: String) -> String {
        let isControl = { (scalar: Unicode.Scalar) in
            scalar.properties.generalCategory == .control
        }
        guard title.unicodeScalars.contains(where: isControl) else { return title }
        return title.unicodeScalars
            .split { isControl($0) || $0 == " " }
            .map { String(String.UnicodeScalarView($0)) }
            .joined(separator: " ")
    }

    /// Refuses a list or a map where a key that changes what the rule does
    /// takes one text: `level: [high]` read as no level ran the rule at
    /// the default one, and `taxonomy: [ecs]` mapped its ECS field names
    /// as SigmaHQ's, with no word said.
    static func refuseCollections(in root: YAMLMapping) throws(RuleRefusal) {
        for key in ["title", "level", "taxonomy"] {
            guard let node = root[key], node.scalar == nil else { continue }
            throw RuleRefusal(code: "invalid-\(key)",
                              message: "'\(key)' must be one text, not \(node.quotedForMessage)",
                              line: node.mark.line)
        }
    }

    func compileDocument(_ document: YAMLNode, path: String) throws(RuleRefusal)
        -> CompiledDocument
    {
        guard let root = document.mapping else {
            let shape = document.sequence != nil ? "a list" : "a single value"
            throw RuleRefusal(code: "invalid-document", message: "a rule must be a YAML map "
                              + "(title:, detection:…); this document is \(shape)"
                              + (document.sequence != nil ? " (remove the '- ' before its first key)" : ""),
                              line: document.mark.line)
        }
        let line = document.mark.line
        exampleUse.names = []
        try Self.refuseMergeKeys(in: document)
        try Self.refuseMisspeltKeys(root)
        try Self.refuseCollections(in: root)
        let title = Self.oneLine(root["title"]?.string ?? "")
        if root["correlation"] != nil {
            throw RuleRefusal(code: "correlation-unsupported",
                              message: "correlation rules are not supported", line: line)
        }
        let id = try Self.id(of: root["id"])
        // A rule or a filter, not both: read as a rule, its filter part
        // suppressed nothing, and nothing said so.
        if root["filter"] != nil && root["detection"] != nil {
            throw RuleRefusal(code: "invalid-document", message: "a document is a rule "
                              + "('detection') or a filter ('filter'), not both", line: line)
        }
        if let filter = root["filter"], root["detection"] == nil {
            // Sigma's filter specification names fields in the rules'
            // taxonomy (`User`), ours named them in ECS (`user.name`): both
            // are read, unless the filter says `taxonomy: ecs`.
            var resolver = FieldResolver.identity
            if let mapping, root["taxonomy"]?.string?.lowercased() != "ecs" {
                let logSource = try Self.logSource(of: root["logsource"])
                resolver = FieldResolver(mode: .filter(mapping, mapping.source(for: logSource)))
            }
            return .filter(try compileFilter(filter, id: id, title: title, path: path,
                                             line: line, resolver: resolver))
        }
        guard let detection = root["detection"], let detectionMap = detection.mapping else {
            throw RuleRefusal(code: "missing-detection",
                              message: "the document has no 'detection' map", line: line)
        }
        let logSource = try Self.logSource(of: root["logsource"])
        // No level, or `level: null` (Sigma makes it optional), is the
        // configured default's, applied when an alert is made.
        let levelText = root["level"].flatMap { $0.isNull ? nil : $0.string?.lowercased() }
        var level: RuleLevel?
        if let levelText {
            guard let known = RuleLevel(rawValue: levelText) else {
                throw RuleRefusal(code: "invalid-level",
                                  message: "unknown level '\(levelText)'; expected one of "
                                    + RuleLevel.allCases.map(\.rawValue).joined(separator: ", "),
                                  line: root["level"]?.mark.line)
            }
            level = known
        }

        // Choose how field names resolve: ECS rules and mapping-free runs keep names.
        let taxonomy = root["taxonomy"]?.string?.lowercased()
        let resolver: FieldResolver
        var gate: RuleExpression?
        var sourceUnmapped = false
        if let mapping, taxonomy != "ecs" {
            if let source = mapping.source(for: logSource) {
                resolver = FieldResolver(mode: .mapped(mapping, source))
                gate = source.condition
            } else {
                resolver = FieldResolver(mode: .unmappedSource)
                sourceUnmapped = true
            }
        } else {
            resolver = .identity
            // An ECS rule's log source still gates it: one the mapping lacks
            // (a typo, `product: windwos`) left the rule ungated, matching
            // every event its selection fits, with no word said.
            if let mapping, logSource != LogSource() {
                if let source = mapping.source(for: logSource) {
                    gate = source.condition
                } else {
                    sourceUnmapped = true
                }
            }
        }

        var selections: [(name: String, expression: RuleExpression)] = []
        var conditionNode: YAMLNode?
        for entry in detectionMap {
            guard let name = entry.key.string else { continue }
            if name == "condition" { conditionNode = entry.value; continue }
            if name == "timeframe" {
                throw RuleRefusal(code: "aggregation-unsupported",
                                  message: "'timeframe' aggregations are not supported",
                                  line: entry.key.mark.line)
            }
            do {
                selections.append((name, try compileSelection(entry.value, resolver: resolver)))
            } catch {
                var refusal = error
                refusal.message = "selection '\(name)': " + refusal.message
                refusal.line = refusal.line ?? entry.key.mark.line
                throw refusal
            }
        }
        guard let conditionNode else {
            throw RuleRefusal(code: "missing-condition", message: "detection has no condition",
                              line: detection.mark.line)
        }
        let conditionTexts: [String]
        if let list = conditionNode.sequence {
            // Every entry a text, and at least one: `condition: []` compiled
            // into a rule that never fired, and a map in the list was dropped.
            conditionTexts = list.compactMap(\.string)
            guard !list.isEmpty, conditionTexts.count == list.count else {
                throw RuleRefusal(code: "invalid-condition", message: list.isEmpty
                                    ? "the condition list is empty: give at least one condition"
                                    : "each condition of the list must be a string",
                                  line: conditionNode.mark.line)
            }
        } else if let text = conditionNode.string {
            conditionTexts = [text]
        } else {
            throw RuleRefusal(code: "invalid-condition", message: "condition must be a string",
                              line: conditionNode.mark.line)
        }
        var parsed: [RuleExpression] = []
        var named: [String] = []
        for text in conditionTexts {
            do {
                var parser = try ConditionParser(text, selections: selections.map(\.name))
                parsed.append(try parser.parse())
                named.append(contentsOf: parser.referencedSelections)
            } catch {
                var refusal = error
                refusal.line = conditionNode.mark.line
                throw refusal
            }
        }
        let byName = Dictionary(selections.map { ($0.name, $0.expression) },
                                uniquingKeysWith: { first, _ in first })
        let condition = Self.inline(parsed.count == 1 ? parsed[0] : .any(parsed), byName)

        var unmappedReason: String?
        var unmappedLine: Int?
        if sourceUnmapped {
            unmappedReason = "log source \(logSource) is not in the mapping"
            unmappedLine = root["logsource"]?.mark.line
        } else if !resolver.unmappedFields.isEmpty {
            unmappedReason = "fields not in the mapping: "
                + resolver.unmappedFields.joined(separator: ", ")
            unmappedLine = resolver.firstUnmappedLine
        }
        // Sigma makes a rule's id optional; here alerts group by it and
        // filters name rules by it. Without one, a rule took the empty id,
        // and the next rule without one was refused as its duplicate.
        // (Checked last, so that a rule's other faults are told first.)
        guard !id.isEmpty else {
            throw RuleRefusal(code: "missing-id", message: "the rule has no id: give it one (a "
                              + "UUID, from uuidgen); alerts group by it and filters name rules "
                              + "by it", line: line)
        }
        let tags = root["tags"]?.sequence?.compactMap(\.string) ?? []
        return .rule(CompiledRule(
            id: id, title: title, name: root["name"]?.string, level: level, path: path,
            line: line,
            logSource: logSource, status: unmappedReason == nil ? .compiled : .compiledUnmapped,
            unmappedReason: unmappedReason, unmappedLine: unmappedLine, tags: tags,
            examplePlaceholders: exampleUse.names.sorted(), selections: selections,
            condition: condition, gate: gate, conditionSelections: named))
    }

    private func compileFilter(_ filter: YAMLNode, id: String, title: String, path: String,
                               line: Int,
                               resolver: FieldResolver) throws(RuleRefusal) -> CompiledFilter
    {
        guard let map = filter.mapping else {
            throw RuleRefusal(code: "invalid-filter", message: "'filter' must be a map",
                              line: filter.mark.line)
        }
        var ruleIDs: [String] = []
        if let rules = map["rules"] {
            ruleIDs = (rules.sequence?.compactMap(\.string) ?? rules.string.map { [$0] } ?? [])
                .map(RuleIdentifier.canonical)
        }
        guard !ruleIDs.isEmpty else {
            throw RuleRefusal(code: "invalid-filter", message: "the filter names no rules",
                              line: filter.mark.line)
        }
        // Filters see the same event as the rule they suppress, so their log
        // source adds no gate.
        var selections: [(name: String, expression: RuleExpression)] = []
        var condition: YAMLNode?
        for entry in map {
            guard let name = entry.key.string, name != "rules" else { continue }
            if name == "condition" { condition = entry.value; continue }
            selections.append((name, try compileSelection(entry.value, resolver: resolver)))
        }
        if let (name, sources) = resolver.namesOfOtherSources.first {
            let listed = sources.prefix(3).map { "(\($0))" }.joined(separator: ", ")
                + (sources.count > 3 ? ", …" : "")
            throw RuleRefusal(
                code: "filter-field-of-other-logsource",
                message: "'\(name)' is a Sigma field the mapping reads only for the log sources "
                    + "\(listed); this filter's logsource is none of them, so '\(name)' would be "
                    + "read as an event field of that name, which ECS events lack: the filter "
                    + "would match no event (and with 'not', every one). Give the filter the "
                    + "logsource of the rules it names, or name the ECS field",
                line: resolver.firstNameOfOtherSourcesLine ?? filter.mark.line)
        }
        guard let condition, let conditionText = condition.string else {
            throw RuleRefusal(code: "missing-condition", message: "the filter has no condition",
                              line: filter.mark.line)
        }
        // A refusal of the condition points at it, not at the document.
        let parsed: RuleExpression
        do {
            var parser = try ConditionParser(conditionText, selections: selections.map(\.name))
            parsed = try parser.parse()
        } catch {
            var refusal = error
            refusal.line = refusal.line ?? condition.mark.line
            throw refusal
        }
        let byName = Dictionary(selections.map { ($0.name, $0.expression) },
                                uniquingKeysWith: { first, _ in first })
        return CompiledFilter(id: id, title: title, path: path, line: line, ruleIDs: ruleIDs,
                              condition: Self.inline(parsed, byName))
    }

    /// Replaces selection references (encoded as constant-free tests on `@name`) by bodies.
    static func inline(_ expression: RuleExpression, _ selections: [String: RuleExpression])
        -> RuleExpression
    {
        switch expression {
        case .test(let test):
            if test.field?.hasPrefix(ConditionParser.referencePrefix) == true,
               case .exists = test.kind {
                let name = String(test.field!.dropFirst(ConditionParser.referencePrefix.count))
                return selections[name] ?? .constant(false)
            }
            return expression
        case .all(let children): return .all(children.map { inline($0, selections) })
        case .any(let children): return .any(children.map { inline($0, selections) })
        case .not(let child): return .not(inline(child, selections))
        case .constant: return expression
        }
    }

    // MARK: - Selections

    func compileSelection(_ node: YAMLNode, resolver: FieldResolver) throws(RuleRefusal)
        -> RuleExpression
    {
        switch node {
        case .mapping(let map, _):
            // An empty map is a condition on nothing, true of every event: no
            // author means a rule firing on all, or a filter hiding all.
            guard map.count > 0 else {
                throw RuleRefusal(code: "invalid-selection", message: "empty selection: it names "
                                  + "no field, and would match every event", line: node.mark.line)
            }
            var parts: [RuleExpression] = []
            for entry in map {
                guard let key = entry.key.string else {
                    throw RuleRefusal(code: "invalid-selection", message: "a field name must be text",
                                      line: entry.key.mark.line)
                }
                do {
                    parts.append(try compileItem(key: key, value: entry.value, resolver: resolver,
                                                 line: entry.key.mark.line))
                } catch {
                    var refusal = error
                    refusal.line = refusal.line ?? entry.key.mark.line
                    throw refusal
                }
            }
            return parts.count == 1 ? parts[0] : .all(parts)
        case .sequence(let items, _):
            guard !items.isEmpty else {
                throw RuleRefusal(code: "invalid-selection", message: "empty selection list",
                                  line: node.mark.line)
            }
            var alternatives: [RuleExpression] = []
            var keywords: [YAMLNode] = []
            for item in items {
                if item.scalar != nil { keywords.append(item); continue }
                alternatives.append(try compileSelection(item, resolver: resolver))
            }
            if !keywords.isEmpty {
                alternatives.append(try compileItem(
                    key: "", value: .sequence(keywords, mark: node.mark), resolver: resolver))
            }
            return alternatives.count == 1 ? alternatives[0] : .any(alternatives)
        case .scalar:
            return try compileItem(key: "", value: node, resolver: resolver)
        }
    }

    // MARK: - Field items and modifiers

    /// A document's id, trimmed; empty when it has none (YAML null is none,
    /// not the text "null").
    static func id(of node: YAMLNode?) throws(RuleRefusal) -> String {
        guard let node, !node.isNull else { return "" }
        guard let text = node.string else {
            throw RuleRefusal(code: "invalid-id", message: "the id must be text (a UUID)",
                              line: node.mark.line)
        }
        // `*` is what a filter names for every rule; an id is also a line
        // of alert listings and a key of suppression counts, which
        // control and format characters (a line separator, a right-to-left
        // override, a zero-width space) would break or disguise.
        let id = RuleIdentifier.canonical(text)
        let unprintable: Set<Unicode.GeneralCategory> = [
            .control, .format, .lineSeparator, .paragraphSeparator,
        ]
        guard id != "*", id.count <= 256,
              !id.unicodeScalars.contains(where: {
                  unprintable.contains($0.properties.generalCategory)
              })
        else {
            throw RuleRefusal(code: "invalid-id", message: "the id must be a UUID, or text of at "
                              + "most 256 characters on one line other than '*' (which a "
                              + "filter names for every rule)", line: node.mark.line)
        }
        return id
    }

    /// A rule's log source: a map of text values (null ones absent).
    /// Anything else was read as no log source at all, so that an ECS rule
    /// with `logsource: process_creation` ran ungated on every event.
    private static func logSource(of node: YAMLNode?) throws(RuleRefusal) -> LogSource {
        guard let node, !node.isNull else { return LogSource() }
        guard let map = node.mapping else {
            throw RuleRefusal(code: "invalid-logsource", message: "logsource must be a map such "
                              + "as {product: windows, category: process_creation}",
                              line: node.mark.line)
        }
        // As at the top level: a key near one it lacks is a typo that
        // would drop the gate (`catgory:` ran a process rule on every
        // event). Other keys (`definition`, a vendor's own) are kept quiet.
        let gates = ["product", "category", "service"]
        for entry in map {
            guard let key = entry.key.string, !gates.contains(key), key != "definition",
                  let meant = NearestName.find(key, in: gates.filter { map[$0] == nil })
            else { continue }
            throw RuleRefusal(code: "misspelt-key",
                              message: "logsource's key '\(key)' is not Sigma's; did you mean "
                                + "'\(meant)'? (without it the rule runs on events of every "
                                + "\(meant))", line: entry.key.mark.line)
        }
        func value(_ key: String) throws(RuleRefusal) -> String? {
            guard let value = map[key], !value.isNull else { return nil }
            guard let text = value.string else {
                throw RuleRefusal(code: "invalid-logsource", message: "logsource's \(key) must "
                                  + "be one text, not a list or a map", line: value.mark.line)
            }
            return text.lowercased()
        }
        return LogSource(product: try value("product"), category: try value("category"),
                         service: try value("service"))
    }

    /// Refuses modifiers that contradict one another, or that a test
    /// would silently drop (`x|cidr|contains` tested the network alone,
    /// `y|lt|gt` the first comparison, `w|gt|contains` the number): the
    /// rule would not test what its author wrote. pySigma refuses most of
    /// these as type errors.
    /// Where in the field's text a value is found.
    static let positionModifiers: Set<String> = ["contains", "startswith", "endswith"]

    static func requireCompatible(_ modifiers: [String], key: String) throws(RuleRefusal) {
        func refuse(_ message: String) -> RuleRefusal {
            RuleRefusal(code: "invalid-modifier", message: message + " (in '\(key)')")
        }
        let has = Set(modifiers)
        let positions = modifiers.filter(positionModifiers.contains)
        if Set(positions).count > 1 {
            throw refuse(positions.joined(separator: " and ") + " exclude one another: a value "
                         + "is contained, starts or ends the field's text")
        }
        let comparisons = modifiers.filter { ComparisonOperator(rawValue: $0) != nil }
        if let comparison = comparisons.first {
            if Set(comparisons).count > 1 {
                throw refuse("one comparison a value: " + comparisons.joined(separator: " and ")
                             + " are two (write two selections, joined by 'and')")
            }
            let other = modifiers.filter { $0 != comparison && $0 != "all" }
            if !other.isEmpty {
                throw refuse("\(comparison) compares numbers and cannot be combined with "
                             + other.joined(separator: ", "))
            }
        }
        if has.contains("cidr") {
            let other = modifiers.filter { !["cidr", "all", "neq"].contains($0) }
            if !other.isEmpty {
                throw refuse("cidr tests an address and cannot be combined with "
                             + other.joined(separator: ", "))
            }
        }
        if has.contains("re"), has.contains("i"), has.contains("cased") {
            throw refuse("re|i ignores case and cased keeps it: give one")
        }
    }

    /// Refuses a value an asset field never carries, as a misspelt asset
    /// field is refused: the test never held, and its `not` always did.
    /// Enrichment writes `ambiguous` only when true, a criticality value
    /// (a number) from 0 to 100, and a display bucket of `low`, `medium`,
    /// `high` or `unrated`; an address or encoding modifier on the number,
    /// a comparison on a text, and a pattern with a letter for the number
    /// are refused too. Text tests of the number's digits, other patterns
    /// and text modifiers on texts are left to the author.
    private static func requireMatchableAssetValues(field: String, key: String,
                                                    modifiers: [String],
                                                    values: [YAMLNode]) throws(RuleRefusal) {
        let member = field.split(separator: ".").last.map(String.init) ?? field
        // A criticality value is a number, whose digits text tests read
        // (`|startswith: '9'` holds for 95), but never an address, nor the
        // encodings of a command line; and a text field is no number to
        // compare. Such tests never held, and their `not` always did.
        let neverOnNumbers = modifiers.filter {
            ["cidr", "base64", "base64offset", "windash", "utf16", "utf16le", "utf16be",
             "wide"].contains($0)
        }
        if member == "criticality_value", let modifier = neverOnNumbers.first {
            throw RuleRefusal(code: "invalid-modifier",
                              message: "'\(key)' never matches: \(modifier) does not read a "
                                + "criticality value, a whole number from 0 to 100 (compare it "
                                + "with lt, lte, gt or gte)")
        }
        if member != "criticality_value",
           let op = ComparisonOperator.allCases.first(where: { modifiers.contains($0.rawValue) }) {
            throw RuleRefusal(code: "invalid-modifier",
                              message: "'\(key)' never matches: \(op.rawValue) compares numbers, "
                                + "and \(member) is none")
        }
        if member == "criticality_value",
           let op = ComparisonOperator.allCases.first(where: { modifiers.contains($0.rawValue) }) {
            let lowest = SigmaNumber.parseDecimal("0")!
            let highest = SigmaNumber.parseDecimal("100")!
            for node in values {
                guard let number = node.string.flatMap(SigmaNumber.parseDecimal) else { continue }
                if !op.holds(lowest, number) && !op.holds(highest, number) {
                    throw RuleRefusal(code: "invalid-value",
                                      message: "'\(key): \(node.string ?? "")' never holds: a "
                                        + "criticality value is 0 to 100", line: node.mark.line)
                }
            }
            return
        }
        // The digits of a number hold no letter: `|startswith: 'a'` on a
        // criticality value never held, as the pattern `'9a*'` never does.
        func mayMatchDigits(_ text: String) -> Bool { text.allSatisfy { "0123456789*?".contains($0) } }
        if member == "criticality_value", modifiers.contains(where: positionModifiers.contains) {
            for node in values {
                guard let text = node.scalar.map(\.value), node.scalar?.isNull == false,
                      !mayMatchDigits(text) else { continue }
                throw RuleRefusal(code: "invalid-value",
                                  message: "'\(key): \(text)' never matches: a criticality value "
                                    + "is a whole number from 0 to 100, whose text holds digits only",
                                  line: node.mark.line)
            }
        }
        guard modifiers.allSatisfy({ $0 == "all" }) else { return }
        for node in values {
            guard let scalar = node.scalar, !scalar.isNull else { continue }
            let text = scalar.value
            if text.contains("*") || text.contains("?") {
                // A pattern of digits may match a value (`9*`); one with
                // a letter never does.
                guard member == "criticality_value", !mayMatchDigits(text) else { continue }
            }
            let expected: String
            switch member {
            case "ambiguous":
                guard text.lowercased() != "true" else { continue }
                expected = "it is written only when true, on an event naming several "
                    + "candidates; to select the others, test '\(key)|exists: false'"
            case "criticality_value":
                // As the matcher reads a decimal number: `50.0` and `5e1` are 50.
                if text.allSatisfy({ "0123456789.eE+-".contains($0) }), let number = Double(text),
                   number == number.rounded(), (0...100).contains(number) {
                    continue
                }
                expected = "a criticality value is a whole number from 0 to 100"
            case "criticality_display":
                if ["low", "medium", "high", "unrated"].contains(text.lowercased()) { continue }
                expected = "a criticality display is low, medium, high or unrated"
            default:
                return
            }
            throw RuleRefusal(code: "invalid-value",
                              message: "'\(key): \(text)' never matches: \(expected)",
                              line: scalar.mark.line)
        }
    }

    /// Refuses an asset field enrichment does not give: under its reserved
    /// prefixes the names are known, and a misspelt one never matched (and
    /// its `not` always did). The prefixes are compared in any case and
    /// through the `sekoia.` alias: `sekoiaio.ANY_ASSET.tags` is no asset
    /// field but an input field the event may fill itself, so a rule that
    /// named it read an event's claim of a tag. The objects themselves
    /// (`sekoiaio.any_asset`) have no value to test. Other `sekoiaio.`
    /// fields are the event's own.
    private static func requireKnownAssetField(_ field: String, line: Int?) throws(RuleRefusal) {
        var lowered = field.lowercased()
        if lowered.hasPrefix("sekoia.") { lowered = "sekoiaio." + lowered.dropFirst("sekoia.".count) }
        let namesObject = lowered == "sekoiaio.any_asset" || lowered == "sekoiaio.assets"
        guard namesObject || EnrichmentFieldNames.isReserved(lowered) else { return }
        let canonical = field.hasPrefix("sekoia.")
            ? "sekoiaio." + field.dropFirst("sekoia.".count) : field
        if !namesObject && EnrichmentFieldNames.all.contains(canonical) { return }
        let hint = namesObject
            ? " (to test whether the event touches a known asset, name one of its fields: "
                + "sekoiaio.any_asset.uuid|exists: true)"
            : canonical.lowercased() == canonical || !EnrichmentFieldNames.all.contains(lowered)
                ? "" : " (field names are case-sensitive: '\(lowered)')"
        throw RuleRefusal(code: "unknown-asset-field", message: "'\(field)' is no field "
                          + "enrichment gives: it would never match (and its 'not' always)"
                          + hint + "; asset fields are "
                          + EnrichmentFieldNames.anyAsset.joined(separator: ", ")
                          + " and sekoiaio.assets.CATEGORY.uuid, .name and .criticality_value "
                          + "(CATEGORY: host, account, network)", line: line)
    }

    /// One `field|modifier…: value(s)` entry; an empty field is a keyword search.
    /// `target`: the event field to test, when the name maps to several
    /// and this is one of them.
    func compileItem(key: String, value: YAMLNode, resolver: FieldResolver,
                     line: Int? = nil, target: String? = nil) throws(RuleRefusal) -> RuleExpression
    {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let writtenField = parts[0]
        let modifiers = Array(parts.dropFirst())
        for modifier in modifiers where !Self.supportedModifiers.contains(modifier) {
            throw RuleRefusal(code: "unsupported-modifier",
                              message: "modifier '\(modifier)' is not supported (in '\(key)')")
        }
        let has = Set(modifiers)
        let field: String?
        if let target {
            field = target
        } else if writtenField.isEmpty {
            field = nil
        } else {
            try Self.requireKnownAssetField(writtenField, line: line)
            let targets = resolver.resolve(writtenField, at: line)
            if targets.count > 1 {
                // One test per field, the value being in one of them: any
                // of the tests holds, or, for a test of absence, all.
                var each: [RuleExpression] = []
                for one in targets {
                    each.append(try compileItem(key: key, value: value, resolver: resolver,
                                                line: line, target: one))
                }
                let values = value.sequence ?? [value]
                let testsAbsence = values.allSatisfy(\.isNull)
                    || (has.contains("exists") && values.first?.bool == false)
                return testsAbsence ? .all(each) : .any(each)
            }
            field = targets[0]
        }
        // A plain value the mapping translates is compared as events write it.
        let values: [YAMLNode] = (value.sequence ?? [value]).map { node in
            guard modifiers.isEmpty, let scalar = node.scalar, !scalar.isNull,
                  let read = resolver.eventValue(scalar.value, of: writtenField)
            else { return node }
            return .scalar(YAMLScalar(value: read, style: .singleQuoted, mark: scalar.mark))
        }
        guard !values.isEmpty else {
            throw RuleRefusal(code: "invalid-value", message: "'\(key)' has an empty value list")
        }
        if let field, EnrichmentFieldNames.all.contains(field) {
            try Self.requireMatchableAssetValues(field: field, key: key, modifiers: modifiers,
                                                 values: values)
        }
        let combine: ([RuleExpression]) -> RuleExpression = { parts in
            parts.count == 1 ? parts[0] : has.contains("all") ? .all(parts) : .any(parts)
        }
        func requireField() throws(RuleRefusal) -> String {
            guard let field else {
                throw RuleRefusal(code: "invalid-modifier",
                                  message: "'\(key)' needs a field name")
            }
            return field
        }

        if has.contains("exists") {
            // pySigma reads YAML 1.1, where a plain `yes` and `no` are
            // booleans too: a rule it runs is not refused here. Quoted,
            // they are text, as a quoted 'true' is.
            let yaml11 = ["yes": true, "on": true, "no": false, "off": false]
            guard modifiers == ["exists"], values.count == 1,
                  let flag = values[0].bool ?? values[0].scalar.flatMap({ scalar in
                      scalar.style == .plain ? yaml11[scalar.value.lowercased()] : nil
                  })
            else {
                throw RuleRefusal(code: "invalid-value",
                                  message: "'\(key)' takes only true or false")
            }
            return .test(FieldTest(field: try requireField(), kind: .exists(flag)))
        }
        try Self.requireCompatible(modifiers, key: key)
        if has.contains("fieldref") {
            let other = modifiers.filter { !["fieldref", "cased", "all", "neq"].contains($0) }
            guard other.isEmpty else {
                throw RuleRefusal(code: "unsupported-modifier",
                                  message: "fieldref cannot be combined with "
                                    + other.joined(separator: ", ") + " (in '\(key)')")
            }
            let target = try requireField()
            var tests: [RuleExpression] = []
            var referenced: [RuleExpression] = []
            for node in values {
                guard let name = node.string, !node.isNull else {
                    throw RuleRefusal(code: "invalid-value", message: "fieldref needs a field name")
                }
                try Self.requireKnownAssetField(name, line: node.mark.line)
                // A reference to a name mapped to several fields reads the first.
                let reference = resolver.resolve(name, at: node.mark.line)[0]
                tests.append(.test(FieldTest(field: target, kind: .fieldReference(
                    reference, caseless: !has.contains("cased")))))
                // A value to compare: a null is none.
                referenced.append(.not(.test(FieldTest(field: reference, kind: .isNull))))
            }
            // `neq` compares two values, so both fields hold one (a null is
            // none): with the other field missing, `x|fieldref|neq: y`
            // held, where `x|neq: v` needs its own field.
            guard has.contains("neq") else { return combine(tests) }
            let ownValue = RuleExpression.not(.test(FieldTest(field: target, kind: .isNull)))
            return .all([.not(combine(tests)), ownValue] + referenced)
        }
        if has.contains("re") {
            var options: Regex.Options = []
            if has.contains("i") { options.insert(.caseless) }
            if has.contains("m") { options.insert(.multiline) }
            if has.contains("s") { options.insert(.dotAll) }
            let other = modifiers.filter { !["re", "i", "m", "s", "all", "neq", "cased"].contains($0) }
            guard other.isEmpty else {
                throw RuleRefusal(code: "unsupported-modifier",
                                  message: "re cannot be combined with "
                                    + other.joined(separator: ", ") + " (in '\(key)')")
            }
            var tests: [RuleExpression] = []
            for node in values {
                guard let pattern = node.string, !node.isNull else {
                    throw RuleRefusal(code: "invalid-value", message: "re needs a pattern "
                                      + "(in '\(key)')", line: node.mark.line)
                }
                do {
                    let regex = try Regex(pattern, options: options)
                    tests.append(.test(FieldTest(field: field, kind: .regex(CompiledRegex(regex: regex)))))
                } catch {
                    throw RuleRefusal(code: "invalid-regex",
                                      message: error.description + " (in '\(key)')",
                                      line: node.mark.line)
                }
            }
            return negatedIfNeeded(combine(tests), has: has, field: field)
        }
        if !has.isDisjoint(with: ["i", "m", "s"]) {
            throw RuleRefusal(code: "invalid-modifier",
                              message: "modifiers i, m and s only follow re (in '\(key)')")
        }
        if has.contains("cidr") {
            var tests: [RuleExpression] = []
            for node in values {
                guard let text = node.string, let network = IPNetwork(parsing: text) else {
                    throw RuleRefusal(code: "invalid-value",
                                      message: "'\(node.string ?? "")' is not a CIDR network "
                                        + "(in '\(key)')", line: node.mark.line)
                }
                tests.append(.test(FieldTest(field: try requireField(), kind: .cidr(network))))
            }
            return negatedIfNeeded(combine(tests), has: has, field: field)
        }
        if let op = ComparisonOperator.allCases.first(where: { has.contains($0.rawValue) }) {
            var tests: [RuleExpression] = []
            for node in values {
                guard let number = node.string.flatMap(SigmaNumber.parseDecimal) else {
                    throw RuleRefusal(code: "invalid-value",
                                      message: "\(op.rawValue) needs a number, not "
                                        + "'\(node.string ?? "")' (in '\(key)')",
                                      line: node.mark.line)
                }
                tests.append(.test(FieldTest(field: try requireField(), kind: .compare(op, number))))
            }
            return combine(tests)
        }

        // String values: each written value becomes a group of alternatives.
        var groups: [RuleExpression] = []
        // Base64 text is compared as written: its case is its bytes
        // (`AGVSBG8=` is no encoding of "hello", and a variant of
        // base64offset found in another string by its letters alone
        // raised alerts on unrelated commands).
        let caseless = !has.contains("cased") && has.isDisjoint(with: ["base64", "base64offset"])
        var variantCount = 0
        for node in values {
            guard let scalar = node.scalar else {
                throw RuleRefusal(code: "invalid-value",
                                  message: "'\(key)' has a nested list or map as a value",
                                  line: node.mark.line)
            }
            if scalar.isNull {
                guard let field else {
                    throw RuleRefusal(code: "invalid-value", message: "a keyword cannot be null")
                }
                // `contains: null` read as a null test said something else
                // than its author wrote (pySigma refuses it too).
                guard modifiers.allSatisfy({ $0 == "all" }) else {
                    throw RuleRefusal(code: "invalid-value", message: "'\(key)': null tests "
                                      + "that the field is absent, and takes no modifier",
                                      line: node.mark.line)
                }
                groups.append(.test(FieldTest(field: field, kind: .isNull)))
                continue
            }
            // A float's number text is an alternative for equality alone:
            // under `contains` `1.0` would be `1`, found in every "15".
            // Equality whatever else is said of it: `all` groups the values,
            // `cased` keeps their case, `neq` negates the same comparison.
            let comparesEqual = modifiers.allSatisfy { ["all", "cased", "neq"].contains($0) }
            var strings = try expandedStrings(scalar, expand: has.contains("expand"),
                                              numberToo: field != nil && comparesEqual)
            let written = strings.count
            for modifier in modifiers {
                strings = try transform(strings, by: modifier, key: key)
            }
            // Every variant is one more test on every event with the field;
            // a list of values with many flags each reached millions, and
            // a load that seemed to hang. Counted beyond the values written
            // (a long list without dashes makes none).
            variantCount += strings.count - written
            if has.contains("windash"), variantCount > Self.maximumWindashVariants {
                throw RuleRefusal(code: "invalid-value",
                                  message: "windash makes over \(Self.maximumWindashVariants) "
                                    + "variants of the \(values.count) values of '\(key)' (each "
                                    + "dash that starts a flag is any of 5 characters): give "
                                    + "fewer values, or fewer flags a value",
                                  line: node.mark.line)
            }
            if field == nil {
                // A keyword matches anywhere in a string of the event.
                strings = strings.map { $0.prefixedWithWildcard().suffixedWithWildcard() }
            }
            let tests = strings.map { string in
                RuleExpression.test(FieldTest(
                    field: field, kind: .string(StringMatcher(string, caseless: caseless),
                                                caseless: caseless)))
            }
            groups.append(tests.count == 1 ? tests[0] : .any(tests))
        }
        return negatedIfNeeded(combine(groups), has: has, field: field)
    }

    /// `neq`: the field is present and none of its values is one of these.
    private func negatedIfNeeded(_ expression: RuleExpression, has: Set<String>, field: String?)
        -> RuleExpression
    {
        guard has.contains("neq"), let field else { return expression }
        return .all([.test(FieldTest(field: field, kind: .exists(true))), .not(expression)])
    }

    private func expandedStrings(_ scalar: YAMLScalar, expand: Bool,
                                 numberToo: Bool = false) throws(RuleRefusal) -> [SigmaString]
    {
        var text = scalar.value
        // Plain YAML integers are numbers: give them their decimal text
        // (`0017` is 17). One spelt otherwise (`0777`, `+5`) is also its own
        // spelling for equality, as a float is: a file mode "0777" is text
        // in ECS, and matched only "777". Under a text modifier it stays
        // the number's text, as before.
        if scalar.style == .plain, let int = scalar.int, !text.hasPrefix("0x"),
           !text.hasPrefix("0o") {
            let decimal = String(int)
            if numberToo, decimal != text, !expand {
                return [SigmaString(parsing: decimal), SigmaString(parsing: text)]
            }
            text = decimal
        } else if numberToo, scalar.style == .plain, scalar.int == nil,
                  let double = scalar.double, double.isFinite,
                  let number = DetectionValue.double(double).text, number != text {
            // A plain YAML float is the number, read as an event's number
            // of that value reads (`1.0` and `1e3` are 1 and 1000; they
            // matched neither 1.0 nor 1000), and still its own spelling,
            // which an event's text may hold (a version `1.10`).
            return [SigmaString(parsing: number), SigmaString(parsing: text)]
        }
        guard expand else { return [SigmaString(parsing: text)] }
        var results: [String] = [""]
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("\\%") {
                results = results.map { $0 + "%" }
                rest = rest.dropFirst(2)
                continue
            }
            if rest.first == "%", let end = rest.dropFirst().firstIndex(of: "%") {
                let given = String(rest[rest.index(after: rest.startIndex)..<end])
                let name = placeholders[given] != nil ? given : given.lowercased()
                guard let replacements = placeholders[name] else {
                    throw RuleRefusal(code: "unknown-placeholder",
                                      message: "placeholder '%\(given)%' has no values: give "
                                        + "them in the configuration's detection.placeholders "
                                        + "or placeholders_file (rules check and test read it "
                                        + "with --config FILE)")
                }
                if examplePlaceholders.contains(name) { exampleUse.names.insert(name) }
                results = results.flatMap { prefix in replacements.map { prefix + $0 } }
                rest = rest[rest.index(after: end)...]
                continue
            }
            let character = rest.removeFirst()
            results = results.map { $0 + String(character) }
        }
        return results.map(SigmaString.init(parsing:))
    }

    /// The most values `windash` may add to one field's list.
    static let maximumWindashVariants = 20_000

    private func transform(_ strings: [SigmaString], by modifier: String, key: String)
        throws(RuleRefusal) -> [SigmaString]
    {
        func plain(_ string: SigmaString) throws(RuleRefusal) -> [UInt8] {
            guard let bytes = string.plainBytes else {
                throw RuleRefusal(code: "invalid-value",
                                  message: "\(modifier) needs a value without wildcards, "
                                    + "not '\(string.display)' (in '\(key)')")
            }
            return bytes
        }
        switch modifier {
        case "contains": return strings.map { $0.prefixedWithWildcard().suffixedWithWildcard() }
        case "startswith": return strings.map { $0.suffixedWithWildcard() }
        case "endswith": return strings.map { $0.prefixedWithWildcard() }
        case "windash": return strings.flatMap(SigmaEncoding.windashVariants)
        case "base64":
            var result: [SigmaString] = []
            for string in strings {
                result.append(SigmaString(literal: Array(SigmaEncoding.base64(try plain(string)).utf8)))
            }
            return result
        case "base64offset":
            var result: [SigmaString] = []
            for string in strings {
                result += SigmaEncoding.base64Offsets(try plain(string)).map {
                    SigmaString(literal: Array($0.utf8))
                }
            }
            return result
        case "utf16le", "wide": return strings.map { $0.mapLiterals(SigmaEncoding.utf16LE) }
        case "utf16be": return strings.map { $0.mapLiterals(SigmaEncoding.utf16BE) }
        case "utf16":
            return strings.map { string in
                let encoded = string.mapLiterals(SigmaEncoding.utf16LE)
                return SigmaString(tokens: [.literal([0xFF, 0xFE])] + encoded.tokens)
            }
        default:
            return strings
        }
    }
}
