/// A position in a YAML text, 1-based as editors show it.
public struct YAMLMark: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written; only plain scalars can be null, booleans or numbers.
public enum YAMLScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A scalar as written: its text, style, explicit tag (if any) and position.
public struct YAMLScalar: Sendable, Hashable {
    public var value: String
    public var style: YAMLScalarStyle
    public var tag: String?
    public var mark: YAMLMark

    public init(value: String, style: YAMLScalarStyle = .plain, tag: String? = nil,
                mark: YAMLMark = YAMLMark(line: 1, column: 1)) {
        self.value = value
        self.style = style
        self.tag = tag
        self.mark = mark
    }

    /// True for YAML 1.2 core-schema nulls written plain: `~`, `null`, or nothing.
    public var isNull: Bool {
        if tag == "tag:yaml.org,2002:null" { return true }
        guard style == .plain, tag == nil else { return false }
        switch value {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// The core-schema boolean of a plain scalar, nil otherwise.
    public var bool: Bool? {
        guard style == .plain else { return nil }
        switch value {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// The core-schema integer of a plain scalar (decimal, 0x hex, 0o octal), nil otherwise.
    public var int: Int? {
        guard style == .plain else { return nil }
        var text = Substring(value)
        var negative = false
        if text.first == "-" || text.first == "+" {
            negative = text.first == "-"
            text = text.dropFirst()
        }
        guard !text.isEmpty else { return nil }
        let magnitude: Int?
        if text.hasPrefix("0x") {
            magnitude = Int(text.dropFirst(2), radix: 16)
        } else if text.hasPrefix("0o") {
            magnitude = Int(text.dropFirst(2), radix: 8)
        } else if text.allSatisfy(\.isASCIIDigit) {
            magnitude = Int(text)
        } else {
            magnitude = nil
        }
        guard let magnitude else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// The core-schema float of a plain scalar, nil when it is not a number.
    public var double: Double? {
        guard style == .plain else { return nil }
        if let int { return Double(int) }
        switch value {
        case ".inf", ".Inf", ".INF", "+.inf": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        guard value.contains(where: \.isASCIIDigit),
              value.allSatisfy({ $0.isASCIIDigit || "+-.eE".contains($0) })
        else { return nil }
        return Double(value)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// A mapping that keeps its keys in document order.
public struct YAMLMapping: Sendable, Hashable, Sequence {
    public struct Entry: Sendable, Hashable {
        public var key: YAMLNode
        public var value: YAMLNode
    }

    public var entries: [Entry]

    public init(_ entries: [Entry] = []) { self.entries = entries }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    public var count: Int { entries.count }

    /// The value of the first entry whose key is the plain string `key`.
    public subscript(key: String) -> YAMLNode? {
        entries.first { $0.key.string == key }?.value
    }
}

/// One node of a YAML document, with aliases already resolved.
public indirect enum YAMLNode: Sendable, Hashable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode], mark: YAMLMark)
    case mapping(YAMLMapping, mark: YAMLMark)

    public var mark: YAMLMark {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .sequence(_, let mark), .mapping(_, let mark): mark
        }
    }

    public var isNull: Bool {
        if case .scalar(let scalar) = self { return scalar.isNull }
        return false
    }

    /// A value given as one text or a list of texts (`rules: a.yml` or
    /// `rules: [a.yml, b.yml]`); a null (`rules:`) is none. Throws the
    /// node at fault: a mapping, or the first item that is not text.
    public func texts() throws(YAMLShapeError) -> [String] {
        switch self {
        case .scalar(let scalar): return scalar.isNull ? [] : [scalar.value]
        case .mapping: throw YAMLShapeError(node: self, isListItem: false)
        case .sequence(let items, _):
            return try items.map { item throws(YAMLShapeError) in
                guard let text = item.string else {
                    throw YAMLShapeError(node: item, isListItem: true)
                }
                return text
            }
        }
    }

    /// A refused value as an error message quotes it: a list or mapping
    /// by its kind, and a quoted scalar said to be quoted, since `"5"` is
    /// text and would otherwise read as the number it looks like.
    public var quotedForMessage: String {
        switch self {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar(let scalar):
            switch scalar.style {
            case .singleQuoted, .doubleQuoted: return "the quoted text '\(scalar.value)'"
            case .plain, .literal, .folded: return "'\(scalar.value)'"
            }
        }
    }

    /// The scalar's text, whatever its style; nil for collections.
    public var string: String? {
        if case .scalar(let scalar) = self { return scalar.value }
        return nil
    }

    public var int: Int? {
        if case .scalar(let scalar) = self { return scalar.int }
        return nil
    }

    public var bool: Bool? {
        if case .scalar(let scalar) = self { return scalar.bool }
        return nil
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = self { return scalar }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items, _) = self { return items }
        return nil
    }

    public var mapping: YAMLMapping? {
        if case .mapping(let mapping, _) = self { return mapping }
        return nil
    }

    /// The value under `key` when this node is a mapping.
    public subscript(key: String) -> YAMLNode? { mapping?[key] }
}

/// A value of the wrong shape for `YAMLNode.texts()`, and where it is.
public struct YAMLShapeError: Error, Sendable {
    public let node: YAMLNode
    /// True when the list is fine but this item of it is not text.
    public let isListItem: Bool

    /// What is wrong, for a setting called `name`.
    public func message(naming name: String) -> String {
        isListItem ? "'\(name)' must list text values only" : "'\(name)' must be a list"
    }
}
