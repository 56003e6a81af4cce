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

    /// A rule file in UTF-16 with its byte order mark is read, as YAML
    /// reads it (it was refused for control characters); one in UTF-8
    /// with a byte order mark too. Bytes that are no UTF-8 refuse the file
    /// at their line (a rule compiled with U+FFFD in place of them, and
    /// matched only that character); a file that cannot be read is
    /// reported at no line, not line 0.
    @Test func ruleFilesAreReadInTheirEncodingOrRefused() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-rule-encodings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = root.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let text = Self.rule("u")
        let utf16LE: [UInt8] = [0xFF, 0xFE]
            + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let utf16BE: [UInt8] = [0xFE, 0xFF]
            + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(text.utf8)
        for (name, bytes) in [("le.yml", utf16LE), ("be.yml", utf16BE), ("bom8.yml", utf8BOM)] {
            let set = try RuleLoader.load(paths: [try write(name, bytes)])
            #expect(set.rules.map(\.id) == ["u"], "\(name): \(set.reports)")
        }
        // The value's bytes on line 4 are Latin-1, not UTF-8.
        let latin1: [UInt8] = Array("title: t\nid: l\nlogsource: {product: linux}\n".utf8)
            + Array("detection: {sel: {CommandLine: caf".utf8) + [0xE9]
            + Array("}, condition: sel}\n".utf8)
        let refused = try RuleLoader.load(paths: [try write("latin1.yml", latin1)])
        #expect(refused.rules.isEmpty)
        let report = try #require(refused.reports.first)
        #expect(report.reasonCode == "invalid-encoding" && report.line == 4, "\(report)")
        #expect(report.location == root.path + "/latin1.yml:4")
        let oddUTF16 = try RuleLoader.load(paths: [try write("odd.yml", [0xFF, 0xFE, 0x41])])
        #expect(oddUTF16.reports.first?.reasonCode == "invalid-encoding")

        let fifo = root.appendingPathComponent("missing.yml").path
        let unreadable = try RuleLoader.load(paths: [fifo])
        if let report = unreadable.reports.first {
            #expect(report.location == fifo, "\(report)")
        }
    }
}
