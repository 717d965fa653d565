import Foundation
import Testing

/// `palabre forms list|show|check` on the shipped forms and on a copy with planted mistakes.
@Suite("Forms commands")
struct FormsCommandTests {
    @Test func checkPassesOnTheShippedForms() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre("forms", "check")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("4 forms OK"), "\(r)")
        #expect(r.stdout.contains("followup, initiative, participant, session"), "\(r)")
    }

    /// The binary copied alone to a folder outside the checkout, with no forms folder anywhere: it captures with the
    /// forms built into it, and says so.
    @Test func aCopiedBinaryAloneCapturesWithItsBuiltInForms() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let copy = box.path("palabre")
        try FileManager.default.copyItem(atPath: box.binary, toPath: copy)
        let store = ["--store", box.store, "--lang", "en"]
        #expect(try E2E.run(copy, ["init", "--project", "p", "--device", "d"] + store, in: box.dir).status == 0)
        let check = try E2E.run(copy, ["forms", "check"] + store, in: box.dir)
        #expect(check.status == 0 && check.stdout.contains("4 forms OK in the forms built into palabre"), "\(check)")
        let show = try E2E.run(copy, ["forms", "show", "session"] + store, in: box.dir)
        #expect(show.stdout.contains("(built-in/session.yaml)"), "\(show)")
        let add = try E2E.run(
            copy,
            [
                "add", "session", "--set", "title=Vestibule", "--set", "date=2026-11-02", "--set", "region=gao", "--set", "locality=Bara",
                "--set", "format=youth",
            ] + store, in: box.dir)
        #expect(add.status == 0 && E2E.isRecordID(add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(add)")
    }

    @Test func listNamesEveryFormWithItsFieldCount() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre("forms", "list")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5 && lines.last?.hasPrefix("(forms: ") == true, "four forms and where they come from: \(r)")
        #expect(lines.contains { $0.hasPrefix("participant") && $0.contains("9 fields") && $0.contains("Participant") }, "\(r)")
        #expect(lines.contains { $0.hasPrefix("session") && $0.contains("21 fields") && $0.contains("Dialogue session") }, "\(r)")
    }

    @Test func showPrintsFieldsRulesAndChoices() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre("forms", "show", "participant")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("name [text] * if ${consent} = 'yes'"), "\(r)")
        #expect(r.stdout.contains("session [reference → session] *"), "\(r)")
        #expect(r.stdout.contains("relevant: ${role} = 'other'"), "\(r)")
        #expect(r.stdout.contains("18_24 (18 to 24)"), "\(r)")
    }

    @Test func showOfAnUnknownFormExits65() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre("forms", "show", "meeting")
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("meeting is not a form"), "\(r)")
    }

    /// A copy of forms/ with one mistake planted in each file.
    func plantedForms(_ box: Sandbox) throws -> String {
        let fm = FileManager.default
        let dir = box.path("forms")
        try fm.copyItem(atPath: E2E.formsDir, toPath: dir)
        func plant(_ file: String, _ original: String, _ replacement: String) throws {
            let path = "\(dir)/\(file)"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try #require(text.contains(original), "\(file) no longer contains \(original): update this test")
            try Data(text.replacingOccurrences(of: original, with: replacement).utf8).write(to: URL(fileURLWithPath: path))
        }
        // Unknown type.
        try plant("session.yaml", "    type: geopoint", "    type: gps_point")
        // Expression that does not parse.
        try plant("followup.yaml", #"constraint: ". >= 0 and . <= 100""#, #"constraint: ". >= 0 and and . <= 100""#)
        // Expression naming a field the form does not have.
        try plant("participant.yaml", #"relevant: "${role} = 'other'""#, #"relevant: "${rolle} = 'other'""#)
        // Choice list that does not exist.
        try plant("initiative.yaml", "    choices: initiative_types", "    choices: initiative_kinds")
        return dir
    }

    @Test func checkExits65AndNamesEachFileAndFieldWithAMistake() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let forms = try plantedForms(box)
        let r = try box.palabre(["forms", "check"], forms: forms)
        #expect(r.status == 65, "\(r)")
        let all = r.stdout + r.stderr
        #expect(all.contains("session.yaml: field 'location': unknown type 'gps_point'"), "\(r)")
        #expect(all.contains("followup.yaml: field 'progress': constraint:"), "\(r)")
        #expect(all.contains("participant.yaml: field 'role_other': relevant"), "\(r)")
        #expect(all.contains("refers to ${rolle}, which is not a field of this form"), "\(r)")
        #expect(all.contains("initiative.yaml: field 'type': choice list 'initiative_kinds' does not exist"), "\(r)")
        #expect(r.stderr.contains("mistake(s) in"), "\(r)")
    }

    @Test func checkFindsAReferenceToAFormThatDoesNotExist() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let dir = box.path("forms")
        try FileManager.default.copyItem(atPath: E2E.formsDir, toPath: dir)
        try FileManager.default.removeItem(atPath: "\(dir)/session.yaml")
        let r = try box.palabre(["forms", "check"], forms: dir)
        #expect(r.status == 65, "\(r)")
        #expect(r.stdout.contains("participant.yaml: field 'session': refers to form 'session', which does not exist"), "\(r)")
    }

    @Test func commandsRefuseToWorkWithFormsThatHaveMistakes() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let forms = try plantedForms(box)
        let r = try box.palabre(["add", "initiative", "--set", "title=Puits", "--set", "type=well"], forms: forms)
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("have mistakes (see 'palabre forms check')"), "\(r)")
        #expect(try box.list().isEmpty, "nothing was written")
    }
}
