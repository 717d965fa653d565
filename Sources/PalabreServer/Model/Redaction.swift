import PalabreCore

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
