import Foundation
import PerimeterEnrichment
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterStore
import Testing

/// Issue #2: ingest the whole ECS corpus and check facts about it that
/// `tests/corpus-reference/reference.py` worked out from SPEC §2/§3, not
/// from the code: the atoms and assets of hand-picked events, the exact
/// hosts and accounts of named files, and that nothing is lost.
///
/// The corpus files hold events in no particular time order. The ingest
/// runs with a lateness window of 100,000 days so that every event may
/// change structure; the SPEC then asks for the timeline in-order arrival
/// would give, and that is what the reference computes. The clock is
/// fixed (the fixture's `clock`), so events without a timestamp are
/// deterministic.
@Suite("Corpus ingest")
struct CorpusIngestTests {
    static let expectations = CorpusExpectations.shared

    /// Where the product and the SPEC as the reference reads it disagree,
    /// by `file:line` (a picked event) or `file#hosts` / `file#accounts`.
    /// The check still runs and is reported as a known issue; the lead
    /// decides which side moves.
    /// None at present: the last one (a qualified name arriving after its
    /// bare name, cisco_duo line 2) is what discovery now does in time
    /// order too.
    static let knownDisagreements: [String: String] = [:]

    @Test("every corpus line is read, none is malformed, nothing crashes")
    func wholeCorpus() throws {
        let files = try Corpus.ecsFiles()
        #expect(files.count == Self.expectations.totals.files)
        let run = try IngestRun()
        var before = 0
        for file in files {
            try run.pipeline.ingest(path: file.path)
            let read = run.pipeline.summary.eventsRead - before
            before = run.pipeline.summary.eventsRead
            #expect(read == Self.expectations.eventsPerFile[file.lastPathComponent],
                    "events read from \(file.lastPathComponent)")
        }
        let summary = run.pipeline.summary
        #expect(summary.eventsRead == Self.expectations.totals.events)
        #expect(summary.malformed == Self.expectations.totals.malformed)
        #expect(summary.oversizedLines == 0)
        #expect(summary.late == 0, "the test's lateness window covers the whole corpus")
        #expect(summary.future == 0, "no corpus event is after the fixed clock")
    }

    @Test("picked events and named files, each file ingested alone",
          arguments: CorpusIngestTests.expectations.files)
    func oneFile(_ expected: CorpusExpectations.File) throws {
        let run = try IngestRun()
        let url = Corpus.ecs.appendingPathComponent(expected.file)
        var seen: [Int: (atoms: [String], assets: [String])] = [:]
        let wanted = Set(expected.events.map(\.line))
        run.pipeline.onEvent = { event, enrichment in
            guard let line = Self.lineNumber(of: event.observation.reference),
                  wanted.contains(line) else { return }
            let atoms = Set(event.observation.atoms.map { $0.atom.description })
            let assets = enrichment.categories.flatMap { category, fields in
                fields.names.map { "\(category.rawValue):\($0)" }
            }
            seen[line] = (atoms.sorted(), assets.sorted())
        }
        try run.pipeline.ingest(path: url.path)
        #expect(run.pipeline.summary.malformed == 0)

        for pick in expected.events {
            let key = "\(expected.file):\(pick.line)"
            guard let actual = seen[pick.line] else {
                Issue.record("\(key) was not enriched at all (\(pick.why))")
                continue
            }
            check(key, "atoms") { #expect(actual.atoms == pick.atoms, "\(key): \(pick.why)") }
            check(key, "assets") {
                #expect(actual.assets == pick.assets, "\(key): \(pick.why)")
            }
        }
        for (category, names) in [(AssetCategory.host, expected.hosts),
                                  (.account, expected.accounts)] {
            guard let names else { continue }
            let actual = run.discoveredNames(category)
            let key = "\(expected.file)#\(category.rawValue)s"
            // Which names were discovered, then that each was discovered once.
            let missing = Set(names).subtracting(actual).sorted()
            let unexpected = Set(actual).subtracting(names).sorted()
            check(key, "names") {
                #expect(missing.isEmpty && unexpected.isEmpty,
                        "\(key): missing \(missing), unexpected \(unexpected)")
            }
            check(key, "count") { #expect(actual == names, "\(key), one asset each") }
        }
    }

    /// Runs a check, as a known issue when the key is a known disagreement.
    private func check(_ key: String, _ aspect: String, _ body: () -> Void) {
        let keys = [key, "\(key)#\(aspect)"]
        if let reason = keys.lazy.compactMap({ Self.knownDisagreements[$0] }).first {
            withKnownIssue(Comment(rawValue: reason), isIntermittent: false) { body() }
        } else {
            body()
        }
    }

    /// `path/to/file.ndjson:12` → 12.
    private static func lineNumber(of reference: String) -> Int? {
        reference.split(separator: ":").last.flatMap { Int($0) }
    }
}

/// An ingest into a fresh store in a temporary directory, with the test's
/// clock and lateness window; the directory goes away with the value.
final class IngestRun {
    let directory: URL
    let pipeline: IngestPipeline

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try InventoryStore(path: directory.appendingPathComponent("store.db").path)
        var configuration = PerimeterConfiguration()
        // Corpus files are not in time order: let every event change structure.
        configuration.inventory.latenessWindow = .days(100_000)
        var options = IngestOptions()
        options.now = EventTime(parsing: CorpusExpectations.shared.clock)
        options.resumes = false
        pipeline = try IngestPipeline(store: store, configuration: configuration,
                                      options: options)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The names of the discovered assets of one category, sorted.
    func discoveredNames(_ category: AssetCategory) -> [String] {
        pipeline.inventory.assets.values
            .filter { $0.category == category && $0.source.rule != nil }
            .map(\.name).sorted()
    }
}
