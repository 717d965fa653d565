import Foundation
import GRDB
import PalabreCore
import PalabreStore

extension SQLiteBackend {
    /// Applies a batch in one write transaction (see ``SyncBackend/push(_:from:)``): project check, replay, clock bound,
    /// merge, stored answer, node binding; a refusal rolls everything back.
    public func push(_ request: Wire.PushRequest, from device: Device) async throws -> Wire.PushResponse {
        let maxAhead = maxAheadMs
        let clock = now
        let result: PushOutcome
        do {
            // Each change is checked against its project's published forms.
            let formSets = try await pushForms(request, from: device)
            result = try await store.hostWrite { db in
                // Read inside the transaction: a push waiting behind another must be judged at the time it is applied.
                let date = clock()
                let serverTime = HLC.milliseconds(date)
                try Self.checkProjects(db, of: request, device: device)
                // A node belongs to the first device that pushed from it (unless that device was revoked since): another
                // device's token cannot write under it, nor read its stored answers.
                let owners = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT d.id, d.name, d.revoked FROM device_nodes n JOIN devices d ON d.id = n.device_id
                        WHERE n.node = ? AND n.device_id != ? ORDER BY n.first_seen
                        """, arguments: [request.node, device.id]
                ).map { NodeOwner(name: $0["name"], revoked: ($0["revoked"] as String?) != nil) }
                try NodeOwner.check(owners, node: request.node, device: device)
                if let text = try String.fetchOne(
                    db, sql: "SELECT response FROM batches WHERE node = ? AND batch = ? AND device_id = ?",
                    arguments: [request.node, request.batch, device.id])
                {
                    return .replayed(try Wire.PushResponse(text: text))
                }
                try ClockBound.check(request.changes, serverTime: serverTime, maxAheadMs: maxAhead)
                let outcome = try FieldStore.applyRemote(
                    db, request.changes, catalog: nil, origin: device.name, now: date, checksRecords: true, formSets: formSets)
                // How many batches this node has had applied, this one included: a store that counts fewer has been
                // restored from a backup or copied, and must pull its own node's changes back.
                let nodeBatches = 1 + (try Int.fetchOne(db, sql: "SELECT count(*) FROM batches WHERE node = ?", arguments: [request.node]) ?? 0)
                let response = PushOutcome.response(to: request, outcome, serverTime: serverTime, nodeBatches: nodeBatches)
                let stamp = Timestamp.text(date)
                var stored = response.serialized
                for (record, fields) in outcome.erased {
                    try Self.purgeAnswers(db, record: record, fields: Set(fields))
                    stored = ErasurePurge.strip(stored, record: record, fields: Set(fields)) ?? stored
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO batches (node, batch, device_id, response, created) VALUES (?, ?, ?, ?, ?)",
                    arguments: [request.node, request.batch, device.id, stored, stamp])
                try db.execute(
                    sql: "INSERT OR IGNORE INTO device_nodes (device_id, node, first_seen) VALUES (?, ?, ?)",
                    arguments: [device.id, request.node, stamp])
                // A node newly bound to this device but already bound to another: said once, when it happens.
                let others =
                    db.changesCount == 0
                    ? []
                    : try String.fetchAll(
                        db,
                        sql: """
                            SELECT d.name FROM device_nodes n JOIN devices d ON d.id = n.device_id
                            WHERE n.node = ? AND n.device_id != ? ORDER BY d.name
                            """, arguments: [request.node, device.id])
                try db.execute(sql: "UPDATE devices SET last_seen = ? WHERE id = ?", arguments: [stamp, device.id])
                return .applied(response, otherDevices: others)
            }
        } catch let error as ServiceError {
            throw PushOutcome.refused(error, logger, request: request, device: device)
        }
        return result.logged(logger, request: request, device: device)
    }

    /// Reads a page of the log (see ``SyncBackend/pull(project:after:limit:excludingNode:)``); one writer at a time
    /// makes sequence order commit order, so the cursor never skips.
    public func pull(project: String, after cursor: Int64, limit: Int, excludingNode: String?) async throws -> PullPage {
        let serverTime = serverTime()
        let rows = try await store.logPage(project: project, after: cursor, limit: PullPaging.rowsToRead(limit))
        return PullPaging.page(rows, after: cursor, limit: limit, excludingNode: excludingNode, serverTime: serverTime)
    }

    /// Refuses a batch holding a change for a project the device may not write to, or for no known project.
    private static func checkProjects(_ db: Database, of request: Wire.PushRequest, device: Device) throws {
        let known = try Set(
            PushPolicy.projects(of: request).filter { code in
                try Bool.fetchOne(db, sql: "SELECT 1 FROM projects WHERE code = ?", arguments: [code]) == true
            })
        try PushPolicy.checkProjects(request, device: device, known: known)
    }

    /// Strips a record's erased fields from the stored answers to batches (the store purged its own tables).
    static func purgeAnswers(_ db: Database, record: String, fields: Set<String>) throws {
        for row in try Row.fetchAll(db, sql: "SELECT node, batch, response FROM batches WHERE instr(response, ?) > 0", arguments: [record]) {
            guard let stripped = ErasurePurge.strip(row["response"], record: record, fields: fields) else { continue }
            try db.execute(
                sql: "UPDATE batches SET response = ? WHERE node = ? AND batch = ?",
                arguments: [stripped, row["node"] as String, row["batch"] as String])
        }
    }
}

extension SQLiteBackend {
    /// Device names of nodes (see ``SyncBackend/deviceNames(project:nodes:)``).
    public func deviceNames(project: String, nodes: Set<String>) async throws -> [String: String] {
        guard !nodes.isEmpty else { return [:] }
        let list = nodes.sorted()
        return try await store.hostRead { db in
            var names: [String: String] = [:]
            // A node belongs to the first device that pushed from it.
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT n.node, d.name FROM device_nodes n JOIN devices d ON d.id = n.device_id
                    WHERE (d.project = ? OR d.project IS NULL) AND n.node IN (\(list.map { _ in "?" }.joined(separator: ","))) ORDER BY n.first_seen DESC
                    """, arguments: StatementArguments([project] + list))
            {
                names[row["node"]] = row["name"]
            }
            return names
        }
    }
}

extension SQLiteBackend {
    /// The file's size and its log's (see ``SyncBackend/databaseBytes()``).
    public func databaseBytes() async throws -> Int64 {
        ["", "-wal"].reduce(Int64(0)) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: store.path + suffix)[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }
}

extension SQLiteBackend {
    /// The change log's identity (see ``SyncBackend/logEpoch()``).
    public func logEpoch() async throws -> String {
        // Read first: only the very first answer writes it.
        if let epoch = try await store.hostRead({ db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'log_epoch'") }) {
            return epoch
        }
        return try await store.hostWrite { db in
            try db.execute(sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('log_epoch', ?)", arguments: [LogEpoch.make()])
            return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'log_epoch'") ?? ""
        }
    }

    /// A new identity for the change log (see ``SyncBackend/renewLogEpoch()``).
    public func renewLogEpoch() async throws -> String {
        let epoch = LogEpoch.make()
        try await store.hostWrite { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('log_epoch', ?)", arguments: [epoch])
        }
        return epoch
    }
}

/// The change log's identity: random, 16 hexadecimal characters.
public enum LogEpoch {
    public static func make() -> String { (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() }
}
