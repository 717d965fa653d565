import Crypto
import Foundation
import GRDB

/// The dashboard's sign-in sessions: a random id in an HttpOnly cookie, only its SHA-256 kept in the database, tied to
/// the device whose token opened it. A session stops working when it expires or when its device is revoked.
enum DashboardSchema {
    /// Appended to ``CentralSchema/migrations``.
    static let migration: (String, @Sendable (Database) throws -> Void) = (
        "dashboard v1: sessions",
        { db in
            try db.execute(
                sql: """
                    -- Sign-in sessions of the analysts' dashboard: only the cookie's SHA-256 is kept.
                    CREATE TABLE dashboard_sessions (
                        id_hash TEXT PRIMARY KEY NOT NULL,
                        device_id TEXT NOT NULL REFERENCES devices(id),
                        created TEXT NOT NULL,
                        expires TEXT NOT NULL
                    );
                    CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions(expires);
                    """)
        }
    )
}

/// Where dashboard sessions are kept: a backend's `dashboard_sessions` table (part of ``SyncBackend``), so that a
/// session opened through one service instance works through every other.
public protocol DashboardSessionStore: Sendable {
    /// Keeps a new session (and forgets the expired ones).
    func createDashboardSession(idHash: String, deviceID: String, created: Date, expires: Date) async throws
    /// The device of a live session: not expired at `now`, its device not revoked. Nil otherwise.
    func dashboardSessionDevice(idHash: String, now: Date) async throws -> Device?
    /// Forgets a session.
    func deleteDashboardSession(idHash: String) async throws
}

/// Session ids: 32 random bytes in hex; the database keeps their SHA-256.
enum DashboardSessionID {
    /// A new random id (64 hex digits).
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) } }
        return Token.hex(bytes)
    }

    /// The SHA-256 kept in the database, lowercase hex.
    static func hash(_ id: String) -> String { Token.hex(Array(SHA256.hash(data: Data(id.utf8)))) }

    /// Whether a cookie value looks like an id (64 lowercase hex digits): anything else is not looked up.
    static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 64 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

extension SQLiteBackend {
    public func createDashboardSession(idHash: String, deviceID: String, created: Date, expires: Date) async throws {
        try await store.hostWrite { db in
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE expires < ?", arguments: [Timestamp.text(created)])
            try db.execute(
                sql: "INSERT INTO dashboard_sessions (id_hash, device_id, created, expires) VALUES (?, ?, ?, ?)",
                arguments: [idHash, deviceID, Timestamp.text(created), Timestamp.text(expires)])
        }
    }

    public func dashboardSessionDevice(idHash: String, now: Date) async throws -> Device? {
        let found = try await store.hostRead { db -> (expires: String, device: Device)? in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT d.*, s.expires AS session_expires FROM dashboard_sessions s JOIN devices d ON d.id = s.device_id
                        WHERE s.id_hash = ? AND d.revoked IS NULL
                        """, arguments: [idHash])
            else { return nil }
            return (row["session_expires"], try Self.decodeDevice(row))
        }
        guard let found, let expires = Timestamp.date(found.expires), expires > now else { return nil }
        return found.device
    }

    public func deleteDashboardSession(idHash: String) async throws {
        try await store.hostWrite { db in
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE id_hash = ?", arguments: [idHash])
        }
    }
}
