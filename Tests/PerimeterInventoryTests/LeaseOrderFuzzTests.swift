import PerimeterInventory
import PerimeterModel
import Testing

/// SPEC §2 "Timeline": the holder of an address at T does not depend on
/// the order its lease events arrive in, inside the lateness window.
/// Random hours of grants (hostname and MAC, as Infoblox and Windows DHCP
/// give them), releases (by hostname, by MAC alone, or by no holder) and
/// the laptops' own events showing an address, for two addresses among
/// three laptops, fed in time order and shuffled: both must give the same
/// intervals.
@Suite struct LeaseOrderFuzzTests {
    static let laptops = ["laptop-1", "laptop-2", "laptop-3"]
    static let addresses = ["10.0.0.7", "10.0.0.8"]

    static func mac(of laptop: String) -> Atom {
        Atom(type: .mac, normalizedValue: "00:1a:2b:3c:4d:0\(laptop.last!)")
    }

    static func scenario(_ generator: inout SeededGenerator) -> [EventObservation] {
        var events: [EventObservation] = []
        // Distinct minutes, so that time order is one order.
        let count = Int.random(in: 3...9, using: &generator)
        for minute in (0..<120).shuffled(using: &generator).prefix(count).sorted() {
            let laptop = laptops.randomElement(using: &generator)!
            let address = addresses.randomElement(using: &generator)!
            let time = Fixture.clock("10:00") + Duration.seconds(Int64(60 * minute))
            let kind = Int.random(in: 0..<5, using: &generator)
            if kind == 4 {
                // The laptop's own event showing the address: a sighting.
                events.append(Fixture.host(laptop, at: time, ips: [address]))
                continue
            }
            let isGrant = kind < 2
            var event = Fixture.lease(isGrant ? .grant : .release, address, to: laptop, at: time)
            event.lease?.holderMAC = mac(of: laptop)
            if !isGrant {
                let naming = Int.random(in: 0..<3, using: &generator)
                if naming != 1 { event.lease?.holderMAC = nil }
                if naming != 0 { event.lease?.holderHostname = nil }
            }
            events.append(event)
        }
        return events
    }

    static func timeline(of events: [EventObservation]) -> [String] {
        let inventory = Inventory()
        inventory.feed(events)
        return addresses.flatMap { address in
            inventory.intervals(of: Fixture.ip(address)).map { "\(address) \($0)" }
        }
    }

    @Test(arguments: 0..<300)
    func shuffledLeasesGiveTheInOrderTimeline(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let events = Self.scenario(&generator)
        let inOrder = Self.timeline(of: events)
        for _ in 0..<5 {
            let order = events.indices.shuffled(using: &generator)
            #expect(Self.timeline(of: order.map { events[$0] }) == inOrder,
                    "arrival order \(order)")
        }
    }
}
