extension Unicode.Scalar {
    /// Whether the scalar, printed as it is, can change how the rest of a
    /// terminal line reads: control characters (C0, DEL and C1, whose
    /// U+009B starts an escape sequence on some terminals), the direction
    /// overrides, isolates and marks that reorder text ("Trojan Source"),
    /// and the line and paragraph separators. Event values and names are
    /// anyone's text; what shows them escapes these.
    public var rearrangesTerminalText: Bool {
        if properties.generalCategory == .control { return true }
        switch value {
        case 0x061C, 0x200E...0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028...0x2029:
            return true
        default: return false
        }
    }
}
