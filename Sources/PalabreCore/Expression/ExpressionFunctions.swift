import Foundation

/// The parsed form of an expression; evaluated directly, never re-parsed.
indirect enum ExpressionNode: Sendable {
    case number(Double)
    case string(String)
    case current
    case field(String)
    /// A column of the choice a `choice_filter` is deciding on (`region` in `region = ${region}`).
    case attribute(String)
    case negate(ExpressionNode)
    case binary(ExpressionBinaryOperator, ExpressionNode, ExpressionNode)
    case call(ExpressionFunction, [ExpressionNode])
    /// `regex(subject, 'literal')`, compiled once at parse time; `nil` when the pattern is invalid.
    case literalRegex(ExpressionNode, CompiledRegex?)
}

/// Binary operators, each a distinct case so evaluation is a switch rather than a string compare.
enum ExpressionBinaryOperator: Sendable {
    case or, and
    case equal, notEqual
    case less, lessEqual, greater, greaterEqual
    case add, subtract, multiply, divide, modulo
}

/// An immutable compiled pattern; NSRegularExpression is documented as safe to share between threads.
final class CompiledRegex: @unchecked Sendable {
    let regex: NSRegularExpression

    init?(pattern: String) {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return nil }
        self.regex = regex
    }

    /// ODK's `regex()` searches, so any match anywhere counts.
    func matches(_ s: String) -> Bool {
        regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }
}

/// The functions XLSForm expressions may call, keyed by their XPath names.
enum ExpressionFunction: String, CaseIterable, Sendable {
    case selected
    case countSelected = "count-selected"
    case not
    case `true`
    case `false`
    case boolean
    case number
    case int
    case string
    case stringLength = "string-length"
    case concat
    case contains
    case startsWith = "starts-with"
    case endsWith = "ends-with"
    case regex
    case `if`
    case coalesce
    case round
    case today
    case min
    case max
    case abs
    case floor
    case ceiling
    case substr
    case normalizeSpace = "normalize-space"
    case selectedAt = "selected-at"
    case now
    case choiceName = "jr:choice-name"
    case date
    case decimalDateTime = "decimal-date-time"

    /// Smallest and largest argument counts; `nil` maximum means any number.
    var arity: (min: Int, max: Int?) {
        switch self {
        case .true, .false, .today, .now: return (0, 0)
        case .countSelected, .not, .boolean, .number, .int, .string, .stringLength, .abs, .floor, .ceiling, .normalizeSpace,
            .date, .decimalDateTime:
            return (1, 1)
        case .selected, .contains, .startsWith, .endsWith, .regex, .coalesce, .selectedAt, .choiceName: return (2, 2)
        case .if: return (3, 3)
        case .round: return (1, 2)
        case .substr: return (2, 3)
        case .concat, .min, .max: return (1, nil)
        }
    }

    /// The error message for a call with `count` arguments, or `nil` when the count is allowed.
    func arityProblem(_ count: Int) -> String? {
        let (low, high) = arity
        if count >= low, high.map({ count <= $0 }) ?? true { return nil }
        func arguments(_ n: Int) -> String { n == 1 ? "1 argument" : "\(n) arguments" }
        let expected: String
        switch high {
        case .none: expected = "at least \(arguments(low))"
        case .some(let high) where high == low: expected = arguments(low)
        case .some(let high) where high == low + 1: expected = "\(low) or \(arguments(high))"
        case .some(let high): expected = "\(low) to \(arguments(high))"
        }
        return "function '\(rawValue)' takes \(expected) but was given \(count)"
    }
}
