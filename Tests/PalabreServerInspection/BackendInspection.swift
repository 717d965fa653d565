import Foundation
import GRDB
import PalabreCore
import PalabreStore
import PalabreServer
import PostgresNIO

/// What a test can read from either backend beyond the protocol's answers: a record with its stamps, the change log,
/// the set-aside changes, table sizes, every row of a table. Test-only: it lives outside the libraries, in a target of
/// the test tree, and reaches the backends through `package` access.
public protocol BackendInspection: SyncBackend {
    /// A record with its field stamps, deleted or not; nil when absent.
    func storedRecord(_ id: String) async throws -> StoredRecord?
    /// Every record of a project (or of all), deleted ones included, by id.
    func storedRecords(project: String?) async throws -> [StoredRecord]
    /// Every change in the log, in log order (project by project on PostgreSQL).
    func loggedChanges() async throws -> [Change]
    /// Changes the service set aside, oldest first: where they came from, why, and the change.
    func setAsideEntries() async throws -> [(origin: String, reason: String, change: Change)]
    /// The node the service's own writes are stamped with.
    func serviceNode() async throws -> String
    /// Rows in one of the service's tables.
    func rowCount(_ table: CentralTable) async throws -> Int
    /// The devices that pushed from a node, by name.
    func devicesBound(toNode node: String) async throws -> [String]
}

/// The tables both backends have.
public enum CentralTable: String, CaseIterable, Sendable {
    case projects, devices, device_nodes, batches, records, changes, history, set_aside, exports, dashboard_sessions, published_forms
}

extension SQLiteBackend: BackendInspection {
    public func storedRecord(_ id: String) async throws -> StoredRecord? { try store.record(id) }

    public func storedRecords(project: String?) async throws -> [StoredRecord] {
        try store.records(includeDeleted: true).filter { project == nil || $0.state.project == project }.sorted { $0.id < $1.id }
    }

    public func loggedChanges() async throws -> [Change] { try store.changes().map(\.change) }

    public func setAsideEntries() async throws -> [(origin: String, reason: String, change: Change)] {
        try store.setAsideChanges().map { ($0.origin, $0.reason, $0.change) }
    }

    public func serviceNode() async throws -> String { try store.identity().node }

    public func rowCount(_ table: CentralTable) async throws -> Int {
        try await store.hostRead { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.rawValue)") ?? 0 }
    }
}

extension PostgresBackend: BackendInspection {
    public func serviceNode() async throws -> String { try await ownNode() }

    public func storedRecord(_ id: String) async throws -> StoredRecord? {
        let logger = logger
        return try await withConnection { db in
            let rows = try await db.query(
                PostgresQuery(unsafeSQL: "SELECT \(Self.recordColumns) FROM records WHERE id = $1", binds: Self.binds(id)),
                logger: logger)
            for try await c in rows.decode(RecordColumns.self) { return try Self.recordRow(c).decode() }
            return nil
        }
    }

    public func storedRecords(project: String?) async throws -> [StoredRecord] {
        let logger = logger
        return try await withConnection { db in
            var out: [StoredRecord] = []
            let rows = try await db.query(
                PostgresQuery(
                    unsafeSQL: "SELECT \(Self.recordColumns) FROM records WHERE $1 = '' OR project = $1 ORDER BY id",
                    binds: Self.binds(project ?? "")), logger: logger)
            for try await c in rows.decode(RecordColumns.self) { out.append(try Self.recordRow(c).decode()) }
            return out
        }
    }

    public func loggedChanges() async throws -> [Change] {
        let logger = logger
        return try await withConnection { db in
            var out: [Change] = []
            for try await body in try await db.query("SELECT body FROM changes ORDER BY project, seq", logger: logger).decode(String.self) {
                out.append(try Change(json: JSON.parse(body)))
            }
            return out
        }
    }

    public func setAsideEntries() async throws -> [(origin: String, reason: String, change: Change)] {
        let logger = logger
        return try await withConnection { db in
            var out: [(origin: String, reason: String, change: Change)] = []
            for try await (origin, reason, body) in try await db.query("SELECT origin, reason, body FROM set_aside ORDER BY id", logger: logger)
                .decode((String, String, String).self)
            {
                out.append((origin, reason, try Change(json: JSON.parse(body))))
            }
            return out
        }
    }

    public func rowCount(_ table: CentralTable) async throws -> Int {
        let logger = logger
        return try await withConnection { db in
            Int(
                try await db.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.rawValue)"), logger: logger).collect().first?.decode(
                    Int64.self) ?? 0)
        }
    }
}

extension SQLiteBackend {
    /// The devices that pushed from a node, by name.
    public func devicesBound(toNode node: String) async throws -> [String] {
        try await store.hostRead { db in
            try String.fetchAll(
                db, sql: "SELECT d.name FROM device_nodes n JOIN devices d ON d.id = n.device_id WHERE n.node = ? ORDER BY d.name",
                arguments: [node])
        }
    }
}

extension PostgresBackend {
    /// The devices that pushed from a node, by name.
    public func devicesBound(toNode node: String) async throws -> [String] {
        let logger = logger
        return try await withConnection { db in
            var out: [String] = []
            for try await name in try await db.query(
                """
                SELECT d.name FROM device_nodes n JOIN devices d ON d.id = n.device_id WHERE n.node = \(node) ORDER BY d.name
                """, logger: logger
            ).decode(String.self) { out.append(name) }
            return out
        }
    }

    /// The dashboard's stored sessions, as column → value.
    public func dashboardSessionRows() async throws -> [[String: String]] {
        let logger = logger
        return try await withConnection { db in
            var out: [[String: String]] = []
            for try await (h, d, c, e) in try await db.query("SELECT id_hash, device_id, created, expires FROM dashboard_sessions", logger: logger)
                .decode((String, String, String, String).self)
            {
                out.append(["id_hash": h, "device_id": d, "created": c, "expires": e])
            }
            return out
        }
    }
}

extension PostgresBackend {
    /// Every row of a table as text, one per line: what someone reading the database would see.
    public func tableText(_ table: CentralTable) async throws -> String {
        let logger = logger
        return try await withConnection { db in
            var out = ""
            for try await line in try await db.query(PostgresQuery(unsafeSQL: "SELECT t::text FROM \(table.rawValue) t"), logger: logger)
                .decode(String.self)
            { out += line + "\n" }
            return out
        }
    }
}
