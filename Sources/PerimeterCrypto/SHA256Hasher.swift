import CCrypto

/// An incremental SHA-256 computation that owns one OpenSSL `EVP_MD_CTX`.
///
/// The EVP calls below fail only when memory runs out or when the context
/// is misused (updated after `finalize()`): both are our bugs or fatal, so
/// they trap instead of throwing.
public final class SHA256Hasher {
    private let context: OpaquePointer
    private var isFinalized = false

    public init() {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: out of memory (while starting SHA-256)")
        }
        self.context = context
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            fatalError("EVP_DigestInit_ex failed (while starting SHA-256)")
        }
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Feeds more bytes into the digest.
    public func update(_ data: some Collection<UInt8>) {
        precondition(!isFinalized, "SHA256Hasher.update called after finalize()")
        let done: Void? = data.withContiguousStorageIfAvailable { buffer in
            feed(UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            Array(data).withUnsafeBytes { feed($0) }
        }
    }

    /// Ends the computation and returns the digest; the hasher is then spent.
    public func finalize() -> SHA256Digest {
        precondition(!isFinalized, "SHA256Hasher.finalize called twice")
        isFinalized = true
        var output = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        var length: UInt32 = 0
        let result = output.withUnsafeMutableBufferPointer {
            EVP_DigestFinal_ex(context, $0.baseAddress, &length)
        }
        guard result == 1, length == UInt32(SHA256Digest.byteCount) else {
            fatalError("EVP_DigestFinal_ex failed (while finishing SHA-256)")
        }
        return SHA256Digest(digestBytes: output)
    }

    private func feed(_ buffer: UnsafeRawBufferPointer) {
        guard buffer.count > 0 else { return }
        guard EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1 else {
            fatalError("EVP_DigestUpdate failed (while hashing \(buffer.count) bytes)")
        }
    }
}
