import Foundation
import Testing
import PerimeterInput

/// Set PERIMETER_BENCH_INPUT to an NDJSON (or .gz) file to print the
/// reader's throughput; skipped otherwise.
@Test(.enabled(if: ProcessInfo.processInfo.environment["PERIMETER_BENCH_INPUT"] != nil))
func lineReaderThroughput() throws {
    let path = ProcessInfo.processInfo.environment["PERIMETER_BENCH_INPUT"]!
    let reader = try LineReader(path: path)
    var lines = 0
    var bytes: UInt64 = 0
    let clock = ContinuousClock()
    let start = clock.now
    try reader.forEachLine(onOversizedLine: { _ in }) { _, _, end in
        lines += 1
        bytes = end
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds)
        + Double(elapsed.components.attoseconds) / 1e18
    print("LineReader (\(reader.isCompressed ? "gzip" : "plain")): \(lines) lines, "
        + "\(bytes / 1_000_000) MB in \(String(format: "%.2f", seconds)) s: "
        + "\(String(format: "%.0f", Double(bytes) / 1e6 / seconds)) MB/s")
    #expect(lines > 0)
}
