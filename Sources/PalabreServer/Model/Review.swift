import PalabreCore

/// An open conflict, for a coordinator: a value that lost to a concurrent write of the same field.
public struct OpenConflict: Hashable, Sendable {
    /// The record.
    public var record: String
    /// Its form.
    public var form: String
    /// The field.
    public var field: String
    /// The value that lost (nil: the field was empty).
    public var losing: Value?
    /// The losing write's stamp.
    public var losingStamp: Stamp
    /// The value that won and is current (nil: empty).
    public var current: Value?
    /// The stamp of the write it lost to (the current value may be later still).
    public var winningStamp: Stamp

    /// The conflict as JSON:
    /// `{"record","form","field","losing":{"value","hlc","node","time"},"winner":{"hlc","node","time"},"current":value}`.
    public var json: JSON {
        func stamp(_ s: Stamp) -> [(String, JSON)] {
            [("hlc", .number(String(s.hlc.rawValue))), ("node", .string(s.node)), ("time", .string(s.hlc.description))]
        }
        return .object([("record", .string(record)), ("form", .string(form)), ("field", .string(field)),
                        ("losing", .object([("value", losing?.json ?? .null)] + stamp(losingStamp))),
                        ("winner", .object(stamp(winningStamp))), ("current", current?.json ?? .null)])
    }
}

/// How a coordinator closes a conflict.
public enum ResolveAction: String, Sendable, CaseIterable {
    /// Keep the current value.
    case keep
    /// Write the losing value back: a new write by the service that every device pulls.
    case restore
}

/// A merged, live record of a project.
public struct LiveRecord: Hashable, Sendable {
    /// The id.
    public var id: String
    /// The form.
    public var form: String
    /// Current values.
    public var values: [String: Value]

    /// The record as JSON, `{"id","form","values"}`, its values in the form's field order (then any the form lacks).
    public func json(form definition: Form?) -> JSON {
        var ordered: [(String, JSON)] = []
        var seen: Set<String> = []
        for field in definition?.fields ?? [] {
            if let v = values[field.name] {
                ordered.append((field.name, v.json))
                seen.insert(field.name)
            }
        }
        for k in values.keys.sorted() where !seen.contains(k) { ordered.append((k, values[k]!.json)) }
        return .object([("id", .string(id)), ("form", .string(form)), ("values", .object(ordered))])
    }
}

/// Masks the values of sensitive fields (names, phone numbers) for roles that may not see who said what.
public enum Redaction {
    /// What a masked value reads as.
    public static let mask = Value.string("***")

    /// The values with every field the form marks `sensitive` replaced by ``mask``, and every field the form does not
    /// declare left out: a field no form version vouches for (one a version dropped, or one pushed under a forged
    /// version) may hold anything, names included, so an analyst never sees it. Without a form, nothing is shown.
    public static func masked(_ values: [String: Value], form: Form?) -> [String: Value] {
        guard let form else { return [:] }
        var out: [String: Value] = [:]
        for (name, value) in values {
            if name == deletedField { out[name] = value; continue }
            guard let field = form.field(name) else { continue }
            out[name] = field.sensitive || field.contact ? mask : value
        }
        return out
    }

    /// A change with its sensitive values masked (a cleared value stays cleared) and undeclared fields left out.
    public static func masked(_ change: Change, form: Form?) -> Change {
        var out = change
        out.values = [:]
        out.prev = [:]
        for (name, value) in change.values {
            if name == deletedField { out.values[name] = .some(value); out.prev[name] = change.prev[name]; continue }
            guard let field = form?.field(name) else { continue }
            // A cleared value (nil) stays cleared: it says nothing about anyone.
            out.values[name] = .some(value != nil && (field.sensitive || field.contact) ? mask : value)
            out.prev[name] = change.prev[name]
        }
        return out
    }
}
