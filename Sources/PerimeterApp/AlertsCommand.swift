import Foundation
import PerimeterDetection
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// `perimeter alerts list|close`: the alerts that detection raised during ingest.
enum AlertsCommand {
    static let listSpec = CommandSpec(
        name: "alerts list",
        summary: "List the alerts of a community, most urgent first, then latest first.",
        usage: "alerts list [--rule ID] [--asset UUID|NAME] [--min-urgency N] "
            + "[--max-urgency N] [--since TIME] [--until TIME] [--status open|closed] "
            + "[--limit N] [--json]",
        options: CommonOptions.store + [
            .init(name: "--rule", valueName: "ID", help: "Alerts of this rule id."),
            .init(name: "--asset", valueName: "UUID|NAME",
                  help: "Alerts about this asset (uuid, or name in any case); when no alert "
                      + "names it, the assets holding it as an atom (a short hostname, "
                      + "an address)."),
            .init(name: "--min-urgency", valueName: "N", help: "Urgency at least N (0–100)."),
            .init(name: "--max-urgency", valueName: "N", help: "Urgency at most N (0–100)."),
            .init(name: "--since", valueName: "TIME",
                  help: "Alerts whose last match is at or after TIME (RFC 3339, event time)."),
            .init(name: "--until", valueName: "TIME",
                  help: "Alerts whose first match is at or before TIME."),
            .init(name: "--status", valueName: "STATUS", help: "open or closed."),
            .init(name: "--limit", valueName: "N",
                  help: "At most N alerts, the most urgent (default 100; 0: all)."),
            .init(name: "--json", valueName: nil,
                  help: "One JSON object per alert per line, with its first and last "
                      + "enriched events."),
        ],
        example: "perimeter alerts list --min-urgency 75 --since 2024-05-01T00:00:00Z",
        takesArguments: false)

    static let closeSpec = CommandSpec(
        name: "alerts close",
        summary: "Close open alerts: later matches of their rule on their assets open new ones. "
            + "Who closed an alert (cli), when and why are kept with it; while `perimeter "
            + "serve` runs, close alerts through its API (POST /v1/alerts/ID/close).",
        usage: "alerts close ID... [--reason TEXT]",
        options: CommonOptions.store + [
            .init(name: "--reason", valueName: "TEXT",
                  help: "Why (a false positive, a ticket number); kept with each alert."),
        ],
        example: "perimeter alerts close 42 43 --reason 'admin maintenance, ticket 1234'")

    static let showSpec = CommandSpec(
        name: "alerts show",
        summary: "One alert whole: its rule, urgency, assets, closing, and its first and last "
            + "enriched events (one line each, as stored).",
        usage: "alerts show ID [--json]",
        options: CommonOptions.store + [
            .init(name: "--json", valueName: nil, help: "The alert as one JSON object."),
        ],
        example: "perimeter alerts show 42")

    static func run(_ raw: [String]) throws -> Int32 {
        try Subcommands(
            "alerts",
            help: { help },
            [("list", list), ("show", show), ("close", close)]).run(raw)
    }

    static let help = """
        Work with the alerts that detection raised during ingest.

        Usage: perimeter alerts COMMAND [OPTIONS]   (perimeter alerts COMMAND --help)

          list      List alerts, most urgent first, with filters (rule, asset, urgency, time,
                    status)
          show      Show one alert whole, with its first and last enriched events
          close     Close open alerts, keeping who, when and why

        Example:
          perimeter alerts list --status open --min-urgency 75
        """

    static func show(_ raw: [String]) throws -> Int32 {
        guard let arguments = try showSpec.parse(raw) else { return 0 }
        guard arguments.positionals.count == 1,
              let id = StoredAlert.id(parsing: arguments.positionals[0]) else {
            throw UsageError("give the id of one alert, as 'alerts list' shows it")
        }
        let community = try CommonOptions.community(arguments)
        let store = try CommonOptions.openStore(arguments)
        guard let alert = try store.alert(id: id, community: community) else {
            Terminal.error("no alert \(id) in community '\(community)'")
            return 1
        }
        if arguments.flag("--json") {
            print(AlertJSON.line(alert))
            return 0
        }
        var lines = [
            "alert \(id): \(alert.ruleTitle)",
            "  rule        \(alert.ruleID) (level \(alert.level))",
            "  urgency     \(alert.urgency) \(UrgencyPolicy.label(of: alert.urgency))",
            "  matches     \(alert.count), from \(alert.firstTime) to \(alert.lastTime)",
        ]
        if let entity = alert.entity { lines.append("  entity      \(entity)") }
        switch (alert.status, alert.closure) {
        case (.open, _): lines.append("  status      open")
        case (.closed, let closure?):
            lines.append("  status      closed by \(closure.by) at \(closure.at)"
                         + (closure.reason.map { ": \(Terminal.oneLine($0))" } ?? ""))
        case (.closed, nil): lines.append("  status      closed")
        }
        lines.append("  assets")
        for asset in displayOrder(alert.assets) {
            lines.append("    \(asset.name) (\(asset.category.rawValue), "
                         + (asset.criticality.map { "criticality \($0)" } ?? "unrated")
                         + ") \(asset.uuid)")
        }
        if alert.assets.isEmpty { lines.append("    (none)") }
        // As stored, one line each (for jq): the assets above are what
        // their `sekoiaio` members say.
        lines.append("  first event")
        lines.append("    " + alert.firstEvent)
        if alert.count > 1 {
            lines.append("  last event")
            lines.append("    " + alert.lastEvent)
        }
        print(Terminal.readable(lines.joined(separator: "\n")))
        return 0
    }

    static func list(_ raw: [String]) throws -> Int32 {
        guard let arguments = try listSpec.parse(raw) else { return 0 }
        let low = try arguments.int("--min-urgency", in: 0...100)
        let high = try arguments.int("--max-urgency", in: 0...100)
        if let low, let high, low > high {
            throw UsageError("'--min-urgency' (\(low)) is above '--max-urgency' (\(high))")
        }
        var status: StoredAlert.Status?
        if let text = arguments.value("--status") {
            guard let parsed = StoredAlert.Status(rawValue: text) else {
                throw UsageError("unknown status '\(text)'; expected open or closed")
            }
            status = parsed
        }
        func time(_ option: String) throws -> EventTime? {
            try arguments.value(option).map { try CommonOptions.time($0, option: option) }
        }
        if arguments.value("--asset")?.isEmpty == true {
            throw UsageError("'--asset' needs an asset's uuid or name")
        }
        let reference = arguments.value("--asset")
        var query = AlertQuery(
            community: try CommonOptions.community(arguments), ruleID: arguments.value("--rule"),
            assets: reference.map { [$0] } ?? [],
            urgency: (low != nil || high != nil) ? (low ?? 0)...(high ?? 100) : nil,
            since: try time("--since"), until: try time("--until"),
            status: status, limit: 0)
        // One more than shown, to say when more match (0: all of them).
        let limit = try arguments.int("--limit", in: 0...1_000_000) ?? 100
        query.limit = limit == 0 ? Int(Int32.max) : limit + 1
        let store = try CommonOptions.openStore(arguments)
        var alerts = try store.alerts(matching: query)
        // Alerts keep the names their assets had, so an erased or renamed
        // asset still finds its alerts; only an empty answer looks the
        // reference up in the inventory: an atom (the short name of a host
        // named by its fqdn, an address, an account's user name) finds the
        // alerts of the assets holding it, and nothing at all is a typo.
        var unknown: StoreError?
        var holderNames: [String] = []
        if alerts.isEmpty, let reference {
            do {
                _ = try store.asset(named: reference, community: query.community)
            } catch let error as StoreError where error.code == .notFound {
                let holders = try AtomsCommand.assetsHolding(reference, store: store,
                                                             community: query.community)
                if holders.isEmpty {
                    unknown = error
                } else {
                    query.assets = holders.map(\.id.lowercasedText)
                    alerts = try store.alerts(matching: query)
                    holderNames = holders.map(\.name)
                }
            } catch {
                // Several assets have the name: it is no typo.
            }
        }
        if alerts.isEmpty { try CommonOptions.noteAnEmptyCommunity(query.community, in: store) }
        let isCut = limit > 0 && alerts.count > limit
        if isCut { alerts.removeLast(alerts.count - limit) }
        if arguments.flag("--json") {
            for alert in alerts { print(AlertJSON.line(alert)) }
        } else {
            print(Terminal.readable(table(alerts)))
        }
        // On standard error, so that --json output stays one alert a line.
        if isCut {
            Terminal.note("more alerts match: these are the \(limit) most urgent "
                          + "(--limit 0 gives all)")
        }
        if let unknown {
            // An atom events named that no asset holds (an outside address)
            // is no typo: it is said so, as `atoms show` would.
            let seen = try AtomsCommand.normalizedCandidates(reference ?? "",
                                                             types: AtomType.allCases)
                .contains { try !store.weeklyActivity(of: $0, community: query.community).isEmpty }
            Terminal.note("note: the inventory has \(unknown.message) either, and "
                          + (seen ? "events name it as an atom that no asset holds (see "
                                + "'atoms show'): an alert is about assets"
                             : "no atom of that value; check the name (--asset takes an "
                                + "asset's uuid or name, or an atom it holds)"))
        } else if !holderNames.isEmpty {
            Terminal.note("note: no asset is named '\(reference ?? "")'; these are the alerts "
                          + "of the assets holding it as an atom: "
                          + holderNames.joined(separator: ", "))
        }
        return 0
    }

    /// An alert's assets as a person reads them: the most critical first,
    /// unrated last, then by name. (Stored in enrichment's order, whose
    /// ties go by uuid: two runs of the demo listed `CORP\frank, WS-06`
    /// and `WS-06, CORP\frank`.)
    static func displayOrder(_ assets: [AlertAsset]) -> [AlertAsset] {
        assets.sorted { a, b in
            switch (a.criticality, b.criticality) {
            case let (x?, y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.name.lowercased() < b.name.lowercased()
            }
        }
    }

    static func table(_ alerts: [StoredAlert]) -> String {
        guard !alerts.isEmpty else { return "no alerts" }
        var lines = ["ID      URGENCY      COUNT  LAST MATCH                RULE / ASSETS"]
        for alert in alerts {
            let urgency = "\(alert.urgency) \(UrgencyPolicy.label(of: alert.urgency))"
            let assets = alert.assets.isEmpty ? "(no asset)"
                : displayOrder(alert.assets).map { asset in
                    asset.name + (asset.criticality.map { " [\($0)]" } ?? "")
                }.joined(separator: ", ")
            lines.append(pad(String(alert.id ?? 0), 8) + pad(urgency, 13)
                         + pad(String(alert.count), 7) + pad(alert.lastTime.description, 26)
                         + AssetTable.clip(alert.ruleTitle, 60)
                         + (alert.status == .closed
                            ? " (closed" + (alert.closure.map { " by \($0.by)" } ?? "") + ")"
                            : ""))
            lines.append(String(repeating: " ", count: 54) + AssetTable.clip(assets, 60))
        }
        lines.append("\(alerts.count) alert(s)")
        return lines.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0)
    }

    static func close(_ raw: [String]) throws -> Int32 {
        guard let arguments = try closeSpec.parse(raw) else { return 0 }
        guard !arguments.positionals.isEmpty else {
            throw UsageError("give the ids of the alerts to close, as 'alerts list' shows them")
        }
        var ids: [Int64] = []
        for text in arguments.positionals {
            guard let id = StoredAlert.id(parsing: text) else {
                throw UsageError("'\(text)' is not an alert id (a number, as 'alerts list' "
                                 + "shows it)")
            }
            if !ids.contains(id) { ids.append(id) }
        }
        let reason = arguments.value("--reason").flatMap(StoredAlert.Closure.reason(given:))
        if let reason, StoredAlert.Closure.length(of: reason) > StoredAlert.Closure.reasonLimit {
            throw UsageError("'--reason' is longer than \(StoredAlert.Closure.reasonLimit) "
                             + "characters (\(StoredAlert.Closure.length(of: reason)))")
        }
        let community = try CommonOptions.community(arguments)
        // A running ingest or server holds the open alerts in memory and
        // would add its next matches to the closed one: one writer at a time.
        // An alert is in a store that exists: none is made at a typo.
        let (store, lock) = try CommonOptions.openStoreForWriting(arguments, creating: false)
        defer { withExtendedLifetime(lock) {} }
        let closure = StoredAlert.Closure(at: EventTime(Date()), by: CommonOptions.commandLineActor,
                                          reason: reason)
        var failed = false
        for id in ids {
            if try store.closeAlert(id: id, community: community, closure: closure) {
                print("closed alert \(id)")
                continue
            }
            failed = true
            if let alert = try store.alert(id: id, community: community) {
                Terminal.error("alert \(id) was already closed" + (alert.closure.map {
                    ", by \($0.by) at \($0.at)"
                } ?? ""))
            } else {
                Terminal.error("cannot close alert \(id): no alert with this id in community "
                               + "'\(community)'")
            }
        }
        return failed ? 1 : 0
    }
}
