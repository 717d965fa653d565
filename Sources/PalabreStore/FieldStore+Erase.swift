import Foundation
import GRDB
import PalabreCore

extension FieldStore {
    /// Erases a record's identifying values (its form's sensitive and contact fields) for good: a person withdrew
    /// consent or asked to be forgotten. The erasure is a change like any other (``erasedField``, with who erased in
    /// ``erasedByField``), so it reaches the service and every laptop at their next sync, and wins there over every
    /// write of those fields, concurrent or later. Returns the fields erased.
    ///
    /// - Throws: ``StoreError/notFound(id:)``; ``StoreError/refused(_:)`` when the form has no identifying field or `by`
    ///   is empty.
    ///
    /// `inside` runs in the same transaction with the fields erased (the service purges its own tables there). With
    /// `unlessErased`, a record whose identifying fields are all erased already is left as it is (and `[]` returned).
    @discardableResult
    public func erase(
        id: String, by: String, catalog: FormCatalog, unlessErased: Bool = false, inside: ((Database, Set<String>) throws -> Void)? = nil
    ) throws(StoreError) -> [String] {
        let by = by.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !by.isEmpty, by.count <= 200 else { throw StoreError.refused("say who erases (--by), in at most 200 characters") }
        let fields = try run {
            try pool.write { db -> [String] in
                guard let record = try Self.fetchRecord(db, id: id) else { throw StoreError.notFound(id: id) }
                let form = try catalog.form(record.form)
                let fields = form.fields.filter { $0.sensitive || $0.contact }.map(\.name)
                guard !fields.isEmpty else {
                    throw StoreError.refused("a '\(form.name)' holds no identifying value (no sensitive or contact field): nothing to erase")
                }
                if unlessErased, Set(fields).isSubset(of: record.state.erased) { return [] }
                try self.writeLocal(
                    db, record: record, values: [erasedField: .list(fields), erasedByField: .string(by)], formVersion: record.state.formVersion)
                try inside?(db, Set(fields))
                return fields
            }
        }
        if !fields.isEmpty { try? checkpointAfterErasure() }
        return fields
    }

    /// The tombstone of an erasure: which fields, when (the erasure's stamp) and by whom; nil when none.
    public func erasure(of id: String) throws(StoreError) -> (fields: [String], at: HLC, by: String?)? {
        guard let record = try record(id), !record.state.erased.isEmpty else { return nil }
        let by: String? = if case .string(let s)? = record.state.values[erasedByField] { s } else { nil }
        return (record.state.erased.sorted(), record.state.stamps[erasedField]?.hlc ?? HLC(rawValue: 0), by)
    }

    /// Removes what a store kept of erased fields of a record: their history, and their values in the change log and
    /// in what is set aside (the erasure itself stays: it is the tombstone every store merges). Freed content is
    /// overwritten (`secure_delete`).
    static func purgeErased(_ db: Database, record: String, fields: Set<String>) throws {
        guard !fields.isEmpty else { return }
        try db.execute(sql: "PRAGMA secure_delete = ON")
        let names = fields.sorted()
        try db.execute(
            sql: "DELETE FROM history WHERE record_id = ? AND field IN (\(names.map { _ in "?" }.joined(separator: ",")))",
            arguments: StatementArguments([record] + names))
        for (table, key) in [("changes", "seq"), ("set_aside", "id")] {
            for row in try Row.fetchAll(db, sql: "SELECT \(key) AS k, body FROM \(table) WHERE record_id = ?", arguments: [record]) {
                guard let stripped = try Self.strip(row["body"] as String, fields: fields) else { continue }
                try db.execute(sql: "UPDATE \(table) SET body = ? WHERE \(key) = ?", arguments: [stripped, row["k"] as Int64])
            }
        }
    }

    /// A change's JSON text without the erased fields' values (nil when it held none of them).
    public static func strip(_ body: String, fields: Set<String>) throws -> String? {
        var change = try Change(json: JSON.parse(body))
        let kept = change.values.filter { $0.key == erasedField || !fields.contains($0.key) }
        guard kept.count != change.values.count else { return nil }
        change.values = kept
        change.prev = change.prev.filter { !fields.contains($0.key) }
        return change.serialized
    }

    /// Empties the write-ahead log after an erasure, so the frames that held the erased values go (best effort: a
    /// reader holding an old snapshot keeps it until it ends).
    func checkpointAfterErasure() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}
