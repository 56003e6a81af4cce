import Foundation
import PerimeterInput
import PerimeterModel
import PerimeterYAML

/// What loading rule files produced: the rules and filters that compiled, and a
/// report for every document, refused or not.
public struct RuleSet: Sendable {
    public var rules: [CompiledRule] = []
    public var filters: [CompiledFilter] = []
    public var reports: [RuleStatusReport] = []
    /// The rules that correlation rules (refused: not supported) name,
    /// and where each correlation is.
    var correlationReferences: [(names: [String], generate: Bool, title: String, place: String)] = []

    /// Each rule id a filter names that no rule of the set has, with
    /// where the filter is: a mistyped id silently disables the filter for
    /// the rule meant. Empty when the set holds no rule (filters checked
    /// on their own).
    public var filterTargetsWithoutRule: [String] {
        guard !rules.isEmpty else { return [] }
        let ids = Set(rules.map(\.id))
        return filters.flatMap { filter in
            filter.ruleIDs.filter { $0 != "*" && !ids.contains($0) }.map {
                "\(filter.path): filter '\(filter.reportedName)' names the rule id '\($0)', which no "
                    + "loaded rule has: it suppresses nothing"
            }
        }
    }

    /// What to tell of the filters before events run: the rule ids no rule
    /// has, and each filter whose condition holds where none of its tests
    /// does (`not selection`, `not a and not b`). Perimeter
    /// suppresses the matches a filter's condition holds for (SPEC §6);
    /// Sigma's filter specification and pySigma read the condition as what
    /// to keep (its example drops `adm_` users with `not selection`), so
    /// such a filter copied from them suppresses every match but those.
    public var filterWarnings: [String] {
        filterTargetsWithoutRule + filters.compactMap { filter in
            guard filter.condition.holdsWithNoTestTrue else { return nil }
            return "\(filter.path):\(filter.line): filter '\(filter.reportedName)' has a "
                + "condition that holds where none of its selections does (a 'not'): it "
                + "suppresses every match its selections do not name (a filter here "
                + "suppresses what its condition holds for; Sigma's filter specification "
                + "reads the condition as what to keep, so a filter written for it must be "
                + "turned round: 'condition: selection')"
        }
    }
}

/// How field names are read when rules are loaded.
public enum MappingChoice: Sendable {
    /// `Resources/sigma-ecs-mapping.yml`, shipped with Perimeter.
    case builtIn
    case file(String)
    /// Names as written and no log-source gates: for events in their native shape.
    case none
}

/// Reads Sigma rule and filter files (several documents per file, folders recursively).
public enum RuleLoader {
    /// `filterPaths` hold alert filters alone: a detection rule found there
    /// is refused, as paths given the wrong way round would otherwise run
    /// the filters' folder as rules without a word. (Filters found among
    /// rules are taken: one folder may hold both.)
    public static func load(paths: [String], filterPaths: [String] = [],
                            mapping: MappingChoice = .builtIn,
                            placeholders: [String: [String]]? = nil) throws(RuleRefusal)
        -> RuleSet
    {
        let fieldMapping: FieldMapping?
        switch mapping {
        case .builtIn: fieldMapping = try FieldMapping.builtIn()
        case .file(let path): fieldMapping = try FieldMapping.load(path: path)
        case .none: fieldMapping = nil
        }
        // The configuration's placeholders add to the shipped ones (a name
        // given there wins): `placeholders: {}`, or one name of one's own,
        // used to drop every shipped value.
        let shipped = try builtInPlaceholders()
        let values = shipped.merging(placeholders ?? [:]) { $1 }
        // A rule of SigmaHQ's rules-placeholder runs on example values
        // (`DC-*`, 192.0.2.1) until they are replaced: said, not silent
        // (a logon of a real domain controller is "not from a DC" to them).
        let examples = Set(shipped.compactMap { name, list -> String? in
            guard placeholders?[name] == nil, list != ["%\(name)%"] else { return nil }
            return name
        })
        let compiler = SigmaCompiler(mapping: fieldMapping, placeholders: values,
                                     examplePlaceholders: examples)
        var set = RuleSet()
        for path in paths {
            for file in ruleFiles(under: path) {
                load(file: file, compiler: compiler, into: &set)
            }
        }
        for path in filterPaths {
            for file in ruleFiles(under: path) {
                load(file: file, compiler: compiler, filtersOnly: true, into: &set)
            }
        }
        resolveReferences(in: &set)
        return set
    }

    /// What one rule names of another, read once every file is loaded:
    /// a filter may name its rules by Sigma's `name` as well as by id
    /// (as correlations do); a correlation's rules are set aside.
    public static func resolveReferences(in set: inout RuleSet) {
        let ids = Set(set.rules.map(\.id))
        var idsByName: [String: [String]] = [:]
        for rule in set.rules {
            if let name = rule.name { idsByName[RuleIdentifier.canonical(name), default: []].append(rule.id) }
        }
        // A name several rules share names them all, as a correlation's
        // does.
        for index in set.filters.indices {
            set.filters[index].ruleIDs = set.filters[index].ruleIDs.flatMap { reference in
                guard reference != "*", !ids.contains(reference),
                      let named = idsByName[reference] else { return [reference] }
                return named
            }
        }
        setAsideCorrelationBases(in: &set)
    }

    /// Sets aside the rules a correlation rule names (by `name` or id),
    /// unless it says `generate: true`: Sigma runs them only within their
    /// correlation, which is not supported here, and run alone they raised
    /// an alert for every event of what was to be counted (each failed
    /// logon of a brute-force count).
    static func setAsideCorrelationBases(in set: inout RuleSet) {
        for reference in set.correlationReferences where !reference.generate {
            let named = Set(reference.names.map(RuleIdentifier.canonical))
            let bases = set.rules.filter { rule in
                named.contains(RuleIdentifier.canonical(rule.id))
                    || rule.name.map { named.contains(RuleIdentifier.canonical($0)) } == true
            }
            for base in bases {
                set.rules.removeAll { $0.id == base.id }
                guard let index = set.reports.firstIndex(where: {
                    !$0.isFilter && $0.id == base.id && $0.isOK
                }) else { continue }
                set.reports[index].status = .refused
                set.reports[index].reasonCode = "correlation-base"
                set.reports[index].reason = "the correlation rule '\(reference.title)' "
                    + "(\(reference.place)) names it, and Sigma runs such a rule only within its "
                    + "correlation (unless that says 'generate: true'), which Perimeter does not "
                    + "support: alone it would alert on every event the correlation counts"
            }
        }
    }

    /// Compiles rules from YAML text (for tests and tools).
    public static func load(text: String, path: String = "<text>",
                            mapping: MappingChoice = .none,
                            placeholders: [String: [String]] = [:]) throws(RuleRefusal) -> RuleSet
    {
        let fieldMapping: FieldMapping?
        switch mapping {
        case .builtIn: fieldMapping = try FieldMapping.builtIn()
        case .file(let file): fieldMapping = try FieldMapping.load(path: file)
        case .none: fieldMapping = nil
        }
        var set = RuleSet()
        let compiler = SigmaCompiler(mapping: fieldMapping, placeholders: placeholders)
        load(text: text, path: path, compiler: compiler, into: &set)
        resolveReferences(in: &set)
        return set
    }

    /// `.yml` and `.yaml` files under `path` (or `path` itself), sorted for
    /// stable output. Symbolic links are followed, to folders too (a rules
    /// folder is often a link to a checkout), each folder walked once
    /// whatever the links that lead to it again, and each file once;
    /// hidden entries (`.git`, `.github` and its workflow files) are not
    /// rules and are left out.
    /// A link that leads nowhere is listed, for the loader to report.
    public static func ruleFiles(under path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return [path]
        }
        guard isDirectory.boolValue else { return [path] }
        var files: [String] = []
        var walked: Set<String> = []
        func walk(_ directory: String) {
            // By URL: NSString's resolving leaves a link to `..` unresolved,
            // and the walk went round such a loop without end.
            let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
            guard walked.insert(real).inserted,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: directory)
            else { return }
            for name in names where !name.hasPrefix(".") {
                let child = (directory as NSString).appendingPathComponent(name)
                var isFolder: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: child, isDirectory: &isFolder)
                if exists && isFolder.boolValue {
                    walk(child)
                } else if name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
                    files.append(child)
                }
            }
        }
        walk(path)
        // A file reached twice (a link to a rule beside it) is one file:
        // loaded twice, it refused itself as a duplicate id. The path kept
        // is the file's own rather than a link's, else the first in order.
        func isLink(_ file: String) -> Bool {
            (try? FileManager.default.attributesOfItem(atPath: file)[.type]
                as? FileAttributeType) == .typeSymbolicLink
        }
        var kept: [String: String] = [:]
        for file in files.sorted() {
            let real = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
            if let first = kept[real], !isLink(first) || isLink(file) { continue }
            kept[real] = file
        }
        return kept.values.sorted()
    }

    private static func load(file: String, compiler: SigmaCompiler, filtersOnly: Bool = false,
                             into set: inout RuleSet) {
        let bytes: [UInt8]
        do {
            bytes = try WholeFile.bytes(atPath: file)
        } catch {
            set.reports.append(RuleStatusReport(
                path: file, line: 0, status: .refused, reasonCode: "unreadable-file",
                reason: "cannot read the file: \(error.reason)", isFilter: false))
            return
        }
        let text: String
        switch RuleFileText.decode(bytes) {
        case .success(let decoded):
            text = decoded
        case .failure(let problem):
            set.reports.append(RuleStatusReport(
                path: file, line: problem.line, status: .refused, reasonCode: "invalid-encoding",
                reason: problem.message, isFilter: false))
            return
        }
        load(text: text, path: file, compiler: compiler, filtersOnly: filtersOnly, into: &set)
    }

    private static func load(text: String, path: String, compiler: SigmaCompiler,
                             filtersOnly: Bool = false, into set: inout RuleSet) {
        var documents: [YAMLNode]
        do {
            documents = try YAMLParser.parseDocuments(text, file: path)
        } catch {
            // A YAML error ends the parser's stream: each document is read
            // on its own then, so that one broken document refuses itself
            // and not the rules beside it (they were lost unsaid).
            documents = []
            for chunk in documentTexts(text) {
                do {
                    documents += try YAMLParser.parseDocuments(chunk, file: path)
                } catch {
                    set.reports.append(RuleStatusReport(
                        path: path, line: error.mark?.line ?? 0, status: .refused,
                        reasonCode: "invalid-yaml", reason: error.reason, isFilter: false))
                }
            }
        }
        // A Sigma rule collection: the documents after `action: global`
        // take its keys, which this loader does not apply; read alone,
        // the global part ran as a rule and the others lacked their shared
        // logsource or detection. The file is refused, each document.
        let collection = documents.first { $0["action"] != nil }
        for document in documents where !document.isNull {
            if let collection {
                let action = collection["action"]?.string ?? "?"
                set.reports.append(RuleStatusReport(
                    path: path, line: document.mark.line,
                    id: (try? SigmaCompiler.id(of: document["id"]))
                        .flatMap { $0.isEmpty ? nil : $0 },
                    title: document["title"]?.string.map(SigmaCompiler.oneLine), status: .refused,
                    reasonCode: "collection-unsupported",
                    reason: "a Sigma rule collection ('action: \(action)' at line "
                        + "\(collection.mark.line)), whose documents share keys, is not "
                        + "supported: write each rule whole in a document of its own",
                    isFilter: document["filter"] != nil))
                continue
            }
            // SigmaHQ keeps regression-test metadata (info.yml) beside rules: documents
            // with none of a rule's or filter's sections are not rules and are skipped.
            // One with a title or a level is a rule whose detection is missing or
            // misspelt, and is refused as such rather than lost unsaid.
            let sections = ["detection", "filter", "correlation", "logsource", "title", "level"]
            // A list or a lone value is no rule, nor metadata a rule folder
            // keeps: a rule written as a list item (`- title: …`) was
            // skipped without a word.
            guard document.mapping == nil
                    || sections.contains(where: { document[$0] != nil }) else { continue }
            let id = (try? SigmaCompiler.id(of: document["id"])).flatMap { $0.isEmpty ? nil : $0 }
            let title = document["title"]?.string.map(SigmaCompiler.oneLine)
            do throws(RuleRefusal) {
                switch try compiler.compileDocument(document, path: path) {
                case .rule(let rule):
                    if filtersOnly {
                        throw RuleRefusal(code: "rule-among-filters", message:
                            "a detection rule where alert filters were given (--filters, "
                                + "detection.filters); give rules with --rules", line: rule.line)
                    }
                    // Alerts group by rule id and filters name rules by it:
                    // two rules under one id would join each other's alerts.
                    if let first = set.rules.first(where: { $0.id == rule.id }) {
                        throw RuleRefusal(code: "duplicate-id", message:
                            "the id '\(rule.id)' is already the id of '\(first.title)' at "
                                + "\(first.path):\(first.line); ids must be unique (the first "
                                + "rule is kept)", line: rule.line)
                    }
                    set.rules.append(rule)
                    set.reports.append(RuleStatusReport(
                        path: path, line: rule.unmappedLine ?? rule.line, id: id, title: title,
                        status: rule.status,
                        reasonCode: rule.status == .compiled ? nil : "unmapped",
                        reason: rule.unmappedReason, logSource: rule.logSource, isFilter: false,
                        examplePlaceholders: rule.examplePlaceholders))
                case .filter(let filter):
                    // Suppression counts name a filter by its id, else its
                    // title: two filters of one name were counted as one.
                    if let first = set.filters.first(where: {
                        $0.reportedName == filter.reportedName
                    }) {
                        throw RuleRefusal(code: "duplicate-id", message:
                            "the filter would be counted as '\(filter.reportedName)', the name of "
                                + "the filter at \(first.path):\(first.line) already; give each "
                                + "filter an id of its own (the first is kept)", line: filter.line)
                    }
                    set.filters.append(filter)
                    set.reports.append(RuleStatusReport(
                        path: path, line: document.mark.line, id: id, title: title,
                        status: .compiled, isFilter: true))
                }
            } catch {
                set.reports.append(RuleStatusReport(
                    path: path, line: error.line ?? document.mark.line, id: id, title: title,
                    status: .refused, reasonCode: error.code, reason: error.message,
                    logSource: logSource(of: document), isFilter: document["filter"] != nil))
                if let correlation = document["correlation"] {
                    let rules = correlation["rules"]
                    let names = rules?.sequence?.compactMap(\.string) ?? rules?.string.map { [$0] } ?? []
                    let generate = correlation["generate"]?.bool ?? document["generate"]?.bool ?? false
                    set.correlationReferences.append(
                        (names: names, generate: generate, title: title ?? id ?? "untitled",
                         place: "\(path):\(document.mark.line)"))
                }
            }
        }
    }

    /// The documents of a YAML stream as texts of their own, cut at the
    /// `---` lines that start them, each led by as many empty lines as
    /// came before it so that its marks give the file's line numbers.
    static func documentTexts(_ text: String) -> [String] {
        // "\r\n" is one Character: a split on "\n" alone kept a CRLF file whole.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        var starts = [0]
        for (index, line) in lines.enumerated() where index > 0 {
            if line == "---" || line.hasPrefix("--- ") || line.hasPrefix("---\t") {
                starts.append(index)
            }
        }
        return starts.indices.map { position in
            let end = position + 1 < starts.count ? starts[position + 1] : lines.count
            return String(repeating: "\n", count: starts[position])
                + lines[starts[position]..<end].joined(separator: "\n")
        }
    }

    private static func logSource(of document: YAMLNode) -> LogSource? {
        guard let source = document["logsource"]?.mapping else { return nil }
        return LogSource(product: source["product"]?.string, category: source["category"]?.string,
                         service: source["service"]?.string)
    }

    /// Placeholder values shipped in `Resources/placeholders.yml`.
    /// Compiled into the program, as the built-in mapping is.
    public static func builtInPlaceholders() throws(RuleRefusal) -> [String: [String]] {
        try loadPlaceholders(text: String(decoding: PackageResources.placeholders_yml,
                                          as: UTF8.self),
                             path: "the built-in placeholders.yml")
    }

    /// Reads `placeholders: {Name: [value, …]}`.
    public static func loadPlaceholders(path: String) throws(RuleRefusal) -> [String: [String]] {
        try loadPlaceholders(text: RuleRefusal.text(ofFile: path, code: "invalid-placeholders"),
                             path: path)
    }

    /// Why a placeholder given no values is refused: a rule's `not` of it
    /// held on every event, and it replaced the shipped values unsaid.
    public static func emptyPlaceholder(_ name: String) -> String {
        "placeholder '\(name)' has no values, or an empty one: a rule's 'not' of it would hold "
            + "on every event; give values that are not empty, or leave it out"
    }

    private static func loadPlaceholders(text: String, path: String)
        throws(RuleRefusal) -> [String: [String]]
    {
        let root: YAMLNode?
        do {
            root = try YAMLParser.parseDocuments(text, file: path).first
        } catch {
            throw RuleRefusal(code: "invalid-placeholders", message: error.description)
        }
        guard let map = root?["placeholders"]?.mapping else {
            throw RuleRefusal(code: "invalid-placeholders",
                              message: "\(path): expected a 'placeholders' map")
        }
        // Every value is text (a number is its digits), every key known: a
        // map, a null or a stray key was dropped unsaid, and the rule then
        // ran on fewer values.
        func refuse(_ node: YAMLNode, _ why: String) -> RuleRefusal {
            RuleRefusal(code: "invalid-placeholders", message: "\(path):\(node.mark.line): \(why)",
                        line: node.mark.line)
        }
        for entry in root?.mapping ?? YAMLMapping() where entry.key.string != "placeholders" {
            throw refuse(entry.key, "unknown key '\(entry.key.string ?? "?")'; a placeholder file "
                         + "holds 'placeholders: {Name: [value, …]}' alone")
        }
        var result: [String: [String]] = [:]
        for entry in map {
            guard let name = entry.key.string else { throw refuse(entry.key, "keys must be text") }
            let items = entry.value.sequence ?? [entry.value]
            var values: [String] = []
            for item in items {
                guard let scalar = item.scalar, !scalar.isNull else {
                    throw refuse(item, "the values of '\(name)' must be text, not a list, a "
                                 + "map or null")
                }
                values.append(scalar.value)
            }
            guard !values.isEmpty, !values.contains("") else {
                throw refuse(entry.value, Self.emptyPlaceholder(name))
            }
            result[name] = values
        }
        return result
    }
}

/// The text of a rule file as YAML 1.2 reads one: UTF-8 (a byte order
/// mark dropped), or UTF-16 with its byte order mark. Bytes that are no
/// UTF-8 are refused with their line: decoded with replacement characters,
/// a rule compiled and then matched only the literal `\u{FFFD}` its author
/// never wrote; a UTF-16 file was refused for control characters.
enum RuleFileText {
    struct Problem: Error {
        let line: Int
        let message: String
    }

    static func decode(_ bytes: [UInt8]) -> Result<String, Problem> {
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) || bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
            return .failure(Problem(line: 1, message: "the file is UTF-32, which YAML allows but "
                                    + "Perimeter does not read: save it as UTF-8"))
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let littleEndian = bytes[0] == 0xFF
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2)
            var index = 2
            while index + 1 < bytes.count {
                let (first, second) = (UInt16(bytes[index]), UInt16(bytes[index + 1]))
                units.append(littleEndian ? first | second << 8 : first << 8 | second)
                index += 2
            }
            guard bytes.count % 2 == 0, let text = String(validating: units, as: UTF16.self) else {
                return .failure(Problem(line: 1, message: "the file starts as UTF-16 (a byte "
                                        + "order mark) but is not valid UTF-16"))
            }
            return .success(text)
        }
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes[3...] : bytes[...]
        if let text = String(validating: body, as: UTF8.self) { return .success(text) }
        let line = WholeFile.lineOfFirstInvalidByte(body)
        return .failure(Problem(line: line, message: "the file is not UTF-8 (a byte on this "
                                + "line is no UTF-8 character): save it as UTF-8"))
    }
}
