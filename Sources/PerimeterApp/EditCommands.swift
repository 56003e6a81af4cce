import Foundation
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterServer
import PerimeterStore

/// The API's edits on the command line: `assets update|revoke|unrevoke|
/// bulk`, `atoms confirm|reject`, `properties`, `audit`. They go through
/// `InventoryEditor`, so they are checked and audited (as `cli`) exactly as
/// over HTTP. Against a store that `perimeter serve` is serving, use the
/// API instead: the server would not see these changes until it restarts.
enum EditCommands {
    /// The editor of the store; `creatingStore` false (edits of assets
    /// that must exist, the audit trail) refuses a store path with none.
    static func editor(_ arguments: ParsedArguments, creatingStore: Bool = false,
                       actor: String = CommonOptions.commandLineActor) throws -> InventoryEditor {
        let path = try CommonOptions.databasePath(arguments)
        if !creatingStore { try CommonOptions.requireStore(at: path) }
        let editor = try InventoryEditor(storePath: path,
                                         configuration: try CommonOptions.configuration(arguments),
                                         community: try CommonOptions.community(arguments),
                                         actor: actor)
        if editor.reratesByAnotherFormula { CommonOptions.noteUrgencyFormula() }
        return editor
    }

    /// Runs async work from a synchronous command, turning edit errors into
    /// usage errors (they are the user's input).
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        try ServeCommand.blocking { box.value = try await body() }
        return box.value!
    }

    // MARK: - assets update

    static let updateSpec = CommandSpec(
        name: "assets update", summary: "Change some fields of an asset (the others stay).",
        usage: "assets update ASSET [OPTIONS]",
        options: CommonOptions.store + [
            .init(name: "--name", valueName: "NAME", help: "A new name."),
            .init(name: "--criticality", valueName: "0-100|none", help: "Rate it, or unrate it."),
            .init(name: "--subcategory", valueName: "SUB|none", help: "Set or clear it."),
            .init(name: "--add-tag", valueName: "TAG", help: "Add a tag (repeatable).",
                  isRepeatable: true),
            .init(name: "--remove-tag", valueName: "TAG", help: "Remove a tag (repeatable).",
                  isRepeatable: true),
            .init(name: "--reviewed", valueName: "true|false", help: "The review status."),
            .init(name: "--description", valueName: "TEXT", help: "Free text."),
            .init(name: "--property", valueName: "NAME=VALUE|NAME=",
                  help: "Set a contextual property, or remove it with an empty value.",
                  isRepeatable: true),
        ],
        example: "perimeter assets update DC-01 --criticality 95 --add-tag crown")

    /// `--criticality` as the API's JSON value (a whole number, or null for
    /// `none` in any case); nil when not given. A bad value is told in the
    /// command line's words, not the API's.
    private static func criticalityJSON(_ arguments: ParsedArguments) throws -> Any? {
        guard let text = arguments.value("--criticality") else { return nil }
        if text.lowercased() == "none" { return NSNull() }
        guard let value = Criticality.wholeNumber(text) else {
            throw UsageError("'--criticality' takes 0-100 or none, not '\(text)'")
        }
        return value
    }

    static func update(_ raw: [String]) throws -> Int32 {
        guard let arguments = try updateSpec.parse(raw) else { return 0 }
        guard arguments.positionals.count == 1 else { throw UsageError("give one asset") }
        var patch: [String: Any] = [:]
        if let name = arguments.value("--name") { patch["name"] = name }
        if let value = try criticalityJSON(arguments) { patch["criticality"] = value }
        if let text = arguments.value("--subcategory") {
            patch["subcategory"] = text == "none" ? NSNull() : text
        }
        if !arguments.all("--add-tag").isEmpty { patch["add_tags"] = arguments.all("--add-tag") }
        if !arguments.all("--remove-tag").isEmpty {
            patch["remove_tags"] = arguments.all("--remove-tag")
        }
        if let reviewed = try arguments.bool("--reviewed") { patch["reviewed"] = reviewed }
        if let text = arguments.value("--description") { patch["description"] = text }
        var properties: [String: Any] = [:]
        for item in arguments.all("--property") {
            guard let equals = item.firstIndex(of: "=") else {
                throw UsageError("'--property' takes NAME=VALUE, not '\(item)'")
            }
            let value = String(item[item.index(after: equals)...])
            properties[String(item[..<equals])] = value.isEmpty ? NSNull() : value
        }
        if !properties.isEmpty { patch["properties"] = properties }
        guard !patch.isEmpty else { throw UsageError("nothing to change: give an option") }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: patch), as: UTF8.self)
        let editor = try editor(arguments)
        let reference = arguments.positionals[0]
        let asset = try wait {
            try await editor.update(reference, patchJSON: json, propertiesAreText: true)
        }
        print(asset.id.lowercasedText)
        return 0
    }

    // MARK: - assets revoke / unrevoke

    static func revokeSpec(_ revoking: Bool) -> CommandSpec {
        CommandSpec(
            name: revoking ? "assets revoke" : "assets unrevoke",
            summary: revoking
                ? "Revoke an asset: it leaves the views and stops matching events; its "
                    + "history stays and it can be unrevoked."
                : "Undo a revocation.",
            usage: "assets \(revoking ? "revoke" : "unrevoke") ASSET",
            options: CommonOptions.store,
            example: "perimeter assets \(revoking ? "revoke" : "unrevoke") old-laptop")
    }

    static func revoke(_ raw: [String], revoking: Bool) throws -> Int32 {
        let spec = revokeSpec(revoking)
        guard let arguments = try spec.parse(raw) else { return 0 }
        guard arguments.positionals.count == 1 else { throw UsageError("give one asset") }
        let editor = try editor(arguments)
        let reference = arguments.positionals[0]
        let started = EventTime(Date())
        let asset = try wait { try await editor.setRevoked(reference, revoking) }
        print(asset.id.lowercasedText)
        if !revoking {
            // Discovery (or a person) may have given its exclusive atoms to
            // another asset while it was revoked: both now match the events
            // that name them, and each clash is a conflict.
            let store = try CommonOptions.openStore(arguments)
            let clashes = try store.conflicts(involving: asset.id)
                .filter { $0.reason == Inventory.unrevokedClash && $0.at >= started }
            if !clashes.isEmpty {
                var names: [AssetID: String] = [:]
                for other in Set(clashes.flatMap(\.assets)) where other != asset.id {
                    names[other] = try store.asset(id: other, community: asset.community)?.name
                }
                let described = clashes.map { clash in
                    "\(clash.key.atom.type.rawValue):\(clash.key.atom.value) with "
                        + clash.assets.filter { $0 != asset.id }
                            .map { names[$0] ?? $0.lowercasedText }.joined(separator: ", ")
                }
                Terminal.note("note: other live assets hold atoms of '\(asset.name)' too ("
                              + described.joined(separator: "; ") + "): recorded as "
                              + "\(Formatting.count(clashes.count, "conflict")); events naming "
                              + "them now match both")
            }
            // An asset of the same name that shares none of its atoms is no
            // conflict, but reads as the same machine in every list.
            var query = AssetQuery(community: asset.community)
            query.text = asset.name
            query.categories = [asset.category]
            query.limit = 100
            let namesakes = try store.assets(matching: query).assets
                .filter { $0.id != asset.id && $0.name.lowercased() == asset.name.lowercased() }
            if !namesakes.isEmpty {
                Terminal.note("note: \(Formatting.count(namesakes.count, "other live asset")) "
                              + "\(namesakes.count == 1 ? "is" : "are") named '\(asset.name)' ("
                              + namesakes.map { $0.id.lowercasedText }.joined(separator: ", ")
                              + ")")
            }
        }
        return 0
    }

    // MARK: - assets bulk

    static let bulkSpec = CommandSpec(
        name: "assets bulk", summary: "Apply one action to many assets, in chunks of 1,000 "
            + "per transaction, with progress: explicit assets (--id) or a filter.",
        usage: "assets bulk --action ACTION [--tag T] [--criticality N|none] "
            + "[--reviewed true|false] (--id ASSET [--id ASSET...] | --filter JSON)",
        options: CommonOptions.store + [
            .init(name: "--action", valueName: "ACTION",
                  help: "add_tags, remove_tags, revoke, unrevoke, set_criticality, set_reviewed."),
            .init(name: "--tag", valueName: "TAG", help: "For add_tags/remove_tags (repeatable).",
                  isRepeatable: true),
            .init(name: "--criticality", valueName: "0-100|none", help: "For set_criticality."),
            .init(name: "--reviewed", valueName: "true|false", help: "For set_reviewed."),
            .init(name: "--id", valueName: "ASSET", help: "An asset (repeatable).",
                  isRepeatable: true),
            .init(name: "--filter", valueName: "JSON",
                  help: "The API's filter object, e.g. {\"category\": \"host\", \"tag\": [\"lab\"]}."),
        ],
        example: "perimeter assets bulk --action set_criticality --criticality 80 "
            + "--filter '{\"tag\": [\"domain-controller\"]}'",
        takesArguments: false)

    static func bulk(_ raw: [String]) throws -> Int32 {
        guard let arguments = try bulkSpec.parse(raw) else { return 0 }
        guard let action = arguments.value("--action") else {
            throw UsageError("give '--action'")
        }
        // The option an action needs, named as the command line names it
        // (the request checks it too, but names the API's field).
        let needed = ["add_tags": ("--tag", "TAG"), "remove_tags": ("--tag", "TAG"),
                      "set_criticality": ("--criticality", "0-100|none"),
                      "set_reviewed": ("--reviewed", "true|false")]
        if let (option, value) = needed[action], arguments.all(option).isEmpty {
            throw UsageError("'--action \(action)' needs '\(option) \(value)'")
        }
        var request: [String: Any] = ["action": action]
        if !arguments.all("--tag").isEmpty { request["tags"] = arguments.all("--tag") }
        if let value = try criticalityJSON(arguments) { request["criticality"] = value }
        if let reviewed = try arguments.bool("--reviewed") { request["reviewed"] = reviewed }
        switch (arguments.all("--id").isEmpty, arguments.value("--filter")) {
        case (false, nil): request["ids"] = arguments.all("--id")
        case (true, let text?):
            guard let filter = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
                  filter is [String: Any] else {
                throw UsageError(#"'--filter' must be a JSON object, such as '{"tag": ["lab"]}' "#
                                 + "('{}' selects every asset)")
            }
            if let key = InventoryEditor.repeatedKey(in: text) {
                throw UsageError("'--filter' gives '\(key)' twice; which one was meant?")
            }
            request["filter"] = filter
        default: throw UsageError("give either '--id' (repeatable) or '--filter'")
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request),
                          as: UTF8.self)
        let editor = try editor(arguments)
        // Ctrl-C stops between two chunks, each committed whole: the job
        // ends there, failed, saying how far it went; it is not left for a
        // server to finish later.
        let stop = StopRequest()
        let interruption = Interruption(
            stopping: stop, note: "stopping after the chunk in hand (again to quit at once)")
        defer { interruption.cancel() }
        let (job, abandoned) = try wait {
            try await editor.bulk(requestJSON: json, isStopRequested: { stop.isRequested }) { job in
                Terminal.progress("\(Formatting.count(job.done)) / \(Formatting.count(job.total))")
            }
        }
        Terminal.endProgress()
        for stale in abandoned {
            Terminal.note("job \(stale.id) (\(stale.action)), left unfinished by a command line "
                          + "that was killed, is marked failed after \(Formatting.count(stale.done)) "
                          + "of \(Formatting.count(stale.total, "asset"))")
        }
        print("job \(job.id): \(job.status.rawValue); \(Formatting.count(job.changed)) of "
              + "\(Formatting.count(job.total, "asset")) changed")
        // A job that succeeded may still have left some assets as they were.
        if let note = job.error { Terminal.note(note) }
        if let signalNumber = interruption.signalNumber { return 128 + signalNumber }
        return job.status == .succeeded ? 0 : 1
    }

    // MARK: - atoms confirm / reject

    static func curateSpec(_ confirming: Bool) -> CommandSpec {
        CommandSpec(
            name: confirming ? "atoms confirm" : "atoms reject",
            summary: confirming
                ? "Confirm an atom as a detection property of an asset."
                : "Reject an atom for an asset: discovery never attaches it to it again.",
            usage: "atoms \(confirming ? "confirm" : "reject") ASSET TYPE=VALUE",
            options: CommonOptions.store,
            example: "perimeter atoms \(confirming ? "confirm" : "reject") laptop-12 ipv4=10.0.0.7")
    }

    static func curate(_ raw: [String], confirming: Bool) throws -> Int32 {
        let spec = curateSpec(confirming)
        guard let arguments = try spec.parse(raw) else { return 0 }
        guard arguments.positionals.count == 2,
              let equals = arguments.positionals[1].firstIndex(of: "=") else {
            throw UsageError("give an asset and TYPE=VALUE")
        }
        let item = arguments.positionals[1]
        let type = String(item[..<equals])
        let value = String(item[item.index(after: equals)...])
        let reference = arguments.positionals[0]
        let editor = try editor(arguments)
        try wait { try await editor.curate(reference, type: type, value: value,
                                           confirming: confirming) }
        print(confirming ? "confirmed" : "rejected")
        return 0
    }

    // MARK: - properties

    static let propertiesSpec = CommandSpec(
        name: "properties", summary: "List contextual property definitions (defaults per "
            + "category and custom ones), define, rename or remove custom ones. Properties are "
            + "shown to every analyst of the community: no secrets.",
        usage: "properties list | define NAME --category C --type T | rename NAME NEW --category C "
            + "| remove NAME --category C",
        options: CommonOptions.store + [
            .init(name: "--category", valueName: "CATEGORY", help: "account, host or network."),
            .init(name: "--type", valueName: "TYPE", help: "string, number, boolean or list."),
        ],
        example: "perimeter properties list\n"
            + "perimeter properties define cost_center --category host --type string\n"
            + "perimeter properties rename cost_center budget_code --category host\n"
            + "perimeter properties remove budget_code --category host")

    static func properties(_ raw: [String]) throws -> Int32 {
        let arguments = try ParsedArguments(raw, spec: propertiesSpec)
        if arguments.wantsHelp || arguments.positionals.isEmpty {
            print(propertiesSpec.help)
            return arguments.wantsHelp ? 0 : 2
        }
        // Defining a property may come before the first ingest; listing
        // does not make a store at a mistyped path.
        let editor = try editor(arguments, creatingStore: arguments.positionals[0] != "list")
        let words = arguments.positionals
        func category() throws -> AssetCategory {
            guard let text = arguments.value("--category") else {
                throw UsageError("give '--category'")
            }
            return try parsingArgument { () throws(ModelError) in try AssetCategory(parsing: text) }
        }
        switch (words[0], words.count) {
        case ("list", 1):
            for definition in try wait({ try await editor.properties() }) {
                print([definition.category.rawValue, definition.name, definition.type.rawValue,
                       definition.isDefault ? "default" : "custom"].joined(separator: "\t"))
            }
        case ("define", 2):
            guard let typeName = arguments.value("--type"),
                  let type = PropertyType(rawValue: typeName) else {
                throw UsageError("'--type' must be string, number, boolean or list")
            }
            let definition = PropertyDefinition(name: words[1], type: type, category: try category())
            try wait { try await editor.define(definition) }
            print("defined the \(definition.category.rawValue) property '\(definition.name)' "
                  + "(\(type.rawValue))")
        case ("rename", 3):
            let category = try category()
            try wait { try await editor.renameProperty(words[1], to: words[2], category: category) }
            print("renamed the \(category.rawValue) property '\(words[1])' to '\(words[2])'")
        case ("remove", 2):
            let category = try category()
            let keeping = try wait { try await editor.removeProperty(words[1], category: category) }
            print("removed the \(category.rawValue) property '\(words[1])'")
            if keeping > 0 {
                Terminal.note("note: \(Formatting.count(keeping, "asset")) keep\(keeping == 1 ? "s" : "") "
                              + "a value of it (exports list it and import back unchanged; "
                              + "'assets update NAME --property \(words[1])=' removes one)")
            }
        default:
            throw UsageError("expected list, define NAME, rename NAME NEW or remove NAME")
        }
        return 0
    }

    // MARK: - audit

    static let auditSpec = CommandSpec(
        name: "audit", summary: "The audit trail: every change with who, when, what, before "
            + "and after; of the community, or of one asset.",
        usage: "audit [--asset ASSET] [--limit N] [--before ID | --after ID] [--json]",
        options: CommonOptions.store + [
            .init(name: "--asset", valueName: "ASSET", help: "Only this asset's changes."),
            .init(name: "--limit", valueName: "N",
                  help: "The latest N entries, oldest first (default 100; 0: all)."),
            .init(name: "--before", valueName: "ID",
                  help: "The N entries before entry ID instead (each line's first column), "
                      + "to read back."),
            .init(name: "--after", valueName: "ID",
                  help: "The N entries after entry ID instead, to read on."),
            .init(name: "--json", valueName: nil, help: "One JSON object per line."),
        ],
        example: "perimeter audit --asset DC-01",
        takesArguments: false)

    static func audit(_ raw: [String]) throws -> Int32 {
        guard let arguments = try auditSpec.parse(raw) else { return 0 }
        let given = try arguments.int("--limit", in: 0...100_000) ?? 100
        let limit = given == 0 ? Int(Int32.max) : given
        let after = try arguments.int("--after", in: 0...Int.max).map(Int64.init)
        let before = try arguments.int("--before", in: 0...Int.max).map(Int64.init)
        if after != nil && before != nil {
            throw UsageError("'--before' and '--after' read from opposite ends; give one")
        }
        let community = try CommonOptions.community(arguments)
        // A read: no writer lock and no inventory, so the trail can be
        // read while an ingest or the server writes the store.
        let store = try CommonOptions.openStore(arguments)
        var asset: AssetID?
        if let reference = arguments.value("--asset") {
            do {
                asset = try store.asset(named: reference, community: community).id
            } catch let error as StoreError where error.code == .notFound {
                let holders = try AtomsCommand.assetsHolding(reference, store: store,
                                                             community: community)
                guard holders.count == 1 else { throw error }
                throw InventoryEditor.notFound(error, butHeldBy: holders[0], as: reference)
            }
        }
        let entries = try store.auditTrail(community: community, asset: asset,
                                           afterID: after ?? 0, beforeID: before ?? .max,
                                           latest: after == nil, limit: limit)
        // A header as the other tables have, where a person reads it.
        if !arguments.flag("--json") && !entries.isEmpty {
            print(["ID", "AT", "ASSET", "ACTOR", "ACTION", "BEFORE", "AFTER"]
                .joined(separator: "\t"))
        }
        if entries.isEmpty { Terminal.note("no change recorded") }
        for entry in entries {
            let record = entry.record
            if arguments.flag("--json") {
                print(AssetJSON.line(AssetJSON.auditObject(entry)))
            } else {
                // The id first: `--before ID` and `--after ID` page from it.
                print([String(entry.id), record.at.description, record.asset.lowercasedText,
                       record.actor, record.action, record.before ?? "-", record.after ?? "-"]
                    .joined(separator: "\t"))
            }
        }
        return 0
    }
}

/// A value handed back from a task to the waiting command thread.
final class ResultBox<T>: @unchecked Sendable {
    // @unchecked: written by the task before it signals, read after the
    // semaphore wait (ServeCommand.blocking orders the two).
    var value: T?
}
