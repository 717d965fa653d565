import Foundation

/// Why a value or a record is refused: the form, the field, the value and the rule it breaks.
///
/// ```
/// participant.age_band: '99' is not one of under_18, 18_24, 25_35, 36_59, 60_plus
/// ```
public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The rule that was broken.
    public enum Rule: Hashable, Sendable {
        case unknownForm(known: [String])
        case unknownField(known: [String])
        case wrongType(FieldType)
        case notAChoice([String])
        case required
        /// Filled in by Palabre (a calculation or metadata): not to be given.
        case computed
        /// Shown, never answered (`read_only`): its value is the form's.
        case readOnly
        /// Required, with the form's own words (`required_message`).
        case requiredBecause(LocalizedText)
        case notRelevant(String)
        case constraint(String, LocalizedText?)
        case missingReference(form: String)
        case referenceToOtherForm(expected: String, actual: String)
        case deleted
        case tooLong(Int)
        /// A date the calendar does not have (`2026-11-31`).
        case noSuchDate(year: Int, month: Int, day: Int)
        case other(String)

        /// Whether the rule is that an answer is missing.
        public var isRequired: Bool {
            switch self {
            case .required, .requiredBecause: return true
            default: return false
            }
        }

        /// The rule in words, in a language.
        public func message(_ lang: Language) -> String {
            let fr = lang == .fr
            switch self {
            case .unknownForm(let known):
                return (fr ? "n'est pas un formulaire (formulaires : " : "is not a form (forms: ") + known.joined(separator: ", ") + ")"
            case .unknownField(let known):
                return (fr ? "n'est pas un champ de ce formulaire (champs : " : "is not a field of this form (fields: ")
                    + known.joined(separator: ", ") + ")"
            case .wrongType(.note):
                return fr ? "est une note : elle n'attend pas de réponse" : "is a note: it takes no answer"
            case .wrongType(let t):
                if fr {
                    let fre: [FieldType: String] = [
                        .text: "du texte", .integer: "un nombre entier", .decimal: "un nombre", .date: "une date AAAA-MM-JJ",
                        .selectOne: "un seul choix", .selectMultiple: "des choix séparés par des espaces",
                        .geopoint: "une position « latitude longitude » en degrés", .reference: "l'identifiant d'un enregistrement",
                        .time: "une heure HH:MM", .datetime: "une date et une heure AAAA-MM-JJ HH:MM",
                        .acknowledge: "OK (lu et accepté)", .calculate: "une valeur calculée",
                        .start: "un moment AAAA-MM-JJTHH:MM:SSZ", .end: "un moment AAAA-MM-JJTHH:MM:SSZ",
                        .today: "une date AAAA-MM-JJ", .deviceid: "un nom d'appareil",
                    ]
                    return "n'est pas \(fre[t]!)"
                }
                return "is not \(t.expectation)"
            case .notAChoice(let choices):
                return (fr ? "n'est pas l'un de " : "is not one of ") + choices.joined(separator: ", ")
            case .required:
                return fr ? "est obligatoire" : "is required"
            case .readOnly:
                return fr ? "est en lecture seule dans le formulaire : on ne le saisit pas" : "is read-only in the form: it cannot be given"
            case .computed:
                return fr ? "est calculé par le formulaire : on ne le saisit pas" : "is computed by the form: it cannot be given"
            case .requiredBecause(let message):
                return (fr ? "est obligatoire : " : "is required: ") + message.text(lang)
            case .notRelevant(let e):
                return fr ? "ne s'applique pas ici (condition : \(e))" : "does not apply here (relevant only when \(e))"
            case .constraint(let e, let message):
                if let message, !message.isEmpty {
                    return (fr ? "ne respecte pas la règle « \(e) » : " : "breaks the rule '\(e)': ") + message.text(lang)
                }
                return fr ? "ne respecte pas la règle « \(e) »" : "breaks the rule '\(e)'"
            case .missingReference(let form):
                return fr
                    ? "ne désigne aucun enregistrement « \(form) » de cette base de données" : "is not the id of any '\(form)' record in this store"
            case .referenceToOtherForm(let expected, let actual):
                return fr ? "désigne un « \(actual) », pas un « \(expected) »" : "is a '\(actual)' record, not a '\(expected)'"
            case .deleted:
                return fr ? "désigne un enregistrement supprimé" : "is a deleted record"
            case .tooLong(let max):
                return fr ? "dépasse \(max) caractères" : "is longer than \(max) characters"
            case .noSuchDate(let y, let m, let d):
                let months =
                    fr
                    ? ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
                    : ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
                let days = CivilDate.days(inMonth: m, of: y)
                return fr
                    ? "n'existe pas : \(months[m - 1]) \(y) n'a que \(days) jours (pas de \(d))"
                    : "does not exist: \(months[m - 1]) \(y) has \(days) days (no \(d))"
            case .other(let m):
                return m
            }
        }
    }

    /// The form.
    public var form: String
    /// The field, or nil when the problem is the record's (an unknown form).
    public var field: String?
    /// The value as given, nil when there was none.
    public var value: String?
    /// The rule broken.
    public var rule: Rule

    /// Builds an error.
    public init(form: String, field: String?, value: String?, rule: Rule) {
        self.form = form
        self.field = field
        self.value = value
        self.rule = rule
    }

    /// One sentence in a language: `participant.age_band: '99' is not one of …`.
    ///
    /// A long value is cut to its first 60 characters. With `withholdingValue` (a sensitive field, in a reason the
    /// service stores, logs and answers) the value is not repeated at all.
    public func message(_ lang: Language, withholdingValue: Bool = false) -> String {
        let place = field.map { "\(form).\($0)" } ?? form
        if withholdingValue, value != nil {
            return "\(place): " + (lang == .fr ? "(valeur sensible non reproduite) " : "(sensitive value withheld) ") + rule.message(lang)
        }
        if let value {
            let shown = value.count > 60 ? String(value.prefix(60)) + "…" : value
            return "\(place): '\(shown)' \(rule.message(lang))"
        }
        return "\(place) \(rule.message(lang))"
    }

    public var description: String { message(.en) }
}
