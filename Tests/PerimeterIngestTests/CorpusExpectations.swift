import Foundation
import Testing

/// The facts about the corpus that `tests/corpus-reference/reference.py`
/// worked out from SPEC §2/§3 without the code under test, read from the
/// checked-in `Fixtures/corpus-expectations.json` (regenerate with that
/// script; its header says when and how).
struct CorpusExpectations: Decodable, Sendable {
    struct Totals: Decodable, Sendable {
        var files: Int
        var events: Int
        var malformed: Int
    }

    /// One hand-picked event: its atoms as `type:value` in normal form, and
    /// the assets it matches as `category:name`.
    struct PickedEvent: Decodable, Sendable {
        var line: Int
        var why: String
        var atoms: [String]
        var assets: [String]
    }

    /// One corpus file ingested alone into an empty store.
    struct File: Decodable, Sendable, CustomTestStringConvertible {
        var file: String
        var events: [PickedEvent]
        /// The names of every host and account discovered from the file,
        /// sorted; nil when the file is not one of the named files.
        var hosts: [String]?
        var accounts: [String]?

        var testDescription: String { file }
    }

    /// The clock the test ingest uses: events without a usable @timestamp
    /// take it, and no corpus event is later.
    var clock: String
    var totals: Totals
    var eventsPerFile: [String: Int]
    var files: [File]

    static let shared: CorpusExpectations = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/corpus-expectations.json")
        do {
            return try JSONDecoder().decode(CorpusExpectations.self, from: Data(contentsOf: url))
        } catch {
            // The fixture is ours: a missing or stale one is our bug, not the world's.
            fatalError("cannot read \(url.path): \(error) (while loading the corpus expectations)")
        }
    }()
}

/// The shared corpus: `../shared/corpus` beside the package root, or
/// `PERIMETER_CORPUS`.
enum Corpus {
    static var ecs: URL {
        let root: URL
        if let path = ProcessInfo.processInfo.environment["PERIMETER_CORPUS"] {
            root = URL(fileURLWithPath: path)
        } else {
            root = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("shared/corpus")
        }
        return root.appendingPathComponent("ecs")
    }

    /// Every `.ndjson` file of `ecs/`, sorted by name.
    static func ecsFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: ecs, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "ndjson" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
