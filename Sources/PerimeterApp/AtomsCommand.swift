import Foundation
import PerimeterEvents
import PerimeterInventory
import PerimeterModel
import PerimeterServer
import PerimeterStore

/// `perimeter atoms show VALUE [--at TIME]`: which asset held an atom.
enum AtomsCommand {
    static let spec = CommandSpec(
        name: "atoms show", summary: "Show which assets hold an atom, now or at a given time, "
            + "with its whole timeline of attachments and its weekly activity.",
        usage: "atoms show VALUE [--type TYPE] [--at TIME] [--now TIME] [--json]",
        options: CommonOptions.store + [
            .init(name: "--type", valueName: "TYPE",
                  help: "The atom type, when the value alone is ambiguous (e.g. hostname or username)."),
            .init(name: "--at", valueName: "TIME", help: "The time to ask about (default: now)."),
            CommonOptions.clock,
            .init(name: "--entity", valueName: "NAME", help: "Ask from this entity's point of view."),
            .init(name: "--json", valueName: nil, help: "One JSON object."),
        ],
        example: "perimeter atoms show 10.0.0.7 --at 2024-05-01T10:00:00Z")

    static func run(_ raw: [String]) throws -> Int32 {
        try Subcommands("atoms", help: { help }, [
            ("show", show),
            ("conflicts", conflicts),
            ("confirm", { try EditCommands.curate($0, confirming: true) }),
            ("reject", { try EditCommands.curate($0, confirming: false) }),
        ]).run(raw)
    }

    static let help = """
        Ask about atoms, and confirm or reject them for an asset.

        Usage: perimeter atoms COMMAND [OPTIONS]   (perimeter atoms COMMAND --help)

          show      Which assets hold an atom, now or at a given time, with its timeline
          conflicts The identifiers several assets claim (a name, a MAC, a host id), most
                    claimed first
          confirm   Confirm an atom as an asset's (it stays until an analyst says otherwise)
          reject    Reject an atom for an asset (discovery never attaches it there again)

        Example:
          perimeter atoms show 10.0.0.7 --at 2024-05-01T10:00:00Z
        """

    static let conflictsSpec = CommandSpec(
        name: "atoms conflicts", summary: "List the identifiers that several assets claim "
            + "(an exclusive atom: a host name, a MAC, a host or agent id, a SID), the most "
            + "claimed first, with the assets and since when: the conflicts an ingest counts.",
        usage: "atoms conflicts [--limit N] [--json]",
        options: CommonOptions.store + [
            .init(name: "--limit", valueName: "N", help: "At most N atoms (default 50; 0: all)."),
            .init(name: "--json", valueName: nil,
                  help: "One JSON object per atom: type, value, entity, reason, since, and "
                      + "assets as {uuid, name}."),
        ],
        example: "perimeter atoms conflicts --community acme --limit 20")

    /// The conflicts of a community merged per atom: an ingest's summary
    /// counts them and pointed at `assets show`, one asset at a time.
    private static func conflicts(_ raw: [String]) throws -> Int32 {
        guard let arguments = try conflictsSpec.parse(raw) else { return 0 }
        guard arguments.positionals.isEmpty else {
            throw UsageError("'atoms conflicts' takes no value; see --help")
        }
        let community = try CommonOptions.community(arguments)
        let limit = try arguments.int("--limit", in: 0...10_000_000) ?? 50
        let store = try CommonOptions.openStore(arguments)
        let merged = try store.claimedAtoms(community: community)
        let shown = limit == 0 ? merged[...] : merged.prefix(limit)
        let names = try store.assetNames(of: shown, community: community)
        if arguments.flag("--json") {
            for claimed in shown {
                print(AssetJSON.line(AssetJSON.claimedAtomObject(claimed, names: names)))
            }
        } else {
            var lines = ["ATOM\tASSETS\tSINCE\tREASON\tCLAIMED BY"]
            for claimed in shown {
                let holders = claimed.assets
                // Assets of one name (two machines called ws-01) are told
                // apart by their uuid's start, which the commands that name
                // an asset take (`atoms reject 8162238c hostname=ws-01`).
                let shownNames = holders.prefix(ConflictSummary.assetsShown).map { names[$0] ?? "" }
                let named = zip(holders, shownNames).map { id, name in
                    shownNames.filter { $0 == name }.count > 1
                        ? "\(name) (\(id.lowercasedText.prefix(8)))" : name
                }.joined(separator: ", ")
                    + (holders.count > ConflictSummary.assetsShown
                       ? " and \(holders.count - ConflictSummary.assetsShown) more" : "")
                lines.append(["\(claimed.key.atom.type.rawValue) \(claimed.key.atom.value)"
                              + (claimed.key.scope.entity.map { " (entity \($0))" } ?? ""),
                              String(holders.count), claimed.since.description, claimed.reason,
                              named].joined(separator: "\t"))
            }
            print(Terminal.readable(lines.joined(separator: "\n")))
        }
        Terminal.note(Formatting.count(merged.count, "atom") + " in conflict"
                      + (shown.count < merged.count
                         ? " (the \(shown.count) most claimed shown; --limit 0 gives all)" : ""))
        if merged.isEmpty { try CommonOptions.noteAnEmptyCommunity(community, in: store) }
        return 0
    }

    private static func show(_ raw: [String]) throws -> Int32 {
        let arguments = try ParsedArguments(raw, spec: spec)
        if arguments.wantsHelp {
            print(spec.help)
            return 0
        }
        guard arguments.positionals.count == 1 else { throw UsageError("give one atom value") }
        let value = arguments.positionals[0]
        let community = try CommonOptions.community(arguments)
        let now = try CommonOptions.now(arguments)
        let at = try CommonOptions.at(arguments) ?? now
        let types: [AtomType]
        if let name = arguments.value("--type") {
            do { types = [try AtomType(parsing: name)] } catch { throw UsageError(error.message) }
        } else {
            types = AtomType.allCases
        }
        let candidates = normalizedCandidates(value, types: types)
        guard !candidates.isEmpty else {
            throw UsageError("'\(value)' is no atom of type "
                             + ListFormatting.disjunction(types.map(\.rawValue))
                             + " (placeholders, loopback and built-in principals are never atoms)")
        }
        let store = try CommonOptions.openStore(arguments)
        let expiry = try CommonOptions.addressExpiry(
            of: store, configured: CommonOptions.configuration(arguments).inventory.addressExpiry)
        let entity = try CommonOptions.entity(arguments)
        var results: [[String: Any]] = []
        var text: [String] = []
        for atom in candidates {
            let timeline = try store.attachments(ofAtom: atom, community: community)
                .filter { entity == nil || $0.key.scope.entity == nil || $0.key.scope.entity == entity }
            let activity = try store.weeklyActivity(of: atom, community: community)
            if timeline.isEmpty && activity.isEmpty && candidates.count > 1
                && !atom.type.isAddress { continue }
            // "Held by no asset" alone read as a lookup that failed.
            // As of `--at`: shared from its time on, not before.
            let shared = try store.sharedScopes(of: atom, community: community)
                .filter { entity == nil || $0.entity.isEmpty || $0.entity == entity }
                .filter { ($0.since ?? .distantPast) <= at }
            // As enrichment reads it (SPEC §1): an entity's own holders win
            // over the community-wide ones; with none, those hold it.
            let valid = timeline.filter { $0.isValid(at: at, addressExpiry: expiry) }
            let own = valid.filter { entity != nil && $0.key.scope.entity == entity }
            let holders = own.isEmpty ? valid : own
            let networks = try networksContaining(atom, store: store, community: community,
                                                  entity: entity)
            var names: [AssetID: String] = [:]
            var revoked: Set<AssetID> = []
            for attachment in timeline where names[attachment.asset] == nil {
                let asset = try? store.asset(named: attachment.asset.uuidString,
                                             community: community)
                names[attachment.asset] = asset?.name ?? "?"
                if asset?.isRevoked == true { revoked.insert(attachment.asset) }
            }
            results.append([
                "type": atom.type.rawValue, "value": atom.value, "at": at.description,
                "holders": holders.map { holder -> [String: Any] in
                    ["uuid": holder.asset.lowercasedText, "name": names[holder.asset] ?? "?",
                     "kind": holder.kind.rawValue,
                     "entity": holder.key.scope.entity.map { $0 as Any } ?? NSNull(),
                     "revoked": revoked.contains(holder.asset)]
                },
                "timeline": timeline.map { attachment -> [String: Any] in
                    var item = AssetJSON.atom(attachment, addressExpiry: expiry)
                    item["asset"] = attachment.asset.lowercasedText
                    item["name"] = names[attachment.asset] ?? "?"
                    item["origin"] = attachment.origin
                    return item
                },
                "activity": activity.map { ["week": $0.0.description, "events": $0.1] },
                "shared": !shared.isEmpty,
                "shared_since": shared.compactMap(\.since).min()?.description ?? NSNull(),
                "networks": networks.filter { $0.range.isValid(at: at, addressExpiry: expiry) }
                    .map { ["uuid": $0.range.asset.lowercasedText, "name": $0.network.name,
                            "cidr": $0.range.key.atom.value] },
            ])
            text.append("\(atom.type.rawValue) \(atom.value)")
            if holders.isEmpty {
                text.append("  held by no asset at \(at)")
            }
            if !shared.isEmpty {
                let settings = try CommonOptions.configuration(arguments).inventory
                let seconds = Int(settings.sharedAddressWindow.milliseconds / 1_000)
                let window = seconds % 3600 == 0 ? Formatting.count(seconds / 3600, "hour")
                    : seconds % 60 == 0 ? Formatting.count(seconds / 60, "minute")
                    : Formatting.count(seconds, "second")
                let since = shared.compactMap(\.since).min()
                    .map { "since \($0)" } ?? "since before that was recorded"
                // The bounds it was marked by are the ingest's, which the
                // store does not keep: this configuration's are named as such.
                text.append("  shared \(since): it moved between more hosts within a short "
                            + "window than one address can (timeline.shared_address_hosts: more "
                            + "than \(settings.sharedAddressHosts) within \(window) in this "
                            + "configuration), so no host holds it from then on (a NAT gateway, "
                            + "VPN pool, proxy or bridge); its activity is still counted")
            }
            // One line an asset, with each way it holds the atom (a host
            // confirmed by hand and seen in events was listed twice).
            var listed: [AssetID] = []
            for holder in holders where !listed.contains(holder.asset) {
                listed.append(holder.asset)
                let ways = holders.filter { $0.asset == holder.asset }.map { attachment in
                    attachment.kind.rawValue + Self.entityNote(attachment)
                }
                var seen: [String] = []
                for way in ways where !seen.contains(way) { seen.append(way) }
                // A revoked asset keeps its history but enriches no event.
                text.append("  held at \(at) by \(names[holder.asset] ?? "?") "
                            + "(\(holder.asset.lowercasedText), \(seen.joined(separator: ", "))"
                            + (revoked.contains(holder.asset)
                                ? ", revoked: events are not enriched with it)" : ")"))
            }
            // Events with the address are enriched with these too (SPEC §2:
            // a range matches every address inside it).
            for (range, network) in networks where range.isValid(at: at, addressExpiry: expiry) {
                text.append("  inside \(range.key.atom.value), network "
                            + "\(network.name) (\(range.asset.lowercasedText))")
            }
            if !timeline.isEmpty { text.append("  timeline:") }
            for attachment in timeline {
                // A rejected attachment says what it had been, not as a
                // holding beside "never held".
                if attachment.holdsNoTime {
                    text.append("    never held: rejected for \(names[attachment.asset] ?? "?")"
                                + "\(Self.entityNote(attachment)) (it had been "
                                + "\(attachment.kind.rawValue), \(Self.origin(attachment.origin)))")
                    continue
                }
                text.append("    \(interval(attachment, addressExpiry: expiry, now: now))  "
                            + "\(names[attachment.asset] ?? "?")  \(attachment.kind.rawValue)"
                            + "\(Self.entityNote(attachment))  " + Self.origin(attachment.origin))
            }
            if !activity.isEmpty {
                text.append("  weekly activity: " + activity.suffix(8)
                    .map { "\(String($0.0.description.prefix(10))):\($0.1)" }.joined(separator: "  "))
            }
        }
        if arguments.flag("--json") {
            for result in results { print(AssetJSON.line(result)) }
        } else {
            // A user name alone names the domain accounts of that name, as
            // `assets show alice` finds CORP\alice: said, rather than
            // "no asset holds it" beside an account that does.
            if text.isEmpty, let bare = candidates.first(where: { $0.type == .username }) {
                var qualified: [String] = []
                for attachment in try store.attachments(ofQualifiedNamesOf: bare.value,
                                                        community: community)
                where !qualified.contains(attachment.key.atom.value) {
                    qualified.append(attachment.key.atom.value)
                }
                if !qualified.isEmpty {
                    text.append("no asset holds '\(value)' itself; the domain "
                                + (qualified.count == 1 ? "account" : "accounts")
                                + " of that name: "
                                + qualified.prefix(10).map { "'\($0)'" }.joined(separator: ", ")
                                + (qualified.count > 10 ? " and \(qualified.count - 10) more" : "")
                                + " (atoms show '\(qualified[0])')")
                }
            }
            // Retention removes old weekly counts and unclaimed sightings,
            // so "never seen" would be wrong about an old atom.
            print(Terminal.readable(text.isEmpty
                ? "no asset holds '\(value)', and no sighting of it is kept (none seen, or "
                    + "older than the retention settings keep)"
                : text.joined(separator: "\n")))
        }
        return 0
    }

    /// The entity an attachment belongs to, for a line of text: the same
    /// atom of one asset, attached in an entity and community-wide, read
    /// as a doubled line without it.
    static func entityNote(_ attachment: Attachment) -> String {
        attachment.key.scope.entity.map { " in entity \($0)" } ?? ""
    }

    /// Where an interval comes from, for a line of text: an event's place
    /// (`from events.ndjson:13`), or what a person did (`confirmed by
    /// cli`, `created by import:x.csv`), which reads without the "from".
    static func origin(_ text: String) -> String {
        text.hasPrefix("confirmed by ") || text.hasPrefix("created by ") ? text : "from " + text
    }

    /// The network ranges that hold an address (at any time; the caller
    /// keeps those valid when asked), longest prefix first, with their
    /// network assets: `atoms show` of an address no host holds said
    /// "never seen" while its events were enriched with the network.
    private static func networksContaining(_ atom: Atom, store: InventoryStore,
                                           community: String, entity: String?) throws
        -> [(range: Attachment, network: Asset)] {
        guard atom.type.isAddress, let address = IPAddress(parsing: atom.value) else { return [] }
        var found: [(range: Attachment, network: Asset, length: Int)] = []
        for range in try store.attachments(ofType: .cidr, community: community)
        where entity == nil || range.key.scope.entity == nil || range.key.scope.entity == entity {
            guard let cidr = try? CIDRRange(parsing: range.key.atom.value), cidr.contains(address),
                  let network = try? store.asset(named: range.asset.uuidString,
                                                 community: community)
            else { continue }
            found.append((range, network, cidr.prefixLength))
        }
        return found.sorted { $0.length > $1.length }.map { ($0.range, $0.network) }
    }

    /// The assets that hold or held `value` as an atom of any type it can
    /// be, each once.
    /// With `at`, only those whose attachment is valid then (`addressExpiry`
    /// ends an observed address's).
    static func assetsHolding(_ value: String, store: InventoryStore, community: String,
                              at time: EventTime? = nil,
                              addressExpiry: Duration = InventorySettings().addressExpiry)
        throws -> [Asset] {
        var found: [Asset] = []
        func add(_ attachments: [Attachment]) throws {
            for attachment in attachments
            where time.map({ attachment.isValid(at: $0, addressExpiry: addressExpiry) }) ?? true {
                guard !found.contains(where: { $0.id == attachment.asset }),
                      let asset = try store.asset(id: attachment.asset, community: community)
                else { continue }
                found.append(asset)
            }
        }
        let candidates = normalizedCandidates(value, types: AtomType.allCases)
        for atom in candidates {
            try add(try store.attachments(ofAtom: atom, community: community))
        }
        // A user name alone names the domain accounts of that name when
        // no asset holds it bare (`alice` for `CORP\alice`).
        if found.isEmpty, let bare = candidates.first(where: { $0.type == .username }) {
            try add(try store.attachments(ofQualifiedNamesOf: bare.value, community: community))
        }
        return found
    }

    /// Every reading of a value as an atom of one of the types.
    static func normalizedCandidates(_ value: String, types: [AtomType]) -> [Atom] {
        var atoms: [Atom] = []
        for type in types {
            if let atom = AtomNormalizer.standard.atom(value, as: type), !atoms.contains(atom) {
                atoms.append(atom)
            }
        }
        return atoms
    }
}

/// `perimeter discovery list|enable|disable`: per-community switches.
enum DiscoveryCommand {
    static let spec = CommandSpec(
        name: "discovery", summary: "List the discovery rules of a community, or switch one "
            + "on or off (kept in the store; 'ingest --no-rule' overrides for one run).",
        usage: "discovery list | enable RULE | disable RULE",
        options: CommonOptions.store,
        example: "perimeter discovery list --community acme\n"
            + "perimeter discovery disable unique_accounts --community acme")

    static func run(_ raw: [String]) throws -> Int32 {
        let arguments = try ParsedArguments(raw, spec: spec)
        if arguments.wantsHelp || arguments.positionals.isEmpty {
            print(spec.help)
            return arguments.wantsHelp ? 0 : 2
        }
        let community = try CommonOptions.community(arguments)
        let action = arguments.positionals[0]
        switch action {
        case "list":
            let store = try CommonOptions.openStore(arguments)
            let enabled = try store.enabledRules(community: community)
            for rule in DiscoveryRule.allCases {
                print("\(rule.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0))"
                      + "\(enabled.contains(rule) ? "on " : "off")  \(rule.summary)")
            }
        case "enable", "disable":
            guard arguments.positionals.count == 2 else { throw UsageError("name one rule") }
            let rule: DiscoveryRule
            do { rule = try DiscoveryRule(parsing: arguments.positionals[1]) } catch {
                throw UsageError(error.message)
            }
            // A writer (a server, an ingest) holds the rules in memory:
            // while it runs, the change goes through it (the API), or a
            // running server would go on with the old switch. A store not
            // made yet is made: a rule is switched off before the first
            // ingest, not after it discovered what it should not have.
            let path = try CommonOptions.databasePath(arguments)
            let isNew = !FileManager.default.fileExists(atPath: path)
            let (store, lock) = try CommonOptions.openStoreForWriting(arguments)
            try store.setRule(rule, enabled: action == "enable", community: community)
            withExtendedLifetime(lock) {}
            if isNew { Terminal.note("note: made a new store at '\(path)'") }
            print("\(rule.rawValue) \(action == "enable" ? "on" : "off") for community '\(community)'")
        default:
            throw UsageError("unknown discovery action '\(action)'; expected list, enable or disable")
        }
        return 0
    }
}
