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

    /// The most a whole file may hold: far past any rule, configuration or
    /// CSV of a CMDB, and a bound for `--config /dev/zero`, which grew
    /// memory until the process was killed.
    public static let maximumBytes = 1 << 30

    /// The file's bytes; a pipe or a character device is read to its end,
    /// up to `maximumBytes`.
    public static func bytes(atPath path: String,
                             maximumBytes: Int = WholeFile.maximumBytes) throws(Failure) -> [UInt8] {
        var descriptor: Int32
        repeat { descriptor = open(path, O_RDONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
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
        let tooLarge = Failure(reason: "it holds more than \(maximumBytes >> 20) MiB, more than "
                                   + "such a file is read whole", isMissing: false)
        if (status.st_mode & S_IFMT) == S_IFREG {
            // Known before reading: refused at once, not after a gigabyte.
            if Int(status.st_size) > maximumBytes { throw tooLarge }
            bytes.reserveCapacity(Int(status.st_size))
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw Failure(reason: reason(code), isMissing: false)
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            if bytes.count > maximumBytes { throw tooLarge }
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
