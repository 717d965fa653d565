import Foundation
import GRDB
import PalabreCore

extension FieldStore {
    /// Validates and saves a new record; returns its id (a new UUIDv7 unless `id` is given).
    ///
    /// The form's computed fields are filled in first (``Calculation``): calculations, and `start` (the moment given
    /// as `started`, else now), `end`, `today` and `deviceid` (this laptop's name).
    /// - Throws: ``StoreError/invalid(_:)`` listing every problem; nothing is written then.
    @discardableResult
    public func create(
        form: Form, values given: [String: Value], id: String? = nil, started: String? = nil, labels: Language = .fr
    ) throws(StoreError) -> String {
        let id = id ?? RecordID.make(now: now())
        try run {
            try pool.write { db in
                if try Self.fetchRecord(db, id: id) != nil { throw StoreError.other("a record with the id \(id) already exists") }
                let identity = try self.identityIn(db)
                var values = given
                Calculation.fill(&values, form: form, at: self.moment(started: started, device: identity.device, labels: labels))
                let problems = Validator(form: form, today: Validator.today(self.now()), lookup: Self.lookup(db)).problems(values)
                if !problems.isEmpty { throw StoreError.invalid(problems) }
                var state = RecordState(id: id, form: form.name, formVersion: form.version, project: identity.project)
                let stamp = Stamp(hlc: try self.tick(db), node: identity.node)
                let change = Change(
                    recordID: id, form: form.name, formVersion: form.version, project: identity.project,
                    stamp: stamp, values: values.mapValues { Optional($0) })
                try Self.commit(db, change: change, state: &state, isNew: true, local: true, seal: try self.seal(db, forms: [form]))
            }
        }
        return id
    }

    /// Changes fields of a record: `set` values, `unset` clears. Returns false when nothing actually changed.
    ///
    /// The whole record as it would be after the edit is validated, so an edit cannot leave it invalid.
    /// - Throws: ``StoreError/notFound(id:)``, ``StoreError/deleted(id:)``, ``StoreError/invalid(_:)``.
    @discardableResult
    public func edit(
        id: String, set: [String: Value], unset: [String] = [], catalog: FormCatalog, labels: Language = .fr
    ) throws(StoreError) -> Bool {
        try run {
            try pool.write { db in
                guard var record = try Self.fetchRecord(db, id: id) else { throw StoreError.notFound(id: id) }
                if record.isDeleted { throw StoreError.deleted(id: id) }
                let form = try catalog.form(record.form)
                // The record is checked and computed with its values opened: a protected store edits it unlocked.
                if let seal = try self.seal(db, forms: [form]) {
                    record = seal.opening(record)
                    if Seal.holdsSealed(record.state) { throw seal.publicKey == nil ? StoreError.wiped : StoreError.locked }
                }
                // An erased field stays empty: writing it again is refused, and its absence breaks no rule.
                let erased = record.state.erased
                if let again = (Array(set.keys) + unset).sorted().first(where: erased.contains) {
                    throw StoreError.refused("'\(again)' of record \(id) was erased for good: it cannot be written again")
                }
                var after = record.values
                var written: [String: Value?] = [:]
                // What Palabre fills in is not given or cleared by hand (a start moment stays the capture's).
                let computed = (set.keys.map { $0 } + unset).filter { form.field($0)?.type.isComputed == true }
                if !computed.isEmpty {
                    throw StoreError.invalid(
                        computed.sorted().map { ValidationError(form: form.name, field: $0, value: set[$0]?.displayString, rule: .computed) })
                }
                for name in unset {
                    guard form.field(name) != nil || after[name] != nil else {
                        throw ValidationError(form: form.name, field: name, value: nil, rule: .unknownField(known: form.fields.map(\.name)))
                    }
                    if after[name] != nil { written[name] = .some(nil) }
                    after[name] = nil
                }
                for (name, value) in set where after[name] != value {
                    after[name] = value
                    written[name] = value
                }
                // Saving again: `end` moves to now and calculations follow the new answers.
                if !written.isEmpty {
                    var filled = after
                    Calculation.fill(
                        &filled, form: form, at: self.moment(started: nil, device: try self.identityIn(db).device, labels: labels),
                        occasion: .edit)
                    for field in form.fields where field.type.isComputed && filled[field.name] != after[field.name] {
                        written[field.name] = .some(filled[field.name])
                        after[field.name] = filled[field.name]
                    }
                }
                let kept = Set(record.values.keys).subtracting(form.fields.map(\.name))
                let problems = Validator(form: form, today: Validator.today(self.now()), lookup: Self.lookup(db)).problems(after, keptFields: kept)
                    .filter { $0.field.map { !erased.contains($0) } ?? true }
                if !problems.isEmpty { throw StoreError.invalid(problems) }
                if written.isEmpty { return false }
                try self.writeLocal(db, record: record, values: written, formVersion: form.version, form: form)
                return true
            }
        }
    }

    /// Marks a record deleted (a tombstone: the row and its history stay).
    public func delete(id: String) throws(StoreError) { try setDeleted(id: id, true) }

    /// Brings a deleted record back (a later write of its tombstone).
    public func restore(id: String) throws(StoreError) { try setDeleted(id: id, false) }

    func setDeleted(id: String, _ deleted: Bool) throws(StoreError) {
        try run {
            try pool.write { db in
                guard let record = try Self.fetchRecord(db, id: id) else { throw StoreError.notFound(id: id) }
                if record.isDeleted == deleted {
                    throw StoreError.refused(deleted ? "record \(id) is already deleted" : "record \(id) is not deleted")
                }
                try self.writeLocal(db, record: record, values: [deletedField: .bool(deleted)], formVersion: record.state.formVersion)
            }
        }
    }

    /// Stamps and commits a local write to an existing record.
    ///
    /// With `form`, the record is settled as every merge is (``Relevance``): a local write that makes a withheld field
    /// apply again shows it here exactly as the service, which settles the same change, will.
    func writeLocal(_ db: Database, record: StoredRecord, values: [String: Value?], formVersion: Int, form: Form? = nil) throws {
        let identity = try identityIn(db)
        var state = record.state
        let stamp = Stamp(hlc: try tick(db), node: identity.node)
        var prev: [String: Stamp] = [:]
        for k in values.keys { if let s = state.stamps[k] { prev[k] = s } }
        let change = Change(
            recordID: record.id, form: record.form, formVersion: formVersion, project: state.project,
            stamp: stamp, values: values, prev: prev)
        try Self.commit(db, change: change, state: &state, isNew: false, local: true, form: form, seal: try seal(db, forms: form.map { [$0] } ?? []))
    }

    /// Issues the next clock value and persists it in the same transaction as the write it stamps.
    func tick(_ db: Database) throws -> HLC {
        let last = try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hlc'") ?? 0
        var clock = HybridLogicalClock(last: HLC(rawValue: last))
        let t = clock.send(now: now())
        try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'hlc'", arguments: [String(t.rawValue)])
        return t
    }

    /// The moment a capture is saved, by this store's clock.
    func moment(started: String?, device: String, labels: Language = .fr) -> Calculation.Moment {
        Calculation.Moment(started: started, now: DateTimeText.now(now()), today: Validator.today(now()), device: device, labels: labels)
    }

    func identityIn(_ db: Database) throws -> StoreIdentity {
        let node = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'node'") ?? ""
        let project = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'project'") ?? "default"
        let device = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'device'") ?? ""
        return StoreIdentity(node: node, device: device, project: project, language: nil)
    }

    /// Looks up referenced records of one project inside a transaction (a record of another project is not found).
    static func lookup(_ db: Database, project: String) -> (String) -> ReferenceTarget? {
        { id in
            guard let st = try? db.cachedStatement(sql: "SELECT form, deleted FROM records WHERE id = ? AND project = ?"),
                let row = try? Row.fetchOne(st, arguments: [id, project])
            else { return nil }
            return ReferenceTarget(form: row["form"], deleted: (row["deleted"] as Int) != 0)
        }
    }

    /// Looks up referenced records inside a transaction.
    static func lookup(_ db: Database) -> (String) -> ReferenceTarget? {
        { id in
            guard let st = try? db.cachedStatement(sql: "SELECT form, deleted FROM records WHERE id = ?"),
                let row = try? Row.fetchOne(st, arguments: [id])
            else { return nil }
            return ReferenceTarget(form: row["form"], deleted: (row["deleted"] as Int) != 0)
        }
    }

    /// Applies a change to a record's state and writes all of it: the record row, the change log entry, and
    /// every superseded value into history. One call, one consistent step inside the caller's transaction.
    @discardableResult
    ///
    /// With `form`, the merged record is settled (``Relevance``): a field that does not apply is withheld.
    ///
    /// On a protected store (`seal`), the record is merged with its values opened (when unlocked) and written with its
    /// sensitive and contact values sealed: in the record, its history and the change log.
    static func commit(
        _ db: Database, change: Change, state: inout RecordState, isNew: Bool, local: Bool,
        body: String? = nil, form: Form? = nil, seal: Seal?
    ) throws -> [Superseded] {
        var seal = seal
        if let form, seal != nil, seal?.forms[form.name] == nil { seal?.forms[form.name] = form }
        if let seal { state = seal.opening(state) }
        let erasedBefore = state.erased
        let superseded = Merge.apply(change, to: &state)
        if let form { Relevance.settle(&state, form: form) }
        // What is erased is kept nowhere: not in the logged change (a late write of an erased name is logged without
        // it), and not in what the store kept before (history, the log, what is set aside).
        let erased = state.erased
        var change = change
        if !erased.isEmpty {
            change.values = change.values.filter { $0.key == erasedField || !erased.contains($0.key) }
            change.prev = change.prev.filter { !erased.contains($0.key) }
        }
        if erased != erasedBefore { try Self.purgeErased(db, record: state.id, fields: erased) }
        let kept = try seal.map { try $0.sealing(state) } ?? state
        let vals = ValueMap.encode(kept.fieldValues)
        // A new record's first change holds exactly its values: reuse their JSON rather than encode them twice.
        let reuse =
            isNew && body == nil && state.withheld.isEmpty && change.values[deletedField] == nil && change.values.count == state.values.count
            && !change.values.values.contains(where: { $0 == nil })
        let stamps = StampsCodec.encode(stamps: kept.stamps, prevs: kept.prevs, withheld: kept.withheld)
        let deleted = state.isDeleted ? 1 : 0
        if isNew {
            let st = try db.cachedStatement(
                sql: """
                    INSERT INTO records (id, form, form_version, project, vals, stamps, deleted, created_hlc, created_node, updated_hlc)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            try st.execute(arguments: [
                state.id, state.form, state.formVersion, state.project, vals, stamps, deleted,
                change.stamp.hlc.rawValue, change.stamp.node, state.updated.hlc.rawValue,
            ])
        } else {
            // A record is created by its first change: a later one stamped in the past (stale or forged) moves neither
            // when nor by whom it was created.
            let st = try db.cachedStatement(
                sql: "UPDATE records SET form_version = ?, vals = ?, stamps = ?, deleted = ?, updated_hlc = ? WHERE id = ?")
            try st.execute(arguments: [state.formVersion, vals, stamps, deleted, state.updated.hlc.rawValue, state.id])
        }
        let log = try db.cachedStatement(sql: "INSERT INTO changes (record_id, hlc, node, body, local, project) VALUES (?, ?, ?, ?, ?, ?)")
        let text = try body ?? (reuse ? change.serialized(valuesJSON: vals) : (seal.map { try $0.sealing(change) } ?? change).serialized)
        try log.execute(arguments: [change.recordID, change.stamp.hlc.rawValue, change.stamp.node, text, local ? 1 : 0, change.project])
        if !superseded.isEmpty {
            let h = try db.cachedStatement(
                sql: """
                    INSERT INTO history (record_id, field, value, hlc, node, winner_hlc, winner_node, conflict)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for s in superseded {
                try h.execute(arguments: [
                    state.id, s.field,
                    try s.value.map { v in
                        try (seal?.seals(form: state.form, field: s.field) == true ? seal!.sealed(v) : v).json.serialized
                    },
                    s.stamp.hlc.rawValue, s.stamp.node,
                    s.winner.hlc.rawValue, s.winner.node, s.conflict ? 1 : 0,
                ])
            }
        }
        return superseded
    }
}
