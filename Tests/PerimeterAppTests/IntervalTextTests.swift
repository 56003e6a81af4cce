import Foundation
@testable import PerimeterApp
import PerimeterInventory
import PerimeterModel
import Testing

/// How `assets show` and `atoms show` write an attachment's validity.
/// Observed addresses end 7 days after they were last seen (SPEC §2) or
/// when closed, whichever comes first.
@Suite struct IntervalTextTests {
    static let week = Duration.days(7)
    static let now = EventTime(parsing: "2026-12-04T12:00:00Z")!

    static func address(from: String, lastSeen: String, to: String? = nil,
                        kind: AttachmentKind = .observed) -> PerimeterInventory.Attachment {
        PerimeterInventory.Attachment(
            id: 1, key: AtomKey(scope: ScopeKey(community: "c"),
                                atom: Atom(type: .ipv4, normalizedValue: "192.168.0.1")),
            asset: AssetID(), kind: kind, from: EventTime(parsing: from)!,
            to: to.map { EventTime(parsing: $0)! }, lastSeen: EventTime(parsing: lastSeen)!,
            origin: "test")
    }

    @Test func intervals() {
        let cases: [(PerimeterInventory.Attachment, String)] = [
            // Last seen in 2021, taken by another host today: it ended in 2021.
            (Self.address(from: "2021-09-25T16:08:45Z", lastSeen: "2021-09-25T16:08:45Z",
                          to: "2026-12-04T11:28:46Z"),
             "[2021-09-25T16:08:45.000Z, 2021-10-02T16:08:45.000Z) expired after last sighting"),
            // Seen today: it ends in a week unless seen again.
            (Self.address(from: "2026-12-04T11:00:00Z", lastSeen: "2026-12-04T11:00:00Z"),
             "[2026-12-04T11:00:00.000Z, 2026-12-11T11:00:00.000Z) unless seen again"),
            // Closed before its expiry: the close is the end.
            (Self.address(from: "2026-12-01T00:00:00Z", lastSeen: "2026-12-01T00:00:00Z",
                          to: "2026-12-02T00:00:00Z"),
             "[2026-12-01T00:00:00.000Z, 2026-12-02T00:00:00.000Z)"),
            // A confirmed atom rejected afterwards: closed where it began.
            (Self.address(from: "2026-12-01T00:00:00Z", lastSeen: "2026-12-01T00:00:00Z",
                          kind: .confirmed).rejectedFromTheStart,
             "never held (rejected)"),
            // A confirmed address does not expire.
            (Self.address(from: "2026-12-01T00:00:00Z", lastSeen: "2026-12-01T00:00:00Z",
                          kind: .confirmed),
             "[2026-12-01T00:00:00.000Z, open)"),
        ]
        for (attachment, expected) in cases {
            #expect(interval(attachment, addressExpiry: Self.week, now: Self.now) == expected)
        }
    }

    /// The asset page lists a rejected atom apart, not among those the
    /// asset holds.
    @Test func rejectedAtomsHaveTheirOwnSection() {
        var rejected = Self.address(from: "2026-12-01T00:00:00Z", lastSeen: "2026-12-01T00:00:00Z")
        rejected.to = rejected.from
        let held = Self.address(from: "2026-12-02T00:00:00Z", lastSeen: "2026-12-03T00:00:00Z")
        let asset = Asset(name: "ws-1", category: .host, source: .manual, community: "c",
                          createdAt: Self.now.date)
        let page = AssetPage.render(asset, attachments: [rejected, held], activity: [],
                                    conflicts: [], audit: [], bounds: .standard)
            .split(separator: "\n").map(String.init)
        let observed = page.firstIndex(of: "Observed atoms") ?? 0
        let section = page.firstIndex(of: "Rejected atoms (never attached to this asset again)")
            ?? 0
        let heldLine: String = page[observed + 1]
        #expect(heldLine.hasPrefix("  ipv4 192.168.0.1 ")
                    && heldLine.contains("[2026-12-02T00:00:00.000Z"))
        let padding = String(repeating: " ", count: 40 - "ipv4 192.168.0.1".count)
        let rejectedLine: String = page[section + 1]
        #expect(section > observed)
        #expect(rejectedLine == "  ipv4 192.168.0.1" + padding
                    + " was observed, last seen 2026-12-01T00:00:00.000Z")
        #expect(page.filter { $0.hasPrefix("  ipv4 ") }.count == 2)
    }
}

private extension PerimeterInventory.Attachment {
    /// As a rejection leaves an atom confirmed from always.
    var rejectedFromTheStart: Self {
        var copy = self
        copy.from = .distantPast
        copy.to = .distantPast
        return copy
    }
}
