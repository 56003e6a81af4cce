/// The totals `rules check` prints: rules by status, refusals by reason, and the
/// share of `compiled-unmapped` rules per log source.
public struct RuleCheckSummary: Sendable {
    public var compiled = 0
    public var unmapped = 0
    /// Rules refused (filters refused are counted apart).
    public var refused = 0
    /// Filters loaded.
    public var filters = 0
    public var refusedFilters = 0
    public var refusedByReason: [String: Int] = [:]
    /// Per log source: (unmapped, total).
    public var unmappedByLogSource: [String: (unmapped: Int, total: Int)] = [:]
    /// Whether the ingest the summary speaks of runs compiled-unmapped
    /// rules too (`detection.run_unmapped_rules`).
    public var runsUnmapped: Bool
    /// Rules that run on shipped example placeholder values, and the names.
    public var onExamplePlaceholders = 0
    public var examplePlaceholderNames: Set<String> = []

    public init(reports: [RuleStatusReport], runsUnmapped: Bool = false) {
        self.runsUnmapped = runsUnmapped
        for report in reports {
            if report.isFilter {
                if report.status == .refused {
                    refusedFilters += 1
                    refusedByReason[report.reasonCode ?? "error", default: 0] += 1
                } else {
                    filters += 1
                }
                continue
            }
            if !report.examplePlaceholders.isEmpty {
                onExamplePlaceholders += 1
                examplePlaceholderNames.formUnion(report.examplePlaceholders)
            }
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

    /// Rules, whatever their status (not filters).
    public var total: Int { compiled + unmapped + refused }

    /// Refusals of rules and filters: what makes `rules check` fail.
    public var problems: Int { refused + refusedFilters }

    /// The share of the rules an ingest runs: the compiled ones, and the
    /// compiled-unmapped ones when it is asked to run them.
    public var runShare: Double {
        total == 0 ? 0 : Double(compiled + (runsUnmapped ? unmapped : 0)) * 100 / Double(total)
    }

    public var text: String {
        var lines: [String] = []
        var filterText = "\(filters) filter\(filters == 1 ? "" : "s")"
        if refusedFilters > 0 { filterText += " (\(refusedFilters) more refused)" }
        if total == 0 {
            lines.append("0 rules; " + filterText)
        } else {
            lines.append("\(total) rule\(total == 1 ? "" : "s"): \(compiled) compiled, "
                + "\(unmapped) compiled-unmapped, \(refused) refused "
                + "(\(String(format: "%.1f", runShare))% run in an ingest); " + filterText)
        }
        for (reason, count) in refusedByReason.sorted(by: { $0.value > $1.value }) {
            lines.append("  refused \(reason): \(count)")
        }
        let withUnmapped = unmappedByLogSource.filter { $0.value.unmapped > 0 }
        if !withUnmapped.isEmpty {
            lines.append(runsUnmapped
                ? "compiled-unmapped rules run, detection.run_unmapped_rules being true (on "
                    + "ECS events they read names as written); by log source:"
                : "compiled-unmapped rules are kept but not run during ingest unless "
                    + "detection.run_unmapped_rules is true; by log source:")
            for (source, entry) in withUnmapped.sorted(by: { $0.value.unmapped > $1.value.unmapped }) {
                lines.append("  \(source): \(entry.unmapped) of \(entry.total)")
            }
        }
        if onExamplePlaceholders > 0 {
            let names = examplePlaceholderNames.sorted().map { "%\($0)%" }
            lines.append("\(onExamplePlaceholders) rule\(onExamplePlaceholders == 1 ? "" : "s") "
                + "run\(onExamplePlaceholders == 1 ? "s" : "") on the example values shipped for "
                + names.prefix(8).joined(separator: ", ")
                + (names.count > 8 ? " and \(names.count - 8) more" : "")
                + ": give your environment's in detection.placeholders (or leave those rules out)")
        }
        return lines.joined(separator: "\n")
    }
}

import Foundation
