import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterStore
import PerimeterTestSupport
import Testing

/// `retention.unattached_atoms_in_memory`: an ingest that meets a new
/// peer in every event keeps in memory only the atoms assets hold and at
/// most that many others, while the store still counts every peer's
/// events and the held atoms still enrich.
@Suite struct AtomIndexMemoryTests {
    @Test func peersLeaveMemoryBetweenBatchesAndKeepTheirCounts() throws {
        let directory = try ScratchDirectory("atom-index-memory")
        defer { directory.remove() }
        let configuration = try PerimeterConfiguration.load(path: directory.write("perimeter.yaml", """
            retention:
              unattached_atoms_in_memory: 50
            ingest:
              batch_size: 100
            """))
        #expect(configuration.inventory.unattachedAtomsKept == 50)
        let store = try InventoryStore(path: directory.path("store.db"))
        var enrichedNames: [String] = []
        let pipeline = try IngestPipeline(store: store, configuration: configuration,
                                          options: IngestOptions())
        pipeline.onEvent = { _, enrichment in
            enrichedNames.append(contentsOf: enrichment.cards.map(\.name))
        }
        // A web server that every event names, then 1,000 events from
        // 500 peers (each peer twice, 500 events apart).
        var lines = [#"{"@timestamp":"2024-05-01T08:00:00Z","host":{"name":"web-01","ip":"10.0.0.80"}}"#]
        for i in 0..<1_000 {
            let peer = "198.51.\((i % 500) / 250).\(i % 250)"
            lines.append(#"{"@timestamp":"2024-05-01T09:00:00Z","source":{"ip":"\#(peer)"},"#
                         + #""destination":{"ip":"10.0.0.80"}}"#)
        }
        try pipeline.ingest(lines: lines.map { Array($0.utf8) }, name: "proxy")

        // Held: web-01's name and address. Unheld: at most 50 beyond the
        // larger of 50 and the held count, after the last batch (100 new
        // peers) was drained: 2 + 100 is the most it can hold.
        #expect(pipeline.inventory.indexedAtomCount <= 102)
        #expect(pipeline.inventory.indexedAtomCount >= 2)
        #expect(enrichedNames == Array(repeating: "web-01", count: 1_001))
        for peer in ["198.51.0.0", "198.51.1.249", "198.51.0.123"] {
            let counts = try store.weeklyActivity(of: Atom(type: .ipv4, normalizedValue: peer),
                                                  community: "default")
            #expect(counts.map(\.1) == [2], "\(peer)")
        }
    }
}
