import Foundation
import PerimeterEvents
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// Manual creation and bulk import of assets (SPEC §3.2).
enum AssetCreation {
    static let createSpec = CommandSpec(
        name: "assets create", summary: "Create one asset by hand, with its detection "
            + "properties (confirmed atoms): they match events from the start.",
        usage: "assets create --category CATEGORY --name NAME [OPTIONS]",
        options: CommonOptions.store + [
            .init(name: "--category", valueName: "CATEGORY", help: "account, host or network."),
            .init(name: "--name", valueName: "NAME", help: "The asset's name."),
            .init(name: "--subcategory", valueName: "SUB",
                  help: "user|service|machine, desktop|server|mobile, ipv4|ipv6."),
            .init(name: "--criticality", valueName: "0-100", help: "How much it matters."),
            .init(name: "--tag", valueName: "TAG", help: "A tag (repeatable).", isRepeatable: true),
            .init(name: "--description", valueName: "TEXT", help: "Free text."),
            .init(name: "--property", valueName: "NAME=VALUE",
                  help: "A contextual property (repeatable; lists: a,b). No secrets: every "
                      + "analyst sees them.", isRepeatable: true),
            .init(name: "--atom", valueName: "TYPE=VALUE",
                  help: "A detection property, e.g. hostname=ws-01, ipv4=10.0.0.5, "
                      + "cidr=10.0.0.0/8, username=CORP\\\\alice (repeatable).", isRepeatable: true),
            .init(name: "--reviewed", valueName: nil, help: "Create it as reviewed."),
            .init(name: "--entity", valueName: "NAME", help: "The entity it belongs to."),
        ],
        example: "perimeter assets create --category host --name DC-01 --subcategory server "
            + "--criticality 95 --tag domain-controller --atom hostname=dc-01 --atom ipv4=10.0.0.10")

    static func create(_ raw: [String]) throws -> Int32 {
        let arguments = try ParsedArguments(raw, spec: createSpec)
        if arguments.wantsHelp {
            print(createSpec.help)
            return 0
        }
        let community = try CommonOptions.community(arguments)
        var row = AssetRow()
        row.name = arguments.value("--name")
        row.category = arguments.value("--category")
        row.subcategory = arguments.value("--subcategory")
        row.criticality = arguments.value("--criticality")
        row.tags = arguments.all("--tag")
        row.description = arguments.value("--description")
        row.reviewed = arguments.flag("--reviewed") ? "true" : nil
        row.entity = arguments.value("--entity")
        for item in arguments.all("--property") {
            guard let equals = item.firstIndex(of: "=") else {
                throw UsageError("'--property' takes NAME=VALUE, not '\(item)'")
            }
            row.properties.append((String(item[..<equals]), String(item[item.index(after: equals)...])))
        }
        for item in arguments.all("--atom") {
            guard let equals = item.firstIndex(of: "=") else {
                throw UsageError("'--atom' takes TYPE=VALUE, not '\(item)'")
            }
            row.atoms.append((String(item[..<equals]), String(item[item.index(after: equals)...])))
        }
        let store = try CommonOptions.openStore(arguments)
        let builder = try AssetDraftBuilder(store: store, community: community)
        let draft: AssetDraft
        do {
            draft = try builder.draft(from: row, now: EventTime(Date()))
        } catch let problem as RowProblem {
            throw UsageError(problem.message)
        }
        try store.create([draft], actor: "cli", at: EventTime(Date()))
        print(draft.asset.id.uuidString.lowercased())
        return 0
    }

    static let importSpec = CommandSpec(
        name: "assets import", summary: "Import assets from a CSV file (with a header row) or "
            + "JSON lines. Bad rows are refused with their row, column and reason; the good "
            + "ones are imported together in one transaction.",
        usage: "assets import FILE [--format csv|jsonl]",
        options: CommonOptions.store + [
            .init(name: "--format", valueName: "FORMAT",
                  help: "csv or jsonl (default: from the file name, else the first byte)."),
            .init(name: "--dry-run", valueName: nil, help: "Check every row, import nothing."),
        ],
        example: "perimeter assets import cmdb.csv",
        details: """
            CSV columns: name, category, subcategory, criticality, tags (separated by ';'),
            reviewed (true/false), description, entity, atom.TYPE (values separated by ';',
            e.g. atom.hostname, atom.ipv4, atom.cidr), property.NAME.
            JSON lines: {"name", "category", "subcategory", "criticality", "tags": [...],
            "reviewed", "description", "entity", "atoms": {"hostname": ["dc-01"], ...},
            "properties": {"owner": "it", ...}}.
            """)

    static func importFile(_ raw: [String]) throws -> Int32 {
        let arguments = try ParsedArguments(raw, spec: importSpec)
        if arguments.wantsHelp {
            print(importSpec.help)
            return 0
        }
        guard arguments.positionals.count == 1, let path = arguments.positionals.first else {
            throw UsageError("give one file to import")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("cannot read '\(path)'")
        }
        let text = String(decoding: data, as: UTF8.self)
        let format = arguments.value("--format")
            ?? (path.hasSuffix(".csv") ? "csv"
                : path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") || text.first == "{" ? "jsonl" : "csv")
        let rows: [(Int, Result<AssetRow, RowProblem>)]
        switch format {
        case "csv": rows = try AssetRowReader.csv(text)
        case "jsonl", "json": rows = AssetRowReader.jsonLines(text)
        default: throw UsageError("unknown format '\(format)'; expected csv or jsonl")
        }
        let store = try CommonOptions.openStore(arguments)
        let builder = try AssetDraftBuilder(store: store, community: try CommonOptions.community(arguments))
        var drafts: [AssetDraft] = []
        var refused = 0
        let now = EventTime(Date())
        for (number, row) in rows {
            do {
                drafts.append(try builder.draft(from: try row.get(), now: now))
            } catch let problem as RowProblem {
                refused += 1
                Terminal.warning("\(path): row \(number)"
                                 + (problem.column.map { ", column '\($0)'" } ?? "") + ": \(problem.message)")
            }
        }
        if !arguments.flag("--dry-run") && !drafts.isEmpty {
            try store.create(drafts, actor: "import:\(URL(fileURLWithPath: path).lastPathComponent)",
                             at: now)
        }
        let verb = arguments.flag("--dry-run") ? "would import" : "imported"
        print("\(verb) \(Formatting.count(drafts.count)) assets; refused \(Formatting.count(refused)) rows")
        return refused > 0 ? 1 : 0
    }
}

/// One asset as a person wrote it, before checking.
struct AssetRow {
    var name: String?
    var category: String?
    var subcategory: String?
    var criticality: String?
    var tags: [String] = []
    var reviewed: String?
    var description: String?
    var entity: String?
    var atoms: [(String, String)] = []
    var properties: [(String, String)] = []
}

/// Why a row was refused, and in which column.
struct RowProblem: Error {
    var column: String?
    var message: String
}

/// Turns rows into checked drafts: category and sub-category known,
/// criticality in range, property names defined and values of their type,
/// atoms valid for the category and in normal form.
struct AssetDraftBuilder {
    let community: String
    let definitions: [PropertyDefinition]
    let normalizer = AtomNormalizer.standard

    init(store: InventoryStore, community: String) throws {
        self.community = community
        definitions = try store.propertyDefinitions(community: community)
    }

    func draft(from row: AssetRow, now: EventTime) throws -> AssetDraft {
        guard let name = row.name?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
            throw RowProblem(column: "name", message: "a name is required")
        }
        guard let categoryText = row.category else {
            throw RowProblem(column: "category", message: "a category is required (account, host or network)")
        }
        let category: AssetCategory
        do { category = try AssetCategory(parsing: categoryText) } catch {
            throw RowProblem(column: "category", message: error.message)
        }
        var subcategory: AssetSubcategory?
        if let text = row.subcategory, !text.isEmpty {
            do { subcategory = try AssetSubcategory(parsing: text, in: category) } catch {
                throw RowProblem(column: "subcategory", message: error.message)
            }
        }
        var criticality: Criticality?
        if let text = row.criticality?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let value = Int(text) else {
                throw RowProblem(column: "criticality", message: "criticality '\(text)' is not a whole number from 0 to 100")
            }
            do { criticality = try Criticality(value) } catch {
                throw RowProblem(column: "criticality", message: error.message)
            }
        }
        let tags = Set(row.tags.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        guard tags.count <= Asset.maximumTagCount else {
            throw RowProblem(column: "tags", message: "\(tags.count) tags; an asset holds at most \(Asset.maximumTagCount)")
        }
        var reviewed = false
        if let text = row.reviewed?.lowercased(), !text.isEmpty {
            guard let value = ["true": true, "yes": true, "1": true, "false": false, "no": false,
                               "0": false][text] else {
                throw RowProblem(column: "reviewed", message: "reviewed must be true or false, not '\(text)'")
            }
            reviewed = value
        }
        var properties: [String: PropertyValue] = [:]
        for (key, value) in row.properties {
            properties[key] = try property(key, value, category: category)
        }
        var atoms: [Atom] = []
        for (typeName, value) in row.atoms {
            atoms.append(try atom(typeName, value, category: category))
        }
        let asset = Asset(name: name, category: category, subcategory: subcategory,
                          criticality: criticality, tags: tags, reviewed: reviewed, source: .manual,
                          description: row.description ?? "", properties: properties,
                          community: community, entity: row.entity.flatMap { $0.isEmpty ? nil : $0 },
                          createdAt: now.date)
        return AssetDraft(asset: asset, confirmedAtoms: atoms)
    }

    func property(_ name: String, _ value: String, category: AssetCategory) throws -> PropertyValue {
        let column = "property.\(name)"
        guard PropertyDefinition.isValidName(name) else {
            throw RowProblem(column: column, message: "property name '\(name)' is not lower snake case (e.g. os_version)")
        }
        let known = definitions.filter { $0.category == category }
        guard let definition = known.first(where: { $0.name == name }) else {
            var message = "unknown \(category.rawValue) property '\(name)'"
            if let near = NearestName.find(name, in: known.map(\.name)) { message += "; did you mean '\(near)'?" }
            message += " (define custom properties first)"
            throw RowProblem(column: column, message: message)
        }
        switch definition.type {
        case .string: return .string(value)
        case .number:
            guard let number = Double(value.trimmingCharacters(in: .whitespaces)) else {
                throw RowProblem(column: column, message: "property '\(name)' is a number, not '\(value)'")
            }
            return .number(number)
        case .boolean:
            switch value.lowercased() {
            case "true", "yes": return .boolean(true)
            case "false", "no": return .boolean(false)
            default: throw RowProblem(column: column, message: "property '\(name)' is true or false, not '\(value)'")
            }
        case .list:
            return .list(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty })
        }
    }

    func atom(_ typeName: String, _ value: String, category: AssetCategory) throws -> Atom {
        let column = "atom.\(typeName)"
        let type: AtomType
        do { type = try AtomType(parsing: typeName) } catch {
            throw RowProblem(column: column, message: error.message)
        }
        let allowed = AtomType.allCases.filter { $0.category == category }
        guard type.category == category else {
            throw RowProblem(column: column, message: "a \(category.rawValue) holds "
                             + ListFormatting.disjunction(allowed.map(\.rawValue)) + " atoms, not \(type.rawValue)")
        }
        let atom: Atom?
        switch type {
        case .ipv4, .ipv6:
            atom = normalizer.address(value).flatMap { $0.type == type ? $0 : nil }
        case .hostname: atom = normalizer.hostname(value)
        case .fqdn: atom = normalizer.fqdn(value)
        case .username: atom = normalizer.username(value)
        case .email: atom = normalizer.email(value)
        case .sid: atom = normalizer.sid(value)
        case .mac: atom = normalizer.mac(value)
        case .hostID: atom = normalizer.hostID(value)
        case .agentID: atom = normalizer.agentID(value)
        case .cidr: atom = (try? CIDRRange(parsing: value))?.atom
        }
        guard let atom else {
            throw RowProblem(column: column, message: "'\(value)' is not a valid \(type.rawValue) atom "
                             + "(placeholders, loopback and built-in principals are never atoms)")
        }
        return atom
    }
}
