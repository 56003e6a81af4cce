/// A set of byte strings, looked up by a borrowed UTF-8 buffer without
/// making a `String` (the Public Suffix List is asked about every fqdn
/// in a hostname field). Equality is byte equality.
struct ByteStringSet: Sendable {
    /// Every entry's bytes, end to end.
    private var storage: [UInt8] = []
    private var starts: [Int] = []
    private var hashes: [UInt64] = []
    /// Open addressing: an entry index, or -1 for an empty slot.
    private var slots: [Int] = []

    init(_ entries: some Sequence<String>) {
        for entry in entries {
            starts.append(storage.count)
            storage.append(contentsOf: entry.utf8)
            hashes.append(Array(entry.utf8).withUnsafeBufferPointer { Self.hash($0) })
        }
        starts.append(storage.count)
        var size = 16
        while size < hashes.count * 2 { size *= 2 }
        slots = Array(repeating: -1, count: size)
        for entry in 0..<hashes.count {
            var slot = Int(truncatingIfNeeded: hashes[entry]) & (size - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = entry
        }
    }

    func contains(_ bytes: UTF8Bytes) -> Bool {
        let hash = Self.hash(bytes)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry < 0 { return false }
            if hashes[entry] == hash && matches(entry, bytes) { return true }
            slot = (slot + 1) & mask
        }
    }

    private func matches(_ entry: Int, _ bytes: UTF8Bytes) -> Bool {
        let start = starts[entry]
        guard starts[entry + 1] - start == bytes.count else { return false }
        for index in 0..<bytes.count where storage[start + index] != bytes[index] {
            return false
        }
        return true
    }

    /// FNV-1a, 64 bits, with a final mix so that the low bits index well.
    private static func hash(_ bytes: UTF8Bytes) -> UInt64 {
        var state: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { state = (state ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return state ^ (state >> 29)
    }
}
