import CSimdJSONShim

/// The selected values of one parsed line; a view into its `EventParser`.
///
/// Valid until the next `parse` call on the same parser: every accessor
/// checks this and traps on a stale view.
public struct ParsedEvent {
    private let parser: EventParser
    private let generation: UInt64
    private let leaves: UnsafePointer<pj_value>?
    private let leafCount: Int
    private let grouped: UnsafePointer<pj_value>?
    private let fieldStarts: UnsafePointer<UInt32>?
    private let paths: UnsafePointer<CChar>?
    private let removed: UnsafePointer<pj_span>?
    private let removedCount: Int
    let lineLength: Int
    let sekoiaioClose: Int?
    let sekoiaioKeepsMembers: Bool
    let documentClose: Int
    let documentKeepsMembers: Bool
    private let fieldCount: Int

    init(parser: EventParser, generation: UInt64, result: pj_result, lineLength: Int) {
        self.parser = parser
        self.generation = generation
        fieldCount = parser.selection.count
        leaves = result.leaves
        leafCount = result.leaf_count
        grouped = result.grouped
        fieldStarts = result.field_starts
        paths = result.paths
        removed = result.removed
        removedCount = result.removed_count
        self.lineLength = lineLength
        sekoiaioClose = result.sekoiaio_close >= 0 ? Int(result.sekoiaio_close) : nil
        sekoiaioKeepsMembers = result.sekoiaio_keeps_members != 0
        documentClose = Int(result.document_close)
        documentKeepsMembers = result.document_keeps_members != 0
    }

    private func checkValid() {
        precondition(parser.generation == generation,
                     "ParsedEvent used after its parser parsed another line")
    }

    /// The scalar values of a field, in document order; array elements are
    /// values of the array's path. Objects are not values.
    public func values(of fieldID: Int) -> JSONValues {
        checkValid()
        precondition(fieldID >= 0 && fieldID < fieldCount,
                     "field id \(fieldID) is not in the selection")
        guard let fieldStarts, let grouped else {
            return JSONValues(base: nil, count: 0, owner: parser, generation: generation)
        }
        let start = Int(fieldStarts[fieldID])
        let end = Int(fieldStarts[fieldID + 1])
        return JSONValues(base: grouped + start, count: end - start,
                          owner: parser, generation: generation)
    }

    /// Calls `body` with the text of each value of a field, in document
    /// order: strings as their UTF-8, numbers in decimal (`JSONScalar.text`);
    /// booleans and nulls are skipped. The bytes are valid only inside
    /// `body`. This is the extraction hot path: no `String` is made for a
    /// string value.
    public func forEachText(of fieldID: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        checkValid()
        precondition(fieldID >= 0 && fieldID < fieldCount,
                     "field id \(fieldID) is not in the selection")
        guard let fieldStarts, let grouped else { return }
        let end = Int(fieldStarts[fieldID + 1])
        var index = Int(fieldStarts[fieldID])
        while index < end {
            let leaf = grouped[index]
            index += 1
            switch leaf.kind {
            case UInt32(PJ_STRING.rawValue):
                let bytes = UnsafeRawPointer(leaf.string)?.assumingMemoryBound(to: UInt8.self)
                body(UnsafeBufferPointer(start: bytes, count: Int(leaf.length)))
            case UInt32(PJ_TRUE.rawValue), UInt32(PJ_FALSE.rawValue), UInt32(PJ_NULL.rawValue):
                continue
            default:
                var text = JSONScalar(leaf, owner: parser, generation: generation).text
                text.withUTF8(body)
            }
        }
    }

    /// Whether the event holds an object, or an empty list, where the
    /// field's values go (`"@timestamp":{"$date":…}`): no value, and not
    /// absent either.
    public func holdsNoScalar(in fieldID: Int) -> Bool {
        checkValid()
        return parser.shapelessFields.contains(Int32(fieldID))
    }

    /// Whether the field has at least one scalar value (`null` counts), as
    /// `contains(_:)`, without making a view of the values.
    public func hasValues(of fieldID: Int) -> Bool {
        checkValid()
        precondition(fieldID >= 0 && fieldID < fieldCount,
                     "field id \(fieldID) is not in the selection")
        guard let fieldStarts else { return false }
        return fieldStarts[fieldID + 1] > fieldStarts[fieldID]
    }

    /// Calls `body` with the position in `fieldIDs` of each field that has
    /// at least one scalar value, in order: one call for a whole table of
    /// fields, most of which an event lacks.
    public func forEachFieldWithValues(among fieldIDs: [Int], _ body: (Int) -> Void) {
        checkValid()
        guard let fieldStarts else { return }
        fieldIDs.withUnsafeBufferPointer { ids in
            for position in 0..<ids.count {
                let fieldID = ids[position]
                precondition(fieldID >= 0 && fieldID < fieldCount,
                             "field id \(fieldID) is not in the selection")
                if fieldStarts[fieldID + 1] > fieldStarts[fieldID] { body(position) }
            }
        }
    }

    /// The first string value of a field, if any.
    public func firstString(of fieldID: Int) -> String? {
        for value in values(of: fieldID) {
            if case .string(let s) = value { return s.string }
        }
        return nil
    }

    /// Whether the field has at least one scalar value (`null` counts).
    public func contains(_ fieldID: Int) -> Bool { !values(of: fieldID).isEmpty }

    /// Every scalar leaf as (dotted path, value), in document order.
    /// Requires a parser made with `collectsAllLeaves: true`.
    public func forEachLeaf(_ body: (String, JSONScalar) throws -> Void) rethrows {
        try forEachRawLeaf { path, value in try body(path.string, value) }
    }

    /// `forEachLeaf` without making a `String` of each path.
    public func forEachRawLeaf(_ body: (JSONString, JSONScalar) throws -> Void) rethrows {
        checkValid()
        precondition(parser.collectsAllLeaves,
                     "forEachLeaf needs a parser made with collectsAllLeaves: true")
        guard let leaves else { return }
        let pathBytes = UnsafeRawPointer(paths)?.assumingMemoryBound(to: UInt8.self)
        for index in 0..<leafCount {
            let leaf = leaves[index]
            let path = JSONString(base: pathBytes.map { $0 + Int(leaf.path_offset) },
                                  count: Int(leaf.path_length),
                                  owner: parser, generation: generation)
            try body(path, JSONScalar(leaf, owner: parser, generation: generation))
        }
    }

    /// Whether the line held input fields under `sekoiaio.any_asset` or
    /// `sekoiaio.assets` (SPEC §2); they are not reported as values.
    public var removedCollidingFields: Bool {
        checkValid()
        return removedCount > 0
    }

    /// Byte ranges of the line that the writer deletes, sorted, disjoint.
    var removedSpans: [Range<Int>] {
        checkValid()
        guard let removed else { return [] }
        return (0..<removedCount).map {
            Int(removed[$0].start)..<Int(removed[$0].end)
        }
    }
}

/// The values of one field: a cheap view, valid as long as its event.
public struct JSONValues: RandomAccessCollection {
    private let base: UnsafePointer<pj_value>?
    public let count: Int
    unowned(unsafe) private let owner: EventParser
    private let generation: UInt64

    init(base: UnsafePointer<pj_value>?, count: Int, owner: EventParser, generation: UInt64) {
        self.base = base
        self.count = count
        self.owner = owner
        self.generation = generation
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> JSONScalar {
        precondition(position >= 0 && position < count, "JSONValues index out of range")
        precondition(owner.generation == generation,
                     "JSONValues used after its parser parsed another line")
        return JSONScalar(base![position], owner: owner, generation: generation)
    }
}

extension JSONScalar {
    init(_ leaf: pj_value, owner: EventParser, generation: UInt64) {
        switch leaf.kind {
        case UInt32(PJ_STRING.rawValue):
            let bytes = UnsafeRawPointer(leaf.string)?.assumingMemoryBound(to: UInt8.self)
            self = .string(JSONString(base: bytes, count: Int(leaf.length),
                                      owner: owner, generation: generation))
        case UInt32(PJ_INT64.rawValue): self = .int(Int64(bitPattern: leaf.bits))
        case UInt32(PJ_UINT64.rawValue): self = .uint(leaf.bits)
        case UInt32(PJ_DOUBLE.rawValue): self = .double(Double(bitPattern: leaf.bits))
        case UInt32(PJ_TRUE.rawValue): self = .bool(true)
        case UInt32(PJ_FALSE.rawValue): self = .bool(false)
        default: self = .null
        }
    }
}
