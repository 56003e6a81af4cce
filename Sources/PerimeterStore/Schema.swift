import PerimeterSQLite

/// The store's schema, as numbered migrations applied in order.
///
/// A migration is never edited once released: a change is a new entry.
/// `PRAGMA user_version` records how many have run. Entity-less rows
/// store the entity as '' so that keys containing it stay unique.
enum Schema {
    static let migrations: [String] = [
        // 1: the inventory, its timeline, activity, ingest progress.
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE assets (
            uuid TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            entity TEXT NOT NULL DEFAULT '',
            name TEXT NOT NULL,
            category TEXT NOT NULL,
            subcategory TEXT,
            criticality INTEGER,
            tags TEXT NOT NULL DEFAULT '[]',
            reviewed INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL,
            source_rule TEXT,
            description TEXT NOT NULL DEFAULT '',
            properties TEXT NOT NULL DEFAULT '{}',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            first_seen INTEGER,
            last_seen INTEGER,
            revoked INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX assets_by_category ON assets(community, category, criticality);
        CREATE INDEX assets_by_criticality ON assets(community, criticality);
        CREATE INDEX assets_by_name ON assets(community, name COLLATE NOCASE);
        CREATE TABLE asset_tags (
            community TEXT NOT NULL, tag TEXT NOT NULL, asset_uuid TEXT NOT NULL,
            PRIMARY KEY (community, tag, asset_uuid)
        ) WITHOUT ROWID;
        CREATE INDEX asset_tags_by_asset ON asset_tags(asset_uuid);
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            community TEXT NOT NULL,
            entity TEXT NOT NULL,
            atom_type TEXT NOT NULL,
            atom_value TEXT NOT NULL,
            asset_uuid TEXT NOT NULL,
            kind TEXT NOT NULL,
            valid_from INTEGER NOT NULL,
            valid_to INTEGER,
            last_seen INTEGER NOT NULL,
            origin TEXT NOT NULL,
            sightings BLOB
        );
        CREATE INDEX attachments_by_atom ON attachments(community, atom_type, atom_value);
        CREATE INDEX attachments_by_asset ON attachments(asset_uuid);
        CREATE TABLE activity (
            community TEXT NOT NULL, entity TEXT NOT NULL, atom_type TEXT NOT NULL,
            atom_value TEXT NOT NULL, week_start INTEGER NOT NULL, count INTEGER NOT NULL,
            PRIMARY KEY (community, entity, atom_type, atom_value, week_start)
        ) WITHOUT ROWID;
        CREATE TABLE unclaimed_atoms (
            community TEXT NOT NULL, entity TEXT NOT NULL, atom_type TEXT NOT NULL,
            atom_value TEXT NOT NULL, last_seen INTEGER NOT NULL,
            PRIMARY KEY (community, entity, atom_type, atom_value)
        ) WITHOUT ROWID;
        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY, community TEXT NOT NULL, entity TEXT NOT NULL,
            atom_type TEXT NOT NULL, atom_value TEXT NOT NULL, assets TEXT NOT NULL,
            at INTEGER NOT NULL, reason TEXT NOT NULL,
            UNIQUE (community, entity, atom_type, atom_value, assets)
        );
        CREATE TABLE rejected_atoms (
            asset_uuid TEXT NOT NULL, atom_type TEXT NOT NULL, atom_value TEXT NOT NULL,
            PRIMARY KEY (asset_uuid, atom_type, atom_value)
        ) WITHOUT ROWID;
        CREATE TABLE shared_atoms (
            community TEXT NOT NULL, entity TEXT NOT NULL, atom_type TEXT NOT NULL,
            atom_value TEXT NOT NULL,
            PRIMARY KEY (community, entity, atom_type, atom_value)
        ) WITHOUT ROWID;
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY, community TEXT NOT NULL, asset_uuid TEXT NOT NULL,
            actor TEXT NOT NULL, action TEXT NOT NULL, at INTEGER NOT NULL,
            before TEXT, after TEXT
        );
        CREATE INDEX audit_by_asset ON audit(asset_uuid, id);
        CREATE TABLE ingest_progress (
            source TEXT PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL,
            byte_offset INTEGER NOT NULL, line INTEGER NOT NULL, updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE counters (
            community TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
            PRIMARY KEY (community, name)
        ) WITHOUT ROWID;
        CREATE TABLE discovery_rules (
            community TEXT NOT NULL, rule TEXT NOT NULL, enabled INTEGER NOT NULL,
            PRIMARY KEY (community, rule)
        ) WITHOUT ROWID;
        CREATE TABLE property_definitions (
            community TEXT NOT NULL, category TEXT NOT NULL, name TEXT NOT NULL,
            type TEXT NOT NULL,
            PRIMARY KEY (community, category, name)
        ) WITHOUT ROWID;
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            community TEXT NOT NULL, entity TEXT NOT NULL,
            rule_id TEXT NOT NULL, rule_title TEXT NOT NULL, level TEXT NOT NULL,
            group_key TEXT NOT NULL,
            assets TEXT NOT NULL,
            urgency INTEGER NOT NULL,
            first_time INTEGER NOT NULL, last_time INTEGER NOT NULL,
            count INTEGER NOT NULL,
            first_event TEXT NOT NULL, last_event TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
        );
        CREATE INDEX alerts_by_group ON alerts(community, group_key, status, last_time);
        CREATE INDEX alerts_by_time ON alerts(community, first_time);
        CREATE TABLE suppressions (
            community TEXT NOT NULL, filter_id TEXT NOT NULL, count INTEGER NOT NULL,
            PRIMARY KEY (community, filter_id)
        ) WITHOUT ROWID;
        CREATE TABLE forgotten (
            id INTEGER PRIMARY KEY, community TEXT NOT NULL, atom_type TEXT NOT NULL,
            at INTEGER NOT NULL, actor TEXT NOT NULL, rows_erased INTEGER NOT NULL
        );
        """,
        // 2: the server: API tokens (hashes only), bulk jobs with their
        // selection frozen at creation, and indexes for the API's views.
        """
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, community TEXT, role TEXT NOT NULL,
            digest TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, expires_at INTEGER,
            revoked_at INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY, community TEXT NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, request TEXT NOT NULL, status TEXT NOT NULL,
            done INTEGER NOT NULL DEFAULT 0, changed INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL, error TEXT,
            created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE job_items (
            job_id TEXT NOT NULL, seq INTEGER NOT NULL, asset_uuid TEXT NOT NULL,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX audit_by_community ON audit(community, id);
        CREATE INDEX assets_by_created ON assets(community, created_at);
        CREATE INDEX assets_by_last_seen ON assets(community, last_seen);
        CREATE INDEX assets_by_source ON assets(community, source);
        """,
        // 3: free-text search on names and atom values (SPEC §4) with FTS5's
        // trigram tokenizer, kept by triggers so that every writer (ingest,
        // server, command line) maintains it. Rows are only added: a
        // renamed asset keeps its old name's row, so searches re-check
        // the current values (see InventoryStore.filterClause).
        """
        CREATE VIRTUAL TABLE asset_text USING fts5(
            text, community UNINDEXED, asset_uuid UNINDEXED, tokenize = 'trigram');
        INSERT INTO asset_text (text, community, asset_uuid) SELECT name, community, uuid FROM assets;
        INSERT INTO asset_text (text, community, asset_uuid)
            SELECT DISTINCT atom_value, community, asset_uuid FROM attachments;
        CREATE TRIGGER asset_text_on_create AFTER INSERT ON assets BEGIN
            INSERT INTO asset_text (text, community, asset_uuid)
            VALUES (new.name, new.community, new.uuid);
        END;
        CREATE TRIGGER asset_text_on_rename AFTER UPDATE OF name ON assets
        WHEN old.name IS NOT new.name BEGIN
            INSERT INTO asset_text (text, community, asset_uuid)
            VALUES (new.name, new.community, new.uuid);
        END;
        CREATE TRIGGER asset_text_on_attach AFTER INSERT ON attachments BEGIN
            INSERT INTO asset_text (text, community, asset_uuid)
            VALUES (new.atom_value, new.community, new.asset_uuid);
        END;
        """,
        // 4: the views show live assets: partial indexes over them answer
        // filters, sorts and counts without visiting the rows.
        """
        CREATE INDEX live_assets_by_category ON assets(community, category, criticality)
            WHERE revoked = 0;
        CREATE INDEX live_assets_by_criticality ON assets(community, criticality)
            WHERE revoked = 0;
        CREATE INDEX live_assets_by_name ON assets(community, name COLLATE NOCASE)
            WHERE revoked = 0;
        CREATE INDEX live_assets_by_category_name ON assets(community, category,
            name COLLATE NOCASE) WHERE revoked = 0;
        """,
        // 5: the partial indexes of 4 made SQLite visit every row to check
        // `revoked` (it is not in them), so they give way to indexes that
        // lead with it; and counts per (category, criticality, revoked,
        // reviewed, source), kept by triggers, answer the view's count
        // without reading a million index entries.
        """
        DROP INDEX live_assets_by_category;
        DROP INDEX live_assets_by_criticality;
        DROP INDEX live_assets_by_name;
        DROP INDEX live_assets_by_category_name;
        CREATE INDEX assets_by_state_category ON assets(community, revoked, category, criticality);
        CREATE INDEX assets_by_state_criticality ON assets(community, revoked, criticality);
        CREATE INDEX assets_by_state_name ON assets(community, revoked, name COLLATE NOCASE);
        CREATE TABLE asset_counts (
            community TEXT NOT NULL, category TEXT NOT NULL,
            criticality INTEGER NOT NULL, -- -1: unrated
            revoked INTEGER NOT NULL, reviewed INTEGER NOT NULL, source TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (community, category, criticality, revoked, reviewed, source)
        ) WITHOUT ROWID;
        INSERT INTO asset_counts
            SELECT community, category, coalesce(criticality, -1), revoked, reviewed, source,
                   count(*)
            FROM assets GROUP BY 1, 2, 3, 4, 5, 6;
        CREATE TRIGGER asset_counts_on_create AFTER INSERT ON assets BEGIN
            INSERT INTO asset_counts VALUES (new.community, new.category,
                coalesce(new.criticality, -1), new.revoked, new.reviewed, new.source, 1)
            ON CONFLICT DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER asset_counts_on_change
        AFTER UPDATE OF category, criticality, revoked, reviewed, source ON assets
        WHEN old.category IS NOT new.category OR old.criticality IS NOT new.criticality
            OR old.revoked IS NOT new.revoked OR old.reviewed IS NOT new.reviewed
            OR old.source IS NOT new.source BEGIN
            UPDATE asset_counts SET n = n - 1
            WHERE community = old.community AND category = old.category
              AND criticality = coalesce(old.criticality, -1) AND revoked = old.revoked
              AND reviewed = old.reviewed AND source = old.source;
            INSERT INTO asset_counts VALUES (new.community, new.category,
                coalesce(new.criticality, -1), new.revoked, new.reviewed, new.source, 1)
            ON CONFLICT DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER asset_counts_on_delete AFTER DELETE ON assets BEGIN
            UPDATE asset_counts SET n = n - 1
            WHERE community = old.community AND category = old.category
              AND criticality = coalesce(old.criticality, -1) AND revoked = old.revoked
              AND reviewed = old.reviewed AND source = old.source;
        END;
        """,
        // 6: weekly activity is the ingest's busiest write (one row per
        // atom and week, for every distinct atom of every batch). Keyed by
        // its text it made wide rows, each batch dirtying a page per row;
        // atoms get integer ids and the counts a narrow table keyed by
        // (atom, week), whose rows sit a hundred and more to a page. The
        // view `activity` keeps the old shape for readers.
        """
        CREATE TABLE atoms (
            id INTEGER PRIMARY KEY,
            community TEXT NOT NULL, entity TEXT NOT NULL, atom_type TEXT NOT NULL,
            atom_value TEXT NOT NULL
        );
        CREATE UNIQUE INDEX atoms_by_value ON atoms(community, atom_type, atom_value, entity);
        INSERT INTO atoms (community, entity, atom_type, atom_value)
            SELECT DISTINCT community, entity, atom_type, atom_value FROM activity
            ORDER BY community, entity, atom_type, atom_value;
        CREATE TABLE atom_activity (
            atom INTEGER NOT NULL, week_start INTEGER NOT NULL, count INTEGER NOT NULL,
            PRIMARY KEY (atom, week_start)
        ) WITHOUT ROWID;
        INSERT INTO atom_activity (atom, week_start, count)
            SELECT atoms.id, activity.week_start, activity.count
            FROM activity JOIN atoms USING (community, entity, atom_type, atom_value)
            ORDER BY 1, 2;
        DROP TABLE activity;
        CREATE VIEW activity AS
            SELECT atoms.community, atoms.entity, atoms.atom_type, atoms.atom_value,
                   atom_activity.week_start, atom_activity.count
            FROM atom_activity JOIN atoms ON atoms.id = atom_activity.atom;
        """,
        // 7: the asset list's tag filter and its count. Counts per (tag,
        // category, revoked), kept by triggers on tags and on the assets'
        // category and state, answer the count of a tag filter from a few
        // rows instead of reading every tagged asset. The two indexes of 1
        // on criticality give way to those of 5, which lead with `revoked`
        // and serve the same filters: a bulk criticality change rewrote
        // four index entries per asset, now two.
        """
        CREATE TABLE asset_tag_counts (
            community TEXT NOT NULL, tag TEXT NOT NULL, category TEXT NOT NULL,
            revoked INTEGER NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (community, tag, category, revoked)
        ) WITHOUT ROWID;
        INSERT INTO asset_tag_counts
            SELECT t.community, t.tag, a.category, a.revoked, count(*)
            FROM asset_tags t JOIN assets a ON a.uuid = t.asset_uuid GROUP BY 1, 2, 3, 4;
        CREATE TRIGGER asset_tag_counts_on_tag AFTER INSERT ON asset_tags BEGIN
            INSERT INTO asset_tag_counts
                SELECT new.community, new.tag, category, revoked, 1 FROM assets
                WHERE uuid = new.asset_uuid
            ON CONFLICT DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER asset_tag_counts_on_untag AFTER DELETE ON asset_tags BEGIN
            UPDATE asset_tag_counts SET n = n - 1
            WHERE community = old.community AND tag = old.tag
              AND (category, revoked) = (SELECT category, revoked FROM assets
                                         WHERE uuid = old.asset_uuid);
        END;
        CREATE TRIGGER asset_tag_counts_on_change AFTER UPDATE OF category, revoked ON assets
        WHEN old.category IS NOT new.category OR old.revoked IS NOT new.revoked BEGIN
            UPDATE asset_tag_counts SET n = n - 1
            WHERE community = old.community AND category = old.category AND revoked = old.revoked
              AND tag IN (SELECT tag FROM asset_tags WHERE asset_uuid = old.uuid);
            INSERT INTO asset_tag_counts
                SELECT community, tag, new.category, new.revoked, 1 FROM asset_tags
                WHERE asset_uuid = new.uuid
            ON CONFLICT DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER asset_tag_counts_on_delete AFTER DELETE ON assets BEGIN
            UPDATE asset_tag_counts SET n = n - 1
            WHERE community = old.community AND category = old.category AND revoked = old.revoked
              AND tag IN (SELECT tag FROM asset_tags WHERE asset_uuid = old.uuid);
        END;
        DROP INDEX assets_by_category;
        DROP INDEX assets_by_criticality;
        """,
        // 8: the free-text triggers queue their rows instead of writing
        // them into the FTS5 table. A row written into FTS5 from a trigger
        // runs inside a statement savepoint, and FTS5 flushes its pending
        // terms into a new segment at every savepoint: one segment (and
        // the merges that follow) per asset or atom created, about 0.4 ms
        // each against a million assets, where a plain insert of the same
        // rows costs 15 µs. The store moves the queue into `asset_text` in
        // one statement before each of its transactions commits
        // (`InventoryStore.transaction`), so a reader never sees it full.
        """
        CREATE TABLE asset_text_pending (
            text TEXT NOT NULL,
            community TEXT NOT NULL,
            asset_uuid TEXT NOT NULL
        );
        DROP TRIGGER asset_text_on_create;
        DROP TRIGGER asset_text_on_rename;
        DROP TRIGGER asset_text_on_attach;
        CREATE TRIGGER asset_text_on_create AFTER INSERT ON assets BEGIN
            INSERT INTO asset_text_pending (text, community, asset_uuid)
            VALUES (new.name, new.community, new.uuid);
        END;
        CREATE TRIGGER asset_text_on_rename AFTER UPDATE OF name ON assets
        WHEN old.name IS NOT new.name BEGIN
            INSERT INTO asset_text_pending (text, community, asset_uuid)
            VALUES (new.name, new.community, new.uuid);
        END;
        CREATE TRIGGER asset_text_on_attach AFTER INSERT ON attachments BEGIN
            INSERT INTO asset_text_pending (text, community, asset_uuid)
            VALUES (new.atom_value, new.community, new.asset_uuid);
        END;
        """,
        // 9: a community's jobs, newest first (GET /v1/jobs).
        """
        CREATE INDEX jobs_by_community ON jobs(community, created_at, id);
        """,
        // 10: a resumed file must start as it did (IngestProgress.head);
        // progress recorded before has a head of no bytes, which any file
        // starts with.
        """
        ALTER TABLE ingest_progress ADD COLUMN head_length INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ingest_progress ADD COLUMN head_digest INTEGER NOT NULL
            DEFAULT -3750763034362895579;
        """,
        // 11: an attachment's last sighting and recent sightings, the
        // columns that nearly every event rewrites, move to a narrow table
        // keyed by the attachment's id. In the wide rows (texts of the
        // atom, the holder's uuid, the origin) about 30 fit a page, so a
        // batch dirtied a page for nearly every sighting and the store
        // file's pages missed the cache; a hundred and more sightings
        // share a page here. The attachment's own row changes only when
        // its interval, kind or holder does.
        """
        CREATE TABLE attachment_sightings (
            attachment INTEGER PRIMARY KEY,
            last_seen INTEGER NOT NULL,
            sightings BLOB
        );
        INSERT INTO attachment_sightings (attachment, last_seen, sightings)
            SELECT id, last_seen, sightings FROM attachments ORDER BY id;
        ALTER TABLE attachments DROP COLUMN last_seen;
        ALTER TABLE attachments DROP COLUMN sightings;
        CREATE TRIGGER attachment_sightings_on_delete AFTER DELETE ON attachments BEGIN
            DELETE FROM attachment_sightings WHERE attachment = old.id;
        END;
        """,
        // 12: an asset's first and last seen times, which every batch of
        // an ingest moves for nearly every asset it sees, leave the wide
        // asset row for a narrow table keyed by an integer the asset row
        // holds (`seen_id`). Rewriting the asset row and its uuid-keyed
        // `last_seen` index entry cost about 13 µs a seen time in a store
        // of 1,000,000 assets; about 150 rows of this table share a page
        // (35 asset rows do), and the whole of it and its index (46 MB at
        // 1,000,000 assets) fit the ingest's page cache.
        // The index orders a community's assets by last seen, then by
        // `id`, which is what a listing by last seen pages through: the
        // order the assets were created in (the stored ones are numbered
        // so here, by creation time, then uuid).
        // Triggers give every new asset inserted without a key its row
        // (an ingest's connection writes the row first and inserts the
        // asset with its key: `InventoryStore.upsert`), and take the row
        // away with the asset. A key is never given twice, so one
        // a connection remembers for an erased asset finds no row rather
        // than another asset's.
        """
        CREATE TABLE asset_seen (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            asset_community TEXT NOT NULL,
            first_seen INTEGER,
            last_seen INTEGER
        );
        ALTER TABLE assets ADD COLUMN seen_id INTEGER;
        UPDATE assets SET seen_id = numbered.n
            FROM (SELECT uuid AS numbered_uuid,
                         row_number() OVER (ORDER BY created_at, uuid) AS n
                  FROM assets) AS numbered
            WHERE uuid = numbered.numbered_uuid;
        INSERT INTO asset_seen (id, asset_community, first_seen, last_seen)
            SELECT seen_id, community, first_seen, last_seen FROM assets ORDER BY seen_id;
        DROP INDEX assets_by_last_seen;
        ALTER TABLE assets DROP COLUMN first_seen;
        ALTER TABLE assets DROP COLUMN last_seen;
        CREATE UNIQUE INDEX assets_by_seen_id ON assets(seen_id);
        CREATE INDEX asset_seen_by_last_seen ON asset_seen(asset_community, last_seen);
        CREATE TRIGGER asset_seen_on_create AFTER INSERT ON assets WHEN new.seen_id IS NULL BEGIN
            INSERT INTO asset_seen (asset_community) VALUES (new.community);
            UPDATE assets SET seen_id = last_insert_rowid() WHERE uuid = new.uuid;
        END;
        CREATE TRIGGER asset_seen_on_delete AFTER DELETE ON assets BEGIN
            DELETE FROM asset_seen WHERE id = old.seen_id;
        END;
        """,
        // 13: when an atom became shared (event time, ms): sightings before
        // it, arriving late, still count. Rows from before are shared
        // since forever (NULL), as they were treated.
        """
        ALTER TABLE shared_atoms ADD COLUMN since INTEGER;
        """,
        // 14: who closed an alert, when (wall clock, ms) and why: a SOC
        // reviews its closures, and the server can now close alerts.
        """
        ALTER TABLE alerts ADD COLUMN closed_at INTEGER;
        ALTER TABLE alerts ADD COLUMN closed_by TEXT;
        ALTER TABLE alerts ADD COLUMN close_reason TEXT;
        """,
    ]

    /// Refuses, before anything is written to it, a database that is not a
    /// store this perimeter can use: another program's (its tables would
    /// have had ours added beside them, and its journal mode changed), or
    /// a store of a newer schema.
    static func check(_ database: Database) throws {
        // One statement, so one snapshot: read apart, a store another
        // process was creating meanwhile had its tables and not yet its
        // version, and was refused as another program's.
        let (version, firstTable, hasOurTables) = try database.statement("""
            SELECT (SELECT user_version FROM pragma_user_version),
                   (SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' LIMIT 1),
                   (SELECT count(*) FROM sqlite_master
                    WHERE type = 'table' AND name IN ('meta', 'assets', 'attachments')) = 3
            """).firstRow { (Int($0.int(0)), $0.optionalText(1), $0.int(2) != 0) }
            ?? (0, nil, false)
        // Another program's database may have a version of its own: with
        // one and without the first step's tables it is no store (it was
        // migrated, and switched to WAL, from that version on).
        if version == 0 || !hasOurTables, let table = firstTable {
            throw StoreError(code: .invalid,
                             message: "'\(database.path)' is an SQLite database but not a "
                                 + "Perimeter store (it holds a table '\(table)' and no Perimeter "
                                 + "schema); give the path of a store, or of a file to create")
        }
        guard version <= migrations.count else {
            throw StoreError(code: .newerSchema,
                             message: "the store '\(database.path)' has schema version \(version), "
                                 + "newer than this perimeter (\(migrations.count)); upgrade perimeter")
        }
    }

    /// Brings a database to the latest schema, one transaction per step.
    /// Each step reads the version inside its own transaction: two
    /// processes opening a new store at once both read version 0, and the
    /// second ran the first step again (`table meta already exists`).
    /// A current store is only read: a reader takes no write lock (an
    /// ingest holds it for seconds at a time).
    static func migrate(_ database: Database) throws {
        let version = try database.statement("PRAGMA user_version").firstRow { Int($0.int(0)) } ?? 0
        guard version < migrations.count else { return }
        while true {
            let migrated = try database.transaction { () throws -> Bool in
                let version = try database.statement("PRAGMA user_version")
                    .firstRow { Int($0.int(0)) } ?? 0
                guard version < migrations.count else { return false }
                try database.execute(migrations[version])
                try conversions[version + 1]?(database)
                try database.execute("PRAGMA user_version = \(version + 1)")
                return true
            }
            if !migrated { return }
        }
    }

    /// Steps that SQL alone cannot do, by the version they complete; they
    /// run in the same transaction as that version's SQL.
    static let conversions: [Int: @Sendable (Database) throws -> Void] = [
        // 6: sightings become varint deltas (InventoryStore.encode).
        6: { database in
            let rewrite = try database.statement("UPDATE attachments SET sightings = ?2 WHERE id = ?1")
            let rows = try database.statement(
                "SELECT id, sightings FROM attachments WHERE sightings IS NOT NULL"
            ).rows { ($0.int(0), InventoryStore.decodeFixedWidth($0.blob(1))) }
            for (id, times) in rows where !times.isEmpty {
                try rewrite.run([.integer(id), .blob(InventoryStore.encode(times))])
            }
        },
    ]
}
