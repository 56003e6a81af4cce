import PerimeterModel

/// Addresses move between hosts (SPEC §2, "Timeline"): the holder of an
/// address at time T is the host of the latest sighting at or before T,
/// until it expires. Sightings may arrive out of order within the
/// lateness window; the intervals are then split exactly where in-order
/// arrival would have put them, using each interval's recent sightings.
extension Inventory {
    func observeAddress(_ key: AtomKey, heldBy asset: AssetID, at time: EventTime,
                        origin: String) {
        guard !sharedAtoms.contains(key),
              !rejected.contains(RejectedAtom(asset: asset, atom: key.atom))
        else { return }
        let observed = (timelines[key] ?? []).filter { attachments[Int($0)].kind == .observed }
        let expiry = settings.addressExpiry

        if let current = observed.first(where: { attachments[Int($0)].isValid(at: time, addressExpiry: expiry) }) {
            if attachments[Int(current)].asset == asset {
                recordSighting(current, at: time)
                return
            }
            let end = nextSighting(after: time, in: observed)
            split(current, at: time)
            attach(key, to: asset, kind: .observed, from: time, to: end, origin: origin)
            noteHolder(asset, of: key, at: time)
            return
        }

        // No holder at this time. A later interval of the same host that
        // this sighting precedes (a late-arriving earlier event) grows back.
        let next = observed
            .filter { attachments[Int($0)].from > time }
            .min { attachments[Int($0)].from < attachments[Int($1)].from }
        if let next, attachments[Int(next)].asset == asset,
           attachments[Int(next)].from < time + expiry {
            update(next) { attachment in
                attachment.from = time
                attachment.recentSightings.insert(time, at: 0)
            }
            return
        }
        let end = next.map { attachments[Int($0)].from }
        attach(key, to: asset, kind: .observed, from: time, to: end, origin: origin)
        noteHolder(asset, of: key, at: time)
    }

    /// Closes the attachment that holds an address at `time` (a lease
    /// release or expiry); `holder` nil closes whichever host holds it.
    func releaseAddress(_ key: AtomKey, heldBy holder: AssetID?, at time: EventTime) {
        let expiry = settings.addressExpiry
        for index in timelines[key] ?? [] {
            let attachment = attachments[Int(index)]
            guard attachment.kind == .observed, attachment.isValid(at: time, addressExpiry: expiry),
                  holder == nil || attachment.asset == holder
            else { continue }
            split(index, at: time)
        }
    }

    /// Ends an interval at `time`; sightings of its holder after `time`
    /// open a new interval of that holder, as in-order arrival would have.
    private func split(_ index: Int32, at time: EventTime) {
        let original = attachments[Int(index)]
        let later = original.recentSightings.filter { $0 > time }
        update(index) { attachment in
            attachment.to = time
            attachment.recentSightings.removeAll { $0 > time }
            attachment.lastSeen = attachment.recentSightings.last ?? min(attachment.lastSeen, time)
            if attachment.lastSeen < attachment.from { attachment.lastSeen = attachment.from }
        }
        if let resumed = later.first {
            let reopened = attach(original.key, to: original.asset, kind: .observed,
                                  from: resumed, to: original.to, origin: original.origin)
            update(reopened) { attachment in
                attachment.recentSightings = later
                attachment.lastSeen = max(later.last ?? resumed, original.lastSeen)
            }
        }
    }

    /// The earliest sighting after `time` among an address's intervals.
    private func nextSighting(after time: EventTime, in indices: [Int32]) -> EventTime? {
        var best: EventTime?
        for index in indices {
            let attachment = attachments[Int(index)]
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
        update(index) { attachment in
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

    /// Tracks the hosts an address moved between; past the threshold
    /// within the window it becomes a shared atom held by no host.
    private func noteHolder(_ asset: AssetID, of key: AtomKey, at time: EventTime) {
        var recent = recentHolders[key, default: []]
        recent.append((time, asset))
        recent.removeAll { $0.0 < time - settings.sharedAddressWindow || $0.0 > time }
        recentHolders[key] = recent
        let hosts = Set(recent.map(\.1))
        guard hosts.count > settings.sharedAddressHosts else { return }
        for index in timelines[key] ?? [] where attachments[Int(index)].kind == .observed {
            let attachment = attachments[Int(index)]
            if attachment.isValid(at: time, addressExpiry: settings.addressExpiry) {
                update(index) { $0.to = time }
            }
        }
        sharedAtoms.insert(key)
        pending.shared.append(key)
        recentHolders[key] = nil
    }
}
