import Foundation
import PalabreCore

/// A record as the store holds it: its merged state and when and where it was created.
public struct StoredRecord: Hashable, Sendable {
    /// The merged state.
    public var state: RecordState
    /// The stamp of its first write.
    public var created: Stamp

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
        members.append(("updated", .string(StampsCodec.iso(state.updated.hlc))))
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

/// Encodes field stamps compactly in a record row: `{"field":[hlc,"node",prevHlc,"prevNode"]}`,
/// the `prev` pair left out when there was none.
enum StampsCodec {
    static func encode(stamps: [String: Stamp], prevs: [String: Stamp]) -> String {
        var out = "{"
        for (i, key) in stamps.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            JSON.writeString(key, into: &out)
            let s = stamps[key]!
            out += ":[\(s.hlc.rawValue),"
            JSON.writeString(s.node, into: &out)
            if let p = prevs[key], p != .zero {
                out += ",\(p.hlc.rawValue),"
                JSON.writeString(p.node, into: &out)
            }
            out += "]"
        }
        out += "}"
        return out
    }

    static func decode(_ text: String) throws -> (stamps: [String: Stamp], prevs: [String: Stamp]) {
        guard case .object(let members) = try JSON.parse(text) else { throw StoreError.other("corrupt stamps: \(text)") }
        var stamps: [String: Stamp] = [:]
        var prevs: [String: Stamp] = [:]
        for (k, v) in members {
            guard case .array(let a) = v, a.count >= 2, let h = a[0].intValue, let n = a[1].stringValue else {
                throw StoreError.other("corrupt stamp for \(k): \(v.serialized)")
            }
            stamps[k] = Stamp(hlc: HLC(rawValue: h), node: n)
            if a.count >= 4, let ph = a[2].intValue, let pn = a[3].stringValue { prevs[k] = Stamp(hlc: HLC(rawValue: ph), node: pn) }
        }
        return (stamps, prevs)
    }

    static func encodeStamp(_ s: Stamp) -> JSON { .array([.number(String(s.hlc.rawValue)), .string(s.node)]) }

    static func iso(_ hlc: HLC) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: hlc.date)
    }
}
