import Foundation
import PerimeterCrypto
import PerimeterHTTP
import PerimeterInventory
import PerimeterModel

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
        field(asset.name)
        field(asset.category.rawValue)
        field(asset.subcategory?.rawValue ?? "-")
        field(asset.criticality.map { String($0.value) } ?? "-")
        for tag in asset.tags.sorted() { field("t" + tag) }
        field(asset.reviewed ? "reviewed" : "unreviewed")
        field(asset.description)
        field(asset.entity.map { "e" + $0 } ?? "-")
        for (name, value) in asset.properties.sorted(by: { $0.key < $1.key }) {
            field("p" + name)
            switch value {
            case .string(let text): field("s" + text)
            case .number(let number): field("n" + String(number))
            case .boolean(let flag): field(flag ? "true" : "false")
            case .list(let items):
                field("l\(items.count)")
                items.forEach(field)
            }
        }
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
/// strongly.
struct IfMatchCondition: Sendable, Equatable {
    var anyVersion = false
    var tags: [String] = []

    /// The condition of a request's `If-Match` fields, nil when it has none.
    static func of(_ request: HTTPRequest) throws(HTTPError) -> IfMatchCondition? {
        let values = request.headers.values(for: "If-Match")
        guard !values.isEmpty else { return nil }
        var condition = IfMatchCondition()
        for value in values {
            for item in try items(of: value) {
                if item == "*" { condition.anyVersion = true } else { condition.tags.append(item) }
            }
        }
        return condition
    }

    func holds(forCurrent tag: String) -> Bool {
        anyVersion || tags.contains(tag)
    }

    /// The comma-separated entity tags of one header value, each with its
    /// quotes (a comma may sit inside a quoted tag).
    private static func items(of value: String) throws(HTTPError) -> [String] {
        var items: [String] = []
        var rest = Substring(value)
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "," }
            guard !rest.isEmpty else { break }
            if rest.hasPrefix("*") {
                items.append("*")
                rest = rest.dropFirst()
                continue
            }
            let weak = rest.hasPrefix("W/")
            let tagStart = weak ? rest.dropFirst(2) : rest
            guard tagStart.hasPrefix("\""), let close = tagStart.dropFirst().firstIndex(of: "\"")
            else {
                throw HTTPError(status: 400, code: .badRequest, message:
                    "malformed If-Match header: expected * or quoted entity tags such as "
                        + "\"0123abcd\" (the ETag of a response), separated by commas",
                    details: ["header": .string("If-Match")])
            }
            // A weak tag is read past and kept out: it can never match.
            if !weak { items.append(String(tagStart[...close])) }
            rest = tagStart[tagStart.index(after: close)...]
        }
        return items
    }
}
