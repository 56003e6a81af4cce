import PerimeterModel

/// How an alert's urgency (0–100) is computed, as SPEC §6 defines it.
///
/// The severity comes from the rule level; the urgency is the mean of the severity and
/// the highest rated criticality among the alert's host and account assets, rounded half
/// up, or the severity alone when none of them is rated. Network assets are left out
/// by default (a /8 rated 90 would make every alert urgent). Raising the severity or
/// any criticality never lowers the result: the max and the mean are both monotone.
public struct UrgencyPolicy: Sendable, Hashable {
    public var severities: [RuleLevel: Int]
    /// The severity of a rule that has no level.
    public var defaultLevel: RuleLevel
    public var includesNetworks: Bool
    /// The criticality an unrated host or account counts as; nil (SPEC
    /// §6's formula) leaves it out, so that an alert on unrated assets has
    /// the rule's severity alone, and a rating under the severity lowers
    /// the urgency: an unrated laptop's critical alert (100) then outranks
    /// the domain controller's (95 gives 98). A SOC that rates its crown
    /// jewels first sets it (50: unrated counts as middling).
    public var unratedCriticality: Int?

    public init(severities: [RuleLevel: Int] = UrgencyPolicy.specSeverities,
                defaultLevel: RuleLevel = .medium, includesNetworks: Bool = false,
                unratedCriticality: Int? = nil) {
        self.severities = severities
        self.defaultLevel = defaultLevel
        self.includesNetworks = includesNetworks
        self.unratedCriticality = unratedCriticality
    }

    public static let specSeverities: [RuleLevel: Int] = [
        .informational: 10, .low: 25, .medium: 50, .high: 75, .critical: 100,
    ]

    public func severity(of level: RuleLevel?) -> Int {
        let level = level ?? defaultLevel
        return min(100, max(0, severities[level] ?? UrgencyPolicy.specSeverities[level] ?? 50))
    }

    /// The urgency of an alert of `level` on these assets.
    public func urgency(level: RuleLevel?, assets: [AlertAsset]) -> Int {
        let severity = severity(of: level)
        let rated = assets.filter { asset in
            includesNetworks || asset.category != .network
        }.compactMap { asset in
            asset.criticality ?? (asset.category == .network ? nil : unratedCriticality)
        }
        guard let highest = rated.max() else { return severity }
        let criticality = min(100, max(0, highest))
        // Half up: (s + c) / 2 rounded half up is (s + c + 1) / 2 on non-negative integers.
        return (severity + criticality + 1) / 2
    }

    /// The urgency of an alert as the store keeps it: `level` is its
    /// level's name (one no level has counts as none: the default level).
    public func urgency(storedLevel level: String, assets: [AlertAsset]) -> Int {
        urgency(level: RuleLevel(rawValue: level), assets: assets)
    }

    /// The formula as one line of text, for the store to keep what the
    /// alerts it holds were raised with: `critical=100,high=75,…;default=
    /// medium;networks=no;unrated=none`.
    public var recordText: String {
        let levels = RuleLevel.allCases.map { "\($0.rawValue)=\(severity(of: $0))" }
        return levels.joined(separator: ",") + ";default=\(defaultLevel.rawValue)"
            + ";networks=\(includesNetworks ? "yes" : "no")"
            + ";unrated=\(unratedCriticality.map(String.init) ?? "none")"
    }

    /// The formula `recordText` wrote; nil for text it did not write.
    public init?(recordText: String) {
        let parts = recordText.split(separator: ";").map(String.init)
        guard parts.count == 4 else { return nil }
        var severities: [RuleLevel: Int] = [:]
        for pair in parts[0].split(separator: ",") {
            let sides = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard sides.count == 2, let level = RuleLevel(rawValue: sides[0]),
                  let value = Int(sides[1]) else { return nil }
            severities[level] = value
        }
        func value(_ part: String, _ key: String) -> String? {
            part.hasPrefix(key + "=") ? String(part.dropFirst(key.count + 1)) : nil
        }
        guard severities.count == RuleLevel.allCases.count,
              let level = value(parts[1], "default").flatMap(RuleLevel.init(rawValue:)),
              let networks = value(parts[2], "networks"), ["yes", "no"].contains(networks),
              let unrated = value(parts[3], "unrated")
        else { return nil }
        let unratedValue = Int(unrated)
        guard unrated == "none" || unratedValue != nil else { return nil }
        self.init(severities: severities, defaultLevel: level, includesNetworks: networks == "yes",
                  unratedCriticality: unratedValue)
    }

    /// The label of an urgency: low 0–49, medium 50–74, high 75–100.
    public static func label(of urgency: Int) -> String {
        switch urgency {
        case ..<50: "low"
        case ..<75: "medium"
        default: "high"
        }
    }
}
