/// A value that the atom layer refuses where a caller asked for it on
/// purpose: a CIDR range typed by a person, the Public Suffix List file.
///
/// Values found in events never throw. A value that is not an atom is
/// simply not one; the extractor counts it.
public struct AtomError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let invalidCIDR = Code(rawValue: "invalid_cidr")
        public static let cidrHostBitsSet = Code(rawValue: "cidr_host_bits_set")
        public static let publicSuffixListUnreadable =
            Code(rawValue: "public_suffix_list_unreadable")
        public static let publicSuffixListEmpty = Code(rawValue: "public_suffix_list_empty")
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
