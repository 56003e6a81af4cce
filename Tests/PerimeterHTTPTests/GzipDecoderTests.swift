import Testing
@testable import PerimeterHTTP

@Suite struct GzipDecoderTests {
    @Test func inflatesWhatGzipMade() throws {
        let text = Array(String(repeating: "{\"event\":1}\n", count: 5000).utf8)
        #expect(try GzipDecoder.gunzip(gzipped(text), limit: 1 << 20) == text)
    }

    @Test func inflatesConcatenatedMembers() throws {
        let joined = try gzipped(Array("one\n".utf8)) + gzipped(Array("two\n".utf8))
        #expect(try GzipDecoder.gunzip(joined, limit: 100) == Array("one\ntwo\n".utf8))
    }

    @Test func stopsAtTheLimit() throws {
        let zeros = try gzipped([UInt8](repeating: 0, count: 1 << 20))
        #expect(throws: GzipDecoder.Failure.tooLarge) {
            try GzipDecoder.gunzip(zeros, limit: 1000)
        }
    }

    @Test func refusesCorruptInput() throws {
        let good = try gzipped(Array("hello world\n".utf8))
        for bad in [Array("not gzip".utf8), Array(good.dropLast(6)), []] {
            #expect(throws: GzipDecoder.Failure.self) {
                try GzipDecoder.gunzip(bad, limit: 100)
            }
        }
    }
}
