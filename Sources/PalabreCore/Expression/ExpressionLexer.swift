/// One lexical token of an expression.
struct ExpressionToken: Sendable {
    enum Kind: Equatable, Sendable {
        case number(Double)
        case string(String)
        case field(String)
        case name(String)
        case dot, leftParen, rightParen, comma
        case plus, minus, star
        case equal, notEqual, less, lessEqual, greater, greaterEqual
        case end
    }

    let kind: Kind
    /// 0-based character offset of the token's first character.
    let position: Int
    /// The token as written, for error messages.
    let text: String

    /// How the token reads in an error message.
    var quoted: String {
        kind == .end ? "end of expression" : "'\(text)'"
    }
}

/// Splits expression text into tokens; positions count Swift `Character`s so they match what a person sees.
struct ExpressionLexer {
    private let chars: [Character]
    private let source: String
    private var index = 0

    init(source: String) {
        self.source = source
        self.chars = Array(source)
    }

    mutating func tokenize() throws(ExpressionError) -> [ExpressionToken] {
        var tokens: [ExpressionToken] = []
        while true {
            let token = try next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func error(_ message: String, _ position: Int) -> ExpressionError {
        ExpressionError(message: message, position: position, source: source)
    }

    private func peek(_ offset: Int = 0) -> Character? {
        let i = index + offset
        return i < chars.count ? chars[i] : nil
    }

    private static func isDigit(_ c: Character?) -> Bool {
        guard let c, c.isASCII, let v = c.asciiValue else { return false }
        return v >= 0x30 && v <= 0x39
    }

    private static func isNameStart(_ c: Character?) -> Bool {
        guard let c, c.isASCII else { return false }
        return c == "_" || c.isLetter
    }

    private static func isNameChar(_ c: Character?) -> Bool {
        isNameStart(c) || isDigit(c) || c == "-"
    }

    private mutating func next() throws(ExpressionError) -> ExpressionToken {
        while let c = peek(), c.isWhitespace { index += 1 }
        let start = index
        guard let c = peek() else { return ExpressionToken(kind: .end, position: start, text: "") }

        func single(_ kind: ExpressionToken.Kind) -> ExpressionToken {
            index += 1
            return ExpressionToken(kind: kind, position: start, text: String(c))
        }
        func double(_ kind: ExpressionToken.Kind, _ text: String) -> ExpressionToken {
            index += 2
            return ExpressionToken(kind: kind, position: start, text: text)
        }

        switch c {
        case "(": return single(.leftParen)
        case ")": return single(.rightParen)
        case ",": return single(.comma)
        case "+": return single(.plus)
        case "-": return single(.minus)
        case "*": return single(.star)
        case "=": return single(.equal)
        case "!":
            if peek(1) == "=" { return double(.notEqual, "!=") }
            throw error("unexpected character '!' (use 'not(...)' or '!=')", start)
        case "<": return peek(1) == "=" ? double(.lessEqual, "<=") : single(.less)
        case ">": return peek(1) == "=" ? double(.greaterEqual, ">=") : single(.greater)
        case "'", "\"": return try lexString(quote: c)
        case "$": return try lexField()
        case ".":
            if Self.isDigit(peek(1)) { return lexNumber() }
            return single(.dot)
        default:
            if Self.isDigit(c) { return lexNumber() }
            if Self.isNameStart(c) { return lexName() }
            throw error("unexpected character '\(c)'", start)
        }
    }

    private mutating func lexNumber() -> ExpressionToken {
        let start = index
        while Self.isDigit(peek()) { index += 1 }
        if peek() == "." {
            index += 1
            while Self.isDigit(peek()) { index += 1 }
        }
        let text = String(chars[start..<index])
        // The scan guarantees digits with at most one dot, which Double parses ("7." and ".5" included).
        let value = Double(text) ?? Double(text + "0") ?? .nan
        return ExpressionToken(kind: .number(value), position: start, text: text)
    }

    private mutating func lexString(quote: Character) throws(ExpressionError) -> ExpressionToken {
        let start = index
        index += 1
        // XPath 1.0 has no escapes: the other quote character is how a quote gets into a string.
        while let c = peek(), c != quote { index += 1 }
        guard peek() == quote else { throw error("unterminated string, missing closing \(quote)", start) }
        let value = String(chars[(start + 1)..<index])
        index += 1
        return ExpressionToken(kind: .string(value), position: start, text: String(chars[start..<index]))
    }

    private mutating func lexField() throws(ExpressionError) -> ExpressionToken {
        let start = index
        guard peek(1) == "{" else { throw error("unexpected character '$' (field references are written ${name})", start) }
        index += 2
        let nameStart = index
        if Self.isNameStart(peek()) {
            index += 1
            while Self.isNameChar(peek()) { index += 1 }
        }
        let name = String(chars[nameStart..<index])
        switch peek() {
        case "}":
            if name.isEmpty { throw error("empty field name in '${}'", start) }
            index += 1
            return ExpressionToken(kind: .field(name), position: start, text: String(chars[start..<index]))
        case nil:
            throw error("unterminated field reference, missing '}'", start)
        case let c?:
            throw error("unexpected character '\(c)' in field name", index)
        }
    }

    private mutating func lexName() -> ExpressionToken {
        let start = index
        index += 1
        while true {
            let c = peek()
            // A hyphen joins names like count-selected, but "x div-1" must still lex as div, -, 1.
            if c == "-" {
                guard Self.isNameStart(peek(1)) else { break }
            } else if c == ":" {
                // Namespaced names such as jr:choice-name lex whole; `label::English` is a choice's column in a filter.
                if peek(1) == ":", Self.isNameStart(peek(2)) {
                    index += 2
                    continue
                }
                guard Self.isNameStart(peek(1)) else { break }
            } else if !Self.isNameChar(c) {
                break
            }
            index += 1
        }
        let text = String(chars[start..<index])
        return ExpressionToken(kind: .name(text), position: start, text: text)
    }
}
