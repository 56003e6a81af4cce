/// The texts of a JSON array's elements, cut at its top-level commas, so
/// that each element is read and refused on its own, as a line of JSON
/// lines is: one bad object in a list of thousands refuses that object,
/// not the list. Only the array's own structure is checked here (brackets,
/// commas, strings closed); each element's text is checked by the reader
/// of one object.
struct JSONArrayElements {
    /// Each element's text, or why there is none where one was due (an
    /// empty place between commas, a list never closed).
    private(set) var items: [Result<String, RowProblem>] = []

    /// Nil when the text does not start with `[` (after a byte-order mark
    /// and blank space): it is no array.
    init?(_ text: String) {
        let bytes = Array(text.utf8)
        var position = Self.skipBlank(bytes, from: 0)
        if bytes[position...].starts(with: [0xEF, 0xBB, 0xBF]) {
            position = Self.skipBlank(bytes, from: position + 3)
        }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "[") else { return nil }
        position = Self.skipBlank(bytes, from: position + 1)
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            checkNothingFollows(bytes, after: position)
            return
        }
        while true {
            let start = position
            var depth = 0
            var inString = false
            var escaped = false
            while position < bytes.count {
                let byte = bytes[position]
                if inString {
                    if escaped { escaped = false }
                    else if byte == UInt8(ascii: "\\") { escaped = true }
                    else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    if depth == 0 { break }
                    depth -= 1
                } else if byte == UInt8(ascii: ","), depth == 0 {
                    break
                }
                position += 1
            }
            let element = String(decoding: bytes[start..<position], as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard position < bytes.count, bytes[position] != UInt8(ascii: "}") else {
                items.append(.failure(RowProblem(
                    column: nil, message: "the JSON array is not closed: ']' is missing after "
                        + "this object, or a bracket or quote inside it is unbalanced")))
                return
            }
            items.append(element.isEmpty
                ? .failure(RowProblem(column: nil, message: "no object here: an empty place in "
                                      + "the JSON array (a comma too many?)"))
                : .success(element))
            if bytes[position] == UInt8(ascii: "]") {
                checkNothingFollows(bytes, after: position)
                return
            }
            position += 1
        }
    }

    /// Text after the closing bracket is refused as a row of its own: it
    /// may be a second list, whose objects would otherwise go unread.
    private mutating func checkNothingFollows(_ bytes: [UInt8], after closing: Int) {
        guard Self.skipBlank(bytes, from: closing + 1) < bytes.count else { return }
        items.append(.failure(RowProblem(
            column: nil, message: "text after the JSON array's closing ']': an import reads one "
                + "array, or one object per line")))
    }

    private static func skipBlank(_ bytes: [UInt8], from start: Int) -> Int {
        var position = start
        while position < bytes.count,
              [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        return position
    }
}
