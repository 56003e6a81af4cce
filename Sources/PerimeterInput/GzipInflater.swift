import CZlib

/// Owns one zlib inflate stream that decodes gzip data, including files
/// made of several concatenated gzip members (as `cat a.gz b.gz` makes).
final class GzipInflater {
    // zlib keeps a pointer back to the z_stream, so it must never move:
    // it lives in its own allocation, not in a Swift property.
    private let stream: UnsafeMutablePointer<z_stream>
    private(set) var atMemberEnd = false
    /// A failure met after some output: that output goes first (a bad
    /// checksum in a member's trailer comes after all of its data), the
    /// failure at the next call, as a truncated file keeps what it held.
    /// A failure in a member's last bytes (a wrong length in its trailer)
    /// comes with all of the input consumed, so the reader asks for it
    /// here before it calls the input cut short.
    private(set) var pendingFailure: Failure?

    struct Failure: Error {
        let reason: String
    }

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: a 32 KiB window, gzip wrapper only (not zlib or raw).
        let status = inflateInit2_(stream, 15 + 16, zlibVersion(),
                                   Int32(MemoryLayout<z_stream>.size))
        // Fails only on out-of-memory or a zlib/header mismatch: our bug.
        precondition(status == Z_OK, "inflateInit2 failed with status \(status)")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decodes from `input` into `output`; returns (bytes consumed,
    /// bytes produced). At the end of a member, the next call starts the
    /// next member.
    func inflate(input: UnsafeRawBufferPointer,
                 output: UnsafeMutableRawBufferPointer) throws(Failure) -> (Int, Int) {
        if let pendingFailure { throw pendingFailure }
        if atMemberEnd {
            // Zero bytes after a member are padding (a tape block, a file
            // preallocated and cut short), which gzip itself ignores: no
            // member starts with one. They are consumed, the stream stays
            // between members.
            let zeros = input.prefix { $0 == 0 }.count
            if zeros > 0 { return (zeros, 0) }
            let status = inflateReset(stream)
            precondition(status == Z_OK, "inflateReset failed with status \(status)")
            atMemberEnd = false
        }
        let inputBase = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.next_in = inputBase
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)

        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        let consumed = input.count - Int(stream.pointee.avail_in)
        let produced = output.count - Int(stream.pointee.avail_out)
        switch status {
        case Z_OK:
            break
        case Z_STREAM_END:
            atMemberEnd = true
        case Z_BUF_ERROR:
            // No progress was possible: more input is needed (not an error).
            break
        default:
            let detail = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
            guard produced == 0 else {
                pendingFailure = Failure(reason: detail)
                return (consumed, produced)
            }
            throw Failure(reason: detail)
        }
        return (consumed, produced)
    }
}

extension Gzip {
    /// The zlib version, as `perimeter version` reports it.
    public static var libraryVersion: String { String(cString: zlibVersion()) }
}
