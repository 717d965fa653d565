import Foundation
import Testing

/// Bad input is refused with the documented exit code, a message naming the field, the value and the rule,
/// and nothing written to the store.
@Suite("Refused input")
struct RefusedInputTests {
    /// A store holding samples/demo.jsonl, and ids from it.
    struct Seeded {
        let box: Sandbox
        let session: String
        let initiative: String

        init() throws {
            box = try Sandbox()
            try box.importDemo()
            let demo = try E2E.idsInDemo()
            session = try #require(demo.first { $0.form == "session" }?.id)
            initiative = try #require(demo.first { $0.form == "initiative" }?.id)
        }
    }

    /// Runs `args` on a seeded store and checks the exit code, that stderr holds every fragment, and that the
    /// store's content is the same afterwards.
    func expectRefused(
        _ args: (Seeded) -> [String], code: Int32, stderr fragments: [String], lang: String = "en",
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let seeded = try Seeded()
        defer { seeded.box.remove() }
        let before = try seeded.box.dump()
        let r = try seeded.box.palabre(args(seeded), lang: lang)
        #expect(r.status == code, "\(r)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "a refused command prints no id or result: \(r)", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(r.stderr.contains(f), "stderr should contain \"\(f)\": \(r)", sourceLocation: sourceLocation)
        }
        #expect(try seeded.box.dump() == before, "the store changed", sourceLocation: sourceLocation)
    }

    /// A complete valid participant of `session`, before the field under test is spoiled.
    static func participant(_ session: String, _ overrides: [String: String] = [:]) -> [String] {
        var v = ["session": session, "consent": "yes", "name": "Awa Maïga", "sex": "female", "age_band": "18_24", "role": "youth"]
        for (k, x) in overrides { v[k] = x }
        return ["add", "participant"] + v.keys.sorted().flatMap { ["--set", "\($0)=\(v[$0]!)"] }
    }

    /// `--set location="16,27 -0,04"` (French decimal commas) is the position 16.27, -0.04, never [16, 27]; a comma
    /// that could be either is refused with how to write it, and nothing is written.
    @Test func aPositionWithDecimalCommasIsReadRightOrRefused() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let base = ["title": "Séance", "date": "2026-09-08", "region": "gao", "locality": "Bara", "format": "youth"]
        var withCommas = base
        withCommas["location"] = "16,27 -0,04"
        let id = try box.add("session", withCommas)
        let values = try box.show(id)["values"] as? [String: Any]
        #expect(values?["location"] as? [Double] == [16.27, -0.04])
        let before = try box.dump()
        let ambiguous = try box.palabre(["add", "session"] + (base.merging(["location": "16,27"]) { $1 }).flatMap { ["--set", "\($0)=\($1)"] })
        #expect(ambiguous.status == 65, "\(ambiguous)")
        #expect(ambiguous.stderr.contains("session.location: '16,27'") && ambiguous.stderr.contains("16.27 -0.04 or 16,27 -0,04"), "\(ambiguous)")
        let far = try box.palabre(["add", "session"] + (base.merging(["location": "999 999"]) { $1 }).flatMap { ["--set", "\($0)=\($1)"] })
        #expect(far.status == 65 && far.stderr.contains("between -90 and 90"), "\(far)")
        #expect(try box.dump() == before)
    }

    @Test func unknownFormExits65AndListsTheForms() throws {
        try expectRefused(
            { _ in ["add", "meeting", "--set", "title=x"] }, code: 65,
            stderr: ["meeting is not a form", "followup, initiative, participant, session"])
    }

    @Test func unknownFieldExits65AndListsTheFields() throws {
        try expectRefused(
            { s in Self.participant(s.session, ["village": "Bara"]) }, code: 65,
            stderr: ["participant.village: 'Bara' is not a field of this form", "age_band"])
    }

    @Test func wrongTypeForAnIntegerExits65() throws {
        try expectRefused(
            { _ in ["add", "initiative", "--set", "title=Puits", "--set", "type=well", "--set", "priority=abc"] },
            code: 65, stderr: ["initiative.priority: 'abc' is not a whole number"])
    }

    @Test func impossibleDateExits65() throws {
        try expectRefused(
            { _ in ["add", "followup", "--set", "initiative=x", "--set", "date=2026-02-30", "--set", "status=funded"] },
            code: 65, stderr: ["followup.date: '2026-02-30' does not exist: February 2026 has 28 days (no 30)"])
    }

    @Test func choiceThatDoesNotExistExits65AndListsTheChoices() throws {
        try expectRefused(
            { s in Self.participant(s.session, ["age_band": "99"]) }, code: 65,
            stderr: ["participant.age_band: '99' is not one of under_18, 18_24, 25_35, 36_59, 60_plus"])
    }

    @Test func oneBadChoiceAmongSeveralExits65() throws {
        try expectRefused(
            { _ in
                [
                    "add", "session", "--set", "title=T", "--set", "date=2026-09-08", "--set", "region=gao",
                    "--set", "locality=Bara", "--set", "format=women", "--set", "themes=water weather",
                ]
            },
            code: 65, stderr: ["session.themes: 'weather' is not one of land, water"])
    }

    @Test func failedConstraintExits65WithTheRuleAndItsMessage() throws {
        try expectRefused(
            { _ in ["add", "initiative", "--set", "title=Puits", "--set", "type=well", "--set", "priority=9"] },
            code: 65,
            stderr: [
                "initiative.priority: '9' breaks the rule '. >= 1 and . <= 5'",
                "Priority must be between 1 and 5.",
            ])
    }

    @Test func missingRequiredFieldExits65() throws {
        try expectRefused(
            { _ in
                [
                    "add", "session", "--set", "title=T", "--set", "date=2026-09-08", "--set", "region=gao",
                    "--set", "format=women",
                ]
            },
            code: 65, stderr: ["session.locality is required"])
    }

    @Test func conditionallyRequiredFieldExits65WhenItsConditionHolds() throws {
        try expectRefused({ s in Self.participant(s.session, ["name": ""]) }, code: 65, stderr: ["participant.name is required"])
    }

    @Test func referenceToARecordThatDoesNotExistExits65() throws {
        let missing = "01a0805a-59c0-73c6-869a-000000000000"
        try expectRefused(
            { s in Self.participant(missing) }, code: 65,
            stderr: ["participant.session: '\(missing)' is not the id of any 'session' record in this store"])
    }

    @Test func referenceToARecordOfTheWrongFormExits65() throws {
        let demo = try E2E.idsInDemo()
        let initiative = try #require(demo.first { $0.form == "initiative" }?.id)
        try expectRefused(
            { s in Self.participant(s.initiative) }, code: 65,
            stderr: ["participant.session: '\(initiative)' is a 'initiative' record, not a 'session'"])
    }

    @Test func referenceToADeletedRecordExits65() throws {
        let seeded = try Seeded()
        defer { seeded.box.remove() }
        let session = try seeded.box.addSession(title: "Séance annulée")
        try #require(try seeded.box.palabre("delete", session).status == 0)
        let before = try seeded.box.dump()
        let r = try seeded.box.palabre(Self.participant(session))
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("participant.session: '\(session)' is a deleted record"), "\(r)")
        #expect(try seeded.box.dump() == before)
    }

    @Test func referenceThatIsNotAnIdExits65() throws {
        try expectRefused(
            { _ in Self.participant("not-an-id") }, code: 65,
            stderr: ["participant.session: 'not-an-id' is not the id of a record"])
    }

    @Test func valueForAFieldThatDoesNotApplyExits65() throws {
        try expectRefused(
            { s in Self.participant(s.session, ["consent": "no", "name": "Awa Maïga"]) }, code: 65,
            stderr: ["participant.name: 'Awa Maïga' does not apply here (relevant only when ${consent} = 'yes')"])
    }

    @Test func editThatBreaksARuleExits65() throws {
        try expectRefused(
            { s in ["edit", s.initiative, "--set", "priority=0"] }, code: 65,
            stderr: ["initiative.priority: '0' breaks the rule"])
    }

    @Test func setWithoutEqualsSignIsAUsageError64() throws {
        try expectRefused({ _ in ["add", "session", "--set", "title"] }, code: 64, stderr: ["--set 'title': write field=value"])
    }

    @Test func addWithoutValuesOutsideATerminalIsAUsageError64() throws {
        try expectRefused({ _ in ["add", "session"] }, code: 64, stderr: ["give values with --set field=value"])
    }

    @Test(arguments: ["show", "edit", "delete", "restore"])
    func unknownIdExits66(command: String) throws {
        let unknown = "01a0805a-59c0-73c6-869a-000000000000"
        try expectRefused(
            { _ in [command, unknown] + (command == "edit" ? ["--set", "title=x"] : []) }, code: 66,
            stderr: ["no record has the id '\(unknown)'"])
    }

    @Test func importOfAMissingFileExits66() throws {
        try expectRefused({ s in ["import", s.box.path("absent.jsonl")] }, code: 66, stderr: ["no such file"])
    }

    @Test func storeThatIsATextFileExits74AndIsLeftAlone() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let text = "these are my notes, not a database\n"
        let notes = try box.write("notes.txt", text)
        let r = try box.palabre(["list", "--json"], store: notes)
        #expect(r.stderr.contains("notes.txt cannot be used: it is not a SQLite database"), "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(r.status == 74, "\(r)")
        #expect(r.stderr.hasPrefix("palabre: "), "\(r)")
        #expect(r.status != 0, "\(r)")
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == text, "the file must not be touched")
        #expect(!FileManager.default.fileExists(atPath: notes + "-wal") && !FileManager.default.fileExists(atPath: notes + "-shm"))
    }

    @Test func storeThatIsAnotherProgramsDatabaseExits74AndIsLeftAlone() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let other = box.path("other.sqlite")
        let made = try E2E.run(try E2E.tool("sqlite3"), [other, "CREATE TABLE notes(t TEXT); INSERT INTO notes VALUES ('hello')"], in: box.dir)
        try #require(made.status == 0, "\(made)")
        let before = try E2E.run(try E2E.tool("sqlite3"), [other, ".dump"], in: box.dir).stdout
        let r = try box.palabre(["add", "session", "--set", "title=x"], store: other)
        #expect(r.stderr.contains("it is a SQLite database of another program"), "\(r)")
        #expect(r.status == 74, "\(r)")
        #expect(r.status != 0, "\(r)")
        #expect(try E2E.run(try E2E.tool("sqlite3"), [other, ".dump"], in: box.dir).stdout == before)
        let mode = try E2E.run(try E2E.tool("sqlite3"), [other, "PRAGMA journal_mode"], in: box.dir).stdout
        #expect(mode.trimmingCharacters(in: .whitespacesAndNewlines) == "delete", "the foreign file was switched to another journal mode")
        #expect(!FileManager.default.fileExists(atPath: other + "-wal"))
    }
}
