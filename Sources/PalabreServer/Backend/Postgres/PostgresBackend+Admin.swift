import Foundation
import Logging
import PalabreCore
import PalabreStore
import PostgresNIO

extension PostgresBackend {
    /// The columns a device is read with.
    static let deviceColumns = "id, name, project, role, created, revoked, last_seen, forms_held, forms_received"
    typealias DeviceColumns = (String, String, String?, String, String, String?, String?, String?, String?)

    static func decodeDevice(_ c: DeviceColumns) throws -> Device {
        guard let role = Role(rawValue: c.3) else { throw ServiceError.badRequest("device \(c.1) has an unknown role '\(c.3)'") }
        return Device(
            id: c.0, name: c.1, project: c.2, role: role, created: Timestamp.date(c.4) ?? Date(timeIntervalSince1970: 0),
            revoked: Timestamp.date(c.5), lastSeen: Timestamp.date(c.6), formsHeld: c.7, formsReceived: Timestamp.date(c.8))
    }

    /// Creates a project (see ``SyncBackend/createProject(code:name:)``).
    public func createProject(code: String, name: String) async throws -> Project {
        try Validate.projectCode(code)
        let name = try Validate.name(name, what: "project name")
        let project = Project(code: code, name: name, created: now())
        let logger = logger
        let inserted = try await withConnection { db in
            try await db.query(
                """
                INSERT INTO projects (code, name, created) VALUES (\(code), \(name), \(Timestamp.text(project.created)))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger
            ).collect()
        }
        if inserted.isEmpty { throw ServiceError.alreadyExists("project '\(code)' already exists") }
        logger.info("project created", metadata: ["project": "\(code)"])
        return project
    }

    /// The project with this code (see ``SyncBackend/project(_:)``).
    public func project(_ code: String) async throws -> Project? {
        try await projects(where: code).first
    }

    /// Every project (see ``SyncBackend/projects()``).
    public func projects() async throws -> [Project] { try await projects(where: nil) }

    private func projects(where code: String?) async throws -> [Project] {
        let logger = logger
        return try await withConnection { db in
            var out: [Project] = []
            let rows = try await db.query(
                """
                SELECT code, name, created FROM projects WHERE \(code == nil) OR code = \(code ?? "") ORDER BY code
                """, logger: logger)
            for try await (code, name, created) in rows.decode((String, String, String).self) {
                out.append(Project(code: code, name: name, created: Timestamp.date(created) ?? Date(timeIntervalSince1970: 0)))
            }
            return out
        }
    }

    /// Enrols a device; only the token's SHA-256 is stored (see ``SyncBackend/enroll(name:project:role:)``).
    public func enroll(name: String, project: String?, role: Role) async throws -> Enrollment {
        let enrollment = try Enrollment.prepare(name: name, project: project, role: role, now: now())
        let (device, token, name) = (enrollment.device, enrollment.token, enrollment.device.name)
        let logger = logger
        try await transaction { db in
            if let project {
                var known: [String] = []
                for try await code in try await db.query("SELECT code FROM projects ORDER BY code", logger: logger).decode(String.self) {
                    known.append(code)
                }
                guard known.contains(project) else {
                    throw ServiceError.notFound(
                        "there is no project '\(project)' (projects: \(known.isEmpty ? "none yet" : known.joined(separator: ", ")))")
                }
            }
            let inserted = try await db.query(
                """
                INSERT INTO devices (id, name, project, role, token_hash, created)
                VALUES (\(device.id), \(name), \(project), \(role.rawValue), \(Token.hash(token)), \(Timestamp.text(device.created)))
                ON CONFLICT (name) DO NOTHING RETURNING 1
                """, logger: logger
            ).collect()
            if inserted.isEmpty { throw ServiceError.alreadyExists("a device named '\(name)' is already enrolled: choose another name") }
        }
        logger.info("device enrolled", metadata: ["device": "\(name)", "project": "\(project ?? "*")", "role": "\(role)"])
        return enrollment
    }

    /// Every device, oldest first (see ``SyncBackend/devices()``).
    public func devices() async throws -> [Device] {
        let logger = logger
        return try await withConnection { db in
            var out: [Device] = []
            let rows = try await db.query(PostgresQuery(unsafeSQL: "SELECT \(Self.deviceColumns) FROM devices ORDER BY created, n"), logger: logger)
            for try await c in rows.decode(DeviceColumns.self) { out.append(try Self.decodeDevice(c)) }
            return out
        }
    }

    /// Revokes a device; revoking one already revoked changes nothing (see ``SyncBackend/revoke(_:)``).
    public func revoke(_ nameOrID: String) async throws -> Device {
        let stamp = Timestamp.text(now())
        let logger = logger
        let device = try await transaction { db -> Device in
            try await db.run(
                "UPDATE devices SET revoked = \(stamp) WHERE (id = \(nameOrID.lowercased()) OR name = \(nameOrID)) AND revoked IS NULL",
                logger)
            var bindings = PostgresBindings()
            bindings.append(nameOrID.lowercased())
            bindings.append(nameOrID)
            let rows = try await db.query(
                PostgresQuery(
                    unsafeSQL: "SELECT \(Self.deviceColumns) FROM devices WHERE id = $1 OR name = $2",
                    binds: bindings), logger: logger)
            for try await c in rows.decode(DeviceColumns.self) { return try Self.decodeDevice(c) }
            throw ServiceError.notFound("no device is named or has the id '\(nameOrID)' (see 'palabre-server devices')")
        }
        logger.notice("device revoked", metadata: ["device": "\(device.name)"])
        return device
    }

    /// Looks the token's hash up on every call, without a cache, so revocation holds at once on every instance.
    public func authenticate(token: String) async throws -> Device? {
        guard token.hasPrefix(Token.prefix) else { return nil }
        let bindings = Self.binds(Token.hash(token))
        let logger = logger
        let found = try await withReadConnection { db -> Device? in
            let rows = try await db.query(
                PostgresQuery(
                    unsafeSQL: "SELECT \(Self.deviceColumns) FROM devices WHERE token_hash = $1 AND revoked IS NULL",
                    binds: bindings), logger: logger)
            for try await c in rows.decode(DeviceColumns.self) { return try Self.decodeDevice(c) }
            return nil
        }
        guard let device = found else { return nil }
        let date = now()
        if device.lastSeen.map({ date.timeIntervalSince($0) > 60 }) ?? true {
            try await withConnection { db in
                try await db.run("UPDATE devices SET last_seen = \(Timestamp.text(date)) WHERE id = \(device.id)", logger)
            }
        }
        return device
    }
}

extension PostgresBackend {
    public func createDashboardSession(idHash: String, deviceID: String, created: Date, expires: Date) async throws {
        let logger = logger
        try await transaction { db in
            try await db.run("DELETE FROM dashboard_sessions WHERE expires < \(Timestamp.text(created))", logger)
            try await db.run(
                """
                INSERT INTO dashboard_sessions (id_hash, device_id, created, expires)
                VALUES (\(idHash), \(deviceID), \(Timestamp.text(created)), \(Timestamp.text(expires)))
                """, logger)
        }
    }

    public func dashboardSessionDevice(idHash: String, now: Date) async throws -> Device? {
        let bindings = Self.binds(idHash)
        let logger = logger
        let columns = Self.deviceColumns.split(separator: ",").map { "d." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        let found = try await withConnection { db -> (String, Device)? in
            let rows = try await db.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT s.expires, \(columns) FROM dashboard_sessions s JOIN devices d ON d.id = s.device_id
                        WHERE s.id_hash = $1 AND d.revoked IS NULL
                        """, binds: bindings), logger: logger)
            for try await (expires, a, b, c, d, e, f, g, h, i) in rows.decode(
                (String, String, String, String?, String, String, String?, String?, String?, String?).self)
            {
                return (expires, try Self.decodeDevice((a, b, c, d, e, f, g, h, i)))
            }
            return nil
        }
        guard let found, let expires = Timestamp.date(found.0), expires > now else { return nil }
        return found.1
    }

    public func deleteDashboardSession(idHash: String) async throws {
        let logger = logger
        try await withConnection { db in try await db.run("DELETE FROM dashboard_sessions WHERE id_hash = \(idHash)", logger) }
    }
}
