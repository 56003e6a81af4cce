import PerimeterModel

/// A Sigma string value: literal bytes and the `*` / `?` wildcards, escapes resolved.
struct SigmaString: Sendable, Hashable {
    enum Token: Sendable, Hashable {
        case literal([UInt8])
        case anyString
        case anyCharacter
    }

    private(set) var tokens: [Token]

    init(tokens: [Token]) {
        self.tokens = []
        for token in tokens { append(token) }
    }

    /// Reads a rule value: `\*`, `\?` and `\\` are escapes; any other backslash is literal.
    init(parsing text: String) {
        tokens = []
        let bytes = Array(text.utf8)
        var literal: [UInt8] = []
        var index = 0
        func flush() {
            if !literal.isEmpty { append(.literal(literal)); literal = [] }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\\"):
                let next = index + 1 < bytes.count ? bytes[index + 1] : 0
                if next == UInt8(ascii: "*") || next == UInt8(ascii: "?")
                    || next == UInt8(ascii: "\\") {
                    literal.append(next)
                    index += 2
                    continue
                }
                literal.append(byte)
            case UInt8(ascii: "*"):
                flush()
                append(.anyString)
            case UInt8(ascii: "?"):
                flush()
                append(.anyCharacter)
            default:
                literal.append(byte)
            }
            index += 1
        }
        flush()
    }

    init(literal bytes: [UInt8]) {
        tokens = bytes.isEmpty ? [] : [.literal(bytes)]
    }

    private mutating func append(_ token: Token) {
        switch (tokens.last, token) {
        case (.literal(let previous)?, .literal(let next)):
            tokens[tokens.count - 1] = .literal(previous + next)
        case (.anyString?, .anyString):
            break
        default:
            tokens.append(token)
        }
    }

    var hasWildcards: Bool {
        tokens.contains { if case .literal = $0 { false } else { true } }
    }

    /// The bytes of a value without wildcards; nil when it has some.
    var plainBytes: [UInt8]? {
        guard !hasWildcards else { return nil }
        if case .literal(let bytes)? = tokens.first { return bytes }
        return []
    }

    func prefixedWithWildcard() -> SigmaString {
        tokens.first == .anyString ? self : SigmaString(tokens: [.anyString] + tokens)
    }

    func suffixedWithWildcard() -> SigmaString {
        tokens.last == .anyString ? self : SigmaString(tokens: tokens + [.anyString])
    }

    /// Maps each literal run, leaving wildcards in place.
    func mapLiterals(_ transform: ([UInt8]) -> [UInt8]) -> SigmaString {
        SigmaString(tokens: tokens.map {
            if case .literal(let bytes) = $0 { .literal(transform(bytes)) } else { $0 }
        })
    }

    /// The value as a rule author would write it again, for messages.
    var display: String {
        var text = ""
        for token in tokens {
            switch token {
            case .literal(let bytes):
                text += String(decoding: bytes, as: UTF8.self)
            case .anyString: text += "*"
            case .anyCharacter: text += "?"
            }
        }
        return text
    }
}

/// How a string value is matched once compiled: the common shapes get fast paths.
enum StringMatcher: Sendable, Hashable {
    case exact([UInt8])
    case prefix([UInt8])
    case suffix([UInt8])
    case contains([UInt8])
    case glob([GlobElement])

    enum GlobElement: Sendable, Hashable {
        case byte(UInt8)
        case anyCharacter
        case anyString
    }

    /// Builds the matcher; `caseless` folds the literals once here.
    init(_ value: SigmaString, caseless: Bool) {
        let tokens = value.tokens.map { token -> SigmaString.Token in
            if caseless, case .literal(let bytes) = token { return .literal(CaseFolding.fold(bytes)) }
            return token
        }
        switch tokens.count {
        case 0:
            self = .exact([])
            return
        case 1:
            switch tokens[0] {
            case .literal(let bytes): self = .exact(bytes); return
            case .anyString: self = .contains([]); return
            case .anyCharacter: break
            }
        case 2:
            if case .literal(let bytes) = tokens[0], tokens[1] == .anyString {
                self = .prefix(bytes); return
            }
            if case .literal(let bytes) = tokens[1], tokens[0] == .anyString {
                self = .suffix(bytes); return
            }
        case 3:
            if case .literal(let bytes) = tokens[1], tokens[0] == .anyString,
               tokens[2] == .anyString {
                self = .contains(bytes); return
            }
        default:
            break
        }
        var elements: [GlobElement] = []
        for token in tokens {
            switch token {
            case .literal(let bytes): elements.append(contentsOf: bytes.map(GlobElement.byte))
            case .anyString: elements.append(.anyString)
            case .anyCharacter: elements.append(.anyCharacter)
            }
        }
        self = .glob(elements)
    }

    /// Matches UTF-8 bytes; `caseless` folds the haystack on the fly (the needle is folded).
    func matches(_ haystack: UnsafeBufferPointer<UInt8>, caseless: Bool) -> Bool {
        switch self {
        case .exact(let needle):
            return haystack.count == needle.count
                && ByteSearch.equal(haystack, from: 0, needle, caseless: caseless)
        case .prefix(let needle):
            return haystack.count >= needle.count
                && ByteSearch.equal(haystack, from: 0, needle, caseless: caseless)
        case .suffix(let needle):
            return haystack.count >= needle.count
                && ByteSearch.equal(haystack, from: haystack.count - needle.count, needle,
                                    caseless: caseless)
        case .contains(let needle):
            return ByteSearch.contains(haystack, needle, caseless: caseless)
        case .glob(let elements):
            return ByteSearch.glob(haystack, elements, caseless: caseless)
        }
    }

    var display: String {
        switch self {
        case .exact(let bytes): "equals '\(String(decoding: bytes, as: UTF8.self))'"
        case .prefix(let bytes): "startswith '\(String(decoding: bytes, as: UTF8.self))'"
        case .suffix(let bytes): "endswith '\(String(decoding: bytes, as: UTF8.self))'"
        case .contains(let bytes): "contains '\(String(decoding: bytes, as: UTF8.self))'"
        case .glob(let elements):
            "matches '" + String(decoding: elements.flatMap { element -> [UInt8] in
                switch element {
                case .byte(let byte): [byte]
                case .anyString: [UInt8(ascii: "*")]
                case .anyCharacter: [UInt8(ascii: "?")]
                }
            }, as: UTF8.self) + "'"
        }
    }
}

/// Case folding used for Sigma's case-insensitive matching. Text beyond
/// ASCII folds as names do (`Atom.foldedName`): composed first, so that a
/// decomposed "é" is found by `contains` as it equals by `==` (Swift's
/// comparison), and with the final sigma as σ, so that "ΟΔΥΣΣΕΥΣ" matches
/// "οδυσσευς".
enum CaseFolding {
    static let asciiLower: [UInt8] = (0...255).map { byte in
        (65...90).contains(byte) ? UInt8(byte + 32) : UInt8(byte)
    }

    /// ASCII bytes fold by table; text with other bytes folds as names do.
    static func fold(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.allSatisfy({ $0 < 0x80 }) { return bytes.map { asciiLower[Int($0)] } }
        return Array(Atom.foldedName(String(decoding: bytes, as: UTF8.self)).utf8)
    }

    static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 && !(65...90).contains($0) }) { return text }
        return Atom.foldedName(text)
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }
}

enum ByteSearch {
    /// Exact substring search: memchr finds each candidate first byte, memcmp the rest.
    static func memmem(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        guard haystack.count >= needle.count, let base = haystack.baseAddress else { return false }
        return needle.withUnsafeBufferPointer { needle in
            let first = Int32(needle[0])
            let rest = needle.count - 1
            var start = 0
            let last = haystack.count - needle.count
            while start <= last {
                guard let found = memchr(base + start, first, last - start + 1) else {
                    return false
                }
                let position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if rest == 0 || memcmp(base + position + 1, needle.baseAddress! + 1, rest) == 0 {
                    return true
                }
                start = position + 1
            }
            return false
        }
    }

    @inline(__always)
    static func equal(_ haystack: UnsafeBufferPointer<UInt8>, from start: Int,
                      _ needle: [UInt8], caseless: Bool) -> Bool {
        needle.withUnsafeBufferPointer { needle in
            if caseless {
                return CaseFolding.asciiLower.withUnsafeBufferPointer { lower in
                    for index in 0..<needle.count
                    where lower[Int(haystack[start + index])] != needle[index] {
                        return false
                    }
                    return true
                }
            }
            return memcmp(haystack.baseAddress! + start, needle.baseAddress!, needle.count) == 0
        }
    }

    static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8],
                         caseless: Bool) -> Bool {
        if needle.isEmpty { return true }
        guard haystack.count >= needle.count else { return false }
        return needle.withUnsafeBufferPointer { needle in
            CaseFolding.asciiLower.withUnsafeBufferPointer { lower in
                let first = needle[0]
                let last = haystack.count - needle.count
                var start = 0
                while start <= last {
                    let byte = caseless ? lower[Int(haystack[start])] : haystack[start]
                    if byte == first {
                        var index = 1
                        while index < needle.count {
                            let candidate = haystack[start + index]
                            let folded = caseless ? lower[Int(candidate)] : candidate
                            if folded != needle[index] { break }
                            index += 1
                        }
                        if index == needle.count { return true }
                    }
                    start += 1
                }
                return false
            }
        }
    }

    /// Iterative glob with one backtrack point, linear in practice; `?` takes one scalar.
    static func glob(_ haystack: UnsafeBufferPointer<UInt8>, _ pattern: [StringMatcher.GlobElement],
                     caseless: Bool) -> Bool {
        var position = 0
        var element = 0
        var starElement = -1
        var starPosition = 0
        func scalarLength(at index: Int) -> Int {
            let byte = haystack[index]
            let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            return min(length, haystack.count - index)
        }
        while position < haystack.count {
            if element < pattern.count {
                switch pattern[element] {
                case .byte(let expected):
                    let actual = caseless
                        ? CaseFolding.asciiLower[Int(haystack[position])] : haystack[position]
                    if actual == expected {
                        position += 1
                        element += 1
                        continue
                    }
                case .anyCharacter:
                    position += scalarLength(at: position)
                    element += 1
                    continue
                case .anyString:
                    starElement = element
                    starPosition = position
                    element += 1
                    continue
                }
            }
            guard starElement >= 0 else { return false }
            starPosition += scalarLength(at: starPosition)
            position = starPosition
            element = starElement + 1
        }
        while element < pattern.count, pattern[element] == .anyString { element += 1 }
        return element == pattern.count
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
