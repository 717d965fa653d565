import PalabreCore

/// What both backends decide the same way around a batch and a page; each backend only reads and writes its rows.
enum PushPolicy {
    /// The projects a batch writes to, for the backend to look up (one query).
    static func projects(of request: Wire.PushRequest) -> [String] { Set(request.changes.map(\.project)).sorted() }

    /// Refuses a batch holding a change for a project the device may not write to, or for a project the service does
    /// not have (`known`: those of ``projects(of:)`` that exist): nothing of it is then applied.
    static func checkProjects(_ request: Wire.PushRequest, device: Device, known: Set<String>) throws(ServiceError) {
        for code in projects(of: request) {
            let record = request.changes.first { $0.project == code }?.recordID ?? ""
            guard device.canAccess(project: code) else {
                throw ServiceError.forbidden(
                    "device '\(device.name)' (\(device.role) of project '\(device.project ?? "")') cannot write to "
                        + "project '\(code)' (record \(record)): nothing was applied")
            }
            guard known.contains(code) else {
                throw ServiceError.forbidden("there is no project '\(code)' on this service (record \(record)): nothing was applied")
            }
        }
    }
}

/// A page of the change log from the rows after a cursor, read `limit + 1` at a time so `more` needs no count.
enum PullPaging {
    /// How many rows to read for a page of `limit`.
    static func rowsToRead(_ limit: Int) -> Int { max(1, limit) + 1 }

    /// The page: the first `limit` rows, without those `excludingNode` wrote (it has them), the cursor past every row
    /// looked at (skipped ones included), and whether more rows wait.
    static func page(
        _ rows: [(seq: Int64, node: String, body: String)], after cursor: Int64, limit: Int, excludingNode: String?,
        serverTime: Int64
    ) -> PullPage {
        let limit = max(1, limit)
        let page = rows.prefix(limit)
        let kept = page.filter { row in excludingNode == nil || row.node != excludingNode }
        var out = PullPage(changeTexts: kept.map(\.body), next: page.last?.seq ?? cursor, more: rows.count > limit, serverTime: serverTime)
        out.nodes = Set(kept.map(\.node))
        return out
    }
}
