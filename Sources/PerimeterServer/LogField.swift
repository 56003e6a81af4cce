import Foundation
import PerimeterInventory
import PerimeterModel

/// A value in the server's `key=value` log lines: bare when it is one
/// plain word, else quoted with its quotes, backslashes and control
/// characters escaped, so that a token named `a b=c rows=999` cannot
/// forge fields of its own in the line.
public enum LogField {
    public static func value(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && scalar.value > 0x20 && scalar.value < 0x7F
                && !["\"", "\\", "="].contains(Character(scalar))
        }
        guard !plain else { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case _ where scalar.needsEscapingOnScreen:
                quoted += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}

/// One line of the server's log as it is written: `time=… level=…
/// event=…`, then the line's own `key=value` fields. The server's parts
/// log `event words key=value…`; a line that starts with `warning` is a
/// warning, one whose event says `failed` an error.
public enum ServerLogLine {
    public static func format(_ line: String, at time: Date) -> String {
        var words = line.split(separator: " ", omittingEmptySubsequences: false)[...]
        var level = "info"
        if words.first == "warning" {
            level = "warn"
            words = words.dropFirst()
        }
        let phrase = words.prefix { !$0.contains("=") }
        let fields = words.dropFirst(phrase.count)
        let event = phrase.joined(separator: " ")
        if level == "info" && phrase.contains("failed") { level = "error" }
        var text = "time=\(EventTime(time).description) level=\(level) "
            + "event=\(LogField.value(event))"
        if !fields.isEmpty { text += " " + fields.joined(separator: " ") }
        return text
    }
}
