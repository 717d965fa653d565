import Foundation

/// One export made through the service, as the export log keeps it: who took which data of which project, in which
/// format, and whether sensitive fields were pseudonymised (an analyst's view) or given as values.
public struct ExportLogEntry: Sendable, Equatable {
    /// The device's name, as it was when it exported.
    public var device: String
    /// Its role then (`facilitator`, `coordinator`, `analyst`, `admin`), as the log holds it: an audit shows what it holds.
    public var role: String
    public var project: String
    /// The forms exported.
    public var forms: [String]
    /// `csv` or `jsonl`.
    public var format: String
    /// `pseudonymised` or `values`.
    public var view: String
    /// When, as the service's clock said (ISO 8601).
    public var created: String

    public init(device: String, role: String, project: String, forms: [String], format: String, view: String, created: String) {
        self.device = device
        self.role = role
        self.project = project
        self.forms = forms
        self.format = format
        self.view = view
        self.created = created
    }

    /// One from the log's columns, as both databases store them (forms separated by spaces).
    static func decode(
        device: String, role: String, project: String, forms: String, format: String, view: String,
        created: String
    ) -> ExportLogEntry {
        ExportLogEntry(
            device: device, role: role, project: project,
            forms: forms.split(separator: " ").map(String.init), format: format, view: view, created: created)
    }
}
