import Foundation
import PerimeterHTTP
import Synchronization

/// Request counts and latencies by route template, for `/metrics`. No
/// label carries a community, a path value or a token.
final class ServerMetrics: Sendable {
    /// Latency histogram bounds, in seconds.
    static let bounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5]

    private struct Key: Hashable, Comparable {
        var method: String
        var route: String
        var status: Int

        static func < (a: Key, b: Key) -> Bool {
            (a.route, a.method, a.status) < (b.route, b.method, b.status)
        }
    }

    private struct Histogram {
        var buckets = [Int](repeating: 0, count: ServerMetrics.bounds.count)
        var count = 0
        var sum = 0.0
    }

    private struct State {
        var requests: [Key: Int] = [:]
        var latency: [String: Histogram] = [:]
    }

    private let state = Mutex(State())

    func record(_ record: HTTPAccessLogRecord) {
        let seconds = record.durationMilliseconds / 1000
        state.withLock { state in
            state.requests[Key(method: record.method, route: record.route,
                               status: record.status), default: 0] += 1
            var histogram = state.latency[record.route] ?? Histogram()
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound {
                histogram.buckets[index] += 1
            }
            histogram.count += 1
            histogram.sum += seconds
            state.latency[record.route] = histogram
        }
    }

    /// The Prometheus text exposition of these and the given gauges.
    func exposition(intake: IntakeTotals, intakePipelines: Int, assetsByCategory: [String: Int],
                    jobsByStatus: [String: Int]) -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        family("perimeter_events_received_total", "counter",
               "Events received over HTTP since the server started.")
        text += "perimeter_events_received_total \(intake.received)\n"
        family("perimeter_events_rejected_total", "counter", "Malformed events refused.")
        text += "perimeter_events_rejected_total \(intake.malformed)\n"
        family("perimeter_events_enriched_total", "counter", "Events that matched assets.")
        text += "perimeter_events_enriched_total \(intake.enriched)\n"
        family("perimeter_assets_discovered_total", "counter", "Assets created by discovery.")
        text += "perimeter_assets_discovered_total \(intake.created)\n"
        family("perimeter_regex_limit_exceeded_total", "counter",
               "Sigma regex tests on received events that stopped at the match limit "
                   + "(read as no match).")
        text += "perimeter_regex_limit_exceeded_total \(intake.regexLimitExceeded)\n"
        family("perimeter_dotted_hostnames_dropped_total", "counter",
               "Dotted names dropped from hostname-only fields (atoms.strict_hostnames).")
        text += "perimeter_dotted_hostnames_dropped_total \(intake.droppedDottedHostnames)\n"
        family("perimeter_intake_pipelines", "gauge",
               "Intake pipelines held: one per entity that sent events recently.")
        text += "perimeter_intake_pipelines \(intakePipelines)\n"
        family("perimeter_assets", "gauge", "Live (not revoked) assets, by category.")
        for category in ["account", "host", "network"] {
            text += "perimeter_assets{category=\"\(category)\"} "
                + "\(assetsByCategory[category] ?? 0)\n"
        }
        family("perimeter_jobs", "gauge", "Bulk jobs by status.")
        for status in ["queued", "running", "succeeded", "failed"] {
            text += "perimeter_jobs{status=\"\(status)\"} \(jobsByStatus[status] ?? 0)\n"
        }
        let snapshot = state.withLock { $0 }
        family("perimeter_http_requests_total", "counter", "Requests by route template.")
        for key in snapshot.requests.keys.sorted() {
            text += "perimeter_http_requests_total{method=\"\(key.method)\","
                + "route=\"\(Self.escape(key.route))\",status=\"\(key.status)\"} "
                + "\(snapshot.requests[key]!)\n"
        }
        family("perimeter_http_request_duration_seconds", "histogram",
               "Request latency by route template.")
        for route in snapshot.latency.keys.sorted() {
            let histogram = snapshot.latency[route]!
            let label = "route=\"\(Self.escape(route))\""
            for (index, bound) in Self.bounds.enumerated() {
                text += "perimeter_http_request_duration_seconds_bucket{\(label),le=\"\(bound)\"} "
                    + "\(histogram.buckets[index])\n"
            }
            text += "perimeter_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} "
                + "\(histogram.count)\n"
            text += "perimeter_http_request_duration_seconds_sum{\(label)} \(histogram.sum)\n"
            text += "perimeter_http_request_duration_seconds_count{\(label)} \(histogram.count)\n"
        }
        return text
    }

    private static func escape(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
    }
}
