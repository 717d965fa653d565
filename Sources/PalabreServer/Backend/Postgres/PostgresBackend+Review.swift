import Crypto
import Foundation
import GRDB
import Logging
import PalabreCore
import PalabreStore
import PostgresNIO

extension PostgresBackend {
    package static let recordColumns = "id, form, form_version, project, vals, stamps, deleted, created_hlc, created_node, updated_hlc"
    package typealias RecordColumns = (String, String, Int32, String, String, String, Bool, Int64, String, Int64)

    package static func recordRow(_ c: RecordColumns) -> RecordRow {
        RecordRow(
            id: c.0, form: c.1, formVersion: Int(c.2), project: c.3, vals: c.4, stamps: c.5, deleted: c.6, createdHLC: c.7,
            createdNode: c.8, updatedHLC: c.9)
    }

    /// Open conflicts of a project: losing values whose winner the field still holds, oldest first.
    public func conflicts(project: String) async throws -> [OpenConflict] {
        let logger = logger
        return try await withConnection { db in
            var out: [OpenConflict] = []
            var records: [String: StoredRecord] = [:]
            let rows = try await db.query(
                """
                SELECT h.record_id, h.field, h.value, h.hlc, h.node, h.winner_hlc, h.winner_node, r.stamps, r.vals, r.form
                FROM history h JOIN records r ON r.id = h.record_id
                WHERE r.project = \(project) AND h.conflict AND NOT h.resolved ORDER BY h.id
                """, logger: logger)
            for try await (id, field, value, hlc, node, whlc, wnode, stamps, vals, form) in rows.decode(
                (String, String, String?, Int64, String, Int64, String, String, String, String).self)
            {
                if records[id] == nil {
                    records[id] = try RecordRow(
                        id: id, form: form, formVersion: 0, project: project, vals: vals, stamps: stamps, deleted: false,
                        createdHLC: 0, createdNode: "", updatedHLC: 0
                    ).decode()
                }
                let lost = Superseded(
                    field: field, value: try value.flatMap { try Value(json: JSON.parse($0)) },
                    stamp: Stamp(hlc: HLC(rawValue: hlc), node: node), winner: Stamp(hlc: HLC(rawValue: whlc), node: wnode),
                    conflict: true)
                guard let record = records[id], lost.isOpen(in: record.state) else { continue }
                out.append(
                    OpenConflict(
                        record: id, form: form, field: field, losing: lost.value, losingStamp: lost.stamp,
                        current: record.state.values[field], winningStamp: lost.winner))
            }
            return out
        }
    }

    /// Closes the open conflicts on a field with a new write by the service (see ``SyncBackend/resolve(project:record:field:action:)``).
    public func resolve(project: String, record: String, field: String, action: ResolveAction) async throws {
        let node = try await ownNode()
        let clock = now
        let logger = logger
        try await transaction { db in
            var found: RecordRow?
            for try await c in try await db.query(
                PostgresQuery(
                    unsafeSQL: "SELECT \(Self.recordColumns) FROM records WHERE id = $1 FOR UPDATE",
                    binds: Self.binds(record)), logger: logger
            ).decode(RecordColumns.self) {
                found = Self.recordRow(c)
            }
            guard let row = found, row.project == project else {
                throw ServiceError.notFound("there is no record '\(record)' in project '\(project)'")
            }
            let stored = try row.decode()
            var state = stored.state
            // The latest losing value still open on this field (nil: none; .some(nil): a cleared value lost).
            var latest: Value??
            for try await (value, hlc, node, whlc, wnode) in try await db.query(
                """
                SELECT value, hlc, node, winner_hlc, winner_node FROM history
                WHERE record_id = \(record) AND field = \(field) AND conflict AND NOT resolved ORDER BY id
                """, logger: logger
            ).decode((String?, Int64, String, Int64, String).self) {
                let lost = Superseded(
                    field: field, value: try value.flatMap { try Value(json: JSON.parse($0)) },
                    stamp: Stamp(hlc: HLC(rawValue: hlc), node: node), winner: Stamp(hlc: HLC(rawValue: whlc), node: wnode),
                    conflict: true)
                if lost.isOpen(in: state) { latest = .some(lost.value) }
            }
            guard let latest else {
                throw ServiceError.notFound("record \(record) has no open conflict on '\(field)' (see GET /v1/conflicts)")
            }
            let value = action == .restore ? latest : state.values[field]
            // Later than every stamp on the record, so the write wins everywhere.
            var hlcClock = HybridLogicalClock(last: state.updated.hlc)
            let stamp = Stamp(hlc: hlcClock.send(now: clock()), node: node)
            var prev: [String: Stamp] = [:]
            if let s = state.stamps[field] { prev[field] = s }
            let change = Change(
                recordID: record, form: state.form, formVersion: state.formVersion, project: project, stamp: stamp,
                values: [field: value], prev: prev)
            let superseded = Merge.apply(change, to: &state)
            let updated = RecordRow(state: state, created: stored.created)
            try await db.run(
                """
                UPDATE records SET vals = \(updated.vals), stamps = \(updated.stamps), deleted = \(updated.deleted), updated_hlc = \(updated.updatedHLC)
                WHERE id = \(record)
                """, logger)
            for s in superseded {
                try await db.run(
                    """
                    INSERT INTO history (record_id, field, value, hlc, node, winner_hlc, winner_node, conflict)
                    VALUES (\(record), \(s.field), \(s.value?.json.serialized), \(s.stamp.hlc.rawValue), \(s.stamp.node), \(s.winner.hlc.rawValue),
                            \(s.winner.node), \(s.conflict))
                    """, logger)
            }
            try await db.run("UPDATE history SET resolved = TRUE WHERE record_id = \(record) AND field = \(field) AND conflict", logger)
            try await Self.appendToLog([(project, record, stamp.hlc.rawValue, node, change.serialized)], db, logger: logger)
        }
    }

    /// Erases a record's identifying values (see ``SyncBackend/erase(project:record:by:)``): one transaction, the
    /// record locked, stamped by the service after every stamp the record has.
    public func erase(project: String, record: String, by: String) async throws -> [String] {
        try await erase(project: project, record: record, by: by, unlessErased: false)
    }

    /// Erases unless erased already (see ``SyncBackend/eraseUnlessErased(project:record:by:)``): checked under the
    /// record's row lock, so two sweeps at once erase it once.
    public func eraseUnlessErased(project: String, record: String, by: String) async throws -> [String] {
        try await erase(project: project, record: record, by: by, unlessErased: true)
    }

    func erase(project: String, record: String, by: String, unlessErased: Bool) async throws -> [String] {
        let by = by.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !by.isEmpty, by.count <= 200 else { throw ServiceError.badRequest("say who erases (--by), in at most 200 characters") }
        let node = try await ownNode()
        let forms = try await currentForms(project: project)
        let clock = now
        let logger = logger
        return try await transaction { db in
            var found: RecordRow?
            for try await c in try await db.query(
                PostgresQuery(
                    unsafeSQL: "SELECT \(Self.recordColumns) FROM records WHERE id = $1 FOR UPDATE",
                    binds: Self.binds(record)), logger: logger
            ).decode(RecordColumns.self) {
                found = Self.recordRow(c)
            }
            guard let row = found, row.project == project else {
                throw ServiceError.notFound("there is no record '\(record)' in project '\(project)'")
            }
            let stored = try row.decode()
            var state = stored.state
            let fields = (forms[state.form]?.fields ?? []).filter { $0.sensitive || $0.contact }.map(\.name)
            guard !fields.isEmpty else {
                throw ServiceError.badRequest(
                    "a '\(state.form)' holds no identifying value (no sensitive or contact field): nothing to erase")
            }
            if unlessErased, Set(fields).isSubset(of: state.erased) { return [] }
            var hlcClock = HybridLogicalClock(last: state.updated.hlc)
            let stamp = Stamp(hlc: hlcClock.send(now: clock()), node: node)
            let change = Change(
                recordID: record, form: state.form, formVersion: state.formVersion, project: project, stamp: stamp,
                values: [erasedField: .list(fields), erasedByField: .string(by)])
            Merge.apply(change, to: &state)
            let updated = RecordRow(state: state, created: stored.created)
            try await db.run(
                "UPDATE records SET vals = \(updated.vals), stamps = \(updated.stamps), updated_hlc = \(updated.updatedHLC) WHERE id = \(record)",
                logger)
            try await Self.purgeErased(db, record: record, fields: state.erased, logger: logger)
            try await Self.appendToLog([(project, record, stamp.hlc.rawValue, node, change.serialized)], db, logger: logger)
            return fields
        }
    }

    /// The node the service's own writes (resolved conflicts) are stamped with: made once, shared by every instance.
    package func ownNode() async throws -> String {
        try await metaValue("node") { makeNodeID() }
    }

    /// A value of the `meta` table, created by `make` the first time; every instance gets the same one.
    func metaValue(_ key: String, make: @escaping @Sendable () -> String) async throws -> String {
        let logger = logger
        return try await withConnection { db in
            // Read first: only the very first call writes (an analyst's export should not take a write each time).
            if let value = try await db.query("SELECT value FROM meta WHERE key = \(key)", logger: logger).collect().first?.decode(String.self) {
                return value
            }
            try await db.run("INSERT INTO meta (key, value) VALUES (\(key), \(make())) ON CONFLICT DO NOTHING", logger)
            return try await db.query("SELECT value FROM meta WHERE key = \(key)", logger: logger).collect().first?.decode(String.self) ?? ""
        }
    }

    /// The live records of a project (see ``SyncBackend/records(project:form:)``).
    public func records(project: String, form: String?) async throws -> [LiveRecord] {
        let logger = logger
        return try await withReadConnection { db in
            var out: [LiveRecord] = []
            let rows = try await db.query(
                """
                SELECT id, form, vals FROM records WHERE project = \(project) AND NOT deleted AND (\(form == nil) OR form = \(form ?? ""))
                ORDER BY created_hlc, id
                """, logger: logger)
            for try await (id, form, vals) in rows.decode((String, String, String).self) {
                out.append(LiveRecord(id: id, form: form, values: try ValueMap.decodePresent(vals)))
            }
            return out
        }
    }

    /// Writes an export and logs it (``ExportWriter/runExport(_:for:)``).
    public func export(_ request: ExportRequest, for device: Device) async throws -> String {
        try await runExport(request, for: device)
    }

    /// The project's record rows are streamed, a page at a time, into a temporary field store, which the shared
    /// exporter then writes (same formats, columns, pseudonyms); the temporary store is deleted.
    func writeExport(
        _ format: ExportOptions.Format, to path: String, in directory: URL, catalog forms: FormCatalog, options: ExportOptions
    ) async throws {
        let scratch = directory.appendingPathComponent("records.sqlite").path
        let store = try FieldStore(path: scratch)
        try await copyRecords(project: options.project ?? "", into: store)
        _ = try await Task.detached { try store.export(format, to: path, catalog: forms, options: options) }.value
        try store.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch + suffix) }
    }

    func logExport(_ entry: ExportLogEntry, deviceID: String) async throws {
        let logger = logger
        let r = entry.row(deviceID: deviceID)
        try await withConnection { db in
            try await db.run(
                """
                INSERT INTO exports (device_id, device, role, project, forms, format, view, created)
                VALUES (\(r[0]), \(r[1]), \(r[2]), \(r[3]), \(r[4]), \(r[5]), \(r[6]), \(r[7]))
                """, logger)
        }
    }

    /// Streams a project's record rows (all, deleted ones too) into a field store, 5,000 at a time in id order.
    func copyRecords(project: String, into store: FieldStore) async throws {
        let logger = logger
        var after = ""
        while true {
            let from = after
            let page: [RecordRow] = try await withConnection { db in
                var rows: [RecordRow] = []
                var bindings = PostgresBindings()
                bindings.append(project)
                bindings.append(from)
                let sequence = try await db.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT \(Self.recordColumns) FROM records WHERE project = $1 AND id > $2 ORDER BY id LIMIT 5000
                            """, binds: bindings), logger: logger)
                for try await c in sequence.decode(RecordColumns.self) { rows.append(Self.recordRow(c)) }
                return rows
            }
            guard let last = page.last else { return }
            try await store.hostWrite { db in try FieldStore.insertRecordRows(db, page) }
            after = last.id
        }
    }

    /// The export log, newest first.
    public func exportLog() async throws -> [ExportLogEntry] {
        let logger = logger
        return try await withConnection { db in
            var out: [ExportLogEntry] = []
            for try await (device, role, project, forms, format, view, created) in try await db.query(
                """
                SELECT device, role, project, forms, format, view, created FROM exports ORDER BY id DESC
                """, logger: logger
            ).decode((String, String, String, String, String, String, String).self) {
                out.append(.decode(device: device, role: role, project: project, forms: forms, format: format, view: view, created: created))
            }
            return out
        }
    }

    /// The secret behind pseudonyms when it is kept in the database: made once, kept in `meta`, the same for every
    /// instance.
    func storedPseudonymKey(create: Bool) async throws -> Data? {
        let hex: String
        if create {
            hex = try await metaValue("pseudonym_key") { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.hex }
        } else {
            let logger = logger
            let found = try await withReadConnection { db in
                try await db.query("SELECT value FROM meta WHERE key = 'pseudonym_key'", logger: logger).collect().first?.decode(String.self)
            }
            guard let found else { return nil }
            hex = found
        }
        guard let key = Data(hex: hex), key.count == 32 else {
            throw ServiceError.unavailable("meta.pseudonym_key is not a 32-byte hexadecimal secret: the database was edited by hand")
        }
        return key
    }

    /// Forgets the database's copy of the secret (it is in the key file now). PostgreSQL keeps a deleted row until it
    /// is vacuumed: the table is vacuumed at once (what write-ahead log segments and backups made before still hold is
    /// beyond the service's reach).
    func forgetStoredPseudonymKey(mark: String) async throws {
        let logger = logger
        try await withConnection { db in
            try await db.run(
                """
                WITH gone AS (DELETE FROM meta WHERE key = 'pseudonym_key')
                INSERT INTO meta (key, value) VALUES ('pseudonym_key_moved', \(mark))
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                """, logger)
            try await db.run("VACUUM meta", logger)
        }
    }

    func pseudonymKeyMark() async throws -> String? {
        let logger = logger
        return try await withReadConnection { db in
            try await db.query("SELECT value FROM meta WHERE key = 'pseudonym_key_moved'", logger: logger).collect().first?.decode(String.self)
        }
    }

    public func preparePseudonymSecret() async throws { _ = try await pseudonymKey() }

    package static func binds(_ values: String...) -> PostgresBindings {
        var b = PostgresBindings()
        for v in values { b.append(v) }
        return b
    }
}

extension PostgresBackend: ExportWriter {}

extension PostgresBackend {
    /// Assigns a record to a device (see ``SyncBackend/assign(project:record:device:by:)``).
    public func assign(project: String, record: String, device: String, by: String) async throws {
        let stamp = Timestamp.text(now())
        let logger = logger
        try await transaction { db in
            var owner: String?
            for try await p in try await db.query("SELECT project FROM records WHERE id = \(record)", logger: logger).decode(String.self) {
                owner = p
            }
            guard owner == project else { throw ServiceError.notFound("there is no record '\(record)' in project '\(project)'") }
            var found: String?
            for try await (id, p) in try await db.query(
                "SELECT id, project FROM devices WHERE (id = \(device.lowercased()) OR name = \(device)) AND revoked IS NULL", logger: logger
            ).decode((String, String?).self) where p == project {
                found = id
            }
            guard let id = found else {
                throw ServiceError.notFound("no device of project '\(project)' is named '\(device)' (see 'palabre-server devices')")
            }
            try await db.run(
                """
                INSERT INTO assignments (record_id, device_id, assigned, assigned_by) VALUES (\(record), \(id), \(stamp), \(by))
                ON CONFLICT (record_id, device_id) DO UPDATE SET assigned = EXCLUDED.assigned, assigned_by = EXCLUDED.assigned_by
                """, logger)
        }
    }

    /// Creating nodes and values of records (see ``SyncBackend/origins(of:)``).
    public func origins(of ids: [String]) async throws -> [String: (node: String, values: [String: Value])] {
        guard !ids.isEmpty else { return [:] }
        let logger = logger
        return try await withReadConnection { db in
            var out: [String: (node: String, values: [String: Value])] = [:]
            for try await (id, node, vals) in try await db.query(
                "SELECT id, created_node, vals FROM records WHERE id = ANY(\(ids))", logger: logger
            ).decode((String, String, String).self) {
                out[id] = (node, try ValueMap.decodePresent(vals))
            }
            return out
        }
    }

    /// A device's nodes and assigned records (see ``SyncBackend/reach(of:)``).
    public func reach(of deviceID: String) async throws -> (nodes: Set<String>, assigned: Set<String>) {
        let logger = logger
        return try await withReadConnection { db in
            var nodes: Set<String> = []
            for try await n in try await db.query("SELECT node FROM device_nodes WHERE device_id = \(deviceID)", logger: logger).decode(
                String.self)
            {
                nodes.insert(n)
            }
            var assigned: Set<String> = []
            for try await r in try await db.query("SELECT record_id FROM assignments WHERE device_id = \(deviceID)", logger: logger).decode(
                String.self)
            {
                assigned.insert(r)
            }
            return (nodes, assigned)
        }
    }
}
