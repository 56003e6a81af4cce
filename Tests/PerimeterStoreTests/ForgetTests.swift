import Foundation
import PerimeterInventory
import PerimeterModel
import PerimeterSQLite
@testable import PerimeterStore
import PerimeterTestSupport
import Testing

/// Erasure on request (SPEC §2 `forget`): a small store built by hand, then
/// an atom or an account erased, and every table read back.
@Suite struct ForgetTests {
    static let t0 = EventTime(parsing: "2024-05-01T09:00:00Z")!
    static let email = Atom(type: .email, normalizedValue: "ann.lee@example.com")
    static let username = Atom(type: .username, normalizedValue: "ann.lee")
    static let ip = Atom(type: .ipv4, normalizedValue: "10.0.0.7")
    static let neighbour = Atom(type: .ipv4, normalizedValue: "10.0.0.70")
    static let acme = ScopeKey(community: "acme")

    /// The account Ann Lee (tagged vip; username and email confirmed), the
    /// host WS-07 (10.0.0.7 observed, seen in two weeks) and the host WS-70
    /// (10.0.0.70), Ann's email unclaimed in entity paris and in a
    /// conflict, her username shared, both rejected by WS-07, an alert on
    /// Ann and WS-07 whose events quote her, and a job that searched her.
    struct Fixture {
        let directory: ScratchDirectory
        let store: InventoryStore
        let account: Asset
        let host: Asset
        let neighbour: Asset
        var path: String { store.path }

        init() throws {
            let (t0, acme, email, username) = (ForgetTests.t0, ForgetTests.acme, ForgetTests.email,
                                               ForgetTests.username)
            let (ip, otherIP) = (ForgetTests.ip, ForgetTests.neighbour)
            directory = try ScratchDirectory("forget")
            store = try InventoryStore(path: directory.path("store.db"))
            let created = t0.date
            account = Asset(name: "Ann Lee", category: .account, tags: ["vip"], source: .manual,
                            community: "acme", createdAt: created)
            host = Asset(name: "WS-07", category: .host, source: .manual, community: "acme",
                         createdAt: created)
            neighbour = Asset(name: "WS-70", category: .host, source: .manual,
                              community: "acme", createdAt: created)
            try store.create([
                AssetDraft(asset: account, confirmedAtoms: [username, email]),
                AssetDraft(asset: host, confirmedAtoms: [Atom(type: .hostname,
                                                              normalizedValue: "ws-07")]),
                AssetDraft(asset: neighbour, confirmedAtoms: [Atom(type: .hostname,
                                                                   normalizedValue: "ws-70")]),
            ], actor: "test", at: t0)

            let week = t0.weekStart
            let nextWeek = week + .days(7)
            var changes = InventoryChanges.creating([], attachments: [
                Attachment(id: 5, key: AtomKey(scope: acme, atom: ip), asset: host.id,
                           kind: .observed, from: t0, origin: "events:1"),
                Attachment(id: 6, key: AtomKey(scope: acme, atom: otherIP),
                           asset: neighbour.id, kind: .observed, from: t0, origin: "events:2"),
            ], audit: [])
            changes.activity = [
                WeeklyActivity(key: AtomKey(scope: acme, atom: ip), weekStart: week, count: 3),
                WeeklyActivity(key: AtomKey(scope: acme, atom: ip), weekStart: nextWeek, count: 1),
                WeeklyActivity(key: AtomKey(scope: acme, atom: otherIP), weekStart: week, count: 2),
                WeeklyActivity(key: AtomKey(scope: acme, atom: email), weekStart: week, count: 4),
                WeeklyActivity(key: AtomKey(scope: acme, atom: username), weekStart: week, count: 4),
            ]
            changes.unclaimed = [
                AtomKey(scope: ScopeKey(community: "acme", entity: "paris"), atom: email): t0,
            ]
            changes.conflicts = [AtomConflict(key: AtomKey(scope: acme, atom: email),
                                              assets: [account.id, host.id], at: t0,
                                              reason: "two holders")]
            changes.shared = [AtomKey(scope: acme, atom: username): t0]
            changes.rejected = [RejectedAtom(asset: host.id, atom: username),
                                RejectedAtom(asset: host.id, atom: email)]
            try store.persist(changes)

            let event = #"{"user":{"name":"ann.lee","email":"ANN.LEE@example.com"},"#
                + #""host":{"ip":"10.0.0.7"},"related":{"user":["Ann Lee"]}}"#
            let alert = try store.save(StoredAlert(
                community: "acme", entity: nil, ruleID: "r1", ruleTitle: "Logon", level: "high",
                groupKey: "r1|x", assets: [
                    AlertAsset(uuid: Self.uuid(account), name: "Ann Lee", category: .account,
                               criticality: nil),
                    AlertAsset(uuid: Self.uuid(host), name: "WS-07", category: .host,
                               criticality: nil),
                ], urgency: 50, firstTime: t0, lastTime: t0, count: 1, firstEvent: event,
                lastEvent: event))
            // An analyst's reason may name the person too.
            try store.closeAlert(id: alert, community: "acme", closure: .init(
                at: t0, by: "token:soc", reason: "asked ann.lee@example.com: it was her"))
            try store.database.statement("""
                INSERT INTO jobs (id, community, actor, action, request, status, total,
                    created_at, updated_at)
                VALUES ('job-1', 'acme', 'test', 'tag', ?1, 'done', 1, 0, 0)
                """).run([.text(#"{"filter":{"q":"ann.lee@example.com"}}"#)])
        }

        static func uuid(_ asset: Asset) -> String { asset.id.uuidString.lowercased() }

        func remove() { directory.remove() }

        /// `table.column` of every text cell that quotes `value` as a whole
        /// word, any case: every table of the store, the free-text index's
        /// stored text included (its term index, `_data` and `_idx`, holds
        /// trigrams, not values).
        func cellsQuoting(_ value: String) throws -> [String] {
            let database = store.database
            let tables = try database.statement("""
                SELECT name FROM sqlite_master WHERE type = 'table'
                  AND name NOT LIKE 'sqlite_%'
                  AND name NOT IN ('asset_text_data', 'asset_text_idx')
                ORDER BY name
                """).rows { $0.text(0) }
            let word = try NSRegularExpression(
                pattern: "(?<![A-Za-z0-9])" + NSRegularExpression.escapedPattern(for: value)
                    + "(?![A-Za-z0-9])", options: [.caseInsensitive])
            var found: [String] = []
            for table in tables {
                let columns = try database.statement("PRAGMA table_info(\"\(table)\")")
                    .rows { $0.text(1) }
                for column in columns {
                    let texts = try database.statement("""
                        SELECT CAST("\(column)" AS TEXT) FROM "\(table)"
                        WHERE instr(lower(CAST("\(column)" AS TEXT)), lower(?1)) > 0
                        """).rows([.text(value)]) { $0.text(0) }
                    for text in texts where word.firstMatch(
                        in: text, range: NSRange(text.startIndex..., in: text)) != nil {
                        found.append("\(table).\(column)")
                    }
                }
            }
            return found
        }

        func count(_ sql: String) throws -> Int {
            Int(try store.database.statement(sql).firstRow { $0.int(0) } ?? -1)
        }

        /// Every row of every table, as text: what a dry run must leave.
        func dump() throws -> [String] {
            let tables = try store.database.statement(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .rows { $0.text(0) }
            var lines: [String] = []
            for table in tables where !table.hasPrefix("sqlite_") {
                let columns = try store.database.statement("PRAGMA table_info(\"\(table)\")")
                    .rows { "quote(\"\($0.text(1))\")" }
                try store.database.statement(
                    "SELECT \(columns.joined(separator: " || '|' || ")) FROM \"\(table)\"")
                    .forEachRow { lines.append(table + ": " + $0.text(0)) }
            }
            return lines.sorted()
        }
    }

    // MARK: - An atom

    @Test func forgettingAnEmailErasesEveryRowThatHoldsIt() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        #expect(try fixture.cellsQuoting(Self.email.value).count >= 8)
        // Trigrams of the email alone in this store: FTS5's segments keep a
        // deleted text's terms until they merge, which the erasure forces.
        let segmentsWithTrigrams = {
            try fixture.count("""
                SELECT count(*) FROM asset_text_data
                WHERE instr(block, CAST('e@e' AS BLOB)) > 0 OR instr(block, CAST('@ex' AS BLOB)) > 0
                """)
        }
        #expect(try segmentsWithTrigrams() > 0)

        let outcome = try fixture.store.forget(
            Atom(type: .email, normalizedValue: Self.email.value), community: "acme",
            actor: "privacy-officer", at: Self.t0 + .days(30))

        // By hand: Ann's attachment of it and its sightings row; its
        // activity row (one week) and atom row; the conflict; the unclaimed
        // sighting in paris; WS-07's rejection; its search text. The create
        // audit of Ann, the alert's events and the job's request quote it
        // and are redacted.
        #expect(outcome.deleted == ["attachments": 1, "attachment_sightings": 1,
                                    "atom_activity": 1, "atoms": 1, "conflicts": 1,
                                    "unclaimed_atoms": 1, "rejected_atoms": 1, "asset_text": 1])
        #expect(outcome.redacted == ["audit": 1, "alerts": 1, "jobs": 1])
        #expect(outcome.rowsErased == 11)
        #expect(Set(outcome.erasedKeys) == [
            AtomKey(scope: Self.acme, atom: Self.email),
            AtomKey(scope: ScopeKey(community: "acme", entity: "paris"), atom: Self.email),
        ])
        #expect(try fixture.cellsQuoting(Self.email.value) == [])
        #expect(try segmentsWithTrigrams() == 0)
        let closure = try fixture.store.alerts(matching: AlertQuery(community: "acme"))
            .first?.closure
        #expect(closure?.reason?.hasPrefix("asked ") == true)
        #expect(closure?.reason?.hasSuffix(": it was her") == true)
        #expect(closure?.by == "token:soc")

        // The rest stands: Ann and her username, both hosts and their atoms.
        let store = fixture.store
        #expect(try store.attachments(ofAsset: fixture.account.id).map(\.key.atom)
                == [Self.username])
        #expect(try store.attachments(ofAsset: fixture.host.id).count == 2)
        #expect(try store.weeklyActivity(of: Self.ip, community: "acme").map(\.1) == [3, 1])
        #expect(try store.weeklyActivity(of: Self.username, community: "acme").map(\.1) == [4])
        #expect(try fixture.count("SELECT count(*) FROM rejected_atoms") == 1)
        #expect(try fixture.cellsQuoting("Ann Lee").count >= 3)
    }

    @Test func anErasureIsRecordedWithoutTheValue() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let at = Self.t0 + .days(30)
        let outcome = try fixture.store.forget(Self.email, community: "acme",
                                               actor: "privacy-officer", at: at)

        let forgotten = try fixture.store.database.statement(
            "SELECT community, atom_type, at, actor, rows_erased FROM forgotten")
            .rows { [$0.text(0), $0.text(1), String($0.int(2)), $0.text(3), String($0.int(4))] }
        #expect(forgotten == [["acme", "email", String(at.milliseconds), "privacy-officer",
                               String(outcome.rowsErased)]])
        let trail = try fixture.store.auditTrail(community: "acme", limit: 100)
            .filter { $0.record.action == "forget_atom" }
        #expect(trail.map(\.record.asset) == [fixture.account.id])
        #expect(trail.first?.record.actor == "privacy-officer")
        #expect(trail.first?.record.after?.contains("\"type\":\"email\"") == true)
        #expect(trail.first?.record.after?.contains("ann.lee") == false)
    }

    @Test func anAddressLeavesTheLongerAddressItPrefixes() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let outcome = try fixture.store.forget(Self.ip, community: "acme", actor: "dpo",
                                               at: Self.t0)
        // WS-07's attachment and its sightings row, two weeks of activity,
        // its atom row, its search text; the alert's events quote it.
        #expect(outcome.deleted == ["attachments": 1, "attachment_sightings": 1,
                                    "atom_activity": 2, "atoms": 1,
                                    "asset_text": 1])
        #expect(outcome.redacted == ["alerts": 1])
        #expect(try fixture.cellsQuoting("10.0.0.7") == [])
        #expect(try fixture.store.attachments(ofAtom: Self.neighbour, community: "acme")
                .map(\.asset) == [fixture.neighbour.id])
        #expect(try fixture.store.weeklyActivity(of: Self.neighbour, community: "acme")
                .map(\.1) == [2])
        #expect(try fixture.count(
            "SELECT count(*) FROM asset_text WHERE text = '10.0.0.70'") == 1)
    }

    @Test func anAssetTextThatQuotesTheValueIsRedactedAndHandedBack() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.store.database.statement("""
            UPDATE assets SET description = 'owner: Ann.Lee@example.com.',
                properties = '{"owner":"ann.lee@example.com"}'
            WHERE name = 'WS-70'
            """).run()
        let outcome = try fixture.store.forget(Self.email, community: "acme", actor: "dpo",
                                               at: Self.t0)
        #expect(outcome.redacted["assets"] == 1)
        let redacted = try #require(outcome.redactedAssets.first)
        #expect(outcome.redactedAssets.count == 1)
        #expect(redacted.id == fixture.neighbour.id)
        #expect(redacted.description == "owner: [erased].")
        #expect(redacted.properties == ["owner": .string("[erased]")])
        #expect(try fixture.cellsQuoting(Self.email.value) == [])
    }

    /// A tag that quotes the value (an owner's email given as a label) is
    /// redacted like any text: in the tag table, its counts and the asset.
    @Test func aTagThatQuotesTheValueIsRedacted() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let uuid = fixture.neighbour.id.uuidString.lowercased()
        try fixture.store.database.statement("""
            INSERT INTO asset_tags (community, tag, asset_uuid)
            VALUES ('acme', 'owner:ann.lee@example.com', ?1)
            """).run([.text(uuid)])
        try fixture.store.database.statement(
            #"UPDATE assets SET tags = '["owner:ann.lee@example.com"]' WHERE uuid = ?1"#)
            .run([.text(uuid)])
        let outcome = try fixture.store.forget(Self.email, community: "acme", actor: "dpo",
                                               at: Self.t0)
        #expect(outcome.redacted["asset_tags"] == 1)
        #expect(outcome.redactedAssets.first { $0.id == fixture.neighbour.id }?.tags
                == ["owner:[erased]"])
        #expect(try fixture.store.asset(id: fixture.neighbour.id, community: "acme")?.tags
                == ["owner:[erased]"])
        #expect(try fixture.count(
            "SELECT n FROM asset_tag_counts WHERE tag = 'owner:[erased]'") == 1)
        #expect(try fixture.cellsQuoting(Self.email.value) == [])
    }

    /// In JSON texts only values are redacted: a member named like the
    /// value keeps its name (an audit record still says "atom" and
    /// "value"), and a number that is the value becomes the marker as a
    /// string, so the text stays JSON.
    @Test func jsonTextsKeepTheirMemberNames() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let uuid = fixture.host.id.uuidString.lowercased()
        let insert = try fixture.store.database.statement("""
            INSERT INTO audit (community, asset_uuid, actor, action, at, after)
            VALUES ('acme', ?1, 'test', 'note', 0, ?2)
            """)
        try insert.run([.text(uuid), .text(#"{"atom":"username","value":"ann.lee","ann.lee":true}"#)])
        try insert.run([.text(uuid), .text(#"{"host_id": 12345, "12345":[12345,"x 12345"]}"#)])
        _ = try fixture.store.forget(Self.username, community: "acme", actor: "dpo", at: Self.t0)
        _ = try fixture.store.forget(Atom(type: .hostID, normalizedValue: "12345"),
                                     community: "acme", actor: "dpo", at: Self.t0)
        let kept = try fixture.store.database.statement(
            "SELECT after FROM audit WHERE action = 'note' ORDER BY id").rows { $0.text(0) }
        #expect(kept == [#"{"atom":"username","value":"[erased]","ann.lee":true}"#,
                         #"{"host_id": "[erased]", "12345":["[erased]","x [erased]"]}"#])
        for text in kept {
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil, "\(text)")
        }
    }

    /// An escape right before the value in a JSON string (a Windows
    /// event's message: "Account Name:\t\tann.lee") hides no word from
    /// the erasure; the string is written back escaped, and a string
    /// that does not quote the value keeps its bytes (`\/`, `\u00e9`).
    @Test func anEscapeBeforeTheValueInAJSONStringDoesNotHideIt() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let insert = try fixture.store.database.statement("""
            INSERT INTO audit (community, asset_uuid, actor, action, at, after)
            VALUES ('acme', ?1, 'test', 'note', 0, ?2)
            """)
        try insert.run([.text(Fixture.uuid(fixture.host)),
                        .text(#"{"message":"Account Name:\t\tANN.LEE\r\n","path":"a\/b\u00e9"}"#)])
        _ = try fixture.store.forget(Self.username, community: "acme", actor: "dpo", at: Self.t0)
        let kept = try fixture.store.database.statement(
            "SELECT after FROM audit WHERE action = 'note'").rows { $0.text(0) }
        #expect(kept == [#"{"message":"Account Name:\t\t[erased]\r\n","path":"a\/b\u00e9"}"#])
    }

    /// A qualified name is an atom of its own: erasing the bare name
    /// `user1` leaves the accounts `CONTOSO\user1` and `dom1\user1` their
    /// names, atoms and search text, and leaves the qualified name wherever
    /// text quotes it; it renames the account named `user1` alone. A path
    /// (`C:\Users\user1`) still loses the name.
    @Test func aBareNameLeavesTheQualifiedNamesOfOtherAccounts() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let bare = Atom(type: .username, normalizedValue: "user1")
        let names = ["user1", "CONTOSO\\user1", "dom1\\user1"]
        try fixture.store.create(names.map { name in
            AssetDraft(asset: Asset(name: name, category: .account, source: .manual,
                                    description: "profile C:\\Users\\user1, owner CONTOSO\\user1",
                                    community: "acme", createdAt: Self.t0.date),
                       confirmedAtoms: [Atom(type: .username, normalizedValue: name.lowercased())])
        }, actor: "test", at: Self.t0)
        _ = try fixture.store.forget(bare, community: "acme", actor: "dpo", at: Self.t0)
        let rows = try fixture.store.database.statement("""
            SELECT name, description FROM assets WHERE community = 'acme'
              AND description LIKE 'profile%' ORDER BY name
            """).rows { [$0.text(0), $0.text(1)] }
        let kept = "profile C:\\Users\\[erased], owner CONTOSO\\user1"
        #expect(rows == [["CONTOSO\\user1", kept], ["[erased]", kept], ["dom1\\user1", kept]])
        for qualified in ["contoso\\user1", "dom1\\user1"] {
            let atom = Atom(type: .username, normalizedValue: qualified)
            #expect(try fixture.store.attachments(ofAtom: atom, community: "acme").count == 1)
        }
        // The search index keeps the qualified accounts' names and atoms.
        let indexed = try fixture.store.database.statement("""
            SELECT count(*) FROM (SELECT text FROM asset_text WHERE text LIKE '%\\user1'
                                  UNION ALL
                                  SELECT text FROM asset_text_pending WHERE text LIKE '%\\user1')
            """).firstRow { $0.int(0) }
        #expect(indexed == 4)
    }

    @Test func anEntityNarrowsTheErasure() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let outcome = try fixture.store.forget(Self.email, community: "acme", entity: "paris",
                                               actor: "dpo", at: Self.t0)
        // Only paris's unclaimed sighting; the community-wide rows stay,
        // and so do the texts that quote it.
        #expect(outcome.deleted == ["unclaimed_atoms": 1])
        #expect(outcome.redacted == [:])
        #expect(try fixture.store.attachments(ofAtom: Self.email, community: "acme").count == 1)
    }

    @Test func anotherCommunityIsUntouched() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let outcome = try fixture.store.forget(Self.email, community: "globex", actor: "dpo",
                                               at: Self.t0)
        #expect(outcome.deleted == [:])
        #expect(outcome.redacted == [:])
        #expect(try fixture.store.attachments(ofAtom: Self.email, community: "acme").count == 1)
    }

    // MARK: - An account

    @Test func forgettingAnAccountErasesItAndEveryAtomItHeld() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let outcome = try fixture.store.forget(asset: fixture.account.id, community: "acme",
                                               actor: "dpo", at: Self.t0 + .days(30))
        // By hand: email (attachment and its sightings, activity, atom,
        // conflict, paris's unclaimed, WS-07's rejection, text) and username
        // (attachment and its sightings, activity, atom, shared mark,
        // WS-07's rejection, text), then the
        // asset, its tag and its name's text. Redacted: its create audit,
        // the alert (its events, and Ann out of its assets), the job.
        #expect(outcome.deleted == [
            "attachments": 2, "attachment_sightings": 2, "atom_activity": 2, "atoms": 2,
            "conflicts": 1,
            "unclaimed_atoms": 1, "shared_atoms": 1, "rejected_atoms": 2, "asset_text": 3,
            "asset_tags": 1, "assets": 1,
        ])
        #expect(outcome.redacted == ["audit": 1, "alerts": 1, "jobs": 1])
        #expect(outcome.erasedAsset == fixture.account.id)
        for value in [Self.email.value, Self.username.value, "Ann Lee"] {
            #expect(try fixture.cellsQuoting(value) == [], "\(value)")
        }

        // The alert stays, about WS-07 alone.
        let alert = try #require(try fixture.store.alerts(matching: AlertQuery(community: "acme"))
            .first)
        #expect(alert.assets.map(\.name) == ["WS-07"])
        #expect(alert.firstEvent.contains("\"email\":\"[erased]\""))
        // The counts the views read follow the deleted asset and tag.
        #expect(try fixture.count(
            "SELECT sum(n) FROM asset_counts WHERE category = 'account'") == 0)
        // A tag of its own leaves no count, whose label may be the person's.
        #expect(try fixture.count("SELECT count(*) FROM asset_tag_counts WHERE tag = 'vip'") == 0)
        // Its audit trail stays, who did what when, with the erasure at its
        // end; not what the asset held (its description, properties, tags).
        let trail = try fixture.store.audit(of: fixture.account.id)
        #expect(trail.map(\.action) == ["create", "forget_asset"])
        #expect(trail.first?.before == nil && trail.first?.after == nil)
        // The hosts are untouched.
        #expect(try fixture.store.attachments(ofAsset: fixture.host.id).count == 2)
        #expect(try fixture.store.attachments(ofAsset: fixture.neighbour.id).count == 2)
        #expect(try fixture.store.asset(named: "WS-07", community: "acme").id == fixture.host.id)
    }

    /// A UPN (`Ivo@corp.example.com`) is stored as `corp.example.com\ivo`;
    /// the account discovery named after the event's spelling loses the
    /// name with the atom, as one named `CORP\ann` does.
    @Test func aUserNameIsErasedInItsUPNSpellingToo() throws {
        let directory = try ScratchDirectory("forget-upn")
        defer { directory.remove() }
        let store = try InventoryStore(path: directory.path("store.db"))
        let atom = Atom(type: .username, normalizedValue: "corp.example.com\\ivo")
        let account = Asset(name: "Ivo@corp.example.com", category: .account, source: .manual,
                            description: "mail Ivo@Corp.Example.com for access",
                            community: "acme", createdAt: Self.t0.date)
        try store.create([AssetDraft(asset: account, confirmedAtoms: [atom])], actor: "test",
                         at: Self.t0)
        _ = try store.forget(atom, community: "acme", actor: "dpo", at: Self.t0 + .days(1))
        let erased = try store.asset(id: account.id, community: "acme")
        #expect(erased?.name == "[erased]")
        #expect(erased?.description == "mail [erased] for access")
        // A NetBIOS domain has no UPN spelling: `ann@corp` is another word.
        #expect(InventoryStore.spellings(of: Atom(type: .username, normalizedValue: "corp\\ann"))
                == ["corp\\ann"])
    }

    /// ECS gives `CORP\ann.lee` as `user.name: ann.lee` and `user.domain:
    /// CORP`: the events of the erased account's alerts lose the bare name
    /// too, while an alert about another asset keeps it (another
    /// person's local account may bear it).
    @Test func anAccountsBareNameLeavesItsOwnAlertsOnly() throws {
        let directory = try ScratchDirectory("forget-bare")
        defer { directory.remove() }
        let store = try InventoryStore(path: directory.path("store.db"))
        let account = Asset(name: "CORP\\ann.lee", category: .account, source: .manual,
                            community: "acme", createdAt: Self.t0.date)
        let host = Asset(name: "lab-01", category: .host, source: .manual, community: "acme",
                         createdAt: Self.t0.date)
        try store.create([
            AssetDraft(asset: account, confirmedAtoms: [
                Atom(type: .username, normalizedValue: "corp\\ann.lee")]),
            AssetDraft(asset: host, confirmedAtoms: []),
        ], actor: "test", at: Self.t0)
        func alert(_ asset: Asset, group: String) throws -> Int64 {
            let event = #"{"user":{"name":"ann.lee","domain":"CORP"},"host":{"name":"lab-01"}}"#
            return try store.save(StoredAlert(
                community: "acme", entity: nil, ruleID: "r1", ruleTitle: "Logon", level: "high",
                groupKey: group, assets: [AlertAsset(uuid: asset.id.lowercasedText,
                                                     name: asset.name, category: asset.category,
                                                     criticality: nil)],
                urgency: 50, firstTime: Self.t0, lastTime: Self.t0, count: 1, firstEvent: event,
                lastEvent: event))
        }
        let about = try alert(account, group: "r1|ann")
        let other = try alert(host, group: "r1|lab")
        let outcome = try store.forget(asset: account.id, community: "acme", actor: "dpo",
                                       at: Self.t0 + .days(1))
        #expect(outcome.redacted["alerts"] == 1)
        let alerts = try store.alerts(matching: AlertQuery(community: "acme"))
        let erased = try #require(alerts.first { $0.id == about })
        #expect(erased.firstEvent == #"{"user":{"name":"[erased]","domain":"CORP"},"#
            + #""host":{"name":"lab-01"}}"#)
        let kept = try #require(alerts.first { $0.id == other })
        #expect(kept.firstEvent.contains(#""name":"ann.lee""#))
    }

    @Test func onlyAccountsAreErasedWhole() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let error = #expect(throws: StoreError.self) {
            try fixture.store.forget(asset: fixture.host.id, community: "acme", actor: "dpo",
                                     at: Self.t0)
        }
        #expect(error?.code == .invalid)
        let missing = #expect(throws: StoreError.self) {
            try fixture.store.forget(asset: fixture.account.id, community: "globex",
                                     actor: "dpo", at: Self.t0)
        }
        #expect(missing?.code == .notFound)
    }

    // MARK: - Dry run

    @Test(arguments: [false, true])
    func aDryRunChangesNothingAndCountsTheSame(account: Bool) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let before = try fixture.dump()
        func run(dryRun: Bool) throws -> ForgetOutcome {
            account
                ? try fixture.store.forget(asset: fixture.account.id, community: "acme",
                                           actor: "dpo", at: Self.t0, dryRun: dryRun)
                : try fixture.store.forget(Self.email, community: "acme", actor: "dpo",
                                           at: Self.t0, dryRun: dryRun)
        }
        let dry = try run(dryRun: true)
        #expect(dry.isDryRun)
        #expect(try fixture.dump() == before)
        let real = try run(dryRun: false)
        #expect(!real.isDryRun)
        #expect(dry.deleted == real.deleted)
        #expect(dry.redacted == real.redacted)
        #expect(try fixture.dump() != before)
    }

    // MARK: - The in-memory inventory

    @Test func theLoadedInventoryNoLongerMatchesAnErasedAtom() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let inventory = try fixture.store.loadInventory(settings: InventorySettings())
        let outcome = try fixture.store.forget(asset: fixture.account.id, community: "acme",
                                               actor: "dpo", at: Self.t0)
        inventory.forget(outcome.erasedKeys, asset: outcome.erasedAsset)

        let later = Self.t0 + .hours(1)
        #expect(inventory.asset(fixture.account.id) == nil)
        #expect(inventory.holders(of: Self.email, in: Self.acme, at: later) == [])
        #expect(inventory.holders(of: Self.username, in: Self.acme, at: later) == [])
        #expect(inventory.timeline(of: AtomKey(scope: Self.acme, atom: Self.email)) == [])
        #expect(!inventory.sharedAtoms.contains(AtomKey(scope: Self.acme, atom: Self.username)))
        #expect(inventory.rejected.isEmpty)
        #expect(inventory.holders(of: Self.ip, in: Self.acme, at: later) == [fixture.host.id])
        #expect(inventory.holders(of: Self.neighbour, in: Self.acme, at: later)
                == [fixture.neighbour.id])
        #expect(inventory.attachmentCount == 4)
        // A store loaded afresh holds the same.
        let reloaded = try fixture.store.loadInventory(settings: InventorySettings())
        #expect(reloaded.attachmentCount == 4)
        #expect(Set(reloaded.assets.keys) == Set(inventory.assets.keys))
    }

    /// The atom index is open-addressed: an erased key must not cut the
    /// probe runs of the others, and a value seen again is found again.
    @Test func erasedKeysLeaveTheOthersFoundThroughGrowth() {
        let inventory = Inventory()
        let host = AssetID()
        func key(_ index: Int) -> AtomKey {
            AtomKey(scope: Self.acme, atom: Atom(type: .hostname, normalizedValue: "h-\(index)"))
        }
        for index in 0..<3_000 {
            inventory.load(attachment: Attachment(id: Int64(index + 1), key: key(index),
                                                  asset: host, kind: .confirmed,
                                                  from: .distantPast, origin: "test"))
        }
        let erased = stride(from: 0, to: 3_000, by: 3).map(key)
        inventory.forget(erased)
        for index in 0..<3_000 {
            #expect(inventory.timeline(of: key(index)).count == (index % 3 == 0 ? 0 : 1))
        }
        // Enough new keys to grow the table twice over the tombstones.
        for index in 3_000..<9_000 {
            inventory.load(attachment: Attachment(id: Int64(index + 1), key: key(index),
                                                  asset: host, kind: .confirmed,
                                                  from: .distantPast, origin: "test"))
        }
        inventory.load(attachment: Attachment(id: 9_001, key: key(0), asset: host,
                                              kind: .confirmed, from: .distantPast,
                                              origin: "seen again"))
        #expect(inventory.timeline(of: key(0)).map(\.origin) == ["seen again"])
        #expect(inventory.timeline(of: key(3)).isEmpty)
        #expect(inventory.timeline(of: key(4)).count == 1)
        #expect(inventory.timeline(of: key(8_999)).count == 1)
        #expect(inventory.attachmentCount == 2_000 + 6_000 + 1)
        #expect(inventory.attachments(of: host).count == 2_000 + 6_000 + 1)
    }
}
