import Crypto
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
    public init(format: ExportOptions.Format, project: String, forms: [String]? = nil, since: String? = nil, labels: Language? = nil,
                includeDeleted: Bool = false) {
        self.format = format
        self.project = project
        self.forms = forms
        self.since = since
        self.labels = labels
        self.includeDeleted = includeDeleted
    }
}

extension SQLiteBackend {
    /// Writes an export of a project's merged records to a new temporary file (or folder, for CSV) and logs it: who,
    /// when, which project and forms, which view. Analysts get every `sensitive` field as a stable pseudonym (a keyed
    /// hash with a secret only the service holds) and no `contact` field; coordinators and admins get the values.
    public func export(_ request: ExportRequest, for device: Device) async throws -> String {
        let key = try await pseudonymKey()
        let analyst = device.role.masksSensitiveFields
        var pseudonymise: (@Sendable (Form, Field, Value) -> Value)?
        if analyst {
            pseudonymise = { @Sendable form, field, value in Pseudonym.of(form, field, value, key: key) }
        }
        let options = ExportOptions(forms: request.forms, since: request.since, labels: request.labels, includeDeleted: request.includeDeleted,
                                    project: request.project, pseudonymise: pseudonymise, dropContact: analyst)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(request.format == .csv ? "csv" : "export.\(request.format.rawValue)").path
        let store = store
        let forms = forms
        do {
            _ = try await offload { try store.export(request.format, to: path, catalog: forms, options: options) }
        } catch let e as StoreError {
            try? FileManager.default.removeItem(at: dir)
            throw ServiceError.badRequest(e.message(.en))
        }
        let stamp = Timestamp.text(now())
        try await store.hostWrite { db in
            try db.execute(sql: """
                INSERT INTO exports (device_id, device, role, project, forms, format, view, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [device.id, device.name, device.role.rawValue, request.project, (request.forms ?? forms.names).joined(separator: " "),
                                 request.format.rawValue, analyst ? "pseudonymised" : "values", stamp])
        }
        logger.info("export", metadata: ["device": "\(device.name)", "project": "\(request.project)", "format": "\(request.format.rawValue)",
                                         "view": "\(analyst ? "pseudonymised" : "values")"])
        return path
    }

    /// The export log, newest first.
    public func exportLog() async throws -> [ExportLogEntry] {
        try await store.hostRead { db in
            try Row.fetchAll(db, sql: "SELECT * FROM exports ORDER BY id DESC").map { row in
                ExportLogEntry.decode(device: row["device"], role: row["role"], project: row["project"], forms: row["forms"],
                                      format: row["format"], view: row["view"], created: row["created"])
            }
        }
    }

    /// The secret behind pseudonyms: 32 random bytes made once and kept in the service's database, never exported.
    func pseudonymKey() async throws -> Data {
        try await store.secret(named: "pseudonym_key")
    }
}
