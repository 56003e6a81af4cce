import Foundation
import PerimeterHTTP
import PerimeterModel

/// A partial update of an asset: a field absent from the request stays as
/// it is; `null` clears the fields that may be empty.
struct AssetPatch: Sendable {
    var name: String?
    /// `.some(nil)` clears the sub-category.
    var subcategory: String??
    /// `.some(nil)` makes the asset unrated.
    var criticality: Int??
    var tags: [String]?
    var addTags: [String] = []
    var removeTags: [String] = []
    var reviewed: Bool?
    var description: String?
    /// Properties to set (as text, checked against their definition), or
    /// to remove (nil).
    var properties: [(String, String?)] = []
    /// Each property's JSON type, which must be its definition's.
    var propertyJSONTypes: [String: PropertyType] = [:]

    static let fields: Set<String> = [
        "name", "subcategory", "criticality", "tags", "add_tags", "remove_tags", "reviewed",
        "description", "properties",
    ]

    /// Reads a patch from a JSON object; names the field that is wrong.
    init(json object: [String: Any]) throws {
        for key in object.keys where !Self.fields.contains(key) {
            throw APIErrors.invalidField(key, "is not a field that can be changed; expected one of "
                                         + Self.fields.sorted().joined(separator: ", "))
        }
        if let value = object["name"] {
            guard let text = value as? String,
                  !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIErrors.invalidField("name", "must be non-empty text")
            }
            name = text.trimmingCharacters(in: .whitespaces).composedText
        }
        if let value = object["subcategory"] {
            if value is NSNull { subcategory = .some(nil) } else {
                guard let text = value as? String else {
                    throw APIErrors.invalidField("subcategory", "must be text or null")
                }
                subcategory = .some(text)
            }
        }
        if let value = object["criticality"] {
            if value is NSNull { criticality = .some(nil) } else {
                guard let number = JSONFields.integer(value) else {
                    throw APIErrors.invalidField("criticality",
                                                 "must be a whole number from 0 to 100, or null")
                }
                criticality = .some(number)
            }
        }
        if object["tags"] != nil { tags = try JSONFields.strings(object, "tags") }
        addTags = try JSONFields.strings(object, "add_tags") ?? []
        removeTags = try JSONFields.strings(object, "remove_tags") ?? []
        // An empty tag to add or remove was dropped unsaid: the change
        // reported success and did nothing.
        for (field, list) in [("add_tags", addTags), ("remove_tags", removeTags)]
        where list.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw APIErrors.invalidField(field, "a tag cannot be empty")
        }
        // `tags` replaces the whole set: beside an addition or a removal,
        // which was meant? (The replacement won, and a tag was lost.)
        if tags != nil && (object["add_tags"] != nil || object["remove_tags"] != nil) {
            throw APIErrors.invalidField("tags", "replaces every tag: give it alone, or "
                                         + "add_tags and remove_tags")
        }
        if let value = object["reviewed"] {
            guard let flag = JSONFields.boolean(value) else {
                throw APIErrors.invalidField("reviewed", "must be true or false")
            }
            reviewed = flag
        }
        if let value = object["description"] {
            // null clears it, as POST /v1/assets takes null for none (the
            // published AssetPatch says text or null; it was refused).
            if value is NSNull {
                description = ""
            } else if let text = value as? String {
                description = text
            } else {
                throw APIErrors.invalidField("description", "must be text (or null to clear it)")
            }
        }
        if let value = object["properties"] {
            guard let map = value as? [String: Any] else {
                throw APIErrors.invalidField("properties", "must be an object")
            }
            for (key, item) in map.sorted(by: { $0.key < $1.key }) {
                if JSONFields.clearsProperty(item) {
                    properties.append((key, nil))
                    continue
                }
                guard let text = JSONFields.propertyValueText(item) else {
                    throw APIErrors.invalidField(
                        "properties.\(key)",
                        "a property is text, a number, true or false, a list of text, or null")
                }
                properties.append((key, text))
                propertyJSONTypes[key] = JSONFields.propertyType(ofJSON: item)
            }
        }
    }

    /// Applies the patch, checking every value as an import row would be.
    func apply(to asset: inout Asset, builder: AssetDraftBuilder) throws {
        do {
            try AssetDraftBuilder.checkTexts(name: name, tags: (tags ?? []) + addTags,
                                             description: description)
        } catch let problem as RowProblem {
            throw APIErrors.invalidField(problem.column ?? "body", problem.message)
        }
        if let name { asset.name = name }
        if let subcategory {
            if let text = subcategory {
                do { asset.subcategory = try AssetSubcategory(parsing: text, in: asset.category) }
                catch {
                    throw APIErrors.invalidField("subcategory", "is not a sub-category of "
                        + "\(asset.category.rawValue) (expected "
                        + asset.category.subcategories.map(\.rawValue).joined(separator: ", ")
                        + ")")
                }
            } else {
                asset.subcategory = nil
            }
        }
        if let criticality {
            if let value = criticality {
                guard let rated = try? Criticality(value) else {
                    throw APIErrors.invalidField("criticality", "must be from 0 to 100")
                }
                asset.criticality = rated
            } else {
                asset.criticality = nil
            }
        }
        if let tags {
            asset.tags = []
            asset.tags.addTags(Self.clean(tags))
        }
        asset.tags.addTags(Self.clean(addTags))
        asset.tags.removeTags(Self.clean(removeTags))
        guard asset.tags.count <= Asset.maximumTagCount else {
            throw APIErrors.invalidField("tags", "an asset holds at most "
                                         + "\(Asset.maximumTagCount) tags")
        }
        if let reviewed { asset.reviewed = reviewed }
        if let description { asset.description = description }
        for (name, text) in properties {
            guard let text else {
                // Clearing a name the asset lacks and no definition knows
                // is a typo, refused as its value would be (SPEC §1); one
                // the asset holds goes, defined or not any more.
                if asset.properties[name] == nil
                    && !builder.definitions.contains(where: {
                        $0.name == name && $0.category == asset.category
                    }) {
                    do {
                        _ = try builder.property(name, "", category: asset.category)
                    } catch let problem as RowProblem {
                        throw APIErrors.invalidField("properties.\(name)", problem.message)
                    }
                }
                asset.properties[name] = nil
                continue
            }
            do {
                asset.properties[name] = try builder.property(name, text, category: asset.category,
                                                              jsonType: propertyJSONTypes[name])
            } catch let problem as RowProblem {
                throw APIErrors.invalidField("properties.\(name)", problem.message)
            }
        }
    }

    /// Tags as a person gave them, trimmed and composed (NFC), the empty
    /// ones left out: what every way in (create, import, PATCH, bulk jobs)
    /// keeps.
    static func clean(_ tags: [String]) -> [String] {
        tags.map { $0.trimmingCharacters(in: .whitespaces).composedText }.filter { !$0.isEmpty }
    }
}
