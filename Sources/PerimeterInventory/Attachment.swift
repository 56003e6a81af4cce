import PerimeterModel

/// Where an atom lives: one community and, optionally, one entity of it.
/// An entity-less key is the community-wide fallback (SPEC §1).
public struct ScopeKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var community: String
    public var entity: String?

    public init(community: String, entity: String? = nil) {
        self.community = community
        self.entity = entity
    }

    public init(_ scope: Scope) { self.init(community: scope.community, entity: scope.entity) }

    /// The community-wide key an entity falls back to.
    public var communityWide: ScopeKey { ScopeKey(community: community) }

    public var description: String { entity.map { "\(community)/\($0)" } ?? community }

    public static func < (a: ScopeKey, b: ScopeKey) -> Bool {
        (a.community, a.entity ?? "") < (b.community, b.entity ?? "")
    }
}

/// An atom in the scope it was seen in: the key of the timeline.
public struct AtomKey: Sendable, Hashable, Codable, Comparable {
    public var scope: ScopeKey
    public var atom: Atom

    public init(scope: ScopeKey, atom: Atom) {
        self.scope = scope
        self.atom = atom
    }

    public static func < (a: AtomKey, b: AtomKey) -> Bool { (a.scope, a.atom) < (b.scope, b.atom) }
}

/// How an atom came to point to an asset (SPEC §2 "Confirmed and observed").
public enum AttachmentKind: String, Sendable, Hashable, Codable {
    /// Set by a person or a connector: a detection property.
    case confirmed
    /// Made by discovery from events.
    case observed
}

/// One attachment of an atom to an asset over a validity interval
/// `[from, to)` of event time, with what made it.
public struct Attachment: Sendable, Hashable {
    /// Stable identity, also the row id in the store.
    public var id: Int64
    public var key: AtomKey
    public var asset: AssetID
    public var kind: AttachmentKind
    public var from: EventTime
    /// The explicit end: a move, a lease release, an analyst's action.
    public var to: EventTime?
    /// The latest event time this attachment was seen at.
    public var lastSeen: EventTime
    /// The event (`file:line`) or action that opened the attachment.
    public var origin: String
    /// Event times of recent sightings, newest last, inside the lateness
    /// window only: they let an out-of-order sighting of another holder
    /// split this interval exactly where in-order arrival would have.
    public var recentSightings: [EventTime]

    public init(id: Int64, key: AtomKey, asset: AssetID, kind: AttachmentKind,
                from: EventTime, to: EventTime? = nil, lastSeen: EventTime? = nil,
                origin: String, recentSightings: [EventTime] = []) {
        self.id = id
        self.key = key
        self.asset = asset
        self.kind = kind
        self.from = from
        self.to = to
        self.lastSeen = lastSeen ?? from
        self.origin = origin
        self.recentSightings = recentSightings
    }

    /// `[t, t)`: an interval that holds no instant. A lease release that
    /// arrived before its grant leaves one (`Inventory.isReleaseMarker`),
    /// as does a holder superseded at the very time it began, and a person
    /// rejecting the atom empties its attachments so. It answers no "who
    /// held it at T"; the views show only the rejections among them.
    public var holdsNoTime: Bool { to == from }

    /// The end of validity, counting the expiry of observed addresses
    /// (SPEC §2: they close a configurable time after they were last seen).
    public func end(addressExpiry: Duration) -> EventTime {
        Self.end(to: to, lastSeen: lastSeen, kind: kind,
                 atomIsAddress: key.atom.type.isAddress, addressExpiry: addressExpiry)
    }

    public func isValid(at time: EventTime, addressExpiry: Duration) -> Bool {
        Self.isValid(from: from, to: to, lastSeen: lastSeen, kind: kind,
                     atomIsAddress: key.atom.type.isAddress, at: time,
                     addressExpiry: addressExpiry)
    }

    // The two rules on an attachment's fields, for a loop that reads them
    // in place out of the inventory's array: a method called on an element
    // read in place makes the compiler copy the whole attachment first (its
    // strings retained and released), and the validity test runs for every
    // holder of every atom of every event.

    @inline(__always)
    static func end(to: EventTime?, lastSeen: EventTime, kind: AttachmentKind,
                    atomIsAddress: Bool, addressExpiry: Duration) -> EventTime {
        let end = to ?? .distantFuture
        return kind == .observed && atomIsAddress ? min(end, lastSeen + addressExpiry) : end
    }

    @inline(__always)
    static func isValid(from: EventTime, to: EventTime?, lastSeen: EventTime,
                        kind: AttachmentKind, atomIsAddress: Bool, at time: EventTime,
                        addressExpiry: Duration) -> Bool {
        from <= time && time < end(to: to, lastSeen: lastSeen, kind: kind,
                                   atomIsAddress: atomIsAddress, addressExpiry: addressExpiry)
    }
}

/// Two assets that claim one exclusive atom: recorded and shown, never
/// silently merged (SPEC §2).
public struct AtomConflict: Sendable, Hashable {
    public var key: AtomKey
    public var assets: [AssetID]
    public var at: EventTime
    public var reason: String

    public init(key: AtomKey, assets: [AssetID], at: EventTime, reason: String) {
        self.key = key
        self.assets = assets
        self.at = at
        self.reason = reason
    }
}

/// One entry of the audit trail: who changed what, when, before and after.
public struct AuditRecord: Sendable, Hashable {
    public var asset: AssetID
    public var actor: String
    public var action: String
    public var at: EventTime
    public var before: String?
    public var after: String?

    public init(asset: AssetID, actor: String, action: String, at: EventTime,
                before: String? = nil, after: String? = nil) {
        self.asset = asset
        self.actor = actor
        self.action = action
        self.at = at
        self.before = before
        self.after = after
    }
}

/// The events one atom was seen in during one week, to add to its stored
/// count. A batch holds one of these per atom and week at most.
public struct WeeklyActivity: Sendable, Hashable {
    public var key: AtomKey
    public var weekStart: EventTime
    public var count: Int

    public init(key: AtomKey, weekStart: EventTime, count: Int) {
        self.key = key
        self.weekStart = weekStart
        self.count = count
    }
}
