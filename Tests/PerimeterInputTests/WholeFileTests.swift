import Foundation
import Testing
import PerimeterInput

#if canImport(Glibc)
import Glibc
#endif

@Suite struct WholeFileTests {
    @Test func readsAFileAndDropsTheByteOrderMarkOfItsText() throws {
        let folder = try ScratchFolder()
        let path = try folder.write("rule.yml", [0xEF, 0xBB, 0xBF] + Array("title: x\n".utf8))
        #expect(try WholeFile.bytes(atPath: path).count == 12)
        #expect(try WholeFile.text(atPath: path) == "title: x\n")
    }

    @Test func saysWhyAFileCannotBeRead() throws {
        let folder = try ScratchFolder()
        #expect(throws: WholeFile.Failure(reason: "no such file", isMissing: true)) {
            try WholeFile.bytes(atPath: folder.url.path + "/absent.yml")
        }
        #expect(throws: WholeFile.Failure(reason: "it is a folder", isMissing: false)) {
            try WholeFile.bytes(atPath: folder.url.path)
        }
        let file = try folder.write("plain", Array("x".utf8))
        // A path through a file is ENOTDIR: the system's own words.
        #expect(throws: WholeFile.Failure(reason: "not a directory", isMissing: false)) {
            try WholeFile.bytes(atPath: file + "/inner.yml")
        }
    }

    /// A file past the bound, or a device that never ends, is refused
    /// rather than read until memory runs out.
    @Test func aFileIsReadUpToItsBound() throws {
        let folder = try ScratchFolder()
        let path = try folder.write("big.csv", Array(repeating: 0x41, count: 200_000))
        #expect(try WholeFile.bytes(atPath: path, maximumBytes: 200_000).count == 200_000)
        #expect(throws: WholeFile.Failure(reason: "it holds more than 0 MiB, more than such a "
                                            + "file is read whole", isMissing: false)) {
            try WholeFile.bytes(atPath: path, maximumBytes: 100_000)
        }
        #expect(throws: WholeFile.Failure.self) {
            try WholeFile.bytes(atPath: "/dev/zero", maximumBytes: 1 << 20)
        }
    }

    /// Bytes that are no UTF-8 are named by their line, not turned into
    /// replacement characters that a rule or a setting would then hold.
    @Test func refusesTextThatIsNotUTF8NamingItsLine() throws {
        let folder = try ScratchFolder()
        let path = try folder.write("config.yml", Array("a: 1\nb: 2\nc: ".utf8) + [0xC3, 0x28] + [0x0A])
        #expect(throws: WholeFile.Failure(reason: "line 3 is not UTF-8 text", isMissing: false)) {
            try WholeFile.text(atPath: path)
        }
        let last = try folder.write("last.yml", Array("a: 1\n".utf8) + [0xFF])
        #expect(throws: WholeFile.Failure(reason: "line 2 is not UTF-8 text", isMissing: false)) {
            try WholeFile.text(atPath: last)
        }
    }

    /// A pipe (`<(zcat cmdb.csv.gz)`) is read to its end; Foundation read
    /// it as an empty file.
    @Test func readsAPipeToItsEnd() throws {
        let folder = try ScratchFolder()
        let path = folder.url.path + "/pipe"
        #expect(mkfifo(path, 0o600) == 0)
        let text = String(repeating: "name,criticality\n", count: 10_000)
        let writer = Thread {
            let descriptor = open(path, O_WRONLY)
            defer { close(descriptor) }
            var bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes {
                    write(descriptor, $0.baseAddress! + offset, $0.count - offset)
                }
                guard written > 0 else { return }
                offset += written
            }
        }
        writer.start()
        #expect(try WholeFile.text(atPath: path) == text)
    }
}
