/// The service's own tables that both databases define alike, in SQL both SQLite and PostgreSQL read: written once, so
/// the two schemas cannot drift apart (`palabre-server copy` moves their rows as they are). Each backend's migration
/// adds what differs (an auto-numbered id, PostgreSQL's per-project log positions).
enum SharedSchema {
    /// `devices`, after PostgreSQL's ordering column: project is NULL only for an admin of every project; only the
    /// token's SHA-256 is kept.
    static let deviceColumns = """
        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL UNIQUE, project TEXT REFERENCES projects(code), role TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE, created TEXT NOT NULL, revoked TEXT, last_seen TEXT
        """

    /// The store nodes each device pushed from, and their index (two statements, without the last semicolon).
    static let deviceNodes = """
        CREATE TABLE device_nodes (
            device_id TEXT NOT NULL REFERENCES devices(id), node TEXT NOT NULL, first_seen TEXT NOT NULL,
            PRIMARY KEY (device_id, node));
        CREATE INDEX device_nodes_by_node ON device_nodes(node)
        """

    /// `batches`: the answer to every batch applied, so that sending it again gets the same answer and writes nothing.
    static let batchColumns = """
        node TEXT NOT NULL, batch TEXT NOT NULL, device_id TEXT NOT NULL, response TEXT NOT NULL, created TEXT NOT NULL,
        PRIMARY KEY (node, batch)
        """

    /// `published_forms`: every version of every form of each project, never changed once written.
    static let publishedForms = """
        CREATE TABLE published_forms (
            project TEXT NOT NULL REFERENCES projects(code), name TEXT NOT NULL, version INTEGER NOT NULL, source TEXT NOT NULL,
            published TEXT NOT NULL, published_by TEXT NOT NULL, PRIMARY KEY (project, name, version))
        """

    /// Which forms each device last received, and when (two statements).
    static let devicesFormsHeld = """
        ALTER TABLE devices ADD COLUMN forms_held TEXT;
        ALTER TABLE devices ADD COLUMN forms_received TEXT
        """

    /// The export log's columns after its id: who exported what, when, and in which view.
    static let exportColumns = """
        device_id TEXT NOT NULL, device TEXT NOT NULL, role TEXT NOT NULL, project TEXT NOT NULL, forms TEXT NOT NULL,
        format TEXT NOT NULL, view TEXT NOT NULL, created TEXT NOT NULL
        """

    /// `assignments`: records a coordinator assigned to a device, whose people it may then hold by name (need to know).
    static let assignments = """
        CREATE TABLE assignments (
            record_id TEXT NOT NULL, device_id TEXT NOT NULL, assigned TEXT NOT NULL, assigned_by TEXT NOT NULL,
            PRIMARY KEY (record_id, device_id)
        )
        """

    /// `retention`: how many days a project keeps identifying values (0: for ever), who set it, and since when the
    /// service notes when each of its records arrived (`retention_seen`, the start of a record's period).
    static let retention = """
        CREATE TABLE retention (
            project TEXT PRIMARY KEY NOT NULL, days INTEGER NOT NULL DEFAULT 0, set_at TEXT, set_by TEXT, watched_since TEXT
        );
        CREATE TABLE retention_seen (
            record_id TEXT PRIMARY KEY NOT NULL, project TEXT NOT NULL, seen BIGINT NOT NULL, done BOOLEAN NOT NULL DEFAULT FALSE
        );
        CREATE INDEX retention_seen_open ON retention_seen(project, seen) WHERE NOT done
        """
}
