import Foundation
import PerimeterModel

/// An alert: the matches of one rule on the same assets within a window of event time.
public struct Alert: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable { case open, closed }

    public var uuid: String
    public var ruleID: String
    public var ruleTitle: String
    public var level: RuleLevel
    public var urgency: Int
    public var community: String?
    public var entity: String?
    /// Sorted by uuid: part of the grouping key.
    public var assets: [AlertAsset]
    public var firstSeen: Date
    public var lastSeen: Date
    public var count: Int
    public var state: State
    /// The first and last enriched events (JSON), since there is no event store.
    public var firstEvent: String
    public var lastEvent: String

    public var urgencyLabel: String { UrgencyPolicy.label(of: urgency) }
}

/// Where alerts go: the store persists them, `--alerts FILE` writes NDJSON.
public protocol AlertSink {
    /// Called with a new alert, and again each time a match joins it.
    mutating func record(_ alert: Alert) throws
}

/// A match ready to become an alert: what detection and enrichment know of it.
public struct AlertCandidate: Sendable {
    public var match: RuleMatch
    public var eventTime: Date
    public var assets: [AlertAsset]
    public var community: String?
    public var entity: String?
    public var event: String

    public init(match: RuleMatch, eventTime: Date, assets: [AlertAsset], community: String?,
                entity: String?, event: String) {
        self.match = match
        self.eventTime = eventTime
        self.assets = assets
        self.community = community
        self.entity = entity
        self.event = event
    }
}

/// Groups matches into alerts: matches of the same rule on the same assets (community,
/// entity, rule, sorted asset uuids) within `window` of event time join the open alert.
/// A pure state machine: candidate in, alert out; the caller persists it.
public struct AlertGrouper: Sendable {
    public var window: TimeInterval
    public var policy: UrgencyPolicy
    private var open: [Key: Alert] = [:]
    private var makeUUID: @Sendable () -> String

    struct Key: Hashable {
        var community: String?
        var entity: String?
        var ruleID: String
        var assetUUIDs: [String]
    }

    public init(window: TimeInterval = 3600, policy: UrgencyPolicy = UrgencyPolicy(),
                makeUUID: @escaping @Sendable () -> String = { UUID.random().lowercasedText }) {
        self.window = window
        self.policy = policy
        self.makeUUID = makeUUID
    }

    public var openAlerts: [Alert] { Array(open.values) }

    /// Opens an alert or adds the match to the open one; returns the alert as it now is.
    public mutating func add(_ candidate: AlertCandidate) -> Alert {
        let assets = Array(Set(candidate.assets)).sorted { $0.uuid < $1.uuid }
        let key = Key(community: candidate.community, entity: candidate.entity,
                      ruleID: candidate.match.ruleID, assetUUIDs: assets.map(\.uuid))
        let urgency = policy.urgency(level: candidate.match.level, assets: assets)
        if var alert = open[key], alert.state == .open,
           candidate.eventTime.timeIntervalSince(alert.lastSeen) <= window,
           alert.firstSeen.timeIntervalSince(candidate.eventTime) <= window {
            alert.count += 1
            if candidate.eventTime >= alert.lastSeen {
                alert.lastSeen = candidate.eventTime
                alert.lastEvent = candidate.event
            }
            if candidate.eventTime < alert.firstSeen {
                alert.firstSeen = candidate.eventTime
                alert.firstEvent = candidate.event
            }
            alert.urgency = max(alert.urgency, urgency)
            open[key] = alert
            return alert
        }
        let alert = Alert(
            uuid: makeUUID(), ruleID: candidate.match.ruleID, ruleTitle: candidate.match.title,
            level: candidate.match.level ?? policy.defaultLevel, urgency: urgency,
            community: candidate.community, entity: candidate.entity, assets: assets,
            firstSeen: candidate.eventTime, lastSeen: candidate.eventTime, count: 1, state: .open,
            firstEvent: candidate.event, lastEvent: candidate.event)
        open[key] = alert
        return alert
    }

    /// Closes the open alerts whose last match is older than `window` before `time`.
    public mutating func closeExpired(before time: Date) -> [Alert] {
        var closed: [Alert] = []
        for (key, var alert) in open where time.timeIntervalSince(alert.lastSeen) > window {
            alert.state = .closed
            closed.append(alert)
            open[key] = nil
        }
        return closed
    }
}
