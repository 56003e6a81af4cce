import Foundation
import PerimeterHTTP
import PerimeterIngest
import PerimeterInput
import PerimeterInventory
import PerimeterModel
import PerimeterStore

extension APIHandlers {
    // MARK: - Import and export

    func importAssets(_ context: APIContext) async throws -> HTTPResponse {
        let text: String
        do { text = try AssetRowReader.text(of: context.request.body) } catch {
            throw HTTPError(status: 400, code: .malformedBody,
                            message: "import refused: \(error.message)")
        }
        let contentType = context.request.headers["Content-Type"]?.lowercased() ?? ""
        let format = context.request.query["format"]
            ?? (contentType.contains("csv") ? "csv"
                : contentType.contains("json") ? "jsonl"
                : AssetRowReader.startsLikeJSON(text) ? "jsonl" : "csv")
        let rows: [(Int, Result<AssetRow, RowProblem>)]
        switch format {
        case "csv":
            do { rows = try AssetRowReader.csv(text) } catch let problem as RowProblem {
                let header = AssetRowReader.parseCSV(text).first?.fields
                // Nothing to read: no header (it was answered as a header of
                // one column holding semicolons).
                guard let header else {
                    throw HTTPError(status: 400, code: .malformedBody,
                                    message: "import refused: the body is empty: a CSV import "
                                        + "starts with a header row naming its columns "
                                        + "(name,category,…)")
                }
                // A header refusal names no column only when the header is
                // separated by semicolons.
                let why = problem.column == nil ? "one column holding semicolons (CSV separates "
                        + "columns by commas)"
                    : problem.message.contains("appears twice") ? "a column twice"
                    : "an unknown column"
                // Its place too: the name is kept out of the answer when it
                // reads as data, and a header holds several.
                var details: [String: HTTPErrorDetail] = ["row": 1,
                                                          "column": .string(problem.column ?? "")]
                let columns = AssetRowReader.columns(of: header)
                let position = problem.column.flatMap { columns.firstIndex(of: $0) }.map { $0 + 1 }
                if let position { details["position"] = .int(position) }
                throw HTTPError(status: 400, code: "bad_header",
                                message: "import refused: the CSV header has \(why)"
                                    + (position.map { " (column \($0))" } ?? ""),
                                details: details)
            }
        case "jsonl", "json": rows = AssetRowReader.jsonRows(text)
        default: throw APIErrors.invalidQuery("format", "must be csv or jsonl")
        }
        var checkingOnly = false
        if let text = context.request.query["dry_run"] {
            guard let flag = Bool(flagText: text) else {
                throw APIErrors.invalidQuery("dry_run", "must be true or false")
            }
            checkingOnly = flag
        }
        let matchingAtoms: Bool
        switch context.request.query["match"] {
        case nil, "uuid": matchingAtoms = false
        case "atoms": matchingAtoms = true
        default: throw APIErrors.invalidQuery("match", "must be uuid or atoms")
        }
        let outcome = try await service.importRows(
            rows, community: context.community, actor: context.actor, checkingOnly: checkingOnly,
            matchingAtoms: matchingAtoms)
        // A reason may quote this row's values or another row's (a name
        // given twice): every value of the body is taken out.
        let values = CallerValues(of: context.request)
        return JSONFields.response([
            "dry_run": checkingOnly,
            "imported": outcome.created + outcome.updated,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "created_from_unknown_uuid": outcome.rowsOfUnknownUUIDs,
            "atoms_left_out_kept": outcome.rowsLeavingOutAtoms,
            "created_without_atoms": outcome.rowsCreatingWithoutAtoms,
            "matched_by_atoms": outcome.rowsMatchedByAtoms,
            "created_with_existing_name": outcome.rowsRepeatingNames,
            "refused": outcome.refused.map { number, problem in
                // A column is the caller's key: shown when it reads as a
                // name (an email given as a key is a value, and goes).
                let column = problem.column.map { column -> String in
                    CallerValues.looksLikeAName(column) ? column : values.scrub(column)
                }
                let names = column.map(CallerValues.namesKept) ?? []
                return ["row": number, "column": column ?? NSNull(),
                        "reason": values.scrub(problem.message, keeping: names)] as [String: Any]
            },
        ])
    }

    func export(_ context: APIContext) async throws -> HTTPResponse {
        let query = try AssetFilter.query(context.queryLists, community: context.community,
                                          bounds: bounds)
        let format = context.request.query["format"] ?? "jsonl"
        guard format == "jsonl" || format == "csv" else {
            throw APIErrors.invalidQuery("format", "must be jsonl or csv")
        }
        let contentType = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson"
        // HEAD answers with GET's status and type, and reads nothing: the
        // whole export was read to be thrown away (10 s over 300,000
        // assets). Not as a stream: an empty stream's answer to HEAD came
        // with its last chunk (`0`), a body HEAD must not have.
        if context.request.method == .head {
            return HTTPResponse(status: 200, headers: ["Content-Type": contentType])
        }
        let readers = self.readers
        let community = context.community
        // The assets that match now, each listed once, read a page at a
        // time as they are when their page is read.
        let ids = try await readers.read { try await $0.exportIDs(query) }
        let pages = stride(from: 0, to: ids.count, by: Self.exportPageSize).map {
            ids[$0..<min($0 + Self.exportPageSize, ids.count)]
        }
        @Sendable func page(_ index: Int) async throws -> [(asset: Asset, attachments: [Attachment])] {
            guard index < pages.count else { return [] }
            return try await readers.read {
                try await $0.exportPage(pages[index], community: community,
                                        includingRevoked: query.includeRevoked)
            }
        }
        // Read before answering: a store that cannot be read answers with
        // an error status, not with a body cut short.
        var columns: AssetCSV.Columns?
        if format == "csv" {
            var names = AssetCSV.ColumnNames()
            for index in pages.indices {
                for (asset, attachments) in try await page(index) {
                    names.include(asset, attachments: attachments)
                }
            }
            columns = names.columns
        }
        let first = try await page(0)

        // Written while it is sent, a page at a time: an export of a
        // million assets is some 600 MB of JSON, which the server held
        // whole before sending it. Pages are read in turns with other
        // requests: an asset changed meanwhile shows as it is when its
        // page is read, one deleted is left out, and in a CSV a property
        // first set on an asset after the column names were read has no
        // column (the JSON lines carry it).
        let stream = HTTPBodyStream()
        let (bounds, addressExpiry, log) = (bounds, addressExpiry, options.log)
        let request = context.request
        let handlers = self
        Task {
            if let columns, await !stream.write(Array(columns.header.utf8)) { return }
            var current = first
            var index = 0
            while true {
                var bytes: [UInt8] = []
                for (asset, attachments) in current {
                    if let columns {
                        bytes += AssetCSV.row(asset, attachments: attachments, columns).utf8
                    } else {
                        AssetJSON.append(asset, attachments: attachments, bounds: bounds,
                                         addressExpiry: addressExpiry, to: &bytes)
                        bytes.append(0x0A)
                    }
                }
                // False: the client left or the server stops.
                guard await stream.write(bytes) else { return }
                index += 1
                guard index < pages.count else { break }
                // A token revoked (or expired) during a long export stops
                // it, as it stops every later request.
                do { _ = try handlers.authenticate(request, for: .read) } catch {
                    log("export stopped community=\(LogField.value(community)) "
                        + "reason=token_no_longer_valid")
                    stream.fail()
                    return
                }
                do {
                    current = try await page(index)
                } catch {
                    log("export failed community=\(LogField.value(community)) "
                        + "error=\(type(of: error))")
                    stream.fail()
                    return
                }
            }
            stream.finish()
        }
        return .streamed(stream, contentType: contentType)
    }

    /// Assets read from the store at a time by an export.
    static let exportPageSize = 1_000
    /// The most problems an intake's answer lists.
    static let problemsListed = 1_000

    // MARK: - Bulk jobs

    func bulk(_ context: APIContext) async throws -> HTTPResponse {
        let object = try JSONFields.object(context.request.body, fields: [
            "action", "ids", "filter", "tags", "criticality", "reviewed",
        ])
        let action = try BulkAction(json: object)
        try action.refuseFieldsItDoesNotRead(in: object)
        let selection: BulkSelection
        switch (object["ids"], object["filter"]) {
        case (let list?, nil):
            guard let texts = list as? [String], !texts.isEmpty else {
                throw APIErrors.invalidField("ids", "must be a non-empty list of uuids")
            }
            var normalized: [String] = []
            for text in texts {
                guard let id = UUID(exactText: text) else {
                    throw APIErrors.invalidField("ids", "holds a value that is not a uuid")
                }
                normalized.append(id.lowercasedText)
            }
            selection = .ids(Array(Set(normalized)))
        case (nil, let value?):
            selection = try .filter(value, for: action, community: context.community,
                                    bounds: bounds)
        default:
            throw APIErrors.invalidField("ids", "give either ids or filter (one of them)")
        }
        let job = try await service.createJob(action, selection: selection,
                                              community: context.community,
                                              actor: context.actor)
        if case .ids(let ids) = selection, job.total < ids.count {
            // Ids of another community answer like unknown ids; the job
            // with the known ones is not started.
            try await service.discardJob(job.id)
            throw HTTPError(status: 404, code: .notFound,
                            message: "no such asset: \(ids.count - job.total) of the ids are not "
                                + "assets of this community; no job was run (the request is "
                                + "listed as a failed job)",
                            details: ["unknown_count": .int(ids.count - job.total)])
        }
        await scheduler.enqueue(job.id)
        return JSONFields.response(Self.jobObject(job), status: 202)
    }

    static func jobObject(_ job: StoredJob) -> [String: Any] {
        [
            "id": job.id, "action": job.action, "status": job.status.rawValue,
            "done": job.done, "changed": job.changed, "total": job.total,
            "error": job.error ?? NSNull(), "actor": job.actor,
            "request": JSONFields.parse(job.request) ?? [:],
            "created_at": EventTime(job.createdAt).description,
            "updated_at": EventTime(job.updatedAt).description,
        ]
    }

    func job(_ context: APIContext) async throws -> HTTPResponse {
        guard let id = context.request.pathParameters["id"],
              let job = try await readers.read({
                  try await $0.job(id, community: context.community)
              })
        else { throw APIErrors.jobNotFound() }
        return JSONFields.response(Self.jobObject(job))
    }

    /// The community's jobs, newest first: what ran, what failed and why.
    func jobs(_ context: APIContext) async throws -> HTTPResponse {
        let query = context.request.query
        var status: StoredJob.Status?
        if let text = query["status"] {
            guard let value = StoredJob.Status(rawValue: text) else {
                throw APIErrors.invalidQuery("status",
                                             "must be queued, running, succeeded or failed")
            }
            status = value
        }
        let limit = try Self.limit(query["limit"])
        guard let jobs = try await readers.read({
            try await $0.jobs(community: context.community, status: status,
                              before: query["before"], limit: limit)
        })
        else { throw APIErrors.invalidQuery("before", "must be a job id of the previous page") }
        // A full page (of at least one job: `limit` is 1 or more) may have a
        // next one, which starts after its last job.
        let nextBefore: Any = jobs.count == limit ? jobs[jobs.count - 1].id : NSNull()
        return JSONFields.response(["jobs": jobs.map(Self.jobObject), "next_before": nextBefore])
    }

    // MARK: - Events

    /// Runs retention when due and logs what it removed. A failure is
    /// logged, not answered: the request it follows has succeeded.
    func pruneIfDue() async {
        do {
            if let pruned = try await service.pruneIfDue() {
                options.log("retention pruned activity_buckets=\(pruned.activityBuckets) "
                            + "unclaimed_atoms=\(pruned.unclaimedAtoms) "
                            + "unclaimed_buckets=\(pruned.unclaimedBuckets) "
                            + "counted_atoms=\(pruned.countedAtoms)")
            }
        } catch {
            options.log("retention failed error=\(type(of: error))")
        }
    }

    /// A request's `Idempotency-Key` with what the store holds of it: its
    /// lines up to `storedThroughLine` were stored by an earlier sending.
    struct IntakeKey {
        let source: String
        let head: FileHead
        let bodySize: Int
        let storedThroughLine: Int

        /// The progress a chunk ending with `line` commits.
        func progress(through line: NumberedLine) -> IngestProgress {
            IngestProgress(source: source, path: "http", size: UInt64(bodySize),
                           byteOffset: UInt64(line.bytes.upperBound), line: line.number,
                           head: head)
        }
    }

    /// Idempotency keys are kept this long after their last chunk: a
    /// client sends again within minutes, not days.
    static let intakeKeyLifetime = Duration.hours(24)

    /// Reads the `Idempotency-Key` header (nil without one) and what an
    /// earlier request of the same key stored; a key sent before with
    /// another body is refused, as the lines it skips would be others.
    private func intakeKey(_ header: String?, scope: ScopeKey, body: [UInt8]) async throws
        -> IntakeKey? {
        guard let header else { return nil }
        let text = header.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(text.utf8.count),
              text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPError(status: 400, code: "invalid_header",
                            message: "invalid header 'Idempotency-Key': 1 to 200 printable ASCII "
                                + "characters without spaces (a UUID is a good key)",
                            details: ["header": .string("Idempotency-Key")])
        }
        let source = "\(Self.intakeKeyPrefix)\(scope.community)/\(scope.entity ?? "")/\(text)"
        let head = FileHead(of: body)
        // One request of a key at a time: a second one read the first's
        // progress before its last chunks and stored them again (a client
        // that gave up waiting sends again at once).
        guard let stored = try await service.beginKeyedIntake(source: source) else {
            throw HTTPError(status: 409, code: "idempotency_key_in_use",
                            message: "a request with this Idempotency-Key is being stored: wait "
                                + "for it, then send the body again with the key to store the "
                                + "rest, if any",
                            details: ["header": .string("Idempotency-Key")],
                            headers: ["Retry-After": "1"])
        }
        if let stored, stored.head != head {
            await service.endKeyedIntake(source: source)
            throw HTTPError(status: 409, code: "idempotency_key_reused",
                            message: "the Idempotency-Key was sent before with another body: "
                                + "a key names one body (send new events with a new key)",
                            details: ["header": .string("Idempotency-Key")])
        }
        return IntakeKey(source: source, head: head, bodySize: body.count,
                         storedThroughLine: stored?.line ?? 0)
    }

    /// How intake keys are named among the store's ingest progress.
    static let intakeKeyPrefix = "http-key:"

    func events(_ context: APIContext) async throws -> HTTPResponse {
        let body = context.request.body
        var entity: String?
        // An entity of spaces is none, as an empty one is.
        if let text = context.request.query["entity"]?.trimmingCharacters(in: .whitespaces),
           !text.isEmpty {
            if let problem = Scope.problem(withName: text) {
                throw APIErrors.invalidQuery("entity", problem)
            }
            entity = text
        }
        let returned = context.request.query["return"]
        guard returned == nil || returned == "enriched" else {
            throw APIErrors.invalidQuery("return", "expected enriched (or no return parameter)")
        }
        let returnEnriched = returned == "enriched"
        // The enriched events carry the assets they touch (names, tags,
        // criticality): reading them back is reading the inventory.
        if returnEnriched, let role = context.principal?.role,
           !role.permissions.contains(.read) {
            throw HTTPError(status: 403, code: "forbidden",
                            message: "forbidden: return=enriched answers with the assets each "
                                + "event touches, which needs the read permission beside ingest: "
                                + "an admin token (an \(role.rawValue) token sends events only)",
                            details: ["role": .string(role.rawValue),
                                      "permission": .string(APIPermission.read.rawValue)])
        }
        let lines = body.withUnsafeBytes { LineReader.eventLines(in: $0) }

        let scope = ScopeKey(community: context.community, entity: entity)
        // Sent with an Idempotency-Key, the request records with each chunk
        // how far it is stored: the same key and body sent again (an answer
        // lost, a server restarted, a chunk failed) stores only the rest.
        // Two key fields name two bodies: which one this is, is not known.
        let keyFields = context.request.headers.values(for: "Idempotency-Key")
        guard keyFields.count <= 1 else {
            throw HTTPError(status: 400, code: "invalid_header",
                            message: "invalid header 'Idempotency-Key': given \(keyFields.count) "
                                + "times; a request has one key",
                            details: ["header": .string("Idempotency-Key")])
        }
        let key = try await intakeKey(keyFields.first, scope: scope, body: body)
        do {
            let response = try await storeEvents(context, body: body, lines: lines, scope: scope,
                                                 returnEnriched: returnEnriched, key: key)
            if let key { await service.endKeyedIntake(source: key.source) }
            return response
        } catch {
            if let key { await service.endKeyedIntake(source: key.source) }
            throw error
        }
    }

    /// Stores the lines of an intake request not stored yet (all of them
    /// without a key), chunk by chunk, and answers what they gave.
    private func storeEvents(_ context: APIContext, body: [UInt8], lines: [NumberedLine],
                             scope: ScopeKey, returnEnriched: Bool,
                             key: IntakeKey?) async throws -> HTTPResponse {
        let storedBefore = key?.storedThroughLine ?? 0
        let pending = storedBefore == 0 ? lines[...] : lines.filter { $0.number > storedBefore }[...]
        var outcome = IntakeOutcome()
        let step = max(1, options.intakeChunkLines)
        var chunks: [IntakeChunk] = []
        var settled = 0
        func settleChunk(_ index: Int, _ chunk: IntakeChunk) async throws {
            do {
                outcome.alertsOpened += try await chunk.batch.value()
            } catch {
                options.log("intake batch failed error=\(type(of: error)) "
                            + "action=reload_inventory")
                do {
                    try await service.reloadInventory(afterFailureIn: chunk.generation)
                } catch {
                    options.log("inventory reload failed error=\(type(of: error))")
                }
                // The chunks before this one are stored, this one and those
                // after it are not (they fail with it): the client sends
                // again from its first line, and only that (a bare 500 said
                // neither, and a request sent again whole counted the
                // stored chunks' events twice).
                let firstNotStored = chunk.firstLine
                let stored = index == 0 && storedBefore == 0 ? "nothing was stored"
                    : "the lines before it were stored"
                let again = key == nil ? "send them again from that line"
                    : "send the same body again with the same Idempotency-Key (or the lines "
                        + "from that one on)"
                throw HTTPError(
                    status: 500, code: .internalError,
                    message: "internal error: the events from line \(firstNotStored) on could not "
                        + "be stored (\(stored)); \(again)",
                    details: ["first_line_not_stored": .int(firstNotStored),
                              "lines_stored": .int(lines.count - pending.count
                                                   + chunks[..<index].reduce(0) {
                                                       $0 + $1.lineCount
                                                   })])
            }
        }
        // Answered once every chunk is committed: the next chunk or
        // request was read meanwhile.
        func settle() async throws {
            while settled < chunks.count {
                let (index, chunk) = (settled, chunks[settled])
                settled += 1
                try await settleChunk(index, chunk)
            }
        }
        var chunkStart = 0
        var holdsAfterFailure = true
        while chunkStart < pending.count {
            let range = pending[(pending.startIndex + chunkStart)
                ..< (pending.startIndex + min(pending.count, chunkStart + step))]
            let chunk: IntakeChunk
            do {
                chunk = try await service.ingest(
                    body, lines: range, scope: scope, returnEnriched: returnEnriched,
                    after: holdsAfterFailure ? chunks.last : nil,
                    progress: key.flatMap { key in range.last.map { key.progress(through: $0) } })
            } catch is IntakeChunkHeld {
                // A batch failed since the last chunk: if it was one of
                // this request's, `settle` answers 500 from there and no
                // later line of it is stored; if it was another request's,
                // this one goes on, through the inventory read again.
                try await settle()
                holdsAfterFailure = false
                continue
            }
            holdsAfterFailure = true
            outcome.add(chunk.outcome)
            chunks.append(chunk)
            chunkStart += step
        }
        try await settle()
        if outcome.received > 0 { try await service.recordAddressExpiry() }
        await pruneIfDue()

        // What the events met in the inventory (enriched or not, assets
        // made, rules matched) tells what it holds: a token that may not
        // read it (ingest) gets null there, or sending `destination.ip` of
        // each address in turn would list the known ones.
        let reads = context.principal?.role.permissions.contains(.read) ?? false
        func inventoryCount(_ count: Int) -> String { reads ? String(count) : "null" }
        // What "late" means here: events older than the stream's newest by
        // more than this changed no asset (33 of 50 backfilled events were
        // late, and the answer gave no hint why).
        let latenessSeconds = options.configuration.inventory.latenessWindow.milliseconds / 1000
        var json = "{\"received\":\(outcome.received),\"malformed\":\(outcome.malformed),"
            + "\"enriched\":\(inventoryCount(outcome.enriched)),"
            + "\"discovered\":\(inventoryCount(outcome.created)),"
            + "\"late\":\(outcome.late),\"future\":\(outcome.future),"
            + "\"lateness_window_seconds\":\(latenessSeconds),"
            + "\"without_timestamp\":\(outcome.withoutTimestamp),"
            + "\"dotted_hostnames_dropped\":\(outcome.droppedDottedHostnames),"
            + "\"matches\":\(inventoryCount(outcome.matches)),"
            + "\"alerts_opened\":\(inventoryCount(outcome.alertsOpened)),"
            + "\"suppressed\":\(inventoryCount(outcome.suppressed)),"
            + "\"regex_limit_exceeded\":\(inventoryCount(outcome.regexLimitExceeded)),"
            + "\"already_stored\":\(lines.count - pending.count),"
            + "\"problems\":["
        // The first problems, in line order; how many more there were is
        // said, so a client knows the list is not every line to resend.
        for (index, problem) in outcome.problems.prefix(Self.problemsListed).enumerated() {
            if index > 0 { json += "," }
            json += "{\"line\":\(problem.line),\"code\":\"\(problem.code)\""
            if let offset = problem.byteOffset { json += ",\"byte_offset\":\(offset)" }
            json += "}"
        }
        json += "],\"problems_omitted\":\(max(0, outcome.problems.count - Self.problemsListed))"
        var bytes = Array(json.utf8)
        if returnEnriched {
            // The enriched events are JSON objects already: they go in as they are.
            bytes += Array(",\"events\":[".utf8)
            var first = true
            for line in outcome.enrichedLines.split(separator: 0x0A) where !line.isEmpty {
                if !first { bytes.append(UInt8(ascii: ",")) }
                bytes += line
                first = false
            }
            bytes.append(UInt8(ascii: "]"))
        }
        bytes.append(UInt8(ascii: "}"))
        return HTTPResponse.json(encoded: bytes)
    }
}

extension InventoryService {
    /// Drops a job that was refused before it started.
    func discardJob(_ id: String) throws {
        try store.setJobStatus(id, .failed, error: "refused: unknown ids", at: Date())
    }
}

/// Assets as CSV with the import's columns, the uuid first: a spreadsheet
/// of them imports back, updating the assets (`GET /v1/export`,
/// `assets list --csv`).
public enum AssetCSV {
    /// A list property's cell: its items joined by commas, or a JSON list
    /// when that would not read back the same (an item with a comma, or
    /// one that starts like a JSON list, or no item at all).
    static func listCell(_ items: [String]) -> String {
        let plain = items.joined(separator: ",")
        if !items.isEmpty, jsonList(plain) == nil,
           items.allSatisfy({ !$0.contains(",") && $0 == $0.trimmingCharacters(in: .whitespaces)
                                && !$0.isEmpty }) {
            return plain
        }
        let data = (try? JSONSerialization.data(withJSONObject: items,
                                                options: [.withoutEscapingSlashes]))
            ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The items of a cell that holds a JSON list of text; nil otherwise.
    static func jsonList(_ cell: String) -> [String]? {
        let trimmed = cell.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String]
    }

    public static func export(_ assets: [(Asset, [Attachment])]) -> String {
        var found = ColumnNames()
        for (asset, attachments) in assets { found.include(asset, attachments: attachments) }
        let columns = found.columns
        var text = columns.header
        for (asset, attachments) in assets { text += row(asset, attachments: attachments, columns) }
        return text
    }

    /// The names behind an export's variable columns: the types of the
    /// atoms its assets hold confirmed, and the names of their properties.
    /// They are known before the first row is written, so a streamed
    /// export reads its assets twice: once for these, once for the rows.
    public struct ColumnNames: Sendable {
        private var atomTypes = Set<String>()
        private var propertyNames = Set<String>()

        public init() {}

        public mutating func include(_ asset: Asset, attachments: [Attachment]) {
            for attachment in attachments where attachment.kind == .confirmed
                && attachment.to == nil {
                atomTypes.insert(attachment.key.atom.type.rawValue)
            }
            propertyNames.formUnion(asset.properties.keys)
        }

        public var columns: Columns {
            Columns(atomTypes: atomTypes.sorted(), propertyNames: propertyNames.sorted())
        }
    }

    /// An export's columns after the fixed ones, in their order.
    public struct Columns: Sendable {
        let atomTypes: [String]
        let propertyNames: [String]

        /// The header line, with its line end.
        public var header: String {
            var names = ["uuid", "name", "category", "subcategory", "criticality", "tags",
                         "reviewed", "revoked", "description", "entity", "updated_at"]
            names += atomTypes.map { "atom.\($0)" } + propertyNames.map { "property.\($0)" }
            return names.joined(separator: ",") + "\n"
        }
    }

    /// One asset's line under `columns`' header, with its line end.
    public static func row(_ asset: Asset, attachments: [Attachment], _ columns: Columns) -> String {
        var fields = [
            asset.id.lowercasedText, asset.name, asset.category.rawValue,
            asset.subcategory?.rawValue ?? "",
            asset.criticality.map { String($0.value) } ?? "",
            asset.tags.sorted().joined(separator: ";"), asset.reviewed ? "true" : "false",
            asset.isRevoked ? "true" : "false", asset.description, asset.entity ?? "",
            EventTime(asset.updatedAt).description,
        ]
        for type in columns.atomTypes {
            // A value holding the cell's separator (discovery may attach
            // one) cannot be written so that it reads back whole.
            fields.append(attachments.filter {
                $0.kind == .confirmed && $0.to == nil && $0.key.atom.type.rawValue == type
                    && !$0.key.atom.value.contains(";")
            }.map(\.key.atom.value).joined(separator: ";"))
        }
        for name in columns.propertyNames {
            switch asset.properties[name] {
            case .string(let value): fields.append(value)
            case .number(let value): fields.append(PropertyValue.text(ofNumber: value))
            case .boolean(let value): fields.append(value ? "true" : "false")
            case .list(let values): fields.append(listCell(values))
            case nil: fields.append("")
            }
        }
        return fields.map(quoted).joined(separator: ",") + "\n"
    }

    static func quoted(_ field: String) -> String {
        let field = AssetRowReader.startsLikeAFormula(field) ? "'" + field : field
        // By bytes: "\r\n" is one Character, equal to neither "\r" nor "\n",
        // and a CRLF in a value (an event's OS text) left it unquoted, its
        // second line a cell of its own.
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D })
        else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
