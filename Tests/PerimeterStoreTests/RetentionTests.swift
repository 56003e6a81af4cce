import Foundation
import PerimeterTestSupport
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite
import PerimeterStore
import Testing

/// SPEC §2's storage bounds, worked by hand. The clock is Friday
/// 2024-05-10, in the week that starts on Monday 2024-05-06; keeping two
/// weeks keeps the buckets of 05-06 and 04-29 and drops 04-22 and older.
/// Unclaimed atoms are kept 30 days: the cut is 2024-04-10.
@Suite struct RetentionTests {
    static func at(_ text: String) -> EventTime { EventTime(parsing: text)! }

    @Test func oldActivityBucketsAndLongUnseenUnclaimedAtomsGo() throws {
        let directory = try ScratchDirectory("retention")
        defer { directory.remove() }
        let store = try InventoryStore(path: directory.path("r.db"))

        let inventory = Inventory()
        let scope = ScopeKey(community: "acme")
        let now = Self.at("2024-05-10T00:00:00Z")
        let sightings = [("10.0.0.2", "2024-03-01T12:00:00Z"), ("10.0.0.1", "2024-04-23T12:00:00Z"),
                         ("10.0.0.1", "2024-05-01T12:00:00Z"), ("10.0.0.1", "2024-05-07T12:00:00Z")]
        for (address, time) in sightings {
            let event = EventObservation(
                time: Self.at(time), scope: scope, reference: "test",
                atoms: [FieldAtom(atom: Atom(type: .ipv4, normalizedValue: address),
                                  field: "source.ip")])
            _ = inventory.observeAndMatch(event, rules: [], now: now, stream: "test",
                                          advancesWatermark: true)
        }
        try store.persist(inventory.drainChanges())
        let first = Atom(type: .ipv4, normalizedValue: "10.0.0.1")
        let second = Atom(type: .ipv4, normalizedValue: "10.0.0.2")
        #expect(try store.weeklyActivity(of: first, community: "acme").count == 3)
        #expect(try unclaimedCount(store) == 2)

        let outcome = try store.pruneExpired(now: now, activityWeeks: 2, unclaimedFor: .days(30))
        // 10.0.0.2 lost its only bucket, and its row in `atoms` with it.
        #expect(outcome == RetentionOutcome(activityBuckets: 2, unclaimedAtoms: 1, countedAtoms: 1))
        #expect(try countedAtoms(store) == ["10.0.0.1"])
        let kept = try store.weeklyActivity(of: first, community: "acme").map(\.0)
        #expect(kept.sorted() == [Self.at("2024-04-29T00:00:00Z"), Self.at("2024-05-06T00:00:00Z")])
        #expect(try store.weeklyActivity(of: second, community: "acme").isEmpty)
        #expect(try unclaimedCount(store) == 1)

        // A second pass finds nothing more to remove.
        #expect(try store.pruneExpired(now: now, activityWeeks: 2, unclaimedFor: .days(30))
                == RetentionOutcome())

        // Seen again, 10.0.0.2 is counted anew under a row of its own,
        // and 10.0.0.1's counts stay its own.
        let again = EventObservation(
            time: Self.at("2024-05-09T12:00:00Z"), scope: scope, reference: "test",
            atoms: [FieldAtom(atom: second, field: "source.ip"),
                    FieldAtom(atom: first, field: "destination.ip")])
        _ = inventory.observeAndMatch(again, rules: [], now: now, stream: "test",
                                      advancesWatermark: true)
        try store.persist(inventory.drainChanges())
        #expect(try store.weeklyActivity(of: second, community: "acme").map(\.1) == [1])
        #expect(try store.weeklyActivity(of: first, community: "acme").map(\.1) == [1, 2])
        #expect(try countedAtoms(store) == ["10.0.0.1", "10.0.0.2"])
    }

    /// SPEC §2: an unclaimed atom expires 30 days after it was last seen,
    /// while activity is kept 52 weeks. An expired atom that no asset ever
    /// held goes with its counts (they stayed, and `atoms show` listed the
    /// activity of an atom retention had said it removed); one that a host
    /// held once, unclaimed now, keeps them as that host's history.
    @Test func anExpiredUnclaimedAtomTakesItsCountsUnlessAnAssetHeldIt() throws {
        let directory = try ScratchDirectory("retention-unclaimed")
        defer { directory.remove() }
        let store = try InventoryStore(path: directory.path("r.db"))
        let inventory = Inventory()
        let scope = ScopeKey(community: "acme")
        let now = Self.at("2024-05-10T00:00:00Z")
        let peer = Atom(type: .ipv4, normalizedValue: "203.0.113.5")
        let former = Atom(type: .ipv4, normalizedValue: "10.0.0.9")
        func observe(_ event: EventObservation) {
            _ = inventory.observeAndMatch(event, rules: Set(DiscoveryRule.allCases), now: now,
                                          stream: "test", advancesWatermark: true)
        }
        // 10.0.0.9 is ws-1's from 03-20, for 7 days; both addresses are
        // last seen unclaimed on 04-01, 39 days before the clock.
        observe(EventObservation(
            time: Self.at("2024-03-20T12:00:00Z"), scope: scope, reference: "test",
            atoms: [FieldAtom(atom: Atom(type: .hostname, normalizedValue: "ws-1"),
                              field: "host.name"),
                    FieldAtom(atom: former, field: "host.ip")],
            host: HostSubject(displayName: "ws-1",
                              hostname: Atom(type: .hostname, normalizedValue: "ws-1"),
                              addresses: [former])))
        observe(EventObservation(
            time: Self.at("2024-04-01T12:00:00Z"), scope: scope, reference: "test",
            atoms: [FieldAtom(atom: peer, field: "source.ip"),
                    FieldAtom(atom: former, field: "destination.ip")]))
        try store.persist(inventory.drainChanges())
        #expect(try unclaimedCount(store) == 2)
        #expect(try store.weeklyActivity(of: peer, community: "acme").map(\.1) == [1])

        let outcome = try store.pruneExpired(now: now, activityWeeks: 52, unclaimedFor: .days(30))
        #expect(outcome == RetentionOutcome(activityBuckets: 0, unclaimedAtoms: 2, countedAtoms: 1,
                                            unclaimedBuckets: 1))
        #expect(try store.weeklyActivity(of: peer, community: "acme").isEmpty)
        #expect(try store.weeklyActivity(of: former, community: "acme").map(\.1) == [1, 1])
        #expect(try countedAtoms(store).contains("10.0.0.9"))
        #expect(try !countedAtoms(store).contains("203.0.113.5"))
    }

    private func countedAtoms(_ store: InventoryStore) throws -> [String] {
        try store.database.statement("SELECT atom_value FROM atoms ORDER BY atom_value")
            .rows { $0.text(0) }
    }

    /// Retention scans the activity table, so back-to-back ingests and the
    /// server share one record of when it last ran and skip it within the
    /// hour; a clock set back makes it due again.
    @Test func aPassWithinTheHourIsSkipped() throws {
        let directory = try ScratchDirectory("retention")
        defer { directory.remove() }
        let path = directory.path("r.db")
        let now = Self.at("2024-05-10T00:00:00Z")
        func due(at time: EventTime) throws -> Bool {
            try InventoryStore(path: path).pruneExpiredIfDue(
                now: time, activityWeeks: 52, unclaimedFor: .days(30)) != nil
        }
        #expect(try due(at: now))
        #expect(try !due(at: now + .seconds(59 * 60)))
        #expect(try due(at: now + .seconds(61 * 60)))
        #expect(try due(at: now - .days(1)))
    }

    private func unclaimedCount(_ store: InventoryStore) throws -> Int {
        try store.database.statement("SELECT count(*) FROM unclaimed_atoms")
            .firstRow { Int($0.int(0)) } ?? -1
    }
}
