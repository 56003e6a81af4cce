import Foundation
import PerimeterEnrichment
import PerimeterIngest
import PerimeterInventory
import PerimeterJSON
import PerimeterModel
import PerimeterStore

/// What one chunk of an intake request did.
struct IntakeOutcome: Sendable {
    struct Problem: Sendable {
        /// The line number in the request body, from 1.
        var line: Int
        /// The parser's stable code; no text of the line.
        var code: String
        var byteOffset: Int?
    }

    var received = 0
    var malformed = 0
    var enriched = 0
    var created = 0
    var late = 0
    var future = 0
    var problems: [Problem] = []
    /// The enriched events, one per line, when asked for.
    var enrichedLines: [UInt8] = []

    mutating func add(_ other: IntakeOutcome) {
        received += other.received
        malformed += other.malformed
        enriched += other.enriched
        created += other.created
        late += other.late
        future += other.future
        problems += other.problems
        enrichedLines += other.enrichedLines
    }
}

extension InventoryService {
    /// Runs lines of NDJSON through discovery and enrichment for one scope
    /// and commits what changed. The HTTP handler cuts a large body into
    /// several calls, so edits and job chunks interleave with intake.
    ///
    /// `lines` are byte ranges of `body`; `firstLine` is the number of
    /// the first of them in the request.
    func ingest(_ body: [UInt8], lines: ArraySlice<Range<Int>>, firstLine: Int, scope: ScopeKey,
                returnEnriched: Bool, view: EnrichmentView = .detection) throws -> IntakeOutcome {
        let rules = try rules(community: scope.community)
        let arrival = EventTime(Date())
        let stream = "http:\(scope.community)/\(scope.entity ?? "")"
        var outcome = IntakeOutcome()
        var createdByRule: [DiscoveryRule: Int] = [:]
        body.withUnsafeBytes { bytes in
            for (offset, range) in lines.enumerated() {
                let line = UnsafeRawBufferPointer(rebasing: bytes[range])
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let number = firstLine + offset
                outcome.received += 1
                let event: ReadEvent
                do {
                    event = try reader.read(line, scope: scope, reference: "http:\(number)",
                                            arrival: arrival)
                } catch let error as JSONParseError {
                    outcome.malformed += 1
                    outcome.problems.append(.init(line: number, code: error.code.rawValue,
                                                  byteOffset: error.byteOffset))
                    continue
                } catch {
                    outcome.malformed += 1
                    outcome.problems.append(.init(line: number, code: "unreadable"))
                    continue
                }
                let observed = inventory.observe(event.observation, rules: rules, now: arrival,
                                                 stream: stream,
                                                 advancesWatermark: event.hasEventTime)
                switch observed.timing {
                case .accepted: break
                case .late: outcome.late += 1
                case .future: outcome.future += 1
                }
                for (_, rule) in observed.created { createdByRule[rule, default: 0] += 1 }
                outcome.created += observed.created.count
                let match = inventory.match(event.observation.atoms, in: scope,
                                            at: event.observation.time)
                let enrichment = AssetEnrichment(assets: inventory.enrichmentOrder(match.assets),
                                                 bounds: configuration.criticalityBounds,
                                                 isAmbiguous: match.isAmbiguous)
                if !enrichment.isEmpty { outcome.enriched += 1 }
                if returnEnriched {
                    EnrichedEventWriter.write(
                        line: line, parsed: event.parsed,
                        sekoiaioMembers: enrichment.sekoiaioMembers(view: view),
                        into: &outcome.enrichedLines)
                    outcome.enrichedLines.append(0x0A)
                }
            }
        }
        var counters = [
            "events_read": outcome.received, "events_malformed": outcome.malformed,
            "events_enriched": outcome.enriched, "events_late": outcome.late,
            "events_future": outcome.future,
        ]
        for (rule, count) in createdByRule { counters["assets_created_\(rule.rawValue)"] = count }
        try store.persist(inventory.drainChanges(), progress: nil, counters: counters,
                          community: scope.community)
        intakeTotals.received += outcome.received
        intakeTotals.malformed += outcome.malformed
        intakeTotals.enriched += outcome.enriched
        intakeTotals.created += outcome.created
        return outcome
    }
}
