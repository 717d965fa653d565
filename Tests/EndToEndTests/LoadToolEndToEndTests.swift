import Foundation
import Testing

/// `palabre-bench load` itself, small: a few laptops for a few seconds against a real service, and its exactness check
/// passing; on SQLite, and on PostgreSQL through two service processes when a database is given.
@Suite("Load tool", .serialized)
struct LoadToolEndToEnd {
    /// The `palabre-bench` beside the `palabre` under test.
    static func benchBinary() throws -> String {
        let candidate = URL(fileURLWithPath: try E2E.binary()).deletingLastPathComponent().appendingPathComponent("palabre-bench").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw HarnessError("palabre-bench was not found beside palabre (\(candidate)): run `swift build` first")
        }
        return candidate
    }

    func load(_ urls: [String], database: String, in box: Sandbox) throws -> RunResult {
        try E2E.run(
            try Self.benchBinary(),
            [
                "load", "--database", database, "--laptops", "6", "--projects", "2", "--duration", "3",
                "--changes", "4", "--forms", E2E.formsDir,
            ] + urls.flatMap { ["--url", $0] },
            in: box.dir, timeout: 120)
    }

    func expectPassed(_ r: RunResult) {
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("check: in every project"), "\(r)")
        #expect(r.stdout.contains("errors           0"), "\(r)")
        let syncs = r.stdout.split(separator: "\n").first { $0.contains("syncs") }.flatMap { $0.split(separator: " ").dropFirst().first }
        #expect((syncs.flatMap { Int($0) } ?? 0) > 0, "some syncs were made: \(r)")
    }

    @Test func aSmallLoadOnSQLitePassesItsCheck() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let service = try Service(box)
        try service.start()
        defer { service.stop() }
        expectPassed(try load([service.url], database: service.database, in: box))
    }

    @Test(.enabled(if: TestDatabase.baseURL != nil, "needs PALABRE_TEST_POSTGRES"))
    func aSmallLoadThroughTwoPostgreSQLInstancesPassesItsCheck() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let url = try TestDatabase.freshURL()
        let one = try Service(box, database: url, name: "one")
        let two = try Service(box, database: url, name: "two")
        try one.start()
        defer { one.stop() }
        try two.start()
        defer { two.stop() }
        expectPassed(try load([one.url, two.url], database: url, in: box))
    }
}
