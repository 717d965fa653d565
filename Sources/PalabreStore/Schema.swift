import GRDB

/// The store's schema, as migrations: a store is upgraded in place, never wiped.
enum Schema {
    /// `PALB`: marks a SQLite file as a Palabre store, so a stranger file is refused rather than written to.
    static let applicationID: Int32 = 0x5041_4C42

    /// Migrations a store can be read without: indexes, and the received forms' table (its reader finds it absent and
    /// reads "nothing received"). A read-only open does not need them.
    static let readCompatible: Set<String> = [
        "v2: records by project, conflicts by record", "v3: forms received from the service", "v4: changes held for a form version",
        "v5: names of the devices that wrote",
    ]

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: records, change log, history") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    -- One row per record: current values and the stamp of each field (see StampsCodec).
                    CREATE TABLE records (
                        id TEXT PRIMARY KEY NOT NULL,
                        form TEXT NOT NULL,
                        form_version INTEGER NOT NULL,
                        project TEXT NOT NULL,
                        vals TEXT NOT NULL,
                        stamps TEXT NOT NULL,
                        deleted INTEGER NOT NULL DEFAULT 0,
                        created_hlc INTEGER NOT NULL,
                        created_node TEXT NOT NULL,
                        updated_hlc INTEGER NOT NULL
                    );
                    CREATE INDEX records_by_form ON records(form, deleted);
                    -- Every change applied to this store, in order; local = written here (to be pushed).
                    CREATE TABLE changes (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        record_id TEXT NOT NULL,
                        hlc INTEGER NOT NULL,
                        node TEXT NOT NULL,
                        body TEXT NOT NULL,
                        local INTEGER NOT NULL,
                        project TEXT NOT NULL DEFAULT ''
                    );
                    CREATE UNIQUE INDEX changes_by_write ON changes(record_id, hlc, node);
                    CREATE INDEX changes_by_project ON changes(project, seq);
                    -- Changes that could not be applied (unknown form version, invalid value): kept, shown, never dropped.
                    CREATE TABLE set_aside (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        record_id TEXT NOT NULL,
                        body TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        origin TEXT NOT NULL,
                        created TEXT NOT NULL
                    );
                    -- Values that stopped being current, and incoming values that lost: nothing is dropped.
                    CREATE TABLE history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        record_id TEXT NOT NULL,
                        field TEXT NOT NULL,
                        value TEXT,
                        hlc INTEGER NOT NULL,
                        node TEXT NOT NULL,
                        winner_hlc INTEGER NOT NULL,
                        winner_node TEXT NOT NULL,
                        conflict INTEGER NOT NULL DEFAULT 0,
                        resolved INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX history_by_record ON history(record_id);
                    CREATE INDEX history_conflicts ON history(conflict, resolved);
                    """)
        }
        m.registerMigration("v2: records by project, conflicts by record") { db in
            // Listing a project's records (the service's exports, indicators and record pages; a laptop's) and a
            // project's open conflicts. The central service created the same two indexes before the store owned them,
            // hence IF NOT EXISTS; the wider conflict index makes the narrower one redundant.
            try db.execute(
                sql: """
                    CREATE INDEX IF NOT EXISTS records_by_project ON records(project, deleted, form);
                    CREATE INDEX IF NOT EXISTS history_by_conflict_record ON history(conflict, resolved, record_id);
                    DROP INDEX IF EXISTS history_conflicts;
                    """)
        }
        m.registerMigration("v3: forms received from the service") { db in
            // Every version of the project's forms as the service published them; the CLI captures with the latest.
            try db.execute(
                sql: """
                    CREATE TABLE received_forms (
                        name TEXT NOT NULL, version INTEGER NOT NULL, source TEXT NOT NULL, PRIMARY KEY (name, version)
                    ) WITHOUT ROWID
                    """)
        }
        m.registerMigration("v4: changes held for a form version") { db in
            // A change of a form or version the receiver does not have yet is held (applied when it arrives), not refused.
            try db.execute(sql: "ALTER TABLE set_aside ADD COLUMN held INTEGER NOT NULL DEFAULT 0")
        }
        m.registerMigration("v5: names of the devices that wrote") { db in
            // Node id → device name, as the service names them in pull answers, so history says who wrote a value.
            try db.execute(sql: "CREATE TABLE device_names (node TEXT PRIMARY KEY NOT NULL, device TEXT NOT NULL) WITHOUT ROWID")
        }
        return m
    }
}
