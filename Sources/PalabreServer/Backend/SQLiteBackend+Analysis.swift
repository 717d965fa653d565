import Foundation
import GRDB
import PalabreCore
import PalabreStore

/// Who asked for an export and what they may see.
public struct ExportRequest: Sendable {
    /// The format.
    public var format: ExportOptions.Format
    /// The project.
    public var project: String
    /// Only these forms (nil: all).
    public var forms: [String]?
    /// Only records changed on or after this day.
    public var since: String?
    /// Choice labels instead of codes.
    public var labels: Language?
    /// Keep deleted records, marked.
    public var includeDeleted: Bool

    /// Builds one.
    public init(
        format: ExportOptions.Format, project: String, forms: [String]? = nil, since: String? = nil, labels: Language? = nil,
        includeDeleted: Bool = false
    ) {
        self.format = format
        self.project = project
        self.forms = forms
        self.since = since
        self.labels = labels
        self.includeDeleted = includeDeleted
    }
}

extension SQLiteBackend: ExportWriter {
    /// Writes an export and logs it (``ExportWriter/runExport(_:for:)``).
    public func export(_ request: ExportRequest, for device: Device) async throws -> String {
        try await runExport(request, for: device)
    }

    func writeExport(
        _ format: ExportOptions.Format, to path: String, in directory: URL, catalog forms: FormCatalog, options: ExportOptions
    ) async throws {
        let store = store
        _ = try await offload { try store.export(format, to: path, catalog: forms, options: options) }
    }

    func logExport(_ entry: ExportLogEntry, deviceID: String) async throws {
        let row = entry.row(deviceID: deviceID)
        try await store.hostWrite { db in
            try db.execute(
                sql: "INSERT INTO exports (device_id, device, role, project, forms, format, view, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: StatementArguments(row))
        }
    }

    /// The export log, newest first.
    public func exportLog() async throws -> [ExportLogEntry] {
        try await store.hostRead { db in
            try Row.fetchAll(db, sql: "SELECT * FROM exports ORDER BY id DESC").map { row in
                ExportLogEntry.decode(
                    device: row["device"], role: row["role"], project: row["project"], forms: row["forms"],
                    format: row["format"], view: row["view"], created: row["created"])
            }
        }
    }

    /// The secret behind pseudonyms when it is kept in the database: 32 random bytes made once, never exported.
    func storedPseudonymKey(create: Bool) async throws -> Data? {
        create ? try await store.secret(named: "pseudonym_key") : try await store.storedSecret(named: "pseudonym_key")
    }

    /// Forgets the database's copy of the secret (it is in the key file now).
    func forgetStoredPseudonymKey(mark: String) async throws { try await store.forgetSecret(named: "pseudonym_key", leaving: mark) }

    func pseudonymKeyMark() async throws -> String? { try await store.secretMark(named: "pseudonym_key") }

    public func preparePseudonymSecret() async throws { _ = try await pseudonymKey() }
}
