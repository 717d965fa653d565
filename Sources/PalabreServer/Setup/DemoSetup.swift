import Foundation
import PalabreCore
import PalabreStore

/// Prepares a demonstration service: project `demo` holding the sample data set, two facilitators' laptops and a
/// coordinator, so `palabre sync` can be tried in a minute.
public enum DemoSetup {
    /// The project code.
    public static let project = "demo"
    /// The devices enrolled, with their roles.
    public static let devices: [(name: String, role: Role)] = [("laptop-1", .facilitator), ("laptop-2", .facilitator),
                                                               ("coordinator", .coordinator)]

    /// What preparing did.
    public struct Report: Sendable {
        /// Whether the database was already a demo (then nothing was changed).
        public var alreadyPrepared: Bool
        /// Records imported from the samples.
        public var imported: ImportSummary?
        /// The devices enrolled now, with their tokens (shown once).
        public var enrollments: [Enrollment]
    }

    /// Creates project `demo`, imports the samples into the central store (their records become changes every
    /// device pulls) and enrols the demo devices. Idempotent: on a database already prepared, changes nothing.
    ///
    /// - Throws: ``PalabreStore/StoreError`` when the samples cannot be read or imported, ``ServiceError``.
    public static func prepare(_ backend: SQLiteBackend, samples: String) async throws -> Report {
        let store = backend.store
        if try store.setting("demo") == "ready" { return Report(alreadyPrepared: true, imported: nil, enrollments: []) }
        if try await backend.project(project) == nil {
            _ = try await backend.createProject(code: project, name: "Démonstration Palabre")
        }
        // The central store's own writes (this import, restored conflicts) are stamped for its project.
        try store.setIdentity(device: "central", project: project, language: nil)
        let forms = backend.forms
        let summary = try await backend.offload {
            try store.importItems(try ImportReader.read(path: samples, form: nil), catalog: forms, file: samples)
        }
        let existing = Set(try await backend.devices().map(\.name))
        var enrollments: [Enrollment] = []
        for (name, role) in devices where !existing.contains(name) {
            enrollments.append(try await backend.enroll(name: name, project: project, role: role))
        }
        try store.setSetting("demo", "ready")
        return Report(alreadyPrepared: false, imported: summary, enrollments: enrollments)
    }

    /// What to type next, for people trying the demo: each laptop's store, remote and sync.
    public static func instructions(_ report: Report, url: String, database: String) -> String {
        var lines: [String] = []
        if report.alreadyPrepared {
            lines.append("This database already holds the demo (project '\(project)'); tokens are shown only once.")
            lines.append("Enrol another laptop and use the token it prints:")
            lines.append("  palabre-server enroll --database \(database) --project \(project) --role facilitator --name laptop-3")
            lines.append("  palabre init --store /tmp/laptop-3.sqlite --device laptop-3 --project \(project)")
            lines.append("  palabre remote set \(url) --token TOKEN --store /tmp/laptop-3.sqlite")
            lines.append("  palabre sync --store /tmp/laptop-3.sqlite")
            return lines.joined(separator: "\n")
        }
        if let imported = report.imported {
            lines.append("Demo project '\(project)': \(imported.total) record(s) imported from the samples.")
        }
        lines.append("Tokens (shown this once):")
        for e in report.enrollments { lines.append("  \(e.device.name) (\(e.device.role)): \(e.token)") }
        for e in report.enrollments where e.device.role == .facilitator {
            let store = "/tmp/palabre-\(e.device.name).sqlite"
            lines.append("")
            lines.append("Try \(e.device.name):")
            lines.append("  palabre init --store \(store) --device \(e.device.name) --project \(project)")
            lines.append("  palabre remote set \(url) --token \(e.token) --store \(store)")
            lines.append("  palabre sync --store \(store)")
        }
        if let coordinator = report.enrollments.first(where: { $0.device.role == .coordinator }) {
            lines.append("")
            lines.append("As the coordinator:")
            lines.append("  curl -H 'Authorization: Bearer \(coordinator.token)' \(url)/v1/conflicts")
        }
        return lines.joined(separator: "\n")
    }
}
