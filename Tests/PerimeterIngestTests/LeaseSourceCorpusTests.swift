import Foundation
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import Testing

/// The shipped lease sources on the corpus's DHCP events of Infoblox, as
/// each integration writes them. Each expectation was read off the file's
/// lines by hand: the DHCPACKs that name a holder, their addresses and
/// MACs, and their times.
@Suite("Lease sources on the corpus")
struct LeaseSourceCorpusTests {
    static let scope = ScopeKey(community: Scope.defaultCommunity)

    /// Ingests one corpus file alone into an empty store.
    static func ingest(_ file: String) throws -> IngestRun {
        let run = try IngestRun()
        try run.pipeline.ingest(path: Corpus.ecs.appendingPathComponent(file).path)
        #expect(run.pipeline.summary.malformed == 0)
        return run
    }

    static func names(holding value: String, _ type: AtomType, at time: String,
                      in run: IngestRun) throws -> [String] {
        let instant = try #require(EventTime(parsing: time), "\(time) is not a time")
        return run.pipeline.inventory
            .holders(of: Atom(type: type, normalizedValue: value), in: scope, at: instant)
            .compactMap { run.pipeline.inventory.asset($0)?.name }.sorted()
    }

    /// Expects an address and a MAC held by one host, named `name`, at `time`.
    static func expectHeld(_ address: String, _ mac: String, by name: String, at time: String,
                           in run: IngestRun,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let type: AtomType = address.contains(":") ? .ipv6 : .ipv4
        #expect(try names(holding: address, type, at: time, in: run) == [name],
                sourceLocation: sourceLocation)
        #expect(try names(holding: mac, .mac, at: time, in: run) == [name],
                sourceLocation: sourceLocation)
    }

    /// The names of the hosts the lease rule created.
    static func leaseHosts(_ run: IngestRun) -> [String] {
        run.pipeline.inventory.assets.values
            .filter { $0.source.rule == "address_leases" }.map(\.name).sorted()
    }

    /// Infoblox NIOS through Elastic's integration: events read straight
    /// from its pipeline carry no event.dataset, and the holder's name is
    /// the client's own (infoblox_nios.log.dhcp.client_hostname).
    @Test func infobloxNIOSGrantsNameTheirHolders() throws {
        let run = try Self.ingest("elastic-integrations__infoblox_nios__log.ndjson")
        // Three DHCPACKs name a holder: DESKTOP-ABCD, h000000000000 and
        // my-iPhone; the others give the address to a bare MAC no host has.
        #expect(Self.leaseHosts(run) == ["DESKTOP-ABCD", "h000000000000", "my-iPhone"])
        #expect(try Self.names(holding: "00:50:56:83:6c:a0", .mac, at: "2023-03-27T09:00:00Z",
                           in: run) == ["DESKTOP-ABCD"])
        // The last grants of 192.168.0.4 (11:33:03 on 30 September) are
        // my-iPhone's, by name and by its MAC.
        try Self.expectHeld("192.168.0.4", "4a:34:bf:d2:78:24", by: "my-iPhone",
                            at: "2023-09-30T11:40:00Z", in: run)
    }

    /// Infoblox's DHCP syslog as Sekoia.io parses it: the verb upper case
    /// in event.action, the leased address in source.ip.
    @Test func infobloxSyslogThroughSekoiaAttachesTheLeasedAddress() throws {
        let run = try Self.ingest("sekoia__infoblox__ddi.ndjson")
        // "DHCPACK on 192.168.1.138 to 08:71:90:8d:0b:5d (P70955)"; the
        // file's events have no @timestamp and take the test's clock.
        let clock = CorpusExpectations.shared.clock
        try Self.expectHeld("192.168.1.138", "08:71:90:8d:0b:5d", by: "P70955", at: clock,
                            in: run)
        // DHCPOFFER and DHCPREQUEST give no address to anyone.
        #expect(try Self.names(holding: "1.2.3.4", .ipv4, at: clock, in: run) == [])
    }

    /// Infoblox BloxOne DDI lease records: a record in state "used" is a
    /// lease held. The samples file's names its machine `Host1` (81.2.69.192,
    /// 11 July 2022 11:51:15Z); its MAC, 00-00-5E-00-53-00, is RFC 7042's
    /// documentation address, which names no machine and gives no atom.
    @Test func bloxOneLeaseRecordsInUseAreGrants() throws {
        let run = try Self.ingest("elastic-integrations-samples__infoblox_bloxone_ddi.ndjson")
        #expect(Self.leaseHosts(run) == ["Host1"])
        #expect(try Self.names(holding: "81.2.69.192", .ipv4, at: "2022-07-11T12:00:00Z",
                               in: run) == ["Host1"])
        #expect(try Self.names(holding: "00:00:5e:00:53:00", .mac, at: "2022-07-11T12:00:00Z",
                               in: run) == [])
    }

    /// A lease's holder name reads as host.name reads (SPEC §2): the other
    /// BloxOne file's record in use names `example.com`, a registrable
    /// domain and no machine, so no host is made for it, and its other
    /// record, all placeholders ("string"), is no lease.
    @Test func aLeaseNamingADomainMakesNoHost() throws {
        let run = try Self.ingest("elastic-integrations__infoblox_bloxone_ddi__dhcp_lease.ndjson")
        #expect(Self.leaseHosts(run) == [])
        #expect(try Self.names(holding: "81.2.69.192", .ipv4, at: "2022-07-14T12:00:00Z",
                               in: run) == [])
    }
}

/// The name a lease gives its holder reads as host.name reads (SPEC §2).
@Suite("Lease holder names")
struct LeaseHolderNameTests {
    static func ingest(_ lines: [String]) throws -> IngestRun {
        let run = try IngestRun()
        let file = run.directory.appendingPathComponent("leases.ndjson")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true,
                                                          encoding: .utf8)
        try run.pipeline.ingest(path: file.path)
        #expect(run.pipeline.summary.malformed == 0)
        return run
    }

    /// Ingests one Infoblox NIOS grant per name, a minute apart from
    /// 08:00 on 1 May 2024: of 10.0.1.1 to 00:11:22:33:44:01, then of
    /// 10.0.1.2 to 00:11:22:33:44:02, and so on.
    static func ingestGrants(named names: [String]) throws -> IngestRun {
        try ingest(names.enumerated().map { index, name in
            let n = index + 1
            return #"{"@timestamp":"2024-05-01T08:0\#(n):00Z","event":{"action":"dhcpack"},"#
                + #""client":{"ip":"10.0.1.\#(n)","mac":"00:11:22:33:44:0\#(n)"},"#
                + #""infoblox_nios":{"log":{"type":"DHCP","dhcp":{"client_hostname":"\#(name)"}}}}"#
        })
    }

    /// A lease source's address field may be no atom field (Zeek's
    /// zeek.dhcp.address.assigned): the address it gives is an atom of the
    /// event all the same, counted and enriched with its new holder (the
    /// lease made the host, and the event itself was not enriched).
    @Test func aLeasedAddressOutsideTheAtomFieldsIsTheEventsAtom() throws {
        let run = try Self.ingest([
            #"{"@timestamp":"2024-05-01T14:00:00Z","zeek":{"dhcp":{"msg":{"types":["REQUEST","#
                + #""ACK"]},"address":{"assigned":"10.12.0.1","mac":"00:12:00:00:00:0b"},"#
                + #""hostname":"pc-b"}}}"#,
        ])
        #expect(LeaseSourceCorpusTests.leaseHosts(run) == ["pc-b"])
        try LeaseSourceCorpusTests.expectHeld("10.12.0.1", "00:12:00:00:00:0b", by: "pc-b",
                                              at: "2024-05-01T15:00:00Z", in: run)
        #expect(run.pipeline.summary.enriched == 1)
        // No zeek.* field is an atom field: the address is the event's one atom.
        #expect(run.pipeline.summary.atomsSeen == 1)
    }

    /// Two fqdns of one first label are two machines, each with its fqdn.
    @Test func twoFQDNsOfOneFirstLabelAreTwoHolders() throws {
        let run = try Self.ingestGrants(named: ["ws-07.corp.example.org", "ws-07.lab.example.org"])
        let at = "2024-05-01T09:00:00Z"
        #expect(LeaseSourceCorpusTests.leaseHosts(run)
                    == ["ws-07.corp.example.org", "ws-07.lab.example.org"])
        try LeaseSourceCorpusTests.expectHeld("10.0.1.1", "00:11:22:33:44:01",
                                              by: "ws-07.corp.example.org", at: at, in: run)
        try LeaseSourceCorpusTests.expectHeld("10.0.1.2", "00:11:22:33:44:02",
                                              by: "ws-07.lab.example.org", at: at, in: run)
        #expect(try LeaseSourceCorpusTests.names(holding: "ws-07.lab.example.org", .fqdn,
                                                 at: at, in: run) == ["ws-07.lab.example.org"])
    }

    /// A registrable domain or a tenant name names no machine: the grants
    /// make no host.
    @Test func aDomainNamesNoHolder() throws {
        let run = try Self.ingestGrants(named: ["example.com", "tenant.onmicrosoft.com"])
        #expect(LeaseSourceCorpusTests.leaseHosts(run) == [])
        #expect(run.pipeline.inventory.assetCount == 0)
    }
}
