import PerimeterTestSupport
import Testing
@testable import PerimeterCrypto

@Suite struct CryptoTests {
    // FIPS 180-2 test vectors.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func hashesKnownVectors(input: String, hex: String) {
        #expect(SHA256Digest(hashing: input).hexString == hex)
        #expect(SHA256Digest(hex: hex) == SHA256Digest(hashing: input))
        #expect(SHA256Digest(hex: hex.uppercased())?.hexString == hex)
    }

    @Test func hashesIncrementally() {
        let hasher = SHA256Hasher()
        hasher.update(Array("ab".utf8))
        hasher.update(Array("c".utf8)[...])
        #expect(hasher.finalize().hexString
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test(arguments: ["", "abc", String(repeating: "0", count: 63),
                      String(repeating: "g", count: 64)])
    func refusesBadHex(hex: String) {
        #expect(SHA256Digest(hex: hex) == nil)
    }

    @Test(arguments: [
        ([UInt8](), [UInt8](), true), ([1, 2, 3], [1, 2, 3], true),
        ([1, 2, 3], [1, 2, 4], false), ([1, 2, 3], [1, 2], false), ([0], [], false),
    ] as [([UInt8], [UInt8], Bool)])
    func comparesInConstantTime(lhs: [UInt8], rhs: [UInt8], equal: Bool) {
        #expect(ConstantTime.isEqual(lhs, rhs) == equal)
    }

    // RFC 4648 §10, in lowercase and without padding.
    @Test(arguments: [
        ("", ""), ("f", "my"), ("fo", "mzxq"), ("foo", "mzxw6"), ("foob", "mzxw6yq"),
        ("fooba", "mzxw6ytb"), ("foobar", "mzxw6ytboi"),
    ])
    func encodesBase32(input: String, expected: String) {
        #expect(APIToken.base32(Array(input.utf8)) == expected)
    }

    @Test func generatesDistinctWellFormedTokens() throws {
        let tokens = try (0..<100).map { _ in try APIToken.generate() }
        #expect(Set(tokens).count == 100)
        for token in tokens {
            #expect(token.hasPrefix("pmt_"))
            #expect(token.count == 4 + 52)
            #expect(APIToken.isWellFormed(token))
            #expect(APIToken.digest(of: token) == SHA256Digest(hashing: token))
        }
        #expect(!APIToken.isWellFormed("pmt_" + String(repeating: "A", count: 52)))
        #expect(!APIToken.isWellFormed("pmx_" + String(repeating: "a", count: 52)))
        #expect(!APIToken.isWellFormed("pmt_abc"))
    }

    @Test func randomBytesHaveTheRequestedLength() throws {
        #expect(try SecureRandom.bytes(count: 0).isEmpty)
        let bytes = try SecureRandom.bytes(count: 64)
        #expect(bytes.count == 64)
        #expect(bytes != (try SecureRandom.bytes(count: 64)))
    }
}
