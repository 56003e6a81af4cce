extension Unicode.Scalar {
    /// Whether the scalar, printed as it is, can mislead whoever reads a
    /// terminal line: control characters (C0, DEL and C1, whose U+009B
    /// starts an escape sequence on some terminals), the direction
    /// overrides, isolates and marks that reorder text ("Trojan Source"),
    /// the line and paragraph separators, and the characters that show as
    /// nothing (a zero-width space, a byte order mark, a soft hyphen, the
    /// Hangul fillers), which make two different names print alike. Event
    /// values and names are anyone's text; what shows them escapes these.
    ///
    /// The zero-width joiner and non-joiner are left as they are: emoji
    /// sequences and several scripts (Persian, the Indic ones) need them.
    public var needsEscapingOnScreen: Bool {
        if properties.generalCategory == .control { return true }
        switch value {
        case 0x00AD, 0x061C, 0x115F, 0x1160, 0x180E, 0x200B, 0x200E...0x200F,
             0x202A...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0x2028...0x2029,
             0x3164, 0xFEFF, 0xFFA0:
            return true
        default: return false
        }
    }
}
