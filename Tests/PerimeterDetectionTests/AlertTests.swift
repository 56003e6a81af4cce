import Foundation
import Testing
import PerimeterModel
@testable import PerimeterDetection

@Suite struct UrgencyTests {
    private static func host(_ criticality: Int?) -> AlertAsset {
        AlertAsset(uuid: "h", name: "h", category: .host, criticality: criticality)
    }

    /// SPEC §6: severity from level; mean with the highest host/account criticality,
    /// rounded half up; severity alone when none is rated; networks ignored.
    @Test(arguments: [
        (RuleLevel.informational, [Int?](), 10),
        (.low, [nil], 25),
        (.medium, [80], 65),
        (.high, [0], 38),        // (75 + 0) / 2 = 37.5 → 38
        (.critical, [100], 100),
        (.high, [10, 90], 83),   // highest is 90: (75 + 90) / 2 = 82.5 → 83
        (.low, [nil, 50], 38),   // (25 + 50) / 2 = 37.5 → 38
    ] as [(RuleLevel, [Int?], Int)])
    func urgency(_ level: RuleLevel, _ criticalities: [Int?], _ expected: Int) {
        let assets = criticalities.map { UrgencyTests.host($0) }
        #expect(UrgencyPolicy().urgency(level: level, assets: assets) == expected)
    }

    @Test func networksDoNotRaiseUrgencyByDefault() {
        let network = AlertAsset(uuid: "n", name: "10/8", category: .network, criticality: 90)
        #expect(UrgencyPolicy().urgency(level: .low, assets: [network]) == 25)
        let counting = UrgencyPolicy(includesNetworks: true)
        #expect(counting.urgency(level: .low, assets: [network]) == 58)
    }

    /// With `unrated_criticality`, an unrated host or account counts as
    /// rated that: worked by hand, (severity + criticality + 1) / 2.
    @Test func unratedAssetsCanCountAsRated() {
        let policy = UrgencyPolicy(unratedCriticality: 50)
        #expect(policy.urgency(level: .critical, assets: [Self.host(nil)]) == 75)  // (100+50+1)/2
        #expect(policy.urgency(level: .critical, assets: [Self.host(95)]) == 98)   // (100+95+1)/2
        #expect(policy.urgency(level: .high, assets: [Self.host(5)]) == 40)        // (75+5+1)/2
        #expect(policy.urgency(level: .high, assets: [Self.host(nil), Self.host(90)]) == 83)
        // No asset, or an unrated network: the severity alone, as without it.
        #expect(policy.urgency(level: .high, assets: []) == 75)
        let network = AlertAsset(uuid: "n", name: "10/8", category: .network, criticality: nil)
        #expect(policy.urgency(level: .high, assets: [network]) == 75)
        // Without it, SPEC §6: the unrated machine's alert outranks the DC's.
        #expect(UrgencyPolicy().urgency(level: .critical, assets: [Self.host(nil)]) == 100)
    }

    /// The store keeps the formula its alerts were raised with as text:
    /// read back, it is the same formula; text it did not write is none.
    @Test func aFormulaReadsBackFromItsRecord() {
        let custom = UrgencyPolicy(severities: [.high: 90, .critical: 100], defaultLevel: .low,
                                   includesNetworks: true, unratedCriticality: 50)
        #expect(custom.recordText == "informational=10,low=25,medium=50,high=90,critical=100;"
                    + "default=low;networks=yes;unrated=50")
        let read = UrgencyPolicy(recordText: custom.recordText)
        #expect(read?.recordText == custom.recordText)
        #expect(read?.urgency(level: .high, assets: []) == 90)
        #expect(UrgencyPolicy(recordText: UrgencyPolicy().recordText)?.recordText
                == UrgencyPolicy().recordText)
        for bad in ["", "high=90", "high=x,low=1;default=low;networks=no;unrated=none",
                    UrgencyPolicy().recordText.replacingOccurrences(of: "networks=no",
                                                                   with: "networks=maybe")] {
            #expect(UrgencyPolicy(recordText: bad) == nil, "\(bad)")
        }
    }

    @Test func noLevelMeansMedium() {
        #expect(UrgencyPolicy().urgency(level: nil, assets: []) == 50)
    }

    @Test(arguments: [(0, "low"), (49, "low"), (50, "medium"), (74, "medium"), (75, "high"),
                      (100, "high")])
    func labels(_ urgency: Int, _ label: String) {
        #expect(UrgencyPolicy.label(of: urgency) == label)
    }

    @Test func neverDecreasesWhenAnInputRises() {
        let policy = UrgencyPolicy()
        let levels = RuleLevel.allCases
        for (index, level) in levels.enumerated() {
            var previous = -1
            for criticality in [nil] + Array(0...100).map(Optional.some) {
                let value = policy.urgency(level: level, assets: [UrgencyTests.host(criticality)])
                #expect(value >= previous || criticality == 0,
                        "criticality \(String(describing: criticality)) lowered urgency")
                if let criticality, criticality > 0 { previous = value }
                if index + 1 < levels.count {
                    let higher = policy.urgency(level: levels[index + 1],
                                                assets: [UrgencyTests.host(criticality)])
                    #expect(higher >= value)
                }
            }
        }
    }
}

@Suite struct AlertGroupingTests {
    private func candidate(_ time: TimeInterval, assets: [String] = ["b", "a"]) -> AlertCandidate {
        let match = RuleMatch(ruleIndex: 0, ruleID: "r1", title: "t", level: .high)
        return AlertCandidate(
            match: match, eventTime: Date(timeIntervalSince1970: time),
            assets: assets.map { AlertAsset(uuid: $0, name: $0, category: .host, criticality: 50) },
            community: "c", entity: "e", event: "{\"t\":\(time)}")
    }

    @Test func matchesWithinTheWindowJoinTheOpenAlert() {
        var grouper = AlertGrouper(makeUUID: { "fixed" })
        let first = grouper.add(candidate(0))
        let second = grouper.add(candidate(1800, assets: ["a", "b"]))
        #expect(first.uuid == second.uuid)
        #expect(second.count == 2)
        #expect(second.firstEvent == "{\"t\":0.0}")
        #expect(second.lastEvent == "{\"t\":1800.0}")
        #expect(second.assets.map(\.uuid) == ["a", "b"])
        #expect(second.urgency == 63)  // (75 + 50) / 2 = 62.5 → 63
    }

    @Test func matchesAfterTheWindowOpenANewAlert() {
        var grouper = AlertGrouper(window: 3600)
        let first = grouper.add(candidate(0))
        let later = grouper.add(candidate(3601))
        #expect(first.uuid != later.uuid)
        #expect(later.count == 1)
    }

    @Test func otherAssetsOpenAnotherAlert() {
        var grouper = AlertGrouper()
        let first = grouper.add(candidate(0, assets: ["a"]))
        let other = grouper.add(candidate(10, assets: ["x"]))
        #expect(first.uuid != other.uuid)
        #expect(grouper.openAlerts.count == 2)
    }
}

@Suite struct FilterTests {
    private let rule = """
        title: rule
        id: r1
        logsource: {product: windows}
        detection:
            selection:
                EventID: 4625
            condition: selection
        """

    private func filter(rules: String) -> String {
        """
        ---
        title: ignore admins
        id: f1
        logsource: {product: windows}
        filter:
            rules: \(rules)
            selection:
                User|startswith: adm_
            condition: selection
        """
    }

    @Test(arguments: ["[r1]", "['*']"])
    func filterSuppressesAndCounts(_ rules: String) throws {
        let set = try RuleLoader.load(text: rule + "\n" + filter(rules: rules))
        #expect(set.rules.count == 1)
        #expect(set.filters.count == 1)
        let engine = DetectionEngine(rules: set.rules, filters: set.filters)
        let reader = JSONEventReader(engine: engine)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"adm_x"}"#)).isEmpty)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"joe"}"#)).count == 1)
        #expect(engine.suppressedCounts == [1])
        #expect(engine.suppressedCountsByFilterID == ["f1": 1])
    }

    /// Two filters that both hold for a match each count it (SPEC §6:
    /// counted per filter), and the match is suppressed once: the second
    /// read 0 and looked unused.
    @Test func everyFilterThatHoldsCountsTheMatch() throws {
        let second = filter(rules: "['*']").replacingOccurrences(of: "id: f1", with: "id: f2")
            .replacingOccurrences(of: "User|startswith: adm_", with: "User|endswith: _x")
        let set = try RuleLoader.load(text: rule + "\n" + filter(rules: "[r1]") + "\n" + second)
        let engine = DetectionEngine(rules: set.rules, filters: set.filters)
        let reader = JSONEventReader(engine: engine)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"adm_x"}"#)).isEmpty)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"adm_y"}"#)).isEmpty)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"joe_x"}"#)).isEmpty)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"joe"}"#)).count == 1)
        #expect(engine.suppressedCountsByFilterID == ["f1": 2, "f2": 2])
        #expect(engine.suppressedMatchCount == 3)
    }

    /// A filter may name its rule by Sigma's `name`, as a correlation
    /// does: it was taken for an id no rule had, and suppressed nothing.
    @Test func aFilterNamesARuleByItsName() throws {
        let named = rule.replacingOccurrences(of: "id: r1\n", with: "id: r1\nname: failed_logon\n")
        let set = try RuleLoader.load(text: named + "\n" + filter(rules: "[failed_logon]"))
        #expect(set.filterTargetsWithoutRule.isEmpty, "\(set.filterTargetsWithoutRule)")
        let engine = DetectionEngine(rules: set.rules, filters: set.filters)
        let reader = JSONEventReader(engine: engine)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"adm_x"}"#)).isEmpty)
        #expect(engine.suppressedCountsByFilterID == ["f1": 1])
        // A name two rules share names both, as a correlation's does.
        let twin = named.replacingOccurrences(of: "id: r1\n", with: "id: r2\n")
        let both = try RuleLoader.load(text: named + "\n---\n" + twin + "\n"
                                       + filter(rules: "[failed_logon]"))
        #expect(both.filters.first?.ruleIDs.sorted() == ["r1", "r2"])
    }

    /// A filter naming a rule id no loaded rule has is reported by its id,
    /// else by its title (Sigma makes a filter's id optional): the report
    /// named an id-less filter ''.
    @Test func aFilterWithoutRuleIsNamedByItsIDOrTitle() throws {
        let set = try RuleLoader.load(text: rule + "\n" + filter(rules: "[other]"))
        #expect(set.filterTargetsWithoutRule.map { $0.contains("filter 'f1' names the rule id "
                                                               + "'other'") } == [true])
        let untitled = filter(rules: "[other]").replacingOccurrences(of: "id: f1\n", with: "")
        let named = try RuleLoader.load(text: rule + "\n" + untitled).filterTargetsWithoutRule
        #expect(named.map { $0.contains("filter 'ignore admins' names the rule id 'other'") }
                    == [true])
    }

    /// A filter whose condition starts with `not` is named before events
    /// run: Sigma's filter specification writes its example so (`not
    /// selection` keeps all but `adm_` users), which here suppresses
    /// every other user's match. It still runs as written (SPEC §6).
    @Test func aFilterConditionStartingWithNotIsNamed() throws {
        let turned = filter(rules: "[r1]").replacingOccurrences(of: "condition: selection",
                                                                with: "condition: not selection")
        let set = try RuleLoader.load(text: rule + "\n" + turned)
        #expect(set.filterWarnings.count == 1)
        #expect(set.filterWarnings.first?.contains("filter 'f1' has a condition that holds "
                                                   + "where none of its selections does") == true)
        let engine = DetectionEngine(rules: set.rules, filters: set.filters)
        let reader = JSONEventReader(engine: engine)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"joe"}"#)).isEmpty)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"adm_x"}"#)).count == 1)
        #expect(try RuleLoader.load(text: rule + "\n" + filter(rules: "[r1]")).filterWarnings
                    .isEmpty)
        // A `not` inside the condition, where it still holds with no test.
        for condition in ["not selection and not selection", "not selection or selection"] {
            let inner = filter(rules: "[r1]").replacingOccurrences(
                of: "condition: selection", with: "condition: \(condition)")
            #expect(try RuleLoader.load(text: rule + "\n" + inner).filterWarnings.count == 1,
                    "\(condition)")
        }
        let narrowed = filter(rules: "[r1]").replacingOccurrences(
            of: "condition: selection", with: "condition: selection and not selection")
        #expect(try RuleLoader.load(text: rule + "\n" + narrowed).filterWarnings.isEmpty)
    }

    @Test func filterForAnotherRuleDoesNothing() throws {
        let set = try RuleLoader.load(text: rule + "\n" + filter(rules: "[other]"))
        let engine = DetectionEngine(rules: set.rules, filters: set.filters)
        let reader = JSONEventReader(engine: engine)
        #expect(engine.evaluate(try reader.read(#"{"EventID":4625,"User":"adm_x"}"#)).count == 1)
        #expect(engine.suppressedCounts == [0])
    }
}
