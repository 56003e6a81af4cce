import PerimeterEvents
import PerimeterInventory
import PerimeterJSON
import PerimeterModel

/// One event as read: its parsed form (valid until the next read) and
/// what discovery and enrichment need from it.
public struct ReadEvent {
    public let parsed: ParsedEvent
    public var observation: EventObservation
    /// False when the event had no usable `@timestamp` and took its
    /// arrival time instead (counted in the summary).
    public var hasEventTime: Bool
    public var droppedDottedHostnames: Int
    /// What is wrong with a `@timestamp` that is there: a value that is no
    /// time (the arrival time was taken), or a small number read as epoch
    /// milliseconds that is most likely seconds. Nil for a usable one, and
    /// for none at all (a source's choice, counted in the summary).
    public var timestampNotice: String?
}

/// Reads ECS events: parses a line with simdjson, finds its atoms, and
/// gathers the fields that discovery reads into an `EventObservation`.
///
/// Not thread-safe (it owns a parser); one per ingest loop.
public final class EventReader {
    public let selection: FieldSelection
    private let parser: EventParser
    private let extractor: AtomExtractor
    private let leaseSources: [LeaseSource]
    /// Extractor field index → selection id.
    private let extractorFieldIDs: [Int]
    /// The extractor field indices that the subjects read.
    private let fields = SubjectFieldIndices()
    private let ids: ContextFieldIDs
    /// Vendor found in each module, observer or agent type value seen.
    private var vendorCache: [String: String?] = [:]
    private let leaseMatchers: [LeaseMatcher]

    /// `extraFields` are selected too, for the detection stage.
    public init(configuration: PerimeterConfiguration, extraFields: [String] = [],
                collectsAllLeaves: Bool = false) throws {
        let suffixes = try PublicSuffixList(contentsOfFile: configuration.publicSuffixListPath)
        extractor = AtomExtractor(options: configuration.extraction, publicSuffixes: suffixes)
        leaseSources = configuration.leaseSources
        let leaseFields = leaseSources.flatMap(\.fields)
        selection = FieldSelection(paths: AtomExtractor.fieldPaths + ContextFieldIDs.paths
                                   + leaseFields + extraFields)
        parser = EventParser(selection: selection, collectsAllLeaves: collectsAllLeaves)
        let selection = selection
        extractorFieldIDs = AtomExtractor.fieldPaths.map { selection.id(of: $0)! }
        ids = ContextFieldIDs(selection: selection)
        leaseMatchers = leaseSources.map { LeaseMatcher($0, selection: selection) }
    }

    /// The simdjson kernel in use (icelake, haswell, westmere, fallback).
    public static var activeKernel: String { EventParser.activeKernel }

    /// `source` and `line` name the event (`source:line`, the origin of
    /// the attachments it opens); `line` nil makes `source` the whole name.
    public func read(_ line: UnsafeRawBufferPointer, scope: ScopeKey, source name: String,
                     line number: Int? = nil,
                     arrival: EventTime) throws(JSONParseError) -> ReadEvent {
        let parsed = try parser.parse(line)
        let source = ParsedEventFields(parsed: parsed, selectionIDs: extractorFieldIDs)
        let extracted = extractor.extract(from: source)
        let paths = AtomExtractor.fieldPaths
        var atoms = extracted.atoms.map { FieldAtom(atom: $0.atom, field: paths[$0.fieldIndex]) }
        let lease = lease(parsed)
        // A lease source's address field may be none of the atom fields
        // (Zeek's zeek.dhcp.address.assigned): the address it gives is
        // still an atom of the event, counted and enriched with its holder.
        if let lease, !atoms.contains(where: { $0.atom == lease.observation.address }) {
            atoms.append(FieldAtom(atom: lease.observation.address, field: lease.addressField))
        }

        // Read off the parsed bytes: no String is made of the timestamp.
        var timestamp: EventTime?
        var timestampNotice: String?
        parsed.forEachText(of: ids.timestamp) { text in
            guard timestamp == nil else { return }
            if let time = EventTime(parsingUTF8: text) {
                timestamp = time
                timestampNotice = nil
            } else if let time = EventTime(epochMillisecondsUTF8: text) {
                timestamp = time
                timestampNotice = time.milliseconds < Self.earliestLikelyMilliseconds
                    ? Self.millisecondsNotice(text, readAs: time) : nil
            } else if timestampNotice == nil {
                timestampNotice = Self.unusableNotice(text)
            }
        }
        // A boolean or a null has no text to read; an object (MongoDB's
        // `{"$date": …}`) or an empty list is no value at all, but there.
        if timestamp == nil && timestampNotice == nil {
            if parsed.hasValues(of: ids.timestamp) {
                timestampNotice = "@timestamp holds no time (true, false or null): the arrival "
                    + "time is used"
            } else if parsed.holdsNoScalar(in: ids.timestamp) {
                timestampNotice = "@timestamp holds an object or an empty list, no time: the "
                    + "arrival time is used"
            }
        }
        // A plain loop: the lazy compactMap and prefix it replaces cost
        // 1,600 instructions an event, most events having no agent id.
        var agentIDs: [String] = []
        for found in extracted.atoms
        where found.fieldIndex == fields.agentID && found.atom.type == .agentID {
            agentIDs.append(found.atom.value)
            if agentIDs.count == Self.identifiersPerList { break }
        }
        // One initialiser call: setting the fields one by one copied the
        // observation about ten times per event.
        var host = hostSubject(parsed, extracted.atoms)
        var account = accountSubject(parsed, extracted.atoms)
        let otherHosts = otherHostSubjects(parsed, extracted.atoms, besides: host)
        let otherAccounts = otherAccountSubjects(parsed, extracted.atoms, besides: account)
        // An event that names several machines or accounts does not say
        // whose its addresses, ids and emails are (`user.email` beside two
        // names held the recipient's address for the sender): they go to
        // none of them, and stay atoms of the event.
        if !otherHosts.isEmpty {
            host?.addresses = []
            host?.macs = []
            host?.hostIDs = []
            host?.agentIDs = []
        }
        if !otherAccounts.isEmpty {
            account?.emails = []
            account?.sids = []
        }
        let observation = EventObservation(
            time: timestamp ?? arrival, scope: scope, reference: name, referenceLine: number,
            atoms: atoms, host: host, account: account,
            otherHosts: otherHosts, otherAccounts: otherAccounts,
            isFailure: parsed.values(of: ids.outcome).contains {
                $0.jsonString?.isEqualIgnoringASCIICase(to: "failure") == true
            },
            // A relay's host.os is the relay's system, not its sender's.
            operatingSystem: extracted.hostMetadataIsCollector ? nil : operatingSystem(parsed),
            hostTypes: extracted.hostMetadataIsCollector ? [] : strings(parsed, ids.hostType),
            edrVendor: agentIDs.isEmpty ? nil : edrVendor(parsed), agentIDs: agentIDs,
            lease: lease?.observation)
        return ReadEvent(parsed: parsed, observation: observation, hasEventTime: timestamp != nil,
                         droppedDottedHostnames: extracted.droppedDottedHostnames,
                         timestampNotice: timestampNotice)
    }

    /// 1973-03-03 in epoch milliseconds: a number below it is more likely
    /// seconds (100,000,000,000 seconds is the year 5138).
    static let earliestLikelyMilliseconds: Int64 = 100_000_000_000

    private static func unusableNotice(_ text: UnsafeBufferPointer<UInt8>) -> String {
        "@timestamp " + quoted(text) + " is no time (RFC 3339 such as 2024-05-01T10:00:00Z, "
            + "a day, or epoch milliseconds): the arrival time is used"
    }

    /// A number read as milliseconds that dates the event before 1973:
    /// seconds most likely, or a negative time.
    private static func millisecondsNotice(_ text: UnsafeBufferPointer<UInt8>,
                                           readAs time: EventTime) -> String {
        "@timestamp " + quoted(text) + " is read as epoch milliseconds, as Elasticsearch "
            + "reads a number: \(time)" + (time.milliseconds < 0 ? ", before 1970"
                : "; if the source wrote seconds, multiply them by 1,000")
    }

    /// The value as the event has it, cut to 64 bytes, control characters
    /// escaped (it goes to a terminal).
    private static func quoted(_ text: UnsafeBufferPointer<UInt8>) -> String {
        let value = String(decoding: text.prefix(64), as: UTF8.self)
        let escaped = value.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control
                ? scalar.escaped(asASCII: true) : String(scalar)
        }.joined()
        return "'" + escaped + (text.count > 64 ? "…" : "") + "'"
    }

    // MARK: - Subjects

    /// The most values of one list a host's or account's identifiers take
    /// from one event (addresses, MACs, host and agent ids, emails, SIDs):
    /// a machine has a few,
    /// and discovery compares each with the host's others, so a list of
    /// 40,000 MACs held every intake for a minute. The rest stay atoms of
    /// the event (matched, enriched), not the host's.
    static let identifiersPerList = 256

    private func hostSubject(_ parsed: ParsedEvent, _ atoms: [FoundAtom]) -> HostSubject? {
        // One pass over the atoms, sorted into the subject's slots.
        var nameHostname: Atom?, nameFQDN: Atom?, fallbackHostname: Atom?, fallbackFQDN: Atom?
        var computerHostname: Atom?, computerFQDN: Atom?
        var addresses: [Atom] = [], macs: [Atom] = [], hostIDs: [Atom] = [], agentIDs: [Atom] = []
        var hasOwnHostID = false
        let fields = fields
        let limit = Self.identifiersPerList
        for found in atoms {
            let field = found.fieldIndex, type = found.atom.type
            if field == fields.hostName {
                if type == .hostname && nameHostname == nil { nameHostname = found.atom }
                if type == .fqdn && nameFQDN == nil { nameFQDN = found.atom }
            } else if field == fields.hostHostname {
                if type == .hostname && fallbackHostname == nil { fallbackHostname = found.atom }
                if type == .fqdn && fallbackFQDN == nil { fallbackFQDN = found.atom }
            } else if field == fields.computerName {
                if type == .hostname && computerHostname == nil { computerHostname = found.atom }
                if type == .fqdn && computerFQDN == nil { computerFQDN = found.atom }
            } else if field == fields.hostIP {
                if type == .ipv4 || type == .ipv6, addresses.count < limit {
                    addresses.append(found.atom)
                }
            } else if field == fields.hostMAC {
                if type == .mac, macs.count < limit { macs.append(found.atom) }
            } else if field == fields.hostID || field == fields.cloudInstanceID {
                if type == .hostID, hostIDs.count < limit { hostIDs.append(found.atom) }
                if type == .hostID, field == fields.hostID { hasOwnHostID = true }
            } else if field == fields.agentID {
                if type == .agentID, agentIDs.count < limit { agentIDs.append(found.atom) }
            }
        }
        // host.name decides; host.hostname stands in, then the Windows
        // computer name. An fqdn whose first label is no hostname (digits
        // and hyphens: `057182593757.corp.example.com`, an asset tag) names
        // the machine alone: discovered once, not zero times (SPEC §2).
        // A placeholder's (`HOSTNAME.contoso.com`) is a template's, no machine.
        func numbered(_ fqdn: Atom?) -> Bool {
            guard let label = fqdn?.value.split(separator: ".").first else { return false }
            return label.utf8.allSatisfy {
                ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-")
            }
        }
        // A field's hostname and fqdn are one machine's only when the fqdn
        // spells the hostname out: `host.name: ws-f` beside `host: {name:
        // ws-g.corp.example.org}` (or a list of both) names two machines,
        // and the first of each kind made one asset of them. The event is
        // about the first (SPEC §2: one event, one host).
        // The first fqdn is the one nearly always (one value); the others
        // are read only when it is another machine's.
        func paired(_ hostname: Atom?, _ first: Atom?, in field: Int) -> Atom? {
            guard let hostname, let first else { return first }
            func spells(_ fqdn: Atom) -> Bool { Self.fqdn(fqdn, spellsOut: hostname) }
            if spells(first) { return first }
            return atoms.first { found in
                found.fieldIndex == field && found.atom.type == .fqdn && spells(found.atom)
            }?.atom
        }
        let nameFQDNPaired = paired(nameHostname, nameFQDN, in: fields.hostName)
        let fallbackFQDNPaired = paired(fallbackHostname, fallbackFQDN, in: fields.hostHostname)
        let computerFQDNPaired = paired(computerHostname, computerFQDN, in: fields.computerName)
        let (hostname, fqdn, field): (Atom?, Atom?, Int?)
        if nameHostname != nil || numbered(nameFQDNPaired) {
            (hostname, fqdn, field) = (nameHostname, nameFQDNPaired, ids.hostName)
        } else if fallbackHostname != nil || numbered(fallbackFQDNPaired) {
            (hostname, fqdn, field) = (fallbackHostname, fallbackFQDNPaired, ids.hostHostname)
        } else if computerHostname != nil || numbered(computerFQDNPaired) {
            (hostname, fqdn, field) = (computerHostname, computerFQDNPaired, ids.computerName)
        } else if hasOwnHostID || !macs.isEmpty {
            // No name, but the machine's own host.id or MAC (an EDR's event):
            // discovery finds the one host holding them, and makes none.
            (hostname, fqdn, field) = (nil, nil, nil)
        } else {
            return nil
        }
        let display = field.flatMap { field in
            machineName(in: field, of: parsed) { value in
                let (valueHostname, valueFQDN) = extractor.machineNameAtoms(value)
                return hostname != nil ? valueHostname == hostname : valueFQDN == fqdn
            }
        }.flatMap(Self.trimmedName)
        return HostSubject(
            displayName: display ?? hostname?.value ?? fqdn?.value ?? "", hostname: hostname,
            fqdn: fqdn,
            addresses: addresses, macs: macs, hostIDs: hostIDs, agentIDs: agentIDs)
    }

    private func accountSubject(_ parsed: ParsedEvent, _ atoms: [FoundAtom]) -> AccountSubject? {
        var username: Atom?
        var emails: [Atom] = [], sids: [Atom] = []
        for found in atoms {
            let field = found.fieldIndex, type = found.atom.type
            if field == fields.userName && type == .username {
                if username == nil { username = found.atom }
            } else if field == fields.userEmail && type == .email {
                if emails.count < Self.identifiersPerList { emails.append(found.atom) }
            } else if field == fields.userID && type == .sid {
                if sids.count < Self.identifiersPerList { sids.append(found.atom) }
            }
        }
        guard let username else { return nil }
        return AccountSubject(displayName: accountName(username, in: parsed), username: username,
                              emails: emails, sids: sids)
    }

    /// The name to give a new account of `username`: the `user.name` value
    /// that gave it, as the event wrote it, qualified by its domain as the
    /// atom is (`CORP\\alice`).
    private func accountName(_ username: Atom, in parsed: ParsedEvent) -> String {
        // The domain the atom was qualified with: the first that is no
        // placeholder, read by the extractor's own reading (the name read
        // `-\\zed`), and only when a name is qualified or given several times.
        let normalizer = extractor.normalizer
        lazy var domain = extractor.firstValue(
            of: fields.userDomain,
            in: ParsedEventFields(parsed: parsed, selectionIDs: extractorFieldIDs))
        var display = machineName(in: ids.userName, of: parsed) { value in
            normalizer.username(value, siblingDomain: domain) == username
        }.flatMap(Self.trimmedName) ?? username.value
        if username.isQualifiedUserName,
           !display.containsASCII(UInt8(ascii: "\\")), !display.containsASCII(UInt8(ascii: "@")),
           let domain = domain.flatMap(Self.trimmedName) {
            display = "\(domain)\\\(display)"
        }
        return display
    }

    /// Whether `fqdn` is `hostname` spelled out (`ws-01.corp.example.org`
    /// for `ws-01`). `hasPrefix` compares the bytes at once; the generic
    /// `elementsEqual` over the views cost 70 instructions an event.
    private static func fqdn(_ fqdn: Atom, spellsOut hostname: Atom) -> Bool {
        fqdn.value.hasPrefix(hostname.value)
            && fqdn.value.utf8.dropFirst(hostname.value.utf8.count).first == UInt8(ascii: ".")
    }

    /// At most this many further machines or accounts are discovered from
    /// one event's list of names, besides its first (so 17 in all); the
    /// names past them make none, and are not counted (README).
    static let otherSubjectsPerEvent = 16

    /// The further hostnames of a `host.name` list (SPEC §3: a host for
    /// every host.name), each with the fqdn of the list that spells it out.
    private func otherHostSubjects(_ parsed: ParsedEvent, _ atoms: [FoundAtom],
                                   besides primary: HostSubject?) -> [HostSubject] {
        let field = fields.hostName
        var names: [Atom] = []
        for found in atoms where found.fieldIndex == field && found.atom.type == .hostname
            && found.atom != primary?.hostname && !names.contains(found.atom) {
            names.append(found.atom)
        }
        guard !names.isEmpty else { return [] }
        return names.prefix(Self.otherSubjectsPerEvent).map { hostname in
            let fqdn = atoms.first { found in
                found.fieldIndex == field && found.atom.type == .fqdn
                    && Self.fqdn(found.atom, spellsOut: hostname)
            }?.atom
            let display = machineName(in: ids.hostName, of: parsed) { value in
                extractor.machineNameAtoms(value).0 == hostname
            }.flatMap(Self.trimmedName)
            return HostSubject(displayName: display ?? hostname.value, hostname: hostname,
                               fqdn: fqdn)
        }
    }

    /// The further names of a `user.name` list (SPEC §3: an account for
    /// every user.name), by name alone: the event's SIDs and emails are the
    /// first one's.
    private func otherAccountSubjects(_ parsed: ParsedEvent, _ atoms: [FoundAtom],
                                      besides primary: AccountSubject?) -> [AccountSubject] {
        var names: [Atom] = []
        for found in atoms where found.fieldIndex == fields.userName
            && found.atom.type == .username && found.atom != primary?.username
            && !names.contains(found.atom) {
            names.append(found.atom)
        }
        return names.prefix(Self.otherSubjectsPerEvent).map { username in
            AccountSubject(displayName: accountName(username, in: parsed), username: username)
        }
    }

    /// The value of a name field that gave the subject's atom, as the event
    /// wrote it: the only one of most fields, else the first for which
    /// `gaveAtom` holds. With several (a list, or the dotted and nested
    /// keys both), the first was taken, and a placeholder or another
    /// machine's name (`["N/A", "ws-real2"]`) named the asset made from
    /// the valid one, whose events then read `N/A`; a filter on `SYSTEM`
    /// suppressed the alerts of the account `bob2` it named.
    private func machineName(in field: Int, of parsed: ParsedEvent,
                             gaveAtom: (String) -> Bool) -> String? {
        let values = parsed.values(of: field)
        if values.count == 1 { return values.first?.stringValue }
        return values.lazy.compactMap(\.stringValue).first(where: gaveAtom)
    }

    /// A name for a new asset as the event wrote it, without the spaces
    /// around it (its atom is trimmed, and `  spaced  ` named the asset
    /// with them), composed (NFC: `E\u{301}ric-PC` is `Éric-PC`, as its
    /// atom and a search read it); nil when nothing is left. Most names
    /// are ASCII with no space around them: only the others are copied.
    private static func trimmedName(_ given: String) -> String? {
        // Over the contiguous bytes: `utf8.contains` went through the
        // view's index one byte at a time (1% of the read path's instructions).
        var given = given
        let isASCII = given.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
        let name = isASCII ? given : given.precomposedStringWithCanonicalMapping
        // The ends' bytes decide for ASCII names: `Character.isWhitespace`
        // looked up Unicode properties for every name (4% of the read
        // path's instructions).
        func mayBeSpace(_ byte: UInt8?) -> Bool {
            guard let byte else { return false }
            return byte >= 0x80 || byte == 0x20 || (0x09...0x0D).contains(byte)
        }
        guard mayBeSpace(name.utf8.first) || mayBeSpace(name.utf8.last) else { return name }
        guard name.first?.isWhitespace == true || name.last?.isWhitespace == true else {
            return name
        }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    private func operatingSystem(_ parsed: ParsedEvent) -> OperatingSystemFields? {
        // Most events have no OS field: twelve presence checks, no String.
        guard ids.osPairs.contains(where: {
            parsed.hasValues(of: $0.0) || parsed.hasValues(of: $0.1)
        }) else { return nil }
        func first(_ pair: (Int, Int)) -> String? {
            parsed.firstString(of: pair.0) ?? parsed.firstString(of: pair.1)
        }
        let os = OperatingSystemFields(name: first(ids.osName), version: first(ids.osVersion),
                                       family: first(ids.osFamily), platform: first(ids.osPlatform),
                                       full: first(ids.osFull), kernel: first(ids.osKernel))
        return os.isEmpty ? nil : os
    }

    private func strings(_ parsed: ParsedEvent, _ id: Int) -> [String] {
        parsed.values(of: id).compactMap(\.stringValue)
    }

    /// EDR vendors by a word their module, observer or agent type carries.
    private static let edrVendors: [(needle: String, vendor: String)] = [
        ("sentinelone", "sentinelone"), ("sentinel_one", "sentinelone"),
        ("crowdstrike", "crowdstrike"), ("defender", "defender"),
        ("carbon_black", "carbonblack"), ("carbonblack", "carbonblack"),
        ("cortex", "cortex"), ("trend", "trendmicro"), ("sophos", "sophos"),
        ("harfanglab", "harfanglab"), ("cybereason", "cybereason"), ("cylance", "cylance"),
        ("withsecure", "withsecure"), ("eset", "eset"),
    ]

    private func edrVendor(_ parsed: ParsedEvent) -> String? {
        let agentTypes = strings(parsed, ids.agentType)
        if agentTypes.contains(where: { AtomExtractor.logShipperTypes.contains($0.lowercased()) }) {
            return nil
        }
        for id in [ids.eventModule, ids.observerVendor, ids.observerProduct, ids.agentType] {
            for value in id == ids.agentType ? agentTypes : strings(parsed, id) {
                if let cached = vendorCache[value] {
                    if let cached { return cached }
                    continue
                }
                let lowered = value.lowercased().filter { $0 != " " }
                let vendor = Self.edrVendors.first { lowered.range(of: $0.needle) != nil }?.vendor
                // The values are few (module and product names): cache them.
                if vendorCache.count < 10_000 { vendorCache[value] = .some(vendor) }
                if let vendor { return vendor }
            }
        }
        return nil
    }

    // MARK: - Leases

    private func lease(_ parsed: ParsedEvent)
        -> (observation: LeaseObservation, addressField: String)? {
        for source in leaseMatchers {
            // Presence first, in a plain loop: nearly every event lacks a
            // lease source's fields, and the closures below, run for each
            // source of each event, were 2% of the read path's instructions.
            var present = true
            for condition in source.conditions where !parsed.hasValues(of: condition.id) {
                present = false
                break
            }
            guard present else { continue }
            // Every field is present (above): `*` needs no more.
            let matches = source.conditions.allSatisfy { condition in
                if condition.acceptsAny { return true }
                let values = parsed.values(of: condition.id)
                return values.contains { value in
                    guard let text = value.jsonString else {
                        return condition.accepted.contains(value.text)
                    }
                    return condition.accepted.contains { text.isEqualIgnoringASCIICase(to: $0) }
                }
            }
            guard matches else { continue }
            let actions = parsed.values(of: source.action).map { $0.text.lowercased() }
            let action: LeaseObservation.Action
            if actions.contains(where: source.source.releaseActions.contains) {
                action = .release
            } else if actions.contains(where: source.source.grantActions.contains) {
                action = .grant
            } else {
                continue
            }
            let normalizer = extractor.normalizer
            guard let address = parsed.values(of: source.address).lazy
                .compactMap({ $0.stringValue.flatMap(normalizer.address) }).first
            else { continue }
            // The holder's name reads as host.name reads: a registrable
            // domain (`example.com`) names no machine, an fqdn gives its
            // first label and itself.
            let name = source.hostname.flatMap { parsed.firstString(of: $0) }
            let (hostname, fqdn) = name.map(extractor.machineNameAtoms) ?? (nil, nil)
            let observation = LeaseObservation(
                action: action, address: address, holderHostname: hostname, holderFQDN: fqdn,
                holderMAC: source.mac.flatMap { parsed.firstString(of: $0) }.flatMap(normalizer.mac),
                holderDisplayName: hostname == nil && fqdn == nil ? nil : name)
            return (observation, source.source.addressField)
        }
        return nil
    }
}

/// A lease source with its fields as selection ids. A class, so that
/// the per-event loop over the sources copies nothing.
private final class LeaseMatcher {
    struct Condition {
        let id: Int
        /// `*`: the field only has to be present.
        let acceptsAny: Bool
        /// Lower case.
        let accepted: [String]
    }

    let conditions: [Condition]
    let action: Int
    let address: Int
    let hostname: Int?
    let mac: Int?
    let source: LeaseSource

    init(_ source: LeaseSource, selection: FieldSelection) {
        conditions = source.conditions.map { path, accepted in
            let lowered = accepted.map { $0.lowercased() }
            return Condition(id: selection.id(of: path)!, acceptsAny: lowered.contains("*"),
                             accepted: lowered)
        }
        action = selection.id(of: source.actionField)!
        address = selection.id(of: source.addressField)!
        hostname = source.hostnameField.flatMap(selection.id(of:))
        mac = source.macField.flatMap(selection.id(of:))
        self.source = source
    }
}

/// The `AtomExtractor.fieldPaths` indices of the fields subjects read.
private struct SubjectFieldIndices {
    let hostName = Self.index("host.name"), hostHostname = Self.index("host.hostname")
    let computerName = Self.index("winlog.computer_name")
    let hostIP = Self.index("host.ip"), hostMAC = Self.index("host.mac")
    let hostID = Self.index("host.id"), cloudInstanceID = Self.index("cloud.instance.id")
    let agentID = Self.index("agent.id"), userName = Self.index("user.name")
    let userDomain = Self.index("user.domain")
    let userEmail = Self.index("user.email"), userID = Self.index("user.id")

    private static func index(_ path: String) -> Int {
        AtomExtractor.fieldPaths.firstIndex(of: path)!
    }
}

/// The selection ids of the fields discovery reads besides atoms.
private struct ContextFieldIDs {
    static let paths = [
        "@timestamp", "event.outcome", "host.name", "host.hostname", "winlog.computer_name",
        "user.name",
        "host.type", "event.module", "observer.vendor", "observer.product", "agent.type",
        "host.os.name", "os.name", "host.os.version", "os.version", "host.os.family", "os.family",
        "host.os.platform", "os.platform", "host.os.full", "os.full", "host.os.kernel", "os.kernel",
    ]

    let timestamp, outcome, hostName, hostHostname, computerName, userName: Int
    let hostType: Int
    let eventModule, observerVendor, observerProduct, agentType: Int
    let osName, osVersion, osFamily, osPlatform, osFull, osKernel: (Int, Int)
    /// The six pairs above.
    let osPairs: [(Int, Int)]

    init(selection: FieldSelection) {
        func id(_ path: String) -> Int { selection.id(of: path)! }
        timestamp = id("@timestamp")
        outcome = id("event.outcome")
        hostName = id("host.name")
        hostHostname = id("host.hostname")
        computerName = id("winlog.computer_name")
        userName = id("user.name")
        hostType = id("host.type")
        eventModule = id("event.module")
        observerVendor = id("observer.vendor")
        observerProduct = id("observer.product")
        agentType = id("agent.type")
        osName = (id("host.os.name"), id("os.name"))
        osVersion = (id("host.os.version"), id("os.version"))
        osFamily = (id("host.os.family"), id("os.family"))
        osPlatform = (id("host.os.platform"), id("os.platform"))
        osFull = (id("host.os.full"), id("os.full"))
        osKernel = (id("host.os.kernel"), id("os.kernel"))
        osPairs = [osName, osVersion, osFamily, osPlatform, osFull, osKernel]
    }
}
