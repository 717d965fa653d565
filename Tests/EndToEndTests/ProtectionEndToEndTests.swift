import Foundation
import Testing

/// A protected laptop, with the real binaries and service: its token is in no file it leaves; it captures locked,
/// syncs only unlocked (exit 77 otherwise, nothing sent); a wipe leaves the counts and kills the token for good.
@Suite("Protection end to end", .serialized)
struct ProtectionEndToEndTests {
    @Test func aProtectedLaptopSyncsOnlyUnlockedAndAWipeKillsItsToken() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let service = try Service(box)
        defer { service.stop() }
        try service.createProject("p")
        let token = try service.enroll("laptop-c", role: "facilitator", project: "p")
        let coordinator = try service.enroll("coordinator", role: "coordinator", project: "p")
        try service.start()
        let c = Laptop(box, "c")
        try c.setUp(project: "p", url: service.url, token: token)
        let pass = ["PALABRE_PASSPHRASE": "le fleuve à Gao"]
        defer { _ = try? c.run(["lock"]) }

        func files() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: box.dir.path).filter { $0.hasPrefix("c.sqlite") }
        }
        /// Every file the test's folder holds, the laptop's and the service's (which keeps only a hash of the token).
        func leaked(_ secret: String) throws -> [String] {
            let all = FileManager.default.enumerator(atPath: box.dir.path)?.compactMap { $0 as? String } ?? []
            return all.filter { name in
                let data = (try? Data(contentsOf: box.dir.appendingPathComponent(name))) ?? Data()
                return data.range(of: Data(secret.utf8)) != nil
            }
        }
        #expect(try leaked(token).contains("c.sqlite") || (try leaked(token)).contains("c.sqlite-wal"), "the check sees it in plain before")
        let protect = try c.run(["protect"], environment: pass)
        #expect(protect.status == 0 && protect.stdout.contains("store protected"), "\(protect)")
        let present = try files()
        #expect(try leaked(token).isEmpty, "sealed in every file: \(present)")
        for f in try files() {
            let mode = try FileManager.default.attributesOfItem(atPath: box.path(f))[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(f): \(String(mode ?? 0, radix: 8))")
        }

        #expect(try c.run(["lock"]).status == 0)
        let session = try c.add("session", ["title": "Vestibule", "date": "2026-11-02", "region": "gao", "locality": "Bara", "format": "women"])
        let locked = try c.run(["sync"])
        #expect(locked.status == 77 && locked.stderr.contains("palabre unlock"), "\(locked)")
        #expect(try service.records(token: coordinator).isEmpty, "nothing sent while locked")
        let remote = try c.run(["remote"])
        #expect(remote.status == 0 && remote.stdout.contains(service.url) && remote.stdout.contains("sealed"), "\(remote)")
        let wrong = try c.run(["unlock"], environment: ["PALABRE_PASSPHRASE": "le fleuve à Mopti"])
        #expect(wrong.status == 77 && wrong.stderr.contains("wrong passphrase"), "\(wrong)")
        let unlock = try c.run(["unlock"], environment: pass)
        #expect(unlock.status == 0 && unlock.stdout.contains("unlocked until"), "\(unlock)")
        #expect(try c.run(["sync"]).status == 0)
        #expect(try service.records(token: coordinator).contains { $0["id"] as? String == session })
        #expect(try leaked(token).isEmpty, "a sync leaves no plain token behind")

        let wipe = try c.run(["wipe", "--yes"])
        #expect(wipe.status == 0 && wipe.stdout.contains("key destroyed"), "\(wipe)")
        #expect(try c.run(["unlock"], environment: pass).status != 0, "the passphrase opens nothing any more")
        let after = try c.run(["sync"])
        #expect(after.status == 77 && after.stderr.contains("palabre wipe"), "\(after)")
        let list = try c.run(["list", "session", "--json"])
        #expect(list.status == 0 && list.stdout.contains(session), "the rest stays: \(list)")
        #expect(try leaked(token).isEmpty)
    }

    /// Names captured on one laptop and received by a protected one: in none of the protected laptop's files (its store,
    /// WAL, shared memory, exports, temporary files), before or after unlocking, nor after a wipe; readable unlocked; and
    /// a sync after the wipe brings them back, sealed with the new key.
    @Test func namesAreInNoFileOfAProtectedLaptopBeforeOrAfterUnlockingNorAfterAWipe() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let service = try Service(box)
        defer { service.stop() }
        try service.createProject("p")
        let ta = try service.enroll("laptop-a", role: "facilitator", project: "p")
        let tb = try service.enroll("laptop-b", role: "facilitator", project: "p")
        let coordinator = try service.enroll("coordinator", role: "coordinator", project: "p")
        try service.start()
        let a = Laptop(box, "a")
        let b = Laptop(box, "b")
        try a.setUp(project: "p", url: service.url, token: ta)
        try b.setUp(project: "p", url: service.url, token: tb)
        let tmp = box.path("b-tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let pass = ["PALABRE_PASSPHRASE": "le fleuve à Gao", "TMPDIR": tmp]
        defer { _ = try? b.run(["lock"]) }
        let names = ["Aminata Touré", "Hamadoun Dicko", "Kadidia Maïga"]
        let phone = "+223 76 54 32 10"
        func participant(_ on: Laptop, _ session: String, _ name: String, phone: String? = nil) throws -> String {
            var sets = [
                "session": session, "consent": "yes", "name": name, "sex": "female", "age_band": "25_35", "role": "women_group",
            ]
            if let phone { sets["phone"] = phone }
            return try on.add("participant", sets)
        }
        /// What of laptop b's files (store and its companions, exports, temporary files) holds a name or the number.
        func leaked() throws -> [String] {
            let all = FileManager.default.enumerator(atPath: box.dir.path)?.compactMap { $0 as? String } ?? []
            return all.filter { $0.hasPrefix("b") }.filter { name in
                let data = (try? Data(contentsOf: box.dir.appendingPathComponent(name))) ?? Data()
                return (names + [phone]).contains { data.range(of: Data($0.utf8)) != nil }
            }
        }
        let session = try a.addSession("Vestibule de la paix")
        let p0 = try participant(a, session, names[0], phone: phone)
        try a.syncOK()
        // b co-facilitates a's session: the coordinator lets it hold that session's names (need to know).
        let assign = try service.admin(["assign", session, "--project", "p", "--to", "laptop-b", "--by", "coordinator"])
        #expect(assign.status == 0, "\(assign)")

        #expect(try b.run(["protect"], environment: pass).status == 0)
        #expect(try b.run(["sync"], environment: pass).status == 0)
        let shown = try b.run(["show", p0], environment: pass)
        #expect(shown.status == 0 && shown.stdout.contains(names[0]) && shown.stdout.contains(phone), "unlocked: \(shown)")
        #expect(try b.run(["lock"]).status == 0)
        let p1 = try participant(b, session, names[1])
        let lockedShow = try b.run(["show", p0], environment: ["TMPDIR": tmp])
        #expect(lockedShow.status == 0 && !lockedShow.stdout.contains(names[0]) && lockedShow.stdout.contains("🔒"), "\(lockedShow)")
        #expect(lockedShow.stdout.contains("25_35") || lockedShow.stdout.contains("25"), "the rest stays readable: \(lockedShow)")
        let export = try b.run(["export", "--format", "csv", "--out", box.path("b-export")], environment: ["TMPDIR": tmp])
        #expect(export.status == 0, "\(export)")
        #expect(try leaked().isEmpty, "locked")
        let namesOut = try b.run(["export", "--format", "csv", "--out", box.path("b-named"), "--include-names"])
        #expect(namesOut.status == 77 && namesOut.stderr.contains("palabre unlock"), "\(namesOut)")

        #expect(try b.run(["unlock"], environment: pass).status == 0)
        #expect(try b.run(["sync"], environment: pass).status == 0)
        #expect(try leaked().isEmpty, "unlocked, after a sync")
        // Names exported on request, unlocked, are in that file (which the check sees), and only there.
        let named = try b.run(["export", "--format", "csv", "--out", box.path("b-named"), "--include-names"], environment: pass)
        #expect(named.status == 0, "\(named)")
        #expect(try leaked() == ["b-named/participant.csv"])
        try FileManager.default.removeItem(atPath: box.path("b-named"))
        #expect(try service.records(token: coordinator).contains { ($0["values"] as? [String: Any])?["name"] as? String == names[1] })

        #expect(try b.run(["wipe", "--yes"], environment: ["TMPDIR": tmp]).status == 0)
        #expect(try leaked().isEmpty, "wiped")
        let count = try b.run(["list", "participant", "--json"], environment: ["TMPDIR": tmp])
        #expect(count.stdout.contains(p0) && count.stdout.contains(p1), "counts stay: \(count)")
        // A new passphrase and token, then one sync: the names this laptop may hold are back, sealed again.
        #expect(try b.run(["protect"], environment: pass).status == 0)
        let again = try service.enroll("laptop-b2", role: "facilitator", project: "p")
        #expect(try service.admin(["assign", session, "--project", "p", "--to", "laptop-b2", "--by", "coordinator"]).status == 0)
        #expect(try b.run(["remote", "set", service.url, "--token", again], environment: pass).status == 0)
        let resync = try b.run(["sync"], environment: pass)
        #expect(resync.status == 0, "\(resync)")
        let back = try b.run(["show", p0], environment: pass)
        #expect(back.stdout.contains(names[0]) && back.stdout.contains(phone), "\(back)")
        let mine = try b.run(["show", p1], environment: pass)
        #expect(mine.stdout.contains(names[1]), "its own capture, pulled back: \(mine)")
        #expect(try leaked().isEmpty, "restored names are sealed")
    }

    /// Need to know: a laptop receives names and phone numbers only of its own people and of sessions assigned to it;
    /// of the others, the rest, so counts still add up.
    @Test func thePseudonymSecretMovesOutOfTheDatabaseIntoAKeyFileAndPseudonymsStayTheSame() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let plain = try Service(box, name: "plain")
        defer { plain.stop() }
        try plain.createProject("p")
        let ta = try plain.enroll("laptop-a", role: "facilitator", project: "p")
        let analyst = try plain.enroll("analyste", role: "analyst", project: "p")
        try plain.start()
        let a = Laptop(box, "a")
        try a.setUp(project: "p", url: plain.url, token: ta)
        let s = try a.addSession("Vestibule de Bara")
        _ = try a.add(
            "participant",
            ["session": s, "consent": "yes", "name": "Aminata Touré", "sex": "female", "age_band": "25_35", "role": "women_group"])
        try a.syncOK()
        let path = "/v1/export?format=jsonl&form=participant"
        let before = try plain.http("GET", path, token: analyst)
        #expect(before.status == 200 && before.body.contains("anon-") && !before.body.contains("Aminata"), "\(before)")
        plain.stop()

        let key = box.path("pseudonym.key")
        let keyed = try Service(box, serveOptions: ["--pseudonym-key-file", key], name: "keyed")
        defer { keyed.stop() }
        try keyed.start()
        let after = try keyed.http("GET", path, token: analyst)
        #expect(after.status == 200 && after.body == before.body, "the same pseudonyms from the secret in its file: \(after)")
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let hex = try String(contentsOfFile: key, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hex.count == 64 && hex.allSatisfy(\.isHexDigit))
        keyed.stop()
        for f in try FileManager.default.contentsOfDirectory(atPath: box.dir.path) where f.hasPrefix("central.sqlite") {
            let data = try Data(contentsOf: box.dir.appendingPathComponent(f))
            #expect(data.range(of: Data(hex.utf8)) == nil, "\(f) still holds the pseudonym secret")
        }

        // A key file others can read stops the service before it answers anyone.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let exposed = try Service(box, serveOptions: ["--pseudonym-key-file", key], name: "exposed")
        defer { exposed.stop() }
        do {
            try exposed.start()
            Issue.record("a service with a key file readable by others started")
        } catch {
            #expect("\(error)".contains("chmod 600 \(key)"), "\(error)")
        }
    }

    @Test func aLaptopReceivesNamesOnlyOfItsOwnPeopleAndOfSessionsAssignedToIt() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let service = try Service(box)
        defer { service.stop() }
        try service.createProject("p")
        let ta = try service.enroll("laptop-a", role: "facilitator", project: "p")
        let tc = try service.enroll("laptop-c", role: "facilitator", project: "p")
        let coordinator = try service.enroll("coordinator", role: "coordinator", project: "p")
        try service.start()
        let a = Laptop(box, "a")
        let c = Laptop(box, "c")
        try a.setUp(project: "p", url: service.url, token: ta)
        try c.setUp(project: "p", url: service.url, token: tc)
        let first = try a.addSession("Vestibule de Bara")
        let second = try a.addSession("Espace des femmes")
        func person(_ on: Laptop, _ session: String, _ name: String) throws -> String {
            try on.add(
                "participant",
                [
                    "session": session, "consent": "yes", "name": name, "phone": "+223 76 00 00 0\(name.count % 10)", "sex": "female",
                    "age_band": "25_35", "role": "women_group",
                ])
        }
        let p1 = try person(a, first, "Aminata Touré")
        let p2 = try person(a, second, "Kadidia Maïga")
        try a.syncOK()
        #expect(try service.admin(["assign", first, "--project", "p", "--to", "laptop-c", "--by", "coordinator"]).status == 0)
        try c.syncOK()
        let own = try person(c, second, "Oumou Sangaré")
        try c.syncOK()
        let assigned = try c.run(["show", p1])
        #expect(assigned.stdout.contains("Aminata Touré") && assigned.stdout.contains("+223"), "assigned session: \(assigned.stdout)")
        let other = try c.run(["show", p2])
        #expect(other.status == 0 && !other.stdout.contains("Kadidia") && !other.stdout.contains("+223"), "\(other.stdout)")
        #expect(other.stdout.contains("25"), "the rest arrives: \(other.stdout)")
        #expect(try c.run(["show", own]).stdout.contains("Oumou Sangaré"), "its own people")
        let listed = try c.run(["list", "participant", "--json"])
        #expect([p1, p2, own].allSatisfy(listed.stdout.contains), "every participant counted: \(listed.stdout)")
        let stores = try FileManager.default.contentsOfDirectory(atPath: box.dir.path).filter { $0.hasPrefix("c.sqlite") }
        for f in stores {
            let data = try Data(contentsOf: box.dir.appendingPathComponent(f))
            #expect(data.range(of: Data("Kadidia".utf8)) == nil, "\(f) holds a name it has no need to know")
        }
        // The coordinator, and the service, still hold every name.
        #expect(try service.records(token: coordinator).contains { ($0["values"] as? [String: Any])?["name"] as? String == "Kadidia Maïga" })
        // Assigning a device of another project, or a record that is not there, is refused by name.
        let bad = try service.admin(["assign", first, "--project", "p", "--to", "nobody", "--by", "coordinator"])
        #expect(bad.status != 0 && bad.stderr.contains("nobody"), "\(bad)")
    }
}
