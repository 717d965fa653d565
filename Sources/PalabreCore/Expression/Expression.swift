import Foundation

/// A syntax error in an XLSForm expression, with the 0-based character offset where it was found.
public struct ExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, e.g. `unknown function 'foo'`.
    public let message: String
    /// The 0-based character offset in `source` where the problem starts.
    public let position: Int
    /// The whole expression text, so the error can be reported on its own.
    public let source: String

    /// Creates an error for `source` at the 0-based character offset `position`.
    public init(message: String, position: Int, source: String) {
        self.message = message
        self.position = position
        self.source = source
    }

    /// The message with a 1-based position, which is how people count characters.
    public var description: String {
        "\(message) at character \(position + 1) of '\(source)'"
    }
}

/// What an expression sees when it runs: the current field's value, the other fields, and today's date.
public struct ExpressionContext {
    /// The value `.` stands for; `nil` means empty.
    public var current: Value?
    /// The value of `${name}`; `nil` means empty or unset.
    public var field: (String) -> Value?
    /// Today's date as `YYYY-MM-DD`, returned by `today()`; injectable so evaluation is reproducible.
    public var today: String
    /// The moment `now()` returns (`YYYY-MM-DDTHH:MM:SSZ`); nil reads the clock when called.
    public var now: String?
    /// A column of the choice a `choice_filter` decides on (bare names in the filter).
    public var attribute: ((String) -> String?)?
    /// The label of a field's choice, for `jr:choice-name(value, '${field}')`.
    public var choiceLabel: ((_ field: String, _ choice: String) -> String?)?

    /// Creates a context; `today` defaults to the current date in UTC.
    public init(
        current: Value? = nil,
        today: String = ExpressionContext.todayUTC(),
        field: @escaping (String) -> Value? = { _ in nil }
    ) {
        self.current = current
        self.field = field
        self.today = today
    }

    /// Formats `date` as `YYYY-MM-DD` in UTC.
    public static func todayUTC(_ date: Date = Date()) -> String {
        // Plain day arithmetic, no Calendar: contexts may be built per record.
        CivilDate(date).text
    }
}

/// The result of evaluating an expression: XPath 1.0 has only strings, numbers and booleans.
public enum ExpressionValue: Equatable, Sendable {
    /// A string.
    case string(String)
    /// A number; every XPath number is a double, NaN included.
    case number(Double)
    /// A boolean.
    case bool(Bool)

    /// Converts a stored field value the way XLSForm expressions see it; `nil` (empty) becomes `""`.
    public init(_ value: Value?) {
        guard let value else {
            self = .string("")
            return
        }
        switch value {
        case .string(let s): self = .string(s)
        case .integer(let i): self = .number(Double(i))
        case .decimal(let d): self = .number(d)
        case .bool(let b): self = .bool(b)
        case .list, .geopoint: self = .string(value.displayString)
        }
    }

    /// XPath `boolean()`: non-empty strings and non-zero, non-NaN numbers are true.
    public var asBool: Bool {
        switch self {
        case .bool(let b): return b
        case .number(let d): return d != 0 && !d.isNaN
        case .string(let s): return !s.isEmpty
        }
    }

    /// XPath `number()`: a trimmed decimal string parses, anything else (including `""`) is NaN.
    public var asNumber: Double {
        switch self {
        case .number(let d): return d
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return ExpressionValue.parseNumber(s)
        }
    }

    /// XPath `string()`: whole numbers print without `.0`, booleans as `true`/`false`.
    public var asString: String {
        switch self {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return ExpressionValue.format(d)
        }
    }

    /// Formats a number as XPath does: `NaN`, `Infinity`, `-Infinity`, whole numbers without a fraction.
    public static func format(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return Value.format(d)
    }

    /// Parses an optionally signed decimal (`12`, `-3.5`, `.5`, `7.`) with surrounding whitespace; otherwise NaN.
    public static func parseNumber(_ s: String) -> Double {
        // A strict scan first: Double(_:) alone would also accept "inf", "nan", "1e5" and hex, which XPath does not.
        let bytes = s.utf8
        var start = bytes.startIndex, end = bytes.endIndex
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        while start < end, isSpace(bytes[start]) { start = bytes.index(after: start) }
        while start < end, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        var i = start
        if i < end, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i = bytes.index(after: i) }
        var digits = 0, dots = 0
        while i < end {
            let b = bytes[i]
            if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                digits += 1
            } else if b == UInt8(ascii: ".") {
                dots += 1
                if dots > 1 { return .nan }
            } else {
                return .nan
            }
            i = bytes.index(after: i)
        }
        guard digits > 0 else { return .nan }
        return Double(Substring(s.utf8[start..<end])) ?? .nan
    }
}

/// A parsed XLSForm expression (`relevant`, `constraint`, `required`, `calculation`), ready to evaluate many times.
///
/// ```swift
/// let e = try Expression("${age} >= 18 and selected(${consent}, 'yes')")
/// e.fieldReferences // ["age", "consent"]
/// ```
public struct Expression: Hashable, Sendable, CustomStringConvertible {
    /// The expression text as written in the form.
    public let source: String
    /// Names used as `${name}`, unique, in order of first use; lets callers build dependency graphs.
    public let fieldReferences: [String]
    /// Whether `.` (the current field's value) appears.
    public let usesCurrentValue: Bool
    /// Bare names, read as columns of a choice (only in a `choice_filter`), in order of first use.
    public let attributeReferences: [String]
    let root: ExpressionNode

    /// Parses `source`, checking function names and argument counts so mistakes surface when the form loads.
    ///
    /// With `choiceColumns`, bare names are columns of the choices being filtered (`region = ${region}`), as in an
    /// XLSForm `choice_filter`; elsewhere a bare name is refused (the likely intent is `${name}`).
    public init(_ source: String, choiceColumns: Bool = false) throws(ExpressionError) {
        var parser = ExpressionParser(source: source, allowsAttributes: choiceColumns)
        let parsed = try parser.parse()
        self.source = source
        self.root = parsed.root
        self.fieldReferences = parsed.fieldReferences
        self.usesCurrentValue = parsed.usesCurrentValue
        self.attributeReferences = parsed.attributeReferences
    }

    /// Evaluates with XPath semantics; never fails at run time (bad numbers become NaN, comparisons with NaN are false).
    public func evaluate(_ context: ExpressionContext) -> ExpressionValue {
        ExpressionEvaluator.evaluate(root, context)
    }

    /// Evaluates and converts the result to a boolean, as `relevant`, `constraint` and `required` need.
    public func isTrue(_ context: ExpressionContext) -> Bool {
        evaluate(context).asBool
    }

    /// The source text.
    public var description: String { source }

    /// Two expressions are equal when their text is; the tree is derived from it.
    public static func == (lhs: Expression, rhs: Expression) -> Bool { lhs.source == rhs.source }

    /// Hashes the source text, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}
