#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads NDJSON lines from a file, a gzip file or standard input.
///
/// Reads are large (1 MiB) and lines are handed out as views into one
/// reusable buffer, so reading allocates nothing per line. Gzip is
/// recognised by its magic bytes, never by the file name. Offsets are
/// positions in the uncompressed stream, so a caller can record
/// (offset, line number) after any line and resume there later.
///
/// Reading is one pass to the end of the stream: a final line without a
/// newline is delivered as a line, so following a file that is still
/// being written would deliver a half-written last line. (No caller tails
/// files yet.)
public final class LineReader {
    public static let defaultMaximumLineLength = 16 << 20

    /// "'events.ndjson'" or "standard input", for messages.
    public let sourceName: String
    /// Device, inode, size and modification time at open; nil for stdin.
    public let fileIdentity: FileIdentity?
    /// Known once the first bytes have been read: at init for a path, at
    /// the first `forEachLine` for standard input.
    public private(set) var isCompressed = false
    /// Lines skipped because they were longer than the maximum.
    public private(set) var oversizedLineCount = 0

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// Standard input, or a path that is no regular file (a named pipe,
    /// `/dev/stdin`): a read may wait for a writer, so a stop request is
    /// polled for while it does (a pipe given by its path went on waiting
    /// for its writer after Ctrl-C or SIGTERM, where `-` stopped).
    private let mayWaitForData: Bool
    private let maximumLineLength: Int
    private var inflater: GzipInflater?
    private var detected = false
    private var atEndOfInput = false
    /// Asked while a pipe or a terminal has nothing to read (every quarter
    /// of a second): true ends the input there, as its end would, so that
    /// a stop asked of a reader waiting on `tail -f` is heard. Regular
    /// files never wait, and are read to the end.
    public var stopsWaiting: (() -> Bool)?
    /// Asked at each block of a line too long to keep, which is skipped as
    /// it is read: true ends the input there, so that a stop asked while
    /// reading one that never ends (`/dev/zero`) is heard. The line is
    /// left unread for a later run, as one cut by the input's end is.
    public var stopsSkipping: (() -> Bool)?

    // Bytes read from the descriptor and not yet used: the peeked magic
    // bytes of a plain stream, or compressed input for the inflater.
    private let raw: UnsafeMutableRawBufferPointer
    private var rawStart = 0
    private var rawEnd = 0

    // Uncompressed bytes; `buffer[0]` is at `bufferOffset` in the stream.
    private var buffer: UnsafeMutableRawBufferPointer
    private var bufferOffset: UInt64
    private var linesBefore: Int
    private var bytesToSkip: UInt64 = 0
    private var countsSkippedLines: Bool
    /// True while `forEachLine` hands over a last line that no newline
    /// ends: it may be one that a writer has not finished yet.
    public private(set) var isReadingUnterminatedLine = false
    /// The byte before the start offset is not a newline: the last run
    /// took a last line that none ended. What runs up to the next newline
    /// is the rest of that line (often only the newline a writer added
    /// after it), not a line of its own.
    private var startsMidLine = false

    /// Opens `path`. With `startingAtOffset`, reading resumes there (an
    /// offset that `forEachLine` reported, so the start of a line). Pass
    /// the line number of the line at that offset when it is known: a
    /// plain file then seeks; otherwise the skipped bytes are read to count
    /// their lines. A gzip file is always decompressed from the start.
    public init(path: String, startingAtOffset offset: UInt64 = 0,
                startingLineNumber: Int? = nil,
                maximumLineLength: Int = LineReader.defaultMaximumLineLength) throws(InputError) {
        precondition(startingLineNumber.map { $0 >= 1 } ?? true, "line numbers start at 1")
        sourceName = "'\(path)'"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputError(code: .cannotOpen,
                             message: "cannot open '\(path)': \(Self.lastErrorText())",
                             source: "'\(path)'")
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let text = Self.lastErrorText()
            close(fd)
            throw InputError(code: .cannotOpen, message: "cannot open '\(path)': \(text)",
                             source: "'\(path)'")
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw InputError(code: .cannotOpen,
                             message: "cannot open '\(path)': it is a directory",
                             source: "'\(path)'")
        }
        descriptor = fd
        ownsDescriptor = true
        fileIdentity = FileIdentity(status)
        mayWaitForData = (status.st_mode & S_IFMT) != S_IFREG
        self.maximumLineLength = maximumLineLength
        raw = .allocate(byteCount: 256 << 10, alignment: 16)
        buffer = .allocate(byteCount: min(1 << 20, maximumLineLength + 2), alignment: 16)
        bufferOffset = offset
        linesBefore = (startingLineNumber ?? 1) - 1
        countsSkippedLines = startingLineNumber == nil

        try detectCompression()
        guard offset > 0 else { return }
        let isRegular = (status.st_mode & S_IFMT) == S_IFREG
        if !isCompressed, startingLineNumber != nil, isRegular {
            guard offset <= UInt64(status.st_size) else { throw beyondEnd(offset) }
            guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
                throw InputError(code: .readFailed,
                                 message: "cannot seek in \(sourceName): \(Self.lastErrorText())",
                                 source: sourceName)
            }
            rawStart = 0
            rawEnd = 0
            var before: UInt8 = 0
            startsMidLine = pread(fd, &before, 1, off_t(offset - 1)) == 1 && before != 0x0A
        } else {
            bytesToSkip = offset
        }
    }

    /// A regular file's identity and its first bytes (up to `headLength`),
    /// read without opening a reader; nil for a pipe, a device, a socket
    /// (whose bytes a second open would not see again) or a missing path
    /// (the reader's open then says why).
    public static func regularFile(atPath path: String, headLength: Int = 4_096)
        throws(InputError) -> (identity: FileIdentity, head: [UInt8])?
    {
        // stat first: opening a pipe, even to look, would count as its
        // reader, and the writer could then write into our closing it.
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputError(code: .cannotOpen,
                             message: "cannot open '\(path)': \(lastErrorText())",
                             source: "'\(path)'")
        }
        defer { close(fd) }
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        var head = [UInt8](repeating: 0, count: headLength)
        var count = 0
        while count < headLength {
            let read = head.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + count, headLength - count, off_t(count))
            }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { break }
            count += read
        }
        return (FileIdentity(status), Array(head.prefix(count)))
    }

    /// The byte of a plain file at `offset`; nil when it cannot be read
    /// (the file shorter, gone, unreadable).
    public static func byte(atOffset offset: UInt64, ofFile path: String) -> UInt8? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var byte: UInt8 = 0
        while true {
            let read = pread(fd, &byte, 1, off_t(offset))
            if read < 0 && errno == EINTR { continue }
            return read == 1 ? byte : nil
        }
    }

    private init(standardInputWithMaximumLineLength maximumLineLength: Int) {
        sourceName = "standard input"
        descriptor = 0
        ownsDescriptor = false
        fileIdentity = nil
        mayWaitForData = true
        self.maximumLineLength = maximumLineLength
        raw = .allocate(byteCount: 256 << 10, alignment: 16)
        buffer = .allocate(byteCount: min(1 << 20, maximumLineLength + 2), alignment: 16)
        bufferOffset = 0
        linesBefore = 0
        countsSkippedLines = true
    }

    /// Reads standard input (plain or gzip); nothing is read until
    /// `forEachLine`.
    public static func standardInput(
        maximumLineLength: Int = defaultMaximumLineLength
    ) -> LineReader {
        LineReader(standardInputWithMaximumLineLength: maximumLineLength)
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
        raw.deallocate()
        buffer.deallocate()
    }

    /// Calls `body` for each line, without its newline (and without the
    /// `\r` of a CRLF), with its 1-based line number and the offset just
    /// past it in the uncompressed stream. The bytes are valid only during
    /// the call. A line longer than the maximum is not delivered: it is
    /// counted, passed to `onOversizedLine` (which may throw to stop), and
    /// reading goes on with the next line. Errors of `body` propagate.
    public func forEachLine(
        onOversizedLine: (InputError) throws -> Void,
        _ body: (UnsafeRawBufferPointer, _ lineNumber: Int, _ endOffset: UInt64) throws -> Void
    ) throws {
        if !detected { try detectCompression() }
        try skipToStartOffset()

        var lineNumber = linesBefore
        var start = 0
        var end = 0
        var discarding = false
        var continuing = startsMidLine
        startsMidLine = false
        while true {
            // Every complete line in buffer[start..<end].
            while start < end, let found = memchr(buffer.baseAddress! + start, 0x0A, end - start) {
                let newline = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(found))
                let endOffset = bufferOffset + UInt64(newline + 1)
                if continuing {
                    // The rest of the line the last run ended on keeps its
                    // number, and is nothing when blank.
                    continuing = false
                    if Self.isBlank(buffer[start..<newline]) {
                        start = newline + 1
                        continue
                    }
                } else {
                    lineNumber += 1
                }
                if discarding {
                    discarding = false
                    try reportOversized(lineNumber, onOversizedLine)
                } else {
                    var length = newline - start
                    if length > 0, buffer[newline - 1] == 0x0D { length -= 1 }
                    if length > maximumLineLength {
                        try reportOversized(lineNumber, onOversizedLine)
                    } else {
                        try body(UnsafeRawBufferPointer(
                                    rebasing: buffer[content(start..<start + length)]),
                                 lineNumber, endOffset)
                    }
                }
                start = newline + 1
            }

            // Keep the unfinished line at the front; grow or drop when full.
            if start > 0 {
                if end > start {
                    memmove(buffer.baseAddress!, buffer.baseAddress! + start, end - start)
                }
                bufferOffset += UInt64(start)
                end -= start
                start = 0
            }
            if end == buffer.count {
                if buffer.count < maximumLineLength + 2 {
                    grow(keeping: end)
                } else {
                    discarding = true
                    bufferOffset += UInt64(end)
                    end = 0
                }
            }

            if discarding, let stopsSkipping, stopsSkipping() { break }
            let count = try fill(UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            if count == 0 { break }
            end += count
        }

        // A final line without a newline is still a line.
        if continuing && !discarding && Self.isBlank(buffer[0..<end]) { end = 0 }
        if end > 0 || discarding {
            if !continuing { lineNumber += 1 }
            var length = end
            if length > 0, buffer[length - 1] == 0x0D { length -= 1 }
            if discarding || length > maximumLineLength {
                try reportOversized(lineNumber, unterminated: true, onOversizedLine)
            } else {
                isReadingUnterminatedLine = true
                defer { isReadingUnterminatedLine = false }
                try body(UnsafeRawBufferPointer(rebasing: buffer[content(0..<length)]), lineNumber,
                         bufferOffset + UInt64(end))
            }
            bufferOffset += UInt64(end)
        }
        linesBefore = lineNumber
    }

    /// Spaces, tabs and carriage returns only: a line that holds no event.
    @inlinable
    public static func isBlank(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// Whether an open file ends part-way through a line: it holds bytes
    /// and the last is no newline. A file appended to must have its line
    /// ended first, or the next line is glued onto it.
    public static func endsMidLine(_ descriptor: Int32) -> Bool {
        var stats = stat()
        var last: UInt8 = 0
        return fstat(descriptor, &stats) == 0 && stats.st_size > 0
            && pread(descriptor, &last, 1, off_t(stats.st_size - 1)) == 1 && last != 0x0A
    }

    /// The lines of an in-memory body (an HTTP intake request) that may
    /// hold an event: blank ones are left out here rather than one by one
    /// downstream, so that a body of empty lines costs one scan of its bytes
    /// (16 MiB of them took 2.9 s as 16 million ranges cut into 3,400
    /// batches, 0.18 s since, over loopback).
    /// A byte-order mark before the first line is skipped, as a file's is.
    public static func eventLines(in body: UnsafeRawBufferPointer) -> [NumberedLine] {
        var lines: [NumberedLine] = []
        var start = body.starts(with: byteOrderMark) ? byteOrderMark.count : 0
        var number = 1
        func add(_ end: Int) {
            let range = start..<end
            if !isBlank(UnsafeRawBufferPointer(rebasing: body[range])) {
                lines.append(NumberedLine(number: number, bytes: range))
            }
        }
        while start < body.count,
              let found = memchr(body.baseAddress! + start, 0x0A, body.count - start) {
            let newline = body.baseAddress!.distance(to: UnsafeRawPointer(found))
            add(newline)
            start = newline + 1
            number += 1
        }
        if start < body.count { add(body.count) }
        return lines
    }

    // MARK: - Reading

    /// The UTF-8 byte-order mark that some Windows tools write at the start
    /// of a file; RFC 8259 lets a reader ignore it, and a stream's first
    /// event would otherwise be malformed.
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// A line's bytes in `buffer`, without a byte-order mark at the start of
    /// the stream.
    private func content(_ line: Range<Int>) -> Range<Int> {
        let mark = Self.byteOrderMark
        guard bufferOffset + UInt64(line.lowerBound) == 0,
              UnsafeRawBufferPointer(rebasing: buffer[line]).starts(with: mark)
        else { return line }
        return line.lowerBound + mark.count..<line.upperBound
    }

    /// `unterminated`: the last line, which no newline ends yet. Its end
    /// offset is never handed over, so a resumed run meets it again.
    private func reportOversized(_ lineNumber: Int, unterminated: Bool = false,
                                 _ handler: (InputError) throws -> Void) throws {
        oversizedLineCount += 1
        let limit = maximumLineLength >= 1 << 20
            ? "\(maximumLineLength >> 20) MiB" : "\(maximumLineLength) bytes"
        let outcome = unterminated
            ? "skipped, and no newline ends it yet: a resumed run reads it again" : "skipped"
        try handler(InputError(
            code: .lineTooLong,
            message: "line \(lineNumber) of \(sourceName) is longer than \(limit): \(outcome)",
            source: sourceName, lineNumber: lineNumber))
    }

    private func grow(keeping count: Int) {
        let larger = UnsafeMutableRawBufferPointer.allocate(
            byteCount: min(buffer.count * 2, maximumLineLength + 2), alignment: 16)
        larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        buffer.deallocate()
        buffer = larger
    }

    /// Reads until the first two bytes are known (or the input ends).
    private func detectCompression() throws(InputError) {
        detected = true
        while rawEnd < 2 {
            let count = try readDescriptor(into: UnsafeMutableRawBufferPointer(
                rebasing: raw[rawEnd...]))
            if count == 0 { break }
            rawEnd += count
        }
        if rawEnd >= 2, raw[0] == 0x1F, raw[1] == 0x8B {
            isCompressed = true
            inflater = GzipInflater()
        }
    }

    /// Reads and drops the bytes before the start offset, counting lines.
    private func skipToStartOffset() throws(InputError) {
        while bytesToSkip > 0 {
            let wanted = Int(min(UInt64(buffer.count), bytesToSkip))
            let count = try fill(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
            guard count > 0 else { throw beyondEnd(bufferOffset) }
            if countsSkippedLines {
                var cursor = buffer.baseAddress!
                let stop = cursor + count
                while let found = memchr(cursor, 0x0A, cursor.distance(to: stop)) {
                    linesBefore += 1
                    cursor = UnsafeMutableRawPointer(found) + 1
                }
            }
            bytesToSkip -= UInt64(count)
            if bytesToSkip == 0 {
                startsMidLine = buffer[count - 1] != 0x0A
                // The unfinished line had no newline to count.
                if startsMidLine && countsSkippedLines { linesBefore += 1 }
            }
        }
    }

    private func beyondEnd(_ offset: UInt64) -> InputError {
        InputError(code: .offsetBeyondEnd,
                   message: "cannot resume \(sourceName) at byte \(offset): the input is "
                       + "shorter (truncated or replaced since?)",
                   source: sourceName)
    }

    /// Uncompressed bytes into `target`; 0 only at the end of the input.
    private func fill(_ target: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard let inflater else {
            if rawStart < rawEnd {
                let count = min(rawEnd - rawStart, target.count)
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[rawStart..<rawStart + count]))
                rawStart += count
                return count
            }
            return try readDescriptor(into: target)
        }
        while true {
            if rawStart == rawEnd, !atEndOfInput {
                rawStart = 0
                rawEnd = try readDescriptor(into: raw)
                atEndOfInput = rawEnd == 0
            }
            if rawStart == rawEnd {
                // Input is over: fine between members, truncation inside one.
                if inflater.atMemberEnd { return 0 }
                if let failure = inflater.pendingFailure {
                    throw InputError(code: .corruptCompressedData,
                                     message: "cannot decompress \(sourceName): \(failure.reason)",
                                     source: sourceName)
                }
                throw InputError(code: .corruptCompressedData,
                                 message: "cannot decompress \(sourceName): unexpected end of "
                                     + "gzip data (truncated file?)",
                                 source: sourceName)
            }
            let consumed: Int
            let produced: Int
            do {
                (consumed, produced) = try inflater.inflate(
                    input: UnsafeRawBufferPointer(rebasing: raw[rawStart..<rawEnd]),
                    output: target)
            } catch {
                throw InputError(code: .corruptCompressedData,
                                 message: "cannot decompress \(sourceName): \(error.reason)",
                                 source: sourceName)
            }
            rawStart += consumed
            if produced > 0 { return produced }
        }
    }

    private func readDescriptor(into target: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        while true {
            if let stopsWaiting, mayWaitForData {
                var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let ready = poll(&waiting, 1, 250)
                if ready == 0 {
                    if stopsWaiting() { return 0 }
                    continue
                }
                if ready < 0 && errno == EINTR { continue }
            }
            let count = read(descriptor, target.baseAddress, target.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw InputError(code: .readFailed,
                             message: "cannot read \(sourceName): \(Self.lastErrorText())",
                             source: sourceName)
        }
    }

    private static func lastErrorText() -> String { String(cString: strerror(errno)) }
}

/// A line of a body: its number from 1 and its bytes, without the newline.
public struct NumberedLine: Sendable, Equatable {
    public var number: Int
    public var bytes: Range<Int>

    public init(number: Int, bytes: Range<Int>) {
        self.number = number
        self.bytes = bytes
    }
}
