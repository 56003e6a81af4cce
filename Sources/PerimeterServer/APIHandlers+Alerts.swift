import Foundation
import PerimeterHTTP
import PerimeterIngest
import PerimeterInventory
import PerimeterStore

extension APIHandlers {
    static let alertParameters = ["rule", "asset", "min_urgency", "max_urgency", "since", "until",
                                  "status", "limit", "cursor"]

    /// The community's alerts, most urgent first, then latest first, a page
    /// at a time; the parameters narrow them as `perimeter alerts list`'s
    /// options do.
    func alerts(_ context: APIContext) async throws -> HTTPResponse {
        let query = context.request.query
        let urgency = try Self.percentRange(low: ("min_urgency", query["min_urgency"]),
                                            high: ("max_urgency", query["max_urgency"]))
        var status: StoredAlert.Status?
        if let text = query["status"] {
            guard let value = StoredAlert.Status(rawValue: text) else {
                throw APIErrors.invalidQuery("status", "must be open or closed")
            }
            status = value
        }
        var cursor: AlertCursor?
        if let text = query["cursor"] {
            guard let value = AlertCursor(text: text) else {
                throw APIErrors.invalidQuery("cursor", "must be the next_cursor of a previous page")
            }
            cursor = value
        }
        if query["asset"]?.isEmpty == true {
            throw APIErrors.invalidQuery("asset", "needs an asset's uuid or name")
        }
        if query["rule"]?.isEmpty == true {
            throw APIErrors.invalidQuery("rule", "needs a rule id")
        }
        let limit = try Self.limit(query["limit"])
        let since = try Self.time(query["since"], parameter: "since")
        let until = try Self.time(query["until"], parameter: "until")
        // As an urgency range the wrong way round is: an empty answer would
        // read as "no alerts".
        if let since, let until, since > until {
            throw APIErrors.invalidQuery("until", "is before since")
        }
        let alertQuery = AlertQuery(
            community: context.community, ruleID: query["rule"],
            assets: query["asset"].map { [$0] } ?? [],
            urgency: urgency, since: since, until: until, status: status,
            after: cursor, limit: limit)
        let alerts = try await readers.read { try await $0.alerts(matching: alertQuery) }
        // A full page may have a next one, which starts after its last alert.
        let next = alerts.count == limit ? alerts.last.map { AlertCursor(after: $0) } : nil
        // The alert lines are JSON already (their events as stored): the
        // answer is put together around them rather than parsed again.
        var body = "{\"alerts\":[" + alerts.map(AlertJSON.line).joined(separator: ",") + "],"
        body += "\"next_cursor\":" + (next.map { "\"\($0.text)\"" } ?? "null") + "}"
        return HTTPResponse.json(encoded: Array(body.utf8))
    }

    /// The matches each alert filter suppressed in the community, since
    /// the store began (SPEC §6).
    func suppressions(_ context: APIContext) async throws -> HTTPResponse {
        let counts = try await readers.read {
            try await $0.suppressions(community: context.community)
        }
        return JSONFields.response(["suppressed_by_filter": counts])
    }

    /// The community's atoms that several assets claim, the most claimed
    /// first: the conflicts an intake or ingest counts.
    func conflicts(_ context: APIContext) async throws -> HTTPResponse {
        let limit = try Self.limit(context.request.query["limit"])
        let (total, atoms) = try await readers.read {
            try await $0.claimedAtoms(community: context.community, limit: limit)
        }
        let body = "{\"conflicts\":[" + atoms.joined(separator: ",") + "],\"total\":\(total)}"
        return HTTPResponse.json(encoded: Array(body.utf8))
    }

    func alert(_ context: APIContext) async throws -> HTTPResponse {
        let id = try Self.alertID(context)
        guard let alert = try await readers.read({
            try await $0.alert(id, community: context.community)
        })
        else {
            throw APIErrors.alertNotFound()
        }
        return HTTPResponse.json(encoded: Array(AlertJSON.line(alert).utf8))
    }

    /// Closes an open alert, with the token's name and an optional reason;
    /// the group's next match opens a new alert. Closing a closed alert is
    /// refused (409), naming who closed it: a second analyst's reason would
    /// otherwise be lost without a word.
    func closeAlert(_ context: APIContext) async throws -> HTTPResponse {
        let id = try Self.alertID(context)
        var reason: String?
        if !context.request.body.isEmpty {
            let object = try JSONFields.object(context.request.body, fields: ["reason"])
            switch object["reason"] {
            case nil, is NSNull: break
            case let text as String:
                reason = StoredAlert.Closure.reason(given: text)
                if let reason,
                   StoredAlert.Closure.length(of: reason) > StoredAlert.Closure.reasonLimit {
                    throw APIErrors.invalidField("reason", "is longer than "
                                                 + "\(StoredAlert.Closure.reasonLimit) characters")
                }
            default:
                throw APIErrors.invalidField("reason", "must be a string or null")
            }
        }
        guard let (alert, closedNow) = try await service.closeAlert(
            id, community: context.community, actor: context.actor, reason: reason)
        else { throw APIErrors.alertNotFound() }
        guard closedNow else {
            var details: [String: HTTPErrorDetail] = ["status": .string("closed")]
            if let closure = alert.closure {
                details["closed_at"] = .string(closure.at.description)
                details["closed_by"] = .string(closure.by)
            }
            throw HTTPError(status: 409, code: "alert_closed",
                            message: "alert \(id) is already closed"
                                + (alert.closure.map { " (by \($0.by) at \($0.at))" } ?? ""),
                            details: details)
        }
        return HTTPResponse.json(encoded: Array(AlertJSON.line(alert).utf8))
    }

    private static func alertID(_ context: APIContext) throws -> Int64 {
        // An id that is no number names no alert: the same 404 as an
        // unknown one, as for assets.
        guard let text = context.request.pathParameters["id"],
              let id = StoredAlert.id(parsing: text)
        else { throw APIErrors.alertNotFound() }
        return id
    }
}
