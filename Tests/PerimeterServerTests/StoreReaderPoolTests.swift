import PerimeterStore
@testable import PerimeterServer
import Testing

/// A long read (an export) holds one connection; the next read goes to
/// another, where with one connection it waited for the export to end.
@Suite struct StoreReaderPoolTests {
    @Test func aReadGoesToTheConnectionWithTheFewestReads() async throws {
        let path = TestServer.makeStorePath()
        _ = try InventoryStore(path: path)
        let pool = try StoreReaderPool(path: path, connections: 2)
        #expect(pool.connectionCount == 2)
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let (started, starter) = AsyncStream.makeStream(of: ObjectIdentifier.self)
        let long = Task {
            try await pool.read { reader in
                starter.yield(ObjectIdentifier(reader))
                for await _ in release { break }
                return ObjectIdentifier(reader)
            }
        }
        var iterator = started.makeAsyncIterator()
        let busy = try #require(await iterator.next())
        let meanwhile = try await pool.read { ObjectIdentifier($0) }
        #expect(meanwhile != busy)
        // Both free again: either may serve, and a read ends its count.
        releaser.yield()
        #expect(try await long.value == busy)
        let first = try await pool.read { ObjectIdentifier($0) }
        let second = try await pool.read { ObjectIdentifier($0) }
        #expect(first == second)
    }
}
