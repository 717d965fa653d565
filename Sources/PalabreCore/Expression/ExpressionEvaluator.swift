import Foundation

/// Walks a parsed expression tree with XPath 1.0 semantics; total, so it never throws.
enum ExpressionEvaluator {
    static func evaluate(_ node: ExpressionNode, _ context: ExpressionContext) -> ExpressionValue {
        switch node {
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .current: return ExpressionValue(context.current)
        case .field(let name): return ExpressionValue(context.field(name))
        case .attribute(let name): return .string(context.attribute?(name) ?? "")
        case .negate(let operand): return .number(-evaluate(operand, context).asNumber)
        case .binary(let op, let left, let right): return binary(op, left, right, context)
        case .call(let function, let arguments): return call(function, arguments, context)
        case .literalRegex(let subject, let regex):
            guard let regex else { return .bool(false) }
            return .bool(regex.matches(evaluate(subject, context).asString))
        }
    }

    private static func binary(
        _ op: ExpressionBinaryOperator, _ left: ExpressionNode, _ right: ExpressionNode, _ context: ExpressionContext
    ) -> ExpressionValue {
        switch op {
        // Short-circuit, as XPath specifies, so a guard like `${n} != 0 and 10 div ${n} > 1` costs nothing extra.
        case .or: return .bool(evaluate(left, context).asBool || evaluate(right, context).asBool)
        case .and: return .bool(evaluate(left, context).asBool && evaluate(right, context).asBool)
        default: break
        }
        let a = evaluate(left, context), b = evaluate(right, context)
        switch op {
        case .equal: return .bool(equals(a, b))
        case .notEqual: return .bool(!equals(a, b))
        case .less: return .bool(compare(a, b, <, <))
        case .lessEqual: return .bool(compare(a, b, <=, <=))
        case .greater: return .bool(compare(a, b, >, >))
        case .greaterEqual: return .bool(compare(a, b, >=, >=))
        case .add: return .number(a.asNumber + b.asNumber)
        case .subtract: return .number(a.asNumber - b.asNumber)
        case .multiply: return .number(a.asNumber * b.asNumber)
        case .divide: return .number(a.asNumber / b.asNumber)
        case .modulo: return .number(fmod(a.asNumber, b.asNumber))
        case .or, .and: return .bool(false)  // handled above
        }
    }

    /// XPath `=`: booleans win, then numbers, otherwise strings.
    static func equals(_ a: ExpressionValue, _ b: ExpressionValue) -> Bool {
        switch (a, b) {
        case (.bool, _), (_, .bool): return a.asBool == b.asBool
        case (.number, _), (_, .number): return a.asNumber == b.asNumber
        case (.string(let x), .string(let y)): return x == y
        }
    }

    /// Relational operators are numeric in XPath, but ISO dates compare correctly as text, which forms rely on.
    private static func compare(
        _ a: ExpressionValue, _ b: ExpressionValue,
        _ strings: (String, String) -> Bool, _ numbers: (Double, Double) -> Bool
    ) -> Bool {
        if case .string(let x) = a, case .string(let y) = b, isISODate(x), isISODate(y) {
            return strings(x, y)
        }
        return numbers(a.asNumber, b.asNumber)
    }

    /// `YYYY-MM-DD`, optionally followed by `T` or a space and a time.
    static func isISODate(_ s: String) -> Bool {
        var i = 0
        for byte in s.utf8 {
            switch i {
            case 4, 7:
                if byte != UInt8(ascii: "-") { return false }
            case 0...9:
                if byte < UInt8(ascii: "0") || byte > UInt8(ascii: "9") { return false }
            case 10:
                return byte == UInt8(ascii: "T") || byte == UInt8(ascii: " ")
            default:
                return true
            }
            i += 1
        }
        return i == 10
    }

    // MARK: - Functions

    private static func call(
        _ function: ExpressionFunction, _ args: [ExpressionNode], _ context: ExpressionContext
    ) -> ExpressionValue {
        func value(_ i: Int) -> ExpressionValue { evaluate(args[i], context) }
        func text(_ i: Int) -> String { evaluate(args[i], context).asString }
        func number(_ i: Int) -> Double { evaluate(args[i], context).asNumber }

        switch function {
        case .selected:
            let choice = text(1).trimmingCharacters(in: .whitespacesAndNewlines)
            return .bool(choices(text(0)).contains { $0 == choice })
        case .countSelected:
            return .number(Double(choices(text(0)).count))
        case .not: return .bool(!value(0).asBool)
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .boolean: return .bool(value(0).asBool)
        case .number: return .number(number(0))
        case .int: return .number(number(0).rounded(.towardZero))
        case .string: return .string(text(0))
        case .stringLength: return .number(Double(text(0).count))
        case .concat:
            var result = ""
            for i in args.indices { result += text(i) }
            return .string(result)
        case .contains:
            let needle = text(1)
            return .bool(needle.isEmpty || text(0).contains(needle))
        case .startsWith: return .bool(text(0).hasPrefix(text(1)))
        case .endsWith: return .bool(text(0).hasSuffix(text(1)))
        case .regex:
            // Patterns built at run time cannot be compiled ahead; literal ones take the .literalRegex path.
            guard let regex = CompiledRegex(pattern: text(1)) else { return .bool(false) }
            return .bool(regex.matches(text(0)))
        case .if: return value(0).asBool ? value(1) : value(2)
        case .coalesce:
            let first = value(0)
            return first.asString.isEmpty ? value(1) : first
        case .round:
            return .number(round(number(0), digits: args.count > 1 ? number(1) : 0))
        case .today: return .string(context.today)
        case .min, .max:
            var result = number(0)
            for i in args.indices.dropFirst() {
                let n = number(i)
                // Any NaN poisons the result, as it does for XPath min()/max() over node-sets.
                if n.isNaN || result.isNaN {
                    result = .nan
                } else if function == .min ? n < result : n > result {
                    result = n
                }
            }
            return .number(result)
        case .abs: return .number(Swift.abs(number(0)))
        case .floor: return .number(number(0).rounded(.down))
        case .ceiling: return .number(number(0).rounded(.up))
        case .substr:
            return .string(substring(text(0), from: number(1), to: args.count > 2 ? number(2) : nil))
        case .normalizeSpace:
            return .string(text(0).split(whereSeparator: { $0.isWhitespace }).joined(separator: " "))
        case .selectedAt:
            // 0-based, as ODK: the n-th choice of a select_multiple answer, "" past the end.
            let list = choices(text(0)), n = number(1)
            guard n.isFinite, n >= 0, n < Double(list.count) else { return .string("") }
            return .string(String(list[Int(n)]))
        case .now: return .string(context.now ?? DateTimeText.now())
        case .choiceName:
            // jr:choice-name(${region}, '${region}'): the label of a choice of the field the second argument names.
            var field = text(1).trimmingCharacters(in: .whitespaces)
            if field.hasPrefix("${"), field.hasSuffix("}") { field = String(field.dropFirst(2).dropLast()) }
            return .string(context.choiceLabel?(field, text(0)) ?? "")
        case .date:
            return .string(DateTimeText.date(value(0)) ?? "")
        case .decimalDateTime:
            return .number(DateTimeText.days(text(0)) ?? .nan)
        }
    }

    /// The choice names of a `select_multiple` answer.
    private static func choices(_ s: String) -> [Substring] {
        s.split(whereSeparator: { $0.isWhitespace })
    }

    /// Rounds half away from zero (as ODK does); negative `digits` round to tens, hundreds, ...
    static func round(_ x: Double, digits: Double) -> Double {
        guard x.isFinite else { return x }
        guard !digits.isNaN else { return .nan }
        let places = Int(Swift.max(-308, Swift.min(308, digits.rounded(.towardZero))))
        if places == 0 { return x.rounded(.toNearestOrAwayFromZero) }
        let scale = pow(10.0, Double(Swift.abs(places)))
        if places > 0 {
            let scaled = x * scale
            // Too many digits to matter: rounding would only add floating-point error.
            guard scaled.isFinite else { return x }
            return scaled.rounded(.toNearestOrAwayFromZero) / scale
        }
        return (x / scale).rounded(.toNearestOrAwayFromZero) * scale
    }

    /// ODK `substr(s, start, end?)`: 0-based, end exclusive, clamped to the string.
    private static func substring(_ s: String, from start: Double, to end: Double?) -> String {
        let chars = Array(s)
        func clamp(_ d: Double) -> Int {
            if d.isNaN { return 0 }
            return Int(Swift.max(0, Swift.min(Double(chars.count), d.rounded(.towardZero))))
        }
        let lower = clamp(start)
        let upper = end.map(clamp) ?? chars.count
        guard lower < upper else { return "" }
        return String(chars[lower..<upper])
    }
}
