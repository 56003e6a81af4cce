import PerimeterInventory
import Foundation
import PerimeterModel
import Synchronization

/// Messages to the person at the terminal, on standard error.
///
/// They may quote the user's own input; they never carry secrets.
enum Terminal {
    static let isStandardErrorTerminal = isatty(STDERR_FILENO) == 1
    static let isStandardOutputTerminal = isatty(STDOUT_FILENO) == 1

    // Messages quote values from files, events and stores: `readable`.
    static func error(_ message: String) { write("perimeter: error: \(readable(message))\n") }
    static func warning(_ message: String) { write("perimeter: warning: \(readable(message))\n") }
    static func note(_ message: String) { write(readable(message) + "\n") }

    /// A progress line that rewrites itself; only on a terminal.
    static func progress(_ message: String) {
        guard isStandardErrorTerminal else { return }
        write("\r\u{1B}[K" + message)
    }

    static func endProgress() {
        guard isStandardErrorTerminal else { return }
        write("\r\u{1B}[K")
    }

    /// Writes to standard error. A stream that cannot be written (a full
    /// disk under `2> file`) loses the message, not the run: the
    /// Objective-C-style write trapped there.
    /// Standard output is flushed first: with both streams sent to one
    /// file, a note written while a line of output sat in the buffer split
    /// that line (`rules test --json > all 2>&1`).
    static func write(_ text: String) {
        flushStandardOutput()
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }

    /// Flushes what was printed; a failure is remembered, for the exit
    /// status: a flush that fails here leaves none for the last one to see.
    static func flushStandardOutput() {
        if fflush(nil) != 0 { outputFailure.store(errno, ordering: .relaxed) }
    }

    /// The error of the first write of standard output that failed; 0 for none.
    static var standardOutputError: Int32 {
        flushStandardOutput()
        return outputFailure.load(ordering: .relaxed)
    }

    private static let outputFailure = Atomic<Int32>(0)

    /// Writes `text` to standard output at once, past the C library's
    /// buffer (flushed first, so that nothing printed before comes after).
    /// For output of any size, a page at a time (an export): a write that
    /// failed while `print`'s buffer emptied itself mid-way left only the
    /// stream's error mark, and the last flush, with nothing left to
    /// write, succeeded: an export to a full disk ended as a success.
    static func writeOutput(_ text: String) throws {
        flushStandardOutput()
        var text = text
        try text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset,
                                          bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    throw OutputError(message: "cannot write standard output: "
                                      + String(cString: strerror(errno)))
                }
                offset += written
            }
        }
    }

    /// Text for a person's screen with its control characters written out
    /// (`\u{1B}`), newlines and tabs aside: names, tags and values come
    /// from events and API clients, and an escape sequence among them
    /// would drive the analyst's terminal (move the cursor, rewrite what
    /// was printed, retitle the window). So are the bidirectional
    /// overrides and isolates, which show text in another order than it
    /// has (`\u{202E}`: "exe.txt" read backwards).
    static func readable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnreadable) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isUnreadable(scalar) {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isUnreadable(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "\n" && scalar != "\t" && scalar.needsEscapingOnScreen
    }

    /// The columns `text` takes on a terminal: two for a wide character
    /// (CJK ideographs, kana, Hangul, full-width forms, emoji drawn as
    /// pictures), one for any other. Tables pad by it: padded by
    /// characters, a column of Japanese names pushed the next ones out.
    static func columns(of text: String) -> Int {
        text.reduce(0) { $0 + columns(of: $1) }
    }

    private static func columns(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if first.properties.isEmojiPresentation
            || (first.properties.isEmoji && character.unicodeScalars.contains("\u{FE0F}")) {
            return 2
        }
        switch first.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
             0x4E00...0x9FFF, 0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF,
             0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    /// `text` cut to at most `width` columns, whole characters only, with
    /// an ellipsis as its last column when cut.
    static func clipped(_ text: String, to width: Int) -> String {
        guard columns(of: text) > width else { return text }
        var kept = ""
        var used = 0
        for character in text {
            let next = columns(of: character)
            guard used + next <= width - 1 else { break }
            kept.append(character)
            used += next
        }
        return kept + "…"
    }

    /// `text` and spaces after it up to `width` columns; nothing is cut.
    static func padded(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - columns(of: text)))
    }

    /// A field shown on one line of its own (a closing reason, which an API
    /// client writes): its line breaks written out too, so that it cannot
    /// print lines that read as the command's own.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Numbers for people: 12,345 and 1.5 MB.
enum Formatting {
    static func count(_ value: Int) -> String { NumberFormatting.grouped(value) }

    /// "1 filter", "2 filters": a count and a noun whose plural takes an s.
    static func count(_ value: Int, _ noun: String) -> String {
        "\(count(value)) \(noun)\(value == 1 ? "" : "s")"
    }

    /// A duration in the largest unit that divides it, as the
    /// configuration writes it: `7d`, `2h`, `90s`, `250ms`.
    static func duration(_ duration: PerimeterInventory.Duration) -> String {
        let milliseconds = duration.milliseconds
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000),
                             ("s", 1_000)] where milliseconds % size == 0 && milliseconds != 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }

    static func decimal(_ value: Double, places: Int = 1) -> String {
        String(format: "%.\(places)f", value)
    }
}
