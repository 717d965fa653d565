import Foundation

/// What Palabre fills in itself when a record is captured or edited: `calculate` fields and the metadata `start`,
/// `end`, `today` and `deviceid` (XLSForm's names).
///
/// `start`, `today` and `deviceid` are written once, when the record is created; `end` each time the facilitator
/// saves it (as ODK does); calculations are computed again after every change of the answers they read, in form
/// order, and left empty when their field does not apply or the result is empty. They are computed on the laptop
/// where the record is captured and then synced as any other value: every store shows the same result.
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

        /// Builds a moment; the times default to now.
        public init(started: String? = nil, now: String = DateTimeText.now(), today: String = Validator.today(), device: String) {
            self.started = started ?? now
            self.now = now
            self.today = today
            self.device = device
        }
    }

    /// Fills the computed fields of `values` in place.
    public static func fill(_ values: inout [String: Value], form: Form, at moment: Moment, labels: Language = .fr) {
        for field in form.fields {
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
        let calculated = form.fields.filter { $0.calculation != nil }
        guard !calculated.isEmpty else { return }
        // Twice: a calculation may read one further down the form.
        for _ in 0..<2 {
            for field in calculated {
                let snapshot = values
                var ctx = context(form: form, today: moment.today, now: moment.now, labels: labels) { snapshot[$0] }
                ctx.current = nil
                let applies = field.relevant?.isTrue(ctx) ?? true
                let result = applies ? field.calculation!.evaluate(ctx).asString : ""
                values[field.name] = result.isEmpty || result == "NaN" ? nil : .string(result)
            }
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
}
