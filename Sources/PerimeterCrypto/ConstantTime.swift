import CCrypto

/// Comparisons whose duration does not depend on where the inputs differ.
public enum ConstantTime {
    /// True when `lhs` and `rhs` hold the same bytes, compared with
    /// OpenSSL's `CRYPTO_memcmp`. Inputs of different lengths are unequal;
    /// only the length, never the content, shows through timing.
    public static func isEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
            }
        }
    }
}
