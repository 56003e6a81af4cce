import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import Testing

/// A discovered asset is named as the event wrote its host or user name,
/// without the spaces around it (its atom is trimmed; the name was not).
@Suite struct DiscoveredNameTests {
    /// The inventory every discovery rule makes of `lines`.
    static func discover(_ lines: [String]) throws -> Inventory {
        let inventory = Inventory()
        let pipeline = try IngestPipeline(
            store: nil, inventory: inventory, rules: Set(DiscoveryRule.allCases),
            configuration: PerimeterConfiguration(), options: IngestOptions())
        try pipeline.ingest(lines: lines.map { Array($0.utf8) }, name: "names")
        return inventory
    }

    @Test func namesAreTheEventsSpellingWithoutSurroundingSpaces() throws {
        let lines = [
            #"{"@timestamp":"2024-05-01T09:00:00Z","host":{"name":"  WS-Spaced \t"},"#
                + #""user":{"name":" Alice ","domain":" CORP "}}"#,
            #"{"@timestamp":"2024-05-01T09:01:00Z","host":{"name":"DB-01"}}"#,
        ]
        let inventory = try Self.discover(lines)
        let names = inventory.assets.values.map(\.name).sorted()
        #expect(names == ["CORP\\Alice", "DB-01", "WS-Spaced"])
    }

    /// A name field with several values (a list, or the dotted and nested
    /// keys both) names its asset by the value that gave the asset's atom:
    /// the first was taken, so a placeholder, a registrable domain or a
    /// built-in principal named the host or account made from the valid
    /// value after it (`N/A` holding ws-real2, `SYSTEM` holding bob2), and
    /// a placeholder domain qualified the name (`-\\zed`).
    @Test func aNameFieldOfSeveralValuesNamesByTheValueThatGaveTheAtom() throws {
        let lines = [
            #"{"@timestamp":"2024-05-01T10:00:00Z","host.name":"N/A","host":{"name":"ws-real2"}}"#,
            #"{"@timestamp":"2024-05-01T10:01:00Z","host":{"name":["-","ws-real1"]}}"#,
            #"{"@timestamp":"2024-05-01T10:02:00Z","host":{"name":["example.com","ws-real5"]}}"#,
            #"{"@timestamp":"2024-05-01T10:03:00Z","user.name":"SYSTEM","user":{"name":"bob2"}}"#,
            #"{"@timestamp":"2024-05-01T10:04:00Z","user":{"name":["localhost","bob1"]}}"#,
            #"{"@timestamp":"2024-05-01T10:05:00Z","user":{"name":"zed","domain":["-","CORP"]}}"#,
        ]
        let inventory = try Self.discover(lines)
        #expect(inventory.assets.values.map(\.name).sorted()
                    == ["CORP\\zed", "bob1", "bob2", "ws-real1", "ws-real2", "ws-real5"])
    }

    /// `host.name: ws-f` beside `host: {name: ws-g.corp.example.org}` names
    /// two machines: the event makes ws-f alone (one event, one host), and
    /// ws-g's own events make ws-g with its fqdn. Both were one asset, and
    /// ws-g's address enriched its events as ws-f. An fqdn that spells the
    /// hostname out is the same machine's.
    @Test func aHostnameAndAnotherMachinesFQDNInOneFieldAreTwoMachines() throws {
        let lines = [
            #"{"@timestamp":"2024-05-01T10:00:00Z","host.name":"ws-f","#
                + #""host":{"name":"ws-g.corp.example.org"}}"#,
            #"{"@timestamp":"2024-05-01T11:00:00Z","host":{"name":"ws-g.corp.example.org","#
                + #""ip":"10.44.0.7"}}"#,
            #"{"@timestamp":"2024-05-01T11:01:00Z","host":{"name":["ws-h","ws-h.corp.example.org"]}}"#,
        ]
        let inventory = try Self.discover(lines)
        let scope = ScopeKey(community: "default")
        let at = EventTime(parsing: "2024-05-01T11:05:00Z")!
        func holders(_ atom: Atom) -> [String] {
            inventory.holders(of: atom, in: scope, at: at).compactMap { inventory.asset($0)?.name }
        }
        #expect(inventory.assets.values.map(\.name).sorted()
                    == ["ws-f", "ws-g.corp.example.org", "ws-h"])
        #expect(holders(Atom(type: .fqdn, normalizedValue: "ws-g.corp.example.org"))
                    == ["ws-g.corp.example.org"])
        #expect(holders(Atom(type: .ipv4, normalizedValue: "10.44.0.7")) == ["ws-g.corp.example.org"])
        #expect(holders(Atom(type: .fqdn, normalizedValue: "ws-h.corp.example.org")) == ["ws-h"])
    }

    /// SPEC §2, "discovered once, not zero times": a machine named by an
    /// fqdn whose first label is all digits (an asset tag, as Windows DHCP
    /// logs have them) has no hostname atom, but is a host all the same,
    /// found again by its fqdn; a placeholder's fqdn (`HOSTNAME.contoso.com`)
    /// names no machine.
    @Test func anAssetTagFQDNIsAHost() throws {
        let lines = [
            #"{"@timestamp":"2024-05-01T09:00:00Z","host":{"name":"057182593757.corp.example.com","#
                + #""ip":["10.80.0.1"]}}"#,
            #"{"@timestamp":"2024-05-01T09:05:00Z","host":{"name":"057182593757.CORP.example.com"}}"#,
            #"{"@timestamp":"2024-05-01T09:06:00Z","host":{"name":"HOSTNAME.contoso.com"}}"#,
            #"{"@timestamp":"2024-05-01T09:07:00Z","host":{"name":"10-0-0-1.corp.example.com"}}"#,
        ]
        let inventory = try Self.discover(lines)
        #expect(inventory.assets.values.map(\.name).sorted()
                    == ["057182593757.corp.example.com", "10-0-0-1.corp.example.com"])
        let address = Atom(type: .ipv4, normalizedValue: "10.80.0.1")
        let holders = inventory.holders(of: address, in: ScopeKey(community: "default"),
                                        at: EventTime(parsing: "2024-05-01T09:10:00Z")!)
        #expect(holders.count == 1)
    }

    /// An epoch-milliseconds `@timestamp`, a number or a string of digits
    /// (Elasticsearch's epoch_millis), is the event's time: 2024-05-01
    /// 10:00 UTC is 1,714,557,600,000 ms.
    @Test func anEpochMillisecondsTimestampIsTheEventsTime() throws {
        let inventory = try Self.discover([
            #"{"@timestamp":1714557600000,"host":{"name":"ws-epoch"}}"#,
            #"{"@timestamp":"1714561200000","host":{"name":"ws-epoch"}}"#,
        ])
        let host = try #require(inventory.assets.values.first)
        #expect(host.firstSeen == EventTime(milliseconds: 1_714_557_600_000).date)
        #expect(host.lastSeen == EventTime(milliseconds: 1_714_561_200_000).date)
    }

    /// A syslog relay's own system (host.os) is not its sender's: vSphere's
    /// `vcenter` was given the receiving container's Ubuntu, addresses and
    /// MAC; a host's own event (no relay) gives it its system.
    @Test func aRelaysOwnSystemIsNotItsSenders() throws {
        let inventory = try Self.discover([
            #"{"@timestamp":"2024-05-01T10:00:00Z","input":{"type":"udp"},"#
                + #""host":{"name":"vcenter","hostname":"collector-3","ip":["172.18.0.7"],"#
                + #""os":{"name":"Ubuntu","version":"20.04.4"}},"agent":{"name":"collector-3"}}"#,
            #"{"@timestamp":"2024-05-01T10:05:00Z","host":{"name":"ws-01","#
                + #""os":{"name":"Windows 11","family":"windows"}}}"#,
        ])
        let byName = Dictionary(uniqueKeysWithValues: inventory.assets.values.map { ($0.name, $0) })
        let vcenter = try #require(byName["vcenter"])
        #expect(vcenter.properties.isEmpty, "\(vcenter.properties)")
        #expect(inventory.holders(of: Atom(type: .ipv4, normalizedValue: "172.18.0.7"),
                                  in: ScopeKey(community: "default"),
                                  at: try #require(EventTime(parsing: "2024-05-01T10:30:00Z")))
                .isEmpty)
        #expect(try #require(byName["ws-01"]).properties["os_family"] != nil)
    }

    /// A `host.name` or `user.name` list names a machine or an account
    /// for each value (SPEC §3: a host for every host.name, an account for
    /// every user.name); only the first was discovered. Whose the event's
    /// addresses and emails are it does not say: none holds them (the
    /// first held the recipient's address for the sender).
    @Test func everyValueOfANameListIsDiscovered() throws {
        let inventory = try Self.discover([
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":["testserver4","#
                + #""testserver5.corp.example.org","testserver4"],"ip":["10.0.0.4"]},"#
                + #""user":{"name":["alice","bob"],"domain":"CORP","#
                + #""email":["alice@corp.example.org","bob@corp.example.org"]}}"#,
        ])
        let byName = Dictionary(uniqueKeysWithValues: inventory.assets.values.map { ($0.name, $0) })
        #expect(byName.keys.sorted() == ["CORP\\alice", "CORP\\bob", "testserver4",
                                         "testserver5.corp.example.org"])
        let scope = ScopeKey(community: "default")
        let time = try #require(EventTime(parsing: "2024-05-01T10:30:00Z"))
        #expect(inventory.holders(of: Atom(type: .ipv4, normalizedValue: "10.0.0.4"), in: scope,
                                  at: time).isEmpty)
        #expect(inventory.holders(of: Atom(type: .email, normalizedValue: "bob@corp.example.org"),
                                  in: scope, at: time).isEmpty)
        #expect(inventory.holders(of: Atom(type: .fqdn,
                                           normalizedValue: "testserver5.corp.example.org"),
                                  in: scope, at: time)
                == [try #require(byName["testserver5.corp.example.org"]).id])
    }

    /// An event that names its host by its own host.id alone (an EDR's)
    /// is about the one host holding that id: its seen time moves and its
    /// address is attached; an id no host holds makes no host.
    @Test func anEventNamingItsHostByItsIDAloneIsAboutThatHost() throws {
        let inventory = try Self.discover([
            #"{"@timestamp":"2024-05-01T10:00:00Z","host":{"name":"ws-01","id":"hid-001"}}"#,
            #"{"@timestamp":"2024-05-01T12:40:00Z","host":{"id":"hid-001","ip":["10.0.0.6"]}}"#,
            #"{"@timestamp":"2024-05-01T12:50:00Z","host":{"id":"hid-unknown"}}"#,
        ])
        #expect(inventory.assets.values.map(\.name) == ["ws-01"])
        let host = try #require(inventory.assets.values.first)
        #expect(host.lastSeen == EventTime(parsing: "2024-05-01T12:40:00Z")?.date)
        let address = Atom(type: .ipv4, normalizedValue: "10.0.0.6")
        #expect(inventory.holders(of: address, in: ScopeKey(community: "default"),
                                  at: EventTime(parsing: "2024-05-01T13:00:00Z")!) == [host.id])
    }
}
