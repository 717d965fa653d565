import GRDB
import Foundation
import PalabreCore

/// A record as the store holds it: its merged state and when and where it was created.
public struct StoredRecord: Hashable, Sendable {
    /// The merged state.
    public var state: RecordState
    /// The stamp of its first write.
    public var created: Stamp
    /// When it last changed (the highest field stamp), kept in its own column so reading it needs no stamp decoding.
    public var updated: HLC

    /// Builds a record from its state; `updated` defaults to its highest field stamp.
    public init(state: RecordState, created: Stamp, updated: HLC? = nil) {
        self.state = state
        self.created = created
        self.updated = updated ?? state.updated.hlc
    }

    /// The id.
    public var id: String { state.id }
    /// The form.
    public var form: String { state.form }
    /// Whether deleted.
    public var isDeleted: Bool { state.isDeleted }
    /// User values.
    public var values: [String: Value] { state.fieldValues }

    /// The record as JSON: `id`, `form`, `values`, plus version, project, deletion, capture and update times.
    ///
    /// `values` follows the form's field order when a form is given, then any fields the form no longer has.
    public func json(form: Form?) -> JSON {
        var members: [(String, JSON)] = [("id", .string(id)), ("form", .string(state.form))]
        let vals = values
        var ordered: [(String, JSON)] = []
        var seen: Set<String> = []
        for f in form?.fields ?? [] {
            if let v = vals[f.name] {
                ordered.append((f.name, v.json))
                seen.insert(f.name)
            }
        }
        for k in vals.keys.sorted() where !seen.contains(k) { ordered.append((k, vals[k]!.json)) }
        members.append(("values", .object(ordered)))
        members.append(("form_version", .number(String(state.formVersion))))
        members.append(("project", .string(state.project)))
        members.append(("deleted", .bool(isDeleted)))
        members.append(("created", .string(StampsCodec.iso(created.hlc))))
        members.append(("updated", .string(StampsCodec.iso(updated))))
        members.append(("device", .string(created.node)))
        return .object(members)
    }
}

/// One entry of a record's history: a value that was replaced, or an incoming value that lost.
public struct HistoryEntry: Hashable, Sendable {
    /// Its row number (stable, for `resolve`).
    public var id: Int64
    /// The record.
    public var recordID: String
    /// What was superseded.
    public var superseded: Superseded
    /// Whether a person has reviewed the conflict.
    public var resolved: Bool
}

/// Encodes field stamps compactly in a record row, grouping the fields written together:
/// `[[hlc,"node",["f1","f2"]],[hlc,"node",["f3"],prevHlc,"prevNode"]]`. A new record is one group, so the
/// stamps cost a few dozen bytes whatever the number of fields.
public enum StampsCodec {
    struct Key: Hashable {
        var stamp: Stamp
        var prev: Stamp
    }

    /// The stamps column of a record row: groups `[hlc, node, [fields], prev hlc, prev node]`, then, when some
    /// field does not apply in the merged record (``Relevance``), one object `{"withheld": {field: value}}`. The
    /// column is merge state, never shown: the withheld values live here, beside their stamps, not among the values.
    public static func encode(stamps: [String: Stamp], prevs: [String: Stamp], withheld: [String: Value] = [:]) -> String {
        var groups: [Key: [String]] = [:]
        for (field, stamp) in stamps { groups[Key(stamp: stamp, prev: prevs[field] ?? .zero), default: []].append(field) }
        let keys = groups.keys.sorted { $0.stamp != $1.stamp ? $0.stamp < $1.stamp : $0.prev < $1.prev }
        var out = "["
        for (i, key) in keys.enumerated() {
            if i > 0 { out += "," }
            out += "["
            out += String(key.stamp.hlc.rawValue)
            out += ","
            JSON.writeString(key.stamp.node, into: &out)
            out += ",["
            for (j, f) in groups[key]!.sorted().enumerated() {
                if j > 0 { out += "," }
                JSON.writeString(f, into: &out)
            }
            out += "]"
            if key.prev != .zero {
                out += ","
                out += String(key.prev.hlc.rawValue)
                out += ","
                JSON.writeString(key.prev.node, into: &out)
            }
            out += "]"
        }
        if !withheld.isEmpty {
            if !keys.isEmpty { out += "," }
            out += JSON.object([("withheld", .object(withheld.keys.sorted().map { ($0, withheld[$0]!.json) }))]).serialized
        }
        out += "]"
        return out
    }

    /// The field stamps and previous stamps of a stamps column.
    public static func decode(_ text: String) throws -> (stamps: [String: Stamp], prevs: [String: Stamp], withheld: [String: Value]) {
        guard case .array(let groups) = try JSON.parse(text) else { throw StoreError.other("corrupt stamps: \(text)") }
        var stamps: [String: Stamp] = [:]
        var prevs: [String: Stamp] = [:]
        var withheld: [String: Value] = [:]
        for g in groups {
            if case .object(let members) = g {
                for (key, inner) in members where key == "withheld" {
                    guard case .object(let fields) = inner else { continue }
                    for (name, json) in fields { withheld[name] = try Value(json: json) }
                }
                continue
            }
            guard case .array(let a) = g, a.count >= 3, let h = a[0].intValue, let n = a[1].stringValue, case .array(let fields) = a[2] else {
                throw StoreError.other("corrupt stamp group: \(g.serialized)")
            }
            let stamp = Stamp(hlc: HLC(rawValue: h), node: n)
            var prev: Stamp?
            if a.count >= 5, let ph = a[3].intValue, let pn = a[4].stringValue { prev = Stamp(hlc: HLC(rawValue: ph), node: pn) }
            for f in fields {
                guard let name = f.stringValue else { continue }
                stamps[name] = stamp
                if let prev { prevs[name] = prev }
            }
        }
        return (stamps, prevs, withheld)
    }

    static func encodeStamp(_ s: Stamp) -> JSON { .array([.number(String(s.hlc.rawValue)), .string(s.node)]) }

    static func iso(_ hlc: HLC) -> String { hlc.iso }
}

/// A record as one row of any store's `records` table (the SQLite stores and the service's PostgreSQL database share
/// the columns): values as a JSON object, stamps as ``StampsCodec`` text.
public struct RecordRow: Hashable, Sendable {
    public var id: String
    public var form: String
    public var formVersion: Int
    public var project: String
    public var vals: String
    public var stamps: String
    public var deleted: Bool
    public var createdHLC: Int64
    public var createdNode: String
    public var updatedHLC: Int64

    /// Builds one from its columns.
    public init(
        id: String, form: String, formVersion: Int, project: String, vals: String, stamps: String, deleted: Bool,
        createdHLC: Int64, createdNode: String, updatedHLC: Int64
    ) {
        self.id = id
        self.form = form
        self.formVersion = formVersion
        self.project = project
        self.vals = vals
        self.stamps = stamps
        self.deleted = deleted
        self.createdHLC = createdHLC
        self.createdNode = createdNode
        self.updatedHLC = updatedHLC
    }

    /// The row of a merged state.
    public init(state: RecordState, created: Stamp) {
        self.init(
            id: state.id, form: state.form, formVersion: state.formVersion, project: state.project,
            vals: ValueMap.encode(state.fieldValues),
            stamps: StampsCodec.encode(stamps: state.stamps, prevs: state.prevs, withheld: state.withheld),
            deleted: state.isDeleted, createdHLC: created.hlc.rawValue, createdNode: created.node,
            updatedHLC: state.updated.hlc.rawValue)
    }

    /// The record; `stamps: false` skips decoding the field stamps (exports and listings need only values and times).
    public func decode(stamps withStamps: Bool = true) throws -> StoredRecord {
        var state = RecordState(id: id, form: form, formVersion: formVersion, project: project)
        state.values = try ValueMap.decodePresent(vals)
        if withStamps {
            let (s, p, w) = try StampsCodec.decode(stamps)
            state.stamps = s
            state.prevs = p
            state.withheld = w
            if s[deletedField] != nil { state.values[deletedField] = .bool(false) }
        }
        if deleted { state.values[deletedField] = .bool(true) }
        return StoredRecord(state: state, created: Stamp(hlc: HLC(rawValue: createdHLC), node: createdNode), updated: HLC(rawValue: updatedHLC))
    }
}

extension FieldStore {
    /// Inserts record rows as they are (no merge, no change log) inside the caller's transaction: for copying a
    /// central store's records elsewhere (a PostgreSQL service's export, a move between backends).
    public static func insertRecordRows(_ db: Database, _ rows: [RecordRow]) throws {
        let st = try db.cachedStatement(
            sql: """
                INSERT INTO records (id, form, form_version, project, vals, stamps, deleted, created_hlc, created_node, updated_hlc)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for r in rows {
            try st.execute(arguments: [
                r.id, r.form, r.formVersion, r.project, r.vals, r.stamps, r.deleted ? 1 : 0, r.createdHLC, r.createdNode,
                r.updatedHLC,
            ])
        }
    }

    /// The columns of a `records` row read through GRDB.
    public static func recordRow(of row: Row) -> RecordRow { recordRow(row) }
}
