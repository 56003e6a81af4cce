import PerimeterJSON

/// Reads NDJSON event lines into `DetectionRecord`s for one engine, through
/// PerimeterJSON's parser: only the engine's fields are extracted (every string
/// leaf too when keyword rules need them). Not thread-safe, like the parser.
public final class JSONEventReader {
    private let parser: EventParser
    private var record: DetectionRecord
    private let needsAllStrings: Bool
    private let keepsStringPaths: Bool

    /// `keepsStringPaths`: each record also keeps the path of each string
    /// leaf, so that an explanation names where a keyword was found (slower).
    public init(engine: DetectionEngine, keepsStringPaths: Bool = false) {
        needsAllStrings = engine.needsAllStrings
        self.keepsStringPaths = keepsStringPaths
        fieldCount = engine.fieldPaths.count
        // The qualified user name is made of two fields the rules may not
        // name themselves: they are selected after the engine's own, or
        // read where a rule's own field is one of them (a Linux rule's
        // `User` is `user.name`): the selection holds each path once.
        var paths = engine.fieldPaths
        let qualifiedField = engine.fieldID(of: QualifiedUserName.path)
        if qualifiedField != nil {
            paths += [QualifiedUserName.domainPath, QualifiedUserName.namePath]
        }
        let selection = FieldSelection(paths: paths)
        if let qualifiedField, let domainID = selection.id(of: QualifiedUserName.domainPath),
           let nameID = selection.id(of: QualifiedUserName.namePath) {
            qualifiedUser = (qualifiedField, domainID, nameID)
        }
        parser = EventParser(selection: selection, collectsAllLeaves: engine.needsAllStrings)
        record = DetectionRecord(fieldCount: fieldCount)
    }

    private let fieldCount: Int
    /// The engine's field for `QualifiedUserName`, and the selection ids of
    /// its two parts; nil when no rule reads it.
    private var qualifiedUser: (field: DetectionFieldID, domainID: Int, nameID: Int)?

    /// The record of one line; `extraValues` (the enrichment's asset fields, by path)
    /// are merged in, since the parser drops input fields under `sekoiaio.assets`
    /// and `sekoiaio.any_asset` (SPEC §2).
    public func read(_ line: UnsafeRawBufferPointer,
                     extraValues: [String: [DetectionValue]] = [:]) throws(JSONParseError)
        -> DetectionRecord
    {
        let parsed = try parser.parse(line)
        fill(from: parsed, extraValues: extraValues)
        return record
    }

    public func read(_ line: String, extraValues: [String: [DetectionValue]] = [:])
        throws(JSONParseError) -> DetectionRecord
    {
        var line = line
        let result: Result<DetectionRecord, JSONParseError> = line.withUTF8 { bytes in
            Result { () throws(JSONParseError) in
                try read(UnsafeRawBufferPointer(bytes), extraValues: extraValues)
            }
        }
        return try result.get()
    }

    /// Copies the selected values of an event parsed by this reader's parser layout
    /// (same field paths in the same order), plus the extra values. Keywords
    /// search the event's own strings, not the extra (asset) values, as in an
    /// ingest (`DetectionStage`).
    public func fill(from parsed: ParsedEvent, extraValues: [String: [DetectionValue]] = [:]) {
        record.removeAll()
        // The qualified user name is Perimeter's to make: an event's own
        // `perimeter.qualified_user_name` would pass itself off as the
        // user (`NT AUTHORITY\SYSTEM`) to rules and filters, as an ingest
        // never lets it.
        for field in 0..<fieldCount where field != qualifiedUser?.field {
            for value in parsed.values(of: field) {
                record.append(DetectionValue(value), to: field)
            }
        }
        if let (field, domainID, nameID) = qualifiedUser,
           let value = QualifiedUserName.value(in: parsed, domainID: domainID, nameID: nameID) {
            record.append(.string(value), to: field)
        }
        for (path, values) in extraValues {
            guard let field = parser.selection.id(of: path) else { continue }
            record.append(contentsOf: values, to: field)
        }
        guard needsAllStrings else { return }
        if keepsStringPaths {
            parsed.forEachKeywordLeaf { path, string in
                record.allStrings.append(string)
                record.allStringPaths.append(path.string)
            }
        } else {
            parsed.forEachKeywordString { record.allStrings.append($0) }
        }
    }
}

extension ParsedEvent {
    /// The strings a keyword search reads: every string leaf but
    /// `@timestamp`, which is when the event happened, not what it says (a
    /// keyword such as `':'` or `'2024'` would otherwise hold on every event).
    public func forEachKeywordString(_ body: (String) -> Void) {
        forEachKeywordLeaf { _, string in body(string) }
    }

    /// `forEachKeywordString` with each string's dotted path.
    public func forEachKeywordLeaf(_ body: (JSONString, String) -> Void) {
        forEachRawLeaf { path, value in
            guard case .string(let string) = value, !path.isEqual(to: "@timestamp") else { return }
            body(path, string.string)
        }
    }
}

extension DetectionValue {
    /// A parsed JSON scalar as detection sees it; an unsigned integer past
    /// `Int64` becomes its decimal text, which keeps every digit for
    /// equality and compares as the exact number (as a double it lost them:
    /// 18446744073709551615 equalled neither itself in a rule nor its text).
    public init(_ scalar: JSONScalar) {
        switch scalar {
        case .string(let string): self = .string(string.string)
        case .int(let int): self = .int(int)
        case .uint(let uint):
            self = uint <= UInt64(Int64.max) ? .int(Int64(uint)) : .string(String(uint))
        case .double(let double): self = .double(double)
        case .bool(let bool): self = .bool(bool)
        case .null: self = .null
        }
    }
}
