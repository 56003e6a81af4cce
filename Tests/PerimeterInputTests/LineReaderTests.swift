import Foundation
import Testing
import PerimeterInput

/// A scratch folder per test, removed at the end.
final class ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Compresses with the system's gzip, so the reader is checked against
    /// a real encoder rather than our own.
    func gzip(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = try write(name, bytes)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-n", "-f", path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return path + ".gz"
    }
}

struct ReadLine: Equatable, CustomStringConvertible {
    let text: String
    let number: Int
    let endOffset: UInt64
    var description: String { "\(number)@\(endOffset):\(text)" }
}

private func readAll(_ reader: LineReader,
                     errors: inout [InputError]) throws -> [ReadLine] {
    var lines: [ReadLine] = []
    var seen: [InputError] = []
    try reader.forEachLine(onOversizedLine: { seen.append($0) }) { bytes, number, end in
        lines.append(ReadLine(text: String(decoding: bytes, as: UTF8.self), number: number,
                              endOffset: end))
    }
    errors = seen
    return lines
}

private func readAll(_ reader: LineReader) throws -> [ReadLine] {
    var errors: [InputError] = []
    return try readAll(reader, errors: &errors)
}

struct SplitCase: CustomTestStringConvertible, Sendable {
    let input: String
    let expected: [String]    // "number@endOffset:text"
    var testDescription: String { input.debugDescription }
}

@Test(arguments: [
    SplitCase(input: "a\nbb\n", expected: ["1@2:a", "2@5:bb"]),
    SplitCase(input: "a\nbb", expected: ["1@2:a", "2@4:bb"]),
    SplitCase(input: "a\r\nb\r\n", expected: ["1@3:a", "2@6:b"]),
    SplitCase(input: "\n\nx\n", expected: ["1@1:", "2@2:", "3@4:x"]),
    SplitCase(input: "", expected: []),
    SplitCase(input: "a\rb\n", expected: ["1@4:a\rb"]),
    // A byte-order mark (3 bytes) starts the stream: dropped; elsewhere kept.
    SplitCase(input: "\u{FEFF}a\nb\n", expected: ["1@5:a", "2@7:b"]),
    SplitCase(input: "a\n\u{FEFF}b\n", expected: ["1@2:a", "2@7:\u{FEFF}b"]),
    SplitCase(input: "\u{FEFF}", expected: ["1@3:"]),
])
func splitsLines(_ c: SplitCase) throws {
    let folder = try ScratchFolder()
    let plain = try folder.write("plain.ndjson", Array(c.input.utf8))
    #expect(try readAll(LineReader(path: plain)).map(\.description) == c.expected)
    let gz = try folder.gzip("packed.ndjson", Array(c.input.utf8))
    let reader = try LineReader(path: gz)
    #expect(reader.isCompressed)
    #expect(try readAll(reader).map(\.description) == c.expected)
}

@Test func plainFileIsNotCompressedWhateverItsName() throws {
    let folder = try ScratchFolder()
    let path = try folder.write("events.ndjson.gz", Array("{}\n".utf8))
    let reader = try LineReader(path: path)
    #expect(!reader.isCompressed)
    #expect(try readAll(reader).map(\.text) == ["{}"])
}

@Test func readsLinesAcrossManyBuffers() throws {
    let folder = try ScratchFolder()
    var text = ""
    var expected: [ReadLine] = []
    var offset: UInt64 = 0
    for n in 1...30_000 {
        let line = "{\"n\":\(n),\"pad\":\"\(String(repeating: "x", count: n % 97))\"}"
        text += line + "\n"
        offset += UInt64(line.utf8.count + 1)
        expected.append(ReadLine(text: line, number: n, endOffset: offset))
    }
    let plain = try folder.write("big.ndjson", Array(text.utf8))
    #expect(try readAll(LineReader(path: plain)) == expected)
    let gz = try folder.gzip("big2.ndjson", Array(text.utf8))
    #expect(try readAll(LineReader(path: gz)) == expected)
}

@Test func concatenatedGzipMembersAreOneStream() throws {
    let folder = try ScratchFolder()
    let first = try Data(contentsOf: URL(fileURLWithPath: folder.gzip("a", Array("1\n2\n".utf8))))
    let second = try Data(contentsOf: URL(fileURLWithPath: folder.gzip("b", Array("3\n".utf8))))
    let path = try folder.write("both.gz", Array(first + second))
    #expect(try readAll(LineReader(path: path)).map(\.description)
        == ["1@2:1", "2@4:2", "3@6:3"])
}

/// Zero bytes after a member (a tape block's padding) are ignored, as
/// gzip ignores them, whether a member follows them or the file ends;
/// other bytes there are still an error.
@Test func zeroPaddingBetweenGzipMembersIsIgnored() throws {
    let folder = try ScratchFolder()
    let first = try Data(contentsOf: URL(fileURLWithPath: folder.gzip("a", Array("1\n2\n".utf8))))
    let second = try Data(contentsOf: URL(fileURLWithPath: folder.gzip("b", Array("3\n".utf8))))
    let zeros = Data(repeating: 0, count: 100)
    let padded = try folder.write("padded.gz", Array(first + zeros + second + zeros))
    #expect(try readAll(LineReader(path: padded)).map(\.description)
        == ["1@2:1", "2@4:2", "3@6:3"])
    #expect(try Gzip.decompress(Array(first + zeros), limit: 100) == Array("1\n2\n".utf8))
    let garbage = try folder.write("garbage.gz", Array(first + Data([0, 0, 7])))
    #expect(throws: InputError.self) { try readAll(LineReader(path: garbage)) }
}

@Test func truncatedGzipIsAnError() throws {
    let folder = try ScratchFolder()
    let text = String(repeating: "{\"a\":\"some event text\"}\n", count: 2000)
    let whole = try Data(contentsOf: URL(fileURLWithPath: folder.gzip("t", Array(text.utf8))))
    let path = try folder.write("cut.gz", Array(whole.prefix(whole.count / 2)))
    do {
        _ = try readAll(LineReader(path: path))
        Issue.record("a truncated gzip file was read without error")
    } catch let error as InputError {
        #expect(error.code == .corruptCompressedData)
        #expect(error.message == "cannot decompress '\(path)': unexpected end of gzip data "
            + "(truncated file?)")
    }
}

/// A bad checksum in the trailer comes after all of the member's data:
/// every line is read, then the error reported (the last chunk's lines
/// were dropped with it), as a truncated file keeps what it held.
@Test func aBadChecksumKeepsTheLinesBeforeIt() throws {
    let folder = try ScratchFolder()
    let text = (0..<100).map { "{\"n\":\($0)}\n" }.joined()
    let compressed = try folder.gzip("c", Array(text.utf8))
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: compressed)))
    bytes[bytes.count - 8] ^= 0xff  // the CRC-32 of the trailer
    let path = try folder.write("crc.gz", bytes)
    var lines: [String] = []
    do {
        try LineReader(path: path).forEachLine(onOversizedLine: { _ in }) { line, _, _ in
            lines.append(String(decoding: line, as: UTF8.self))
        }
        Issue.record("a bad checksum was read without error")
    } catch let error as InputError {
        #expect(error.code == .corruptCompressedData)
        #expect(error.message.contains("incorrect data check"))
    }
    #expect(lines == (0..<100).map { "{\"n\":\($0)}" })
}

/// The trailer's last four bytes hold the member's length: when that is
/// wrong, zlib fails on the member's very last byte, with all of the input
/// read, and the error must still be zlib's, not a truncation.
@Test func aWrongLengthInTheTrailerIsNamedAsSuch() throws {
    let folder = try ScratchFolder()
    let text = (0..<100).map { "{\"n\":\($0)}\n" }.joined()
    let compressed = try folder.gzip("l", Array(text.utf8))
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: compressed)))
    bytes[bytes.count - 1] ^= 0x01  // the length's highest byte
    let path = try folder.write("length.gz", bytes)
    var lines: [String] = []
    do {
        try LineReader(path: path).forEachLine(onOversizedLine: { _ in }) { line, _, _ in
            lines.append(String(decoding: line, as: UTF8.self))
        }
        Issue.record("a wrong length was read without error")
    } catch let error as InputError {
        #expect(error.code == .corruptCompressedData)
        #expect(error.message == "cannot decompress '\(path)': incorrect length check")
    }
    #expect(lines == (0..<100).map { "{\"n\":\($0)}" })
}

struct ResumeCase: CustomTestStringConvertible, Sendable {
    let offset: UInt64
    let startingLineNumber: Int?
    let expected: [String]
    var testDescription: String { "offset \(offset), line \(String(describing: startingLineNumber))" }
}

// Lines of "a\nbb\nccc\n": ends at 2, 5, 9.
@Test(arguments: [
    ResumeCase(offset: 0, startingLineNumber: nil, expected: ["1@2:a", "2@5:bb", "3@9:ccc"]),
    ResumeCase(offset: 2, startingLineNumber: nil, expected: ["2@5:bb", "3@9:ccc"]),
    ResumeCase(offset: 5, startingLineNumber: 3, expected: ["3@9:ccc"]),
    ResumeCase(offset: 5, startingLineNumber: nil, expected: ["3@9:ccc"]),
    ResumeCase(offset: 9, startingLineNumber: 4, expected: []),
])
func resumesAtAnOffset(_ c: ResumeCase) throws {
    let folder = try ScratchFolder()
    let bytes = Array("a\nbb\nccc\n".utf8)
    let plain = try folder.write("r.ndjson", bytes)
    let gz = try folder.gzip("r2.ndjson", bytes)
    for path in [plain, gz] {
        let reader = try LineReader(path: path, startingAtOffset: c.offset,
                                    startingLineNumber: c.startingLineNumber)
        #expect(try readAll(reader).map(\.description) == c.expected, "\(path)")
    }
}

/// A run took "bb" as the last line of "a\nbb", no newline after it, and
/// ended at byte 4 (line 2). The writer then went on: what it added up to
/// the next newline is the rest of line 2, nothing when blank, so the
/// next line is 3, not 4.
@Test(arguments: [
    ("\r\nccc\n", ["3@10:ccc"]),
    ("\n", []),
    ("x\nccc\n", ["2@6:x", "3@10:ccc"]),
    ("  ", []),
])
func resumingAfterAnUnterminatedLineKeepsTheNumbering(added: String, expected: [String]) throws {
    let folder = try ScratchFolder()
    let bytes = Array(("a\nbb" + added).utf8)
    let plain = try folder.write("u.ndjson", bytes)
    let gz = try folder.gzip("u2.ndjson", bytes)
    for path in [plain, gz] {
        for startingLineNumber in [3, nil] {
            let reader = try LineReader(path: path, startingAtOffset: 4,
                                        startingLineNumber: startingLineNumber)
            #expect(try readAll(reader).map(\.description) == expected,
                    "\(path), line \(String(describing: startingLineNumber))")
        }
    }
}

@Test func resumingBeyondTheEndIsAnError() throws {
    let folder = try ScratchFolder()
    let bytes = Array("a\nbb\n".utf8)
    let plain = try folder.write("s.ndjson", bytes)
    let gz = try folder.gzip("s2.ndjson", bytes)
    #expect(throws: InputError.self) {
        try LineReader(path: plain, startingAtOffset: 6, startingLineNumber: 3)
    }
    #expect(throws: InputError.self) {
        try readAll(LineReader(path: gz, startingAtOffset: 6))
    }
}

@Test func oversizedLinesAreSkippedAndNamed() throws {
    let folder = try ScratchFolder()
    let long = String(repeating: "x", count: 5000)
    let text = "short\n\(long)\nafter\n\(long)"
    let path = try folder.write("long.ndjson", Array(text.utf8))
    let reader = try LineReader(path: path, maximumLineLength: 100)
    var errors: [InputError] = []
    let lines = try readAll(reader, errors: &errors)
    #expect(lines.map(\.description) == ["1@6:short", "3@5013:after"])
    #expect(errors.map(\.lineNumber) == [2, 4])
    #expect(errors.first?.code == .lineTooLong)
    #expect(errors.first?.message == "line 2 of '\(path)' is longer than 100 bytes: skipped")
    // The last, which no newline ends, may still grow: it is met again.
    #expect(errors.last?.message == "line 4 of '\(path)' is longer than 100 bytes: skipped, "
            + "and no newline ends it yet: a resumed run reads it again")
    #expect(reader.oversizedLineCount == 2)
}

/// A stop asked while a line too long to keep is skipped ends the input
/// there (a line that never ends, `/dev/zero`, held a stopped ingest on):
/// the line after it is not read; without a stop, it is.
@Test func aStopIsHeardWhileALongLineIsSkipped() throws {
    let folder = try ScratchFolder()
    let long = String(repeating: "x", count: 1 << 20)
    let path = try folder.write("endless.ndjson", Array("\(long)\nafter\n".utf8))
    var asked = 0
    let stopped = try LineReader(path: path, maximumLineLength: 100)
    stopped.stopsSkipping = { asked += 1; return true }
    var errors: [InputError] = []
    #expect(try readAll(stopped, errors: &errors).isEmpty)
    #expect(asked == 1)
    var more: [InputError] = []
    let whole = try readAll(LineReader(path: path, maximumLineLength: 100), errors: &more)
    #expect(whole.map(\.text) == ["after"])
}

@Test func lineOfExactlyTheMaximumIsKept() throws {
    let folder = try ScratchFolder()
    let line = String(repeating: "y", count: 100)
    let path = try folder.write("edge.ndjson", Array("\(line)\r\n\(line)x\n".utf8))
    var errors: [InputError] = []
    let lines = try readAll(LineReader(path: path, maximumLineLength: 100), errors: &errors)
    #expect(lines.map(\.text) == [line])
    #expect(errors.map(\.lineNumber) == [2])
}

@Test func missingFileIsNamed() {
    do {
        _ = try LineReader(path: "/nonexistent/x.ndjson")
        Issue.record("opened a missing file")
    } catch {
        #expect(error.code == .cannotOpen)
        #expect(error.message == "cannot open '/nonexistent/x.ndjson': No such file or directory")
    }
}

@Test func directoryIsRefused() throws {
    let folder = try ScratchFolder()
    #expect(throws: InputError.self) { try LineReader(path: folder.url.path) }
}

@Test func identityNamesTheFile() throws {
    let folder = try ScratchFolder()
    let path = try folder.write("id.ndjson", Array("abc\n".utf8))
    let identity = try #require(try LineReader(path: path).fileIdentity)
    #expect(identity.size == 4)
    #expect(identity.isSameFile(as: try #require(try LineReader(path: path).fileIdentity)))
    #expect(LineReader.standardInput().fileIdentity == nil)
}

@Test func bodyErrorsStopReading() throws {
    struct Stop: Error {}
    let folder = try ScratchFolder()
    let path = try folder.write("stop.ndjson", Array("1\n2\n3\n".utf8))
    var seen = 0
    #expect(throws: Stop.self) {
        try LineReader(path: path).forEachLine(onOversizedLine: { _ in }) { _, number, _ in
            seen = number
            if number == 2 { throw Stop() }
        }
    }
    #expect(seen == 2)
}

@Test func anInMemoryBodyKeepsTheNumbersOfItsEventLinesAndLeavesBlankOnesOut() {
    // Bytes: the mark 0-2; line 1 "{a}" 3-5, newline 6; line 2 empty,
    // newline 7; line 3 "  \r" 8-10, newline 11; line 4 "{b}\r" 12-15,
    // newline 16; line 5 "{c}" 17-19, with no newline.
    let body: [UInt8] = LineReader.byteOrderMark + Array("{a}\n\n  \r\n{b}\r\n{c}".utf8)
    let lines = body.withUnsafeBytes { LineReader.eventLines(in: $0) }
    #expect(lines == [NumberedLine(number: 1, bytes: 3..<6),
                      NumberedLine(number: 4, bytes: 12..<16),
                      NumberedLine(number: 5, bytes: 17..<20)])
    let blank = Array("\n \n\t\r\n".utf8)
    #expect(blank.withUnsafeBytes { LineReader.eventLines(in: $0) }.isEmpty)
    #expect([UInt8]().withUnsafeBytes { LineReader.eventLines(in: $0) }.isEmpty)
}
