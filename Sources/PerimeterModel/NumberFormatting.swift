/// Numbers for people, shared by the command line and the reports of the
/// modules below it (the detection benchmark).
public enum NumberFormatting {
    /// The digits of `value` in groups of three, separated by commas:
    /// 12,345.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + String(result.reversed())
    }
}
