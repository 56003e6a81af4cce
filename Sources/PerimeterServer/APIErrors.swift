import Foundation
import PerimeterHTTP
import PerimeterInventory
import PerimeterJSON
import PerimeterModel
import PerimeterStore

/// The API's errors, in the one shape of `HTTPError`. Messages name fields
/// and positions, never the values sent (SPEC §8).
enum APIErrors {
    static func unauthorized(_ code: HTTPError.Code, _ why: String) -> HTTPError {
        HTTPError(status: 401, code: code, message: "not authenticated: \(why)",
                  headers: ["WWW-Authenticate": "Bearer realm=\"perimeter\""])
    }

    static func forbidden(role: APIRole, needs permission: APIPermission) -> HTTPError {
        HTTPError(status: 403, code: "forbidden",
                  message: "forbidden: this route needs the \(permission.rawValue) permission, "
                      + "which \(role.rawValue) tokens do not have ("
                      + ListFormatting.conjunction(APIRole.allCases
                          .filter { $0.permissions.contains(permission) }.map(\.rawValue))
                      + " tokens do)",
                  details: ["role": .string(role.rawValue),
                            "permission": .string(permission.rawValue)])
    }

    static func assetNotFound() -> HTTPError {
        HTTPError(status: 404, code: .notFound,
                  message: "no such asset: no asset of this community has that uuid")
    }

    /// A path that names an asset by something else than a uuid (its
    /// name, as the command line takes): still a 404, said so.
    static func assetPathIsNoUUID() -> HTTPError {
        HTTPError(status: 404, code: .notFound,
                  message: "no such asset: the path names an asset by its uuid, and this is "
                    + "none (find an asset's uuid by its name with GET /v1/assets?q=NAME)")
    }

    static func jobNotFound() -> HTTPError {
        HTTPError(status: 404, code: .notFound,
                  message: "no such job: no job of this community has that id")
    }

    static func alertNotFound() -> HTTPError {
        HTTPError(status: 404, code: .notFound,
                  message: "no such alert: no alert of this community has that id")
    }

    static func tokenNotFound() -> HTTPError {
        HTTPError(status: 404, code: .notFound,
                  message: "no such token: no token of this community has that id")
    }

    static func invalidField(_ field: String, _ why: String) -> HTTPError {
        HTTPError(status: 422, code: "invalid_field", message: "invalid field '\(field)': \(why)",
                  details: ["field": .string(field)])
    }

    static func invalidQuery(_ parameter: String, _ why: String) -> HTTPError {
        HTTPError(status: 400, code: .malformedQuery,
                  message: "invalid query parameter '\(parameter)': \(why)",
                  details: ["parameter": .string(parameter)])
    }

    static func malformedJSON(_ why: String) -> HTTPError {
        HTTPError(status: 400, code: .malformedBody,
                  message: "malformed request body: \(why) (expected a JSON object)")
    }

    /// A store error as an answer. Its message can quote values: the
    /// router's error filter takes the request's out (`CallerValues`).
    static func from(_ error: StoreError) -> HTTPError {
        let message = error.message
        switch error.code {
        case .notFound: return HTTPError(status: 404, code: .notFound, message: message)
        case .conflict: return HTTPError(status: 409, code: "conflict", message: message)
        case .ambiguous: return HTTPError(status: 409, code: "ambiguous", message: message)
        case .invalid: return HTTPError(status: 422, code: "invalid", message: message)
        case .newerSchema: return HTTPError.internalError()
        }
    }
}

/// The values a request carried (its query values, path parameters, and
/// the texts of its body), to take out of what answers it: an error body
/// must not quote a personal value back (SPEC §8), whatever quotes or
/// apostrophes the value holds, which a reading of the message's quotes
/// alone cannot tell from ours. Names (query parameters, JSON keys, CSV
/// columns) stay when they look like the API's words, which the caller
/// needs to know was refused; one that does not (an email as a key) goes.
/// The API's own words given as values (`host`, `username`, `true`) stay
/// too: taking them out left messages such as "one … at a time".
struct CallerValues {
    /// The values that start alike, in lower case: their lengths (in
    /// characters, longest first) and their texts.
    private struct Bucket {
        var lengths: [Int] = []
        var values: Set<String> = []
    }

    /// Each value under its first `shortest` characters, so that a
    /// message is searched position by position whatever the number of
    /// values (an import's body holds every field of its file); at a
    /// position, a value is looked up by length, not compared one by one
    /// (the 32,000 host names of an import refused row by row shared
    /// their first characters, and each row's reason was compared with
    /// all of them: 44 s of a core, for each such request).
    private var byPrefix: [String: Bucket] = [:]

    /// Values this short are most likely words of ours ("id", "yes"): the
    /// quoted spans of the message still hide them (`Redaction`).
    static let shortest = 4

    /// Words of the API that a caller gives as values: kept in messages.
    static let vocabulary: Set<String> = Set(
        AssetCategory.allCases.map(\.rawValue) + AssetSubcategory.allCases.map(\.rawValue)
            + AtomType.allCases.map(\.rawValue) + PropertyType.allCases.map(\.rawValue)
            + BulkAction.Kind.allCases.map(\.rawValue) + DiscoveryRule.allCases.map(\.rawValue)
            + APIRole.allCases.filter { $0 != .operator }.map(\.rawValue)
            + AssetQuery.SortKey.allCases.map(\.rawValue)
            + StoredAlert.Status.allCases.map(\.rawValue)
            + ["true", "false", "null", "none", "manual", "asc", "desc", "csv", "jsonl",
               "enriched"])

    /// The names the API's bodies and queries use (every request body's
    /// fields, every query parameter): words of ours, kept when a message
    /// quotes them ("give either 'asset' or 'type' and 'value'") unless
    /// the caller sent the same text as a value.
    static let apiNames: Set<String> = {
        var names: Set<String> = []
        for schema in OpenAPIDocument.requestSchemas.values {
            if let properties = schema["properties"] as? [String: Any] {
                names.formUnion(properties.keys)
            }
        }
        for key in OpenAPIDocument.queryParameters.keys {
            names.insert(String(key.split(separator: " ").last ?? Substring(key)))
        }
        return names
    }()

    /// Whether a name (a key, a parameter, a column) reads as one of the
    /// API's: letters, digits, `_`, `.` and `-`, 64 at most.
    static func looksLikeAName(_ name: String) -> Bool {
        name.count <= 64 && name.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
                || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D
        }
    }

    init(of request: HTTPRequest) {
        var found: Set<String> = []
        func add(_ text: String) {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.count >= Self.shortest, !Self.vocabulary.contains(trimmed.lowercased()),
               !Self.apiNames.contains(trimmed) {
                found.insert(trimmed)
            }
        }
        func addName(_ name: String) { if !Self.looksLikeAName(name) { add(name) } }
        for item in request.queryItems {
            addName(item.name)
            add(item.value)
        }
        request.pathParameters.values.forEach(add)
        if !request.body.isEmpty {
            if let object = try? JSONSerialization.jsonObject(with: Data(request.body),
                                                             options: [.fragmentsAllowed]) {
                Self.collect(object, add: add, addName: addName)
            } else {
                // Lines of JSON (an import), else CSV: the texts of each JSON
                // line, and every cell as the CSV reader decodes it (quotes
                // doubled in the raw text are single in a message).
                let text = String(decoding: request.body, as: UTF8.self)
                var allLinesAreJSON = true
                for line in text.split(whereSeparator: \.isNewline) {
                    if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) {
                        Self.collect(object, add: add, addName: addName)
                    } else {
                        allLinesAreJSON = false
                    }
                }
                if !allLinesAreJSON {
                    for (number, record) in AssetRowReader.parseCSV(text).enumerated() {
                        // A CSV header names columns.
                        record.fields.forEach(number == 0 ? addName : add)
                    }
                }
            }
        }
        for value in found {
            let characters = value.map { String($0).lowercased() }
            let key = characters.prefix(Self.shortest).joined()
            byPrefix[key, default: Bucket()].values.insert(characters.joined())
            if !(byPrefix[key]?.lengths.contains(characters.count) ?? false) {
                byPrefix[key]?.lengths.append(characters.count)
            }
        }
        for key in byPrefix.keys { byPrefix[key]?.lengths.sort(by: >) }
    }

    private static func collect(_ object: Any, add: (String) -> Void,
                                addName: (String) -> Void) {
        switch object {
        case let text as String: add(text)
        case let list as [Any]: list.forEach { collect($0, add: add, addName: addName) }
        case let members as [String: Any]:
            for (key, value) in members {
                addName(key)
                collect(value, add: add, addName: addName)
            }
        default: break
        }
    }

    /// `text` with every caller value in it (in any case) replaced by `…`,
    /// where it stands as a word of its own: a tag `critical` took the
    /// start off "criticality must be…" in every reason of an import.
    func withoutValues(_ text: String) -> String {
        guard !byPrefix.isEmpty else { return text }
        let characters = Array(text)
        let lowered = characters.map { String($0).lowercased() }
        // Computed once a character: Unicode's property tables, read at
        // each test, were the largest part of a refused import's answer.
        let isWord = characters.map { character -> Bool in
            if let ascii = character.asciiValue {
                return (0x30...0x39).contains(ascii) || (0x41...0x5A).contains(ascii)
                    || (0x61...0x7A).contains(ascii) || ascii == 0x5F
            }
            return character.isLetter || character.isNumber
        }
        /// Whether `characters[a]` and `characters[b]` are two characters
        /// of one word.
        func joins(_ a: Int, _ b: Int) -> Bool {
            a >= 0 && b < characters.count && isWord[a] && isWord[b]
        }
        var result = ""
        var index = 0
        while index < characters.count {
            var longest = 0
            if index + Self.shortest <= lowered.count, !joins(index - 1, index),
               let bucket = byPrefix[lowered[index..<index + Self.shortest].joined()] {
                for length in bucket.lengths where index + length <= lowered.count
                    && !joins(index + length - 1, index + length)
                    && bucket.values.contains(lowered[index..<index + length].joined()) {
                    longest = length
                    break
                }
            }
            if longest > 0 {
                result += "…"
                index += longest
            } else {
                result.append(characters[index])
                index += 1
            }
        }
        return result
    }

    /// A message without the caller's values, its quoted spans hidden too
    /// (`Redaction`: a value the server changed, such as an atom's normal
    /// form, is not among the caller's texts).
    func scrub(_ text: String, keeping names: Set<String> = []) -> String {
        // The names kept are set aside while values are taken out: a value
        // that is also a word of a name (`rack` of `properties.rack`) took
        // that word out of the name the message gives.
        var guarded = text
        let sortedNames = names.sorted { $0.count > $1.count }
        for (index, name) in sortedNames.enumerated() {
            guarded = guarded.replacingOccurrences(of: name, with: Self.stand(for: index))
        }
        var scrubbed = withoutValues(guarded)
        for (index, name) in sortedNames.enumerated() {
            scrubbed = scrubbed.replacingOccurrences(of: Self.stand(for: index), with: name)
        }
        return Redaction.redactQuoted(scrubbed,
                                      keeping: names.union(Self.vocabulary).union(Self.apiNames))
    }

    /// What stands for the `index`th kept name while values are taken out:
    /// a private-use character, which no value of a request matches (a
    /// message keeps a handful of names).
    private static func stand(for index: Int) -> String {
        String(Character(UnicodeScalar(0xF0000 + min(index, 0xFFFD))!))
    }

    /// Errors that quote nothing the caller sent, only the server's own
    /// data: scrubbing them blanked that data wherever a caller's free
    /// text held the same word (a closing reason "closed" made the 409's
    /// `status` read "…", a reason "2026" its `closed_at`).
    static let quotingServerDataOnly: Set<HTTPError.Code> = ["alert_closed"]

    /// The error with the caller's values taken out. The field, parameter,
    /// column or header it names stays quoted in its message when it reads as an
    /// API name (it read "invalid field '…'", the name in `details` only).
    func scrub(_ error: HTTPError) -> HTTPError {
        guard !Self.quotingServerDataOnly.contains(error.code) else { return error }
        var scrubbed = error
        scrubbed.details = error.details.mapValues(scrub)
        // The field, parameter or column refused is a name, kept as it is
        // when it reads as one (a value equal to a word of it took it out).
        var names: Set<String> = []
        for key in ["field", "parameter", "column", "header"] {
            if case .string(let name)? = error.details[key], Self.looksLikeAName(name) {
                names.formUnion(Self.namesKept(for: name))
                scrubbed.details[key] = .string(name)
            }
        }
        scrubbed.message = scrub(error.message, keeping: names)
        return scrubbed
    }

    /// What a message naming a field or column keeps of it: the name,
    /// and a property's own name, which its messages quote alone
    /// (`property 'note' holds at most…` of `properties.note`); nothing
    /// of a name that does not read as one (an email given as a key).
    static func namesKept(for name: String) -> Set<String> {
        guard looksLikeAName(name) else { return [] }
        var names: Set<String> = [name]
        if let last = name.split(separator: ".").last { names.insert(String(last)) }
        return names
    }

    /// A detail is a name of ours or a value, never a sentence: only the
    /// caller's values go.
    private func scrub(_ detail: HTTPErrorDetail) -> HTTPErrorDetail {
        switch detail {
        case .string(let text): .string(withoutValues(text))
        case .int, .bool: detail
        case .list(let items): .list(items.map(scrub))
        case .object(let members): .object(members.mapValues(scrub))
        }
    }
}

/// Keeps personal values out of API error bodies.
enum Redaction {
    /// Replaces every single-quoted span of a message (where our messages
    /// quote input) with `'…'`, except the suggestion of a "did you mean"
    /// and a span that is one of `names`: those are our own words (a
    /// category, a field), and the answer is useless without them. An
    /// apostrophe inside a word (`the atom's value`, `O'Brien`) neither
    /// opens nor closes a span.
    static func redactQuoted(_ message: String, keeping names: Set<String> = []) -> String {
        let characters = Array(message)
        func isWordCharacter(_ index: Int) -> Bool {
            characters.indices.contains(index)
                && (characters[index].isLetter || characters[index].isNumber)
        }
        var output = ""
        var span: String?
        var keepsQuote = false
        for (index, character) in characters.enumerated() {
            if span == nil && character == "'" && !isWordCharacter(index - 1) {
                keepsQuote = output.hasSuffix("did you mean ")
                output.append("'")
                span = ""
            } else if let text = span, character == "'" && !isWordCharacter(index + 1) {
                // One sign ('-', '.') is a character a rule allows, no value.
                let isOneSign = text.count == 1 && !text.first!.isLetter && !text.first!.isNumber
                output.append(keepsQuote || isOneSign || names.contains(text) ? text + "'" : "…'")
                span = nil
            } else if span != nil {
                span?.append(character)
            } else {
                output.append(character)
            }
        }
        if span != nil { output.append("…'") }
        return output
    }
}

/// Typed reads of `JSONSerialization` values.
enum JSONFields {
    static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 1e15 else { return nil }
        return Int(double)
    }

    static func boolean(_ value: Any) -> Bool? {
        guard let number = value as? NSNumber, isBoolean(number) else { return nil }
        return number.boolValue
    }

    /// JSON booleans come out of `JSONSerialization` as NSNumbers of
    /// Objective-C type `c` (char); JSON numbers never do.
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    /// A list of text under `key`; nil when absent; 422 when not a list of text.
    static func strings(_ object: [String: Any], _ key: String) throws -> [String]? {
        guard let value = object[key] else { return nil }
        guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
            throw APIErrors.invalidField(key, "must be a list of text")
        }
        return list.compactMap { $0 as? String }
    }

    /// The property type a JSON value has: a property sent as JSON must be
    /// of its definition's type (`5` is no text, `"12"` no number, `"yes"`
    /// no boolean), where a CSV cell is text read as the type asks.
    static func propertyType(ofJSON value: Any) -> PropertyType? {
        switch value {
        case is String: return .string
        case let number as NSNumber: return isBoolean(number) ? .boolean : .number
        case is [Any]: return .list
        default: return nil
        }
    }

    /// Whether a property's JSON value removes it: null, or text of
    /// nothing but spaces, as a CSV's empty cell and the command line's
    /// `--property NAME=` do. Kept as "", it came back from an unchanged
    /// CSV export (an empty cell) as a change.
    static func clearsProperty(_ value: Any) -> Bool {
        value is NSNull || (value as? String)?.trimmingCharacters(in: .whitespaces).isEmpty == true
    }

    /// A property value sent as JSON in the text form the import checks,
    /// or nil when it has no such form: a property is text, a number, true
    /// or false, or a list of text (an object became its debug text).
    static func propertyValueText(_ value: Any) -> String? {
        if value is String || value is NSNumber { return propertyText(value) }
        guard let list = value as? [String],
              !list.contains(where: { $0.contains(AssetDraftBuilder.listSeparator) })
        else { return nil }
        // A JSON list keeps its items whole (joined with commas, as a CSV
        // cell holds a list, `["a,b"]` came back as two items). The
        // separator also leads, so that one item is still read as a list.
        let separator = String(AssetDraftBuilder.listSeparator)
        return separator + list.joined(separator: separator)
    }

    /// A property value in the text form the import checks.
    static func propertyText(_ value: Any) -> String {
        switch value {
        case let text as String: return text
        case let number as NSNumber:
            return isBoolean(number) ? (number.boolValue ? "true" : "false") : number.stringValue
        case let list as [Any]: return list.map { "\($0)" }.joined(separator: ",")
        default: return "\(value)"
        }
    }

    /// The body as a JSON object, or a 400 that says why not.
    static func object(_ body: [UInt8]) throws -> [String: Any] {
        guard !body.isEmpty else { throw APIErrors.malformedJSON("the body is empty") }
        let object: [String: Any]
        switch StrictJSON.object(body) {
        case .success(let value): object = value
        case .failure(let problem): throw problem.error
        }
        if let key = duplicateKey(in: body) {
            throw HTTPError(status: 400, code: .malformedBody,
                            message: "malformed request body: a field appears twice in one "
                                + "object (which one was meant?)",
                            details: ["field": .string(key)])
        }
        return object
    }

    /// The first key that one object of a valid JSON text holds twice.
    /// `JSONSerialization` keeps the last of them silently, where another
    /// reader may keep the first: a body that says two things is refused
    /// rather than read one way here and another way in a proxy or a log.
    static func duplicateKey(in text: some Collection<UInt8>) -> String? {
        // Per open container: the keys of an object so far, nil for a list.
        var containers: [Set<String>?] = []
        var expectsKey = false
        var position = text.startIndex
        while position < text.endIndex {
            let byte = text[position]
            text.formIndex(after: &position)
            switch byte {
            case UInt8(ascii: "{"): containers.append([]); expectsKey = true
            case UInt8(ascii: "["): containers.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): containers.removeLast(); expectsKey = false
            case UInt8(ascii: ","): expectsKey = containers.last.map { $0 != nil } ?? false
            case UInt8(ascii: ":"): expectsKey = false
            case UInt8(ascii: "\""):
                let start = position
                var escaped = false
                while text[position] != UInt8(ascii: "\"") || escaped {
                    escaped = !escaped && text[position] == UInt8(ascii: "\\")
                    text.formIndex(after: &position)
                }
                defer { text.formIndex(after: &position) }
                guard expectsKey else { continue }
                let raw = text[start..<position]
                // Escapes are decoded so that "a" and "\u0061" are one key.
                let key = raw.contains(UInt8(ascii: "\\"))
                    ? (try? JSONSerialization.jsonObject(
                        with: Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]),
                        options: [.fragmentsAllowed])) as? String ?? ""
                    : String(decoding: raw, as: UTF8.self)
                if containers[containers.count - 1]?.insert(key).inserted == false { return key }
            default: continue
            }
        }
        return nil
    }

    /// The body as a JSON object of these fields only: a field the route
    /// does not read is refused, so that a misspelt one (`expires` for
    /// `expires_at`) is not dropped with what it meant to set.
    static func object(_ body: [UInt8], fields: [String]) throws -> [String: Any] {
        let object = try object(body)
        for key in object.keys.sorted() where !fields.contains(key) {
            var why = "is not a field of this request; expected "
                + ListFormatting.disjunction(fields)
            if let near = NearestName.find(key, in: fields) { why += " (did you mean '\(near)'?)" }
            throw APIErrors.invalidField(key, why)
        }
        return object
    }

    /// A JSON response from Foundation objects, keys sorted.
    static func response(_ object: Any, status: Int = 200) -> HTTPResponse {
        guard let data = try? JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return HTTPError.internalError().response }
        return HTTPResponse.json(encoded: [UInt8](data), status: status)
    }
}

/// JSON objects read as strictly as event lines are: RFC 8259, where
/// Foundation's reader let a trailing comma through (`{"name":"x",}` made
/// an asset), with a lone surrogate escape read as U+FFFD as in events.
/// The event parser checks the text, then Foundation builds its objects.
enum StrictJSON {
    /// Why a text is no JSON object: the parser's reason, code and offset.
    struct Problem: Error {
        var reason: String
        var code: JSONParseError.Code?
        var byteOffset: Int?

        var error: HTTPError {
            var error = APIErrors.malformedJSON(reason)
            if let code { error.details["json_code"] = .string(code.rawValue) }
            if let byteOffset { error.details["byte_offset"] = .int(byteOffset) }
            return error
        }
    }

    /// The deepest nesting Foundation's JSON reader takes.
    static let foundationDepthLimit = 512
    static let tooDeep = "the body is nested too deep: more than \(foundationDepthLimit) levels "
        + "of lists and objects"

    /// How deep the lists and objects of valid JSON nest.
    static func nestingDepth(of bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    static func object(_ bytes: [UInt8],
                       parser: EventParser = EventParser(selection: FieldSelection(paths: [])))
        -> Result<[String: Any], Problem> {
        let outcome = bytes.withUnsafeBytes { raw -> Result<[UInt8], Problem> in
            do {
                _ = try parser.parse(raw)
            } catch let error as JSONParseError {
                // One limit for a body, Foundation's (below): the parser's
                // own, deeper, read as another.
                if error.code == .tooDeep {
                    return .failure(Problem(reason: Self.tooDeep, code: error.code))
                }
                guard error.code == .notObject else {
                    // The parser speaks of events; here it reads a body
                    // (a close reason's body of spaces read "event is empty").
                    let reason = error.message.hasPrefix("event ")
                        ? "the body " + error.message.dropFirst("event ".count) : error.message
                    return .failure(Problem(reason: reason, code: error.code,
                                            byteOffset: error.byteOffset))
                }
                return .failure(Problem(reason: "it is JSON but not an object"))
            } catch {
                return .failure(Problem(reason: "it is not valid JSON"))
            }
            return .success(EventParser.replacingLoneSurrogateEscapes(in: raw) ?? bytes)
        }
        switch outcome {
        case .failure(let problem): return .failure(problem)
        case .success(let checked):
            // Foundation's reader stops at 512 levels, the event parser at
            // 1,024: between the two, valid JSON was "not valid".
            if nestingDepth(of: checked) > foundationDepthLimit {
                return .failure(Problem(reason: Self.tooDeep, code: .tooDeep))
            }
            let parsed: Any
            do {
                parsed = try JSONSerialization.jsonObject(with: Data(checked))
            } catch {
                // The parser checks a number's syntax, not its size: 1e400
                // passed it, and was refused here as "not valid JSON".
                let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
                return .failure(Problem(reason: detail?.contains("not representable") == true
                    ? "a number in it is out of range (beyond ±1.8e308)"
                    : "it is not valid JSON"))
            }
            guard let object = parsed as? [String: Any] else {
                return .failure(Problem(reason: "it is JSON but not an object"))
            }
            return .success(object)
        }
    }
}
