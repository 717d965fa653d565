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
    /// Show the form's rule expressions beside their messages (`--verbose`).
    var verbose = false
    /// The answers a record has (an edit): each question shows its own as the default, kept with Enter.
    var initial: [String: Value] = [:]
    /// Fields not asked at all (an erased name: it cannot be written again).
    var skipped: Set<String> = []

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

    /// How one question ended.
    enum Asked { case answered, back, end, fatal }

    /// Runs the questions, then a review of every answer from which any can be changed; nil when the user gave up
    /// (end of input, or no to saving).
    ///
    /// `<` (or the up arrow) goes back one question; Enter keeps the answer shown in brackets; `-` clears an optional
    /// answer.
    func run() throws -> [String: Value]? {
        let words = Words(lang)
        var values = initial.merging(preset) { _, p in p }
        let validator = Validator(form: form) { id in
            guard let r = try? store.record(id) else { return nil }
            return ReferenceTarget(form: r.form, deleted: r.isDeleted)
        }
        let device = (try? store.identity().device) ?? ""
        // The store computes the same way when it saves (same start, same label language).
        let moment = Calculation.Moment(started: started, device: device, labels: lang)
        func computed(_ values: [String: Value]) -> [String: Value] {
            var v = values
            Calculation.fill(&v, form: form, at: moment)
            return v
        }
        func relevant(_ field: Field, _ values: [String: Value]) -> Bool {
            let known = computed(values)
            return field.relevant?.isTrue(Calculation.context(form: form, labels: lang) { known[$0] }) ?? true
        }
        say("\(form.title.text(labels)) — \(words.captureIntro)\n")
        let asked = form.fields.filter { !$0.type.isComputed && preset[$0.name] == nil && !skipped.contains($0.name) }
        let total = asked.count
        var index = 0
        var trail: [Int] = []
        while index < asked.count {
            let field = asked[index]
            let known = computed(values)
            guard relevant(field, values) else {
                index += 1
                continue
            }
            let number = "[\(index + 1)/\(total)]"
            if field.type == .note {
                say("\n\(number) \(text(field.label, known))\n")
                if let hint = field.hint, !hint.isEmpty { say("  \(text(hint, known))\n") }
                index += 1
                continue
            }
            if field.readOnly {
                if values[field.name] == nil, let d = field.defaultValue, let v = try? FieldParser.parse(d, for: field, form: form.name) {
                    values[field.name] = v
                }
                say("\n\(number) \(text(field.label, known)) : \(values[field.name]?.displayString ?? "—")\n")
                index += 1
                continue
            }
            switch try ask(field, number: number, values: &values, validator: validator, computed: computed) {
            case .answered:
                trail.append(index)
                index += 1
            case .back:
                if let previous = trail.popLast() { index = previous } else { say("  " + words.atFirstQuestion + "\n") }
            case .end:
                say("\n")
                return nil
            case .fatal:
                return nil
            }
        }
        // The review: every answer, numbered as asked; a number changes that answer, yes saves, no gives up.
        while true {
            // Values of fields that stopped applying after a later answer are dropped, as XLSForm does.
            for f in form.fields where !relevant(f, values) { values[f.name] = nil }
            let shown = asked.indices.filter { i in
                let f = asked[i]
                return f.type != .note && !f.readOnly && relevant(f, values)
            }
            say("\n" + words.reviewTitle + "\n")
            for i in shown {
                let f = asked[i]
                say("  \(i + 1). \(text(f.label, computed(values))) : \(values[f.name].map { shownValue($0, of: f) } ?? "—")\n")
            }
            // Fields not asked (erased for good) are not this capture's to fix.
            let problems = validator.problems(computed(values)).filter { !skipped.contains($0.field ?? "") }
            for p in problems { say("  ✗ " + problemText(p) + "\n") }
            say("\n")
            guard case .line(let line) = LineEditor.shared.read(prompt: problems.isEmpty ? words.saveOrChange : words.changeToFix) else {
                say("\n")
                return nil
            }
            let reply = Choice.fold(line)
            if problems.isEmpty, reply.isEmpty || words.yesWords.contains(reply) { break }
            if words.noWords.contains(reply) { return nil }
            guard let n = Int(reply), shown.contains(n - 1) else {
                say("  ✗ " + (problems.isEmpty ? words.answerYesNoOrNumber : words.answerNumberOrNo) + "\n")
                continue
            }
            switch try ask(asked[n - 1], number: "[\(n)/\(total)]", values: &values, validator: validator, computed: computed) {
            case .end:
                say("\n")
                return nil
            case .fatal: return nil
            case .answered, .back: break
            }
            // Questions the change made apply, required and still unanswered, are asked now.
            for i in asked.indices where i != n - 1 {
                let f = asked[i]
                guard f.type != .note, !f.readOnly, values[f.name] == nil, relevant(f, values) else { continue }
                let ctx = Calculation.context(form: form, labels: lang) { computed(values)[$0] }
                guard validator.isRequired(f, ctx) else { continue }
                switch try ask(f, number: "[\(i + 1)/\(total)]", values: &values, validator: validator, computed: computed) {
                case .end:
                    say("\n")
                    return nil
                case .fatal: return nil
                case .answered, .back: break
                }
            }
        }
        // Computed fields are the store's to fill in when it saves (``FieldStore/create(form:values:id:started:)``).
        for f in form.fields where f.type.isComputed { values[f.name] = nil }
        return values
    }

    /// Asks one question until it is answered well, the person goes back, or input ends.
    func ask(
        _ field: Field, number: String, values: inout [String: Value], validator: Validator,
        computed: ([String: Value]) -> [String: Value]
    ) throws -> Asked {
        let words = Words(lang)
        let known = computed(values)
        let ctx = Calculation.context(form: form, labels: lang) { known[$0] }
        let required = validator.isRequired(field, ctx)
        var options: [(String, String)] = field.choices(given: ctx).map { ($0.name, $0.label.text(labels)) }
        if field.type == .reference, let target = field.referencedForm {
            options = try recentRecords(target)
        }
        // A cascading select with nothing left to choose (no commune listed for this cercle) is not asked; a required
        // one cannot be answered at all: said at once rather than asked in vain.
        // An answer the filter no longer offers (the cercle changed after going back) is not kept.
        if field.choiceFilter != nil, case .string(let code)? = values[field.name], !options.contains(where: { $0.0 == code }) {
            values[field.name] = nil
        }
        if field.choiceFilter != nil, options.isEmpty {
            values[field.name] = nil
            if !required { return .answered }
            say("  ✗ " + words.nothingToChoose(field.label.text(labels)) + "\n")
            return .fatal
        }
        while true {
            say("\n\(number) \(text(field.label, known))\(required ? " *" : "")\n")
            if let hint = field.hint, !hint.isEmpty { say("  \(text(hint, known))\n") }
            for (i, o) in options.enumerated() { say("  \(i + 1). \(o.1)  (\(o.0))\n") }
            let typeHint: String
            switch field.type {
            case .selectMultiple: typeHint = words.severalChoices
            case .selectOne: typeHint = words.oneChoice
            case .reference: typeHint = options.isEmpty ? words.recordIDOrSearch : words.numberOrSearch
            case .date: typeHint = words.dateFormat
            case .time: typeHint = words.timeFormat
            case .datetime: typeHint = words.dateTimeFormat
            case .acknowledge: typeHint = "OK"
            case .geopoint: typeHint = "latitude longitude"
            default: typeHint = ""
            }
            // An edit keeps what the record has: an empty field offers no default, Enter leaves it empty.
            let editing = !initial.isEmpty
            let current = values[field.name].map { shownValue($0, of: field) } ?? (editing ? nil : field.defaultValue)
            // On one line, however long the answer (a summary): the editor redraws within the screen.
            let brief = current.map { c -> String in
                let line = terminalSafe(c).replacingOccurrences(of: "\n", with: " ")
                return line.count > 40 ? String(line.prefix(39)) + "…" : line
            }
            let shownParts = [typeHint.isEmpty ? nil : "(\(typeHint))", brief.map { "[\($0)]" }].compactMap { $0 }
            let line: String
            switch LineEditor.shared.read(prompt: (shownParts + [">"]).joined(separator: " ") + " ", allowBack: true) {
            case .end: return .end
            case .back: return .back
            case .line(let l): line = l
            }
            var answer = line.trimmingCharacters(in: .whitespaces)
            if answer.isEmpty, values[field.name] != nil { return .answered }  // keeps the answer shown
            if answer == "-", !required {
                values[field.name] = nil
                return .answered
            }
            if answer.isEmpty, !editing, let d = field.defaultValue { answer = d }
            if answer.isEmpty {
                if required {
                    say("  ✗ " + (field.requiredMessage.map { $0.text(labels) } ?? words.required) + "\n")
                    continue
                }
                values[field.name] = nil
                return .answered
            }
            answer = picked(answer, field: field, options: options)
            // The short id lists show (or a start of the id) names the record too.
            if field.type == .reference, !RecordID.isValid(answer), let whole = try? store.resolveID(answer) { answer = whole }
            if field.type == .reference, !RecordID.isValid(answer), let target = field.referencedForm {
                // Not a number of the list nor an id: a search by title, name or locality among the form's records.
                let found = try search(target, answer)
                if found.count == 1 {
                    answer = found[0].0
                } else {
                    say("  " + (found.isEmpty ? words.noRecordMatches(answer) : words.severalRecordsMatch(found.count)) + "\n")
                    if !found.isEmpty { options = found }
                    continue
                }
            }
            do {
                let value = try FieldParser.parse(answer, for: field, form: form.name)
                var trial = computed(values)
                trial[field.name] = value
                if let problem = validator.problems(trial).first(where: { $0.field == field.name && !$0.rule.isRequired }) {
                    say("  ✗ " + problemText(problem) + "\n")
                    continue
                }
                values[field.name] = value
                return .answered
            } catch {
                say("  ✗ " + problemText(error) + "\n")
            }
        }
    }

    /// A refusal as the person reads it: a rule's own message when the form gives one (the rule itself with --verbose).
    func problemText(_ error: ValidationError) -> String {
        if case .constraint(let rule, let message?) = error.rule, !message.isEmpty {
            return message.text(labels) + (verbose ? "  (\(rule))" : "")
        }
        return error.message(lang)
    }

    /// Numbers of the list shown replaced by what they stand for: a choice's code, a record's id. Several choices go
    /// separated by commas when there is one, else by spaces (`2 3`, `2, 3`, `eau, foncier`).
    func picked(_ answer: String, field: Field, options: [(String, String)]) -> String {
        func byNumber(_ token: String) -> String {
            if let n = Int(token), n >= 1, n <= options.count { return options[n - 1].0 }
            return token
        }
        switch field.type {
        case .selectMultiple:
            // A whole label with spaces is one choice, unless the words are numbers of the list or codes.
            let words = answer.split(whereSeparator: \.isWhitespace).map(String.init)
            if words.count > 1, !answer.contains(","), !answer.contains(";"),
                !words.allSatisfy({ Int($0).map { (1...options.count).contains($0) } ?? (field.choice($0) != nil) }),
                field.matchChoice(answer, prefix: false) != nil
            {
                return answer
            }
            let commas = answer.contains(",") || answer.contains(";")
            let tokens = answer.split(whereSeparator: { commas ? ($0 == "," || $0 == ";") : $0.isWhitespace })
            return tokens.map { byNumber($0.trimmingCharacters(in: .whitespaces)) }.joined(separator: ",")
        case .selectOne, .reference:
            return byNumber(answer)
        default:
            return answer
        }
    }

    /// A value as the review and the brackets show it: a choice by its label, a record by its title.
    func shownValue(_ value: Value, of field: Field) -> String {
        switch (field.type, value) {
        case (.selectOne, .string(let code)):
            return field.choice(code)?.label.text(labels) ?? code
        case (.selectMultiple, .list(let codes)):
            return codes.map { field.choice($0)?.label.text(labels) ?? $0 }.joined(separator: ", ")
        case (.reference, .string(let id)):
            guard let r = try? store.record(id) else { return id }
            return Self.title(of: r.values) ?? id
        default:
            return value.displayString
        }
    }

    /// What names a record to a person: its title, date, name or locality.
    static func title(of v: [String: Value]) -> String? {
        let text = [v["title"], v["date"], v["name"], v["locality"]].compactMap { $0?.displayString }.joined(separator: " · ")
        return text.isEmpty ? nil : terminalSafe(text)
    }

    /// Records of a form whose title, name or locality holds the text, ignoring case and accents, newest first.
    func search(_ form: String, _ text: String) throws -> [(String, String)] {
        let key = Choice.fold(text)
        return try store.records(form: form).reversed().compactMap { r -> (String, String)? in
            let v = r.values
            let hay = [v["title"], v["name"], v["locality"], v["date"]].compactMap { $0?.displayString }.map(Choice.fold)
            guard r.id.hasPrefix(text.lowercased()) || hay.contains(where: { $0.contains(key) }) else { return nil }
            return (r.id, Self.title(of: v) ?? r.id)
        }.prefix(20).map { $0 }
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
                    guard askYesNo(words.addAnother(child.title.text(labels), first: made == 0), default: false, lang) else { break }
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

    /// The latest records of a form, to pick a reference by number (or search the others by typing).
    func recentRecords(_ form: String) throws -> [(String, String)] {
        try store.records(form: form).suffix(9).reversed().map { r in (r.id, Self.title(of: r.values) ?? r.id) }
    }
}

/// Asks a yes-or-no question until the answer is a yes or no word of the language (Enter takes the default); false at
/// the end of input.
func askYesNo(_ question: String, default yes: Bool, _ lang: Language) -> Bool {
    let words = Words(lang)
    while true {
        FileHandle.standardOutput.write(Data("\n".utf8))
        guard case .line(let line) = LineEditor.shared.read(prompt: question) else { return false }
        let reply = Choice.fold(line)
        if reply.isEmpty { return yes }
        if words.yesWords.contains(reply) { return true }
        if words.noWords.contains(reply) { return false }
        FileHandle.standardOutput.write(Data(("  ✗ " + words.answerYesOrNo + "\n").utf8))
    }
}
