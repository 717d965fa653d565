import GRDB

/// The tables the central service adds to a field store: projects, devices and their tokens' hashes, the nodes each
/// device pushed from, and the answers to batches already applied (so a replay changes nothing).
enum CentralSchema {
    static let migrations: [(String, @Sendable (Database) throws -> Void)] = [
        ("central v1: projects, devices, batches", { db in
            try db.execute(sql: """
                CREATE TABLE projects (
                    code TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    created TEXT NOT NULL
                );
                -- project is NULL only for an admin of every project; only the token's SHA-256 is kept.
                CREATE TABLE devices (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    project TEXT REFERENCES projects(code),
                    role TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    created TEXT NOT NULL,
                    revoked TEXT,
                    last_seen TEXT
                );
                -- The store nodes each device pushed from: one node seen with two devices is a copied store.
                CREATE TABLE device_nodes (
                    device_id TEXT NOT NULL REFERENCES devices(id),
                    node TEXT NOT NULL,
                    first_seen TEXT NOT NULL,
                    PRIMARY KEY (device_id, node)
                );
                CREATE INDEX device_nodes_by_node ON device_nodes(node);
                -- The answer to every batch applied, so that sending it again gets the same answer and writes nothing.
                CREATE TABLE batches (
                    node TEXT NOT NULL,
                    batch TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    response TEXT NOT NULL,
                    created TEXT NOT NULL,
                    PRIMARY KEY (node, batch)
                );
                CREATE INDEX history_by_conflict_record ON history(conflict, resolved, record_id);
                CREATE INDEX records_by_project ON records(project, deleted, form);
                """)
        }),
        ("central v2: export log", { db in
            // Every export: who, when, which project and forms, which view (values or pseudonymised).
            try db.execute(sql: """
                CREATE TABLE exports (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    device_id TEXT NOT NULL,
                    device TEXT NOT NULL,
                    role TEXT NOT NULL,
                    project TEXT NOT NULL,
                    forms TEXT NOT NULL,
                    format TEXT NOT NULL,
                    view TEXT NOT NULL,
                    created TEXT NOT NULL
                );
                """)
        }),
        DashboardSchema.migration,
    ]
}
