/// Secret API tokens: `pmt_` followed by 52 lowercase base32 characters
/// that carry 32 random bytes (256 bits).
///
/// The prefix makes a leaked token recognisable (by secret scanners and by
/// people); base32 in lowercase survives double-click selection and needs
/// no escaping in headers, shells or URLs. The token itself is shown once;
/// only `digest(of:)` is stored.
public enum APIToken {
    /// The readable prefix of every token.
    public static let prefix = "pmt_"
    /// Random bytes per token.
    public static let randomByteCount = 32
    /// Characters after the prefix: ceil(32 * 8 / 5).
    public static let encodedLength = 52

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// Generates a new token from `SecureRandom`.
    public static func generate() throws(CryptoError) -> String {
        let random = try SecureRandom.bytes(count: randomByteCount)
        return prefix + base32(random)
    }

    /// The digest to store for `token` and to look a presented token up by.
    public static func digest(of token: String) -> SHA256Digest {
        SHA256Digest(hashing: token)
    }

    /// True when `text` has the shape of a token (prefix, length, alphabet);
    /// lets the server refuse garbage without hashing it.
    public static func isWellFormed(_ text: String) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let body = text.utf8.dropFirst(prefix.utf8.count)
        return body.count == encodedLength && body.allSatisfy { alphabet.contains($0) }
    }

    /// RFC 4648 base32 without padding, in lowercase.
    static func base32(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                output.append(alphabet[Int((buffer >> UInt32(bitCount)) & 0x1f)])
            }
        }
        if bitCount > 0 {
            output.append(alphabet[Int((buffer << UInt32(5 - bitCount)) & 0x1f)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
