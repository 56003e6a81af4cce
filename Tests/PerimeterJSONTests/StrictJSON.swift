import Foundation

/// An independent, strict JSON reader for checking outputs: it refuses
/// duplicate keys in one object, which simdjson accepts.
enum JSONNode: Equatable {
    case object([(String, JSONNode)])
    case array([JSONNode])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func == (lhs: JSONNode, rhs: JSONNode) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// Leaves as (dotted path, text), arrays transparent, like the parser.
    func leaves(prefix: String = "") -> [(String, String)] {
        switch self {
        case .object(let members):
            return members.flatMap { key, value in
                value.leaves(prefix: prefix.isEmpty ? key : prefix + "." + key)
            }
        case .array(let elements): return elements.flatMap { $0.leaves(prefix: prefix) }
        case .string(let s): return [(prefix, s)]
        case .number(let n): return [(prefix, n)]
        case .bool(let b): return [(prefix, b ? "true" : "false")]
        case .null: return [(prefix, "null")]
        }
    }
}

struct StrictJSONError: Error, CustomStringConvertible {
    let description: String
}

struct StrictJSON {
    private let b: [UInt8]
    private var i = 0

    static func parse(_ bytes: [UInt8]) throws -> JSONNode {
        var reader = StrictJSON(b: bytes)
        reader.skipSpace()
        let node = try reader.value()
        reader.skipSpace()
        guard reader.i == bytes.count else { throw reader.fail("trailing content") }
        return node
    }

    static func parse(_ text: String) throws -> JSONNode { try parse(Array(text.utf8)) }

    private func fail(_ why: String) -> StrictJSONError {
        StrictJSONError(description: "\(why) at byte \(i)")
    }

    private mutating func skipSpace() {
        while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 }
    }

    private mutating func expect(_ c: Character) throws {
        guard i < b.count, b[i] == c.asciiValue! else { throw fail("expected \(c)") }
        i += 1
    }

    private mutating func value() throws -> JSONNode {
        guard i < b.count else { throw fail("end of input") }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [(String, JSONNode)] = []
            var keys = Set<String>()
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object([]) }
            while true {
                skipSpace()
                let key = try string()
                guard keys.insert(key).inserted else { throw fail("duplicate key '\(key)'") }
                skipSpace()
                try expect(":")
                skipSpace()
                members.append((key, try value()))
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect("}")
                return .object(members)
            }
        case UInt8(ascii: "["):
            i += 1
            var elements: [JSONNode] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array([]) }
            while true {
                skipSpace()
                elements.append(try value())
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect("]")
                return .array(elements)
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try word("true"); return .bool(true)
        case UInt8(ascii: "f"): try word("false"); return .bool(false)
        case UInt8(ascii: "n"): try word("null"); return .null
        default:
            let start = i
            while i < b.count, "-+.eE0123456789".utf8.contains(b[i]) { i += 1 }
            guard i > start else { throw fail("unexpected byte") }
            return .number(String(decoding: b[start..<i], as: UTF8.self))
        }
    }

    private mutating func word(_ w: String) throws {
        let bytes = Array(w.utf8)
        guard i + bytes.count <= b.count, Array(b[i..<i + bytes.count]) == bytes else {
            throw fail("bad literal")
        }
        i += bytes.count
    }

    private mutating func string() throws -> String {
        try expect("\"")
        var out: [UInt8] = []
        var pendingHigh: UInt32?
        while true {
            guard i < b.count else { throw fail("unclosed string") }
            let c = b[i]
            i += 1
            if c == UInt8(ascii: "\"") { break }
            guard c >= 0x20 else { throw fail("control character") }
            if c != UInt8(ascii: "\\") { out.append(c); continue }
            guard i < b.count else { throw fail("bad escape") }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard i + 4 <= b.count,
                      let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16)
                else { throw fail("bad \\u") }
                i += 4
                if (0xD800..<0xDC00).contains(v) { pendingHigh = v; continue }
                var scalar = v
                if (0xDC00..<0xE000).contains(v), let high = pendingHigh {
                    scalar = 0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00)
                }
                pendingHigh = nil
                guard let unicode = Unicode.Scalar(scalar) else { throw fail("lone surrogate") }
                out.append(contentsOf: Array(String(unicode).utf8))
            default: out.append(e)
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("bad UTF-8") }
        return s
    }
}

enum Corpus {
    /// `../shared/corpus` beside the package root, or $PERIMETER_CORPUS.
    static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["PERIMETER_CORPUS"] {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/corpus")
    }

    static func ecsFiles() throws -> [URL] {
        let folder = directory.appendingPathComponent("ecs")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".ndjson") }.sorted()
            .map { folder.appendingPathComponent($0) }
    }
}
