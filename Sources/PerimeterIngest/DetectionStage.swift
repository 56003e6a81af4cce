import Foundation
import PerimeterDetection
import PerimeterEnrichment
import PerimeterInventory
import PerimeterJSON
import PerimeterModel
import PerimeterStore
import PerimeterYAML

extension InventoryStore {
    /// Sets the formula that re-rates the store's open alerts when a rating
    /// changes, and returns it with whether the configured one differed.
    /// A run that raises alerts (`raisesAlerts`: an ingest or a server with
    /// rules) uses its own and records it; any other run uses the one the
    /// store's alerts were raised with, else its own: an `assets update`
    /// without the ingest's `--config` re-rated with the built-in formula,
    /// and an alert whose asset it rated higher went down (SPEC §6 says a
    /// higher criticality never lowers an urgency).
    public func useUrgencyFormula(configured: UrgencyPolicy, raisesAlerts: Bool) throws
        -> (formula: UrgencyPolicy, differsFromConfigured: Bool) {
        var formula = configured
        if raisesAlerts {
            try recordUrgencyFormula(configured.recordText)
        } else if let text = try recordedUrgencyFormula(),
                  let recorded = UrgencyPolicy(recordText: text) {
            formula = recorded
        }
        alertUrgency = formula.urgency(storedLevel:assets:)
        // As texts: the configured severities may name some levels only.
        return (formula, formula.recordText != configured.recordText)
    }
}

/// What the detection stage loads and how it raises alerts: from the
/// configuration's `detection:` section, then the command line's options.
///
/// ```yaml
/// detection:
///   rules: [rules/]              # folders or files, read recursively
///   filters: [filters/]          # alert filters (Sigma meta filters)
///   mapping: my-mapping.yml      # or 'none'; default: the built-in mapping
///   placeholders: {Admins: [adm_*]}   # values for |expand (else the shipped file)
///   placeholders_file: placeholders.yml
///   alert_window: 1h             # matches within it join the open alert
///   run_unmapped_rules: false  # compiled-unmapped rules run too when true
///   urgency:
///     severities: {informational: 10, low: 25, medium: 50, high: 75, critical: 100}
///     default_level: medium      # the level of a rule that has none
///     include_networks: false    # network assets' criticality raises urgency
///     unrated_criticality: null  # what an unrated host or account counts as
/// ```
/// Relative paths are read from the configuration file's folder.
public struct DetectionSettings: Sendable {
    public var rulePaths: [String] = []
    public var filterPaths: [String] = []
    public var mapping = MappingChoice.builtIn
    /// nil: the placeholder file shipped with Perimeter.
    public var placeholders: [String: [String]]?
    public var alertWindow = Duration.hours(1)
    public var urgency = UrgencyPolicy()
    /// Off by default: a rule whose log source or fields are outside the mapping
    /// would run on every event with names ECS events rarely carry, and its
    /// `not` and keyword parts then match nearly everything (the corpus's Cisco
    /// keyword rules matched a quarter of all events). Such rules are kept,
    /// counted in the summary and listed by `rules check`.
    public var runsUnmappedRules = false

    public init() {}

    /// The settings of the configuration's `detection:` section, defaults elsewhere.
    public init(configuration: PerimeterConfiguration) throws {
        guard let section = configuration.sections["detection"], !section.isNull else { return }
        try DetectionSettingsReader(file: configuration.file, resolve: configuration.resolve)
            .apply(section, to: &self)
    }

    public var hasRules: Bool { !rulePaths.isEmpty || !filterPaths.isEmpty }
}

/// A `detection:` value the stage refuses, with its file and line, or a
/// rule set that cannot be loaded (its message says where).
public struct DetectionSettingsError: Error, Sendable, CustomStringConvertible {
    public let code: String
    /// The configuration file, and the value's line in it.
    public var file: String?
    public var line: Int?
    public let message: String

    public var description: String {
        guard let line else { return "detection settings: \(message)" }
        return "\(file ?? "the configuration"):\(line): detection settings: \(message)"
    }
}

/// What detection did during one ingest, for the summary.
public struct DetectionSummary: Sendable {
    public var rulesCompiled = 0
    public var rulesUnmapped = 0
    /// Whether the compiled-unmapped rules run (`detection.run_unmapped_rules`).
    public var runsUnmappedRules = false
    public var rulesRefused = 0
    public var filters = 0
    /// Filters refused: their rules' matches are not suppressed.
    public var filtersRefused = 0
    /// Refused rule documents by reason code.
    public var refusedByReason: [String: Int] = [:]
    /// Rules that run on the example values shipped for their placeholders.
    public var rulesOnExamplePlaceholders = 0
    public var eventsEvaluated = 0
    /// Rule matches that no filter suppressed.
    public var matches = 0
    public var alertsOpened = 0
    /// Matches that joined an alert already open.
    public var matchesJoined = 0
    public var suppressedByFilter: [String: Int] = [:]
    /// Matches an alert filter suppressed, all filters together; unlike
    /// `suppressedByFilter` (committed counts), counted as evaluated.
    public var suppressed = 0
    /// Regex tests stopped by the PCRE2 match or depth limit (counted as no match).
    public var regexLimitExceeded = 0
    /// New alerts by rule id.
    public var alertsByRule: [String: Int] = [:]
    /// The title of each rule of `alertsByRule`, by id.
    public var ruleTitles: [String: String] = [:]
}

/// Runs Sigma rules and alert filters on every enriched event of an ingest
/// and keeps the alerts in the store (SPEC §6, issue #3).
///
/// It hooks into `IngestPipeline`: `onEvent` fills a detection record from the
/// parsed event plus the enrichment's asset fields, evaluates it and keeps the
/// matches of the batch; `onBatchCommit` hands them over as the batch ends,
/// and they are grouped into alerts inside the batch's store transaction, so
/// a crash and a re-run count nothing twice.
///
/// Evaluation runs on the pipeline's thread, the grouping on its writer
/// thread, one batch at a time: each side keeps state of its own (the open
/// alerts and their counts belong to the writer side). Read `summary`
/// between `ingest` calls, when no batch is in flight.
public final class DetectionStage {
    public let settings: DetectionSettings
    public let engine: DetectionEngine
    /// Every rule and filter document loaded, refused ones included.
    public let reports: [RuleStatusReport]
    /// What to tell of the filters before events run (`RuleSet.filterWarnings`).
    public let filterWarnings: [String]
    /// The event fields the pipeline's reader must extract for the engine.
    public let extraFields: [String]
    /// True when keyword rules need every string leaf of the event.
    public var collectsAllLeaves: Bool { engine.needsAllStrings }
    public var summary: DetectionSummary {
        var merged = evaluated
        merged.alertsOpened = grouped.alertsOpened
        merged.matchesJoined = grouped.matchesJoined
        merged.alertsByRule = grouped.alertsByRule
        merged.ruleTitles = grouped.ruleTitles
        merged.suppressedByFilter = grouped.suppressedByFilter
        merged.regexLimitExceeded = grouped.regexLimitExceeded
        return merged
    }
    /// The counts of the pipeline's thread alone (rules, events, matches,
    /// regex tests cut at the match limit): unlike `summary`, safe to read
    /// while a batch commits.
    public var evaluatedSummary: DetectionSummary {
        var counts = evaluated
        counts.regexLimitExceeded = engine.regexLimitExceededCount
        counts.suppressed = engine.suppressedMatchCount
        return counts
    }

    /// The alerts opened since the last call, as committed. Writer-side
    /// state: call it on the writer thread (in a batch's `afterCommit`) or
    /// while no batch is in flight.
    public func takeAlertsOpened() -> Int {
        defer { reportedAlertsOpened = grouped.alertsOpened }
        return grouped.alertsOpened - reportedAlertsOpened
    }

    /// Lets go of the copies held here of alerts that changed in the store
    /// (an analyst, through the server): closed, a later match of its
    /// group opens a new alert; re-rated, it joins the store's copy.
    /// Writer-side state: call it while no batch is in flight.
    public func letGo(ofAlerts ids: Set<Int64>) {
        // The keys first, then the removals: removing while iterating made
        // every removal copy the whole map (a PATCH re-rating 20,000 held
        // alerts took 37.5 s; 1.6 s since).
        let held = open.compactMap { key, alert in
            alert.id.map(ids.contains) == true ? key : nil
        }
        for key in held { open[key] = nil }
    }

    /// The counts of the pipeline's thread: rules, events, matches.
    private var evaluated = DetectionSummary()
    /// `evaluated` before any event: what the rules loaded.
    private var ruleCounts = DetectionSummary()
    /// The counts of the writer thread: alerts and suppressions committed.
    private var grouped = DetectionSummary()
    /// `grouped.alertsOpened` as `takeAlertsOpened` last reported it.
    private var reportedAlertsOpened = 0
    /// The writer side's state as the batch being committed found it, put
    /// back if its transaction rolls back: the next batch then joins the
    /// alerts the store holds, not one whose row was rolled back (and
    /// whose id the next new alert takes), and the counts count only what
    /// was committed.
    private var beforeBatch: WriterState?
    private struct WriterState {
        var open: [GroupKey: StoredAlert]
        var dirty: Set<GroupKey>
        var grouped: DetectionSummary
        var committedSuppressions: [Int]
    }

    private var record: DetectionRecord
    /// Engine field → reader selection id, for the fields read from the event.
    private var eventFields: [(field: DetectionFieldID, selectionID: Int)] = []
    /// Engine field → asset field of the enrichment.
    private let assetFields: [(field: DetectionFieldID, source: AssetField)]
    /// The engine's field for `QualifiedUserName` and the reader selection
    /// ids of its parts; nil when no rule reads it.
    private var qualifiedUser: (field: DetectionFieldID, domainID: Int, nameID: Int)?
    private var pending: [PendingMatch] = []
    private var open: [GroupKey: StoredAlert] = [:]
    private var dirty: Set<GroupKey> = []
    private var committedSuppressions: [Int]
    private var alertOutput: EnrichedEventSink?
    private var scope = ScopeKey(community: Scope.defaultCommunity)

    /// Loads the rules and filters of `settings`.
    public init(settings: DetectionSettings) throws {
        self.settings = settings
        let set: RuleSet
        do {
            set = try RuleLoader.load(paths: settings.rulePaths, filterPaths: settings.filterPaths,
                                      mapping: settings.mapping,
                                      placeholders: settings.placeholders)
        } catch {
            throw DetectionSettingsError(code: error.code, line: nil,
                                         message: error.message + " (while loading rules)")
        }
        reports = set.reports
        filterWarnings = set.filterWarnings
        engine = DetectionEngine(
            rules: set.rules, filters: set.filters,
            configuration: DetectionConfiguration(runsUnmappedRules: settings.runsUnmappedRules,
                                                  urgency: settings.urgency))
        record = DetectionRecord(fieldCount: engine.fieldPaths.count)
        var assetFields: [(DetectionFieldID, AssetField)] = []
        var extraFields: [String] = []
        for (field, path) in engine.fieldPaths.enumerated() {
            if let source = AssetField(path: path) {
                assetFields.append((field, source))
            } else if path == QualifiedUserName.path {
                // Made of two fields of the event (`QualifiedUserName`).
                for part in [QualifiedUserName.domainPath, QualifiedUserName.namePath]
                where !extraFields.contains(part) {
                    extraFields.append(part)
                }
            } else if !EnrichmentFieldNames.isReserved(path) {
                // Input fields under the reserved prefixes are removed
                // before detection (SPEC §2): the parser reports nothing
                // for them, so they are not asked of it.
                extraFields.append(path)
            }
        }
        self.assetFields = assetFields
        self.extraFields = extraFields
        committedSuppressions = Array(repeating: 0, count: engine.filters.count)

        let status = RuleCheckSummary(reports: set.reports)
        evaluated.rulesCompiled = status.compiled
        evaluated.rulesUnmapped = status.unmapped
        evaluated.runsUnmappedRules = settings.runsUnmappedRules
        evaluated.rulesRefused = status.refused
        evaluated.filtersRefused = status.refusedFilters
        evaluated.filters = status.filters
        evaluated.refusedByReason = status.refusedByReason
        evaluated.rulesOnExamplePlaceholders = status.onExamplePlaceholders
        ruleCounts = evaluated
    }

    /// A stage of `other`'s rules, read, compiled and indexed once for
    /// both (a server's stage per scope: each read the rules from disk and
    /// built their program again, 0.7 s and 5 MB a scope with SigmaHQ's
    /// rules), with open alerts and counts of its own.
    public init(sharingRulesOf other: DetectionStage) {
        settings = other.settings
        engine = DetectionEngine(sharingProgramOf: other.engine)
        reports = other.reports
        filterWarnings = other.filterWarnings
        extraFields = other.extraFields
        assetFields = other.assetFields
        record = DetectionRecord(fieldCount: engine.fieldPaths.count)
        committedSuppressions = Array(repeating: 0, count: engine.filters.count)
        ruleCounts = other.ruleCounts
        evaluated = other.ruleCounts
    }

    /// Hooks the stage into a pipeline made with `extraFields` and
    /// `collectsAllLeaves` from this stage; `alerts` receives one NDJSON line per
    /// alert opened or updated, at each batch commit (`--alerts FILE`).
    public func attach(to pipeline: IngestPipeline, alerts: EnrichedEventSink? = nil) {
        // Without a store no batch commits, so matches would pile up unseen.
        precondition(pipeline.store != nil, "DetectionStage needs a pipeline with a store")
        let selection = pipeline.selection
        eventFields = extraFields.compactMap { path in
            guard let id = selection.id(of: path) else {
                preconditionFailure("the pipeline was not made with the stage's extraFields")
            }
            // A part of the qualified user name that no rule names itself.
            guard let field = engine.fieldID(of: path) else { return nil }
            return (field, id)
        }
        if let field = engine.fieldID(of: QualifiedUserName.path),
           let domainID = selection.id(of: QualifiedUserName.domainPath),
           let nameID = selection.id(of: QualifiedUserName.namePath) {
            qualifiedUser = (field, domainID, nameID)
        }
        scope = pipeline.options.scope
        alertOutput = alerts
        pipeline.onEventLine = { [unowned self] event, enrichment, line in
            observe(event, enrichment, line: line)
        }
        pipeline.onBatchCommit = { [unowned self] in
            // Taken on the pipeline's thread, as the batch ends.
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            let suppressed = engine.suppressedCounts
            let byFilter = engine.suppressedCountsByFilterID
            let regexLimitExceeded = engine.regexLimitExceededCount
            return { [unowned self] store in
                beforeBatch = WriterState(open: open, dirty: dirty, grouped: grouped,
                                          committedSuppressions: committedSuppressions)
                try commit(batch, suppressed: suppressed, into: store)
                grouped.suppressedByFilter = byFilter
                grouped.regexLimitExceeded = regexLimitExceeded
            }
        }
        pipeline.onBatchEnded = { [unowned self] committed in
            if !committed, let state = beforeBatch {
                open = state.open
                dirty = state.dirty
                grouped = state.grouped
                committedSuppressions = state.committedSuppressions
            }
            beforeBatch = nil
        }
    }

    // MARK: - One event

    private func observe(_ event: ReadEvent, _ enrichment: AssetEnrichment,
                         line: UnsafeRawBufferPointer) {
        fillRecord(event.parsed, enrichment)
        evaluated.eventsEvaluated += 1
        let matches = engine.evaluate(record)
        guard !matches.isEmpty else { return }

        // A match is rare: the enriched text and the assets are made once for all.
        var enriched: [UInt8] = []
        EnrichedEventWriter.write(line: line, parsed: event.parsed,
                                  hasMembers: !enrichment.isEmpty, into: &enriched) {
            enrichment.appendSekoiaioMembers(view: .detection, to: &$0)
        }
        let text = String(decoding: enriched, as: UTF8.self)
        let assets = alertAssets(enrichment)
        for match in matches {
            pending.append(PendingMatch(
                ruleID: match.ruleID, title: match.title,
                level: match.level ?? settings.urgency.defaultLevel,
                time: event.observation.time, assets: assets,
                urgency: settings.urgency.urgency(level: match.level, assets: assets),
                event: text))
        }
        evaluated.matches += matches.count
    }

    private func fillRecord(_ parsed: ParsedEvent, _ enrichment: AssetEnrichment) {
        record.removeAll()
        for (field, selectionID) in eventFields {
            for value in parsed.values(of: selectionID) {
                record.append(DetectionValue(value), to: field)
            }
        }
        if let (field, domainID, nameID) = qualifiedUser,
           let value = QualifiedUserName.value(in: parsed, domainID: domainID, nameID: nameID) {
            record.append(.string(value), to: field)
        }
        if !enrichment.isEmpty {
            for (field, source) in assetFields {
                source.append(from: enrichment, to: &record, field: field)
            }
        }
        if engine.needsAllStrings {
            // The event's own strings only: a keyword is about what the log
            // says, and an asset's name or tag holding it (a host named
            // `mimikatz-lab`) must not make every event of that asset match.
            // Rules reach asset fields by name (`sekoiaio.any_asset.tags`),
            // and `rules test` (no inventory) then finds what an ingest finds.
            parsed.forEachKeywordString { record.allStrings.append($0) }
        }
    }

    /// The matched assets with their criticality, sorted by uuid.
    private func alertAssets(_ enrichment: AssetEnrichment) -> [StoredAlert.Asset] {
        // Each card is one matched asset with its own name and rating (the
        // enrichment's lists hold each value once, not one per asset).
        enrichment.cards.map {
            StoredAlert.Asset(uuid: $0.uuid, name: $0.name, category: $0.category,
                              criticality: $0.criticality)
        }.sorted { $0.uuid < $1.uuid }
    }

    // MARK: - Alerts, at each batch commit

    private func commit(_ batch: [PendingMatch], suppressed: [Int],
                        into store: InventoryStore) throws {
        var touched: [GroupKey] = []
        for match in batch {
            let key = GroupKey(entity: scope.entity,
                               text: StoredAlert.groupKey(ruleID: match.ruleID,
                                                          assetUUIDs: match.assets.map(\.uuid)))
            if var alert = try joinable(key, at: match.time, store: store) {
                alert.count += 1
                if match.time >= alert.lastTime {
                    alert.lastTime = match.time
                    alert.lastEvent = match.event
                }
                if match.time < alert.firstTime {
                    alert.firstTime = match.time
                    alert.firstEvent = match.event
                }
                alert.urgency = max(alert.urgency, match.urgency)
                alert.assets = match.assets
                // A rule without a level has the configured default's:
                // kept as the match worked it out, so that a later
                // re-rating (`InventoryStore.rerateOpenAlerts`) uses the
                // severity this urgency came from.
                alert.level = match.level.rawValue
                open[key] = alert
                grouped.matchesJoined += 1
            } else {
                try evict(key, store: store)
                var alert = StoredAlert(
                    community: scope.community, entity: scope.entity, ruleID: match.ruleID,
                    ruleTitle: match.title, level: match.level.rawValue, groupKey: key.text,
                    assets: match.assets, urgency: match.urgency, firstTime: match.time,
                    lastTime: match.time, count: 1, firstEvent: match.event,
                    lastEvent: match.event)
                alert.id = try store.save(alert)
                open[key] = alert
                grouped.alertsOpened += 1
                grouped.alertsByRule[match.ruleID, default: 0] += 1
                grouped.ruleTitles[match.ruleID] = match.title
            }
            if dirty.insert(key).inserted { touched.append(key) }
        }
        for key in touched {
            if let alert = open[key] { try write(alert, to: store) }
        }
        dirty.removeAll(keepingCapacity: true)
        try alertOutput?.flush()

        var delta: [String: Int] = [:]
        for (index, filter) in engine.filters.enumerated() {
            let count = suppressed[index] - committedSuppressions[index]
            if count > 0 { delta[filter.reportedName, default: 0] += count }
        }
        try store.addSuppressions(delta, community: scope.community)
        committedSuppressions = suppressed
    }

    /// The open alert a match at `time` joins: the one this run last touched
    /// for the key, else the store's (an earlier run's, or an older one that an
    /// out-of-order event falls into).
    private func joinable(_ key: GroupKey, at time: EventTime, store: InventoryStore) throws
        -> StoredAlert?
    {
        let window = settings.alertWindow.milliseconds
        if let alert = open[key], alert.status == .open,
           time.milliseconds - alert.lastTime.milliseconds <= window,
           alert.firstTime.milliseconds - time.milliseconds <= window {
            return alert
        }
        guard let found = try store.openAlert(community: scope.community, entity: key.entity,
                                              groupKey: key.text, joiningAt: time,
                                              window: settings.alertWindow)
        else { return nil }
        if let previous = open[key] {
            // The store's copy of the alert in hand is older than it.
            if previous.id == found.id { return previous }
            try evict(key, store: store)
        }
        return found
    }

    /// Writes the alert held for `key` before another alert of the key takes its place.
    private func evict(_ key: GroupKey, store: InventoryStore) throws {
        guard let previous = open[key], dirty.contains(key) else { return }
        try write(previous, to: store)
    }

    private func write(_ alert: StoredAlert, to store: InventoryStore) throws {
        try store.save(alert)
        if let alertOutput { try alertOutput.write(Array(AlertJSON.line(alert).utf8) + [0x0A]) }
    }
}

/// A match waiting for its batch's commit.
private struct PendingMatch {
    var ruleID: String
    var title: String
    var level: RuleLevel
    var time: EventTime
    var assets: [StoredAlert.Asset]
    var urgency: Int
    var event: String
}

private struct GroupKey: Hashable {
    var entity: String?
    var text: String
}

/// An asset field of SPEC §5, read from the enrichment instead of the event.
enum AssetField {
    case tags, uuids, names, criticalityDisplays, criticalityValues, ambiguous
    case categoryUUIDs(AssetCategory), categoryNames(AssetCategory)
    case categoryCriticalityValues(AssetCategory)

    init?(path: String) {
        switch path {
        case "sekoiaio.any_asset.tags": self = .tags
        case "sekoiaio.any_asset.uuid": self = .uuids
        case "sekoiaio.any_asset.name": self = .names
        case "sekoiaio.any_asset.criticality_display": self = .criticalityDisplays
        case "sekoiaio.any_asset.criticality_value": self = .criticalityValues
        case "sekoiaio.any_asset.ambiguous": self = .ambiguous
        default:
            let parts = path.split(separator: ".")
            guard parts.count == 4, parts[0] == "sekoiaio", parts[1] == "assets",
                  let category = AssetCategory(rawValue: String(parts[2])) else { return nil }
            switch parts[3] {
            case "uuid": self = .categoryUUIDs(category)
            case "name": self = .categoryNames(category)
            case "criticality_value": self = .categoryCriticalityValues(category)
            default: return nil
            }
        }
    }

    func append(from enrichment: AssetEnrichment, to record: inout DetectionRecord,
                field: DetectionFieldID) {
        func strings(_ values: [String]) {
            for value in values { record.append(.string(value), to: field) }
        }
        func integers(_ values: [Int]) {
            for value in values { record.append(.int(Int64(value)), to: field) }
        }
        func fields(_ category: AssetCategory) -> AssetEnrichment.CategoryFields? {
            enrichment.fields(of: category)
        }
        switch self {
        case .tags: strings(enrichment.tags)
        case .uuids: strings(enrichment.uuids)
        case .names: strings(enrichment.names)
        case .criticalityDisplays: strings(enrichment.criticalityDisplays)
        case .criticalityValues: integers(enrichment.criticalityValues)
        // Written only when true, as in the enriched event.
        case .ambiguous: if enrichment.isAmbiguous { record.append(.bool(true), to: field) }
        case .categoryUUIDs(let category): strings(fields(category)?.uuids ?? [])
        case .categoryNames(let category): strings(fields(category)?.names ?? [])
        case .categoryCriticalityValues(let category):
            integers(fields(category)?.criticalityValues ?? [])
        }
    }
}

/// Alerts as NDJSON (`--alerts FILE`, `alerts list --json`): one object per
/// line, with the first and last enriched events as JSON objects.
public enum AlertJSON {
    public static func line(_ alert: StoredAlert) -> String {
        var out = "{\"id\":\(alert.id.map(String.init) ?? "null")"
        func member(_ key: String, _ value: String) { out += ",\(JSONText.quoted(key)):\(value)" }
        func text(_ value: String?) -> String { value.map(JSONText.quoted) ?? "null" }
        member("rule_id", text(alert.ruleID))
        member("title", text(alert.ruleTitle))
        member("level", text(alert.level))
        member("urgency", String(alert.urgency))
        member("urgency_label", text(UrgencyPolicy.label(of: alert.urgency)))
        member("status", text(alert.status.rawValue))
        member("community", text(alert.community))
        member("entity", text(alert.entity))
        member("count", String(alert.count))
        member("first_time", text(alert.firstTime.description))
        member("last_time", text(alert.lastTime.description))
        let assets = alert.assets.map { asset in
            "{\"uuid\":\(text(asset.uuid)),\"name\":\(text(asset.name)),"
                + "\"category\":\(text(asset.category.rawValue)),"
                + "\"criticality\":\(asset.criticality.map(String.init) ?? "null")}"
        }
        member("assets", "[" + assets.joined(separator: ",") + "]")
        // The events were parsed as JSON objects before they were stored.
        member("first_event", alert.firstEvent.isEmpty ? "null" : alert.firstEvent)
        member("last_event", alert.lastEvent.isEmpty ? "null" : alert.lastEvent)
        member("closed", alert.closure.map { closure in
            "{\"at\":\(text(closure.at.description)),\"by\":\(text(closure.by)),"
                + "\"reason\":\(text(closure.reason))}"
        } ?? "null")
        return out + "}"
    }
}

// MARK: - Reading the `detection:` section

private struct DetectionSettingsReader {
    let file: String?
    /// A path as the configuration file means it (relative to its folder).
    let resolve: (String) -> String

    func fail(_ node: YAMLNode, _ message: String) -> DetectionSettingsError {
        DetectionSettingsError(code: "invalid-detection-settings", file: file,
                               line: node.mark.line, message: message)
    }

    func entries(_ node: YAMLNode, _ name: String, keys: [String]) throws
        -> [(String, YAMLNode)]
    {
        // A section holding only comments is YAML's null: its defaults,
        // as the configuration's other sections take it.
        if node.isNull { return [] }
        guard let mapping = node.mapping else { throw fail(node, "'\(name)' must be a mapping") }
        return try mapping.map { entry in
            guard let key = entry.key.string, keys.contains(key) else {
                let given = entry.key.string ?? "?"
                // As the other sections of the configuration say it.
                let near = NearestName.find(given, in: keys).map { "; did you mean '\($0)'?" }
                    ?? "; expected one of " + keys.joined(separator: ", ")
                throw fail(entry.key, "unknown key '\(given)' in '\(name)'\(near)")
            }
            return (key, entry.value)
        }
    }

    func strings(_ node: YAMLNode, _ name: String) throws -> [String] {
        do { return try node.texts() } catch { throw fail(error.node, error.message(naming: name)) }
    }

    func apply(_ section: YAMLNode, to settings: inout DetectionSettings) throws {
        let keys = ["rules", "filters", "mapping", "placeholders", "placeholders_file",
                    "alert_window", "run_unmapped_rules", "urgency"]
        for (key, value) in try entries(section, "detection", keys: keys) {
            switch key {
            case "rules", "filters":
                let given = try strings(value, "detection.\(key)")
                // An empty text named the configuration's own folder, and
                // every YAML file in it was read as a rule.
                if let index = given.firstIndex(of: "") {
                    throw fail(value.sequence?[index] ?? value,
                               "'detection.\(key)' names an empty path")
                }
                let paths = given.map(resolve)
                for (index, path) in paths.enumerated() {
                    if let why = unreadablePath(path, key: "detection.\(key)", mayBeFolder: true) {
                        throw fail(value.sequence?[index] ?? value, why)
                    }
                }
                if key == "rules" { settings.rulePaths = paths } else { settings.filterPaths = paths }
            case "mapping":
                guard let path = value.string, !path.isEmpty else {
                    throw fail(value, "'detection.mapping' must be a file path or 'none', not "
                               + value.quotedForMessage)
                }
                if path != "none", let why = unreadablePath(resolve(path), key: "detection.mapping") {
                    throw fail(value, why)
                }
                // Read now, so that every command refuses a broken mapping:
                // those that compile no rule (a list, an ingest without
                // rules) took it silently.
                if path != "none" {
                    do { _ = try FieldMapping.load(path: resolve(path)) } catch {
                        throw fail(value, error.message)
                    }
                }
                settings.mapping = path == "none" ? .none : .file(resolve(path))
            case "placeholders":
                var values: [String: [String]] = [:]
                let names = value.mapping?.compactMap(\.key.string) ?? []
                for (name, list) in try entries(value, "detection.placeholders", keys: names) {
                    values[name] = try strings(list, "detection.placeholders.\(name)")
                    if values[name]?.isEmpty ?? true || values[name]?.contains("") == true {
                        throw fail(list.isNull ? value : list, RuleLoader.emptyPlaceholder(name))
                    }
                }
                settings.placeholders = (settings.placeholders ?? [:]).merging(values) { $1 }
            case "placeholders_file":
                if value.isNull || value.string == "" { continue }
                guard let path = value.string else {
                    throw fail(value, "'detection.placeholders_file' must be a file path, not "
                               + value.quotedForMessage)
                }
                if let why = unreadablePath(resolve(path), key: "detection.placeholders_file") {
                    throw fail(value, why)
                }
                do {
                    let values = try RuleLoader.loadPlaceholders(path: resolve(path))
                    settings.placeholders = values.merging(settings.placeholders ?? [:]) { $1 }
                } catch {
                    throw fail(value, error.message)
                }
            case "alert_window":
                guard let text = value.string, let window = Duration(parsing: text),
                      window.milliseconds > 0 else {
                    throw fail(value, "'detection.alert_window' must be a duration such as "
                               + "15m or 1h, not \(value.quotedForMessage)")
                }
                settings.alertWindow = window
            case "run_unmapped_rules":
                guard let flag = value.bool else {
                    throw fail(value, "'detection.run_unmapped_rules' must be true or false, not "
                               + value.quotedForMessage)
                }
                settings.runsUnmappedRules = flag
            default:
                try applyUrgency(value, to: &settings.urgency)
            }
        }
    }

    func applyUrgency(_ node: YAMLNode, to policy: inout UrgencyPolicy) throws {
        let levels = RuleLevel.allCases.map(\.rawValue)
        for (key, value) in try entries(node, "detection.urgency",
                                        keys: ["severities", "default_level", "include_networks",
                                               "unrated_criticality"])
        {
            switch key {
            case "severities":
                for (name, number) in try entries(value, "detection.urgency.severities",
                                                  keys: levels) {
                    guard let severity = number.int, (0...100).contains(severity) else {
                        throw fail(number, "'detection.urgency.severities.\(name)' must be a "
                                   + "whole number from 0 to 100, not \(number.quotedForMessage)")
                    }
                    policy.severities[RuleLevel(rawValue: name)!] = severity
                }
                // SPEC §6: raising a rule's level never lowers its urgency.
                for (lower, higher) in zip(RuleLevel.allCases, RuleLevel.allCases.dropFirst())
                where policy.severity(of: higher) < policy.severity(of: lower) {
                    throw fail(value, "severities must not fall as the level rises: "
                               + "\(higher.rawValue) \(policy.severity(of: higher)) is below "
                               + "\(lower.rawValue) \(policy.severity(of: lower))")
                }
            case "default_level":
                guard let name = value.string, let level = RuleLevel(rawValue: name) else {
                    throw fail(value, "'detection.urgency.default_level' must be one of "
                               + levels.joined(separator: ", ") + ", not " + value.quotedForMessage)
                }
                policy.defaultLevel = level
            case "unrated_criticality":
                if value.isNull {
                    policy.unratedCriticality = nil
                    continue
                }
                guard let criticality = value.int, (0...100).contains(criticality) else {
                    throw fail(value, "'detection.urgency.unrated_criticality' must be a whole "
                               + "number from 0 to 100, or null, not \(value.quotedForMessage)")
                }
                policy.unratedCriticality = criticality
            default:
                guard let flag = value.bool else {
                    throw fail(value, "'detection.urgency.include_networks' must be true or "
                               + "false, not " + value.quotedForMessage)
                }
                policy.includesNetworks = flag
            }
        }
    }
}
