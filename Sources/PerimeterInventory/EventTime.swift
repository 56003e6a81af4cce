import Foundation

/// A point in event time, in milliseconds since 1970-01-01T00:00:00Z.
///
/// Integer milliseconds keep comparisons exact and cheap on the hot path;
/// `Date` is used only at the edges (output, the command line).
public struct EventTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public init(_ date: Date) { milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    public static let distantFuture = EventTime(milliseconds: .max)
    public static let distantPast = EventTime(milliseconds: .min)

    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public static func < (a: EventTime, b: EventTime) -> Bool { a.milliseconds < b.milliseconds }

    public static func + (time: EventTime, duration: Duration) -> EventTime {
        let (sum, overflow) = time.milliseconds.addingReportingOverflow(duration.milliseconds)
        return EventTime(milliseconds: overflow ? .max : sum)
    }

    public static func - (time: EventTime, duration: Duration) -> EventTime {
        let (difference, overflow) = time.milliseconds.subtractingReportingOverflow(duration.milliseconds)
        return EventTime(milliseconds: overflow ? .min : difference)
    }

    /// The Monday 00:00 UTC that starts this time's ISO week: activity is
    /// counted in such weekly buckets.
    public var weekStart: EventTime {
        let day: Int64 = 86_400_000
        // 1970-01-01 was a Thursday: shift so that weeks start on Monday.
        let shifted = milliseconds + 3 * day
        let week = shifted >= 0 ? shifted / (7 * day) : (shifted - 7 * day + 1) / (7 * day)
        return EventTime(milliseconds: week * 7 * day - 3 * day)
    }

    /// RFC 3339 text in UTC with milliseconds: `2024-05-01T10:00:00.000Z`;
    /// `-infinity` and `infinity` (PostgreSQL's words) for the two ends of
    /// time, which confirmed atoms start at and a rejection can close them
    /// at.
    public var description: String {
        if self == .distantPast { return "-infinity" }
        if self == .distantFuture { return "infinity" }
        // Floor division that cannot overflow near the ends.
        var seconds = milliseconds / 1000 - (milliseconds % 1000 < 0 ? 1 : 0)
        let millis = Int((milliseconds % 1000 + 1000) % 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        seconds -= days * 86_400
        let (year, month, day) = Self.civilDate(fromDays: days)
        func pad(_ v: Int, _ width: Int) -> String {
            let text = String(v)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(Int(seconds / 3600), 2)):\(pad(Int(seconds / 60 % 60), 2)):"
            + "\(pad(Int(seconds % 60), 2)).\(pad(millis, 3))Z"
    }

    // MARK: - Parsing

    /// Parses an ECS `@timestamp`: RFC 3339 / ISO 8601 with `T` or a
    /// space, optional fraction (kept to the millisecond), and an offset
    /// `Z`, `+hh:mm`, `+hhmm` or none; or a calendar date alone, its first
    /// instant. A timestamp without an offset is UTC: the machine's time
    /// zone never changes a result (SPEC §2).
    public init?(parsing text: some StringProtocol) {
        let parsed = text.utf8.withContiguousStorageIfAvailable { EventTime(parsingUTF8: $0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { EventTime(parsingUTF8: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Milliseconds since 1970 written as digits (a JSON number, or a
    /// string of them), as Elasticsearch's `epoch_millis` reads an event's
    /// `@timestamp`; ten digits are milliseconds too, as there. Nil for
    /// anything else.
    public init?(epochMillisecondsUTF8 text: UnsafeBufferPointer<UInt8>) {
        var digits = text[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        // A fraction of a millisecond (`1714557600123.7`, as Elasticsearch's
        // epoch_millis takes it) is dropped, toward the earlier instant.
        if let point = digits.firstIndex(of: UInt8(ascii: ".")) {
            let fraction = digits[digits.index(after: point)...]
            guard !fraction.isEmpty,
                  fraction.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return nil }
            let hasFraction = fraction.contains { $0 != UInt8(ascii: "0") }
            digits = digits[..<point]
            guard let whole = Self(epochMillisecondsUTF8: UnsafeBufferPointer(rebasing: digits))
            else { return nil }
            self.init(milliseconds: negative ? -whole.milliseconds - (hasFraction ? 1 : 0)
                      : whole.milliseconds)
            return
        }
        guard (1...16).contains(digits.count),
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        let magnitude = digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
        self.init(milliseconds: negative ? -magnitude : magnitude)
    }

    /// `init(parsing:)` on UTF-8 bytes, so that the reader hands over an
    /// event's `@timestamp` without making a String of it.
    public init?(parsingUTF8 text: UnsafeBufferPointer<UInt8>) {
        var start = 0, length = text.count
        while start < length, text[start] == UInt8(ascii: " ") { start += 1 }
        while length > start, text[length - 1] == UInt8(ascii: " ") { length -= 1 }
        let bytes = UnsafeBufferPointer(rebasing: text[start..<length])
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for _ in 0..<digits {
                let byte = bytes[index]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
                index += 1
            }
            return value
        }
        func expect(_ allowed: [UInt8]) -> Bool {
            guard index < bytes.count, allowed.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect([45]), let month = number(2), expect([45]),
              let day = number(2),
              (1...12).contains(month), (1...Self.days(inMonth: month, of: year)).contains(day)
        else { return nil }
        // A calendar date alone (ISO 8601, Elasticsearch's default date
        // format) is its first instant in UTC, as `--at` reads a day; it
        // took the arrival time.
        if index == bytes.count {
            milliseconds = Self.days(fromCivilYear: year, month: month, day: day) * 86_400_000
            return
        }
        guard expect([84, 116, 32]), let hour = number(2), expect([58]), let minute = number(2),
              hour < 24, minute < 60
        else { return nil }
        // ISO 8601 and Elasticsearch's date format let the seconds out
        // (`2024-05-04T10:00Z`); the event then lost its time to the arrival.
        var second = 0
        let hasSeconds = expect([58])
        if hasSeconds {
            guard let given = number(2), given < 61 else { return nil }
            second = given
        }
        var millis = 0
        if index < bytes.count, bytes[index] == 46 || bytes[index] == 44 {
            // A fraction belongs to the seconds (`10:00.5` is no time).
            guard hasSeconds else { return nil }
            index += 1
            var scale = 100
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                millis += Int(bytes[index] - 48) * scale
                scale /= 10
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
        }
        var offsetSeconds = 0
        if index < bytes.count {
            if bytes[index] == 90 || bytes[index] == 122 {
                index += 1
            } else if bytes[index] == 43 || bytes[index] == 45 {
                let sign = bytes[index] == 45 ? -1 : 1
                index += 1
                guard let hours = number(2) else { return nil }
                if index < bytes.count, bytes[index] == 58 { index += 1 }
                let minutes = index < bytes.count ? (number(2) ?? -1) : 0
                guard minutes >= 0, hours < 24, minutes < 60 else { return nil }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
            } else {
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        let days = Self.days(fromCivilYear: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59))
            - Int64(offsetSeconds)
        // A leap second (`23:59:60.5`) is the minute's last millisecond,
        // after every instant of its :59 (it sorted before `:59.5`).
        milliseconds = seconds * 1000 + Int64(second == 60 ? 999 : millis)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date
    /// (Howard Hinnant's `days_from_civil` algorithm).
    static func days(fromCivilYear year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The days of a month of the proleptic Gregorian calendar: February
    /// 30 is no date (it was read as March 2).
    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func civilDate(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}

/// A length of event time, in milliseconds.
public struct Duration: Sendable, Hashable, Comparable, Codable {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func seconds(_ s: Int64) -> Duration { Duration(milliseconds: s * 1000) }
    public static func hours(_ h: Int64) -> Duration { .seconds(h * 3600) }
    public static func days(_ d: Int64) -> Duration { .hours(d * 24) }

    public static func < (a: Duration, b: Duration) -> Bool { a.milliseconds < b.milliseconds }

    /// The longest duration a setting takes: about 27 centuries, far more
    /// than any window needs, and small enough that event times plus it
    /// stay far from overflowing.
    public static let longest = Duration.days(1_000_000)

    /// Parses `90s`, `15m`, `24h`, `7d`, `52w` (configuration values), up
    /// to `longest` (an absurd count trapped on overflow).
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last, let value = Int64(trimmed.dropLast()), value >= 0
        else { return nil }
        let secondsPerUnit: Int64
        switch unit {
        case "s": secondsPerUnit = 1
        case "m": secondsPerUnit = 60
        case "h": secondsPerUnit = 3_600
        case "d": secondsPerUnit = 86_400
        case "w": secondsPerUnit = 604_800
        default: return nil
        }
        guard value <= Self.longest.milliseconds / 1_000 / secondsPerUnit else { return nil }
        self = .seconds(value * secondsPerUnit)
    }
}
