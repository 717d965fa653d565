import Foundation
import Testing

/// Settings that must not strand queued work: a project change with changes waiting, and a new service URL.
@Suite struct RemoteSettingsTests {
    @Test func changingTheProjectWithChangesWaitingIsRefusedAndChangesNothing() throws {
        let box = try Sandbox()
        defer { box.remove() }
        #expect(try box.palabre("init", "--project", "p1").status == 0)
        _ = try box.add("session", ["title": "Vestibule", "date": "2026-11-02", "region": "gao", "locality": "Bara", "format": "youth"])
        let r = try box.palabre("init", "--project", "p2")
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("--project") && r.stderr.contains("palabre sync"), "\(r)")
        let sqlite = try E2E.tool("sqlite3")
        let project = try E2E.run(sqlite, [box.store, "SELECT value FROM meta WHERE key = 'project'"], in: box.dir).stdout
        #expect(project.trimmingCharacters(in: .whitespacesAndNewlines) == "p1")
    }

    @Test func pointingTheStoreAtAnotherServiceStartsItsCursorsAgain() throws {
        let box = try Sandbox()
        defer { box.remove() }
        #expect(try box.palabre("remote", "set", "http://10.9.9.9:8080", "--token", "plb_a").status == 0)
        let sqlite = try E2E.tool("sqlite3")
        _ = try E2E.run(
            sqlite, [box.store, "INSERT OR REPLACE INTO meta(key, value) VALUES ('pull_cursor', '812'), ('push_cursor', '40')"], in: box.dir)
        #expect(try box.palabre("remote", "set", "http://10.9.9.9:8080", "--token", "plb_b").status == 0)
        let same = try E2E.run(sqlite, [box.store, "SELECT value FROM meta WHERE key = 'pull_cursor'"], in: box.dir).stdout
        #expect(same.trimmingCharacters(in: .whitespacesAndNewlines) == "812", "a new token for the same service keeps the cursors")
        #expect(try box.palabre("remote", "set", "http://10.9.9.10:8080", "--token", "plb_b").status == 0)
        let cursors = try E2E.run(sqlite, [box.store, "SELECT count(*) FROM meta WHERE key IN ('pull_cursor', 'push_cursor')"], in: box.dir).stdout
        #expect(cursors.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
}
