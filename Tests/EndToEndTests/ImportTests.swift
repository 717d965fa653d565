import Foundation
import Testing

/// `palabre import`: JSON Lines and CSV, all or nothing, idempotent.
@Suite("Import")
struct ImportTests {
    /// A store that exists (named by `init`) and holds nothing, so a refused import can be compared with it.
    func emptyStore() throws -> Sandbox {
        let box = try Sandbox()
        let r = try box.palabre("init", "--device", "test-laptop", "--project", "e2e")
        guard r.status == 0 else { throw HarnessError("init failed: \(r)") }
        return box
    }

    @Test func demoFileImports312Records() throws {
        let box = try emptyStore()
        defer { box.remove() }
        let r = try box.palabre("import", E2E.demoFile)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("imported 312 record(s) (30 followup, 20 initiative, 250 participant, 12 session)"), "\(r)")
        #expect(try box.list("session").count == 12)
        #expect(try box.list("participant").count == 250)
        #expect(try box.list("initiative").count == 20)
        #expect(try box.list("followup").count == 30)
    }

    @Test func demoRecordsKeepTheirIdsAndValues() throws {
        let box = try emptyStore()
        defer { box.remove() }
        try box.importDemo()
        let first = try #require(try E2E.idsInDemo().first)
        let record = try box.show(first.id)
        #expect(record["form"] as? String == first.form)
        #expect(values(record)["title"] as? String == "Vestibule de la paix intergénérationnel à Bara")
        #expect(values(record)["location"] as? [Double] == [15.93, 0.39])
        #expect(values(record)["themes"] as? [String] == ["water", "pasture", "social_cohesion", "youth"])
    }

    @Test func importingTheSameFileAgainImportsNothingAndSaysAlreadyPresent() throws {
        let box = try emptyStore()
        defer { box.remove() }
        try box.importDemo()
        let before = try box.dump()
        let r = try box.palabre("import", E2E.demoFile)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("imported 0 record(s), 312 already present"), "\(r)")
        #expect(try box.dump() == before)
        #expect(try box.list().count == 312)
    }

    /// A CSV without ids, imported twice, then again with one more line: each line is imported once (content keys), and
    /// two identical lines (two anonymous participants alike) stay two records.
    @Test func anIdlessCSVImportedAgainImportsOnlyItsNewLines() throws {
        let box = try emptyStore()
        defer { box.remove() }
        let session = try box.addSession()
        let header = "session,consent,sex,age_band,role\n"
        let alike = "\(session),no,female,18_24,youth\n"
        let lines = alike + alike + "\(session),no,male,25_35,elder\n"
        let file = try box.write("p.csv", header + lines)
        let first = try box.palabre("import", file, "--form", "participant")
        #expect(first.status == 0 && first.stdout.contains("imported 3 record(s)"), "\(first)")
        let before = try box.dump()
        let again = try box.palabre("import", file, "--form", "participant")
        #expect(again.status == 0 && again.stdout.contains("imported 0 record(s), 3 already present"), "\(again)")
        #expect(try box.dump() == before, "a second import changed the store")
        let longer = try box.write("p2.csv", header + lines + alike)
        let third = try box.palabre("import", longer, "--form", "participant")
        #expect(third.status == 0 && third.stdout.contains("imported 1 record(s) (1 participant), 3 already present"), "\(third)")
        #expect(try box.list("participant").count == 4)
        #expect(third.stderr.contains("3 line(s) without an id match lines imported before") && third.stderr.contains("--again"), "\(third)")
        // --again: the same lines as new records (two more alike participants of the same session, say).
        let forced = try box.palabre("import", file, "--form", "participant", "--again")
        #expect(forced.status == 0 && forced.stdout.contains("imported 3 record(s)"), "\(forced)")
        #expect(try box.list("participant").count == 7)
        // The keys are local to the store: nothing of them is in a change that leaves it.
        let exported = try box.palabre("export", "--format", "jsonl", "--out", box.path("e.jsonl"))
        #expect(exported.status == 0)
        #expect(!(try String(contentsOfFile: box.path("e.jsonl"), encoding: .utf8)).contains("import"))
    }

    @Test func jsonLinesWithOneBadLineImportsNothingAndNamesTheLine() throws {
        let box = try emptyStore()
        defer { box.remove() }
        let demo = try String(contentsOfFile: E2E.demoFile, encoding: .utf8).split(separator: "\n").map(String.init)
        // Sessions first (lines 1–12), then participants: spoil the 15th line's age band.
        var lines = Array(demo.prefix(20))
        let bad = lines[14]
        try #require(bad.contains("\"form\":\"participant\"") && bad.contains("\"age_band\":\""), "line 15 of demo.jsonl: \(bad)")
        lines[14] = bad.replacingOccurrences(of: #""age_band":"[a-z0-9_]+""#, with: #""age_band":"99""#, options: .regularExpression)
        try #require(lines[14] != bad)
        let file = try box.write("mixed.jsonl", lines.joined(separator: "\n") + "\n")
        let before = try box.dump()

        let r = try box.palabre("import", file)
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("nothing was imported, 1 line(s) refused"), "\(r)")
        #expect(r.stderr.contains("line 15: participant.age_band: '99' is not one of"), "\(r)")
        #expect(!r.stderr.contains("line 14"), "good lines are not listed: \(r)")
        #expect(try box.dump() == before)
        #expect(try box.list().isEmpty)
    }

    @Test func jsonLinesThatAreNotJSONAreListedByLine() throws {
        let box = try emptyStore()
        defer { box.remove() }
        let demo = try String(contentsOfFile: E2E.demoFile, encoding: .utf8).split(separator: "\n").map(String.init)
        let file = try box.write("broken.jsonl", [demo[0], "{\"form\":\"session\",", demo[1]].joined(separator: "\n"))
        let before = try box.dump()
        let r = try box.palabre("import", file)
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("line 2:"), "\(r)")
        #expect(try box.dump() == before)
    }

    @Test func jsonLinesReferencingARecordThatIsNowhereImportsNothing() throws {
        let box = try emptyStore()
        defer { box.remove() }
        let ghost = "01a0805a-59c0-73c6-869a-000000000000"
        let line = #"{"form":"participant","values":{"session":"\#(ghost)","consent":"no","sex":"male","age_band":"25_35","role":"elder"}}"#
        let file = try box.write("orphan.jsonl", line + "\n")
        let r = try box.palabre("import", file)
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("line 1: participant.session: '\(ghost)' is not the id of any 'session' record"), "\(r)")
        #expect(try box.list().isEmpty)
    }

    @Test func csvWithAFormColumnImports() throws {
        let box = try emptyStore()
        defer { box.remove() }
        let file = try box.write(
            "initiatives.csv",
            """
            form,title,type,priority,estimated_cost,status
            initiative,Puits pastoral de Bara,well,2,2500000,proposed
            initiative,"École, Bamba",school,,,funded

            """)
        let r = try box.palabre("import", file)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("imported 2 record(s) (2 initiative)"), "\(r)")
        let listed = try box.list("initiative")
        #expect(listed.count == 2)
        let well = try #require(listed.first { values($0)["type"] as? String == "well" })
        #expect(values(well)["title"] as? String == "Puits pastoral de Bara")
        #expect(values(well)["priority"] as? Int == 2)
        #expect(values(well)["estimated_cost"] as? Double == 2_500_000)
        let school = try #require(listed.first { values($0)["type"] as? String == "school" })
        #expect(values(school)["title"] as? String == "École, Bamba", "a quoted comma stays in the cell")
        #expect(values(school)["priority"] == nil, "an empty cell is no value")
    }

    @Test func csvWithoutAFormColumnImportsWithTheFormOption() throws {
        let box = try emptyStore()
        defer { box.remove() }
        let file = try box.write(
            "sessions.csv",
            """
            title;date;region;locality;format;themes
            Vestibule de Bara;2026-09-08;gao;Bara;intergenerational;water pasture
            Espace des femmes;2026-09-12;gao;Ansongo;women;

            """)
        let r = try box.palabre("import", file, "--form", "session")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("imported 2 record(s) (2 session)"), "\(r)")
        let listed = try box.list("session")
        #expect(Set(listed.compactMap { values($0)["locality"] as? String }) == ["Bara", "Ansongo"])
        #expect(listed.first { values($0)["locality"] as? String == "Bara" }.map { values($0)["themes"] as? [String] } == ["water", "pasture"])
    }

    @Test func csvWithABadCellImportsNothingAndNamesLineFieldAndValue() throws {
        let box = try emptyStore()
        defer { box.remove() }
        let file = try box.write(
            "bad.csv",
            """
            title,type,priority,status
            Puits pastoral de Bara,well,2,proposed
            Piste Ansongo-Bara,road,9,proposed
            Radio de Bourem,community_radio,3,validated

            """)
        let before = try box.dump()
        let r = try box.palabre("import", file, "--form", "initiative")
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("line 3: initiative.priority: '9' breaks the rule '. >= 1 and . <= 5'"), "\(r)")
        #expect(!r.stderr.contains("line 2") && !r.stderr.contains("line 4"), "good lines are not listed: \(r)")
        #expect(try box.dump() == before)
        #expect(try box.list().isEmpty)
    }

    @Test func csvWithoutAnyFormIsRefused() throws {
        let box = try emptyStore()
        defer { box.remove() }
        let file = try box.write("noform.csv", "title,type\nPuits,well\n")
        let r = try box.palabre("import", file)
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("line 2: no form"), "\(r)")
        #expect(try box.list().isEmpty)
    }
}
