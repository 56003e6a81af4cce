import PerimeterModel

/// The configuration of atom extraction.
public struct AtomExtractionOptions: Sendable {
    /// SPEC §2's strict mode: dotted values in hostname fields are dropped
    /// (and counted) instead of giving hostname + fqdn.
    public var strictHostnames: Bool
    /// More "nothing" values, on top of `AtomNormalizer.standardPlaceholders`.
    public var extraPlaceholders: [String]
    public var collectorSources: CollectorSources

    public init(strictHostnames: Bool = false, extraPlaceholders: [String] = [],
                collectorSources: CollectorSources = .defaults) {
        self.strictHostnames = strictHostnames
        self.extraPlaceholders = extraPlaceholders
        self.collectorSources = collectorSources
    }
}

/// An atom and the field it was read from.
public struct FoundAtom: Sendable, Hashable, CustomStringConvertible {
    public let atom: Atom
    /// The index in `AtomExtractor.fieldPaths`.
    public let fieldIndex: Int

    public init(atom: Atom, fieldIndex: Int) {
        self.atom = atom
        self.fieldIndex = fieldIndex
    }

    /// The ECS path of the field, such as `source.ip`.
    public var field: String { AtomExtractor.fieldPaths[fieldIndex] }

    public var description: String { "\(field)=\(atom)" }
}

/// The atoms of one event and what extraction had to leave aside.
public struct ExtractedAtoms: Sendable {
    /// In field-table order; one entry per (atom, field) pair, so an atom
    /// found in host.name and host.hostname appears twice.
    public var atoms: [FoundAtom] = []
    /// Strict mode: fqdns met in hostname-only fields and dropped.
    public var droppedDottedHostnames = 0
    /// Values of atom fields that gave no atom: placeholders, built-in
    /// principals, never-atom addresses, malformed values.
    public var unusableValues = 0
    /// host.* and/or agent.* fields skipped because the event came from a
    /// collector source.
    public var skippedCollectorValues = 0
    /// Whether the event's source is a listed collector source.
    public var isFromCollectorSource = false
    /// Whether the event's host.* describes a collector or relay rather
    /// than its subject, at least its system (`host.os`, `host.type`),
    /// which discovery then does not read.
    public var hostMetadataIsCollector = false

    /// The field whose atoms are being appended, how many it has, and,
    /// once they are many, the set of them.
    private var currentField = -1
    private var currentFieldCount = 0
    private var currentFieldAtoms: Set<Atom> = []

    public init() {}

    /// Every distinct atom, sorted.
    public var distinctAtoms: [Atom] { Array(Set(atoms.map(\.atom))).sorted() }

    /// Beyond this many atoms in one field, repeats are found in a set:
    /// the scan alone made one event with a list of 40,000 addresses take
    /// 86 s (quadratic), and stalled the ingest behind it.
    private static let scanLimit = 16

    mutating func append(_ atom: Atom, field: Int) {
        // Lists repeat values (related.ip holds source.ip again): keep one.
        // Atoms arrive field by field, so a repeat can only be among the
        // last atoms, those of this field.
        if field != currentField {
            currentField = field
            currentFieldCount = 0
            currentFieldAtoms.removeAll(keepingCapacity: true)
        }
        if currentFieldCount < Self.scanLimit {
            // Read in place: iterating a suffix copied each atom out.
            let isRepeat = atoms.withUnsafeBufferPointer { atoms in
                atoms[(atoms.count - currentFieldCount)...].contains {
                    $0.atom.type == atom.type && $0.atom.value == atom.value
                }
            }
            if isRepeat { return }
        } else {
            if currentFieldAtoms.isEmpty {
                currentFieldAtoms = Set(atoms.suffix(currentFieldCount).map(\.atom))
            }
            guard currentFieldAtoms.insert(atom).inserted else { return }
        }
        atoms.append(FoundAtom(atom: atom, fieldIndex: field))
        currentFieldCount += 1
    }
}

/// Finds the atoms of an ECS event (SPEC §2): reads each field of the
/// table, keeps the values that are atoms, in normal form.
public struct AtomExtractor: Sendable {
    public let options: AtomExtractionOptions
    public let normalizer: AtomNormalizer
    private let publicSuffixes: PublicSuffixList
    private let collectors: CollectorMatcher
    /// `fieldSpecs`, held here so that the hot loop reads no global.
    private let specs = AtomExtractor.fieldSpecs

    public init(options: AtomExtractionOptions, publicSuffixes: PublicSuffixList) {
        self.options = options
        self.publicSuffixes = publicSuffixes
        normalizer = AtomNormalizer(extraPlaceholders: options.extraPlaceholders)
        collectors = CollectorMatcher(options.collectorSources)
    }

    /// Every ECS field the extractor reads, context fields included
    /// (data_stream.dataset, event.module, input.type, the *.user.domain
    /// fields). `EventFieldSource` indices refer to this list.
    public static let fieldPaths: [String] = fieldTable.map(\.0)

    public func extract(from event: some EventFieldSource) -> ExtractedAtoms {
        extractAtoms(from: event)
    }

    /// `extract(from:)` for the ingest path, specialised for parsed events.
    public func extract(from event: ParsedEventFields) -> ExtractedAtoms {
        extractAtoms(from: event)
    }

    private func extractAtoms<Source: EventFieldSource>(from event: Source) -> ExtractedAtoms {
        var result = ExtractedAtoms()
        // One allocation instead of growing 1, 2, 4, 8 (events hold about six atoms).
        result.atoms.reserveCapacity(16)
        let inputType = firstValue(of: Self.inputTypeField, in: event)
        var scope = collectors.scope(
            dataset: firstValue(of: Self.datasetField, in: event),
            module: firstValue(of: Self.moduleField, in: event),
            inputType: inputType)
        if scope == .subject, let inputType, collectors.isRelay(inputType: inputType) {
            scope = relayScope(event)
        } else if scope == .subject, agentRunsElsewhere(event) {
            scope = .agentIsCollector
        }
        result.isFromCollectorSource = scope != .subject
        result.hostMetadataIsCollector = scope.hostMetadataIsCollector

        event.forEachFieldWithValues { index in
            let spec = specs[index]
            let skipped = switch scope {
            case .subject: false
            case .agentIsCollector: spec.isAgentField
            case .hostAndAgentAreCollector: spec.isHostField || spec.isAgentField
            case .hostMetadataIsCollector:
                (spec.isHostField && index != Self.hostHostnameField) || spec.isAgentField
            case .hostMetadataIsCollectorButName:
                (spec.isHostField && index != Self.hostNameField) || spec.isAgentField
            }
            if skipped {
                event.forEachUTF8(inField: index) { _ in result.skippedCollectorValues += 1 }
                return
            }
            switch spec.rule {
            case .context:
                return
            case .username(let domainField):
                var domain: String?
                var isDomainRead = false
                event.forEachUTF8(inField: index) { value in
                    // The sibling domain is read once, and only for a field with values.
                    if !isDomainRead {
                        domain = domainField.flatMap { firstValue(of: $0, in: event) }
                        isDomainRead = true
                    }
                    add(normalizer.username(utf8: value, siblingDomain: domain), index, &result)
                }
            default:
                event.forEachUTF8(inField: index) { value in
                    extract(value, rule: spec.rule, field: index, into: &result)
                }
            }
        }
        Self.dropRelatedCopiesOfQualifiedNames(from: &result)
        return result
    }

    /// How much of a relay's host.* describes the relay itself: none when
    /// host.name (else host.hostname) is another machine than the agent's
    /// (agent.name or agent.hostname, in any case, first labels compared:
    /// `mbp.local` beside `mbp`); all of it when it is the agent's, but for
    /// a host.hostname of another name, the sender's; all but host.name
    /// when host.name is another machine and host.hostname the agent's.
    private func relayScope(_ event: some EventFieldSource) -> CollectorScope {
        let agents = firstLabels(of: [Self.agentNameField, Self.agentHostnameField], in: event)
        let name = firstValue(of: Self.hostNameField, in: event)
        let hostname = firstValue(of: Self.hostHostnameField, in: event)
        guard !agents.isEmpty, let host = name ?? hostname,
              agents.contains(Self.firstLabel(host)) else {
            // The sender in host.name, the relay's own name in host.hostname.
            if name != nil, let hostname, agents.contains(Self.firstLabel(hostname)) {
                return .hostMetadataIsCollectorButName
            }
            return .agentIsCollector
        }
        if name != nil, let hostname, !agents.contains(Self.firstLabel(hostname)) {
            return .hostMetadataIsCollector
        }
        return .hostAndAgentAreCollector
    }

    /// Whether the event's agent is a log shipper on another machine than
    /// its host: a forwarder (Windows Event Forwarding's collector, a
    /// shipper reading logs that other machines wrote to a share or sent
    /// to an endpoint). Its agent.id is the forwarder's: attached to each
    /// host it forwards for, it put a conflict on every one of them. Told
    /// by names (agent.name or agent.hostname against host.name,
    /// host.hostname or winlog.computer_name, first labels, any case, or
    /// the host's as a part of the agent's, as custom names hold it); an
    /// event that lacks either
    /// side is taken as it is. Another agent (an EDR's) is its endpoint's,
    /// whatever its name says (Sekoia's formats give the product's there).
    private func agentRunsElsewhere(_ event: some EventFieldSource) -> Bool {
        // Most events name no agent: asked first, without making a text.
        var namesAgent = false
        for field in [Self.agentNameField, Self.agentHostnameField] where !namesAgent {
            event.forEachUTF8(inField: field) { _ in namesAgent = true }
        }
        guard namesAgent, let type = firstValue(of: Self.agentTypeField, in: event),
              Self.logShipperTypes.contains(ASCII.lowercased(type)) else { return false }
        let agents = firstLabels(of: [Self.agentNameField, Self.agentHostnameField], in: event)
        guard !agents.isEmpty else { return false }
        // The host as discovery names it: the Windows computer name stands
        // in when host.name and host.hostname give none.
        let hosts = firstLabels(of: [Self.hostNameField, Self.hostHostnameField,
                                     Self.computerNameField], in: event)
        // A shipper named after its machine by convention (`WB-SRV-HOST01`
        // on HOST01) is that machine's: the host's name is one of the parts
        // of the agent's that hyphens and underscores separate (by a plain
        // substring, `srv12` was taken for `srv1`'s own).
        return !hosts.isEmpty && !hosts.contains { host in
            agents.contains { agent in
                agent == host || (host.count >= 3 && agent.split { $0 == "-" || $0 == "_" }
                    .contains { $0 == Substring(host) })
            }
        }
    }

    /// The first labels, in lower case, of the machine names these fields
    /// give (each field's first value): how an agent's names and a host's
    /// are compared (`mbp.local` beside `mbp`).
    private func firstLabels(of fields: [Int], in event: some EventFieldSource) -> [String] {
        fields.compactMap { firstValue(of: $0, in: event).map(Self.firstLabel) }
    }

    private static func firstLabel(_ name: String) -> String {
        ASCII.lowercased(String(name.prefix { $0 != "." }))
    }

    private static let relatedUserField = fieldPaths.firstIndex(of: "related.user")!

    /// `related.user` gathers the user names of the event, often without
    /// the domain that `user.domain` gives to `user.name` (winlogbeat writes
    /// `Administrator` there for `WIN-41OB2LO92CR\Administrator`). A bare
    /// name there that another field of the same event names qualified is
    /// that account, not an unqualified name, which would match whichever
    /// one account of that name the entity has (SPEC §2) and enrich the
    /// event, and raise its alerts' urgency, with an account it is not
    /// about. A bare name with no qualified twin in the event stays.
    private static func dropRelatedCopiesOfQualifiedNames(from result: inout ExtractedAtoms) {
        func isBareRelatedName(_ found: FoundAtom) -> Bool {
            found.fieldIndex == relatedUserField && found.atom.type == .username
                && !found.atom.isQualifiedUserName
        }
        // The field's index first, read in place: most events have no
        // related.user, and copying each atom out to test it retained its text.
        let hasRelatedUser = result.atoms.withUnsafeBufferPointer { atoms in
            atoms.indices.contains { atoms[$0].fieldIndex == relatedUserField }
        }
        guard hasRelatedUser, result.atoms.contains(where: isBareRelatedName) else { return }
        let qualifiedUsers = result.atoms.compactMap(\.atom.bareUserName)
        guard !qualifiedUsers.isEmpty else { return }
        result.atoms.removeAll { isBareRelatedName($0) && qualifiedUsers.contains($0.atom.value) }
    }

    /// The atoms of one value of a field, for callers that read fields
    /// themselves (the native Windows reader, the enrichment of one value).
    /// A user name is not qualified here by a sibling domain field: pass
    /// `DOMAIN\user`, or call `normalizer.username(_:siblingDomain:)`.
    public func atoms(inValue value: String, ofField index: Int) -> ExtractedAtoms {
        var result = ExtractedAtoms()
        ASCII.withUTF8(value) { bytes in
            switch Self.fieldSpecs[index].rule {
            case .context: break
            case .username: add(normalizer.username(utf8: bytes), index, &result)
            case let rule: extract(bytes, rule: rule, field: index, into: &result)
            }
        }
        return result
    }

    private func extract(_ value: UTF8Bytes, rule: FieldRule, field: Int,
                         into result: inout ExtractedAtoms) {
        switch rule {
        case .address: add(normalizer.address(utf8: value), field, &result)
        case .hostname: hostnameField(value, field: field, into: &result)
        case .hostnameOrFQDN: hostnameOrFQDNField(value, field: field, into: &result)
        case .fqdn: add(normalizer.fqdn(utf8: value), field, &result)
        case .fqdnOrEmail:
            let isEmail = ASCII.contains(value, UInt8(ascii: "@"))
            add(isEmail ? normalizer.email(utf8: value) : normalizer.fqdn(utf8: value),
                field, &result)
        case .email: add(normalizer.email(utf8: value), field, &result)
        case .usernameOrSID:
            if AtomNormalizer.isSIDShaped(utf8: value) {
                add(normalizer.sid(utf8: value), field, &result)
            } else {
                add(normalizer.username(utf8: value), field, &result)
            }
        case .sid: add(normalizer.sid(utf8: value), field, &result)
        case .mac: add(normalizer.mac(utf8: value), field, &result)
        case .hostID: add(normalizer.hostID(utf8: value), field, &result)
        case .agentID: add(normalizer.agentID(utf8: value), field, &result)
        case .username: add(normalizer.username(utf8: value), field, &result)
        case .context: break
        }
    }

    /// SPEC §2, FQDN in host.name: an fqdn with a label below its
    /// registrable domain gives the hostname of its first label and the
    /// fqdn of the whole (`ws-01.corp.example.org`); a registrable domain
    /// or a tenant name alone (`example.com`, `tenant.onmicrosoft.com`)
    /// gives nothing from a hostname field. A first label that is a
    /// hostname but no DNS label (`DC_TEST2k12.TEST.SAAS`: Windows names
    /// may hold underscores) before a valid domain gives that hostname
    /// alone, the whole being no fqdn.
    private func hostnameField(_ value: UTF8Bytes, field: Int,
                               into result: inout ExtractedAtoms) {
        if let label = AtomNormalizer.rootDottedLabel(value) {
            add(normalizer.hostname(utf8: label), field, &result)
            return
        }
        guard ASCII.contains(value, UInt8(ascii: ".")) else {
            add(normalizer.hostname(utf8: value), field, &result)
            return
        }
        if options.strictHostnames {
            if normalizer.fqdnText(utf8: value) != nil || underscoredHostname(value) != nil {
                result.droppedDottedHostnames += 1
            } else {
                result.unusableValues += 1
            }
            return
        }
        guard let fqdn = normalizer.fqdnText(utf8: value) else {
            if let hostname = underscoredHostname(value) {
                result.append(hostname, field: field)
            } else {
                result.unusableValues += 1
            }
            return
        }
        // fqdnText is ASCII, so the suffix rules may run on its bytes.
        var text = fqdn
        // A name in a private namespace (`ws-06.corp`, `nas.internal`: a
        // top label the list does not know) is a machine's even with two
        // labels; under a public one (`example.com`) it is a domain.
        let (isBelowRegistrable, hostname) = text.withUTF8 { bytes -> (Bool, Atom?) in
            guard publicSuffixes.registrableDomainStart(bytes) > 0
                    || publicSuffixes.isPrivateNamespace(bytes),
                  let dot = ASCII.firstIndex(of: UInt8(ascii: "."), in: bytes)
            else { return (false, nil) }
            return (true, normalizer.hostname(utf8: ASCII.slice(bytes, 0..<dot)))
        }
        guard isBelowRegistrable else {
            result.unusableValues += 1
            return
        }
        if let hostname {
            result.append(hostname, field: field)
        }
        result.append(Atom(type: .fqdn, normalizedValue: fqdn), field: field)
    }


    /// The hostname and the fqdn a machine's name gives as `host.name`
    /// gives them (SPEC §2: a registrable domain or a tenant name gives
    /// neither, and an fqdn keeps the whole as well as its first label),
    /// for a name read elsewhere: the holder a lease names.
    public func machineNameAtoms(_ value: String) -> (hostname: Atom?, fqdn: Atom?) {
        var result = ExtractedAtoms()
        ASCII.withUTF8(value) { hostnameField($0, field: 0, into: &result) }
        return (result.atoms.first { $0.atom.type == .hostname }?.atom,
                result.atoms.first { $0.atom.type == .fqdn }?.atom)
    }

    /// The hostname of `NAME.domain` where NAME holds an underscore (so
    /// the whole is no fqdn) and the domain is a valid one with NAME below
    /// its registrable domain, or in a private namespace as a dotted name
    /// without underscore may be (`DC_01.corp`, `DC_TEST2k12.TEST.`: a
    /// domain controller's own events named no host); nil otherwise.
    private func underscoredHostname(_ value: UTF8Bytes) -> Atom? {
        guard let dot = ASCII.firstIndex(of: UInt8(ascii: "."), in: value) else { return nil }
        let label = ASCII.slice(value, 0..<dot)
        guard ASCII.contains(label, UInt8(ascii: "_")) else { return nil }
        var rest = ASCII.slice(value, dot + 1..<value.count)
        if rest.last == UInt8(ascii: ".") { rest = ASCII.slice(rest, 0..<rest.count - 1) }
        // NAME is below the registrable domain when the domain is at or
        // below it: a public suffix alone (`x_y.com`) names no machine. A
        // private namespace may be one label (`corp`).
        let isBelowADomain: Bool
        if var domain = normalizer.fqdnText(utf8: rest) {
            isBelowADomain = domain.withUTF8 {
                publicSuffixes.registrableDomainStart($0) >= 0
                    || publicSuffixes.isPrivateNamespace($0)
            }
        } else {
            isBelowADomain = !ASCII.contains(rest, UInt8(ascii: "."))
                && publicSuffixes.isPrivateNamespace(rest)
        }
        return isBelowADomain ? normalizer.hostname(utf8: label) : nil
    }

    /// related.hosts gathers every host-ish value of the event, DNS query
    /// names included, so a dotted value there is an fqdn and is not split
    /// into a short name: `v10.events.data.microsoft.com` is no host `v10`.
    private func hostnameOrFQDNField(_ value: UTF8Bytes, field: Int,
                                     into result: inout ExtractedAtoms) {
        if let label = AtomNormalizer.rootDottedLabel(value) {
            add(normalizer.hostname(utf8: label), field, &result)
        } else if ASCII.contains(value, UInt8(ascii: ".")) {
            add(normalizer.fqdn(utf8: value), field, &result)
        } else {
            add(normalizer.hostname(utf8: value), field, &result)
        }
    }

    private func add(_ atom: Atom?, _ field: Int, _ result: inout ExtractedAtoms) {
        if let atom {
            result.append(atom, field: field)
        } else {
            result.unusableValues += 1
        }
    }

    /// The first value of a context field that is not a placeholder: the
    /// sibling domain a user name is qualified with, which the event reader
    /// shows beside the name as this reads it.
    public func firstValue(of field: Int, in event: some EventFieldSource) -> String? {
        var found: String?
        event.forEachUTF8(inField: field) { value in
            if found == nil && !normalizer.isPlaceholder(utf8: value) {
                found = String(decoding: value, as: UTF8.self)
            }
        }
        return found
    }
}
