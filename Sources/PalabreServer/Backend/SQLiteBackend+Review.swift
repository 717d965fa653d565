import Foundation
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
        guard let owner = try await store.project(ofRecord: record), owner == project else {
            throw ServiceError.notFound("there is no record '\(record)' in project '\(project)'")
        }
        let forms = try await currentForms(project: project)
        let store = store
        do {
            return try await offload {
                try store.erase(id: record, by: by, catalog: forms) { db, fields in try Self.purgeAnswers(db, record: record, fields: fields) }
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
