import PerimeterJSON

/// What the atom extractor needs from an event: the string values of a
/// field, whatever the event's layout. The JSON layer implements it over
/// its parsed document; tests implement it over a dictionary.
public protocol EventFieldSource {
    /// Calls `body` with every string value of the field at `index` in
    /// `AtomExtractor.fieldPaths`: each element of a list, numbers as their
    /// decimal text, the values of both the dotted key (`"host.name"`) and
    /// the nested object (`{"host":{"name":…}}`) when an event has both.
    /// Absent fields, nulls, objects and booleans call nothing.
    func forEachString(inField index: Int, _ body: (String) -> Void)

    /// The values of `forEachString` as UTF-8 bytes, which are valid only
    /// inside `body`. Sources that hold bytes implement it so that
    /// extraction makes a `String` only of the values that are atoms.
    func forEachUTF8(inField index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void)

    /// Calls `body` with the index of every field that may have values, in
    /// increasing order; a field left out must have none. Sources that know
    /// which fields are present spare the extractor a call per absent field.
    func forEachFieldWithValues(_ body: (Int) -> Void)
}

extension EventFieldSource {
    public func forEachFieldWithValues(_ body: (Int) -> Void) {
        for index in AtomExtractor.fieldPaths.indices { body(index) }
    }

    public func forEachUTF8(inField index: Int,
                            _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        forEachString(inField: index) { value in
            var value = value
            value.withUTF8(body)
        }
    }
}

/// The extractor's view of a parsed event: `AtomExtractor.fieldPaths`
/// index → the parser's selection id. Valid as long as its event.
public struct ParsedEventFields: EventFieldSource {
    public let parsed: ParsedEvent
    /// The selection id of each extractor field.
    public let selectionIDs: [Int]

    public init(parsed: ParsedEvent, selectionIDs: [Int]) {
        self.parsed = parsed
        self.selectionIDs = selectionIDs
    }

    public func forEachString(inField index: Int, _ body: (String) -> Void) {
        for value in parsed.values(of: selectionIDs[index]) {
            switch value {
            case .string(let text): body(text.string)
            case .int, .uint, .double: body(value.text)
            case .bool, .null: continue
            }
        }
    }

    public func forEachUTF8(inField index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        parsed.forEachText(of: selectionIDs[index], body)
    }

    public func forEachFieldWithValues(_ body: (Int) -> Void) {
        parsed.forEachFieldWithValues(among: selectionIDs, body)
    }
}
