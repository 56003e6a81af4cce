import CZlib

/// Inflates gzip request bodies (`Content-Encoding: gzip`) with zlib,
/// refusing to produce more than a limit.
///
/// Known shortcoming: PerimeterInput also wraps zlib for files; when it
/// exposes a gunzip function this type should give way to it, so that
/// zlib is wrapped once.
final class GzipDecoder {
    enum Failure: Error, Equatable {
        /// The input is not a complete, valid gzip stream.
        case corrupt(String)
        /// The output would exceed the limit.
        case tooLarge
    }

    // zlib keeps a pointer back to its z_stream, so the stream must not
    // move after inflateInit2_: it lives in its own allocation.
    private let stream: UnsafeMutablePointer<z_stream>

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: a 32 KiB window and a gzip header and trailer.
        let result = inflateInit2_(stream, 15 + 16, zlibVersion(),
                                   Int32(MemoryLayout<z_stream>.size))
        // Only a version mismatch or no memory can fail here: fatal.
        precondition(result == Z_OK, "inflateInit2_ failed with zlib code \(result)")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates every gzip member of `input` (concatenated members, as
    /// `cat a.gz b.gz` makes, are one body).
    static func gunzip(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        try GzipDecoder().inflate(input, limit: limit)
    }

    private func inflate(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard !input.isEmpty else { throw .corrupt("the body is empty") }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, input.count * 4))
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var failure: Failure?

        input.withUnsafeBufferPointer { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.pointee.avail_in = UInt32(source.count)
            while failure == nil {
                let result = chunk.withUnsafeMutableBufferPointer { target in
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = UInt32(target.count)
                    return CZlib.inflate(stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.pointee.avail_out)
                if output.count + produced > limit {
                    failure = .tooLarge
                    break
                }
                output.append(contentsOf: chunk[0..<produced])
                switch result {
                case Z_STREAM_END:
                    guard stream.pointee.avail_in > 0 else { return }
                    // Another gzip member follows.
                    guard inflateReset(stream) == Z_OK else {
                        failure = .corrupt("zlib could not start the next gzip member")
                        break
                    }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    failure = .corrupt("the gzip stream ends early")
                default:
                    failure = .corrupt("the gzip data is invalid (zlib code \(result))")
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
