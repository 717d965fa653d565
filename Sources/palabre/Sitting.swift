import Foundation
import PalabreCore
import PalabreStore

/// A session in one sitting: after a record is saved interactively, the records that refer to it (a session's
/// participants and initiatives) are offered one after another with the reference already set, and anonymous
/// participants can be entered a line each (`F 18_24 jeune`, `12x H 25_35 ancien` for twelve alike).
struct Sitting {
    let parent: Form
    let id: String
    let catalog: FormCatalog
    let store: FieldStore
    let lang: Language
    let labels: LabelLanguage
    var verbose = false

    func say(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }

    /// The forms with a reference to the parent, other than its repeats (captured already): those whose records can be
    /// quick lines (people: a session's participants) first, as they are registered when the session opens, then the
    /// others (its initiatives, proposed at its end), each by name.
    var children: [(form: Form, field: String)] {
        let all = catalog.names.compactMap { name -> (Form, String)? in
            guard let form = catalog[name], form.name != parent.name,
                let field = form.fields.first(where: { $0.type == .reference && $0.referencedForm == parent.name })
            else { return nil }
            if let r = form.repeats, r.parent == parent.name || r.parent == field.name { return nil }  // captured as a repeat
            return (form, field.name)
        }
        return all.filter { QuickLine(form: $0.0, reference: $0.1).usable } + all.filter { !QuickLine(form: $0.0, reference: $0.1).usable }
    }

    /// Offers each child form in turn; returns how many records were saved, by form.
    func run() throws -> [(form: Form, saved: Int)] {
        let words = Words(lang)
        var out: [(Form, Int)] = []
        for (child, field) in children {
            let title = child.title.text(labels)
            let quick = QuickLine(form: child, reference: field)
            var saved = 0
            mode: while true {
                let question = quick.usable ? words.addChildQuick(title, first: saved == 0) : words.addChild(title, first: saved == 0)
                say("\n")
                guard case .line(let line) = LineEditor.shared.read(prompt: question) else { break }
                let reply = Choice.fold(line)
                if reply.isEmpty || words.yesWords.contains(reply) {
                    let started = DateTimeText.now()
                    var prompter = Prompter(form: child, store: store, lang: lang, labels: labels, preset: [field: .string(id)], started: started)
                    prompter.verbose = verbose
                    guard let answers = try prompter.run() else {
                        say(words.nothingSavedForThisOne + "\n")
                        continue
                    }
                    let made = try store.create(form: child, values: answers, started: started, labels: lang)
                    print(made)
                    saved += 1
                } else if quick.usable, reply == words.quickLetter {
                    saved += try quickLines(quick, title: title)
                } else if words.noWords.contains(reply) {
                    break mode
                } else {
                    say("  ✗ " + (quick.usable ? words.answerYesNoQuick : words.answerYesOrNo) + "\n")
                }
            }
            out.append((child, saved))
        }
        return out
    }

    /// Reads a line per person (or per group of people alike) until an empty line; each line is saved as soon as it is
    /// read, so a cut-off sitting keeps every line typed before.
    func quickLines(_ quick: QuickLine, title: String) throws -> Int {
        let words = Words(lang)
        let validator = Validator(form: quick.form) { id in
            guard let r = try? store.record(id) else { return nil }
            return ReferenceTarget(form: r.form, deleted: r.isDeleted)
        }
        say("\n" + words.quickIntro(title, fields: quick.fields.map { f in f.label.text(labels) }, example: quick.example(labels)) + "\n")
        var saved = 0
        while true {
            guard case .line(let line) = LineEditor.shared.read(prompt: words.quickPrompt(saved)) else { break }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
            do {
                let (count, values) = try quick.read(line, reference: id)
                var all = values
                Calculation.fill(&all, form: quick.form, at: .init(started: DateTimeText.now(), device: "", labels: lang))
                if let p = validator.problems(all).first { throw p }
                for _ in 0..<count {
                    _ = try store.create(form: quick.form, values: values, started: DateTimeText.now(), labels: lang)
                    saved += 1
                }
                say("  ✓ " + quick.summary(values, count: count, labels) + "\n")
            } catch let e as ValidationError {
                say("  ✗ " + e.message(lang) + "\n")
            }
        }
        return saved
    }
}

/// One line, one anonymous person: each word is a choice of one of the form's required single-choice fields, by code,
/// label (either language, any case, no accents) or the start of a label (`F`, `jeu`), in any order.
struct QuickLine {
    let form: Form
    let reference: String

    /// The fields a line fills: required single choices that do not depend on consent to be named.
    var fields: [Field] {
        form.fields.filter { f in
            f.type == .selectOne && f.name != gate?.name && isRequiredAlways(f)
        }
    }

    /// The consent field: a single choice that identifying fields depend on (`relevant: ${consent} = 'yes'`); a quick
    /// line answers it "no", so nobody is named.
    var gate: Field? {
        let identifying = form.fields.filter { $0.sensitive || $0.contact }
        return form.fields.first { f in
            f.type == .selectOne && f.choice("no") != nil
                && identifying.contains { $0.relevant.map { "\($0)".contains(f.name) } ?? false }
        }
    }

    func isRequiredAlways(_ f: Field) -> Bool {
        if case .always = f.required { return f.relevant == nil }
        return false
    }

    /// Whether every required answer can come from a line: all required fields are single choices (or the reference,
    /// or the consent).
    var usable: Bool {
        !fields.isEmpty
            && form.fields.allSatisfy { f in
                !isRequiredAlways(f) || f.name == reference || f.name == gate?.name || f.type == .selectOne || f.type.isComputed
            }
    }

    /// An example line: the first word of a choice's label (`Femme`), or a code where codes are numbers (`18_24`).
    func example(_ labels: LabelLanguage) -> String {
        fields.compactMap { f -> String? in
            let numbered = f.choices.filter { $0.name.contains(where: \.isNumber) }
            if let code = (numbered.dropFirst().first ?? numbered.first)?.name { return code }
            return f.choices.first.map { c in c.label.text(labels).split(separator: " ").first.map(String.init) ?? c.name }
        }.joined(separator: " ")
    }

    /// The values of a line, and how many people it stands for (`12x …`).
    func read(_ line: String, reference id: String) throws(ValidationError) -> (Int, [String: Value]) {
        var words = line.split(whereSeparator: { $0.isWhitespace || $0 == "," }).map(String.init)
        var count = 1
        if let first = words.first, first.count >= 2, first.last == "x" || first.last == "×", let n = Int(first.dropLast()) {
            guard (1...500).contains(n) else {
                throw ValidationError(form: form.name, field: nil, value: first, rule: .other(lineCountRule))
            }
            count = n
            words.removeFirst()
        }
        var values: [String: Value] = [reference: .string(id)]
        if let gate { values[gate.name] = .string("no") }
        var open = fields
        for word in words {
            guard let (i, choice) = open.enumerated().lazy.compactMap({ (i, f) in Self.pick(word, in: f).map { (i, $0) } }).first else {
                let all = open.flatMap(\.choices).map(\.name)
                throw ValidationError(form: form.name, field: open.first?.name, value: word, rule: .notAChoice(all))
            }
            values[open[i].name] = .string(choice.name)
            open.remove(at: i)
        }
        if let missing = open.first {
            throw ValidationError(form: form.name, field: missing.name, value: nil, rule: .required)
        }
        return (count, values)
    }

    var lineCountRule: String { "is not a number of people from 1x to 500x" }

    /// The choice of a field a word means: as ``Field/matchChoice(_:)``, or the one choice whose label or code starts
    /// with it (one letter is enough on a line: `F`, `H`).
    static func pick(_ word: String, in field: Field) -> Choice? {
        if let c = field.matchChoice(word) { return c }
        let key = Choice.fold(word)
        let started = field.choices.filter { c in
            Choice.fold(c.name).hasPrefix(key) || c.label.texts.values.contains { Choice.fold($0).hasPrefix(key) }
        }
        return started.count == 1 ? started[0] : nil
    }

    /// `2 × Femme, 18-24 ans, Jeune`.
    func summary(_ values: [String: Value], count: Int, _ labels: LabelLanguage) -> String {
        let shown = fields.compactMap { f -> String? in
            guard case .string(let code)? = values[f.name] else { return nil }
            return f.choice(code)?.label.text(labels) ?? code
        }
        return (count > 1 ? "\(count) × " : "") + shown.joined(separator: ", ")
    }
}
