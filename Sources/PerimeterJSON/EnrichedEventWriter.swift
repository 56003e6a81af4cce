/// Writes an event back out with Perimeter's `sekoiaio` members (SPEC §5).
public enum EnrichedEventWriter {
    /// Appends to `output` the original line's bytes with colliding members
    /// removed and `sekoiaioMembers` (already-encoded `"key":value` JSON
    /// text, e.g. `"any_asset":{"uuid":["…"]}`) added inside the top-level
    /// `sekoiaio` object when the event has one, else as a new
    /// `"sekoiaio":{…}` member at the end of the document. Everything else
    /// is byte-for-byte the original; with no members and nothing removed,
    /// the output is the original line exactly.
    ///
    /// `line` must hold the bytes `parsed` was parsed from, and `parsed`
    /// must still be valid (see `EventParser.parse`).
    public static func write(line: UnsafeRawBufferPointer, parsed: ParsedEvent,
                             sekoiaioMembers: [String], into output: inout [UInt8]) {
        write(line: line, parsed: parsed, hasMembers: !sekoiaioMembers.isEmpty,
              into: &output) { output in
            for (index, member) in sekoiaioMembers.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output.append(contentsOf: member.utf8)
            }
        }
    }

    /// Like `write(line:parsed:sekoiaioMembers:into:)`, with the members
    /// appended by `appendMembers` straight into the output (the hot path:
    /// no text made for them on the way). `appendMembers` is called only
    /// when `hasMembers`, and must append at least one member.
    public static func write(line: UnsafeRawBufferPointer, parsed: ParsedEvent,
                             hasMembers: Bool, into output: inout [UInt8],
                             appendMembers: (inout [UInt8]) -> Void) {
        precondition(line.count == parsed.lineLength,
                     "EnrichedEventWriter: the line is not the one that was parsed")
        let bytes = UnsafeBufferPointer(
            start: line.baseAddress?.assumingMemoryBound(to: UInt8.self), count: line.count)
        output.reserveCapacity(output.count + line.count + 512)

        let insertion: Int? = hasMembers ? (parsed.sekoiaioClose ?? parsed.documentClose) : nil
        var cursor = 0
        var inserted = false
        func insert(at position: Int) {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[cursor..<position]))
            cursor = position
            let intoExisting = parsed.sekoiaioClose != nil
            let keeps = intoExisting ? parsed.sekoiaioKeepsMembers : parsed.documentKeepsMembers
            if keeps { output.append(UInt8(ascii: ",")) }
            if !intoExisting { output.append(contentsOf: #""sekoiaio":{"#.utf8) }
            appendMembers(&output)
            if !intoExisting { output.append(UInt8(ascii: "}")) }
            inserted = true
        }
        for span in parsed.removedSpans {
            if let insertion, !inserted, insertion <= span.lowerBound { insert(at: insertion) }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[cursor..<span.lowerBound]))
            cursor = span.upperBound
        }
        if let insertion, !inserted { insert(at: insertion) }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[cursor...]))
    }
}
