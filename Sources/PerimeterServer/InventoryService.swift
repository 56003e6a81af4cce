import Foundation
import PerimeterDetection
import PerimeterHTTP
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// The one writer: it owns the store's write connection and the in-memory
/// inventory, and every change (API edits, bulk job chunks, event intake)
/// goes through it, so the inventory that enriches the next event and the
/// store never disagree. Each operation persists what it changed before it
/// returns, but intake: its batches commit on their pipeline's writer
/// thread while the next is read, and its handler answers once they have.
actor InventoryService {
    /// The store's write connection. An intake batch may still be
    /// committing on its pipeline's writer thread when a request of
    /// another kind comes in; `store` waits for it first, so that the
    /// connection has one user at a time.
    private let writeConnection: InventoryStore
    var store: InventoryStore {
        settleIntake()
        return writeConnection
    }
    private(set) var inventory: Inventory
    /// Counts the times the inventory was read again from the store
    /// (`reloadInventory(afterFailureIn:)`).
    private(set) var inventoryGeneration = 0
    /// The `Idempotency-Key` sources of the intake requests being stored.
    private var intakeKeysInFlight: Set<String> = []
    /// Whether a request stored events with the server's address expiry,
    /// which then stands recorded for the server's life (its configuration
    /// does not change): later requests need not read it again.
    private var addressExpiryRecorded = false
    let configuration: PerimeterConfiguration
    private var rulesByCommunity: [String: Set<DiscoveryRule>] = [:]
    /// The Sigma rules and filters intake runs; nil: none.
    let detection: DetectionSettings?
    /// The open alerts are re-rated with the formula they were raised
    /// with, which this configuration's is not (`useUrgencyFormula`).
    let reratesByAnotherFormula: Bool
    /// One pipeline per scope that sent events, and its detection stage,
    /// for the `maximumIntakeScopes` scopes that sent events last.
    var intakes: [ScopeKey: ScopeIntake] = [:]
    var detectionStages: [ScopeKey: DetectionStage?] = [:]
    /// The scopes of `intakes` and `detectionStages`, least recent first.
    var intakeRecency: [ScopeKey] = []
    /// A pipeline holds its parser's buffers (about 1 MB) and a stage its
    /// compiled rules: an ingest token naming a new entity per request
    /// made one each, without bound. The least recent scope beyond this
    /// is dropped between requests; its next request makes it again (open
    /// alerts are read back from the store).
    static let maximumIntakeScopes = 64
    /// The intake pipelines held now, for `/metrics`.
    var intakePipelineCount: Int { intakes.count }
    /// The stage loaded at start (so bad rules fail the start), whose
    /// rules every scope's stage shares (`DetectionStage(sharingRulesOf:)`).
    private let templateStage: DetectionStage?
    /// Process-lifetime totals for `/metrics`.
    var intakeTotals = IntakeTotals()

    /// Held for the service's life: a second writer (an ingest, another
    /// server, a command-line edit) is refused while this one runs.
    private let writerLock: StoreLock

    init(path: String, configuration: PerimeterConfiguration,
         detection: DetectionSettings? = nil) throws {
        writerLock = try StoreLock(store: path)
        writeConnection = try InventoryStore(path: path)
        try writeConnection.database.execute(StoreReader.readTuning())
        recordedAddressExpiry = try writeConnection.recordedAddressExpiry()
        try writeConnection.recordAddressExpiry(configuration.inventory.addressExpiry,
                                                unlessRecorded: true)
        self.configuration = configuration
        self.detection = detection.flatMap { $0.hasRules ? $0 : nil }
        templateStage = try self.detection.map { try DetectionStage(settings: $0) }
        inventory = try writeConnection.loadInventory(settings: configuration.inventory)
        // A rating changed through the API re-rates the open alerts about
        // the asset, rules or not (an ingest may have raised them): by the
        // server's formula when it raises alerts, else by the one they
        // were raised with.
        let urgency = try detection?.urgency
            ?? DetectionSettings(configuration: configuration).urgency
        reratesByAnotherFormula = try writeConnection.useUrgencyFormula(
            configured: urgency, raisesAlerts: self.detection != nil).differsFromConfigured
    }

    /// A detection stage of the server's rules, nil when it has none. Each
    /// scope has its own (a stage writes the alerts of one scope); all
    /// share the rules loaded at start.
    func makeDetectionStage() -> DetectionStage? {
        templateStage.map { DetectionStage(sharingRulesOf: $0) }
    }

    private var now: Date { Date() }

    /// What loading the server's rules found, a log line each: the counts,
    /// a warning when no rule loaded, then every document refused, by file
    /// and line with its reason code (the reason's text stays in `rules
    /// check`: a log line is kept short and quotes nothing of a rule).
    /// The tokens that can sign in now (not revoked, not expired).
    func usableTokenCount() throws -> Int {
        try store.tokens(community: nil).filter { $0.isUsable(at: now) }.count
    }

    /// The address expiry the store held when the server started.
    private let recordedAddressExpiry: Duration?

    /// A warning when the store's events were read with another address
    /// expiry than this server's: the API answers with the server's, the
    /// command line's views with the store's until the server receives
    /// events and records its own.
    func addressExpiryWarning() -> String? {
        let configured = configuration.inventory.addressExpiry
        guard let recorded = recordedAddressExpiry, recorded != configured else { return nil }
        return "warning address expiry differs from the store's "
            + "recorded_ms=\(recorded.milliseconds) configured_ms=\(configured.milliseconds) "
            + "api_reads=configured recorded_by=first_events_received"
    }

    func detectionLoadLines() -> [String] {
        guard let stage = templateStage else { return [] }
        let rules = stage.reports.filter { !$0.isFilter }
        let refused = stage.reports.filter { !$0.isOK }
        // Compiled-unmapped rules are loaded but run only when the
        // configuration says so: counted apart, or a rule the mapping does
        // not know read as running.
        let unmapped = rules.filter { $0.status == .compiledUnmapped }.count
        let runsUnmapped = stage.evaluatedSummary.runsUnmappedRules
        var lines = ["detection loaded rules=\(rules.filter(\.isOK).count) "
                     + "unmapped=\(unmapped) unmapped_run=\(runsUnmapped) "
                     + "filters=\(stage.reports.filter { $0.isFilter && $0.isOK }.count) "
                     + "refused=\(refused.count)"]
        if !rules.contains(where: \.isOK) {
            lines.append("warning detection has no rule to run: the rule paths hold none that loads")
        }
        for report in refused {
            lines.append("warning \(report.isFilter ? "filter" : "rule") refused "
                         + "path=\(LogField.value(report.path)) line=\(report.line) "
                         + "reason=\(report.reasonCode ?? "error")")
        }
        // A filter for a rule id no rule has suppresses nothing: as an
        // ingest and `rules check` say.
        for warning in stage.filterWarnings { lines.append("warning " + warning) }
        return lines
    }

    /// Applies SPEC §2's storage bounds (`retention.*`) when they have not
    /// run for an hour: the server runs for weeks, so it prunes as it goes,
    /// at start and then after intake. Nil when not due.
    func pruneIfDue() throws -> RetentionOutcome? {
        let pruned = try store.pruneExpiredIfDue(
            now: EventTime(now), activityWeeks: configuration.activityRetentionWeeks,
            unclaimedFor: configuration.unclaimedAtomRetention)
        if pruned != nil {
            try store.deleteProgress(ofSourcesStartingWith: APIHandlers.intakeKeyPrefix,
                                     updatedBefore: now.addingTimeInterval(
                                        -Double(APIHandlers.intakeKeyLifetime.milliseconds) / 1000))
        }
        return pruned
    }

    /// Records the server's address expiry once a request stored events
    /// with it (`InventoryStore.recordAddressExpiry`).
    func recordAddressExpiry() throws {
        guard !addressExpiryRecorded else { return }
        try store.recordAddressExpiry(configuration.inventory.addressExpiry)
        addressExpiryRecorded = true
    }

    /// Takes an `Idempotency-Key` (its progress source) for one request,
    /// answering what earlier requests of it stored (the inner nil: none);
    /// nil while another request of the key is being stored.
    /// `endKeyedIntake(source:)` gives it back.
    func beginKeyedIntake(source: String) throws -> IngestProgress?? {
        guard intakeKeysInFlight.insert(source).inserted else { return nil }
        do {
            return .some(try store.progress(forSource: source))
        } catch {
            intakeKeysInFlight.remove(source)
            throw error
        }
    }

    func endKeyedIntake(source: String) {
        intakeKeysInFlight.remove(source)
    }

    // MARK: - Assets

    /// Creates assets from checked drafts, all or none, and loads them and
    /// their confirmed atoms into the inventory.
    /// `changes` are written before them, in the same transaction
    /// (`InventoryStore.create`).
    func create(_ drafts: [AssetDraft], actor: String,
                along changes: InventoryChanges? = nil) throws -> [AssetID] {
        guard !drafts.isEmpty || changes != nil else { return [] }
        try persistPending()
        do {
            // Rows of an import that re-rate assets re-rate their open
            // alerts in the store; the copies the detection stages hold
            // would otherwise bring the old urgency back at the next match.
            letGo(ofAlerts: try store.create(drafts, actor: actor, at: EventTime(now),
                                             along: changes))
        } catch let error as StoreError where error.code == .conflict {
            throw HTTPError(status: 409, code: "atom_conflict", message:
                "cannot create the asset: an exclusive atom it names already belongs to "
                    + "another asset (while creating assets)")
        }
        let time = EventTime(now)
        for draft in drafts {
            inventory.load(asset: draft.asset)
            for attachment in try store.attachments(ofAsset: draft.asset.id) {
                inventory.load(attachment: attachment)
                inventory.endObservations(of: attachment.key, besides: draft.asset.id, at: time)
            }
        }
        try persistPending()
        return drafts.map(\.asset.id)
    }

    /// The asset of `community` with this uuid, or a 404 exactly like an
    /// unknown uuid.
    private func existing(_ id: AssetID, community: String) throws -> Asset {
        guard let asset = inventory.asset(id), asset.community == community else {
            throw APIErrors.assetNotFound()
        }
        return asset
    }

    func update(_ id: AssetID, community: String, patch: AssetPatch, actor: String,
                ifMatch condition: IfMatchCondition? = nil) throws -> Asset {
        var asset = try existing(id, community: community)
        try Self.checkIfMatch(condition, on: asset)
        let builder = try AssetDraftBuilder(store: store, community: community)
        let before = asset
        try patch.apply(to: &asset, builder: builder)
        if asset.subcategory != before.subcategory, let problem = AssetDraftBuilder.familyProblem(
            asset.subcategory, ranges: inventory.openAtoms(of: id)) {
            throw APIErrors.invalidField("subcategory", problem)
        }
        // A patch that changes nothing is no change: no new version, no
        // audit record.
        guard asset != before else { return before }
        asset.noteChange(at: now)
        inventory.replace(asset, actor: actor, action: "update", at: EventTime(now))
        try persistPending()
        return inventory.asset(id) ?? asset
    }

    func setRevoked(_ id: AssetID, _ revoked: Bool, community: String, actor: String,
                    ifMatch condition: IfMatchCondition? = nil) throws -> Asset {
        var asset = try existing(id, community: community)
        try Self.checkIfMatch(condition, on: asset)
        guard asset.isRevoked != revoked else { return asset }
        asset.isRevoked = revoked
        asset.noteChange(at: now)
        inventory.replace(asset, actor: actor, action: revoked ? "revoke" : "unrevoke",
                          at: EventTime(now))
        try persistPending()
        return asset
    }

    func curate(_ id: AssetID, community: String, atom: Atom, confirming: Bool,
                actor: String, ifMatch condition: IfMatchCondition? = nil) throws {
        let asset = try existing(id, community: community)
        try Self.checkIfMatch(condition, on: asset)
        if confirming, let problem = AssetDraftBuilder.familyProblem(asset.subcategory,
                                                                     ranges: [atom]) {
            throw APIErrors.invalidField("value", problem)
        }
        do {
            if confirming {
                try inventory.confirm(atom, on: id, actor: actor, at: EventTime(now))
                try store.removeRejection(of: atom, asset: id)
            } else {
                try inventory.reject(atom, on: id, actor: actor, at: EventTime(now))
            }
        } catch let error as CurationError {
            // The holder is of the same community (atoms are scoped): named,
            // as creating an asset names it.
            throw HTTPError(status: 409, code: "atom_conflict", message: error.message
                + " (while \(confirming ? "confirming" : "rejecting") an atom)")
        }
        try persistPending()
    }

    /// Refuses a change asked of another version of the asset than the
    /// one it holds (`If-Match`): 412, with the current version, so that
    /// the client reads the asset again rather than overwrite a change it
    /// never saw. Checked here, on the inventory's asset, in the same
    /// isolation as the change itself.
    static func checkIfMatch(_ condition: IfMatchCondition?, on asset: Asset) throws {
        guard let condition else { return }
        let current = AssetVersion.entityTag(of: asset)
        guard !condition.holds(forCurrent: current) else { return }
        let message = condition.tags.isEmpty && condition.hadWeakTags
            ? "If-Match names weak entity tags only, which never match (the comparison is "
                + "strong): send the ETag as the asset's answers give it, \(current)"
            : "the asset changed since it was read: If-Match names another version than its "
                + "current one, \(current) (updated at \(EventTime(asset.updatedAt))); read it "
                + "again and make the change on what it holds now"
        throw HTTPError(status: 412, code: "precondition_failed", message: message,
                        details: ["etag": .string(current)], headers: ["ETag": current])
    }

    /// Writes whatever the inventory holds unpersisted; every operation
    /// ends with it.
    func persistPending() throws {
        let changes = inventory.drainChanges()
        guard !changes.isEmpty else { return }
        letGo(ofAlerts: try store.persist(changes))
    }

    /// Has each intake's detection stage let go of its copy of alerts the
    /// store changed (closed, re-rated): their next match reads the
    /// store's. Alert ids are numbered across communities, so asking every
    /// stage reaches no other community's alert.
    func letGo(ofAlerts ids: [Int64]) {
        guard !ids.isEmpty else { return }
        let ids = Set(ids)
        for stage in detectionStages.values { stage?.letGo(ofAlerts: ids) }
    }

    /// Reads the inventory again from the store after an intake batch
    /// failed on its writer thread: what the batch discovered is in memory
    /// but not in the store, and later events would be enriched with
    /// assets the store lacks. Once every batch in flight has ended, the
    /// store holds all that the inventory should. Nothing is read when the
    /// inventory was read again since `generation` (several failed
    /// batches, one reload). While the new inventory loads, the old one is
    /// still held: twice the memory, for the seconds of a rare event.
    func reloadInventory(afterFailureIn generation: Int) throws {
        guard generation == inventoryGeneration else { return }
        settleIntake()
        // The pipelines hold the old inventory; the next request of each
        // scope makes a new one (the detection stages stay).
        intakes = [:]
        inventory = try writeConnection.loadInventory(settings: configuration.inventory)
        inventoryGeneration += 1
    }

    // MARK: - Alerts

    /// Closes an open alert of the community, recording who, when and why,
    /// and has each intake's detection stage let go of it, so that its
    /// group's next match opens a new alert. Nil when the community has no
    /// alert of this id; the alert as it was when it is already closed.
    func closeAlert(_ id: Int64, community: String, actor: String, reason: String?) throws
        -> (alert: StoredAlert, closedNow: Bool)?
    {
        // `store` waits for the batches in flight: a batch committing
        // now may be joining a match to this very alert.
        let store = store
        guard let alert = try store.alert(id: id, community: community) else { return nil }
        guard alert.status == .open else { return (alert, false) }
        let closure = StoredAlert.Closure(at: EventTime(now), by: actor, reason: reason)
        try store.closeAlert(id: id, community: community, closure: closure)
        letGo(ofAlerts: [id])
        var closed = alert
        closed.status = .closed
        closed.closure = closure
        return (closed, true)
    }

    // MARK: - Properties and rules

    /// Defines a custom property. Values an earlier definition of the name
    /// left on assets (a removal keeps them) must be of the new type: a
    /// number property that holds a list or text on some assets breaks
    /// every reader that trusts the schema.
    func define(_ definition: PropertyDefinition, community: String) throws {
        let misfits = assets(holding: definition.name, category: definition.category,
                             community: community).filter {
            $0.properties[definition.name]?.type != definition.type
        }
        if !misfits.isEmpty {
            let types = Set(misfits.compactMap { $0.properties[definition.name]?.type.rawValue })
            throw StoreError(code: .conflict, message:
                "\(misfits.count) \(definition.category.rawValue)"
                + "\(misfits.count == 1 ? " holds" : "s hold") a value of '\(definition.name)' that is "
                + "not a \(definition.type.rawValue) (\(types.sorted().joined(separator: ", ")), left "
                + "by its earlier definition): clear it on them, or define it as that type")
        }
        try store.define(definition, community: community)
    }

    /// Renames a custom property, and the values assets hold under it.
    func renameProperty(_ name: String, to newName: String, category: AssetCategory,
                        community: String, actor: String) throws {
        // Values a removed definition of the new name left on assets would
        // be overwritten by the renamed ones, silently (the trail alone
        // told): refused, as defining the name over them is.
        let holders = assets(holding: newName, category: category, community: community)
        if newName != name, !holders.isEmpty {
            throw StoreError(code: .conflict, message:
                "\(holders.count) \(category.rawValue)\(holders.count == 1 ? " holds" : "s hold") "
                + "a value of '\(newName)' left by its earlier definition, which the rename would "
                + "overwrite: clear it on them, or rename to another name")
        }
        try store.renameProperty(name, to: newName, category: category, community: community)
        for asset in assets(holding: name, category: category, community: community) {
            var renamed = asset
            renamed.properties[newName] = renamed.properties.removeValue(forKey: name)
            inventory.replace(renamed, actor: actor, action: "rename_property",
                              at: EventTime(now))
        }
        try persistPending()
    }

    /// Removes a definition; returns how many assets keep a value of it
    /// (values are the assets', and an export of them still imports back).
    @discardableResult
    func removeProperty(_ name: String, category: AssetCategory,
                        community: String) throws -> Int {
        try store.removeProperty(name, category: category, community: community)
        return assets(holding: name, category: category, community: community).count
    }

    /// The assets of a community and category that hold a value of a
    /// property.
    private func assets(holding property: String, category: AssetCategory,
                        community: String) -> [Asset] {
        inventory.assets.values.filter {
            $0.community == community && $0.category == category
                && $0.properties[property] != nil
        }
    }

    func setRule(_ rule: DiscoveryRule, enabled: Bool, community: String) throws {
        try store.setRule(rule, enabled: enabled, community: community)
        rulesByCommunity[community] = nil
        // A pipeline holds its rules: the community's are made again.
        intakes = intakes.filter { $0.key.community != community }
    }

    func rules(community: String) throws -> Set<DiscoveryRule> {
        if let rules = rulesByCommunity[community] { return rules }
        let rules = try store.enabledRules(community: community)
        rulesByCommunity[community] = rules
        return rules
    }

    // MARK: - Tokens

    /// Creates a token; the secret is returned once and only its hash is
    /// kept.
    func createToken(name: String, community: String?, role: APIRole,
                     expiresAt: Date?) throws -> (secret: String, token: StoredToken) {
        try APITokenIssuer.issue(in: store, name: name, community: community, role: role,
                                 expiresAt: expiresAt, now: now)
    }

    func revokeToken(_ id: String, community: String?) throws -> Bool {
        try store.revokeToken(id: id, community: community, at: now)
    }

    // MARK: - Shutdown

    /// Persists anything left and folds the WAL into the database file.
    func flush() throws {
        try persistPending()
        try store.database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }
}

/// Totals since the process started, for `/metrics`.
struct IntakeTotals: Sendable {
    var received = 0
    var malformed = 0
    var enriched = 0
    var created = 0
    var regexLimitExceeded = 0
    var droppedDottedHostnames = 0
}
