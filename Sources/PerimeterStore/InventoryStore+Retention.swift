import PerimeterInventory
import PerimeterSQLite

/// What one retention pass removed.
public struct RetentionOutcome: Sendable, Equatable {
    /// Weekly activity buckets past the kept weeks.
    public var activityBuckets = 0
    /// Atoms no asset claims, unseen for longer than the retention.
    public var unclaimedAtoms = 0
    /// Atoms whose last bucket went, by age or with their expiry as
    /// unclaimed atoms: their `atoms` rows (the names the counts were kept
    /// under) go with it.
    public var countedAtoms = 0
    /// The buckets of the expired unclaimed atoms that no asset ever held.
    public var unclaimedBuckets = 0

    public init(activityBuckets: Int = 0, unclaimedAtoms: Int = 0, countedAtoms: Int = 0,
                unclaimedBuckets: Int = 0) {
        self.activityBuckets = activityBuckets
        self.unclaimedAtoms = unclaimedAtoms
        self.countedAtoms = countedAtoms
        self.unclaimedBuckets = unclaimedBuckets
    }
}

extension InventoryStore {
    /// Bounds the store's growth as SPEC §2 says (`retention.*`): keeps the
    /// `activityWeeks` most recent weekly activity buckets of every atom,
    /// the week of `now` included, and forgets unclaimed atoms last seen
    /// longer than `unclaimedFor` before `now`. One transaction.
    ///
    /// `now` is the ingest's clock (`--now`), not the events' times: a
    /// replay of two-year-old logs keeps nothing older than the bound.
    @discardableResult
    public func pruneExpired(now: EventTime, activityWeeks: Int,
                             unclaimedFor: Duration) throws -> RetentionOutcome {
        precondition(activityWeeks >= 1, "retention keeps at least the current week")
        let oldestKeptWeek = now.weekStart - .days(Int64(7 * (activityWeeks - 1)))
        let unclaimedCutoff = now - unclaimedFor
        var outcome = RetentionOutcome()
        try transaction {
            let expired = try database.statement(
                "DELETE FROM atom_activity WHERE week_start < ?1 RETURNING atom"
            ).rows([.integer(oldestKeptWeek.milliseconds)]) { $0.int(0) }
            outcome.activityBuckets = expired.count
            // Without its counts an atom's row names nothing; kept, the
            // table (and the ids this connection caches of it) would grow
            // with every value ever counted, a server's peers above all.
            let forget = try database.statement("""
                DELETE FROM atoms
                WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM atom_activity WHERE atom = ?1)
                """)
            for atom in Set(expired) {
                try forget.run([.integer(atom)])
                outcome.countedAtoms += database.changes
            }
            let unclaimed = try database.statement("""
                DELETE FROM unclaimed_atoms WHERE last_seen < ?1
                RETURNING community, entity, atom_type, atom_value
                """).rows([.integer(unclaimedCutoff.milliseconds)]) {
                [SQLValue.text($0.text(0)), .text($0.text(1)), .text($0.text(2)), .text($0.text(3))]
            }
            outcome.unclaimedAtoms = unclaimed.count
            // An expired atom that no asset ever held keeps no counts: they
            // stayed for the 52 weeks of activity (a server facing the
            // internet kept every peer's), and `atoms show` showed the
            // activity of an atom retention said it had removed. One that
            // an asset held keeps them, part of that asset's history.
            let forgetCounts = try database.statement("""
                DELETE FROM atom_activity
                WHERE atom = (SELECT id FROM atoms WHERE community = ?1 AND atom_type = ?3
                                AND atom_value = ?4 AND entity = ?2)
                  AND NOT EXISTS (SELECT 1 FROM attachments WHERE community = ?1
                                    AND atom_type = ?3 AND atom_value = ?4 AND entity = ?2)
                """)
            let forgetUncounted = try database.statement("""
                DELETE FROM atoms
                WHERE community = ?1 AND atom_type = ?3 AND atom_value = ?4 AND entity = ?2
                  AND NOT EXISTS (SELECT 1 FROM atom_activity WHERE atom = atoms.id)
                """)
            for key in unclaimed {
                try forgetCounts.run(key)
                outcome.unclaimedBuckets += database.changes
                try forgetUncounted.run(key)
                outcome.countedAtoms += database.changes
            }
            try setMeta(Self.retentionRunKey, String(now.milliseconds))
        }
        // A deleted row's id may be given again to another atom.
        if outcome.countedAtoms > 0 { forgetRememberedAtomIDs() }
        return outcome
    }

    /// `pruneExpired` unless it ran less than `interval` before `now` (as
    /// the store records it, so one ingest after another, or a server after
    /// them, does not scan the activity again); nil when not due. A clock
    /// that went back makes it due.
    public func pruneExpiredIfDue(now: EventTime, activityWeeks: Int, unclaimedFor: Duration,
                                  interval: Duration = .hours(1)) throws -> RetentionOutcome? {
        if let text = try metaValue(Self.retentionRunKey), let last = Int64(text) {
            let elapsed = now.milliseconds - last
            if elapsed >= 0 && elapsed < interval.milliseconds { return nil }
        }
        return try pruneExpired(now: now, activityWeeks: activityWeeks, unclaimedFor: unclaimedFor)
    }

    static let retentionRunKey = "retention:last_run"
}
