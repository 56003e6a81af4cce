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
public struct CollectorSources: Sendable, Hashable {
    public var datasets: [String]
    public var modules: [String]
    public var inputTypes: [String]
    public var subjectHostDatasets: [String]

    public init(datasets: [String] = [], modules: [String] = [], inputTypes: [String] = [],
                subjectHostDatasets: [String] = []) {
        self.datasets = datasets
        self.modules = modules
        self.inputTypes = inputTypes
        self.subjectHostDatasets = subjectHostDatasets
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
        ])
}

/// How much of host.* and agent.* an event's source lets through.
enum CollectorScope {
    case subject, agentIsCollector, hostAndAgentAreCollector
}

/// `CollectorSources` as lower-case sets, built once per extractor.
struct CollectorMatcher: Sendable {
    private let datasets: Set<String>
    private let modules: Set<String>
    private let inputTypes: Set<String>
    private let subjectHostDatasets: Set<String>

    init(_ sources: CollectorSources) {
        datasets = Set(sources.datasets.map(ASCII.lowercased))
        modules = Set(sources.modules.map(ASCII.lowercased))
        inputTypes = Set(sources.inputTypes.map(ASCII.lowercased))
        subjectHostDatasets = Set(sources.subjectHostDatasets.map(ASCII.lowercased))
    }

    func scope(dataset: String?, module: String?, inputType: String?) -> CollectorScope {
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
