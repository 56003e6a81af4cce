import Foundation

extension UUID {
    /// A random (version 4) uuid drawn from the system's generator, the
    /// `getrandom` call, which needs no file. Foundation's `UUID()` reads
    /// `/dev/urandom`, and when the process had no file descriptor left
    /// (EMFILE) it answered 00000000-0000-4000-8000-000000000000 every
    /// time: an ingest gave that one uuid to every host and account it
    /// found, the store kept one asset, and the run ended as a success.
    /// The standard library's generator stops the process rather than
    /// answer without randomness.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { buffer in
            buffer.storeBytes(of: generator.next() as UInt64, toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: generator.next() as UInt64, toByteOffset: 8, as: UInt64.self)
        }
        bytes.6 = (bytes.6 & 0x0F) | 0x40  // version 4: random
        bytes.8 = (bytes.8 & 0x3F) | 0x80  // the RFC 4122 variant
        return UUID(uuid: bytes)
    }
}
