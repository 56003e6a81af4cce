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
    /// and the store kept one asset of 24. With 12, the signal handling's
    /// Dispatch source could not get one, and the process crashed (SIGILL)
    /// before it read a line.
    @Test(arguments: [16, 12])
    func anIngestShortOfFileDescriptorsKeepsEveryAsset(descriptors: Int) throws {
        guard let cli = try H.make("few-descriptors-\(descriptors)") else { return }
        defer { cli.remove() }
        let lines = (0..<24).map { index in
            #"{"@timestamp":"2024-05-01T08:00:00Z","host":{"name":"ws-\#(index)"}}"#
        }
        let events = try cli.directory.write("events.ndjson", lines.joined(separator: "\n") + "\n")
        let store = cli.directory.path("limited.db")
        let shell = PerimeterExecutable(path: "/bin/sh")
        let result = try shell.run(["-c", "ulimit -n \(descriptors) && exec \"$0\" ingest "
                                    + "--db \"$1\" --no-output \"$2\"", cli.binary.path, store,
                                    events])
        #expect(result.status == 0, "\(result.standardError)")
        let listed = try cli.binary.run(["assets", "list", "--db", store, "--json", "--limit", "0"])
            .outputLines.compactMap(H.object)
        #expect(listed.count == 24)
        #expect(Set(listed.compactMap { $0["uuid"] as? String }).count == 24)
    }

    /// An export larger than the output buffer, to a full disk: the write
    /// that failed as the buffer emptied itself left only the stream's
    /// error mark, and the command ended as a success.
    @Test(arguments: [["--csv"], ["--json", "--limit", "0"]])
    func anExportToAFullDiskFails(options: [String]) throws {
        guard let cli = try H.make("full-disk") else { return }
        defer { cli.remove() }
        let rows = (0..<500).map { "host-\($0),host,\($0 % 100),crown;dc,it" }
        let sheet = try cli.directory.write("sheet.csv", "name,category,criticality,tags,"
                                            + "property.owner\n" + rows.joined(separator: "\n") + "\n")
        #expect(try cli.run(["assets", "import", sheet]).status == 0)
        let shell = PerimeterExecutable(path: "/bin/sh")
        let result = try shell.run(["-c", "db=\"$1\"; shift; exec \"$0\" assets list --db \"$db\" "
                                    + "\"$@\" > /dev/full",
                                    cli.binary.path, cli.store] + options)
        #expect(result.status == 1)
        #expect(result.standardError.contains("cannot write standard output: No space left on "
                                              + "device"), "\(result.standardError)")
    }

    /// Out of descriptors before the Public Suffix List is read: said so
    /// (it was told as a file that is not UTF-8 text).
    @Test func aListThatCannotBeOpenedSaysWhy() throws {
        guard let cli = try H.make("psl-descriptors") else { return }
        defer { cli.remove() }
        let events = try cli.directory.write("events.ndjson", "")
        let shell = PerimeterExecutable(path: "/bin/sh")
        let result = try shell.run(["-c", "ulimit -n 10 && exec \"$0\" ingest --db \"$1\" "
                                    + "--no-output \"$2\"", cli.binary.path,
                                    cli.directory.path("x.db"), events])
        #expect(result.status == 1)
        #expect(result.standardError.contains("too many open files"), "\(result.standardError)")
    }

    /// A valid event of 10 MB that the process has not the memory to
    /// parse: it was counted as a malformed line, its batch committed, and
    /// the re-run resumed past it, so its host was never made. The run
    /// stops before that batch; the re-run, with memory, reads it.
    @Test func anEventTooBigForTheMemoryLeftIsReadAgain() throws {
        guard let cli = try H.make("little-memory") else { return }
        defer { cli.remove() }
        func host(_ name: String, padding: Int = 0) -> String {
            #"{"@timestamp":"2024-05-01T08:00:00Z","host":{"name":"\#(name)"},"message":""#
                + String(repeating: "x", count: padding) + #""}"#
        }
        let events = try cli.directory.write("events.ndjson", [
            host("before"), host("big-one", padding: 10_000_000), host("after"),
        ].joined(separator: "\n") + "\n")
        let store = cli.directory.path("limited.db")
        let shell = PerimeterExecutable(path: "/bin/sh")
        let limited = try shell.run(["-c", "ulimit -v 200000 && exec \"$0\" ingest --db \"$1\" "
                                     + "--no-output \"$2\"", cli.binary.path, store, events])
        #expect(limited.status == 1)
        #expect(limited.standardError.contains("events.ndjson: line 2: cannot parse event: out of "
                                               + "memory"), "\(limited.standardError)")
        let again = try cli.binary.run(["ingest", "--db", store, "--no-output", events])
        #expect(again.status == 0, "\(again.standardError)")
        let names = try cli.binary.run(["assets", "list", "--db", store, "--json", "--limit", "0"])
            .outputLines.compactMap(H.object).compactMap { $0["name"] as? String }
        #expect(names.sorted() == ["after", "before", "big-one"])
    }
}
