import Crypto
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
    /// Records already in the store with the same values, or lines without an id imported before (same content key), left alone.
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
    /// A line without an id is recognised by its content key (see ``ImportKeys``): importing the same file again, or a
    /// longer version of it, imports only the lines not imported before.
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
                    var contentKey: String?
                    if item.id == nil {
                        let key = keys.key(form: form.name, values: values)
                        if try keys.wasImported(key) {
                            summary.unchanged += 1
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
                        if existing.form == form.name && existing.values == values {
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
                try ImportKeys.record(newKeys, db)
                return summary
            }
        }
    }
}

/// Content keys of the lines without an id that this store imported, so a file imported again is recognised.
///
/// A line's key is an HMAC-SHA256, under a secret drawn once per store, of its form, its values as checked (canonical
/// JSON, defaults applied) and its occurrence among identical lines of the file: two identical anonymous participants
/// in one file are two records (occurrences 0 and 1), and importing the file again matches both. The keys live in the
/// store only (table `import_keys`, never synced); keyed, they confirm no guessed name to someone who copies the file.
/// A line edited in the file is a new line; a record deleted after its import is not brought back by a re-import.
struct ImportKeys {
    private let secret: SymmetricKey
    private var seen: [String: Int] = [:]
    private let db: Database

    init(_ db: Database) throws {
        self.db = db
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS import_keys (key TEXT PRIMARY KEY NOT NULL, record_id TEXT NOT NULL) WITHOUT ROWID")
        if let hex = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'import_secret'"), let data = Self.bytes(hex) {
            secret = SymmetricKey(data: data)
        } else {
            let key = SymmetricKey(size: .bits256)
            let hex = key.withUnsafeBytes { Self.hex($0) }
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('import_secret', ?)", arguments: [hex])
            secret = key
        }
    }

    /// The key of the next line with these values (counting the identical lines before it in this file).
    mutating func key(form: String, values: [String: Value]) -> String {
        let content = form + "\n" + ValueMap.encode(values)
        let occurrence = seen[content, default: 0]
        seen[content] = occurrence + 1
        let mac = HMAC<SHA256>.authenticationCode(for: Data((content + "\n" + String(occurrence)).utf8), using: secret)
        return mac.withUnsafeBytes { Self.hex($0) }
    }

    private static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digits[Int(b >> 4)]
                out[2 * i + 1] = digits[Int(b & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    func wasImported(_ key: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM import_keys WHERE key = ?", arguments: [key]) ?? false
    }

    static func record(_ keys: [(String, String)], _ db: Database) throws {
        guard !keys.isEmpty else { return }
        let statement = try db.makeStatement(sql: "INSERT INTO import_keys (key, record_id) VALUES (?, ?)")
        for (key, id) in keys { try statement.execute(arguments: [key, id]) }
    }

    private static func bytes(_ hex: String) -> Data? {
        let chars = Array(hex.utf8)
        guard chars.count == 64 else { return nil }
        var out = Data(capacity: 32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let b = UInt8(String(decoding: chars[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}
