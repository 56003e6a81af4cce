import Foundation
import Testing
import PerimeterJSON

/// A smoke run (a few MB) so the benchmark stays working; set
/// PERIMETER_BENCH_BYTES for a real measurement (in a release build).
@Test func benchmarkRuns() throws {
    let target = ProcessInfo.processInfo.environment["PERIMETER_BENCH_BYTES"]
        .flatMap { Int($0) } ?? 2_000_000
    let report = try JSONBenchmark.run(corpusDirectory: Corpus.directory.path,
                                       targetBytes: target)
    print(report)
    #expect(report.events > 0)
    #expect(report.failedEvents == 0)
    #expect(report.valuesExtracted > 0)
    #expect(JSONBenchmark.ecsPaths.count >= 60)
}
