#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file read at once (a rule, a configuration, a CSV to import, a
/// certificate), by the system's own calls so that a failure says why.
///
/// Foundation's `FileManager.contents(atPath:)` answers nil for every
/// failure alike, and reads a pipe (`<(zcat cmdb.csv.gz)`) as nothing.
public enum WholeFile {
    /// Why a file could not be read, in words that end a message
    /// ("cannot read 'x.yml': it is a folder").
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public let reason: String
        /// The file is not there: the one failure whose remedy is to
        /// install or name another file.
        public let isMissing: Bool

        public init(reason: String, isMissing: Bool) {
            self.reason = reason
            self.isMissing = isMissing
        }

        public var description: String { reason }
    }

    /// The file's bytes; a pipe or a character device is read to its end.
    public static func bytes(atPath path: String) throws(Failure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw Failure(reason: code == ENOENT ? "no such file" : reason(code),
                          isMissing: code == ENOENT)
        }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            throw Failure(reason: "it is a folder", isMissing: false)
        }
        var bytes: [UInt8] = []
        if (status.st_mode & S_IFMT) == S_IFREG { bytes.reserveCapacity(Int(status.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw Failure(reason: reason(errno), isMissing: false) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }

    /// The file as UTF-8 text (a leading byte order mark dropped); bytes
    /// that are no UTF-8 are refused with the line they are on, not
    /// replaced without a word.
    public static func text(atPath path: String) throws(Failure) -> String {
        let bytes = try bytes(atPath: path)
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes[3...] : bytes[...]
        if let text = String(validating: body, as: UTF8.self) { return text }
        throw Failure(reason: "line \(lineOfFirstInvalidByte(body)) is not UTF-8 text",
                      isMissing: false)
    }

    /// The 1-based line holding the first byte that is not part of a
    /// valid UTF-8 sequence.
    public static func lineOfFirstInvalidByte(_ bytes: ArraySlice<UInt8>) -> Int {
        var line = 1
        var lineStart = bytes.startIndex
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            if String(validating: bytes[lineStart..<index], as: UTF8.self) == nil { return line }
            line += 1
            lineStart = index + 1
        }
        return line
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }
}
