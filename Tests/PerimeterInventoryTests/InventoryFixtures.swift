import PerimeterInventory
import PerimeterModel

/// Builders for observations, written as a person reads them.
enum Fixture {
    static let scope = ScopeKey(community: "acme")
    static let allRules = Set(DiscoveryRule.allCases)
    static let now = at("2024-05-10T00:00:00Z")

    static func at(_ text: String) -> EventTime { EventTime(parsing: text)! }

    /// 2024-05-01 at HH:MM UTC.
    static func clock(_ hhmm: String) -> EventTime { at("2024-05-01T\(hhmm):00Z") }

    static func ip(_ value: String) -> Atom {
        Atom(type: value.contains(":") ? .ipv6 : .ipv4, normalizedValue: value)
    }

    static func hostname(_ value: String) -> Atom { Atom(type: .hostname, normalizedValue: value) }

    static func host(_ name: String, at time: EventTime, ips: [String] = [],
                     hostID: String? = nil, fqdn: String? = nil,
                     scope: ScopeKey = scope) -> EventObservation {
        let hostnameAtom = hostname(name.lowercased())
        let idAtom = hostID.map { Atom(type: .hostID, normalizedValue: $0) }
        let fqdnAtom = fqdn.map { Atom(type: .fqdn, normalizedValue: $0) }
        var atoms = [FieldAtom(atom: hostnameAtom, field: "host.name")]
        atoms += ips.map { FieldAtom(atom: ip($0), field: "host.ip") }
        if let idAtom { atoms.append(FieldAtom(atom: idAtom, field: "host.id")) }
        if let fqdnAtom { atoms.append(FieldAtom(atom: fqdnAtom, field: "host.name")) }
        return EventObservation(
            time: time, scope: scope, reference: "test:\(name)@\(time)", atoms: atoms,
            host: HostSubject(displayName: name, hostname: hostnameAtom, fqdn: fqdnAtom,
                              addresses: ips.map(ip), hostIDs: idAtom.map { [$0] } ?? []))
    }

    static func lease(_ action: LeaseObservation.Action, _ address: String, to holder: String,
                      at time: EventTime) -> EventObservation {
        EventObservation(
            time: time, scope: scope, reference: "test:lease@\(time)",
            atoms: [FieldAtom(atom: ip(address), field: "host.ip")],
            lease: LeaseObservation(action: action, address: ip(address),
                                    holderHostname: hostname(holder), holderDisplayName: holder))
    }

    /// A network event that only names an address (a proxy log line).
    static func traffic(from address: String, at time: EventTime) -> EventObservation {
        EventObservation(time: time, scope: scope, reference: "test:traffic@\(time)",
                         atoms: [FieldAtom(atom: ip(address), field: "source.ip")])
    }

    static func account(_ name: String, domain: String? = nil, sid: String? = nil,
                        at time: EventTime, failed: Bool = false) -> EventObservation {
        let value = domain.map { "\($0.lowercased())\\\(name.lowercased())" } ?? name.lowercased()
        let username = Atom(type: .username, normalizedValue: value)
        let sidAtom = sid.map { Atom(type: .sid, normalizedValue: $0) }
        var atoms = [FieldAtom(atom: username, field: "user.name")]
        if let sidAtom { atoms.append(FieldAtom(atom: sidAtom, field: "user.id")) }
        return EventObservation(
            time: time, scope: scope, reference: "test:account@\(time)", atoms: atoms,
            account: AccountSubject(displayName: domain.map { "\($0)\\\(name)" } ?? name,
                                    username: username, sids: sidAtom.map { [$0] } ?? []),
            isFailure: failed)
    }
}

extension Inventory {
    /// Observes events in the order given; returns the assets created.
    @discardableResult
    func feed(_ events: [EventObservation]) -> [AssetID] {
        events.flatMap { observe($0, rules: Fixture.allRules, now: Fixture.now).created.map(\.0) }
    }

    /// The names of the assets holding an atom at a time, sorted.
    func holderNames(_ atom: Atom, at time: EventTime, scope: ScopeKey = Fixture.scope) -> [String] {
        holders(of: atom, in: scope, at: time).compactMap { asset($0)?.name }.sorted()
    }

    /// The names of the assets an event naming these atoms is enriched with.
    func matchedNames(_ atoms: [Atom], at time: EventTime,
                      scope: ScopeKey = Fixture.scope) -> [String] {
        match(atoms.map { FieldAtom(atom: $0, field: "test") }, in: scope, at: time)
            .assets.compactMap { asset($0)?.name }.sorted()
    }

    /// An atom's intervals as `holder [from, to)` lines, for comparison;
    /// without the empty ones that mark a release (which no view shows)
    /// unless asked.
    func intervals(of atom: Atom, scope: ScopeKey = Fixture.scope,
                   releaseMarks: Bool = false) -> [String] {
        timeline(of: AtomKey(scope: scope, atom: atom))
            .filter { releaseMarks || $0.to != $0.from }.map { attachment in
            "\(asset(attachment.asset)?.name ?? "?") [\(attachment.from), "
                + "\(attachment.to?.description ?? "open"))"
        }
    }
}
