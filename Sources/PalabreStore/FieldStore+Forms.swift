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
    /// received.
    public func receivedCatalog(only: Set<String>? = nil) throws(StoreError) -> FormCatalog? {
        let received = try receivedForms().forms
        guard !received.isEmpty else { return nil }
        var latest: [String: (version: Int, source: String)] = [:]
        for f in received where only?.contains(f.name) ?? true {
            if (latest[f.name]?.version ?? .min) < f.version { latest[f.name] = (f.version, f.source) }
        }
        var forms: [Form] = []
        var problems: [FormProblem] = []
        for name in latest.keys.sorted() {
            let (form, found) = FormLoader.load(text: latest[name]!.source, file: "service/\(name).yaml")
            problems += found
            if let form { forms.append(form) }
        }
        return FormCatalog(forms: forms, problems: problems, checkReferences: only == nil)
    }
}
