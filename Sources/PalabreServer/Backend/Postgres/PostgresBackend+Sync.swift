import Foundation
import Logging
import PalabreCore
import PalabreStore
import PostgresNIO

extension PostgresBackend {
    /// Rows a push writes, gathered while merging and written in a few statements.
    private struct Writes {
        var newRecords: [RecordRow] = []
        var updatedRecords: [RecordRow] = []
        var changes: [(project: String, record: String, hlc: Int64, node: String, body: String)] = []
        var history: [(record: String, s: Superseded)] = []
        var setAside: [(record: String, body: String, reason: String, held: Bool)] = []
        /// Records whose erasure grew in this batch, with every field now erased: their copies are purged.
        var erased: [String: Set<String>] = [:]
    }

    /// Applies a batch in one transaction (see ``SyncBackend/push(_:from:)`` and the type's notes on concurrency).
    public func push(_ request: Wire.PushRequest, from device: Device) async throws -> Wire.PushResponse {
        let maxAhead = maxAheadMs
        // Each change is checked against its project's published forms.
        let forms = try await pushForms(request, from: device)
        let clock = now
        let logger = logger
        let hook = beforeCommit
        let result: PushOutcome
        do {
            result = try await transaction { db in
                let date = clock()
                let serverTime = HLC.milliseconds(date)
                let stamp = Timestamp.text(date)
                // A node belongs to the first device that pushed from it (unless revoked since): see NodeOwner.
                var owners: [NodeOwner] = []
                for try await (name, revoked) in try await db.query(
                    """
                    SELECT d.name, d.revoked FROM device_nodes n JOIN devices d ON d.id = n.device_id
                    WHERE n.node = \(request.node) AND n.device_id <> \(device.id) ORDER BY n.first_seen
                    """, logger: logger
                ).decode((String, String?).self) { owners.append(NodeOwner(name: name, revoked: revoked != nil)) }
                try NodeOwner.check(owners, node: request.node, device: device)
                // The batch's row first: a concurrent push of the same batch waits here until this one commits, then
                // finds it and answers with the stored response.
                let claimed = try await db.query(
                    """
                    INSERT INTO batches (node, batch, device_id, response, created) VALUES (\(request.node), \(request.batch), \(device.id), '', \(stamp))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger: logger
                ).collect()
                // A batch first sent with the node's previous (revoked) device's token is applied again for this one
                // (duplicates are recognised change by change): that device's stored answer is not this one's to read.
                let takenOver =
                    claimed.isEmpty
                    ? try await db.query(
                        """
                        UPDATE batches SET device_id = \(device.id), response = '', created = \(stamp)
                        WHERE node = \(request.node) AND batch = \(request.batch) AND device_id <> \(device.id) RETURNING 1
                        """, logger: logger
                    ).collect() : []
                if claimed.isEmpty && takenOver.isEmpty {
                    let rows = try await db.query(
                        "SELECT response FROM batches WHERE node = \(request.node) AND batch = \(request.batch)",
                        logger: logger
                    ).collect()
                    guard let text = try rows.first?.decode(String.self) else {
                        throw ServiceError.unavailable("batch \(request.batch) vanished while being replayed; send it again")
                    }
                    return .replayed(try Wire.PushResponse(text: text))
                }
                try await Self.checkProjects(db, of: request, device: device, logger: logger)
                try ClockBound.check(request.changes, serverTime: serverTime, maxAheadMs: maxAhead)
                // The device and its node before any record: every push takes its locks in the same order.
                let bound = try await db.query(
                    """
                    INSERT INTO device_nodes (device_id, node, first_seen) VALUES (\(device.id), \(request.node), \(stamp))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger: logger
                ).collect()
                var others: [String] = []
                if !bound.isEmpty {
                    for try await name in try await db.query(
                        """
                        SELECT d.name FROM device_nodes n JOIN devices d ON d.id = n.device_id
                        WHERE n.node = \(request.node) AND n.device_id <> \(device.id) ORDER BY d.name
                        """, logger: logger
                    ).decode(String.self) { others.append(name) }
                }
                try await db.run("UPDATE devices SET last_seen = \(stamp) WHERE id = \(device.id)", logger)

                let (outcome, writes) = try await Self.merge(db, request.changes, forms: forms, now: date, logger: logger)
                try await Self.write(writes, db, origin: device.name, created: stamp, logger: logger)
                let nodeBatches =
                    try await db.query("SELECT count(*) FROM batches WHERE node = \(request.node)", logger: logger)
                    .collect().first?.decode(Int64.self) ?? 1
                let response = PushOutcome.response(to: request, outcome, serverTime: serverTime, nodeBatches: Int(nodeBatches))
                try await db.run(
                    "UPDATE batches SET response = \(response.serialized) WHERE node = \(request.node) AND batch = \(request.batch)",
                    logger)
                // Last, the change log: the project rows it locks are then held only for one INSERT and the COMMIT.
                try await Self.appendToLog(writes.changes, db, logger: logger)
                if let hook { await hook() }
                return .applied(response, otherDevices: others)
            }
        } catch let error as ServiceError {
            throw PushOutcome.refused(error, logger, request: request, device: device)
        }
        return result.logged(logger, request: request, device: device)
    }

    /// Merges changes into their records, locked for the rest of the transaction; the same rule as a field store's
    /// `applyRemote`: a known change is a duplicate, a change that cannot be applied is set aside, the others merge
    /// field by field.
    private static func merge(
        _ db: PostgresConnection, _ changes: [Change], forms: FormSets, now: Date,
        logger: Logger
    ) async throws -> (ApplyOutcome, Writes) {
        var outcome = ApplyOutcome()
        var writes = Writes()
        let ids = Array(Set(changes.map(\.recordID))).sorted()
        // Existing records, locked in id order (a new one is inserted at the end: a concurrent insert of the same id
        // fails with a unique violation and the whole push runs again, finding it).
        var states: [String: (state: RecordState, created: Stamp)] = [:]
        var existing: Set<String> = []
        for try await (id, form, version, project, vals, stamps, deleted, chlc, cnode, uhlc) in try await db.query(
            """
            SELECT id, form, form_version, project, vals, stamps, deleted, created_hlc, created_node, updated_hlc
            FROM records WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE
            """, logger: logger
        ).decode((String, String, Int32, String, String, String, Bool, Int64, String, Int64).self) {
            let record = try RecordRow(
                id: id, form: form, formVersion: Int(version), project: project, vals: vals, stamps: stamps,
                deleted: deleted, createdHLC: chlc, createdNode: cnode, updatedHLC: uhlc
            ).decode()
            states[id] = (record.state, record.created)
            existing.insert(id)
        }
        // Changes already in the log.
        var known: Set<Stamp.Key> = []
        for try await (record, hlc, node) in try await db.query(
            """
            SELECT c.record_id, c.hlc, c.node FROM changes c
            JOIN unnest(\(changes.map(\.recordID)), \(changes.map(\.stamp.hlc.rawValue)), \(changes.map(\.stamp.node))) AS u(r, h, n)
              ON c.record_id = u.r AND c.hlc = u.h AND c.node = u.n
            """, logger: logger
        ).decode((String, Int64, String).self) {
            known.insert(Stamp.Key(record: record, hlc: hlc, node: node))
        }
        // Records referenced by the batch, to check references as the CLI does (in the change's project only).
        var referenced: [String: (form: String, project: String)] = [:]
        let refIDs = Array(
            Set(
                changes.flatMap { change -> [String] in
                    guard let form = forms[change.project]?[change.form] else { return [] }
                    return change.values.compactMap { name, value in
                        guard form.field(name)?.type == .reference, case .some(.string(let id)) = value, RecordID.isValid(id) else { return nil }
                        return id
                    }
                })
        ).sorted()
        if !refIDs.isEmpty {
            for try await (id, form, project) in try await db.query(
                "SELECT id, form, project FROM records WHERE id = ANY(\(refIDs))",
                logger: logger
            ).decode((String, String, String).self) {
                referenced[id] = (form, project)
            }
        }
        let today = Validator.today(now, utc: true)
        var touched: Set<String> = []
        for change in changes {
            let key = Stamp.Key(record: change.recordID, hlc: change.stamp.hlc.rawValue, node: change.stamp.node)
            if known.contains(key) {
                outcome.duplicates += 1
                continue
            }
            let current = states[change.recordID]
            let references: (String) -> ReferenceTarget? = { id in
                if let inBatch = states[id]?.state, inBatch.project == change.project { return ReferenceTarget(form: inBatch.form, deleted: false) }
                guard let found = referenced[id], found.project == change.project else { return nil }
                return ReferenceTarget(form: found.form, deleted: false)
            }
            if let reason = FieldStore.problem(
                with: change, catalog: forms[change.project], existing: current?.state, references: references, today: today)
            {
                let held = FieldStore.isHeld(change, catalog: forms[change.project])
                writes.setAside.append((change.recordID, change.serialized, reason, held))
                outcome.setAside.append(SetAside(change: change, reason: reason, held: held))
                continue
            }
            var state =
                current?.state
                ?? RecordState(id: change.recordID, form: change.form, formVersion: change.formVersion, project: change.project)
            // A record is created by its first change; a later one stamped in the past (a forged or stale write) does not
            // move when or by whom it was created.
            let created = current?.created ?? change.stamp
            let superseded = Merge.apply(change, to: &state)
            if let form = forms[change.project]?[change.form] { Relevance.settle(&state, form: form) }
            touched.insert(change.recordID)
            states[change.recordID] = (state, created)
            known.insert(key)
            let erased = state.erased
            if erased != (current?.state.erased ?? []) {
                writes.erased[change.recordID] = erased
                outcome.erased[change.recordID] = erased.sorted()
            }
            // A write of an erased field is logged without it (as a field store does).
            let body = erased.isEmpty ? change.serialized : (try FieldStore.strip(change.serialized, fields: erased) ?? change.serialized)
            writes.changes.append((change.project, change.recordID, change.stamp.hlc.rawValue, change.stamp.node, body))
            for s in superseded { writes.history.append((change.recordID, s)) }
            outcome.conflicts += superseded.filter(\.conflict).count
            outcome.applied += 1
            outcome.maxHLC = max(outcome.maxHLC, change.stamp.hlc)
        }
        // What this batch wrote before an erasure in the same batch goes too.
        for (record, fields) in writes.erased {
            writes.history.removeAll { $0.record == record && fields.contains($0.s.field) }
            for i in writes.changes.indices where writes.changes[i].record == record {
                if let stripped = try FieldStore.strip(writes.changes[i].body, fields: fields) { writes.changes[i].body = stripped }
            }
            for i in writes.setAside.indices where writes.setAside[i].record == record {
                if let stripped = try FieldStore.strip(writes.setAside[i].body, fields: fields) { writes.setAside[i].body = stripped }
            }
        }
        for id in touched.sorted() {
            guard let (state, created) = states[id] else { continue }
            let row = RecordRow(state: state, created: created)
            if existing.contains(id) { writes.updatedRecords.append(row) } else { writes.newRecords.append(row) }
        }
        return (outcome, writes)
    }

    /// Writes what a merge produced: records, history, set-aside changes (the change log comes last, in `push`).
    private static func write(_ w: Writes, _ db: PostgresConnection, origin: String, created: String, logger: Logger) async throws {
        for (record, fields) in w.erased.sorted(by: { $0.key < $1.key }) {
            try await purgeErased(db, record: record, fields: fields, logger: logger)
        }
        for (rows, isNew) in [(w.newRecords, true), (w.updatedRecords, false)] where !rows.isEmpty {
            let ids = rows.map(\.id), forms = rows.map(\.form), versions = rows.map { Int64($0.formVersion) }, projects = rows.map(\.project)
            let vals = rows.map(\.vals), stamps = rows.map(\.stamps), deleted = rows.map(\.deleted)
            let chlc = rows.map(\.createdHLC), cnode = rows.map(\.createdNode), uhlc = rows.map(\.updatedHLC)
            if isNew {
                try await db.run(
                    """
                    INSERT INTO records (id, form, form_version, project, vals, stamps, deleted, created_hlc, created_node, updated_hlc)
                    SELECT * FROM unnest(\(ids), \(forms), \(versions)::int8[], \(projects), \(vals), \(stamps), \(deleted), \(chlc), \(cnode), \(uhlc))
                    """, logger)
            } else {
                try await db.run(
                    """
                    UPDATE records r SET form_version = u.v, vals = u.vals, stamps = u.stamps, deleted = u.deleted, created_hlc = u.chlc,
                        created_node = u.cnode, updated_hlc = u.uhlc
                    FROM unnest(\(ids), \(versions)::int8[], \(vals), \(stamps), \(deleted), \(chlc), \(cnode), \(uhlc))
                        AS u(id, v, vals, stamps, deleted, chlc, cnode, uhlc)
                    WHERE r.id = u.id
                    """, logger)
            }
        }
        if !w.history.isEmpty {
            let h = w.history
            try await db.run(
                """
                INSERT INTO history (record_id, field, value, hlc, node, winner_hlc, winner_node, conflict)
                SELECT r, f, CASE WHEN has THEN v END, h, n, wh, wn, c
                FROM unnest(\(h.map(\.record)), \(h.map(\.s.field)), \(h.map { $0.s.value?.json.serialized ?? "" }), \(h.map { $0.s.value != nil }),
                            \(h.map(\.s.stamp.hlc.rawValue)), \(h.map(\.s.stamp.node)), \(h.map(\.s.winner.hlc.rawValue)),
                            \(h.map(\.s.winner.node)), \(h.map(\.s.conflict))) AS u(r, f, v, has, h, n, wh, wn, c)
                """, logger)
        }
        if !w.setAside.isEmpty {
            let s = w.setAside
            try await db.run(
                """
                INSERT INTO set_aside (record_id, body, reason, origin, created, held)
                SELECT r, b, why, \(origin), \(created), h
                FROM unnest(\(s.map(\.record)), \(s.map(\.body)), \(s.map(\.reason)), \(s.map(\.held))) AS u(r, b, why, h)
                """, logger)
        }
    }

    /// Removes what the service kept of a record's erased fields: history, their values in the change log, in what is
    /// set aside and in the stored answers to batches (the erasure itself stays: it is the tombstone).
    static func purgeErased(_ db: PostgresConnection, record: String, fields: Set<String>, logger: Logger) async throws {
        try await db.run("DELETE FROM history WHERE record_id = \(record) AND field = ANY(\(fields.sorted()))", logger)
        var logged: [(Int64, String, String)] = []
        for try await row in try await db.query("SELECT hlc, node, body FROM changes WHERE record_id = \(record)", logger: logger).decode(
            (Int64, String, String).self)
        {
            if let stripped = try FieldStore.strip(row.2, fields: fields) { logged.append((row.0, row.1, stripped)) }
        }
        for (hlc, node, body) in logged {
            try await db.run("UPDATE changes SET body = \(body) WHERE record_id = \(record) AND hlc = \(hlc) AND node = \(node)", logger)
        }
        var aside: [(Int64, String)] = []
        for try await row in try await db.query("SELECT id, body FROM set_aside WHERE record_id = \(record)", logger: logger).decode(
            (Int64, String).self)
        {
            if let stripped = try FieldStore.strip(row.1, fields: fields) { aside.append((row.0, stripped)) }
        }
        for (id, body) in aside { try await db.run("UPDATE set_aside SET body = \(body) WHERE id = \(id)", logger) }
        var answers: [(String, String, String)] = []
        for try await row in try await db.query(
            "SELECT node, batch, response FROM batches WHERE strpos(response, \(record)) > 0", logger: logger
        ).decode((String, String, String).self) {
            if let stripped = ErasurePurge.strip(row.2, record: record, fields: fields) { answers.append((row.0, row.1, stripped)) }
        }
        for (node, batch, response) in answers {
            try await db.run("UPDATE batches SET response = \(response) WHERE node = \(node) AND batch = \(batch)", logger)
        }
    }

    /// Every change set aside, oldest first (see ``SyncBackend/setAsideRecords()``).
    public func setAsideRecords() async throws -> [SetAsideRecord] {
        let logger = logger
        return try await withReadConnection { db in
            var out: [SetAsideRecord] = []
            for try await (id, body, reason, held, origin, created) in try await db.query(
                "SELECT id, body, reason, held, origin, created FROM set_aside ORDER BY id", logger: logger
            ).decode((Int64, String, String, Bool, String, String).self) {
                out.append(
                    SetAsideRecord(id: id, change: try Change(json: JSON.parse(body)), reason: reason, held: held, origin: origin, created: created))
            }
            return out
        }
    }

    /// Tries set-aside changes again in one transaction (see ``SyncBackend/retrySetAside(ids:formSets:)``): merged as
    /// one batch in their first order, so a held session comes before its held participants.
    public func retrySetAside(ids: [Int64], formSets: FormSets) async throws -> ApplyOutcome {
        let clock = now
        let logger = logger
        return try await transaction { db in
            var rows: [(id: Int64, change: Change)] = []
            for try await (id, body) in try await db.query(
                "SELECT id, body FROM set_aside WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE", logger: logger
            ).decode((Int64, String).self) { rows.append((id, try Change(json: JSON.parse(body)))) }
            guard !rows.isEmpty else { return ApplyOutcome() }
            var (outcome, writes) = try await Self.merge(db, rows.map(\.change), forms: formSets, now: clock(), logger: logger)
            var again: [Stamp.Key: (reason: String, held: Bool)] = [:]
            for s in outcome.setAside {
                again[Stamp.Key(record: s.change.recordID, hlc: s.change.stamp.hlc.rawValue, node: s.change.stamp.node)] = (s.reason, s.held)
            }
            writes.setAside = []
            try await Self.write(writes, db, origin: "", created: "", logger: logger)
            var done: [Int64] = []
            var kept: [(id: Int64, reason: String, held: Bool)] = []
            for row in rows {
                let c = row.change
                if let still = again[Stamp.Key(record: c.recordID, hlc: c.stamp.hlc.rawValue, node: c.stamp.node)] {
                    kept.append((row.id, still.reason, still.held))
                } else {
                    done.append(row.id)
                }
            }
            try await db.run("DELETE FROM set_aside WHERE id = ANY(\(done))", logger)
            if !kept.isEmpty {
                try await db.run(
                    """
                    UPDATE set_aside s SET reason = u.why, held = u.h
                    FROM unnest(\(kept.map(\.id)), \(kept.map(\.reason)), \(kept.map(\.held))) AS u(id, why, h) WHERE s.id = u.id
                    """, logger)
            }
            try await Self.appendToLog(writes.changes, db, logger: logger)
            return outcome
        }
    }

    /// Appends changes to the log. Each project's row is locked (in code order) and its `last_seq` moved on; the lock
    /// is held until COMMIT, so positions are handed out in commit order: a reader that sees position n sees every
    /// position below it, and a pull cursor never skips.
    static func appendToLog(
        _ changes: [(project: String, record: String, hlc: Int64, node: String, body: String)],
        _ db: PostgresConnection, logger: Logger
    ) async throws {
        let byProject = Dictionary(grouping: changes, by: \.project)
        for project in byProject.keys.sorted() {
            let rows = byProject[project]!
            guard
                let last = try await db.query(
                    """
                    UPDATE projects SET last_seq = last_seq + \(Int64(rows.count)) WHERE code = \(project) RETURNING last_seq
                    """, logger: logger
                ).collect().first?.decode(Int64.self)
            else {
                throw ServiceError.forbidden("there is no project '\(project)' on this service: nothing was applied")
            }
            let first = last - Int64(rows.count) + 1
            try await db.run(
                """
                INSERT INTO changes (project, seq, record_id, hlc, node, body)
                SELECT \(project), \(first) + ord - 1, r, h, n, b
                FROM unnest(\(rows.map(\.record)), \(rows.map(\.hlc)), \(rows.map(\.node)), \(rows.map(\.body))) WITH ORDINALITY AS u(r, h, n, b, ord)
                """, logger)
        }
    }

    /// Reads a page of a project's log (see ``SyncBackend/pull(project:after:limit:excludingNode:)``).
    public func pull(project: String, after cursor: Int64, limit: Int, excludingNode: String?) async throws -> PullPage {
        let serverTime = serverTime()
        let logger = logger
        return try await withReadConnection { db in
            var rows: [(seq: Int64, node: String, body: String)] = []
            for try await row in try await db.query(
                """
                SELECT seq, node, body FROM changes WHERE project = \(project) AND seq > \(cursor) ORDER BY seq LIMIT \(Int64(PullPaging.rowsToRead(limit)))
                """, logger: logger
            ).decode((Int64, String, String).self) { rows.append((seq: row.0, node: row.1, body: row.2)) }
            return PullPaging.page(rows, after: cursor, limit: limit, excludingNode: excludingNode, serverTime: serverTime)
        }
    }

    /// Refuses a batch holding a change for a project the device may not write to, or for no known project.
    private static func checkProjects(_ db: PostgresConnection, of request: Wire.PushRequest, device: Device, logger: Logger) async throws {
        let codes = PushPolicy.projects(of: request)
        var known: Set<String> = []
        for try await code in try await db.query("SELECT code FROM projects WHERE code = ANY(\(codes))", logger: logger).decode(String.self) {
            known.insert(code)
        }
        try PushPolicy.checkProjects(request, device: device, known: known)
    }
}

extension Stamp {
    /// A change's identity in the log: record, clock value, node.
    struct Key: Hashable {
        var record: String
        var hlc: Int64
        var node: String
    }
}

extension PostgresBackend {
    /// Device names of nodes (see ``SyncBackend/deviceNames(project:nodes:)``).
    public func deviceNames(project: String, nodes: Set<String>) async throws -> [String: String] {
        guard !nodes.isEmpty else { return [:] }
        let list = nodes.sorted()
        let logger = logger
        return try await withReadConnection { db in
            var names: [String: String] = [:]
            // A node belongs to the first device that pushed from it.
            let rows = try await db.query(
                """
                SELECT n.node, d.name FROM device_nodes n JOIN devices d ON d.id = n.device_id
                WHERE (d.project = \(project) OR d.project IS NULL) AND n.node = ANY(\(list)) ORDER BY n.first_seen DESC
                """, logger: logger)
            for try await (node, name) in rows.decode((String, String).self) { names[node] = name }
            return names
        }
    }
}

extension PostgresBackend {
    /// The database's size (see ``SyncBackend/databaseBytes()``).
    public func databaseBytes() async throws -> Int64 {
        let logger = logger
        return try await withReadConnection { db in
            try await db.query("SELECT pg_database_size(current_database())::bigint", logger: logger).collect().first?.decode(Int64.self) ?? 0
        }
    }
}

extension PostgresBackend {
    /// The change log's identity (see ``SyncBackend/logEpoch()``), one for every instance.
    public func logEpoch() async throws -> String { try await metaValue("log_epoch") { LogEpoch.make() } }

    /// A new identity for the change log (see ``SyncBackend/renewLogEpoch()``).
    public func renewLogEpoch() async throws -> String {
        let epoch = LogEpoch.make()
        let logger = logger
        try await withConnection { db in
            try await db.run(
                "INSERT INTO meta (key, value) VALUES ('log_epoch', \(epoch)) ON CONFLICT (key) DO UPDATE SET value = excluded.value", logger)
        }
        return epoch
    }
}
