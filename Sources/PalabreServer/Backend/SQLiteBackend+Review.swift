import Foundation
import GRDB
import PalabreCore
import PalabreStore

extension SQLiteBackend {
    /// Open conflicts of a project's records (see ``SyncBackend/conflicts(project:)``).
    public func conflicts(project: String) async throws -> [OpenConflict] {
        // The same definition of "open" as on a laptop: the field still holds the winner.
        let store = store
        return try await offload { try store.conflicts(project: project) }.map { c in
            OpenConflict(
                record: c.entry.recordID, form: c.form, field: c.entry.superseded.field, losing: c.entry.superseded.value,
                losingStamp: c.entry.superseded.stamp, current: c.current, winningStamp: c.entry.superseded.winner)
        }
    }

    /// Keeps or restores through ``PalabreStore/FieldStore/resolve(recordID:field:restore:catalog:)`` once the record is
    /// known to be in the project (see ``SyncBackend/resolve(project:record:field:action:)``).
    public func resolve(project: String, record: String, field: String, action: ResolveAction) async throws {
        guard let owner = try await store.project(ofRecord: record), owner == project else {
            throw ServiceError.notFound("there is no record '\(record)' in project '\(project)'")
        }
        let store = store
        let open = try await offload { try store.conflicts(project: project) }
        guard open.contains(where: { $0.entry.recordID == record && $0.entry.superseded.field == field }) else {
            throw ServiceError.notFound("record \(record) has no open conflict on '\(field)' (see GET /v1/conflicts)")
        }
        let forms = try await currentForms(project: project)
        do {
            try await offload { try store.resolve(recordID: record, field: field, restore: action == .restore, catalog: forms) }
        } catch StoreError.refused(let message) {
            throw ServiceError.notFound(message)  // resolved meanwhile by someone else
        }
    }

    /// Erases a record's identifying values (see ``SyncBackend/erase(project:record:by:)``).
    public func erase(project: String, record: String, by: String) async throws -> [String] {
        try await erase(project: project, record: record, by: by, unlessErased: false)
    }

    /// Erases unless erased already (see ``SyncBackend/eraseUnlessErased(project:record:by:)``).
    public func eraseUnlessErased(project: String, record: String, by: String) async throws -> [String] {
        try await erase(project: project, record: record, by: by, unlessErased: true)
    }

    func erase(project: String, record: String, by: String, unlessErased: Bool) async throws -> [String] {
        guard let owner = try await store.project(ofRecord: record), owner == project else {
            throw ServiceError.notFound("there is no record '\(record)' in project '\(project)'")
        }
        let forms = try await currentForms(project: project)
        let store = store
        do {
            return try await offload {
                try store.erase(id: record, by: by, catalog: forms, unlessErased: unlessErased) { db, fields in
                    try Self.purgeAnswers(db, record: record, fields: fields)
                }
            }
        } catch StoreError.refused(let message) {
            throw ServiceError.badRequest(message)
        }
    }

    /// The live records of a project (see ``SyncBackend/records(project:form:)``).
    public func records(project: String, form: String?) async throws -> [LiveRecord] {
        try await store.liveRecords(project: project, form: form).map { LiveRecord(id: $0.id, form: $0.form, values: $0.values) }
    }
}

extension SQLiteBackend {
    /// Assigns a record to a device (see ``SyncBackend/assign(project:record:device:by:)``).
    public func assign(project: String, record: String, device: String, by: String) async throws {
        guard let owner = try await store.project(ofRecord: record), owner == project else {
            throw ServiceError.notFound("there is no record '\(record)' in project '\(project)'")
        }
        let stamp = Timestamp.text(now())
        try await store.hostWrite { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT id, project FROM devices WHERE (id = ? OR name = ?) AND revoked IS NULL",
                    arguments: [device.lowercased(), device]), (row["project"] as String?) == project
            else {
                throw ServiceError.notFound("no device of project '\(project)' is named '\(device)' (see 'palabre-server devices')")
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO assignments (record_id, device_id, assigned, assigned_by) VALUES (?, ?, ?, ?)",
                arguments: [record, row["id"] as String, stamp, by])
        }
    }

    /// Creating nodes and values of records (see ``SyncBackend/origins(of:)``).
    public func origins(of ids: [String]) async throws -> [String: (node: String, values: [String: Value])] {
        guard !ids.isEmpty else { return [:] }
        return try await store.hostRead { db in
            var out: [String: (node: String, values: [String: Value])] = [:]
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(start + 500, ids.count)])
                let sql = "SELECT id, created_node, vals FROM records WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))"
                for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(chunk)) {
                    out[row["id"]] = (row["created_node"], try ValueMap.decodePresent(row["vals"]))
                }
            }
            return out
        }
    }

    /// A device's nodes and assigned records (see ``SyncBackend/reach(of:)``).
    public func reach(of deviceID: String) async throws -> (nodes: Set<String>, assigned: Set<String>) {
        try await store.hostRead { db in
            (
                Set(try String.fetchAll(db, sql: "SELECT node FROM device_nodes WHERE device_id = ?", arguments: [deviceID])),
                Set(try String.fetchAll(db, sql: "SELECT record_id FROM assignments WHERE device_id = ?", arguments: [deviceID]))
            )
        }
    }
}
