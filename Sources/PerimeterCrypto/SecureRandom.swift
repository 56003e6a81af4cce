import CCrypto

/// Cryptographically secure random bytes from OpenSSL's `RAND_bytes`.
public enum SecureRandom {
    /// Returns `count` random bytes.
    ///
    /// Throws when OpenSSL cannot seed its generator: a fault of the
    /// machine (no entropy source), not of our code.
    public static func bytes(count: Int) throws(CryptoError) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes(count:) needs a count >= 0")
        var output = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return output }
        let result = output.withUnsafeMutableBufferPointer {
            RAND_bytes($0.baseAddress, Int32(count))
        }
        guard result == 1 else {
            throw CryptoError(
                code: .randomUnavailable,
                message: "RAND_bytes failed: the random generator is not seeded "
                    + "(while generating \(count) random bytes)")
        }
        return output
    }
}
