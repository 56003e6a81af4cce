import Foundation

/// Row ids a store connection has read or written, by a fingerprint of
/// the key they belong to: the `atoms` row of every atom, so that a
/// batch's weekly counts find their atoms without a query each, and the
/// `asset_seen` row of every asset, so that its seen times are written
/// without looking its key up in the asset table.
///
/// A batch of a large ingest counts tens of thousands of distinct atoms.
/// Finding each one's row through the text index of `atoms` was a random
/// probe into an index as large as the inventory: 6-7 µs an atom at
/// 1,000,000 assets, most of the writer's time. The cache is loaded from
/// the whole table once, before the first batch, and then answers every
/// known atom from memory, and tells a new atom (to insert) from a known
/// one without asking SQLite. Looking the keys of a batch's 57,000 seen
/// times up in the asset table instead made a day-later ingest 8% slower.
///
/// Each entry is 16 bytes: a 96-bit fingerprint of the key, drawn from
/// two independently seeded hashes, and the row id. Holding the keys
/// themselves would cost 70 bytes and more an atom (about 300 MB at
/// 3,500,000 atoms, where this is 90 MB). Two keys share a fingerprint
/// with a probability of about n²/2⁹⁷: below 10⁻¹⁵ for ten million keys.
/// The hash seeds are drawn per process, so no input can be crafted to
/// collide.
struct RowIDCache {
    private struct Slot {
        var fingerprint: UInt64 = 0
        var check: UInt32 = 0
        /// 0 marks an empty slot (SQLite row ids start at 1).
        var id: UInt32 = 0
    }

    private var slots: [Slot] = Array(repeating: Slot(), count: 1024)
    private(set) var count = 0

    /// True once every row of the table has been added: a key missing
    /// from the cache then has no row yet (or one another connection
    /// wrote since).
    var holdsWholeTable = false

    /// A fingerprint of a row's key, the same whether it is computed from
    /// the row or from the value it stands for.
    struct Fingerprint {
        fileprivate let hash: UInt64
        fileprivate let check: UInt32

        /// An asset's, by its uuid.
        init(asset: UUID) {
            var first = Hasher()
            first.combine(asset)
            var second = Hasher()
            second.combine(0x5EED as UInt16)
            second.combine(asset)
            hash = UInt64(bitPattern: Int64(first.finalize()))
            check = UInt32(truncatingIfNeeded: second.finalize())
        }

        /// An atom's, by the four key columns of `atoms`.
        init(community: String, entity: String, type: String, value: String) {
            var first = Hasher()
            first.combine(community)
            first.combine(entity)
            first.combine(type)
            first.combine(value)
            var second = Hasher()
            second.combine(0x5EED as UInt16)
            second.combine(community)
            second.combine(entity)
            second.combine(type)
            second.combine(value)
            hash = UInt64(bitPattern: Int64(first.finalize()))
            check = UInt32(truncatingIfNeeded: second.finalize())
        }
    }

    func id(of fingerprint: Fingerprint) -> Int64? {
        var index = home(of: fingerprint)
        while true {
            let slot = slots[index]
            if slot.id == 0 { return nil }
            if slot.fingerprint == fingerprint.hash && slot.check == fingerprint.check {
                return Int64(slot.id)
            }
            index = index + 1 == slots.count ? 0 : index + 1
        }
    }

    /// Remembers a row id. Ids past 32 bits are not kept: such a key is
    /// looked up in the table each time instead.
    mutating func insert(_ id: Int64, for fingerprint: Fingerprint) {
        guard id > 0, id <= Int64(UInt32.max) else { return }
        if (count + 1) * 4 > slots.count * 3 { reserveCapacity(count * 2) }
        var index = home(of: fingerprint)
        while slots[index].id != 0 {
            if slots[index].fingerprint == fingerprint.hash && slots[index].check == fingerprint.check {
                slots[index].id = UInt32(id)
                return
            }
            index = index + 1 == slots.count ? 0 : index + 1
        }
        slots[index] = Slot(fingerprint: fingerprint.hash, check: fingerprint.check, id: UInt32(id))
        count += 1
    }

    /// Makes room for `rows` entries at most two thirds full, so that
    /// loading a known number of rows grows the table once.
    mutating func reserveCapacity(_ rows: Int) {
        let capacity = max(1024, rows + rows / 2)
        guard capacity > slots.count else { return }
        let old = slots
        slots = Array(repeating: Slot(), count: capacity)
        for slot in old where slot.id != 0 {
            var index = home(of: Fingerprint(hash: slot.fingerprint, check: slot.check))
            while slots[index].id != 0 { index = index + 1 == slots.count ? 0 : index + 1 }
            slots[index] = slot
        }
    }

    mutating func removeAll() {
        self = RowIDCache()
    }

    /// The slot a fingerprint's probe starts at: the hash scaled onto the
    /// table (multiply and keep the high word), which needs no
    /// power-of-two size.
    private func home(of fingerprint: Fingerprint) -> Int {
        Int(fingerprint.hash.multipliedFullWidth(by: UInt64(slots.count)).high)
    }
}

private extension RowIDCache.Fingerprint {
    init(hash: UInt64, check: UInt32) {
        self.hash = hash
        self.check = check
    }
}
