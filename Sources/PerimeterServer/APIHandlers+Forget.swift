import Foundation
import PerimeterHTTP
import PerimeterInventory
import PerimeterModel
import PerimeterStore

extension APIHandlers {
    // MARK: - Erasure on request

    /// `POST /v1/forget`: erases an atom (`{"type": …, "value": …}`, with
    /// an optional `"entity"`) or an account (`{"asset": "uuid"}`) from
    /// the token's community; `"dry_run": true` counts without erasing.
    /// The answer counts rows per table; it never repeats the value.
    func forget(_ context: APIContext) async throws -> HTTPResponse {
        let object = try JSONFields.object(
            context.request.body, fields: ["asset", "type", "value", "entity", "dry_run"])
        var dryRun = false
        if let flag = object["dry_run"] {
            guard let value = JSONFields.boolean(flag) else {
                throw APIErrors.invalidField("dry_run", "must be true or false")
            }
            dryRun = value
        }
        let outcome: ForgetOutcome
        if let reference = object["asset"] {
            guard object["type"] == nil, object["value"] == nil, object["entity"] == nil else {
                throw APIErrors.invalidField("asset", "names an account to erase whole; give "
                                             + "either 'asset' or 'type' and 'value'")
            }
            guard let text = reference as? String, let id = UUID(exactText: text) else {
                throw APIErrors.assetNotFound()
            }
            outcome = try await service.forget(asset: id, community: context.community,
                                               actor: context.actor, dryRun: dryRun)
        } else {
            guard let type = object["type"] as? String else {
                throw APIErrors.invalidField("type", "is required (an atom type such as email), "
                                             + "or 'asset' with an account's uuid")
            }
            guard let value = object["value"] as? String, !value.isEmpty else {
                throw APIErrors.invalidField("value", "is required (the atom's value, as text)")
            }
            var entity: String?
            if let given = object["entity"] {
                guard let name = given as? String, !name.isEmpty else {
                    throw APIErrors.invalidField("entity", "must be an entity name")
                }
                // An entity no asset can have (`../x`) erased nothing, and
                // read as an erasure done.
                if let problem = Scope.problem(withName: name) {
                    throw APIErrors.invalidField("entity", "is not an entity name: \(problem)")
                }
                entity = name
            }
            outcome = try await service.forget(type: type, value: value,
                                               community: context.community, entity: entity,
                                               actor: context.actor, dryRun: dryRun)
        }
        // An erasure is an operator's business: who, what kind, how many
        // rows; never the value.
        let kind = object["asset"] != nil ? "account" : (object["type"] as? String ?? "?")
        options.log("forget \(outcome.isDryRun ? "dry run" : "erased") community="
                    + "\(LogField.value(context.community)) type=\(LogField.value(kind)) "
                    + "rows=\(outcome.rowsErased) actor=\(LogField.value(context.actor))")
        return JSONFields.response(ForgetSummary.object(outcome))
    }
}

extension InventoryService {
    /// Erases an atom given as text, normalised as ingest and the API's
    /// asset edits normalise it, from the store and the inventory.
    func forget(type typeName: String, value: String, community: String, entity: String?,
                actor: String, dryRun: Bool) throws -> ForgetOutcome {
        let type: AtomType
        do { type = try AtomType(parsing: typeName) } catch {
            throw APIErrors.invalidField("type", error.message)
        }
        let atom: Atom
        do {
            atom = try AssetDraftBuilder(store: store, community: community)
                .atom(type.rawValue, value, category: type.category)
        } catch let problem as RowProblem {
            throw APIErrors.invalidField("value", problem.message)
        }
        try persistPending()
        let outcome = try store.forget(atom, community: community, entity: entity, actor: actor,
                                       at: EventTime(Date()), dryRun: dryRun)
        apply(outcome, community: community)
        return outcome
    }

    /// Erases an account of `community`, as `InventoryStore.forget(asset:)`.
    func forget(asset id: AssetID, community: String, actor: String,
                dryRun: Bool) throws -> ForgetOutcome {
        guard let asset = inventory.asset(id), asset.community == community else {
            throw APIErrors.assetNotFound()
        }
        try persistPending()
        let outcome = try store.forget(asset: asset.id, community: community, actor: actor,
                                       at: EventTime(Date()), dryRun: dryRun)
        apply(outcome, community: community)
        return outcome
    }

    /// Makes the in-memory state agree with the store after an erasure, or
    /// the next batch would write the erased rows back: the inventory
    /// drops the atoms and the asset, takes the redacted assets, and the
    /// community's pipelines and detection stages, whose open alerts hold
    /// the events as they were, are made again (the store's alerts are
    /// the redacted ones they then join).
    private func apply(_ outcome: ForgetOutcome, community: String) {
        guard !outcome.isDryRun else { return }
        inventory.forget(outcome.erasedKeys, asset: outcome.erasedAsset)
        for asset in outcome.redactedAssets where inventory.asset(asset.id) != nil {
            inventory.put(asset)
        }
        intakes = intakes.filter { $0.key.community != community }
        detectionStages = detectionStages.filter { $0.key.community != community }
    }
}

/// An erasure's outcome as the API and the command line show it: counts
/// only, never the value.
public enum ForgetSummary {
    public static func object(_ outcome: ForgetOutcome) -> [String: Any] {
        ["dry_run": outcome.isDryRun, "rows_erased": outcome.rowsErased,
         "deleted": outcome.deleted, "redacted": outcome.redacted]
    }

    /// One line per table, for a terminal.
    public static func text(_ outcome: ForgetOutcome) -> String {
        var lines = [outcome.isDryRun
            ? "dry run: would erase \(outcome.rowsErased) rows (nothing was changed)"
            : "erased \(outcome.rowsErased) rows"]
        let tables = Set(outcome.deleted.keys).union(outcome.redacted.keys).sorted()
        // As wide as the longest name (a fixed 16 cut attachment_sightings).
        let width = (tables.map(\.count).max() ?? 0) + 2
        for table in tables {
            var parts: [String] = []
            if let count = outcome.deleted[table] { parts.append("\(count) deleted") }
            if let count = outcome.redacted[table] { parts.append("\(count) redacted") }
            lines.append("  " + table.padding(toLength: width, withPad: " ", startingAt: 0)
                         + parts.joined(separator: ", "))
        }
        if tables.isEmpty { lines.append("  no row holds it") }
        return lines.joined(separator: "\n")
    }
}
