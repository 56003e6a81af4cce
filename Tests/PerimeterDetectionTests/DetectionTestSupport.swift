import Foundation
@testable import PerimeterDetection

/// Builds a one-rule engine from a detection block and runs it over JSON events.
struct RuleHarness {
    let engine: DetectionEngine
    let reader: JSONEventReader

    init(detection: String, placeholders: [String: [String]] = [:],
         extraDocuments: String = "") throws {
        let text = """
            title: test rule
            id: rule-under-test
            level: high
            logsource:
                product: test
            detection:
            \(detection.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "    " + $0 }.joined(separator: "\n"))
            \(extraDocuments)
            """
        let set = try RuleLoader.load(text: text, mapping: .none, placeholders: placeholders)
        if let refused = set.reports.first(where: { $0.status == .refused }) {
            throw RuleRefusal(code: refused.reasonCode ?? "", message: refused.reason ?? "")
        }
        engine = DetectionEngine(rules: set.rules, filters: set.filters)
        reader = JSONEventReader(engine: engine)
    }

    func matches(_ json: String, assets: [String: [DetectionValue]] = [:]) throws -> Bool {
        !engine.evaluate(try reader.read(json, extraValues: assets)).isEmpty
    }
}

enum Corpus {
    /// `../shared/corpus` beside the package, or `PERIMETER_CORPUS`.
    static var root: String {
        if let path = ProcessInfo.processInfo.environment["PERIMETER_CORPUS"] { return path }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return package.deletingLastPathComponent().appendingPathComponent("shared/corpus").path
    }
}
