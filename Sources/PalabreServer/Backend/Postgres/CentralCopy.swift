import Foundation
import GRDB
import Logging
import PalabreCore
import PalabreStore
import PostgresNIO

/// Moves a SQLite central store into an empty PostgreSQL database, in one PostgreSQL transaction: everything or
/// nothing lands.
///
/// Everything the service holds is copied as it is: projects, devices (token hashes, revocations), the nodes each
/// device pushed from, the answers to applied batches (so a batch sent again after the move is still answered, not
/// applied twice), records, the change log, history, set-aside changes, the export log, retention periods and when each record arrived, the pseudonym secret (so
/// pseudonyms stay the same) and the service's node. Change-log positions keep their numbers, and every project's
/// next position starts after the highest one, so the cursors laptops hold stay valid: nobody pulls again, nobody
/// misses a change. Dashboard sessions are not copied (people sign in again).
public enum CentralCopy {
    /// Rows copied, by table.
    public struct Report: Sendable, CustomStringConvertible {
        public var rows: [(table: String, count: Int)] = []
        public var description: String { rows.map { "\($0.table): \($0.count)" }.joined(separator: ", ") }
    }

    /// A column: its name and how it is read from SQLite and bound for PostgreSQL.
    enum Column {
        case text(String), optionalText(String), int(String), bool(String)
    }

    /// The tables in the order foreign keys need, with their columns (PostgreSQL's names).
    static let tables: [(name: String, columns: [Column])] = [
        ("projects", [.text("code"), .text("name"), .text("created")]),
        (
            "devices",
            [
                .text("id"), .text("name"), .optionalText("project"), .text("role"), .text("token_hash"), .text("created"),
                .optionalText("revoked"), .optionalText("last_seen"), .optionalText("forms_held"), .optionalText("forms_received"),
            ]
        ),
        ("device_nodes", [.text("device_id"), .text("node"), .text("first_seen")]),
        ("assignments", [.text("record_id"), .text("device_id"), .text("assigned"), .text("assigned_by")]),
        ("retention", [.text("project"), .int("days"), .optionalText("set_at"), .optionalText("set_by"), .optionalText("watched_since")]),
        ("retention_seen", [.text("record_id"), .text("project"), .int("seen"), .bool("done")]),
        ("published_forms", [.text("project"), .text("name"), .int("version"), .text("source"), .text("published"), .text("published_by")]),
        ("batches", [.text("node"), .text("batch"), .text("device_id"), .text("response"), .text("created")]),
        (
            "records",
            [
                .text("id"), .text("form"), .int("form_version"), .text("project"), .text("vals"), .text("stamps"), .bool("deleted"),
                .int("created_hlc"), .text("created_node"), .int("updated_hlc"),
            ]
        ),
        ("changes", [.text("project"), .int("seq"), .text("record_id"), .int("hlc"), .text("node"), .text("body")]),
        (
            "history",
            [
                .int("id"), .text("record_id"), .text("field"), .optionalText("value"), .int("hlc"), .text("node"), .int("winner_hlc"),
                .text("winner_node"), .bool("conflict"), .bool("resolved"),
            ]
        ),
        (
            "set_aside",
            [.int("id"), .text("record_id"), .text("body"), .text("reason"), .text("origin"), .text("created"), .bool("held")]
        ),
        (
            "exports",
            [
                .int("id"), .text("device_id"), .text("device"), .text("role"), .text("project"), .text("forms"), .text("format"),
                .text("view"), .text("created"),
            ]
        ),
    ]

    /// Whether a SQLite file is a central store (it has the service's tables), checked read-only: a laptop's store is
    /// not one, and opening it as the service's would add tables to it.
    public static func isCentralStore(path: String) -> Bool {
        var configuration = Configuration()
        configuration.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return false }
        return (try? queue.read { db in try db.tableExists("projects") && db.tableExists("batches") && db.tableExists("records") }) ?? false
    }

    /// Copies `source` into `destination`, which must hold no project, device or record.
    ///
    /// - Throws: ``ServiceError/alreadyExists(_:)`` when the destination is not empty; the database's error otherwise
    ///   (then nothing was written).
    public static func copy(
        from source: SQLiteBackend, to destination: PostgresBackend, pageSize: Int = 5000,
        progress: (@Sendable (String, Int) -> Void)? = nil
    ) async throws -> Report {
        let store = source.store
        let logger = destination.logger
        let meta = try await store.settingsToCopy()
        let maxSeq = try await store.lastLogPosition()
        return try await destination.transaction { db in
            let existing =
                try await db.query(
                    """
                    SELECT (SELECT count(*) FROM projects) + (SELECT count(*) FROM devices) + (SELECT count(*) FROM records)
                    """, logger: logger
                ).collect().first?.decode(Int64.self) ?? 0
            guard existing == 0 else {
                throw ServiceError.alreadyExists("the PostgreSQL database already holds projects, devices or records: copy into an empty one")
            }
            var report = Report()
            for (key, value) in meta {
                try await db.run(
                    "INSERT INTO meta (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value", logger)
            }
            for table in tables {
                var after: Int64 = 0
                var total = 0
                while true {
                    let names = table.columns.map(Self.name)
                    let select = "SELECT rowid AS rid, \(names.joined(separator: ", ")) FROM \(table.name) WHERE rowid > ? ORDER BY rowid LIMIT ?"
                    let from = after
                    // A copy reads every table, the store's and the service's alike, row by row.
                    let rows = try await store.hostRead { d in try Row.fetchAll(d, sql: select, arguments: [from, pageSize]) }
                    guard let last = rows.last else { break }
                    try await db.run(insert(table.name, table.columns, rows), logger)
                    after = last["rid"]
                    total += rows.count
                    progress?(table.name, total)
                }
                report.rows.append((table.name, total))
            }
            // New positions start after every copied one, in every project: the laptops' cursors stay valid.
            try await db.run("UPDATE projects SET last_seq = \(maxSeq)", logger)
            for table in ["history", "set_aside", "exports"] {
                try await db.run(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce((SELECT max(id) FROM \(table)), 0) + 1, false)
                            """), logger)
            }
            return report
        }
    }

    static func name(_ c: Column) -> String {
        switch c {
        case .text(let n), .optionalText(let n), .int(let n), .bool(let n): return n
        }
    }

    /// One INSERT of a page of rows, each column bound as an array and unnested.
    static func insert(_ table: String, _ columns: [Column], _ rows: [Row]) -> PostgresQuery {
        var binds = PostgresBindings()
        var args: [String] = []
        var selects: [String] = []
        for c in columns {
            switch c {
            case .text(let n):
                binds.append(rows.map { $0[n] as String })
                args.append("$\(args.count + 1)::text[]")
                selects.append("u.c\(args.count)")
            case .optionalText(let n):
                binds.append(rows.map { ($0[n] as String?) ?? "" })
                args.append("$\(args.count + 1)::text[]")
                binds.append(rows.map { ($0[n] as String?) != nil })
                args.append("$\(args.count + 1)::bool[]")
                selects.append("CASE WHEN u.c\(args.count) THEN u.c\(args.count - 1) END")
            case .int(let n):
                binds.append(rows.map { $0[n] as Int64 })
                args.append("$\(args.count + 1)::int8[]")
                selects.append("u.c\(args.count)")
            case .bool(let n):
                binds.append(rows.map { ($0[n] as Int64) != 0 })
                args.append("$\(args.count + 1)::bool[]")
                selects.append("u.c\(args.count)")
            }
        }
        let aliases = (1...args.count).map { "c\($0)" }.joined(separator: ", ")
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO \(table) (\(columns.map(name).joined(separator: ", ")))
                SELECT \(selects.joined(separator: ", ")) FROM unnest(\(args.joined(separator: ", "))) AS u(\(aliases))
                """, binds: binds)
    }
}
