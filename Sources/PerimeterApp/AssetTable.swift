import Foundation
import PerimeterInventory
import PerimeterModel

/// Plain-text views of assets for the terminal.
enum AssetTable {
    /// The list's table; its atoms are those each asset holds `now` (an
    /// observed address ends `addressExpiry` after its last sighting, as
    /// `atoms show` says: listed as held, one that ended years ago read as
    /// the host's address today).
    static func render(_ assets: [Asset], attachments: [AssetID: [Attachment]],
                       bounds: CriticalityBounds, addressExpiry: Duration,
                       now: EventTime = EventTime(Date())) -> String {
        // An entity column when the page holds an entity's asset: the same
        // name in two entities is two assets, alike but for it.
        let showsEntity = assets.contains { $0.entity != nil }
        // A revoked column when the page holds a revoked asset (`--revoked`
        // lists them among the others, which looked the same).
        let showsRevoked = assets.contains(where: \.isRevoked)
        let header = ["NAME"] + (showsEntity ? ["ENTITY"] : [])
            + ["CATEGORY", "SUB", "CRIT", "TAGS", "SOURCE", "REVIEWED"]
            + (showsRevoked ? ["REVOKED"] : []) + ["LAST SEEN", "ATOMS"]
        var rows: [[String]] = [header]
        for asset in assets {
            let crit = asset.criticality.map { "\($0.value) \(bounds.display($0).rawValue)" } ?? "unrated"
            let open = (attachments[asset.id] ?? []).filter {
                $0.to == nil && $0.end(addressExpiry: addressExpiry) > now
            }
            var atoms = open.prefix(3).map { "\($0.key.atom.type.rawValue):\($0.key.atom.value)" }
                .joined(separator: " ")
            if open.count > 3 { atoms += " +\(open.count - 3)" }
            let entity = showsEntity ? [clip(asset.entity ?? "-", 20)] : []
            rows.append([clip(asset.name, 32)] + entity + [
                asset.category.rawValue, asset.subcategory?.rawValue ?? "-",
                crit, clip(asset.tags.sorted().joined(separator: ","), 20),
                asset.source.rule.map { "auto:\($0)" } ?? asset.source.description,
                asset.reviewed ? "yes" : "no",
            ] + (showsRevoked ? [asset.isRevoked ? "yes" : "-"] : []) + [
                asset.lastSeen.map { String(EventTime($0).description.prefix(19)) } ?? "-",
                clip(atoms, 60),
            ])
        }
        let widths = header.indices.map { column in
            rows.map { Terminal.columns(of: $0[column]) }.max() ?? 0
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : Terminal.padded(cell, to: widths[index])
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// A cell of anyone's text: escaped first (`Terminal.readable`, line
    /// breaks too), then cut, so that the column's width is the one shown.
    static func clip(_ text: String, _ width: Int) -> String {
        let flat = Terminal.oneLine(Terminal.readable(text)).replacingOccurrences(of: "\t", with: "\\t")
        return Terminal.clipped(flat, to: width)
    }
}

/// The asset page, as text.
enum AssetPage {
    static func render(_ asset: Asset, attachments: [Attachment],
                       activity: [(Atom, [(EventTime, Int)])],
                       conflicts clashes: [ConflictSummary],
                       names: [AssetID: String] = [:],
                       audit: [AuditRecord], lastSeenIsLowerBound: Bool = false,
                       bounds: CriticalityBounds,
                       addressExpiry: Duration = InventorySettings().addressExpiry,
                       now: EventTime = EventTime(Date())) -> String {
        var lines: [String] = []
        lines.append("\(asset.name)  (\(asset.category.rawValue)"
                     + (asset.subcategory.map { "/\($0.rawValue)" } ?? "") + ")")
        lines.append("  uuid          \(asset.id.lowercasedText)")
        let crit = asset.criticality.map { "\($0.value) (\(bounds.display($0).rawValue))" } ?? "unrated"
        lines.append("  criticality   \(crit)")
        lines.append("  tags          \(asset.tags.isEmpty ? "-" : asset.tags.sorted().joined(separator: ", "))")
        lines.append("  reviewed      \(asset.reviewed ? "yes" : "no")")
        lines.append("  source        \(asset.source)" + (asset.source.rule.map { " (rule \($0))" } ?? ""))
        lines.append("  scope         \(asset.community)" + (asset.entity.map { " / \($0)" } ?? ""))
        if !asset.description.isEmpty {
            lines.append("  description   " + continued(asset.description, indent: 16))
        }
        lines.append("  first seen    \(asset.firstSeen.map { EventTime($0).description } ?? "-")")
        lines.append("  last seen     \(asset.lastSeen.map { EventTime($0).description } ?? "-")"
                     + (lastSeenIsLowerBound ? " or later" : ""))
        if asset.isRevoked { lines.append("  REVOKED: left out of views and matching") }
        if !asset.properties.isEmpty {
            lines.append("\nProperties")
            for (name, value) in asset.properties.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(padded(name, 24)) " + continued(text(value), indent: 27))
            }
        }
        for kind in [AttachmentKind.confirmed, .observed] {
            let group = attachments.filter { $0.kind == kind && !$0.holdsNoTime }
            guard !group.isEmpty else { continue }
            lines.append("\n\(kind == .confirmed ? "Confirmed detection properties" : "Observed atoms")")
            for attachment in group {
                let atom = "\(attachment.key.atom.type.rawValue) \(attachment.key.atom.value)"
                let held = interval(attachment, addressExpiry: addressExpiry, now: now)
                // An entity-less asset an entity's events found holds the
                // atom there too: without the entity the two read as one
                // atom listed twice.
                let scope = attachment.key.scope.entity == asset.entity ? ""
                    : "  in entity \(attachment.key.scope.entity ?? "(none: community-wide)")"
                lines.append("  \(padded(atom, 40)) \(held)"
                             + (kind == .observed ? "  last seen \(attachment.lastSeen)" : "")
                             + scope)
            }
        }
        // Apart: among the atoms the asset holds, a decision the analyst
        // made would read as one more atom.
        let rejected = attachments.filter(\.holdsNoTime)
        if !rejected.isEmpty {
            lines.append("\nRejected atoms (never attached to this asset again)")
            for attachment in rejected {
                let atom = "\(attachment.key.atom.type.rawValue) \(attachment.key.atom.value)"
                // Numbered 0: rejected ahead of discovery, never held.
                let was = attachment.id == 0 ? "never held"
                    : "was \(attachment.kind.rawValue), "
                        + (attachment.lastSeen == .distantPast ? "never seen in events"
                            : "last seen \(attachment.lastSeen)")
                lines.append("  \(padded(atom, 40)) \(was)")
            }
        }
        if !clashes.isEmpty {
            lines.append("\nConflicts")
            for clash in clashes {
                lines.append("  \(clash.atom)  since \(clash.since): \(clash.reason)")
                let shown = clash.others.prefix(ConflictSummary.assetsShown).map { id in
                    (names[id].map { "\($0) " } ?? "") + "(\(id.lowercasedText))"
                }
                let more = clash.others.count - shown.count
                lines.append("    with " + shown.joined(separator: ", ")
                             + (more > 0 ? " and \(more) more" : ""))
            }
        }
        let busy = activity.filter { !$0.1.isEmpty }
        if !busy.isEmpty {
            lines.append("\nWeekly activity (events per week, per atom)")
            for (atom, weeks) in busy {
                let recent = weeks.suffix(8).map { "\(String($0.0.description.prefix(10))):\($0.1)" }
                lines.append("  \(atom)  " + recent.joined(separator: "  "))
            }
        }
        if !audit.isEmpty {
            lines.append("\nAudit trail")
            for record in audit.suffix(10) {
                lines.append("  \(record.at)  \(record.actor)  \(record.action)  \(record.after ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func text(_ value: PropertyValue) -> String {
        switch value {
        case .string(let s): s
        case .number(let n): PropertyValue.text(ofNumber: n)
        case .boolean(let b): b ? "true" : "false"
        case .list(let l): l.joined(separator: ", ")
        }
    }
}

/// One atom's conflicts on an asset. Every clash over an exclusive atom
/// with a new set of holders is recorded on its own, listing every holder
/// so far: a name that 47 hosts share gave 46 ever longer records, where an
/// analyst asks which atom, since when, and with which assets.
struct ConflictSummary {
    static let assetsShown = 5

    var atom: Atom
    var reason: String
    /// When the first clash was recorded.
    var since: EventTime
    /// The other assets of every clash, in the order they came in.
    var others: [AssetID]

    /// `conflicts` (oldest first, as the store gives them) merged per atom.
    static func summaries(of conflicts: [AtomConflict], on asset: AssetID) -> [ConflictSummary] {
        var summaries: [ConflictSummary] = []
        var byAtom: [AtomKey: Int] = [:]
        for conflict in conflicts {
            let index = byAtom[conflict.key] ?? {
                summaries.append(ConflictSummary(atom: conflict.key.atom, reason: conflict.reason,
                                                 since: conflict.at, others: []))
                byAtom[conflict.key] = summaries.count - 1
                return summaries.count - 1
            }()
            summaries[index].since = min(summaries[index].since, conflict.at)
            for other in conflict.assets where other != asset
                && !summaries[index].others.contains(other) {
                summaries[index].others.append(other)
            }
        }
        return summaries
    }

    /// As `assets show --json` writes it.
    var jsonObject: [String: Any] {
        ["type": atom.type.rawValue, "value": atom.value, "reason": reason,
         "since": since.description, "assets": others.map(\.lowercasedText)]
    }
}

/// A value of several lines with its lines after the first indented to
/// `indent` columns and marked (`| `), so that none reads as a field of
/// the page (a description line `  reviewed      yes` showed the asset
/// reviewed).
func continued(_ text: String, indent: Int) -> String {
    guard text.contains(where: \.isNewline) else { return text }
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    return lines.map(String.init).joined(
        separator: "\n" + String(repeating: " ", count: max(0, indent - 2)) + "| ")
}

/// Pads to a column width without ever cutting the text: analysts copy
/// these values.
func padded(_ text: String, _ width: Int) -> String {
    Terminal.padded(text, to: max(width, Terminal.columns(of: text) + 1))
}

/// An attachment's validity as `[from, to)`. An observed address also
/// ends `addressExpiry` after it was last seen (SPEC §2), whichever end
/// comes first: an address last seen years ago and taken by another host
/// today ended back then. An expiry still ahead of `now` is said so.
func interval(_ attachment: Attachment, addressExpiry: Duration,
              now: EventTime = EventTime(Date())) -> String {
    let from = attachment.from == .distantPast ? "always" : attachment.from.description
    // The views show an interval that holds no time only when a person
    // rejected its atom (`InventoryStore.attachments(ofAsset:)`).
    if attachment.holdsNoTime { return "never held (rejected)" }
    let end = attachment.end(addressExpiry: addressExpiry)
    if end == .distantFuture { return "[\(from), open)" }
    if let to = attachment.to, to <= end { return "[\(from), \(to))" }
    return end > now ? "[\(from), \(end)) unless seen again"
        : "[\(from), \(end)) expired after last sighting"
}
