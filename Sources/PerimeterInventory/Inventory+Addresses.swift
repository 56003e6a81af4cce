import PerimeterModel

/// Addresses move between hosts (SPEC §2, "Timeline"): the holder of an
/// address at time T is the host of the latest sighting at or before T,
/// until it expires. Sightings may arrive out of order within the
/// lateness window; the intervals are then split exactly where in-order
/// arrival would have put them, using each interval's recent sightings.
extension Inventory {
    func observeAddress(_ key: AtomKey, heldBy asset: AssetID, at time: EventTime,
                        origin: @autoclosure () -> String, outcome: inout ObservationOutcome) {
        // Whatever this sighting did, a release that happened after it but
        // arrived before it ends the lease there, as in time order.
        defer {
            if !waitingReleases.isEmpty { applyWaitingReleases(of: key, to: asset, after: time) }
        }
        // A shared address attaches to no host from the time it became
        // shared; an earlier sighting, arriving late, counts as it would
        // have in order (and may make it shared earlier).
        if let since = sharedSince[key], time >= since { return }
        guard !rejected.contains(RejectedAtom(asset: asset, atom: key.atom)) else { return }
        // A person gave this address to another host: their word stands
        // over a sighting (one host at a time, SPEC §2), and the sighting
        // is a conflict to look at (a stale record, a spoofed address).
        if let owner = confirmedHolder(of: key, besides: asset) {
            recordConflict(key, assets: [owner, asset], at: time,
                           reason: "an address confirmed on one host was seen on another",
                           outcome: &outcome)
            return
        }
        let observed = (timelines[key] ?? []).filter { attachments[Int($0)].kind == .observed }
        let expiry = settings.addressExpiry

        if let current = observed.first(where: { isAttachmentValid($0, at: time) }) {
            if attachments[Int(current)].asset == asset {
                recordSighting(current, at: time)
                endAtLaterInterval(current, after: time, among: observed)
                return
            }
            let end = nextSighting(after: time, in: observed, for: asset)
            split(current, at: time, by: origin())
            // The asset's own interval from its next sighting on is this
            // one, begun earlier: in time order that sighting would have
            // found the address held since now.
            if let end, end < time + expiry,
               let next = observed.first(where: { attachments[Int($0)].asset == asset
                   && attachments[Int($0)].from == end
                   && !Self.isReleaseMarker(attachments[Int($0)]) }) {
                growBack(next, to: time)
            } else {
                attach(key, to: asset, kind: .observed, from: time, to: end, origin: origin())
            }
            noteHolder(asset, of: key, at: time)
            return
        }

        // No holder at this time. A later interval of the same host that
        // this sighting precedes (a late-arriving earlier event) grows back.
        let next = observed
            .filter { attachments[Int($0)].from > time && !Self.isReleaseMarker(attachments[Int($0)]) }
            .min { attachments[Int($0)].from < attachments[Int($1)].from }
        let end = nextSighting(after: time, in: observed, for: asset)
        if let next, attachments[Int(next)].asset == asset,
           attachments[Int(next)].from < time + expiry, end == attachments[Int(next)].from {
            growBack(next, to: time)
            // Its start moved back into the hour before, among other moves.
            noteHolder(asset, of: key, at: time)
            return
        }
        attach(key, to: asset, kind: .observed, from: time, to: end, origin: origin())
        noteHolder(asset, of: key, at: time)
    }

    /// Ends an interval that a late sighting keeps valid past the start of
    /// a later interval, where that one begins: in time order the later
    /// interval's first sighting found the address held and, of another
    /// host, took it; of the same host, it went on (two intervals that
    /// meet where time order has one are the documented shortcoming). A
    /// host seen on 05-01 and, arriving last, on 05-07 23:00 held the
    /// address until 05-14 beside the host seen on 05-08 06:00, which had
    /// found it expired; a host seen on 05-01 10:00, 05-08 10:10 and,
    /// arriving last, 05-08 09:50 held it twice over from 05-08 10:10.
    private func endAtLaterInterval(_ index: Int32, after time: EventTime,
                                    among observed: [Int32]) {
        var next: Int32?
        for other in observed where other != index {
            let attachment = attachments[Int(other)]
            guard attachment.from > time, !Self.isReleaseMarker(attachment) else { continue }
            if next == nil || attachment.from < attachments[Int(next!)].from { next = other }
        }
        guard let next else { return }
        let start = attachments[Int(next)].from
        guard isAttachmentValid(index, at: start) else { return }
        split(index, at: start, by: attachments[Int(next)].origin)
    }

    /// Moves the start of an interval back to an earlier sighting of its
    /// holder. Its origin stays the event that made it (the earlier one
    /// opened it in time order; an ingest resumed after a kill grows the
    /// interval back from other events than an uninterrupted one, and
    /// the store must not depend on where it was killed).
    private func growBack(_ index: Int32, to time: EventTime) {
        update(index) { attachment in
            attachment.from = time
            attachment.recentSightings.insert(time, at: 0)
        }
    }

    /// Closes the attachment that holds an address at `time` (a lease
    /// release or expiry); `holder` nil closes whichever host holds it.
    func releaseAddress(_ key: AtomKey, heldBy holder: AssetID?, at time: EventTime,
                        origin: @autoclosure () -> String) {
        let expiry = settings.addressExpiry
        for index in timelines[key] ?? [] {
            let attachment = attachments[Int(index)]
            guard attachment.kind == .observed, attachment.isValid(at: time, addressExpiry: expiry),
                  holder == nil || attachment.asset == holder
            else { continue }
            split(index, at: time, by: origin())
        }
        // A release leaves a mark, an empty interval [t, t) of its holder,
        // so that a grant that arrives later, before or after the interval
        // it ended (a release before its grant, or an earlier release
        // that cuts the interval first), ends there as in time order.
        if let holder, sharedSince[key] == nil {
            attach(key, to: holder, kind: .observed, from: time, to: time, origin: origin())
        }
    }

    /// Keeps a release that found no lease of its holder to end: one that
    /// names its holder by a MAC no host holds yet (Infoblox names no
    /// host), or that names no holder (`holderMAC` nil), which ends
    /// whichever lease holds the address at its time. A grant or sighting
    /// from before it that arrives later, within the lateness window, ends
    /// there (`applyWaitingReleases`), as in time order; so does a host
    /// that holds the address learning the MAC (`applyWaitingReleases
    /// (naming:to:)`), as the release's MAC was that host's all along.
    func waitForGrant(of key: AtomKey, release time: EventTime, holderMAC: Atom?,
                      grantee: Atom? = nil, origin: String) {
        var waiting = waitingReleases[key] ?? []
        let release = WaitingRelease(time: time, holderMAC: holderMAC, grantee: grantee,
                                     origin: origin)
        waiting.insert(release, at: waiting.firstIndex { $0.time > time } ?? waiting.endIndex)
        waitingReleases[key] = waiting
        if let holderMAC { waitingAddressesByMAC[holderMAC, default: []].insert(key) }
    }

    /// Ends the leases of an address that a grant to another machine
    /// supersedes. The grant names its holder by a MAC no host holds, so
    /// only a holder known by another MAC at that time is surely another
    /// machine: one known by no MAC may be the grantee under its name, and
    /// keeps the address. A grant from before it that arrives later ends
    /// there too, as in time order (it waits like a release naming no
    /// holder, `applyWaitingReleases`).
    func endLeases(of key: AtomKey, grantedTo mac: Atom, at time: EventTime, origin: String) {
        for holder in holders(of: key, at: time)
        where holdsAnotherMAC(holder, than: mac, at: time) {
            releaseAddress(key, heldBy: holder, at: time, origin: origin)
        }
        waitForGrant(of: key, release: time, holderMAC: nil, grantee: mac, origin: origin)
    }

    /// Whether `asset` holds a MAC other than `mac` at `time`.
    private func holdsAnotherMAC(_ asset: AssetID, than mac: Atom, at time: EventTime) -> Bool {
        (attachmentsByAsset[asset] ?? []).contains { index in
            let atom = attachments[Int(index)].key.atom
            return atom.type == .mac && atom != mac && isAttachmentValid(index, at: time)
        }
    }

    /// Ends, at each waiting release naming `mac`, the lease of its
    /// address that `asset`, which just learned that MAC, held then.
    func applyWaitingReleases(naming mac: Atom, to asset: AssetID) {
        for key in waitingAddressesByMAC[mac] ?? [] {
            guard var waiting = waitingReleases[key] else { continue }
            waiting.removeAll { release in
                guard release.holderMAC == mac,
                      holders(of: key, at: release.time).contains(asset) else { return false }
                releaseAddress(key, heldBy: asset, at: release.time, origin: release.origin)
                return true
            }
            setWaitingReleases(waiting, of: key, consumedFor: [mac])
        }
    }

    /// Stores what still waits for an address, and unindexes the MACs of
    /// the releases that no longer do.
    private func setWaitingReleases(_ waiting: [WaitingRelease], of key: AtomKey,
                                    consumedFor macs: [Atom]) {
        waitingReleases[key] = waiting.isEmpty ? nil : waiting
        for mac in macs where !waiting.contains(where: { $0.holderMAC == mac }) {
            waitingAddressesByMAC[mac]?.remove(key)
            if waitingAddressesByMAC[mac]?.isEmpty == true { waitingAddressesByMAC[mac] = nil }
        }
    }

    /// Keeps the waiting releases `isKept` keeps, and indexes them by MAC
    /// anew.
    func keepWaitingReleases(where isKept: (AtomKey, WaitingRelease) -> Bool) {
        waitingReleases = waitingReleases.reduce(into: [:]) { kept, entry in
            let releases = entry.value.filter { isKept(entry.key, $0) }
            if !releases.isEmpty { kept[entry.key] = releases }
        }
        waitingAddressesByMAC = [:]
        for (key, waiting) in waitingReleases {
            for mac in waiting.compactMap(\.holderMAC) {
                waitingAddressesByMAC[mac, default: []].insert(key)
            }
        }
    }

    /// Ends the lease `asset` got by a sighting at `time` at the waiting
    /// releases after it: those naming no holder, and the one naming a
    /// MAC of the asset's, which is then a release like any other (its
    /// mark stays on the asset) and waits no more.
    private func applyWaitingReleases(of key: AtomKey, to asset: AssetID, after time: EventTime) {
        guard var waiting = waitingReleases[key] else { return }
        var consumed: [Atom] = []
        waiting.removeAll { release in
            guard release.time > time else { return false }
            if let grantee = release.grantee {
                // Another machine's grant: it may end other late grants too.
                if holdsAnotherMAC(asset, than: grantee, at: release.time) {
                    releaseAddress(key, heldBy: asset, at: release.time, origin: release.origin)
                }
                return false
            }
            guard let mac = release.holderMAC else {
                releaseAddress(key, heldBy: nil, at: release.time, origin: release.origin)
                return false
            }
            guard identityHolders(of: mac, in: key.scope, at: release.time).contains(asset)
            else { return false }
            releaseAddress(key, heldBy: asset, at: release.time, origin: release.origin)
            consumed.append(mac)
            return true
        }
        setWaitingReleases(waiting, of: key, consumedFor: consumed)
    }

    /// Forgets the waiting releases that no event can precede any more: a
    /// grant before one would be older than the lateness window behind the
    /// newest stream (late events change no structure).
    func dropWaitingReleasesPastTheLatenessWindow() {
        let newest = watermarks.values.reduce(watermark) { max($0, $1) }
        guard newest != .distantPast else { return }
        let horizon = newest - settings.latenessWindow
        keepWaitingReleases { _, release in release.time >= horizon }
    }

    /// Between the origin of an interval and the origin of the event that
    /// cut it, in the origin of the part that resumes after the cut.
    static let splitNote = ", resumed after a cut by "

    /// An empty interval that records when a holder's lease ended.
    static func isReleaseMarker(_ attachment: Attachment) -> Bool {
        attachment.to == attachment.from
    }

    /// Ends an interval at `time`; sightings of its holder after `time`
    /// open a new interval of that holder, as in-order arrival would have.
    /// `splitter` is the event or action that ended it (its origin).
    ///
    /// The reopened interval's origin names the event that opened the one
    /// it was cut from and the one that cut it: the event of its first
    /// sighting is not known, as sightings keep their times alone (a
    /// reference per sighting would cost memory for every attachment).
    private func split(_ index: Int32, at time: EventTime, by splitter: @autoclosure () -> String) {
        let original = attachments[Int(index)]
        let later = original.recentSightings.filter { $0 > time }
        update(index) { attachment in
            attachment.to = time
            attachment.recentSightings.removeAll { $0 > time }
            attachment.lastSeen = attachment.recentSightings.last ?? min(attachment.lastSeen, time)
            if attachment.lastSeen < attachment.from { attachment.lastSeen = attachment.from }
        }
        if let resumed = later.first {
            let opener = original.origin.components(separatedBy: Self.splitNote).first
                ?? original.origin
            let reopened = attach(original.key, to: original.asset, kind: .observed,
                                  from: resumed, to: original.to,
                                  origin: opener + Self.splitNote + splitter())
            update(reopened) { attachment in
                attachment.recentSightings = later
                attachment.lastSeen = max(later.last ?? resumed, original.lastSeen)
            }
        }
    }

    /// Where a claim of `holder` starting at `time` ends under in-order
    /// arrival: the earliest later sighting of any host, or a later
    /// release of this holder's own lease.
    private func nextSighting(after time: EventTime, in indices: [Int32],
                              for holder: AssetID) -> EventTime? {
        var best: EventTime?
        for index in indices {
            let attachment = attachments[Int(index)]
            if Self.isReleaseMarker(attachment) && attachment.asset != holder { continue }
            let candidates = [attachment.from] + attachment.recentSightings
            for sighting in candidates where sighting > time {
                if best == nil || sighting < best! { best = sighting }
            }
        }
        return best
    }

    private func recordSighting(_ index: Int32, at time: EventTime) {
        let limit = settings.recentSightingsLimit
        let horizon = watermark - settings.latenessWindow
        let attachment = attachments[Int(index)]
        // Sightings already known, or older than the window, change nothing.
        if attachment.recentSightings.last == time && attachment.lastSeen >= time { return }
        updateSightings(index) { attachment in
            attachment.lastSeen = max(attachment.lastSeen, time)
            var sightings = attachment.recentSightings
            let position = sightings.firstIndex { $0 >= time } ?? sightings.count
            if position == sightings.count || sightings[position] != time {
                sightings.insert(time, at: position)
            }
            let stale = sightings.firstIndex { $0 >= horizon } ?? sightings.count
            if stale > 0 { sightings.removeFirst(min(stale, max(0, sightings.count - 1))) }
            if sightings.count > limit { sightings.removeFirst(sightings.count - limit) }
            attachment.recentSightings = sightings
        }
    }

    /// Makes an address a shared atom, held by no host, once it has moved
    /// between more than `sharedAddressHosts` hosts within
    /// `sharedAddressWindow` (SPEC §2), judged on the timeline in event
    /// order, whatever order the events came in. The hosts of a window are
    /// those whose intervals begin in it and the one that held the address
    /// when it opened, which its first move left: h1 holding it since
    /// 00:00, then h0 at 01:01, h3 at 01:07 and h4 at 01:19 is a move
    /// between four hosts within the hour. (Counting interval starts only,
    /// that was three; and whether a late sighting of h1 inside the window
    /// arrived before its interval grew back out of it decided for good
    /// whether the address was shared.) The point where in-order
    /// arrival would have stopped attaching it is the first interval
    /// start, at or after `time` (the earliest start this sighting added),
    /// whose window, ending there, holds one host too many; for an atom
    /// already shared, the earlier of that and the time it became shared.
    /// Intervals valid then end there; later ones (opened by events that
    /// arrived first) are cut to nothing, as in-order arrival would never
    /// have opened them. The count is read from the timeline itself (each
    /// move opens an interval), so a restart counts exactly as an
    /// uninterrupted run.
    private func noteHolder(_ asset: AssetID, of key: AtomKey, at time: EventTime) {
        let window = settings.sharedAddressWindow
        let expiry = settings.addressExpiry
        let sharedAt = sharedSince[key]
        // The intervals that begin in a window that may end at or after
        // `time`, or that may still hold the address when one opens.
        var intervals: [Int32] = []
        for index in timelines[key] ?? [] {
            let attachment = attachments[Int(index)]
            // From the time it became shared on, an interval is a cut one.
            guard attachment.kind == .observed, !Self.isReleaseMarker(attachment),
                  sharedAt.map({ attachment.from < $0 }) ?? true,
                  attachment.from >= time - window
                    || attachment.end(addressExpiry: expiry) > time - window
            else { continue }
            intervals.append(index)
        }
        let ends = intervals.map { attachments[Int($0)].from }.filter { $0 >= time }.sorted()
        var crossing = sharedAt
        var hosts: [AssetID] = []
        for end in ends {
            hosts.removeAll(keepingCapacity: true)
            let opening = end - window
            for index in intervals {
                let attachment = attachments[Int(index)]
                guard attachment.from <= end, !hosts.contains(attachment.asset),
                      attachment.from >= opening
                        || attachment.isValid(at: opening, addressExpiry: expiry)
                else { continue }
                hosts.append(attachment.asset)
            }
            if hosts.count > settings.sharedAddressHosts {
                crossing = min(crossing ?? end, end)
                break
            }
        }
        guard let crossing else { return }
        for index in timelines[key] ?? [] where attachments[Int(index)].kind == .observed {
            let attachment = attachments[Int(index)]
            if attachment.from > crossing {
                if attachment.to != attachment.from { update(index) { $0.to = $0.from } }
            } else if attachment.isValid(at: crossing, addressExpiry: settings.addressExpiry) {
                update(index) { $0.to = crossing }
            }
        }
        if sharedAt != crossing {
            sharedSince[key] = crossing
            pending.shared[key] = crossing
        }
    }
}

/// A lease release kept until a grant before it arrives (see
/// `Inventory.waitForGrant`), or a grant to another machine, which ends
/// the leases of the machines known by other MACs (`Inventory.endLeases`).
struct WaitingRelease {
    var time: EventTime
    /// The MAC the release named its holder by; nil for none.
    var holderMAC: Atom?
    /// For a grant to another machine: the MAC it was given to.
    var grantee: Atom?
    /// The release event (`file:line`), for the interval it ends.
    var origin: String
}
