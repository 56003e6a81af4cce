import Foundation
import PerimeterHTTP
import PerimeterInventory
import PerimeterJSON
import PerimeterModel
import PerimeterStore

extension APIHandlers {
    func listAssets(_ context: APIContext) async throws -> HTTPResponse {
        let lists = context.queryLists
        let query = try AssetFilter.query(lists, community: context.community, bounds: bounds)
        let limit = try Self.limit(lists["limit"]?.last, standard: 50)
        var cursor: AssetCursor?
        if let text = lists["cursor"]?.last {
            guard let parsed = AssetCursor(token: text), parsed.fits(query.sort) else {
                throw APIErrors.invalidQuery("cursor", "is not a cursor this server gave")
            }
            let ordering = AssetCursor.ordering(of: query)
            guard parsed.ordering == nil || parsed.ordering == ordering else {
                throw APIErrors.invalidQuery("cursor", "belongs to a listing in another order "
                                             + "(sort and order must stay those of its first page)")
            }
            cursor = parsed
        }
        // Read as every flag of the list is (`include_revoked`): `maybe` is
        // refused, `no` and `0` mean false (they counted).
        let counting = try AssetFilter.flag(lists["count"]?.last, named: "count") ?? true
        let listing = try await readers.read {
            try await $0.list(query, after: cursor, limit: limit, counting: counting)
        }
        var body = Array(#"{"assets":["#.utf8)
        for (index, asset) in listing.page.assets.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            AssetJSON.append(asset, attachments: listing.attachments[asset.id] ?? [],
                             bounds: bounds, addressExpiry: addressExpiry, to: &body)
        }
        body.append(contentsOf: #"],"next_cursor":"#.utf8)
        if let token = listing.page.next?.token { JSONText.appendQuoted(token, to: &body) }
        else { body.append(contentsOf: "null".utf8) }
        body.append(contentsOf: #","total":"#.utf8)
        if counting { JSONText.appendInteger(listing.total, to: &body) }
        else { body.append(contentsOf: "null".utf8) }
        body.append(UInt8(ascii: "}"))
        return HTTPResponse.json(encoded: body)
    }

    func assetResponse(_ id: AssetID, community: String, status: Int = 200) async throws
        -> HTTPResponse {
        guard let (asset, attachments) = try await readers.read({
            try await $0.shownAsset(id, community: community)
        }) else {
            throw APIErrors.assetNotFound()
        }
        // Written as lists and exports write it: one order of members.
        var body: [UInt8] = []
        AssetJSON.append(asset, attachments: attachments, bounds: bounds,
                         addressExpiry: addressExpiry, to: &body)
        var response = HTTPResponse.json(encoded: body, status: status)
        response.headers.set(name: "ETag", value: AssetVersion.entityTag(of: asset))
        return response
    }

    /// One asset; with `If-None-Match` naming its current version, 304 and
    /// no body (a client that keeps the asset need not read it again).
    func getAsset(_ context: APIContext) async throws -> HTTPResponse {
        if let at = try Self.time(context.request.query["at"], parameter: "at") {
            return try await pastAsset(try context.uuid(), community: context.community, at: at)
        }
        let response = try await assetResponse(try context.uuid(), community: context.community)
        let wanted = context.request.headers.values(for: "If-None-Match")
        guard !wanted.isEmpty, let current = response.headers["ETag"],
              IfMatchCondition.weaklyNames(current, in: wanted) else { return response }
        return HTTPResponse(status: 304, headers: ["ETag": current])
    }

    /// `?at=`: the asset as it was then, with the atoms it held then. It
    /// has no version: it cannot be changed.
    private func pastAsset(_ id: AssetID, community: String, at: EventTime) async throws
        -> HTTPResponse {
        switch try await readers.read({
            try await $0.asset(id, community: community, at: at, addressExpiry: addressExpiry)
        }) {
        case .unknown: throw APIErrors.assetNotFound()
        case .createdLater:
            throw HTTPError(status: 404, code: .notFound,
                            message: "the asset did not exist yet at \(at)")
        case .existed(let asset, let attachments, let lastSeenIsLowerBound):
            var object = AssetJSON.object(asset, attachments: attachments, bounds: bounds,
                                          addressExpiry: addressExpiry)
            object["at"] = at.description
            object["last_seen_is_lower_bound"] = lastSeenIsLowerBound
            return JSONFields.response(object)
        }
    }

    func createAsset(_ context: APIContext) async throws -> HTTPResponse {
        let object = try JSONFields.object(context.request.body)
        // An import skips the fields an export writes, so that an export
        // goes back in; a new asset is no export's, and a `community` or
        // `uuid` sent with it was taken and dropped (the asset made in the
        // token's community, with a uuid of its own), the caller told that
        // all went well.
        if let field = AssetRowReader.exportOnlyFields.sorted().first(where: {
            object[$0] != nil && !(object[$0] is NSNull)
        }) {
            throw APIErrors.invalidField(field, "the inventory sets it; a new asset takes "
                                         + ListFormatting.conjunction(AssetRowReader.jsonFields))
        }
        let compact = JSONFields.text(object)
        guard let (_, result) = AssetRowReader.jsonLines(compact).first else {
            throw APIErrors.malformedJSON("the body is empty")
        }
        let row: AssetRow
        switch result {
        case .success(let value): row = value
        case .failure(let problem): throw Self.fieldError(problem)
        }
        let ids = try await service.createChecked([row], community: context.community,
                                                  actor: context.actor)
        return try await assetResponse(ids[0], community: context.community, status: 201)
    }

    /// A row's problem as a JSON body's: an import's columns
    /// (`property.owner`, `atom.ipv4`) are the body's `properties.owner`
    /// and `atoms.ipv4`.
    static func fieldError(_ problem: RowProblem) -> HTTPError {
        var field = problem.column ?? "body"
        for (column, key) in [("property.", "properties."), ("atom.", "atoms.")]
        where field.hasPrefix(column) {
            field = key + field.dropFirst(column.count)
        }
        return APIErrors.invalidField(field, problem.message)
    }

    func updateAsset(_ context: APIContext) async throws -> HTTPResponse {
        let id = try context.uuid()
        let patch = try AssetPatch(json: try JSONFields.object(context.request.body))
        _ = try await service.update(id, community: context.community, patch: patch,
                                     actor: context.actor,
                                     ifMatch: try IfMatchCondition.of(context.request))
        return try await assetResponse(id, community: context.community)
    }

    func revoke(_ context: APIContext, _ revoked: Bool) async throws -> HTTPResponse {
        let id = try context.uuid()
        _ = try await service.setRevoked(id, revoked, community: context.community,
                                         actor: context.actor,
                                         ifMatch: try IfMatchCondition.of(context.request))
        return try await assetResponse(id, community: context.community)
    }

    /// The latest changes an asset's history carries; a host whose
    /// address moves every day gathers thousands in a year.
    static let historyChanges = 1_000

    func history(_ context: APIContext) async throws -> HTTPResponse {
        let id = try context.uuid()
        guard let history = try await readers.read({ try await $0.history(
            of: id, community: context.community, changes: Self.historyChanges) })
        else { throw APIErrors.assetNotFound() }
        return JSONFields.response([
            "uuid": id.lowercasedText,
            "attachments": history.attachments.map {
                Self.attachmentObject($0, addressExpiry: addressExpiry)
            },
            "changes": history.changes.map(AssetJSON.auditObject),
            // Older changes are read from /v1/audit?asset=…&before=this.
            "next_before": history.hasOlder ? (history.changes.first?.id ?? 0) : NSNull(),
        ])
    }

    static func attachmentObject(_ attachment: Attachment,
                                 addressExpiry: Duration) -> [String: Any] {
        var object = AssetJSON.atom(attachment, addressExpiry: addressExpiry)
        object["id"] = attachment.id
        object["origin"] = attachment.origin
        // An atom confirmed and never seen has no sighting: null, not
        // the start of time ("-infinity").
        object["last_seen"] = attachment.lastSeen == .distantPast
            ? NSNull() : attachment.lastSeen.description
        if let entity = attachment.key.scope.entity { object["entity"] = entity }
        return object
    }

    func curate(_ context: APIContext, confirming: Bool) async throws -> HTTPResponse {
        let id = try context.uuid()
        let object = try JSONFields.object(context.request.body, fields: ["type", "value"])
        guard let type = object["type"] as? String else {
            throw APIErrors.invalidField("type", "is required (an atom type such as hostname)")
        }
        guard let value = object["value"] as? String else {
            throw APIErrors.invalidField("value", "is required (the atom's value, as text)")
        }
        // The asset is looked up first so that another community's uuid
        // answers 404 before anything about the atom is said.
        guard let (asset, _) = try await readers.read({
            try await $0.asset(id, community: context.community)
        }) else {
            throw APIErrors.assetNotFound()
        }
        let atom: Atom
        do {
            atom = try await readers.read {
                try await $0.atom(type, value, category: asset.category, community: context.community)
            }
        } catch var problem as RowProblem {
            // The body's fields, not an import's `atom.TYPE` column: the
            // type when it is none or not the asset's kind, else the value.
            let typeIsKnown = (try? AtomType(parsing: type)).map { $0.category == asset.category }
            problem.column = typeIsKnown == true ? "value" : "type"
            throw Self.fieldError(problem)
        }
        try await service.curate(id, community: context.community, atom: atom,
                                 confirming: confirming, actor: context.actor,
                                 ifMatch: try IfMatchCondition.of(context.request))
        return try await assetResponse(id, community: context.community)
    }
}

extension JSONFields {
    static func parseAny(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}

extension InventoryService {
    /// Checks rows as the import does and creates the assets.
    func createChecked(_ rows: [AssetRow], community: String,
                       actor: String) throws -> [AssetID] {
        let builder = try AssetDraftBuilder(store: store, community: community)
        var drafts: [AssetDraft] = []
        var claimed: [AtomKey: InventoryStore.AtomClaim] = [:]
        for row in rows {
            do {
                let draft = try builder.draft(from: row, now: EventTime(Date()))
                if let refusal = try store.refusal(of: draft, claimed: &claimed) {
                    throw HTTPError(status: 409, code: "atom_conflict",
                                    message: refusal.message,
                                    details: ["field": .string("atoms")])
                }
                drafts.append(draft)
            } catch let problem as RowProblem {
                throw APIHandlers.fieldError(problem)
            }
        }
        return try create(drafts, actor: actor)
    }

    /// Imports rows: the refused ones with their row, column and reason,
    /// the good ones in one transaction. A row whose `uuid` names an asset
    /// of `community` updates it (`AssetDraftBuilder.updated`), the atoms
    /// it gives that the asset neither holds nor rejected confirmed on it;
    /// any other row creates an asset. `checkingOnly` checks every row and
    /// writes nothing.
    ///
    /// `matchingAtoms`: a row without a uuid whose atoms one asset of its
    /// category holds now (and no other) updates that asset, as a CMDB's
    /// rows name the machines discovery found by their names alone.
    func importRows(_ rows: [(Int, Result<AssetRow, RowProblem>)], community: String,
                    actor: String, checkingOnly: Bool = false,
                    matchingAtoms: Bool = false) throws -> ImportOutcome {
        try persistPending()
        let builder = try AssetDraftBuilder(store: store, community: community)
        let time = EventTime(Date())
        var outcome = ImportOutcome()
        var drafts: [AssetDraft] = [], updates: [AssetDraft] = []
        // The row that gave each uuid: one asset, one row (an unknown uuid
        // given twice made two new assets).
        var rowGiving: [AssetID: Int] = [:]
        var newNames: Set<String> = []
        // An exclusive atom another asset holds, or an earlier row gives,
        // refuses its row alone, as the command line's import does (the
        // whole import was refused, naming no row).
        var claimed: [AtomKey: InventoryStore.AtomClaim] = [:]
        for (number, result) in rows {
            do {
                let row = try result.get()
                try row.checkExported(into: community)
                let givenID = try givenID(row.uuid)
                if let id = givenID {
                    if let earlier = rowGiving[id] {
                        throw RowProblem(column: "uuid", message: "row \(earlier) gives this "
                                         + "uuid already; give each asset one row")
                    }
                    rowGiving[id] = number
                }
                var matched: Asset?
                if givenID == nil && matchingAtoms {
                    matched = try holder(ofAtomsOf: row, community: community, builder: builder,
                                         at: time)
                    if let id = matched?.id {
                        if let earlier = rowGiving[id] {
                            throw RowProblem(column: nil, message: "row \(earlier) names the "
                                             + "same asset already; give each asset one row")
                        }
                        rowGiving[id] = number
                        outcome.rowsMatchedByAtoms.append(number)
                    }
                }
                guard let stored = matched ?? storedAsset(givenID, community: community) else {
                    drafts.append(try outcome.newAsset(from: row, number: number, builder: builder,
                                                       now: time, store: store, claimed: &claimed,
                                                       names: &newNames))
                    continue
                }
                var update = try builder.updated(stored, by: row,
                                                 heldAtoms: inventory.openAtoms(of: stored.id),
                                                 now: time)
                let listed = update.confirmedAtoms
                // The atoms it holds stay as they are (observed ones are not
                // made confirmed), and so do those a person rejected for it:
                // an export lists them, and a rejection is lifted by
                // confirming the atom, not by an import. Nor is an atom the
                // export listed as observed confirmed: an address that moved
                // to another host since would be held by both.
                let observed = Set(row.observedAtoms.compactMap {
                    try? builder.atom($0.0, $0.1, category: stored.category)
                })
                update.confirmedAtoms.removeAll {
                    inventory.holdsNow($0, on: stored.id) || observed.contains($0)
                        || inventory.rejected.contains(RejectedAtom(asset: stored.id, atom: $0))
                }
                update = try builder.checked(update, of: row, store: store, claimed: &claimed)
                if leavesOutConfirmedAtoms(of: stored.id, row: row, listed: listed) {
                    outcome.rowsLeavingOutAtoms.append(number)
                }
                // An export imported back unchanged changes nothing, and
                // records nothing in the audit trail.
                if update.asset != stored || !update.confirmedAtoms.isEmpty {
                    if let exported = row.updatedAt { try Self.checkExportedVersion(exported, of: stored) }
                    updates.append(update)
                } else {
                    outcome.unchanged += 1
                }
            } catch let problem as RowProblem {
                outcome.refused.append((number, problem))
            }
        }
        outcome.created = drafts.count
        outcome.updated = updates.count
        guard !checkingOnly, !drafts.isEmpty || !updates.isEmpty else { return outcome }
        // The updates are made in the inventory, as an edit's are, and
        // written with the new assets in one transaction; should it fail,
        // the inventory is read again, the store holding none of them.
        let generation = inventoryGeneration
        do {
            for update in updates {
                let id = update.asset.id
                inventory.replace(update.asset, actor: actor, action: "update", at: time)
                for atom in Set(update.confirmedAtoms).sorted() {
                    try inventory.confirm(atom, on: id, actor: actor, at: time)
                }
            }
            _ = try create(drafts, actor: actor, along: inventory.drainChanges())
        } catch {
            try? reloadInventory(afterFailureIn: generation)
            if error is CurationError {
                throw HTTPError(status: 409, code: "atom_conflict", message:
                    "cannot import: an exclusive atom a row confirms belongs to another asset")
            }
            throw error
        }
        return outcome
    }

    /// Refuses an update row exported before the asset's last change:
    /// written, it would put back what the row held then over a change its
    /// author never saw (another analyst's edit, a bulk action, discovery).
    /// An unchanged row passes, as does one without `updated_at`.
    private static func checkExportedVersion(_ exported: EventTime, of stored: Asset) throws {
        let current = EventTime(stored.updatedAt)
        guard current != exported else { return }
        // A spreadsheet that reformats the cell drops its milliseconds: the
        // same second is then no proof of a change, and the message names
        // both readings (the row is refused all the same).
        let sameSecond = current.milliseconds / 1000 == exported.milliseconds / 1000
            && exported.milliseconds % 1000 == 0
        // The row's own time is not quoted: the API takes a request's
        // values out of its answers.
        if sameSecond {
            throw RowProblem(column: "updated_at", message: "the asset's updated_at is "
                + "\(current), and the row's is that second without its milliseconds: a "
                + "spreadsheet that reformats the cell drops them (write it whole), or the "
                + "asset changed within that second (export it again); an empty cell overwrites")
        }
        // A time after the asset's last change was never exported: the
        // cell was edited (or a date typed), not left behind by a change.
        if exported > current {
            throw RowProblem(column: "updated_at", message: "the row's updated_at is later than "
                + "the asset's last change (\(current)), so no export wrote it: put back the "
                + "exported value, or empty the cell to overwrite")
        }
        throw RowProblem(column: "updated_at", message: "the asset has changed since this row "
            + "was exported: its updated_at is now \(current), not the row's; export it again "
            + "and redo the row's changes there, or empty the row's updated_at to overwrite")
    }

    /// Whether an update row gives atoms of a type (a CSV `atom.TYPE`
    /// column, the `atoms` of a JSON line) and leaves out some the asset
    /// holds as confirmed: an import removes none, and the person who
    /// emptied a cell is told so.
    private func leavesOutConfirmedAtoms(of id: AssetID, row: AssetRow, listed: [Atom]) -> Bool {
        let types: Set<AtomType> = row.givenFields.contains("atoms") ? Set(AtomType.allCases)
            : Set(row.givenFields.compactMap { field in
                field.hasPrefix("atom.") ? AtomType(rawValue: String(field.dropFirst(5))) : nil
            })
        guard !types.isEmpty else { return false }
        let listed = Set(listed)
        return inventory.attachments(of: id).contains {
            $0.kind == .confirmed && $0.to == nil && types.contains($0.key.atom.type)
                && !listed.contains($0.key.atom)
        }
    }

    /// The one asset of a row's category that holds one of the row's atoms
    /// now, nil when none does; refused when several assets hold them
    /// (which one would the row update?).
    private func holder(ofAtomsOf row: AssetRow, community: String, builder: AssetDraftBuilder,
                        at time: EventTime) throws -> Asset? {
        guard let text = row.category, let category = try? AssetCategory(parsing: text) else {
            return nil
        }
        var holders: [AssetID] = []
        for (type, value) in row.atoms {
            let atom = try builder.atom(type, value, category: category)
            for id in inventory.holders(of: atom, in: ScopeKey(community: community), at: time)
            where !holders.contains(id) && inventory.asset(id)?.category == category {
                holders.append(id)
            }
        }
        guard holders.count <= 1 else {
            throw RowProblem(column: nil, message: "its atoms are held by "
                             + "\(holders.count) assets (" + holders.prefix(5)
                                 .compactMap { inventory.asset($0)?.name }.joined(separator: ", ")
                             + "): give the uuid of the one to update")
        }
        return holders.first.flatMap { inventory.asset($0) }
    }

    /// The asset of `community` an import row's uuid names; nil when the
    /// row gives none or the community has no asset of it (the row then
    /// creates one, with a uuid of its own).
    private func storedAsset(_ id: AssetID?, community: String) -> Asset? {
        guard let id, let asset = inventory.asset(id),
              asset.community == community else { return nil }
        return asset
    }

    /// The uuid an import row gives, nil when none; refused when it is no uuid.
    private func givenID(_ uuid: String?) throws -> AssetID? {
        guard let text = uuid?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return nil
        }
        guard let id = UUID(exactText: text) else {
            throw RowProblem(column: "uuid", message: "'\(text)' is not a uuid")
        }
        return id
    }
}

/// What an import did: the assets it created and updated, and the rows it
/// refused with why.
public struct ImportOutcome: Sendable {
    public init() {}

    public var created = 0
    public var updated = 0
    /// Rows naming an asset that already was as they say.
    public var unchanged = 0
    /// Rows that gave a uuid no asset of the community has, and created an
    /// asset (with that uuid where no asset of the store has it): a file
    /// from another store, or a mistyped uuid.
    public var rowsOfUnknownUUIDs: [Int] = []
    /// Update rows that leave out atoms their asset holds as confirmed,
    /// which stay (an import adds atoms and removes none).
    public var rowsLeavingOutAtoms: [Int] = []
    /// Rows creating an asset that no atom identifies: no event matches
    /// it, and discovery makes an asset of its own for a host it sees.
    public var rowsCreatingWithoutAtoms: [Int] = []
    /// Rows creating an asset of a category and name the community has
    /// (or an earlier row gave): a file imported twice, or a row meant to
    /// update that asset, without its uuid.
    public var rowsRepeatingNames: [Int] = []
    /// Rows without a uuid that updated the asset holding their atoms
    /// (an import asked to match by atoms).
    public var rowsMatchedByAtoms: [Int] = []

    public var refused: [(row: Int, problem: RowProblem)] = []

    /// The draft of row `number`, which creates an asset, refused in the
    /// column of an atom another asset holds (`AssetDraftBuilder.checked`),
    /// with what is noted of it: a uuid the community has no asset of, no
    /// atom, a name the community has.
    /// `names` holds the category and name of the earlier rows' new assets.
    public mutating func newAsset(from row: AssetRow, number: Int, builder: AssetDraftBuilder,
                                  now: EventTime, store: InventoryStore,
                                  claimed: inout [AtomKey: InventoryStore.AtomClaim],
                                  names: inout Set<String>) throws -> AssetDraft {
        var draft = try builder.draft(from: row, now: now)
        let givenUUID = row.uuid.flatMap { UUID(exactText: $0.trimmingCharacters(in: .whitespaces)) }
        if let givenUUID {
            // An export restored into another store (a new one, after a
            // loss) keeps its assets' uuids, which alerts and enriched
            // events name. A uuid another community's asset has is not
            // taken: that asset is made with a new one, as a row without
            // a uuid is (said alike, so that no community learns of
            // another's assets but by a uuid it knew already).
            if try !store.uuidIsTaken(givenUUID) { draft.asset.id = givenUUID }
        }
        // Checked with its uuid: a later row's atom claimed by it names it.
        draft = try builder.checked(draft, of: row, store: store, claimed: &claimed)
        if givenUUID != nil { rowsOfUnknownUUIDs.append(number) }
        if draft.confirmedAtoms.isEmpty { rowsCreatingWithoutAtoms.append(number) }
        let asset = draft.asset
        if try !names.insert("\(asset.category.rawValue):\(asset.name.lowercased())").inserted
            || store.hasAsset(named: asset.name, category: asset.category,
                              community: asset.community) {
            rowsRepeatingNames.append(number)
        }
        return draft
    }
}

extension StoreReader {
    /// An atom in normal form, checked against the asset category.
    func atom(_ type: String, _ value: String, category: AssetCategory,
              community: String) throws -> Atom {
        try AssetDraftBuilder(store: store, community: community)
            .atom(type, value, category: category)
    }
}
