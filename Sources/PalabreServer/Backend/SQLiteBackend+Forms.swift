import Foundation
import GRDB
import PalabreCore
import PalabreStore

extension SQLiteBackend {
    /// Every stored version of a project's forms (see ``SyncBackend/storedForms(project:)``).
    public func storedForms(project: String) async throws -> [PublishedForm] {
        try await store.hostRead { db in
            try Row.fetchAll(db, sql: "SELECT * FROM published_forms WHERE project = ? ORDER BY name, version", arguments: [project]).map {
                PublishedForm(
                    project: $0["project"], name: $0["name"], version: $0["version"], source: $0["source"], published: $0["published"],
                    by: $0["published_by"])
            }
        }
    }

    /// Notes which forms a device received (see ``SyncBackend/recordFormsHeld(deviceID:held:at:)``).
    public func recordFormsHeld(deviceID: String, held: String, at date: Date) async throws {
        try await store.hostWrite { db in
            try db.execute(
                sql: "UPDATE devices SET forms_held = ?, forms_received = ? WHERE id = ?", arguments: [held, Timestamp.text(date), deviceID])
        }
    }

    /// How many versions a project's forms have (see ``SyncBackend/storedFormCount(project:)``).
    public func storedFormCount(project: String) async throws -> Int {
        try await store.hostRead { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM published_forms WHERE project = ?", arguments: [project]) ?? 0
        }
    }

    /// Adds form versions in one transaction (see ``SyncBackend/storeForms(_:)``).
    public func storeForms(_ forms: [PublishedForm]) async throws {
        try await store.hostWrite { db in
            for f in forms {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO published_forms (project, name, version, source, published, published_by) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [f.project, f.name, f.version, f.source, f.published, f.by])
                if db.changesCount == 0 {
                    throw ServiceError.alreadyExists("form \(f.name) version \(f.version) of project \(f.project) was published meanwhile")
                }
            }
        }
    }

    /// Every change set aside (see ``SyncBackend/setAsideRecords()``).
    public func setAsideRecords() async throws -> [SetAsideRecord] { try store.setAsideChanges() }

    /// Tries set-aside changes again (see ``SyncBackend/retrySetAside(ids:formSets:)``).
    public func retrySetAside(ids: [Int64], formSets: FormSets) async throws -> ApplyOutcome {
        let date = now()
        return try await store.hostWrite { db in
            try FieldStore.retrySetAside(db, ids: ids, formSets: formSets, checksRecords: true, now: date)
        }
    }
}
