import Foundation
import PalabreCore
import PalabreStore

/// Asks a form's relevant fields one by one in a terminal, in the user's language.
///
/// Answers are kept in memory and only saved by the caller at the end, so Ctrl-C or Ctrl-D saves nothing half-done.
struct Prompter {
    let form: Form
    let store: FieldStore
    let lang: Language

    func say(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    /// Runs the questions; nil when the user gave up (end of input or refused to save).
    func run() throws -> [String: Value]? {
        let words = Words(lang)
        var values: [String: Value] = [:]
        let validator = Validator(form: form) { id in
            guard let r = try? store.record(id) else { return nil }
            return ReferenceTarget(form: r.form, deleted: r.isDeleted)
        }
        say("\(form.title.text(lang)) — \(words.captureIntro)\n")
        let total = form.fields.count
        for (index, field) in form.fields.enumerated() {
            let ctx = ExpressionContext(current: nil) { values[$0] }
            guard field.relevant?.isTrue(ctx) ?? true else { continue }
            let required = validator.isRequired(field, ctx)
            var options: [(String, String)] = field.choices.map { ($0.name, $0.label.text(lang)) }
            if field.type == .reference, let target = field.referencedForm {
                options = try recentRecords(target)
            }
            while true {
                say("\n[\(index + 1)/\(total)] \(field.label.text(lang))\(required ? " *" : "")\n")
                if let hint = field.hint?.text(lang), !hint.isEmpty { say("  \(hint)\n") }
                for (i, o) in options.enumerated() { say("  \(i + 1). \(o.1)  (\(o.0))\n") }
                let typeHint: String
                switch field.type {
                case .selectMultiple: typeHint = words.severalChoices
                case .selectOne,
                    .reference where !options.isEmpty:
                    typeHint = words.oneChoice
                case .date: typeHint = words.dateFormat
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
                        say("  ✗ " + words.required + "\n")
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
                    var trial = values
                    trial[field.name] = value
                    if let problem = validator.problems(trial).first(where: { $0.field == field.name && $0.rule != .required }) {
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
        let final = ExpressionContext(current: nil) { values[$0] }
        for f in form.fields where !(f.relevant?.isTrue(final) ?? true) { values[f.name] = nil }
        let problems = validator.problems(values)
        if !problems.isEmpty {
            for p in problems { say("  ✗ " + p.message(lang) + "\n") }
            return nil
        }
        say("\n" + words.saveQuestion)
        guard let confirm = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        if ["n", "no", "non"].contains(confirm) { return nil }
        return values
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
