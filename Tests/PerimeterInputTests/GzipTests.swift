import Foundation
import PerimeterInput
import Testing

@Suite struct GzipTests {
    @Test func inflatesWhatGzipMade() throws {
        let text = Array(String(repeating: "{\"event\":1}\n", count: 5000).utf8)
        #expect(try Gzip.decompress(gzipped(text), limit: 1 << 20) == text)
    }

    @Test func inflatesConcatenatedMembers() throws {
        let joined = try gzipped(Array("one\n".utf8)) + gzipped(Array("two\n".utf8))
        #expect(try Gzip.decompress(joined, limit: 100) == Array("one\ntwo\n".utf8))
    }

    @Test func stopsAtTheLimit() throws {
        let zeros = try gzipped([UInt8](repeating: 0, count: 1 << 20))
        #expect(throws: Gzip.Failure.tooLarge) {
            try Gzip.decompress(zeros, limit: 1000)
        }
    }

    @Test func refusesCorruptInput() throws {
        let good = try gzipped(Array("hello world\n".utf8))
        for bad in [Array("not gzip".utf8), Array(good.dropLast(6)), []] {
            #expect(throws: Gzip.Failure.self) {
                try Gzip.decompress(bad, limit: 100)
            }
        }
    }
}

/// Compresses with the system's gzip, independent of our zlib code.
private func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let scratch = try ScratchFolder()
    let path = try scratch.gzip("body", bytes)
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}
