import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterStore
import Synchronization

/// Reads that need no inventory state, on a second SQLite connection: in
/// WAL mode they see the last commit and never wait for the writer.
///
/// Every read takes the caller's community; an asset, job or token of
/// another community reads as absent.
///
/// Its reads block on SQLite, so they run on a thread of its own
/// (`BlockingWorkExecutor`), not on Swift's shared pool, which has one
/// thread a core: two exports on a two-core machine held both, and intake
/// and every other request of every community waited behind them.
actor StoreReader {
    let store: InventoryStore
    private let executor = BlockingWorkExecutor(label: "perimeter.store-reader")

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// `cacheMegabytes` of page cache for this connection (a pool shares
    /// one connection's 256 MB among its connections).
    init(path: String, cacheMegabytes: Int = 256) throws {
        store = try InventoryStore(path: path)
        try store.database.execute(Self.readTuning(cacheMegabytes: cacheMegabytes))
    }

    /// A large page cache and memory-mapped reads: a million-asset store
    /// is about 1 GB, and views touch its indexes at random.
    static func readTuning(cacheMegabytes: Int = 256) -> String {
        "PRAGMA cache_size = -\(max(cacheMegabytes, 1) * 1024); PRAGMA mmap_size = 2147483648;"
    }

    func tokens(community: String) throws -> [StoredToken] {
        try store.tokens(community: community)
    }

    struct Listing: Sendable {
        var total: Int
        var page: AssetPage
        var attachments: [AssetID: [Attachment]]
    }

    func list(_ query: AssetQuery, after cursor: AssetCursor?, limit: Int,
              counting: Bool) throws -> Listing {
        // One read transaction: the page, its count and its atoms come
        // from the same commit, whatever the writer does meanwhile.
        try store.database.execute("BEGIN")
        defer { try? store.database.execute("COMMIT") }
        let page = try store.page(matching: query, after: cursor, limit: limit)
        let total = counting ? try store.count(matching: query) : -1
        let attachments = try store.attachments(ofAssets: page.assets.map(\.id))
        return Listing(total: total, page: page, attachments: attachments)
    }

    /// The asset of this community with this uuid, with its attachments.
    func asset(_ id: AssetID, community: String) throws -> (Asset, [Attachment])? {
        guard let asset = try store.asset(id: id, community: community) else { return nil }
        return (asset, try store.attachments(ofAsset: id))
    }

    /// `asset(_:community:)` as its page shows it: with the atoms it
    /// rejected ahead of discovery, never held.
    func shownAsset(_ id: AssetID, community: String) throws -> (Asset, [Attachment])? {
        guard let (asset, attachments) = try asset(id, community: community) else { return nil }
        return (asset, attachments + (try store.rejectionsNeverHeld(by: asset,
                                                                    besides: attachments)))
    }

    /// What an asset was at a time: unknown to the community, not made
    /// yet, or as it was.
    enum PastAsset {
        case unknown
        case createdLater
        /// `lastSeenIsLowerBound`: see `InventoryStore.asItWas`.
        case existed(Asset, [Attachment], lastSeenIsLowerBound: Bool)
    }

    /// The asset as it was at `time`, with the attachments valid then.
    func asset(_ id: AssetID, community: String, at time: EventTime,
               addressExpiry: Duration) throws -> PastAsset {
        guard let (asset, attachments) = try asset(id, community: community) else {
            return .unknown
        }
        guard let past = try store.asItWas(asset, attachments: attachments, at: time,
                                           addressExpiry: addressExpiry)
        else { return .createdLater }
        return .existed(past.asset, past.attachments,
                        lastSeenIsLowerBound: past.lastSeenIsLowerBound)
    }

    /// An asset's attachments and its latest `changes` audit entries,
    /// oldest first, with whether older ones were left out.
    func history(of id: AssetID, community: String, changes: Int)
        throws -> (attachments: [Attachment], changes: [AuditEntry], hasOlder: Bool)? {
        guard let (_, attachments) = try asset(id, community: community) else { return nil }
        let audit = try store.auditTrail(community: community, asset: id, latest: true,
                                         limit: changes + 1)
        return (attachments, Array(audit.suffix(changes)), audit.count > changes)
    }

    struct AtomHolding: Sendable {
        var atom: Atom
        var attachments: [Attachment]
        var assets: [AssetID: Asset]
        var activity: [(EventTime, Int)]
        /// The scopes it is a shared address in (SPEC §2), with since when.
        var shared: [(entity: String, since: EventTime?)] = []
    }

    func holdings(of atoms: [Atom], community: String) throws -> [AtomHolding] {
        var result: [AtomHolding] = []
        for atom in atoms {
            let attachments = try store.attachments(ofAtom: atom, community: community)
            var assets: [AssetID: Asset] = [:]
            for id in Set(attachments.map(\.asset)) {
                if let (asset, _) = try asset(id, community: community) { assets[id] = asset }
            }
            let activity = try store.weeklyActivity(of: atom, community: community)
            if attachments.isEmpty && activity.isEmpty { continue }
            result.append(AtomHolding(atom: atom, attachments: attachments, assets: assets,
                                      activity: activity,
                                      shared: try store.sharedScopes(of: atom,
                                                                     community: community)))
        }
        return result
    }

    func audit(community: String, asset: AssetID?, afterID: Int64, beforeID: Int64,
               latest: Bool, limit: Int) throws -> [AuditEntry] {
        try store.auditTrail(community: community, asset: asset, afterID: afterID,
                             beforeID: beforeID, latest: latest, limit: limit)
    }

    func properties(community: String) throws -> [PropertyDefinition] {
        try store.propertyDefinitions(community: community)
    }

    func rules(community: String) throws -> Set<DiscoveryRule> {
        try store.enabledRules(community: community)
    }

    func alerts(matching query: AlertQuery) throws -> [StoredAlert] {
        try store.alerts(matching: query)
    }

    /// The community's atoms in conflict, the most claimed first, cut to
    /// `limit`, each with its assets' names as one JSON object's text; and
    /// how many there are.
    func claimedAtoms(community: String, limit: Int) throws -> (total: Int, atoms: [String]) {
        let all = try store.claimedAtoms(community: community)
        let shown = all.prefix(limit)
        let names = try store.assetNames(of: shown, community: community)
        return (all.count, shown.map {
            AssetJSON.line(AssetJSON.claimedAtomObject($0, names: names))
        })
    }

    func suppressions(community: String) throws -> [String: Int] {
        try store.suppressions(community: community)
    }

    func alert(_ id: Int64, community: String) throws -> StoredAlert? {
        try store.alert(id: id, community: community)
    }

    func job(_ id: String, community: String) throws -> StoredJob? {
        try store.job(id: id, community: community)
    }

    func jobs(community: String, status: StoredJob.Status?, before: String?,
              limit: Int) throws -> [StoredJob]? {
        try store.jobs(community: community, status: status, before: before, limit: limit)
    }

    /// Every matching asset with its attachments, page by page.
    /// The uuids an export lists, in its order: the assets that match as
    /// it begins (`InventoryStore.assetIDs(matching:)`).
    func exportIDs(_ query: AssetQuery) throws -> [AssetID] {
        try store.assetIDs(matching: query)
    }

    /// Those of `ids` that are still assets of the community (and not
    /// revoked, unless `includingRevoked`), with their attachments, in one
    /// transaction. An export reads page by page,
    /// each a call of its own, so that other requests' reads take turns on
    /// this connection, and no transaction stays open while a client is
    /// slow.
    func exportPage(_ ids: ArraySlice<AssetID>, community: String,
                    includingRevoked: Bool) throws -> [(asset: Asset, attachments: [Attachment])] {
        try store.database.execute("BEGIN")
        defer { try? store.database.execute("COMMIT") }
        let assets = try ids.compactMap { try store.asset(id: $0, community: community) }
            .filter { includingRevoked || !$0.isRevoked }
        let attachments = try store.attachments(ofAssets: assets.map(\.id))
        return assets.map { ($0, attachments[$0.id] ?? []) }
    }

    struct Totals: Sendable {
        var assetsByCategory: [String: Int]
        var jobsByStatus: [String: Int]
    }

    func totals() throws -> Totals {
        Totals(assetsByCategory: try store.assetCountsByCategory(),
               jobsByStatus: try store.jobCountsByStatus())
    }
}

/// Runs an actor's jobs one at a time on a serial dispatch queue: work
/// that blocks (a SQLite read of seconds) waits there, off Swift's shared
/// pool of one thread a core.
final class BlockingWorkExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}

/// The server's read connections. A connection reads for one request at
/// a time: with one, an export of 300,000 assets (about 4 s of reading)
/// held every other request's reads, of every community, until it ended.
/// A read goes to the connection with the fewest reads on it or waiting.
final class StoreReaderPool: Sendable {
    private let readers: [StoreReader]
    private let reads: Mutex<[Int]>

    init(path: String, connections: Int) throws {
        let count = max(connections, 1)
        readers = try (0..<count).map { _ in
            try StoreReader(path: path, cacheMegabytes: 256 / count)
        }
        reads = Mutex(Array(repeating: 0, count: count))
    }

    var connectionCount: Int { readers.count }

    func read<Value: Sendable>(_ body: (StoreReader) async throws -> Value) async throws -> Value {
        let index = reads.withLock { reads in
            let index = reads.indices.min { reads[$0] < reads[$1] }!
            reads[index] += 1
            return index
        }
        defer { reads.withLock { $0[index] -= 1 } }
        return try await body(readers[index])
    }
}

/// Reads API tokens on a connection of its own, synchronously: the HTTP
/// server checks a request's token from its headers, on a network thread,
/// before it reads the body; the reader's actor would make it wait.
final class TokenVerifier: Sendable {
    private let store: Mutex<InventoryStore>

    init(path: String) throws {
        store = Mutex(try InventoryStore(path: path))
    }

    func token(digest: String) throws -> StoredToken? {
        try store.withLock { try $0.token(digest: digest) }
    }
}
