import CYAML
import Foundation
import PerimeterInput

/// Why a YAML text could not be read.
public struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case syntax = "yaml.syntax"
        case unknownAlias = "yaml.unknown_alias"
        case duplicateKey = "yaml.duplicate_key"
        case tooDeep = "yaml.too_deep"
        case tooLarge = "yaml.too_large"
        case unreadableFile = "yaml.unreadable_file"
        case internalFailure = "yaml.internal"
    }

    public var code: Code
    public var file: String?
    public var mark: YAMLMark?
    public var reason: String

    public init(code: Code, file: String?, mark: YAMLMark?, reason: String) {
        self.code = code
        self.file = file
        self.mark = mark
        self.reason = reason
    }

    public var description: String {
        if code == .unreadableFile { return "cannot read '\(file ?? "<string>")': \(reason)" }
        var place = file ?? "<string>"
        if let mark { place += ":\(mark.line):\(mark.column)" }
        return "\(place): YAML parsing failed: \(reason)"
    }
}

/// Reads YAML streams (one or more `---` documents) into `YAMLNode` trees.
public enum YAMLParser {
    /// Parses every document of `text`; `file` only names the source in errors.
    public static func parseDocuments(_ text: String, file: String? = nil)
        throws(YAMLError) -> [YAMLNode]
    {
        let reader = EventReader(file: file)
        return try reader.readStream(text)
    }

    /// Reads a file and parses every document in it.
    public static func parseFile(atPath path: String) throws(YAMLError) -> [YAMLNode] {
        let text: String
        do {
            text = try readWholeFile(path)
        } catch {
            throw error
        }
        return try parseDocuments(text, file: path)
    }

    /// A file's text, for a caller that parses it with `parseDocuments`.
    public static func readWholeFile(_ path: String) throws(YAMLError) -> String {
        do {
            return try WholeFile.text(atPath: path)
        } catch {
            throw YAMLError(code: .unreadableFile, file: path, mark: nil, reason: error.reason)
        }
    }
}

/// Owns one libyaml parser and builds nodes from its event stream.
private final class EventReader {
    private var parser = yaml_parser_t()
    private let file: String?
    private var anchors: [String: YAMLNode] = [:]
    /// Lists and mappings open around the node being read.
    private var depth = 0
    /// The nodes of the document being read, each alias counted as the
    /// nodes it stands for: what a reader of the document walks.
    private var expandedNodes = 0
    /// The expanded size of each anchored node.
    private var anchorSizes: [String: Int] = [:]
    /// The bytes being read, while `readStream` runs: a reader error (a
    /// control character, a byte that is no UTF-8) gives an offset, not a
    /// line, and was reported at line 1.
    private var input: UnsafeBufferPointer<UInt8>?

    /// Aliases that expand a document beyond this many nodes are refused:
    /// 548 bytes of nested aliases (each list naming the one before ten
    /// times) stood for 100 million values, and compiling them as a Sigma
    /// rule ran the process out of memory. No rule or configuration comes
    /// near it.
    static let maximumExpandedNodes = 1_000_000

    /// Deeper nesting is refused: no configuration or Sigma rule needs a
    /// tenth of it, and building nodes recursively from a 10 KB file of
    /// 5,000 brackets overflowed the stack.
    static let maximumDepth = 200

    init(file: String?) {
        self.file = file
        // yaml_parser_initialize fails only when it cannot allocate: our bug or the
        // machine's, not the input's, so trap.
        precondition(yaml_parser_initialize(&parser) == 1, "libyaml: out of memory")
    }

    deinit { yaml_parser_delete(&parser) }

    func readStream(_ text: String) throws(YAMLError) -> [YAMLNode] {
        var utf8 = Array(text.utf8)
        return try utf8.withUnsafeMutableBufferPointer { (buffer) throws(YAMLError) in
            // An empty buffer has no base address; libyaml reads length 0 safely.
            var empty: UInt8 = 0
            let base = buffer.baseAddress ?? withUnsafeMutablePointer(to: &empty) { $0 }
            yaml_parser_set_input_string(&parser, base, buffer.count)
            input = UnsafeBufferPointer(buffer)
            defer { input = nil }
            var documents: [YAMLNode] = []
            while true {
                let event = try nextEvent()
                defer { var copy = event; yaml_event_delete(&copy) }
                switch event.type {
                case YAML_STREAM_START_EVENT:
                    continue
                case YAML_STREAM_END_EVENT:
                    return documents
                case YAML_DOCUMENT_START_EVENT:
                    anchors = [:]
                    anchorSizes = [:]
                    expandedNodes = 0
                    let documentEvent = try nextEvent()
                    defer { var copy = documentEvent; yaml_event_delete(&copy) }
                    let root: YAMLNode
                    if documentEvent.type == YAML_DOCUMENT_END_EVENT {
                        root = .scalar(YAMLScalar(value: "", mark: mark(of: event)))
                        documents.append(root)
                        continue
                    }
                    root = try node(startingWith: documentEvent)
                    let end = try nextEvent()
                    var endCopy = end
                    yaml_event_delete(&endCopy)
                    guard end.type == YAML_DOCUMENT_END_EVENT else {
                        throw failure(.internalFailure, "expected the end of a document",
                                      at: mark(of: end))
                    }
                    documents.append(root)
                default:
                    throw failure(.internalFailure, "unexpected event \(event.type.rawValue)",
                                  at: mark(of: event))
                }
            }
        }
    }

    /// The caller owns the returned event and must delete it.
    private func nextEvent() throws(YAMLError) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
            var reason = problem
            if let context = parser.context.map({ String(cString: $0) }) {
                reason += " (\(context))"
            }
            var where_ = YAMLMark(line: Int(parser.problem_mark.line) + 1,
                                  column: Int(parser.problem_mark.column) + 1)
            if parser.error == YAML_READER_ERROR, let input {
                let before = input[..<min(Int(parser.problem_offset), input.count)]
                let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
                where_ = YAMLMark(line: before.count(where: { $0 == 0x0A }) + 1,
                                  column: before.count - lineStart + 1)
            }
            throw failure(.syntax, reason, at: where_)
        }
        return event
    }

    /// Builds the node that `event` opens; the caller deletes `event`.
    private func node(startingWith event: yaml_event_t) throws(YAMLError) -> YAMLNode {
        let start = mark(of: event)
        switch event.type {
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let target = anchors[name] else {
                throw failure(.unknownAlias, "alias '*\(name)' names no earlier anchor",
                              at: start)
            }
            try count(anchorSizes[name] ?? 1, at: start)
            return target
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let value = data.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: data.length),
                       as: UTF8.self)
            } ?? ""
            let style: YAMLScalarStyle = switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: .literal
            case YAML_FOLDED_SCALAR_STYLE: .folded
            default: .plain
            }
            let tag = data.tag.map { String(cString: $0) }
            let result = YAMLNode.scalar(
                YAMLScalar(value: value, style: style, tag: tag, mark: start))
            try count(1, at: start)
            if let anchor = data.anchor {
                anchors[String(cString: anchor)] = result
                anchorSizes[String(cString: anchor)] = 1
            }
            return result
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else {
                throw failure(.tooDeep, "lists and mappings nest deeper than "
                              + "\(Self.maximumDepth) levels", at: start)
            }
            return event.type == YAML_SEQUENCE_START_EVENT
                ? try sequence(startingWith: event) : try mapping(startingWith: event)
        default:
            throw failure(.internalFailure, "unexpected event \(event.type.rawValue)",
                          at: start)
        }
    }

    private func sequence(startingWith event: yaml_event_t) throws(YAMLError) -> YAMLNode {
        let start = mark(of: event)
        let anchor = event.data.sequence_start.anchor.map { String(cString: $0) }
        let before = expandedNodes
        try count(1, at: start)
        var items: [YAMLNode] = []
        while true {
            let child = try nextEvent()
            defer { var copy = child; yaml_event_delete(&copy) }
            if child.type == YAML_SEQUENCE_END_EVENT { break }
            items.append(try node(startingWith: child))
        }
        let result = YAMLNode.sequence(items, mark: start)
        if let anchor {
            anchors[anchor] = result
            anchorSizes[anchor] = expandedNodes - before
        }
        return result
    }

    private func mapping(startingWith event: yaml_event_t) throws(YAMLError) -> YAMLNode {
        let start = mark(of: event)
        let anchor = event.data.mapping_start.anchor.map { String(cString: $0) }
        let before = expandedNodes
        try count(1, at: start)
        var entries: [YAMLMapping.Entry] = []
        // YAML keys are unique in a mapping; a reader keeping the first
        // (or the last) of two would drop what the other one said (a
        // Sigma rule's second `selection`, a configuration's section).
        var firstLines: [String: Int] = [:]
        while true {
            let keyEvent = try nextEvent()
            defer { var copy = keyEvent; yaml_event_delete(&copy) }
            if keyEvent.type == YAML_MAPPING_END_EVENT { break }
            let key = try node(startingWith: keyEvent)
            if case .scalar(let scalar) = key {
                if let line = firstLines[scalar.value] {
                    throw failure(.duplicateKey, "the key '\(scalar.value)' appears twice in "
                                  + "one mapping (first on line \(line))", at: scalar.mark)
                }
                firstLines[scalar.value] = scalar.mark.line
            }
            let valueEvent = try nextEvent()
            defer { var copy = valueEvent; yaml_event_delete(&copy) }
            let value = try node(startingWith: valueEvent)
            entries.append(YAMLMapping.Entry(key: key, value: value))
        }
        let result = YAMLNode.mapping(YAMLMapping(entries), mark: start)
        if let anchor {
            anchors[anchor] = result
            anchorSizes[anchor] = expandedNodes - before
        }
        return result
    }

    private func count(_ nodes: Int, at mark: YAMLMark) throws(YAMLError) {
        expandedNodes += nodes
        guard expandedNodes <= Self.maximumExpandedNodes else {
            throw failure(.tooLarge, "the document stands for more than "
                          + "\(Self.maximumExpandedNodes) values, each alias counted as "
                          + "what it repeats", at: mark)
        }
    }

    private func mark(of event: yaml_event_t) -> YAMLMark {
        YAMLMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    }

    private func failure(_ code: YAMLError.Code, _ reason: String, at mark: YAMLMark)
        -> YAMLError
    {
        YAMLError(code: code, file: file, mark: mark, reason: reason)
    }
}

extension YAMLParser {
    /// The libyaml version, as `perimeter version` reports it.
    public static var libraryVersion: String { String(cString: yaml_get_version_string()) }
}
