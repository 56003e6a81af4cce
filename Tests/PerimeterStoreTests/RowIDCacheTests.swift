import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterTestSupport
@testable import PerimeterStore
import Testing

@Suite struct RowIDCacheTests {
    typealias Fingerprint = RowIDCache.Fingerprint

    func fingerprint(_ community: String, _ entity: String, _ type: String,
                     _ value: String) -> Fingerprint {
        Fingerprint(community: community, entity: entity, type: type, value: value)
    }

    @Test func findsWhatWasInsertedAndNothingElse() {
        var cache = RowIDCache()
        cache.insert(7, for: fingerprint("acme", "", "ipv4", "10.0.0.1"))
        #expect(cache.id(of: fingerprint("acme", "", "ipv4", "10.0.0.1")) == 7)
        // Each key column counts, and so do the column boundaries.
        #expect(cache.id(of: fingerprint("globex", "", "ipv4", "10.0.0.1")) == nil)
        #expect(cache.id(of: fingerprint("acme", "dmz", "ipv4", "10.0.0.1")) == nil)
        #expect(cache.id(of: fingerprint("acme", "", "ipv6", "10.0.0.1")) == nil)
        #expect(cache.id(of: fingerprint("acme", "", "ipv4", "10.0.0.2")) == nil)
        cache.insert(8, for: fingerprint("ab", "c", "ipv4", "x"))
        #expect(cache.id(of: fingerprint("a", "bc", "ipv4", "x")) == nil)
        #expect(cache.count == 2)
    }

    @Test func assetsAreFoundByTheirUUID() {
        var cache = RowIDCache()
        let first = UUID(uuidString: "00000000-0000-4000-8000-000000000001")!
        let second = UUID(uuidString: "00000000-0000-4000-8000-000000000002")!
        cache.insert(41, for: .init(asset: first))
        #expect(cache.id(of: .init(asset: first)) == 41)
        #expect(cache.id(of: .init(asset: second)) == nil)
    }

    @Test func keepsEveryEntryAcrossGrowth() {
        var cache = RowIDCache()
        let count = 50_000
        for id in 1...count { cache.insert(Int64(id), for: fingerprint("c", "", "ipv4", "10.\(id)")) }
        #expect(cache.count == count)
        let missing = (1...count).filter {
            cache.id(of: fingerprint("c", "", "ipv4", "10.\($0)")) != Int64($0)
        }
        #expect(missing.isEmpty)
        #expect(cache.id(of: fingerprint("c", "", "ipv4", "10.0")) == nil)
    }

    @Test func aSecondInsertReplacesTheIdAndCountsOnce() {
        var cache = RowIDCache()
        cache.insert(3, for: fingerprint("c", "", "mac", "aa"))
        cache.insert(4, for: fingerprint("c", "", "mac", "aa"))
        #expect(cache.id(of: fingerprint("c", "", "mac", "aa")) == 4)
        #expect(cache.count == 1)
    }

    /// Ids that do not fit the entry are left out rather than cut short.
    @Test func idsPastThirtyTwoBitsAreNotKept() {
        var cache = RowIDCache()
        cache.insert(Int64(UInt32.max) + 1, for: fingerprint("c", "", "mac", "bb"))
        cache.insert(0, for: fingerprint("c", "", "mac", "cc"))
        #expect(cache.id(of: fingerprint("c", "", "mac", "bb")) == nil)
        #expect(cache.id(of: fingerprint("c", "", "mac", "cc")) == nil)
        #expect(cache.count == 0)
    }

    /// Two connections of one process (a server restarted in place, the
    /// tests) may both count activity. The second one's cache was loaded
    /// before the first wrote a new atom: its insert of that atom must
    /// find the row instead of failing or making a second one.
    @Test func anAtomWrittenByAnotherConnectionIsFoundNotDuplicated() throws {
        let directory = try ScratchDirectory("atom-ids")
        defer { directory.remove() }
        let path = directory.path("store.db")
        let first = try InventoryStore(path: path)
        let second = try InventoryStore(path: path)
        let scope = ScopeKey(community: "acme")
        let week = EventTime(milliseconds: 1_714_348_800_000) // Monday 2024-04-29
        let known = AtomKey(scope: scope, atom: Atom(type: .ipv4, normalizedValue: "10.0.0.1"))
        let new = AtomKey(scope: scope, atom: Atom(type: .ipv4, normalizedValue: "10.0.0.2"))
        func counts(_ activity: [AtomKey: Int]) -> InventoryChanges {
            var changes = InventoryChanges.creating([], attachments: [], audit: [])
            changes.activity = activity.map {
                WeeklyActivity(key: $0.key, weekStart: week, count: $0.value)
            }
            return changes
        }

        try second.persist(counts([known: 1]))    // loads its cache: one atom
        try first.persist(counts([new: 2]))       // a row the second does not know
        try second.persist(counts([new: 3, known: 4]))

        let rows = try first.database.statement("""
            SELECT a.atom_value, sum(c.count), count(DISTINCT a.id)
            FROM atoms a JOIN atom_activity c ON c.atom = a.id
            GROUP BY a.atom_value ORDER BY a.atom_value
            """).rows { "\($0.text(0)):\($0.int(1)):\($0.int(2))" }
        #expect(rows == ["10.0.0.1:5:1", "10.0.0.2:5:1"])
    }
}
