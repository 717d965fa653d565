import Foundation
import GRDB
import PalabreCore
import PalabreStore

extension SQLiteBackend {
    /// Sets a project's retention period (see ``SyncBackend/setRetention(project:days:by:)``).
    public func setRetention(project: String, days: Int, by: String) async throws {
        let by = try await validRetention(project: project, days: days, by: by)
        let at = Timestamp.text(now())
        try await store.hostWrite { db in
            try db.execute(
                sql: """
                    INSERT INTO retention (project, days, set_at, set_by) VALUES (?, ?, ?, ?)
                    ON CONFLICT (project) DO UPDATE SET days = excluded.days, set_at = excluded.set_at, set_by = excluded.set_by
                    """, arguments: [project, days, at, by])
        }
    }

    /// The retention periods set (see ``SyncBackend/retentionPolicies()``).
    public func retentionPolicies() async throws -> [RetentionPolicy] {
        try await store.hostRead { db in
            try Row.fetchAll(db, sql: "SELECT project, days, set_at, set_by FROM retention ORDER BY project").map { row in
                RetentionPolicy(
                    project: row["project"], days: row["days"], setAt: (row["set_at"] as String?).flatMap(Timestamp.date), setBy: row["set_by"])
            }
        }
    }

    /// Notes arrivals and finds the records due (see ``SyncBackend/retentionDue(project:forms:now:projectCreated:cutoff:)``).
    public func retentionDue(project: String, forms: [String], now: Int64, projectCreated: Int64, cutoff: Int64) async throws -> [RetentionDue] {
        let at = Timestamp.text(Date(timeIntervalSince1970: Double(now) / 1000))
        return try await store.hostWrite { db in
            let watched = try String.fetchOne(db, sql: "SELECT watched_since FROM retention WHERE project = ?", arguments: [project]) != nil
            // The creation time is the stamp's wall clock (created_hlc >> 16); a node's first contact is ISO 8601 text.
            let heard = """
                (SELECT MIN(CAST(ROUND((julianday(d.first_seen) - 2440587.5) * 86400000) AS INTEGER)) FROM device_nodes d
                 WHERE d.node = r.created_node)
                """
            // Never before the project existed: a node first heard in another project does not date this one's records.
            let seen = watched ? "?" : "MIN(MAX(created_hlc >> 16, COALESCE(\(heard), ?), ?), ?)"
            let seenArguments: [any DatabaseValueConvertible] = watched ? [now] : [projectCreated, projectCreated, now]
            try db.execute(
                sql: """
                    INSERT INTO retention_seen (record_id, project, seen)
                    SELECT id, project, \(seen) FROM records r
                    WHERE project = ? AND NOT EXISTS (SELECT 1 FROM retention_seen s WHERE s.record_id = r.id)
                    """, arguments: StatementArguments(seenArguments + [project]))
            try db.execute(
                sql: """
                    INSERT INTO retention (project, watched_since) VALUES (?, ?)
                    ON CONFLICT (project) DO UPDATE SET watched_since = COALESCE(watched_since, excluded.watched_since)
                    """, arguments: [project, at])
            guard cutoff > Int64.min, !forms.isEmpty else { return [] }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT r.id, r.form, r.vals FROM retention_seen s JOIN records r ON r.id = s.record_id
                    WHERE s.project = ? AND NOT s.done AND r.form IN (\(forms.map { _ in "?" }.joined(separator: ",")))
                      AND MAX(s.seen, r.created_hlc >> 16) < ?
                    ORDER BY s.seen, r.id
                    """, arguments: StatementArguments([project] + forms + [cutoff])
            ).map { row in RetentionDue(id: row["id"], form: row["form"], values: try ValueMap.decodePresent(row["vals"])) }
        }
    }

    /// Marks records done (see ``SyncBackend/retentionDone(_:)``).
    public func retentionDone(_ ids: [String]) async throws {
        try await store.hostWrite { db in
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(start + 500, ids.count)])
                try db.execute(
                    sql: "UPDATE retention_seen SET done = TRUE WHERE record_id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments(chunk))
            }
        }
    }
}
