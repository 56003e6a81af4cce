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
        #expect(try Self.names(holding: "192.168.0.4", .ipv4, at: "2023-09-30T11:40:00Z",
                           in: run) == ["my-iPhone"])
        #expect(try Self.names(holding: "4a:34:bf:d2:78:24", .mac, at: "2023-09-30T11:40:00Z",
                           in: run) == ["my-iPhone"])
    }

    /// Infoblox's DHCP syslog as Sekoia.io parses it: the verb upper case
    /// in event.action, the leased address in source.ip.
    @Test func infobloxSyslogThroughSekoiaAttachesTheLeasedAddress() throws {
        let run = try Self.ingest("sekoia__infoblox__ddi.ndjson")
        // "DHCPACK on 192.168.1.138 to 08:71:90:8d:0b:5d (P70955)"; the
        // file's events have no @timestamp and take the test's clock.
        let clock = CorpusExpectations.shared.clock
        #expect(try Self.names(holding: "192.168.1.138", .ipv4, at: clock, in: run) == ["P70955"])
        #expect(try Self.names(holding: "08:71:90:8d:0b:5d", .mac, at: clock, in: run) == ["P70955"])
        // DHCPOFFER and DHCPREQUEST give no address to anyone.
        #expect(try Self.names(holding: "1.2.3.4", .ipv4, at: clock, in: run) == [])
    }

    /// Infoblox BloxOne DDI lease records: a record in state "used" is a
    /// lease held; the file's other record, all placeholders ("string"),
    /// is none.
    @Test func bloxOneLeaseRecordsInUseAreGrants() throws {
        let run = try Self.ingest("elastic-integrations__infoblox_bloxone_ddi__dhcp_lease.ndjson")
        #expect(Self.leaseHosts(run) == ["example.com"])
        #expect(try Self.names(holding: "81.2.69.192", .ipv4, at: "2022-07-14T12:00:00Z",
                           in: run) == ["example.com"])
        #expect(try Self.names(holding: "00:00:5e:00:53:00", .mac, at: "2022-07-14T12:00:00Z",
                           in: run) == ["example.com"])
    }
}
