import Foundation
import PalabreCore
import PostgresNIO

extension PostgresBackend {
    /// Every stored version of a project's forms (see ``SyncBackend/storedForms(project:)``).
    public func storedForms(project: String) async throws -> [PublishedForm] {
        let logger = logger
        return try await withReadConnection { db in
            var out: [PublishedForm] = []
            for try await (name, version, source, published, by) in try await db.query(
                """
                SELECT name, version, source, published, published_by FROM published_forms WHERE project = \(project) ORDER BY name, version
                """, logger: logger
            ).decode((String, Int32, String, String, String).self) {
                out.append(PublishedForm(project: project, name: name, version: Int(version), source: source, published: published, by: by))
            }
            return out
        }
    }

    /// Notes which forms a device received (see ``SyncBackend/recordFormsHeld(deviceID:held:at:)``).
    public func recordFormsHeld(deviceID: String, held: String, at date: Date) async throws {
        let logger = logger
        try await withConnection { db in
            try await db.run(
                "UPDATE devices SET forms_held = \(held), forms_received = \(Timestamp.text(date)) WHERE id = \(deviceID)", logger)
        }
    }

    /// How many versions a project's forms have (see ``SyncBackend/storedFormCount(project:)``).
    public func storedFormCount(project: String) async throws -> Int {
        let logger = logger
        return try await withReadConnection { db in
            Int(
                try await db.query("SELECT count(*) FROM published_forms WHERE project = \(project)", logger: logger).collect().first?
                    .decode(Int64.self) ?? 0)
        }
    }

    /// Adds form versions in one transaction (see ``SyncBackend/storeForms(_:)``).
    public func storeForms(_ forms: [PublishedForm]) async throws {
        let logger = logger
        try await transaction { db in
            for f in forms {
                let inserted = try await db.query(
                    """
                    INSERT INTO published_forms (project, name, version, source, published, published_by)
                    VALUES (\(f.project), \(f.name), \(f.version), \(f.source), \(f.published), \(f.by))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger: logger
                ).collect()
                if inserted.isEmpty {
                    throw ServiceError.alreadyExists("form \(f.name) version \(f.version) of project \(f.project) was published meanwhile")
                }
            }
        }
    }
}
