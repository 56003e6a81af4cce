import PerimeterJSON

/// Reads NDJSON event lines into `DetectionRecord`s for one engine, through
/// PerimeterJSON's parser: only the engine's fields are extracted (every string
/// leaf too when keyword rules need them). Not thread-safe, like the parser.
public final class JSONEventReader {
    private let parser: EventParser
    private var record: DetectionRecord
    private let needsAllStrings: Bool

    public init(engine: DetectionEngine) {
        needsAllStrings = engine.needsAllStrings
        parser = EventParser(selection: FieldSelection(paths: engine.fieldPaths),
                             collectsAllLeaves: engine.needsAllStrings)
        record = DetectionRecord(fieldCount: engine.fieldPaths.count)
    }

    /// The record of one line; valid until the next call.
    public func read(_ line: UnsafeRawBufferPointer) throws(JSONParseError) -> DetectionRecord {
        let parsed = try parser.parse(line)
        fill(from: parsed)
        return record
    }

    public func read(_ line: String) throws(JSONParseError) -> DetectionRecord {
        var line = line
        let result: Result<DetectionRecord, JSONParseError> = line.withUTF8 { bytes in
            Result { () throws(JSONParseError) in try read(UnsafeRawBufferPointer(bytes)) }
        }
        return try result.get()
    }

    /// Copies the selected values of an already-parsed event (ingest's path).
    public func fill(from parsed: ParsedEvent) {
        record.removeAll()
        for field in 0..<parser.selection.count {
            for value in parsed.values(of: field) {
                record.append(Self.value(of: value), to: field)
            }
        }
        if needsAllStrings {
            parsed.forEachLeaf { _, value in
                if case .string(let string) = value { record.allStrings.append(string.string) }
            }
        }
        record.seal()
    }

    static func value(of scalar: JSONScalar) -> DetectionValue {
        switch scalar {
        case .string(let string): .string(string.string)
        case .int(let int): .int(int)
        case .uint(let uint): uint <= UInt64(Int64.max) ? .int(Int64(uint)) : .double(Double(uint))
        case .double(let double): .double(double)
        case .bool(let bool): .bool(bool)
        case .null: .null
        }
    }
}
