import Foundation
import PerimeterEvents
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// One asset as a person wrote it, before checking.
public struct AssetRow: Sendable {
    public var name: String?
    public var category: String?
    public var subcategory: String?
    public var criticality: String?
    public var tags: [String] = []
    public var reviewed: String?
    /// An export's `revoked`: an asset revoked keeps that through a round
    /// trip (it came back live, matching events again).
    public var revoked: String?
    public var description: String?
    public var entity: String?
    public var atoms: [(String, String)] = []
    /// Those of `atoms` an export listed as observed (`"kind": "observed"`):
    /// the inventory's sightings, not a person's word. A row updating an
    /// asset confirms none of them (it may have moved to another host
    /// since the export); a row making an asset in another store takes
    /// them as its atoms.
    public var observedAtoms: [(String, String)] = []
    public var properties: [(String, String)] = []
    /// The JSON type of each property a JSON row gives (none for CSV):
    /// it must be the definition's.
    public var propertyJSONTypes: [String: PropertyType] = [:]
    /// Properties the row gives empty (a CSV cell) or null (JSON): an
    /// update removes them; a new asset has none to remove.
    public var clearedProperties: [String] = []
    /// The atoms came in a column per type (CSV `atom.TYPE`), not in one
    /// `atoms` field: a refusal names the column of its type.
    public var atomsHaveColumnsByType = false
    /// The asset an import row updates (an export's `uuid`); nil creates one.
    public var uuid: String?
    /// The `updated_at` an export wrote beside the uuid: the version of
    /// the asset the row was made from. Nil (or an empty cell) updates the
    /// asset whatever changed since.
    public var updatedAt: EventTime?
    /// The `community` an export wrote: an import into another community
    /// refuses the row (see `InventoryService.importRows`).
    public var exportedCommunity: String?
    /// The fields the row gives: a CSV file's columns, a JSON line's keys.
    /// An update changes these alone; an empty CSV cell or a JSON null
    /// among them clears the field.
    public var givenFields: Set<String> = []

    public init() {}

    /// Refuses a row an export of another community wrote: imported here
    /// by mistake (a customer's inventory into another's, at an MSSP), it
    /// would make its assets here, each row reported imported.
    public func checkExported(into community: String) throws(RowProblem) {
        guard let exported = exportedCommunity, exported != community else { return }
        throw RowProblem(column: "community", message: "the row is another community's (an "
                         + "export of it): an import writes into its own community alone; to "
                         + "copy the asset here, leave the field out")
    }
}

/// Why a row was refused, and in which column.
public struct RowProblem: Error, Sendable, CustomStringConvertible {
    public var column: String?
    public var message: String

    public init(column: String?, message: String) {
        self.column = column
        self.message = message
    }

    public var description: String {
        (column.map { "column '\($0)': " } ?? "") + message
    }
}

/// Turns rows into checked drafts: category and sub-category known,
/// criticality in range, property names defined and values of their type,
/// atoms valid for the category and in normal form.
public struct AssetDraftBuilder: Sendable {
    public let community: String
    public let definitions: [PropertyDefinition]
    let normalizer = AtomNormalizer.standard

    public init(store: InventoryStore, community: String) throws {
        self.community = community
        definitions = try store.propertyDefinitions(community: community)
    }

    /// The bounds of `Asset` on what a row, a patch or a bulk job gives:
    /// lengths, and tags that a CSV export writes back as they were
    /// (`;` separates tags there).
    /// Lengths are counted in code points, as JSON Schema's `maxLength`
    /// counts them: counted in characters, one letter with a thousand
    /// combining marks on it was one.
    static func checkTexts(name: String?, tags: [String], description: String?) throws {
        if let name, name.unicodeScalars.count > Asset.maximumNameLength {
            throw RowProblem(column: "name", message: "a name holds at most "
                             + "\(Asset.maximumNameLength) characters, not "
                             + "\(name.unicodeScalars.count)")
        }
        // A person has no reason to type them, and an escape sequence in a
        // name drives the terminal of whoever prints it raw. (Discovered
        // names come as events wrote them; the tables write them out.)
        if let name, name.holdsControlCharacter {
            throw RowProblem(column: "name", message: "a name cannot hold control characters")
        }
        if let description, description.unicodeScalars.contains(where: {
            $0.properties.generalCategory == .control && !"\n\r\t".unicodeScalars.contains($0)
        }) {
            throw RowProblem(column: "description", message: "a description cannot hold control "
                             + "characters other than line breaks and tabs")
        }
        if let long = tags.first(where: { $0.unicodeScalars.count > Asset.maximumTagLength }) {
            throw RowProblem(column: "tags", message: "a tag holds at most "
                             + "\(Asset.maximumTagLength) characters, not "
                             + "\(long.unicodeScalars.count)")
        }
        if tags.contains(where: { $0.contains(";") }) {
            throw RowProblem(column: "tags", message: "a tag cannot hold a semicolon (it "
                             + "separates the tags of a CSV row)")
        }
        if tags.contains(where: \.holdsControlCharacter) {
            throw RowProblem(column: "tags", message: "a tag cannot hold control characters")
        }
        if let description, description.unicodeScalars.count > Asset.maximumDescriptionLength {
            throw RowProblem(column: "description",
                             message: "a description holds at most "
                                + "\(Asset.maximumDescriptionLength) characters, "
                                + "not \(description.unicodeScalars.count)")
        }
    }

    /// `draft`, refused in the column that gave an atom another asset holds.
    public func checked(_ draft: AssetDraft, of row: AssetRow, store: InventoryStore,
                        claimed: inout [AtomKey: InventoryStore.AtomClaim]) throws -> AssetDraft {
        if let refusal = try store.refusal(of: draft, claimed: &claimed) {
            // The column the row gave the atom in: a CSV `atom.TYPE` column,
            // or the one `atoms` field of a JSON line.
            throw RowProblem(column: row.atomsHaveColumnsByType
                                 ? "atom.\(refusal.atom.type.rawValue)" : "atoms",
                             message: refusal.message)
        }
        return draft
    }

    /// A stored asset as an import row updates it: the fields the row
    /// gives replace the asset's, checked as a new asset's would be, the
    /// properties it gives are set beside the others (or removed, given
    /// empty), and its atoms come back as those to confirm. Name and
    /// category may be left out; the category and entity cannot change
    /// (an asset of another kind is another asset).
    /// `heldAtoms` are those the asset holds now (a network's ranges are
    /// checked against its sub-category).
    public func updated(_ stored: Asset, by row: AssetRow, heldAtoms: [Atom] = [],
                        now: EventTime) throws -> AssetDraft {
        var complete = row
        if !row.givenFields.contains("name") { complete.name = stored.name }
        if let text = row.category, !text.isEmpty {
            // Before the atoms, which are checked against the category.
            if let category = try? AssetCategory(parsing: text), category != stored.category {
                throw RowProblem(column: "category", message: "asset \(stored.id.lowercasedText) "
                                 + "is \(stored.category.withArticle); an import does not "
                                 + "change an asset's category")
            }
        } else {
            complete.category = stored.category.rawValue
        }
        // A property the row gives as the asset holds it is no change, and
        // is not checked against its definition: one removed or retyped
        // since leaves the assets their values, and their export must
        // still import back.
        complete.properties.removeAll { name, text in
            guard let held = stored.properties[name] else { return false }
            return (try? Self.value(text, as: held.type, name: name)) == held
        }
        let draft = try draft(from: complete, now: now)
        let given = draft.asset
        if row.givenFields.contains("entity"), given.entity != stored.entity {
            throw RowProblem(column: "entity", message: "asset \(stored.id.lowercasedText) "
                             + "belongs to " + (stored.entity.map { "the entity '\($0)'" }
                                                ?? "no entity")
                             + "; an import does not move an asset to another entity")
        }
        var asset = stored
        let fields = row.givenFields
        if fields.contains("name") { asset.name = given.name }
        if fields.contains("subcategory") { asset.subcategory = given.subcategory }
        if let problem = Self.familyProblem(asset.subcategory,
                                            ranges: draft.confirmedAtoms + heldAtoms) {
            throw RowProblem(column: "subcategory", message: problem)
        }
        if fields.contains("criticality") { asset.criticality = given.criticality }
        if fields.contains("tags") { asset.tags = given.tags }
        if fields.contains("reviewed") { asset.reviewed = given.reviewed }
        if fields.contains("revoked") { asset.isRevoked = given.isRevoked }
        if fields.contains("description") { asset.description = given.description }
        for name in row.clearedProperties { asset.properties[name] = nil }
        asset.properties.merge(given.properties) { _, new in new }
        if asset != stored { asset.noteChange(at: now.date) }
        return AssetDraft(asset: asset, confirmedAtoms: draft.confirmedAtoms)
    }

    public func draft(from row: AssetRow, now: EventTime) throws -> AssetDraft {
        guard let name = row.name?.trimmingCharacters(in: .whitespaces).composedText,
              !name.isEmpty else {
            throw RowProblem(column: "name", message: "a name is required")
        }
        try Self.checkTexts(name: name, tags: row.tags.map(\.composedText),
                            description: row.description)
        if let entity = row.entity, !entity.isEmpty, let problem = Scope.problem(withName: entity) {
            throw RowProblem(column: "entity", message: "invalid entity: \(problem)")
        }
        // A spreadsheet's cell may keep the spaces typed around a word.
        guard let categoryText = row.category?.trimmingCharacters(in: .whitespaces) else {
            throw RowProblem(column: "category", message: "a category is required (account, host or network)")
        }
        let category: AssetCategory
        do { category = try AssetCategory(parsing: categoryText) } catch {
            throw RowProblem(column: "category", message: error.message)
        }
        var subcategory: AssetSubcategory?
        if let text = row.subcategory?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            do { subcategory = try AssetSubcategory(parsing: text, in: category) } catch {
                throw RowProblem(column: "subcategory", message: error.message)
            }
        }
        var criticality: Criticality?
        // `none` and `unrated` say unrated, as an empty cell does (and as
        // `assets update --criticality none` does).
        if let text = row.criticality?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
           !["none", "unrated"].contains(text.lowercased()) {
            // A spreadsheet writes a number cell as `80.0`; JSON's 80.0
            // is taken too.
            guard let value = Criticality.wholeNumber(text) else {
                throw RowProblem(column: "criticality", message: "criticality '\(text)' is not a "
                                 + "whole number from 0 to 100, or none (unrated)")
            }
            do { criticality = try Criticality(value) } catch {
                throw RowProblem(column: "criticality", message: error.message)
            }
        }
        var tags = Set<String>()
        tags.addTags(AssetPatch.clean(row.tags))
        guard tags.count <= Asset.maximumTagCount else {
            throw RowProblem(column: "tags", message: "\(tags.count) tags; an asset holds at most \(Asset.maximumTagCount)")
        }
        func flag(_ text: String?, column: String) throws -> Bool {
            guard let text = text?.trimmingCharacters(in: .whitespaces).lowercased(),
                  !text.isEmpty else { return false }
            guard let value = Bool(flagText: text) else {
                throw RowProblem(column: column, message: "\(column) must be true or false "
                                 + "(or yes/no, 1/0), not '\(text)'")
            }
            return value
        }
        let reviewed = try flag(row.reviewed, column: "reviewed")
        let revoked = try flag(row.revoked, column: "revoked")
        var properties: [String: PropertyValue] = [:]
        for (key, value) in row.properties {
            properties[key] = try property(key, value, category: category,
                                           jsonType: row.propertyJSONTypes[key])
        }
        var atoms: [Atom] = []
        for (typeName, value) in row.atoms {
            // An export's observed atoms are discovery's, which may hold a
            // semicolon: its JSON lines import back.
            let isDiscoverys = row.observedAtoms.contains { $0 == typeName && $1 == value }
            atoms.append(try atom(typeName, value, category: category,
                                  allowingSemicolon: isDiscoverys))
        }
        if let problem = Self.familyProblem(subcategory, ranges: atoms) {
            throw RowProblem(column: "subcategory", message: problem)
        }
        let asset = Asset(name: name, category: category, subcategory: subcategory,
                          criticality: criticality, tags: tags, reviewed: reviewed, source: .manual,
                          description: row.description ?? "", properties: properties,
                          community: community, entity: row.entity.flatMap { $0.isEmpty ? nil : $0 },
                          createdAt: now.date, isRevoked: revoked)
        return AssetDraft(asset: asset, confirmedAtoms: atoms)
    }

    /// A network's sub-category is its family: an ipv6 network of
    /// 10.0.0.0/8 is a typing mistake in one or the other. Why `ranges`
    /// (of any atoms given; the CIDR ones count) cannot be of a network of
    /// `subcategory`; nil when they can. Asked wherever either changes:
    /// creating, importing, patching, confirming a range.
    static func familyProblem(_ subcategory: AssetSubcategory?, ranges: [Atom]) -> String? {
        guard let family = subcategory, family == .ipv4 || family == .ipv6,
              let other = ranges.first(where: {
                  $0.type == .cidr && $0.value.contains(":") != (family == .ipv6)
              }) else { return nil }
        return "an \(family.rawValue) network cannot hold the range \(other.value)"
    }

    /// What joins the items of a JSON list property in an `AssetRow`'s
    /// text (the unit separator, which no item may hold).
    static let listSeparator: Character = "\u{1F}"

    public func property(_ name: String, _ value: String, category: AssetCategory,
                         jsonType: PropertyType? = nil) throws -> PropertyValue {
        let column = "property.\(name)"
        guard PropertyDefinition.isValidName(name) else {
            throw RowProblem(column: column, message: "property name '\(name)' is not \(PropertyDefinition.nameRule)")
        }
        let known = definitions.filter { $0.category == category }
        guard let definition = known.first(where: { $0.name == name }) else {
            var message = "unknown \(category.rawValue) property '\(name)'"
            if let near = NearestName.find(name, in: known.map(\.name)) { message += "; did you mean '\(near)'?" }
            message += " (define custom properties first)"
            throw RowProblem(column: column, message: message)
        }
        if let jsonType, jsonType != definition.type {
            throw RowProblem(column: column, message: "property '\(name)' is "
                             + Self.kind(of: definition.type) + ", not "
                             + Self.kind(of: jsonType) + " (send a JSON "
                             + Self.jsonSpelling(of: definition.type) + ")")
        }
        return try Self.value(value, as: definition.type, name: name)
    }

    private static func kind(of type: PropertyType) -> String {
        switch type {
        case .string: "text"
        case .number: "a number"
        case .boolean: "true or false"
        case .list: "a list"
        }
    }

    private static func jsonSpelling(of type: PropertyType) -> String {
        switch type {
        case .string: "string"
        case .number: "number"
        case .boolean: "true or false"
        case .list: "list of strings"
        }
    }

    /// A property's text as a value of `type`, as an import reads it.
    static func value(_ value: String, as type: PropertyType,
                      name: String) throws -> PropertyValue {
        let column = "property.\(name)"
        if type != .list && value.contains(Self.listSeparator) {
            let kind = type == .string ? "text" : "a \(type.rawValue)"
            throw RowProblem(column: column, message: "property '\(name)' is \(kind), not a list")
        }
        // As a description: line breaks and tabs, no other control
        // character (an escape sequence drives the terminal of whoever
        // prints the value). A list's items are one line each.
        let allowed: Set<Unicode.Scalar> = type == .string ? ["\n", "\r", "\t"] : []
        if value.unicodeScalars.contains(where: {
            $0.properties.generalCategory == .control && $0 != Self.listSeparator.unicodeScalars.first
                && !allowed.contains($0)
        }) {
            throw RowProblem(column: column, message: "property '\(name)' cannot hold control "
                             + (type == .string ? "characters other than line breaks and tabs"
                                : "characters"))
        }
        switch type {
        case .string:
            guard value.unicodeScalars.count <= PropertyValue.maximumTextLength else {
                throw RowProblem(column: column, message: "property '\(name)' holds at most "
                                 + "\(PropertyValue.maximumTextLength) characters, not "
                                 + "\(value.unicodeScalars.count)")
            }
            return .string(value)
        case .number:
            // Decimal, finite and exact: "NaN", "inf" and "1e999" are no
            // value JSON can hold (they were stored as null), `0x10` no
            // number a person reads as 16.
            guard let number = PropertyValue.number(
                parsing: value.trimmingCharacters(in: .whitespaces)) else {
                throw RowProblem(column: column, message: "property '\(name)' is a number "
                                 + "(decimal, with no more digits than a double holds), not '\(value)'")
            }
            return .number(number)
        case .boolean:
            // As the `reviewed` column reads them.
            guard let flag = Bool(flagText: value) else {
                throw RowProblem(column: column, message: "property '\(name)' is true or "
                                 + "false (or yes/no, 1/0), not '\(value)'")
            }
            return .boolean(flag)
        case .list:
            // Items of a JSON list come joined by `listSeparator`; a CSV cell
            // separates them by commas, or holds a JSON list of text (as an
            // export writes a list whose items hold commas, or none).
            if !value.contains(Self.listSeparator), let items = AssetCSV.jsonList(value) {
                // Its escapes decoded: `\u001b` in the cell is an ESC.
                if items.contains(where: { $0.unicodeScalars.contains {
                    $0.properties.generalCategory == .control } }) {
                    throw RowProblem(column: column, message: "property '\(name)' cannot hold "
                                     + "control characters")
                }
                return try checkedList(items, column: column, name: name)
            }
            let separator: Character = value.contains(Self.listSeparator) ? Self.listSeparator : ","
            return try checkedList(value.split(separator: separator)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                                   column: column, name: name)
        }
    }

    private static func checkedList(_ items: [String], column: String,
                                    name: String) throws -> PropertyValue {
        guard items.count <= PropertyValue.maximumListItems else {
            throw RowProblem(column: column, message: "property '\(name)' holds at most "
                             + "\(PropertyValue.maximumListItems) items, not \(items.count)")
        }
        if let long = items.first(where: {
            $0.unicodeScalars.count > PropertyValue.maximumItemLength }) {
            throw RowProblem(column: column, message: "an item of property '\(name)' holds at "
                             + "most \(PropertyValue.maximumItemLength) characters, not "
                             + "\(long.unicodeScalars.count)")
        }
        return .list(items)
    }

    public func atom(_ typeName: String, _ value: String, category: AssetCategory,
                     allowingSemicolon: Bool = false) throws -> Atom {
        let column = "atom.\(typeName)"
        let type: AtomType
        do { type = try AtomType(parsing: typeName) } catch {
            throw RowProblem(column: column, message: error.message)
        }
        let allowed = AtomType.allCases.filter { $0.category == category }
        guard type.category == category else {
            throw RowProblem(column: column, message: "\(category.withArticle) holds "
                             + ListFormatting.disjunction(allowed.map(\.rawValue)) + " atoms, not \(type.rawValue)")
        }
        // A range's own reason: one with host bits set names the network
        // it meant ("did you mean '10.0.0.0/8'").
        if type == .cidr {
            do { _ = try CIDRRange(parsing: value) } catch {
                throw RowProblem(column: column, message: error.message)
            }
        }
        guard let atom = normalizer.atom(value, as: type) else {
            // An address that parses is one that is never an atom; one that
            // does not is no address (a typo read as "loopback" misled).
            let why = switch type {
            case .ipv4 where normalizer.atom(value, as: .ipv6) != nil:
                "it is an IPv6 address; give it as ipv6=\(value)"
            case .ipv6 where normalizer.atom(value, as: .ipv4) != nil:
                "it is an IPv4 address; give it as ipv4=\(value)"
            case .ipv4, .ipv6:
                IPAddress(parsing: value) == nil ? "it is not an IP address"
                    : "loopback, link-local, unspecified and multicast addresses are never atoms"
            case _ where value.trimmingCharacters(in: .whitespaces).isEmpty:
                "it is empty"
            case _ where ["localhost", "localhost.localdomain"]
                    .contains(value.trimmingCharacters(in: .whitespaces).lowercased()):
                "every machine calls itself so: it is never an atom"
            case .hostname where value.contains(".") && normalizer.atom(value, as: .fqdn) != nil:
                "a hostname is one label; give a fully qualified name as fqdn=\(value)"
            default:
                "it is empty, a placeholder (unknown, n/a…), a built-in principal, or not in "
                    + "the form of one"
            }
            throw RowProblem(column: column, message: "'\(value)' is not a valid "
                             + "\(type.rawValue) atom: \(why)")
        }
        // As a tag cannot: a CSV cell (`atom.TYPE`) separates its values by
        // semicolons, and `bob;evil` exported that way came back as two
        // user names confirmed on the account. Discovery may still attach
        // such an atom; only a person's are refused.
        if !allowingSemicolon, atom.value.contains(";") {
            throw RowProblem(column: column, message: "an atom given by hand cannot hold a "
                             + "semicolon (it separates the values of a CSV cell)")
        }
        return atom
    }
}
