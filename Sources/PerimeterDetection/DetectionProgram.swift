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
            case compare(ComparisonOperator, SigmaNumber)
            case isNull
            case exists(Bool)
            case fieldReference(Int, caseless: Bool)

            // Regexes compare by pattern and options; everything else by
            // value. (Through a text key, built by reflection for every
            // hash and comparison, a rule of 20,000 `contains` values took
            // seconds to load.)
            static func == (left: Kind, right: Kind) -> Bool {
                switch (left, right) {
                case let (.exact(a, x), .exact(b, y)): a == b && x == y
                case let (.string(a, x), .string(b, y)): a == b && x == y
                case let (.regex(a), .regex(b)): a.options == b.options && a.pattern == b.pattern
                case let (.cidr(a), .cidr(b)): a == b
                case let (.compare(o, v), .compare(p, w)): o == p && v == w
                case (.isNull, .isNull): true
                case let (.exists(a), .exists(b)): a == b
                case let (.fieldReference(a, x), .fieldReference(b, y)): a == b && x == y
                default: false
                }
            }

            func hash(into hasher: inout Hasher) {
                switch self {
                case let .exact(text, caseless):
                    hasher.combine(0)
                    hasher.combine(text)
                    hasher.combine(caseless)
                case let .string(matcher, caseless):
                    hasher.combine(1)
                    hasher.combine(matcher)
                    hasher.combine(caseless)
                case let .regex(regex):
                    hasher.combine(2)
                    hasher.combine(regex.pattern)
                    hasher.combine(regex.options.rawValue)
                case let .cidr(network):
                    hasher.combine(3)
                    hasher.combine(network)
                case let .compare(op, value):
                    hasher.combine(4)
                    hasher.combine(op)
                    hasher.combine(value)
                case .isNull:
                    hasher.combine(5)
                case let .exists(flag):
                    hasher.combine(6)
                    hasher.combine(flag)
                case let .fieldReference(other, caseless):
                    hasher.combine(7)
                    hasher.combine(other)
                    hasher.combine(caseless)
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

    /// The expressions laid out flat (no reference counting while evaluating):
    /// node i has a kind, a payload (test id, or first child in `flatChildren`, or the
    /// only child of a `not`) and a child count.
    enum FlatKind: UInt8 { case test, all, any, not, alwaysTrue, alwaysFalse }
    private(set) var flatKinds: [FlatKind] = []
    private(set) var flatPayload: [Int32] = []
    private(set) var flatCounts: [Int32] = []
    private(set) var flatChildren: [Int32] = []
    private(set) var ruleRoots: [Int32] = []
    private(set) var gateRoots: [Int32] = []
    private(set) var filterRoots: [Int32] = []
    private(set) var testIsExact: [Bool] = []
    private(set) var testField: [Int] = []

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
    /// By exact test: the rules that can only match when it (or another of theirs) holds.
    private(set) var exactTriggerRules: [[Int32]] = []
    private(set) var triggerFields: [Int] = []
    /// By gate (-1: none): other tests that rules require, with those rules.
    private(set) var gatedTriggers: [(gate: Int, triggers: [(Int32, [Int32])])] = []
    /// By gate (-1: none): rules with no required test, looked at whenever the gate holds.
    private(set) var untriggeredByGate: [(gate: Int, rules: [Int32])] = []

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
        ruleRoots = ruleNodes.map { flatten($0) }
        gateRoots = gates.map { flatten($0) }
        filterRoots = filterNodes.map { flatten($0) }
        testIsExact = tests.map { if case .exact = $0.kind { true } else { false } }
        testField = tests.map(\.field)
    }

    /// Appends `node` to the flat arrays and returns its index.
    mutating func flatten(_ node: Node) -> Int32 {
        let index = Int32(flatKinds.count)
        switch node {
        case .test(let test):
            flatKinds.append(.test)
            flatPayload.append(test)
            flatCounts.append(0)
        case .all(let children), .any(let children):
            flatKinds.append({ if case .all = node { FlatKind.all } else { FlatKind.any } }())
            flatPayload.append(0)
            flatCounts.append(Int32(children.count))
            let childIndices = children.map { flatten($0) }
            flatPayload[Int(index)] = Int32(flatChildren.count)
            flatChildren.append(contentsOf: childIndices)
        case .not(let child):
            flatKinds.append(.not)
            flatPayload.append(0)
            flatCounts.append(1)
            flatPayload[Int(index)] = flatten(child)
        case .constant(let value):
            flatKinds.append(value ? .alwaysTrue : .alwaysFalse)
            flatPayload.append(0)
            flatCounts.append(0)
        }
        return index
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
        // Built apart, then stored: written in place through the array's
        // optional element, each value copied the field's whole table, and
        // a rule listing 50,000 names took 37 s to load.
        var caseless: [Int: [String: [Int32]]] = [:]
        var cased: [Int: [String: [Int32]]] = [:]
        for (index, test) in tests.enumerated() {
            guard case .exact(let key, let isCaseless) = test.kind else { continue }
            if isCaseless {
                caseless[test.field, default: [:]][key, default: []].append(Int32(index))
            } else {
                cased[test.field, default: [:]][key, default: []].append(Int32(index))
            }
        }
        exactCaseless = (0..<fieldPaths.count).map { caseless[$0] }
        exactCased = (0..<fieldPaths.count).map { cased[$0] }
    }

    /// Tests of which at least one must hold for `node` to hold, if any: exact tests
    /// when possible (found by hash), else the cheapest set of other tests.
    private func requiredTests(_ node: Node) -> (tests: [Int32], exact: Bool)? {
        switch node {
        case .test(let test):
            if case .exact = tests[Int(test)].kind { return ([test], true) }
            // Keyword and regex tests are too dear to run for every event.
            return tests[Int(test)].cost <= 8 ? ([test], false) : nil
        case .all(let children):
            let options = children.compactMap { requiredTests($0) }
            if let exact = options.filter(\.exact).min(by: { $0.tests.count < $1.tests.count }) {
                return exact
            }
            return options.min { totalCost($0.tests) < totalCost($1.tests) }
        case .any(let children):
            var union: [Int32] = []
            var allExact = true
            for child in children {
                guard let required = requiredTests(child) else { return nil }
                union += required.tests
                allExact = allExact && required.exact
            }
            return (union, allExact)
        case .not, .constant:
            return nil
        }
    }

    private func totalCost(_ list: [Int32]) -> Int {
        list.reduce(0) { $0 + tests[Int($1)].cost }
    }

    private mutating func buildTriggers() {
        var exactRules: [Int32: [Int32]] = [:]
        var otherRules: [Int: [Int32: [Int32]]] = [:]
        var untriggered: [Int: [Int32]] = [:]
        for (rule, node) in ruleNodes.enumerated() {
            let gate = ruleGate[rule]
            var required = requiredTests(node)
            if required?.exact != true, gate >= 0,
               let gateRequired = requiredTests(gates[gate]), gateRequired.exact {
                // An exact gate (a channel, a provider) narrows better than a suffix test.
                if required == nil { required = gateRequired }
            }
            guard let required else {
                untriggered[gate, default: []].append(Int32(rule))
                continue
            }
            for test in Set(required.tests) {
                if case .exact = tests[Int(test)].kind {
                    exactRules[test, default: []].append(Int32(rule))
                } else {
                    otherRules[gate, default: [:]][test, default: []].append(Int32(rule))
                }
            }
        }
        exactTriggerRules = Array(repeating: [], count: tests.count)
        for (test, rules) in exactRules { exactTriggerRules[Int(test)] = rules }
        triggerFields = Array(Set(exactRules.keys.map { tests[Int($0)].field })).sorted()
        gatedTriggers = otherRules.keys.sorted().map { gate in
            (gate, otherRules[gate]!.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }
        untriggeredByGate = untriggered.keys.sorted().map { ($0, untriggered[$0]!) }
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
