import PalabreCore

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
