import Foundation

/// Measures parse + extraction speed over the corpus, for `perimeter bench`.
public enum JSONBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public let kernel: String
        public let events: Int
        public let bytes: Int
        public let failedEvents: Int
        public let valuesExtracted: Int
        public let seconds: Double

        public var megabytesPerSecond: Double { Double(bytes) / 1e6 / seconds }
        public var eventsPerSecond: Double { Double(events) / seconds }

        public var description: String {
            let mb = String(format: "%.0f", megabytesPerSecond)
            let eps = String(format: "%.0f", eventsPerSecond)
            let ns = String(format: "%.0f", seconds * 1e9 / Double(max(events, 1)))
            return "JSON parse+extract (\(kernel)): \(events) events, \(bytes / 1_000_000) MB "
                + "in \(String(format: "%.2f", seconds)) s: \(mb) MB/s, \(eps) events/s, "
                + "\(ns) ns/event, \(valuesExtracted) values, \(failedEvents) failures"
        }
    }

    /// The fields atom extraction reads (SPEC §2), plus the event context
    /// that enrichment and detection look at: about 60 paths.
    public static let ecsPaths: [String] = [
        "@timestamp", "event.kind", "event.category", "event.type", "event.action",
        "event.code", "event.module", "event.dataset", "event.outcome", "data_stream.dataset",
        "input.type", "client.ip", "destination.ip", "host.ip", "server.ip", "source.ip",
        "related.ip", "host.name", "host.hostname", "related.hosts", "client.name",
        "server.name", "log.hostname", "dns.question.name", "client.domain",
        "client.registered_domain", "destination.domain", "destination.registered_domain",
        "source.domain", "source.registered_domain", "server.domain",
        "server.registered_domain", "tls.client.x509.alternative_names", "url.domain",
        "url.registered_domain", "x509.subject.common_name", "x509.alternative_names",
        "user.domain", "user.name", "user.full_name", "related.user", "client.user.name",
        "source.user.name", "destination.user.name", "user.target.name",
        "user.effective.name", "client.user.email", "destination.user.email",
        "source.user.email", "user.email", "user.target.email", "email.from.address",
        "email.to.address", "user.id", "client.user.id", "user.target.id",
        "user.effective.id", "host.mac", "source.mac", "destination.mac", "host.id",
        "cloud.instance.id", "agent.id", "process.name", "winlog.event_id",
    ]

    /// Parses every line of `<corpus>/ecs/*.ndjson`, repeated until about
    /// `targetBytes` have been parsed, with the `ecsPaths` selection.
    public static func run(corpusDirectory: String,
                           targetBytes: Int = 100_000_000) throws -> Report {
        let folder = URL(fileURLWithPath: corpusDirectory).appendingPathComponent("ecs")
        var storage: [UInt8] = []
        var lines: [Range<Int>] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        where name.hasSuffix(".ndjson") {
            let data = try [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            var lineStart = 0
            for index in data.indices where data[index] == UInt8(ascii: "\n") {
                if index > lineStart {
                    lines.append(storage.count..<storage.count + index - lineStart)
                    storage.append(contentsOf: data[lineStart..<index])
                }
                lineStart = index + 1
            }
            if lineStart < data.count {
                lines.append(storage.count..<storage.count + data.count - lineStart)
                storage.append(contentsOf: data[lineStart...])
            }
        }
        guard !lines.isEmpty else { return Report(kernel: EventParser.activeKernel, events: 0,
                                                  bytes: 0, failedEvents: 0,
                                                  valuesExtracted: 0, seconds: 0) }

        let parser = EventParser(selection: FieldSelection(paths: ecsPaths))
        let fieldCount = parser.selection.count
        var events = 0, bytes = 0, failures = 0, values = 0
        let clock = ContinuousClock()
        let start = clock.now
        storage.withUnsafeBytes { all in
            while bytes < targetBytes {
                for range in lines {
                    do {
                        let event = try parser.parse(UnsafeRawBufferPointer(rebasing: all[range]))
                        for field in 0..<fieldCount { values += event.values(of: field).count }
                    } catch {
                        failures += 1
                    }
                    events += 1
                    bytes += range.count
                }
            }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds)
            + Double(elapsed.components.attoseconds) / 1e18
        return Report(kernel: EventParser.activeKernel, events: events, bytes: bytes,
                      failedEvents: failures, valuesExtracted: values, seconds: seconds)
    }
}
