import PerimeterRegex

/// The regex module is tested through the detection test target (its only user here).
enum PerimeterRegexFacade {
    static func make(_ pattern: String) throws -> Regex { try Regex(pattern) }
}
