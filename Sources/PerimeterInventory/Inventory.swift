import Foundation
import PerimeterModel

/// The whole inventory of assets, atoms and their timeline, in memory.
///
/// It is the authority while events flow: discovery and enrichment read
/// and change it with no I/O, and the store persists what changed
/// (`drainChanges()`) in the same transaction as the ingest progress, so
/// the store and this state never disagree after a commit. Not
/// thread-safe: one ingest loop owns it.
public final class Inventory {
    public var settings: InventorySettings
    /// Per input stream (a file, standard input, an intake), the event
    /// time of its newest event that changed structure: the lateness
    /// window is measured back from it. Streams are separate so that a
    /// replay of last month's file is not "late" because another source
    /// is at today.
    public private(set) var watermarks: [String: EventTime] = [:]
    /// The stream of the event being observed.
    private(set) var stream = "default"

    /// Makes `name` the stream whose watermark applies from now on.
    func enter(stream name: String) {
        guard name != stream else { return }
        flushStreamWatermark(of: stream)
        stream = name
        streamWatermark = watermarks[name] ?? .distantPast
    }
    private var changedWatermarks: Set<String> = []
    /// The current stream's watermark, kept out of the dictionary while
    /// the stream stays the same (it moves with nearly every event).
    private var streamWatermark: EventTime = .distantPast
    private var streamWatermarkMoved = false

    /// The watermark of the stream being read.
    public var watermark: EventTime { streamWatermark }

    private func flushStreamWatermark(of name: String) {
        guard streamWatermarkMoved else { return }
        watermarks[name] = streamWatermark
        changedWatermarks.insert(name)
        streamWatermarkMoved = false
    }

    public internal(set) var assets: [AssetID: Asset] = [:]
    /// Revoked assets, kept apart so matching need not copy asset records.
    var revokedAssets: Set<AssetID> = []
    var attachments: [Attachment] = []
    let timelines = TimelineIndex()
    var attachmentsByAsset: [AssetID: [Int32]] = [:]
    /// Qualified usernames by their bare name, so that an unqualified
    /// name can match the single account that holds it.
    var usernamesByBareName: [AtomKey: Set<String>] = [:]
    var networks = NetworkIndex()
    public internal(set) var rejected: Set<RejectedAtom> = []
    /// The shared atoms, each with when it became shared, in event time:
    /// sightings from then on attach it to no host; earlier ones, arriving
    /// late, still count (an atom loaded without it is shared since forever).
    var sharedSince: [AtomKey: EventTime] = [:]
    /// Lease releases that found no lease to end when they arrived, by
    /// address (see `waitForGrant`); in memory only, for the lateness window.
    var waitingReleases: [AtomKey: [WaitingRelease]] = [:]
    /// The addresses of the waiting releases that name each MAC.
    var waitingAddressesByMAC: [Atom: Set<AtomKey>] = [:]
    /// The shared atoms (SPEC §2, shared addresses).
    public var sharedAtoms: Set<AtomKey> { Set(sharedSince.keys) }
    var nextAttachmentID: Int64 = 1

    public internal(set) var pending = PendingChanges()

    public init(settings: InventorySettings = InventorySettings()) {
        self.settings = settings
    }

    // MARK: - Loading (from the store, at start-up)

    /// Adds an asset as it was stored; records no change.
    public func load(asset: Asset) {
        assets[asset.id] = asset
        refreshDerivedState(of: asset)
    }

    /// Keeps the revoked set in step with an asset record just stored.
    func refreshDerivedState(of asset: Asset) {
        if asset.isRevoked { revokedAssets.insert(asset.id) } else { revokedAssets.remove(asset.id) }
    }

    /// Adds an attachment as it was stored; records no change.
    public func load(attachment: Attachment) {
        insert(attachment)
        nextAttachmentID = max(nextAttachmentID, attachment.id + 1)
    }

    public func load(rejected atom: RejectedAtom) { rejected.insert(atom) }
    public func load(sharedAtom key: AtomKey, since: EventTime? = nil) {
        sharedSince[key] = since ?? .distantPast
    }
    /// Starts a stream over. A file read again from its start (truncated
    /// and written again, a new file on a deleted one's inode, a run that
    /// does not resume) is a new stream: its events are late against its
    /// own newest, not against the newest of the file it replaced, whose
    /// device and inode it shares. The stored watermark is replaced too.
    public func restart(stream name: String) {
        if name == stream {
            streamWatermark = .distantPast
            streamWatermarkMoved = false
        }
        guard watermarks[name] != nil else { return }
        watermarks[name] = .distantPast
        changedWatermarks.insert(name)
    }

    public func load(watermark time: EventTime, stream: String) {
        watermarks[stream] = max(watermarks[stream] ?? .distantPast, time)
        if stream == self.stream { streamWatermark = max(streamWatermark, time) }
    }

    // MARK: - Reading

    public var assetCount: Int { assets.count }
    public var attachmentCount: Int { attachments.count }

    public func asset(_ id: AssetID) -> Asset? { assets[id] }

    public func attachment(withID id: Int64) -> Attachment? {
        attachments.first { $0.id == id }
    }

    /// Every attachment of an asset, past and present, oldest first.
    public func attachments(of asset: AssetID) -> [Attachment] {
        (attachmentsByAsset[asset] ?? []).map { attachments[Int($0)] }
            .sorted { ($0.from, $0.id) < ($1.from, $1.id) }
    }

    /// Every attachment of one atom in one scope, oldest first.
    public func timeline(of key: AtomKey) -> [Attachment] {
        (timelines[key] ?? []).map { attachments[Int($0)] }
            .sorted { ($0.from, $0.id) < ($1.from, $1.id) }
    }

    /// How many scoped atoms the in-memory index holds: those with an
    /// attachment, and at most `settings.unattachedAtomsKept` more (or as
    /// many more as are attached) after a batch's changes are drained.
    public var indexedAtomCount: Int { timelines.count }

    /// The atoms an asset holds at `time` (confirmed and observed).
    public func atoms(of asset: AssetID, at time: EventTime) -> [Attachment] {
        attachments(of: asset).filter { $0.isValid(at: time, addressExpiry: settings.addressExpiry) }
    }

    /// The assets that hold an atom at `time` in exactly this scope key
    /// (no entity fallback), revoked ones left out.
    func holders(of key: AtomKey, at time: EventTime) -> [AssetID] {
        guard let id = timelines.id(of: key) else { return [] }
        return holders(ofAtomID: id, at: time)
    }

    /// Whether the attachment at `index` holds at `time`, its fields read
    /// in place (see `Attachment.isValid(from:to:lastSeen:kind:...)`).
    func isAttachmentValid(_ index: Int32, at time: EventTime) -> Bool {
        let i = Int(index)
        let type = attachments[i].key.atom.type
        return Attachment.isValid(from: attachments[i].from, to: attachments[i].to,
                                  lastSeen: attachments[i].lastSeen, kind: attachments[i].kind,
                                  atomIsAddress: type.isAddress, at: time,
                                  addressExpiry: settings.addressExpiry)
    }

    func holders(ofAtomID id: Int32, at time: EventTime) -> [AssetID] {
        var result: [AssetID] = []
        holders(ofAtomID: id, at: time, into: &result)
        return result
    }

    /// `holders(ofAtomID:at:)` written into `result`, which it empties
    /// first: matching reuses one array for all of an event's atoms rather
    /// than allocate and free one per atom.
    func holders(ofAtomID id: Int32, at time: EventTime, into result: inout [AssetID]) {
        result.removeAll(keepingCapacity: true)
        let expiry = settings.addressExpiry
        let checksRevoked = !revokedAssets.isEmpty
        let isAddress = timelines.type(of: id).isAddress
        // Read in place: copying an attachment out retains its strings.
        attachments.withUnsafeBufferPointer { attachments in
            timelines.forEachIndex(id) { index in
                let i = Int(index)
                let asset = attachments[i].asset
                guard Attachment.isValid(from: attachments[i].from, to: attachments[i].to,
                                         lastSeen: attachments[i].lastSeen,
                                         kind: attachments[i].kind, atomIsAddress: isAddress,
                                         at: time, addressExpiry: expiry),
                      !checksRevoked || !revokedAssets.contains(asset),
                      !result.contains(asset)
                else { return }
                result.append(asset)
            }
        }
    }

    /// The assets that hold an atom at `time`, seen from an event of
    /// `scope`: the entity's own assets win over entity-less ones for the
    /// same atom (SPEC §1).
    public func holders(of atom: Atom, in scope: ScopeKey, at time: EventTime) -> [AssetID] {
        if scope.entity != nil {
            let own = holders(of: AtomKey(scope: scope, atom: atom), at: time)
            if !own.isEmpty { return own }
        }
        return holders(of: AtomKey(scope: scope.communityWide, atom: atom), at: time)
    }

    /// The accounts an unqualified user name may denote: the local account
    /// of that name, else every domain account of that bare name.
    func accountCandidates(bareName: String, in scope: ScopeKey, at time: EventTime,
                           includingLater: Bool = false) -> [AssetID] {
        func find(_ atom: Atom, _ scope: ScopeKey) -> [AssetID] {
            includingLater ? identityHolders(of: atom, in: scope, at: time)
                : holders(of: atom, in: scope, at: time)
        }
        let local = find(Atom(type: .username, normalizedValue: bareName), scope)
        if !local.isEmpty { return local }
        var result: [AssetID] = []
        for key in [scope, scope.communityWide] where key.entity != nil || key == scope.communityWide {
            let bareKey = AtomKey(scope: key, atom: Atom(type: .username, normalizedValue: bareName))
            for qualified in usernamesByBareName[bareKey] ?? [] {
                let atom = Atom(type: .username, normalizedValue: qualified)
                let owners = includingLater ? identityHolders(of: atom, in: key, at: time)
                    : holders(of: AtomKey(scope: key, atom: atom), at: time)
                for asset in owners where !result.contains(asset) {
                    result.append(asset)
                }
            }
            if !result.isEmpty { break }
        }
        return result
    }

    // MARK: - Changing

    func insert(_ attachment: Attachment) {
        let index = Int32(attachments.count)
        attachments.append(attachment)
        timelines.append(index, to: attachment.key)
        attachmentsByAsset[attachment.asset, default: []].append(index)
        if let bare = attachment.key.atom.bareUserName {
            let bareKey = AtomKey(scope: attachment.key.scope,
                                  atom: Atom(type: .username, normalizedValue: bare))
            usernamesByBareName[bareKey, default: []].insert(attachment.key.atom.value)
        }
        if attachment.key.atom.type == .cidr {
            networks.insert(attachment, at: Int32(attachments.count - 1))
        }
    }

    /// Opens a new attachment and records it for the store.
    @discardableResult
    func attach(_ atom: AtomKey, to asset: AssetID, kind: AttachmentKind, from: EventTime,
                to end: EventTime? = nil, origin: String) -> Int32 {
        let attachment = Attachment(id: nextAttachmentID, key: atom, asset: asset, kind: kind,
                                    from: from, to: end, origin: origin,
                                    recentSightings: kind == .observed ? [from] : [])
        nextAttachmentID += 1
        insert(attachment)
        let index = Int32(attachments.count - 1)
        pending.attachments.insert(index)
        return index
    }

    func update(_ index: Int32, _ change: (inout Attachment) -> Void) {
        change(&attachments[Int(index)])
        pending.attachments.insert(index)
    }

    /// Records a change of an attachment's last sighting and recent
    /// sightings alone: the store writes those to a narrow table of their
    /// own instead of rewriting the attachment's row.
    func updateSightings(_ index: Int32, _ change: (inout Attachment) -> Void) {
        change(&attachments[Int(index)])
        pending.sightedAttachments.insert(index)
    }

    func markChanged(_ asset: AssetID) {
        pending.assets.insert(asset)
        if let record = assets[asset] { refreshDerivedState(of: record) }
    }

    /// Moves the watermark forward after a structural change at `time`.
    func advanceWatermark(to time: EventTime) {
        guard time > streamWatermark else { return }
        streamWatermark = time
        streamWatermarkMoved = true
    }

    /// Everything in memory as one batch of changes: for seeding a new
    /// store from an inventory built in memory (the benchmark, imports).
    public func snapshotChanges() -> InventoryChanges {
        flushStreamWatermark(of: stream)
        return InventoryChanges(
            assets: Array(assets.values), attachments: attachments, conflicts: [], audit: [],
            activity: [], unclaimed: [:], rejected: Array(rejected),
            shared: sharedSince,
            watermarks: watermarks)
    }

    /// Forgets the changes since the last drain without converting them:
    /// a run with no store keeps nothing.
    public func discardChanges() {
        flushStreamWatermark(of: stream)
        changedWatermarks = []
        pending = PendingChanges()
        timelines.discardActivity()
        timelines.dropUnattachedAtoms(ifMoreThan: settings.unattachedAtomsKept)
    }

    /// Hands the changes since the last call to the store, and forgets them.
    public func drainChanges() -> InventoryChanges {
        flushStreamWatermark(of: stream)
        // Empty here as a rule: assigning spares rehashing every count.
        if pending.activity.isEmpty {
            pending.activity = timelines.drainActivity()
        } else {
            pending.activity.merge(timelines.drainActivity(), uniquingKeysWith: +)
        }
        let changes = InventoryChanges(
            assets: pending.assets.compactMap { assets[$0] },
            seenTimes: pending.seenAssets.subtracting(pending.assets).compactMap { id in
                assets[id].map { SeenTimes(asset: id, firstSeen: $0.firstSeen, lastSeen: $0.lastSeen) }
            },
            attachments: pending.attachments.sorted().map { attachments[Int($0)] },
            sightings: pending.sightedAttachments.subtracting(pending.attachments).sorted().map {
                AttachmentSightings(attachments[Int($0)])
            },
            conflicts: pending.conflicts,
            audit: pending.audit,
            // An array, not a dictionary: the counters are distinct already,
            // and hashing every atom's texts again cost 2 µs an event.
            activity: pending.activity.map { counter, count in
                WeeklyActivity(key: timelines.key(counter.atom), weekStart: counter.weekStart,
                               count: count)
            },
            unclaimed: Dictionary(uniqueKeysWithValues: pending.unclaimed.map { id, time in
                (timelines.key(id), time)
            }),
            rejected: pending.rejected,
            shared: pending.shared,
            watermarks: watermarks.filter { changedWatermarks.contains($0.key) })
        pending = PendingChanges()
        changedWatermarks = []
        if !waitingReleases.isEmpty { dropWaitingReleasesPastTheLatenessWindow() }
        timelines.dropUnattachedAtoms(ifMoreThan: settings.unattachedAtomsKept)
        return changes
    }
}

/// An atom an analyst rejected for one asset: never attached to it again.
public struct RejectedAtom: Sendable, Hashable {
    public var asset: AssetID
    public var atom: Atom

    public init(asset: AssetID, atom: Atom) {
        self.asset = asset
        self.atom = atom
    }
}

/// What changed since the store last persisted the inventory.
public struct PendingChanges: Sendable {
    var assets: Set<AssetID> = []
    /// Assets whose first or last seen time alone changed.
    var seenAssets: Set<AssetID> = []
    var attachments: Set<Int32> = []
    /// Attachments whose last sighting or recent sightings alone changed.
    var sightedAttachments: Set<Int32> = []
    var conflicts: [AtomConflict] = []
    var audit: [AuditRecord] = []
    /// Events seen per (interned atom, week).
    var activity: [ActivityCounter: Int] = [:]
    /// Unclaimed atoms (by interned id) and when they were last seen.
    var unclaimed: [Int32: EventTime] = [:]
    var rejected: [RejectedAtom] = []
    var shared: [AtomKey: EventTime] = [:]

    public var isEmpty: Bool {
        assets.isEmpty && seenAssets.isEmpty && attachments.isEmpty && sightedAttachments.isEmpty
            && conflicts.isEmpty && audit.isEmpty
            && activity.isEmpty && unclaimed.isEmpty && rejected.isEmpty && shared.isEmpty
    }
}

/// A pending activity count: an interned atom and the first day of its
/// week (days since 1970-01-01; week starts fall on whole days).
struct ActivityCounter: Hashable {
    var atom: Int32
    var weekStartDay: Int32

    init(atom: Int32, weekStart: EventTime) {
        self.atom = atom
        weekStartDay = Int32(weekStart.milliseconds / 86_400_000)
    }

    init(atom: Int32, weekStartDay: Int32) {
        self.atom = atom
        self.weekStartDay = weekStartDay
    }

    var weekStart: EventTime { EventTime(milliseconds: Int64(weekStartDay) * 86_400_000) }
}

/// An attachment's new last sighting and recent sightings.
public struct AttachmentSightings: Sendable, Hashable {
    public var attachment: Int64
    public var lastSeen: EventTime
    public var recentSightings: [EventTime]

    init(_ attachment: Attachment) {
        self.attachment = attachment.id
        lastSeen = attachment.lastSeen
        recentSightings = attachment.recentSightings
    }
}

/// An asset's new first and last seen times.
public struct SeenTimes: Sendable, Hashable {
    public var asset: AssetID
    public var firstSeen: Date?
    public var lastSeen: Date?

    public init(asset: AssetID, firstSeen: Date?, lastSeen: Date?) {
        self.asset = asset
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// A batch of changes, in the form the store writes.
public struct InventoryChanges: Sendable {
    public var assets: [Asset]
    /// Assets of which only the first and last seen times changed.
    public var seenTimes: [SeenTimes] = []
    /// Attachments added or changed in their interval, kind or holder.
    public var attachments: [Attachment]
    /// Stored attachments of which only the sightings changed.
    public var sightings: [AttachmentSightings] = []
    public var conflicts: [AtomConflict]
    public var audit: [AuditRecord]
    /// Events seen per atom and week (one entry each at most), to add to
    /// the stored counts.
    public var activity: [WeeklyActivity]
    /// Atoms no asset claims, with when they were last seen.
    public var unclaimed: [AtomKey: EventTime]
    public var rejected: [RejectedAtom]
    /// Atoms that became shared, or whose time of becoming shared moved
    /// earlier, with that time.
    public var shared: [AtomKey: EventTime]
    /// The new watermark of each stream that moved.
    public var watermarks: [String: EventTime]

    /// Whether there is nothing to write.
    public var isEmpty: Bool {
        assets.isEmpty && seenTimes.isEmpty && attachments.isEmpty && sightings.isEmpty
            && conflicts.isEmpty && audit.isEmpty && activity.isEmpty && unclaimed.isEmpty
            && rejected.isEmpty && shared.isEmpty && watermarks.isEmpty
    }

    /// New assets and their attachments, with their audit records, and
    /// nothing else (a first import).
    public static func creating(_ assets: [Asset], attachments: [Attachment],
                                audit: [AuditRecord]) -> InventoryChanges {
        InventoryChanges(assets: assets, attachments: attachments, conflicts: [], audit: audit,
                         activity: [], unclaimed: [:], rejected: [], shared: [:], watermarks: [:])
    }
}
