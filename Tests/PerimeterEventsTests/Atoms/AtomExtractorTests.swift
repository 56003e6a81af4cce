import PerimeterModel
import Testing
@testable import PerimeterEvents

/// Extraction from whole events. Each expected set was written by hand from
/// reading the event's JSON and SPEC §2, as `field=type:value`.
struct AtomExtractorTests {
    static let suffixes = try! PublicSuffixList(contentsOfFile: PublicSuffixList.debianPath)
    static let extractor = AtomExtractor(options: AtomExtractionOptions(),
                                         publicSuffixes: suffixes)

    struct CorpusCase: Sendable, CustomTestStringConvertible {
        let file: String
        let line: Int
        let expected: Set<String>
        var testDescription: String { "\(file):\(line)" }
    }

    static let corpusCases: [CorpusCase] = [
        // Windows events polled over httpjson: host.* is the subject
        // (windows is a subject-host dataset), agent.* the poller.
        CorpusCase(file: "elastic-integrations-samples__windows.ndjson", line: 1, expected: [
            "host.name=hostname:vagrant", "winlog.computer_name=hostname:vagrant",
            "user.id=sid:S-1-5-21-1350058589-2282154016-2764056528-1000",
        ]),
        // Okta over httpjson: a collector source, no host or agent atom;
        // its user names are redacted (`xxxxxx`), which names nobody.
        CorpusCase(file: "elastic-integrations-samples__okta.ndjson", line: 1, expected: [
            "client.ip=ipv4:108.255.197.247", "source.ip=ipv4:108.255.197.247",
            "related.ip=ipv4:108.255.197.247",
        ]),
        // Carbon Black Cloud alert: the endpoint is in host.*; a UPN user.
        // Its host.id `2` is too short to identify a machine across products.
        CorpusCase(file: "elastic-integrations-samples__carbon_black_cloud.ndjson", line: 1,
                   expected: [
            "host.hostname=hostname:desktop-002", "host.name=hostname:desktop-002",
            "related.hosts=hostname:desktop-002",
            "user.name=username:demo.com\\test34", "related.user=username:demo.com\\test34",
        ]),
        // Microsoft DHCP: an FQDN in host.name, all-zero id and MAC refused;
        // the log was read by another machine's agent (docker-fleet-agent).
        CorpusCase(file: "elastic-integrations-samples__microsoft_dhcp.ndjson", line: 1,
                   expected: [
            "host.ip=ipv4:192.168.2.1", "host.name=hostname:host",
            "host.name=fqdn:host.test.com",
        ]),
        // Office 365: collector; user.domain qualifies user.name, and the
        // bare `asr` of related.user is that account, no atom of its own.
        CorpusCase(file: "elastic-integrations-samples__o365.ndjson", line: 1, expected: [
            "client.ip=ipv4:213.97.47.133", "source.ip=ipv4:213.97.47.133",
            "related.ip=ipv4:213.97.47.133",
            "user.domain=fqdn:testsiem.onmicrosoft.com",
            "user.email=email:asr@testsiem.onmicrosoft.com",
            "user.name=username:testsiem.onmicrosoft.com\\asr",
        ]),
        // A 4624-style logon by SYSTEM: only the host and the machine
        // account; the agent (Lees-MBP.localdomain) forwards for it, and
        // its id is not the host's.
        CorpusCase(file: "elastic-integrations__windows__forwarded.ndjson", line: 58,
                   expected: [
            "host.name=hostname:vagrant-2012-r2",
            "winlog.computer_name=hostname:vagrant-2012-r2",
            "related.user=username:vagrant-2012-r2$",
        ]),
        // Sekoia Windows: FQDN in host.name and log.hostname.
        CorpusCase(file: "sekoia__windows__windows.ndjson", line: 1, expected: [
            "host.hostname=hostname:local", "host.name=hostname:local",
            "host.name=fqdn:local.example.org", "log.hostname=hostname:local",
            "log.hostname=fqdn:local.example.org", "related.hosts=hostname:local",
            "user.domain=fqdn:example.com",
        ]),
        // Suricata: addresses, MACs in hyphen form, domains.
        CorpusCase(file: "elastic-integrations__suricata__eve.ndjson", line: 1, expected: [
            "destination.domain=fqdn:testmynids.org", "destination.ip=ipv4:10.31.64.240",
            "destination.mac=mac:00:1b:17:00:01:18", "related.hosts=fqdn:testmynids.org",
            "related.ip=ipv4:175.16.199.1", "related.ip=ipv4:10.31.64.240",
            "source.ip=ipv4:175.16.199.1", "source.mac=mac:00:03:2d:3f:e5:63",
            "url.domain=fqdn:testmynids.org",
        ]),
        // Zeek DNS: the query name is an fqdn.
        CorpusCase(file: "elastic-integrations__zeek__dns.ndjson", line: 1, expected: [
            "destination.ip=ipv4:192.168.86.1",
            "dns.question.name=fqdn:dd625ffb4fc54735b281862aa1cd6cd4.us-west1.gcp.cloud.es.io",
            "related.ip=ipv4:192.168.86.167", "related.ip=ipv4:192.168.86.1",
            "source.ip=ipv4:192.168.86.167",
        ]),
        // Zeek x509: file.x509.alternative_names is an email field only.
        CorpusCase(file: "elastic-integrations__zeek__x509.ndjson", line: 1, expected: []),
        // Proofpoint: a recipient address, lower-cased.
        CorpusCase(file: "elastic-integrations__proofpoint_tap__message_delivered.ndjson",
                   line: 1, expected: [
            "email.to.address=email:fhsvbui8axxxxxxui8abc256326@example.com",
            "related.ip=ipv4:175.16.199.1", "source.ip=ipv4:175.16.199.1",
        ]),
        // Cisco ASA: a link-local source is no atom.
        CorpusCase(file: "elastic-integrations__cisco_asa__log.ndjson", line: 126, expected: [
            "host.hostname=hostname:snl-asa-vpn-a01", "related.hosts=hostname:snl-asa-vpn-a01",
        ]),
        // Winlogbeat via Sekoia: lists, link-local and bad MACs, well-known
        // SIDs, and the sample's host named `hostname`, a placeholder.
        CorpusCase(file: "sekoia__beats__winlogbeat.ndjson", line: 19, expected: [
            "agent.id=agent_id:12345678-abcd-ef90-1234-abcdef123456",
            "host.id=host_id:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "host.ip=ipv4:1.2.3.4", "host.ip=ipv4:4.3.2.1", "host.ip=ipv4:5.6.7.8",
            "host.mac=mac:a0:b1:c2:d3:e4:f5", "host.mac=mac:aa:bb:cc:dd:ee:ff",
            "related.hosts=hostname:workstation",
            "winlog.computer_name=hostname:workstation",
            "winlog.computer_name=fqdn:workstation.johndoe.com",
            "related.ip=ipv4:1.2.3.4", "related.ip=ipv4:4.3.2.1", "related.ip=ipv4:5.6.7.8",
            "server.ip=ipv4:1.2.3.4", "server.ip=ipv4:4.3.2.1", "server.ip=ipv4:5.6.7.8",
            "related.user=username:workstation", "user.name=username:j_doe\\workstation$",
        ]),
        // Pulse Connect: a doubly escaped DOMAIN\\user beats user.domain.
        CorpusCase(file: "sekoia__ivanti__pulse-connect.ndjson", line: 4, expected: [
            "related.ip=ipv4:1.2.3.4", "related.ip=ipv4:3.4.5.6", "source.ip=ipv4:1.2.3.4",
            "related.user=username:mydomain\\johndoe", "user.name=username:mydomain\\johndoe",
        ]),
        // Azure Windows: a DNS name in related.hosts is an fqdn, not host "v10".
        CorpusCase(file: "sekoia__azure__azure-windows.ndjson", line: 13, expected: [
            "dns.question.name=fqdn:v10.events.data.microsoft.com",
            "host.hostname=hostname:winazuretest", "host.name=hostname:winazuretest",
            "log.hostname=hostname:winazuretest", "related.hosts=hostname:winazuretest",
            "related.hosts=fqdn:v10.events.data.microsoft.com",
        ]),
        // Bitdefender GravityZone via Sekoia (event.module av: not a collector).
        CorpusCase(file: "sekoia__bitdefender__gravityzone.ndjson", line: 1, expected: [
            "host.ip=ipv4:10.0.0.4", "related.ip=ipv4:10.0.0.4",
            "host.name=hostname:desktop-jdo", "host.name=fqdn:desktop-jdo.example.org",
            "related.user=username:jdoe", "source.user.name=username:jdoe",
        ]),
    ]

    @Test(arguments: corpusCases)
    func corpusEvent(_ testCase: CorpusCase) throws {
        let event = try DictionaryEventSource(json: Corpus.ecsLine(testCase.file, testCase.line))
        let found = Set(Self.extractor.extract(from: event).atoms.map(\.description))
        #expect(found == testCase.expected)
    }

    @Test func collectorEventsCountWhatTheySkip() throws {
        let event = try DictionaryEventSource(
            json: Corpus.ecsLine("elastic-integrations-samples__o365.ndjson", 1))
        let result = Self.extractor.extract(from: event)
        #expect(result.isFromCollectorSource)
        // host.id, host.name and agent.id.
        #expect(result.skippedCollectorValues == 3)

        let open = AtomExtractor(options: AtomExtractionOptions(collectorSources: .none),
                                 publicSuffixes: Self.suffixes)
        let all = Set(open.extract(from: event).atoms.map(\.description))
        #expect(all.contains("host.id=host_id:b86ab9d4-fcf1-4b11-8a06-7a8f91b47fbd"))
        // The agent (docker-fleet-agent) is another machine than the host
        // it names, so its id is not the host's, collector or not.
        #expect(!all.contains("agent.id=agent_id:daae9b35-e01e-4afc-a59d-da75f9702aa7"))
        // A tenant name in host.name is no host, even outside collector events.
        #expect(!all.contains { $0.hasPrefix("host.name=") })
    }

    /// Logs received over the network: agent.* is the receiver and yields
    /// nothing; host.* is the receiver too when it names the agent's
    /// machine (the shipper's own metadata), the sender when a parser set
    /// it. Other inputs keep both (a helper's corpus run: a router's syslog
    /// was enriched with the endpoint first seen with the receiver's id).
    static let relayCases: [([String: [String]], Set<String>)] = [
        (["input.type": ["udp"], "host.name": ["fw-edge-1"], "agent.name": ["collector-3"],
          "agent.id": ["7d1f0c52-aaaa-4bbb-8ccc-0123456789ab"], "source.ip": ["10.1.2.3"]],
         ["host.name=hostname:fw-edge-1", "source.ip=ipv4:10.1.2.3"]),
        (["input.type": ["TCP"], "host.name": ["Collector-3.corp.example.org"],
          "host.ip": ["10.9.9.9"], "agent.name": ["collector-3"],
          "agent.id": ["7d1f0c52-aaaa-4bbb-8ccc-0123456789ab"], "source.ip": ["10.1.2.3"]],
         ["source.ip=ipv4:10.1.2.3"]),
        (["input.type": ["syslog"], "agent.id": ["7d1f0c52-aaaa-4bbb-8ccc-0123456789ab"]], []),
        // The relay's metadata beside the sender a parser put in
        // host.hostname (Cisco's syslog header): that name alone stays.
        (["input.type": ["udp"], "host.name": ["collector-3"], "host.hostname": ["FIREPOWER"],
          "host.ip": ["10.9.9.9"], "agent.name": ["collector-3"],
          "agent.id": ["7d1f0c52-aaaa-4bbb-8ccc-0123456789ab"], "source.ip": ["10.1.2.3"]],
         ["host.hostname=hostname:firepower", "source.ip=ipv4:10.1.2.3"]),
        // The sender in host.name, the relay's own metadata beside it with
        // its name in host.hostname (vSphere over syslog): the name alone.
        (["input.type": ["udp"], "host.name": ["vcenter"], "host.hostname": ["collector-3"],
          "host.ip": ["172.18.0.7"], "host.mac": ["02-42-AC-12-00-07"],
          "agent.name": ["collector-3"], "agent.id": ["7d1f0c52-aaaa-4bbb-8ccc-0123456789ab"]],
         ["host.name=hostname:vcenter"]),
        // A shipper renamed (agent.name) is still its machine's (agent.hostname).
        (["input.type": ["tcp"], "host.name": ["collector-3"], "host.ip": ["10.9.9.9"],
          "agent.name": ["edge-shipper"], "agent.hostname": ["collector-3"]], []),
        (["input.type": ["filestream"], "host.name": ["web-1"], "agent.name": ["web-1"],
          "agent.id": ["7d1f0c52-aaaa-4bbb-8ccc-0123456789ab"]],
         ["host.name=hostname:web-1", "agent.id=agent_id:7d1f0c52-aaaa-4bbb-8ccc-0123456789ab"]),
    ]

    @Test(arguments: relayCases)
    func relayInputsNameTheirReceiver(fields: [String: [String]], expected: Set<String>) {
        let event = DictionaryEventSource(fields: fields)
        let result = Self.extractor.extract(from: event)
        #expect(Set(result.atoms.map(\.description)) == expected)
        #expect(result.isFromCollectorSource == (fields["input.type"] != ["filestream"]))
    }

    /// A log shipper that runs on another machine than the event's host
    /// is a forwarder (Windows Event Forwarding's collector, a shipper
    /// reading other machines' logs), whatever the input: its agent.id is
    /// no id of the host (it was, of every host it forwards for, each a
    /// conflict). A shipper named as its host, by either name in any case
    /// and by first labels or within a custom name (`WB-SRV-HOST01`), an
    /// event without names on both sides, and an
    /// agent that is no shipper (an EDR's, named after its product in
    /// Sekoia's formats) keep it.
    static let forwarderCases: [([String: [String]], Set<String>)] = [
        (["host.name": ["vagrant-2012-r2"], "agent.name": ["Lees-MBP.localdomain"],
          "agent.type": ["filebeat"], "agent.id": ["3cdc1e10-ded0-4f5d-8434-ede1d1120b17"]],
         ["host.name=hostname:vagrant-2012-r2"]),
        (["input.type": ["log"], "host.name": ["galaxy"], "agent.name": ["docker-fleet-agent"],
          "agent.type": ["Filebeat"], "agent.id": ["3cdc1e10-ded0-4f5d-8434-ede1d1120b17"]],
         ["host.name=hostname:galaxy"]),
        (["host.name": ["WIN-01.corp.example.org"], "agent.name": ["win-01"],
          "agent.type": ["winlogbeat"], "agent.id": ["3cdc1e10-ded0-4f5d-8434-ede1d1120b17"]],
         ["host.name=hostname:win-01", "host.name=fqdn:win-01.corp.example.org",
          "agent.id=agent_id:3cdc1e10-ded0-4f5d-8434-ede1d1120b17"]),
        (["host.name": ["web-2"], "agent.name": ["edge-shipper"], "agent.hostname": ["WEB-2"],
          "agent.type": ["filebeat"], "agent.id": ["3cdc1e10-ded0-4f5d-8434-ede1d1120b17"]],
         ["host.name=hostname:web-2", "agent.id=agent_id:3cdc1e10-ded0-4f5d-8434-ede1d1120b17"]),
        (["host.id": ["a0b1c2d3-0123-abcd-0a1b-abcd01234567"], "agent.name": ["edr-7"],
          "agent.type": ["filebeat"], "agent.id": ["3cdc1e10-ded0-4f5d-8434-ede1d1120b17"]],
         ["host.id=host_id:a0b1c2d3-0123-abcd-0a1b-abcd01234567",
          "agent.id=agent_id:3cdc1e10-ded0-4f5d-8434-ede1d1120b17"]),
        (["host.name": ["HOST01"], "host.hostname": ["HOST01"], "agent.name": ["WB-SRV-HOST01"],
          "agent.type": ["winlogbeat"], "agent.id": ["2c0cd63b-0000-4000-8000-000000000001"]],
         ["host.name=hostname:host01", "host.hostname=hostname:host01",
          "agent.id=agent_id:2c0cd63b-0000-4000-8000-000000000001"]),
        // A numbered machine is not its neighbour's part (`srv12`, `srv1`);
        // the Windows computer name is the host when no host field is.
        (["host.name": ["srv1"], "agent.name": ["srv12"], "agent.type": ["filebeat"],
          "agent.id": ["2c0cd63b-0000-4000-8000-000000000002"]], ["host.name=hostname:srv1"]),
        (["winlog.computer_name": ["vagrant-2016"], "agent.name": ["mbp.local"],
          "agent.type": ["filebeat"], "agent.id": ["f0224db8-0000-4000-8000-000000000003"]],
         ["winlog.computer_name=hostname:vagrant-2016"]),
        (["host.name": ["ws-07"], "agent.name": ["harfanglab"],
          "agent.id": ["d82e1ff6-f268-42a1-9091-df230fb3c85e"]],
         ["host.name=hostname:ws-07", "agent.id=agent_id:d82e1ff6-f268-42a1-9091-df230fb3c85e"]),
    ]

    @Test(arguments: forwarderCases)
    func aForwardersAgentIsNotItsHosts(fields: [String: [String]], expected: Set<String>) {
        let result = Self.extractor.extract(from: DictionaryEventSource(fields: fields))
        #expect(Set(result.atoms.map(\.description)) == expected)
    }

    /// related.user repeats the event's names: a bare copy of a name that
    /// another field gives qualified goes; other bare names stay, and so
    /// does a bare name in a field of its own (user.target.name).
    static let relatedUserCases: [([String: [String]], Set<String>)] = [
        (["user.name": ["Administrator"], "user.domain": ["WIN-41OB2LO92CR"],
          "related.user": ["Administrator", "bob"]],
         // (An undotted user.domain is account context, not an fqdn.)
         ["user.name=username:win-41ob2lo92cr\\administrator", "related.user=username:bob"]),
        (["related.user": ["alice"]], ["related.user=username:alice"]),
        (["user.name": ["CORP\\alice"], "user.target.name": ["alice"],
          "related.user": ["alice", "CORP\\alice"]],
         ["user.name=username:corp\\alice", "user.target.name=username:alice",
          "related.user=username:corp\\alice"]),
    ]

    @Test(arguments: relatedUserCases)
    func relatedUserCopies(fields: [String: [String]], expected: Set<String>) {
        let event = DictionaryEventSource(fields: fields)
        let found = Set(Self.extractor.extract(from: event).atoms.map(\.description))
        #expect(found == expected)
    }

    static let hostNameCases: [(String, Set<String>)] = [
        ("ws-01.corp.example.org", ["hostname:ws-01", "fqdn:ws-01.corp.example.org"]),
        ("WS-01", ["hostname:ws-01"]),
        ("WS-01.", ["hostname:ws-01"]),                         // the root's dot
        ("example.com", []),
        ("tenant.onmicrosoft.com", []),
        ("dc01.contoso.local", ["hostname:dc01", "fqdn:dc01.contoso.local"]),
        ("123.corp.example.org", ["fqdn:123.corp.example.org"]),
        ("10.1.2.3", []),
        ("localhost.localdomain", []),
        ("Peter’s MacBook Pro", []),
        // A NetBIOS name with an underscore in its domain: the whole is no
        // fqdn (DNS labels have none), but the machine is its first label.
        ("DC_TEST2k12.TEST.SAAS", ["hostname:dc_test2k12"]),
        ("web_01.corp.example.org", ["hostname:web_01"]),
        // In a private namespace, as `ws-06.corp` (below) is a machine's.
        ("DC_TEST2k12.TEST.", ["hostname:dc_test2k12"]),
        ("DC_01.corp", ["hostname:dc_01"]),
        ("x_y.com", []),
        // A leading underscore is no machine's name (systemd's `_gateway`
        // is whichever host routes; `_ldap` a DNS service label).
        ("_gateway.example.org", []),
        // A private namespace (a top label the list does not know) holds
        // machines even two labels down; a public one holds domains.
        ("ws-06.corp", ["hostname:ws-06", "fqdn:ws-06.corp"]),
        ("NAS.internal", ["hostname:nas", "fqdn:nas.internal"]),
        ("printer.lan.", ["hostname:printer", "fqdn:printer.lan"]),
        ("example.co.uk", []),
        ("kube-dns.16f484369d214dae", []),                     // an object's id, no domain
        ("a_b.c_d.example.org", []),                            // the domain is no domain
        ("x_y.com", []),                                        // nothing below the suffix
    ]

    /// related.hosts reads `ws-01.` as the hostname it is, as the host
    /// fields do.
    @Test func aRootDottedNameInRelatedHostsIsAHostname() {
        let event = DictionaryEventSource(fields: ["related.hosts": ["WS-01.", "dc.corp.example."]])
        let found = Set(Self.extractor.extract(from: event).atoms.map(\.atom.description))
        #expect(found == ["hostname:ws-01", "fqdn:dc.corp.example"])
    }

    @Test(arguments: hostNameCases)
    func fqdnInHostName(value: String, expected: Set<String>) {
        let event = DictionaryEventSource(fields: ["host.name": [value]])
        let found = Set(Self.extractor.extract(from: event).atoms.map(\.atom.description))
        #expect(found == expected)
    }

    /// A long list keeps each value once, in order, past the few that a
    /// scan compares (a set takes over there): 3,000 addresses, each sent
    /// twice, the second time in reverse order, plus one in another field.
    @Test func longListsKeepEachValueOnce() {
        let addresses = (0..<3_000).map { "10.\($0 / 250).\($0 % 250).1" }
        let event = DictionaryEventSource(fields: [
            "related.ip": addresses + addresses.reversed(), "source.ip": [addresses[0]],
        ])
        let found = Self.extractor.extract(from: event).atoms
        let related = found.filter { $0.field == "related.ip" }.map(\.atom.value)
        #expect(related == addresses)
        #expect(found.filter { $0.field == "source.ip" }.map(\.atom.value) == [addresses[0]])
    }

    @Test func strictModeDropsAndCountsDottedHostnames() throws {
        let strict = AtomExtractor(options: AtomExtractionOptions(strictHostnames: true),
                                   publicSuffixes: Self.suffixes)
        let event = try DictionaryEventSource(
            json: Corpus.ecsLine("sekoia__windows__windows.ndjson", 1))
        let result = strict.extract(from: event)
        #expect(Set(result.atoms.map(\.description)) == [
            "host.hostname=hostname:local", "related.hosts=hostname:local",
            "user.domain=fqdn:example.com",
        ])
        #expect(result.droppedDottedHostnames == 2)  // host.name and log.hostname
    }

    @Test func dottedAndNestedFormsBothCount() throws {
        let event = try DictionaryEventSource(json: """
            {"host.name": "WS-01", "host": {"name": "ws-02", "ip": "::ffff:10.1.2.3"},
             "source": {"ip": "2001:DB8:0:0:1:0:0:1", "user": {"name": "Admin",
             "domain": "CORP"}}, "user": {"name": "NT AUTHORITY\\\\SYSTEM",
             "domain": "NT AUTHORITY", "id": "S-1-5-18"},
             "related": {"host": ["laptop-12"], "user": ["S-1-5-21-1-2-3-500", "bob"]}}
            """)
        let found = Set(Self.extractor.extract(from: event).atoms.map(\.description))
        #expect(found == [
            "host.name=hostname:ws-01", "host.name=hostname:ws-02", "host.ip=ipv4:10.1.2.3",
            "source.ip=ipv6:2001:db8::1:0:0:1", "source.user.name=username:corp\\admin",
            "related.host=hostname:laptop-12", "related.user=sid:S-1-5-21-1-2-3-500",
            "related.user=username:bob",
        ])
    }

    @Test func fieldPathsHoldTheTableAndTheContext() {
        let paths = Set(AtomExtractor.fieldPaths)
        #expect(paths.count == AtomExtractor.fieldPaths.count)
        for path in ["related.hosts", "related.host", "source.user.name", "user.effective.id",
                     "host.mac", "cloud.instance.id", "agent.id", "data_stream.dataset",
                     "event.module", "input.type", "source.user.domain"] {
            #expect(paths.contains(path), "missing \(path)")
        }
    }

    @Test func placeholdersFromTheConfiguration() {
        let configured = AtomExtractor(
            options: AtomExtractionOptions(extraPlaceholders: ["HOSTNAME"]),
            publicSuffixes: Self.suffixes)
        let event = DictionaryEventSource(fields: ["host.name": ["hostname"],
                                                   "host.hostname": ["real-host"]])
        let result = configured.extract(from: event)
        #expect(result.atoms.map(\.description) == ["host.hostname=hostname:real-host"])
        #expect(result.unusableValues == 1)
    }
}
