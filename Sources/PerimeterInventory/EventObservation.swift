import PerimeterModel

/// An atom found in one field of an event.
public struct FieldAtom: Sendable, Hashable {
    public var atom: Atom
    public var field: String

    public init(atom: Atom, field: String) {
        self.atom = atom
        self.field = field
    }
}

/// What one event says, as discovery reads it. The event reader builds it
/// from the parsed event; discovery never sees JSON.
public struct EventObservation: Sendable {
    public var time: EventTime
    public var scope: ScopeKey
    /// Where the event came from (`file:line`), recorded as the origin of
    /// the attachments it opens. Made when asked: most events open none,
    /// and making the text for every event cost an allocation each.
    public var reference: String {
        referenceLine.map { "\(referenceSource):\($0)" } ?? referenceSource
    }
    private let referenceSource: String
    private let referenceLine: Int?
    /// Every atom in the event, for matching and activity.
    public var atoms: [FieldAtom]
    /// The machine the event happened on, from `host.*`.
    public var host: HostSubject?
    /// The account of `user.name`.
    public var account: AccountSubject?
    /// The machines and accounts of the further values of a `host.name`
    /// or `user.name` list (an alert naming the hosts it involves): each
    /// is discovered by its name alone, the event's addresses and ids
    /// being the first one's.
    public var otherHosts: [HostSubject]
    public var otherAccounts: [AccountSubject]
    /// `event.outcome` is `failure`: no account is created from it.
    public var isFailure: Bool
    public var operatingSystem: OperatingSystemFields?
    /// `host.type` values (a `server` among them makes the host a server).
    public var hostTypes: [String]
    /// The EDR vendor named by the event's module or observer, if known.
    public var edrVendor: String?
    /// Raw `agent.id` values, for the EDR agent id properties.
    public var agentIDs: [String]
    public var lease: LeaseObservation?

    /// `referenceLine`, when given, is appended to `reference` after a
    /// colon (`reference` is then the source's name).
    public init(time: EventTime, scope: ScopeKey, reference: String, referenceLine: Int? = nil,
                atoms: [FieldAtom] = [],
                host: HostSubject? = nil, account: AccountSubject? = nil,
                otherHosts: [HostSubject] = [], otherAccounts: [AccountSubject] = [],
                isFailure: Bool = false,
                operatingSystem: OperatingSystemFields? = nil, hostTypes: [String] = [],
                edrVendor: String? = nil, agentIDs: [String] = [], lease: LeaseObservation? = nil) {
        self.time = time
        self.scope = scope
        referenceSource = reference
        self.referenceLine = referenceLine
        self.atoms = atoms
        self.host = host
        self.account = account
        self.otherHosts = otherHosts
        self.otherAccounts = otherAccounts
        self.isFailure = isFailure
        self.operatingSystem = operatingSystem
        self.hostTypes = hostTypes
        self.edrVendor = edrVendor
        self.agentIDs = agentIDs
        self.lease = lease
    }
}

/// The host an event names in `host.name` and the identifiers it reports.
public struct HostSubject: Sendable, Hashable {
    /// The name to give a new asset: `host.name` as the event wrote it.
    public var displayName: String
    public var hostname: Atom?
    public var fqdn: Atom?
    public var addresses: [Atom]
    public var macs: [Atom]
    public var hostIDs: [Atom]
    public var agentIDs: [Atom]

    public init(displayName: String, hostname: Atom?, fqdn: Atom? = nil, addresses: [Atom] = [],
                macs: [Atom] = [], hostIDs: [Atom] = [], agentIDs: [Atom] = []) {
        self.displayName = displayName
        self.hostname = hostname
        self.fqdn = fqdn
        self.addresses = addresses
        self.macs = macs
        self.hostIDs = hostIDs
        self.agentIDs = agentIDs
    }

    /// Identifiers that name one machine whatever its name says.
    var strongIdentifiers: [Atom] { hostIDs + agentIDs + macs }
}

/// The account an event names in `user.name`.
public struct AccountSubject: Sendable, Hashable {
    public var displayName: String
    /// Qualified by its domain (`corp\admin`) when the event tells it.
    public var username: Atom
    public var emails: [Atom]
    public var sids: [Atom]

    public init(displayName: String, username: Atom, emails: [Atom] = [], sids: [Atom] = []) {
        self.displayName = displayName
        self.username = username
        self.emails = emails
        self.sids = sids
    }

    /// A name ending in `$` is a machine account (SPEC §2).
    public var isMachineAccount: Bool { username.value.hasSuffix("$") }
    var isQualified: Bool { username.isQualifiedUserName }
}

/// The operating system fields of an event.
public struct OperatingSystemFields: Sendable, Hashable {
    public var name: String?
    public var version: String?
    public var family: String?
    public var platform: String?
    public var full: String?
    public var kernel: String?

    public init(name: String? = nil, version: String? = nil, family: String? = nil,
                platform: String? = nil, full: String? = nil, kernel: String? = nil) {
        self.name = name
        self.version = version
        self.family = family
        self.platform = platform
        self.full = full
        self.kernel = kernel
    }

    public var isEmpty: Bool {
        // Field by field: an array of the six made one per event.
        name == nil && version == nil && family == nil && platform == nil && full == nil
            && kernel == nil
    }
}

/// A DHCP lease event, as a lease source description reads it.
public struct LeaseObservation: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable { case grant, release }

    public var action: Action
    public var address: Atom
    public var holderHostname: Atom?
    /// The holder's fqdn when its name is one (`ws-07.corp.example.org`):
    /// two machines of one first label are two holders.
    public var holderFQDN: Atom?
    public var holderMAC: Atom?
    /// The holder's name as the event wrote it, for a new asset.
    public var holderDisplayName: String?

    public init(action: Action, address: Atom, holderHostname: Atom? = nil,
                holderFQDN: Atom? = nil,
                holderMAC: Atom? = nil, holderDisplayName: String? = nil) {
        self.action = action
        self.address = address
        self.holderHostname = holderHostname
        self.holderFQDN = holderFQDN
        self.holderMAC = holderMAC
        self.holderDisplayName = holderDisplayName
    }
}

/// What observing one event did to the inventory.
public struct ObservationOutcome: Sendable {
    public enum Timing: Sendable { case accepted, late, future }

    public var timing: Timing = .accepted
    /// Assets this event created, with the rule that created each.
    public var created: [(AssetID, DiscoveryRule)] = []
    /// The identifiers this event found claimed by several assets, one
    /// entry per conflict recorded.
    public var conflictedAtoms: [AtomKey] = []

    public init() {}
}
