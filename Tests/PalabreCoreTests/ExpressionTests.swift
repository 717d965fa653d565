import struct Foundation.Date
import Testing
@testable import PalabreCore

// MARK: - Helpers

/// A fixed context so results do not depend on the clock or on a store.
private func context(current: Value? = nil, _ fields: [String: Value] = [:]) -> ExpressionContext {
    ExpressionContext(current: current, today: "2024-06-01") { fields[$0] }
}

private func eval(_ source: String, current: Value? = nil, _ fields: [String: Value] = [:]) throws -> ExpressionValue {
    try Expression(source).evaluate(context(current: current, fields))
}

private func number(_ source: String, current: Value? = nil, _ fields: [String: Value] = [:]) throws -> Double {
    try eval(source, current: current, fields).asNumber
}

private func truth(_ source: String, current: Value? = nil, _ fields: [String: Value] = [:]) throws -> Bool {
    try Expression(source).isTrue(context(current: current, fields))
}

/// The error `source` fails to parse with, or `nil` if it parses.
private func parseError(_ source: String) -> ExpressionError? {
    do {
        _ = try Expression(source)
        return nil
    } catch {
        return error
    }
}

// MARK: - Literals and references

@Test func integerAndDecimalLiteralsAreNumbers() throws {
    #expect(try eval("12") == .number(12))
    #expect(try eval("3.5") == .number(3.5))
    #expect(try eval(".5") == .number(0.5))
}

@Test func stringsMayUseSingleOrDoubleQuotesAndHoldTheOtherQuote() throws {
    #expect(try eval("'it\"s'") == .string("it\"s"))
    #expect(try eval("\"it's\"") == .string("it's"))
}

@Test func dotIsTheCurrentValue() throws {
    #expect(try eval(". + 1", current: .integer(41)) == .number(42))
    #expect(try Expression(". > 0").usesCurrentValue)
    #expect(try !Expression("${a} > 0").usesCurrentValue)
}

@Test func fieldReferencesAreUniqueInOrderOfFirstUse() throws {
    let e = try Expression("${b} + ${a-1} + ${b} + ${_c2}")
    #expect(e.fieldReferences == ["b", "a-1", "_c2"])
}

@Test func unsetFieldIsTheEmptyString() throws {
    #expect(try eval("${missing}") == .string(""))
    #expect(try truth("${missing} = ''"))
}

@Test func valuesConvertToExpressionValuesByKind() {
    #expect(ExpressionValue(nil) == .string(""))
    #expect(ExpressionValue(.integer(3)) == .number(3))
    #expect(ExpressionValue(.decimal(2.5)) == .number(2.5))
    #expect(ExpressionValue(.list(["a", "b"])) == .string("a b"))
    #expect(ExpressionValue(.geopoint(latitude: 12.5, longitude: -1)) == .string("12.5 -1"))
    #expect(ExpressionValue(.bool(true)) == .bool(true))
}

// MARK: - Precedence

@Test func multiplicationBindsTighterThanAddition() throws {
    #expect(try number("1 + 2 * 3") == 7)
    #expect(try number("(1 + 2) * 3") == 9)
}

@Test func divAndModShareMultiplicativePrecedenceLeftToRight() throws {
    #expect(try number("12 div 3 * 2") == 8)
    #expect(try number("2 + 7 mod 4") == 5)
}

@Test func subtractionIsLeftAssociative() throws {
    #expect(try number("10 - 3 - 2") == 5)
}

@Test func andBindsTighterThanOr() throws {
    #expect(try truth("1 or 0 and 0"))
    #expect(try !truth("(1 or 0) and 0"))
}

@Test func comparisonBindsTighterThanEqualityWhichBindsTighterThanAnd() throws {
    #expect(try truth("1 < 2 = 2 < 3 and 1"))
}

@Test func relationalOperatorsChainLeftToRightOnBooleans() throws {
    // (3 > 2) > 1 is true > 1, i.e. 1 > 1.
    #expect(try !truth("3 > 2 > 1"))
}

@Test func unaryMinusBindsTighterThanMultiplication() throws {
    #expect(try number("-2 * 3") == -6)
    #expect(try number("2 - -2") == 4)
    #expect(try number("-(-2)") == 2)
}

@Test func hyphenBeforeDigitAfterKeywordIsMinus() throws {
    #expect(try number("5 div-1") == -5)
}

@Test func keywordsAreCaseSensitive() {
    #expect(parseError("1 AND 2")?.message == "unexpected 'AND' after end of expression")
}

// MARK: - Type coercion

@Test func stringsParseAsTrimmedDecimalsInArithmetic() throws {
    #expect(try number("' 7 ' + 1") == 8)
    #expect(try number("'2.5' * 2") == 5)
}

@Test func emptyAndNonNumericStringsAreNaN() throws {
    #expect(try number("${missing} + 1").isNaN)
    #expect(try number("'abc' * 1").isNaN)
    #expect(try number("'1e3' + 0").isNaN)
}

@Test func booleansAreOneAndZeroInArithmetic() throws {
    #expect(try number("true() + true() + false()") == 2)
}

@Test func integerValuedNumbersPrintWithoutFraction() throws {
    #expect(try eval("string(4 div 2)") == .string("2"))
    #expect(try eval("string(1.50)") == .string("1.5"))
    #expect(try eval("string(0 div 0)") == .string("NaN"))
    #expect(try eval("string(1 div 0)") == .string("Infinity"))
}

@Test func stringTruthIsNonEmptiness() throws {
    #expect(try truth("'false'"))
    #expect(try !truth("''"))
}

@Test func numberTruthExcludesZeroAndNaN() throws {
    #expect(try !truth("0"))
    #expect(try !truth("0 div 0"))
    #expect(try truth("-0.5"))
}

@Test func equalityPrefersBooleansThenNumbersThenStrings() throws {
    #expect(try truth("true() = 'false'"))  // non-empty string is true
    #expect(try truth("1 = '1.0'"))  // numeric comparison
    #expect(try !truth("'1' = '1.0'"))  // both strings: text comparison
}

@Test func emptyFieldIsNotEqualToZero() throws {
    #expect(try !truth("${n} = 0"))
    #expect(try truth("${n} != 0"))
}

@Test func integerFieldEqualsItsNumberButNotTheEmptyString() throws {
    #expect(try truth("${n} = 5", ["n": .integer(5)]))
    #expect(try !truth("${n} = ''", ["n": .integer(5)]))
}

@Test func comparisonsWithNaNAreFalse() throws {
    #expect(try !truth("${n} < 1"))
    #expect(try !truth("${n} >= 1"))
}

@Test func isoDatesCompareAsStrings() throws {
    #expect(try truth("${dob} < today()", ["dob": .string("2000-02-29")]))
    #expect(try truth("'2024-06-01T10:00' > '2024-06-01'"))
    #expect(try !truth("${dob} > '2024-01-01'", ["dob": .string("2023-12-31")]))
}

@Test func nonDateStringsCompareNumerically() throws {
    #expect(try truth("'10' > '9'"))
}

// MARK: - Arithmetic

@Test func divisionByZeroFollowsIEEE() throws {
    #expect(try number("1 div 0") == .infinity)
    #expect(try number("-1 div 0") == -.infinity)
    #expect(try number("0 div 0").isNaN)
}

@Test func modIsTruncatedRemainder() throws {
    #expect(try number("7 mod 3") == 1)
    #expect(try number("-7 mod 3") == -1)
    #expect(try number("7.5 mod 2") == 1.5)
}

// MARK: - Functions

@Test func selectedChecksSpaceSeparatedMembership() throws {
    let fields: [String: Value] = ["c": .list(["water", "land"])]
    #expect(try truth("selected(${c}, 'land')", fields))
    #expect(try !truth("selected(${c}, 'lan')", fields))
    #expect(try !truth("selected(${missing}, 'land')"))
}

@Test func countSelectedCountsChoices() throws {
    #expect(try number("count-selected(${c})", ["c": .list(["a", "b", "c"])]) == 3)
    #expect(try number("count-selected(${missing})") == 0)
}

@Test func booleanFunctions() throws {
    #expect(try eval("not(0)") == .bool(true))
    #expect(try eval("true()") == .bool(true))
    #expect(try eval("false()") == .bool(false))
    #expect(try eval("boolean('x')") == .bool(true))
}

@Test func numberAndIntConvertAndTruncate() throws {
    #expect(try number("number(' 3.25 ')") == 3.25)
    #expect(try number("int(-3.7)") == -3)
    #expect(try number("int(3.7)") == 3)
}

@Test func stringLengthCountsCharacters() throws {
    #expect(try number("string-length('héllo')") == 5)
    #expect(try number("string-length(${missing})") == 0)
}

@Test func concatJoinsAnyValues() throws {
    #expect(try eval("concat('a', 1, true(), ${n})", ["n": .decimal(2.5)]) == .string("a1true2.5"))
    #expect(try eval("concat('only')") == .string("only"))
}

@Test func substringPredicates() throws {
    #expect(try truth("contains('hello', 'ell')"))
    #expect(try truth("contains('hello', '')"))
    #expect(try truth("starts-with('hello', 'he')"))
    #expect(try !truth("ends-with('hello', 'he')"))
}

@Test func regexSearchesAnywhereInTheString() throws {
    #expect(try truth("regex('abc123', '[0-9]+')"))
    #expect(try !truth("regex('abc', '^[0-9]+$')"))
    #expect(try truth("regex(., '^[A-Z]{2}-[0-9]{3}$')", current: .string("AB-123")))
}

@Test func regexWithInvalidPatternIsFalse() throws {
    #expect(try !truth("regex('abc', '[')"))
    #expect(try !truth("regex('abc', ${p})", ["p": .string("(")]))
}

@Test func regexWithPatternFromFieldIsCompiledAtRunTime() throws {
    #expect(try truth("regex('abc', ${p})", ["p": .string("b")]))
}

@Test func ifChoosesABranch() throws {
    #expect(try eval("if(${age} >= 18, 'adult', 'minor')", ["age": .integer(17)]) == .string("minor"))
}

@Test func coalesceSkipsEmpty() throws {
    #expect(try eval("coalesce(${missing}, 'x')") == .string("x"))
    #expect(try eval("coalesce('a', 'x')") == .string("a"))
}

@Test func roundHalfAwayFromZeroWithOptionalDigits() throws {
    #expect(try number("round(2.5)") == 3)
    #expect(try number("round(-2.5)") == -3)
    #expect(try number("round(1234.5678, 2)") == 1234.57)
    #expect(try number("round(1234, -2)") == 1200)
}

@Test func todayComesFromTheContext() throws {
    #expect(try eval("today()") == .string("2024-06-01"))
}

@Test func defaultTodayIsAnISODate() {
    #expect(ExpressionEvaluator.isISODate(ExpressionContext().today))
}

@Test func todayUTCFormatsCalendarDaysAroundTheEpochAndLeapDays() {
    #expect(ExpressionContext.todayUTC(Date(timeIntervalSince1970: 0)) == "1970-01-01")
    #expect(ExpressionContext.todayUTC(Date(timeIntervalSince1970: -1)) == "1969-12-31")
    #expect(ExpressionContext.todayUTC(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29")
}

@Test func minAndMaxTakeAnyNumberOfArguments() throws {
    #expect(try number("min(3, 1, 2)") == 1)
    #expect(try number("max(3, 1, 2)") == 3)
    #expect(try number("max(4)") == 4)
}

@Test func minAndMaxAreNaNWhenAnArgumentIsEmpty() throws {
    #expect(try number("max(1, ${missing})").isNaN)
}

@Test func absIsAbsoluteValue() throws {
    #expect(try number("abs(-2.5)") == 2.5)
}

@Test func functionNamesMayContainHyphens() throws {
    #expect(try truth("starts-with(concat('a', 'b'), 'a') and string-length('ab') = 2"))
}

// MARK: - Errors

@Test func emptyExpressionIsAnError() {
    #expect(parseError("")?.message == "empty expression")
    #expect(parseError("   ")?.position == 3)
}

@Test func unknownFunctionReportsThePositionOfItsName() {
    let error = parseError("1 + foo(2)")
    #expect(error?.message == "unknown function 'foo'")
    #expect(error?.position == 4)
}

@Test func wrongArityReportsThePositionOfTheFunctionName() {
    let error = parseError("${x} = 1 or not(1, 2)")
    #expect(error?.message == "function 'not' takes 1 argument but was given 2")
    #expect(error?.position == 12)
}

@Test func arityMessagesNameTheAllowedCounts() {
    #expect(parseError("round()")?.message == "function 'round' takes 1 or 2 arguments but was given 0")
    #expect(parseError("concat()")?.message == "function 'concat' takes at least 1 argument but was given 0")
    #expect(parseError("true(1)")?.message == "function 'true' takes 0 arguments but was given 1")
    #expect(parseError("if(1, 2)")?.message == "function 'if' takes 3 arguments but was given 2")
}

@Test func unexpectedCharacterIsReportedWhereItIs() {
    let error = parseError("1 # 2")
    #expect(error?.message == "unexpected character '#'")
    #expect(error?.position == 2)
}

@Test func unterminatedStringPointsAtItsOpeningQuote() {
    let error = parseError("concat('a', 'bc)")
    #expect(error?.message.hasPrefix("unterminated string") == true)
    #expect(error?.position == 12)
}

@Test func unexpectedEndIsReportedAtTheEnd() {
    let error = parseError("1 +")
    #expect(error?.message == "unexpected end of expression")
    #expect(error?.position == 3)
}

@Test func missingCloseParenthesisAfterArguments() {
    let error = parseError("concat('a', 'b'")
    #expect(error?.message == "expected ')' after arguments")
    #expect(error?.position == 15)
}

@Test func missingCloseParenthesisAfterGroup() {
    let error = parseError("(1 + 2")
    #expect(error?.message.hasPrefix("expected ')'") == true)
    #expect(error?.position == 6)
}

@Test func fieldReferenceWithoutCloseBrace() {
    let error = parseError("${age > 3")
    #expect(error?.message == "unexpected character ' ' in field name")
    #expect(error?.position == 5)
    #expect(parseError("1 + ${age")?.message == "unterminated field reference, missing '}'")
    #expect(parseError("1 + ${age")?.position == 4)
}

@Test func fieldReferenceWithEmptyName() {
    let error = parseError("${} = 1")
    #expect(error?.message == "empty field name in '${}'")
    #expect(error?.position == 0)
}

@Test func trailingInputIsAnError() {
    let error = parseError("1 2")
    #expect(error?.message == "unexpected '2' after end of expression")
    #expect(error?.position == 2)
}

@Test func bareNameIsAnError() {
    #expect(parseError("age > 1")?.position == 0)
}

@Test func positionsCountCharactersNotBytes() {
    #expect(parseError("'é' + foo(1)")?.position == 6)
}

@Test func errorDescriptionIsOneBasedAndQuotesTheSource() {
    #expect(parseError("1 +")?.description == "unexpected end of expression at character 4 of '1 +'")
}

// MARK: - Identity

@Test func expressionsAreEqualAndHashedBySource() throws {
    let a = try Expression("${x} + 1"), b = try Expression("${x} + 1"), c = try Expression("${x}+1")
    #expect(a == b)
    #expect(a != c)
    #expect(Set([a, b, c]).count == 2)
    #expect(a.description == "${x} + 1")
}

@Test func oneParsedExpressionEvaluatesAgainstManyContexts() throws {
    let e = try Expression(". >= ${min}")
    #expect(e.isTrue(context(current: .integer(5), ["min": .integer(3)])))
    #expect(!e.isTrue(context(current: .integer(2), ["min": .integer(3)])))
}
