import PerimeterInventory

/// What an ingest did, for the summary printed at the end and the
/// counters kept in the store.
public struct IngestSummary: Sendable {
    public var eventsRead = 0
    public var malformed = 0
    public var enriched = 0
    public var ambiguous = 0
    public var late = 0
    public var future = 0
    public var withoutTimestamp = 0
    public var droppedDottedHostnames = 0
    public var oversizedLines = 0
    /// Malformed last lines without a newline, left unread for the next
    /// run (a writer may not have finished them): reported and counted in
    /// `malformed` here, but not in the store's totals, as the run that
    /// reads them whole counts them.
    public var unterminatedLastLines = 0
    /// Where the first late and the first future event were (`file:line`):
    /// counted alone, a summary's 154 late events could not be found.
    public var firstLate: String?
    public var firstFuture: String?
    public var atomsSeen = 0
    /// The identifiers found claimed by several assets during the run,
    /// each once however many events named it (a run over the corpus
    /// recorded 870 conflicts on 98 identifiers).
    public var atomsInConflict: Set<AtomKey> = []
    public var created: [DiscoveryRule: Int] = [:]
    public var resumedSources = 0
    public var skippedLines = 0
    public var seconds = 0.0
    public var bytes: UInt64 = 0

    public init() {}

    public var eventsPerSecond: Double { seconds > 0 ? Double(eventsRead) / seconds : 0 }

    /// Non-blank lines read: `eventsRead` counts the malformed ones too,
    /// this adds the oversized ones, which the reader skipped unparsed.
    public var linesRead: Int { eventsRead + oversizedLines }
    /// The lines read that were events.
    public var eventsIngested: Int { eventsRead - malformed }

    /// The counters added to the store's running totals.
    var counters: [String: Int] {
        var values: [String: Int] = [
            "events_read": eventsRead - unterminatedLastLines,
            "events_malformed": malformed - unterminatedLastLines,
            "events_enriched": enriched, "events_late": late, "events_future": future,
            "events_without_timestamp": withoutTimestamp,
            "dotted_hostnames_dropped": droppedDottedHostnames,
        ]
        for (rule, count) in created { values["assets_created_\(rule.rawValue)"] = count }
        return values
    }

    static func - (a: IngestSummary, b: IngestSummary) -> [String: Int] {
        var result: [String: Int] = [:]
        let before = b.counters
        for (name, value) in a.counters { result[name] = value - (before[name] ?? 0) }
        return result
    }
}
