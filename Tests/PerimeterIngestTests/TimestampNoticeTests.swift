import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import Testing

/// A `@timestamp` that is there but unusable is named with its line and
/// value (the event takes its arrival time, as before); a number small
/// enough to be seconds, or negative, is read as milliseconds, as
/// Elasticsearch reads it, and said so. No `@timestamp` at all, and a
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
            #"{"@timestamp":{"date":"2024-05-01"},"host":{"name":"h"}}"#,
            #"{"@timestamp":true,"host":{"name":"i"}}"#,
            #"{"@timestamp":-5,"host":{"name":"j"}}"#,
            #"{"@timestamp":[],"host":{"name":"k"}}"#,
        ].map { Array($0.utf8) }
        try pipeline.ingest(lines: lines, name: "ts")
        // Line 8's object and line 11's empty list are no value of the
        // field, but there: named as such (they were counted only).
        #expect(notices.map(\.line) == [1, 3, 7, 8, 9, 10, 11])
        #expect(notices.first?.description == "ts:1: @timestamp '2024-13-01T10:00:00Z' is no "
                + "time (RFC 3339 such as 2024-05-01T10:00:00Z, a day, or epoch milliseconds): "
                + "the arrival time is used")
        // 1,714,550,400 ms after the epoch: 19 days 20:15:50.400.
        #expect(notices.dropFirst().first?.message == "@timestamp '1714550400' is read as epoch "
                + "milliseconds, as Elasticsearch reads a number: 1970-01-20T20:15:50.400Z; if "
                + "the source wrote seconds, multiply them by 1,000")
        #expect(notices[2].message.hasPrefix(#"@timestamp '2024-05-01T10:00:00Z\u{07}' is no"#),
                "\(notices)")
        let shapeless = "@timestamp holds an object or an empty list, no time: the arrival "
            + "time is used"
        #expect(notices[3].message == shapeless)
        #expect(notices[4].message == "@timestamp holds no time (true, false or null): the "
                + "arrival time is used")
        #expect(notices[5].message == "@timestamp '-5' is read as epoch milliseconds, as "
                + "Elasticsearch reads a number: 1969-12-31T23:59:59.995Z, before 1970")
        #expect(notices[6].message == shapeless)
        // Lines 1, 5, 7, 8, 9 and 11 took the arrival time.
        #expect(pipeline.summary.withoutTimestamp == 6)
    }
}
