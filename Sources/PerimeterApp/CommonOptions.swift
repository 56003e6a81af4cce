import Foundation
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// The options every command that touches the store takes.
enum CommonOptions {
    static let store: [CommandSpec.Option] = [
        .init(name: "--db", valueName: "FILE",
              help: "The store (default: $PERIMETER_DB, else perimeter.db)."),
        .init(name: "--config", valueName: "FILE",
              help: "The configuration file (default: $PERIMETER_CONFIG)."),
        .init(name: "--community", valueName: "NAME", help: "The community (default: default)."),
    ]

    /// For the commands that judge an observed address expired or not:
    /// a replay of old events is read as of its own day.
    static let clock: CommandSpec.Option = .init(
        name: "--now", valueName: "TIME",
        help: "The time taken as now, for whether an observed address has expired (default: "
            + "the clock): a replay of old events read as of its day.")

    /// Who a change made from the command line is recorded as (audit
    /// trail, alert closings): `cli:` and the login name of the user who
    /// ran it, so that on a shared host the trail names a person; `cli`
    /// when the system gives no name.
    static let commandLineActor: String = {
        let name = ProcessInfo.processInfo.userName
        return name.isEmpty ? "cli" : "cli:" + name
    }()

    /// Why a path given on the command line names nothing to read: a link
    /// that leads nowhere, or round a loop, is not a missing file.
    static func whyNothingAt(_ path: String) -> String {
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil {
            return "a symbolic link that leads to nothing (or round a loop)"
        }
        return "no such file or folder"
    }

    /// `--now`, else the clock.
    static func now(_ arguments: ParsedArguments) throws -> EventTime {
        try arguments.value("--now").map { try time($0, option: "--now") } ?? EventTime(Date())
    }

    /// `--at TIME`, nil without it; `--at now` is the command's now, so
    /// `--now` fixes it too (it read the wall clock).
    static func at(_ arguments: ParsedArguments) throws -> EventTime? {
        guard let text = arguments.value("--at") else { return nil }
        return text == "now" ? try now(arguments) : try time(text, option: "--at")
    }

    /// The store's path; an empty `--db ""` is refused (SQLite reads it as
    /// a temporary database, thrown away at the end).
    static func databasePath(_ arguments: ParsedArguments) throws -> String {
        let path = arguments.value("--db") ?? environment("PERIMETER_DB") ?? "perimeter.db"
        guard !path.isEmpty else { throw UsageError("'--db' needs the path of the store file") }
        // SQLite's own names for a database in memory: everything written
        // there was lost when the command ended, and it said it was kept.
        guard path != ":memory:" else {
            throw UsageError("':memory:' is a store in memory, lost when the command ends; "
                             + "give the path of the store file (./:memory: for a file of that "
                             + "name)")
        }
        return path
    }

    static func configuration(_ arguments: ParsedArguments) throws -> PerimeterConfiguration {
        if arguments.value("--config") == "" { throw UsageError(emptyConfigurationPath) }
        let configuration = try PerimeterConfiguration.load(path: arguments.value("--config")
                                                            ?? environment("PERIMETER_CONFIG"))
        // The detection section is read by the commands that detect or
        // rate alerts; every command checks it, so that a file one command
        // refuses is not taken silently by another (`medium: 500` passed
        // `assets list` and failed `assets update`).
        _ = try DetectionSettings(configuration: configuration)
        return configuration
    }

    /// `--config ""` (an unset variable in a script) named no file and was
    /// told as ": cannot read the configuration file".
    static let emptyConfigurationPath = "'--config' needs a file path, not an empty text"

    /// An environment variable's value; set but empty (`PERIMETER_CONFIG=`)
    /// counts as unset, as shells mean it, not as a file named "".
    static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func community(_ arguments: ParsedArguments) throws -> String {
        let name = arguments.value("--community") ?? Scope.defaultCommunity
        try validateScopeName(name, kind: "community")
        return name
    }

    /// `--entity`, nil when not given. A name no entity can have (`../x`,
    /// "") matched nothing, or everything, without a word: refused, as the
    /// API refuses it.
    static func entity(_ arguments: ParsedArguments) throws -> String? {
        guard let name = arguments.value("--entity") else { return nil }
        try validateScopeName(name, kind: "entity")
        return name
    }

    /// The address expiry a view reads a store's timeline with: the one
    /// its events were read with (recorded by ingest and serve), else the
    /// configuration's. A configuration that says otherwise is noted: the
    /// intervals were cut, and events enriched, with the recorded one.
    static func addressExpiry(of store: InventoryStore, configured: Duration) throws -> Duration {
        guard let recorded = try store.recordedAddressExpiry() else { return configured }
        if recorded != configured {
            Terminal.note("observed addresses expire after \(Formatting.duration(recorded)) "
                          + "here, as the last ingest that read events into this store had it "
                          + "(timeline.address_expiry); this configuration says "
                          + "\(Formatting.duration(configured))")
        }
        return recorded
    }

    /// Says so on standard error when a community holds no asset at all,
    /// naming those that do: `--community acmee` answered "0 matching
    /// assets" like a filter that matched nothing.
    static func noteAnEmptyCommunity(_ community: String, in store: InventoryStore) throws {
        let known = try store.communitiesWithAssets()
        guard !known.contains(community) else { return }
        var note = "note: the community '\(community)' holds no asset"
        if !known.isEmpty {
            note += "; the store's communities: " + known.prefix(20).joined(separator: ", ")
                + (known.count > 20 ? " and \(known.count - 20) more" : "")
            if let near = NearestName.find(community, in: known) {
                note += " (did you mean '\(near)'?)"
            }
        }
        Terminal.note(note)
    }

    static func validateScopeName(_ name: String, kind: String) throws {
        if let problem = Scope.problem(withName: name) {
            throw UsageError("invalid \(kind) '\(name)': \(problem)")
        }
    }

    /// Opens the store. Commands that only read refuse a missing file
    /// rather than create an empty store at a mistyped path.
    static func openStore(_ arguments: ParsedArguments, creating: Bool = false) throws -> InventoryStore {
        let path = try databasePath(arguments)
        // Read even where nothing of it is used (`alerts list`, `tokens`):
        // a mistake in the file is named by every command, not by some.
        _ = try configuration(arguments)
        if !creating { try requireStore(at: path) }
        return try InventoryStore(path: path)
    }

    /// Refuses a store path where there is none: a command about assets
    /// that must exist would otherwise create an empty store at a typo.
    /// `madeBy`: what makes the store, for the message.
    static func requireStore(at path: String, madeBy: String = "an ingest creates it") throws {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw UsageError("no store at '\(path)' (\(madeBy); give the right --db)")
        }
        // An empty file is no store yet either: a read would make one in it.
        if status.st_mode & S_IFMT == S_IFREG && status.st_size == 0 {
            throw UsageError("no store at '\(path)': the file is empty (\(madeBy) there; give "
                             + "the right --db)")
        }
    }

    /// Opens the store for writing, holding the one-writer lock for as
    /// long as the returned lock lives. A rating changed through it
    /// re-rates the open alerts about the asset by the configuration's
    /// urgency formula (`detection.urgency`), of `configuration` when the
    /// command has read it already. `creating` false (a change to what a
    /// store already holds: an alert, an erasure) refuses a path where
    /// there is none, as `openStore` does.
    ///
    /// `raisesAlerts`: the command raises alerts with its configuration's
    /// urgency formula (an ingest with rules), which the store records;
    /// other commands re-rate open alerts with the recorded one, noting
    /// when theirs differs.
    static func openStoreForWriting(_ arguments: ParsedArguments,
                                    configuration given: PerimeterConfiguration? = nil,
                                    creating: Bool = true, raisesAlerts: Bool = false)
        throws -> (InventoryStore, StoreLock) {
        let path = try databasePath(arguments)
        if !creating { try requireStore(at: path) }
        let urgency = try DetectionSettings(configuration: given ?? configuration(arguments))
            .urgency
        let lock = try StoreLock(store: path)
        let store = try InventoryStore(path: path)
        let (_, differs) = try store.useUrgencyFormula(configured: urgency,
                                                       raisesAlerts: raisesAlerts)
        if differs { noteUrgencyFormula() }
        return (store, lock)
    }

    /// Said by a command that may re-rate open alerts with the formula the
    /// store recorded rather than its own configuration's.
    static func noteUrgencyFormula() {
        Terminal.note("open alerts are re-rated with the urgency formula they were raised with "
                      + "(the last ingest's or server's detection.urgency); this "
                      + "configuration's differs")
    }

    /// Parses `--now` / `--at` values: RFC 3339, or `now`.
    static func time(_ text: String, option: String) throws -> EventTime {
        if text == "now" { return EventTime(Date()) }
        guard let time = EventTime(parsing: text) else {
            throw UsageError("'\(option)' must be a time such as 2024-05-01T10:00:00Z or a day "
                             + "such as 2024-05-01 (its start, UTC), not '\(text)'")
        }
        return time
    }
}
