import GRDB

/// The tables the central service adds to a field store: projects, devices and their tokens' hashes, the nodes each
/// device pushed from, and the answers to batches already applied (so a replay changes nothing).
enum CentralSchema {
    static let migrations: [(String, @Sendable (Database) throws -> Void)] = [
        (
            "central v1: projects, devices, batches",
            { db in
                try db.execute(
                    sql: """
                        CREATE TABLE projects (
                            code TEXT PRIMARY KEY NOT NULL,
                            name TEXT NOT NULL,
                            created TEXT NOT NULL
                        );
                        -- project is NULL only for an admin of every project; only the token's SHA-256 is kept.
                        CREATE TABLE devices (\(SharedSchema.deviceColumns));
                        -- The store nodes each device pushed from: one node seen with two devices is a copied store.
                        \(SharedSchema.deviceNodes);
                        -- The answer to every batch applied, so that sending it again gets the same answer and writes nothing.
                        CREATE TABLE batches (\(SharedSchema.batchColumns));
                        """)
            }
        ),
        (
            "central v2: export log",
            { db in
                // Every export: who, when, which project and forms, which view (values or pseudonymised).
                try db.execute(
                    sql: """
                        CREATE TABLE exports (id INTEGER PRIMARY KEY AUTOINCREMENT, \(SharedSchema.exportColumns));
                        """)
            }
        ),
        DashboardSchema.migration,
        ("central v4: published forms", { db in try db.execute(sql: SharedSchema.publishedForms) }),
        ("central v5: the forms each device holds", { db in try db.execute(sql: SharedSchema.devicesFormsHeld) }),
        ("central v6: records assigned to devices", { db in try db.execute(sql: SharedSchema.assignments) }),
        ("central v7: retention of identifying values", { db in try db.execute(sql: SharedSchema.retention) }),
    ]
}
