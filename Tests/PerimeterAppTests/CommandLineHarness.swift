import Foundation
import PerimeterSQLite
import PerimeterTestSupport
import Testing

/// One scratch directory with its own store, and the `perimeter`
/// executable run inside it: what an operator does at a shell.
struct CommandLineHarness {
    let binary: PerimeterExecutable
    let directory: ScratchDirectory
    let store: String

    /// Nil (with a recorded issue) when the executable is not built.
    static func make(_ label: String) throws -> CommandLineHarness? {
        guard let binary = PerimeterExecutable.locate() else {
            Issue.record("perimeter is not built: run 'swift build --build-tests' first")
            return nil
        }
        let directory = try ScratchDirectory(label)
        return CommandLineHarness(binary: binary, directory: directory,
                                  store: directory.path("perimeter.db"))
    }

    /// One event of host ws-1: the input of tests about the command itself.
    static let oneHostEvent =
        #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-1"}}"# + "\n"

    /// Runs `perimeter ARGUMENTS --db STORE`.
    @discardableResult
    func run(_ arguments: [String], input: String? = nil) throws -> PerimeterExecutable.Result {
        try binary.run(arguments + ["--db", store], in: directory.url,
                       standardInput: input.map { Data($0.utf8) })
    }

    /// Ingests `lines` from a file named `name`, writing enriched events to
    /// standard output; returns the result.
    func ingest(_ lines: [String], name: String = "events.ndjson",
                options: [String] = []) throws -> PerimeterExecutable.Result {
        let path = try directory.write(name, lines.map { $0 + "\n" }.joined())
        return try run(["ingest", "--output", "-", "--now", "2024-06-01T00:00:00Z"]
                       + options + [path])
    }

    /// `assets list --json` with `filters`: the objects and the count the
    /// command reports on standard error.
    func listAssets(_ filters: [String] = []) throws -> (assets: [[String: Any]], count: Int?) {
        let result = try run(["assets", "list", "--json", "--limit", "0"] + filters)
        #expect(result.status == 0, "assets list \(filters) failed: \(result.standardError)")
        let assets = result.outputLines.compactMap(Self.object)
        let count = result.standardError.split(separator: "\n")
            .first { $0.hasSuffix(" matching assets") || $0.hasSuffix(" matching asset") }
            .flatMap { Int($0.split(separator: " ")[0].replacingOccurrences(of: ",", with: "")) }
        return (assets, count)
    }

    /// The store's running counters for the default community.
    func counters() throws -> [String: Int] {
        let database = try Database(path: store, readOnly: true)
        var result: [String: Int] = [:]
        try database.statement("SELECT name, value FROM counters WHERE community = 'default'")
            .forEachRow { result[$0.text(0)] = Int($0.int(1)) }
        return result
    }

    func remove() { directory.remove() }

    static func object(_ line: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }

    /// A dotted path into a parsed JSON object (`sekoiaio.any_asset.name`).
    static func value(_ object: [String: Any], _ path: String) -> Any? {
        var current: Any? = object
        for part in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(part)]
        }
        return current
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips a suite, saying why, when `perimeter` is not built: `swift
    /// build --build-tests` (as `scripts/test.sh` runs) builds it, a bare
    /// `swift test` of one target may not.
    static var requiresPerimeterExecutable: Self {
        .enabled(if: PerimeterExecutable.locate() != nil,
                 "perimeter is not built: run 'swift build --build-tests' first")
    }
}

extension Array where Element == [String: Any] {
    /// The `name` of each object, sorted.
    var names: [String] { compactMap { $0["name"] as? String }.sorted() }
}
