/// The totals `rules check` prints: rules by status, refusals by reason, and the
/// share of `compiled-unmapped` rules per log source.
public struct RuleCheckSummary: Sendable {
    public var compiled = 0
    public var unmapped = 0
    public var refused = 0
    public var filters = 0
    public var refusedByReason: [String: Int] = [:]
    /// Per log source: (unmapped, total).
    public var unmappedByLogSource: [String: (unmapped: Int, total: Int)] = [:]

    public init(reports: [RuleStatusReport]) {
        for report in reports {
            if report.isFilter && report.status != .refused { filters += 1; continue }
            let source = report.logSource?.description ?? "(unknown)"
            var entry = unmappedByLogSource[source] ?? (0, 0)
            entry.total += 1
            switch report.status {
            case .compiled: compiled += 1
            case .compiledUnmapped:
                unmapped += 1
                entry.unmapped += 1
            case .refused:
                refused += 1
                refusedByReason[report.reasonCode ?? "error", default: 0] += 1
            }
            unmappedByLogSource[source] = entry
        }
    }

    public var total: Int { compiled + unmapped + refused }

    public var text: String {
        var lines: [String] = []
        let okShare = total == 0 ? 100.0 : Double(compiled + unmapped) * 100 / Double(total)
        lines.append("\(total) rule\(total == 1 ? "" : "s"): \(compiled) compiled, "
            + "\(unmapped) compiled-unmapped, "
            + "\(refused) refused (\(String(format: "%.1f", okShare))% ok); "
            + "\(filters) filter\(filters == 1 ? "" : "s")")
        for (reason, count) in refusedByReason.sorted(by: { $0.value > $1.value }) {
            lines.append("  refused \(reason): \(count)")
        }
        let withUnmapped = unmappedByLogSource.filter { $0.value.unmapped > 0 }
        if !withUnmapped.isEmpty {
            lines.append("compiled-unmapped rules are kept but not run during ingest unless "
                         + "detection.run_unmapped_rules is true; by log source:")
            for (source, entry) in withUnmapped.sorted(by: { $0.value.unmapped > $1.value.unmapped }) {
                lines.append("  \(source): \(entry.unmapped) of \(entry.total)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

import Foundation
