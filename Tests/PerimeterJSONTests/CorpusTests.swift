import Foundation
import Testing
@testable import PerimeterJSON

/// Every ECS line of the corpus: the parser's leaves must agree with an
/// independent reader, and enriching must keep the JSON valid.
@Test func corpusLeavesMatchAnIndependentReader() throws {
    let parser = EventParser(selection: FieldSelection(paths: ["host.name"]),
                             collectsAllLeaves: true)
    var lines = 0
    for file in try Corpus.ecsFiles() {
        let text = try String(contentsOf: file, encoding: .utf8)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).prefix(15) {
            lines += 1
            let bytes = Array(line.utf8)
            let reference = try StrictJSON.parse(bytes).leaves()
                .filter { !$0.0.hasPrefix("sekoiaio.any_asset") && !$0.0.hasPrefix("sekoiaio.assets") }
            let event = try bytes.withUnsafeBytes { try parser.parse($0) }
            var mine: [(String, String)] = []
            event.forEachLeaf { path, value in mine.append((path, value.text)) }
            #expect(mine.map(\.0) == reference.map(\.0), "\(file.lastPathComponent)")
            // Numbers differ in spelling (1.0 vs 1); compare the strings only.
            let strings = zip(mine, reference).filter { _, r in
                !(r.1.first.map { "-0123456789".contains($0) } ?? false)
            }
            #expect(strings.allSatisfy { $0.0.1 == $0.1.1 }, "\(file.lastPathComponent)")
        }
    }
    #expect(lines > 1000)
}

@Test func corpusEnrichmentStaysValidJSON() throws {
    let parser = EventParser(selection: FieldSelection(paths: ["host.name"]))
    let members = [#""any_asset":{"uuid":["00000000-0000-4000-8000-000000000001"]}"#]
    for file in try Corpus.ecsFiles() {
        let text = try String(contentsOf: file, encoding: .utf8)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).prefix(5) {
            let bytes = Array(line.utf8)
            try bytes.withUnsafeBytes { raw in
                let event = try parser.parse(raw)
                var same: [UInt8] = []
                EnrichedEventWriter.write(line: raw, parsed: event, sekoiaioMembers: [],
                                          into: &same)
                if !event.removedCollidingFields { #expect(same == bytes) }
                var enriched: [UInt8] = []
                EnrichedEventWriter.write(line: raw, parsed: event, sekoiaioMembers: members,
                                          into: &enriched)
                let node = try StrictJSON.parse(enriched)
                let uuids = node.leaves().filter { $0.0 == "sekoiaio.any_asset.uuid" }
                #expect(uuids.count == 1, "\(file.lastPathComponent)")
            }
        }
    }
}
