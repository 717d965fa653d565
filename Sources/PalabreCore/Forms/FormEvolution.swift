import Foundation

/// Whether a form may become its next version without losing or misreading any record captured with the current one.
///
/// Compatible: adding fields and choices; changing labels, hints, the title, rules (`required`, `relevant`,
/// `constraint`, their messages), defaults, and marking a field sensitive or contact; removing a field (its data stays
/// in every record and export). Refused: a field that changes type or the form it refers to, a choice removed (records
/// hold its code), a version number that does not go up, a form renamed. The service applies it to every publish.
public enum FormEvolution {
    /// Why `next` cannot follow `current`; empty when it can.
    public static func problems(from current: Form, to next: Form) -> [FormProblem] {
        var out: [FormProblem] = []
        func problem(_ field: String?, _ message: String) {
            out.append(FormProblem(file: next.file, field: field, message: message))
        }
        if next.name != current.name {
            problem(nil, "is form '\(next.name)', not '\(current.name)': a form keeps its name (publish a new form under the new name)")
            return out
        }
        if next.version <= current.version {
            problem(
                nil, "has version \(next.version), but version \(current.version) is published: the next version is \(current.version + 1) or more")
        }
        for old in current.fields {
            guard let new = next.field(old.name) else { continue }  // removed: its data stays
            if new.type != old.type {
                problem(
                    old.name,
                    "changes type: version \(current.version) \(old.type.rawValue), version \(next.version) \(new.type.rawValue); "
                        + "a field keeps its type (add a field under a new name instead)")
                continue
            }
            if new.type == .reference, new.referencedForm != old.referencedForm {
                problem(
                    old.name,
                    "refers to form '\(new.referencedForm ?? "")' instead of '\(old.referencedForm ?? "")' (version \(current.version)): "
                        + "a reference keeps its form")
            }
            let kept = Set(new.choices.map(\.name))
            let removed = old.choices.map(\.name).filter { !kept.contains($0) }
            if !removed.isEmpty {
                problem(
                    old.name,
                    "removes choice(s) \(removed.map { "'\($0)'" }.joined(separator: ", ")) of version \(current.version): records hold these codes; "
                        + "keep them (change their labels if they should no longer be picked)")
            }
        }
        return out
    }
}

extension Form {
    /// Every version of a form seen as one, for reading records of any version: the latest version's fields in its
    /// order, then the fields only older versions had (their latest definition), each field sensitive or contact if
    /// any version said so. Exports take their columns from it; analysts' masking trusts it.
    public static func union(_ versions: [Form]) -> Form? {
        let ordered = versions.sorted { $0.version < $1.version }
        guard let latest = ordered.last else { return nil }
        var fields = latest.fields
        var known = Set(fields.map(\.name))
        for old in ordered.dropLast().reversed() {
            for field in old.fields where !known.contains(field.name) {
                fields.append(field)
                known.insert(field.name)
            }
        }
        for i in fields.indices {
            for v in ordered {
                guard let f = v.field(fields[i].name) else { continue }
                fields[i].sensitive = fields[i].sensitive || f.sensitive
                fields[i].contact = fields[i].contact || f.contact
            }
        }
        var union = Form(name: latest.name, version: latest.version, title: latest.title, fields: fields, file: latest.file)
        union.indicators = latest.indicators
        return union
    }
}
