import Foundation

/// Tags are labels people type, and `VIP`, `vip` and `Vip` are one label
/// to them: a set of tags holds one spelling of each, the first given,
/// and filters find every spelling. Letters beyond ASCII keep their case
/// (`É` and `é` are two tags), as SQLite's NOCASE collation, which the
/// store's tag filters use, compares them.
public enum TagSpelling {
    /// The tag with its ASCII letters in lower case: equal for two
    /// spellings of one tag.
    public static func folded(_ tag: String) -> String {
        guard tag.utf8.contains(where: { $0 &- 0x41 < 26 }) else { return tag }
        return String(decoding: tag.utf8.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

extension Set<String> {
    /// Adds each tag that the set does not already hold in some spelling.
    public mutating func addTags(_ tags: some Sequence<String>) {
        var held = Set(map(TagSpelling.folded))
        for tag in tags where held.insert(TagSpelling.folded(tag)).inserted {
            insert(tag)
        }
    }

    /// Removes every held tag that one of `tags` spells.
    public mutating func removeTags(_ tags: some Sequence<String>) {
        let removed = Set(tags.map(TagSpelling.folded))
        guard !removed.isEmpty else { return }
        self = filter { !removed.contains(TagSpelling.folded($0)) }
    }
}

extension String {
    /// The text in Unicode's composed form (NFC), as discovery names
    /// assets and atoms are kept: a name or a tag typed with a decomposed
    /// accent (`Cafe\u{301}`, as some keyboards and file systems give it)
    /// is the one events and searches spell composed.
    public var composedText: String {
        utf8.allSatisfy { $0 < 0x80 } ? self : precomposedStringWithCanonicalMapping
    }
}
