/// A value that the model refuses, with what was expected.
///
/// The message reads "what failed: why", quotes the input (it is the
/// user's own) and suggests the nearest valid value when there is one.
public struct ModelError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case unknownValue = "unknown_value"
        case outOfRange = "out_of_range"
        case invalidValue = "invalid_value"
        case tooMany = "too_many"
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func unknownValue(kind: String, value: String,
                                    expected: [String]) -> ModelError {
        var message = "unknown \(kind) '\(value)'; expected "
        message += ListFormatting.disjunction(expected)
        if let near = NearestName.find(value, in: expected), near != value {
            message += " (did you mean '\(near)'?)"
        }
        return ModelError(code: .unknownValue, message: message)
    }

    public static func outOfRange(kind: String, value: String, range: String) -> ModelError {
        ModelError(code: .outOfRange,
                   message: "\(kind) '\(value)' is out of range; expected \(range)")
    }

    public static func invalid(_ kind: String, _ value: String, expected: String) -> ModelError {
        ModelError(code: .invalidValue,
                   message: "invalid \(kind) '\(value)': expected \(expected)")
    }
}

/// Words for lists in messages: "a, b or c", "a, b and c".
public enum ListFormatting {
    public static func disjunction(_ items: [String]) -> String { joined(items, "or") }

    public static func conjunction(_ items: [String]) -> String { joined(items, "and") }

    private static func joined(_ items: [String], _ word: String) -> String {
        switch items.count {
        case 0: return "nothing"
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " \(word) " + items.last!
        }
    }
}

/// Finds the closest candidate to a mistyped name, for "did you mean".
public enum NearestName {
    /// The candidate within an edit distance of 2 (or a third of the
    /// name's length, when longer), or nil when none is that close.
    public static func find(_ name: String, in candidates: [String]) -> String? {
        // A unique candidate that starts with what was typed is what was meant.
        let starting = candidates.filter { $0.lowercased().hasPrefix(name.lowercased()) }
        if starting.count == 1, name.count >= 3 { return starting[0] }
        let lowered = Array(name.lowercased().utf8)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, Array(candidate.lowercased().utf8))
            if distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        return distance <= max(2, lowered.count / 3) ? candidate : nil
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            current.reserveCapacity(b.count + 1)
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1,
                                   previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
