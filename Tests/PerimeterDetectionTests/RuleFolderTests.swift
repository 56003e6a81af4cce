import Foundation
import PerimeterDetection
import Testing

/// Rule folders as they are deployed: often a link to a checkout, with
/// links inside, and a `.github` of workflow YAML beside the rules.
@Suite struct RuleFolderTests {
    static func rule(_ id: String) -> String {
        """
        title: rule \(id)
        id: \(id)
        logsource: {product: linux, category: process_creation}
        detection: {sel: {CommandLine: x}, condition: sel}
        """
    }

    /// checkout/ holds a.yml (and a link to it), sub/b.yaml, a link back to
    /// itself, and a hidden .github/ci.yml; rules → checkout is what the
    /// user names.
    static func makeFolders() throws -> (root: URL, rules: String) {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-rule-folders-\(UUID().uuidString)")
        let checkout = root.appendingPathComponent("checkout")
        let manager = FileManager.default
        try manager.createDirectory(at: checkout.appendingPathComponent("sub"),
                                    withIntermediateDirectories: true)
        try manager.createDirectory(at: checkout.appendingPathComponent(".github"),
                                    withIntermediateDirectories: true)
        try rule("a").write(to: checkout.appendingPathComponent("a.yml"), atomically: true,
                            encoding: .utf8)
        try rule("b").write(to: checkout.appendingPathComponent("sub/b.yaml"), atomically: true,
                            encoding: .utf8)
        try "on: push\n".write(to: checkout.appendingPathComponent(".github/ci.yml"),
                               atomically: true, encoding: .utf8)
        try manager.createSymbolicLink(atPath: checkout.appendingPathComponent("sub/up").path,
                                       withDestinationPath: "..")
        // A link to a rule beside it, sorted before the rule itself.
        try manager.createSymbolicLink(atPath: checkout.appendingPathComponent("0-a.yml").path,
                                       withDestinationPath: "a.yml")
        let rules = root.appendingPathComponent("rules").path
        try manager.createSymbolicLink(atPath: rules, withDestinationPath: "checkout")
        return (root, rules)
    }

    @Test func aLinkedFolderIsReadThroughItsLinksOnceAndWithoutHiddenFiles() throws {
        let (root, rules) = try Self.makeFolders()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(RuleLoader.ruleFiles(under: rules) == [rules + "/a.yml", rules + "/sub/b.yaml"])
        let set = try RuleLoader.load(paths: [rules])
        #expect(set.rules.map(\.id).sorted() == ["a", "b"])
        #expect(set.reports.allSatisfy { $0.status != .refused }, "\(set.reports)")
    }
}
