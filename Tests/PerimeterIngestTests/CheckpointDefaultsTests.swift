import PerimeterIngest
import PerimeterStore
import PerimeterTestSupport
import Testing

/// `ingest.checkpoint_mb`: unset, `perimeter ingest` copies its log from
/// 256 MB and the server's intake from 64 MB (their batches differ in size
/// a hundredfold); set, both use it. The log file is cut back to 4 times
/// the threshold, which the store connection's `journal_size_limit` shows.
@Suite struct CheckpointDefaultsTests {
    @Test func unsetTheDefaultDependsOnWhoIngests() throws {
        let unset = PerimeterConfiguration()
        #expect(unset.checkpointMegabytes == nil)
        #expect(unset.checkpointMegabytes(forServerIntake: false) == 256)
        #expect(unset.checkpointMegabytes(forServerIntake: true) == 64)

        let directory = try ScratchDirectory("checkpoint-defaults")
        defer { directory.remove() }
        let set = try PerimeterConfiguration.load(
            path: directory.write("perimeter.yaml", "ingest:\n  checkpoint_mb: 32\n"))
        #expect(set.checkpointMegabytes(forServerIntake: false) == 32)
        #expect(set.checkpointMegabytes(forServerIntake: true) == 32)
    }

    @Test(arguments: [(nil, 1_073_741_824), (32, 134_217_728)] as [(Int?, Int64)])
    func anIngestsLogIsCutBackToFourTimesItsThreshold(megabytes: Int?, limit: Int64) throws {
        let directory = try ScratchDirectory("checkpoint-limit")
        defer { directory.remove() }
        var configuration = PerimeterConfiguration()
        configuration.checkpointMegabytes = megabytes
        let store = try InventoryStore(path: directory.path("store.db"))
        _ = try IngestPipeline(store: store, configuration: configuration, options: .init())
        #expect(try store.database.statement("PRAGMA journal_size_limit")
                    .firstRow { $0.int(0) } == limit)
    }
}
