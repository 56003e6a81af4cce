import Foundation

/// The kind of identifier an atom is (SPEC §2).
///
/// The raw values are the names used in the store, the configuration, the
/// JSON output and on the command line, so they never change.
public enum AtomType: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case ipv4, ipv6, hostname, fqdn, username, email, sid, mac
    case hostID = "host_id"
    case agentID = "agent_id"
    /// A network asset's CIDR range; matched by containment, not equality.
    case cidr

    /// The asset category an atom of this type can belong to.
    public var category: AssetCategory {
        switch self {
        case .username, .email, .sid: .account
        case .cidr: .network
        default: .host
        }
    }

    /// Whether one asset of an entity at most may hold this atom at a time.
    ///
    /// SPEC §2: a SID, an email, a MAC, a host id, an agent id and a
    /// hostname belong to one asset; an address to one host at a time (it
    /// moves rather than conflicts). Usernames and fqdns are not exclusive.
    public var isExclusive: Bool {
        switch self {
        case .sid, .email, .mac, .hostID, .agentID, .hostname: true
        default: false
        }
    }

    /// Addresses move between hosts: a newer attachment closes the older.
    public var isAddress: Bool { self == .ipv4 || self == .ipv6 }

    public static func < (lhs: AtomType, rhs: AtomType) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// Parses a name as a user would type it, with a suggestion when wrong.
    public init(parsing name: String) throws(ModelError) {
        guard let type = AtomType(rawValue: name.lowercased()) else {
            throw ModelError.unknownValue(
                kind: "atom type", value: name,
                expected: AtomType.allCases.map(\.rawValue))
        }
        self = type
    }
}

/// An identifier in normal form: the same real-world identifier always
/// gives the same `Atom`, so one asset is never split in two.
///
/// The value is already normalised (addresses canonical, names
/// case-folded, usernames qualified by their domain as `domain\user`).
public struct Atom: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public let type: AtomType
    public let value: String

    /// Wraps a value that is already in normal form; no check is made.
    public init(type: AtomType, normalizedValue: String) {
        self.type = type
        self.value = normalizedValue
    }

    public var description: String { "\(type.rawValue):\(value)" }

    /// A domain-qualified user name without its domain (`corp\admin` →
    /// `admin`); nil for a name without one and for other atoms.
    public var bareUserName: String? {
        // By bytes: this runs for every user name of every event, and a
        // backslash is one byte that never starts or ends another character.
        guard type == .username, let slash = value.utf8.lastIndex(of: UInt8(ascii: "\\"))
        else { return nil }
        return String(decoding: value.utf8[value.utf8.index(after: slash)...], as: UTF8.self)
    }

    /// Whether this is a user name qualified by its domain (`corp\admin`).
    public var isQualifiedUserName: Bool {
        type == .username && value.containsASCII(UInt8(ascii: "\\"))
    }

    public static func < (lhs: Atom, rhs: Atom) -> Bool {
        (lhs.type, lhs.value) < (rhs.type, rhs.value)
    }
}

extension Array where Element == Atom {
    /// Whether the list holds the atom, read in place: `contains` copied
    /// each atom out to compare it, retaining and releasing its text, for
    /// every atom of every event's deduplications.
    public func containsInPlace(_ atom: Atom) -> Bool {
        withUnsafeBufferPointer { atoms in
            for index in atoms.indices
            where atoms[index].type == atom.type && atoms[index].value == atom.value {
                return true
            }
            return false
        }
    }
}

extension String {
    /// Whether the text holds an ASCII byte, read off its contiguous bytes:
    /// `utf8.contains` stepped through the view one index at a time, the
    /// cost of one for every user name of every event.
    public func containsASCII(_ byte: UInt8) -> Bool {
        precondition(byte < 0x80, "only an ASCII byte is never part of another character")
        if let found = utf8.withContiguousStorageIfAvailable({ bytes in
            bytes.contains(byte)
        }) {
            return found
        }
        return utf8.contains(byte)
    }
}

extension Atom {
    /// A name beyond ASCII as hostname atoms keep it and searches compare
    /// it: composed (NFC, so that both spellings of `ü` are one name),
    /// lower-cased, and a final sigma (ς, which lower-casing gives only at
    /// a word's end) read as the sigma σ of other spellings: ΣΊΣΥΦΟΣ-PC
    /// and σίσυφος-pc are one machine.
    ///
    /// Detection folds every event text beyond ASCII through it, so each
    /// step runs only when the text needs it: composing (Foundation's; run
    /// on every such text, it made Sigma's whole stage three times slower)
    /// only for a text that holds a combining mark or a conjoining jamo,
    /// after lower-casing, which also maps the compatibility singletons
    /// (the Kelvin and Ohm signs) that composing would.
    public static func foldedName(_ text: String) -> String {
        var folded = text.lowercased()
        if folded.utf8.contains(where: mayStartCombiningScalar),
           folded.unicodeScalars.contains(where: mayCompose) {
            folded = folded.precomposedStringWithCanonicalMapping
        }
        // ς is 0xCF 0x82 in UTF-8: a byte test spares most texts the scan.
        if folded.utf8.contains(0xCF), folded.unicodeScalars.contains("ς") {
            var scalars = String.UnicodeScalarView()
            for scalar in folded.unicodeScalars { scalars.append(scalar == "ς" ? "σ" : scalar) }
            folded = String(scalars)
        }
        return folded
    }

    /// Whether a UTF-8 byte may start a scalar of `mayCompose`: the combining
    /// marks of two bytes are U+0300–U+036F (lead bytes 0xCC, 0xCD), the
    /// Cyrillic ones (0xD2) and those of the scripts of 0xD6–0xDF (Hebrew,
    /// Arabic, Syriac…); any scalar of three bytes or four may be one. The
    /// accented Latin letters, Greek and most Cyrillic pass on this test.
    private static func mayStartCombiningScalar(_ byte: UInt8) -> Bool {
        byte >= 0xD6 || byte == 0xCC || byte == 0xCD || byte == 0xD2
    }

    /// Whether composing may change a text holding this scalar: a
    /// combining mark joins the letter before it (the vowel signs of some
    /// Indic scripts that compose have no combining class, but extend
    /// their grapheme), a conjoining jamo its syllable.
    private static func mayCompose(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.canonicalCombiningClass != .notReordered
            || scalar.properties.isGraphemeExtend
            || (0x1100...0x11FF).contains(scalar.value)
    }
}
