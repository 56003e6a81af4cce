import Foundation
import PerimeterModel
import PerimeterTestSupport
import Testing

/// A process short of a resource (file descriptors, memory) fails loudly
/// or works; it never writes a wrong inventory and calls it done.
@Suite(.serialized, .requiresPerimeterExecutable)
struct ResourceLimitTests {
    typealias H = CommandLineHarness

    @Test func randomUUIDsAreVersionFourAndDistinct() {
        let made = (0..<10_000).map { _ in UUID.random() }
        #expect(Set(made).count == made.count)
        for id in made.prefix(100) {
            let text = id.lowercasedText
            #expect(Array(text)[14] == "4", "version 4: \(text)")
            #expect("89ab".contains(Array(text)[19]), "RFC 4122 variant: \(text)")
        }
    }

    /// With 16 file descriptors, `/dev/urandom` cannot be opened: every
    /// host and account discovered got 00000000-0000-4000-8000-000000000000,
    /// and the store kept one asset of 24.
    @Test func anIngestShortOfFileDescriptorsKeepsEveryAsset() throws {
        guard let cli = try H.make("few-descriptors") else { return }
        defer { cli.remove() }
        let lines = (0..<24).map { index in
            #"{"@timestamp":"2024-05-01T08:00:00Z","host":{"name":"ws-\#(index)"}}"#
        }
        let events = try cli.directory.write("events.ndjson", lines.joined(separator: "\n") + "\n")
        let store = cli.directory.path("limited.db")
        let shell = PerimeterExecutable(path: "/bin/sh")
        let result = try shell.run(["-c", "ulimit -n 16 && exec \"$0\" ingest --db \"$1\" "
                                    + "--no-output \"$2\"", cli.binary.path, store, events])
        #expect(result.status == 0, "\(result.standardError)")
        let listed = try cli.binary.run(["assets", "list", "--db", store, "--json", "--limit", "0"])
            .outputLines.compactMap(H.object)
        #expect(listed.count == 24)
        #expect(Set(listed.compactMap { $0["uuid"] as? String }).count == 24)
    }
}
