import Foundation
import PerimeterInventory
import PerimeterModel
import Testing

@Suite struct DiscoveryTests {
    let t0 = Fixture.clock("09:00")

    /// SPEC §2: two machines that share a short name but report different
    /// host.id values stay two assets; an event carrying one of the ids is
    /// its own machine's; one naming only the short name gets both,
    /// marked ambiguous.
    @Test func sameShortNameDifferentHostIDsStayTwoAssets() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-01", at: t0, hostID: "id-aaa"),
                        Fixture.host("ws-01", at: t0 + .seconds(60), hostID: "id-bbb")])
        #expect(inventory.assetCount == 2)
        #expect(inventory.pending.isEmpty == false)
        let changes = inventory.drainChanges()
        #expect(changes.conflicts.count == 1)
        #expect(changes.conflicts.first?.key.atom == Fixture.hostname("ws-01"))

        let later = t0 + .hours(1)
        let idA = Atom(type: .hostID, normalizedValue: "id-aaa")
        let byID = inventory.match([FieldAtom(atom: idA, field: "host.id")], in: Fixture.scope, at: later)
        #expect(byID.assets.count == 1)
        #expect(!byID.isAmbiguous)
        let byName = inventory.match([FieldAtom(atom: Fixture.hostname("ws-01"), field: "host.name")],
                                     in: Fixture.scope, at: later)
        #expect(byName.assets.count == 2)
        #expect(byName.ambiguousAtoms == [Fixture.hostname("ws-01")])
        // The name with one of the ids: that machine alone, no ambiguity.
        let both = inventory.match([FieldAtom(atom: Fixture.hostname("ws-01"), field: "host.name"),
                                    FieldAtom(atom: idA, field: "host.id")],
                                   in: Fixture.scope, at: later)
        #expect(both.assets == byID.assets)
        #expect(!both.isAmbiguous)
    }

    /// Two `ws-01`s told apart by their ids (made at t0 and t0+1h), then a
    /// late event naming `ws-01` alone, dated between them: in time order
    /// only the first existed then, so it is the first's, which it moves
    /// the last seen of. Dated before both, it is the first's too: in time
    /// order it made that host, which the first id-bearing event joined.
    /// It was ambiguous either way.
    @Test func aLateEventByASharedNameIsTheHolderThen() throws {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-01", at: t0, hostID: "id-first"),
                        Fixture.host("ws-01", at: t0 + .hours(1), hostID: "id-second")])
        let first = try #require(inventory.assets.values.first { $0.firstSeen == t0.date }?.id)
        let second = try #require(inventory.assets.values.first {
            $0.firstSeen == (t0 + .hours(1)).date }?.id)
        inventory.feed([Fixture.host("ws-01", at: t0 + .seconds(1800))])
        #expect(inventory.assetCount == 2)
        #expect(inventory.assets[first]?.lastSeen == (t0 + .seconds(1800)).date)
        #expect(inventory.assets[second]?.lastSeen == (t0 + .hours(1)).date)
        inventory.feed([Fixture.host("ws-01", at: t0 - .seconds(1800))])
        #expect(inventory.assetCount == 2)
        #expect(inventory.assets[first]?.firstSeen == (t0 - .seconds(1800)).date)
        #expect(inventory.assets[second]?.firstSeen == (t0 + .hours(1)).date)
    }

    /// Two accounts of one qualified name (two machines called VAGRANT,
    /// each with its local vagrant, told apart by their SIDs): an event
    /// with the name alone names both, marked ambiguous; one that also
    /// carries one account's SID is that account's alone, not ambiguous
    /// (it was enriched with both and marked so).
    @Test func aSIDPicksAmongAccountsOfOneName() {
        let inventory = Inventory()
        let sidA = "S-1-5-21-1350058589-1000", sidB = "S-1-5-21-1654242922-1000"
        inventory.feed([Fixture.account("vagrant", domain: "VAGRANT", sid: sidA, at: t0),
                        Fixture.account("vagrant", domain: "VAGRANT", sid: sidB,
                                        at: t0 + .seconds(60))])
        #expect(inventory.assetCount == 2)
        let later = t0 + .hours(1)
        let name = FieldAtom(atom: Atom(type: .username, normalizedValue: "vagrant\\vagrant"),
                             field: "user.name")
        let byName = inventory.match([name], in: Fixture.scope, at: later)
        #expect(byName.assets.count == 2 && byName.isAmbiguous)
        let sid = FieldAtom(atom: Atom(type: .sid, normalizedValue: sidA), field: "user.id")
        let bySID = inventory.match([sid], in: Fixture.scope, at: later)
        #expect(bySID.assets.count == 1)
        let both = inventory.match([name, sid], in: Fixture.scope, at: later)
        #expect(both.assets == bySID.assets)
        #expect(!both.isAmbiguous)
        // A SID of neither leaves the name to both, still ambiguous; so
        // does one of theirs as the target's (a 4648 on behalf of the
        // other account), which is no SID of the acting user.
        let other = FieldAtom(atom: Atom(type: .sid, normalizedValue: "S-1-5-21-9-1000"),
                              field: "user.id")
        let unrelated = inventory.match([name, other], in: Fixture.scope, at: later)
        #expect(unrelated.assets.count == 2 && unrelated.isAmbiguous)
        let target = FieldAtom(atom: Atom(type: .sid, normalizedValue: sidA),
                               field: "user.target.id")
        let onBehalf = inventory.match([name, target], in: Fixture.scope, at: later)
        #expect(onBehalf.assets.count == 2 && onBehalf.isAmbiguous)
    }

    /// The same host seen again, by name, with the id it reported before:
    /// one asset, no conflict.
    @Test func sameHostTwiceIsOneAsset() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-01", at: t0, ips: ["10.0.0.1"], hostID: "id-aaa"),
                        Fixture.host("WS-01", at: t0 + .seconds(60), hostID: "id-aaa"),
                        Fixture.host("ws-01", at: t0 + .seconds(120))])
        #expect(inventory.assetCount == 1)
        #expect(inventory.drainChanges().conflicts.isEmpty)
    }

    /// Seeing the same events again makes no asset (SPEC §2: one asset is
    /// never split in two). A test endpoint reports another machine's host
    /// id, then its own: the id it borrowed stays with its first holder
    /// (a conflict), so it tells nothing apart when the name comes back
    /// with it; it made a second `test_endpoint` holding the name alone.
    @Test func eventsSeenAgainMakeNoHostForAnIdHeldElsewhere() {
        let inventory = Inventory()
        func day(_ hour: String) -> [EventObservation] {
            [Fixture.host("FC-EXCHANGE-01", at: Fixture.clock("\(hour):00"), hostID: "h1"),
             Fixture.host("TEST_ENDPOINT", at: Fixture.clock("\(hour):01"), hostID: "h1"),
             Fixture.host("TEST_ENDPOINT", at: Fixture.clock("\(hour):02"), hostID: "h2")]
        }
        inventory.feed(day("10"))
        #expect(inventory.assetCount == 2)
        #expect(inventory.feed(day("11")).isEmpty)
        #expect(inventory.feed(day("12") + day("13")).isEmpty)
        #expect(inventory.assetCount == 2)
        let hostID = Atom(type: .hostID, normalizedValue: "h1")
        #expect(inventory.holderNames(hostID, at: Fixture.clock("13:30")) == ["FC-EXCHANGE-01"])
    }

    /// SPEC §2: two different fqdns are two assets even when their first
    /// labels agree.
    @Test func differentFQDNsAreTwoAssets() {
        let inventory = Inventory()
        inventory.feed([
            Fixture.host("ws-01", at: t0, fqdn: "ws-01.corp.example.org"),
            Fixture.host("ws-01", at: t0 + .seconds(5), fqdn: "ws-01.lab.example.net"),
            Fixture.host("ws-01", at: t0 + .seconds(9), fqdn: "ws-01.corp.example.org"),
        ])
        #expect(inventory.assetCount == 2)
        // An event that spells one of them out names that one; the short
        // name alone names both, marked ambiguous.
        let later = t0 + .hours(1)
        let short = FieldAtom(atom: Fixture.hostname("ws-01"), field: "host.name")
        let full = FieldAtom(atom: Atom(type: .fqdn, normalizedValue: "ws-01.lab.example.net"),
                             field: "host.name")
        let spelled = inventory.match([short, full], in: Fixture.scope, at: later)
        #expect(spelled.assets.count == 1)
        #expect(!spelled.isAmbiguous)
        #expect(spelled.assets == inventory.match([full], in: Fixture.scope, at: later).assets)
        let alone = inventory.match([short], in: Fixture.scope, at: later)
        #expect(alone.assets.count == 2)
        #expect(alone.isAmbiguous)
    }

    /// SPEC §3.1: a failed logon creates no account (a password spray
    /// would create thousands); the name is kept as an unclaimed atom.
    @Test func failedLogonsCreateNoAccount() {
        let inventory = Inventory()
        let created = inventory.feed((0..<50).map {
            Fixture.account("guess\($0)", domain: "CORP", at: t0 + .seconds(Int64($0)), failed: true)
        })
        #expect(created.isEmpty)
        _ = inventory.match([FieldAtom(atom: Atom(type: .username, normalizedValue: "corp\\guess1"),
                                       field: "user.name")], in: Fixture.scope, at: t0)
        #expect(inventory.drainChanges().unclaimed.count == 1)
    }

    /// A failed logon naming a known account is a sighting of it: its last
    /// seen moves (an account under a password attack looked dormant),
    /// while the attempt's own SID attaches to nothing.
    @Test func aFailedLogonMovesAKnownAccountsLastSeenAndAttachesNothing() throws {
        let inventory = Inventory()
        let account = try #require(inventory.feed([Fixture.account("ann", domain: "CORP",
                                                                    at: t0)]).first)
        _ = inventory.drainChanges()
        let attempt = Fixture.account("ann", domain: "CORP", sid: "S-1-5-21-1-2-3-1001",
                                      at: t0 + .hours(30), failed: true)
        #expect(inventory.feed([attempt]).isEmpty)
        #expect(inventory.assets[account]?.lastSeen == (t0 + .hours(30)).date)
        #expect(inventory.assets[account]?.firstSeen == t0.date)
        let sid = Atom(type: .sid, normalizedValue: "S-1-5-21-1-2-3-1001")
        #expect(inventory.holderNames(sid, at: t0 + .hours(31)) == [])
        #expect(inventory.drainChanges().seenTimes.map(\.asset) == [account])

        // Late, dated before the account's first event: in time order it
        // came first and created nothing, so the first seen stays.
        inventory.feed([Fixture.account("ann", domain: "CORP", at: t0 - .hours(2), failed: true)])
        #expect(inventory.assets[account]?.firstSeen == t0.date)
        #expect(inventory.assets[account]?.lastSeen == (t0 + .hours(30)).date)
    }

    /// A machine account (`HOST$`) and a user are two principals: a user's
    /// logon that carries the computer's SID (a helper's corpus run: three
    /// user names ended on `JDX2093$`) makes the user's own account, and
    /// the SID both claim is a conflict, not a merge.
    @Test func aUserNeverJoinsAMachineAccountThroughItsSID() throws {
        let inventory = Inventory()
        let sid = "S-1-5-21-1111-2222-3333-4444"
        let machine = try #require(inventory.feed([
            Fixture.account("JDX2093$", domain: "CORP", sid: sid, at: t0)]).first)
        let user = try #require(inventory.feed([
            Fixture.account("j_doe", domain: "CORP", sid: sid, at: t0 + .hours(1))]).first)
        #expect(user != machine)
        #expect(inventory.assets[user]?.name == "CORP\\j_doe")
        let later = t0 + .hours(2)
        #expect(inventory.holderNames(Atom(type: .username, normalizedValue: "corp\\j_doe"),
                                      at: later) == ["CORP\\j_doe"])
        #expect(inventory.holderNames(Atom(type: .sid, normalizedValue: sid), at: later)
                == ["CORP\\JDX2093$"])
        #expect(inventory.drainChanges().conflicts.map(\.key.atom.value) == [sid])
    }

    /// A computer account is told by its name, not by its sub-category,
    /// which a person may change (a gMSA made a service account) or never
    /// set (an account made by hand): its own event finds it by its SID.
    @Test(arguments: [false, true])
    func aMachineAccountIsToldByItsName(relabelled: Bool) throws {
        let inventory = Inventory()
        let sid = "S-1-5-21-1-2-3-1001"
        let account = try #require(inventory.feed([
            Fixture.account("svc_sql$", domain: "CORP", sid: sid, at: t0)]).first)
        var asset = try #require(inventory.assets[account])
        asset.subcategory = relabelled ? .service : nil
        inventory.replace(asset, actor: "analyst", action: "update", at: t0)
        let created = inventory.feed([
            Fixture.account("svc_sql$", domain: "CORP", sid: sid, at: t0 + .hours(1))])
        #expect(created.isEmpty)
        #expect(inventory.drainChanges().conflicts.isEmpty)
        #expect(inventory.assets[account]?.lastSeen == (t0 + .hours(1)).date)
    }

    /// The strict mode follows the reference rule: failures create accounts.
    @Test func strictAccountsFollowTheReferenceRule() {
        var settings = InventorySettings()
        settings.strictAccounts = true
        let inventory = Inventory(settings: settings)
        inventory.feed([Fixture.account("guess", domain: "CORP", at: t0, failed: true)])
        #expect(inventory.assetCount == 1)
    }

    /// SPEC §2: CORP\admin, LAB\admin and a local admin are three accounts;
    /// an unqualified name matches only when exactly one account holds it.
    @Test func domainQualifiedAccountsStayApart() {
        let inventory = Inventory()
        inventory.feed([Fixture.account("admin", domain: "CORP", at: t0),
                        Fixture.account("admin", domain: "LAB", at: t0 + .seconds(1))])
        #expect(inventory.assetCount == 2)
        let bare = Atom(type: .username, normalizedValue: "admin")
        #expect(inventory.matchedNames([bare], at: t0 + .hours(1)) == [])
        let alice = Fixture.account("alice", domain: "CORP", at: t0 + .seconds(2))
        inventory.feed([alice])
        #expect(inventory.matchedNames([Atom(type: .username, normalizedValue: "alice")],
                                       at: t0 + .hours(1)) == ["CORP\\alice"])
        inventory.feed([Fixture.account("admin", at: t0 + .seconds(3))])
        #expect(inventory.assetCount == 4)
        #expect(inventory.matchedNames([bare], at: t0 + .hours(1)) == ["admin"])
    }

    /// Two SIDs under one bare name are two principals (the local `ann`
    /// of two machines): the second does not join the first's account,
    /// and a SID first seen on an account without one joins it.
    @Test func anotherSIDUnderTheSameNameIsAnotherAccount() {
        let inventory = Inventory()
        inventory.feed([Fixture.account("ann", at: t0),
                        Fixture.account("ann", sid: "S-1-5-21-1-1-1-1001", at: t0 + .seconds(1)),
                        Fixture.account("ann", sid: "S-1-5-21-2-2-2-1001", at: t0 + .seconds(2))])
        #expect(inventory.assetCount == 2)
        let first = Atom(type: .sid, normalizedValue: "S-1-5-21-1-1-1-1001")
        let second = Atom(type: .sid, normalizedValue: "S-1-5-21-2-2-2-1001")
        let holders = [first, second].map {
            inventory.holders(of: $0, in: Fixture.scope, at: t0 + .hours(1))
        }
        #expect(holders.allSatisfy { $0.count == 1 })
        #expect(holders[0] != holders[1])
    }

    /// Events of one account arrive out of time order: its bare name
    /// (dated 10:00) first, then its qualified name. In time order the
    /// qualified name (09:00) makes the domain account and the bare name
    /// matches it (SPEC §2), so the late arrival joins the bare name's
    /// account; a qualified name dated after the bare one was, in time
    /// order too, a second account beside a local one. A SID under the
    /// bare name tells another principal only when the qualified name
    /// brings a SID of its own.
    @Test(arguments: [
        (qualifiedAt: "09:00", bareSID: nil, qualifiedSID: nil, accounts: 1),
        (qualifiedAt: "11:00", bareSID: nil, qualifiedSID: nil, accounts: 2),
        (qualifiedAt: "09:00", bareSID: "S-1-5-21-2-2-2-1001", qualifiedSID: nil, accounts: 1),
        (qualifiedAt: "09:00", bareSID: "S-1-5-21-2-2-2-1001",
         qualifiedSID: "S-1-5-21-1-1-1-1001", accounts: 2),
    ] as [(String, String?, String?, Int)])
    func aQualifiedNameArrivingLateJoinsItsBareName(
        qualifiedAt: String, bareSID: String?, qualifiedSID: String?, accounts: Int
    ) {
        let inventory = Inventory()
        inventory.feed([Fixture.account("ann", sid: bareSID, at: Fixture.clock("10:00")),
                        Fixture.account("ann", domain: "CORP", sid: qualifiedSID,
                                        at: Fixture.clock(qualifiedAt))])
        #expect(inventory.assetCount == accounts)
        let qualified = Atom(type: .username, normalizedValue: "corp\\ann")
        let bare = Atom(type: .username, normalizedValue: "ann")
        let holdersOfBoth = [qualified, bare].map {
            inventory.holders(of: $0, in: Fixture.scope, at: Fixture.clock("11:30"))
        }
        #expect((holdersOfBoth[0] == holdersOfBoth[1]) == (accounts == 1))
    }

    /// With two other domains' `ann` known, the bare name is ambiguous
    /// and makes a local account; in time order it was ambiguous too, so
    /// the late `corp\ann` does not join that local account: four.
    @Test func aQualifiedNameArrivingLateLeavesAnAmbiguousBareName() {
        let inventory = Inventory()
        inventory.feed([Fixture.account("ann", domain: "LAB", at: Fixture.clock("08:00")),
                        Fixture.account("ann", domain: "DEV", at: Fixture.clock("08:01")),
                        Fixture.account("ann", at: Fixture.clock("10:00"))])
        #expect(inventory.assetCount == 3)
        inventory.feed([Fixture.account("ann", domain: "CORP", at: Fixture.clock("09:00"))])
        #expect(inventory.assetCount == 4)
    }

    /// A SID names its account whatever the user name says.
    @Test func sidFindsTheAccount() {
        let inventory = Inventory()
        let sid = "S-1-5-21-1-2-3-1104"
        inventory.feed([Fixture.account("alice", domain: "CORP", sid: sid, at: t0),
                        Fixture.account("alice.renamed", domain: "CORP", sid: sid, at: t0 + .seconds(9))])
        #expect(inventory.assetCount == 1)
    }

    /// SPEC §1: an event of entity E matches E's assets and the
    /// entity-less ones; for the same atom E's own asset wins. Discovery
    /// puts new assets in the event's entity.
    @Test func entitySpecificAssetsWin() {
        let inventory = Inventory()
        let dmz = ScopeKey(community: "acme", entity: "DMZ-1")
        inventory.feed([Fixture.host("gw", at: t0, ips: ["10.9.9.9"]),
                        Fixture.host("gw-dmz", at: t0, ips: ["10.9.9.9"], scope: dmz)])
        let nine = Fixture.ip("10.9.9.9")
        #expect(inventory.matchedNames([nine], at: t0 + .seconds(1), scope: dmz) == ["gw-dmz"])
        #expect(inventory.matchedNames([nine], at: t0 + .seconds(1)) == ["gw"])
        // The entity-less host is still visible from the entity for other atoms.
        #expect(inventory.matchedNames([Fixture.hostname("gw")], at: t0 + .seconds(1), scope: dmz) == ["gw"])
        let other = ScopeKey(community: "globex")
        #expect(inventory.matchedNames([nine], at: t0 + .seconds(1), scope: other) == [])
    }

    /// An entity's event that names an entity-less host refreshes the
    /// host's own hostname attachment instead of adding a copy in the
    /// entity (the asset showed its hostname twice).
    @Test func anEntityEventRefreshesAnEntityLessHostsName() {
        let inventory = Inventory()
        let dmz = ScopeKey(community: "acme", entity: "DMZ-1")
        inventory.feed([Fixture.host("gg", at: t0),
                        Fixture.host("gg", at: t0 + .hours(1), scope: dmz)])
        #expect(inventory.assetCount == 1)
        let name = Fixture.hostname("gg")
        #expect(inventory.timeline(of: AtomKey(scope: dmz, atom: name)).isEmpty)
        let own = inventory.timeline(of: AtomKey(scope: Fixture.scope, atom: name))
        #expect(own.count == 1)
        #expect(own.first?.lastSeen == t0 + .hours(1))
    }

    /// An inventory holding one host a person made, rated, with one
    /// confirmed atom.
    func inventoryWithManualHost(_ name: String, rated rating: Int, holding atom: Atom) throws
        -> Inventory {
        let inventory = Inventory()
        let manual = Asset(name: name, category: .host, criticality: try Criticality(rating),
                           source: .manual, community: "acme", createdAt: Date())
        inventory.load(asset: manual)
        inventory.load(attachment: Attachment(
            id: 1, key: AtomKey(scope: Fixture.scope, atom: atom),
            asset: manual.id, kind: .confirmed, from: .distantPast, origin: "test"))
        return inventory
    }

    /// Discovery does not create a second asset for a host a person
    /// already created with that hostname: it attaches to it, so its
    /// criticality applies from the first event (SPEC §2).
    @Test func manualAssetIsFoundBeforeCreating() throws {
        let inventory = try inventoryWithManualHost("DC-01", rated: 95,
                                                    holding: Fixture.hostname("dc-01"))
        let created = inventory.feed([Fixture.host("DC-01", at: t0, ips: ["10.0.0.10"])])
        #expect(created.isEmpty)
        let order = inventory.enrichmentOrder(inventory.match(
            [FieldAtom(atom: Fixture.ip("10.0.0.10"), field: "source.ip")],
            in: Fixture.scope, at: t0).assets)
        #expect(order.map(\.name) == ["DC-01"])
        #expect(order.first?.criticality?.value == 95)
    }

    /// A host made by hand with only its host id (no name) is the machine
    /// of the first event that names itself and reports that id: the name
    /// joins it, and its rating applies (a second, unrated host of the
    /// name was made, and enriched every event). A host of another name
    /// holding the id stays another machine.
    @Test func aNamelessManualHostTakesTheNameOfItsId() throws {
        let inventory = try inventoryWithManualHost(
            "DC-ID-ONLY", rated: 85, holding: Atom(type: .hostID, normalizedValue: "dc-hid-1"))
        let created = inventory.feed([Fixture.host("dc-id", at: t0, hostID: "dc-hid-1")])
        #expect(created.isEmpty)
        #expect(inventory.holderNames(Fixture.hostname("dc-id"), at: t0) == ["DC-ID-ONLY"])
        #expect(inventory.matchedNames([Fixture.hostname("dc-id")], at: t0) == ["DC-ID-ONLY"])
        // Now named, the host is told from a machine of another name
        // that reports its id: that one is made, and the clash recorded.
        let other = inventory.feed([Fixture.host("ws-clone", at: t0 + .seconds(60),
                                                 hostID: "dc-hid-1")])
        #expect(other.count == 1)
        #expect(inventory.holderNames(Fixture.hostname("ws-clone"), at: t0 + .seconds(60))
                == ["ws-clone"])
    }

    /// Two accounts that hold one qualified user name (made by hand: a
    /// user name is no exclusive atom) both enrich its events, and the
    /// match is marked ambiguous, as a short name two hosts share is.
    @Test func aUserNameTwoAccountsHoldIsAmbiguous() throws {
        let inventory = Inventory()
        let name = Atom(type: .username, normalizedValue: "corp\\svc-sql")
        for (index, label) in ["svc-sql", "svc-sql (copy)"].enumerated() {
            let account = Asset(name: label, category: .account, source: .manual,
                                community: "acme", createdAt: Date())
            inventory.load(asset: account)
            inventory.load(attachment: Attachment(
                id: Int64(index + 1), key: AtomKey(scope: Fixture.scope, atom: name),
                asset: account.id, kind: .confirmed, from: .distantPast, origin: "test"))
        }
        let match = inventory.match([FieldAtom(atom: name, field: "user.name")],
                                    in: Fixture.scope, at: t0)
        #expect(match.assets.count == 2)
        #expect(match.isAmbiguous)
        #expect(match.ambiguousAtoms == [name])
    }

    /// A rejected atom is never attached to that asset again.
    @Test func rejectedAtomsStayOff() {
        let inventory = Inventory()
        let id = inventory.feed([Fixture.host("ws-01", at: t0)])[0]
        inventory.load(rejected: RejectedAtom(asset: id, atom: Fixture.ip("10.0.0.5")))
        inventory.feed([Fixture.host("ws-01", at: t0 + .seconds(5), ips: ["10.0.0.5"])])
        #expect(inventory.holderNames(Fixture.ip("10.0.0.5"), at: t0 + .seconds(6)) == [])
    }

    /// Network ranges: the longest prefix wins; at equal length the
    /// entity's own range wins; the creation order never matters.
    @Test(arguments: [false, true])
    func longestPrefixWins(reversed: Bool) throws {
        let inventory = Inventory()
        let dmz = ScopeKey(community: "acme", entity: "DMZ-1")
        var ranges: [(String, String, ScopeKey)] = [
            ("corp", "10.0.0.0/8", Fixture.scope), ("office", "10.1.0.0/16", Fixture.scope),
            ("office-dmz", "10.1.0.0/16", dmz), ("v6", "2001:db8::/32", Fixture.scope),
        ]
        if reversed { ranges.reverse() }
        for (offset, (name, cidr, scope)) in ranges.enumerated() {
            let asset = Asset(name: name, category: .network, source: .manual,
                              community: "acme", entity: scope.entity, createdAt: Date())
            inventory.load(asset: asset)
            inventory.load(attachment: Attachment(
                id: Int64(offset + 1), key: AtomKey(scope: scope, atom: Atom(type: .cidr, normalizedValue: cidr)),
                asset: asset.id, kind: .confirmed, from: .distantPast, origin: "test"))
        }
        #expect(inventory.matchedNames([Fixture.ip("10.1.2.3")], at: t0) == ["office"])
        #expect(inventory.matchedNames([Fixture.ip("10.1.2.3")], at: t0, scope: dmz) == ["office-dmz"])
        #expect(inventory.matchedNames([Fixture.ip("10.200.0.1")], at: t0) == ["corp"])
        #expect(inventory.matchedNames([Fixture.ip("11.0.0.1")], at: t0) == [])
        #expect(inventory.matchedNames([Fixture.ip("2001:db8::1:0:0:1")], at: t0) == ["v6"])
    }

    /// SPEC §5 ordering: criticality highest first, unrated last, then uuid.
    @Test func enrichmentOrder() throws {
        let inventory = Inventory()
        let ids = (0..<4).map { _ in UUID() }
        let values: [Int?] = [nil, 20, 80, 20]
        for (id, value) in zip(ids, values) {
            inventory.load(asset: Asset(id: id, name: id.uuidString, category: .host,
                                        criticality: try value.map { try Criticality($0) },
                                        source: .manual, community: "acme", createdAt: Date()))
        }
        let order = inventory.enrichmentOrder(ids).map(\.id)
        let twenties = [ids[1], ids[3]].sorted { $0.uuidString.lowercased() < $1.uuidString.lowercased() }
        #expect(order == [ids[2]] + twenties + [ids[0]])
    }
}

@Suite struct OutOfOrderDiscoveryTests {
    /// An event dated earlier that arrives later finds the asset a later
    /// event created: in-order arrival would have made one asset.
    @Test func earlierSightingFindsTheLaterAsset() {
        let inventory = Inventory()
        inventory.feed([Fixture.host("ws-01", at: Fixture.clock("10:00")),
                        Fixture.host("ws-01", at: Fixture.clock("09:00")),
                        Fixture.account("alice", domain: "CORP", at: Fixture.clock("10:00")),
                        Fixture.account("alice", domain: "CORP", at: Fixture.clock("09:30"))])
        #expect(inventory.assetCount == 2)
        // The hostname now holds from the earlier sighting.
        #expect(inventory.holderNames(Fixture.hostname("ws-01"), at: Fixture.clock("09:15")) == ["ws-01"])
    }

    /// A user name is not exclusive (SPEC §2): the account a SID names
    /// takes the name it reports, beside the local account that already
    /// has it, whether that event is dated after or before. The bare name
    /// then denotes two accounts: its later sightings match neither, and
    /// create no third account each (they did, one per event).
    @Test(arguments: ["10:02", "09:00"])
    func aBareNameTwoAccountsHoldCreatesNoMore(sidEventTime: String) {
        let inventory = Inventory()
        let sid = "S-1-5-21-7-7-7-1010"
        inventory.feed([Fixture.account("ann", at: Fixture.clock("10:00")),
                        Fixture.account("svc-backup", sid: sid, at: Fixture.clock("10:01")),
                        Fixture.account("ann", sid: sid, at: Fixture.clock(sidEventTime))])
        let ann = Atom(type: .username, normalizedValue: "ann")
        #expect(inventory.holderNames(ann, at: Fixture.clock("10:30")) == ["ann", "svc-backup"])

        let created = inventory.feed((0..<3).map {
            Fixture.account("ann", at: Fixture.clock("11:0\($0)"))
        })
        #expect(created.isEmpty)
        #expect(inventory.assetCount == 2)
        #expect(inventory.matchedNames([ann], at: Fixture.clock("11:30")) == [])
    }

    /// SPEC §2: a hostname belongs to one asset, and a clash is recorded.
    /// A revoked host's name goes to a new host at its next event; undoing
    /// the revocation gives the name two live holders: a conflict.
    @Test func unrevokingBesideARediscoveredNameIsAConflict() throws {
        let inventory = Inventory()
        let old = try #require(inventory.feed([Fixture.host("old-pc", at: Fixture.clock("08:00"))])
            .first)
        var asset = try #require(inventory.asset(old))
        asset.isRevoked = true
        inventory.replace(asset, actor: "analyst", action: "revoke", at: Fixture.clock("08:30"))
        let new = try #require(inventory.feed([Fixture.host("old-pc", at: Fixture.clock("09:00"))])
            .first)
        _ = inventory.drainChanges()
        asset.isRevoked = false
        inventory.replace(asset, actor: "analyst", action: "unrevoke", at: Fixture.clock("10:00"))
        let conflicts = inventory.drainChanges().conflicts
        #expect(conflicts.map(\.key.atom) == [Fixture.hostname("old-pc")])
        #expect(Set(conflicts.first?.assets ?? []) == [old, new])
        #expect(conflicts.first?.at == Fixture.clock("10:00"))
    }

    /// An address is one host's at a time (SPEC §2): given by hand to a
    /// new host while its first host was revoked, it has two holders once
    /// that one is unrevoked, a conflict as for an exclusive atom, and an
    /// event with the address is marked as naming several.
    @Test func unrevokingBesideAnAddressGivenAgainIsAConflict() throws {
        let inventory = Inventory()
        inventory.feed([Fixture.host("old-db", at: Fixture.clock("08:00")),
                        Fixture.host("new-db", at: Fixture.clock("08:01"))])
        let ids = try ["old-db", "new-db"].map { name in
            try #require(inventory.holders(of: Fixture.hostname(name), in: Fixture.scope,
                                           at: Fixture.clock("08:30")).first)
        }
        let address = Fixture.ip("10.77.0.1")
        try inventory.confirm(address, on: ids[0], actor: "analyst", at: Fixture.clock("08:40"))
        var old = try #require(inventory.asset(ids[0]))
        old.isRevoked = true
        inventory.replace(old, actor: "analyst", action: "revoke", at: Fixture.clock("09:00"))
        try inventory.confirm(address, on: ids[1], actor: "analyst", at: Fixture.clock("09:10"))
        _ = inventory.drainChanges()
        old.isRevoked = false
        inventory.replace(old, actor: "analyst", action: "unrevoke", at: Fixture.clock("10:00"))
        let conflicts = inventory.drainChanges().conflicts
        #expect(conflicts.map(\.key.atom) == [address])
        #expect(Set(conflicts.first?.assets ?? []) == Set(ids))
        let match = inventory.match([FieldAtom(atom: address, field: "source.ip")],
                                    in: Fixture.scope, at: Fixture.clock("10:30"))
        #expect(Set(match.assets) == Set(ids))
        #expect(match.ambiguousAtoms == [address])
    }

    /// SPEC §3: "a host may hold several" EDR agent ids. A machine runs a
    /// SentinelOne agent, a Winlogbeat shipper and a CrowdStrike sensor,
    /// each with its id: one host, not three (a second agent's id read as a
    /// second machine of the same name, and every name-only event was then
    /// ambiguous). Two agents of one kind are still two machines (above).
    @Test func oneMachineHoldsTheIdsOfAgentsOfSeveralKinds() throws {
        let inventory = Inventory()
        func event(agent: String, vendor: String?, hostID: String?, at time: String)
            -> EventObservation {
            var observation = Fixture.host("edr-2", at: Fixture.clock(time), hostID: hostID)
            let agentID = Atom(type: .agentID, normalizedValue: agent)
            observation.atoms.append(FieldAtom(atom: agentID, field: "agent.id"))
            observation.host?.agentIDs = [agentID]
            observation.agentIDs = [agent]
            observation.edrVendor = vendor
            return observation
        }
        let created = inventory.feed([
            event(agent: "s1-agent", vendor: "sentinelone", hostID: "guid-2", at: "08:00"),
            event(agent: "wlb-agent", vendor: nil, hostID: "guid-2", at: "08:01"),
            event(agent: "cs-agent", vendor: "crowdstrike", hostID: nil, at: "08:03"),
        ])
        #expect(created.count == 1)
        let id = try #require(created.first)
        let host = try #require(inventory.assets[id])
        #expect(host.properties["sentinelone_agent_id"] == .list(["s1-agent"]))
        #expect(host.properties["edr_agent_id"] == .list(["wlb-agent"]))
        #expect(host.properties["crowdstrike_agent_id"] == .list(["cs-agent"]))
        #expect(inventory.drainChanges().conflicts.isEmpty)
        let named = inventory.match([FieldAtom(atom: Fixture.hostname("edr-2"), field: "host.name")],
                                    in: Fixture.scope, at: Fixture.clock("08:04"))
        #expect(named.assets == [host.id] && !named.isAmbiguous)
    }

    /// SPEC §2: a host id belongs to one asset. Two events of one name and
    /// one host id but different agent ids are two machines; when the
    /// later one arrives first, the earlier one (late, inside the window)
    /// must not attach the id to its own asset as well: the id keeps one
    /// holder, and the clash is a conflict (the corpus's winlogbeat file,
    /// ingested with a long lateness, gave both hosts the id, no conflict).
    @Test func lateEventOfAnotherMachineDoesNotShareAHostID() {
        let inventory = Inventory()
        func event(agent: String, at time: String) -> EventObservation {
            var observation = Fixture.host("pc-01", at: Fixture.clock(time), hostID: "id-aaa")
            let agentID = Atom(type: .agentID, normalizedValue: agent)
            observation.atoms.append(FieldAtom(atom: agentID, field: "agent.id"))
            observation.host?.agentIDs = [agentID]
            return observation
        }
        inventory.feed([event(agent: "agent-new", at: "09:05"), event(agent: "agent-old", at: "09:00")])
        #expect(inventory.assetCount == 2)
        let hostID = Atom(type: .hostID, normalizedValue: "id-aaa")
        for time in ["09:00", "09:03", "09:05", "10:00"] {
            #expect(inventory.holders(of: hostID, in: Fixture.scope, at: Fixture.clock(time)).count
                        == 1, "at \(time)")
        }
        let conflicts = inventory.drainChanges().conflicts
        // Recorded as in time order: when the second machine appeared.
        #expect(conflicts.filter { $0.key.atom == hostID }.map(\.at) == [Fixture.clock("09:05")])
        #expect(conflicts.contains { $0.key.atom == hostID && $0.assets.count == 2 })
    }

    /// A forwarder's agent.id seen on events of several machines merges
    /// nothing: each name is its own host, the shared id a conflict.
    @Test func sharedAgentIDMergesNoHosts() {
        let inventory = Inventory()
        func event(_ name: String, _ time: String) -> EventObservation {
            var observation = Fixture.host(name, at: Fixture.clock(time))
            let agent = Atom(type: .agentID, normalizedValue: "forwarder-agent")
            observation.atoms.append(FieldAtom(atom: agent, field: "agent.id"))
            observation.host?.agentIDs = [agent]
            return observation
        }
        inventory.feed([event("wec-01", "09:00"), event("ws-07", "09:01"), event("ws-08", "09:02")])
        #expect(inventory.assetCount == 3)
        #expect(inventory.drainChanges().conflicts.count == 2)
        // An event of ws-07 relayed with the forwarder's id is about ws-07
        // alone: the id's holder (wec-01) is not added to it.
        let relayed = event("ws-07", "09:30")
        let match = inventory.match(relayed.atoms, in: Fixture.scope, at: Fixture.clock("09:30"))
        #expect(match.assets.compactMap { inventory.asset($0)?.name } == ["ws-07"])
        // The id alone still names its holder.
        let byID = inventory.match(Array(relayed.atoms.dropFirst()), in: Fixture.scope,
                                   at: Fixture.clock("09:30"))
        #expect(byID.assets.compactMap { inventory.asset($0)?.name } == ["wec-01"])
    }

    /// An address a person confirmed on one host is not given to another
    /// by a sighting (one host at a time, SPEC §2): the sighting is a
    /// conflict, and events with the address name the confirmed host alone.
    @Test func aSightingDoesNotTakeAConfirmedAddress() throws {
        let inventory = Inventory()
        inventory.feed([Fixture.host("db-01", at: Fixture.clock("09:00"))])
        let database = try #require(
            inventory.holders(of: Fixture.hostname("db-01"), in: Fixture.scope,
                              at: Fixture.clock("09:00")).first)
        let address = Fixture.ip("10.50.0.1")
        try inventory.confirm(address, on: database, actor: "analyst", at: Fixture.clock("09:05"))
        _ = inventory.drainChanges()
        inventory.feed([Fixture.host("ws-x", at: Fixture.clock("10:00"), ips: ["10.50.0.1"])])
        #expect(inventory.holderNames(address, at: Fixture.clock("10:30")) == ["db-01"])
        #expect(inventory.drainChanges().conflicts.map(\.key.atom) == [address])
        #expect(throws: CurationError.self) {
            try inventory.confirm(address,
                                  on: try #require(inventory.holders(
                                      of: Fixture.hostname("ws-x"), in: Fixture.scope,
                                      at: Fixture.clock("10:30")).first),
                                  actor: "analyst", at: Fixture.clock("10:40"))
        }
    }

    /// A host that observed an address before a person confirmed it on
    /// another cannot have it confirmed too: confirming turned its observed
    /// attachment into a second confirmed holder, and events with the
    /// address named both hosts.
    @Test func anObservedAddressIsNotConfirmedOverAnotherHostsConfirmation() throws {
        let inventory = Inventory()
        let address = Fixture.ip("10.50.0.2")
        inventory.feed([Fixture.host("laptop-c", at: Fixture.clock("09:00"), ips: ["10.50.0.2"]),
                        Fixture.host("srv-12", at: Fixture.clock("09:01"))])
        let holders = ["srv-12", "laptop-c"].map {
            inventory.holders(of: Fixture.hostname($0), in: Fixture.scope,
                              at: Fixture.clock("09:30")).first
        }
        let server = try #require(holders[0]), laptop = try #require(holders[1])
        try inventory.confirm(address, on: server, actor: "analyst", at: Fixture.clock("09:05"))
        #expect(throws: CurationError.self) {
            try inventory.confirm(address, on: laptop, actor: "analyst",
                                  at: Fixture.clock("09:10"))
        }
        // The person's word took the address from the laptop at 09:05: it
        // was both hosts' until its sighting expired (a week).
        #expect(inventory.holderNames(address, at: Fixture.clock("09:30")) == ["srv-12"])
        #expect(Set(inventory.holderNames(address, at: Fixture.clock("09:02")))
                == ["srv-12", "laptop-c"])
    }

    /// A person's address ends other hosts' sightings of it, but not when
    /// given to a revoked host (which holds nothing for events: the live
    /// host kept enriching), nor a sighting that starts after the
    /// confirmation (closing it would empty it, as a rejection does).
    @Test func aConfirmedAddressLeavesSomeSightingsAlone() throws {
        let inventory = Inventory()
        inventory.feed([Fixture.host("web-d", at: Fixture.clock("09:00"), ips: ["10.50.0.7"]),
                        Fixture.host("web-c", at: Fixture.clock("10:30"), ips: ["10.50.0.6"]),
                        Fixture.host("old-d", at: Fixture.clock("09:01")),
                        Fixture.host("srv-a", at: Fixture.clock("09:02"))])
        func host(_ name: String) throws -> AssetID {
            let found = inventory.holders(of: Fixture.hostname(name), in: Fixture.scope,
                                          at: Fixture.clock("10:45")).first
            return try #require(found)
        }
        let old = try host("old-d")
        var revoked = try #require(inventory.asset(old))
        revoked.isRevoked = true
        inventory.replace(revoked, actor: "analyst", action: "revoke", at: Fixture.clock("09:05"))
        try inventory.confirm(Fixture.ip("10.50.0.7"), on: old, actor: "analyst",
                              at: Fixture.clock("09:10"))
        #expect(inventory.holderNames(Fixture.ip("10.50.0.7"), at: Fixture.clock("09:30"))
                == ["web-d"])
        // Confirmed at 10:00, seen on web-c from 10:30 (ahead of that clock).
        try inventory.confirm(Fixture.ip("10.50.0.6"), on: try host("srv-a"), actor: "analyst",
                              at: Fixture.clock("10:00"))
        let sighting = inventory.attachments(of: try host("web-c"))
            .first { $0.key.atom == Fixture.ip("10.50.0.6") }
        #expect(sighting?.to == nil && sighting?.holdsNoTime == false)
    }

    /// An inventory of one host seen at 09:00, its changes drained: what
    /// curation tests start from.
    private static func inventoryWithOneHost(_ name: String) throws -> (Inventory, AssetID) {
        let inventory = Inventory()
        inventory.feed([Fixture.host(name, at: Fixture.clock("09:00"))])
        let host = try #require(inventory.holders(of: Fixture.hostname(name), in: Fixture.scope,
                                                  at: Fixture.clock("09:00")).first)
        _ = inventory.drainChanges()
        return (inventory, host)
    }

    /// The trail says how the asset held an atom before a person's word
    /// and after it: observed, then confirmed; confirmed, then rejected;
    /// rejected, then confirmed; not held at all (no "before").
    @Test func aCurationRecordsHowTheAtomWasHeldBefore() throws {
        let (inventory, host) = try Self.inventoryWithOneHost("db-03")
        let name = Fixture.hostname("db-03"), address = Fixture.ip("10.50.0.9")
        try inventory.confirm(name, on: host, actor: "analyst", at: Fixture.clock("09:01"))
        try inventory.reject(name, on: host, actor: "analyst", at: Fixture.clock("09:02"))
        try inventory.confirm(name, on: host, actor: "analyst", at: Fixture.clock("09:03"))
        try inventory.confirm(address, on: host, actor: "analyst", at: Fixture.clock("09:04"))
        let trail = inventory.drainChanges().audit.map { "\($0.before ?? "-") \($0.after ?? "-")" }
        #expect(trail == [
            #"{"atom":"hostname","held":"observed","value":"db-03"} "#
                + #"{"atom":"hostname","held":"confirmed","value":"db-03"}"#,
            #"{"atom":"hostname","held":"confirmed","value":"db-03"} "#
                + #"{"atom":"hostname","held":"rejected","value":"db-03"}"#,
            #"{"atom":"hostname","held":"rejected","value":"db-03"} "#
                + #"{"atom":"hostname","held":"confirmed","value":"db-03"}"#,
            #"- {"atom":"ipv4","held":"confirmed","value":"10.50.0.9"}"#,
        ])
    }

    /// A confirmation or a rejection repeated changes nothing: the trail
    /// records the first alone (each repeat was one more entry).
    @Test func aRepeatedCurationIsNotRecordedAgain() throws {
        let (inventory, host) = try Self.inventoryWithOneHost("db-02")
        let confirmed = Fixture.ip("10.50.0.3"), rejected = Fixture.ip("10.50.0.4")
        for minute in ["09:01", "09:02"] {
            try inventory.confirm(confirmed, on: host, actor: "analyst", at: Fixture.clock(minute))
            try inventory.reject(rejected, on: host, actor: "analyst", at: Fixture.clock(minute))
        }
        #expect(inventory.drainChanges().audit.map(\.action) == ["confirm_atom", "reject_atom"])
    }

    /// The host's own MAC (host.mac) is one of its ids: a MAC two machines
    /// report (a cloned image, a sample value) adds its first holder to no
    /// event of the other. The same MAC as the far end of a connection
    /// (source.mac) names that holder.
    @Test func aSharedMACAddsNoOtherHost() {
        let inventory = Inventory()
        let mac = Atom(type: .mac, normalizedValue: "00:11:22:33:44:55")
        func event(_ name: String, _ time: String) -> EventObservation {
            var observation = Fixture.host(name, at: Fixture.clock(time))
            observation.atoms.append(FieldAtom(atom: mac, field: "host.mac"))
            observation.host?.macs = [mac]
            return observation
        }
        inventory.feed([event("pc-01", "09:00"), event("pc-02", "09:01")])
        #expect(inventory.holderNames(mac, at: Fixture.clock("09:30")) == ["pc-01"])
        #expect(inventory.drainChanges().conflicts.map(\.key.atom) == [mac])

        let own = event("pc-02", "09:30")
        let match = inventory.match(own.atoms, in: Fixture.scope, at: Fixture.clock("09:30"))
        #expect(match.assets.compactMap { inventory.asset($0)?.name } == ["pc-02"])
        let afar = inventory.match(
            [FieldAtom(atom: Fixture.hostname("pc-02"), field: "host.name"),
             FieldAtom(atom: mac, field: "source.mac")],
            in: Fixture.scope, at: Fixture.clock("09:30"))
        #expect(afar.assets.compactMap { inventory.asset($0)?.name }.sorted() == ["pc-01", "pc-02"])
    }
}

/// SPEC §3.1: the operating-system and EDR rules write host properties;
/// an event that repeats what the host has changes nothing and leaves no
/// audit record, one that adds to it changes just that.
@Suite struct HostPropertyDiscoveryTests {
    let t0 = Fixture.clock("09:00")

    func event(at time: EventTime, os: OperatingSystemFields? = nil, hostTypes: [String] = [],
               agentIDs: [String] = []) -> EventObservation {
        var event = Fixture.host("srv-01", at: time)
        event.operatingSystem = os
        event.hostTypes = hostTypes
        event.edrVendor = agentIDs.isEmpty ? nil : "elastic"
        event.agentIDs = agentIDs
        return event
    }

    @Test func repeatedPropertiesChangeNothingAndNewOnesAreAdded() throws {
        let inventory = Inventory()
        let windows = OperatingSystemFields(name: "Windows Server 2022", version: "10.0.20348",
                                            family: "windows")
        let created = inventory.feed([event(at: t0, os: windows, hostTypes: ["Server"],
                                            agentIDs: ["agent-1"])])
        let host = try #require(created.first)
        var asset = try #require(inventory.assets[host])
        #expect(asset.subcategory == .server)
        #expect(asset.properties["os"] == .string("Windows Server 2022 10.0.20348"))
        #expect(asset.properties["os_version"] == .string("10.0.20348"))
        #expect(asset.properties["os_family"] == .string("windows"))
        #expect(asset.properties["os_platform"] == nil)
        #expect(asset.properties["elastic_agent_id"] == .list(["agent-1"]))
        _ = inventory.drainChanges()

        // The same facts again: the host is only seen later.
        inventory.feed([event(at: t0 + .seconds(60), os: windows, hostTypes: ["server"],
                              agentIDs: ["agent-1"])])
        var changes = inventory.drainChanges()
        #expect(changes.audit.isEmpty)
        #expect(changes.assets.isEmpty)
        #expect(changes.seenTimes.map(\.asset) == [host])

        // A second agent and a newer version: one change each, kept in order.
        let updated = OperatingSystemFields(name: "Windows Server 2022", version: "10.0.20349",
                                            family: "windows")
        inventory.feed([event(at: t0 + .seconds(120), os: updated, agentIDs: ["agent-2"])])
        changes = inventory.drainChanges()
        #expect(changes.audit.map(\.actor) == ["discovery:operating_system",
                                               "discovery:edr_agent_ids"])
        asset = try #require(inventory.assets[host])
        #expect(asset.properties["os_version"] == .string("10.0.20349"))
        #expect(asset.properties["elastic_agent_id"] == .list(["agent-1", "agent-2"]))
        #expect(asset.subcategory == .server)
    }

    /// Out of order inside the window, the operating system ends as in time
    /// order: the newest event's values; a late event only fills what the
    /// host lacks (a helper's corpus host ended with an older kernel).
    @Test(arguments: [false, true])
    func theNewestEventsOperatingSystemStays(lateArrivalFirst: Bool) throws {
        let inventory = Inventory()
        let old = OperatingSystemFields(name: "Windows 10", version: "10.0", family: "windows",
                                        kernel: "10.0.19041.3448")
        let new = OperatingSystemFields(name: "Windows 10", version: "10.0",
                                        kernel: "10.0.19041.3570")
        let events = [event(at: t0, os: old), event(at: t0 + .hours(2), os: new)]
        let host = try #require(inventory.feed(lateArrivalFirst ? events.reversed() : events).first)
        let asset = try #require(inventory.assets[host])
        #expect(asset.properties["os_kernel"] == .string("10.0.19041.3570"))
        // Only the old event names the family: filled, whichever came first.
        #expect(asset.properties["os_family"] == .string("windows"))
    }

    /// SPEC §3: the operating system comes from "an event whose host.name
    /// matches a host's hostname atom". A vendor's sample MAC reported by
    /// a nameless device, or by another machine, found the host and
    /// overwrote its operating system (a helper's corpus host went from
    /// Windows 10 to Windows Server 2019 that way).
    @Test func onlyAnEventNamingTheHostSetsItsOperatingSystem() throws {
        let inventory = Inventory()
        let mac = Atom(type: .mac, normalizedValue: "00:11:22:33:44:55")
        func withMAC(_ event: EventObservation) -> EventObservation {
            var event = event
            event.atoms.append(FieldAtom(atom: mac, field: "host.mac"))
            event.host?.macs = [mac]
            return event
        }
        let windows10 = OperatingSystemFields(name: "Windows 10", family: "windows")
        let host = try #require(inventory.feed([withMAC(event(at: t0, os: windows10))]).first)

        var nameless = withMAC(event(at: t0 + .seconds(60),
                                     os: OperatingSystemFields(name: "Windows Server 2019")))
        nameless.host?.hostname = nil
        nameless.atoms.removeAll { $0.atom.type == .hostname }
        var other = withMAC(Fixture.host("nas-7", at: t0 + .seconds(120)))
        other.operatingSystem = OperatingSystemFields(name: "Linux 5.10")
        let created = inventory.feed([nameless, other])

        #expect(inventory.assets[host]?.properties["os"] == .string("Windows 10"))
        let nas = try #require(created.first)
        #expect(created.count == 1 && nas != host)
        #expect(inventory.assets[nas]?.properties["os"] == .string("Linux 5.10"))
    }

    /// The audit record of a discovery change names only the properties it
    /// changed: the owner an analyst set stays out of the OS rule's record.
    @Test func theAuditRecordOfAPropertyChangeNamesOnlyThatProperty() throws {
        let inventory = Inventory()
        let host = try #require(inventory.feed([event(at: t0)]).first)
        var asset = try #require(inventory.assets[host])
        asset.properties["owner"] = .string("IT infrastructure")
        inventory.replace(asset, actor: "analyst", action: "update", at: t0)
        _ = inventory.drainChanges()

        let os = OperatingSystemFields(name: "Windows 11", family: "windows")
        inventory.feed([event(at: t0 + .seconds(60), os: os)])
        let record = try #require(inventory.drainChanges().audit.first)
        #expect(record.actor == "discovery:operating_system")
        #expect(record.before == #"{"properties":{}}"#)
        #expect(record.after == #"{"properties":{"os":"Windows 11","os_family":"windows"}}"#)
    }

    /// An edit of several fields records those fields alone, in the
    /// trail's order (category, criticality, description, name,
    /// properties, reviewed, revoked, subcategory, tags), each written
    /// as JSON: tags sorted, quotes escaped, an unrated criticality null.
    @Test func anEditRecordsEachChangedFieldAndNoOther() throws {
        let inventory = Inventory()
        let host = try #require(inventory.feed([event(at: t0)]).first)
        _ = inventory.drainChanges()
        var asset = try #require(inventory.assets[host])
        asset.name = "SRV-01 (file server)"
        asset.criticality = try Criticality(80)
        asset.description = #"the "old" one"#
        asset.tags = ["pci", "backup"]
        asset.reviewed = true
        inventory.replace(asset, actor: "analyst", action: "update", at: t0 + .seconds(60))
        let record = try #require(inventory.drainChanges().audit.first)
        #expect(record.before == #"{"criticality":null,"description":"","name":"srv-01","#
                + #""reviewed":false,"tags":[]}"#)
        #expect(record.after == #"{"criticality":80,"description":"the \"old\" one","#
                + #""name":"SRV-01 (file server)","reviewed":true,"tags":["backup","pci"]}"#)
    }
}
