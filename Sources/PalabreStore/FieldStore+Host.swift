import Crypto
import Foundation
import GRDB
import PalabreCore

/// What a host keeping its own tables in a store's file may do, and what it may ask of the store's tables.
///
/// The central service on SQLite is a field store with its own tables (projects, devices, batches, exports, dashboard
/// sessions) added by the migrations it passes to ``FieldStore/init(path:now:migrations:mode:)``, and it writes them in
/// the same transactions as the store's merge (``FieldStore/applyRemote(_:_:catalog:origin:now:checksRecords:)``). The
/// store owns its tables (`records`, `changes`, `history`, `set_aside`, `meta`) and their indexes: a host reads them
/// only through the methods below, and reaches the connection (``hostRead(_:)``, ``hostWrite(_:)``) for its own
/// tables. The pool itself is not public.
extension FieldStore {
    /// Runs a read transaction for a host's own tables (and the store's static readers given the same connection).
    package func hostRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// ``hostRead(_:)`` blocking the calling thread, for values that cannot cross threads (GRDB rows).
    package func hostRead<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Runs a write transaction for a host's own tables and the store's writers given the same connection: all of it
    /// commits or none of it.
    package func hostWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    /// Closes the file (a scratch store made for an export, before it is removed).
    public func close() throws(StoreError) {
        try run { try pool.close() }
    }

    /// A page of a project's change log after a position, as stored: `(seq, node, body)`, at most `limit` rows.
    public func logPage(project: String, after seq: Int64, limit: Int) async throws -> [(seq: Int64, node: String, body: String)] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT seq, node, body FROM changes WHERE project = ? AND seq > ? ORDER BY seq LIMIT ?"),
                arguments: [project, seq, limit]
            )
            .map { (seq: $0["seq"], node: $0["node"], body: $0["body"]) }
        }
    }

    /// The highest position in the change log, 0 when empty.
    public func lastLogPosition() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM changes") ?? 0 }
    }

    /// The project a record belongs to, deleted or not; nil when the store has no such record.
    public func project(ofRecord id: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT project FROM records WHERE id = ?", arguments: [id]) }
    }

    /// The live (not deleted) records of a project, of one form or all, oldest first: id, form and present values.
    public func liveRecords(project: String, form: String?) async throws -> [(id: String, form: String, values: [String: Value])] {
        try await pool.read { db in
            var sql = "SELECT id, form, vals FROM records WHERE project = ? AND deleted = 0"
            var arguments: StatementArguments = [project]
            if let form {
                sql += " AND form = ?"
                arguments += [form]
            }
            sql += " ORDER BY created_hlc, id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                (id: row["id"], form: row["form"], values: try ValueMap.decodePresent(row["vals"]))
            }
        }
    }

    /// A secret of 32 random bytes drawn the first time it is asked for under this name, then kept in the store's file
    /// (never synced, never exported): the key of the import content keys, the service's pseudonyms.
    public func secret(named name: String) async throws -> Data {
        try await pool.write { db in try Self.secret(db, named: name).withUnsafeBytes { Data($0) } }
    }

    /// ``secret(named:)`` in a transaction already open.
    ///
    /// A secret is never replaced: one that is not 32 bytes of hexadecimal (a damaged or hand-edited file) is an error,
    /// not a reason to draw a new one (which would change every pseudonym).
    static func secret(_ db: Database, named name: String) throws -> SymmetricKey {
        if let hex = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [name]) {
            guard let data = Data(hex: hex), data.count == 32 else {
                throw StoreError.refused("the store's meta.\(name) is not a 32-byte hexadecimal secret: the file was damaged or edited by hand")
            }
            return SymmetricKey(data: data)
        }
        let key = SymmetricKey(size: .bits256)
        try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?)", arguments: [name, key.withUnsafeBytes { Data($0) }.hex])
        return key
    }

    /// A secret already kept in `meta`, without making one.
    public func storedSecret(named name: String) async throws -> Data? {
        try await pool.read { db in
            guard try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [name]) != nil else { return nil }
            return try Self.secret(db, named: name).withUnsafeBytes { Data($0) }
        }
    }

    /// What `meta` keeps in place of a secret that moved elsewhere (``forgetSecret(named:leaving:)``).
    public func secretMark(named name: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [name + "_moved"]) }
    }

    /// Forgets a secret kept in `meta` (it is kept elsewhere now), keeping `mark` (its fingerprint) instead: its page is
    /// overwritten (`secure_delete`) and the write-ahead log truncated, so no copy of it stays in the files.
    public func forgetSecret(named name: String, leaving mark: String) async throws {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.inTransaction {
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [name])
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [name + "_moved", mark])
                return .commit
            }
            _ = try db.checkpoint(.truncate)
        }
    }

    /// The store's settings for a copy to another database: the service's node and its pseudonym secret (or the
    /// fingerprint of the key file it moved to).
    public func settingsToCopy() async throws -> [(key: String, value: String)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key IN ('pseudonym_key', 'pseudonym_key_moved', 'node', 'log_epoch')").map {
                ($0["key"], $0["value"])
            }
        }
    }
}
