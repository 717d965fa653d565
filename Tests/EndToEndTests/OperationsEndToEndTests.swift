import Foundation
import Testing

/// Running the service for years: `palabre-server backup` and `doctor`, with the real binaries.
@Suite("Operations")
struct OperationsEndToEndTests {
    /// A backup taken while laptops push is one consistent database: it passes SQLite's checks and `doctor`, and a
    /// service started on it answers a laptop with everything pushed before the backup began.
    @Test func aBackupTakenWhileLaptopsPushIsAWholeDatabaseAServiceCanRunOn() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let service = try Service(box)
        defer { service.stop() }
        try service.createProject("p")
        let tokens = try ["a", "b", "c"].map { try service.enroll("laptop-\($0)", role: "facilitator", project: "p") }
        try service.start()
        let a = Laptop(box, "a"), b = Laptop(box, "b")
        try a.setUp(project: "p", url: service.url, token: tokens[0])
        try b.setUp(project: "p", url: service.url, token: tokens[1])
        let data = box.path("g.jsonl")
        #expect(try a.run(["generate", "--records", "400", "--out", data]).status == 0)
        #expect(try a.run(["import", data]).status == 0)
        let session = try a.addSession("Vestibule de la paix")
        let named = try a.add(
            "participant",
            ["session": session, "consent": "yes", "name": "Hawa Sauvegardée", "sex": "female", "age_band": "18_24", "role": "youth"])
        try a.syncOK()
        let before = try service.count("SELECT count(*) FROM records")
        #expect(before >= 400)
        // Laptop b pushes its own records while the backup runs.
        #expect(try b.run(["generate", "--records", "400", "--out", box.path("h.jsonl")]).status == 0)
        #expect(try b.run(["import", box.path("h.jsonl")]).status == 0)
        let pushing = try b.start(["sync"], tag: "b-sync")
        let copy = box.path("backup.sqlite")
        let backup = try service.admin(["backup", "--to", copy])
        #expect(backup.status == 0 && backup.stdout.contains("integrity ok"), "\(backup)")
        #expect(pushing.finish(timeout: 120).status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600, "a backup holds names: its owner's only")
        #expect(!FileManager.default.fileExists(atPath: copy + "-wal"), "one file, no log beside it")
        let again = try service.admin(["backup", "--to", copy])
        #expect(again.status == 65 && again.stderr.contains("never overwrites"), "\(again)")
        let doctor = try E2E.run(service.binary, ["doctor", "--database", copy], in: box.dir)
        #expect(doctor.status == 0 && doctor.stdout.contains("✓ database") && doctor.stdout.contains("integrity ok"), "\(doctor)")

        // A service on the copy: laptop c, enrolled before the backup, pulls at least what a had pushed.
        let restored = try Service(box, database: "backup.sqlite", name: "restored")
        defer { restored.stop() }
        try restored.start()
        let c = Laptop(box, "c")
        try c.setUp(project: "p", url: restored.url, token: tokens[2])
        let pulled = try c.syncOK()
        #expect((pulled["received"] as? NSNumber)?.intValue ?? 0 >= before, "\(pulled)")
        restored.stop()

        // The backup put back with `restore` (the service stopped): its change log has a new identity, so at their next
        // plain sync the laptops send everything again (b's session pushed after the backup comes back) and receive
        // everything again; nothing is applied twice.
        let late = try b.addSession("Après la sauvegarde")
        try b.syncOK()
        // A person asks to be forgotten after the backup was made: a restore must not bring the name back.
        #expect(try service.admin(["erase", named, "--project", "p", "--by", "coordination"]).status == 0)
        let all = try service.count("SELECT count(*) FROM records")
        service.stop()
        let refused = try service.admin(["restore", "--from", copy])
        #expect(refused.status == 65 && refused.stderr.contains("--replace"), "an existing database is not replaced unasked: \(refused)")
        let restore = try service.admin(["restore", "--from", copy, "--replace"])
        #expect(restore.status == 0 && restore.stdout.contains("kept as"), "\(restore)")
        #expect(restore.stdout.contains("1 erasure(s) made after the backup were made again"), "\(restore)")
        #expect(try service.count("SELECT count(*) FROM records WHERE id = '\(named)' AND instr(vals, 'Hawa') > 0") == 0)
        let kept = try FileManager.default.contentsOfDirectory(atPath: box.dir.path).filter { $0.contains(".before-restore-") }
        #expect(!kept.isEmpty, "the database that was there is kept: \(kept)")
        try service.restart()
        #expect(try service.count("SELECT count(*) FROM records WHERE id = '\(late)'") == 0, "the backup does not have it")
        let resent = try b.syncOK()
        #expect(resent["service_restored"] as? Bool == true, "\(resent)")
        #expect(try service.count("SELECT count(*) FROM records WHERE id = '\(late)'") == 1, "b sent it again by itself")
        #expect(try service.count("SELECT count(*) FROM records") == all, "every record is on the service again, once")
        let plain = try a.run(["sync"], timeout: 120)
        #expect(plain.status == 0 && plain.stdout.contains("restored from a backup"), "\(plain)")
        #expect(try a.list().count == all, "a holds everything again")
        #expect((try b.syncOK()["service_restored"] as? Bool) == false, "said once")
        // A database restored by other means (pg_restore, a file copied by hand) is marked so.
        service.stop()
        let marked = try service.admin(["restore", "--mark-restored"])
        #expect(marked.status == 0 && marked.stdout.contains("marked restored"), "\(marked)")
        try service.restart()
        #expect((try a.syncOK()["service_restored"] as? Bool) == true)
    }

    @Test func backupRefusesPostgreSQLAndAMissingDatabaseSayingWhatToDo() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let binary = try E2E.serverBinary()
        let pg = try E2E.run(binary, ["backup", "--to", "x.dump", "--database", "postgres://u:secret@db.example/palabre"], in: box.dir)
        #expect(pg.status == 64 && pg.stderr.contains("pg_dump --format=custom --file=x.dump") && !pg.stderr.contains("secret"), "\(pg)")
        let none = try E2E.run(binary, ["backup", "--to", "x.sqlite", "--database", "nothere.sqlite"], in: box.dir)
        #expect(none.status == 66 && none.stderr.contains("nothere.sqlite"), "\(none)")
        #expect(!FileManager.default.fileExists(atPath: box.path("x.sqlite")) && !FileManager.default.fileExists(atPath: box.path("nothere.sqlite")))
    }

    /// `doctor` says what is wrong, in words, and exits 1: a damaged database, a forms folder with a mistake, a pseudonym
    /// key file others can read, a clock that went back after a laptop was heard.
    @Test func doctorFindsWhatIsWrongAndSaysWhatToDo() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let service = try Service(box)
        defer { service.stop() }
        try service.createProject("p")
        let token = try service.enroll("laptop-a", role: "facilitator", project: "p")
        try service.start()
        let a = Laptop(box, "a")
        try a.setUp(project: "p", url: service.url, token: token)
        _ = try a.addSession("Vestibule de la paix")
        try a.syncOK()
        let healthy = try service.admin(["doctor"])
        #expect(healthy.status == 0, "\(healthy)")
        for line in ["✓ database", "✓ projects: 1, devices: 1 enrolled", "✓ published forms", "clock:", "disk:", "✓ pseudonym secret"] {
            #expect(healthy.stdout.contains(line), "\(line): \(healthy)")
        }
        // A clock an hour behind the last time a laptop was heard.
        let behind = try E2E.run(try E2E.datefudge(), ["1 hour ago", service.binary, "doctor", "--database", service.database], in: box.dir)
        #expect(behind.status == 1 && behind.stdout.contains("✗ clock") && behind.stdout.contains("went back"), "\(behind)")
        // A forms folder with a mistake, and a key file readable by others.
        let forms = box.path("forms")
        try FileManager.default.createDirectory(atPath: forms, withIntermediateDirectories: true)
        try "form: broken\nversion: 1\ntitle: x\nfields:\n  - name: a\n    type: nonsense\n".write(
            toFile: forms + "/broken.yaml", atomically: true, encoding: .utf8)
        let key = box.path("pseudonym.key")
        try String(repeating: "ab", count: 32).write(toFile: key, atomically: true, encoding: .utf8)
        chmod(key, 0o644)
        let wrong = try service.admin(["doctor", "--forms", forms, "--pseudonym-key-file", key])
        #expect(wrong.status == 1, "\(wrong)")
        #expect(wrong.stdout.contains("✗ forms folder \(forms)") && wrong.stdout.contains("would not start"), "\(wrong)")
        #expect(wrong.stdout.contains("✗ pseudonym secret") && wrong.stdout.contains("chmod 600"), "\(wrong)")
        service.stop()
        // A damaged database: a page in the middle overwritten.
        let handle = try #require(FileHandle(forWritingAtPath: service.database))
        try handle.seek(toOffset: 8192)
        handle.write(Data(repeating: 0x5A, count: 4096))
        try handle.close()
        let damaged = try service.admin(["doctor"])
        #expect(damaged.status == 1 && damaged.stdout.contains("✗ database"), "\(damaged)")
    }

    /// `GET /metrics` in Prometheus's format, to the metrics token only: requests by route and status, pushes and
    /// changes applied as the laptops' syncs made them, open connections, the database's size.
    @Test func metricsAreServedToTheMetricsTokenOnlyAndCountWhatLaptopsDid() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let secret = "m3tr1cs-" + UUID().uuidString
        let tokenFile = box.path("metrics.token")
        try (secret + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let service = try Service(box, serveOptions: ["--metrics-token-file", tokenFile])
        defer { service.stop() }
        try service.createProject("p")
        let token = try service.enroll("laptop-a", role: "facilitator", project: "p")
        try service.start()
        let a = Laptop(box, "a")
        try a.setUp(project: "p", url: service.url, token: token)
        for i in 0..<3 { _ = try a.addSession("Séance \(i)") }
        let summary = try a.syncOK()
        let sent = (summary["sent"] as? NSNumber)?.intValue ?? -1
        #expect(sent == 3, "\(summary)")

        #expect(try service.http("GET", "/metrics").status == 401)
        #expect(try service.http("GET", "/metrics", token: token).status == 401, "a device's token is not the metrics token")
        let m = try service.http("GET", "/metrics", token: secret)
        #expect(m.status == 200, "\(m)")
        func value(_ series: String) -> Double? {
            m.body.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(value("palabre_changes_applied_total") == Double(sent), "\(m.body)")
        #expect((value("palabre_pushes_total") ?? 0) >= 1 && value("palabre_conflicts_total") == 0, "\(m.body)")
        #expect(m.body.contains(#"palabre_http_requests_total{method="POST",route="/v1/sync/push",status="200"}"#), "\(m.body)")
        #expect(m.body.contains(#"palabre_http_requests_total{method="GET",route="/metrics",status="401"} 2"#), "\(m.body)")
        #expect(m.body.contains("palabre_http_request_duration_seconds_bucket"), "\(m.body)")
        #expect((value("palabre_database_bytes") ?? 0) > 10_000, "\(m.body)")
        #expect((value("palabre_open_connections") ?? 0) >= 1, "this scrape's own connection: \(m.body)")

        // Without a metrics token there is no /metrics at all.
        let plain = try Service(box, database: "other.sqlite", name: "plain")
        defer { plain.stop() }
        try plain.start()
        #expect(try plain.http("GET", "/metrics", token: secret).status == 404)
        let short = try E2E.run(
            service.binary, ["serve", "--database", box.path("x.sqlite"), "--port", "0"], in: box.dir, timeout: 20,
            environment: ["PALABRE_METRICS_TOKEN": "short"])
        #expect(short.status == 64 && short.stderr.contains("at least 16 characters"), "\(short)")
    }

    /// Sending everything again (`sync --from-start`) from a laptop whose clock is now ahead: the changes the service
    /// already had keep their stamps; only the new one is re-stamped. A colleague's later edit of an old record stays.
    @Test func startingOverWithAClockAheadReStampsOnlyWhatTheServiceNeverHad() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        let service = try Service(box)
        defer { service.stop() }
        try service.createProject("p")
        let tokens = try ["a", "b"].map { try service.enroll("laptop-\($0)", role: "facilitator", project: "p") }
        try service.start()
        let a = Laptop(box, "a"), b = Laptop(box, "b")
        try a.setUp(project: "p", url: service.url, token: tokens[0])
        try b.setUp(project: "p", url: service.url, token: tokens[1])
        let old = try a.addSession("Titre de A")
        try a.syncOK()
        try b.syncOK()
        #expect(try b.run(["edit", old, "--set", "title=Titre corrigé par B"]).status == 0)
        try b.syncOK()
        // Laptop a's clock now runs 30 minutes ahead (beyond the service's 10): its new change is refused, then re-stamped.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let ahead = formatter.string(from: Date().addingTimeInterval(30 * 60)) + " UTC"
        #expect(
            try a.run(
                at: ahead,
                [
                    "add", "session", "--set", "title=Nouvelle", "--set", "date=2026-11-02", "--set", "region=gao",
                    "--set", "locality=Bara", "--set", "format=women",
                ]
            ).status == 0)
        let again = try a.run(at: ahead, ["sync", "--from-start", "--json"], timeout: 120)
        #expect(again.status == 0, "\(again)")
        let summary = try #require(E2E.json(again.stdout) as? [String: Any], "\(again)")
        #expect((summary["restamped"] as? NSNumber)?.intValue == 1, "only the change the service never had: \(summary)")
        try b.syncOK()
        for laptop in [a, b] {
            #expect(values(try laptop.show(old))["title"] as? String == "Titre corrigé par B", "\(laptop.name): b's later edit stays")
        }
    }
}
