/// The event sources whose host.* and agent.* fields describe the machine
/// that collected the event, not an asset of the defended perimeter
/// (SPEC §2, "Collector fields are not the subject").
///
/// An event is a collector event when its `data_stream.dataset`,
/// `event.module` or `input.type` is listed. A dataset entry matches the
/// dataset itself and, when written without a dot, every dataset of that
/// integration (`okta` matches `okta.system`). Comparisons ignore case.
///
/// Some integrations poll an API and copy the subject machine into host.*
/// (EDR and vulnerability consoles: `carbon_black_cloud.alert` writes the
/// endpoint's name there). Their `subjectHostDatasets` entry keeps host.*
/// atoms; agent.* still names the poller and yields nothing.
///
/// Inputs that receive other machines' logs over the network
/// (`relayInputTypes`: syslog listeners, NetFlow collectors) are relays:
/// their agent.* is the receiver, never the device that sent the log, so
/// it yields nothing; their host.* is the receiver too when it names the
/// agent's own machine (host.name equal to agent.name or agent.hostname,
/// as the shipper's host metadata writes it), but for a host.hostname of
/// another name, which a parser took from the log (Cisco's syslog, for
/// one): the sender; and the sender when a parser filled host.name in.
/// Read as the sender, the receiver's agent id tied every device that
/// logs through it to the first host seen with that id.
public struct CollectorSources: Sendable, Hashable {
    public var datasets: [String]
    public var modules: [String]
    public var inputTypes: [String]
    public var subjectHostDatasets: [String]
    public var relayInputTypes: [String]

    public init(datasets: [String] = [], modules: [String] = [], inputTypes: [String] = [],
                subjectHostDatasets: [String] = [], relayInputTypes: [String] = []) {
        self.datasets = datasets
        self.modules = modules
        self.inputTypes = inputTypes
        self.subjectHostDatasets = subjectHostDatasets
        self.relayInputTypes = relayInputTypes
    }

    /// No event is a collector event.
    public static let none = CollectorSources()

    /// Defaults drawn from the corpus (Elastic integrations and Sekoia
    /// formats): cloud and SaaS audit APIs, and the Elastic inputs that only
    /// ever poll an API or a cloud queue. Syslog, file and Windows event
    /// inputs are not listed: there host.* is the machine that logged.
    /// Sekoia events carry no data_stream.dataset or input.type and their
    /// host.* is the subject, so none of them match.
    public static let defaults = CollectorSources(
        datasets: [
            "1password", "akamai", "atlassian_bitbucket", "auth0", "aws", "aws_logs",
            "azure", "azure_blob_storage", "bitwarden", "box_events", "cisco_duo",
            "cloudflare", "gcp", "gcp_pubsub", "github",
            "google_cloud_storage", "google_workspace", "lastpass", "mimecast",
            "microsoft_exchange_online_message_trace", "o365", "okta", "ping_one",
            "proofpoint_tap", "salesforce", "slack", "snyk", "tines", "zeronetworks",
        ],
        modules: [
            "1password", "aws", "azure", "gcp", "github", "google_workspace", "o365",
            "okta", "salesforce", "slack",
        ],
        inputTypes: [
            "httpjson", "cel", "aws-s3", "aws-cloudwatch", "azure-eventhub",
            "azure-blob-storage", "gcp-pubsub", "gcs", "o365audit", "cometd",
        ],
        subjectHostDatasets: [
            "carbon_black_cloud", "cisco_secure_endpoint", "cloudflare_logpush", "crowdstrike",
            "infoblox_bloxone_ddi", "m365_defender", "microsoft_defender_endpoint",
            "panw_cortex_xdr", "rapid7_insightvm", "sentinel_one", "sophos_central",
            "system", "tenable_io", "tenable_sc", "trellix_epo_cloud",
            "trend_micro_vision_one", "windows",
        ],
        relayInputTypes: ["udp", "tcp", "syslog", "netflow"])
}

/// How much of host.* and agent.* an event's source lets through.
enum CollectorScope {
    case subject, agentIsCollector, hostAndAgentAreCollector
    /// A relay's own host metadata in host.* beside the sender's name,
    /// which a parser wrote to host.hostname: that field alone is kept.
    case hostMetadataIsCollector
    /// The same with the sender's name in host.name and the relay's own in
    /// host.hostname (a vSphere syslog: `vcenter` beside the receiving
    /// container's name, addresses, MAC and system): host.name alone is
    /// kept.
    case hostMetadataIsCollectorButName

    /// Whether host.* describes the collector, the host's system among it
    /// (`host.os`, `host.type`), whatever of host.* names the subject.
    var hostMetadataIsCollector: Bool {
        switch self {
        case .subject, .agentIsCollector: false
        case .hostAndAgentAreCollector, .hostMetadataIsCollector, .hostMetadataIsCollectorButName:
            true
        }
    }
}

/// `CollectorSources` as lower-case sets, built once per extractor.
struct CollectorMatcher: Sendable {
    private typealias FoldedSets = (datasets: FoldedSet, modules: FoldedSet,
                                    inputTypes: FoldedSet, subjectHostDatasets: FoldedSet)

    private let datasets: Set<String>
    private let modules: Set<String>
    private let inputTypes: Set<String>
    private let subjectHostDatasets: Set<String>
    private let relayInputTypes: Set<String>
    /// The same sets as bytes, for ASCII values; nil when an entry is not
    /// ASCII, where the `String` sets decide.
    private let folded: FoldedSets?

    init(_ sources: CollectorSources) {
        datasets = Set(sources.datasets.map(ASCII.lowercased))
        modules = Set(sources.modules.map(ASCII.lowercased))
        inputTypes = Set(sources.inputTypes.map(ASCII.lowercased))
        subjectHostDatasets = Set(sources.subjectHostDatasets.map(ASCII.lowercased))
        relayInputTypes = Set(sources.relayInputTypes.map(ASCII.lowercased))
        let sets = [datasets, modules, inputTypes, subjectHostDatasets]
        if sets.allSatisfy({ $0.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } } }) {
            folded = (FoldedSet(datasets), FoldedSet(modules), FoldedSet(inputTypes),
                      FoldedSet(subjectHostDatasets))
        } else {
            folded = nil
        }
    }

    func scope(dataset: String?, module: String?, inputType: String?) -> CollectorScope {
        func isASCII(_ text: String?) -> Bool { text?.utf8.allSatisfy { $0 < 0x80 } != false }
        guard let folded, isASCII(dataset), isASCII(module), isASCII(inputType) else {
            return unicodeScope(dataset: dataset, module: module, inputType: inputType)
        }
        return withOptionalUTF8(dataset) { dataset in
            withOptionalUTF8(module) { module in
                withOptionalUTF8(inputType) { inputType in
                    asciiScope(folded, dataset: dataset, module: module, inputType: inputType)
                }
            }
        }
    }

    /// Whether an input type receives other machines' logs (see
    /// `CollectorSources.relayInputTypes`).
    func isRelay(inputType: String) -> Bool {
        !relayInputTypes.isEmpty && relayInputTypes.contains(ASCII.lowercased(inputType))
    }

    private func withOptionalUTF8<R>(_ text: String?, _ body: (UTF8Bytes?) -> R) -> R {
        guard let text else { return body(nil) }
        return ASCII.withUTF8(text) { body($0) }
    }

    private func asciiScope(_ sets: FoldedSets, dataset: UTF8Bytes?, module: UTF8Bytes?,
                            inputType: UTF8Bytes?) -> CollectorScope {
        let isCollector = Self.matches(dataset, in: sets.datasets)
            || module.map(sets.modules.contains) == true
            || inputType.map(sets.inputTypes.contains) == true
        guard isCollector else { return .subject }
        if Self.matches(dataset, in: sets.subjectHostDatasets)
            || module.map(sets.subjectHostDatasets.contains) == true {
            return .agentIsCollector
        }
        return .hostAndAgentAreCollector
    }

    private static func matches(_ dataset: UTF8Bytes?, in entries: FoldedSet) -> Bool {
        guard let dataset, !entries.isEmpty else { return false }
        if entries.contains(dataset) { return true }
        guard let dot = ASCII.firstIndex(of: UInt8(ascii: "."), in: dataset) else { return false }
        return entries.contains(ASCII.slice(dataset, 0..<dot))
    }

    private func unicodeScope(dataset: String?, module: String?,
                              inputType: String?) -> CollectorScope {
        let dataset = dataset.map(ASCII.lowercased)
        let isCollector = Self.matches(dataset, in: datasets)
            || module.map { modules.contains(ASCII.lowercased($0)) } == true
            || inputType.map { inputTypes.contains(ASCII.lowercased($0)) } == true
        guard isCollector else { return .subject }
        let module = module.map(ASCII.lowercased)
        if Self.matches(dataset, in: subjectHostDatasets)
            || module.map(subjectHostDatasets.contains) == true {
            return .agentIsCollector
        }
        return .hostAndAgentAreCollector
    }

    private static func matches(_ dataset: String?, in entries: Set<String>) -> Bool {
        guard let dataset, !entries.isEmpty else { return false }
        if entries.contains(dataset) { return true }
        guard let dot = dataset.firstIndex(of: ".") else { return false }
        return entries.contains(String(dataset[..<dot]))
    }
}

/// Lower-case ASCII entries, looked up by ASCII bytes in any case
/// without making a `String`: a list per length.
struct FoldedSet: Sendable {
    private let byLength: [[[UInt8]]]

    init(_ entries: Set<String>) {
        var byLength: [[[UInt8]]] = []
        for entry in entries.sorted() {
            let bytes = Array(entry.utf8)
            while byLength.count <= bytes.count { byLength.append([]) }
            byLength[bytes.count].append(bytes)
        }
        self.byLength = byLength
    }

    var isEmpty: Bool { byLength.isEmpty }

    func contains(_ bytes: UTF8Bytes) -> Bool {
        guard bytes.count < byLength.count else { return false }
        return byLength[bytes.count].contains { ASCII.equalsFolded(bytes, $0) }
    }
}
