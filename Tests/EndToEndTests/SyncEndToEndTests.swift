import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sync end to end: the real `palabre-server` on 127.0.0.1 (its own port and database per test) and laptops syncing
/// with it through the real `palabre`. Serialized: several tests time a kill against a running transfer, and the
/// machines that run them have two cores.
@Suite("Sync end to end", .serialized)
enum SyncEndToEnd {}

extension SyncEndToEnd {
    /// A service with project `p`, two facilitators' laptops set up on it, and a coordinator's token.
    struct Field {
        let box: Sandbox
        let service: Service
        let a: Laptop
        let b: Laptop
        let coordinator: String

        init(_ box: Sandbox, serveOptions: [String] = []) throws {
            self.box = box
            service = try Service(box, serveOptions: serveOptions)
            try service.createProject("p")
            let tokenA = try service.enroll("laptop-a", role: "facilitator", project: "p")
            let tokenB = try service.enroll("laptop-b", role: "facilitator", project: "p")
            coordinator = try service.enroll("coordinator", role: "coordinator", project: "p")
            try service.start()
            a = Laptop(box, "a")
            b = Laptop(box, "b")
            try a.setUp(project: "p", url: service.url, token: tokenA)
            try b.setUp(project: "p", url: service.url, token: tokenB)
        }
    }

    @Suite("Convergence")
    struct Convergence {
        @Test func twoLaptopsSyncingInTurnHoldTheSameRecordsAsEachOtherAndAsTheService() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let (a, b) = (field.a, field.b)

            let s = try a.add(
                "session",
                [
                    "title": "Vestibule de la paix à Bara", "date": "2026-11-02", "region": "gao",
                    "cercle": "Ansongo", "locality": "Bara", "format": "intergenerational", "themes": "water pasture",
                ])
            let hawa = try a.add(
                "participant",
                [
                    "session": s, "consent": "yes", "name": "Hawa Maïga", "sex": "female",
                    "age_band": "18_24", "role": "youth",
                ])
            let forage = try a.add(
                "initiative",
                [
                    "title": "Forage à Bara", "type": "borehole", "session": s, "region": "gao",
                    "beneficiaries": "1200", "estimated_cost": "12 500 000",
                ])
            let s2 = try b.add(
                "session",
                [
                    "title": "Espace de dialogue à Ansongo", "date": "2026-11-03", "region": "gao",
                    "locality": "Ansongo", "format": "intergenerational",
                ])
            let elder = try b.add("participant", ["session": s2, "consent": "no", "sex": "male", "age_band": "60_plus", "role": "elder"])
            let all: Set = [s, hawa, forage, s2, elder]

            // b co-facilitates a's session, so it may hold Hawa's name (need to know): assigned once the service has it.
            #expect(try a.sync(json: true).status == 0)
            let assign = try field.service.admin(["assign", s, "--project", "p", "--to", "laptop-b", "--by", "coordinator"])
            #expect(assign.status == 0, "\(assign)")
            for (laptop, round) in [(a, 1), (b, 1), (a, 2), (b, 2)] {
                let r = try laptop.sync(json: true)
                #expect(r.status == 0, "sync \(round) of \(laptop.name): \(r)")
            }

            let onA = contents(try a.list())
            let onB = contents(try b.list())
            #expect(Set(onA.keys) == all, "laptop a: \(onA)")
            #expect(Set(onB.keys) == all, "laptop b: \(onB)")
            #expect(onA == onB, "both laptops must hold the same values")
            let central = contents(try field.service.records(token: field.coordinator))
            #expect(central == onA, "the service's records must be the laptops'")

            // A decimal keeps its decimal point across the wire (PROTOCOL.md: decimals always with a '.').
            #expect(try b.run(["show", forage, "--json"]).stdout.contains(#""estimated_cost":12500000.0"#))
            #expect(try field.service.http("GET", "/v1/records", token: field.coordinator).body.contains(#""estimated_cost":12500000.0"#))
        }

        @Test func aConcurrentEditIsListedOnTheLosingLaptopAndRestoringItMakesItCurrentEverywhere() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let (a, b) = (field.a, field.b)
            let id = try a.addSession("Titre d'origine")
            try a.syncOK()
            try b.syncOK()
            try #require(values(try b.show(id))["title"] as? String == "Titre d'origine", "setup: b should have the record")

            // Both edit the same field before syncing; b writes last, so b's stamp is the higher one and wins.
            #expect(try a.run(["edit", id, "--set", "title=Titre de A"]).status == 0)
            #expect(try b.run(["edit", id, "--set", "title=Titre de B"]).status == 0)
            // Each sync's conflict count is what `palabre conflicts` then lists on that laptop (the service's view of the
            // push and the pulled winner are one conflict, not two).
            for laptop in [a, b, a] {
                let summary = try laptop.syncOK()
                #expect((summary["conflicts"] as? NSNumber)?.intValue == (try laptop.conflicts().count), "\(laptop.name): \(summary)")
            }
            #expect((try a.syncOK()["new_conflicts"] as? NSNumber)?.intValue == 0, "a sync that meets no new conflict says so")
            let plain = try a.run(["sync"])
            #expect(plain.status == 0 && plain.stdout.contains("open conflicts 1") && plain.stdout.contains("see 'palabre conflicts'"), "\(plain)")
            #expect(values(try a.show(id))["title"] as? String == "Titre de B")
            #expect(values(try b.show(id))["title"] as? String == "Titre de B")

            let listed = try a.conflicts()
            let conflict = try #require(
                listed.first { $0["record"] as? String == id && $0["field"] as? String == "title" },
                "conflicts --json on the losing laptop: \(listed)")
            #expect(conflict["lost"] as? String == "Titre de A")
            #expect(conflict["current"] as? String == "Titre de B")
            #expect(conflict["form"] as? String == "session")
            // History names who wrote, by the device names the service gave, not node ids.
            let history = try a.run(["show", id, "--history"]).stdout
            #expect(history.contains("Session title: Titre de A → Titre de B (laptop-b, "), "\(history)")
            let onB = try b.run(["show", id, "--history"]).stdout
            #expect(onB.contains("by laptop-a,"), "captured on laptop a, named so on b: \(onB)")

            let resolved = try a.run(["resolve", id, "title", "--restore"])
            #expect(resolved.status == 0, "\(resolved)")
            #expect(try a.conflicts().isEmpty, "the conflict is closed on the laptop that resolved it")
            try a.syncOK()
            try b.syncOK()
            #expect(values(try a.show(id))["title"] as? String == "Titre de A")
            #expect(values(try b.show(id))["title"] as? String == "Titre de A")
            let central = try field.service.records(token: field.coordinator).first { $0["id"] as? String == id }
            #expect(central.map(values)?["title"] as? String == "Titre de A")
        }

        /// PROTOCOL.md: a conflict is listed "until someone keeps the winner or restores the loser (a new write, which
        /// syncs like any other)". Once the restore has reached the other laptop and the service, neither should still
        /// list the conflict (they list it with the restored value as both "current" and "lost").
        @Test func aConflictRestoredOnOneLaptopIsNoLongerListedOnTheOtherNorOnTheService() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let (a, b) = (field.a, field.b)
            let id = try a.addSession("Titre d'origine")
            try a.syncOK()
            try b.syncOK()
            #expect(try a.run(["edit", id, "--set", "title=Titre de A"]).status == 0)
            #expect(try b.run(["edit", id, "--set", "title=Titre de B"]).status == 0)
            try a.syncOK()
            try b.syncOK()
            try a.syncOK()
            try #require(try a.run(["resolve", id, "title", "--restore"]).status == 0)
            try a.syncOK()
            try b.syncOK()
            try #require(values(try b.show(id))["title"] as? String == "Titre de A", "setup: the restore should have reached b")

            let onB = try b.conflicts().filter { $0["record"] as? String == id && $0["field"] as? String == "title" }
            #expect(onB.isEmpty, "laptop b still lists the restored conflict: \(onB)")
            let central = try field.service.http("GET", "/v1/conflicts", token: field.coordinator)
            #expect(central.status == 200, "\(central)")
            let open = (central.object?["conflicts"] as? [[String: Any]] ?? []).filter { $0["record"] as? String == id }
            #expect(open.isEmpty, "the service still lists the restored conflict: \(open)")
        }
    }

    @Suite("Wrong clocks")
    struct WrongClocks {
        static let future = "2040-06-01"
        static let past = "2010-01-01"

        @Test func aLaptopYearsAheadIsReStampedAtTheServicesTimeToldSoAndHeard() throws {
            _ = try E2E.datefudge()
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let (f, b) = (field.a, field.b)
            let ids = [
                try f.addSession("Session notée en 2040 n°1", at: Self.future),
                try f.addSession("Session notée en 2040 n°2", at: Self.future),
            ]
            let created = try f.show(ids[0])["created"] as? String
            try #require(created?.hasPrefix("2040") == true, "datefudge should put the laptop in 2040 (created \(created ?? "nil"))")

            let r = try f.sync(json: true, at: Self.future)
            #expect(r.status == 0, "\(r)")
            let summary = try #require(E2E.json(r.stdout) as? [String: Any], "\(r)")
            let ahead = try #require((summary["clock_ahead_ms"] as? NSNumber)?.int64Value, "no clock_ahead_ms: \(r)")
            let tenYears: Int64 = 10 * 365 * 86_400_000
            #expect(ahead > tenYears)
            let expected = Int64((isoDate(Self.future + "T00:00:00Z")!.timeIntervalSinceNow) * 1000)
            #expect(abs(ahead - expected) < 2 * 86_400_000, "clock_ahead_ms \(ahead), expected about \(expected)")
            #expect((summary["restamped"] as? NSNumber)?.intValue == 2, "\(r)")
            #expect((summary["sent"] as? NSNumber)?.intValue == 2, "\(r)")
            #expect(r.stderr.contains("clock") && r.stderr.contains("ahead"), "the user must be told: \(r)")

            try b.syncOK()
            let onB = contents(try b.list())
            #expect(Set(onB.keys) == Set(ids), "\(onB)")
            #expect(onB == contents(try f.list()))
            for id in ids {
                // Re-stamped at the service's time: the other laptop sees them written now, not in 2040.
                let updated = (try b.show(id)["updated"] as? String).flatMap(isoDate)
                #expect(updated.map { abs($0.timeIntervalSinceNow) < 86_400 } == true, "updated \(String(describing: updated))")
            }
        }

        /// Re-stamping must rewrite the laptop's own field stamps too: were they left in 2040, a later edit made
        /// elsewhere would win on the service and lose on that laptop.
        @Test func aReStampedRecordEditedElsewhereAfterwardsTakesTheEditOnTheLaptopAheadToo() throws {
            _ = try E2E.datefudge()
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let (f, b) = (field.a, field.b)
            let id = try f.addSession("Session notée en 2040", at: Self.future)
            let first = try f.sync(json: true, at: Self.future)
            try #require(first.status == 0 && first.stdout.contains("clock_ahead_ms"), "setup: a re-stamped sync: \(first)")
            try b.syncOK()
            #expect(try b.run(["edit", id, "--set", "title=Corrigée ensuite"]).status == 0)
            try b.syncOK()

            let r = try f.sync(json: true, at: Self.future)
            #expect(r.status == 0, "\(r)")
            #expect(values(try f.show(id))["title"] as? String == "Corrigée ensuite")
            #expect(values(try b.show(id))["title"] as? String == "Corrigée ensuite")
            let central = try field.service.records(token: field.coordinator).first { $0["id"] as? String == id }
            #expect(central.map(values)?["title"] as? String == "Corrigée ensuite")
            #expect(try f.conflicts().isEmpty, "a later edit is not a conflict")
        }

        @Test func aLaptopYearsBehindIsNeverRefusedAndItsRecordsArrive() throws {
            _ = try E2E.datefudge()
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let (p, b) = (field.a, field.b)
            let ids = [
                try p.addSession("Session notée en 2010 n°1", at: Self.past),
                try p.addSession("Session notée en 2010 n°2", at: Self.past),
            ]
            let created = try p.show(ids[0])["created"] as? String
            try #require(created?.hasPrefix("2010") == true, "datefudge should put the laptop in 2010 (created \(created ?? "nil"))")

            let r = try p.sync(json: true, at: Self.past)
            #expect(r.status == 0, "\(r)")
            let summary = try #require(E2E.json(r.stdout) as? [String: Any], "\(r)")
            #expect(summary["clock_ahead_ms"] == nil, "a laptop behind is never refused: \(r)")
            #expect(summary["restamped"] == nil, "\(r)")
            #expect((summary["sent"] as? NSNumber)?.intValue == 2, "\(r)")
            #expect((summary["set_aside"] as? [Any])?.isEmpty == true, "\(r)")

            try b.syncOK()
            let onB = contents(try b.list())
            #expect(Set(onB.keys) == Set(ids), "\(onB)")
            #expect(onB == contents(try p.list()))
        }

        @Test func aLaptopYearsBehindStampsItsNextWritesAfterTheServicesTimeAndIsWarned() throws {
            _ = try E2E.datefudge()
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let p = field.a
            _ = try p.addSession("Session notée en 2010", at: Self.past)
            try p.syncOK(at: Self.past)

            // HLC receive: the service's time went into the laptop's clock, so a later write is stamped after it.
            let later = try p.addSession("Après la synchro", at: Self.past)
            let created = (try p.show(later)["created"] as? String).flatMap(isoDate)
            #expect(created.map { abs($0.timeIntervalSinceNow) < 86_400 } == true, "created \(String(describing: created))")

            let r = try p.sync(at: Self.past)
            #expect(r.status == 0, "\(r)")
            #expect(r.stderr.contains("behind"), "the user must be told the clock is behind: \(r)")
        }
    }

    @Suite("Interruptions")
    struct Interruptions {
        static let size = 20_000

        /// `generate` then `import` on a laptop; returns the generated ids.
        static func fill(_ laptop: Laptop) throws -> Set<String> {
            let file = laptop.box.path("generated.jsonl")
            let g = try laptop.run(["generate", "--records", String(size), "--out", file])
            guard g.status == 0 else { throw HarnessError("setup: generate failed: \(g)") }
            let i = try laptop.run(["import", file], timeout: 180)
            guard i.status == 0 else { throw HarnessError("setup: import failed: \(i)") }
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let ids = Set(
                text.split(separator: "\n").compactMap { line in
                    (E2E.json(String(line)) as? [String: Any])?["id"] as? String
                })
            guard ids.count == size else { throw HarnessError("setup: the generated file has \(ids.count) ids, not \(size)") }
            return ids
        }

        @Test func theServiceKilledDuringALargePushLosesAndDuplicatesNothing() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            let service = field.service
            defer { service.stop() }
            let a = field.a
            let generated = try Self.fill(a)
            try #require(try a.unsent() == Self.size)

            let syncing = try a.start(["sync"], tag: "sync-cut")
            defer { syncing.stop() }
            Thread.sleep(forTimeInterval: 0.3)
            // Kill once the service has applied a batch or more, while the rest of the push is still on its way.
            let midway = E2E.waitUntil(timeout: 60) { syncing.hasExited || service.log.contains("push applied") }
            try #require(midway && !syncing.hasExited, "the push should still run when the service is killed: \(syncing.result)")
            service.kill9()
            #expect(!service.isRunning)

            let cut = syncing.finish(timeout: 60)
            #expect(cut.status == 69 && !cut.signalled, "\(cut)")
            #expect(cut.stderr.contains("cannot be reached"), "\(cut)")
            let left = try a.unsent()
            #expect(left > 0 && left <= Self.size, "\(left) change(s) to send after the cut")

            // Batches are applied whole or not at all: every change on the service belongs to an answered batch.
            let held = try service.count("select count(*) from changes")
            let answered = try service.count("select coalesce(sum(json_extract(response, '$.applied')), 0) from batches")
            #expect(held == answered, "\(held) changes on the service, \(answered) in its batch answers")
            #expect(held >= Self.size - left, "acknowledged changes must be on the service")

            try service.restart()
            let resumed = try a.sync(json: true, timeout: 180)
            #expect(resumed.status == 0, "\(resumed)")
            let summary = E2E.json(resumed.stdout) as? [String: Any]
            #expect((summary?["sent"] as? NSNumber)?.intValue == left, "the resumed sync sends what was left: \(resumed)")
            #expect(try a.unsent() == 0)

            let central = try service.records(token: field.coordinator)
            #expect(central.count == Self.size)
            #expect(Set(ids(central)) == generated)
            #expect(try service.count("select count(*) from changes") == Self.size)
            #expect(try service.count("select count(distinct record_id || ' ' || hlc || ' ' || node) from changes") == Self.size)
            #expect(try a.sql("select count(*) from changes where local = 1") == String(Self.size))
        }

        @Test func aSyncKilledMidPullLeavesAnIntactStoreThatTheNextSyncCompletes() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let (a, b) = (field.a, field.b)
            let generated = try Self.fill(a)
            try a.syncOK()
            try #require(try field.service.count("select count(*) from changes") == Self.size, "setup: the service should hold every change")

            let pulling = try b.start(["sync"], tag: "pull-cut")
            defer { pulling.stop() }
            Thread.sleep(forTimeInterval: 0.3)
            // Kill once a first page is committed, while the others are still to come.
            let midway = E2E.waitUntil(timeout: 60) { pulling.hasExited || ((try? b.sql("select count(*) from records")) ?? "0") != "0" }
            try #require(midway && !pulling.hasExited, "the pull should still run when it is killed: \(pulling.result)")
            pulling.signal(SIGKILL)
            #expect(pulling.wait(timeout: 10))
            #expect(pulling.result.signalled && pulling.result.status == SIGKILL, "\(pulling.result)")

            #expect(try b.sql("PRAGMA integrity_check") == "ok")
            let partial = Int(try b.sql("select count(*) from records")) ?? -1
            #expect(partial >= 0 && partial < Self.size, "\(partial) records after the kill")

            let r = try b.sync(json: true, timeout: 180)
            #expect(r.status == 0, "\(r)")
            let summary = E2E.json(r.stdout) as? [String: Any]
            #expect((summary?["received"] as? NSNumber)?.intValue == Self.size - partial, "nothing received twice: \(r)")
            let listed = try b.list()
            #expect(listed.count == Self.size)
            #expect(Set(ids(listed)) == generated)
            #expect(try b.sql("select count(*) from changes") == String(Self.size))
            #expect(try b.sql("PRAGMA integrity_check") == "ok")
        }

        @Test func syncWithNothingListeningExits69AndKeepsEveryChangeToSend() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let a = field.a
            _ = try a.addSession("Hors ligne n°1")
            _ = try a.addSession("Hors ligne n°2")
            field.service.stop()
            try #require(!field.service.isRunning)
            try #require(try a.unsent() == 2)

            let r = try a.sync(timeout: 60)
            #expect(r.status == 69, "\(r)")
            #expect(r.stderr.contains("cannot be reached"), "\(r)")
            #expect(r.stderr.contains("nothing is lost"), "\(r)")
            #expect(try a.unsent() == 2)
        }
    }
}

/// An ISO 8601 date, with or without fractional seconds.
func isoDate(_ text: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let d = f.date(from: text) { return d }
    f.formatOptions = [.withInternetDateTime]
    return f.date(from: text)
}

extension SyncEndToEnd {
    @Suite("Administration")
    struct Administration {
        /// The shipped follow-up form, and a version 2 of it with a new optional field, `visitor`.
        static func followupVersions() throws -> (v1: String, v2: String) {
            let v1 = try String(contentsOfFile: E2E.formsDir + "/followup.yaml", encoding: .utf8)
            let v2 = v1.replacingOccurrences(of: "version: 1", with: "version: 2")
                .replacingOccurrences(
                    of: "  - name: notes\n",
                    with: "  - name: visitor\n    type: text\n    label: {fr: \"Visiteur\", en: \"Visitor\"}\n  - name: notes\n")
            return (v1, v2)
        }

        /// A folder with the shipped forms, some replaced (form name → YAML text).
        static func formsFolder(_ box: Sandbox, _ name: String, replacing: [String: String]) throws -> String {
            let dir = box.path(name)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for f in try FileManager.default.contentsOfDirectory(atPath: E2E.formsDir) where f.hasSuffix(".yaml") {
                try FileManager.default.copyItem(atPath: E2E.formsDir + "/" + f, toPath: dir + "/" + f)
            }
            for (form, text) in replacing { try text.write(toFile: dir + "/\(form).yaml", atomically: true, encoding: .utf8) }
            return dir
        }

        /// A new facilitator's laptop `c` with no forms folder (it captures with what the service publishes), enrolled.
        static func laptopOnReceivedForms(_ box: Sandbox, _ field: Field) throws -> Laptop {
            var c = Laptop(box, "c")
            c.forms = nil
            try c.setUp(project: "p", url: field.service.url, token: try field.service.enroll("laptop-c", role: "facilitator", project: "p"))
            return c
        }

        /// An administrator sees who took which data: the analyst's export is listed as pseudonymised, the
        /// coordinator's as values; another project's filter lists none.
        /// A coordinator's new version of a form, published with the real binary: listed, with its history; an
        /// incompatible one is refused naming the field and both types, and nothing changes.
        @Test func formsArePublishedAsNewVersionsAndIncompatibleOnesRefused() throws {
            let box = try Sandbox(initialised: false)
            defer { box.remove() }
            let service = try Service(box)
            try service.createProject("p")
            let (v1, v2) = try Self.followupVersions()
            let dir = box.path("v2")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try v2.write(toFile: dir + "/followup.yaml", atomically: true, encoding: .utf8)
            let published = try service.admin(["forms", "publish", dir + "/followup.yaml", "--project", "p"])
            #expect(published.status == 0 && published.stdout.contains("published followup version 2 in project p"), "\(published)")
            let list = try service.admin(["forms", "list", "--project", "p"])
            #expect(
                list.stdout.split(separator: "\n").contains { $0.hasPrefix("followup") && $0.contains("v2") && $0.contains("palabre-server") },
                "\(list)")
            #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("session") && $0.contains("v2") && $0.contains("shipped") }, "\(list)")
            let history = try service.admin(["forms", "history", "followup", "--project", "p"])
            #expect(history.stdout.split(separator: "\n").count == 3, "a header and two versions: \(history)")
            let old = try service.admin(["forms", "show", "followup", "--project", "p", "--version", "1"])
            #expect(old.status == 0 && old.stdout == v1, "\(old)")

            let v3 = v2.replacingOccurrences(of: "version: 2", with: "version: 3")
                .replacingOccurrences(of: "  - name: progress\n    type: integer", with: "  - name: progress\n    type: text")
            try v3.write(toFile: dir + "/followup.yaml", atomically: true, encoding: .utf8)
            let refused = try service.admin(["forms", "publish", dir + "/followup.yaml", "--project", "p"])
            #expect(refused.status != 0 && refused.stderr.contains("progress") && refused.stderr.contains("version 2 integer"), "\(refused)")
            #expect(try service.admin(["forms", "list", "--project", "p"]).stdout == list.stdout, "nothing changed")
        }

        /// The service checks a change against its project's published forms: a follow-up of version 2 (a new field) is
        /// applied once version 2 is published, next to version 1 follow-ups from a laptop still on version 1; the
        /// export has the new column and both rows; a version nobody published is set aside, not applied.
        @Test func changesOfEveryPublishedVersionAreAppliedAndExportedTogether() throws {
            let box = try Sandbox(initialised: false)
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let v2 = try Self.followupVersions().v2
            func folder(_ name: String, followup: String) throws -> String {
                try Self.formsFolder(box, name, replacing: ["followup": followup])
            }
            let v2Folder = try folder("forms-v2", followup: v2)
            let published = try field.service.admin(["forms", "publish", v2Folder + "/followup.yaml", "--project", "p"])
            #expect(published.status == 0, "\(published)")

            let (a, b) = (field.a, field.b)
            var onV2 = b
            onV2.forms = v2Folder
            let s = try a.addSession("Vestibule de la paix à Bara")
            let forage = try a.add(
                "initiative", ["title": "Forage à Bara", "type": "borehole", "session": s, "region": "gao", "status": "proposed"])
            _ = try a.add("followup", ["initiative": forage, "date": "2026-11-02", "status": "in_progress"])
            #expect(try a.syncOK()["sent"] as? Int == 3)
            #expect(try onV2.syncOK()["received"] as? Int == 3)
            _ = try onV2.add("followup", ["initiative": forage, "date": "2026-11-20", "status": "completed", "visitor": "Awa Maïga"])
            let sent = try onV2.syncOK()
            #expect(sent["sent"] as? Int == 1 && (sent["set_aside"] as? [Any])?.isEmpty == true, "\(sent)")

            let followups = try field.service.records(token: field.coordinator).filter { $0["form"] as? String == "followup" }
            #expect(followups.count == 2)
            #expect(followups.contains { ($0["values"] as? [String: Any])?["visitor"] as? String == "Awa Maïga" }, "\(followups)")
            var coordinator = Laptop(box, "coord")
            coordinator.forms = v2Folder
            try coordinator.setUp(project: "p", url: field.service.url, token: field.coordinator)
            let export = try coordinator.run(["export", "--remote", "--format", "csv", "--form", "followup", "--out", box.path("csv")])
            #expect(export.status == 0, "\(export)")
            let csv = try String(contentsOfFile: box.path("csv") + "/followup.csv", encoding: .utf8)
            let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first?.contains("visitor") == true && lines.first?.contains("form_version") == true && lines.count == 3, "\(csv)")
            #expect(
                lines.contains { $0.contains(",1,") && !$0.contains("Awa") } && lines.contains { $0.contains(",2,") && $0.contains("Awa") }, "\(csv)")

            // A version the coordinator never published is not applied.
            let v3 = v2.replacingOccurrences(of: "version: 2", with: "version: 3")
            var onV3 = a
            onV3.forms = try folder("forms-v3", followup: v3)
            _ = try onV3.add("followup", ["initiative": forage, "date": "2026-11-25", "status": "completed"])
            let refused = try onV3.syncOK()
            #expect((refused["set_aside"] as? [[String: Any]])?.first?["reason"] as? String ?? "" != "", "\(refused)")
            #expect(try field.service.records(token: field.coordinator).filter { $0["form"] as? String == "followup" }.count == 2)
        }

        /// A laptop captures with a session version the service has not published: the session (and the participant of
        /// it, which cannot be checked without it) are held by the service, counted as held, not sent, listed on both
        /// sides; when a coordinator publishes the version from a laptop (over the API), both are applied at once, in
        /// order; the laptop's next sync learns it, and another laptop receives them. Nothing is lost on the way.
        @Test func changesOfAnUnpublishedVersionAreHeldAndAppliedWhenItIsPublished() throws {
            let box = try Sandbox(initialised: false)
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let v1 = try String(contentsOfFile: E2E.formsDir + "/session.yaml", encoding: .utf8)
            let v2 = v1.replacingOccurrences(of: "version: 2", with: "version: 3")
                .replacingOccurrences(
                    of: "  - name: location\n",
                    with: "  - name: mediator\n    type: text\n    label: {fr: \"Médiateur\", en: \"Mediator\"}\n  - name: location\n")
            let dir = try Self.formsFolder(box, "forms-v2", replacing: ["session": v2])

            var a = field.a
            a.forms = dir
            let s = try a.add(
                "session",
                [
                    "title": "Vestibule de Bara", "date": "2026-09-08", "region": "gao", "locality": "Bara", "format": "intergenerational",
                    "mediator": "Moussa Touré",
                ])
            let p = try a.add("participant", ["session": s, "consent": "no", "sex": "female", "age_band": "18_24", "role": "youth"])
            let first = try a.syncOK()
            let entries = first["set_aside"] as? [[String: Any]] ?? []
            #expect(first["sent"] as? Int == 0 && entries.count == 2, "nothing counted as sent: \(first)")
            #expect(entries.first { $0["record"] as? String == s }?["held"] as? Bool == true, "\(first)")
            #expect(first["still_set_aside"] as? Int == 2, "\(first)")
            let human = try a.run(["set-aside"])
            #expect(human.status == 0 && human.stdout.contains("HELD") && human.stdout.contains(s) && human.stdout.contains(p), "\(human)")
            let listed = try field.service.admin(["set-aside", "list", "--project", "p"])
            #expect(listed.stdout.split(separator: "\n").contains { $0.contains("HELD") && $0.contains(s) && $0.contains("session v3") }, "\(listed)")
            #expect(try field.service.records(token: field.coordinator).isEmpty)
            // A retry before the version exists changes nothing.
            let early = try field.service.admin(["set-aside", "retry", "--project", "p"])
            #expect(early.status == 0 && early.stdout.contains("applied 0") && early.stdout.contains("2 still set aside"), "\(early)")

            // A facilitator may not publish; the coordinator publishes from a laptop, over the API.
            let refused = try a.run(["forms", "publish", dir + "/session.yaml"])
            #expect(refused.status == 77 && refused.stderr.contains("publish forms"), "\(refused)")
            var coordinator = Laptop(box, "coord")
            try coordinator.setUp(project: "p", url: field.service.url, token: field.coordinator)
            let published = try coordinator.run(["forms", "publish", dir + "/session.yaml"])
            #expect(published.status == 0 && published.stdout.contains("published session version 3 in project p"), "\(published)")
            #expect(published.stdout.contains("2 held change(s) of these versions applied; 0 still set aside"), "\(published)")
            let records = try field.service.records(token: field.coordinator)
            #expect(Set(records.compactMap { $0["id"] as? String }) == [s, p], "\(records)")
            #expect(records.contains { ($0["values"] as? [String: Any])?["mediator"] as? String == "Moussa Touré" }, "\(records)")
            #expect(try field.service.admin(["set-aside", "list"]).stderr.contains("no change is set aside"))

            let second = try a.syncOK()
            #expect(second["applied_since"] as? Int == 2 && second["still_set_aside"] as? Int == 0, "\(second)")
            #expect(try a.run(["set-aside"]).stdout.contains("no change is set aside"))
            var b = field.b
            b.forms = nil  // captures with what the service publishes
            let pulled = try b.syncOK()
            #expect(pulled["received"] as? Int == 2 && (pulled["forms_received"] as? [String])?.contains("session v3") == true, "\(pulled)")
            let shown = try b.run(["show", s])
            #expect(shown.stdout.contains("Moussa Touré"), "\(shown)")
        }

        /// A laptop with no forms folder receives the published forms when it syncs, captures with the new version, and
        /// on the next sync, its forms being current, gets a bodiless answer.
        @Test func laptopsReceiveThePublishedFormsWhenTheySync() throws {
            let box = try Sandbox(initialised: false)
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let v2 = try Self.followupVersions().v2
            let file = box.path("followup.yaml")
            try v2.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try field.service.admin(["forms", "publish", file, "--project", "p"]).status == 0)
            let s = try field.a.addSession("Vestibule de la paix à Bara")
            let forage = try field.a.add(
                "initiative", ["title": "Forage à Bara", "type": "borehole", "session": s, "region": "gao", "status": "proposed"])
            try field.a.syncOK()

            let c = try Self.laptopOnReceivedForms(box, field)
            let before = try c.run(["forms", "list"])
            #expect(before.stdout.contains("(forms: the forms built into palabre)"), "\(before)")
            let first = try c.syncOK()
            #expect((first["forms_received"] as? [String])?.contains("followup v2") == true, "\(first)")
            let after = try c.run(["forms", "list"])
            #expect(after.stdout.contains("(forms: the forms received from the service)"), "\(after)")
            #expect(after.stdout.split(separator: "\n").contains { $0.hasPrefix("followup") && $0.contains("v2") }, "\(after)")
            let show = try c.run(["forms", "show", "followup"])
            #expect(show.stdout.contains("visitor [text]") && show.stdout.contains("(service/followup.yaml)"), "\(show)")
            _ = try c.add("followup", ["initiative": forage, "date": "2026-11-20", "status": "completed", "visitor": "Awa Maïga"])
            let second = try c.syncOK()
            #expect(second["sent"] as? Int == 1 && (second["forms_received"] as? [String])?.isEmpty == true, "\(second)")
            let bytes = (first: first["bytes_received"] as? Int ?? 0, second: second["bytes_received"] as? Int ?? 0)
            #expect(bytes.second * 3 < bytes.first, "current forms cost a bodiless answer: \(bytes)")
            let records = try field.service.records(token: field.coordinator)
            #expect(records.contains { ($0["values"] as? [String: Any])?["visitor"] as? String == "Awa Maïga" })
            // Where every laptop stands: c holds follow-up version 2; b never asked for forms.
            let devices = try field.service.admin(["devices"]).stdout.split(separator: "\n")
            #expect(devices.first?.contains("FORMS RECEIVED") == true, "\(devices)")
            #expect(devices.contains { $0.hasPrefix("laptop-c ") && $0.contains("followup 2") && $0.contains("session 2") }, "\(devices)")
            #expect(devices.contains { $0.hasPrefix("laptop-b ") && !$0.contains("followup 2") }, "\(devices)")
        }

        /// A coordinator removes a field in version 2 while a laptop on version 1 holds an unsent change of it: the
        /// laptop syncs, receives version 2, and its version 1 change is applied with the field's value; it still shows
        /// that record's value under its label and exports it in its column, beside version 2 records without it.
        @Test func aFieldAVersionRemovedIsStillReadAndExportedOnALaptop() throws {
            let box = try Sandbox(initialised: false)
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let s = try field.a.addSession("Vestibule de la paix à Bara")
            let forage = try field.a.add(
                "initiative", ["title": "Forage à Bara", "type": "borehole", "session": s, "region": "gao", "status": "proposed"])
            try field.a.syncOK()
            let c = try Self.laptopOnReceivedForms(box, field)
            try c.syncOK()
            let old = try c.add("followup", ["initiative": forage, "date": "2026-11-02", "status": "in_progress", "notes": "Margelle fissurée"])
            let v1 = try String(contentsOfFile: E2E.formsDir + "/followup.yaml", encoding: .utf8)
            let start = try #require(v1.range(of: "  - name: notes\n"))
            let end = try #require(v1.range(of: "choices:\n"))
            let v2 = v1.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: "")
                .replacingOccurrences(of: "version: 1", with: "version: 2")
            let file = box.path("followup.yaml")
            try v2.write(toFile: file, atomically: true, encoding: .utf8)
            let published = try field.service.admin(["forms", "publish", file, "--project", "p"])
            #expect(published.status == 0, "\(published)")

            let synced = try c.syncOK()
            #expect(synced["sent"] as? Int == 1 && (synced["forms_received"] as? [String]) == ["followup v2"], "\(synced)")
            let merged = try field.service.records(token: field.coordinator).first { $0["id"] as? String == old }
            #expect((merged?["values"] as? [String: Any])?["notes"] as? String == "Margelle fissurée", "\(String(describing: merged))")
            let shown = try c.run(["show", old, "--lang", "en"])
            #expect(shown.stdout.contains("Notes") && shown.stdout.contains("Margelle fissurée"), "\(shown)")
            let added = try c.add("followup", ["initiative": forage, "date": "2026-11-20", "status": "completed"])
            let export = try c.run(["export", "--format", "csv", "--form", "followup", "--out", box.path("csv")])
            #expect(export.status == 0, "\(export)")
            let csv = try String(contentsOfFile: box.path("csv") + "/followup.csv", encoding: .utf8)
            let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first?.contains("notes") == true && lines.count == 3, "\(csv)")
            #expect(lines.contains { $0.contains(old) && $0.contains("Margelle fissurée") }, "\(csv)")
            #expect(lines.contains { $0.contains(added) && !$0.contains("Margelle") }, "\(csv)")
            // Capture uses the latest version: the removed field is not asked, and not accepted.
            let refused = try c.run([
                "add", "followup", "--set", "initiative=\(forage)", "--set", "date=2026-11-21", "--set", "status=completed",
                "--set", "notes=x",
            ])
            #expect(refused.status == 65 && refused.stderr.contains("notes"), "\(refused)")
        }

        /// A programme's XLSForm, end to end with the binaries: checked and converted by `palabre`, published by the
        /// service as it is (.xlsx), received by a laptop that captures a household and one of its members (the repeat,
        /// a form of its own referring to the household), both merged on the service; a workbook with a photo question
        /// is refused by name and row, and nothing is published.
        @Test func anXLSFormIsCheckedPublishedReceivedAndCapturedWith() throws {
            let box = try Sandbox(initialised: false)
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let workbook = E2E.repoRoot.path + "/samples/xlsform/enquete_menage.xlsx"
            var c = Laptop(box, "c")
            c.forms = nil
            let check = try c.run(["forms", "check", workbook])
            #expect(check.status == 0 && check.stdout.contains("enquete_menage") && check.stdout.contains("member"), "\(check)")
            let converted = try c.run(["forms", "convert", workbook, "--out", box.path("yaml")])
            #expect(converted.status == 0 && converted.stdout.contains("member.yaml"), "\(converted)")
            let yaml = try String(contentsOfFile: box.path("yaml") + "/enquete_menage.yaml", encoding: .utf8)
            #expect(yaml.contains("bm: \"Mara\"") && yaml.contains("themes_other"), "\(yaml)")

            let photo = try field.service.admin(["forms", "publish", E2E.repoRoot.path + "/samples/xlsform/photo.xlsx", "--project", "p"])
            #expect(photo.status == 65 && photo.stderr.contains("row 3") && photo.stderr.contains("'image'"), "\(photo)")
            let published = try field.service.admin(["forms", "publish", workbook, "--project", "p"])
            #expect(published.status == 0 && published.stdout.contains("published enquete_menage version 3"), "\(published)")
            #expect(published.stdout.contains("published member version 3"), "\(published)")

            c = try Self.laptopOnReceivedForms(box, field)
            let first = try c.syncOK()
            #expect((first["forms_received"] as? [String])?.contains("enquete_menage v3") == true, "\(first)")
            let household = try c.add(
                "enquete_menage",
                [
                    "consent_read": "OK", "region": "gao", "cercle": "ansongo", "village": "Bara", "household_size": "4",
                    "themes": "water other", "themes_other": "Pâturages", "satisfaction": "4", "incident": "no", "arrival": "9h30",
                    "next_visit": "2027-01-05 10:00",
                ])
            let wrongCercle = try c.run([
                "add", "enquete_menage", "--set", "consent_read=OK", "--set", "region=tombouctou", "--set", "cercle=ansongo", "--set",
                "village=Ber", "--set", "household_size=2",
            ])
            #expect(wrongCercle.status == 65 && wrongCercle.stderr.contains("'ansongo' is not one of tombouctou, goundam"), "\(wrongCercle)")
            let computed = try c.run(["add", "enquete_menage", "--set", "consent_read=OK", "--set", "theme_count=7"])
            #expect(computed.status == 65 && computed.stderr.contains("theme_count: '7' is computed by the form"), "\(computed)")
            let refused = try c.run([
                "add", "member", "--set", "enquete_menage=\(household)", "--set", "member_name=Awa", "--set", "sex=female",
                "--set", "age=130",
            ])
            #expect(refused.status == 65 && refused.stderr.contains("age"), "the sheet's constraint holds: \(refused)")
            let member = try c.add("member", ["enquete_menage": household, "member_name": "Awa", "sex": "female", "age": "34"])
            #expect(try c.syncOK()["sent"] as? Int == 2)
            let records = try field.service.records(token: field.coordinator)
            let m = records.first { $0["id"] as? String == member }
            #expect((m?["values"] as? [String: Any])?["enquete_menage"] as? String == household, "\(records)")
            #expect(records.contains { ($0["values"] as? [String: Any])?["themes_other"] as? String == "Pâturages" }, "\(records)")
            // What the laptop computed reaches the service as captured: calculations and metadata.
            let h = try #require(records.first { $0["id"] as? String == household }?["values"] as? [String: Any], "\(records)")
            #expect(h["summary"] as? String == "Bara (Gao): 2 thème(s)" && h["arrival"] as? String == "09:30", "\(h)")
            #expect(h["device"] as? String != nil && (h["started"] as? String)?.hasSuffix("Z") == true, "\(h)")
            // Exported as tables of their own: the members with their household's id, no column for a note.
            let export = try c.run(["export", "--format", "csv", "--out", box.path("export")])
            #expect(export.status == 0, "\(export)")
            let members = try String(contentsOfFile: box.path("export") + "/member.csv", encoding: .utf8)
            let households = try String(contentsOfFile: box.path("export") + "/enquete_menage.csv", encoding: .utf8)
            let header = members.split(separator: "\n").first.map { $0.split(separator: ",").map(String.init) } ?? []
            #expect(header.first == "enquete_menage" && members.contains(household) && members.contains("Awa"), "\(members)")
            #expect(!households.contains("welcome") && households.contains("theme_count"), "\(households)")
        }

        @Test func exportsListsWhoTookWhichDataAndHow() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            _ = try field.a.addSession("Vestibule de la paix à Bara")
            #expect(try field.a.sync().status == 0)
            let analystToken = try field.service.enroll("analyste", role: "analyst", project: "p")
            let analyst = Laptop(box, "analyst")
            try analyst.setUp(project: "p", url: field.service.url, token: analystToken)
            let r = try analyst.run(["export", "--remote", "--format", "jsonl", "--out", box.path("analyst.jsonl")])
            #expect(r.status == 0, "\(r)")
            let coordinator = Laptop(box, "coord")
            try coordinator.setUp(project: "p", url: field.service.url, token: field.coordinator)
            #expect(try coordinator.run(["export", "--remote", "--format", "csv", "--form", "session", "--out", box.path("c")]).status == 0)

            let list = try field.service.admin(["exports"])
            #expect(list.status == 0, "\(list)")
            let lines = list.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("WHEN") == true && lines.count == 3, "\(list)")
            #expect(lines[1].contains("coordinator") && lines[1].contains("session") && lines[1].contains("values"), "newest first: \(list)")
            #expect(lines[2].contains("analyste") && lines[2].contains("jsonl") && lines[2].contains("pseudonymised"), "\(list)")

            let other = try field.service.admin(["exports", "--project", "q"])
            #expect(other.status == 0 && other.stdout.isEmpty && other.stderr.contains("no export of project q"), "\(other)")
        }
    }
}
