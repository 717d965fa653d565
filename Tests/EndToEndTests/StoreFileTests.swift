import Foundation
import Testing

/// The store file itself: only `init` creates one, a folder or a typo is refused, reading never writes, two processes
/// share a store without failing, and stores and exports are readable by their owner only.
@Suite struct StoreFileTests {
    // MARK: - Only init creates a store

    @Test func aStoreOptionNamingAFolderIsRefusedWithASentenceNotACrash() throws {
        let box = try Sandbox()
        defer { box.remove() }
        for args in [["list"], ["add", "session", "--set", "title=x"], ["init"]] {
            let r = try box.palabre(args, store: box.dir.path)
            #expect(r.status == 74 && !r.signalled, "\(args): \(r)")
            #expect(r.stderr.contains("is a folder"), "\(args): \(r)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("backtrace") && !r.stderr.contains("Crash"), "\(r)")
        }
    }

    @Test func aMistypedStoreIsRefusedWithHowToCreateItAndNothingIsCreated() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let typo = box.path("stroe/sub/store.sqlite")
        let csv = try box.write("p.csv", "title,date,region,locality,format\nA,2026-09-08,gao,Bara,youth\n")
        let commands: [[String]] = [
            ["list"], ["list", "--json"], ["show", "01a23bfb-caa9-7465-8961-9099e9ed6fa3"], ["add", "session", "--set", "title=x"],
            ["edit", "01a23bfb-caa9-7465-8961-9099e9ed6fa3", "--set", "title=x"], ["delete", "01a23bfb-caa9-7465-8961-9099e9ed6fa3"],
            ["import", csv, "--form", "session"], ["export", "--format", "jsonl", "--out", box.path("out.jsonl")],
            ["indicators"], ["remote", "set", "http://127.0.0.1:9", "--token", "plb_x"], ["remote"], ["sync"], ["conflicts"],
        ]
        for args in commands {
            let r = try box.palabre(args, store: typo)
            #expect(r.status == 66, "\(args): \(r)")
            #expect(r.stderr.contains("there is no store at \(typo)") && r.stderr.contains("palabre init --store \(typo)"), "\(args): \(r)")
        }
        let fr = try box.palabre(["list"], lang: "fr", store: typo)
        #expect(
            fr.status == 66 && fr.stderr.contains("il n'y a pas de base de données") && fr.stderr.contains("créez-la avec « palabre init"), "\(fr)")
        #expect(!FileManager.default.fileExists(atPath: box.path("stroe")), "a refused command created the folder")
        #expect(!FileManager.default.fileExists(atPath: box.path("out.jsonl")))

        // An empty file (touch) is no store either, and is left as it is.
        let empty = try box.write("empty.sqlite", "")
        let e = try box.palabre(["add", "session", "--set", "title=x"], store: empty)
        #expect(e.status == 66, "\(e)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: empty)).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: empty + "-wal"))

        // init creates it, folders included; then the same commands work.
        let made = try box.palabre(["init", "--project", "vestibules-gao"], store: typo)
        #expect(made.status == 0 && FileManager.default.fileExists(atPath: typo), "\(made)")
        let listed = try box.palabre(["list"], store: typo)
        #expect(listed.status == 0, "\(listed)")
    }

    @Test func theDefaultStoreIsNotCreatedByAnyCommandButInit() throws {
        let box = try Sandbox(initialised: false)
        defer { box.remove() }
        // No --store: the default under XDG_DATA_HOME (the sandbox, see E2E.environment).
        let r = try E2E.run(box.binary, ["list", "--forms", E2E.formsDir, "--lang", "en"], in: box.dir)
        #expect(r.status == 66, "\(r)")
        #expect(r.stderr.contains("palabre init --project PROJECT"), "without --store the advice has none: \(r)")
        #expect(!FileManager.default.fileExists(atPath: box.path("palabre")), "the default store's folder was created")
        let i = try E2E.run(box.binary, ["init", "--project", "p"], in: box.dir)
        #expect(i.status == 0, "\(i)")
        #expect(FileManager.default.fileExists(atPath: box.path("palabre/store.sqlite")))
    }

    // MARK: - Reading never writes

    /// `PRAGMA schema_version` and the file's bytes (WAL included) before and after reading commands.
    @Test func readingCommandsLeaveTheStoreUnchanged() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession()
        let sqlite = try E2E.tool("sqlite3")
        func cookie() throws -> String {
            try E2E.run(sqlite, [box.store, "PRAGMA schema_version"], in: box.dir).stdout
        }
        let before = try cookie()
        for args in [
            ["list"], ["list", "--json"], ["show", id, "--history"], ["indicators", "--json"], ["conflicts"],
            ["export", "--format", "jsonl", "--out", box.path("e.jsonl")],
        ] {
            let r = try box.palabre(args)
            #expect(r.status == 0, "\(args): \(r)")
        }
        #expect(try cookie() == before, "a reading command changed the schema")
    }

    /// `setpriv` to nobody when the tests run as root (root ignores file modes); the command as is otherwise.
    func asOtherUser(_ box: Sandbox, _ args: [String]) throws -> RunResult {
        let argv = args + ["--store", box.store, "--forms", E2E.formsDir, "--lang", "en"]
        if geteuid() == 0 {
            return try E2E.run(try E2E.tool("setpriv"), ["--reuid=65534", "--regid=65534", "--clear-groups", box.binary] + argv, in: box.dir)
        }
        return try E2E.run(box.binary, argv, in: box.dir)
    }

    @Test func aReadOnlyStoreCanBeListedShownAndExported() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession()
        let fm = FileManager.default
        // Readable by all, writable by none; the folder writable (SQLite may make its -shm there) then not.
        for p in [box.store, box.store + "-wal", box.store + "-shm"] where fm.fileExists(atPath: p) {
            try fm.setAttributes([.posixPermissions: 0o444], ofItemAtPath: p)
        }
        try fm.setAttributes([.posixPermissions: 0o777], ofItemAtPath: box.dir.path)
        defer { try? fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: box.dir.path) }
        let listed = try asOtherUser(box, ["list", "--json"])
        #expect(listed.status == 0 && listed.stdout.contains(id), "read-only file: \(listed)")
        for p in [box.store + "-wal", box.store + "-shm"] { try? fm.removeItem(atPath: p) }
        try fm.setAttributes([.posixPermissions: 0o555], ofItemAtPath: box.dir.path)
        let shown = try asOtherUser(box, ["show", id])
        #expect(shown.status == 0 && shown.stdout.contains("Vestibule"), "read-only folder: \(shown)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-ro-\(UUID().uuidString).jsonl").path
        defer { try? fm.removeItem(atPath: out) }
        let exported = try asOtherUser(box, ["export", "--format", "jsonl", "--out", out])
        #expect(exported.status == 0, "\(exported)")
        // Writing is refused with a sentence, not a crash.
        let add = try asOtherUser(
            box,
            [
                "add", "session", "--set", "title=x", "--set", "date=2026-09-08", "--set", "region=gao",
                "--set", "locality=Bara", "--set", "format=youth",
            ])
        #expect(add.status == 74 && add.stderr.contains("readonly"), "\(add)")
    }

    // MARK: - Two processes on one store

    final class Outcomes: @unchecked Sendable {
        let lock = NSLock()
        var failures: [String] = []
        var ids: [String] = []
        func record(_ r: RunResult) {
            lock.lock()
            defer { lock.unlock() }
            let out = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if r.status == 0 && E2E.isRecordID(out) { ids.append(out) } else { failures.append(r.description) }
        }
    }

    @Test func twoProcessesAddingAtOnceNeverFailAndEveryRecordIsThere() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let outcomes = Outcomes()
        let perLoop = 40
        let binary = box.binary, store = box.store, dir = box.dir
        DispatchQueue.concurrentPerform(iterations: 3) { loop in
            for n in 0..<perLoop {
                if loop == 2 {
                    // A third process reads all along (list opens, reads and closes: checkpoints at close).
                    _ = try? E2E.run(binary, ["list", "--json", "--store", store, "--forms", E2E.formsDir], in: dir)
                    continue
                }
                let args = [
                    "add", "session", "--set", "title=Boucle \(loop) n° \(n)", "--set", "date=2026-09-08", "--set", "region=gao",
                    "--set", "locality=Bara", "--set", "format=youth", "--store", store, "--forms", E2E.formsDir, "--lang", "en",
                ]
                do { outcomes.record(try E2E.run(binary, args, in: dir, timeout: 60)) } catch {
                    outcomes.lock.lock()
                    outcomes.failures.append("\(error)")
                    outcomes.lock.unlock()
                }
            }
        }
        #expect(outcomes.failures.isEmpty, "\(outcomes.failures.count) add(s) failed, first: \(outcomes.failures.first ?? "")")
        let listed = try box.list("session")
        #expect(listed.count == 2 * perLoop)
        #expect(Set(ids(listed)) == Set(outcomes.ids))
    }

    // MARK: - File modes

    func mode(_ path: String) throws -> Int {
        ((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
    }

    @Test func storesAndExportsAreReadableByTheirOwnerOnly() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let store = box.path("new/folder/store.sqlite")
        #expect(try box.palabre(["init", "--project", "p"], store: store).status == 0)
        _ = try box.palabre(
            [
                "add", "session", "--set", "title=A", "--set", "date=2026-09-08", "--set", "region=gao",
                "--set", "locality=Bara", "--set", "format=youth",
            ], store: store)
        let storeMode = try mode(store)
        #expect(storeMode == 0o600, "\(String(storeMode, radix: 8))")
        #expect(try mode(box.path("new/folder")) == 0o700)
        #expect(try mode(box.path("new")) == 0o700)
        // (The -wal and -shm files, which exist only while a process has the store open, are checked by the store tests.)
        #expect(try box.palabre(["export", "--format", "csv", "--out", box.path("csv/inner")], store: store).status == 0)
        #expect(try mode(box.path("csv")) == 0o700 && mode(box.path("csv/inner")) == 0o700)
        #expect(try mode(box.path("csv/inner/session.csv")) == 0o600)
        #expect(try box.palabre(["export", "--format", "jsonl", "--out", box.path("e.jsonl")], store: store).status == 0)
        #expect(try mode(box.path("e.jsonl")) == 0o600)
        #expect(try box.palabre(["export", "--format", "sqlite", "--out", box.path("e.sqlite")], store: store).status == 0)
        #expect(try mode(box.path("e.sqlite")) == 0o600)
    }
}
