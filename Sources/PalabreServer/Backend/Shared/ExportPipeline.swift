import Foundation
import Logging
import PalabreCore
import PalabreStore

/// What a backend says to take part in the one export pipeline: where its pseudonym secret is, how it writes a
/// project's records with the shared exporter, and how it keeps a line of the export log. The policy (who sees
/// pseudonyms, which contact fields are dropped, where the file goes, what is logged) is ``runExport(_:for:)``'s.
protocol ExportWriter: PseudonymSecretStore {
    /// Writes a project's records with ``PalabreStore/FieldStore/export(_:to:catalog:options:progress:)``.
    func writeExport(
        _ format: ExportOptions.Format, to path: String, in directory: URL, catalog: FormCatalog, options: ExportOptions) async throws
    /// Adds a line to the export log.
    func logExport(_ entry: ExportLogEntry, deviceID: String) async throws
    var logger: Logger { get }
    var now: @Sendable () -> Date { get }
}

extension ExportWriter {
    /// Writes an export of a project's merged records to a new temporary file (or folder, for CSV) and logs it: who,
    /// when, which project and forms, which view. Analysts get every `sensitive` field as a stable pseudonym (a keyed
    /// hash with a secret only the service holds) and no `contact` field; coordinators and admins get the values.
    func runExport(_ request: ExportRequest, for device: Device) async throws -> String {
        let key = try await pseudonymKey()
        let catalog = try await projectForms(request.project).union
        let analyst = device.role.masksSensitiveFields
        let pseudonymise: (@Sendable (Form, Field, Value) -> Value)? =
            analyst
            ? { @Sendable form, field, value in Pseudonym.of(form, field, value, key: key) } : nil
        let options = ExportOptions(
            forms: request.forms, since: request.since, labels: request.labels, includeDeleted: request.includeDeleted,
            project: request.project, pseudonymise: pseudonymise, dropContact: analyst)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(request.format == .csv ? "csv" : "export.\(request.format.rawValue)").path
        do {
            // Columns are every version's fields (the union): a record of any version exports whole.
            try await writeExport(request.format, to: path, in: directory, catalog: catalog, options: options)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            if let e = error as? StoreError { throw ServiceError.badRequest(e.message(.en)) }
            throw error
        }
        let view = analyst ? "pseudonymised" : "values"
        let entry = ExportLogEntry(
            device: device.name, role: device.role.rawValue, project: request.project, forms: request.forms ?? catalog.names,
            format: request.format.rawValue, view: view, created: Timestamp.text(now()))
        do {
            try await logExport(entry, deviceID: device.id)
        } catch {
            // An export that is not logged is not given: the file (perhaps with names) does not stay behind.
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        logger.info(
            "export",
            metadata: [
                "device": "\(device.name)", "project": "\(request.project)", "format": "\(request.format.rawValue)",
                "view": "\(view)",
            ])
        return path
    }
}

extension ExportLogEntry {
    /// The values of an `exports` row after its id, in ``SharedSchema/exportColumns`` order.
    func row(deviceID: String) -> [String] {
        [deviceID, device, role, project, forms.joined(separator: " "), format, view, created]
    }
}
