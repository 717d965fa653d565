import Foundation
import GRDB
import PalabreCore

/// Who a store is: its node id (random, chosen at creation), its device name, project and language.
public struct StoreIdentity: Hashable, Sendable {
    /// The node id that stamps every write made here.
    public var node: String
    /// A name for the laptop, shown to coordinators.
    public var device: String
    /// The project code records are captured for.
    public var project: String
    /// The preferred language, if set at `init`.
    public var language: Language?
}

/// A Palabre store: one SQLite file (WAL) holding records, their field stamps, history and change log.
///
/// Every write goes through one transaction that stamps the changed fields with the hybrid logical clock,
/// updates the record, appends the change to the log and keeps replaced values in history, so a crash
/// leaves either all of it or none of it.
///
/// ```swift
/// let store = try FieldStore(path: "/tmp/demo.sqlite")
/// let id = try store.create(form: sessionForm, values: ["title": .string("Vestibule de la paix")], catalog: catalog)
/// ```
public final class FieldStore: Sendable {
    /// The database; only the store reaches it (hosts use ``hostRead(_:)`` and ``hostWrite(_:)`` for their own tables).
    let pool: DatabasePool
    /// The file.
    public let path: String
    /// The wall clock; tests and benchmarks may pass another.
    let now: @Sendable () -> Date

    /// How a store is opened.
    public enum OpenMode: Sendable, Equatable {
        /// Create the store (and its folder, 0700; the file 0600) when absent: `palabre init`, the central service.
        case create
        /// The store must exist (``StoreError/missing(path:)`` otherwise); nothing is created.
        case existing
        /// The store must exist and is only read: nothing is written at open (a read-only file or folder works),
        /// unless it must be upgraded first (a migration), and every write through this store fails.
        case readOnly
    }

    /// Opens the store at `path`; with ``OpenMode/create`` (the default) creates it, and its folder, when absent.
    ///
    /// Opening never writes what is already right: a store with its migrations applied, in WAL mode, is only read.
    ///
    /// - Throws: ``StoreError/missing(path:)`` when there is no store and `mode` is not `.create`;
    ///   ``StoreError/unreadable(path:reason:)`` when the file is not a Palabre store or cannot be opened.
    /// - Parameter migrations: further migrations for a store that holds more (the central service's devices and batches),
    ///   applied after the store's own, each once, by name.
    public init(
        path: String, now: @escaping @Sendable () -> Date = { Date() },
        migrations: [(String, @Sendable (Database) throws -> Void)] = [], mode: OpenMode = .create
    ) throws(StoreError) {
        self.path = path
        self.now = now
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        let existed = fm.fileExists(atPath: path, isDirectory: &isFolder)
        if existed && isFolder.boolValue {
            throw StoreError.unreadable(path: path, reason: "it is a folder, not a store file (give the path of a .sqlite file)")
        }
        let size = existed ? ((try? fm.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) : 0
        // An empty file (touch) is no store yet: only `create` makes one of it.
        if mode != .create && size == 0 { throw StoreError.missing(path: path) }
        var migrator = Schema.migrator
        for (name, body) in migrations { migrator.registerMigration(name, migrate: body) }
        var config = Configuration()
        // Two processes on one store (a sync while capturing) wait for each other instead of failing.
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // A dying laptop must not lose a record that was reported saved: sync every commit.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        // A store in a folder this user cannot write to (a read-only copy) has no -wal or -shm files when it was closed
        // cleanly, and SQLite cannot create them: then everything is in the file, which is read as immutable.
        let dir = (path as NSString).deletingLastPathComponent
        let readPath =
            mode == .readOnly && !fm.fileExists(atPath: path + "-wal") && access(dir.isEmpty ? "." : dir, W_OK) != 0
            ? Self.immutableURI(path) : path
        do {
            var ready = false
            if size > 0 {
                var wal: Bool?
                if let h = FileHandle(forReadingAtPath: path) {
                    let head = [UInt8](h.readData(ofLength: 20))
                    try? h.close()
                    if !head.isEmpty && !head.starts(with: Array("SQLite format 3".utf8)) {
                        throw StoreError.unreadable(path: path, reason: "it is not a SQLite database")
                    }
                    // The header's read and write versions are 2 in WAL mode (read here: an immutable open reports "delete").
                    if head.count == 20 { wal = head[18] == 2 && head[19] == 2 }
                }
                // Look before opening for writing: opening a pool for writing switches the file to WAL, which would
                // modify another program's database that we are about to refuse; and a store that needs nothing
                // is then opened without a single write.
                ready = try Self.probe(path: readPath, migrator: migrator, wal: wal, readOnly: mode == .readOnly)
            }
            if !ready {
                if mode == .create {
                    if !dir.isEmpty && !fm.fileExists(atPath: dir) {
                        try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                    }
                }
                let upgraded = try Self.setUp(path: path, configuration: config, migrator: migrator, now: now, fresh: size == 0)
                if mode != .readOnly {
                    pool = upgraded
                    return
                }
                try upgraded.close()
            }
            if mode == .readOnly {
                var readOnly = config
                readOnly.readonly = true
                pool = try DatabasePool(path: readPath, configuration: readOnly)
            } else {
                pool = try Self.writablePool(path: path, configuration: config)
            }
        } catch let e as StoreError {
            throw e
        } catch let e as DatabaseError {
            throw .unreadable(path: path, reason: e.message ?? "\(e)")
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }

    /// Reads, without writing, whether the file at `path` is a Palabre store that needs nothing at open (its own
    /// application id, WAL mode, every migration applied, a node id); refuses a database of another program.
    ///
    /// - Parameter readOnly: for a read-only open, migrations that only add indexes (``Schema/readCompatible``) may be
    ///   missing: the store is read as it is (a copy on a read-only stick made by an older version still opens), and
    ///   upgraded by the next command that writes.
    static func probe(path: String, migrator: DatabaseMigrator, wal: Bool?, readOnly forReading: Bool = false) throws -> Bool {
        var readOnly = Configuration()
        readOnly.readonly = true
        // Another process may be writing, or closing (a checkpoint holds the file for a moment): wait for it.
        readOnly.busyMode = .timeout(10)
        let probe = try DatabaseQueue(path: path, configuration: readOnly)
        defer { try? probe.close() }
        return try probe.read { db in
            let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            if appID != Schema.applicationID {
                if tables > 0 { throw StoreError.unreadable(path: path, reason: "it is a SQLite database of another program") }
                return false
            }
            let missing = Set(migrator.migrations).subtracting(try migrator.appliedIdentifiers(db))
            guard try wal ?? (String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal"),
                missing.isEmpty || (forReading && missing.isSubset(of: Schema.readCompatible)),
                try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'node'") != nil
            else { return false }
            return true
        }
    }

    /// Makes the file a store, or upgrades it: application id, WAL, migrations, node id. Each step only when needed.
    static func setUp(
        path: String, configuration: Configuration, migrator: DatabaseMigrator, now: () -> Date,
        fresh: Bool
    ) throws -> DatabasePool {
        let writer = try writablePool(path: path, configuration: configuration)
        if fresh { restrict(path) }
        try writer.write { db in
            let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            if appID != Schema.applicationID {
                if tables > 0 { throw StoreError.unreadable(path: path, reason: "it is a SQLite database of another program") }
                try db.execute(sql: "PRAGMA application_id = \(Schema.applicationID)")
            }
        }
        try migrator.migrate(writer)
        try writer.write { db in
            if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'node'") == nil {
                try db.execute(
                    sql: "INSERT INTO meta(key, value) VALUES ('node', ?), ('hlc', '0'), ('created', ?)",
                    arguments: [makeNodeID(), ISOTime.text(now(), fraction: false)])
            }
        }
        if fresh { restrict(path) }
        return writer
    }

    /// A pool that writes: WAL (GRDB switches to it only when the file is not in WAL yet), `synchronous = FULL`.
    static func writablePool(path: String, configuration: Configuration) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets `synchronous = NORMAL` on the writer as it sets up WAL, after `prepareDatabase` set FULL.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return pool
    }

    /// A SQLite URI that opens `path` read-only as immutable (no locks, no WAL files).
    static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?mode=ro&immutable=1"
    }

    /// Makes a store's files readable by their owner only (0600): the file, its WAL and shared memory.
    static func restrict(_ path: String) {
        for p in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: p) {
            chmod(p, 0o600)
        }
    }

    /// Wraps GRDB's errors into ``StoreError``s that name the file.
    func run<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch let e as StoreError {
            throw e
        } catch let e as ValidationError {
            throw .invalid([e])
        } catch let e as DatabaseError {
            throw .unreadable(path: path, reason: e.message ?? "\(e)")
        } catch {
            throw .other("\(error)")
        }
    }

    // MARK: - Identity

    /// The store's identity.
    public func identity() throws(StoreError) -> StoreIdentity {
        try run {
            try pool.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM meta")
                var m: [String: String] = [:]
                for r in rows { m[r["key"]] = r["value"] }
                return StoreIdentity(
                    node: m["node"] ?? "", device: m["device"] ?? "", project: m["project"] ?? "default",
                    language: m["language"].flatMap(Language.init(rawValue:)))
            }
        }
    }

    /// Names the store: device name, project, language (nil leaves a setting as it is).
    public func setIdentity(device: String?, project: String?, language: Language?) throws(StoreError) {
        try run {
            try pool.write { db in
                for (k, v) in [("device", device), ("project", project), ("language", language?.rawValue)] {
                    if let v { try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [k, v]) }
                }
            }
        }
    }

    // MARK: - Reading

    /// The full id of the record a person named: its whole id, or any unique start of it of at least 4 characters (as git takes a commit), or
    /// any unique end of at least 6 characters (what lists show: ids begin with their creation time, so records of one
    /// sitting share a long start while their ends differ). Case is ignored.
    ///
    /// - Throws: ``StoreError/notFound(id:)`` when none matches, ``StoreError/ambiguous(id:matches:)`` when several do.
    public func resolveID(_ text: String) throws(StoreError) -> String {
        let key = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !key.isEmpty, key.count <= 36, key.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { throw StoreError.notFound(id: text) }
        return try run {
            try pool.read { db in
                if key.count == 36, try Bool.fetchOne(db, sql: "SELECT 1 FROM records WHERE id = ?", arguments: [key]) == true { return key }
                guard key.count >= 4 else { throw StoreError.notFound(id: text) }
                var found = try String.fetchAll(db, sql: "SELECT id FROM records WHERE id LIKE ? || '%' ORDER BY id LIMIT 4", arguments: [key])
                if found.isEmpty, key.count >= 6 {
                    found = try String.fetchAll(db, sql: "SELECT id FROM records WHERE id LIKE '%' || ? ORDER BY id LIMIT 4", arguments: [key])
                }
                guard let first = found.first else { throw StoreError.notFound(id: text) }
                guard found.count == 1 else { throw StoreError.ambiguous(id: text, matches: found.map { Self.shortID($0) }) }
                return first
            }
        }
    }

    /// What lists show of an id: its last 8 characters, random, which ``resolveID(_:)`` takes back.
    public static func shortID(_ id: String) -> String { String(id.suffix(8)) }

    /// The record with this id (deleted or not), or nil.
    public func record(_ id: String) throws(StoreError) -> StoredRecord? {
        try run {
            try pool.read { db in
                let seal = try self.seal(db)
                return try Self.fetchRecord(db, id: id).map { seal?.opening($0) ?? $0 }
            }
        }
    }

    /// Records of a form (or of every form), oldest first; deleted ones only when asked.
    public func records(form: String? = nil, includeDeleted: Bool = false) throws(StoreError) -> [StoredRecord] {
        try run {
            try pool.read { db in
                var sql = "SELECT * FROM records"
                var conds: [String] = []
                var args: [any DatabaseValueConvertible] = []
                if let form {
                    conds.append("form = ?")
                    args.append(form)
                }
                if !includeDeleted { conds.append("deleted = 0") }
                if !conds.isEmpty { sql += " WHERE " + conds.joined(separator: " AND ") }
                sql += " ORDER BY created_hlc, id"
                let seal = try self.seal(db)
                return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { r in
                    let record = try Self.decodeRecord(r)
                    return seal?.opening(record) ?? record
                }
            }
        }
    }

    /// Counts of live records by form.
    public func counts() throws(StoreError) -> [String: Int] {
        try run {
            try pool.read { db in
                var out: [String: Int] = [:]
                for r in try Row.fetchAll(db, sql: "SELECT form, count(*) AS n FROM records WHERE deleted = 0 GROUP BY form") {
                    out[r["form"]] = r["n"]
                }
                return out
            }
        }
    }

    /// A record's history: replaced values and lost incoming values, oldest first.
    public func history(_ id: String) throws(StoreError) -> [HistoryEntry] {
        try run {
            try pool.read { db in
                let seal = try self.seal(db)
                return try Row.fetchAll(db, sql: "SELECT * FROM history WHERE record_id = ? ORDER BY id", arguments: [id]).map { r in
                    let entry = try Self.decodeHistory(r)
                    return seal?.opening(entry) ?? entry
                }
            }
        }
    }

    /// The change log from `seq` on (local changes only when asked), for sync and tests; sealed values opened when the
    /// store is unlocked.
    ///
    /// `sending`: the changes leave the store, so none may keep a sealed value: a locked store refuses
    /// (``StoreError/locked``), and on a wiped one the destroyed values are left out (the rest of each change still goes).
    public func changes(
        after seq: Int64 = 0, localOnly: Bool = false, limit: Int = .max, sending: Bool = false
    ) throws(StoreError) -> [(seq: Int64, change: Change)] {
        try run {
            try pool.read { db in
                let seal = try self.seal(db)
                let sql = "SELECT seq, body FROM changes WHERE seq > ?" + (localOnly ? " AND local = 1" : "") + " ORDER BY seq LIMIT ?"
                return try Row.fetchAll(db, sql: sql, arguments: [seq, min(limit, Int(Int32.max))]).map { r in
                    var change = try Change(json: JSON.parse(r["body"] as String))
                    if let seal {
                        change = seal.opening(change)
                        if sending && Seal.holdsSealed(change) {
                            guard seal.publicKey == nil else { throw StoreError.locked }
                            change.values = change.values.filter { !SealedText.isSealed($0.value ?? nil) }
                        }
                    }
                    return (r["seq"] as Int64, change)
                }
            }
        }
    }

    static func fetchRecord(_ db: Database, id: String) throws -> StoredRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM records WHERE id = ?"), arguments: [id]).map { try decodeRecord($0) }
    }

    /// Decodes a record row; `stamps: false` skips the field stamps (exports and listings need only values and times).
    static func decodeRecord(_ r: Row, stamps withStamps: Bool = true) throws -> StoredRecord {
        try recordRow(r).decode(stamps: withStamps)
    }

    /// The columns of a `records` row.
    static func recordRow(_ r: Row) -> RecordRow {
        RecordRow(
            id: r["id"], form: r["form"], formVersion: r["form_version"], project: r["project"], vals: r["vals"],
            stamps: r["stamps"], deleted: (r["deleted"] as Int) != 0, createdHLC: r["created_hlc"], createdNode: r["created_node"],
            updatedHLC: r["updated_hlc"])
    }

    static func decodeHistory(_ r: Row) throws -> HistoryEntry {
        let text: String? = r["value"]
        let value = try text.flatMap { t throws -> Value? in try Value(json: JSON.parse(t)) }
        let s = Superseded(
            field: r["field"], value: value, stamp: Stamp(hlc: HLC(rawValue: r["hlc"]), node: r["node"]),
            winner: Stamp(hlc: HLC(rawValue: r["winner_hlc"]), node: r["winner_node"]),
            conflict: (r["conflict"] as Int) != 0)
        return HistoryEntry(id: r["id"], recordID: r["record_id"], superseded: s, resolved: (r["resolved"] as Int) != 0)
    }
}
