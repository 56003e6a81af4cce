import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import Testing

/// SPEC §3.1's EDR rule names the property after the vendor the event's
/// module or observer names. A log shipper's agent.id (Filebeat relaying
/// a firewall's syslog) is the shipper's, whatever it relays: it is an
/// `edr_agent_id`, not the relayed vendor's agent id.
@Suite struct EDRAgentPropertyTests {
    @Test(arguments: [
        // (agent object, module, the property expected)
        (#"{"id":"s1-agent-9","type":"sentinelone"}"#, "sentinel_one", "sentinelone_agent_id"),
        (#"{"id":"falcon-77"}"#, "crowdstrike", "crowdstrike_agent_id"),
        (#"{"id":"beat-1","type":"filebeat"}"#, "sophos", "edr_agent_id"),
        (#"{"id":"beat-2","type":"Winlogbeat"}"#, "windows_defender", "edr_agent_id"),
        (#"{"id":"agent-3","type":"endpoint"}"#, "endpoint", "edr_agent_id"),
        (#"{"id":"agent-4","type":"elastic-agent"}"#, "sophos", "edr_agent_id"),
    ])
    func propertyOfAnAgentID(agent: String, module: String, property: String) throws {
        let inventory = Inventory()
        let pipeline = try IngestPipeline(
            store: nil, inventory: inventory, rules: Set(DiscoveryRule.allCases),
            configuration: PerimeterConfiguration(), options: IngestOptions())
        let line = #"{"@timestamp":"2024-05-01T09:00:00Z","host":{"name":"fw-01"},"#
            + #""event":{"module":"\#(module)"},"agent":\#(agent)}"#
        try pipeline.ingest(lines: [Array(line.utf8)], name: "edr-test")

        let scope = ScopeKey(community: "default")
        let holder = inventory.holders(of: Atom(type: .hostname, normalizedValue: "fw-01"),
                                       in: scope, at: EventTime(parsing: "2024-05-01T10:00:00Z")!)
        let host = try #require(holder.first.flatMap(inventory.asset))
        let agentProperties = host.properties.keys.filter { $0.hasSuffix("agent_id") }
        #expect(agentProperties == [property])
    }

    /// A host takes at most 256 agent ids from one event, the first ones in
    /// the event's order (`EventReader.identifiersPerList`).
    @Test func aListOfAgentIDsKeepsItsFirst256() throws {
        let inventory = Inventory()
        let pipeline = try IngestPipeline(
            store: nil, inventory: inventory, rules: Set(DiscoveryRule.allCases),
            configuration: PerimeterConfiguration(), options: IngestOptions())
        let ids = (0..<300).map { String(format: "falcon-%03d", $0) }
        let line = #"{"@timestamp":"2024-05-01T09:00:00Z","host":{"name":"ws-77"},"#
            + #""event":{"module":"crowdstrike"},"agent":{"id":["#
            + ids.map { "\"\($0)\"" }.joined(separator: ",") + "]}}"
        try pipeline.ingest(lines: [Array(line.utf8)], name: "edr-list")

        let holder = inventory.holders(of: Atom(type: .hostname, normalizedValue: "ws-77"),
                                       in: ScopeKey(community: "default"),
                                       at: EventTime(parsing: "2024-05-01T10:00:00Z")!)
        let host = try #require(holder.first.flatMap(inventory.asset))
        #expect(host.properties["crowdstrike_agent_id"] == .list(Array(ids.prefix(256))))
    }
}
