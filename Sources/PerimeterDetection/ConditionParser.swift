/// Parses a Sigma condition with the specification's precedence (least binding first):
/// or, and, not, `x of`, parentheses.
struct ConditionParser {
    /// Selection references are parked as tests on this pseudo-field until inlined.
    static let referencePrefix = "\u{0}selection:"

    private enum Token: Equatable {
        case word(String)
        case open, close
    }

    private var tokens: [Token] = []
    private var position = 0
    /// Parentheses and `not`s open around the current token.
    private var depth = 0
    /// Deeper nesting is refused: real conditions nest a few levels, and
    /// parsing, compiling and evaluating recurse once a level (2,000
    /// parentheses overflowed the stack).
    static let maximumDepth = 64
    private let text: String
    private let selections: [String]
    private(set) var referencedSelections: [String] = []

    init(_ text: String, selections: [String]) throws(RuleRefusal) {
        self.text = text
        self.selections = selections
        if text.contains("|") {
            throw RuleRefusal(code: "aggregation-unsupported",
                              message: "aggregation conditions ('\(text)') are not supported")
        }
        var current = ""
        for character in text {
            switch character {
            case "(", ")":
                if !current.isEmpty { tokens.append(.word(current)); current = "" }
                tokens.append(character == "(" ? .open : .close)
            case " ", "\t", "\n", "\r":
                if !current.isEmpty { tokens.append(.word(current)); current = "" }
            default:
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(.word(current)) }
    }

    mutating func parse() throws(RuleRefusal) -> RuleExpression {
        guard !tokens.isEmpty else { throw failure("the condition is empty") }
        let expression = try parseOr()
        guard position == tokens.count else { throw failure("unexpected '\(describe(position))'") }
        return expression
    }

    /// The condition is quoted by its first 120 characters when longer
    /// (a 200,000-character one filled the terminal).
    private func failure(_ reason: String) -> RuleRefusal {
        let quoted = text.count > 120 ? "'\(text.prefix(120))…' (\(text.count) characters)"
            : "'\(text)'"
        return RuleRefusal(code: "invalid-condition", message: "\(reason) in condition \(quoted)")
    }

    private func describe(_ index: Int) -> String {
        guard index < tokens.count else { return "end" }
        switch tokens[index] {
        case .word(let word): return word
        case .open: return "("
        case .close: return ")"
        }
    }

    private func peekKeyword() -> String? {
        guard position < tokens.count, case .word(let word) = tokens[position] else { return nil }
        return word.lowercased()
    }

    private mutating func parseOr() throws(RuleRefusal) -> RuleExpression {
        var parts = [try parseAnd()]
        while peekKeyword() == "or" {
            position += 1
            parts.append(try parseAnd())
        }
        return parts.count == 1 ? parts[0] : .any(parts)
    }

    private mutating func parseAnd() throws(RuleRefusal) -> RuleExpression {
        var parts = [try parseNot()]
        while peekKeyword() == "and" {
            position += 1
            parts.append(try parseNot())
        }
        return parts.count == 1 ? parts[0] : .all(parts)
    }

    private mutating func parseNot() throws(RuleRefusal) -> RuleExpression {
        if peekKeyword() == "not" {
            position += 1
            try enter()
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    private mutating func enter() throws(RuleRefusal) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw failure("parentheses and 'not' nest deeper than \(Self.maximumDepth) levels")
        }
    }

    private mutating func parsePrimary() throws(RuleRefusal) -> RuleExpression {
        guard position < tokens.count else { throw failure("missing operand at the end") }
        switch tokens[position] {
        case .open:
            position += 1
            try enter()
            defer { depth -= 1 }
            let inner = try parseOr()
            guard position < tokens.count, tokens[position] == .close else {
                throw failure("missing ')'")
            }
            position += 1
            return inner
        case .close:
            throw failure("unexpected ')'")
        case .word(let word):
            let lowered = word.lowercased()
            if ["and", "or"].contains(lowered) { throw failure("missing operand before '\(word)'") }
            if ["1", "any", "all"].contains(lowered),
               position + 1 < tokens.count, tokens[position + 1] == .word("of") {
                guard position + 2 < tokens.count, case .word(let pattern) = tokens[position + 2]
                else { throw failure("'\(word) of' needs a name pattern or 'them'") }
                position += 3
                return try quantified(all: lowered == "all", pattern: pattern)
            }
            if position + 1 < tokens.count, tokens[position + 1] == .word("of") {
                throw failure("'\(word) of' is not Sigma: a condition takes '1 of', 'any of' "
                              + "or 'all of'")
            }
            position += 1
            guard selections.contains(word) else {
                throw failure("'\(word)' names no search identifier")
            }
            return reference(word)
        }
    }

    private mutating func reference(_ name: String) -> RuleExpression {
        if !referencedSelections.contains(name) { referencedSelections.append(name) }
        return .test(FieldTest(field: Self.referencePrefix + name, kind: .exists(true)))
    }

    private mutating func quantified(all: Bool, pattern: String) throws(RuleRefusal)
        -> RuleExpression
    {
        let names: [String]
        if pattern == "them" {
            names = selections.filter { !$0.hasPrefix("_") }
        } else {
            let matcher = StringMatcher(SigmaString(parsing: pattern), caseless: false)
            names = selections.filter { name in
                var copy = name
                return copy.withUTF8 { matcher.matches($0, caseless: false) }
            }
        }
        guard !names.isEmpty else {
            throw failure("'\(pattern)' matches no search identifier")
        }
        let parts = names.map { reference($0) }
        return parts.count == 1 ? parts[0] : all ? .all(parts) : .any(parts)
    }
}
