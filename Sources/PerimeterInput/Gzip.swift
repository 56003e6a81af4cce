/// Whole-buffer gzip decoding (HTTP request bodies), on the same zlib
/// wrapper as the file reader, refusing to produce more than a limit.
public enum Gzip {
    public enum Failure: Error, Equatable, Sendable {
        /// The input is not a complete, valid gzip stream.
        case corrupt(String)
        /// The output would exceed the limit.
        case tooLarge
    }

    /// Decodes every gzip member of `input` (concatenated members, as
    /// `cat a.gz b.gz` makes, are one stream).
    public static func decompress(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard !input.isEmpty else { throw .corrupt("the body is empty") }
        let inflater = GzipInflater()
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, input.count * 4))
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var offset = 0
        var inMember = true
        while true {
            let step: (Int, Int)
            do {
                step = try input.withUnsafeBytes { source in
                    try chunk.withUnsafeMutableBytes { target in
                        try inflater.inflate(
                            input: UnsafeRawBufferPointer(rebasing: source[offset...]), output: target)
                    }
                }
            } catch let error as GzipInflater.Failure {
                throw .corrupt("the gzip data is invalid (\(error.reason))")
            } catch {
                throw .corrupt("the gzip data is invalid")
            }
            let (consumed, produced) = step
            offset += consumed
            guard output.count + produced <= limit else { throw .tooLarge }
            output.append(contentsOf: chunk[0..<produced])
            if inflater.atMemberEnd {
                inMember = false
                if offset == input.count { return output }
                inMember = true
            } else if consumed == 0 && produced == 0 {
                // No progress with input left, or input exhausted mid-member.
                throw .corrupt(inMember && offset == input.count
                               ? "the gzip stream ends early" : "the gzip data is invalid")
            }
        }
    }
}
