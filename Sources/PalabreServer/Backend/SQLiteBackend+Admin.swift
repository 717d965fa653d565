import Foundation
import GRDB
import PalabreCore
import PalabreStore

extension SQLiteBackend {
    /// Creates a project (see ``SyncBackend/createProject(code:name:)``).
    public func createProject(code: String, name: String) async throws -> Project {
        try Validate.projectCode(code)
        let name = try Validate.name(name, what: "project name")
        let project = Project(code: code, name: name, created: now())
        try await store.hostWrite { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM projects WHERE code = ?", arguments: [code]) == true {
                throw ServiceError.alreadyExists("project '\(code)' already exists")
            }
            try db.execute(
                sql: "INSERT INTO projects (code, name, created) VALUES (?, ?, ?)",
                arguments: [code, name, Timestamp.text(project.created)])
        }
        logger.info("project created", metadata: ["project": "\(code)"])
        return project
    }

    /// The project with this code (see ``SyncBackend/project(_:)``).
    public func project(_ code: String) async throws -> Project? {
        try await store.hostRead { db in
            try Row.fetchOne(db, sql: "SELECT * FROM projects WHERE code = ?", arguments: [code]).map(Self.decodeProject)
        }
    }

    /// Every project (see ``SyncBackend/projects()``).
    public func projects() async throws -> [Project] {
        try await store.hostRead { db in try Row.fetchAll(db, sql: "SELECT * FROM projects ORDER BY code").map(Self.decodeProject) }
    }

    /// Enrols a device; only the token's SHA-256 is stored (see ``SyncBackend/enroll(name:project:role:)``).
    public func enroll(name: String, project: String?, role: Role) async throws -> Enrollment {
        let enrollment = try Enrollment.prepare(name: name, project: project, role: role, now: now())
        let (device, token, name) = (enrollment.device, enrollment.token, enrollment.device.name)
        try await store.hostWrite { db in
            if let project, try Bool.fetchOne(db, sql: "SELECT 1 FROM projects WHERE code = ?", arguments: [project]) != true {
                let known = try String.fetchAll(db, sql: "SELECT code FROM projects ORDER BY code")
                let list = known.isEmpty ? "none yet" : known.joined(separator: ", ")
                throw ServiceError.notFound("there is no project '\(project)' (projects: \(list))")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM devices WHERE name = ?", arguments: [name]) == true {
                throw ServiceError.alreadyExists("a device named '\(name)' is already enrolled: choose another name")
            }
            try db.execute(
                sql: "INSERT INTO devices (id, name, project, role, token_hash, created) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [device.id, name, project, role.rawValue, Token.hash(token), Timestamp.text(device.created)])
        }
        logger.info("device enrolled", metadata: ["device": "\(name)", "project": "\(project ?? "*")", "role": "\(role)"])
        return enrollment
    }

    /// Every device (see ``SyncBackend/devices()``).
    public func devices() async throws -> [Device] {
        try await store.hostRead { db in
            try Row.fetchAll(db, sql: "SELECT * FROM devices ORDER BY created, rowid").map(Self.decodeDevice)
        }
    }

    /// Revokes a device; revoking one already revoked changes nothing (see ``SyncBackend/revoke(_:)``).
    public func revoke(_ nameOrID: String) async throws -> Device {
        let stamp = Timestamp.text(now())
        let device = try await store.hostWrite { db -> Device in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM devices WHERE id = ? OR name = ?", arguments: [nameOrID.lowercased(), nameOrID])
            else { throw ServiceError.notFound("no device is named or has the id '\(nameOrID)' (see 'palabre-server devices')") }
            try db.execute(sql: "UPDATE devices SET revoked = ? WHERE id = ? AND revoked IS NULL", arguments: [stamp, row["id"] as String])
            return try Self.decodeDevice(try Row.fetchOne(db, sql: "SELECT * FROM devices WHERE id = ?", arguments: [row["id"] as String])!)
        }
        logger.notice("device revoked", metadata: ["device": "\(device.name)"])
        return device
    }

    /// Looks the token's hash up on every call, without a cache (see ``SyncBackend/authenticate(token:)``).
    public func authenticate(token: String) async throws -> Device? {
        guard token.hasPrefix(Token.prefix) else { return nil }
        let hash = Token.hash(token)
        let found = try await store.hostRead { db in
            try Row.fetchOne(db, sql: "SELECT * FROM devices WHERE token_hash = ? AND revoked IS NULL", arguments: [hash]).map(Self.decodeDevice)
        }
        guard let device = found else { return nil }
        // Note when a device was last heard from, at most once a minute: a write per request would queue behind pushes.
        let date = now()
        if device.lastSeen.map({ date.timeIntervalSince($0) > 60 }) ?? true {
            try await store.hostWrite { db in
                try db.execute(sql: "UPDATE devices SET last_seen = ? WHERE id = ?", arguments: [Timestamp.text(date), device.id])
            }
        }
        return device
    }

    static func decodeProject(_ row: Row) -> Project {
        Project(code: row["code"], name: row["name"], created: Timestamp.date(row["created"]) ?? Date(timeIntervalSince1970: 0))
    }

    static func decodeDevice(_ row: Row) throws -> Device {
        let roleName: String = row["role"]
        guard let role = Role(rawValue: roleName) else {
            throw ServiceError.badRequest("device \(row["name"] as String) has an unknown role '\(roleName)'")
        }
        return Device(
            id: row["id"], name: row["name"], project: row["project"], role: role,
            created: Timestamp.date(row["created"]) ?? Date(timeIntervalSince1970: 0),
            revoked: Timestamp.date(row["revoked"]), lastSeen: Timestamp.date(row["last_seen"]), formsHeld: row["forms_held"],
            formsReceived: Timestamp.date(row["forms_received"]))
    }
}

/// Checks on names and codes given by administrators, with messages naming the value and the rule.
enum Validate {
    /// A project code: 1 to 64 lowercase letters, digits, `-`, `_` or `.`, starting with a letter or digit.
    static func projectCode(_ code: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
        guard let first = code.first, first.isLetter || first.isNumber, code.count <= 64, code.allSatisfy(allowed.contains) else {
            throw ServiceError.badRequest(
                "project code '\(code)': use 1 to 64 lowercase letters, digits, '-', '_' or '.', "
                    + "starting with a letter or digit (for example vestibules-gao)")
        }
    }

    /// A name for people: trimmed, 1 to 100 characters, no control characters.
    static func name(_ name: String, what: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 100, !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw ServiceError.badRequest("\(what) '\(name)': give 1 to 100 characters, without control characters") }
        return trimmed
    }
}
