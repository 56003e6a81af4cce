import CCrypto

/// A SHA-256 digest, computed by OpenSSL's libcrypto through the EVP API.
///
/// API tokens are stored only as this digest; compare two digests with
/// `ConstantTime.isEqual(_:_:)` (or `==`, which is also constant-time).
public struct SHA256Digest: Sendable, Hashable, CustomStringConvertible {
    /// The 32 bytes of the digest.
    public let bytes: [UInt8]

    /// The length of a SHA-256 digest in bytes.
    public static let byteCount = 32

    /// Hashes `data` in one call.
    public init(hashing data: some Collection<UInt8>) {
        let hasher = SHA256Hasher()
        hasher.update(data)
        self = hasher.finalize()
    }

    /// Hashes the UTF-8 bytes of `text`.
    public init(hashing text: String) {
        self.init(hashing: Array(text.utf8))
    }

    /// Reads a digest back from its lowercase or uppercase hexadecimal
    /// form; nil unless `hex` is exactly 64 hexadecimal digits.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == Self.byteCount * 2 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Self.nibble(digits[index]),
                  let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    init(digestBytes: [UInt8]) {
        precondition(digestBytes.count == Self.byteCount, "a SHA-256 digest has 32 bytes")
        bytes = digestBytes
    }

    /// The digest as 64 lowercase hexadecimal digits, the form to store.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public var description: String { hexString }

    /// Equality in constant time, so that comparing a presented token's
    /// digest with a stored one leaks nothing through timing.
    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        ConstantTime.isEqual(lhs.bytes, rhs.bytes)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension SHA256Digest {
    /// The OpenSSL library's version, as `perimeter version` reports it.
    public static var libraryVersion: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
}
