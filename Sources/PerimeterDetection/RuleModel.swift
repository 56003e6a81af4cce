import PerimeterRegex
import PerimeterYAML

/// A Sigma rule level, which drives the alert's severity (SPEC §6).
public enum RuleLevel: String, Sendable, Hashable, CaseIterable, Codable {
    case informational, low, medium, high, critical
}

/// What a rule became when it was loaded.
public enum RuleStatus: String, Sendable, Hashable, Codable {
    /// Compiled, with its log source and every field in the mapping.
    case compiled
    /// Compiled and kept, but its log source or a field is outside the mapping:
    /// it runs with the names as written, which ECS events rarely carry.
    case compiledUnmapped = "compiled-unmapped"
    case refused
}

/// A numeric comparison from the lt/lte/gt/gte modifiers.
public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
    case lessThan = "lt", lessOrEqual = "lte", greaterThan = "gt", greaterOrEqual = "gte"

    func holds(_ left: SigmaNumber, _ right: SigmaNumber) -> Bool {
        switch self {
        case .lessThan: left.isLess(than: right)
        case .lessOrEqual: left.isLess(than: right) || left.isNumericallyEqual(to: right)
        case .greaterThan: right.isLess(than: left)
        case .greaterOrEqual: right.isLess(than: left) || left.isNumericallyEqual(to: right)
        }
    }
}

/// A compiled regex keyed by its text and options, so equal regexes are shared.
struct CompiledRegex: @unchecked Sendable, Hashable {
    // Safe: Regex is itself thread-safe (see its documentation).
    let regex: Regex

    static func == (left: CompiledRegex, right: CompiledRegex) -> Bool {
        left.regex.pattern == right.regex.pattern && left.regex.options == right.regex.options
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(regex.pattern)
        hasher.combine(regex.options.rawValue)
    }
}

/// One test on one field (or, with no field, on every string of the event).
struct FieldTest: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case string(StringMatcher, caseless: Bool)
        case regex(CompiledRegex)
        case cidr(IPNetwork)
        case compare(ComparisonOperator, SigmaNumber)
        /// Absent, or present with only null values.
        case isNull
        case exists(Bool)
        case fieldReference(String, caseless: Bool)
    }

    /// The event field path (after mapping); nil for a keyword search.
    var field: String?
    var kind: Kind

    var display: String {
        let subject = field ?? "keywords"
        switch kind {
        case .string(let matcher, let caseless):
            return "\(subject) \(matcher.display)\(caseless ? "" : " (cased)")"
        case .regex(let compiled): return "\(subject) matches /\(compiled.regex.pattern)/"
        case .cidr(let network): return "\(subject) in \(network)"
        case .compare(let op, let value): return "\(subject) \(op.rawValue) \(value)"
        case .isNull: return "\(subject) is null"
        case .exists(let flag): return "\(subject) \(flag ? "exists" : "is absent")"
        case .fieldReference(let other, _): return "\(subject) equals field \(other)"
        }
    }
}

/// A detection expression over field tests, as compiled from a rule's YAML.
indirect enum RuleExpression: Sendable, Hashable {
    case test(FieldTest)
    case all([RuleExpression])
    case any([RuleExpression])
    case not(RuleExpression)
    case constant(Bool)

    /// Whether the expression holds when no field test does: for a filter,
    /// whether it suppresses the matches its selections say nothing of
    /// (`not sel`, `not sel and not other`, `not sel or sel2`).
    var holdsWithNoTestTrue: Bool {
        switch self {
        case .test: false
        case .all(let children): children.allSatisfy(\.holdsWithNoTestTrue)
        case .any(let children): children.contains(where: \.holdsWithNoTestTrue)
        case .not(let child): !child.holdsWithNoTestTrue
        case .constant(let value): value
        }
    }

    func forEachTest(_ body: (FieldTest) -> Void) {
        switch self {
        case .test(let test): body(test)
        case .all(let children), .any(let children): children.forEach { $0.forEachTest(body) }
        case .not(let child): child.forEachTest(body)
        case .constant: break
        }
    }
}

/// A rule's log source as written.
public struct LogSource: Sendable, Hashable, CustomStringConvertible {
    public var product: String?
    public var category: String?
    public var service: String?

    public init(product: String? = nil, category: String? = nil, service: String? = nil) {
        self.product = product
        self.category = category
        self.service = service
    }

    public var description: String {
        let parts = [("product", product), ("category", category), ("service", service)]
            .compactMap { name, value in value.map { "\(name)=\($0)" } }
        return parts.isEmpty ? "(none)" : parts.joined(separator: " ")
    }
}

/// A rule compiled from YAML, independent of any engine: field names, not IDs.
public struct CompiledRule: Sendable {
    public var id: String
    public var title: String
    /// Sigma's `name`, by which a correlation rule may name it.
    public var name: String?
    /// Nil when the rule gives none: the urgency policy's default level
    /// (`detection.urgency.default_level`) then stands for it.
    public var level: RuleLevel?
    public var path: String
    public var line: Int
    public var logSource: LogSource
    public var status: RuleStatus
    /// Why the rule is `compiled-unmapped`; nil when fully mapped.
    public var unmappedReason: String?
    /// Where that reason is in the file: the first unmapped field's line,
    /// or the log source's.
    public var unmappedLine: Int?
    public var tags: [String]
    /// The placeholders it runs on with the values shipped as examples.
    public var examplePlaceholders: [String] = []
    var selections: [(name: String, expression: RuleExpression)]
    var condition: RuleExpression
    /// The log-source condition from the mapping; nil when the rule runs on every event.
    var gate: RuleExpression?
    /// Which selections the condition names, for explanations.
    var conditionSelections: [String]
}

/// A Sigma alert filter (meta filter): suppresses matches of the named rules.
public struct CompiledFilter: Sendable {
    public var id: String
    public var title: String
    public var path: String
    /// The line its document starts on.
    public var line: Int
    /// Rule ids, or `*` for every rule.
    public var ruleIDs: [String]
    var condition: RuleExpression

    public var appliesToAllRules: Bool { ruleIDs.contains("*") }

    /// What reports and suppression counts name the filter by: its id,
    /// else its title (Sigma makes a filter's id optional).
    public var reportedName: String { id.isEmpty ? title : id }
}

/// The outcome of loading one rule document, for `rules check`.
public struct RuleStatusReport: Sendable, Hashable {
    public var path: String
    /// 1-based; 0 when the problem is the file as a whole (unreadable).
    public var line: Int
    public var id: String?
    public var title: String?
    public var status: RuleStatus
    /// A stable reason code for refusals (for example `unsupported-modifier`).
    public var reasonCode: String?
    /// The human explanation: refusal or unmapped details.
    public var reason: String?
    public var logSource: LogSource?
    public var isFilter: Bool
    /// The placeholders (`%DomainControllers%`) the rule runs on with the
    /// values shipped as examples, which no configuration replaced.
    public var examplePlaceholders: [String] = []

    public var isOK: Bool { status != .refused }

    /// `path:line`, or the path alone for a problem of the whole file.
    public var location: String { line > 0 ? "\(path):\(line)" : path }
}

/// Why a rule document was refused; `code` is stable for summaries.
public struct RuleRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var line: Int?

    public init(code: String, message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    public var description: String { "\(code): \(message)" }

    /// A file's text, or a refusal with `code` saying why it cannot be read.
    static func text(ofFile path: String, code: String) throws(RuleRefusal) -> String {
        do {
            return try YAMLParser.readWholeFile(path)
        } catch {
            throw RuleRefusal(code: code, message: error.description)
        }
    }
}
