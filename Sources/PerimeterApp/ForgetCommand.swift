import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterServer
import PerimeterStore

/// `perimeter forget`: erasure on request (SPEC §2) of an atom or of an
/// account, straight in the store, under the one-writer lock.
enum ForgetCommand {
    static let spec = CommandSpec(
        name: "forget", summary: "Erase an atom (a username, an email, an address…) or a whole "
            + "account from the store on request, in one transaction, and record that it was "
            + "erased (never the value).",
        usage: "forget --type TYPE --value VALUE [--entity E] [--dry-run] | --asset UUID|NAME "
            + "[--dry-run]",
        options: CommonOptions.store + [
            .init(name: "--type", valueName: "TYPE",
                  help: "The atom's type: " + AtomType.allCases.map(\.rawValue)
                      .joined(separator: ", ") + "."),
            .init(name: "--value", valueName: "VALUE",
                  help: "The atom's value, normalised as ingest normalises it."),
            .init(name: "--entity", valueName: "NAME",
                  help: "Erase it in this entity only (default: every entity of the community)."),
            .init(name: "--asset", valueName: "UUID|NAME",
                  help: "An account to erase whole: the asset and every atom it held."),
            .init(name: "--actor", valueName: "NAME",
                  help: "Who asked, as the audit trail records it after the user running the command (cli:LOGIN for NAME); the erased value is taken out of it."),
            .init(name: "--dry-run", valueName: nil,
                  help: "Count what would be erased, change nothing."),
            .init(name: "--json", valueName: nil, help: "The counts as one JSON object."),
        ],
        example: "perimeter forget --type email --value ann.lee@example.com --community acme",
        details: """
            Every row that holds the value goes: attachments (all intervals, all assets),
            weekly activity, unclaimed, shared, rejected and conflicting atoms, search text.
            Audit entries, alerts, jobs and asset texts that quote it keep their rows with
            the value replaced by [erased]. The store records the erasure by type, actor,
            time and row count in 'forgotten' and the audit trail.
            Events ingested later that carry the value again rediscover it.
            A running server holds the store: send POST /v1/forget to it instead.
            """)

    static func run(_ raw: [String]) throws -> Int32 {
        guard let arguments = try spec.parse(raw) else { return 0 }
        guard arguments.positionals.isEmpty else {
            throw UsageError("unexpected argument '\(arguments.positionals[0])'; "
                             + "give the atom with --type and --value, or --asset")
        }
        let community = try CommonOptions.community(arguments)
        // The user running the command, and who asked when --actor says:
        // a free text recorded alone could pass for any actor
        // (`token:soc-admin`).
        let actor = CommonOptions.commandLineActor
            + (arguments.value("--actor").map { " for " + Terminal.oneLine(Terminal.readable($0)) } ?? "")
        let dryRun = arguments.flag("--dry-run")
        let entity = try CommonOptions.entity(arguments)

        let target = try Target(arguments)
        let (store, lock) = try CommonOptions.openStoreForWriting(arguments, creating: false)
        defer { withExtendedLifetime(lock) {} }
        let now = EventTime(Date())
        let outcome: ForgetOutcome
        switch target {
        case .atom(let atom):
            outcome = try store.forget(atom, community: community, entity: entity, actor: actor,
                                       at: now, dryRun: dryRun)
        case .asset(let reference):
            guard entity == nil else {
                throw UsageError("'--entity' narrows an atom's erasure; an account is erased "
                                 + "whole")
            }
            let asset = try store.asset(named: reference, community: community)
            outcome = try store.forget(asset: asset.id, community: community, actor: actor,
                                       at: now, dryRun: dryRun)
        }
        if arguments.flag("--json") {
            print(AssetJSON.line(ForgetSummary.object(outcome)))
        } else {
            print(ForgetSummary.text(outcome))
        }
        return 0
    }

    private enum Target {
        case atom(Atom)
        case asset(String)

        init(_ arguments: ParsedArguments) throws {
            let type = arguments.value("--type")
            let value = arguments.value("--value")
            if let reference = arguments.value("--asset") {
                guard type == nil, value == nil else {
                    throw UsageError("give either --asset or --type and --value, not both")
                }
                self = .asset(reference)
                return
            }
            guard let type else {
                throw UsageError("say what to erase: --type and --value, or --asset")
            }
            guard let value, !value.isEmpty else {
                throw UsageError("'--type \(type)' needs '--value VALUE'")
            }
            let atomType: AtomType
            do { atomType = try AtomType(parsing: type) } catch { throw UsageError(error.message) }
            guard let atom = AtomsCommand.normalizedCandidates(value, types: [atomType]).first
            else {
                throw UsageError("'\(value)' is no \(atomType.rawValue) atom (placeholders, "
                                 + "loopback and built-in principals are never atoms)")
            }
            self = .atom(atom)
        }
    }
}
