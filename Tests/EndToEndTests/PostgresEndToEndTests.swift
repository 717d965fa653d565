import Foundation
import Testing

/// The real binaries on PostgreSQL (when `PALABRE_TEST_POSTGRES` holds a URL; `.ci/run` sets it): two service
/// processes on one database, and a SQLite service moved to PostgreSQL with `palabre-server copy`.
@Suite("PostgreSQL end to end", .serialized, .enabled(if: TestDatabase.baseURL != nil, "needs PALABRE_TEST_POSTGRES"))
struct PostgresEndToEnd {
    static func freshURL() throws -> String { try TestDatabase.freshURL() }

    @Test func twoServiceProcessesOnOneDatabaseServeLaptopsSyncingThroughEither() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let url = try Self.freshURL()
        let one = try Service(box, database: url, name: "one")
        let two = try Service(box, database: url, name: "two")
        try one.createProject("p")
        let tokenA = try one.enroll("laptop-a", role: "facilitator", project: "p")
        let tokenB = try two.enroll("laptop-b", role: "facilitator", project: "p")
        let coordinator = try two.enroll("coordinator", role: "coordinator", project: "p")
        try one.start()
        defer { one.stop() }
        try two.start()
        defer { two.stop() }
        let a = Laptop(box, "a"), b = Laptop(box, "b")
        try a.setUp(project: "p", url: one.url, token: tokenA)
        try b.setUp(project: "p", url: two.url, token: tokenB)

        let s = try a.add(
            "session",
            [
                "title": "Vestibule de la paix à Bara", "date": "2026-11-02", "region": "gao", "locality": "Bara",
                "format": "intergenerational",
            ])
        _ = try a.add("participant", ["session": s, "consent": "yes", "name": "Hawa Maïga", "sex": "female", "age_band": "18_24", "role": "youth"])
        _ = try b.addSession("Espace de dialogue à Ansongo")
        // b co-facilitates a's session, so it may hold Hawa's name (need to know): assigned through the other process.
        try a.syncOK()
        let assign = try two.admin(["assign", s, "--project", "p", "--to", "laptop-b", "--by", "coordinator"])
        #expect(assign.status == 0, "\(assign)")
        for laptop in [b, a] { try laptop.syncOK() }
        let edit = try b.run(["edit", s, "--set", "title=Vestibule de la paix à Bara (corrigé)"])
        #expect(edit.status == 0, "\(edit)")
        for laptop in [b, a] { try laptop.syncOK() }

        let onA = contents(try a.list()), onB = contents(try b.list())
        #expect(onA.count == 3 && onA == onB, "both laptops hold the same three records")
        #expect(contents(try one.records(token: coordinator)) == onA, "instance one serves what the laptops hold")
        #expect(contents(try two.records(token: coordinator)) == onA, "instance two serves the same")
        #expect(try a.show(s)["values"].map { E2E.canonical($0) }?.contains("corrigé") == true)

        // Revoked through one process's administration, refused at once by the other running service.
        let revoked = try one.admin(["revoke", "laptop-b"])
        #expect(revoked.status == 0, "\(revoked)")
        let refused = try b.sync()
        #expect(refused.status == 77, "refused as unauthorised (exit 77): \(refused)")
    }

    @Test func copyMovesASQLiteServiceToPostgreSQLAndLaptopsCarryOnWithTheirCursors() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let sqlite = try Service(box, name: "sqlite")
        try sqlite.createProject("p")
        #expect(try sqlite.admin(["project", "retention", "p", "--days", "30", "--by", "coordinator"]).status == 0)
        let tokenA = try sqlite.enroll("laptop-a", role: "facilitator", project: "p")
        let tokenB = try sqlite.enroll("laptop-b", role: "facilitator", project: "p")
        try sqlite.start()
        let a = Laptop(box, "a"), b = Laptop(box, "b")
        try a.setUp(project: "p", url: sqlite.url, token: tokenA)
        try b.setUp(project: "p", url: sqlite.url, token: tokenB)
        let s1 = try a.addSession("Vestibule de la paix à Bara")
        _ = try a.addSession("Espace de dialogue des femmes")
        try a.syncOK()
        #expect((try b.syncOK()["received"] as? NSNumber)?.intValue == 2)
        // A sweep notes when the records arrived (what starts their period): that moves too.
        #expect(try sqlite.admin(["erase", "--expired", "--dry-run"]).stdout.contains("p: 0 record(s) due"))
        let port = sqlite.port
        sqlite.stop()

        let url = try Self.freshURL()
        let copy = try E2E.run(try E2E.serverBinary(), ["copy", "--from", sqlite.database, "--to", url], in: box.dir)
        #expect(copy.status == 0, "\(copy)")
        #expect(copy.stdout.contains("changes\t2") && copy.stdout.contains("devices\t2"), "\(copy)")
        #expect(copy.stdout.contains("retention_seen\t2"), "\(copy)")
        let again = try E2E.run(try E2E.serverBinary(), ["copy", "--from", sqlite.database, "--to", url], in: box.dir)
        #expect(again.status == 65 && again.stderr.contains("empty"), "a second copy is refused: \(again)")
        let kept = try E2E.run(try E2E.serverBinary(), ["project", "retention", "p", "--database", url], in: box.dir)
        #expect(kept.stdout.contains("30 days") && kept.stdout.contains("by coordinator"), "the retention period moves too: \(kept)")

        // The PostgreSQL service takes the old one's address: the laptops change nothing.
        let postgres = try Service(box, database: url, name: "postgres")
        try postgres.start(port: port)
        defer { postgres.stop() }
        let edit = try b.run(["edit", s1, "--set", "title=Vestibule de la paix à Bara, 2e séance"])
        #expect(edit.status == 0, "\(edit)")
        #expect((try b.syncOK()["sent"] as? NSNumber)?.intValue == 1, "the old token still works")
        let summary = try a.syncOK()
        #expect((summary["received"] as? NSNumber)?.intValue == 1, "only the new change: the cursor stayed valid \(summary)")
        #expect(contents(try a.list()) == contents(try b.list()))
        let fresh = Laptop(box, "c")
        try fresh.setUp(project: "p", url: postgres.url, token: try postgres.enroll("laptop-c", role: "facilitator", project: "p"))
        #expect((try fresh.syncOK()["received"] as? NSNumber)?.intValue == 3, "a new laptop gets everything, moved or new")
    }
}

/// The PostgreSQL database the tests may use.
enum TestDatabase {
    static let baseURL: String? = ProcessInfo.processInfo.environment["PALABRE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    /// The test database with a schema of its own, made by the service on first use.
    static func freshURL() throws -> String {
        guard let base = baseURL else { throw HarnessError("PALABRE_TEST_POSTGRES is not set") }
        let schema = "e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return base + (base.contains("?") ? "&" : "?") + "search_path=" + schema
    }
}

/// What an administrator sees when the PostgreSQL URL is wrong or the server is not there (no database needed).
@Suite("PostgreSQL URL and reachability")
struct PostgresReachability {
    @Test func anUnreachableServerExits69NamingItWithoutThePassword() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let port = try E2E.freePort()  // nobody listens there
        let r = try E2E.run(
            try E2E.serverBinary(), ["project", "list", "--database", "postgres://palabre:hunter2@127.0.0.1:\(port)/palabre"],
            in: box.dir, timeout: 60)
        #expect(r.status == 69, "\(r)")
        #expect(r.stderr.contains("127.0.0.1:\(port)") && r.stderr.contains("PostgreSQL"), "\(r)")
        #expect(!r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"), "the password must not be shown: \(r)")
    }

    /// The service runs PostgreSQL's pools as one of its application's services and waits for the database before it
    /// listens: a database that is not there stops it with 69, not a service listening on nothing.
    @Test func theServiceExits69WhenItsDatabaseIsUnreachable() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let port = try E2E.freePort()
        let r = try E2E.run(
            try E2E.serverBinary(), ["serve", "--port", "0", "--database", "postgres://palabre:hunter2@127.0.0.1:\(port)/palabre"],
            in: box.dir, timeout: 60)
        #expect(r.status == 69, "\(r)")
        #expect(r.stderr.contains("127.0.0.1:\(port)") && !r.stderr.contains("hunter2"), "\(r)")
        #expect(!r.stderr.contains("listening"), "it must not listen without its database: \(r)")
    }

    @Test func aMalformedURLParameterIsAUsageErrorNamingIt() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try E2E.run(
            try E2E.serverBinary(), ["project", "list", "--database", "postgres://u:p@127.0.0.1/db?sslmode=sometimes"],
            in: box.dir)
        #expect(r.status == 64, "\(r)")
        #expect(r.stderr.contains("sslmode") && r.stderr.contains("sometimes"), "\(r)")
        let schema = try E2E.run(
            try E2E.serverBinary(), ["project", "list", "--database", "postgres://u:p@127.0.0.1/db?search_path=a;drop"],
            in: box.dir)
        #expect(schema.status == 64 && schema.stderr.contains("search_path"), "\(schema)")
    }
}
