import CSimdJSONShim

/// Parses NDJSON event lines and extracts the values of a `FieldSelection`.
///
/// Not Sendable: keep one parser per thread. It owns one simdjson parser
/// and reusable buffers, so parsing allocates nothing once the buffers
/// have grown to the largest event seen.
public final class EventParser {
    public let selection: FieldSelection
    public let collectsAllLeaves: Bool
    private let handle: OpaquePointer
    // Unchecked: the class is not Sendable and these are touched on every
    // parse and every value read, where dynamic exclusivity checks cost a
    // third of the parse time; no access to them ever overlaps another.
    @exclusivity(unchecked) private var result = pj_result()
    /// Bumped by every parse; views of an older parse trap when used.
    @exclusivity(unchecked) private(set) var generation: UInt64 = 0

    /// The selected fields of the last line that hold an object, or an
    /// empty list, where values go (`ParsedEvent.holdsNoScalar(in:)`).
    var shapelessFields: UnsafeBufferPointer<Int32> {
        var count = 0
        let fields = pj_shapeless_fields(handle, &count)
        return UnsafeBufferPointer(start: fields, count: count)
    }

    /// The SIMD kernel simdjson chose for this CPU ("icelake", "haswell"…).
    public static var activeKernel: String { String(cString: pj_active_kernel()) }
    public static var libraryVersion: String { String(cString: pj_library_version()) }

    /// With `collectsAllLeaves`, every leaf is walked and kept with its
    /// dotted path (for `ParsedEvent.forEachLeaf`); otherwise only the
    /// subtrees that can lead to a selected path are walked.
    public init(selection: FieldSelection, collectsAllLeaves: Bool = false) {
        self.selection = selection
        self.collectsAllLeaves = collectsAllLeaves
        let encoded = selection.paths.map { Array($0.utf8) }
        var lengths = encoded.map(\.count)
        let storage = encoded.flatMap { $0 }.map { CChar(bitPattern: $0) }
        let created = storage.withUnsafeBufferPointer { bytes in
            var pointers: [UnsafePointer<CChar>?] = []
            var offset = 0
            for length in lengths {
                pointers.append(bytes.baseAddress.map { $0 + offset })
                offset += length
            }
            return pj_parser_create(pointers, &lengths, lengths.count,
                                    collectsAllLeaves ? 1 : 0)
        }
        // Only allocation failure makes the C++ side return NULL.
        guard let created else { fatalError("EventParser: out of memory") }
        handle = created
    }

    deinit { pj_parser_destroy(handle) }

    /// Parses one NDJSON line (without its newline).
    ///
    /// The returned event, and every `JSONString` read from it, points into
    /// this parser's memory: it is valid until the next `parse` call on this
    /// parser, and using it afterwards traps. Copy out what must outlive it.
    /// The line itself is copied, so its buffer may be reused at once.
    public func parse(_ line: UnsafeRawBufferPointer) throws(JSONParseError) -> ParsedEvent {
        generation &+= 1
        let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var status = pj_parse(handle, base, line.count, &result)
        if status != UInt32(PJ_OK.rawValue) {
            let failure = error(status: status)
            // RFC 8259's grammar allows a lone surrogate escape (`\ud800`),
            // which simdjson refuses; Elasticsearch and Python read such an
            // event. It is read with U+FFFD in its place (the same six
            // bytes, so every offset into the line holds), the line itself
            // kept as it came.
            guard failure.message.contains("unpaired surrogate"),
                  var repaired = Self.replacingLoneSurrogateEscapes(in: line) else { throw failure }
            status = repaired.withUnsafeMutableBufferPointer { bytes in
                pj_parse(handle, bytes.baseAddress, bytes.count, &result)
            }
            guard status == UInt32(PJ_OK.rawValue) else { throw error(status: status) }
        }
        return ParsedEvent(parser: self, generation: generation, result: result,
                           lineLength: line.count)
    }

    /// The line with each `\uXXXX` escape of a lone UTF-16 surrogate
    /// written `\uFFFD`; nil when it holds none.
    public static func replacingLoneSurrogateEscapes(in line: UnsafeRawBufferPointer) -> [UInt8]? {
        var bytes = Array(line)
        func unit(at index: Int) -> UInt32? {
            guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                  bytes[index + 1] == UInt8(ascii: "u") else { return nil }
            return UInt32(String(decoding: bytes[index + 2..<index + 6], as: UTF8.self), radix: 16)
        }
        var replaced = false
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            guard let value = unit(at: index) else {
                index += 2    // another escape: `\\`, `\"`, `\n`
                continue
            }
            let isHigh = (0xD800..<0xDC00).contains(value)
            if isHigh, let low = unit(at: index + 6), (0xDC00..<0xE000).contains(low) {
                index += 12   // a pair: one character
                continue
            }
            if isHigh || (0xDC00..<0xE000).contains(value) {
                bytes.replaceSubrange(index + 2..<index + 6, with: Array("FFFD".utf8))
                replaced = true
            }
            index += 6
        }
        return replaced ? bytes : nil
    }

    /// Parses the bytes of a Swift string (tests and tools; the hot path
    /// passes buffers from `LineReader`).
    public func parse(_ line: String) throws(JSONParseError) -> ParsedEvent {
        var line = line
        let outcome = line.withUTF8 { bytes in
            Result { () throws(JSONParseError) in try parse(UnsafeRawBufferPointer(bytes)) }
        }
        return try outcome.get()
    }

    private func error(status: UInt32) -> JSONParseError {
        let reason = result.error_reason.map { String(cString: $0) } ?? "unknown reason"
        let offset = result.error_offset >= 0 ? Int(result.error_offset) : nil
        switch status {
        case UInt32(PJ_EMPTY.rawValue):
            return JSONParseError(code: .empty, message: "event is empty: \(reason)")
        case UInt32(PJ_MALFORMED.rawValue):
            return JSONParseError(code: .malformed, summary: "malformed JSON",
                                  reason: reason, byteOffset: offset)
        case UInt32(PJ_NUMBER_OUT_OF_RANGE.rawValue):
            return JSONParseError(code: .numberOutOfRange, summary: "unsupported JSON",
                                  reason: reason, byteOffset: offset)
        case UInt32(PJ_NOT_OBJECT.rawValue):
            return JSONParseError(code: .notObject,
                                  message: "event is not a JSON object: it is \(reason)")
        case UInt32(PJ_TOO_DEEP.rawValue):
            return JSONParseError(code: .tooDeep,
                                  message: "event is nested too deep: 1,024 levels or more, "
                                    + "the innermost value counted")
        case UInt32(PJ_TOO_LARGE.rawValue):
            return JSONParseError(code: .tooLarge, message: "event is too large: \(reason)")
        case UInt32(PJ_OUT_OF_MEMORY.rawValue):
            return JSONParseError(code: .outOfMemory,
                                  message: "cannot parse event: out of memory")
        default:
            // PJ_INTERNAL: the shim's own scanners disagree with simdjson.
            fatalError("EventParser: internal error in the JSON shim: \(reason)")
        }
    }
}
