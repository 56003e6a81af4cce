import Foundation
import PerimeterEvents
import PerimeterInventory
import PerimeterModel
import PerimeterYAML

/// Everything an operator tunes, from one YAML file (SPEC §8): bounds,
/// strict modes, windows, placeholders, collector sources, lease sources,
/// retention. Per-community switches live in the store instead.
///
/// Every key is optional; the defaults are SPEC.md's and are listed in
/// `docs/configuration.md`. An unknown key is refused with its file and
/// line, so a typo never silently leaves a default in force.
public struct PerimeterConfiguration: Sendable {
    public var criticalityBounds = CriticalityBounds.standard
    public var inventory = InventorySettings()
    public var extraction = AtomExtractionOptions()
    public var publicSuffixListPath = PublicSuffixList.debianPath
    public var leaseSources = LeaseSource.builtIn
    /// Weekly activity buckets older than this are removed.
    public var activityRetentionWeeks = 52
    /// Atoms no asset claims are removed this long after their last sighting.
    public var unclaimedAtomRetention = Duration.days(30)
    /// Events per store transaction during ingest. Large, because every
    /// page a batch dirties is written to the log and copied into the
    /// store file once per batch, however many of its rows changed: over
    /// 1,000,000 assets, a first ingest of 1,000,000 events ran at 9,500
    /// events/s with 50,000 where 5,000 gave 6,100 and 25,000 gave 8,000
    /// (100,000 was no faster than 50,000 over 300,000 events). The cost:
    /// about 80 MB more memory for the changes of two batches in flight
    /// (the ingest's page cache was halved to make room), and up to that
    /// many events read again after a kill.
    public var batchSize = 50_000
    /// The size of SQLite's write-ahead log at which a checkpoint on a
    /// thread of its own copies it into the store file during an ingest
    /// (`WALCheckpointer`); nil leaves it to the command. Smaller keeps the
    /// log file small and makes reads search less of it; larger copies a
    /// page changed by several batches once, and makes the writer wait for
    /// a whole copy less often.
    public var checkpointMegabytes: Int?
    /// `perimeter ingest`'s default: its batches of 50,000 events write
    /// 180–420 MB of log each. Over a store of 1,000,000 assets (400,000
    /// events) it ingests 13,970 and 32,150 events/s in the bench's two
    /// runs against 12,135 and 27,890 with 64 MB; the log reaches about
    /// 1 GB plus a batch, as PostgreSQL's default `max_wal_size` allows.
    public static let batchIngestCheckpointMegabytes = 256
    /// The server's default: its intake commits chunks of 5,000 events, a
    /// few MB of log each, and a log of 1 GB made each page read search
    /// more of it (19,300–20,900 events/s over HTTP against 21,700).
    public static let serverCheckpointMegabytes = 64

    /// `checkpointMegabytes` as set, or the default of the server's intake
    /// or of `perimeter ingest`.
    public func checkpointMegabytes(forServerIntake: Bool) -> Int {
        checkpointMegabytes ?? (forServerIntake ? Self.serverCheckpointMegabytes
                                                : Self.batchIngestCheckpointMegabytes)
    }
    /// The raw YAML of sections other modules read (`detection`).
    public var sections: [String: YAMLNode] = [:]
    /// The file these settings were read from, for those modules' messages.
    public var file: String?

    public init() {}

    /// A path the file names, as the file means it: a relative one is
    /// relative to the file's folder, wherever the command runs (rules and
    /// the lease file were read from two different folders).
    public func resolve(_ path: String) -> String {
        guard let file, !path.hasPrefix("/") else { return path }
        return URL(fileURLWithPath: file).deletingLastPathComponent()
            .appendingPathComponent(path).standardizedFileURL.path
    }

    /// Reads the file at `path`; nil path gives the defaults.
    public static func load(path: String?) throws -> PerimeterConfiguration {
        var configuration = PerimeterConfiguration()
        guard let path else { return configuration }
        configuration.file = path
        let text = try ConfigurationError.text(ofFile: path, what: "the configuration file")
        let documents = try YAMLParser.parseDocuments(text, file: path)
        // A second document (`---`) would be read by nobody, its mistakes
        // with it.
        if documents.count > 1 {
            throw ConfigurationError(file: path, line: documents[1].mark.line, message:
                "a configuration file holds one YAML document; this one starts another")
        }
        guard let root = documents.first, !root.isNull else { return configuration }
        var reader = ConfigurationReader(file: path)
        try reader.apply(root, to: &configuration)
        return configuration
    }
}

/// A configuration value the loader refuses, with where it is.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }

    /// A YAML file's text, or the refusal that says why it cannot be read
    /// ("cannot read the configuration file: it is a folder").
    static func text(ofFile path: String, what: String) throws -> String {
        do {
            return try YAMLParser.readWholeFile(path)
        } catch {
            throw ConfigurationError(file: path, line: 0,
                                     message: "cannot read \(what): \(error.reason)")
        }
    }
}

private struct ConfigurationReader {
    let file: String

    func fail(_ node: YAMLNode, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.mark.line, message: message)
    }

    func mapping(_ node: YAMLNode, _ name: String, keys: [String]) throws -> [(String, YAMLNode)] {
        // A section that holds nothing but comments (`leases:` with its
        // keys commented out, as the sample in docs/configuration.md has
        // it) is YAML's null: every key of it at its default.
        if node.isNull { return [] }
        guard let mapping = node.mapping else {
            throw fail(node, "'\(name)' must be a mapping")
        }
        var result: [(String, YAMLNode)] = []
        for entry in mapping {
            guard let key = entry.key.string else { throw fail(entry.key, "keys must be text") }
            guard keys.contains(key) else {
                var message = "unknown key '\(key)' in '\(name)'; expected "
                    + ListFormatting.disjunction(keys)
                if let near = NearestName.find(key, in: keys) { message += " (did you mean '\(near)'?)" }
                throw fail(entry.key, message)
            }
            result.append((key, entry.value))
        }
        return result
    }

    func int(_ node: YAMLNode, _ name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = node.int, range.contains(value) else {
            throw fail(node, "'\(name)' must be a whole number from \(range.lowerBound) "
                       + "to \(range.upperBound), not \(node.quotedForMessage)")
        }
        return value
    }

    func bool(_ node: YAMLNode, _ name: String) throws -> Bool {
        guard let value = node.bool else {
            throw fail(node, "'\(name)' must be true or false, not \(node.quotedForMessage)")
        }
        return value
    }

    func duration(_ node: YAMLNode, _ name: String) throws -> Duration {
        guard let text = node.string, let value = Duration(parsing: text) else {
            throw fail(node, "'\(name)' must be a duration such as 90s, 15m, 24h, 7d or 52w "
                       + "(at most 1000000d), not \(node.quotedForMessage)")
        }
        return value
    }

    func strings(_ node: YAMLNode, _ name: String) throws -> [String] {
        do { return try node.texts() } catch { throw fail(error.node, error.message(naming: name)) }
    }

    mutating func apply(_ root: YAMLNode, to configuration: inout PerimeterConfiguration) throws {
        let sections = ["criticality", "atoms", "accounts", "timeline", "retention", "leases",
                        "ingest", "detection"]
        for (section, node) in try mapping(root, "configuration", keys: sections) {
            switch section {
            case "criticality":
                for (key, value) in try mapping(node, section, keys: ["medium_from", "high_from"]) {
                    let number = try int(value, "criticality.\(key)", in: 0...100)
                    if key == "medium_from" { configuration.criticalityBounds.mediumFrom = number }
                    else { configuration.criticalityBounds.highFrom = number }
                }
                let bounds = configuration.criticalityBounds
                // Each of low, medium and high holds a rating at least: an
                // empty one made `--criticality medium` a range that does
                // not exist (the process trapped, the server with it).
                guard 0 < bounds.mediumFrom, bounds.mediumFrom < bounds.highFrom else {
                    throw fail(node, "criticality.medium_from (\(bounds.mediumFrom)) must be "
                               + "above 0 and below criticality.high_from (\(bounds.highFrom)): "
                               + "low, medium and high each hold one rating at least")
                }
            case "atoms":
                try applyAtoms(node, to: &configuration)
            case "accounts":
                for (_, value) in try mapping(node, section, keys: ["strict"]) {
                    configuration.inventory.strictAccounts = try bool(value, "accounts.strict")
                }
            case "timeline":
                try applyTimeline(node, to: &configuration.inventory)
            case "retention":
                let keys = ["activity_weeks", "unclaimed_atoms", "unattached_atoms_in_memory"]
                for (key, value) in try mapping(node, section, keys: keys) {
                    switch key {
                    case "activity_weeks":
                        configuration.activityRetentionWeeks = try int(value, "retention.\(key)",
                                                                       in: 1...1040)
                    case "unclaimed_atoms":
                        configuration.unclaimedAtomRetention = try duration(value, "retention.\(key)")
                        // Zero forgot every unclaimed atom at the next pruning.
                        guard configuration.unclaimedAtomRetention.milliseconds > 0 else {
                            throw fail(value, "'retention.unclaimed_atoms' must be longer than 0s")
                        }
                    default:
                        configuration.inventory.unattachedAtomsKept = try int(
                            value, "retention.\(key)", in: 0...1_000_000_000)
                    }
                }
            case "leases":
                for (_, value) in try mapping(node, section, keys: ["sources_file"]) {
                    // Left empty (or ""), as `detection.placeholders_file`
                    // is: no file (it was read as the configuration's folder).
                    if value.isNull || value.string == "" { continue }
                    guard let path = value.string else {
                        throw fail(value, "'leases.sources_file' must be a file path, not "
                                   + value.quotedForMessage)
                    }
                    let resolved = configuration.resolve(path)
                    if let why = unreadablePath(resolved, key: "leases.sources_file") {
                        throw fail(value, why)
                    }
                    let extra = try LeaseSource.load(path: resolved)
                    configuration.leaseSources = LeaseSource.merge(configuration.leaseSources, extra)
                }
            case "ingest":
                for (key, value) in try mapping(node, section,
                                                keys: ["batch_size", "checkpoint_mb"]) {
                    if key == "batch_size" {
                        configuration.batchSize = try int(value, "ingest.batch_size",
                                                          in: 1...1_000_000)
                    } else {
                        configuration.checkpointMegabytes = try int(value, "ingest.checkpoint_mb",
                                                                    in: 1...4_096)
                    }
                }
            default:
                configuration.sections[section] = node
            }
        }
    }

    func applyAtoms(_ node: YAMLNode, to configuration: inout PerimeterConfiguration) throws {
        let keys = ["strict_hostnames", "extra_placeholders", "collector_sources",
                    "public_suffix_list"]
        for (key, value) in try mapping(node, "atoms", keys: keys) {
            switch key {
            case "strict_hostnames":
                configuration.extraction.strictHostnames = try bool(value, "atoms.\(key)")
            case "extra_placeholders":
                configuration.extraction.extraPlaceholders = try strings(value, "atoms.\(key)")
            case "public_suffix_list":
                guard let path = value.string, !path.isEmpty else {
                    throw fail(value, "'atoms.public_suffix_list' must be a file path, not "
                               + value.quotedForMessage)
                }
                let resolved = configuration.resolve(path)
                if let why = unreadablePath(resolved, key: "atoms.public_suffix_list") {
                    throw fail(value, why)
                }
                configuration.publicSuffixListPath = resolved
            default:
                var sources = CollectorSources.defaults
                let names = ["datasets", "modules", "input_types", "subject_host_datasets",
                             "relay_input_types", "replace"]
                var replace = false
                var lists: [String: [String]] = [:]
                for (name, list) in try mapping(value, "atoms.collector_sources", keys: names) {
                    if name == "replace" { replace = try bool(list, name) }
                    else { lists[name] = try strings(list, name) }
                }
                if replace { sources = .none }
                sources.datasets += lists["datasets"] ?? []
                sources.modules += lists["modules"] ?? []
                sources.inputTypes += lists["input_types"] ?? []
                sources.subjectHostDatasets += lists["subject_host_datasets"] ?? []
                sources.relayInputTypes += lists["relay_input_types"] ?? []
                configuration.extraction.collectorSources = sources
            }
        }
    }

    func applyTimeline(_ node: YAMLNode, to settings: inout InventorySettings) throws {
        let keys = ["lateness_window", "future_tolerance", "address_expiry",
                    "shared_address_hosts", "shared_address_window"]
        for (key, value) in try mapping(node, "timeline", keys: keys) {
            switch key {
            case "lateness_window": settings.latenessWindow = try duration(value, "timeline.\(key)")
            case "future_tolerance":
                settings.futureTolerance = try duration(value, "timeline.\(key)")
            case "address_expiry":
                // Zero would close every address the instant it is seen.
                settings.addressExpiry = try duration(value, "timeline.\(key)")
                guard settings.addressExpiry.milliseconds > 0 else {
                    throw fail(value, "'timeline.address_expiry' must be longer than 0s")
                }
            case "shared_address_hosts":
                settings.sharedAddressHosts = try int(value, "timeline.\(key)", in: 1...1_000_000)
            default:
                // Zero counted no move in any window: addresses never became
                // shared, without a word.
                settings.sharedAddressWindow = try duration(value, "timeline.\(key)")
                guard settings.sharedAddressWindow.milliseconds > 0 else {
                    throw fail(value, "'timeline.shared_address_window' must be longer than 0s (to "
                               + "keep addresses from becoming shared, raise shared_address_hosts)")
                }
            }
        }
    }
}

/// Why a path that a configuration key names cannot be read, nil when it
/// can: checked as the file is read, so that the refusal names the key and
/// its line (a missing rules folder was said without either, a folder
/// given as the lease sources file as "YAML parsing failed").
func unreadablePath(_ path: String, key: String, mayBeFolder: Bool = false) -> String? {
    var isFolder: ObjCBool = false
    let why: String
    if !FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
        why = "which does not exist"
    } else if isFolder.boolValue && !mayBeFolder {
        why = "which is a folder, not a file"
    } else if !FileManager.default.isReadableFile(atPath: path) {
        why = "which cannot be read (permissions)"
    } else {
        return nil
    }
    return "'\(key)' names '\(path)', \(why) (a relative path is read from the configuration "
        + "file's folder)"
}
