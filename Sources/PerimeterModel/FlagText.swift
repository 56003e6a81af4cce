extension Bool {
    /// A true-or-false word as people write it in a cell, an option or a
    /// query: `true`/`false`, `yes`/`no` or `1`/`0`, in any case; nil for
    /// any other text. One reading for every place that takes one.
    public init?(flagText text: String) {
        switch text.lowercased() {
        case "true", "yes", "1": self = true
        case "false", "no", "0": self = false
        default: return nil
        }
    }
}
