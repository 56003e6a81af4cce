import PerimeterInventory
import PerimeterModel
import Testing

/// SPEC §2 "Timeline": a lease gives 10.0.0.7 to laptop-12, a release
/// ends it, a later lease gives it to laptop-40; events are enriched
/// with the holder as of their own time, whatever the arrival order.
@Suite struct AddressTimelineTests {
    let address = Fixture.ip("10.0.0.7")

    /// The two laptops, known from their own events before any lease.
    func inventoryWithLaptops() -> Inventory {
        let inventory = Inventory()
        inventory.feed([Fixture.host("laptop-12", at: Fixture.clock("08:00")),
                        Fixture.host("laptop-40", at: Fixture.clock("08:01"))])
        return inventory
    }

    var leaseEvents: [EventObservation] {
        [Fixture.lease(.grant, "10.0.0.7", to: "laptop-12", at: Fixture.clock("10:00")),
         Fixture.lease(.release, "10.0.0.7", to: "laptop-12", at: Fixture.clock("11:00")),
         Fixture.lease(.grant, "10.0.0.7", to: "laptop-40", at: Fixture.clock("12:00"))]
    }

    /// The address's intervals in time order: laptop-12's lease until its
    /// release, laptop-40's from its grant on.
    let moveIntervals = [
        "laptop-12 [2024-05-01T10:00:00.000Z, 2024-05-01T11:00:00.000Z)",
        "laptop-40 [2024-05-01T12:00:00.000Z, open)",
    ]

    func expectMoveTimeline(_ inventory: Inventory) {
        #expect(inventory.holderNames(address, at: Fixture.clock("09:59")) == [])
        #expect(inventory.holderNames(address, at: Fixture.clock("10:30")) == ["laptop-12"])
        #expect(inventory.holderNames(address, at: Fixture.clock("11:30")) == [])
        #expect(inventory.holderNames(address, at: Fixture.clock("12:30")) == ["laptop-40"])
        #expect(inventory.matchedNames([address], at: Fixture.clock("10:45")) == ["laptop-12"])
        #expect(inventory.matchedNames([address], at: Fixture.clock("13:00")) == ["laptop-40"])
    }

    /// ws-07 seen on 05-01 10:00, 05-08 10:10 (the address expired at
    /// 10:00 and a new interval began) and, arriving last, 05-08 09:50,
    /// which in time order kept the address from expiring: the late
    /// sighting kept the first interval valid to 05-15 09:50, over the
    /// second, and ws-07 was named twice as the holder. The two now meet
    /// (the documented shortcoming: one interval in time order), one
    /// holder at every time, ending where time order ends it.
    @Test func aLateSightingMeetsItsHostsLaterInterval() {
        let address = Fixture.ip("10.9.0.7")
        let events = [Fixture.host("ws-07", at: Fixture.at("2024-05-01T10:00:00Z"), ips: ["10.9.0.7"]),
                      Fixture.host("ws-07", at: Fixture.at("2024-05-08T09:50:00Z"), ips: ["10.9.0.7"]),
                      Fixture.host("ws-07", at: Fixture.at("2024-05-08T10:10:00Z"), ips: ["10.9.0.7"])]
        for order in [[0, 1, 2], [0, 2, 1]] {
            let inventory = Inventory()
            inventory.feed(order.map { events[$0] })
            for time in ["2024-05-08T09:55:00Z", "2024-05-08T10:05:00Z", "2024-05-08T12:00:00Z",
                         "2024-05-15T10:00:00Z"] {
                #expect(inventory.holderNames(address, at: Fixture.at(time)) == ["ws-07"],
                        "order \(order) at \(time)")
            }
            #expect(inventory.holderNames(address, at: Fixture.at("2024-05-15T10:11:00Z")) == [],
                    "order \(order)")
        }
        // The intervals as the store keeps them: one in time order; two
        // that meet, not overlap, in the other.
        let shuffled = Inventory()
        shuffled.feed([events[0], events[2], events[1]])
        #expect(shuffled.intervals(of: address)
            == ["ws-07 [2024-05-01T10:00:00.000Z, 2024-05-08T10:10:00.000Z)",
                "ws-07 [2024-05-08T10:10:00.000Z, open)"])
    }

    /// pc-a seen on 05-01, pc-b on 05-08 06:00 (pc-a's sighting expired
    /// then, after 7 days), and pc-a's sighting of 05-07 23:00 arriving
    /// last: in time order pc-b took the address from pc-a, seen 7 hours
    /// before. The late sighting kept pc-a's interval open until 05-14,
    /// beside pc-b's, and events were enriched with both.
    @Test func aLateSightingEndsWhereALaterHolderBegan() {
        let address = Fixture.ip("10.30.9.1")
        let events = [Fixture.host("pc-a", at: Fixture.at("2024-05-01T00:00:00Z"), ips: ["10.30.9.1"]),
                      Fixture.host("pc-b", at: Fixture.at("2024-05-08T06:00:00Z"), ips: ["10.30.9.1"]),
                      Fixture.host("pc-a", at: Fixture.at("2024-05-07T23:00:00Z"), ips: ["10.30.9.1"])]
        let expected = ["pc-a [2024-05-01T00:00:00.000Z, 2024-05-08T06:00:00.000Z)",
                        "pc-b [2024-05-08T06:00:00.000Z, open)"]
        for order in [[0, 1, 2], [0, 2, 1]] {
            let inventory = Inventory()
            inventory.feed(order.map { events[$0] })
            #expect(inventory.intervals(of: address) == expected, "order \(order)")
            #expect(inventory.holderNames(address, at: Fixture.at("2024-05-08T05:00:00Z"))
                    == ["pc-a"])
            #expect(inventory.matchedNames([address], at: Fixture.at("2024-05-08T12:00:00Z"))
                    == ["pc-b"])
        }
    }

    /// A host first seen at 08:51, whose lease (granted at 08:40) arrives
    /// after: in time order the grant named it first, so its name starts
    /// at 08:40 with the address (it started at 08:51, and in between the
    /// address had a holder its name did not). A release at 15:00 sees
    /// the host then, as a release that makes its holder does.
    @Test func aLateLeaseMovesItsHoldersNameBack() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("e0001", at: Fixture.clock("08:51"), ips: ["10.60.0.57"]),
                        Fixture.lease(.grant, "10.60.0.57", to: "e0001", at: Fixture.clock("08:40"))])
        #expect(inventory.intervals(of: Fixture.hostname("e0001"))
                == ["e0001 [2024-05-01T08:40:00.000Z, open)"])
        #expect(inventory.holderNames(Fixture.hostname("e0001"), at: Fixture.clock("08:45"))
                == ["e0001"])
        inventory.feed([Fixture.lease(.release, "10.60.0.57", to: "e0001",
                                      at: Fixture.clock("15:00"))])
        let host = inventory.holders(of: Fixture.hostname("e0001"), in: Fixture.scope,
                                     at: Fixture.clock("15:00")).first.flatMap(inventory.asset)
        #expect(host?.lastSeen == Fixture.clock("15:00").date)
        #expect(host?.firstSeen == Fixture.clock("08:40").date)
    }

    @Test func leasesInOrder() {
        let inventory = inventoryWithLaptops()
        inventory.feed(leaseEvents)
        expectMoveTimeline(inventory)
        #expect(inventory.intervals(of: address) == moveIntervals)
    }

    @Test(arguments: [[2, 1, 0], [1, 2, 0], [2, 0, 1], [0, 2, 1], [1, 0, 2]])
    func leasesOutOfOrderGiveTheSameAnswers(order: [Int]) {
        let inventory = inventoryWithLaptops()
        inventory.feed(order.map { leaseEvents[$0] })
        expectMoveTimeline(inventory)
    }

    /// The laptops known only from the leases: a release that arrives
    /// before the grant it ends makes its holder, as the grant would have,
    /// so that every order gives the in-order timeline and assets (the
    /// grant made a second laptop-12, and the lease ran on past its end).
    @Test(arguments: [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    func leasesOfUnknownHoldersInAnyOrderGiveTheSameTimeline(order: [Int]) {
        let inventory = Inventory()
        inventory.feed(order.map { leaseEvents[$0] })
        expectMoveTimeline(inventory)
        #expect(inventory.intervals(of: address) == moveIntervals)
        #expect(inventory.assetCount == 2)
    }

    /// SPEC §3: a lease closes on its holder's release. Another machine's
    /// release (stale, or spoofed) ends no one's lease.
    @Test func anotherMachinesReleaseEndsNoLease() {
        let inventory = inventoryWithLaptops()
        inventory.feed([
            Fixture.lease(.grant, "10.0.0.7", to: "laptop-40", at: Fixture.clock("10:00")),
            Fixture.lease(.release, "10.0.0.7", to: "laptop-12", at: Fixture.clock("11:00")),
            Fixture.lease(.release, "10.0.0.7", to: "laptop-77", at: Fixture.clock("11:30")),
        ])
        #expect(inventory.intervals(of: address) == ["laptop-40 [2024-05-01T10:00:00.000Z, open)"])
        #expect(inventory.holderNames(address, at: Fixture.clock("12:00")) == ["laptop-40"])
    }

    /// A release that ended an interval, cut earlier by a release that
    /// arrives later, still ends the grant between the two when it comes:
    /// in time order laptop-12 holds the address 10:00-10:20 and
    /// 10:30-11:00 (the 11:00 end was lost, and the lease ran for 7 days).
    @Test(arguments: [[0, 1, 2, 3], [0, 3, 2, 1], [1, 0, 3, 2], [3, 2, 1, 0], [2, 3, 0, 1]])
    func anEarlierReleaseArrivingLaterKeepsTheLaterOnesEnd(order: [Int]) {
        let events = [
            Fixture.lease(.grant, "10.0.0.7", to: "laptop-12", at: Fixture.clock("10:00")),
            Fixture.lease(.release, "10.0.0.7", to: "laptop-12", at: Fixture.clock("11:00")),
            Fixture.lease(.release, "10.0.0.7", to: "laptop-12", at: Fixture.clock("10:20")),
            Fixture.lease(.grant, "10.0.0.7", to: "laptop-12", at: Fixture.clock("10:30")),
        ]
        let inventory = inventoryWithLaptops()
        inventory.feed(order.map { events[$0] })
        #expect(inventory.intervals(of: address) == [
            "laptop-12 [2024-05-01T10:00:00.000Z, 2024-05-01T10:20:00.000Z)",
            "laptop-12 [2024-05-01T10:30:00.000Z, 2024-05-01T11:00:00.000Z)",
        ])
    }

    /// Windows DHCP names the releasing machine in host.*, with the address
    /// it gives back in host.ip: that is no sighting of the address on it,
    /// and a machine that did not hold the lease ends nobody's.
    @Test func aReleaseIsNoSightingOfTheAddressItGivesBack() {
        let inventory = inventoryWithLaptops()
        var release = Fixture.lease(.release, "10.0.0.7", to: "laptop-40",
                                    at: Fixture.clock("11:00"))
        release.host = HostSubject(displayName: "laptop-40", hostname: Fixture.hostname("laptop-40"),
                                   addresses: [address])
        inventory.feed([
            Fixture.lease(.grant, "10.0.0.7", to: "laptop-12", at: Fixture.clock("10:00")),
            release,
        ])
        #expect(inventory.intervals(of: address) == ["laptop-12 [2024-05-01T10:00:00.000Z, open)"])
    }

    /// A host known by its name takes the MAC its grant gives, so that a
    /// release naming the MAC alone (Infoblox's) ends its lease.
    @Test func aGrantGivesAKnownHostItsMACForALaterRelease() {
        let inventory = inventoryWithLaptops()
        let mac = Atom(type: .mac, normalizedValue: "00:1a:2b:3c:4d:12")
        var grant = Fixture.lease(.grant, "10.0.0.7", to: "laptop-12", at: Fixture.clock("10:00"))
        grant.lease?.holderMAC = mac
        var release = Fixture.lease(.release, "10.0.0.7", to: "laptop-12",
                                    at: Fixture.clock("10:45"))
        release.lease?.holderHostname = nil
        release.lease?.holderMAC = mac
        inventory.feed([grant, release])
        #expect(inventory.intervals(of: address)
                    == ["laptop-12 [2024-05-01T10:00:00.000Z, 2024-05-01T10:45:00.000Z)"])
        #expect(inventory.holderNames(mac, at: Fixture.clock("11:00")) == ["laptop-12"])
    }

    /// Infoblox names a release's holder by its MAC alone. Arriving before
    /// the grant it ends (the MAC known to no host yet), it waits for it,
    /// so that every order gives the in-order timeline (the grant's lease
    /// ran on to laptop-40's at 12:00, or for 7 days).
    @Test(arguments: [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    func aReleaseByMACAloneEndsAGrantArrivingAfterIt(order: [Int]) {
        let mac = Atom(type: .mac, normalizedValue: "00:1a:2b:3c:4d:12")
        var events = leaseEvents
        events[0].lease?.holderMAC = mac
        events[1].lease?.holderHostname = nil
        events[1].lease?.holderMAC = mac
        for known in [false, true] {
            let inventory = known ? inventoryWithLaptops() : Inventory()
            inventory.feed(order.map { events[$0] })
            expectMoveTimeline(inventory)
            #expect(inventory.intervals(of: address) == moveIntervals)
            #expect(inventory.assetCount == 2)
        }
    }

    /// A release naming no holder ends whichever lease holds the address at
    /// its time, also one whose grant arrives after it; not one that
    /// begins after it.
    @Test(arguments: [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    func aReleaseNamingNoHolderEndsTheLeaseOfItsTime(order: [Int]) {
        var events = leaseEvents
        events[1].lease?.holderHostname = nil
        let inventory = inventoryWithLaptops()
        inventory.feed(order.map { events[$0] })
        expectMoveTimeline(inventory)
        #expect(inventory.intervals(of: address) == moveIntervals)
    }

    /// Infoblox logs grants to bare MACs. Given at 11:00 to a MAC no host
    /// holds, the address is another machine's: the lease of laptop-12,
    /// known by its own MAC, ends there, in every order of arrival, and
    /// no known host holds the address until laptop-40's grant.
    @Test(arguments: [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    func aGrantToAnUnknownMACEndsTheLeaseOfAHostKnownByAnother(order: [Int]) {
        var events = leaseEvents
        events[0].lease?.holderMAC = Atom(type: .mac, normalizedValue: "00:1a:2b:3c:4d:12")
        events[1] = Self.grantToUnknownMAC(at: "11:00")
        let inventory = inventoryWithLaptops()
        inventory.feed(order.map { events[$0] })
        expectMoveTimeline(inventory)
        #expect(inventory.intervals(of: address) == moveIntervals)
        #expect(inventory.assetCount == 2, "a bare MAC makes no host")
    }

    /// A holder known by no MAC may be the very machine the grant names by
    /// its MAC alone: its lease goes on.
    @Test func aGrantToAnUnknownMACLeavesAHolderKnownByNoMAC() {
        let inventory = inventoryWithLaptops()
        inventory.feed([leaseEvents[0], Self.grantToUnknownMAC(at: "11:00")])
        #expect(inventory.intervals(of: address) == ["laptop-12 [2024-05-01T10:00:00.000Z, open)"])
    }

    /// An erased MAC (SPEC §2) is not kept in a waiting grant either: the
    /// grant arriving after the erasure is not ended by it.
    @Test func anErasedMACEndsNoLeaseFromAWaitingGrant() {
        var grant = leaseEvents[0]
        grant.lease?.holderMAC = Atom(type: .mac, normalizedValue: "00:1a:2b:3c:4d:12")
        let inventory = inventoryWithLaptops()
        inventory.feed([Self.grantToUnknownMAC(at: "11:00")])
        inventory.forget([AtomKey(scope: Fixture.scope, atom: Self.unknownMAC)])
        inventory.feed([grant])
        #expect(inventory.intervals(of: address) == ["laptop-12 [2024-05-01T10:00:00.000Z, open)"])
    }

    static let unknownMAC = Atom(type: .mac, normalizedValue: "00:1a:2b:3c:4d:99")

    /// A grant of 10.0.0.7 naming its holder by `unknownMAC` alone.
    static func grantToUnknownMAC(at clock: String) -> EventObservation {
        var grant = Fixture.lease(.grant, "10.0.0.7", to: "unnamed", at: Fixture.clock(clock))
        grant.lease?.holderHostname = nil
        grant.lease?.holderDisplayName = nil
        grant.lease?.holderMAC = unknownMAC
        return grant
    }

    /// A waiting release outlives a batch's commit, and another MAC's
    /// grant is not ended by it.
    @Test func aWaitingReleaseOutlivesACommitAndEndsOnlyItsMACsLease() {
        let mac = Atom(type: .mac, normalizedValue: "00:1a:2b:3c:4d:12")
        let otherMAC = Atom(type: .mac, normalizedValue: "00:1a:2b:3c:4d:40")
        var release = leaseEvents[1]
        release.lease?.holderHostname = nil
        release.lease?.holderMAC = mac
        var otherGrant = Fixture.lease(.grant, "10.0.0.7", to: "laptop-40",
                                       at: Fixture.clock("09:00"))
        otherGrant.lease?.holderMAC = otherMAC
        var grant = leaseEvents[0]
        grant.lease?.holderMAC = mac
        let inventory = Inventory()
        inventory.feed([release, otherGrant])
        _ = inventory.drainChanges()
        #expect(inventory.intervals(of: address) == ["laptop-40 [2024-05-01T09:00:00.000Z, open)"])
        inventory.feed([grant])
        #expect(inventory.intervals(of: address) == [
            "laptop-40 [2024-05-01T09:00:00.000Z, 2024-05-01T10:00:00.000Z)",
            "laptop-12 [2024-05-01T10:00:00.000Z, 2024-05-01T11:00:00.000Z)",
        ])
    }

    /// A MAC erased on request (SPEC §2) is not kept in a waiting release.
    @Test func anErasedMACEndsNoLeaseFromAWaitingRelease() {
        let mac = Atom(type: .mac, normalizedValue: "00:1a:2b:3c:4d:12")
        var release = leaseEvents[1]
        release.lease?.holderHostname = nil
        release.lease?.holderMAC = mac
        var grant = leaseEvents[0]
        grant.lease?.holderMAC = mac
        let inventory = Inventory()
        inventory.feed([release])
        inventory.forget([AtomKey(scope: Fixture.scope, atom: mac)])
        inventory.feed([grant])
        #expect(inventory.intervals(of: address) == ["laptop-12 [2024-05-01T10:00:00.000Z, open)"])
    }

    /// A replay of the day, long after the move, still gives each event
    /// the holder of its own time: enrichment reads the state at @timestamp.
    @Test func replayAfterTheMove() {
        let inventory = inventoryWithLaptops()
        inventory.feed(leaseEvents)
        inventory.feed([Fixture.lease(.grant, "10.0.0.7", to: "laptop-40", at: Fixture.clock("18:00"))])
        #expect(inventory.matchedNames([address], at: Fixture.clock("10:15")) == ["laptop-12"])
        #expect(inventory.matchedNames([address], at: Fixture.clock("19:00")) == ["laptop-40"])
    }

    /// host.ip sightings move an address without any lease: the newer
    /// attachment closes the older (SPEC §2).
    @Test func sightingsMoveAnAddress() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-a", at: Fixture.clock("09:00"), ips: ["10.0.0.9"]),
                        Fixture.host("ws-b", at: Fixture.clock("09:30"), ips: ["10.0.0.9"])])
        let nine = Fixture.ip("10.0.0.9")
        #expect(inventory.holderNames(nine, at: Fixture.clock("09:10")) == ["ws-a"])
        #expect(inventory.holderNames(nine, at: Fixture.clock("09:40")) == ["ws-b"])
    }

    /// A late sighting of another host in the middle of a run splits it
    /// exactly where in-order arrival would have: A 09:00, A 09:20,
    /// B 09:10 (late) gives A [09:00, 09:10), B [09:10, 09:20), A [09:20, …).
    @Test func lateSightingSplitsARun() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-a", at: Fixture.clock("09:00"), ips: ["10.0.0.9"]),
                        Fixture.host("ws-a", at: Fixture.clock("09:20"), ips: ["10.0.0.9"]),
                        Fixture.host("ws-b", at: Fixture.clock("09:10"), ips: ["10.0.0.9"])])
        #expect(inventory.intervals(of: Fixture.ip("10.0.0.9")) == [
            "ws-a [2024-05-01T09:00:00.000Z, 2024-05-01T09:10:00.000Z)",
            "ws-b [2024-05-01T09:10:00.000Z, 2024-05-01T09:20:00.000Z)",
            "ws-a [2024-05-01T09:20:00.000Z, open)",
        ])
    }

    /// Observed addresses close 7 days after they were last seen.
    @Test func observedAddressesExpire() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-a", at: Fixture.at("2024-05-01T09:00:00Z"), ips: ["10.0.0.9"])])
        let nine = Fixture.ip("10.0.0.9")
        #expect(inventory.holderNames(nine, at: Fixture.at("2024-05-07T23:00:00Z")) == ["ws-a"])
        #expect(inventory.holderNames(nine, at: Fixture.at("2024-05-08T09:00:00Z")) == [])
    }

    /// Past the lateness window an event changes no structure (counted
    /// late) but is still matched; more than 1 h ahead of the clock too.
    @Test func lateAndFutureEventsChangeNoStructure() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-a", at: Fixture.at("2024-05-05T00:00:00Z"))])
        let late = inventory.observe(Fixture.host("ws-old", at: Fixture.at("2024-05-03T23:00:00Z")),
                                     rules: Fixture.allRules, now: Fixture.now)
        #expect(late.timing == .late)
        #expect(late.created.isEmpty)
        let future = inventory.observe(Fixture.host("ws-new", at: Fixture.now + .hours(2)),
                                       rules: Fixture.allRules, now: Fixture.now)
        #expect(future.timing == .future)
        #expect(inventory.assetCount == 1)
    }

    /// SPEC §2: more than 3 hosts within an hour make a shared atom,
    /// held by no host afterwards.
    @Test func flappingAddressBecomesShared() {
        let inventory = Inventory()
        let names = ["a", "b", "c", "d"]
        inventory.feed(names.enumerated().map { index, name in
            Fixture.host("ws-\(name)", at: Fixture.clock("09:\(10 + index * 10)"), ips: ["10.0.0.99"])
        })
        let shared = Fixture.ip("10.0.0.99")
        #expect(inventory.sharedAtoms.contains(AtomKey(scope: Fixture.scope, atom: shared)))
        #expect(inventory.holderNames(shared, at: Fixture.clock("09:45")) == [])
        // Its history stays: ws-a held it before it flapped.
        #expect(inventory.holderNames(shared, at: Fixture.clock("09:15")) == ["ws-a"])
        inventory.feed([Fixture.host("ws-e", at: Fixture.clock("10:30"), ips: ["10.0.0.99"])])
        #expect(inventory.holderNames(shared, at: Fixture.clock("10:31")) == [])
    }

    /// Five moves ten minutes apart, in every one of the 120 orders of
    /// arrival, make the same timeline (SPEC §2: the one in-order arrival
    /// gives): ws-a from 09:10, ws-b from 09:20, ws-c from 09:30, and at
    /// 09:40, when ws-d makes four hosts in the hour, held by none, ws-e at
    /// 09:50 included. (Arriving last, the earliest sighting was dropped,
    /// and the point of sharing depended on the order.)
    @Test func anAddressIsSharedWhateverTheOrderOfArrival() {
        func permutations(_ items: [Int]) -> [[Int]] {
            guard items.count > 1 else { return [items] }
            return items.indices.flatMap { index in
                var rest = items
                let first = rest.remove(at: index)
                return permutations(rest).map { [first] + $0 }
            }
        }
        let names = ["a", "b", "c", "d", "e"]
        let expected: [(String, [String])] = [
            ("09:05", []), ("09:15", ["ws-a"]), ("09:25", ["ws-b"]), ("09:35", ["ws-c"]),
            ("09:45", []), ("09:55", []), ("11:00", []),
        ]
        let orders = permutations(Array(0..<5))
        #expect(orders.count == 120)
        for order in orders {
            let inventory = Inventory()
            inventory.feed(order.map { index in
                Fixture.host("ws-\(names[index])", at: Fixture.clock("09:\(10 + index * 10)"),
                             ips: ["10.0.0.99"])
            })
            let shared = Fixture.ip("10.0.0.99")
            #expect(inventory.sharedAtoms.contains(AtomKey(scope: Fixture.scope, atom: shared)),
                    "order \(order)")
            for (time, holders) in expected {
                #expect(inventory.holderNames(shared, at: Fixture.clock(time)) == holders,
                        "order \(order), at \(time)")
            }
        }
    }

    /// A late event that cuts an interval in two: the part after the cut
    /// is the first host's again, from its next sighting (12:00), and its
    /// origin names the event that opened the interval and the one that
    /// cut it, not the first event alone as if it had been seen at 12:00.
    @Test func aResumedIntervalNamesTheEventThatCutIt() throws {
        let inventory = Inventory()
        let first = Fixture.host("ws-a", at: Fixture.clock("10:00"), ips: ["10.0.0.5"])
        let late = Fixture.host("ws-b", at: Fixture.clock("11:00"), ips: ["10.0.0.5"])
        inventory.feed([first, Fixture.host("ws-a", at: Fixture.clock("12:00"), ips: ["10.0.0.5"]),
                        late])
        let timeline = inventory.timeline(of: AtomKey(scope: Fixture.scope,
                                                      atom: Fixture.ip("10.0.0.5")))
            .sorted { $0.from < $1.from }
        #expect(timeline.map(\.from) == [Fixture.clock("10:00"), Fixture.clock("11:00"),
                                         Fixture.clock("12:00")])
        #expect(timeline.map(\.origin) == [
            first.reference, late.reference,
            first.reference + ", resumed after a cut by " + late.reference,
        ])
    }

    /// h1 holds the address from 00:00 (seen again at 00:24), then it
    /// moves to h0 at 01:01, h3 at 01:07 and h4 at 01:19: within the hour
    /// ending at 01:19 it moved between four hosts, h1 among them, so it
    /// is shared from 01:19, in every order of arrival. (Only interval
    /// starts were counted, three; and arriving before h1's 00:00
    /// sighting, the one of 00:24 opened an interval inside the hour, so
    /// the address was shared or not by the order of arrival.) Without h4
    /// it moved between three: not shared.
    @Test func aMoveAwayFromTheHolderOfTheHourCounts() {
        let events = [("h1", "00:00"), ("h1", "00:24"), ("h0", "01:01"), ("h3", "01:07"),
                      ("h4", "01:19")].map { name, time in
            Fixture.host(name, at: Fixture.clock(time), ips: ["10.8.2.1"])
        }
        let address = Fixture.ip("10.8.2.1")
        let key = AtomKey(scope: Fixture.scope, atom: address)
        for order in [[0, 1, 2, 3, 4], [3, 4, 1, 2, 0], [1, 0, 4, 3, 2], [4, 3, 2, 1, 0],
                      [2, 1, 4, 0, 3]] {
            let inventory = Inventory()
            inventory.feed(order.map { events[$0] })
            #expect(inventory.sharedAtoms.contains(key), "order \(order)")
            #expect(inventory.intervals(of: address) == [
                "h1 [2024-05-01T00:00:00.000Z, 2024-05-01T01:01:00.000Z)",
                "h0 [2024-05-01T01:01:00.000Z, 2024-05-01T01:07:00.000Z)",
                "h3 [2024-05-01T01:07:00.000Z, 2024-05-01T01:19:00.000Z)",
            ], "order \(order)")
            #expect(inventory.holderNames(address, at: Fixture.clock("01:20")) == [])
        }
        let inventory = Inventory()
        inventory.feed(Array(events.prefix(4)))
        #expect(inventory.sharedAtoms.isEmpty)
        #expect(inventory.holderNames(address, at: Fixture.clock("01:10")) == ["h3"])
    }

    /// Three hosts in an hour is still not shared (the bound is "more than 3").
    @Test func threeHostsAreNotShared() {
        let inventory = Inventory()
        inventory.feed(["a", "b", "c"].enumerated().map { index, name in
            Fixture.host("ws-\(name)", at: Fixture.clock("09:\(10 + index * 10)"), ips: ["10.0.0.98"])
        })
        #expect(inventory.sharedAtoms.isEmpty)
        #expect(inventory.holderNames(Fixture.ip("10.0.0.98"), at: Fixture.clock("09:35")) == ["ws-c"])
    }
}
