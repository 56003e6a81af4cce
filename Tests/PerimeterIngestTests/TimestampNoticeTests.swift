import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import Testing

/// A `@timestamp` that is there but unusable is named with its line and
/// value (the event takes its arrival time, as before); a number small
/// enough to be seconds is read as milliseconds, as Elasticsearch reads
/// it, and said to be most likely seconds. No `@timestamp` at all, and a
/// list whose later value is a time, are no notice.
@Suite struct TimestampNoticeTests {
    @Test func unusableAndLikelySecondsTimestampsAreNamedByLine() throws {
        let pipeline = try IngestPipeline(
            store: nil, inventory: Inventory(), rules: Set(DiscoveryRule.allCases),
            configuration: PerimeterConfiguration(), options: IngestOptions())
        var notices: [LineProblem] = []
        pipeline.onNotice = { notices.append($0) }
        let lines = [
            #"{"@timestamp":"2024-13-01T10:00:00Z","host":{"name":"a"}}"#,
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"b"}}"#,
            #"{"@timestamp":1714550400,"host":{"name":"c"}}"#,
            #"{"@timestamp":1714550400000,"host":{"name":"d"}}"#,
            #"{"host":{"name":"e"}}"#,
            #"{"@timestamp":["soon","2024-05-01"],"host":{"name":"f"}}"#,
            #"{"@timestamp":"2024-05-01T10:00:00Z\u0007","host":{"name":"g"}}"#,
        ].map { Array($0.utf8) }
        try pipeline.ingest(lines: lines, name: "ts")
        #expect(notices.map(\.line) == [1, 3, 7])
        #expect(notices.first?.description == "ts:1: @timestamp '2024-13-01T10:00:00Z' is no "
                + "time (RFC 3339 such as 2024-05-01T10:00:00Z, a day, or epoch milliseconds): "
                + "the arrival time is used")
        // 1,714,550,400 ms after the epoch: 19 days 20:15:50.400.
        #expect(notices.dropFirst().first?.message == "@timestamp '1714550400' is read as epoch "
                + "milliseconds, as Elasticsearch reads a number: 1970-01-20T20:15:50.400Z; if "
                + "the source wrote seconds, the event is dated 1970")
        #expect(notices.last?.message.hasPrefix(#"@timestamp '2024-05-01T10:00:00Z\u{07}' is no"#)
                == true, "\(notices)")
        // Lines 1, 5 and 7 took the arrival time.
        #expect(pipeline.summary.withoutTimestamp == 3)
    }
}
