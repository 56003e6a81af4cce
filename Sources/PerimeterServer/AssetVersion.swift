import Foundation
import PerimeterCrypto
import PerimeterHTTP
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// An asset's version as an HTTP entity tag (the API's `ETag`), which a
/// client sends back in `If-Match` so that two people editing one asset do
/// not silently overwrite each other (RFC 9110 §13.1.1).
///
/// It covers what people edit (and what discovery sets, such as an
/// operating system) and `updated_at`, but not the seen times and
/// sightings that every event moves: an analyst's change is not refused
/// because the host was seen meanwhile. `updated_at` is taken to the
/// millisecond, as the store keeps it, so the tag of an asset read from
/// the store and of the same asset held in memory are equal.
enum AssetVersion {
    static func entityTag(of asset: Asset) -> String {
        var text = ""
        func field(_ value: String) { text += "\(value.utf8.count):\(value);" }
        // The uuid too: two assets alike in every field are two versions.
        field(asset.id.lowercasedText)
        field(asset.name)
        field(asset.category.rawValue)
        field(asset.subcategory?.rawValue ?? "-")
        field(asset.criticality.map { String($0.value) } ?? "-")
        for tag in asset.tags.sorted() { field("t" + tag) }
        field(asset.reviewed ? "reviewed" : "unreviewed")
        field(asset.description)
        field(asset.entity.map { "e" + $0 } ?? "-")
        // As the store writes them, so that what it reads back hashes alike.
        field(InventoryStore.encodeProperties(asset.properties))
        field(asset.isRevoked ? "revoked" : "live")
        field(String(EventTime(asset.updatedAt).milliseconds))
        // 16 bytes of the digest: a tag, not a secret; collisions between
        // two versions of one asset are what matters, and are out of reach.
        let digest = SHA256Digest(hashing: text)
        return "\"" + digest.hexString.prefix(32) + "\""
    }
}

/// The entity tags of an `If-Match` header: `*` (any current version) or
/// a list of tags. A weak tag (`W/"…"`) never matches: `If-Match` compares
/// strongly (RFC 9110 §13.1.1).
struct IfMatchCondition: Sendable, Equatable {
    var anyVersion = false
    var tags: [String] = []
    /// Whether weak tags were given (and left out): a 412 says why.
    var hadWeakTags = false

    /// The condition of a request's `If-Match` fields, nil when it has none.
    static func of(_ request: HTTPRequest) throws(HTTPError) -> IfMatchCondition? {
        let values = request.headers.values(for: "If-Match")
        guard !values.isEmpty else { return nil }
        var condition = IfMatchCondition()
        for value in values { try condition.read(value) }
        // An empty field names no version: malformed, not a version that
        // changed (it was a 412 "the asset changed since it was read").
        if !condition.anyVersion && condition.tags.isEmpty && !condition.hadWeakTags {
            throw malformed("it names no entity tag (give the ETag of a response, or *)")
        }
        if condition.anyVersion && (!condition.tags.isEmpty || condition.hadWeakTags) {
            throw malformed("* stands alone, not in a list of tags")
        }
        return condition
    }

    func holds(forCurrent tag: String) -> Bool {
        anyVersion || tags.contains(tag)
    }

    /// Whether `If-None-Match` values name `tag`: `*`, or the tag with or
    /// without `W/` (that header compares weakly, RFC 9110 §13.1.2). A
    /// malformed value names nothing: the asset is sent.
    static func weaklyNames(_ tag: String, in values: [String]) -> Bool {
        values.contains { value in
            value.split(separator: ",").contains { item in
                let trimmed = item.trimmingCharacters(in: .whitespaces)
                return trimmed == "*" || trimmed == tag || trimmed == "W/" + tag
            }
        }
    }

    /// Reads one header value: `*`, or entity tags separated by commas
    /// (empty members allowed, as in every HTTP list).
    private mutating func read(_ value: String) throws(HTTPError) {
        var rest = Substring(value)
        func skipSpace() { rest = rest.drop { $0 == " " || $0 == "\t" } }
        while true {
            skipSpace()
            if rest.isEmpty { return }
            if rest.first == "," { rest = rest.dropFirst(); continue }
            if rest.first == "*" {
                anyVersion = true
                rest = rest.dropFirst()
            } else {
                let weak = rest.hasPrefix("W/")
                let tag = weak ? rest.dropFirst(2) : rest
                guard tag.first == "\"", let close = tag.dropFirst().firstIndex(of: "\"") else {
                    throw Self.malformed("expected * or quoted entity tags such as \"0123abcd\" "
                                         + "(the ETag of a response), separated by commas")
                }
                if weak { hadWeakTags = true } else { tags.append(String(tag[...close])) }
                rest = tag[tag.index(after: close)...]
            }
            skipSpace()
            guard rest.isEmpty || rest.first == "," else {
                throw Self.malformed("entity tags are separated by commas")
            }
        }
    }

    private static func malformed(_ why: String) -> HTTPError {
        HTTPError(status: 400, code: .badRequest, message: "malformed If-Match header: " + why,
                  details: ["header": .string("If-Match")])
    }
}
