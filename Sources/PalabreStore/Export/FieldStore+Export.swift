import Foundation
import GRDB
import PalabreCore

/// What to export.
public struct ExportOptions: Sendable {
    /// The formats.
    public enum Format: String, Sendable, CaseIterable {
        /// One CSV file per form in a folder.
        case csv
        /// One JSON object per line, every form in one file.
        case jsonl
        /// One typed table per form, with views joining records to those they reference.
        case sqlite
    }

    /// Only these forms (nil: all).
    public var forms: [String]?
    /// Only records changed on or after this day (`YYYY-MM-DD`).
    public var since: String?
    /// Choice labels in this language instead of codes.
    public var labels: Language?
    /// Keep deleted records, marked in a `deleted` column.
    public var includeDeleted = false
    /// Only records of this project (the central store holds several).
    public var project: String?
    /// Replaces the value of every `sensitive` field (the service passes a keyed-hash pseudonym for analysts).
    public var pseudonymise: (@Sendable (Form, Field, Value) -> Value)?
    /// Leaves `contact` fields (phone numbers) out entirely.
    public var dropContact = false
    /// On a protected store, writes names and phone numbers in the clear (the store must be unlocked); otherwise a
    /// protected store's export shows sensitive fields as a padlock and leaves contact fields out, so the file it
    /// leaves on the laptop names no one.
    public var includeNames = false

    /// Builds options.
    public init(
        forms: [String]? = nil, since: String? = nil, labels: Language? = nil, includeDeleted: Bool = false,
        project: String? = nil, pseudonymise: (@Sendable (Form, Field, Value) -> Value)? = nil, dropContact: Bool = false,
        includeNames: Bool = false
    ) {
        self.includeNames = includeNames
        self.forms = forms
        self.since = since
        self.labels = labels
        self.includeDeleted = includeDeleted
        self.project = project
        self.pseudonymise = pseudonymise
        self.dropContact = dropContact
    }

    /// A record's values as this export may show them: contact fields dropped, sensitive ones pseudonymised.
    func protected(_ record: StoredRecord, form: Form) -> StoredRecord {
        guard pseudonymise != nil || dropContact else { return record }
        var shown = record
        // A field the form does not declare may hold anything (a version dropped it, or a client forged it): left out
        // of every protected view, since nothing says it is safe to show.
        for name in record.state.values.keys where name != deletedField && form.field(name) == nil { shown.state.values[name] = nil }
        for f in form.fields {
            guard let v = record.values[f.name] else { continue }
            if dropContact && f.contact {
                shown.state.values[f.name] = nil
            } else if f.sensitive, let pseudonymise {
                shown.state.values[f.name] = pseudonymise(form, f, v)
            }
        }
        return shown
    }
}

/// What an export wrote.
public struct ExportSummary: Sendable, Equatable {
    /// Records written, by form.
    public var counts: [String: Int] = [:]
    /// Files written.
    public var files: [String] = []
}

/// Writes text to a file through a buffer, so an export of a million records does not make a million writes.
final class BufferedWriter {
    let handle: FileHandle
    var buffer = ""

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw StoreError.other("cannot write \(path)")
        }
        handle = h
    }

    func write(_ s: String) throws {
        buffer += s
        if buffer.utf8.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        try handle.write(contentsOf: Data(buffer.utf8))
        buffer = ""
    }

    func close() throws {
        try flush()
        try handle.close()
    }
}

extension FieldStore {
    /// Exports records as CSV (a folder, one file per form), JSON Lines or SQLite, streaming: records are read through
    /// a cursor and written as they come, so memory stays flat however large the store.
    ///
    /// - Throws: ``StoreError`` when a form is unknown or the destination cannot be written.
    public func export(
        _ format: ExportOptions.Format, to path: String, catalog: FormCatalog, options: ExportOptions = ExportOptions(),
        progress: ((Int) -> Void)? = nil
    ) throws(StoreError) -> ExportSummary {
        var forms: [Form] = []
        for name in options.forms ?? catalog.names {
            guard let form = catalog[name] else {
                throw StoreError.invalid([ValidationError(form: name, field: nil, value: nil, rule: .unknownForm(known: catalog.names))])
            }
            forms.append(form)
        }
        if let since = options.since, !FieldParser.isDate(since) {
            throw StoreError.invalid([ValidationError(form: "export", field: "since", value: since, rule: .wrongType(.date))])
        }
        // A protected store: names only when asked for and unlocked; otherwise none in the file.
        var options = options
        var opening: Seal?
        if let seal = try readingSeal() {
            if options.includeNames {
                guard seal.privateKey != nil else { throw seal.publicKey == nil ? StoreError.wiped : StoreError.locked }
                opening = seal
            } else {
                options.dropContact = true
                if options.pseudonymise == nil { options.pseudonymise = { _, _, _ in .string(SealedText.shown) } }
            }
        }
        var summary = ExportSummary()
        var total = 0
        func tick() {
            total += 1
            if total % 10_000 == 0 { progress?(total) }
        }
        try run {
            switch format {
            case .csv:
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                for form in forms {
                    let file = (path as NSString).appendingPathComponent("\(form.name).csv")
                    let out = try BufferedWriter(path: file)
                    let columns = ExportColumns(form: form, includeDeleted: options.includeDeleted, dropContact: options.dropContact)
                    // A byte-order mark: Excel then opens UTF-8 with accents intact (Ségou, Tombouctou).
                    try out.write("\u{FEFF}" + columns.columns.map { ExportCell.text($0.name).csv }.joined(separator: ",") + "\r\n")
                    var n = 0
                    try forEachRecord(form: form.name, options: options, opening: opening) { record in
                        try out.write(
                            columns.cells(options.protected(record, form: form), labels: options.labels).map(\.csv)
                                .joined(separator: ",") + "\r\n")
                        n += 1
                        tick()
                    }
                    try out.close()
                    summary.counts[form.name] = n
                    summary.files.append(file)
                }
            case .jsonl:
                let out = try BufferedWriter(path: path)
                for form in forms {
                    var n = 0
                    try forEachRecord(form: form.name, options: options, opening: opening) { record in
                        try out.write(Self.jsonLine(options.protected(record, form: form), form: form, labels: options.labels) + "\n")
                        n += 1
                        tick()
                    }
                    summary.counts[form.name] = n
                }
                try out.close()
                summary.files.append(path)
            case .sqlite:
                try? FileManager.default.removeItem(atPath: path)
                let target = try DatabaseQueue(path: path)
                try target.write { db in
                    for form in forms {
                        let columns = ExportColumns(form: form, includeDeleted: options.includeDeleted, dropContact: options.dropContact)
                        let defs = columns.columns.map { "\(Self.quote($0.name)) \($0.kind.sqlType)\($0.name == "id" ? " PRIMARY KEY" : "")" }
                        try db.execute(sql: "CREATE TABLE \(Self.quote(form.name)) (\(defs.joined(separator: ", ")))")
                        let insert = try db.makeStatement(
                            sql:
                                "INSERT INTO \(Self.quote(form.name)) VALUES (\(Array(repeating: "?", count: columns.columns.count).joined(separator: ", ")))"
                        )
                        var n = 0
                        try forEachRecord(form: form.name, options: options, opening: opening) { record in
                            let cells = columns.cells(options.protected(record, form: form), labels: options.labels)
                            let args: [(any DatabaseValueConvertible)?] = cells.map { cell in
                                switch cell {
                                case .empty: return nil
                                case .text(let s): return s
                                case .integer(let i): return i
                                case .real(let d): return d
                                }
                            }
                            try insert.execute(arguments: StatementArguments(args))
                            n += 1
                            tick()
                        }
                        summary.counts[form.name] = n
                    }
                    try Self.createJoinViews(db, forms: forms, options: options)
                }
                try target.close()
                summary.files.append(path)
            }
        }
        return summary
    }

    /// Reads a form's records oldest first through a cursor, one at a time.
    func forEachRecord(form: String, options: ExportOptions, opening: Seal? = nil, _ body: (StoredRecord) throws -> Void) throws {
        try pool.read { db in
            var sql = "SELECT * FROM records WHERE form = ?"
            var args: [any DatabaseValueConvertible] = [form]
            if !options.includeDeleted { sql += " AND deleted = 0" }
            if let project = options.project {
                sql += " AND project = ?"
                args.append(project)
            }
            if let since = options.since, let day = CivilDate(since) {
                sql += " AND updated_hlc >= ?"
                args.append(HLC(wallMilliseconds: day.daysSince1970 * 86_400_000).rawValue)
            }
            sql += " ORDER BY created_hlc, id"
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(args))
            while let row = try cursor.next() {
                let record = try Self.decodeRecord(row, stamps: false)
                try body(opening?.opening(record) ?? record)
            }
        }
    }

    /// A JSON Lines record: the shape `palabre list --json` prints, choice labels on request.
    static func jsonLine(_ record: StoredRecord, form: Form, labels: Language?) -> String {
        guard let labels else { return record.json(form: form).serialized }
        var shown = record
        for f in form.fields {
            guard let v = record.values[f.name] else { continue }
            switch (f.type, v) {
            case (.selectOne, .string(let s)): shown.state.values[f.name] = .string(f.choice(s)?.label.text(labels) ?? s)
            case (.selectMultiple, .list(let l)): shown.state.values[f.name] = .list(l.map { f.choice($0)?.label.text(labels) ?? $0 })
            default: break
            }
        }
        return shown.json(form: form).serialized
    }

    /// Views joining each record to the record a reference field points at (`participant_session`…).
    static func createJoinViews(_ db: Database, forms: [Form], options: ExportOptions) throws {
        let byName = Dictionary(uniqueKeysWithValues: forms.map { ($0.name, $0) })
        for form in forms {
            for field in form.fields where field.type == .reference {
                guard let target = field.referencedForm.flatMap({ byName[$0] }) else { continue }
                let targetColumns = ExportColumns(form: target, includeDeleted: options.includeDeleted, dropContact: options.dropContact)
                    .columns.map(\.name)
                    .filter { !$0.contains("/") && !["created", "updated", "device", "deleted", "form_version"].contains($0) }
                let joined = targetColumns.map { "t.\(quote($0)) AS \(quote("\(field.name)_\($0)"))" }.joined(separator: ", ")
                try db.execute(
                    sql: """
                        CREATE VIEW \(quote("\(form.name)_\(field.name)")) AS
                        SELECT r.*, \(joined) FROM \(quote(form.name)) r LEFT JOIN \(quote(target.name)) t ON t.id = r.\(quote(field.name))
                        """)
            }
        }
    }

    static func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
