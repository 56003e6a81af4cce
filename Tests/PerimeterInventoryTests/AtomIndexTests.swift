import Foundation
import PerimeterInventory
import PerimeterModel
import Testing

/// The interned atom index under load: many atoms (the table grows many
/// times), values that differ by one byte or only in type or scope, and
/// weekly activity that crosses weeks.
@Suite struct AtomIndexTests {
    let loaded = Fixture.clock("09:00")

    @Test func everyLoadedAtomFindsItsOwnHolderAfterManyGrowths() {
        let inventory = Inventory()
        var hosts: [AssetID] = []
        for i in 0..<20_000 {
            let host = Asset(name: "H\(i)", category: .host, source: .manual, community: "acme",
                             createdAt: Date(timeIntervalSince1970: 1_714_000_000))
            inventory.load(asset: host)
            hosts.append(host.id)
            // Values one byte apart, short (inline) and long (heap) strings.
            inventory.load(attachment: attachment(i, .hostname, "h\(i)", host.id))
            inventory.load(attachment: attachment(
                100_000 + i, .fqdn, "h\(i).a-rather-long-domain-name.example.org", host.id))
        }
        for i in stride(from: 0, to: 20_000, by: 997) {
            #expect(inventory.holders(of: Fixture.hostname("h\(i)"), in: Fixture.scope,
                                      at: loaded) == [hosts[i]])
            let fqdn = Atom(type: .fqdn, normalizedValue: "h\(i).a-rather-long-domain-name.example.org")
            #expect(inventory.holders(of: fqdn, in: Fixture.scope, at: loaded) == [hosts[i]])
        }
        // Same text, other type; same atom, other community: no holder.
        #expect(inventory.holders(of: Atom(type: .username, normalizedValue: "h5"),
                                  in: Fixture.scope, at: loaded).isEmpty)
        #expect(inventory.holders(of: Fixture.hostname("h5"), in: ScopeKey(community: "other"),
                                  at: loaded).isEmpty)
        #expect(inventory.holders(of: Fixture.hostname("h20000"), in: Fixture.scope,
                                  at: loaded).isEmpty)
    }

    /// An address that moved holds two attachments; before and after the
    /// move each time gets its own holder.
    @Test func anAtomWithSeveralAttachmentsKeepsThemAll() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-a", at: Fixture.clock("09:00"), ips: ["10.0.0.7"]),
                        Fixture.host("ws-b", at: Fixture.clock("10:00"), ips: ["10.0.0.7"])])
        #expect(inventory.holderNames(Fixture.ip("10.0.0.7"), at: Fixture.clock("09:30")) == ["ws-a"])
        #expect(inventory.holderNames(Fixture.ip("10.0.0.7"), at: Fixture.clock("10:30")) == ["ws-b"])
    }

    /// Weekly activity: 2024-05-01 is a Wednesday, so with weeks starting
    /// on Monday the 1st and 3rd go to the week of 2024-04-29 and the 8th
    /// to that of 2024-05-06; going back to the first week adds to it.
    @Test func activityCountsFollowTheWeekOfEachEvent() {
        let inventory = Inventory()
        let address = "10.9.9.9"
        let times = ["2024-05-01T08:00:00Z", "2024-05-03T08:00:00Z", "2024-05-08T08:00:00Z",
                     "2024-05-02T08:00:00Z", "2024-05-08T09:00:00Z"]
        for time in times {
            _ = inventory.observe(Fixture.traffic(from: address, at: Fixture.at(time)), rules: [],
                                  now: Fixture.now)
        }
        let key = AtomKey(scope: Fixture.scope, atom: Fixture.ip(address))
        let activity = Set(inventory.drainChanges().activity)
        #expect(activity == [
            WeeklyActivity(key: key, weekStart: Fixture.at("2024-04-29T00:00:00Z"), count: 3),
            WeeklyActivity(key: key, weekStart: Fixture.at("2024-05-06T00:00:00Z"), count: 2),
        ])
        // Drained: nothing is counted twice.
        #expect(inventory.drainChanges().activity.isEmpty)
    }

    /// An event dated beyond the future tolerance (a clock years ahead)
    /// counts in the week of now (Fixture.now, 2024-05-10, a Friday: the
    /// week of 2024-05-06), not in a bucket of 2034; one within the
    /// tolerance counts in its own week.
    @Test func aFutureEventCountsInTheWeekOfNow() {
        let inventory = Inventory()
        let address = "10.9.9.8"
        for time in ["2034-02-20T08:00:00Z", "2024-05-10T00:30:00Z"] {
            _ = inventory.observe(Fixture.traffic(from: address, at: Fixture.at(time)), rules: [],
                                  now: Fixture.now)
        }
        let key = AtomKey(scope: Fixture.scope, atom: Fixture.ip(address))
        #expect(Set(inventory.drainChanges().activity) == [
            WeeklyActivity(key: key, weekStart: Fixture.at("2024-05-06T00:00:00Z"), count: 2),
        ])
    }

    /// One event naming a thousand new addresses grows the index while
    /// its atoms are interned together; the same event again finds the
    /// same ids, and a held atom among new ones still finds its holder.
    @Test func manyNewAtomsInOneEventAreEachInternedOnce() {
        let inventory = Inventory()
        let host = Asset(name: "H", category: .host, source: .manual, community: "acme",
                         createdAt: Date(timeIntervalSince1970: 1_714_000_000))
        inventory.load(asset: host)
        inventory.load(attachment: attachment(0, .hostname, "held", host.id))
        let addresses = (0..<1_000).map { "10.1.\($0 / 256).\($0 % 256)" }
        var atoms = addresses.map { FieldAtom(atom: Fixture.ip($0), field: "related.ip") }
        atoms.insert(FieldAtom(atom: Fixture.hostname("held"), field: "host.name"), at: 500)
        let time = Fixture.clock("10:00")
        let event = EventObservation(time: time, scope: Fixture.scope, reference: "test",
                                     atoms: atoms)
        for _ in 0..<2 {
            let (_, match) = inventory.observeAndMatch(event, rules: [], now: Fixture.now,
                                                       stream: "test", advancesWatermark: true)
            #expect(match.assets == [host.id])
        }
        let activity = inventory.drainChanges().activity
        #expect(activity.count == 1_001)
        #expect(Set(activity.map(\.key)).count == 1_001)
        #expect(Set(activity.map(\.count)) == [2])
    }

    /// A long run meets new peers for as long as it lasts: past the kept
    /// number, the atoms no asset holds leave the index between batches,
    /// while every held atom keeps its holders, its activity counts
    /// and its id-free lookups, and a dropped atom met again counts anew.
    @Test func atomsNoAssetHoldsLeaveTheIndexBetweenBatches() {
        var settings = InventorySettings()
        settings.unattachedAtomsKept = 100
        let inventory = Inventory(settings: settings)
        inventory.feed([Fixture.host("ws-a", at: Fixture.clock("09:00"), ips: ["10.0.0.1"]),
                        Fixture.host("ws-b", at: Fixture.clock("09:00"), ips: ["10.0.0.2"])])
        // Each host event holds a host name and an address: four atoms.
        #expect(inventory.indexedAtomCount == 4)
        _ = inventory.drainChanges()

        // 150 peers: more than 100 beyond the 4 held, but they are only
        // let go once this batch's counts are drained.
        for i in 0..<150 {
            see("198.51.100.\(i)", at: "10:00", in: inventory)
        }
        see("10.0.0.2", at: "10:00", in: inventory)
        #expect(inventory.indexedAtomCount == 154)
        let batch = inventory.drainChanges()
        #expect(batch.activity.count == 151)
        #expect(Set(batch.unclaimed.keys.map(\.atom.value))
                == Set((0..<150).map { "198.51.100.\($0)" }))
        #expect(inventory.indexedAtomCount == 4)

        // The held atoms still find their holders, by event and by lookup.
        #expect(inventory.holderNames(Fixture.ip("10.0.0.1"), at: Fixture.clock("10:00")) == ["ws-a"])
        #expect(inventory.matchedNames([Fixture.ip("10.0.0.2"), Fixture.hostname("ws-a")],
                                       at: Fixture.clock("10:00")) == ["ws-a", "ws-b"])
        // A dropped peer met twice again is counted twice, under its key.
        for _ in 0..<2 {
            see("198.51.100.7", at: "11:00", in: inventory)
        }
        let peer = AtomKey(scope: Fixture.scope, atom: Fixture.ip("198.51.100.7"))
        #expect(inventory.drainChanges().activity
                == [WeeklyActivity(key: peer, weekStart: Fixture.at("2024-04-29T00:00:00Z"), count: 2)])
        // Fewer than the kept number beyond the held ones: nothing goes.
        #expect(inventory.indexedAtomCount == 5)
    }

    /// The kept number grows with the held atoms: 30 peers beyond 40 held
    /// atoms stay although more than the 10 kept, and a new host attached
    /// after the drop finds the index whole.
    @Test func theUnattachedAtomsKeptAreAtLeastAsManyAsTheHeldOnes() {
        var settings = InventorySettings()
        settings.unattachedAtomsKept = 10
        let inventory = Inventory(settings: settings)
        inventory.feed((0..<20).map { Fixture.host("ws-\($0)", at: Fixture.clock("09:00"),
                                                   ips: ["10.0.1.\($0)"]) })
        for i in 0..<30 {
            see("198.51.100.\(i)", at: "10:00", in: inventory)
        }
        _ = inventory.drainChanges()
        #expect(inventory.indexedAtomCount == 70)
        for i in 30..<41 {
            see("198.51.100.\(i)", at: "10:00", in: inventory)
        }
        _ = inventory.drainChanges()
        #expect(inventory.indexedAtomCount == 40)
        inventory.feed([Fixture.host("ws-new", at: Fixture.clock("11:00"), ips: ["198.51.100.3"])])
        #expect(inventory.holderNames(Fixture.ip("198.51.100.3"), at: Fixture.clock("11:00"))
                == ["ws-new"])
        for i in stride(from: 0, to: 20, by: 7) {
            #expect(inventory.holderNames(Fixture.ip("10.0.1.\(i)"), at: Fixture.clock("11:00"))
                    == ["ws-\(i)"])
        }
    }

    /// A proxy log line naming one address, matched as an ingest does.
    private func see(_ address: String, at hhmm: String, in inventory: Inventory) {
        _ = inventory.observeAndMatch(Fixture.traffic(from: address, at: Fixture.clock(hhmm)),
                                      rules: [], now: Fixture.now, stream: "test",
                                      advancesWatermark: true)
    }

    private func attachment(_ id: Int, _ type: AtomType, _ value: String,
                            _ asset: AssetID) -> PerimeterInventory.Attachment {
        Attachment(id: Int64(id + 1),
                   key: AtomKey(scope: Fixture.scope, atom: Atom(type: type, normalizedValue: value)),
                   asset: asset, kind: .confirmed, from: Fixture.clock("08:00"), origin: "test")
    }
}
