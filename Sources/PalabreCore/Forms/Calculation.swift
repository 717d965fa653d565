import Foundation

/// What Palabre fills in itself when a record is captured or edited: `calculate` fields and the metadata `start`,
/// `end`, `today` and `deviceid` (XLSForm's names).
///
/// `start`, `today` and `deviceid` are written once, when the record is captured; `end` each time the facilitator
/// saves it (as ODK does); calculations are computed again after every change of the answers, in the order their
/// references need (the compiler refuses a calculation that depends on itself), and left empty when their field does
/// not apply or the result is empty. They are computed on the laptop where the record is captured and then synced as
/// any other value: every store shows the same result. An import fills only the calculations it lacks (a record
/// from elsewhere keeps the moments and device it was captured with, or none).
public enum Calculation {
    /// The moment and place of a capture.
    public struct Moment: Sendable {
        /// When the capture began (`YYYY-MM-DDTHH:MM:SSZ`).
        public var started: String
        /// Now, when it is saved.
        public var now: String
        /// Today's date, local.
        public var today: String
        /// The laptop's name.
        public var device: String
        /// The language `jr:choice-name` gives labels in.
        public var labels: Language

        /// Builds a moment; the times default to now.
        public init(
            started: String? = nil, now: String = DateTimeText.now(), today: String = Validator.today(), device: String,
            labels: Language = .fr
        ) {
            self.started = started ?? now
            self.now = now
            self.today = today
            self.device = device
            self.labels = labels
        }
    }

    /// What a write is.
    public enum Occasion: Sendable {
        /// A new record captured here: every computed field is filled in.
        case capture
        /// A record saved again: `end` and the calculations; the rest stays as captured.
        case edit
        /// A record from a file: only the calculations it lacks.
        case `import`
    }

    /// Fills the computed fields of `values` in place.
    public static func fill(_ values: inout [String: Value], form: Form, at moment: Moment, occasion: Occasion = .capture) {
        for field in form.fields where occasion == .capture || (occasion == .edit && field.type == .end) {
            switch field.type {
            case .start, .today, .deviceid:
                if values[field.name] == nil {
                    values[field.name] = .string(field.type == .start ? moment.started : field.type == .today ? moment.today : moment.device)
                }
            case .end:
                values[field.name] = .string(moment.now)
            default: break
            }
        }
        let calculated = form.fields.filter { $0.calculation != nil && (occasion != .import || values[$0.name] == nil) }
        guard !calculated.isEmpty else { return }
        // Until nothing changes: a calculation may read one further down the form. Without cycles (refused when the form
        // is compiled) this ends within as many passes as there are calculations.
        for _ in 0...calculated.count {
            var changed = false
            for field in calculated {
                let snapshot = values
                let ctx = context(form: form, today: moment.today, now: moment.now, labels: moment.labels) { snapshot[$0] }
                let applies = field.relevant?.isTrue(ctx) ?? true
                let result = applies ? field.calculation!.evaluate(ctx).asString : ""
                let value: Value? = result.isEmpty || result == "NaN" ? nil : .string(result)
                if values[field.name] != value {
                    values[field.name] = value
                    changed = true
                }
            }
            if !changed { break }
        }
    }

    /// An expression context over a record's answers that knows the form's choice labels (`jr:choice-name`).
    public static func context(
        form: Form, today: String = Validator.today(), now: String? = nil, labels: Language = .fr, values: @escaping (String) -> Value?
    ) -> ExpressionContext {
        var ctx = ExpressionContext(current: nil, today: today, field: values)
        ctx.now = now
        ctx.choiceLabel = { field, choice in form.field(field)?.choice(choice)?.label.text(labels) }
        return ctx
    }

    /// The first calculation that depends on itself, through others (`a → b → a`), as the names along the loop.
    public static func cycle(in fields: [Field]) -> [String]? {
        let calculations = Dictionary(fields.compactMap { f in f.calculation.map { (f.name, $0.fieldReferences) } }, uniquingKeysWith: { a, _ in a })
        var done: Set<String> = []
        func visit(_ name: String, _ path: [String]) -> [String]? {
            if let i = path.firstIndex(of: name) { return Array(path[i...]) + [name] }
            guard !done.contains(name), let refs = calculations[name] else { return nil }
            for r in refs { if let loop = visit(r, path + [name]) { return loop } }
            done.insert(name)
            return nil
        }
        for f in fields where f.calculation != nil { if let loop = visit(f.name, []) { return loop } }
        return nil
    }
}
