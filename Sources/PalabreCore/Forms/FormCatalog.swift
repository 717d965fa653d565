import Foundation

/// The forms a store or service knows, by name, with the checks that span forms.
public struct FormCatalog: Sendable {
    /// Forms by name.
    public private(set) var forms: [String: Form]
    /// Every problem found while reading and checking the forms.
    public private(set) var problems: [FormProblem]
    /// Earlier versions of the forms, by name then version, when they are known (the service's published versions):
    /// a change is checked against the version it was made with.
    public private(set) var versions: [String: [Int: Form]] = [:]

    /// Builds a catalog from compiled forms and the problems met compiling them, adding cross-form checks.
    public init(forms list: [Form], problems: [FormProblem] = [], checkReferences: Bool = true) {
        var forms: [String: Form] = [:]
        var problems = problems
        for form in list {
            if let other = forms[form.name] {
                problems.append(FormProblem(file: form.file, message: "form '\(form.name)' is also defined in \(other.file)"))
                continue
            }
            forms[form.name] = form
        }
        for form in list.sorted(by: { $0.name < $1.name }) where checkReferences {
            for field in form.fields where field.type == .reference {
                if let target = field.referencedForm, forms[target] == nil {
                    problems.append(
                        FormProblem(
                            file: form.file, field: field.name,
                            message: "refers to form '\(target)', which does not exist (forms: \(forms.keys.sorted().joined(separator: ", ")))"))
                }
            }
        }
        // A repeated form's parent exists, and its count and condition read the parent's fields.
        for form in list.sorted(by: { $0.name < $1.name }) where checkReferences {
            guard let r = form.repeats else { continue }
            guard let parent = forms[r.parent] else { continue }  // reported above as a reference to a missing form
            for (what, e) in [("count", r.count), ("relevant", r.relevant)] {
                for ref in e?.fieldReferences ?? [] where parent.field(ref) == nil {
                    problems.append(
                        FormProblem(
                            file: form.file,
                            message: "repeat \(what) '\(e!.source)' refers to ${\(ref)}, which is not a field of its parent form '\(parent.name)'"))
                }
            }
        }
        // One form per part of the indicators, and their references between parts as the parts say.
        var parts: [IndicatorMap.Part: String] = [:]
        for form in forms.values.sorted(by: { $0.name < $1.name }) {
            guard let part = form.indicators?.part else { continue }
            if let other = parts[part] {
                problems.append(
                    FormProblem(file: form.file, message: "indicators: forms '\(other)' and '\(form.name)' both declare part \(part.rawValue)"))
            } else {
                parts[part] = form.name
            }
        }
        let targets: [String: IndicatorMap.Part] = ["session": .sessions, "initiative": .initiatives]
        for form in forms.values.sorted(by: { $0.name < $1.name }) where checkReferences {
            guard let d = form.indicators else { continue }
            for (key, part) in targets.sorted(by: { $0.key < $1.key }) {
                guard let name = d.fields[key], let target = form.field(name)?.referencedForm, let expected = parts[part] else { continue }
                if target != expected {
                    problems.append(
                        FormProblem(
                            file: form.file, field: name,
                            message: "indicators: '\(key)' must refer to the form declaring part \(part.rawValue) ('\(expected)'), not '\(target)'"))
                }
            }
        }
        self.forms = forms
        self.problems = problems
    }

    /// The form with this name.
    public subscript(name: String) -> Form? { forms[name] }

    /// The form as it was at a version: that version when it is known, else the latest.
    public func form(_ name: String, version: Int) -> Form? { versions[name]?[version] ?? forms[name] }

    /// Adds known versions of the forms (each form's latest stays ``subscript(_:)``'s answer).
    public mutating func addVersions(_ list: [Form]) {
        for form in list { versions[form.name, default: [:]][form.version] = form }
    }

    /// The forms repeated inside this one (its XLSForm repeats), by name.
    public func repeated(in parent: String) -> [Form] {
        forms.values.filter { $0.repeats?.parent == parent }.sorted { $0.name < $1.name }
    }

    /// Form names, sorted.
    public var names: [String] { forms.keys.sorted() }

    /// The form, or a ``ValidationError`` listing the known forms.
    public func form(_ name: String) throws(ValidationError) -> Form {
        guard let f = forms[name] else { throw ValidationError(form: name, field: nil, value: nil, rule: .unknownForm(known: names)) }
        return f
    }
}

/// The forms each project uses: on the service every project has its own published versions.
public struct FormSets: Sendable {
    /// Each project's forms.
    public var byProject: [String: FormCatalog]
    /// The forms of a project not listed.
    public var fallback: FormCatalog?

    public init(byProject: [String: FormCatalog], fallback: FormCatalog? = nil) {
        self.byProject = byProject
        self.fallback = fallback
    }

    /// A project's forms.
    public subscript(project: String) -> FormCatalog? { byProject[project] ?? fallback }
}
