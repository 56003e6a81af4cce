import PerimeterInventory
import PerimeterModel
import Testing

/// What a sighting of atoms an asset already holds hands to the store: the
/// last sighting (and an address's recent sightings) alone, which the store
/// writes to a narrow table of their own, unless the interval itself moves.
@Suite struct SightingChangesTests {
    let t0 = Fixture.clock("09:00")

    @Test func aLaterSightingChangesTheSightingsAlone() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-01", at: t0, ips: ["10.0.0.1"], hostID: "id-aaa")])
        let created = inventory.drainChanges()
        #expect(created.attachments.count == 3)
        #expect(created.sightings.isEmpty)
        let ids = Set(created.attachments.map(\.id))

        let later = t0 + .seconds(60)
        inventory.feed([Fixture.host("ws-01", at: later, ips: ["10.0.0.1"], hostID: "id-aaa")])
        let sighted = inventory.drainChanges()
        #expect(sighted.attachments.isEmpty)
        #expect(Set(sighted.sightings.map(\.attachment)) == ids)
        #expect(sighted.sightings.allSatisfy { $0.lastSeen == later })
        // The address keeps every sighting, for out-of-order arrivals to
        // be placed among; the name and the id keep the first alone.
        let address = created.attachments.first { $0.key.atom == Fixture.ip("10.0.0.1") }
        let addressSightings = sighted.sightings.first { $0.attachment == address?.id }
        #expect(addressSightings?.recentSightings == [t0, later])
        #expect(sighted.sightings.filter { $0.attachment != address?.id }
            .allSatisfy { $0.recentSightings == [t0] })
    }

    /// A sighting inside the interval already known (a late event between
    /// the first and the last sighting) changes nothing to write for the
    /// name and the id.
    @Test func aSightingInsideTheKnownIntervalWritesNothing() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-01", at: t0, hostID: "id-aaa"),
                        Fixture.host("ws-01", at: t0 + .seconds(60), hostID: "id-aaa")])
        _ = inventory.drainChanges()
        inventory.feed([Fixture.host("ws-01", at: t0 + .seconds(30), hostID: "id-aaa")])
        let changes = inventory.drainChanges()
        #expect(changes.attachments.isEmpty)
        #expect(changes.sightings.isEmpty)
    }

    /// An earlier sighting that arrives late moves the interval's start:
    /// that is a change of the attachment itself, with its sightings.
    @Test func anEarlierSightingMovesTheInterval() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-01", at: t0, hostID: "id-aaa")])
        _ = inventory.drainChanges()
        let earlier = t0 - .seconds(60)
        inventory.feed([Fixture.host("ws-01", at: earlier, hostID: "id-aaa")])
        let changes = inventory.drainChanges()
        #expect(changes.sightings.isEmpty)
        #expect(changes.attachments.count == 2)
        #expect(changes.attachments.allSatisfy { $0.from == earlier && $0.lastSeen == t0 })
    }
}
