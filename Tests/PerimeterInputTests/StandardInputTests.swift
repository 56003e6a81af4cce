import Foundation
import Testing
import PerimeterInput

#if canImport(Glibc)
import Glibc
#endif

/// Standard input is replaced inside a child process (an exit test), so
/// the test runner's own stdin is never touched.
private func readsFromStandardInput(_ path: String, expecting lines: [String],
                                    compressed: Bool) -> Bool {
    let fd = open(path, O_RDONLY)
    guard fd >= 0, dup2(fd, 0) == 0 else { return false }
    let reader = LineReader.standardInput()
    var seen: [String] = []
    do {
        try reader.forEachLine(onOversizedLine: { _ in }) { bytes, _, _ in seen.append(String(decoding: bytes, as: UTF8.self)) }
    } catch {
        return false
    }
    return seen == lines && reader.isCompressed == compressed && reader.fileIdentity == nil
}

@Test func readsPlainStandardInput() async throws {
    let folder = try ScratchFolder()
    let path = try folder.write("stdin.ndjson", Array("{\"a\":1}\r\n{\"b\":2}".utf8))
    await #expect(processExitsWith: .success) { [path = path as String] in
        exit(readsFromStandardInput(path, expecting: [#"{"a":1}"#, #"{"b":2}"#],
                                    compressed: false) ? 0 : 1)
    }
}

@Test func readsGzipStandardInput() async throws {
    let folder = try ScratchFolder()
    let path = try folder.gzip("stdin.ndjson", Array("x\ny\n".utf8))
    await #expect(processExitsWith: .success) { [path = path as String] in
        exit(readsFromStandardInput(path, expecting: ["x", "y"], compressed: true) ? 0 : 1)
    }
}
