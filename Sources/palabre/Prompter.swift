import Foundation
import PalabreCore
import PalabreStore

/// Asks a form's relevant fields one by one in a terminal, in the user's language.
///
/// Answers are kept in memory and only saved by the caller at the end, so Ctrl-C or Ctrl-D saves nothing half-done.
/// Notes are shown, computed fields (calculations, metadata) are filled in as the answers come and never asked,
/// read-only fields are shown with their value, and a cascading select offers only the choices its filter keeps.
struct Prompter {
    let form: Form
    let store: FieldStore
    let lang: Language
    /// The language labels are shown in (`--lang bm`), falling back to the form's default language.
    var labels: LabelLanguage
    /// Answers already known and not asked (a repeated record's parent).
    var preset: [String: Value] = [:]
    /// When the capture began (the record's `start`).
    var started: String

    init(
        form: Form, store: FieldStore, lang: Language, labels: LabelLanguage? = nil, preset: [String: Value] = [:],
        started: String = DateTimeText.now()
    ) {
        self.form = form
        self.store = store
        self.lang = lang
        var l = labels ?? LabelLanguage(lang)
        l.fallback = form.defaultLanguage
        self.labels = l
        self.preset = preset
        self.started = started
    }

    func say(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    /// A label with `${field}` replaced by the answer given (XLSForm's references in labels).
    func text(_ t: LocalizedText, _ values: [String: Value]) -> String {
        var s = t.text(labels)
        guard s.contains("${") else { return s }
        for name in form.fields.map(\.name) where s.contains("${\(name)}") {
            s = s.replacingOccurrences(of: "${\(name)}", with: values[name]?.displayString ?? "")
        }
        return terminalSafe(s)
    }

    /// Runs the questions; nil when the user gave up (end of input or refused to save).
    func run() throws -> [String: Value]? {
        let words = Words(lang)
        var values = preset
        let validator = Validator(form: form) { id in
            guard let r = try? store.record(id) else { return nil }
            return ReferenceTarget(form: r.form, deleted: r.isDeleted)
        }
        let device = (try? store.identity().device) ?? ""
        // The store computes the same way when it saves (same start, same label language).
        let moment = Calculation.Moment(started: started, device: device, labels: lang)
        func computed() -> [String: Value] {
            var v = values
            Calculation.fill(&v, form: form, at: moment)
            return v
        }
        say("\(form.title.text(labels)) — \(words.captureIntro)\n")
        let asked = form.fields.filter { !$0.type.isComputed && preset[$0.name] == nil }
        let total = asked.count
        for (index, field) in asked.enumerated() {
            let known = computed()
            let ctx = Calculation.context(form: form, labels: lang) { known[$0] }
            guard field.relevant?.isTrue(ctx) ?? true else { continue }
            let number = "[\(index + 1)/\(total)]"
            if field.type == .note {
                say("\n\(number) \(text(field.label, known))\n")
                if let hint = field.hint, !hint.isEmpty { say("  \(text(hint, known))\n") }
                continue
            }
            if field.readOnly {
                if values[field.name] == nil, let d = field.defaultValue, let v = try? FieldParser.parse(d, for: field, form: form.name) {
                    values[field.name] = v
                }
                say("\n\(number) \(text(field.label, known)) : \(values[field.name]?.displayString ?? "—")\n")
                continue
            }
            let required = validator.isRequired(field, ctx)
            var options: [(String, String)] = field.choices(given: ctx).map { ($0.name, $0.label.text(labels)) }
            if field.type == .reference, let target = field.referencedForm {
                options = try recentRecords(target)
            }
            // A cascading select with nothing left to choose (no commune listed for this cercle) is not asked; a required
            // one cannot be answered at all: said at once rather than asked in vain.
            if field.choiceFilter != nil, options.isEmpty {
                if !required { continue }
                say("  ✗ " + words.nothingToChoose(field.label.text(labels)) + "\n")
                return nil
            }
            while true {
                say("\n\(number) \(text(field.label, known))\(required ? " *" : "")\n")
                if let hint = field.hint, !hint.isEmpty { say("  \(text(hint, known))\n") }
                for (i, o) in options.enumerated() { say("  \(i + 1). \(o.1)  (\(o.0))\n") }
                let typeHint: String
                switch field.type {
                case .selectMultiple: typeHint = words.severalChoices
                case .selectOne,
                    .reference where !options.isEmpty:
                    typeHint = words.oneChoice
                case .date: typeHint = words.dateFormat
                case .time: typeHint = words.timeFormat
                case .datetime: typeHint = words.dateTimeFormat
                case .acknowledge: typeHint = "OK"
                case .geopoint: typeHint = "latitude longitude"
                default: typeHint = ""
                }
                let defaultShown = field.defaultValue.map { " [\($0)]" } ?? ""
                say((typeHint.isEmpty ? "" : "(\(typeHint)) ") + "\(defaultShown)> ")
                guard let line = readLine(strippingNewline: true) else {
                    say("\n")
                    return nil
                }
                var answer = line.trimmingCharacters(in: .whitespaces)
                if answer.isEmpty, let d = field.defaultValue { answer = d }
                if answer.isEmpty {
                    if required {
                        say("  ✗ " + (field.requiredMessage.map { $0.text(labels) } ?? words.required) + "\n")
                        continue
                    }
                    values[field.name] = nil
                    break
                }
                if !options.isEmpty {
                    // Numbers pick from the list shown; codes are accepted as they are.
                    answer = answer.split(separator: " ").map { token -> String in
                        if let n = Int(token), n >= 1, n <= options.count { return options[n - 1].0 }
                        return String(token)
                    }.joined(separator: " ")
                }
                do {
                    let value = try FieldParser.parse(answer, for: field, form: form.name)
                    var trial = computed()
                    trial[field.name] = value
                    if let problem = validator.problems(trial).first(where: { $0.field == field.name && !$0.rule.isRequired }) {
                        say("  ✗ " + problem.message(lang) + "\n")
                        continue
                    }
                    values[field.name] = value
                    break
                } catch {
                    say("  ✗ " + error.message(lang) + "\n")
                }
            }
        }
        // Values of fields that stopped applying after a later answer are dropped, as XLSForm does.
        let settled = computed()
        let final = Calculation.context(form: form, labels: lang) { settled[$0] }
        for f in form.fields where !(f.relevant?.isTrue(final) ?? true) { values[f.name] = nil }
        let problems = validator.problems(computed())
        if !problems.isEmpty {
            for p in problems { say("  ✗ " + p.message(lang) + "\n") }
            return nil
        }
        say("\n" + words.saveQuestion)
        guard let confirm = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        if ["n", "no", "non"].contains(confirm) { return nil }
        // Computed fields are the store's to fill in when it saves (``FieldStore/create(form:values:id:started:)``).
        for f in form.fields where f.type.isComputed { values[f.name] = nil }
        return values
    }

    /// Captures the records repeated inside a saved one (its XLSForm repeats): as many as the repeat's count says,
    /// else one after another while the facilitator says yes. Returns how many were saved.
    static func captureRepeats(
        of parent: Form, id: String, values: [String: Value], catalog: FormCatalog, store: FieldStore, lang: Language, labels: LabelLanguage
    ) throws -> Int {
        let words = Words(lang)
        var saved = 0
        for child in catalog.repeated(in: parent.name) {
            guard let r = child.repeats else { continue }
            let ctx = Calculation.context(form: parent, labels: lang) { values[$0] }
            guard r.relevant?.isTrue(ctx) ?? true else { continue }
            let count = r.count.map { e -> Int in
                let n = e.evaluate(ctx).asNumber
                return n.isFinite && n > 0 ? Int(min(n, 1000)) : 0
            }
            var made = 0
            while true {
                if let count {
                    guard made < count else { break }
                    print("\n— \(child.title.text(labels)) \(made + 1)/\(count) —")
                } else {
                    FileHandle.standardOutput.write(Data(("\n" + words.addAnother(child.title.text(labels), first: made == 0)).utf8))
                    guard let a = readLine()?.trimmingCharacters(in: .whitespaces).lowercased(), ["o", "oui", "y", "yes"].contains(a)
                    else { break }
                }
                let started = DateTimeText.now()
                let prompter = Prompter(
                    form: child, store: store, lang: lang, labels: labels, preset: [r.parent: .string(id)], started: started)
                guard let answers = try prompter.run() else { break }
                let childID = try store.create(form: child, values: answers, started: started, labels: lang)
                print(childID)
                made += 1
                saved += 1
                let childValues = try store.record(childID)?.values ?? answers
                saved += try captureRepeats(of: child, id: childID, values: childValues, catalog: catalog, store: store, lang: lang, labels: labels)
            }
        }
        return saved
    }

    /// The latest records of a form, to pick a reference by number.
    func recentRecords(_ form: String) throws -> [(String, String)] {
        let records = try store.records(form: form).suffix(9).reversed()
        return records.map { r in
            let v = r.values
            let text = [v["title"], v["date"], v["name"], v["locality"]].compactMap { $0?.displayString }.joined(separator: " · ")
            return (r.id, text.isEmpty ? r.id : terminalSafe(text))
        }
    }
}
