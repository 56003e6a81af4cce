import Foundation
import PerimeterEvents
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterServer
import PerimeterStore

/// `perimeter assets list|show|create|import`.
enum AssetsCommand {
    static func run(_ arguments: [String]) throws -> Int32 {
        try Subcommands("assets", help: { help }, [
            ("list", list), ("show", show), ("create", AssetCreation.create),
            ("import", AssetCreation.importFile), ("update", EditCommands.update),
            ("revoke", { try EditCommands.revoke($0, revoking: true) }),
            ("unrevoke", { try EditCommands.revoke($0, revoking: false) }),
            ("bulk", EditCommands.bulk),
        ]).run(arguments)
    }

    static let help = """
        Work with the inventory's assets.

        Usage: perimeter assets COMMAND [OPTIONS]   (perimeter assets COMMAND --help)

          list      List assets with filters and the count of matches
          show      Show one asset: properties, atoms with their intervals, activity
          create    Create one asset by hand
          import    Import assets from CSV, JSON lines or a JSON array
          update    Change an asset's fields
          revoke    Revoke an asset; unrevoke undoes it
          bulk      Change many assets at once (tags, criticality, review, revoke)

        Example:
          perimeter assets list --category host --criticality 68-100
        """

    // MARK: - list

    static let listSpec = CommandSpec(
        name: "assets list", summary: "List the assets that match every filter given, "
            + "with the number of matches.",
        usage: "assets list [FILTERS] [--json|--csv]",
        options: CommonOptions.store + [
            .init(name: "--criticality", valueName: "MIN-MAX",
                  help: "Criticality range, e.g. 68-100; low, medium or high (the list's "
                      + "labels); 'unrated' for unrated assets."),
            .init(name: "--tag", valueName: "TAG", help: "Holds this tag (repeatable: all of them).",
                  isRepeatable: true),
            .init(name: "--category", valueName: "CATEGORY",
                  help: "account, host or network (repeatable: any of them).", isRepeatable: true),
            .init(name: "--source", valueName: "SOURCE",
                  help: "automatic, manual, connector:NAME, or the discovery rule that made it "
                      + "(unique_hosts, unique_accounts, address_leases)."),
            .init(name: "--reviewed", valueName: "BOOL", help: "true or false."),
            .init(name: "--search", valueName: "TEXT", help: "Text in the name or an atom."),
            .init(name: "--entity", valueName: "NAME", help: "Only assets of this entity."),
            .init(name: "--revoked", valueName: nil, help: "Include revoked assets."),
            .init(name: "--sort", valueName: "KEY",
                  help: "name (default), criticality, last_seen or created_at."),
            .init(name: "--desc", valueName: nil, help: "Sort in descending order."),
            .init(name: "--limit", valueName: "N",
                  help: "At most N assets (default 50, and all with --csv, an export; 0: all)."),
            .init(name: "--offset", valueName: "N", help: "Skip the first N assets."),
            CommonOptions.clock,
            .init(name: "--json", valueName: nil, help: "One JSON object per asset per line."),
            .init(name: "--csv", valueName: nil,
                  help: "CSV with the import's columns, uuid first (edited, it imports back)."),
        ],
        example: "perimeter assets list --category host --tag VIP --criticality 68-100 --json")

    static func list(_ raw: [String]) throws -> Int32 {
        guard let arguments = try listSpec.parse(raw) else { return 0 }
        guard arguments.positionals.isEmpty else {
            throw UsageError("unexpected argument '\(arguments.positionals[0])'")
        }
        var configuration = try CommonOptions.configuration(arguments)
        var query = AssetQuery(community: try CommonOptions.community(arguments))
        query.entity = try CommonOptions.entity(arguments)
        if let range = arguments.value("--criticality") {
            if range.lowercased() == "unrated" {
                query.unratedOnly = true
            } else {
                query.criticality = try parseRange(range, bounds: configuration.criticalityBounds)
            }
        }
        query.tags = arguments.all("--tag")
        query.categories = try arguments.all("--category").map { name in
            try parsingArgument { () throws(ModelError) in try AssetCategory(parsing: name) }
        }
        if let source = arguments.value("--source"), !query.selectSource(source) {
            throw UsageError("unknown source '\(source)'; expected automatic, manual, "
                             + "connector:NAME or a discovery rule (unique_hosts…)")
        }
        query.reviewed = try arguments.bool("--reviewed")
        query.text = arguments.value("--search")
        query.includeRevoked = arguments.flag("--revoked")
        if let sort = arguments.value("--sort") {
            guard let key = AssetQuery.SortKey(rawValue: sort) else {
                throw UsageError("unknown sort key '\(sort)'; expected "
                                 + ListFormatting.disjunction(AssetQuery.SortKey.allCases.map(\.rawValue)))
            }
            query.sort = key
        }
        query.descending = arguments.flag("--desc")
        // A CSV is an export to edit and import back: cut at 50 rows, it
        // lost the rest with a note on standard error only.
        let limit = try arguments.int("--limit", in: 0...10_000_000)
            ?? (arguments.flag("--csv") ? 0 : 50)
        query.limit = limit == 0 ? nil : limit
        query.offset = try arguments.int("--offset", in: 0...Int.max) ?? 0

        if arguments.flag("--json") && arguments.flag("--csv") {
            throw UsageError("give --json or --csv, not both")
        }
        let store = try CommonOptions.openStore(arguments)
        configuration.inventory.addressExpiry = try CommonOptions.addressExpiry(
            of: store, configured: configuration.inventory.addressExpiry)
        if query.limit == nil, query.offset == 0, arguments.flag("--csv") || arguments.flag("--json") {
            return try exportAll(query, asCSV: arguments.flag("--csv"), from: store,
                                 configuration: configuration)
        }
        let (total, assets) = try store.assets(matching: query)
        let attachments = try store.attachments(ofAssets: assets.map(\.id))
        if total == 0 { try CommonOptions.noteAnEmptyCommunity(query.community, in: store) }
        // On standard error beside JSON or CSV, which may be piped into a file.
        func noteCount() {
            var note = Formatting.count(total, "matching asset")
            if assets.isEmpty && query.offset > 0 {
                note += " (none past the first \(Formatting.count(query.offset)))"
            } else if query.offset > 0 || query.offset + assets.count < total {
                note += " (these are \(query.offset + 1)–\(query.offset + assets.count); "
                    + "--limit 0 gives all)"
            }
            Terminal.note(note)
        }
        if arguments.flag("--csv") {
            print(AssetCSV.export(assets.map { ($0, attachments[$0.id] ?? []) }), terminator: "")
            noteCount()
            return 0
        }
        if arguments.flag("--json") {
            for asset in assets {
                print(AssetJSON.line(asset, attachments: attachments[asset.id] ?? [],
                                     bounds: configuration.criticalityBounds,
                                     addressExpiry: configuration.inventory.addressExpiry))
            }
            noteCount()
            return 0
        }
        print(Terminal.readable(AssetTable.render(
            assets, attachments: attachments, bounds: configuration.criticalityBounds,
            addressExpiry: configuration.inventory.addressExpiry,
            now: try CommonOptions.now(arguments))))
        let shown = assets.isEmpty ? "" : " (showing \(query.offset + 1)–\(query.offset + assets.count))"
        print(Formatting.count(total, "matching asset") + shown)
        return 0
    }

    /// Every matching asset as CSV or JSON lines, read and written a page
    /// at a time: read whole, a million assets and their atoms took
    /// gigabytes before the first line was out.
    private static func exportAll(_ query: AssetQuery, asCSV: Bool, from store: InventoryStore,
                                  configuration: PerimeterConfiguration) throws -> Int32 {
        // One read transaction: the count, the column names and the rows
        // come from the same state of the store, whatever an ingest does
        // meanwhile.
        try store.database.execute("BEGIN")
        defer { try? store.database.execute("COMMIT") }
        let total = try store.count(matching: query)
        if total == 0 { try CommonOptions.noteAnEmptyCommunity(query.community, in: store) }
        var columns: AssetCSV.Columns?
        if asCSV {
            var names = AssetCSV.ColumnNames()
            try store.forEachPage(matching: query) { assets in
                let attachments = try store.attachments(ofAssets: assets.map(\.id))
                for asset in assets { names.include(asset, attachments: attachments[asset.id] ?? []) }
            }
            columns = names.columns
            try Terminal.writeOutput(names.columns.header)
        }
        try store.forEachPage(matching: query) { assets in
            let attachments = try store.attachments(ofAssets: assets.map(\.id))
            var text = ""
            for asset in assets {
                if let columns {
                    text += AssetCSV.row(asset, attachments: attachments[asset.id] ?? [], columns)
                } else {
                    text += AssetJSON.line(asset, attachments: attachments[asset.id] ?? [],
                                           bounds: configuration.criticalityBounds,
                                           addressExpiry: configuration.inventory.addressExpiry)
                        + "\n"
                }
            }
            try Terminal.writeOutput(text)
        }
        Terminal.note(Formatting.count(total, "matching asset"))
        return 0
    }

    static func parseRange(_ text: String,
                           bounds: CriticalityBounds = .standard) throws -> ClosedRange<Int> {
        guard let range = AssetQuery.criticalityRange(text, bounds: bounds) else {
            throw UsageError("'--criticality' must be MIN-MAX within 0-100 (e.g. 68-100), "
                             + "a single value, low, medium, high or 'unrated', not '\(text)'")
        }
        return range
    }

    // MARK: - show

    static let showSpec = CommandSpec(
        name: "assets show", summary: "Show one asset: its fields, contextual properties, atoms "
            + "with their validity intervals, conflicts, weekly activity and audit trail.",
        usage: "assets show UUID|NAME|ATOM [--at TIME] [--now TIME] [--json]",
        options: CommonOptions.store + [
            .init(name: "--at", valueName: "TIME",
                  help: "The asset as it was then: its fields with the changes of its audit "
                      + "trail after then undone, the atoms it held then, and its activity, "
                      + "conflicts and trail up to then."),
            CommonOptions.clock,
            .init(name: "--json", valueName: nil,
                  help: "The asset as one JSON object: the fields of `assets list --json`, "
                      + "activity, conflicts (one per atom) and the whole audit trail."),
        ],
        example: "perimeter assets show DESKTOP-123 --at 2024-05-01T10:00:00Z")

    /// The asset of a uuid or a name or, when no asset has that name, the
    /// one asset holding it as an atom: an analyst types the short name of
    /// a host that discovery named by its fqdn, or an address. With `at`,
    /// the one holding it then: an address names several hosts over time.
    /// Without, the one holding it `now`, when others held it before (a
    /// DHCP address that moved was refused as ambiguous).
    private static func shownAsset(_ reference: String, store: InventoryStore, community: String,
                                   at time: EventTime?, now: EventTime,
                                   addressExpiry: Duration) throws -> Asset {
        do {
            return try store.asset(named: reference, community: community)
        } catch let error as StoreError where error.code == .notFound {
            let holders = try AtomsCommand.assetsHolding(reference, store: store,
                                                         community: community, at: time,
                                                         addressExpiry: addressExpiry)
            if time == nil && holders.count > 1 {
                let current = try AtomsCommand.assetsHolding(reference, store: store,
                                                             community: community, at: now,
                                                             addressExpiry: addressExpiry)
                if current.count == 1 {
                    Terminal.note("note: no asset is named '\(reference)'; showing "
                                  + "\(current[0].name), which holds it as an atom now ("
                                  + "\(holders.count - 1) other asset"
                                  + (holders.count == 2 ? "" : "s") + " held it before: "
                                  + "--at TIME for one of them)")
                    return current[0]
                }
            }
            guard let asset = holders.first else {
                guard let time else { throw error }
                throw StoreError(code: .notFound, message: "no asset is named '\(reference)', "
                                 + "and no asset held it as an atom at \(time)")
            }
            guard holders.count == 1 else {
                throw UsageError("no asset is named '\(reference)', and \(holders.count) assets "
                                 + (time == nil ? "hold or held" : "held") + " it as an atom: "
                                 + holders.map { "\($0.name) (\($0.id.lowercasedText))" }
                                     .joined(separator: ", ")
                                 + "; give one by uuid")
            }
            Terminal.note("note: no asset is named '\(reference)'; showing \(asset.name), which "
                          + (time.map { "held it as an atom at \($0)" }
                             ?? "holds or held it as an atom"))
            return asset
        }
    }

    static func show(_ raw: [String]) throws -> Int32 {
        guard let arguments = try showSpec.parse(raw) else { return 0 }
        guard arguments.positionals.count == 1 else {
            throw UsageError("give one asset, by uuid, name or an atom it holds")
        }
        var configuration = try CommonOptions.configuration(arguments)
        let store = try CommonOptions.openStore(arguments)
        configuration.inventory.addressExpiry = try CommonOptions.addressExpiry(
            of: store, configured: configuration.inventory.addressExpiry)
        let at = try CommonOptions.at(arguments)
        var asset = try shownAsset(arguments.positionals[0], store: store,
                                   community: try CommonOptions.community(arguments), at: at,
                                   now: try CommonOptions.now(arguments),
                                   addressExpiry: configuration.inventory.addressExpiry)
        var attachments = try store.attachments(ofAsset: asset.id)
        attachments += try store.rejectionsNeverHeld(by: asset, besides: attachments)
        var lastSeenIsLowerBound = false
        if let at {
            guard let past = try store.asItWas(asset, attachments: attachments, at: at,
                                               addressExpiry: configuration.inventory.addressExpiry)
            else {
                throw StoreError(code: .notFound, message: "'\(asset.name)' "
                                 + "(\(asset.id.lowercasedText)) did not exist yet at \(at)")
            }
            (asset, attachments) = (past.asset, past.attachments)
            lastSeenIsLowerBound = past.lastSeenIsLowerBound
        }
        let isBefore = { (time: EventTime) in at.map { time <= $0 } ?? true }
        var activity: [(Atom, [(EventTime, Int)])] = []
        for atom in Set(attachments.map(\.key.atom)).sorted() {
            activity.append((atom, try store.weeklyActivity(of: atom, community: asset.community)
                .filter { isBefore($0.0) }))
        }
        let conflicts = ConflictSummary.summaries(
            of: try store.conflicts(involving: asset.id).filter { isBefore($0.at) }, on: asset.id)
        if arguments.flag("--json") {
            var object = AssetJSON.object(asset, attachments: attachments,
                                          bounds: configuration.criticalityBounds,
                                          addressExpiry: configuration.inventory.addressExpiry)
            object["activity"] = activity.map { atom, weeks in
                ["type": atom.type.rawValue, "value": atom.value,
                 "weeks": weeks.map { ["week": $0.0.description, "events": $0.1] }] as [String: Any]
            }
            object["conflicts"] = conflicts.map(\.jsonObject)
            if let at {
                object["at"] = at.description
                object["last_seen_is_lower_bound"] = lastSeenIsLowerBound
            }
            // The whole trail, as `audit --asset --json` writes it.
            object["audit"] = try store.auditTrail(community: asset.community, asset: asset.id,
                                                   afterID: 0, latest: false,
                                                   limit: Int(Int32.max))
                .filter { isBefore($0.record.at) }
                .map(AssetJSON.auditObject)
            print(AssetJSON.line(object))
            return 0
        }
        // The other assets' names, for the few each conflict shows.
        var names: [AssetID: String] = [:]
        for summary in conflicts {
            for id in summary.others.prefix(ConflictSummary.assetsShown) where names[id] == nil {
                names[id] = try store.asset(id: id, community: asset.community)?.name
            }
        }
        let page = AssetPage.render(asset, attachments: attachments, activity: activity,
                                    conflicts: conflicts, names: names,
                                    audit: try store.audit(of: asset.id).filter { isBefore($0.at) },
                                    lastSeenIsLowerBound: lastSeenIsLowerBound,
                                    bounds: configuration.criticalityBounds,
                                    addressExpiry: configuration.inventory.addressExpiry,
                                    now: try CommonOptions.now(arguments))
        if let at {
            // Sighting times are not kept over time: the asset's last seen
            // then is worked out from its atoms' kept sightings, an atom's
            // own is today's.
            print("As it was at \(at): its fields then (the changes after then undone), the "
                  + "atoms it held then, its conflicts and changes up to then, and its activity "
                  + "by whole weeks up to the week holding then (that week counts all its "
                  + "events, later ones too). Its last seen is the latest sighting of its atoms "
                  + "kept up to then: an atom keeps its first and last sightings and, for an "
                  + "address, the recent ones of the lateness window, so for an asset seen again "
                  + "after then it may have been seen later than that (\"or later\"); the last "
                  + "seen shown beside each atom is the latest now, not then.\n")
        }
        print(Terminal.readable(page))
        return 0
    }
}
