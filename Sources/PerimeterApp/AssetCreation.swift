import Foundation
import PerimeterEvents
import PerimeterInput
import PerimeterInventory
import PerimeterModel
import PerimeterServer
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
                      + "cidr=10.0.0.0/8, username='CORP\\alice' (repeatable).", isRepeatable: true),
            .init(name: "--reviewed", valueName: nil, help: "Create it as reviewed."),
            .init(name: "--entity", valueName: "NAME", help: "The entity it belongs to."),
        ],
        example: "perimeter assets create --category host --name DC-01 --subcategory server "
            + "--criticality 95 --tag domain-controller --atom hostname=dc-01 --atom ipv4=10.0.0.10",
        takesArguments: false)

    static func create(_ raw: [String]) throws -> Int32 {
        guard let arguments = try createSpec.parse(raw) else { return 0 }
        let community = try CommonOptions.community(arguments)
        var row = AssetRow()
        row.name = arguments.value("--name")
        row.category = arguments.value("--category")
        row.subcategory = arguments.value("--subcategory")
        // An empty value is no rating given by mistake (`--criticality
        // "$RATING"` of an unset variable): refused, as `update` refuses it,
        // not taken for unrated.
        if let text = arguments.value("--criticality"),
           text.trimmingCharacters(in: .whitespaces).isEmpty {
            throw UsageError("'--criticality' takes 0-100, not an empty value (leave it out "
                             + "for an unrated asset)")
        }
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
        let (store, lock) = try CommonOptions.openStoreForWriting(arguments)
        defer { withExtendedLifetime(lock) {} }
        let builder = try AssetDraftBuilder(store: store, community: community)
        let draft: AssetDraft
        do {
            draft = try builder.draft(from: row, now: EventTime(Date()))
        } catch let problem as RowProblem {
            throw UsageError(problem.message)
        }
        try store.create([draft], actor: CommonOptions.commandLineActor, at: EventTime(Date()))
        print(draft.asset.id.lowercasedText)
        // As an import says of such a row.
        if draft.confirmedAtoms.isEmpty {
            Terminal.note("note: no atom identifies the asset: no event will match it, and discovery "
                          + "makes an asset of its own for a host or account it sees (give "
                          + "--atom hostname=…, --atom username=…)")
        }
        return 0
    }

    static let importSpec = CommandSpec(
        name: "assets import", summary: "Import assets from a CSV file (with a header row) or "
            + "JSON (one object per line, or an array of objects). Bad rows are refused with "
            + "their row, column and reason; the good ones are imported together in one "
            + "transaction.",
        usage: "assets import FILE|- [--format csv|jsonl]",
        options: CommonOptions.store + [
            .init(name: "--format", valueName: "FORMAT",
                  help: "csv or jsonl, which also reads an array of objects (default: from the "
                      + "file name, else the first character)."),
            .init(name: "--dry-run", valueName: nil, help: "Check every row, import nothing."),
            .init(name: "--match-atoms", valueName: nil,
                  help: "A row without uuid whose atoms (atom.hostname…) one asset of its "
                      + "category holds now updates that asset, as a row with its uuid would: "
                      + "a CMDB's rows rate the machines discovery found (the row's name "
                      + "replaces the discovered one, as its other fields do). Atoms held by "
                      + "several assets refuse the row."),
        ],
        example: "perimeter assets import cmdb.csv --match-atoms",
        details: """
            CSV columns: name, category, subcategory, criticality, tags (separated by ';'),
            reviewed and revoked (true/false), description, entity, atom.TYPE (values
            separated by ';', e.g. atom.hostname, atom.ipv4, atom.cidr), property.NAME.
            JSON lines: {"name", "category", "subcategory", "criticality", "tags": [...],
            "reviewed", "revoked", "description", "entity", "atoms": {"hostname": ["dc-01"], ...},
            "properties": {"owner": "it", ...}}; or one JSON array of such objects, whose
            Nth object is row N.
            A row with the uuid of an asset of the community (a `uuid` column or field, as
            `assets list --json` and the API's export write them) updates that asset: the
            fields the row gives replace the asset's (an empty cell or null clears one), the
            properties it gives are set (or removed, given empty), the atoms it gives that the
            asset neither holds nor rejected are confirmed; its category and entity cannot
            change. Other rows create assets. Atoms an export lists as ended or rejected are
            left out. A row whose `community` is another's (an export of that community) is
            refused: leave the field out to copy such an asset.
            """)

    static func importFile(_ raw: [String]) throws -> Int32 {
        guard let arguments = try importSpec.parse(raw) else { return 0 }
        guard arguments.positionals.count == 1, let path = arguments.positionals.first else {
            throw UsageError("give one file to import")
        }
        // A file; `-`, standard input; or a pipe (`<(zcat cmdb.csv.gz)`).
        let data: Data
        if path == "-" {
            data = (try? FileHandle.standardInput.readToEnd()) ?? Data()
        } else {
            do { data = Data(try WholeFile.bytes(atPath: path)) } catch {
                throw UsageError("cannot read '\(Terminal.readable(path))': \(error.reason)")
            }
        }
        let source = path == "-" ? "standard input" : path
        let text: String
        do { text = try AssetRowReader.text(of: data) } catch {
            throw UsageError("cannot import '\(source)': \(error.message)")
        }
        let format = arguments.value("--format")
            ?? (path.hasSuffix(".csv") ? "csv"
                : path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") || path.hasSuffix(".json")
                    || AssetRowReader.startsLikeJSON(text) ? "jsonl" : "csv")
        let rows: [(Int, Result<AssetRow, RowProblem>)]
        switch format {
        case "csv":
            // A refusal of the whole file (its header) names the file, as
            // a row's names the file and row.
            do { rows = try AssetRowReader.csv(text) } catch let problem as RowProblem {
                let name = path == "-" ? "standard input" : Terminal.readable(path)
                throw RowProblem(column: nil, message: "\(name): \(problem)")
            }
        case "jsonl", "json": rows = AssetRowReader.jsonRows(text)
        default: throw UsageError("unknown format '\(format)'; expected csv or jsonl")
        }
        // Who ran it, as every command line's change names them, and from
        // which file: an import that re-rates the crown jewels is traced
        // to a person.
        // A file name is one line of the trail's table, whatever it holds
        // (a newline in it split the row, and could fake one).
        let fileName = path == "-" ? "stdin"
            : Terminal.readable(URL(fileURLWithPath: path).lastPathComponent)
            .replacingOccurrences(of: "\n", with: "\\u{A}")
            .replacingOccurrences(of: "\t", with: "\\u{9}")
        let actor = CommonOptions.commandLineActor + " import:\(fileName)"
        let checkingOnly = arguments.flag("--dry-run")
        let matchingAtoms = arguments.flag("--match-atoms")
        let outcome: ImportOutcome
        let storeExists = FileManager.default.fileExists(atPath: try CommonOptions.databasePath(arguments))
        if checkingOnly && !storeExists {
            // Checked against a store of its own in memory: a dry run
            // leaves no file behind.
            outcome = try createAssets(rows, into: InventoryStore(path: ":memory:"),
                                       community: try CommonOptions.community(arguments),
                                       actor: actor, checkingOnly: true)
        } else if matchingAtoms || rows.contains(where: { (try? $0.1.get())?.uuid != nil }) {
            // Rows may update assets, as edits do: through the inventory.
            let editor = try EditCommands.editor(arguments, creatingStore: true, actor: actor)
            outcome = try EditCommands.wait {
                try await editor.importRows(rows, checkingOnly: checkingOnly,
                                            matchingAtoms: matchingAtoms)
            }
        } else {
            // New assets alone: written straight into the store, without
            // reading the inventory (1.6 GB and 11 s at 1,000,000 assets).
            let (store, lock) = try CommonOptions.openStoreForWriting(arguments)
            defer { withExtendedLifetime(lock) {} }
            outcome = try createAssets(rows, into: store,
                                       community: try CommonOptions.community(arguments),
                                       actor: actor, checkingOnly: checkingOnly)
        }
        func note(rows: [Int], _ saying: String) {
            guard !rows.isEmpty else { return }
            Terminal.note("note: \(source): \(Formatting.count(rows.count, "row")) (row "
                          + rows.prefix(10).map(String.init).joined(separator: ", ")
                          + (rows.count > 10 ? ", …" : "") + ") " + saying)
        }
        let unknown = outcome.rowsOfUnknownUUIDs
        note(rows: unknown, "gave a uuid that no asset of the community has: "
             + (unknown.count == 1 ? "it " : "each ")
             + (checkingOnly ? "would create" : "created") + " a new asset, with that uuid "
             + "unless an asset of the store has it (an export restored keeps its uuids)")
        /// "creates" for one row, "create" for several.
        func verb(_ rows: [Int], _ word: String) -> String { rows.count == 1 ? word + "s" : word }
        let bare = outcome.rowsCreatingWithoutAtoms
        note(rows: bare, (bare.count == 1 ? "creates an asset" : "create assets")
             + " that no atom identifies: no event will match "
             + (bare.count == 1 ? "it" : "them") + ", and discovery makes an asset of its own "
             + "for a host or account it sees (give atom.hostname, atom.username…)")
        let named = outcome.rowsRepeatingNames
        note(rows: named, verb(named, "give") + " a new asset the name of one the community has "
             + "(or an earlier row gave): to update an asset, give its uuid (assets list --csv "
             + "writes them), or import with --match-atoms")
        let matched = outcome.rowsMatchedByAtoms
        // Matched, not "updated": a row that changes nothing is counted
        // unchanged below, and the note said it updated the asset.
        note(rows: matched, (checkingOnly ? "would match" : "matched")
             + " the asset holding " + (matched.count == 1 ? "its atoms" : "their atoms"))
        let leaving = outcome.rowsLeavingOutAtoms
        note(rows: leaving, verb(leaving, "leave") + " out atoms their asset holds as "
             + "confirmed; they stay: an import adds atoms and removes none (atoms reject ASSET "
             + "TYPE=VALUE removes one)")
        for (number, problem) in outcome.refused {
            Terminal.warning("\(source): row \(number)"
                             + (problem.column.map { ", column '\($0)'" } ?? "") + ": \(problem.message)")
        }
        let action = checkingOnly ? "would import" : "imported"
        var done = "\(action) \(Formatting.count(outcome.created + outcome.updated, "asset"))"
        if outcome.updated > 0 || outcome.unchanged > 0 {
            done += " (\(Formatting.count(outcome.created)) new, "
                + "\(Formatting.count(outcome.updated)) updated"
                + (outcome.unchanged > 0 ? ", \(Formatting.count(outcome.unchanged)) unchanged)" : ")")
        }
        print("\(done); refused \(Formatting.count(outcome.refused.count, "row"))")
        return outcome.refused.isEmpty ? 0 : 1
    }

    private static func createAssets(_ rows: [(Int, Result<AssetRow, RowProblem>)],
                                     into store: InventoryStore, community: String,
                                     actor: String, checkingOnly: Bool) throws -> ImportOutcome {
        let builder = try AssetDraftBuilder(store: store, community: community)
        var outcome = ImportOutcome()
        var drafts: [AssetDraft] = []
        let now = EventTime(Date())
        var claimed: [AtomKey: InventoryStore.AtomClaim] = [:]
        var names: Set<String> = []
        for (number, row) in rows {
            do {
                // Only a dry run against no store comes here with uuids.
                let row = try row.get()
                try row.checkExported(into: community)
                drafts.append(try outcome.newAsset(from: row, number: number,
                                                   builder: builder, now: now, store: store,
                                                   claimed: &claimed, names: &names))
            } catch let problem as RowProblem {
                outcome.refused.append((number, problem))
            }
        }
        if !checkingOnly && !drafts.isEmpty { try store.create(drafts, actor: actor, at: now) }
        outcome.created = drafts.count
        return outcome
    }
}
