import Foundation
import PerimeterEvents
import PerimeterHTTP
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// A failure of an edit made from the command line: the same checks as the
/// API, with a message for the person at the terminal.
public struct InventoryEditError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public var description: String { message }

    init(_ error: any Error) {
        switch error {
        case let http as HTTPError:
            code = http.code.rawValue
            message = http.message
        case let store as StoreError:
            code = store.code.rawValue
            message = store.message
        default:
            code = "failed"
            message = String(describing: error)
        }
    }
}

/// The API's edits for the command line (`assets update`, `revoke`,
/// `bulk`, `atoms confirm|reject`, `properties`, `audit`), through the
/// same single writer, so that a change from the terminal is checked and
/// audited exactly as one over HTTP. Do not run it beside `perimeter
/// serve` on the same store: the server's in-memory inventory would not
/// see the change (use the API then).
public final class InventoryEditor: Sendable {
    let service: InventoryService
    let community: String
    let actor: String

    public init(storePath: String, configuration: PerimeterConfiguration, community: String,
                actor: String) throws {
        service = try InventoryService(path: storePath, configuration: configuration)
        self.community = community
        self.actor = actor
    }

    /// Whether a rating changed here re-rates the open alerts with the
    /// formula they were raised with, another than the configuration's.
    public var reratesByAnotherFormula: Bool { service.reratesByAnotherFormula }

    private func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw InventoryEditError(error) }
    }

    /// The uuid of an asset given by uuid or by its unique name.
    public func resolve(_ reference: String) async throws -> AssetID {
        try await run {
            try await service.resolve(reference, community: community)
        }
    }

    /// Applies a partial update given as the API's PATCH JSON object text.
    /// `propertiesAreText`: the property values are text typed on a
    /// command line, read as the definition's type asks (as a CSV cell
    /// is), where the API's JSON values must be of that type.
    public func update(_ reference: String, patchJSON: String,
                       propertiesAreText: Bool = false) async throws -> Asset {
        try await run {
            guard let object = JSONFields.parse(patchJSON) else {
                throw APIErrors.malformedJSON("it is not a JSON object")
            }
            var patch = try AssetPatch(json: object)
            if propertiesAreText { patch.propertyJSONTypes = [:] }
            let id = try await service.resolve(reference, community: community)
            return try await service.update(id, community: community, patch: patch, actor: actor)
        }
    }

    /// Imports rows as `POST /v1/import` does (`InventoryService.importRows`).
    public func importRows(_ rows: [(Int, Result<AssetRow, RowProblem>)],
                           checkingOnly: Bool, matchingAtoms: Bool = false) async throws
        -> ImportOutcome {
        try await run {
            try await service.importRows(rows, community: community, actor: actor,
                                         checkingOnly: checkingOnly, matchingAtoms: matchingAtoms)
        }
    }

    public func setRevoked(_ reference: String, _ revoked: Bool) async throws -> Asset {
        try await run {
            let id = try await service.resolve(reference, community: community)
            return try await service.setRevoked(id, revoked, community: community, actor: actor)
        }
    }

    /// Confirms or rejects an atom (`type`, `value`) for an asset.
    public func curate(_ reference: String, type: String, value: String,
                       confirming: Bool) async throws {
        try await run {
            let id = try await service.resolve(reference, community: community)
            try await service.curateChecked(id, type: type, value: value, community: community,
                                            confirming: confirming, actor: actor)
        }
    }

    /// Runs a bulk action (the API's `/v1/bulk` JSON object text) to the
    /// end, calling `progress` after each chunk; returns the finished job.
    /// The first key that one object of `json` holds twice, for the
    /// command line's JSON options (the API refuses such bodies too).
    public static func repeatedKey(in json: String) -> String? {
        JSONFields.duplicateKey(in: json.utf8)
    }

    /// `isStopRequested` is asked between chunks: when it answers true the
    /// job ends there, failed, saying how far it went (a Ctrl-C). Jobs an
    /// earlier command line left unfinished (killed) are ended so first.
    public func bulk(requestJSON: String, chunkSize: Int = 1_000,
                     isStopRequested: @Sendable () -> Bool = { false },
                     progress: @Sendable (StoredJob) -> Void = { _ in }) async throws
        -> (job: StoredJob, abandoned: [StoredJob]) {
        try await run {
            let abandoned = try await service.abandonCommandLineJobs()
            guard let object = JSONFields.parse(requestJSON) else {
                throw APIErrors.malformedJSON("it is not a JSON object")
            }
            let action = try BulkAction(json: object)
            try action.refuseFieldsItDoesNotRead(in: object)
            let selection: BulkSelection
            if let list = object["ids"] as? [String] {
                var resolved: [String] = []
                for reference in list {
                    resolved.append(try await service.resolve(reference, community: community)
                        .lowercasedText)
                }
                selection = .ids(resolved)
            } else {
                selection = try .filter(object["filter"] as Any, for: action,
                                        community: community,
                                        bounds: service.configuration.criticalityBounds)
            }
            let job = try await service.createJob(action, selection: selection,
                                                  community: community, actor: actor)
            while !(await service.runChunk(ofJob: job.id, size: chunkSize)) {
                if let current = try await service.job(job.id) { progress(current) }
                if isStopRequested() {
                    let stopped = try await service.stopJob(job.id, community: community,
                                                            why: "stopped on request")
                    return (stopped ?? job, abandoned)
                }
            }
            return (try await service.job(job.id) ?? job, abandoned)
        }
    }

    /// The property definitions of the community.
    public func properties() async throws -> [PropertyDefinition] {
        try await run { try await service.propertyDefinitions(community: community) }
    }

    public func define(_ definition: PropertyDefinition) async throws {
        try await run { try await service.define(definition, community: community) }
    }

    public func renameProperty(_ name: String, to newName: String,
                               category: AssetCategory) async throws {
        try await run {
            try await service.renameProperty(name, to: newName, category: category,
                                             community: community, actor: actor)
        }
    }

    /// Removes a definition; returns how many assets keep a value of it.
    public func removeProperty(_ name: String, category: AssetCategory) async throws -> Int {
        try await run {
            try await service.removeProperty(name, category: category, community: community)
        }
    }

    /// An unknown asset name that one asset holds as an atom: the error
    /// says which asset, to be named by its name or uuid.
    public static func notFound(_ error: StoreError, butHeldBy holder: Asset,
                                as reference: String) -> StoreError {
        StoreError(code: .notFound, message: error.message + "; \(holder.name) "
                   + "(\(holder.id.lowercasedText)) holds '\(reference)' as an atom: "
                   + "name it by its name or uuid")
    }
}

extension InventoryService {
    /// The asset a uuid or a name gives. An edit is not made on an asset
    /// found by one of its atoms (an address names another host tomorrow),
    /// but an unknown name that is an atom one asset holds now says which.
    func resolve(_ reference: String, community: String) throws -> AssetID {
        do {
            return try store.asset(named: reference, community: community).id
        } catch let error as StoreError where error.code == .notFound {
            let types: [AtomType] = [.hostname, .fqdn, .ipv4, .ipv6, .username]
            var holders: [AssetID] = []
            for atom in types.compactMap({ AtomNormalizer.standard.atom(reference, as: $0) }) {
                for id in inventory.holders(of: atom, in: ScopeKey(community: community),
                                            at: EventTime(Date())) where !holders.contains(id) {
                    holders.append(id)
                }
            }
            guard holders.count == 1, let holder = inventory.asset(holders[0]) else { throw error }
            throw InventoryEditor.notFound(error, butHeldBy: holder, as: reference)
        }
    }

    func curateChecked(_ id: AssetID, type: String, value: String, community: String,
                       confirming: Bool, actor: String) throws {
        guard let asset = inventory.asset(id), asset.community == community else {
            throw APIErrors.assetNotFound()
        }
        let atom: Atom
        do {
            atom = try AssetDraftBuilder(store: store, community: community)
                .atom(type, value, category: asset.category)
        } catch let problem as RowProblem {
            throw APIErrors.invalidField(problem.column ?? "atom", problem.message)
        }
        try curate(id, community: community, atom: atom, confirming: confirming, actor: actor)
    }

    func job(_ id: String) throws -> StoredJob? {
        guard let community = try store.database
            .statement("SELECT community FROM jobs WHERE id = ?1")
            .firstRow([.text(id)], { $0.text(0) }) else { return nil }
        return try store.job(id: id, community: community)
    }

    func propertyDefinitions(community: String) throws -> [PropertyDefinition] {
        try store.propertyDefinitions(community: community)
    }
}
