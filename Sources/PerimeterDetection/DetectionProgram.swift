import PerimeterRegex

/// The immutable, indexed form of a rule set: interned tests over field IDs.
struct DetectionProgram {
    struct Test: Hashable {
        enum Kind: Hashable {
            /// An exact value, found through the field's hash index.
            case exact(String, caseless: Bool)
            case string(StringMatcher, caseless: Bool)
            case regex(Regex)
            case cidr(IPNetwork)
            case compare(ComparisonOperator, Double)
            case isNull
            case exists(Bool)
            case fieldReference(Int, caseless: Bool)

            static func == (left: Kind, right: Kind) -> Bool { left.key == right.key }
            func hash(into hasher: inout Hasher) { hasher.combine(key) }

            /// Regexes compare by pattern and options; everything else by value.
            private var key: String {
                switch self {
                case .exact(let text, let caseless): "x\(caseless)\u{1}\(text)"
                case .string(let matcher, let caseless): "s\(caseless)\u{1}\(matcher)"
                case .regex(let regex): "r\(regex.options.rawValue)\u{1}\(regex.pattern)"
                case .cidr(let network): "c\(network)"
                case .compare(let op, let value): "n\(op.rawValue)\(value)"
                case .isNull: "null"
                case .exists(let flag): "e\(flag)"
                case .fieldReference(let other, let caseless): "f\(other)\(caseless)"
                }
            }
        }

        /// -1 for keyword searches over every string of the event.
        var field: Int
        var kind: Kind
        var display: String

        static func == (left: Test, right: Test) -> Bool {
            left.field == right.field && left.kind == right.kind
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(field)
            hasher.combine(kind)
        }

        /// A rough relative cost, so that cheap tests run first in an `and`.
        var cost: Int {
            switch kind {
            case .exact, .isNull, .exists: 1
            case .compare: 2
            case .string(let matcher, _):
                if field < 0 { 60 } else {
                    switch matcher {
                    case .exact, .prefix, .suffix: 3
                    case .contains: 6
                    case .glob: 8
                    }
                }
            case .cidr, .fieldReference: 5
            case .regex: field < 0 ? 100 : 25
            }
        }
    }

    indirect enum Node {
        case test(Int32)
        case all([Node])
        case any([Node])
        case not(Node)
        case constant(Bool)

        func forEachTest(_ body: (Int32) -> Void) {
            switch self {
            case .test(let test): body(test)
            case .all(let children), .any(let children): children.forEach { $0.forEachTest(body) }
            case .not(let child): child.forEachTest(body)
            case .constant: break
            }
        }
    }

    private(set) var fieldPaths: [String] = []
    private(set) var fieldIDs: [String: Int] = [:]
    private(set) var tests: [Test] = []
    private var testIDs: [Test: Int32] = [:]
    private(set) var needsAllStrings = false

    private(set) var ruleNodes: [Node] = []
    private(set) var ruleGate: [Int] = []
    private(set) var gates: [Node] = []
    private(set) var selectionNodes: [[(String, Node)]] = []
    private(set) var filterNodes: [Node] = []
    private(set) var ruleFilters: [[Int]] = []

    /// Per field: exact value → tests that it satisfies.
    private(set) var exactCaseless: [[String: [Int32]]?] = []
    private(set) var exactCased: [[String: [Int32]]?] = []
    /// Rules that can only match when one of these exact tests holds.
    private(set) var triggers: [(Int32, [Int32])] = []
    private(set) var triggerFields: [Int] = []
    private(set) var untriggeredRules: [Int32] = []

    init(rules: [CompiledRule], filters: [CompiledFilter]) {
        var gateIDs: [RuleExpression: Int] = [:]
        for rule in rules {
            ruleNodes.append(intern(rule.condition))
            if let gate = rule.gate {
                if let existing = gateIDs[gate] {
                    ruleGate.append(existing)
                } else {
                    gateIDs[gate] = gates.count
                    ruleGate.append(gates.count)
                    gates.append(intern(gate))
                }
            } else {
                ruleGate.append(-1)
            }
            let referenced = Set(rule.conditionSelections)
            selectionNodes.append(rule.selections.filter { referenced.contains($0.name) }
                .map { ($0.name, intern($0.expression)) })
        }
        filterNodes = filters.map { intern($0.condition) }
        ruleFilters = rules.map { rule in
            filters.indices.filter { filters[$0].appliesToAllRules
                || filters[$0].ruleIDs.contains(rule.id) }
        }
        buildExactIndex()
        buildTriggers()
    }

    // MARK: - Interning

    private mutating func fieldID(_ path: String) -> Int {
        if let id = fieldIDs[path] { return id }
        fieldIDs[path] = fieldPaths.count
        fieldPaths.append(path)
        return fieldPaths.count - 1
    }

    private mutating func intern(_ expression: RuleExpression) -> Node {
        switch expression {
        case .test(let test): return .test(intern(test))
        case .all(let children):
            let nodes = children.map { intern($0) }.sorted { cost(of: $0) < cost(of: $1) }
            return nodes.count == 1 ? nodes[0] : .all(nodes)
        case .any(let children):
            let nodes = children.map { intern($0) }.sorted { cost(of: $0) < cost(of: $1) }
            return nodes.count == 1 ? nodes[0] : .any(nodes)
        case .not(let child): return .not(intern(child))
        case .constant(let value): return .constant(value)
        }
    }

    private mutating func intern(_ test: FieldTest) -> Int32 {
        let field = test.field.map { fieldID($0) } ?? -1
        if field < 0 { needsAllStrings = true }
        let kind: Test.Kind
        switch test.kind {
        case .string(let matcher, let caseless):
            if field >= 0, case .exact(let bytes) = matcher {
                kind = .exact(String(decoding: bytes, as: UTF8.self), caseless: caseless)
            } else {
                kind = .string(matcher, caseless: caseless)
            }
        case .regex(let compiled): kind = .regex(compiled.regex)
        case .cidr(let network): kind = .cidr(network)
        case .compare(let op, let value): kind = .compare(op, value)
        case .isNull: kind = .isNull
        case .exists(let flag): kind = .exists(flag)
        case .fieldReference(let other, let caseless):
            kind = .fieldReference(fieldID(other), caseless: caseless)
        }
        let compiled = Test(field: field, kind: kind, display: test.display)
        if let id = testIDs[compiled] { return id }
        let id = Int32(tests.count)
        tests.append(compiled)
        testIDs[compiled] = id
        return id
    }

    func cost(of node: Node) -> Int {
        switch node {
        case .test(let test): tests[Int(test)].cost
        case .all(let children), .any(let children): children.reduce(0) { $0 + cost(of: $1) }
        case .not(let child): cost(of: child) + 1
        case .constant: 0
        }
    }

    // MARK: - Indexes

    private mutating func buildExactIndex() {
        exactCaseless = Array(repeating: nil, count: fieldPaths.count)
        exactCased = Array(repeating: nil, count: fieldPaths.count)
        for (index, test) in tests.enumerated() {
            guard case .exact(let key, let caseless) = test.kind else { continue }
            if caseless {
                exactCaseless[test.field, default: [:]][key, default: []].append(Int32(index))
            } else {
                exactCased[test.field, default: [:]][key, default: []].append(Int32(index))
            }
        }
    }

    /// The exact tests of which at least one must hold for `node` to hold, if any.
    private func requiredExactTests(_ node: Node) -> [Int32]? {
        switch node {
        case .test(let test):
            if case .exact = tests[Int(test)].kind { return [test] }
            return nil
        case .all(let children):
            // Any child's requirement is the whole conjunction's; take the narrowest.
            return children.compactMap { requiredExactTests($0) }.min { $0.count < $1.count }
        case .any(let children):
            var union: [Int32] = []
            for child in children {
                guard let required = requiredExactTests(child) else { return nil }
                union += required
            }
            return union
        case .not, .constant:
            return nil
        }
    }

    private mutating func buildTriggers() {
        var byTest: [Int32: [Int32]] = [:]
        for (rule, node) in ruleNodes.enumerated() {
            var required = requiredExactTests(node)
            if required == nil, ruleGate[rule] >= 0 { required = requiredExactTests(gates[ruleGate[rule]]) }
            guard let required else {
                untriggeredRules.append(Int32(rule))
                continue
            }
            for test in Set(required) { byTest[test, default: []].append(Int32(rule)) }
        }
        triggers = byTest.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        triggerFields = Array(Set(triggers.map { tests[Int($0.0)].field })).sorted()
    }
}

extension Array {
    fileprivate subscript<Value>(index: Int, default defaultValue: @autoclosure () -> Value)
        -> Value where Element == Value?
    {
        get { self[index] ?? defaultValue() }
        set { self[index] = newValue }
    }
}
