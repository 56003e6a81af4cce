import PerimeterRegex

/// Settings of detection that do not come from the rules themselves.
public struct DetectionConfiguration: Sendable {
    /// Whether `compiled-unmapped` rules run (with their names as written).
    public var runsUnmappedRules: Bool
    public var urgency: UrgencyPolicy

    public init(runsUnmappedRules: Bool = true, urgency: UrgencyPolicy = UrgencyPolicy()) {
        self.runsUnmappedRules = runsUnmappedRules
        self.urgency = urgency
    }
}

/// A rule that matched an event and that no alert filter suppressed.
public struct RuleMatch: Sendable, Hashable {
    /// The rule's index in `DetectionEngine.rules`.
    public var ruleIndex: Int
    public var ruleID: String
    public var title: String
    /// Nil when the rule gives none.
    public var level: RuleLevel?
}

/// Why a rule matched: one entry per true selection and true field test.
public struct MatchExplanation: Sendable, Hashable {
    public var selection: String
    /// The test as written after mapping, such as `process.command_line contains 'x'`.
    public var test: String
    public var field: String
    /// The event value that satisfied the test, when one value did.
    public var value: String?
}

/// Compiled rules and filters, indexed for evaluation on every event.
///
/// Rules are turned once into interned field tests: each distinct test is evaluated
/// at most once per event whichever rules share it; exact values of a field are found
/// with one hash look-up per event value; and a rule whose condition requires one of
/// a set of exact values is only looked at when the event has one of them.
///
/// Not thread-safe: it keeps per-event scratch state. Use one engine per thread.
public final class DetectionEngine {
    public let rules: [CompiledRule]
    public let filters: [CompiledFilter]
    public let configuration: DetectionConfiguration
    /// The field paths the engine reads, indexed by `DetectionFieldID`.
    public let fieldPaths: [String]
    /// True when a keyword search needs `DetectionEvent.forEachString`.
    public let needsAllStrings: Bool
    /// Matches suppressed, by filter index (parallel to `filters`).
    public private(set) var suppressedCounts: [Int]
    /// Matches suppressed, each once whatever the filters that held for
    /// it (each of them counts it in `suppressedCounts`).
    public private(set) var suppressedMatchCount = 0
    /// Regex matches stopped by the PCRE2 match or depth limit (counted as no match).
    public private(set) var regexLimitExceededCount = 0
    public private(set) var evaluatedEventCount = 0

    let program: DetectionProgram
    /// Per-event scratch in raw buffers, allocated once: `let` pointers are neither
    /// reference counted nor exclusivity-checked on the hot path. Stamps hold the
    /// generation (event number) at which a value was last computed.
    private let state: UnsafeMutablePointer<UInt32>  // generation, candidates, exact hits
    private let testStamp: UnsafeMutablePointer<UInt32>
    private let testValue: UnsafeMutablePointer<Bool>
    private let exactHitStamp: UnsafeMutablePointer<UInt32>
    private let exactFieldStamp: UnsafeMutablePointer<UInt32>
    private let gateStamp: UnsafeMutablePointer<UInt32>
    private let gateValue: UnsafeMutablePointer<Bool>
    private let candidateStamp: UnsafeMutablePointer<UInt32>
    /// Candidate rules of the current event; `candidateCount` of them.
    private let candidates: UnsafeMutablePointer<Int32>
    private var candidateCount: Int { Int(state[1]) }
    private let exactHits: UnsafeMutablePointer<Int32>
    private let bufferSizes: (tests: Int, fields: Int, gates: Int, rules: Int)

    private var generation: UInt32 { state[0] }
    private var foldedGeneration: UInt32 = 0
    private var folded: [String] = []
    private var originalStrings: [String] = []

    public convenience init(rules: [CompiledRule], filters: [CompiledFilter] = [],
                            configuration: DetectionConfiguration = DetectionConfiguration()) {
        let active = rules.filter {
            $0.status == .compiled || ($0.status == .compiledUnmapped
                                       && configuration.runsUnmappedRules)
        }
        self.init(rules: active, filters: filters, configuration: configuration,
                  program: DetectionProgram(rules: active, filters: filters))
    }

    /// An engine of the same rules, sharing `other`'s compiled program
    /// (it is read only; building it is most of an engine's cost) with
    /// scratch and counts of its own: the server's stage of each scope.
    public convenience init(sharingProgramOf other: DetectionEngine) {
        self.init(rules: other.rules, filters: other.filters, configuration: other.configuration,
                  program: other.program)
    }

    private init(rules active: [CompiledRule], filters: [CompiledFilter],
                 configuration: DetectionConfiguration, program: DetectionProgram) {
        self.rules = active
        self.filters = filters
        self.configuration = configuration
        self.program = program
        fieldPaths = program.fieldPaths
        needsAllStrings = program.needsAllStrings
        suppressedCounts = Array(repeating: 0, count: filters.count)
        let sizes = (tests: max(1, program.tests.count), fields: max(1, program.fieldPaths.count),
                     gates: max(1, program.gates.count), rules: max(1, active.count))
        bufferSizes = sizes
        func zeroed<T>(_ count: Int, _ value: T) -> UnsafeMutablePointer<T> {
            let pointer = UnsafeMutablePointer<T>.allocate(capacity: count)
            pointer.initialize(repeating: value, count: count)
            return pointer
        }
        state = zeroed(3, 0)
        testStamp = zeroed(sizes.tests, 0)
        testValue = zeroed(sizes.tests, false)
        exactHitStamp = zeroed(sizes.tests, 0)
        exactHits = zeroed(sizes.tests, 0)
        exactFieldStamp = zeroed(sizes.fields, 0)
        gateStamp = zeroed(sizes.gates, 0)
        gateValue = zeroed(sizes.gates, false)
        candidateStamp = zeroed(sizes.rules, 0)
        candidates = zeroed(sizes.rules, 0)
    }

    deinit {
        for pointer in [state, testStamp, exactHitStamp, exactFieldStamp, gateStamp,
                        candidateStamp] {
            pointer.deallocate()
        }
        testValue.deallocate()
        gateValue.deallocate()
        exactHits.deallocate()
        candidates.deallocate()
    }

    /// The ID of a field path, when some rule or filter reads it.
    public func fieldID(of path: String) -> DetectionFieldID? { program.fieldIDs[path] }

    /// Counts per filter id, for reports.
    public var suppressedCountsByFilterID: [String: Int] {
        var result: [String: Int] = [:]
        for (index, filter) in filters.enumerated() {
            result[filter.reportedName, default: 0] += suppressedCounts[index]
        }
        return result
    }

    /// The rules that match the event, in rule order, after alert filters.
    public func evaluate(_ record: DetectionRecord) -> [RuleMatch] { run(record) }

    public func evaluate(_ event: some DetectionEvent) -> [RuleMatch] { run(event) }

    /// The alert filter that would suppress a match of a rule on an event
    /// (`rules test --filters` shows the match and says which); nil for none.
    public func suppressingFilter(ofRule ruleIndex: Int,
                                  event: some DetectionEvent) -> CompiledFilter? {
        suppressingFilter(ruleIndex, event).map { filters[$0] }
    }

    /// Which rules match, ignoring filters (used by `rules test`).
    public func matchingRuleIndices(_ event: some DetectionEvent) -> [Int] {
        beginEvent()
        collectCandidates(event)
        return (0..<candidateCount).map { Int(candidates[$0]) }.filter { matchesRule($0, event) }
    }

    /// Whether a rule's detection holds on an event that its log source's
    /// conditions keep out (`rules test` tells a rule author, for whom the
    /// event would otherwise read as a plain miss). False for a rule with
    /// no such conditions.
    public func isKeptOutByItsLogSource(ruleIndex: Int, event: some DetectionEvent) -> Bool {
        let gate = program.ruleGate[ruleIndex]
        guard gate >= 0 else { return false }
        beginEvent()
        evaluatedEventCount -= 1
        return !gatePasses(gate, event) && evaluate(flat: program.ruleRoots[ruleIndex], event)
    }

    func resetForProfiling() {
        beginEvent()
        evaluatedEventCount -= 1
    }

    private func beginEvent() {
        // Hits are deduplicated per event by their stamps, so the buffers never overflow.
        state[1] = 0
        state[2] = 0
        state[0] &+= 1
        if state[0] == 0 {
            // After 2^32 events the stamps would alias: start them over.
            testStamp.update(repeating: 0, count: bufferSizes.tests)
            exactHitStamp.update(repeating: 0, count: bufferSizes.tests)
            exactFieldStamp.update(repeating: 0, count: bufferSizes.fields)
            gateStamp.update(repeating: 0, count: bufferSizes.gates)
            candidateStamp.update(repeating: 0, count: bufferSizes.rules)
            state[0] = 1
        }
        evaluatedEventCount += 1
    }

    @inline(__always)
    private func run<Event: DetectionEvent>(_ event: Event) -> [RuleMatch] {
        beginEvent()
        collectCandidates(event)
        var matches: [RuleMatch] = []
        for position in 0..<candidateCount {
            let index = Int(candidates[position])
            guard matchesRule(index, event) else { continue }
            // Every filter that holds counts the match (SPEC §6: counted
            // per filter): the second of two filters that both hold read 0,
            // and looked unused to an analyst about to retire it.
            var isSuppressed = false
            for filter in program.ruleFilters[index]
            where evaluate(flat: program.filterRoots[filter], event) {
                suppressedCounts[filter] += 1
                isSuppressed = true
            }
            if isSuppressed {
                suppressedMatchCount += 1
                continue
            }
            let rule = rules[index]
            matches.append(RuleMatch(ruleIndex: index, ruleID: rule.id, title: rule.title,
                                     level: rule.level))
        }
        return matches
    }

    private func collectCandidates<Event: DetectionEvent>(_ event: Event) {
        state[1] = 0
        exactHitCount = 0
        for field in program.triggerFields { runExactIndex(field, event) }
        for position in 0..<exactHitCount {
            let rules = program.exactTriggerRules[Int(exactHits[position])]
            if !rules.isEmpty { addCandidates(rules) }
        }
        for (gate, triggers) in program.gatedTriggers where gatePasses(gate, event) {
            for (test, rules) in triggers where evaluateTest(Int(test), event) {
                addCandidates(rules)
            }
        }
        for (gate, rules) in program.untriggeredByGate where gatePasses(gate, event) {
            addCandidates(rules)
        }
        if candidateCount > 1 {
            var sorted = UnsafeMutableBufferPointer(start: candidates, count: candidateCount)
            sorted.sort()
        }
    }

    @inline(__always)
    private func addCandidates(_ rules: [Int32]) {
        let now = generation
        for rule in rules where candidateStamp[Int(rule)] != now {
            candidateStamp[Int(rule)] = now
            candidates[Int(state[1])] = rule
            state[1] += 1
        }
    }

    @inline(__always)
    private func gatePasses<Event: DetectionEvent>(_ gate: Int, _ event: Event) -> Bool {
        guard gate >= 0 else { return true }
        if gateStamp[gate] != generation {
            gateStamp[gate] = generation
            gateValue[gate] = evaluate(flat: program.gateRoots[gate], event)
        }
        return gateValue[gate]
    }

    private func matchesRule<Event: DetectionEvent>(_ index: Int, _ event: Event) -> Bool {
        gatePasses(program.ruleGate[index], event)
            && evaluate(flat: program.ruleRoots[index], event)
    }

    private func suppressingFilter<Event: DetectionEvent>(_ rule: Int, _ event: Event) -> Int? {
        for filter in program.ruleFilters[rule]
        where evaluate(flat: program.filterRoots[filter], event) {
            return filter
        }
        return nil
    }

    // MARK: - Expressions and tests

    func evaluate<Event: DetectionEvent>(_ node: DetectionProgram.Node, _ event: Event) -> Bool {
        switch node {
        case .test(let test): return evaluateTest(Int(test), event)
        case .all(let children):
            for child in children where !evaluate(child, event) { return false }
            return true
        case .any(let children):
            for child in children where evaluate(child, event) { return true }
            return false
        case .not(let child): return !evaluate(child, event)
        case .constant(let value): return value
        }
    }

    /// Evaluates a flattened expression; `and`/`or` stop at the first decisive child.
    func evaluate<Event: DetectionEvent>(flat node: Int32, _ event: Event) -> Bool {
        let index = Int(node)
        switch program.flatKinds[index] {
        case .test: return evaluateTest(Int(program.flatPayload[index]), event)
        case .all:
            let start = Int(program.flatPayload[index])
            for offset in 0..<Int(program.flatCounts[index])
            where !evaluate(flat: program.flatChildren[start + offset], event) {
                return false
            }
            return true
        case .any:
            let start = Int(program.flatPayload[index])
            for offset in 0..<Int(program.flatCounts[index])
            where evaluate(flat: program.flatChildren[start + offset], event) {
                return true
            }
            return false
        case .not: return !evaluate(flat: program.flatPayload[index], event)
        case .alwaysTrue: return true
        case .alwaysFalse: return false
        }
    }

    private var exactHitCount: Int {
        get { Int(state[2]) }
        set { state[2] = UInt32(newValue) }
    }

    private func runExactIndex<Event: DetectionEvent>(_ field: Int, _ event: Event) {
        guard exactFieldStamp[field] != generation else { return }
        exactFieldStamp[field] = generation
        let caseless = program.exactCaseless[field]
        let cased = program.exactCased[field]
        for value in event.values(of: field) {
            guard let text = value.text else { continue }
            if let cased, let hits = cased[text] { recordExactHits(hits) }
            if let caseless, let hits = caseless[CaseFolding.fold(text)] { recordExactHits(hits) }
        }
    }

    @inline(__always)
    private func recordExactHits(_ hits: [Int32]) {
        let now = generation
        for hit in hits where exactHitStamp[Int(hit)] != now {
            exactHitStamp[Int(hit)] = now
            exactHits[exactHitCount] = hit
            exactHitCount += 1
        }
    }

    private func evaluateTest<Event: DetectionEvent>(_ index: Int, _ event: Event) -> Bool {
        if program.testIsExact[index] {
            runExactIndex(program.testField[index], event)
            return exactHitStamp[index] == generation
        }
        if testStamp[index] == generation { return testValue[index] }
        let result = computeTest(program.tests[index], event).matched
        testStamp[index] = generation
        testValue[index] = result
        return result
    }

    /// Evaluates a test from scratch; `value` is the event value that satisfied it.
    func computeTest<Event: DetectionEvent>(_ test: DetectionProgram.Test, _ event: Event)
        -> (matched: Bool, value: String?)
    {
        switch test.kind {
        case .exact(let key, let caseless):
            for value in event.values(of: test.field) {
                guard let text = value.text else { continue }
                if (caseless ? CaseFolding.fold(text) : text) == key { return (true, text) }
            }
            return (false, nil)
        case .string(let matcher, let caseless):
            if test.field < 0 {
                guard caseless else {
                    var found: String?
                    event.forEachString { text in
                        if found == nil, Self.match(matcher, text, false) { found = text }
                    }
                    return (found != nil, found)
                }
                // Keywords: every string is folded once per event, then searched as is.
                let folded = foldedStrings(event)
                for index in folded.indices {
                    var text = folded[index]
                    let hit = text.withUTF8 { bytes in
                        if case .contains(let needle) = matcher {
                            return ByteSearch.memmem(bytes, needle)
                        }
                        return matcher.matches(bytes, caseless: false)
                    }
                    if hit { return (true, originalStrings[index]) }
                }
                return (false, nil)
            }
            for value in event.values(of: test.field) {
                guard let text = value.text else { continue }
                if Self.match(matcher, text, caseless) { return (true, text) }
            }
            return (false, nil)
        case .regex(let regex):
            if test.field < 0 {
                var found: String?
                event.forEachString { text in
                    if found == nil, regexMatches(regex, text) { found = text }
                }
                return (found != nil, found)
            }
            for value in event.values(of: test.field) {
                guard let text = value.text else { continue }
                if regexMatches(regex, text) { return (true, text) }
            }
            return (false, nil)
        case .cidr(let network):
            for value in event.values(of: test.field) {
                guard case .string(let text) = value,
                      let address = IPNetwork.parseAddress(text) else { continue }
                if network.contains(address) { return (true, text) }
            }
            return (false, nil)
        case .compare(let op, let bound):
            for value in event.values(of: test.field) {
                if let number = value.number, op.holds(number, bound) { return (true, value.text) }
            }
            return (false, nil)
        case .isNull:
            let values = event.values(of: test.field)
            return (values.allSatisfy { $0 == .null }, nil)
        case .exists(let flag):
            return (event.values(of: test.field).isEmpty != flag, nil)
        case .fieldReference(let other, let caseless):
            let others = event.values(of: other).compactMap(\.text).map {
                caseless ? CaseFolding.fold($0) : $0
            }
            for value in event.values(of: test.field) {
                guard let text = value.text else { continue }
                if others.contains(caseless ? CaseFolding.fold(text) : text) { return (true, text) }
            }
            return (false, nil)
        }
    }

    /// Every string of the event, case-folded, computed at most once per event.
    private func foldedStrings<Event: DetectionEvent>(_ event: Event) -> [String] {
        if foldedGeneration != generation {
            foldedGeneration = generation
            folded.removeAll(keepingCapacity: true)
            originalStrings.removeAll(keepingCapacity: true)
            event.forEachString { text in
                originalStrings.append(text)
                folded.append(CaseFolding.fold(text))
            }
        }
        return folded
    }

    private func regexMatches(_ regex: Regex, _ text: String) -> Bool {
        do {
            return try regex.matches(text)
        } catch {
            // A pattern that exhausts its match limit counts as no match, and is counted.
            regexLimitExceededCount += 1
            return false
        }
    }

    @inline(__always)
    static func match(_ matcher: StringMatcher, _ text: String, _ caseless: Bool) -> Bool {
        var subject = text
        return subject.withUTF8 { bytes in
            if caseless, !CaseFolding.isASCII(bytes) {
                var lowered = CaseFolding.fold(text)
                return lowered.withUTF8 { matcher.matches($0, caseless: true) }
            }
            return matcher.matches(bytes, caseless: caseless)
        }
    }

    // MARK: - Explanations

    /// Which selections of a rule are true for the event, and through which values.
    public func explain(ruleIndex: Int, event: some DetectionEvent) -> [MatchExplanation] {
        var result: [MatchExplanation] = []
        for (name, node) in program.selectionNodes[ruleIndex] {
            beginEvent()
            guard evaluate(node, event) else { continue }
            node.forEachTest { test in
                let compiled = program.tests[Int(test)]
                let outcome = computeTest(compiled, event)
                guard outcome.matched else { return }
                var field = compiled.field < 0 ? "keywords" : fieldPaths[compiled.field]
                var display = compiled.display
                // A keyword names the field it was found in, when the event
                // kept its string paths.
                if compiled.field < 0, let value = outcome.value,
                   let path = event.path(ofString: value), display.hasPrefix(field) {
                    display = path + display.dropFirst(field.count)
                    field = path
                }
                result.append(MatchExplanation(selection: name, test: display, field: field,
                                               value: outcome.value))
            }
        }
        return result
    }
}
