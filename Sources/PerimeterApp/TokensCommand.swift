import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterServer
import PerimeterStore

/// `perimeter tokens create|list|revoke`: the API's bearer tokens.
enum TokensCommand {
    static let createSpec = CommandSpec(
        name: "tokens create", summary: "Create an API token. The token is printed once, alone "
            + "on standard output; only its SHA-256 is stored.",
        usage: "tokens create --community C --role admin|analyst|reader|ingest [--name N] "
            + "[--expires DATE] | --operator",
        options: storeOptions + [
            .init(name: "--community", valueName: "NAME",
                  help: "The community the token belongs to (required but with --operator)."),
            .init(name: "--role", valueName: "ROLE",
                  help: "admin (also tokens, properties, rules), analyst (change assets), "
                      + "reader (read), ingest (send events)."),
            .init(name: "--name", valueName: "NAME",
                  help: "Who uses it; the audit trail records it (default: the role)."),
            .init(name: "--expires", valueName: "DATE", help: "When it stops working (RFC 3339)."),
            .init(name: "--operator", valueName: nil,
                  help: "A metrics-only token of no community, for /metrics."),
        ],
        example: "TOKEN=$(perimeter tokens create --community acme --role analyst --name soc-bot)",
        takesArguments: false)

    /// The store's options but the community, which `create` requires
    /// and `revoke` does not take (a token's id names it).
    private static let storeOptions = CommonOptions.store.filter { $0.name != "--community" }

    static let listSpec = CommandSpec(
        name: "tokens list", summary: "List tokens (never their secrets).",
        usage: "tokens list [--community C] [--all]",
        options: CommonOptions.store + [
            .init(name: "--all", valueName: nil, help: "Tokens of every community."),
        ],
        example: "perimeter tokens list --community acme",
        takesArguments: false)

    static let revokeSpec = CommandSpec(
        name: "tokens revoke", summary: "Revoke a token by its id: it stops working at once.",
        usage: "tokens revoke ID", options: storeOptions,
        example: "perimeter tokens revoke 5f0c…")

    static func run(_ raw: [String]) throws -> Int32 {
        let specs = [createSpec, listSpec, revokeSpec]
        let help = """
            Create, list and revoke the API's tokens (perimeter serve).

            Usage: perimeter tokens COMMAND [OPTIONS]   (perimeter tokens COMMAND --help)

              create    Create a token of a community and role; printed once, only its
                        SHA-256 stored
              list      List tokens (never their secrets)
              revoke    Revoke a token by its id: it stops working at once

            Example:
              \(specs[0].example)
            """
        return try Subcommands(
            "tokens", help: { help },
            [("create", create), ("list", list), ("revoke", revoke)]).run(raw)
    }

    static func create(_ raw: [String]) throws -> Int32 {
        guard let arguments = try createSpec.parse(raw) else { return 0 }
        let role: APIRole
        let community: String?
        if arguments.flag("--operator") {
            guard arguments.value("--role") == nil, arguments.value("--community") == nil else {
                throw UsageError("an operator token has no '--role' and no '--community'")
            }
            role = .operator
            community = nil
        } else {
            guard let name = arguments.value("--role"), let parsed = APIRole(rawValue: name),
                  parsed != .operator else {
                throw UsageError("'--role' must be admin, analyst, reader or ingest")
            }
            guard arguments.value("--community") != nil else {
                throw UsageError("a token belongs to one community: give '--community'")
            }
            role = parsed
            community = try CommonOptions.community(arguments)
        }
        let expiry = try arguments.value("--expires").map {
            try CommonOptions.time($0, option: "--expires").date
        }
        // As the API refuses it: a token that never works is a mistake.
        if let expiry, expiry <= Date() {
            throw UsageError("'--expires' is in the past: the token would never work")
        }
        let name = arguments.value("--name") ?? role.rawValue
        if let problem = APITokenIssuer.problem(withName: name) {
            throw UsageError("'--name' \(problem)")
        }
        // A community a store holds already keeps its name, whatever it is.
        if let name = community, let problem = Scope.problem(withNewName: name) {
            let path = try CommonOptions.databasePath(arguments)
            let known = FileManager.default.fileExists(atPath: path)
                ? try CommonOptions.openStore(arguments).communitiesWithAssets() : []
            if !known.contains(name) {
                throw UsageError("invalid community '\(name)': \(problem)")
            }
        }
        let store = try CommonOptions.openStore(arguments, creating: true)
        // A token for a community no asset is in yet is how a new tenant
        // starts, and also how `ACME` for `acme` starts a second, empty one:
        // the note names the store's communities.
        if let community, !(try store.communitiesWithAssets().isEmpty) {
            try CommonOptions.noteAnEmptyCommunity(community, in: store)
        }
        let (secret, _) = try APITokenIssuer.issue(
            in: store, name: name, community: community,
            role: role, expiresAt: expiry)
        print(secret)
        return 0
    }

    static func list(_ raw: [String]) throws -> Int32 {
        guard let arguments = try listSpec.parse(raw) else { return 0 }
        // A store is made by the first token (or ingest), not by a look at
        // a mistyped path.
        let store = try CommonOptions.openStore(arguments)
        let community = arguments.flag("--all") ? nil : try CommonOptions.community(arguments)
        let tokens = try store.tokens(community: community)
        // Tokens are made for a community given by name: an empty list of
        // the default one showed a header and no hint where they went.
        if tokens.isEmpty, let community {
            Terminal.note("no token in community '\(community)' ('tokens list --all' lists "
                          + "every community's)")
        }
        print(["ID", "NAME", "COMMUNITY", "ROLE", "CREATED", "EXPIRES", "STATE"]
            .joined(separator: "\t"))
        let now = Date()
        for token in tokens {
            let state = token.revokedAt != nil ? "revoked"
                : token.isUsable(at: now) ? "active" : "expired"
            print([token.id, token.name, token.community ?? "-", token.role,
                   EventTime(token.createdAt).description,
                   token.expiresAt.map { EventTime($0).description } ?? "-", state]
                .joined(separator: "\t"))
        }
        return 0
    }

    static func revoke(_ raw: [String]) throws -> Int32 {
        guard let arguments = try revokeSpec.parse(raw) else { return 0 }
        guard arguments.positionals.count == 1 else { throw UsageError("give one token id") }
        let store = try CommonOptions.openStore(arguments)
        guard try store.revokeToken(id: arguments.positionals[0], community: nil, at: Date()) else {
            throw UsageError("no token has id '\(arguments.positionals[0])' (see 'tokens list --all')")
        }
        print("revoked \(arguments.positionals[0])")
        return 0
    }
}
