import PerimeterModel

/// The discovery rules of SPEC §3.1, by their stable names.
public enum DiscoveryRule: String, Sendable, Hashable, CaseIterable, Codable {
    case uniqueHosts = "unique_hosts"
    case uniqueAccounts = "unique_accounts"
    case operatingSystem = "operating_system"
    case edrAgentIDs = "edr_agent_ids"
    case addressLeases = "address_leases"

    public var summary: String {
        switch self {
        case .uniqueHosts: "a host for every host.name (else host.hostname, else "
            + "winlog.computer_name) not yet known"
        case .uniqueAccounts: "an account for every user.name not yet known"
        case .operatingSystem: "the os property of hosts from host.os.* and os.*"
        case .edrAgentIDs: "EDR agent ids from agent.id as host properties"
        case .addressLeases: "DHCP leases attach and release addresses"
        }
    }

    public init(parsing name: String) throws(ModelError) {
        let normalized = name.replacingOccurrences(of: "-", with: "_").lowercased()
        guard let rule = DiscoveryRule(rawValue: normalized) else {
            throw ModelError.unknownValue(kind: "discovery rule", value: name,
                                          expected: DiscoveryRule.allCases.map(\.rawValue))
        }
        self = rule
    }
}

/// What an operator tunes about the inventory's behaviour (SPEC §2, §8).
/// Defaults are the spec's.
public struct InventorySettings: Sendable, Hashable {
    /// How long after its last sighting an observed address closes.
    public var addressExpiry: Duration = .days(7)
    /// Events older than the newest event time minus this change no structure.
    public var latenessWindow: Duration = .hours(24)
    /// Events further ahead of the clock than this change no structure.
    public var futureTolerance: Duration = .hours(1)
    /// An address held by more than this many hosts within
    /// `sharedAddressWindow` becomes a shared atom.
    public var sharedAddressHosts: Int = 3
    public var sharedAddressWindow: Duration = .hours(1)
    /// Strict reference rule for accounts: failed logons create accounts too.
    public var strictAccounts: Bool = false
    /// Sightings kept per attachment for exact out-of-order splits.
    public var recentSightingsLimit: Int = 128
    /// How many atoms that hold no attachment (the peers, domains and
    /// unclaimed names of past events) the in-memory atom index keeps
    /// beyond as many as hold one. Past that it drops them between two
    /// batches: a server facing the internet meets new addresses for as
    /// long as it runs, and kept them all until it stopped.
    public var unattachedAtomsKept: Int = 1_000_000

    public init() {}
}
