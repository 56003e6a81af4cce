import Foundation
@testable import PerimeterApp
import PerimeterModel
import Testing

/// What `alerts list` and `alerts show` print of an alert's assets.
@Suite struct AlertDisplayTests {
    /// The most critical first, unrated last, then by name in any case:
    /// stored in enrichment's order, whose ties go by uuid, two runs of the
    /// demo listed `CORP\frank, WS-06` and `WS-06, CORP\frank`.
    @Test func assetsAreListedByRatingThenName() {
        func asset(_ name: String, _ criticality: Int?, uuid: String,
                   category: AssetCategory = .host) -> AlertAsset {
            AlertAsset(uuid: uuid, name: name, category: category, criticality: criticality)
        }
        let stored = [asset("WS-06", nil, uuid: "0a"),
                      asset("corp\\frank", nil, uuid: "ff", category: .account),
                      asset("srv-2", 40, uuid: "1b"), asset("DC-01", 95, uuid: "9c"),
                      asset("app-1", 40, uuid: "2d")]
        #expect(AlertsCommand.displayOrder(stored).map(\.name)
            == ["DC-01", "app-1", "srv-2", "corp\\frank", "WS-06"])
    }
}
