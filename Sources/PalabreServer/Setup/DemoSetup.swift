import Foundation
import PalabreCore
import PalabreStore

/// Prepares a demonstration service: project `demo` holding the sample data set, two facilitators' laptops and a
/// coordinator, so `palabre sync` can be tried in a minute.
public enum DemoSetup {
    /// The project code.
    public static let project = "demo"
    /// The devices enrolled, with their roles.
    public static let devices: [(name: String, role: Role)] = [
        ("laptop-1", .facilitator), ("laptop-2", .facilitator),
        ("coordinator", .coordinator),
    ]

    /// What preparing did.
    public struct Report: Sendable {
        /// Whether the database was already a demo (then nothing was changed).
        public var alreadyPrepared: Bool
        /// Records imported from the samples.
        public var imported: ImportSummary?
        /// The devices enrolled now, with their tokens (shown once).
        public var enrollments: [Enrollment]
    }

    /// Creates project `demo`, enrols the demo devices and pushes the samples as the coordinator's changes (every
    /// device then pulls them), on either backend. A database whose demo devices are enrolled is left alone. The
    /// samples carry their record ids, so a run cut off half-way and started again writes the same records.
    ///
    /// - Throws: ``PalabreStore/StoreError`` when the samples cannot be read or imported, ``ServiceError``.
    public static func prepare(_ backend: any SyncBackend, samples: String) async throws -> Report {
        let existing = Set(try await backend.devices().map(\.name))
        if devices.allSatisfy({ existing.contains($0.name) }) { return Report(alreadyPrepared: true, imported: nil, enrollments: []) }
        if try await backend.project(project) == nil {
            _ = try await backend.createProject(code: project, name: "Démonstration Palabre")
        }
        // The samples go through a scratch field store, so they become ordinary changes with stamps and a node.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try FieldStore(path: dir.appendingPathComponent("samples.sqlite").path)
        try store.setIdentity(device: "central", project: project, language: nil)
        let summary = try store.importItems(try ImportReader.read(path: samples, form: nil), catalog: backend.forms, file: samples)
        var enrollments: [Enrollment] = []
        for (name, role) in devices where !existing.contains(name) && role == .coordinator {
            enrollments.append(try await backend.enroll(name: name, project: project, role: role))
        }
        guard let importer = try await backend.devices().first(where: { $0.name == "coordinator" }) else {
            throw ServiceError.notFound("the demo's coordinator is not enrolled")
        }
        let node = try store.identity().node
        let changes = try store.changes(localOnly: true).map(\.change)
        for (n, start) in stride(from: 0, to: changes.count, by: 2000).enumerated() {
            let part = Array(changes[start..<min(start + 2000, changes.count)])
            _ = try await backend.push(Wire.PushRequest(batch: "demo-samples-\(n + 1)", node: node, changes: part), from: importer)
        }
        for (name, role) in devices where !existing.contains(name) && role != .coordinator {
            enrollments.append(try await backend.enroll(name: name, project: project, role: role))
        }
        enrollments.sort { a, b in
            (devices.firstIndex { $0.name == a.device.name } ?? 0) < (devices.firstIndex { $0.name == b.device.name } ?? 0)
        }
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
