import Foundation
import PalabreCore
import PalabreStore
import Testing

/// The field types, expression functions and rules an XLSForm brings: each read, refused and computed as ODK does.
@Suite struct XLSFormFeaturesTests {
    func field(_ type: FieldType, _ name: String = "f") -> Field { Field(name: name, type: type, label: LocalizedText(["en": name])) }

    @Test(arguments: [("9h05", "09:05"), ("09:05", "09:05"), ("9:05:30", "09:05:30"), ("14h", "14:00"), ("23:59", "23:59")])
    func timesAreReadAsFacilitatorsWriteThem(_ typed: String, _ stored: String) throws {
        #expect(try FieldParser.parse(typed, for: field(.time), form: "x") == .string(stored))
    }

    @Test(arguments: ["25:00", "9:5", "12:60", "midi", "", "12:00:61"])
    func impossibleTimesAreRefused(_ typed: String) {
        #expect(throws: ValidationError.self) { try FieldParser.parse(typed, for: field(.time), form: "x") }
    }

    @Test func momentsKeepTheirZoneAndRefuseDaysThatDoNotExist() throws {
        #expect(try FieldParser.parse("2026-12-04 14:30", for: field(.datetime), form: "x") == .string("2026-12-04T14:30"))
        #expect(try FieldParser.parse("2026-12-04T14:30:05.120+01:00", for: field(.datetime), form: "x") == .string("2026-12-04T14:30:05+01:00"))
        #expect(throws: ValidationError.self) { try FieldParser.parse("2026-02-30 10:00", for: field(.datetime), form: "x") }
        #expect(throws: ValidationError.self) { try FieldParser.parse("2026-12-04", for: field(.datetime), form: "x") }
        for zone in ["+1::00", "+1:000", "+01:0", "+0100", "+15:00"] {
            #expect(throws: ValidationError.self, "\(zone)") { try FieldParser.parse("2026-12-04T14:30\(zone)", for: field(.datetime), form: "x") }
        }
    }

    @Test func anAcknowledgementIsOKAndANoteTakesNoAnswer() throws {
        #expect(try FieldParser.parse("oui", for: field(.acknowledge), form: "x") == .string("OK"))
        #expect(throws: ValidationError.self) { try FieldParser.parse("peut-être", for: field(.acknowledge), form: "x") }
        do {
            _ = try FieldParser.parse("hello", for: field(.note), form: "x")
            Issue.record("a note took an answer")
        } catch {
            #expect(error.message(.en).contains("is a note: it takes no answer"))
        }
        let form = Form(name: "x", version: 1, title: LocalizedText(["en": "x"]), fields: [field(.note, "n")])
        #expect(Validator(form: form).problems(["n": .string("x")]).first?.field == "n")
    }

    @Test func theFunctionsRealFormsUse() throws {
        let values: [String: Value] = ["themes": .list(["water", "land"]), "big": .decimal(1e300), "huge": .integer(.max)]
        var ctx = ExpressionContext(current: nil, today: "2026-12-04") { values[$0] }
        ctx.now = "2026-12-04T10:00:00Z"
        func eval(_ s: String) throws -> String { try Expression(s).evaluate(ctx).asString }
        #expect(try eval("selected-at(${themes}, 1)") == "land")
        #expect(try eval("selected-at(${themes}, 5)") == "")
        #expect(try eval("selected-at(${themes}, ${big})") == "" && eval("selected-at(${themes}, ${huge})") == "")
        #expect(try eval("now()") == "2026-12-04T10:00:00Z")
        #expect(try eval("date(0)") == "1970-01-01" && eval("date(20426)") == "2025-12-04")
        #expect(try eval("date('2026-12-04T10:00:00Z')") == "2026-12-04")
        #expect(try eval("decimal-date-time('1970-01-02T12:00:00Z')") == "1.5")
        #expect(try eval("decimal-date-time('1970-01-02T13:00:00+01:00')") == "1.5")
        #expect(try eval("decimal-date-time(today()) - decimal-date-time('2026-12-01')") == "3")
        let form = Form(
            name: "x", version: 1, title: LocalizedText(["en": "x"]),
            fields: [
                Field(
                    name: "region", type: .selectOne, label: LocalizedText(["en": "r"]),
                    choices: [Choice(name: "tombouctou", label: LocalizedText(["fr": "Tombouctou", "en": "Timbuktu"]))])
            ])
        let labelled = Calculation.context(form: form, labels: .en) { $0 == "region" ? .string("tombouctou") : nil }
        #expect(try Expression("jr:choice-name(${region}, '${region}')").evaluate(labelled).asString == "Timbuktu")
        #expect(throws: ExpressionError.self) { try Expression("region = ${x}") }  // a bare name only in a choice_filter
        #expect(try Expression("region = ${x}", choiceColumns: true).attributeReferences == ["region"])
    }

    static let yaml = """
        form: visit
        version: 1
        title: {fr: Visite, en: Visit}
        default_language: fr
        fields:
          - {name: started, type: start, label: started}
          - {name: ended, type: end, label: ended}
          - {name: day, type: today, label: day}
          - {name: device, type: deviceid, label: device}
          - {name: region, type: select_one, choices: regions, label: {fr: Région, bm: Mara}, required: true}
          - {name: cercle, type: select_one, choices: cercles, label: Cercle, choice_filter: "region = ${region}"}
          - {name: size, type: integer, label: {fr: Taille, en: Size}, required: true, required_message: {fr: Combien de personnes ?}}
          - {name: big, type: calculate, label: big, calculation: "if(${size} >= 8, 'oui', 'non')", relevant: "${size} > 0"}
          - {name: where, type: calculate, label: where, calculation: "concat(jr:choice-name(${cercle}, '${cercle}'), ' / ', ${region})"}
        choices:
          regions:
            - {name: gao, label: Gao}
            - {name: tombouctou, label: {fr: Tombouctou, en: Timbuktu}}
          cercles:
            - {name: ansongo, label: Ansongo, region: gao}
            - {name: goundam, label: Goundam, region: tombouctou}
            - {name: gao, label: Gao, region: gao}
        """

    func visit() throws -> Form {
        let (form, problems) = FormLoader.load(text: Self.yaml, file: "visit.yaml")
        #expect(problems.isEmpty, "\(problems)")
        return try #require(form)
    }

    @Test func cascadingSelectsOfferAndAcceptOnlyTheChoicesTheirFilterKeeps() throws {
        let form = try visit()
        let cercle = try #require(form.field("cercle"))
        let ctx = ExpressionContext(current: nil) { $0 == "region" ? .string("gao") : nil }
        #expect(cercle.choices(given: ctx).map(\.name) == ["ansongo", "gao"])
        let problems = Validator(form: form).problems(["region": .string("gao"), "cercle": .string("goundam"), "size": .integer(3)])
        #expect(problems.map(\.field) == ["cercle"] && problems.first?.rule == .notAChoice(["ansongo", "gao"]), "\(problems)")
    }

    @Test func calculationsAndMetadataAreFilledInAndEndMovesWhenSavedAgain() throws {
        let form = try visit()
        var values: [String: Value] = ["region": .string("gao"), "cercle": .string("ansongo"), "size": .integer(9)]
        let first = Calculation.Moment(started: "2026-12-04T08:00:00Z", now: "2026-12-04T08:05:00Z", today: "2026-12-04", device: "bara")
        Calculation.fill(&values, form: form, at: first)
        #expect(values["started"] == .string("2026-12-04T08:00:00Z") && values["ended"] == .string("2026-12-04T08:05:00Z"))
        #expect(values["day"] == .string("2026-12-04") && values["device"] == .string("bara"))
        #expect(values["big"] == .string("oui") && values["where"] == .string("Ansongo / gao"))
        #expect(Validator(form: form).problems(values).isEmpty)
        values["size"] = .integer(0)
        let later = Calculation.Moment(started: "2026-12-05T09:00:00Z", now: "2026-12-05T09:01:00Z", today: "2026-12-05", device: "other")
        Calculation.fill(&values, form: form, at: later, occasion: .edit)
        #expect(values["started"] == .string("2026-12-04T08:00:00Z") && values["device"] == .string("bara"), "written once")
        #expect(values["ended"] == .string("2026-12-05T09:01:00Z"), "end is when the record was last saved")
        #expect(values["big"] == nil, "a calculation whose field does not apply is empty")
    }

    @Test func aRequiredMessageIsTheFormsOwnWords() throws {
        let form = try visit()
        let problem = try #require(Validator(form: form).problems(["region": .string("gao")]).first { $0.field == "size" })
        #expect(problem.message(.fr) == "visit.size est obligatoire : Combien de personnes ?")
    }

    @Test func labelsInAnyLanguageFallBackToTheFormsDefaultLanguage() throws {
        let form = try visit()
        let region = try #require(form.field("region"))
        #expect(region.label.text(LabelLanguage(.en, code: "bm", fallback: form.defaultLanguage)) == "Mara")
        let size = try #require(form.field("size"))
        #expect(size.label.text(LabelLanguage(.en, code: "bm", fallback: form.defaultLanguage)) == "Taille", "the form's default, not en")
        #expect(size.label.text(LabelLanguage(.en, code: "bm")) == "Size", "without a default language: the CLI's")
        #expect(region.choice("tombouctou")?.label.text(LabelLanguage(.en, code: "ses", fallback: "fr")) == "Tombouctou")
    }

    @Test func formMistakesAreNamed() throws {
        let bad = """
            form: bad
            version: 1
            fields:
              - {name: c, type: calculate, label: c}
              - {name: t, type: text, label: t, calculation: "1 + 1"}
              - {name: s, type: select_one, choices: l, label: s, choice_filter: "state = ${t}"}
              - {name: when, type: start, label: when, required: true}
            choices:
              l: [{name: a, label: A, region: x}]
            """
        let (_, problems) = FormLoader.load(text: bad, file: "bad.yaml")
        let text = problems.map(\.description).joined(separator: "\n")
        #expect(text.contains("field 'c': a calculate field needs 'calculation: EXPRESSION'"), "\(text)")
        #expect(text.contains("field 't': 'calculation' is only for calculate fields"), "\(text)")
        #expect(text.contains("field 's': choice_filter 'state = ${t}' reads column 'state'"), "\(text)")
        #expect(text.contains("field 'when': a start field is never answered"), "\(text)")
        let loop = """
            form: loop
            version: 1
            fields:
              - {name: n, type: integer, label: n}
              - {name: a, type: calculate, label: a, calculation: "${b} + 1"}
              - {name: b, type: calculate, label: b, calculation: "${a} + ${n}"}
              - {name: c, type: calculate, label: c, calculation: "coalesce(${c}, 0) + 1"}
            """
        let loops = FormLoader.load(text: loop, file: "loop.yaml").1.map(\.description)
        #expect(loops.contains { $0.contains("field 'a': calculation depends on itself: ${a} → ${b} → ${a}") }, "\(loops)")
    }

    /// Calculations that read each other down the form are right on the first save and after an edit.
    @Test func chainedCalculationsSettleInOneSave() throws {
        let chain = """
            form: chain
            version: 1
            fields:
              - {name: a, type: calculate, label: a, calculation: "${b} + 1"}
              - {name: b, type: calculate, label: b, calculation: "${c} + 1"}
              - {name: c, type: calculate, label: c, calculation: "${n}"}
              - {name: n, type: integer, label: n}
            """
        let form = try #require(FormLoader.load(text: chain, file: "chain.yaml").0)
        var values: [String: Value] = ["n": .integer(3)]
        Calculation.fill(&values, form: form, at: Calculation.Moment(device: "d"))
        #expect(values["a"] == .string("5"))
        values["n"] = .integer(5)
        Calculation.fill(&values, form: form, at: Calculation.Moment(device: "d"), occasion: .edit)
        #expect(values["a"] == .string("7"))
    }

    /// In a store: a capture fills the metadata in, an edit moves only `end` and the calculations and refuses to set or
    /// clear a computed field; an import computes the calculations a file lacks and is recognised when imported again.
    @Test func theStoreFillsComputedFieldsAsTheyAreMeantToBe() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("calc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let clock = Clock()
        let store = try FieldStore(path: dir.appendingPathComponent("s.sqlite").path, now: { clock.now })
        try store.setIdentity(device: "bara-laptop", project: "p", language: nil)
        let form = try visit()
        let catalog = FormCatalog(forms: [form])
        let id = try store.create(form: form, values: ["region": .string("gao"), "size": .integer(9)], started: "2026-12-04T08:00:00Z")
        let first = try #require(try store.record(id)).values
        #expect(first["started"] == .string("2026-12-04T08:00:00Z") && first["device"] == .string("bara-laptop"))
        #expect(first["big"] == .string("oui") && first["ended"] != nil)
        clock.now += 3600
        #expect(try store.edit(id: id, set: ["size": .integer(2)], catalog: catalog))
        let edited = try #require(try store.record(id)).values
        #expect(edited["started"] == first["started"] && edited["day"] == first["day"] && edited["device"] == first["device"])
        #expect(edited["big"] == .string("non") && edited["ended"] != first["ended"], "\(edited)")
        for attempt in [
            { try store.edit(id: id, set: ["started": .string("2020-01-01T00:00:00Z")], catalog: catalog) },
            { try store.edit(id: id, set: [:], unset: ["day"], catalog: catalog) },
        ] {
            do {
                _ = try attempt()
                Issue.record("a computed field was changed by hand")
            } catch {
                let message = (error as? StoreError)?.message(.en) ?? "\(error)"
                #expect(message.contains("is computed by the form"), "\(message)")
            }
        }
        #expect(try store.record(id)?.values == edited, "nothing written by a refused edit")

        let file = dir.appendingPathComponent("visits.jsonl").path
        try #"{"form": "visit", "values": {"region": "gao", "size": 8}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let items = try ImportReader.read(path: file, form: nil)
        #expect(try store.importItems(items, catalog: catalog, file: file).total == 1)
        let imported = try #require(try store.records(form: "visit").first { $0.id != id }).values
        #expect(imported["big"] == .string("oui") && imported["started"] == nil && imported["device"] == nil, "\(imported)")
        #expect(try store.importItems(items, catalog: catalog, file: file).unchanged == 1, "recognised the second time")
    }
}

/// A clock a test moves.
final class Clock: @unchecked Sendable {
    var now = Date()
}
