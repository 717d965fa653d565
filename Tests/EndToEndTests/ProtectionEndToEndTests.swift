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
}
