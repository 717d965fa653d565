import Foundation
import Testing

/// A person asks to be forgotten: erased on the service while one of three laptops, offline, is correcting that
/// person's name. Every store ends with the tombstone and without the values, in no byte of any file, with the
/// offline laptop's other edit kept.
@Suite("Erasure end to end", .serialized)
struct ErasureEndToEndTests {
    static let name = "Hawa Maïga Touré", corrected = "Hawa Maïga Cissé", phone = "+223 70 11 22 33"

    static var databases: [String] { ["central.sqlite"] + (TestDatabase.baseURL != nil ? ["postgres"] : []) }

    @Test("erasure reaches every copy", arguments: databases)
    func anErasureReachesTheServiceAndThreeLaptopsOneOfThemOfflineAndEditingThePerson(database: String) throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let service = try Service(box, database: database == "postgres" ? try TestDatabase.freshURL() : database)
        defer { service.stop() }
        try service.createProject("p")
        let coordinator = try service.enroll("coordinator", role: "coordinator", project: "p")
        let tokens = try ["a", "b", "c"].map { try service.enroll("laptop-\($0)", role: "facilitator", project: "p") }
        try service.start()
        var laptops: [Laptop] = []
        for (n, token) in zip(["a", "b", "c"], tokens) {
            laptops.append(Laptop(box, n))
            try laptops.last!.setUp(project: "p", url: service.url, token: token)
        }
        let (a, b, c) = (laptops[0], laptops[1], laptops[2])
        let session = try a.addSession("Vestibule de la paix")
        let person = try a.add(
            "participant",
            [
                "session": session, "consent": "yes", "name": Self.name, "phone": Self.phone, "sex": "female", "age_band": "18_24",
                "role": "youth",
            ])
        try a.syncOK()
        // b and c co-facilitate the session: they may hold its people's names (need to know).
        for n in ["laptop-b", "laptop-c"] {
            #expect(try service.admin(["assign", session, "--project", "p", "--to", n, "--by", "coordinator"]).status == 0)
        }
        for l in laptops { try l.syncOK() }
        #expect(try c.run(["show", person]).stdout.contains(Self.name), "every laptop holds the person before")
        let before = try holding(box)
        #expect(before.count >= 3, "the check sees the values before: \(before)")

        // Laptop c goes offline and corrects the name and the age band; meanwhile the service erases the person.
        let edit = try c.run(["edit", person, "--set", "name=\(Self.corrected)", "--set", "age_band=25_35"])
        #expect(edit.status == 0, "\(edit)")
        let erase = try service.admin(["erase", person, "--project", "p", "--by", "coordinator Gao"])
        #expect(erase.status == 0 && erase.stdout.contains("erased name, phone"), "\(erase)")
        try a.syncOK()
        try b.syncOK()
        // c comes back: its name correction is dropped everywhere, its age band kept.
        try c.syncOK()
        for l in laptops { try l.syncOK() }

        for l in laptops {
            let shown = try l.run(["show", person])
            #expect(shown.status == 0, "\(shown)")
            #expect(!shown.stdout.contains("Hawa") && !shown.stdout.contains("+223"), "\(l.name): \(shown.stdout)")
            #expect(
                shown.stdout.contains("erased for good: Full name, Phone number") && shown.stdout.contains("by coordinator Gao"), "\(shown.stdout)")
            #expect(shown.stdout.contains("25"), "the offline edit of the age band is kept: \(shown.stdout)")
            let history = try l.run(["show", person, "--history"])
            #expect(!history.stdout.contains("Hawa"), "\(l.name): \(history.stdout)")
        }
        let central = try service.records(token: coordinator).first { $0["id"] as? String == person }
        let values = try #require(central?["values"] as? [String: Any])
        #expect(values["name"] == nil && values["phone"] == nil && values["age_band"] as? String == "25_35", "\(values)")
        #expect(values["_erased"] as? [String] == ["name", "phone"], "the tombstone: \(values)")

        // No byte of any file left in the test's folder (every laptop's store and log, and the service's database when
        // it is SQLite) holds the values.
        let after = try holding(box)
        #expect(after.isEmpty, "\(after)")
        // A write of an erased field is refused by name, and the record stays editable otherwise.
        let again = try a.run(["edit", person, "--set", "name=Hawa"])
        #expect(again.status != 0 && again.stderr.contains("erased for good"), "\(again)")
        #expect(try a.run(["edit", person, "--set", "role=elder"]).status == 0)
    }

    /// Retention with the real binaries: a bad period is refused and changes nothing; names captured today (one on a
    /// laptop whose clock says 2001) are not due today; 31 days on (the admin command run under datefudge), they are
    /// erased, and the laptops receive the tombstone at their next sync.
    @Test("retention erases names after the project's period", arguments: databases)
    func retentionErasesNamesAfterTheProjectsPeriodOnTheServiceAndTheLaptops(database: String) throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let service = try Service(box, database: database == "postgres" ? try TestDatabase.freshURL() : database)
        defer { service.stop() }
        try service.createProject("p")
        let tokens = try ["a", "b"].map { try service.enroll("laptop-\($0)", role: "facilitator", project: "p") }
        for (args, code, words) in [
            (["--days", "-3", "--by", "coordinator"], Int32(64), "--days: '-3'"),
            (["--days", "30"], 64, "--by"),
            (["--days", "99999", "--by", "coordinator"], 64, "36500"),
        ] {
            let r = try service.admin(["project", "retention", "p"] + args)
            #expect(r.status == code && r.stderr.contains(words), "\(args): \(r)")
        }
        let unknown = try service.admin(["project", "retention", "nope", "--days", "30", "--by", "coordinator"])
        #expect(unknown.status == 66 && unknown.stderr.contains("nope"), "\(unknown)")
        #expect(try service.admin(["project", "retention", "p"]).stdout.contains("for ever"), "nothing was set by refused commands")
        let set = try service.admin(["project", "retention", "p", "--days", "30", "--by", "coordinator Gao"])
        #expect(set.status == 0 && set.stdout.contains("30 days"), "\(set)")
        #expect(try service.admin(["project", "list"]).stdout.contains("names kept 30 days"))
        try service.start()
        let a = Laptop(box, "a"), b = Laptop(box, "b")
        try a.setUp(project: "p", url: service.url, token: tokens[0])
        try b.setUp(project: "p", url: service.url, token: tokens[1])
        let session = try a.addSession("Vestibule de la paix")
        let person = try a.add(
            "participant",
            [
                "session": session, "consent": "yes", "name": Self.name, "phone": Self.phone, "sex": "female", "age_band": "18_24",
                "role": "youth",
            ])
        try a.syncOK()
        // Laptop b's clock battery is flat: it says 2001, and its records are stamped so.
        let own = try b.addSession("Espace des femmes", at: "2001-01-01")
        let flat = try b.add(
            "participant",
            ["session": own, "consent": "yes", "name": Self.corrected, "sex": "female", "age_band": "25_35", "role": "youth"],
            at: "2001-01-01")
        let created = try b.show(flat)["created"] as? String ?? ""
        #expect(created < "2002", "datefudge puts laptop b in 2001: \(created)")
        try b.syncOK(at: "2001-01-01")

        let today = try service.admin(["erase", "--expired", "--project", "p", "--dry-run"])
        #expect(today.status == 0 && today.stdout.contains("0 record(s) due"), "a 2001 stamp is not believed: \(today)")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let later = formatter.string(from: Date().addingTimeInterval(31 * 86_400)) + " UTC"
        let admin = { (args: [String]) in
            try E2E.run(try E2E.datefudge(), [later, service.binary] + args + ["--database", service.database], in: box.dir, timeout: 60)
        }
        let dry = try admin(["erase", "--expired", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("2 record(s) due") && dry.stdout.contains(person) && dry.stdout.contains(flat), "\(dry)")
        #expect(try a.run(["show", person]).stdout.contains(Self.name), "a dry run erases nothing")
        let swept = try admin(["erase", "--expired"])
        #expect(swept.status == 0 && swept.stdout.contains("p: 2 record(s) erased (retention 30 days)"), "\(swept)")
        #expect(try admin(["erase", "--expired"]).stdout.contains("p: 0 record(s) erased"), "nothing twice")

        // Both laptops pull the tombstones (and push nothing after: their clocks are behind the erasure's stamp).
        try a.syncOK()
        try b.syncOK(at: "2001-01-01")
        for (laptop, id) in [(a, person), (b, flat), (a, flat), (b, person)] {
            let shown = try laptop.run(["show", id])
            #expect(shown.status == 0 && shown.stdout.contains("by retention (30 days)"), "\(laptop.name) \(id): \(shown)")
            #expect(!shown.stdout.contains("Hawa"), "\(shown.stdout)")
        }
        let left = try holding(box)
        #expect(left.isEmpty, "no file keeps the names: \(left)")
    }

    /// The files of the test's folder that hold the person's name, corrected name or phone.
    func holding(_ box: Sandbox) throws -> [String] {
        let all = FileManager.default.enumerator(atPath: box.dir.path)?.compactMap { $0 as? String } ?? []
        return all.filter { name in
            let data = (try? Data(contentsOf: box.dir.appendingPathComponent(name))) ?? Data()
            return [Self.name, Self.corrected, Self.phone].contains { data.range(of: Data($0.utf8)) != nil }
        }
    }
}
