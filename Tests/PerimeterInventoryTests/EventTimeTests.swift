import PerimeterInventory
import Testing

@Suite struct EventTimeTests {
    /// Values worked out by hand: 2024-05-01T10:00:00Z is 1,714,557,600 s.
    @Test(arguments: [
        ("2024-05-01T10:00:00Z", Int64(1_714_557_600_000)),
        ("2024-05-01T10:00:00.123Z", 1_714_557_600_123),
        ("2024-05-01T10:00:00.123456789Z", 1_714_557_600_123),
        ("2024-05-01T12:00:00+02:00", 1_714_557_600_000),
        ("2024-05-01T05:30:00-0430", 1_714_557_600_000),
        ("2024-05-01 10:00:00", 1_714_557_600_000),
        ("2024-05-01T10:00:00", 1_714_557_600_000),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -1_000),
        ("2000-02-29T00:00:00Z", 951_782_400_000),
        // Without seconds, as ISO 8601 allows.
        ("2024-05-01T10:00Z", 1_714_557_600_000),
        ("2024-05-01T12:00+02:00", 1_714_557_600_000),
        // A calendar date alone is its first instant, UTC: 10 hours before.
        ("2024-05-01", 1_714_521_600_000),
        // A leap second is its minute's last millisecond, after :59.5
        // (2016-12-31T23:59:59Z is 1,483,228,799 s).
        ("2016-12-31T23:59:60Z", 1_483_228_799_999),
        ("2016-12-31T23:59:60.5Z", 1_483_228_799_999),
        ("2016-12-31T23:59:59.5Z", 1_483_228_799_500),
    ])
    func parses(text: String, milliseconds: Int64) {
        #expect(EventTime(parsing: text)?.milliseconds == milliseconds)
        // Spaces around it, as a hand-written field may hold, are no part of it.
        let fromBytes = Array((" " + text + "  ").utf8).withUnsafeBufferPointer {
            EventTime(parsingUTF8: $0)
        }
        #expect(fromBytes?.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "yesterday", "2024-13-01T00:00:00Z", "2024-05-01T25:00:00Z",
                      "2026-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "1900-02-29T00:00:00Z",
                      "2024-05-01T10:00:00Zjunk", "1714557600", "2024-05-01T10:00:00.",
                      "2024-05-01T10:00:", "2024-05-01T10:00:7Z", "2024-05-01T10:00.5Z",
                      "2024-05-01T", "2024-05-32", "2024-05-01Z"])
    func refuses(text: String) {
        #expect(EventTime(parsing: text) == nil)
        #expect(Array(text.utf8).withUnsafeBufferPointer { EventTime(parsingUTF8: $0) } == nil)
    }

    /// Elasticsearch's epoch_millis: digits are milliseconds since 1970; a
    /// fraction of one is dropped toward the earlier instant.
    @Test(arguments: [("1714557600000", Int64(1_714_557_600_000)), ("0", 0), ("-1000", -1_000),
                      ("1714557600", 1_714_557_600), ("1714557600123.7", 1_714_557_600_123),
                      ("1714557600123.000", 1_714_557_600_123), ("-1000.5", -1_001)]
                      as [(String, Int64)])
    func readsEpochMilliseconds(text: String, milliseconds: Int64) {
        let time = Array(text.utf8).withUnsafeBufferPointer { EventTime(epochMillisecondsUTF8: $0) }
        #expect(time?.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "-", "1.5e12", "2024-05-01", "12345678901234567", " 17", "17.",
                      ".5", "1.2.3"])
    func refusesWhatIsNoEpochMilliseconds(text: String) {
        #expect(Array(text.utf8).withUnsafeBufferPointer { EventTime(epochMillisecondsUTF8: $0) }
                    == nil)
    }

    @Test func printsUTC() {
        #expect(EventTime(milliseconds: 1_714_557_600_123).description == "2024-05-01T10:00:00.123Z")
        #expect(EventTime(milliseconds: -1_000).description == "1969-12-31T23:59:59.000Z")
        #expect(EventTime(milliseconds: -1).description == "1969-12-31T23:59:59.999Z")
    }

    /// The ends of time print as words, and a time next to them prints at
    /// all: `-(Int64.min)` overflowed, and a confirmed atom rejected
    /// afterwards (closed at the start of time) stopped the server.
    @Test func printsTheEndsOfTime() {
        #expect(EventTime.distantPast.description == "-infinity")
        #expect(EventTime.distantFuture.description == "infinity")
        #expect(EventTime(milliseconds: .min + 1).description.hasSuffix(".193Z"))
        #expect(EventTime(milliseconds: .max - 1).description.hasSuffix(".806Z"))
    }

    /// Weeks start on Monday: 2024-05-01 was a Wednesday, its week began
    /// Monday 2024-04-29 (1,714,348,800 s).
    @Test func weekStart() {
        #expect(EventTime(parsing: "2024-05-01T10:00:00Z")!.weekStart.milliseconds == 1_714_348_800_000)
        #expect(EventTime(parsing: "2024-04-29T00:00:00Z")!.weekStart.milliseconds == 1_714_348_800_000)
        #expect(EventTime(parsing: "2024-04-28T23:59:59Z")!.weekStart.milliseconds == 1_713_744_000_000)
    }

    /// Settings' durations, up to a million days: a count that would
    /// overflow is refused, not trapped on.
    @Test(arguments: [
        ("90s", 90_000), ("15m", 900_000), ("24h", 86_400_000), (" 7D ", 604_800_000),
        ("52w", 31_449_600_000), ("0s", 0), ("1000000d", 86_400_000_000_000),
        ("1000001d", nil), ("142858w", nil), ("99999999999999999w", nil),
        ("9223372036854775807s", nil), ("-1d", nil), ("7", nil), ("7y", nil), ("", nil),
    ] as [(String, Int64?)])
    func durationsParse(text: String, milliseconds: Int64?) {
        #expect(Duration(parsing: text)?.milliseconds == milliseconds)
    }
}
