/// A route path such as `/v1/assets/{uuid}/history`: literal segments and
/// `{name}` segments that each match one non-empty path segment.
public struct RouteTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    /// The template as written; the access log records this.
    public let text: String
    let segments: [Segment]

    /// Parses `text`; nil unless it starts with `/` and every `{…}` is a
    /// whole segment with a unique, non-empty name.
    public init?(_ text: String) {
        guard text.hasPrefix("/") else { return nil }
        var names: Set<String> = []
        var segments: [Segment] = []
        for part in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                let name = String(part.dropFirst().dropLast())
                guard !name.contains("{"), !name.contains("}"),
                      names.insert(name).inserted else { return nil }
                segments.append(.parameter(name))
            } else {
                guard !part.contains("{"), !part.contains("}") else { return nil }
                segments.append(.literal(String(part)))
            }
        }
        self.text = text
        self.segments = segments
    }

    public var description: String { text }

    /// The parameter values when `path` (already split and decoded) fits.
    func match(_ path: [String]) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(segments, path) {
            switch segment {
            case .literal(let literal):
                guard literal == value else { return nil }
            case .parameter(let name):
                guard !value.isEmpty else { return nil }
                parameters[name] = value
            }
        }
        return parameters
    }

    /// Orders matching templates: at the first segment where they differ,
    /// a literal beats a parameter (`/v1/assets/export` over
    /// `/v1/assets/{uuid}`).
    func isMoreSpecific(than other: RouteTemplate) -> Bool {
        for (mine, theirs) in zip(segments, other.segments) {
            switch (mine, theirs) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }
}
