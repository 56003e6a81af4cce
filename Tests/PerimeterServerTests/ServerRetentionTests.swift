import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterServer
import PerimeterStore
import Synchronization
import Testing

/// The server runs for weeks: it applies the retention bounds itself, at
/// start and then as events come (SPEC §2), and logs what it removed.
@Suite struct ServerRetentionTests {
    @Test func startPrunesActivityAndUnclaimedAtomsPastTheirBounds() async throws {
        let path = TestServer.makeStorePath()
        let tokens = try TestServer.issueTokens(at: path)
        do {
            // An address seen in 2020 and never claimed: its one activity
            // bucket and its unclaimed row are far past 52 weeks and 30 days,
            // and its `atoms` row goes with its last bucket.
            let store = try InventoryStore(path: path)
            let inventory = Inventory()
            let seen = EventTime(parsing: "2020-03-02T10:00:00Z")!
            let event = EventObservation(
                time: seen, scope: ScopeKey(community: "acme"), reference: "test",
                atoms: [FieldAtom(atom: Atom(type: .ipv4, normalizedValue: "198.51.100.7"),
                                  field: "source.ip")])
            _ = inventory.observeAndMatch(event, rules: [], now: seen, stream: "test",
                                          advancesWatermark: true)
            try store.persist(inventory.drainChanges())
        }
        let lines = Mutex<[String]>([])
        let server = try await TestServer(storePath: path, tokens: tokens) { options in
            options.log = { line in lines.withLock { $0.append(line) } }
        }
        defer { Task { await server.stop() } }

        #expect(lines.withLock { $0 }.contains(
            "retention pruned activity_buckets=1 unclaimed_atoms=1 unclaimed_buckets=0 counted_atoms=1"))
        let store = try InventoryStore(path: path)
        #expect(try store.weeklyActivity(of: Atom(type: .ipv4, normalizedValue: "198.51.100.7"),
                                         community: "acme").isEmpty)
        for table in ["unclaimed_atoms", "atoms"] {
            #expect(try store.database.statement("SELECT count(*) FROM \(table)")
                .firstRow { Int($0.int(0)) } == 0, "\(table)")
        }
    }
}
