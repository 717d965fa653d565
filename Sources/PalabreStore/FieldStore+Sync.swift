import Foundation
import GRDB
import PalabreCore

extension FieldStore {
    /// Why a change from elsewhere cannot be applied, or nil when it can.
    ///
    /// Checks the form and its version, the stamp, that the record keeps its form and project, and each value's shape
    /// and choices. References are not checked unless `references` is given: changes may arrive in any order.
    ///
    /// With `references` (the central service, which receives each laptop's changes in the order they were made, so a
    /// record's creation before its edits and a session before its participants) the record is checked whole, exactly
    /// as the CLI checks it before saving: the change's values over the record's current ones must satisfy the form's
    /// required, relevant and constraint rules, and references must name records of the same project. A new record is
    /// checked in full; an edit is refused only for the fields it writes, and not for a field that stopped applying
    /// because another device changed what it depends on (that is a concurrent edit, which the merge rule settles: see
    /// ``Relevance``). Reasons never repeat the value of a sensitive field.
    public static func problem(
        with change: Change, catalog: FormCatalog?, existing: RecordState?,
        references: ((String) -> ReferenceTarget?)? = nil, today: String = ""
    ) -> String? {
        guard RecordID.isValid(change.recordID) else { return "'\(change.recordID)' is not a record id" }
        if change.stamp.node.isEmpty { return "the change has no node" }
        if change.stamp.hlc.rawValue <= 0 {
            return "the change's clock value \(change.stamp.hlc.rawValue) is not a time after 1970: every write is stamped by a running clock"
        }
        if change.formVersion < 1 { return "form version \(change.formVersion) does not exist: versions start at 1" }
        if let existing {
            if existing.form != change.form { return "record \(change.recordID) is a '\(existing.form)', not a '\(change.form)'" }
            if existing.project != change.project {
                return "record \(change.recordID) belongs to project '\(existing.project)', not '\(change.project)'"
            }
        }
        // A value sealed for a laptop's key is noise to everyone else: a laptop never sends one, so one that arrives is
        // refused rather than kept as if it were a name.
        if let sealed = change.values.first(where: { SealedText.isSealed($0.value ?? nil) })?.key {
            return "\(change.form).\(sealed): the value is sealed for one laptop's key and cannot be read here"
        }
        if let e = change.values[erasedField] {
            guard case .list(let fields)? = e, !fields.isEmpty, Set(fields).count == fields.count else {
                return "\(change.form).\(erasedField): must list the fields erased (a list of field names)"
            }
            if change.values.keys.contains(where: { $0 != erasedField && $0 != erasedByField }) {
                return "\(change.form).\(erasedField): an erasure writes nothing else"
            }
        }
        if let by = change.values[erasedByField] {
            guard case .string(let who)? = by, !who.isEmpty, who.count <= 200 else {
                return "\(change.form).\(erasedByField): who erased, as a text of 1 to 200 characters"
            }
        }
        if case .some(.some(let d)) = change.values[deletedField], !(d == .bool(true) || d == .bool(false)) {
            return "\(change.form).\(deletedField): '\(d.displayString)' must be true or false"
        }
        guard let catalog else { return nil }
        guard let latest = catalog[change.form] else {
            return "'\(change.form)' is not a form here (forms: \(catalog.names.joined(separator: ", ")))"
        }
        if change.formVersion > latest.version {
            return "form '\(latest.name)' version \(change.formVersion) is unknown here (latest: \(latest.version)): update the forms"
        }
        // Checked against the version it was made with, when known: a laptop still on version 1 is not held to a field
        // version 2 made required, and a record's fields of other versions are kept as they are.
        let form = catalog.form(change.form, version: change.formVersion) ?? latest
        func reason(_ e: ValidationError) -> String {
            e.message(.en, withholdingValue: e.field.flatMap { form.field($0) }.map { $0.sensitive || $0.contact } ?? false)
        }
        // Only identifying values are erased: what the form marks sensitive or contact.
        if case .list(let fields)?? = change.values[erasedField] {
            for name in fields {
                guard let f = form.field(name), f.sensitive || f.contact else {
                    let identifying = form.fields.filter { $0.sensitive || $0.contact }.map(\.name)
                    return "\(form.name).\(erasedField): '\(name)' is not a sensitive or contact field of the form "
                        + "(only identifying values are erased: \(identifying.isEmpty ? "this form has none" : identifying.joined(separator: ", ")))"
                }
            }
        }
        var validator = Validator(form: form, today: today)
        validator.checksReferences = false
        for (name, value) in change.values where name != deletedField && name != erasedField && name != erasedByField {
            guard let field = form.field(name) else {
                if change.formVersion < form.version { continue }  // a field a later version removed keeps its data
                return ValidationError(
                    form: form.name, field: name, value: nil,
                    rule: .unknownField(known: form.fields.map(\.name))
                ).message(.en)
            }
            guard let value else { continue }
            if let p = validator.check(value, of: field) { return reason(p) }
        }
        guard let references else { return nil }
        // The record as its writer meant it: the current values with this change's written over them.
        if change.values[erasedField] != nil {
            return existing == nil ? "record \(change.recordID) is not here: there is nothing to erase" : nil
        }
        let written = Set(change.values.keys)
        if existing?.isDeleted == true || change.values[deletedField] == .some(.bool(true)) { return nil }
        if existing != nil && written == [deletedField] { return nil }
        var values = existing?.fieldValues ?? [:]
        for (name, value) in change.values where name != deletedField { values[name] = value ?? nil }
        var whole = Validator(form: form, today: today) { id in references(id).map { ReferenceTarget(form: $0.form, deleted: false) } }
        whole.checksReferences = true
        let kept = Set(values.keys.filter { form.field($0) == nil })
        for p in whole.problems(values, keptFields: kept) {
            guard let name = p.field else { return reason(p) }
            // An identifying value may be erased on any store at any time (its writes before the erasure are logged
            // without it): the service cannot require one. The laptop requires it when it is captured.
            if let f = form.field(name), f.sensitive || f.contact {
                switch p.rule {
                case .required, .requiredBecause: continue
                default: break
                }
            }
            if existing != nil {
                guard written.contains(name) else { continue }
                if case .notRelevant = p.rule, let rule = form.field(name)?.relevant, written.isDisjoint(with: rule.fieldReferences) {
                    continue
                }
            }
            return reason(p)
        }
        return nil
    }

    /// Whether a change that cannot be applied waits for a form or version this receiver lacks (a coordinator may
    /// publish it: the change is applied then), rather than breaking a rule of one it has.
    public static func isHeld(_ change: Change, catalog: FormCatalog?) -> Bool {
        guard let catalog else { return false }
        guard let latest = catalog[change.form] else { return true }
        return change.formVersion > latest.version
    }

    /// Applies changes from elsewhere (the service, another store's bundle) inside the caller's transaction.
    ///
    /// Each change is merged field by field; one already known is skipped; one that cannot be applied is set aside
    /// (stored with its reason) and the others still go through. The clock takes every stamp seen into account.
    ///
    /// `forms` (or `catalog`) settles each merged record (``Relevance``): without either, fields are merged as they come.
    ///
    /// With `checksRecords` (the central service) each change is checked against its whole record and its references
    /// (see ``problem(with:catalog:existing:references:today:)``), references looked up in the change's project.
    ///
    /// `formSets` (the service) gives each change its project's forms, in place of `catalog`.
    public static func applyRemote(
        _ db: Database, _ changes: [Change], catalog: FormCatalog?, origin: String,
        now: Date = Date(), checksRecords: Bool = false, forms: FormCatalog? = nil, formSets: FormSets? = nil, seal: Seal? = nil
    ) throws -> ApplyOutcome {
        var outcome = ApplyOutcome()
        // A protected store seals what it receives even when the caller did not say how (nothing to open then).
        let seal = try seal ?? Self.publicSeal(db)
        let known = try db.cachedStatement(sql: "SELECT 1 FROM changes WHERE record_id = ? AND hlc = ? AND node = ?")
        for change in changes {
            if try Bool.fetchOne(known, arguments: [change.recordID, change.stamp.hlc.rawValue, change.stamp.node]) == true {
                outcome.duplicates += 1
                continue
            }
            let existing = try fetchRecord(db, id: change.recordID)
            let references: ((String) -> ReferenceTarget?)? = checksRecords ? Self.lookup(db, project: change.project) : nil
            let catalog = formSets.map { $0[change.project] } ?? catalog
            if let reason = problem(
                with: change, catalog: catalog, existing: existing?.state, references: references,
                today: Validator.today(now, utc: true))
            {
                let held = isHeld(change, catalog: catalog)
                try db.execute(
                    sql: "INSERT INTO set_aside (record_id, body, reason, origin, created, held) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        change.recordID, try (seal.map { try $0.sealing(change, all: true) } ?? change).serialized, reason, origin,
                        ISOTime.text(now, fraction: false), held,
                    ])
                outcome.setAside.append(SetAside(change: change, reason: reason, held: held))
                continue
            }
            var state =
                existing?.state
                ?? RecordState(id: change.recordID, form: change.form, formVersion: change.formVersion, project: change.project)
            let superseded = try commit(
                db, change: change, state: &state, isNew: existing == nil, local: false,
                form: (catalog ?? forms)?[change.form], seal: seal)
            outcome.conflicts += superseded.filter(\.conflict).count
            if state.erased != (existing?.state.erased ?? []) { outcome.erased[change.recordID] = state.erased.sorted() }
            outcome.applied += 1
            outcome.maxHLC = max(outcome.maxHLC, change.stamp.hlc)
        }
        try receive(db, outcome.maxHLC)
        return outcome
    }

    /// Moves the clock's high-water mark up to a stamp seen from elsewhere (never down).
    static func receive(_ db: Database, _ hlc: HLC) throws {
        try db.execute(sql: "UPDATE meta SET value = CAST(max(CAST(value AS INTEGER), ?) AS TEXT) WHERE key = 'hlc'", arguments: [hlc.rawValue])
    }

    // MARK: - Field side of sync

    /// Local changes not yet acknowledged by the service, oldest first.
    public func unsentChanges(limit: Int) throws(StoreError) -> [(seq: Int64, change: Change)] {
        try changes(after: try syncState().pushCursor, localOnly: true, limit: limit, sending: true)
    }

    /// How many local changes wait to be sent.
    public func unsentCount() throws(StoreError) -> Int {
        try run {
            try pool.read { db in
                let cursor = try SyncState.read(db).pushCursor
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM changes WHERE local = 1 AND seq > ?", arguments: [cursor]) ?? 0
            }
        }
    }

    /// Records that the service acknowledged local changes up to `seq`, with what it set aside, in one transaction.
    /// Returns how many batches this store has had acknowledged, this one included.
    @discardableResult
    public func acknowledgePush(upTo seq: Int64, setAside: [SetAside], serverTime: HLC) throws(StoreError) -> Int {
        try run {
            try pool.write { db in
                var state = try SyncState.read(db)
                state.ackedBatches += 1
                state.pushCursor = max(state.pushCursor, seq)
                state.inflight = nil
                state.lastServerTime = serverTime.wallMilliseconds
                try state.write(db)
                let acked = state.ackedBatches
                let seal = try self.seal(db, opening: false)
                for s in setAside {
                    try db.execute(
                        sql: "INSERT INTO set_aside (record_id, body, reason, origin, created, held) VALUES (?, ?, ?, 'service', ?, ?)",
                        arguments: [
                            s.change.recordID, try (seal.map { try $0.sealing(s.change, all: true) } ?? s.change).serialized, s.reason,
                            ISOTime.text(now(), fraction: false), s.held,
                        ])
                }
                try Self.receive(db, serverTime)
                return acked
            }
        }
    }

    /// Applies a pulled page and moves the pull cursor in the same transaction: a crash keeps both or neither.
    ///
    /// `forms` settles each merged record (``Relevance``), as the service does.
    public func applyPulled(
        _ changes: [Change], cursor: Int64, serverTime: HLC,
        forms: FormCatalog? = nil
    ) throws(StoreError) -> ApplyOutcome {
        let outcome = try run {
            try pool.write { db in
                let outcome = try Self.applyRemote(
                    db, changes, catalog: nil, origin: "pull", now: self.now(), forms: forms,
                    seal: try self.seal(db, forms: forms?.latestForms ?? []))
                var state = try SyncState.read(db)
                state.pullCursor = cursor
                state.lastServerTime = serverTime.wallMilliseconds
                try state.write(db)
                try Self.receive(db, serverTime)
                return outcome
            }
        }
        if !outcome.erased.isEmpty { try? checkpointAfterErasure() }
        return outcome
    }

    /// Applies changes from a bundle file or another source, in one transaction.
    public func applyChanges(_ changes: [Change], catalog: FormCatalog?, origin: String) throws(StoreError) -> ApplyOutcome {
        try run {
            try pool.write { db in
                try Self.applyRemote(
                    db, changes, catalog: catalog, origin: origin, now: self.now(), seal: try self.seal(db, forms: catalog?.latestForms ?? []))
            }
        }
    }

    /// Re-stamps the unsent local changes at a corrected time, in their original order, after the service refused
    /// stamps too far ahead of its clock. Safe: nobody else has seen those stamps. Returns how many were re-stamped.
    public func restampUnsent(correctedNow: Date) throws(StoreError) -> Int {
        try run { try pool.write { db in try Self.restampUnsent(db, correctedNow: correctedNow, node: nil) } }
    }

    /// Gives this store a node id of its own, after the service refused its node as another device's (a store copied
    /// from another laptop): the unsent local changes are stamped again under the new node, in order, in one transaction
    /// (the service applied none of them under the old one). Returns the old and new node ids and how many changes moved.
    public func renewNode() throws(StoreError) -> (old: String, new: String, restamped: Int) {
        try run {
            try pool.write { db in
                let old = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'node'") ?? ""
                let new = makeNodeID()
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'node'", arguments: [new])
                // Batches and their count belong to a node: the new one starts with none.
                var state = try SyncState.read(db)
                (state.inflight, state.ackedBatches, state.pullsOwnChanges) = (nil, 0, false)
                try state.write(db)
                let moved = try Self.restampUnsent(db, correctedNow: self.now(), node: new)
                return (old, new, moved)
            }
        }
    }

    /// Re-stamps the unsent local changes inside a transaction, optionally under another node.
    static func restampUnsent(_ db: Database, correctedNow: Date, node newNode: String?) throws -> Int {
        // Changes the service had before a start-over (up to the resend floor) keep their stamps.
        let state = try SyncState.read(db)
        let cursor = max(state.pushCursor, state.resendFloor)
        let rows = try Row.fetchAll(db, sql: "SELECT seq, body FROM changes WHERE local = 1 AND seq > ? ORDER BY seq", arguments: [cursor])
        guard !rows.isEmpty else { return 0 }
        // A clock ahead: start again from the highest stamp the service may have seen (acknowledged and pulled changes).
        // A new node: from the store's clock, so that the moved changes stay above everything written here.
        let floor =
            newNode == nil
            ? try Int64.fetchOne(db, sql: "SELECT max(hlc) FROM changes WHERE local = 0 OR seq <= ?", arguments: [cursor]) ?? 0
            : try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hlc'") ?? 0
        var clock = HybridLogicalClock(last: HLC(rawValue: floor))
        var renamed: [Stamp: Stamp] = [:]
        for row in rows {
            var change = try Change(json: JSON.parse(row["body"] as String))
            let old = change.stamp
            let new = Stamp(hlc: clock.send(now: correctedNow), node: newNode ?? old.node)
            renamed[old] = new
            change.stamp = new
            for (k, p) in change.prev { if let r = renamed[p] { change.prev[k] = r } }
            try db.execute(
                sql: "UPDATE changes SET hlc = ?, node = ?, body = ? WHERE seq = ?",
                arguments: [new.hlc.rawValue, new.node, change.serialized, row["seq"] as Int64])
            guard var record = try Self.fetchRecord(db, id: change.recordID) else { continue }
            for (field, s) in record.state.stamps { if let r = renamed[s] { record.state.stamps[field] = r } }
            for (field, s) in record.state.prevs { if let r = renamed[s] { record.state.prevs[field] = r } }
            // A field this change had lost locally (to a write pulled meanwhile) now carries a later stamp: merge
            // it again, so this store shows what the service will compute, and keep the replaced value.
            for (field, value) in change.values where record.state.stamps[field] != new {
                let current = record.state.stamps[field] ?? .zero
                guard new > current else { continue }
                try db.execute(
                    sql: """
                        INSERT INTO history (record_id, field, value, hlc, node, winner_hlc, winner_node, conflict)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 0)
                        """,
                    arguments: [
                        record.id, field, record.state.values[field].map { $0.json.serialized }, current.hlc.rawValue,
                        current.node, new.hlc.rawValue, new.node,
                    ])
                record.state.values[field] = value
                record.state.stamps[field] = new
                record.state.prevs[field] = change.prev[field] ?? .zero
            }
            let createdRenamed = renamed[record.created]
            try db.execute(
                sql: """
                    UPDATE records SET vals = ?, stamps = ?, deleted = ?, updated_hlc = ?, created_hlc = ?, created_node = ? WHERE id = ?
                    """,
                arguments: [
                    ValueMap.encode(record.state.fieldValues),
                    StampsCodec.encode(
                        stamps: record.state.stamps, prevs: record.state.prevs,
                        withheld: record.state.withheld),
                    record.state.isDeleted ? 1 : 0, record.state.updated.hlc.rawValue,
                    (createdRenamed ?? record.created).hlc.rawValue, (createdRenamed ?? record.created).node,
                    record.id,
                ])
            try db.execute(
                sql: """
                    UPDATE history SET winner_hlc = ?, winner_node = ? WHERE record_id = ? AND winner_hlc = ? AND winner_node = ?
                    """, arguments: [new.hlc.rawValue, new.node, change.recordID, old.hlc.rawValue, old.node])
            try db.execute(
                sql: "UPDATE history SET hlc = ?, node = ? WHERE record_id = ? AND hlc = ? AND node = ?",
                arguments: [new.hlc.rawValue, new.node, change.recordID, old.hlc.rawValue, old.node])
        }
        try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'hlc'", arguments: [String(clock.last.rawValue)])
        return rows.count
    }

    /// Conflicts still open, oldest first: a value that lost to a concurrent write, while the field still holds that
    /// winner. Any later write of the field (a `resolve`, or an edit made after seeing the winner) closes it, on every
    /// store that receives that write.
    public func conflicts(project: String? = nil) throws(StoreError) -> [Conflict] {
        try run {
            try pool.read { db in
                let seal = try self.seal(db)
                return try Self.openConflicts(db, project: project, seal: seal).map { seal?.opening($0) ?? $0 }
            }
        }
    }

    /// Open conflicts, read inside a transaction (the service lists them per project).
    public static func openConflicts(_ db: Database, project: String?) throws -> [Conflict] {
        try openConflicts(db, project: project, seal: nil)
    }

    /// Open conflicts; on a protected store, judged with the values opened (a value and its sealed copy are equal).
    static func openConflicts(_ db: Database, project: String?, seal: Seal?) throws -> [Conflict] {
        var sql = "SELECT h.* FROM history h"
        var args: [any DatabaseValueConvertible] = []
        if let project {
            sql += " JOIN records r ON r.id = h.record_id WHERE r.project = ? AND"
            args.append(project)
        } else {
            sql += " WHERE"
        }
        sql += " h.conflict = 1 AND h.resolved = 0 ORDER BY h.id"
        var out: [Conflict] = []
        var records: [String: StoredRecord] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)) {
            var entry = try decodeHistory(row)
            if let seal { entry = seal.opening(entry) }
            if records[entry.recordID] == nil {
                records[entry.recordID] = try fetchRecord(db, id: entry.recordID).map { seal?.opening($0) ?? $0 }
            }
            guard let record = records[entry.recordID] else { continue }
            guard entry.superseded.isOpen(in: record.state) else { continue }
            out.append(Conflict(entry: entry, form: record.form, current: record.state.values[entry.superseded.field]))
        }
        return out
    }

    /// Closes a conflict on a record's field with a new local write that syncs like any other: `restore` writes the
    /// value that lost, otherwise the current value is written again (kept). Either way the field now holds a write
    /// made after seeing the conflict, which closes it on every store and on the service.
    public func resolve(recordID: String, field: String, restore: Bool, catalog: FormCatalog) throws(StoreError) {
        try run {
            try pool.write { db in
                guard let record = try Self.fetchRecord(db, id: recordID) else { throw StoreError.notFound(id: recordID) }
                guard
                    let latest = try Self.openConflicts(db, project: nil, seal: try self.seal(db)).last(where: {
                        $0.entry.recordID == recordID && $0.entry.superseded.field == field
                    })
                else {
                    throw StoreError.refused("record \(recordID) has no open conflict on '\(field)' (see 'palabre conflicts')")
                }
                let value = restore ? latest.entry.superseded.value : record.state.values[field]
                try self.writeLocal(
                    db, record: record, values: [field: value], formVersion: record.state.formVersion,
                    form: catalog[record.form])
                try db.execute(
                    sql: "UPDATE history SET resolved = 1 WHERE record_id = ? AND field = ? AND conflict = 1",
                    arguments: [recordID, field])
            }
        }
    }

    /// Changes set aside here (by this store when applying, or reported by the service), oldest first.
    public func setAsideChanges() throws(StoreError) -> [SetAsideRecord] {
        try run {
            try pool.read { db in
                let held = try db.columns(in: "set_aside").contains { $0.name == "held" }  // a read-only open of an older store
                let seal = try self.seal(db)
                return try Row.fetchAll(db, sql: "SELECT * FROM set_aside ORDER BY id").map { r in
                    let change = try Change(json: JSON.parse(r["body"] as String))
                    return SetAsideRecord(
                        id: r["id"], change: seal?.opening(change) ?? change, reason: r["reason"],
                        held: held ? r["held"] : false, origin: r["origin"], created: r["created"])
                }
            }
        }
    }

    /// Tries set-aside changes again, oldest first, inside the caller's transaction (the service's): each one that now
    /// applies (or that is already applied) leaves the table, each other keeps its place and first date with the new
    /// reason.
    ///
    /// `formSets` and `checksRecords` are as for ``applyRemote(_:_:catalog:origin:now:checksRecords:forms:formSets:)``:
    /// the service checks again exactly as it checks a push. A laptop never retries what the service set aside: those
    /// are its own changes, which it already holds.
    public static func retrySetAside(
        _ db: Database, ids: [Int64], formSets: FormSets?, checksRecords: Bool, now: Date
    ) throws -> ApplyOutcome {
        var total = ApplyOutcome()
        for id in ids.sorted() {
            guard let row = try Row.fetchOne(db, sql: "SELECT body, origin FROM set_aside WHERE id = ?", arguments: [id]) else { continue }
            let change = try Change(json: JSON.parse(row["body"] as String))
            let outcome = try applyRemote(
                db, [change], catalog: nil, origin: row["origin"], now: now, checksRecords: checksRecords, formSets: formSets)
            if let again = outcome.setAside.first {
                // applyRemote added a row for it: the first one stays, with the latest reason.
                try db.execute(sql: "DELETE FROM set_aside WHERE id = ?", arguments: [db.lastInsertedRowID])
                try db.execute(sql: "UPDATE set_aside SET reason = ?, held = ? WHERE id = ?", arguments: [again.reason, again.held, id])
            } else {
                try db.execute(sql: "DELETE FROM set_aside WHERE id = ?", arguments: [id])
            }
            total.applied += outcome.applied
            total.duplicates += outcome.duplicates
            total.conflicts += outcome.conflicts
            total.setAside += outcome.setAside
            total.maxHLC = max(total.maxHLC, outcome.maxHLC)
        }
        return total
    }

    /// Brings the copies of what the service set aside up to date with what it still holds (`stillSetAside`, this
    /// device's entries there): a change no longer listed was applied since (a coordinator published its version, or
    /// an administrator retried it), and leaves the list. Returns how many left.
    @discardableResult
    public func settleServiceSetAside(
        _ stillSetAside: [(record: String, hlc: Int64, node: String, reason: String, held: Bool)]
    )
        throws(StoreError) -> Int
    {
        try run {
            try pool.write { db in
                var listed: [String: (reason: String, held: Bool)] = [:]
                for e in stillSetAside { listed["\(e.record)|\(e.hlc)|\(e.node)"] = (e.reason, e.held) }
                var left = 0
                for row in try Row.fetchAll(db, sql: "SELECT id, body FROM set_aside WHERE origin = 'service'") {
                    let change = try Change(json: JSON.parse(row["body"] as String))
                    let id: Int64 = row["id"]
                    if let still = listed["\(change.recordID)|\(change.stamp.hlc.rawValue)|\(change.stamp.node)"] {
                        try db.execute(sql: "UPDATE set_aside SET reason = ?, held = ? WHERE id = ?", arguments: [still.reason, still.held, id])
                    } else {
                        try db.execute(sql: "DELETE FROM set_aside WHERE id = ?", arguments: [id])
                        left += 1
                    }
                }
                return left
            }
        }
    }

    /// How many of the service's set-aside reports this store keeps (its own changes the service has not applied).
    public func serviceSetAsideCount() throws(StoreError) -> Int {
        try run { try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM set_aside WHERE origin = 'service'") ?? 0 } }
    }
}

extension FieldStore {
    /// Keeps the device names the service gave for nodes (a pull answer's `devices`).
    public func noteDeviceNames(_ names: [String: String]) throws(StoreError) {
        guard !names.isEmpty else { return }
        try run {
            try pool.write { db in
                for (node, device) in names {
                    try db.execute(
                        sql: "INSERT INTO device_names (node, device) VALUES (?, ?) ON CONFLICT (node) DO UPDATE SET device = excluded.device",
                        arguments: [node, device])
                }
            }
        }
    }

    /// The device names known for nodes: this store's own node and what the service told (none on a store opened
    /// read-only before it was upgraded).
    public func deviceNames() throws(StoreError) -> [String: String] {
        try run {
            try pool.read { db in
                var names: [String: String] = [:]
                if try db.tableExists("device_names") {
                    for row in try Row.fetchAll(db, sql: "SELECT node, device FROM device_names") { names[row["node"]] = row["device"] }
                }
                return names
            }
        }
    }
}
