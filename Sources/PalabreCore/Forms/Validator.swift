import Foundation

/// What the validator needs to know about a referenced record.
public struct ReferenceTarget: Sendable {
    /// The referenced record's form.
    public var form: String
    /// Whether it is deleted.
    public var deleted: Bool

    /// Builds a target description.
    public init(form: String, deleted: Bool) {
        self.form = form
        self.deleted = deleted
    }
}

/// Checks a whole record against its form: unknown fields, types, choices, skip logic, required fields,
/// constraints and references.
public struct Validator {
    /// The form checked against.
    public let form: Form
    /// Today's date, `YYYY-MM-DD`, for `today()`.
    public var today: String
    /// Looks up a referenced record by id; nil when it does not exist.
    public var lookup: (String) -> ReferenceTarget?
    /// Whether references must exist (false when changes may arrive before the records they point to).
    public var checksReferences = true

    /// Builds a validator.
    public init(form: Form, today: String = Validator.today(), lookup: @escaping (String) -> ReferenceTarget? = { _ in nil }) {
        self.form = form
        self.today = today
        self.lookup = lookup
    }

    /// Today's date in the local time zone (or UTC), `YYYY-MM-DD`.
    public static func today(_ now: Date = Date(), utc: Bool = false) -> String { CivilDate.today(now, utc: utc).text }

    /// Every problem with a record's values, in form order; empty when the record is valid.
    ///
    /// Fields not in the form are refused unless listed in `keptFields` (data of a field a newer form version removed).
    public func problems(_ values: [String: Value], keptFields: Set<String> = []) -> [ValidationError] {
        var out: [ValidationError] = []
        for name in values.keys.sorted() where form.field(name) == nil && !keptFields.contains(name) {
            out.append(
                ValidationError(
                    form: form.name, field: name, value: values[name]?.displayString,
                    rule: .unknownField(known: form.fields.map(\.name))))
        }
        // Labels as the capture saw them (`jr:choice-name` in a condition reads the same text everywhere).
        let ctx = Calculation.context(form: form, today: today) { values[$0] }
        for field in form.fields {
            let value = values[field.name]
            let relevant = field.relevant?.isTrue(ctx) ?? true
            guard let value, !Validator.isEmpty(value) else {
                if relevant && isRequired(field, ctx) {
                    let rule: ValidationError.Rule = field.requiredMessage.map { .requiredBecause($0) } ?? .required
                    out.append(ValidationError(form: form.name, field: field.name, value: nil, rule: rule))
                }
                continue
            }
            if !relevant {
                out.append(
                    ValidationError(
                        form: form.name, field: field.name, value: value.displayString,
                        rule: .notRelevant(field.relevant!.source)))
                continue
            }
            if let problem = check(value, of: field) {
                out.append(problem)
                continue
            }
            if field.choiceFilter != nil, let problem = checkFiltered(value, of: field, ctx) {
                out.append(problem)
                continue
            }
            if let c = field.constraint {
                var fieldCtx = ctx
                fieldCtx.current = value
                if !c.isTrue(fieldCtx) {
                    out.append(
                        ValidationError(
                            form: form.name, field: field.name, value: value.displayString,
                            rule: .constraint(c.source, field.constraintMessage)))
                }
            }
        }
        return out
    }

    /// Whether a field must be answered, given the other answers.
    public func isRequired(_ field: Field, _ ctx: ExpressionContext) -> Bool {
        switch field.required {
        case .never: return false
        case .always: return true
        case .when(let e): return e.isTrue(ctx)
        }
    }

    /// Whether a value counts as no answer.
    public static func isEmpty(_ v: Value) -> Bool {
        switch v {
        case .string(let s): return s.isEmpty
        case .list(let l): return l.isEmpty
        default: return false
        }
    }

    /// The longest text any field accepts, in characters, whatever its form's constraint.
    public static let maxTextLength = 10_000

    /// Checks that the choices of a cascading select are among those its `choice_filter` keeps for the other answers.
    func checkFiltered(_ value: Value, of field: Field, _ ctx: ExpressionContext) -> ValidationError? {
        let kept = Set(field.choices(given: ctx).map(\.name))
        let picked: [String]
        switch value {
        case .string(let s): picked = [s]
        case .list(let l): picked = l
        default: return nil
        }
        guard let bad = picked.first(where: { !kept.contains($0) }) else { return nil }
        return ValidationError(
            form: form.name, field: field.name, value: bad,
            rule: .notAChoice(field.choices.filter { kept.contains($0.name) }.map(\.name)))
    }

    /// Checks the stored shape, the choices and references of one value.
    public func check(_ value: Value, of field: Field) -> ValidationError? {
        func fail(_ rule: ValidationError.Rule, _ shown: String? = nil) -> ValidationError {
            ValidationError(form: form.name, field: field.name, value: shown ?? value.displayString, rule: rule)
        }
        guard FieldParser.hasStoredShape(value, for: field.type) else { return fail(.wrongType(field.type)) }
        switch (field.type, value) {
        case (.time, .string(let s)):
            if DateTimeText.timeOfDay(s) != s { return fail(.wrongType(.time)) }
        case (.datetime, .string(let s)), (.start, .string(let s)), (.end, .string(let s)):
            if DateTimeText.dateTime(s) != s { return fail(.wrongType(field.type)) }
        case (.today, .string(let s)):
            if !FieldParser.isDate(s) { return fail(.wrongType(.today)) }
        case (.acknowledge, .string(let s)):
            if s != "OK" { return fail(.wrongType(.acknowledge)) }
        case (.text, .string(let s)), (.calculate, .string(let s)), (.deviceid, .string(let s)):
            // Whatever the form says: a field is no place for a file (a 60 MB title would be copied to every laptop).
            if s.unicodeScalars.count > Validator.maxTextLength { return fail(.tooLong(Validator.maxTextLength)) }
        case (.decimal, .decimal(let d)):
            if !d.isFinite { return fail(.wrongType(.decimal)) }
        case (.geopoint, .geopoint(let lat, let lon)):
            if let rule = FieldParser.geopointRangeProblem(latitude: lat, longitude: lon) { return fail(rule) }
        case (.selectOne, .string(let s)):
            if field.choice(s) == nil { return fail(.notAChoice(field.choices.map(\.name))) }
        case (.selectMultiple, .list(let l)):
            if let bad = l.first(where: { field.choice($0) == nil }) { return fail(.notAChoice(field.choices.map(\.name)), bad) }
        case (.date, .string(let s)):
            if !FieldParser.isDate(s) { return fail(.wrongType(.date)) }
        case (.reference, .string(let id)):
            guard RecordID.isValid(id) else { return fail(.wrongType(.reference)) }
            guard checksReferences else { return nil }
            let expected = field.referencedForm ?? ""
            guard let target = lookup(id) else { return fail(.missingReference(form: expected)) }
            if target.form != expected { return fail(.referenceToOtherForm(expected: expected, actual: target.form)) }
            if target.deleted { return fail(.deleted) }
        default:
            break
        }
        return nil
    }
}
