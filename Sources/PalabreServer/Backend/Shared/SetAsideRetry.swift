import PalabreCore
import PalabreStore

/// Set-aside changes, on both backends: listed by project or device, and tried again with each project's current
/// forms. A change held for a version nobody has published yet is applied when a coordinator publishes it (``publish``
/// retries the project's), and an administrator can retry any time (`palabre-server set-aside retry`).
extension SyncBackend {
    /// The changes set aside, oldest first: of one project, of one device (by name), or all.
    public func setAside(project: String? = nil, device: String? = nil) async throws -> [SetAsideRecord] {
        try await setAsideRecords().filter { r in
            (project == nil || r.change.project == project) && (device == nil || r.origin == device)
        }
    }

    /// Tries the set-aside changes of a project, of a device, or all again, each checked against its project's current
    /// forms exactly as a push is.
    public func retrySetAside(project: String? = nil, device: String? = nil) async throws -> ApplyOutcome {
        let rows = try await setAside(project: project, device: device)
        guard !rows.isEmpty else { return ApplyOutcome() }
        return try await retrySetAside(ids: rows.map(\.id), formSets: formSets(for: Set(rows.map(\.change.project))))
    }

    /// Whether some of these held changes have their form and version published now (then a retry applies them).
    public func released(_ rows: [SetAsideRecord]) async throws -> Bool {
        for row in rows where row.held {
            if let form = try await formSets(for: [row.change.project])[row.change.project]?[row.change.form],
                row.change.formVersion <= form.version
            {
                return true
            }
        }
        return false
    }
}

extension Wire.SetAsideEntry {
    /// The entry a device is told about.
    init(_ r: SetAsideRecord) {
        self.init(
            record: r.change.recordID, hlc: r.change.stamp.hlc.rawValue, node: r.change.stamp.node, reason: r.reason, held: r.held)
    }

    /// The entry for a change set aside by a push or a retry.
    init(_ s: SetAside) {
        self.init(
            record: s.change.recordID, hlc: s.change.stamp.hlc.rawValue, node: s.change.stamp.node, reason: s.reason, held: s.held)
    }
}
