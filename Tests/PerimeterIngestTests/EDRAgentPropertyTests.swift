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
}
