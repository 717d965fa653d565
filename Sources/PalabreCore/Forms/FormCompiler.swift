import Foundation

/// A mistake in a form definition, located by file and field.
public struct FormProblem: Hashable, Sendable, CustomStringConvertible {
    /// The form file.
    public var file: String
    /// The field concerned, if any.
    public var field: String?
    /// What is wrong and what would be right.
    public var message: String

    /// Builds a problem.
    public init(file: String, field: String? = nil, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(file): field '\(field)': \(message)" }
        return "\(file): \(message)"
    }
}

/// Turns a form file's parsed tree (YAML or JSON, as `Any`) into a ``Form``, listing every mistake.
///
/// The format:
/// ```yaml
/// form: participant
/// version: 2
/// title: {fr: Participant·e, en: Participant}
/// fields:
///   - name: consent
///     type: select_one
///     choices: yes_no
///     required: true
///     label: {fr: Consentement à être nommé·e, en: Consent to be named}
///   - name: name
///     type: text
///     relevant: "${consent} = 'yes'"
///     required: "${consent} = 'yes'"
///     sensitive: true
/// choices:
///   yes_no:
///     - {name: "yes", label: {fr: Oui, en: "Yes"}}
///     - {name: "no", label: {fr: Non, en: "No"}}
/// ```
public enum FormCompiler {
    static let formKeys: Set<String> = [
        "form", "version", "title", "fields", "choices", "description", "indicators", "repeat", "default_language",
    ]
    static let fieldKeys: Set<String> = [
        "name", "type", "label", "hint", "required", "required_message", "constraint", "constraint_message", "relevant",
        "default", "sensitive", "contact", "choices", "form", "calculation", "choice_filter", "read_only",
    ]

    /// Compiles one form; the form is nil when a problem prevents building it at all.
    public static func compile(_ tree: Any, file: String) -> (Form?, [FormProblem]) {
        var problems: [FormProblem] = []
        func problem(_ field: String?, _ message: String) { problems.append(FormProblem(file: file, field: field, message: message)) }

        guard let root = tree as? [String: Any] else {
            problem(nil, "the file must be a mapping with the keys form, version, title, fields, choices")
            return (nil, problems)
        }
        for key in root.keys.sorted() where !formKeys.contains(key) {
            problem(nil, "unknown key '\(key)' (known: \(formKeys.sorted().joined(separator: ", ")))")
        }
        let formName = scalar(root["form"]) ?? ""
        if formName.isEmpty || !isName(formName) {
            problem(nil, "'form' must be a name of letters, digits and '_' starting with a letter, not '\(formName)'")
        }
        var version = 1
        if let v = root["version"] {
            if let i = Int(scalar(v) ?? ""), i >= 1 {
                version = i
            } else {
                problem(nil, "'version' must be a whole number ≥ 1, not '\(scalar(v) ?? "?")'")
            }
        } else {
            problem(nil, "'version' is missing")
        }
        let title = localized(root["title"]) ?? LocalizedText(["en": formName])

        // Choice lists.
        var lists: [String: [Choice]] = [:]
        if let rawLists = root["choices"] {
            if let map = rawLists as? [String: Any] {
                for (listName, rawItems) in map {
                    guard let items = rawItems as? [Any] else {
                        problem(nil, "choice list '\(listName)' must be a list of {name, label}")
                        continue
                    }
                    var seen: Set<String> = []
                    var choices: [Choice] = []
                    for item in items {
                        guard let m = item as? [String: Any], let name = scalar(m["name"]), !name.isEmpty else {
                            problem(nil, "choice list '\(listName)': every choice needs a 'name'")
                            continue
                        }
                        if name.contains(" ") { problem(nil, "choice list '\(listName)': choice name '\(name)' must not contain spaces") }
                        // The same name twice is one choice said twice, unless its columns tell them apart (a county
                        // of the same name in two states, for a choice_filter).
                        let key =
                            name + "\u{0}"
                            + ((m as [String: Any]).filter { $0.key != "name" && $0.key != "label" }.keys.sorted().map {
                                "\($0)=\(scalar(m[$0]) ?? "")"
                            }.joined(separator: "\u{0}"))
                        if !seen.insert(key).inserted { problem(nil, "choice list '\(listName)': duplicate choice '\(name)'") }
                        // Other keys are the choice's columns, which a choice_filter reads (`region: gao` of a cercle).
                        var attributes: [String: String] = [:]
                        for (k, v) in m where k != "name" && k != "label" {
                            if let text = scalar(v) {
                                attributes[k] = text
                            } else {
                                problem(nil, "choice list '\(listName)': choice '\(name)': '\(k)' must be a single value")
                            }
                        }
                        choices.append(Choice(name: name, label: localized(m["label"]) ?? LocalizedText(["en": name]), attributes: attributes))
                    }
                    lists[listName] = choices
                }
            } else {
                problem(nil, "'choices' must map list names to lists of choices")
            }
        }

        var fields: [Field] = []
        var usedLists: Set<String> = []
        guard let rawFields = root["fields"] as? [Any], !rawFields.isEmpty else {
            problem(nil, "'fields' must be a non-empty list")
            return (nil, problems)
        }
        var names: Set<String> = []
        for (i, rawField) in rawFields.enumerated() {
            guard let m = rawField as? [String: Any] else {
                problem(nil, "field #\(i + 1) must be a mapping")
                continue
            }
            let name = scalar(m["name"]) ?? ""
            let label = name.isEmpty ? "#\(i + 1)" : name
            if !isName(name) {
                problem(label, "the name must be letters, digits and '_' starting with a letter")
            }
            if name.hasPrefix("_") { problem(label, "names starting with '_' are reserved") }
            if !names.insert(name).inserted { problem(label, "duplicate field name") }
            for key in m.keys.sorted() where !fieldKeys.contains(key) {
                problem(label, "unknown key '\(key)' (known: \(fieldKeys.sorted().joined(separator: ", ")))")
            }
            let typeName = scalar(m["type"]) ?? ""
            guard let type = FieldType(rawValue: typeName) else {
                problem(label, "unknown type '\(typeName)' (types: \(FieldType.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            var field = Field(name: name, type: type, label: localized(m["label"]) ?? LocalizedText(["en": name]))
            if m["label"] == nil { problem(label, "'label' is missing") }
            field.hint = localized(m["hint"])
            field.constraintMessage = localized(m["constraint_message"])
            field.sensitive = bool(m["sensitive"], label, "sensitive", &problems, file)
            field.contact = bool(m["contact"], label, "contact", &problems, file)
            field.defaultValue = scalar(m["default"])
            field.requiredMessage = localized(m["required_message"])
            field.readOnly = bool(m["read_only"], label, "read_only", &problems, file)
            if let s = scalar(m["calculation"]), !s.isEmpty {
                if type == .calculate {
                    field.calculation = expression(s, label, "calculation", &problems, file)
                } else {
                    problem(label, "'calculation' is only for calculate fields (this one is \(type.rawValue))")
                }
            } else if type == .calculate {
                problem(label, "a calculate field needs 'calculation: EXPRESSION'")
            }
            if let s = scalar(m["choice_filter"]), !s.isEmpty {
                if type == .selectOne || type == .selectMultiple {
                    do {
                        field.choiceFilter = try Expression(s, choiceColumns: true)
                    } catch {
                        problem(label, "choice_filter: \(error.description)")
                    }
                } else {
                    problem(label, "'choice_filter' is only for select_one and select_multiple")
                }
            }
            if type == .note || type.isComputed, m["required"] != nil, scalar(m["required"]) != "false" {
                problem(label, "a \(type.rawValue) field is never answered by the facilitator: it cannot be required")
            }
            if let r = m["required"] {
                if let b = r as? Bool {
                    field.required = b ? .always : .never
                } else if let s = scalar(r) {
                    switch s {
                    case "true", "yes": field.required = .always
                    case "false", "no", "": field.required = .never
                    default:
                        if let e = expression(s, label, "required", &problems, file) { field.required = .when(e) }
                    }
                }
            }
            if let s = scalar(m["constraint"]), !s.isEmpty { field.constraint = expression(s, label, "constraint", &problems, file) }
            if let s = scalar(m["relevant"]), !s.isEmpty { field.relevant = expression(s, label, "relevant", &problems, file) }

            switch type {
            case .selectOne, .selectMultiple:
                guard let listName = scalar(m["choices"]) else {
                    problem(label, "a \(type.rawValue) field needs 'choices: LIST' naming a list under 'choices'")
                    break
                }
                usedLists.insert(listName)
                field.choiceList = listName
                if let choices = lists[listName] {
                    field.choices = choices
                } else {
                    problem(label, "choice list '\(listName)' does not exist (lists: \(lists.keys.sorted().joined(separator: ", ")))")
                }
            case .reference:
                if let target = scalar(m["form"]), !target.isEmpty {
                    field.referencedForm = target
                } else {
                    problem(label, "a reference field needs 'form: FORM' naming the referenced form")
                }
            default:
                if m["choices"] != nil { problem(label, "'choices' is only for select_one and select_multiple") }
                if m["form"] != nil { problem(label, "'form' is only for reference fields") }
            }
            fields.append(field)
        }
        for listName in lists.keys.sorted() where !usedLists.contains(listName) {
            problem(nil, "choice list '\(listName)' is not used by any field")
        }

        var form = Form(name: formName, version: version, title: title, fields: fields, file: file)
        form.defaultLanguage = scalar(root["default_language"])
        if let raw = root["repeat"] {
            if let m = raw as? [String: Any], let parent = scalar(m["parent"]), !parent.isEmpty {
                var r = Repeat(parent: parent)
                for key in m.keys.sorted() where !["parent", "count", "relevant"].contains(key) {
                    problem(nil, "repeat: unknown key '\(key)' (known: count, parent, relevant)")
                }
                if let c = scalar(m["count"]), !c.isEmpty { r.count = expression(c, "repeat", "count", &problems, file) }
                if let c = scalar(m["relevant"]), !c.isEmpty { r.relevant = expression(c, "repeat", "relevant", &problems, file) }
                let ref = fields.first { $0.name == parent }
                if ref?.type != .reference || ref?.referencedForm != parent {
                    problem(nil, "repeat: a repeated form needs a reference field named '\(parent)' with 'form: \(parent)' (its parent record)")
                }
                form.repeats = r
            } else {
                problem(nil, "'repeat' must be a mapping {parent: FORM, count: EXPRESSION, relevant: EXPRESSION}")
            }
        }
        if let raw = root["indicators"] {
            form.indicators = IndicatorMap.declaration(raw, fields: fields) { problem(nil, $0) }
        }
        if let loop = Calculation.cycle(in: fields) {
            problem(loop[0], "calculation depends on itself: " + loop.map { "${\($0)}" }.joined(separator: " → "))
        }
        // Checks that need the whole form: expressions' field references and defaults.
        for field in form.fields {
            for (what, e) in [
                ("constraint", field.constraint), ("relevant", field.relevant), ("calculation", field.calculation),
                ("choice_filter", field.choiceFilter),
            ] {
                guard let e else { continue }
                for ref in e.fieldReferences where form.field(ref) == nil {
                    problem(field.name, "\(what) '\(e.source)' refers to ${\(ref)}, which is not a field of this form")
                }
            }
            if let filter = field.choiceFilter {
                let columns = Set(field.choices.flatMap(\.attributes.keys)).union(["name", "label"])
                for column in filter.attributeReferences where !columns.contains(column) && !column.hasPrefix("label::") {
                    problem(
                        field.name,
                        "choice_filter '\(filter.source)' reads column '\(column)', which no choice of list '\(field.choiceList ?? "")' has (columns: \(columns.sorted().joined(separator: ", ")))"
                    )
                }
            }
            if case .when(let e) = field.required {
                for ref in e.fieldReferences where form.field(ref) == nil {
                    problem(field.name, "required '\(e.source)' refers to ${\(ref)}, which is not a field of this form")
                }
            }
            if let d = field.defaultValue {
                do {
                    _ = try FieldParser.parse(d, for: field, form: form.name)
                } catch {
                    problem(field.name, "default '\(d)' is not valid: \(error.rule.message(.en))")
                }
            }
        }
        form.fields = fields
        return (isName(formName) ? form : nil, problems)
    }

    /// Whether a text is a name forms allow: ASCII letters, digits and `_`, starting with a letter or `_`.
    public static func isName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.properties.isAlphabetic || f == "_" else { return false }
        return s.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" }
    }

    static func scalar(_ v: Any?) -> String? {
        switch v {
        case let s as String: return s
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double: return Value.format(d)
        default: return nil
        }
    }

    static func localized(_ v: Any?) -> LocalizedText? {
        if let s = scalar(v) { return LocalizedText(["en": s, "fr": s]) }
        guard let m = v as? [String: Any] else { return nil }
        var texts: [String: String] = [:]
        for (k, x) in m { if let s = scalar(x) { texts[k] = s } }
        return LocalizedText(texts)
    }

    static func bool(_ v: Any?, _ field: String, _ key: String, _ problems: inout [FormProblem], _ file: String) -> Bool {
        guard let v else { return false }
        if let b = v as? Bool { return b }
        switch scalar(v) {
        case "true", "yes": return true
        case "false", "no": return false
        default:
            problems.append(FormProblem(file: file, field: field, message: "'\(key)' must be true or false"))
            return false
        }
    }

    static func expression(_ s: String, _ field: String, _ key: String, _ problems: inout [FormProblem], _ file: String) -> Expression? {
        do {
            return try Expression(s)
        } catch {
            problems.append(FormProblem(file: file, field: field, message: "\(key): \(error.description)"))
            return nil
        }
    }
}
