import Foundation
import GRDB
import PalabreCore

/// One record read from an import file, before validation.
public struct ImportItem: Sendable {
    /// The line it starts on.
    public var line: Int
    /// The form named by the line, the column or the option.
    public var form: String
    /// The id, when the file gives one (so references inside the file resolve and a re-import is recognised).
    public var id: String?
    /// Field values as read: strings from CSV, JSON values from JSON Lines; converted per field type.
    public var values: [String: Value]
    /// Whether the values are raw text (CSV) to parse, rather than typed JSON values to coerce.
    public var textual: Bool
}

/// What an import did.
public struct ImportSummary: Sendable, Equatable {
    /// Records written, by form.
    public var imported: [String: Int] = [:]
    /// Records already in the store with the same values, left alone.
    public var unchanged = 0
    /// Total written.
    public var total: Int { imported.values.reduce(0, +) }
}

/// Reads import files: JSON Lines (`{"form":…,"id":…,"values":{…}}` or flat `{"form":…,"title":…}`) or CSV with a header.
public enum ImportReader {
    /// Reads a file, choosing the format by extension (`.csv` is CSV, anything else JSON Lines).
    ///
    /// - Throws: ``StoreError/importRejected(file:problems:)`` listing every unreadable line.
    public static func read(path: String, form: String?) throws(StoreError) -> [ImportItem] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .other("cannot read the file \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw .other("\(path) is not UTF-8 text") }
        return path.lowercased().hasSuffix(".csv") ? try csv(text, file: path, form: form) : try jsonLines(text, file: path, form: form)
    }

    /// Reads JSON Lines text.
    public static func jsonLines(_ text: String, file: String, form: String?) throws(StoreError) -> [ImportItem] {
        var items: [ImportItem] = []
        var problems: [String] = []
        var n = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy(\.isWhitespace) { continue }
            do {
                let json = try JSON.parse(String(line))
                guard case .object(let members) = json else { throw JSONError(message: "a line must be a JSON object", offset: 0) }
                let formName = json["form"]?.stringValue ?? form
                guard let formName else {
                    problems.append("line \(n): no form: give \"form\" in the line or --form")
                    continue
                }
                var values: [String: Value] = [:]
                if case .object(let vals)? = json["values"] {
                    for (k, v) in vals { if let value = try Value(json: v) { values[k] = value } }
                } else {
                    for (k, v) in members where !["form", "id", "values"].contains(k) {
                        if let value = try Value(json: v) { values[k] = value }
                    }
                }
                items.append(ImportItem(line: n, form: formName, id: json["id"]?.stringValue, values: values, textual: false))
            } catch {
                problems.append("line \(n): \(error)")
            }
        }
        if !problems.isEmpty { throw .importRejected(file: file, problems: problems) }
        return items
    }

    /// Reads CSV text with a header row; `form` and `id` columns are optional, empty cells are no value.
    public static func csv(_ text: String, file: String, form: String?) throws(StoreError) -> [ImportItem] {
        let reader = try CSVReader(text: text)
        guard let header = reader.rows.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces) }) else { return [] }
        var items: [ImportItem] = []
        var problems: [String] = []
        for (line, cells) in reader.rows.dropFirst() {
            if cells.count != header.count {
                problems.append("line \(line): \(cells.count) cells, but the header has \(header.count) columns")
                continue
            }
            var values: [String: Value] = [:]
            var formName = form
            var id: String?
            for (col, cell) in zip(header, cells) {
                switch col {
                case "form": if !cell.isEmpty { formName = cell }
                case "id": if !cell.isEmpty { id = cell }
                default: if !cell.isEmpty { values[col] = .string(cell) }
                }
            }
            guard let formName else {
                problems.append("line \(line): no form: add a 'form' column or give --form")
                continue
            }
            items.append(ImportItem(line: line, form: formName, id: id, values: values, textual: true))
        }
        if !problems.isEmpty { throw .importRejected(file: file, problems: problems) }
        return items
    }
}

extension FieldStore {
    /// Imports records all together or not at all: every line is checked (types, choices, rules, references to
    /// records in the store or earlier in the file) and if any is bad, nothing is written and every bad line is listed.
    ///
    /// A line whose id is already in the store with the same values is left alone, so importing a file twice is harmless.
    public func importItems(_ items: [ImportItem], catalog: FormCatalog, file: String,
                            progress: ((Int) -> Void)? = nil) throws(StoreError) -> ImportSummary {
        try run {
            try pool.write { db in
                var problems: [String] = []
                var summary = ImportSummary()
                var pending: [String: ReferenceTarget] = [:]
                var prepared: [(Form, String, [String: Value])] = []
                prepared.reserveCapacity(items.count)
                let stored = Self.lookup(db)
                let lookup: (String) -> ReferenceTarget? = { pending[$0] ?? stored($0) }
                let today = Validator.today(self.now())
                var validators: [String: Validator] = [:]
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
                            fail(item, ValidationError(form: form.name, field: name, value: raw.displayString,
                                                       rule: .unknownField(known: form.fields.map(\.name))).message(.en))
                            bad = true
                            continue
                        }
                        do throws(ValidationError) {
                            let v: Value
                            if item.textual, case .string(let s) = raw {
                                v = try FieldParser.parse(s, for: field, form: form.name)
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
                        if existing.form == form.name && existing.values == values {
                            summary.unchanged += 1
                        } else {
                            fail(item, "the id \(id) is already in the store with other values")
                        }
                        continue
                    }
                    pending[id] = ReferenceTarget(form: form.name, deleted: false)
                    prepared.append((form, id, values))
                }
                if !problems.isEmpty { throw StoreError.importRejected(file: file, problems: problems) }

                let identity = try self.identityIn(db)
                // One clock reading for the whole import, then consecutive stamps: each record its own write.
                var clock = HybridLogicalClock(last: HLC(rawValue: try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hlc'") ?? 0))
                let wall = self.now()
                for (n, (form, id, values)) in prepared.enumerated() {
                    let stamp = Stamp(hlc: clock.send(now: wall), node: identity.node)
                    var state = RecordState(id: id, form: form.name, formVersion: form.version, project: identity.project)
                    let change = Change(recordID: id, form: form.name, formVersion: form.version, project: identity.project,
                                        stamp: stamp, values: values.mapValues { Optional($0) })
                    try Self.commit(db, change: change, state: &state, isNew: true, local: true)
                    summary.imported[form.name, default: 0] += 1
                    if n % 5000 == 4999 { progress?(n + 1) }
                }
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'hlc'", arguments: [String(clock.last.rawValue)])
                return summary
            }
        }
    }
}
