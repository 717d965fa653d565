import Foundation
import Logging
import PostgresNIO

/// The service's tables on PostgreSQL, as migrations applied in order and recorded in `palabre_migrations`: a
/// database is upgraded in place, never wiped. Several instances starting at once take an advisory lock, so one
/// migrates and the others find it done.
///
/// The columns mirror the SQLite central store (records keep their values as JSON text and their field stamps as
/// ``PalabreStore/StampsCodec`` text), so both backends share the decoding code and `palabre-server copy` moves rows
/// without reshaping them. One difference: the change log is numbered per project (`changes.seq`, from
/// `projects.last_seq`), which is what lets several instances write while pull cursors stay exact.
enum PostgresSchema {
    /// First half of the migrations' `pg_advisory_xact_lock` key ("PALB"); the second is the schema's hash, so services
    /// sharing one database in schemas of their own (and the tests, one schema each) never wait for each other.
    static let lockKey: Int32 = 0x5041_4C42

    static let migrations: [(String, String)] = [
        (
            "v1: projects, devices, batches, records, change log, history",
            """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            -- last_seq: the project's latest change-log position; its row lock orders the log by commit.
            CREATE TABLE projects (
                code TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created TEXT NOT NULL,
                last_seq BIGINT NOT NULL DEFAULT 0
            );
            -- project is NULL only for an admin of every project; only the token's SHA-256 is kept.
            CREATE TABLE devices (n BIGSERIAL UNIQUE, \(SharedSchema.deviceColumns));
            \(SharedSchema.deviceNodes);
            -- The answer to every batch applied; inserted first in a push, so a concurrent replay waits for it.
            CREATE TABLE batches (\(SharedSchema.batchColumns));
            CREATE TABLE records (
                id TEXT PRIMARY KEY,
                form TEXT NOT NULL,
                form_version INTEGER NOT NULL,
                project TEXT NOT NULL,
                vals TEXT NOT NULL,
                stamps TEXT NOT NULL,
                deleted BOOLEAN NOT NULL DEFAULT FALSE,
                created_hlc BIGINT NOT NULL,
                created_node TEXT NOT NULL,
                updated_hlc BIGINT NOT NULL
            );
            CREATE INDEX records_by_project ON records(project, deleted, form, created_hlc, id);
            CREATE TABLE changes (
                project TEXT NOT NULL,
                seq BIGINT NOT NULL,
                record_id TEXT NOT NULL,
                hlc BIGINT NOT NULL,
                node TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (project, seq)
            );
            CREATE UNIQUE INDEX changes_by_write ON changes(record_id, hlc, node);
            CREATE TABLE history (
                id BIGSERIAL PRIMARY KEY,
                record_id TEXT NOT NULL,
                field TEXT NOT NULL,
                value TEXT,
                hlc BIGINT NOT NULL,
                node TEXT NOT NULL,
                winner_hlc BIGINT NOT NULL,
                winner_node TEXT NOT NULL,
                conflict BOOLEAN NOT NULL DEFAULT FALSE,
                resolved BOOLEAN NOT NULL DEFAULT FALSE
            );
            CREATE INDEX history_by_record ON history(record_id);
            CREATE INDEX history_open_conflicts ON history(record_id) WHERE conflict AND NOT resolved;
            CREATE TABLE set_aside (
                id BIGSERIAL PRIMARY KEY,
                record_id TEXT NOT NULL,
                body TEXT NOT NULL,
                reason TEXT NOT NULL,
                origin TEXT NOT NULL,
                created TEXT NOT NULL
            );
            CREATE TABLE exports (id BIGSERIAL PRIMARY KEY, \(SharedSchema.exportColumns));
            CREATE TABLE dashboard_sessions (
                id_hash TEXT PRIMARY KEY,
                device_id TEXT NOT NULL REFERENCES devices(id),
                created TEXT NOT NULL,
                expires TEXT NOT NULL
            );
            CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions(expires);
            """
        ),
        ("v2: published forms", SharedSchema.publishedForms),
        ("v3: the forms each device holds", SharedSchema.devicesFormsHeld),
        ("v4: changes held for a form version", "ALTER TABLE set_aside ADD COLUMN held BOOLEAN NOT NULL DEFAULT false"),
        ("v5: records assigned to devices", SharedSchema.assignments),
        ("v6: retention of identifying values", SharedSchema.retention),
    ]

    /// Applies the migrations not yet applied, in one transaction under an advisory lock.
    static func migrate(_ client: PostgresClient, schema: String?, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey), hashtext(lower(\(schema ?? "public"))))", logger)
                // A schema of its own named by the URL's search_path (checked to be a plain name) is made on first use.
                if let schema { try await connection.run(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger) }
                try await connection.run("CREATE TABLE IF NOT EXISTS palabre_migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)", logger)
                var applied: Set<String> = []
                for try await name in try await connection.query("SELECT name FROM palabre_migrations", logger: logger).decode(String.self) {
                    applied.insert(name)
                }
                for (name, sql) in migrations where !applied.contains(name) {
                    for statement in sql.components(separatedBy: ";\n") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                        try await connection.run(PostgresQuery(unsafeSQL: statement), logger)
                    }
                    try await connection.run("INSERT INTO palabre_migrations (name, applied) VALUES (\(name), now()::text)", logger)
                    logger.notice("database migrated", metadata: ["migration": "\(name)"])
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
