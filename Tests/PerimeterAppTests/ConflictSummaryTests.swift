import Foundation
@testable import PerimeterApp
import PerimeterInventory
import PerimeterModel
import Testing

/// `assets show` gives one line an atom for its conflicts, however many
/// records the clashes over it left.
@Suite struct ConflictSummaryTests {
    @Test func recordsOfOneAtomMergeIntoOneSummary() {
        let (shown, b, c, d) = (AssetID(), AssetID(), AssetID(), AssetID())
        let scope = ScopeKey(community: "c")
        let name = AtomKey(scope: scope, atom: Atom(type: .hostname, normalizedValue: "agent"))
        let mac = AtomKey(scope: scope, atom: Atom(type: .mac, normalizedValue: "00:11:22:33:44:55"))
        func at(_ text: String) -> EventTime { EventTime(parsing: "2024-01-0\(text)T00:00:00Z")! }
        // As discovery records them: each new holder of the name a record
        // naming every holder so far, oldest first.
        let records = [
            AtomConflict(key: name, assets: [shown, b], at: at("1"), reason: "share this name"),
            AtomConflict(key: mac, assets: [d, shown], at: at("2"), reason: "mac twice"),
            AtomConflict(key: name, assets: [shown, b, c], at: at("3"), reason: "share this name"),
            AtomConflict(key: name, assets: [b, c, d, shown], at: at("4"), reason: "share this name"),
        ]
        let summaries = ConflictSummary.summaries(of: records, on: shown)
        #expect(summaries.map(\.atom) == [name.atom, mac.atom])
        #expect(summaries.map(\.since) == [at("1"), at("2")])
        #expect(summaries.map(\.others) == [[b, c, d], [d]])
        #expect(summaries[0].jsonObject["assets"] as? [String]
                    == [b, c, d].map(\.lowercasedText))
    }
}
