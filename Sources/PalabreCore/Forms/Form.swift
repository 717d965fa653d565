import Foundation

/// A language the CLI speaks and forms are labelled in.
public enum Language: String, Sendable, CaseIterable {
    case fr, en

    /// The language of a POSIX locale string (`fr_ML.UTF-8` → `.fr`), nil when neither.
    public init?(locale: String) {
        let lower = locale.lowercased()
        if lower.hasPrefix("fr") { self = .fr } else if lower.hasPrefix("en") { self = .en } else { return nil }
    }
}

/// A text in several languages, as forms give labels and hints.
public struct LocalizedText: Hashable, Sendable {
    /// Language code to text.
    public var texts: [String: String]

    /// Builds a text from language codes to strings.
    public init(_ texts: [String: String]) { self.texts = texts }

    /// The text in `language`, else French, else English, else any.
    public func text(_ language: Language) -> String {
        texts[language.rawValue] ?? texts["fr"] ?? texts["en"] ?? texts.values.sorted().first ?? ""
    }

    /// The text in a form language (`bm`, `ses`, `ar`: any code a form labels in), else the form's default language,
    /// else the CLI's language (as ``text(_:)``).
    public func text(_ labels: LabelLanguage) -> String {
        if let code = labels.code, let t = texts[code], !t.isEmpty { return t }
        if let code = labels.fallback, let t = texts[code], !t.isEmpty { return t }
        return text(labels.interface)
    }

    /// Whether no language has text.
    public var isEmpty: Bool { texts.values.allSatisfy(\.isEmpty) }
}

/// The language labels are shown in: any code a form has labels for (`bm`, `ses`, `tmh`, `ff`, `ar`), falling back
/// to the form's default language, then to the language the CLI speaks (French or English).
public struct LabelLanguage: Hashable, Sendable {
    /// The labels' language code asked for, nil for the interface's.
    public var code: String?
    /// The form's `default_language`, tried next.
    public var fallback: String?
    /// The language of the CLI's own words.
    public var interface: Language

    /// A language code from a spreadsheet column's suffix or a language's name: `English (en)` → `en`, `fr` → `fr`,
    /// `Bambara` → `bm`, `Songhay` → `ses`.
    public static func code(_ suffix: String) -> String {
        let s = suffix.trimmingCharacters(in: .whitespaces)
        if let open = s.lastIndex(of: "("), let close = s.lastIndex(of: ")"), open < close {
            let code = s[s.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if !code.isEmpty { return code.lowercased() }
        }
        let lower = s.lowercased()
        let names: [String: String] = [
            "english": "en", "anglais": "en", "french": "fr", "français": "fr", "francais": "fr", "bambara": "bm",
            "bamanankan": "bm", "songhay": "ses", "songhai": "ses", "sonrai": "ses", "tamasheq": "tmh", "tamashek": "tmh",
            "tamacheq": "tmh", "fulfulde": "ff", "fula": "ff", "peul": "ff", "pular": "ff", "arabic": "ar", "arabe": "ar",
            "hausa": "ha", "soninke": "snk", "dogon": "dgo",
        ]
        if let code = names[lower] { return code }
        if lower.count <= 3, lower.allSatisfy(\.isLetter) { return lower }
        return lower.replacingOccurrences(of: " ", with: "_")
    }

    /// Builds a choice of label language.
    public init(_ interface: Language, code: String? = nil, fallback: String? = nil) {
        self.interface = interface
        self.code = code
        self.fallback = fallback
    }
}

/// The type of a form field, as XLSForm names them (`reference` is Palabre's link to another record).
public enum FieldType: String, Sendable, CaseIterable {
    case text, integer, decimal, date, time, datetime
    case selectOne = "select_one"
    case selectMultiple = "select_multiple"
    case geopoint, reference
    /// Text shown to the facilitator; holds no value.
    case note
    /// A box to tick: its value is `OK`.
    case acknowledge
    /// A value the form computes from its `calculation`, never asked.
    case calculate
    /// Metadata filled in by Palabre, never asked: when the capture started and was saved, the day, the device.
    case start, end, today, deviceid

    /// Whether the value is filled in by Palabre rather than typed (calculations and metadata).
    public var isComputed: Bool { [.calculate, .start, .end, .today, .deviceid].contains(self) }

    /// Whether the field holds a value at all (a note does not).
    public var holdsValue: Bool { self != .note }

    /// How a value of this type is written, for error messages.
    public var expectation: String {
        switch self {
        case .text: return "text"
        case .integer: return "a whole number"
        case .decimal: return "a number"
        case .date: return "a date as YYYY-MM-DD"
        case .time: return "a time as HH:MM"
        case .datetime: return "a date and time as YYYY-MM-DD HH:MM"
        case .note: return "no answer (a note)"
        case .acknowledge: return "OK (acknowledged)"
        case .calculate: return "a computed value"
        case .start, .end: return "a moment as YYYY-MM-DDTHH:MM:SSZ"
        case .today: return "a date as YYYY-MM-DD"
        case .deviceid: return "a device name"
        case .selectOne: return "one choice"
        case .selectMultiple: return "choices separated by spaces"
        case .geopoint: return "a position as 'latitude longitude' in degrees"
        case .reference: return "the id of a record"
        }
    }
}

/// One answer of a select field.
public struct Choice: Hashable, Sendable {
    /// The code stored in records.
    public var name: String
    /// What people read.
    public var label: LocalizedText
    /// Other columns of the choice (`region` of a cercle), read by a field's `choice_filter`.
    public var attributes: [String: String] = [:]

    /// Text as choices are matched: no case, no accents, one space between words, `_` and `-` as spaces.
    public static func fold(_ text: String) -> String {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        let spaced = String(folded.map { $0 == "_" || $0 == "-" || $0 == "’" ? " " : $0 })
        return spaced.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Builds a choice.
    public init(name: String, label: LocalizedText, attributes: [String: String] = [:]) {
        self.name = name
        self.label = label
        self.attributes = attributes
    }
}

/// When a field must be answered.
public enum Requirement: Hashable, Sendable {
    case never, always
    /// Required when the expression is true.
    case when(Expression)
}

/// One question of a form.
public struct Field: Hashable, Sendable {
    /// The name records use for it.
    public var name: String
    /// Its type.
    public var type: FieldType
    /// Its label, per language.
    public var label: LocalizedText
    /// Help shown under the question.
    public var hint: LocalizedText?
    /// When it must be answered.
    public var required: Requirement = .never
    /// A condition the value must meet (`.` is the value).
    public var constraint: Expression?
    /// What to say when the constraint fails.
    public var constraintMessage: LocalizedText?
    /// Skip logic: the field is asked and kept only when this is true.
    public var relevant: Expression?
    /// The value used when none is given, as a user would type it.
    public var defaultValue: String?
    /// Whether the value identifies a person (pseudonymised for analysts).
    public var sensitive = false
    /// Whether it is a contact detail (dropped for analysts).
    public var contact = false
    /// The choice list's name, for select fields.
    public var choiceList: String?
    /// The choices, for select fields.
    public var choices: [Choice] = []
    /// The referenced form, for reference fields.
    public var referencedForm: String?
    /// What a `calculate` field computes.
    public var calculation: Expression?
    /// Which choices apply, given the other answers (`cercle: region = ${region}`): cascading selects.
    public var choiceFilter: Expression?
    /// Shown, never asked: the value comes from `default` or `calculation`.
    public var readOnly = false
    /// What to say when a required field is left empty.
    public var requiredMessage: LocalizedText?

    /// Builds a field; the other properties are set one by one.
    public init(name: String, type: FieldType, label: LocalizedText, choices: [Choice] = []) {
        self.name = name
        self.type = type
        self.label = label
        self.choices = choices
    }

    /// The choice with this code.
    public func choice(_ name: String) -> Choice? { choices.first { $0.name == name } }

    /// The choice a person meant by `text`: its code as stored, else its code or its label in any language ignoring
    /// case and accents (`tombouctou`, `Tombouctou`, `TOMBOUCTOU`, `oui`), else the one choice whose label starts so
    /// (three letters at least); nil when none or several.
    public func matchChoice(_ text: String, prefix: Bool = true) -> Choice? {
        if let exact = choice(text) { return exact }
        let key = Choice.fold(text)
        guard !key.isEmpty else { return nil }
        let named = choices.filter { c in Choice.fold(c.name) == key || c.label.texts.values.contains { Choice.fold($0) == key } }
        if named.count == 1 { return named[0] }
        guard prefix, named.isEmpty, key.count >= 3 else { return nil }
        let started = choices.filter { c in c.label.texts.values.contains { Choice.fold($0).hasPrefix(key) } }
        return started.count == 1 ? started[0] : nil
    }

    /// The choices that apply given the other answers: all of them, or those the `choice_filter` keeps.
    public func choices(given context: ExpressionContext) -> [Choice] {
        guard let choiceFilter else { return choices }
        return choices.filter { c in
            var ctx = context
            ctx.current = nil
            ctx.attribute = { column in
                if column == "name" { return c.name }
                if column == "label" { return c.label.text(.fr) }
                if column.hasPrefix("label::") { return c.label.texts[LabelLanguage.code(String(column.dropFirst(7)))] ?? "" }
                return c.attributes[column]
            }
            return choiceFilter.isTrue(ctx)
        }
    }
}

/// A form whose records belong to a record of another (an XLSForm repeat): captured in a loop after their parent.
public struct Repeat: Hashable, Sendable {
    /// The parent form, and the reference field of this form that names the parent record.
    public var parent: String
    /// How many records to capture after the parent, computed from the parent's answers (`${children}`).
    public var count: Expression?
    /// Whether to capture any at all, from the parent's answers.
    public var relevant: Expression?

    /// Builds a repeat.
    public init(parent: String, count: Expression? = nil, relevant: Expression? = nil) {
        self.parent = parent
        self.count = count
        self.relevant = relevant
    }
}

/// A questionnaire: a versioned, ordered list of fields.
///
/// Forms are data, read from `forms/*.yaml` at run time; see ``FormCompiler`` for the file format.
public struct Form: Hashable, Sendable {
    /// The form's name (`session`, `participant`…).
    public var name: String
    /// Its version; a record remembers the version it was captured with.
    public var version: Int
    /// Its title, per language.
    public var title: LocalizedText
    /// Its fields, in the order they are asked.
    public var fields: [Field]
    /// Where it was read from.
    public var file: String
    /// What its records are to the indicators, and which of its fields feed them (see ``IndicatorMap``).
    public var indicators: IndicatorMap.Declaration?
    /// When its records are the repeated part of another form's.
    public var repeats: Repeat?
    /// The language its labels fall back to when one asked for is missing (XLSForm's `default_language`).
    public var defaultLanguage: String?

    private var index: [String: Int]

    /// Builds a form.
    public init(name: String, version: Int, title: LocalizedText, fields: [Field], file: String = "") {
        self.name = name
        self.version = version
        self.title = title
        self.fields = fields
        self.file = file
        var index: [String: Int] = [:]
        for (i, f) in fields.enumerated() where index[f.name] == nil { index[f.name] = i }
        self.index = index
    }

    /// The field with this name.
    public func field(_ name: String) -> Field? { index[name].map { fields[$0] } }

    /// The position of a field in the form.
    public func position(of name: String) -> Int? { index[name] }
}
