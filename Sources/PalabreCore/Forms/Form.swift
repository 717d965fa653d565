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

    /// Whether no language has text.
    public var isEmpty: Bool { texts.values.allSatisfy(\.isEmpty) }
}

/// The type of a form field, as XLSForm names them (`reference` is Palabre's link to another record).
public enum FieldType: String, Sendable, CaseIterable {
    case text, integer, decimal, date
    case selectOne = "select_one"
    case selectMultiple = "select_multiple"
    case geopoint, reference

    /// How a value of this type is written, for error messages.
    public var expectation: String {
        switch self {
        case .text: return "text"
        case .integer: return "a whole number"
        case .decimal: return "a number"
        case .date: return "a date as YYYY-MM-DD"
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

    /// The choice with this code.
    public func choice(_ name: String) -> Choice? { choices.first { $0.name == name } }
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
