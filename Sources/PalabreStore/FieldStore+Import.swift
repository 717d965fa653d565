import Foundation
import GRDB
import PalabreCore

/// What an import did.
public struct ImportSummary: Sendable, Equatable {
    /// Records written, by form.
    public var imported: [String: Int] = [:]
    /// Records already in the store with the same values, or lines without an id imported before (same content key), left alone.
    public var unchanged = 0
    /// Of those, lines without an id recognised by their content key (see ``ImportKeys``).
    public var recognised = 0
    /// Total written.
    public var total: Int { imported.values.reduce(0, +) }
}

extension FieldStore {
    /// Imports records all together or not at all: every line is checked (types, choices, rules, references to
    /// records in the store or earlier in the file) and if any is bad, nothing is written and every bad line is listed.
    ///
    /// A line whose id is already in the store with the same values is left alone, so importing a file twice is harmless.
    /// A line without an id is recognised by its content key (see ``ImportKeys``): importing the same file again, or a
    /// longer version of it, imports only the lines not imported before.
    ///
    /// With `again`, lines without an id are imported as new records whatever was imported before (their keys are
    /// still recorded).
    public func importItems(
        _ items: [ImportItem], catalog: FormCatalog, file: String, again: Bool = false,
        progress: ((Int) -> Void)? = nil
    ) throws(StoreError) -> ImportSummary {
        try run {
            try pool.write { db in
                let seal = try self.seal(db, forms: catalog.latestForms)
                var problems: [String] = []
                var summary = ImportSummary()
                var pending: [String: ReferenceTarget] = [:]
                var prepared: [(Form, String, [String: Value])] = []
                prepared.reserveCapacity(items.count)
                let stored = Self.lookup(db)
                let lookup: (String) -> ReferenceTarget? = { pending[$0] ?? stored($0) }
                let today = Validator.today(self.now())
                var validators: [String: Validator] = [:]
                var keys = try ImportKeys(db)
                var newKeys: [(String, String)] = []
                func fail(_ item: ImportItem, _ message: String) { problems.append("line \(item.line): \(message)") }

                for item in items {
                    guard let form = catalog[item.form] else {
                        fail(item, ValidationError(form: item.form, field: nil, value: nil, rule: .unknownForm(known: catalog.names)).message(.en))
                        continue
                    }
                    var values: [String: Value] = [:]
                    var bad = false
                    for (name, raw) in item.values {
                        guard let field = form.field(name) else {
                            fail(
                                item,
                                ValidationError(
                                    form: form.name, field: name, value: raw.displayString,
                                    rule: .unknownField(known: form.fields.map(\.name))
                                ).message(.en))
                            bad = true
                            continue
                        }
                        do throws(ValidationError) {
                            let v: Value
                            if item.textual, case .string(let s) = raw {
                                v = try FieldParser.parse(s, for: field, form: form.name, dayFirst: false)
                            } else {
                                v = try FieldParser.coerce(raw, for: field, form: form.name)
                            }
                            if !Validator.isEmpty(v) { values[name] = v }
                        } catch {
                            fail(item, error.message(.en))
                            bad = true
                        }
                    }
                    if bad { continue }
                    // Fields left empty take their form default where they apply, as with `palabre add`.
                    for field in form.fields where values[field.name] == nil {
                        guard let d = field.defaultValue else { continue }
                        let ctx = ExpressionContext(current: nil, today: today) { values[$0] }
                        if field.relevant?.isTrue(ctx) ?? true, let v = try? FieldParser.parse(d, for: field, form: form.name) {
                            values[field.name] = v
                        }
                    }
                    // Calculations the file lacks are computed from its answers (the same each time: a file imported twice
                    // is recognised); moments and devices are the capture's, which an import is not.
                    Calculation.fill(&values, form: form, at: Calculation.Moment(now: "", today: today, device: ""), occasion: .import)
                    var contentKey: String?
                    if item.id == nil {
                        let key = keys.key(form: form.name, values: values)
                        if !again, try keys.wasImported(key) {
                            summary.unchanged += 1
                            summary.recognised += 1
                            continue
                        }
                        contentKey = key
                    }
                    let id = item.id?.lowercased() ?? RecordID.make(now: self.now())
                    if item.id != nil && !RecordID.isValid(id) {
                        fail(item, "'\(item.id!)' is not a valid id (a UUID such as 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e)")
                        continue
                    }
                    if validators[form.name] == nil { validators[form.name] = Validator(form: form, today: today, lookup: lookup) }
                    let found = validators[form.name]!.problems(values)
                    if !found.isEmpty {
                        for p in found { fail(item, p.message(.en)) }
                        continue
                    }
                    if pending[id] != nil {
                        fail(item, "the id \(id) appears twice in the file")
                        continue
                    }
                    if let existing = try Self.fetchRecord(db, id: id) {
                        if existing.form == form.name && (seal?.opening(existing.state).values ?? existing.values) == values {
                            summary.unchanged += 1
                        } else {
                            fail(item, "the id \(id) is already in the store with other values")
                        }
                        continue
                    }
                    pending[id] = ReferenceTarget(form: form.name, deleted: false)
                    prepared.append((form, id, values))
                    if let contentKey { newKeys.append((contentKey, id)) }
                }
                if !problems.isEmpty { throw StoreError.importRejected(file: file, problems: problems) }

                let identity = try self.identityIn(db)
                // One clock reading for the whole import, then consecutive stamps: each record its own write.
                var clock = HybridLogicalClock(
                    last: HLC(rawValue: try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hlc'") ?? 0))
                let wall = self.now()
                for (n, (form, id, values)) in prepared.enumerated() {
                    let stamp = Stamp(hlc: clock.send(now: wall), node: identity.node)
                    var state = RecordState(id: id, form: form.name, formVersion: form.version, project: identity.project)
                    let change = Change(
                        recordID: id, form: form.name, formVersion: form.version, project: identity.project,
                        stamp: stamp, values: values.mapValues { Optional($0) })
                    try Self.commit(db, change: change, state: &state, isNew: true, local: true, seal: seal)
                    summary.imported[form.name, default: 0] += 1
                    if n % 5000 == 4999 { progress?(n + 1) }
                }
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'hlc'", arguments: [String(clock.last.rawValue)])
                try ImportKeys.record(newKeys, db)
                return summary
            }
        }
    }
}
