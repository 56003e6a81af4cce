import Foundation
import PerimeterInput

/// The Public Suffix List (https://publicsuffix.org/list/), read from the
/// text file of Debian's `publicsuffix` package, answering "which part of
/// this name is the registrable domain" for the FQDN-in-host.name rule.
///
/// The format (https://github.com/publicsuffix/list/wiki/Format): one rule
/// per line, `//` comments, `*.` wildcards (any one label), `!`
/// exceptions (which win over the wildcard they cancel), and the implicit
/// rule `*` (an unknown top label is a suffix). The longest matching rule
/// decides, an exception before a plain rule of the same length.
///
/// Shortcoming: internationalised rules are stored as the file writes
/// them (Unicode), so a punycoded name (`xn--…`) does not match them and
/// falls back to the implicit rule.
public struct PublicSuffixList: Sendable {
    /// Where Debian's `publicsuffix` package installs the list.
    public static let debianPath = "/usr/share/publicsuffix/public_suffix_list.dat"

    /// Multi-tenant domains whose first label names a tenant, not a host,
    /// and that the list does not carry: `tenant.onmicrosoft.com` in
    /// host.name is a Microsoft 365 tenant (SPEC §2 says it yields no
    /// hostname).
    public static let builtInExtraSuffixes = ["onmicrosoft.com"]

    private var rules: Set<String> = []
    private var wildcardParents: Set<String> = []
    private var exceptions: Set<String> = []

    /// The three sets again, for lookups by bytes (built once, at the end
    /// of `init`).
    private var byteRules = ByteStringSet([])
    private var byteWildcardParents = ByteStringSet([])
    private var byteExceptions = ByteStringSet([])

    /// The number of rules read, for the startup log.
    public private(set) var ruleCount = 0

    /// Parses the list's text, plus extra suffixes from the configuration.
    public init(parsing text: String,
                extraSuffixes: [String] = PublicSuffixList.builtInExtraSuffixes) {
        // "\r\n" is one Character: a file with Windows line ends was one
        // line, and no rule.
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            // The format ends a rule at the first whitespace.
            let rule = line.prefix { $0 != " " && $0 != "\t" }
            guard !rule.isEmpty, !rule.hasPrefix("//") else { continue }
            add(rule: rule)
        }
        for suffix in extraSuffixes { add(rule: Substring(suffix)) }
        byteRules = ByteStringSet(rules)
        byteWildcardParents = ByteStringSet(wildcardParents)
        byteExceptions = ByteStringSet(exceptions)
    }

    /// Reads the list from a file (Debian's by default).
    public init(contentsOfFile path: String = PublicSuffixList.debianPath,
                extraSuffixes: [String] = PublicSuffixList.builtInExtraSuffixes)
        throws(AtomError)
    {
        let text: String
        do {
            text = try WholeFile.text(atPath: path)
        } catch {
            // The package is the remedy for a list missing, not for a
            // process short of file descriptors.
            let remedy = error.isMissing
                ? "; install Debian's 'publicsuffix' package or set its path, "
                    + "atoms.public_suffix_list" : ""
            throw AtomError(
                code: .publicSuffixListUnreadable,
                message: "cannot read the Public Suffix List '\(path)': \(error.reason) "
                    + "(while loading the registrable-domain rules\(remedy))")
        }
        self.init(parsing: text, extraSuffixes: extraSuffixes)
        // The file's own rules, the extra suffixes aside: an empty file
        // (or another file named by mistake, /etc/hostname) passed on the
        // strength of the built-in `onmicrosoft.com`, and `example.com`
        // then read as a host name. Every real list has `com`.
        guard ruleCount > extraSuffixes.count else {
            throw AtomError(
                code: .publicSuffixListEmpty,
                message: "the Public Suffix List '\(path)' holds no rule "
                    + "(while loading the registrable-domain rules)")
        }
        guard rules.contains("com") else {
            throw AtomError(
                code: .publicSuffixListEmpty,
                message: "'\(path)' is not the Public Suffix List: it has no rule for 'com' "
                    + "(while loading the registrable-domain rules; Debian's 'publicsuffix' "
                    + "package installs it at \(Self.debianPath))")
        }
    }

    private mutating func add(rule: Substring) {
        let lowered = ASCII.lowercased(rule)
        if lowered.hasPrefix("!") {
            exceptions.insert(String(lowered.dropFirst()))
        } else if lowered.hasPrefix("*.") {
            wildcardParents.insert(String(lowered.dropFirst(2)))
        } else {
            rules.insert(lowered)
        }
        ruleCount += 1
    }

    /// The public suffix of a lower-case domain name (`co.uk` for
    /// `www.example.co.uk`); the whole name when it is itself a suffix.
    public func publicSuffix(of domain: String) -> Substring {
        if let start = asciiStart(of: domain, publicSuffixStart) {
            return Self.suffix(of: domain, fromByte: start)
        }
        let name = Substring(domain)
        var start = name.startIndex
        while true {
            let candidate = name[start...]
            let parentStart = candidate.firstIndex(of: ".").map(name.index(after:))
            let key = String(candidate)
            if exceptions.contains(key) {
                // `!www.ck`: the suffix is the exception minus its first label.
                return parentStart.map { name[$0...] } ?? candidate
            }
            if rules.contains(key) { return candidate }
            guard let parentStart else {
                return candidate  // The implicit `*` rule: the top label.
            }
            if wildcardParents.contains(String(name[parentStart...])) { return candidate }
            start = parentStart
        }
    }

    /// The registrable domain (the public suffix plus one label):
    /// `example.co.uk` for `www.example.co.uk`; nil when the name is itself
    /// a public suffix (`co.uk`, `onmicrosoft.com`).
    public func registrableDomain(of domain: String) -> Substring? {
        if let start = asciiStart(of: domain, registrableDomainStart) {
            return start < 0 ? nil : Self.suffix(of: domain, fromByte: start)
        }
        let name = Substring(domain)
        let suffix = publicSuffix(of: domain)
        guard suffix.startIndex > name.startIndex else { return nil }
        let beforeDot = name.index(before: suffix.startIndex)
        let labelStart = name[..<beforeDot].lastIndex(of: ".").map(name.index(after:))
            ?? name.startIndex
        return name[labelStart...]
    }

    // MARK: - Bytes

    /// The part of `domain` from a byte offset just after a dot (or 0),
    /// which is always a Character boundary in ASCII.
    private static func suffix(of domain: String, fromByte offset: Int) -> Substring {
        let name = Substring(domain)
        return name[name.utf8.index(name.startIndex, offsetBy: offset)...]
    }

    /// `find` over the UTF-8 of an ASCII domain, where a dot is always a
    /// Character of its own; nil for other text (the Character path runs).
    private func asciiStart(of domain: String, _ find: (UTF8Bytes) -> Int) -> Int? {
        ASCII.withUTF8(domain) { bytes in ASCII.isASCII(bytes) ? find(bytes) : nil }
    }

    /// The offset where the public suffix of ASCII bytes starts.
    func publicSuffixStart(_ name: UTF8Bytes) -> Int {
        var start = 0
        while true {
            let candidate = ASCII.slice(name, start..<name.count)
            let parentStart = ASCII.firstIndex(of: UInt8(ascii: "."), in: candidate)
                .map { start + $0 + 1 }
            if byteExceptions.contains(candidate) {
                // `!www.ck`: the suffix is the exception minus its first label.
                return parentStart ?? start
            }
            if byteRules.contains(candidate) { return start }
            guard let parentStart else {
                return start  // The implicit `*` rule: the top label.
            }
            if byteWildcardParents.contains(ASCII.slice(name, parentStart..<name.count)) {
                return start
            }
            start = parentStart
        }
    }

    /// Whether the name's top label is a private namespace (`corp`,
    /// `internal`, `lan`, `local`): letters only, as a top-level domain's,
    /// and a label the list does not know (only its implicit `*` rule
    /// covers it). A top label with digits (`kube-dns.16f484369d214dae`, an
    /// object's id) is no namespace at all.
    func isPrivateNamespace(_ name: UTF8Bytes) -> Bool {
        let top = ASCII.lastIndex(of: UInt8(ascii: "."), in: name)
            .map { ASCII.slice(name, $0 + 1..<name.count) } ?? name
        return !top.isEmpty && top.allSatisfy(ASCII.isLetter)
            && !byteRules.contains(top) && !byteWildcardParents.contains(top)
    }

    /// The offset where the registrable domain of ASCII bytes starts, or
    /// -1 when the name is itself a public suffix.
    func registrableDomainStart(_ name: UTF8Bytes) -> Int {
        let suffixStart = publicSuffixStart(name)
        guard suffixStart > 0 else { return -1 }
        let beforeDot = suffixStart - 1
        let labelDot = ASCII.lastIndex(of: UInt8(ascii: "."), in: ASCII.slice(name, 0..<beforeDot))
        return labelDot.map { $0 + 1 } ?? 0
    }
}
