import Foundation
import PerimeterModel

extension Inventory {
    /// Applies one event to the inventory: counts its atoms' activity and,
    /// when its time allows structure changes, runs the enabled discovery
    /// rules (SPEC §3.1). Matching for enrichment comes after, so an asset
    /// discovered from an event enriches that same event.
    ///
    /// `stream` names the input the event came from; events of one stream
    /// are late relative to that stream's newest. An event whose time is
    /// its arrival (no usable timestamp) does not move the watermark.
    public func observe(_ event: EventObservation, rules: Set<DiscoveryRule>, now: EventTime,
                        stream: String = "default",
                        advancesWatermark: Bool = true) -> ObservationOutcome {
        applyStructure(of: event, atomIDs: countActivity(of: event, now: now).ids, rules: rules,
                       now: now, stream: stream, advancesWatermark: advancesWatermark)
    }

    /// `observe` then `match`, hashing each atom once for both: the
    /// ingest's hot path.
    public func observeAndMatch(_ event: EventObservation, rules: Set<DiscoveryRule>,
                                now: EventTime, stream: String,
                                advancesWatermark: Bool) -> (ObservationOutcome, AssetMatch) {
        let (atoms, ids) = countActivity(of: event, now: now)
        let outcome = rules.isEmpty && event.lease == nil
            ? structureFreeOutcome(of: event, now: now, stream: stream,
                                   advancesWatermark: advancesWatermark)
            : applyStructure(of: event, atomIDs: ids, rules: rules, now: now, stream: stream,
                             advancesWatermark: advancesWatermark)
        return (outcome, match(atoms, ids: ids, subjectMACs: event.host?.macs ?? [],
                               subjectSIDs: event.account?.sids ?? [],
                               in: event.scope, at: event.time))
    }

    /// The timing of an event when no rule may change anything.
    private func structureFreeOutcome(of event: EventObservation, now: EventTime, stream: String,
                                      advancesWatermark: Bool) -> ObservationOutcome {
        enter(stream: stream)
        var outcome = ObservationOutcome()
        if event.time > now + settings.futureTolerance {
            outcome.timing = .future
        } else if watermark != .distantPast, event.time < watermark - settings.latenessWindow {
            outcome.timing = .late
        } else if advancesWatermark {
            advanceWatermark(to: event.time)
        }
        return outcome
    }

    private func applyStructure(of event: EventObservation, atomIDs: [Int32],
                                rules: Set<DiscoveryRule>, now: EventTime, stream: String,
                                advancesWatermark: Bool) -> ObservationOutcome {
        enter(stream: stream)
        var outcome = ObservationOutcome()

        if event.time > now + settings.futureTolerance {
            outcome.timing = .future
            return outcome
        }
        if watermark != .distantPast, event.time < watermark - settings.latenessWindow {
            outcome.timing = .late
            return outcome
        }
        if advancesWatermark { advanceWatermark(to: event.time) }

        // Asked up to eight times an event: a Set of a String-backed enum
        // hashes the rule's name each time, so read the set once.
        let enabled = EnabledRules(rules)
        var host: AssetID?
        if let subject = event.host,
           enabled.uniqueHosts || enabled.operatingSystem || enabled.edrAgentIDs {
            host = discoverHost(subject, event: event, creating: enabled.uniqueHosts,
                                outcome: &outcome)
        }
        if enabled.uniqueHosts {
            for other in event.otherHosts {
                _ = discoverHost(other, event: event, creating: true, outcome: &outcome)
            }
        }
        if enabled.addressLeases, let lease = event.lease {
            applyLease(lease, event: event, creating: enabled.uniqueHosts, outcome: &outcome)
        }
        if let subject = event.account, enabled.uniqueAccounts {
            // SPEC §3: a failed logon creates no account (a password spray
            // would make thousands) and, its names being the attempt's,
            // attaches nothing; an account it names was still seen then
            // (an account under attack looked dormant).
            let triesOnly = event.isFailure && !settings.strictAccounts
            discoverAccount(subject, event: event, creating: !triesOnly, attaching: !triesOnly,
                            outcome: &outcome)
            for other in event.otherAccounts {
                discoverAccount(other, event: event, creating: !triesOnly, attaching: !triesOnly,
                                outcome: &outcome)
            }
        }
        if let host {
            if enabled.operatingSystem, let subject = event.host,
               isNamed(host, by: subject, in: event.scope, at: event.time) {
                attachOperatingSystem(of: event, to: host)
            }
            if enabled.edrAgentIDs { attachEDRAgentIDs(of: event, to: host) }
        }
        return outcome
    }

    /// Counts the event once for each distinct atom it names, and returns
    /// those atoms with their interned ids in the event's scope (matching
    /// reuses both).
    ///
    /// An event from beyond the future tolerance (a clock years ahead) is
    /// counted in the week of `now`: in its own, it made buckets of 2034
    /// that retention would keep for as long.
    @discardableResult
    func countActivity(of event: EventObservation,
                       now: EventTime) -> (atoms: [Atom], ids: [Int32]) {
        let counted = event.time > now + settings.futureTolerance ? now : event.time
        let week = Int32(counted.weekStart.milliseconds / 86_400_000)
        var seen: [Atom] = []
        seen.reserveCapacity(event.atoms.count)
        if event.atoms.count <= 32 {
            for found in event.atoms where !seen.containsInPlace(found.atom) {
                seen.append(found.atom)
            }
        } else {
            // A set for the events with long lists: the scan was quadratic
            // (a list of 40,000 addresses took most of a minute).
            var distinct = Set<Atom>(minimumCapacity: event.atoms.count)
            for found in event.atoms where distinct.insert(found.atom).inserted {
                seen.append(found.atom)
            }
        }
        let ids = timelines.intern(seen, in: event.scope)
        for id in ids { timelines.countActivity(of: id, weekStartDay: week) }
        return (seen, ids)
    }

    /// Whether an account is a computer's by its name (`WS01$`), as the
    /// event's is told: its own name, or a user name it holds. The
    /// sub-category is a person's to change (a gMSA made a service).
    private func isMachineAccount(_ account: AssetID, at time: EventTime) -> Bool {
        if assets[account]?.name.hasSuffix("$") == true { return true }
        return (attachmentsByAsset[account] ?? []).contains { index in
            let atom = attachments[Int(index)].key.atom
            return atom.type == .username && atom.value.hasSuffix("$")
                && (isAttachmentValid(index, at: time) || attachments[Int(index)].to == nil)
        }
    }

    // MARK: - Hosts

    private enum Resolution {
        case existing(AssetID)
        case new
        case ambiguous
    }

    /// Finds the host an event's `host.*` fields describe, or creates it.
    /// Returns nil when it cannot tell which host it is.
    private func discoverHost(_ subject: HostSubject, event: EventObservation, creating: Bool,
                              outcome: inout ObservationOutcome) -> AssetID? {
        let resolution = resolveHost(subject, in: event.scope, at: event.time,
                                     agentKind: Self.agentKind(vendor: event.edrVendor))
        let asset: AssetID
        switch resolution {
        case .ambiguous:
            return nil
        case .existing(let found):
            asset = found
        case .new:
            guard creating, subject.hostname != nil || subject.fqdn != nil else { return nil }
            asset = createAsset(name: subject.displayName, category: .host,
                                rule: .uniqueHosts, event: event, outcome: &outcome)
            // A name shared with other hosts is recorded as a conflict
            // when it is attached below.
        }
        // With unique_hosts off, a known host is only looked up (for the
        // os and EDR rules): its atoms are that rule's to attach.
        guard creating else { return asset }
        for atom in [subject.hostname, subject.fqdn].compactMap({ $0 })
            + subject.hostIDs + subject.agentIDs + subject.macs {
            observeIdentifier(atom, on: asset, event: event, outcome: &outcome)
        }
        // A release's address is the one the host gives back, not one it
        // is seen with: read as a sighting, it moved the address to a
        // machine that never held the lease before the release ended it.
        let released = event.lease.flatMap { $0.action == .release ? $0.address : nil }
        for address in subject.addresses where address != released {
            observeAddress(AtomKey(scope: event.scope, atom: address), heldBy: asset,
                           at: event.time, origin: event.reference, outcome: &outcome)
        }
        touch(asset, at: event.time)
        return asset
    }

    /// Finds the host an event describes. The name decides (SPEC §3.1:
    /// a host for every host.name not yet known); ids only tell apart
    /// machines that share a name. An id held by a host of another name
    /// (a forwarder's agent.id, a renamed machine's host.id) makes no
    /// merge: the new host is created and the clash recorded as a conflict.
    private func resolveHost(_ subject: HostSubject, in scope: ScopeKey,
                             at time: EventTime, agentKind: String) -> Resolution {
        if subject.hostname == nil && subject.fqdn == nil {
            // Named by its own ids alone: the one host holding them, or
            // none (a name-less event makes no host).
            for atom in subject.hostIDs + subject.macs {
                let owners = identityHolders(of: atom, in: scope, at: time)
                if owners.count == 1 { return .existing(owners[0]) }
                if owners.count > 1 { return .ambiguous }
            }
            return .ambiguous
        }
        // The compatible hosts holding a name then or later (made by later
        // events that came first), and which of them held it then.
        func candidates(_ atom: Atom) -> (all: [AssetID], then: [AssetID]) {
            let (current, later) = identityHolders(splitting: atom, in: scope, at: time)
            let compatible = (current + later).filter {
                isCompatible($0, with: subject, agentKind: agentKind, in: scope, at: time)
            }
            return (compatible, compatible.filter(current.contains))
        }
        if let fqdn = subject.fqdn {
            let found = candidates(fqdn)
            if found.all.count == 1 { return .existing(found.all[0]) }
        }
        guard let hostname = subject.hostname else {
            return namelessHolder(of: subject, in: scope, at: time).map { .existing($0) } ?? .new
        }
        let (compatible, heldThen) = candidates(hostname)
        if compatible.isEmpty {
            return namelessHolder(of: subject, in: scope, at: time).map { .existing($0) } ?? .new
        }
        if compatible.count == 1 { return .existing(compatible[0]) }
        for atom in subject.strongIdentifiers {
            let owners = identityHolders(of: atom, in: scope, at: time).filter(compatible.contains)
            if owners.count == 1 { return .existing(owners[0]) }
        }
        // No id tells them apart: the one that held the name when the
        // event happened, as in time order, where the others did not exist
        // yet (made by later events that came first). A late event of the
        // first of two `ws-01`s, dated between their first events, was
        // ambiguous and moved neither host's seen times. Dated before all
        // of them, it is the first's: in time order it made that host, and
        // the first later event, compatible with a host of no id, joined
        // it (`compatible` lists the later holders earliest first).
        if heldThen.count == 1 { return .existing(heldThen[0]) }
        if heldThen.isEmpty { return .existing(compatible[0]) }
        return .ambiguous
    }

    /// The one host that holds the event's own host.id or MAC and no name
    /// at all: a host made by hand or imported with only its id, which
    /// the event names (SPEC §2: discovery looks for an existing asset,
    /// manual ones included, holding the event's atoms). Its first event
    /// made a second, unrated host of the name, and enriched every event
    /// with that one instead of the rated host. A holder with another name
    /// is another machine (a clone, a forwarder): the name decides then.
    private func namelessHolder(of subject: HostSubject, in scope: ScopeKey,
                                at time: EventTime) -> AssetID? {
        for atom in subject.hostIDs + subject.macs {
            let owners = identityHolders(of: atom, in: scope, at: time)
            guard owners.count == 1 else { continue }
            let named = (attachmentsByAsset[owners[0]] ?? []).contains { index in
                let attachment = attachments[Int(index)]
                let type = attachment.key.atom.type
                return (type == .hostname || type == .fqdn)
                    && (isAttachmentValid(index, at: time)
                        || (attachment.to == nil && attachment.from > time))
            }
            return named ? nil : owners[0]
        }
        return nil
    }

    /// A host that holds the event's short name is the same machine unless
    /// it reports another fqdn, host id, or agent id of the same kind
    /// (SPEC §2: two machines that share a short name stay two assets). A
    /// machine runs several agents, an EDR's and a log shipper's, each with
    /// its id; two of one kind are two machines (clones that share a name
    /// and a machine id).
    ///
    /// An id that another machine holds tells nothing apart: it stays with
    /// that machine (a conflict), so a host made for it would hold only
    /// the name, and the same events seen again made one more such host.
    private func isCompatible(_ asset: AssetID, with subject: HostSubject, agentKind: String,
                              in scope: ScopeKey, at time: EventTime) -> Bool {
        let fqdn = subject.fqdn
        guard fqdn != nil || !subject.hostIDs.isEmpty || !subject.agentIDs.isEmpty else {
            return true
        }
        // Per type the event reports: does the asset hold one of that type,
        // and is one of those among the reported ones.
        var holds = (fqdn: false, hostID: false, agentID: false)
        var matches = (fqdn: false, hostID: false, agentID: false)
        for index in attachmentsByAsset[asset] ?? [] {
            let i = Int(index)
            guard isAttachmentValid(index, at: time)
                    || (attachments[i].to == nil && attachments[i].from > time) else { continue }
            switch attachments[i].key.atom.type {
            case .fqdn where fqdn != nil:
                holds.fqdn = true
                if attachments[i].key.atom == fqdn { matches.fqdn = true }
            case .hostID where !subject.hostIDs.isEmpty:
                holds.hostID = true
                if subject.hostIDs.contains(attachments[i].key.atom) { matches.hostID = true }
            case .agentID where !subject.agentIDs.isEmpty:
                guard self.agentKind(of: attachments[i].key.atom.value, on: asset) == agentKind
                else { continue }
                holds.agentID = true
                if subject.agentIDs.contains(attachments[i].key.atom) { matches.agentID = true }
            default:
                break
            }
        }
        func heldElsewhere(_ ids: [Atom]) -> Bool {
            ids.allSatisfy { id in
                let owners = identityHolders(of: id, in: scope, at: time)
                return !owners.isEmpty && !owners.contains(asset)
            }
        }
        let hostIDsTell = !holds.hostID || matches.hostID || heldElsewhere(subject.hostIDs)
        let agentIDsTell = !holds.agentID || matches.agentID || heldElsewhere(subject.agentIDs)
        return (!holds.fqdn || matches.fqdn) && hostIDsTell && agentIDsTell
    }

    /// The property that lists a vendor's agent ids on a host (SPEC §3:
    /// several per host); an agent of no known EDR vendor (a log
    /// shipper's) is listed under `edr_agent_id`.
    static func agentKind(vendor: String?) -> String {
        vendor.map { "\($0)_agent_id" } ?? "edr_agent_id"
    }

    /// The kind of an agent id a host holds: the agent-id property that
    /// lists it (`attachEDRAgentIDs`), else that of no known vendor.
    private func agentKind(of id: String, on asset: AssetID) -> String {
        guard let properties = assets[asset]?.properties else { return Self.agentKind(vendor: nil) }
        for (name, value) in properties where name.hasSuffix("_agent_id") {
            if case .list(let ids) = value, ids.contains(id) { return name }
        }
        return Self.agentKind(vendor: nil)
    }

    /// The assets an identifier names at `time`. Identifiers other than
    /// addresses stay until contradicted, so an open attachment that
    /// starts later (made by an event that happened later but arrived
    /// first) counts too: out-of-order events then find the same asset
    /// in-order arrival would have.
    ///
    /// Like `holders(of:in:at:)`, the event's entity is asked first, then
    /// the community as a whole; each scope's atom is looked up once.
    func identityHolders(of atom: Atom, in scope: ScopeKey, at time: EventTime) -> [AssetID] {
        let (current, later) = identityHolders(splitting: atom, in: scope, at: time)
        var result = current
        for asset in later where !result.contains(asset) { result.append(asset) }
        return result
    }

    /// `identityHolders`' two parts: the assets holding the atom at `time`,
    /// and those whose open attachment starts after it (none for an
    /// address).
    func identityHolders(splitting atom: Atom, in scope: ScopeKey, at time: EventTime)
        -> (current: [AssetID], later: [AssetID]) {
        let ownID = scope.entity == nil ? nil : timelines.id(of: AtomKey(scope: scope, atom: atom))
        lazy var wideID = timelines.id(of: AtomKey(scope: scope.communityWide, atom: atom))
        var current = ownID.map { holders(ofAtomID: $0, at: time) } ?? []
        if current.isEmpty, let id = wideID { current = holders(ofAtomID: id, at: time) }
        guard !atom.type.isAddress else { return (current, []) }
        var later = ownID.map { openHolders(ofAtomID: $0, startingAfter: time) } ?? []
        if later.isEmpty, let id = wideID { later = openHolders(ofAtomID: id, startingAfter: time) }
        return (current, later.filter { !current.contains($0) })
    }

    /// The assets whose open attachment of an atom starts after `time`
    /// (made by events that happened later but arrived first), earliest
    /// start first; revoked assets left out.
    private func openHolders(ofAtomID id: Int32, startingAfter time: EventTime) -> [AssetID] {
        openAttachments(ofAtomID: id, startingAfter: time).map { attachments[Int($0)].asset }
    }

    /// The indices of those attachments, in the same order.
    private func openAttachments(ofAtomID id: Int32, startingAfter time: EventTime) -> [Int32] {
        var later: [(from: EventTime, index: Int32)] = []
        attachments.withUnsafeBufferPointer { attachments in
            timelines.forEachIndex(id) { index in
                let i = Int(index)
                guard attachments[i].to == nil, attachments[i].from > time,
                      !revokedAssets.contains(attachments[i].asset) else { return }
                later.append((attachments[i].from, index))
            }
        }
        return later.sorted { $0.from < $1.from }.map(\.index)
    }

    // MARK: - Accounts

    private func discoverAccount(_ subject: AccountSubject, event: EventObservation,
                                 creating: Bool, attaching: Bool,
                                 outcome: inout ObservationOutcome) {
        var found: [AssetID] = []
        for atom in subject.sids + subject.emails {
            found = identityHolders(of: atom, in: event.scope, at: event.time)
            // A machine account (`HOST$`) and a user are two principals
            // whatever SID or email an event gives both: a user's logon
            // carrying a computer's SID made the computer account hold the
            // user's names. The name decides then, and the shared id is a
            // conflict.
            found.removeAll { isMachineAccount($0, at: event.time) != subject.isMachineAccount }
            if !found.isEmpty { break }
        }
        var namesNoOne = false
        if found.isEmpty {
            // The accounts holding this very name, qualified or not. Two of
            // them (a user name is not exclusive) make it ambiguous: the
            // event changes neither, and it is known, so it creates none.
            found = identityHolders(of: subject.username, in: event.scope, at: event.time)
            if found.isEmpty && !subject.isQualified {
                found = accountCandidates(bareName: subject.username.value, in: event.scope,
                                          at: event.time, includingLater: true)
                // An unqualified name held by several domain accounts
                // matches none of them (SPEC §2), so it is not known yet:
                // a local account.
                namesNoOne = found.count > 1 && subject.sids.isEmpty && subject.emails.isEmpty
            }
            // A SID names one principal: an account of this name that holds
            // another SID is another principal (the local account of the
            // same name on another machine), as two hosts of one name with
            // different host ids are two hosts (SPEC §2).
            if !subject.sids.isEmpty {
                found.removeAll { holdsOpenAtom(ofType: .sid, $0) }
            }
            if found.isEmpty, let later = accountMetFirstByBareName(subject, in: event.scope,
                                                                    before: event.time) {
                found = [later]
            }
        }
        let asset: AssetID
        switch namesNoOne ? 0 : found.count {
        case 0:
            guard creating else { return }
            asset = createAsset(name: subject.displayName, category: .account,
                                subcategory: subject.isMachineAccount ? .machine : nil,
                                rule: .uniqueAccounts, event: event, outcome: &outcome)
        case 1:
            asset = found[0]
        default:
            return
        }
        if attaching {
            for atom in [subject.username] + subject.emails + subject.sids {
                observeIdentifier(atom, on: asset, event: event, outcome: &outcome)
            }
        }
        touch(asset, at: event.time, onlyLater: !attaching)
    }

    /// The account that a qualified name's bare form made, from events
    /// dated after this one that arrived before it: in time order this
    /// event would have made the domain account and those later events
    /// would have matched it (SPEC §2), so it is that account, met first
    /// by its later events. Only an account of observed bare names, all
    /// first seen after `time`, with no qualified name of its own and no
    /// SID that tells another principal, qualifies; and only one. When
    /// another domain account holds a qualified form of the same bare name,
    /// the bare name was ambiguous in time order too, and its account a
    /// local one.
    private func accountMetFirstByBareName(_ subject: AccountSubject, in scope: ScopeKey,
                                           before time: EventTime) -> AssetID? {
        guard let bare = subject.username.bareUserName else { return nil }
        let bareAtom = Atom(type: .username, normalizedValue: bare)
        let scopes = scope.entity == nil ? [scope] : [scope, scope.communityWide]
        for key in scopes {
            var holders: [AssetID] = []
            for index in timelines[AtomKey(scope: key, atom: bareAtom)] ?? [] {
                let attachment = attachments[Int(index)]
                guard attachment.to == nil, !revokedAssets.contains(attachment.asset)
                else { continue }
                // Held at this event's time already (or by a person's
                // word): in time order too the two were apart.
                guard attachment.kind == .observed, attachment.from > time else { return nil }
                if !holders.contains(attachment.asset) { holders.append(attachment.asset) }
            }
            guard !holders.isEmpty else { continue }
            guard holders.count == 1, assets[holders[0]]?.category == .account else { return nil }
            let candidate = holders[0]
            for qualified in usernamesByBareName[AtomKey(scope: key, atom: bareAtom)] ?? []
            where qualified != subject.username.value {
                let namesake = AtomKey(scope: key, atom: Atom(type: .username,
                                                              normalizedValue: qualified))
                let held = (timelines[namesake] ?? []).contains { index in
                    attachments[Int(index)].to == nil
                        && !revokedAssets.contains(attachments[Int(index)].asset)
                }
                if held { return nil }
            }
            for index in attachmentsByAsset[candidate] ?? [] {
                let atom = attachments[Int(index)].key.atom
                if atom.type == .username && atom.bareUserName != nil { return nil }
                if atom.type == .sid && !subject.sids.isEmpty && attachments[Int(index)].to == nil {
                    return nil
                }
            }
            return candidate
        }
        return nil
    }

    /// Whether an asset holds an open attachment of an atom of this type.
    private func holdsOpenAtom(ofType type: AtomType, _ asset: AssetID) -> Bool {
        (attachmentsByAsset[asset] ?? []).contains {
            attachments[Int($0)].key.atom.type == type && attachments[Int($0)].to == nil
        }
    }

    // MARK: - Context properties

    /// Whether the event's host.name is one of the host's names (SPEC §3:
    /// the operating system is set "for an event whose host.name matches a
    /// host's hostname atom"). A host found through a MAC or id alone may
    /// be another machine reporting the same one (a cloned image, a
    /// vendor's sample or placeholder MAC): its operating system is not the
    /// host's to overwrite.
    private func isNamed(_ host: AssetID, by subject: HostSubject, in scope: ScopeKey,
                         at time: EventTime) -> Bool {
        [subject.hostname, subject.fqdn].contains { name in
            name.map { identityHolders(of: $0, in: scope, at: time).contains(host) } ?? false
        }
    }

    // Most events of a host repeat what the host already has: the two
    // rules below look at the stored asset in place and copy it only to
    // change it (a copy retains all its texts, and changing its properties
    // copied their whole dictionary, for every event).

    private func attachOperatingSystem(of event: EventObservation, to asset: AssetID) {
        // Most events name no operating system: nothing to look up then.
        guard event.operatingSystem?.isEmpty == false || !event.hostTypes.isEmpty,
              let index = assets.index(forKey: asset) else { return }
        var properties: [(name: String, value: String)] = []
        if let os = event.operatingSystem, !os.isEmpty {
            let label = os.full ?? [os.name, os.version].compactMap { $0 }.joined(separator: " ")
            let values: [(String, String?)] = [
                ("os", label.isEmpty ? nil : label), ("os_version", os.version),
                ("os_family", os.family), ("os_platform", os.platform), ("os_kernel", os.kernel),
            ]
            for case (let name, let value?) in values { properties.append((name, value)) }
        }
        // An event older than the host's last sighting (late, inside the
        // window) fills what the host lacks and overwrites nothing: in time
        // order a later event's values came last, and stay.
        if let lastSeen = assets.values[index].lastSeen, event.time.date < lastSeen {
            properties.removeAll { assets.values[index].properties[$0.name] != nil }
        }
        let isServer = event.hostTypes.contains { $0.lowercased().contains("server") }
        let changes = properties.contains { assets.values[index].properties[$0.name] != .string($0.value) }
            || (isServer && assets.values[index].subcategory != .server)
        guard changes else { return }
        var record = assets.values[index]
        let before = record
        for (name, value) in properties { record.properties[name] = .string(value) }
        if isServer { record.subcategory = .server }
        commit(record, replacing: before, actor: "discovery:operating_system", at: event.time)
    }

    private func attachEDRAgentIDs(of event: EventObservation, to asset: AssetID) {
        guard !event.agentIDs.isEmpty, let index = assets.index(forKey: asset) else { return }
        let property = Self.agentKind(vendor: event.edrVendor)
        var ids: [String] = []
        if case .list(let existing) = assets.values[index].properties[property] { ids = existing }
        guard event.agentIDs.contains(where: { !ids.contains($0) }) else { return }
        var record = assets.values[index]
        let before = record
        for id in event.agentIDs where !ids.contains(id) { ids.append(id) }
        record.properties[property] = .list(ids)
        commit(record, replacing: before, actor: "discovery:edr_agent_ids", at: event.time)
    }

    /// Stores a changed asset with its audit record; nothing when unchanged.
    func commit(_ record: Asset, replacing before: Asset, actor: String, at time: EventTime) {
        guard record != before else { return }
        var updated = record
        updated.noteChange(at: time.date)
        assets[record.id] = updated
        markChanged(record.id)
        let diff = AssetSummary.changedFields(from: before, to: updated)
        pending.audit.append(AuditRecord(asset: record.id, actor: actor, action: "update", at: time,
                                         before: diff.before, after: diff.after))
    }

    // MARK: - Leases

    private func applyLease(_ lease: LeaseObservation, event: EventObservation, creating: Bool,
                            outcome: inout ObservationOutcome) {
        var holder: AssetID?
        var holderIsUnknown = true
        var held: Set<Atom> = []
        // As a host's name decides (`resolveHost`): a host of the same first
        // label that holds another fqdn is another machine (SPEC §2).
        let named = HostSubject(displayName: "", hostname: lease.holderHostname,
                                fqdn: lease.holderFQDN)
        for atom in [lease.holderMAC, lease.holderFQDN, lease.holderHostname].compactMap({ $0 }) {
            // A holder first seen later (its release arrived first) is the
            // same machine, as in time order.
            var found = identityHolders(of: atom, in: event.scope, at: event.time)
            if !found.isEmpty { held.insert(atom) }
            if atom == lease.holderHostname {
                found = found.filter {
                    isCompatible($0, with: named, agentKind: "", in: event.scope, at: event.time)
                }
            }
            if !found.isEmpty { holderIsUnknown = false }
            if found.count == 1 { holder = found[0]; break }
        }
        let isNamed = lease.holderHostname != nil || lease.holderFQDN != nil
        let key = AtomKey(scope: event.scope, atom: lease.address)
        switch lease.action {
        case .grant:
            if holder == nil, creating, isNamed {
                holder = makeLeaseHolder(lease: lease, event: event, outcome: &outcome)
            } else if let holder, creating {
                // A host known by its name gets the MAC its lease gives, so
                // that a release naming the MAC alone (Infoblox) finds it,
                // and the fqdn, so that another machine of its first label
                // is told apart.
                for atom in [lease.holderMAC, lease.holderFQDN].compactMap({ $0 })
                where !held.contains(atom) {
                    observeIdentifier(atom, on: holder, event: event, outcome: &outcome)
                }
                seeAgain(lease, heldBy: holder, event: event, outcome: &outcome)
            }
            guard let holder else {
                // Given to a machine no host is known as (Infoblox logs
                // grants to bare MACs): the lease of a host known by another
                // MAC ends, as a grant to another known host would end it.
                if holderIsUnknown, let mac = lease.holderMAC {
                    endLeases(of: key, grantedTo: mac, at: event.time, origin: event.reference)
                }
                return
            }
            observeAddress(key, heldBy: holder, at: event.time, origin: event.reference,
                           outcome: &outcome)
            touch(holder, at: event.time)
        case .release:
            // A release names the machine that gives the address back.
            // One that no asset is yet (its grant comes late) is made, as
            // the grant would have made it, so that the release is kept
            // for the grant to end at; one that cannot be told apart ends
            // nobody's lease: another machine's release must not end the
            // holder's. A release by a MAC no host holds yet, or by no
            // holder, waits for a grant that may arrive late (`waitForGrant`).
            if holder == nil, lease.holderMAC != nil || isNamed {
                guard holderIsUnknown else { return }
                guard isNamed else {
                    waitForGrant(of: key, release: event.time, holderMAC: lease.holderMAC,
                                 origin: event.reference)
                    return
                }
                guard creating else { return }
                holder = makeLeaseHolder(lease: lease, event: event, outcome: &outcome)
            }
            if holder == nil {
                waitForGrant(of: key, release: event.time, holderMAC: nil, origin: event.reference)
            }
            releaseAddress(key, heldBy: holder, at: event.time, origin: event.reference)
            // The machine that gave the address back was seen then, as one
            // a release makes is (its seen times depended on which came first).
            if let holder {
                if creating { seeAgain(lease, heldBy: holder, event: event, outcome: &outcome) }
                touch(holder, at: event.time)
            }
        }
    }

    /// Sees again the lease's names and MAC that its holder holds: a lease
    /// event that arrives late moves their start back, as in time order it
    /// came first (a late grant moved the address back to its time, and
    /// left the host's name and MAC starting at the later event, so that
    /// in between the address had a holder its name did not).
    private func seeAgain(_ lease: LeaseObservation, heldBy holder: AssetID,
                          event: EventObservation, outcome: inout ObservationOutcome) {
        for atom in [lease.holderHostname, lease.holderFQDN, lease.holderMAC].compactMap({ $0 })
        where identityHolders(of: atom, in: event.scope, at: event.time).contains(holder) {
            observeIdentifier(atom, on: holder, event: event, outcome: &outcome)
        }
    }

    /// The host a lease names, made by the lease rule with its hostname,
    /// fqdn and MAC.
    private func makeLeaseHolder(lease: LeaseObservation, event: EventObservation,
                                 outcome: inout ObservationOutcome) -> AssetID {
        let name = lease.holderDisplayName ?? lease.holderHostname?.value
            ?? lease.holderFQDN?.value ?? ""
        let asset = createAsset(name: name, category: .host, rule: .addressLeases, event: event,
                                outcome: &outcome)
        for atom in [lease.holderHostname, lease.holderFQDN, lease.holderMAC].compactMap({ $0 }) {
            observeIdentifier(atom, on: asset, event: event, outcome: &outcome)
        }
        return asset
    }

    // MARK: - Shared steps

    private func createAsset(name: String, category: AssetCategory,
                             subcategory: AssetSubcategory? = nil, rule: DiscoveryRule,
                             event: EventObservation, outcome: inout ObservationOutcome) -> AssetID {
        let asset = Asset(name: name, category: category, subcategory: subcategory,
                          source: .automatic(rule: rule.rawValue),
                          community: event.scope.community, entity: event.scope.entity,
                          createdAt: event.time.date, firstSeen: event.time.date,
                          lastSeen: event.time.date)
        assets[asset.id] = asset
        markChanged(asset.id)
        pending.audit.append(AuditRecord(asset: asset.id, actor: "discovery:\(rule.rawValue)",
                                         action: "create", at: event.time,
                                         after: AssetSummary.describe(asset)))
        outcome.created.append((asset.id, rule))
        return asset.id
    }

    /// Widens an asset's first and last seen times to include `time`;
    /// `onlyLater` moves the last seen alone, for a sighting that could not
    /// have made the asset: a failed logon that arrives late, dated before
    /// the account's first event, would otherwise move its first seen
    /// where in-order arrival (the failure first, creating nothing) leaves
    /// it (SPEC §2).
    func touch(_ asset: AssetID, at time: EventTime, onlyLater: Bool = false) {
        // In place, through one mutating call: reading a field of
        // `assets.values[index]` copied the whole asset out (retaining all
        // its texts) for each comparison.
        guard let index = assets.index(forKey: asset) else { return }
        if assets.values[index].widenSeenTimes(to: time.date, onlyLater: onlyLater) {
            // Only the seen times moved: the store updates just those.
            if !pending.assets.contains(asset) { pending.seenAssets.insert(asset) }
        }
    }

    /// Attaches a non-address identifier, or records why it cannot be.
    private func observeIdentifier(_ atom: Atom, on asset: AssetID, event: EventObservation,
                                   outcome: inout ObservationOutcome) {
        guard !rejected.contains(RejectedAtom(asset: asset, atom: atom)) else { return }
        let key = AtomKey(scope: event.scope, atom: atom)
        var own = firstOpenAttachment(of: key, on: asset)
        // An entity-less asset that an entity's event found holds the atom
        // community-wide: that attachment is refreshed, not doubled in the
        // entity (the asset showed its hostname twice).
        if own == nil && event.scope.entity != nil {
            own = firstOpenAttachment(of: AtomKey(scope: event.scope.communityWide, atom: atom),
                                      on: asset)
        }
        if let index = own {
            let held = attachments[Int(index)]
            if event.time < held.from {
                // An earlier sighting that arrives late moves the start back.
                update(index) { attachment in
                    attachment.lastSeen = max(attachment.lastSeen, event.time)
                    attachment.from = event.time
                }
            } else if event.time > held.lastSeen {
                updateSightings(index) { $0.lastSeen = event.time }
            }
            return
        }
        let current = holders(of: key, at: event.time).filter { $0 != asset }
        // Holders whose attachment starts after this (late) event: an
        // event that happened later but arrived first gave them the atom.
        let later = (timelines.id(of: key).map {
            openAttachments(ofAtomID: $0, startingAfter: event.time)
        } ?? []).filter { attachments[Int($0)].asset != asset }
        if atom.type.isExclusive && !(current.isEmpty && later.isEmpty) {
            let reason = atom.type == .hostname
                ? "hosts with different host.id, agent.id or fqdn share this name"
                : "\(atom.type.rawValue) reported by several assets"
            let laterAssets = later.map { attachments[Int($0)].asset }
            // In time order the clash comes when the second holder appears:
            // with only later holders, when the first of them began.
            let clash = current.isEmpty ? later.map { attachments[Int($0)].from }.min()
                ?? event.time : event.time
            recordConflict(key, assets: current + laterAssets + [asset], at: clash,
                           reason: reason, outcome: &outcome)
            // Hosts that share a short name both keep it (and events that
            // name only it are ambiguous); other identifiers stay with
            // their first holder in event time. When that is this late
            // event's asset, the later holders' observations end where
            // they began, as if, in time order, they had met the
            // identifier already held (a confirmation stays).
            if atom.type != .hostname {
                guard current.isEmpty,
                      later.allSatisfy({ attachments[Int($0)].kind == .observed }) else { return }
                for index in later { update(index) { $0.to = $0.from } }
            }
        }
        attach(key, to: asset, kind: .observed, from: event.time, origin: event.reference)
        if atom.type == .mac && !waitingAddressesByMAC.isEmpty {
            applyWaitingReleases(naming: atom, to: asset)
        }
    }

    func recordConflict(_ key: AtomKey, assets: [AssetID], at time: EventTime,
                                reason: String, outcome: inout ObservationOutcome) {
        let sorted = Array(Set(assets)).sorted { $0.uuidString < $1.uuidString }
        pending.conflicts.append(AtomConflict(key: key, assets: sorted, at: time, reason: reason))
        outcome.conflictedAtoms.append(key)
    }
}

/// The discovery rules of one event, read out of their set in one pass.
private struct EnabledRules {
    var uniqueHosts = false
    var uniqueAccounts = false
    var operatingSystem = false
    var edrAgentIDs = false
    var addressLeases = false

    init(_ rules: Set<DiscoveryRule>) {
        for rule in rules {
            switch rule {
            case .uniqueHosts: uniqueHosts = true
            case .uniqueAccounts: uniqueAccounts = true
            case .operatingSystem: operatingSystem = true
            case .edrAgentIDs: edrAgentIDs = true
            case .addressLeases: addressLeases = true
            }
        }
    }
}

extension Asset {
    /// Moves the first seen time back and the last seen time forward so
    /// that both include `date`; true when either moved.
    /// `onlyLater`: the first seen is set only when there is none (an
    /// account made by hand), never moved back (see `touch(_:at:onlyLater:)`).
    fileprivate mutating func widenSeenTimes(to date: Date, onlyLater: Bool = false) -> Bool {
        var changed = false
        if firstSeen.map({ !onlyLater && date < $0 }) ?? true {
            firstSeen = date
            changed = true
        }
        if lastSeen.map({ date > $0 }) ?? true {
            lastSeen = date
            changed = true
        }
        return changed
    }
}
