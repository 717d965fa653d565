import PalabreCore
import PalabreStore
import Testing

/// Which fields feed which indicator is declared in the forms: a programme with its own forms (other names, fields and
/// codes) gets its indicators; a declaration with a mistake is refused naming the key, the value and the rule; forms
/// published before declarations existed are read as the shipped ones declare.
@Suite struct IndicatorDeclarationTests {
    static let meeting = """
        form: meeting
        version: 1
        title: {fr: "Réunion", en: "Meeting"}
        indicators: {part: sessions, region: zone, date: held_on}
        fields:
          - {name: zone, type: select_one, choices: zones, label: {fr: "Zone", en: "Zone"}}
          - {name: held_on, type: date, label: {fr: "Date", en: "Date"}}
        choices:
          zones:
            - {name: "north", label: {fr: "Nord", en: "North"}}
            - {name: "south", label: {fr: "Sud", en: "South"}}
        """
    static let attendee = """
        form: attendee
        version: 1
        title: {fr: "Présent", en: "Attendee"}
        indicators: {part: participants, session: meeting, sex: gender, women: ["f"], men: ["m"], age_band: age, youth: ["young"]}
        fields:
          - {name: meeting, type: reference, form: meeting, label: {fr: "Réunion", en: "Meeting"}}
          - {name: gender, type: select_one, choices: genders, label: {fr: "Genre", en: "Gender"}}
          - {name: age, type: select_one, choices: ages, label: {fr: "Âge", en: "Age"}}
        choices:
          genders: [{name: "f", label: {fr: "F", en: "F"}}, {name: "m", label: {fr: "H", en: "M"}}]
          ages: [{name: "young", label: {fr: "Jeune", en: "Young"}}, {name: "adult", label: {fr: "Adulte", en: "Adult"}}]
        """

    static func catalog(_ texts: [(String, String)]) -> FormCatalog {
        var forms: [Form] = []
        var problems: [FormProblem] = []
        for (file, text) in texts {
            let (form, found) = FormLoader.load(text: text, file: file)
            problems += found
            if let form { forms.append(form) }
        }
        return FormCatalog(forms: forms, problems: problems)
    }

    @Test func aProgrammesOwnFormsFeedTheIndicators() throws {
        let catalog = Self.catalog([("meeting.yaml", Self.meeting), ("attendee.yaml", Self.attendee)])
        #expect(catalog.problems.isEmpty, "\(catalog.problems)")
        let records: [(form: String, id: String, values: [String: Value])] = [
            ("meeting", "m1", ["zone": .string("north"), "held_on": .string("2026-11-02")]),
            ("meeting", "m2", ["zone": .string("south"), "held_on": .string("2026-12-01")]),
            ("attendee", "a1", ["meeting": .string("m1"), "gender": .string("f"), "age": .string("young")]),
            ("attendee", "a2", ["meeting": .string("m1"), "gender": .string("m"), "age": .string("adult")]),
            ("attendee", "a3", ["meeting": .string("m2"), "gender": .string("f"), "age": .string("adult")]),
            // A form that plays no part is not counted, whatever its fields are called.
            ("session", "s1", ["region": .string("gao"), "date": .string("2026-11-02")]),
        ]
        let all = Indicators(records: records, map: IndicatorMap.declared(by: catalog), today: "2026-12-03")
        #expect(all.sessions == 2 && all.sessionsByRegion == ["north": 1, "south": 1])
        #expect(all.participants == 3 && all.women == 2 && all.men == 1 && all.youth == 1)
        #expect(all.byAgeBand == ["young": 1, "adult": 2])
        let north = Indicators(records: records, map: IndicatorMap.declared(by: catalog), filter: .init(region: "north"), today: "2026-12-03")
        #expect(north.sessions == 1 && north.participants == 2 && north.women == 1)
    }

    @Test func theShippedFormsDeclareEveryPart() {
        let map = IndicatorMap.declared(by: FormLoader.builtIn())
        #expect(map.form(.sessions) == "session" && map.form(.participants) == "participant")
        #expect(map.form(.initiatives) == "initiative" && map.form(.followups) == "followup")
        #expect(map.codes(.participants, "youth") == ["under_18", "18_24"], "quoted codes stay text")
        #expect(map.codes(.initiatives, "closed") == ["completed", "abandoned"])
    }

    @Test func formsPublishedBeforeDeclarationsAreReadAsTheShippedOnesDeclare() throws {
        let stripped = FormLoader.builtInSources.map { source -> (String, String) in
            let lines = source.source.split(separator: "\n", omittingEmptySubsequences: false)
            var out: [Substring] = []
            var skipping = false
            for line in lines {
                if line == "indicators:" { skipping = true; continue }
                if skipping && line.hasPrefix("  ") { continue }
                skipping = false
                out.append(line)
            }
            return (source.name + ".yaml", out.joined(separator: "\n"))
        }
        let old = Self.catalog(stripped)
        #expect(old.problems.isEmpty && IndicatorMap(catalog: old).forms.isEmpty, "no declaration left")
        #expect(IndicatorMap.declared(by: old) == IndicatorMap.declared(by: FormLoader.builtIn()))
        // A project seeded before declarations publishes one form with a declaration: the others still count.
        let shipped = FormLoader.builtInSources.first { $0.name == "participant" }!
        let mixed = Self.catalog(stripped.filter { $0.0 != "participant.yaml" } + [("participant.yaml", shipped.source)])
        #expect(IndicatorMap.declared(by: mixed) == IndicatorMap.declared(by: FormLoader.builtIn()), "part by part")
    }

    @Test(arguments: [
        ("indicators: {part: meetings}", "'part' must be one of sessions, participants, initiatives, followups, not 'meetings'"),
        ("indicators: {part: sessions, region: place}", "'region' names 'place', which is not a field of this form"),
        ("indicators: {part: sessions, date: zone}", "'date' needs a field of type date; 'zone' is select_one"),
        ("indicators: {part: sessions, colour: zone}", "unknown key 'colour' for part sessions"),
    ])
    func aMistakeInADeclarationIsNamed(_ declaration: String, _ says: String) {
        let text = Self.meeting.replacingOccurrences(of: "indicators: {part: sessions, region: zone, date: held_on}", with: declaration)
        let problems = FormLoader.load(text: text, file: "meeting.yaml").1
        #expect(problems.contains { $0.description.contains(says) }, "\(problems)")
    }

    @Test func codesMustBeChoicesAndAPartHasOneForm() {
        let wrongCode = Self.attendee.replacingOccurrences(of: "women: [\"f\"]", with: "women: [\"female\"]")
        #expect(
            FormLoader.load(text: wrongCode, file: "attendee.yaml").1.contains {
                $0.description.contains("'women' counts 'female', which is not a choice of 'gender'")
            })
        let second = Self.meeting.replacingOccurrences(of: "form: meeting", with: "form: gathering")
        let both = Self.catalog([("meeting.yaml", Self.meeting), ("gathering.yaml", second), ("attendee.yaml", Self.attendee)])
        #expect(both.problems.contains { $0.description.contains("forms 'gathering' and 'meeting' both declare part sessions") }, "\(both.problems)")
    }
}
