import Foundation
import PalabreCore
import PalabreStore
import PostgresNIO

extension PostgresBackend {
    /// Sets a project's retention period (see ``SyncBackend/setRetention(project:days:by:)``).
    public func setRetention(project: String, days: Int, by: String) async throws {
        let by = try await validRetention(project: project, days: days, by: by)
        let at = Timestamp.text(now())
        let logger = logger
        try await withConnection { db in
            try await db.run(
                """
                INSERT INTO retention (project, days, set_at, set_by) VALUES (\(project), \(days), \(at), \(by))
                ON CONFLICT (project) DO UPDATE SET days = excluded.days, set_at = excluded.set_at, set_by = excluded.set_by
                """, logger)
        }
    }

    /// The retention periods set (see ``SyncBackend/retentionPolicies()``).
    public func retentionPolicies() async throws -> [RetentionPolicy] {
        let logger = logger
        return try await withReadConnection { db in
            var out: [RetentionPolicy] = []
            let rows = try await db.query("SELECT project, days, set_at, set_by FROM retention ORDER BY project", logger: logger)
            for try await (project, days, at, by) in rows.decode((String, Int, String?, String?).self) {
                out.append(RetentionPolicy(project: project, days: days, setAt: at.flatMap(Timestamp.date), setBy: by))
            }
            return out
        }
    }

    /// Notes arrivals and finds the records due (see ``SyncBackend/retentionDue(project:forms:now:projectCreated:cutoff:)``).
    public func retentionDue(project: String, forms: [String], now: Int64, projectCreated: Int64, cutoff: Int64) async throws -> [RetentionDue] {
        let at = Timestamp.text(Date(timeIntervalSince1970: Double(now) / 1000))
        let logger = logger
        return try await transaction { db in
            // One sweep at a time per project, across instances: the others wait, then find the arrivals noted.
            try await db.run("SELECT pg_advisory_xact_lock(hashtextextended(\(project), \(Int64(PostgresSchema.lockKey))))", logger)
            let watched =
                try await db.query(
                    "SELECT watched_since FROM retention WHERE project = \(project) AND watched_since IS NOT NULL", logger: logger
                ).collect().isEmpty == false
            // The creation time is the stamp's wall clock (created_hlc >> 16); a node's first contact is ISO 8601 text.
            try await db.run(
                """
                INSERT INTO retention_seen (record_id, project, seen)
                SELECT id, project, CASE WHEN \(watched) THEN \(now) ELSE LEAST(GREATEST(created_hlc >> 16, COALESCE(
                    (SELECT MIN((EXTRACT(EPOCH FROM d.first_seen::timestamptz) * 1000)::bigint) FROM device_nodes d WHERE d.node = r.created_node),
                    \(projectCreated)), \(projectCreated)), \(now)) END
                FROM records r
                WHERE project = \(project) AND NOT EXISTS (SELECT 1 FROM retention_seen s WHERE s.record_id = r.id)
                ON CONFLICT DO NOTHING
                """, logger)
            try await db.run(
                """
                INSERT INTO retention (project, watched_since) VALUES (\(project), \(at))
                ON CONFLICT (project) DO UPDATE SET watched_since = COALESCE(retention.watched_since, excluded.watched_since)
                """, logger)
            guard cutoff > Int64.min, !forms.isEmpty else { return [] }
            var due: [RetentionDue] = []
            let rows = try await db.query(
                """
                SELECT r.id, r.form, r.vals FROM retention_seen s JOIN records r ON r.id = s.record_id
                WHERE s.project = \(project) AND NOT s.done AND r.form = ANY(\(forms)) AND GREATEST(s.seen, r.created_hlc >> 16) < \(cutoff) ORDER BY s.seen, r.id
                """, logger: logger)
            for try await (id, form, vals) in rows.decode((String, String, String).self) {
                due.append(RetentionDue(id: id, form: form, values: try ValueMap.decodePresent(vals)))
            }
            return due
        }
    }

    /// Marks records done (see ``SyncBackend/retentionDone(_:)``).
    public func retentionDone(_ ids: [String]) async throws {
        let logger = logger
        try await withConnection { db in
            try await db.run("UPDATE retention_seen SET done = TRUE WHERE record_id = ANY(\(ids))", logger)
        }
    }
}
