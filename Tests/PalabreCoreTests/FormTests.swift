import Foundation
import Testing
import PalabreCore

// MARK: - Helpers: form trees as Yams produces them

private var yesNo: [Any] {
    [
        ["name": "yes", "label": ["fr": "Oui", "en": "Yes"]] as [String: Any],
        ["name": "no", "label": ["fr": "Non", "en": "No"]] as [String: Any],
    ]
}
private var ageBands: [Any] {
    [
        ["name": "under_18", "label": "Under 18"] as [String: Any],
        ["name": "18_24", "label": "18 to 24"] as [String: Any],
    ]
}
private var themes: [Any] {
    [
        ["name": "land", "label": "Land"] as [String: Any],
        ["name": "water", "label": "Water"] as [String: Any],
        ["name": "other", "label": "Other"] as [String: Any],
    ]
}

/// A valid form tree; `fields` and `choices` replace the defaults when given.
private func tree(
    form: String = "participant", fields: [[String: Any]]? = nil, choices: [String: Any]? = nil, extra: [String: Any] = [:]
) -> [String: Any] {
    var t: [String: Any] = [
        "form": form,
        "version": 1,
        "title": ["fr": "Participant(e)", "en": "Participant"],
        "fields": (fields ?? [["name": "note", "type": "text", "label": "Note"]]) as [Any],
    ]
    if let choices { t["choices"] = choices }
    for (k, v) in extra { t[k] = v }
    return t
}

/// The problems compiling a tree with a single extra field (next to a valid text field `note`).
private func problems(field: [String: Any], choices: [String: Any]? = nil) -> [FormProblem] {
    FormCompiler.compile(tree(fields: [["name": "note", "type": "text", "label": "Note"], field], choices: choices), file: "t.yaml").1
}

/// The participant-like form the validator and parser tests use.
private var sampleTree: [String: Any] {
    tree(
        fields: [
            ["name": "session", "type": "reference", "form": "session", "label": "Session", "required": true],
            ["name": "consent", "type": "select_one", "choices": "yes_no", "label": "Consent", "required": true],
            ["name": "name", "type": "text", "label": "Name", "relevant": "${consent} = 'yes'", "required": "${consent} = 'yes'"],
            [
                "name": "age", "type": "integer", "label": "Age", "constraint": ". >= 0 and . <= 120",
                "constraint_message": ["en": "Between 0 and 120.", "fr": "Entre 0 et 120."],
            ],
            ["name": "age_band", "type": "select_one", "choices": "age_bands", "label": "Age band"],
            ["name": "themes", "type": "select_multiple", "choices": "themes", "label": "Themes"],
            ["name": "cost", "type": "decimal", "label": "Cost"],
            ["name": "date", "type": "date", "label": "Date"],
            ["name": "location", "type": "geopoint", "label": "Location"],
            ["name": "status", "type": "select_one", "choices": "yes_no", "label": "Status", "default": "no"],
        ],
        choices: ["yes_no": yesNo, "age_bands": ageBands, "themes": themes]
    )
}

private func sampleForm() throws -> Form {
    let (form, found) = FormCompiler.compile(sampleTree, file: "participant.yaml")
    #expect(found.isEmpty, "\(found)")
    return try #require(form)
}

private func field(_ name: String) throws -> Field {
    try #require(try sampleForm().field(name))
}

private let sessionID = "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e"
private let initiativeID = "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2f"
private let deletedSessionID = "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d30"

private func validator() throws -> Validator {
    let targets: [String: ReferenceTarget] = [
        sessionID: ReferenceTarget(form: "session", deleted: false),
        initiativeID: ReferenceTarget(form: "initiative", deleted: false),
        deletedSessionID: ReferenceTarget(form: "session", deleted: true),
    ]
    return Validator(form: try sampleForm(), today: "2026-11-29") { targets[$0] }
}

/// A valid record of the sample form.
private let validValues: [String: Value] = [
    "session": .string(sessionID), "consent": .string("yes"), "name": .string("Aminata Touré"),
]

private func rules(_ errors: [ValidationError]) -> [String: ValidationError.Rule] {
    Dictionary(errors.map { ($0.field ?? "", $0.rule) }, uniquingKeysWith: { a, _ in a })
}

// MARK: - FormCompiler: a valid form

@Test func aValidTreeCompilesWithoutProblems() throws {
    let form = try sampleForm()
    #expect(form.name == "participant")
    #expect(form.version == 1)
    #expect(form.fields.map(\.name) == ["session", "consent", "name", "age", "age_band", "themes", "cost", "date", "location", "status"])
    #expect(form.field("consent")?.choices.map(\.name) == ["yes", "no"])
    #expect(form.field("session")?.referencedForm == "session")
    #expect(form.field("session")?.required == .always)
    #expect(form.field("status")?.defaultValue == "no")
    #expect(form.title.text(.fr) == "Participant(e)")
}

// MARK: - FormCompiler: every mistake is reported with its field

@Test func unknownTypeIsReportedWithTheFieldName() {
    let found = problems(field: ["name": "age", "type": "number", "label": "Age"])
    #expect(found.contains { $0.field == "age" && $0.message.contains("unknown type 'number'") }, "\(found)")
}

@Test func unknownFieldKeyIsReportedWithTheFieldName() {
    let found = problems(field: ["name": "age", "type": "integer", "label": "Age", "requird": true])
    #expect(found.contains { $0.field == "age" && $0.message.contains("unknown key 'requird'") }, "\(found)")
}

@Test func unknownFormKeyIsReportedWithoutAField() {
    let found = FormCompiler.compile(tree(extra: ["titel": "x"]), file: "t.yaml").1
    #expect(found.contains { $0.field == nil && $0.message.contains("unknown key 'titel'") }, "\(found)")
}

@Test func badExpressionIsReportedWithTheFieldNameAndTheKey() {
    let found = problems(field: ["name": "age", "type": "integer", "label": "Age", "constraint": ". >"])
    #expect(found.contains { $0.field == "age" && $0.message.hasPrefix("constraint:") }, "\(found)")
    let relevant = problems(field: ["name": "age", "type": "integer", "label": "Age", "relevant": "foo(1)"])
    #expect(relevant.contains { $0.field == "age" && $0.message.hasPrefix("relevant:") && $0.message.contains("foo") }, "\(relevant)")
}

@Test func expressionReferringToAMissingFieldIsReported() {
    let found = problems(field: ["name": "age", "type": "integer", "label": "Age", "relevant": "${consnt} = 'yes'"])
    #expect(found.contains { $0.field == "age" && $0.message.contains("${consnt}") }, "\(found)")
}

@Test func requiredExpressionReferringToAMissingFieldIsReported() {
    let found = problems(field: ["name": "age", "type": "integer", "label": "Age", "required": "${ghost} > 1"])
    #expect(found.contains { $0.field == "age" && $0.message.contains("${ghost}") && $0.message.hasPrefix("required") }, "\(found)")
}

@Test func expressionReferringToAnExistingLaterFieldIsAccepted() {
    let found = FormCompiler.compile(
        tree(fields: [
            ["name": "a", "type": "text", "label": "A", "relevant": "${b} = 'x'"],
            ["name": "b", "type": "text", "label": "B"],
        ]), file: "t.yaml"
    ).1
    #expect(found.isEmpty, "\(found)")
}

@Test func selectWithoutAnExistingChoiceListIsReported() {
    let found = problems(
        field: ["name": "band", "type": "select_one", "label": "Band", "choices": "bands"],
        choices: ["age_bands": ageBands])
    #expect(found.contains { $0.field == "band" && $0.message.contains("choice list 'bands' does not exist") }, "\(found)")
}

@Test func selectWithoutChoicesKeyIsReported() {
    let found = problems(field: ["name": "band", "type": "select_multiple", "label": "Band"])
    #expect(found.contains { $0.field == "band" && $0.message.contains("needs 'choices") }, "\(found)")
}

@Test func duplicateFieldNameIsReported() {
    let found = FormCompiler.compile(
        tree(fields: [
            ["name": "age", "type": "integer", "label": "Age"],
            ["name": "age", "type": "text", "label": "Age again"],
        ]), file: "t.yaml"
    ).1
    #expect(found.contains { $0.field == "age" && $0.message == "duplicate field name" }, "\(found)")
}

@Test func referenceWithoutFormIsReported() {
    let found = problems(field: ["name": "session", "type": "reference", "label": "Session"])
    #expect(found.contains { $0.field == "session" && $0.message.contains("needs 'form: FORM'") }, "\(found)")
}

@Test func badDefaultIsReportedWithTheRule() {
    let found = problems(field: ["name": "count", "type": "integer", "label": "Count", "default": "many"])
    #expect(
        found.contains { $0.field == "count" && $0.message.contains("default 'many'") && $0.message.contains("whole number") },
        "\(found)")
}

@Test func defaultThatIsNotAChoiceIsReported() {
    let found = problems(
        field: ["name": "ok", "type": "select_one", "label": "OK", "choices": "yes_no", "default": "maybe"],
        choices: ["yes_no": yesNo])
    #expect(found.contains { $0.field == "ok" && $0.message.contains("default 'maybe'") }, "\(found)")
}

@Test func integerDefaultFromYamlIsAccepted() {
    let found = problems(field: ["name": "count", "type": "integer", "label": "Count", "default": 3])
    #expect(found.isEmpty, "\(found)")
}

@Test func fieldNamesStartingWithUnderscoreAreReserved() {
    let found = problems(field: ["name": "_deleted", "type": "text", "label": "x"])
    #expect(found.contains { $0.field == "_deleted" && $0.message.contains("reserved") }, "\(found)")
}

@Test func missingLabelIsReported() {
    let found = problems(field: ["name": "age", "type": "integer"])
    #expect(found.contains { $0.field == "age" && $0.message.contains("'label' is missing") }, "\(found)")
}

@Test func nonBooleanSensitiveIsReported() {
    let found = problems(field: ["name": "age", "type": "integer", "label": "Age", "sensitive": "perhaps"])
    #expect(found.contains { $0.field == "age" && $0.message.contains("'sensitive' must be true or false") }, "\(found)")
}

@Test func unusedChoiceListIsReported() {
    let found = FormCompiler.compile(tree(choices: ["orphans": yesNo]), file: "t.yaml").1
    #expect(found.contains { $0.message.contains("'orphans' is not used") }, "\(found)")
}

@Test func duplicateChoiceIsReported() {
    let found = problems(
        field: ["name": "ok", "type": "select_one", "label": "OK", "choices": "yes_no"],
        choices: ["yes_no": yesNo + [["name": "yes", "label": "Yes again"] as [String: Any]]])
    #expect(found.contains { $0.message.contains("duplicate choice 'yes'") }, "\(found)")
}

@Test func missingVersionAndBadFormNameAreReported() {
    var t = tree(form: "1bad")
    t["version"] = nil
    let (form, found) = FormCompiler.compile(t, file: "t.yaml")
    #expect(form == nil)
    #expect(found.contains { $0.message == "'version' is missing" }, "\(found)")
    #expect(found.contains { $0.message.contains("'form' must be a name") }, "\(found)")
}

@Test func versionBelowOneIsReported() {
    let found = FormCompiler.compile(tree(extra: ["version": 0]), file: "t.yaml").1
    #expect(found.contains { $0.message.contains("'version' must be a whole number") }, "\(found)")
}

@Test func aTreeThatIsNotAMappingIsRefused() {
    let (form, found) = FormCompiler.compile(["form", "participant"] as [Any], file: "t.yaml")
    #expect(form == nil)
    #expect(found.count == 1)
}

@Test func emptyFieldsListIsRefused() {
    let (form, found) = FormCompiler.compile(tree(fields: []), file: "t.yaml")
    #expect(form == nil)
    #expect(found.contains { $0.message.contains("'fields' must be a non-empty list") })
}

@Test func everyProblemNamesItsFile() {
    let found = FormCompiler.compile(tree(fields: [["name": "x", "type": "nope"]]), file: "forms/x.yaml").1
    #expect(!found.isEmpty)
    #expect(found.allSatisfy { $0.file == "forms/x.yaml" && $0.description.hasPrefix("forms/x.yaml: ") })
}

// MARK: - FormCatalog

@Test func catalogReportsAReferenceToAMissingForm() throws {
    let form = try sampleForm()  // refers to 'session', which is not in the catalog
    let catalog = FormCatalog(forms: [form])
    #expect(
        catalog.problems.contains { $0.field == "session" && $0.message.contains("form 'session', which does not exist") },
        "\(catalog.problems)")
}

@Test func catalogAcceptsAReferenceToAPresentForm() throws {
    let (session, p) = FormCompiler.compile(tree(form: "session"), file: "session.yaml")
    #expect(p.isEmpty)
    let catalog = FormCatalog(forms: [try sampleForm(), try #require(session)])
    #expect(catalog.problems.isEmpty, "\(catalog.problems)")
    #expect(catalog.names == ["participant", "session"])
}

@Test func catalogReportsAFormDefinedTwice() throws {
    let a = try #require(FormCompiler.compile(tree(form: "session"), file: "a.yaml").0)
    let b = try #require(FormCompiler.compile(tree(form: "session"), file: "b.yaml").0)
    let catalog = FormCatalog(forms: [a, b])
    #expect(catalog.problems.contains { $0.file == "b.yaml" && $0.message.contains("also defined in a.yaml") })
    #expect(catalog["session"]?.file == "a.yaml")
}

@Test func catalogFormThrowsListingKnownForms() throws {
    let catalog = FormCatalog(forms: [try sampleForm()])
    #expect(throws: ValidationError(form: "sesion", field: nil, value: nil, rule: .unknownForm(known: ["participant"]))) {
        try catalog.form("sesion")
    }
}

// MARK: - Validator

@Test func aValidRecordHasNoProblems() throws {
    #expect(try validator().problems(validValues).isEmpty)
}

@Test func missingRequiredFieldIsReported() throws {
    var v = validValues
    v["consent"] = nil
    v["name"] = nil
    let found = try validator().problems(v)
    #expect(rules(found)["consent"] == .required)
    // `name` is required only when consent is yes.
    #expect(rules(found)["name"] == nil)
}

@Test func emptyStringCountsAsMissingForRequired() throws {
    var v = validValues
    v["consent"] = .string("")
    #expect(rules(try validator().problems(v))["consent"] == .required)
}

@Test func requiredWhenExpressionIsEnforcedOnlyWhenTrue() throws {
    var v = validValues
    v["name"] = nil
    #expect(rules(try validator().problems(v))["name"] == .required)
    v["consent"] = .string("no")
    #expect(try validator().problems(v).isEmpty)
}

@Test func valueGivenWhenNotRelevantIsReported() throws {
    var v = validValues
    v["consent"] = .string("no")
    let found = try validator().problems(v)
    #expect(found == [ValidationError(form: "participant", field: "name", value: "Aminata Touré", rule: .notRelevant("${consent} = 'yes'"))])
}

@Test func constraintOnTheCurrentValueIsChecked() throws {
    var v = validValues
    v["age"] = .integer(130)
    let found = try validator().problems(v)
    #expect(found.count == 1)
    #expect(found.first?.rule == .constraint(". >= 0 and . <= 120", LocalizedText(["en": "Between 0 and 120.", "fr": "Entre 0 et 120."])))
    #expect(found.first?.message(.en) == "participant.age: '130' breaks the rule '. >= 0 and . <= 120': Between 0 and 120.")
    v["age"] = .integer(120)
    #expect(try validator().problems(v).isEmpty)
}

@Test func selectOneOutsideTheChoicesIsReportedWithTheChoices() throws {
    var v = validValues
    v["age_band"] = .string("99")
    let found = try validator().problems(v)
    #expect(found.map { $0.message(.en) } == ["participant.age_band: '99' is not one of under_18, 18_24"])
    #expect(found.first?.message(.fr) == "participant.age_band: '99' n'est pas l'un de under_18, 18_24")
}

@Test func selectMultipleWithABadChoiceNamesTheBadChoice() throws {
    var v = validValues
    v["themes"] = .list(["land", "fishing"])
    let found = try validator().problems(v)
    #expect(found.count == 1)
    #expect(found.first?.value == "fishing")
    #expect(found.first?.rule == .notAChoice(["land", "water", "other"]))
}

@Test func valueOfTheWrongShapeIsReported() throws {
    var v = validValues
    v["age"] = .string("12")
    #expect(rules(try validator().problems(v))["age"] == .wrongType(.integer))
}

@Test func invalidDateStringIsReported() throws {
    var v = validValues
    v["date"] = .string("2026-02-30")
    #expect(rules(try validator().problems(v))["date"] == .wrongType(.date))
}

@Test func referenceToAMissingRecordIsReported() throws {
    var v = validValues
    v["session"] = .string("0193f1c2-7a3e-7b1d-9c4e-000000000000")
    let found = try validator().problems(v)
    #expect(rules(found)["session"] == .missingReference(form: "session"))
    #expect(found.first?.message(.en).contains("is not the id of any 'session' record") == true)
}

@Test func referenceToARecordOfAnotherFormIsReported() throws {
    var v = validValues
    v["session"] = .string(initiativeID)
    #expect(rules(try validator().problems(v))["session"] == .referenceToOtherForm(expected: "session", actual: "initiative"))
}

@Test func referenceToADeletedRecordIsReported() throws {
    var v = validValues
    v["session"] = .string(deletedSessionID)
    #expect(rules(try validator().problems(v))["session"] == .deleted)
}

@Test func referenceThatIsNotAUUIDIsReported() throws {
    var v = validValues
    v["session"] = .string("session-1")
    #expect(rules(try validator().problems(v))["session"] == .wrongType(.reference))
}

@Test func unknownFieldIsReportedListingTheFields() throws {
    var v = validValues
    v["nmae"] = .string("x")
    let found = try validator().problems(v)
    #expect(found.count == 1)
    #expect(found.first?.field == "nmae")
    guard case .unknownField(let known)? = found.first?.rule else {
        Issue.record("expected unknownField, got \(found)")
        return
    }
    #expect(known.contains("name"))
}

@Test func unknownFieldIsAcceptedWhenKept() throws {
    var v = validValues
    v["old_field"] = .string("x")
    #expect(try validator().problems(v, keptFields: ["old_field"]).isEmpty)
}

@Test func everyProblemIsReportedInFormOrder() throws {
    let v: [String: Value] = ["age": .integer(-1), "age_band": .string("99")]
    let found = try validator().problems(v)
    #expect(found.map(\.field) == ["session", "consent", "age", "age_band"])
}

@Test func messageWithoutValueNamesTheFieldAndTheRule() {
    let e = ValidationError(form: "participant", field: "consent", value: nil, rule: .required)
    #expect(e.message(.en) == "participant.consent is required")
    #expect(e.message(.fr) == "participant.consent est obligatoire")
}

// MARK: - FieldParser

@Test func integersAcceptSpacesBetweenThousands() throws {
    let f = try field("age")
    #expect(try FieldParser.parse("2 500", for: f, form: "p") == .integer(2500))
    #expect(try FieldParser.parse("2\u{00A0}500\u{202F}000", for: f, form: "p") == .integer(2_500_000))
    #expect(try FieldParser.parse(" -12 ", for: f, form: "p") == .integer(-12))
}

@Test func integersRefuseDecimalsAndWords() throws {
    let f = try field("age")
    for text in ["2,5", "2.5", "douze", ""] {
        #expect(throws: ValidationError(form: "p", field: "age", value: text, rule: .wrongType(.integer))) {
            try FieldParser.parse(text, for: f, form: "p")
        }
    }
}

@Test func decimalsAcceptADecimalComma() throws {
    let f = try field("cost")
    #expect(try FieldParser.parse("2,5", for: f, form: "p") == .decimal(2.5))
    #expect(try FieldParser.parse("2 500 000,75", for: f, form: "p") == .decimal(2_500_000.75))
    #expect(try FieldParser.parse("3.25", for: f, form: "p") == .decimal(3.25))
    #expect(try FieldParser.parse("12", for: f, form: "p") == .decimal(12))
}

@Test func decimalsRefuseAmbiguousOrNonFiniteText() throws {
    let f = try field("cost")
    for text in ["1,2,3", "inf", "nan", ".5", "abc"] {
        #expect(throws: ValidationError.self, "\(text)") { try FieldParser.parse(text, for: f, form: "p") }
    }
}

@Test func decimalsRefuseHexadecimalText() throws {
    let f = try field("cost")
    #expect(throws: ValidationError.self) { try FieldParser.parse("0x10", for: f, form: "p") }
}

@Test func datesMustBeRealCalendarDays() throws {
    let f = try field("date")
    #expect(try FieldParser.parse("2024-02-29", for: f, form: "p") == .string("2024-02-29"))
    #expect(try FieldParser.parse("2026-12-31", for: f, form: "p") == .string("2026-12-31"))
    // Day first, as written in French, with / - or . between.
    for (text, date) in [("10/01/2026", "2026-01-10"), ("2/11/2026", "2026-11-02"), ("02-11-2026", "2026-11-02"), ("29.02.2024", "2024-02-29")] {
        #expect(try FieldParser.parse(text, for: f, form: "p") == .string(date), "\(text)")
    }
    // Well formed but not in the calendar: said so, with the month's length.
    for (text, y, m, d) in [
        ("2026-02-30", 2026, 2, 30), ("2023-02-29", 2023, 2, 29), ("1900-02-29", 1900, 2, 29), ("2026-04-31", 2026, 4, 31),
        ("31/11/2026", 2026, 11, 31),
    ] {
        #expect(throws: ValidationError(form: "p", field: "date", value: text, rule: .noSuchDate(year: y, month: m, day: d))) {
            try FieldParser.parse(text, for: f, form: "p")
        }
    }
    #expect(
        ValidationError(form: "p", field: "date", value: "31/11/2026", rule: .noSuchDate(year: 2026, month: 11, day: 31)).message(.fr)
            .contains("n'existe pas : novembre 2026 n'a que 30 jours (pas de 31)"))
    for text in ["2026-13-01", "2026-00-10", "2026-1-10", "13/13/2026", "1/2/26", "2026/11/02", "32/01/2026", "1899-12-31"] {
        #expect(throws: ValidationError(form: "p", field: "date", value: text, rule: .wrongType(.date))) {
            try FieldParser.parse(text, for: f, form: "p")
        }
    }
}

@Test func isDateKnowsLeapYears() {
    #expect(FieldParser.isDate("2000-02-29"))
    #expect(!FieldParser.isDate("2100-02-29"))
    #expect(FieldParser.isDate("2024-02-29"))
    #expect(!FieldParser.isDate("2024-02-30"))
}

@Test func geopointsParseLatitudeThenLongitude() throws {
    let f = try field("location")
    #expect(try FieldParser.parse("16.27 -0.04", for: f, form: "p") == .geopoint(latitude: 16.27, longitude: -0.04))
    // ODK's "lat lon altitude accuracy" keeps the position.
    #expect(try FieldParser.parse("16.27 -0.04 250 5", for: f, form: "p") == .geopoint(latitude: 16.27, longitude: -0.04))
}

@Test func geopointsOutOfRangeOrMalformedAreRefused() throws {
    let f = try field("location")
    for text in ["16.27", "16.27 -0.04 250", "north east", "1e3 2", "16.2.7 0", "١٦ ٢"] {
        #expect(throws: ValidationError(form: "p", field: "location", value: text, rule: .wrongType(.geopoint))) {
            try FieldParser.parse(text, for: f, form: "p")
        }
    }
    // Out of range: the rule says which number and its bounds.
    for (text, latitude) in [("91 0", true), ("-90.5 0", true), ("0 181", false), ("0 -180.01", false), ("999 999", true)] {
        let rule = try #require(FieldParser.geopointRangeProblem(latitude: latitude ? 91 : 0, longitude: latitude ? 0 : 181))
        #expect(throws: ValidationError(form: "p", field: "location", value: text, rule: rule)) {
            try FieldParser.parse(text, for: f, form: "p")
        }
    }
    // A stored position out of range (from another laptop, a script) is refused by the validator too.
    #expect(FieldParser.geopointRangeProblem(latitude: 90, longitude: -180) == nil)
}

/// French decimal commas (`16,27 -0,04`) read as decimal commas, never as a separator that would make `[16, 27]`; a
/// comma that can only be a separator is read as one; one that could be either is refused, not guessed.
@Test func geopointsWithDecimalCommasAreReadRightOrRefused() throws {
    let f = try field("location")
    let point = Value.geopoint(latitude: 16.27, longitude: -0.04)
    for text in [
        "16,27 -0,04", "16,27 ; -0,04", "16.27 -0.04", "16.27, -0.04", "16.27,-0.04", "16.27 , -0.04", "16,27\t-0,04",
        "16,27 -0,04 250 5",
    ] {
        #expect(try FieldParser.parse(text, for: f, form: "p") == point, "\(text)")
    }
    #expect(try FieldParser.parse("16,-4", for: f, form: "p") == .geopoint(latitude: 16, longitude: -4), "a sign after the comma")
    #expect(try FieldParser.parse(".5 -.5", for: f, form: "p") == .geopoint(latitude: 0.5, longitude: -0.5))
    #expect(try FieldParser.parse("16.27,-0.04,250,5", for: f, form: "p") == point, "ODK's four numbers, comma-separated")
    for text in ["16,27", "16,27,-0,04", "1.234,5 0"] {
        #expect(throws: ValidationError(form: "p", field: "location", value: text, rule: FieldParser.geopointFormatRule)) {
            try FieldParser.parse(text, for: f, form: "p")
        }
    }
}

@Test func selectMultipleDropsDuplicatesKeepingOrder() throws {
    let f = try field("themes")
    #expect(try FieldParser.parse("water land water", for: f, form: "p") == .list(["water", "land"]))
    #expect(try FieldParser.parse("land,water", for: f, form: "p") == .list(["land", "water"]))
}

@Test func selectMultipleNamesTheBadChoice() throws {
    let f = try field("themes")
    #expect(throws: ValidationError(form: "p", field: "themes", value: "fish", rule: .notAChoice(["land", "water", "other"]))) {
        try FieldParser.parse("land fish", for: f, form: "p")
    }
}

@Test func selectOneTakesAChoiceName() throws {
    let f = try field("consent")
    #expect(try FieldParser.parse(" yes ", for: f, form: "p") == .string("yes"))
    // A code or a label in either language, in any case and without accents, is the choice it names.
    for text in ["Yes", "YES", "oui", "Oui"] { #expect(try FieldParser.parse(text, for: f, form: "p") == .string("yes"), "\(text)") }
    #expect(throws: ValidationError.self) { try FieldParser.parse("peut-être", for: f, form: "p") }
}

@Test func referencesAreNormalisedToLowercase() throws {
    let f = try field("session")
    #expect(try FieldParser.parse("0193F1C2-7A3E-7B1D-9C4E-2F6A8B0C1D2E", for: f, form: "p") == .string(sessionID))
    #expect(throws: ValidationError.self) { try FieldParser.parse("not-a-uuid", for: f, form: "p") }
}

@Test func coerceAcceptsJSONNumbersOfTheRightKind() throws {
    #expect(try FieldParser.coerce(.integer(3), for: try field("cost"), form: "p") == .decimal(3))
    #expect(try FieldParser.coerce(.decimal(4), for: try field("age"), form: "p") == .integer(4))
    #expect(throws: ValidationError.self) { try FieldParser.coerce(.decimal(4.5), for: try field("age"), form: "p") }
    #expect(try FieldParser.coerce(.string("12"), for: try field("age"), form: "p") == .integer(12))
    #expect(throws: ValidationError.self) { try FieldParser.coerce(.geopoint(latitude: 95, longitude: 0), for: try field("location"), form: "p") }
}

// MARK: - JSON

@Test func jsonRoundTripsThroughSerialized() throws {
    let text = #"{"a":[1,-2.5,1e3,true,false,null],"b":{"c":"d"},"e":[],"f":{}}"#
    let json = try JSON.parse(text)
    #expect(json.serialized == text)
    #expect(try JSON.parse(json.serialized) == json)
}

@Test func jsonKeepsObjectMembersInDocumentOrder() throws {
    let json = try JSON.parse(#"{"z":1,"a":2}"#)
    #expect(json.serialized == #"{"z":1,"a":2}"#)
    #expect(json["a"] == .number("2"))
}

@Test func jsonStringEscapesRoundTrip() throws {
    let s = "quote \" backslash \\ slash / newline \n tab \t cr \r bell \u{07} nul \u{00} end"
    var out = ""
    JSON.writeString(s, into: &out)
    #expect(!out.contains("\n"))
    #expect(out.contains("\\u0007"))
    #expect(out.contains("\\u0000"))
    #expect(try JSON.parse(out) == .string(s))
}

@Test func jsonKeepsUnicodeAsIs() throws {
    let s = "Ségou, Tombouctou — 日本 🇲🇱"
    let json = JSON.string(s)
    #expect(json.serialized == "\"\(s)\"")
    #expect(try JSON.parse(json.serialized) == json)
}

@Test func jsonDecodesUnicodeEscapesAndSurrogatePairs() throws {
    #expect(try JSON.parse(#""S\u00e9gou""#) == .string("Ségou"))
    #expect(try JSON.parse(#""\ud83d\ude00""#) == .string("😀"))
    #expect(try JSON.parse(#""a\/b\b\f""#) == .string("a/b\u{08}\u{0C}"))
}

@Test func jsonRefusesBrokenSurrogates() {
    #expect(throws: JSONError.self) { try JSON.parse(#""\ud83d""#) }
    #expect(throws: JSONError.self) { try JSON.parse(#""\ud83d\u0041""#) }
    #expect(throws: JSONError.self) { try JSON.parse(#""\ude00""#) }
}

private func jsonError(_ text: String) -> JSONError? {
    do {
        _ = try JSON.parse(text)
        return nil
    } catch {
        return error
    }
}

@Test func jsonErrorsGiveTheByteOffset() {
    #expect(jsonError(#"{"a":1}x"#)?.offset == 7)
    #expect(jsonError(#"{"a" 1}"#)?.offset == 5)
    #expect(jsonError("[1,]")?.offset == 3)
    #expect(jsonError("")?.offset == 0)
    #expect(jsonError("tru")?.offset == 0)
    #expect(jsonError(#"{"a":1,}"#)?.offset == 7)
    // Offsets count bytes, not characters: "é" is two bytes.
    #expect(jsonError(#"{"é":}"#)?.offset == 6)
}

@Test func jsonErrorDescriptionIsOneBased() {
    #expect(jsonError("[1,]")?.description == "invalid JSON at byte 4: unexpected character")
}

@Test func jsonRefusesControlCharactersInStrings() {
    #expect(jsonError("\"a\nb\"")?.offset == 2)
}

@Test func jsonRefusesMalformedNumbers() {
    for text in ["-", "1.", "1e", "1e+", "--1", ".5"] {
        #expect(jsonError(text) != nil, "\(text)")
    }
}

@Test func jsonRefusesDeepNesting() {
    #expect(jsonError(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) != nil)
    #expect(jsonError(String(repeating: "[", count: 10) + String(repeating: "]", count: 10)) == nil)
}

// MARK: - Value <-> JSON

@Test(arguments: [
    Value.string("Ségou"), .string(""), .integer(12), .integer(-3), .integer(Int64.max), .integer(Int64.min),
    .decimal(12), .decimal(2.5), .decimal(-0.04), .decimal(1e20), .decimal(1e-7),
    .list(["land", "water"]), .list([]), .geopoint(latitude: 16.27, longitude: -0.04), .geopoint(latitude: 16, longitude: 0),
    .bool(true), .bool(false),
])
func valueRoundTripsThroughJSONText(_ value: Value) throws {
    let text = value.json.serialized
    #expect(try Value(json: JSON.parse(text)) == value, "\(text)")
}

@Test func wholeDecimalsStayDecimals() throws {
    #expect(Value.decimal(12).json == .number("12.0"))
    #expect(try Value(json: .number("12.0")) == .decimal(12))
    #expect(try Value(json: .number("12")) == .integer(12))
    #expect(try Value(json: .number("1e3")) == .decimal(1000))
}

@Test func jsonNumberTooLargeForADoubleIsRefused() {
    #expect(throws: JSONError.self) { try Value(json: .number("1e999")) }
}

@Test func jsonNullIsAClearedValue() throws {
    #expect(try Value(json: .null) == nil)
}

@Test func jsonObjectsAndMixedArraysAreNotValues() {
    #expect(throws: JSONError.self) { try Value(json: .object([("a", .null)])) }
    #expect(throws: JSONError.self) { try Value(json: .array([.string("a"), .number("1")])) }
    #expect(throws: JSONError.self) { try Value(json: .number("99999999999999999999")) }
}

@Test func valueMapEncodesKeysSortedAndNullsForClearedFields() throws {
    let text = ValueMap.encode(["b": .integer(1), "a": nil] as [String: Value?])
    #expect(text == #"{"a":null,"b":1}"#)
    let back = try ValueMap.decode(text)
    #expect(back.count == 2)
    #expect(back["a"] == .some(nil))
    #expect(try ValueMap.decodePresent(text) == ["b": .integer(1)])
}

// MARK: - Change <-> JSON

@Test func changeRoundTripsThroughItsJSON() throws {
    let c = Change(
        recordID: sessionID, form: "session", formVersion: 2, project: "gao-2026",
        stamp: Stamp(hlc: HLC(wallMilliseconds: 1_764_400_000_000, counter: 3), node: "00000000000000aa"),
        values: [
            "title": .string("Vestibule \"de\" la paix à Ségou"), "women_count": .integer(14), "cost": .decimal(2500),
            "themes": .list(["land"]), "location": .geopoint(latitude: 15.93, longitude: 0.39), "summary": nil,
            deletedField: .bool(false),
        ],
        prev: ["title": Stamp(hlc: HLC(wallMilliseconds: 1_764_300_000_000, counter: 0), node: "00000000000000bb")]
    )
    let back = try Change(json: JSON.parse(c.serialized))
    #expect(back == c)
    #expect(back.values["summary"] == .some(nil))
    #expect(back.values["cost"] == .decimal(2500))
}

@Test func changeWithoutPrevOmitsIt() throws {
    let c = Change(
        recordID: sessionID, form: "session", formVersion: 1, project: "p",
        stamp: Stamp(hlc: HLC(rawValue: 1), node: "n"), values: ["a": .integer(1)])
    #expect(!c.serialized.contains("prev"))
    #expect(try Change(json: JSON.parse(c.serialized)) == c)
}

@Test func changeJSONMissingAMemberNamesIt() {
    #expect(throws: JSONError(message: "a change needs 'node'", offset: 0)) {
        try Change(json: JSON.parse(#"{"record":"r","form":"f","form_version":1,"project":"p","hlc":1,"values":{}}"#))
    }
}

@Test func changeJSONWithMalformedPrevIsRefused() {
    #expect(throws: JSONError.self) {
        try Change(json: JSON.parse(#"{"record":"r","form":"f","form_version":1,"project":"p","hlc":1,"node":"n","values":{},"prev":{"a":[1]}}"#))
    }
}

@Test func aChoiceIsFoundByCodeOrLabelInEitherLanguageIgnoringCaseAndAccents() throws {
    let regions: [Any] = [
        ["name": "kayes", "label": ["fr": "Kayes", "en": "Kayes"]], ["name": "kidal", "label": ["fr": "Kidal", "en": "Kidal"]],
        ["name": "tombouctou", "label": ["fr": "Tombouctou", "en": "Timbuktu"]], ["name": "menaka", "label": ["fr": "Ménaka", "en": "Ménaka"]],
    ]
    let topics: [Any] = [
        ["name": "land", "label": ["fr": "Foncier", "en": "Land"]], ["name": "water", "label": ["fr": "Accès à l'eau", "en": "Access to water"]],
        ["name": "pasture", "label": ["fr": "Pâturages et couloirs de transhumance", "en": "Pasture"]],
        ["name": "security", "label": ["fr": "Sécurité", "en": "Security"]],
    ]
    let compiled = FormCompiler.compile(
        tree(
            fields: [
                ["name": "region", "type": "select_one", "label": "Region", "choices": "regions"],
                ["name": "themes", "type": "select_multiple", "label": "Themes", "choices": "topics"],
            ], choices: ["regions": regions, "topics": topics]), file: "t.yaml")
    let form = try #require(compiled.0, "\(compiled.1)")
    let region = try #require(form.field("region"))
    for text in ["tombouctou", "Tombouctou", "TOMBOUCTOU", "Timbuktu", "tomb"] {
        #expect(region.matchChoice(text)?.name == "tombouctou", "\(text)")
    }
    #expect(region.matchChoice("menaka")?.name == "menaka", "Ménaka without its accent")
    #expect(region.matchChoice("to") == nil, "two letters are not enough to start a label")
    #expect(region.matchChoice("k") == nil && region.matchChoice("ka") == nil, "Kayes or Kidal? neither")
    #expect(region.matchChoice("atlantis") == nil)
    let themes = try #require(form.field("themes"))
    #expect(try FieldParser.parse("foncier, pâturages", for: themes, form: "p") == .list(["land", "pasture"]))
    #expect(try FieldParser.parse("Accès à l'eau; Sécurité", for: themes, form: "p") == .list(["water", "security"]))
    #expect(try FieldParser.parse("Accès à l'eau", for: themes, form: "p") == .list(["water"]), "one label with spaces")
    #expect(try FieldParser.parse("land WATER", for: themes, form: "p") == .list(["land", "water"]))
    #expect(throws: ValidationError(form: "p", field: "themes", value: "poisson", rule: .notAChoice(["land", "water", "pasture", "security"]))) {
        try FieldParser.parse("foncier, poisson", for: themes, form: "p")
    }
}

@Test func codesSeparatedBySpacesStayCodesEvenWhenALabelReadsTheSame() throws {
    let bands: [Any] = [
        ["name": "1", "label": "0-1 an"], ["name": "2", "label": "1-2 ans"], ["name": "3", "label": "2-5 ans"],
    ]
    let compiled = FormCompiler.compile(
        tree(fields: [["name": "ages", "type": "select_multiple", "label": "Ages", "choices": "bands"]], choices: ["bands": bands]), file: "t.yaml")
    let ages = try #require(compiled.0?.field("ages"), "\(compiled.1)")
    #expect(try FieldParser.parse("1 2", for: ages, form: "p") == .list(["1", "2"]), "two codes, not the label '1-2 ans'")
    #expect(try FieldParser.parse("1-2 ans", for: ages, form: "p") == .list(["2"]), "the whole label")
    #expect(try FieldParser.coerce(.list(["1", "2"]), for: ages, form: "p") == .list(["1", "2"]), "a JSON list is already split")
}

@Test func aFileTakesDatesAsYYYYMMDDOnlyWhereAPersonMayTypeThemDayFirst() throws {
    let f = try field("date")
    #expect(try FieldParser.parse("02/11/2026", for: f, form: "p") == .string("2026-11-02"))
    // A spreadsheet's 11/02/2026 may be month first: a file says which it is by writing 2026-02-11.
    #expect(throws: ValidationError(form: "p", field: "date", value: "11/02/2026", rule: .wrongType(.date))) {
        try FieldParser.parse("11/02/2026", for: f, form: "p", dayFirst: false)
    }
    #expect(throws: ValidationError.self) { try FieldParser.coerce(.string("11/02/2026"), for: f, form: "p") }
    #expect(try FieldParser.parse("2026-02-11", for: f, form: "p", dayFirst: false) == .string("2026-02-11"))
}
