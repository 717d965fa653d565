import Foundation
import GRDB
import PalabreCore

/// The forms a laptop received from the service: every version of its project's forms, kept in the store, so `palabre`
/// captures with what the coordinator published wherever it runs from.
extension FieldStore {
    /// The `meta` key of the tag of the set held (the service's `ETag`).
    static let formsTagKey = "forms_tag"

    /// Every version received, by name then version, and the tag of the set (nil before the first sync).
    public func receivedForms() throws(StoreError) -> (tag: String?, forms: [(name: String, version: Int, source: String)]) {
        try run {
            try pool.read { db in
                // A store opened read-only before its upgrade has no table yet: it has received nothing.
                guard try db.tableExists("received_forms") else { return (nil, []) }
                let tag = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [Self.formsTagKey])
                let forms = try Row.fetchAll(db, sql: "SELECT name, version, source FROM received_forms ORDER BY name, version").map {
                    (name: $0["name"] as String, version: $0["version"] as Int, source: $0["source"] as String)
                }
                return (tag, forms)
            }
        }
    }

    /// Replaces the received forms with the service's set and its tag, in one transaction: a laptop holds one
    /// project's forms, as published.
    public func replaceReceivedForms(_ forms: [(name: String, version: Int, source: String)], tag: String) throws(StoreError) {
        try run {
            try pool.write { db in
                try db.execute(sql: "DELETE FROM received_forms")
                let insert = try db.makeStatement(sql: "INSERT INTO received_forms (name, version, source) VALUES (?, ?, ?)")
                for f in forms { try insert.execute(arguments: [f.name, f.version, f.source]) }
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [Self.formsTagKey, tag])
            }
        }
    }

    /// The latest received version of each form, compiled (`file` reads `service/NAME.yaml`); nil before any is
    /// received. With `union`, each form is every received version seen as one (``PalabreCore/Form/union(_:)``): what a
    /// record of any version is read and exported with, a field a later version removed included.
    public func receivedCatalog(only: Set<String>? = nil, union: Bool = false) throws(StoreError) -> FormCatalog? {
        let received = try receivedForms().forms
        guard !received.isEmpty else { return nil }
        var versions: [String: [Form]] = [:]
        var problems: [FormProblem] = []
        for f in received where only?.contains(f.name) ?? true {
            let (form, found) = FormLoader.load(text: f.source, file: "service/\(f.name).yaml")
            if let form { versions[f.name, default: []].append(form) }
            // A mistake in an older version is not the coordinator's to fix now: only the latest's count.
            if f.version == received.filter({ $0.name == f.name }).map(\.version).max() { problems += found }
        }
        let forms = versions.keys.sorted().compactMap { name -> Form? in
            union ? Form.union(versions[name]!) : versions[name]!.max { $0.version < $1.version }
        }
        var catalog = FormCatalog(forms: forms, problems: problems, checkReferences: only == nil)
        catalog.addVersions(versions.values.flatMap { $0 })
        return catalog
    }
}
