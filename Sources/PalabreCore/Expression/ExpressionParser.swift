/// Recursive-descent parser for the XPath 1.0 subset XLSForm uses.
///
/// Precedence, lowest first: `or`; `and`; `=` `!=`; `<` `<=` `>` `>=`; `+` `-`; `*` `div` `mod`; unary `-`.
struct ExpressionParser {
    struct Result {
        let root: ExpressionNode
        let fieldReferences: [String]
        let usesCurrentValue: Bool
        let attributeReferences: [String]
    }

    private let source: String
    private var tokens: [ExpressionToken] = []
    private var index = 0
    private var fieldReferences: [String] = []
    private var seenFields: Set<String> = []
    private var usesCurrentValue = false
    private var attributeReferences: [String] = []
    /// Whether bare names are a choice's columns (`choice_filter`: `region = ${region}`).
    private let allowsAttributes: Bool

    init(source: String, allowsAttributes: Bool = false) {
        self.source = source
        self.allowsAttributes = allowsAttributes
    }

    mutating func parse() throws(ExpressionError) -> Result {
        var lexer = ExpressionLexer(source: source)
        tokens = try lexer.tokenize()
        index = 0
        if current.kind == .end { throw error("empty expression", current.position) }
        let root = try parseOr()
        if current.kind != .end {
            throw error("unexpected \(current.quoted) after end of expression", current.position)
        }
        return Result(
            root: root, fieldReferences: fieldReferences, usesCurrentValue: usesCurrentValue, attributeReferences: attributeReferences)
    }

    // MARK: - Token access

    private var current: ExpressionToken { tokens[index] }

    private mutating func advance() -> ExpressionToken {
        let token = tokens[index]
        // The last token is always .end; staying on it keeps `current` valid.
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isKeyword(_ word: String) -> Bool {
        if case .name(let name) = current.kind { return name == word }
        return false
    }

    private func error(_ message: String, _ position: Int) -> ExpressionError {
        ExpressionError(message: message, position: position, source: source)
    }

    // MARK: - Grammar

    private mutating func parseOr() throws(ExpressionError) -> ExpressionNode {
        var left = try parseAnd()
        while isKeyword("or") {
            _ = advance()
            left = .binary(.or, left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> ExpressionNode {
        var left = try parseEquality()
        while isKeyword("and") {
            _ = advance()
            left = .binary(.and, left, try parseEquality())
        }
        return left
    }

    private mutating func parseEquality() throws(ExpressionError) -> ExpressionNode {
        var left = try parseRelational()
        while true {
            let op: ExpressionBinaryOperator
            switch current.kind {
            case .equal: op = .equal
            case .notEqual: op = .notEqual
            default: return left
            }
            _ = advance()
            left = .binary(op, left, try parseRelational())
        }
    }

    private mutating func parseRelational() throws(ExpressionError) -> ExpressionNode {
        var left = try parseAdditive()
        while true {
            let op: ExpressionBinaryOperator
            switch current.kind {
            case .less: op = .less
            case .lessEqual: op = .lessEqual
            case .greater: op = .greater
            case .greaterEqual: op = .greaterEqual
            default: return left
            }
            _ = advance()
            left = .binary(op, left, try parseAdditive())
        }
    }

    private mutating func parseAdditive() throws(ExpressionError) -> ExpressionNode {
        var left = try parseMultiplicative()
        while true {
            let op: ExpressionBinaryOperator
            switch current.kind {
            case .plus: op = .add
            case .minus: op = .subtract
            default: return left
            }
            _ = advance()
            left = .binary(op, left, try parseMultiplicative())
        }
    }

    private mutating func parseMultiplicative() throws(ExpressionError) -> ExpressionNode {
        var left = try parseUnary()
        while true {
            let op: ExpressionBinaryOperator
            if current.kind == .star {
                op = .multiply
            } else if isKeyword("div") {
                op = .divide
            } else if isKeyword("mod") {
                op = .modulo
            } else {
                return left
            }
            _ = advance()
            left = .binary(op, left, try parseUnary())
        }
    }

    private mutating func parseUnary() throws(ExpressionError) -> ExpressionNode {
        if current.kind == .minus {
            _ = advance()
            return .negate(try parseUnary())
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(ExpressionError) -> ExpressionNode {
        let token = advance()
        switch token.kind {
        case .number(let value):
            return .number(value)
        case .string(let value):
            return .string(value)
        case .dot:
            usesCurrentValue = true
            return .current
        case .field(let name):
            if seenFields.insert(name).inserted { fieldReferences.append(name) }
            return .field(name)
        case .leftParen:
            let inner = try parseOr()
            guard current.kind == .rightParen else {
                throw error("expected ')' to close '(' at character \(token.position + 1), found \(current.quoted)", current.position)
            }
            _ = advance()
            return inner
        case .name(let name):
            return try parseCall(name: name, at: token)
        case .end:
            throw error("unexpected end of expression", token.position)
        default:
            throw error("expected a value but found \(token.quoted)", token.position)
        }
    }

    private mutating func parseCall(name: String, at token: ExpressionToken) throws(ExpressionError) -> ExpressionNode {
        if current.kind != .leftParen, allowsAttributes {
            if !attributeReferences.contains(name) { attributeReferences.append(name) }
            return .attribute(name)
        }
        guard current.kind == .leftParen else {
            // Bare names would be XPath child paths, which XLSForm does not use; ${name} is the likely intent.
            throw error("unexpected name '\(name)' (fields are written ${\(name)}, functions need '(')", token.position)
        }
        guard let function = ExpressionFunction(rawValue: name) else {
            throw error("unknown function '\(name)'", token.position)
        }
        _ = advance()
        var arguments: [ExpressionNode] = []
        if current.kind != .rightParen {
            while true {
                arguments.append(try parseOr())
                guard current.kind == .comma else { break }
                _ = advance()
            }
        }
        guard current.kind == .rightParen else {
            throw error("expected ')' after arguments", current.position)
        }
        _ = advance()
        if let problem = function.arityProblem(arguments.count) {
            throw error(problem, token.position)
        }
        if function == .regex, case .string(let pattern) = arguments[1] {
            return .literalRegex(arguments[0], CompiledRegex(pattern: pattern))
        }
        return .call(function, arguments)
    }
}
