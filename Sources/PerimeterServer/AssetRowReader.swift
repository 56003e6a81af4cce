import Foundation
import PerimeterJSON
import PerimeterInventory
import PerimeterModel

/// Reads import files into rows, keeping each row's number for messages.
public enum AssetRowReader {
    /// A CSV header's column names as rows read them: trimmed, lower case.
    static func columns(of header: [String]) -> [String] {
        header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// RFC 4180 CSV with a header row; row numbers count the header as 1.
    public static func csv(_ text: String) throws -> [(Int, Result<AssetRow, RowProblem>)] {
        let records = parseCSV(text)
        // An empty file said "imported 0 assets", as if it were done.
        guard let header = records.first?.fields else {
            throw RowProblem(column: nil, message: "the file is empty: a CSV import starts with "
                             + "a header row naming its columns (name,category,…)")
        }
        let columns = Self.columns(of: header)
        let known = ["uuid", "name", "category", "subcategory", "criticality", "tags", "reviewed",
                     "revoked", "description", "entity", "updated_at"]
        // A column twice: which cell of a row was meant? (The last one
        // was kept silently.)
        // Columns of no name are those a spreadsheet writes after the
        // last one (`name,category,,`): left out, unless a row fills one.
        if let twice = columns.enumerated().first(where: { !$0.element.isEmpty
            && columns.prefix($0.offset).contains($0.element) })?.element {
            throw RowProblem(column: twice, message: "the CSV column '\(twice)' appears twice "
                             + "in the header")
        }
        for column in columns where !column.isEmpty && !known.contains(column)
            && !column.hasPrefix("atom.") && !column.hasPrefix("property.") {
            // A spreadsheet set to a European locale saves with semicolons.
            if columns.count == 1, column.contains(";") {
                throw RowProblem(column: nil, message: "the header is one column holding "
                                 + "semicolons: the file seems separated by ';' where CSV "
                                 + "separates by commas (save it as comma-separated CSV)")
            }
            throw RowProblem(column: column, message: "unknown CSV column '\(column)'; expected "
                             + known.joined(separator: ", ") + ", atom.TYPE or property.NAME")
        }
        // An atom column of no type is refused from the header: its cells,
        // checked row by row, were never read where they were empty.
        for column in columns where column.hasPrefix("atom.") {
            do { _ = try AtomType(parsing: String(column.dropFirst("atom.".count))) } catch {
                throw RowProblem(column: column, message: error.message)
            }
        }
        var rows: [(Int, Result<AssetRow, RowProblem>)] = []
        records: for record in records.dropFirst() {
            if record.fields.allSatisfy({ $0.isEmpty }) { continue }
            if let opened = record.unclosedQuoteLine {
                // The rest of the file went into one field: say why.
                rows.append((record.row, .failure(RowProblem(
                    column: nil, message: "the quoted field opened on line \(opened) is never "
                        + "closed (a quote inside a field is written twice: \"\")"))))
                continue
            }
            if let line = record.textAfterQuoteLine {
                // `"ab"c` was read as `abc`, with no word.
                rows.append((record.row, .failure(RowProblem(
                    column: nil, message: "a quoted field on line \(line) has text after its "
                        + "closing quote (a quote inside a field is written twice: \"\")"))))
                continue
            }
            // A header that ends in nameless columns (`…,criticality,`) over
            // rows that do not: those columns are nobody's, and missing.
            var record = record
            if record.fields.count < columns.count,
               columns[record.fields.count...].allSatisfy(\.isEmpty) {
                record.fields += Array(repeating: "", count: columns.count - record.fields.count)
            }
            guard record.fields.count == columns.count else {
                rows.append((record.row, .failure(RowProblem(
                    column: nil, message: "\(record.fields.count) fields; the header has \(columns.count)"))))
                continue
            }
            var row = AssetRow()
            row.atomsHaveColumnsByType = true
            row.givenFields = Set(columns)
            for (position, (column, field)) in zip(columns, record.fields).enumerated() {
                if column.isEmpty {
                    guard field.trimmingCharacters(in: .whitespaces).isEmpty else {
                        rows.append((record.row, .failure(RowProblem(
                            column: nil, message: "column \(position + 1) has no name in the "
                                + "header, yet this row has a value in it"))))
                        continue records
                    }
                    continue
                }
                let value = field.hasPrefix("'") && Self.startsLikeAFormula(field)
                    ? String(field.dropFirst()) : field
                let list = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                switch column {
                case "uuid": row.uuid = Self.nonBlank(value)
                case "updated_at":
                    do { row.updatedAt = try Self.exportedTime(value) } catch {
                        rows.append((record.row, .failure(error)))
                        continue records
                    }
                case "name": row.name = value
                case "category": row.category = value
                case "subcategory": row.subcategory = value
                case "criticality": row.criticality = value
                case "tags": row.tags = list
                case "reviewed": row.reviewed = value
                case "revoked": row.revoked = value
                case "description": row.description = value
                case "entity": row.entity = value
                default:
                    if column.hasPrefix("atom.") {
                        row.atoms += list.map { (String(column.dropFirst(5)), $0) }
                    } else if !value.isEmpty {
                        row.properties.append((String(column.dropFirst(9)), value))
                    } else {
                        row.clearedProperties.append(String(column.dropFirst(9)))
                    }
                }
            }
            rows.append((record.row, .success(row)))
        }
        return rows
    }

    /// Whether a spreadsheet would read a CSV cell as a formula (`=`, `+`,
    /// `-`, `@`, a tab or a return first), after any apostrophes: an export
    /// writes such a cell after one more apostrophe, which a spreadsheet
    /// shows as text (an event's `=HYPERLINK(…)` user name became a link),
    /// and an import takes that apostrophe off again, so that what is
    /// exported imports back unchanged.
    static func startsLikeAFormula(_ field: some StringProtocol) -> Bool {
        // By code point: `=` and a combining accent are one Character,
        // which is no `=`, and a spreadsheet still reads a formula.
        guard let first = field.unicodeScalars.first(where: { $0 != "'" }) else { return false }
        return "=+-@\t\r".unicodeScalars.contains(first)
    }

    struct Record {
        /// The row a spreadsheet shows it on (the header is row 1): a
        /// refusal names it, as the person fixing the file sees it. A cell
        /// of several lines puts later records' lines past their rows.
        var row: Int
        var fields: [String]
        /// The line of a quote the text ends inside, for the last record.
        var unclosedQuoteLine: Int?
        /// The line of a quoted field followed by more text before its
        /// comma (`"ab"c`), which RFC 4180 does not allow.
        var textAfterQuoteLine: Int?
    }

    /// Splits CSV text into records: quoted fields may hold commas,
    /// newlines and doubled quotes. It walks the UTF-8 bytes (every byte
    /// it looks for is ASCII, so none falls inside a character): an array
    /// of the text's characters took 16 bytes of memory per byte of the
    /// file.
    static func parseCSV(_ text: String) -> [Record] {
        var text = text
        return text.withUTF8 { bytes in
            let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","),
                newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
            var records: [Record] = []
            var fields: [String] = []
            var field: [UInt8] = []
            var inQuotes = false
            var quoteLine = 1
            var justClosedQuote = false
            var textAfterQuoteLine: Int?
            var line = 1
            var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            func endField() {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            }
            while index < bytes.count {
                let byte = bytes[index]
                // Spaces after a closing quote are let be (`"ab" ,`).
                if justClosedQuote, byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t") {
                    justClosedQuote = false
                    if byte != comma && byte != newline && byte != carriageReturn,
                       textAfterQuoteLine == nil {
                        textAfterQuoteLine = quoteLine
                    }
                }
                if inQuotes {
                    if byte == quote {
                        if index + 1 < bytes.count && bytes[index + 1] == quote {
                            field.append(quote)
                            index += 1
                        } else {
                            inQuotes = false
                            justClosedQuote = true
                        }
                    } else {
                        if byte == newline { line += 1 }
                        field.append(byte)
                    }
                } else if byte == quote && field.isEmpty {
                    inQuotes = true
                    quoteLine = line
                } else if byte == comma {
                    endField()
                } else if byte == newline || byte == carriageReturn {
                    // CR LF is one line end.
                    if byte == carriageReturn, index + 1 < bytes.count, bytes[index + 1] == newline {
                        index += 1
                    }
                    endField()
                    records.append(Record(row: records.count + 1, fields: fields,
                                          textAfterQuoteLine: textAfterQuoteLine))
                    fields = []
                    textAfterQuoteLine = nil
                    line += 1
                } else {
                    field.append(byte)
                }
                index += 1
            }
            if !field.isEmpty || !fields.isEmpty || inQuotes {
                endField()
                records.append(Record(row: records.count + 1, fields: fields,
                                      unclosedQuoteLine: inQuotes ? quoteLine : nil,
                                      textAfterQuoteLine: textAfterQuoteLine))
            }
            return records
        }
    }

    /// The text of an import file or body, refused whole when it is not
    /// UTF-8: decoding repaired it, and a Latin-1 `Société` was imported
    /// as `Soci�t�` with no row refused.
    public static func text(of bytes: some Collection<UInt8>) throws(RowProblem) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var line = 1
        for part in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            if String(validating: part, as: UTF8.self) == nil { break }
            line += 1
        }
        throw RowProblem(column: nil, message: "line \(line) is not UTF-8 text (a file in "
                         + "another encoding, such as Latin-1, must be converted to UTF-8 first)")
    }

    /// Whether an import's text is JSON rather than CSV, when neither a
    /// file name nor a content type says: its first character, after any
    /// byte-order mark and blank space, opens an object or an array.
    public static func startsLikeJSON(_ text: String) -> Bool {
        // JSON's own blanks alone, as the array reader skips them.
        let first = text.unicodeScalars.first {
            !["\u{FEFF}", " ", "\t", "\n", "\r"].contains($0)
        }
        return first == "{" || first == "["
    }

    /// The rows of a JSON import: one object per line (JSON lines, as
    /// exports write them), or one array of objects, as scripts and CMDB
    /// exports often write a list, whose Nth object is row N. An array
    /// read as CSV was refused for an unknown column named after its
    /// first bytes.
    public static func jsonRows(_ text: String) -> [(Int, Result<AssetRow, RowProblem>)] {
        let parser = EventParser(selection: FieldSelection(paths: []))
        guard let elements = JSONArrayElements(text) else { return jsonLines(text, parser: parser) }
        return elements.items.enumerated().map { offset, item in
            (offset + 1, item.flatMap { row(fromJSON: $0, parser: parser) })
        }
    }

    /// One JSON object per line.
    static func jsonLines(_ text: String, parser: EventParser = EventParser(
        selection: FieldSelection(paths: []))) -> [(Int, Result<AssetRow, RowProblem>)] {
        var rows: [(Int, Result<AssetRow, RowProblem>)] = []
        // "\r\n" is one Character, which a split on "\n" would not cut.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (offset, line) in lines.enumerated() {
            var trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            // A byte-order mark some editors write first.
            if offset == 0, trimmed.hasPrefix("\u{FEFF}") { trimmed.removeFirst() }
            if trimmed.isEmpty { continue }
            rows.append((offset + 1, row(fromJSON: trimmed, parser: parser)))
        }
        return rows
    }

    /// A cell or field as given; nil when blank (a blank uuid: a new asset).
    static func nonBlank(_ text: String) -> String? {
        text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : text
    }

    /// An `updated_at` cell or field: nil when blank, refused when it is no
    /// time. Checked on every row, a new asset's too, where it is otherwise
    /// unused: a typo is a typo.
    static func exportedTime(_ text: String) throws(RowProblem) -> EventTime? {
        guard nonBlank(text) != nil else { return nil }
        guard let time = EventTime(parsing: text.trimmingCharacters(in: .whitespaces)) else {
            throw RowProblem(column: "updated_at", message: "updated_at is not a time: an export "
                             + "writes it as 2026-12-05T09:30:00.000Z (an empty cell updates "
                             + "the asset whatever changed since)")
        }
        return time
    }

    /// Whether an atom of an export's list is no atom of the asset now: its
    /// interval ended (an export lists the atoms an asset held and no
    /// longer does), or a person rejected it. An observed address still
    /// held has the end it will have unless seen again, still to come.
    static func isPastOrRejected(_ item: [String: Any], now: Date) -> Bool {
        if let rejected = item["rejected"] as? NSNumber, rejected.boolValue { return true }
        guard let end = item["to"] as? String else { return false }
        guard let time = EventTime(parsing: end) else { return false }
        return time.date <= now
    }

    /// The fields of an asset as JSON lines and the API write them.
    static let jsonFields = ["name", "category", "subcategory", "criticality", "tags", "reviewed",
                             "revoked", "description", "entity", "atoms", "properties"]

    /// Fields an export writes that the inventory sets itself: an import
    /// of an export ignores them, so the round trip works. (`uuid` is read:
    /// it names the asset a row updates; so is `updated_at`: the version
    /// of the asset the row was exported from.)
    static let exportOnlyFields = ["uuid", "criticality_display", "source", "community",
                                   "created_at", "updated_at", "first_seen", "last_seen",
                                   "discovery_rule"]

    /// What an export writes of an atom (`AssetJSON.atom`).
    static let atomMembers = ["type", "value", "kind", "from", "to", "rejected"]

    private static func row(fromJSON text: String,
                            parser: EventParser) -> Result<AssetRow, RowProblem> {
        let object: [String: Any]
        switch StrictJSON.object(Array(text.utf8), parser: parser) {
        case .success(let value): object = value
        case .failure(let problem):
            // The parser's reason, as intake gives it.
            return .failure(RowProblem(column: nil, message: problem.reason))
        }
        if let key = JSONFields.duplicateKey(in: text.utf8) {
            return .failure(RowProblem(column: key, message: "the field '\(key)' appears twice"))
        }
        // An unknown field is refused, as an unknown CSV column is: a typo
        // must not silently drop what the person meant to set.
        for key in object.keys.sorted() where !jsonFields.contains(key) && !exportOnlyFields.contains(key) {
            // An import reads `uuid` and `updated_at` besides, but these
            // rows are also the API's new assets, which take neither: the
            // list is the fields a person sets.
            var message = "unknown field '\(key)'; expected "
                + ListFormatting.disjunction(jsonFields)
            if let near = NearestName.find(key, in: jsonFields) { message += " (did you mean '\(near)'?)" }
            return .failure(RowProblem(column: key, message: message))
        }
        // JSON says what type a value is: a value of another type is
        // refused, not read as text (a criticality of [50] became unrated,
        // "90" or true a rating, an object a property's debug text). CSV
        // cells are all text, and go through `AssetRow` the same way.
        var row = AssetRow()
        row.givenFields = Set(object.keys)
        var wrongType: RowProblem?
        /// The value under `key`, null counting as absent.
        func given(_ key: String) -> Any? { object[key].flatMap { $0 is NSNull ? nil : $0 } }
        func textField(_ key: String) -> String? {
            guard let value = given(key) else { return nil }
            if let text = value as? String { return text }
            wrongType = wrongType ?? RowProblem(column: key, message: "\(key) must be text")
            return nil
        }
        row.uuid = textField("uuid").flatMap(Self.nonBlank)
        row.exportedCommunity = textField("community")
        do { row.updatedAt = try textField("updated_at").flatMap(Self.exportedTime) } catch {
            return .failure(error)
        }
        row.name = textField("name")
        row.category = textField("category")
        row.subcategory = textField("subcategory")
        row.description = textField("description")
        row.entity = textField("entity")
        if let problem = wrongType { return .failure(problem) }
        if let value = given("criticality") {
            guard let number = JSONFields.integer(value) else {
                return .failure(RowProblem(column: "criticality",
                                           message: "criticality must be a whole number or null"))
            }
            row.criticality = String(number)
        }
        for key in ["reviewed", "revoked"] {
            guard let value = given(key) else { continue }
            guard let flag = value as? NSNumber, JSONFields.isBoolean(flag) else {
                return .failure(RowProblem(column: key, message: "\(key) must be true or false"))
            }
            let text = flag.boolValue ? "true" : "false"
            if key == "reviewed" { row.reviewed = text } else { row.revoked = text }
        }
        // null clears the tags, as it clears the other fields.
        if let tags = object["tags"], !(tags is NSNull) {
            guard let list = tags as? [String] else {
                return .failure(RowProblem(column: "tags", message: "tags must be a list of text"))
            }
            row.tags = list
        }
        switch object["atoms"] {
        case nil: break
        case let byType as [String: Any]:
            for (type, values) in byType.sorted(by: { $0.key < $1.key }) {
                // One value may stand alone; anything else was dropped unseen.
                guard let list = (values as? [String]) ?? (values as? String).map({ [$0] }) else {
                    return .failure(RowProblem(column: "atoms", message: "the \(type) atoms must "
                                               + "be a list of text (or one text)"))
                }
                row.atoms += list.map { (type, $0) }
            }
        case let list as [[String: Any]]:
            for item in list {
                guard let type = item["type"] as? String, let value = item["value"] as? String else {
                    return .failure(RowProblem(column: "atoms", message: "each atom needs a type and a value"))
                }
                // An export's members; another is a typo whose meaning
                // would be lost (`"knd": "observed"` confirmed the atom).
                if let unknown = item.keys.sorted().first(where: { !Self.atomMembers.contains($0) }) {
                    return .failure(RowProblem(column: "atoms", message: "unknown atom member "
                                               + "'\(unknown)'; expected "
                                               + ListFormatting.disjunction(Self.atomMembers)))
                }
                if let kind = item["kind"], !(kind is NSNull),
                   (kind as? String).flatMap(AttachmentKind.init(rawValue:)) == nil {
                    return .failure(RowProblem(column: "atoms", message: "an atom's kind is "
                                               + "confirmed or observed"))
                }
                if Self.isPastOrRejected(item, now: Date()) { continue }
                row.atoms.append((type, value))
                if item["kind"] as? String == AttachmentKind.observed.rawValue {
                    row.observedAtoms.append((type, value))
                }
            }
        default:
            return .failure(RowProblem(column: "atoms", message: "atoms must be {type: [values]} or [{type, value}]"))
        }
        if let properties = object["properties"], !(properties is NSNull) {
            guard let map = properties as? [String: Any] else {
                return .failure(RowProblem(column: "properties", message: "properties must be an object"))
            }
            for (name, value) in map.sorted(by: { $0.key < $1.key }) {
                if JSONFields.clearsProperty(value) {
                    row.clearedProperties.append(name)
                    continue
                }
                // The property's definition then checks the value's type.
                guard let text = JSONFields.propertyValueText(value) else {
                    return .failure(RowProblem(
                        column: "properties.\(name)",
                        message: "a property is text, a number, true or false, or a list of text"))
                }
                row.properties.append((name, text))
                row.propertyJSONTypes[name] = JSONFields.propertyType(ofJSON: value)
            }
        }
        return .success(row)
    }
}
