import Foundation
import Testing

extension SyncEndToEnd {
    @Suite("Contract")
    struct Contract {
        /// The service runs in a folder that holds no checkout (the sandbox), as an installed service does: its contract
        /// is built in, served at `/openapi.yaml`, and is `sync/openapi.yaml`.
        @Test func theServiceServesItsContractFromAFolderWithoutTheCheckout() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let service = try Service(box)
            try service.start()
            defer { service.stop() }
            #expect(!FileManager.default.fileExists(atPath: box.path("sync/openapi.yaml")))
            let answer = try service.http("GET", "/openapi.yaml")
            let file = try String(contentsOf: E2E.repoRoot.appendingPathComponent("sync/openapi.yaml"), encoding: .utf8)
            #expect(answer.status == 200, "\(answer)")
            #expect(answer.body == file)
        }
    }
}

extension SyncEndToEnd {
    @Suite("Busy store")
    struct BusyStore {
        /// Two loops of `palabre add` and a loop of `palabre sync` on one store at once (capture while a sync runs):
        /// no command fails for another being busy, and every record added reaches the service.
        @Test func twoAddLoopsAndASyncLoopOnOneStoreNeverFail() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let field = try Field(box)
            defer { field.service.stop() }
            let a = field.a
            final class Outcomes: @unchecked Sendable {
                var failures: [String] = []
                var added: [String] = []
            }
            let lock = NSLock()
            let outcomes = Outcomes()
            let perLoop = 25
            DispatchQueue.concurrentPerform(iterations: 3) { loop in
                for n in 0..<perLoop {
                    do {
                        if loop == 2 {
                            let r = try a.run(["sync"], timeout: 60)
                            if r.status != 0 { lock.withLock { outcomes.failures.append("sync: \(r)") } }
                            continue
                        }
                        let r = try a.run(
                            [
                                "add", "session", "--set", "title=Boucle \(loop) n° \(n)", "--set", "date=2026-09-08",
                                "--set", "region=gao", "--set", "locality=Bara", "--set", "format=youth",
                            ], timeout: 60)
                        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                        lock.withLock {
                            if r.status == 0 && E2E.isRecordID(id) { outcomes.added.append(id) } else { outcomes.failures.append("add: \(r)") }
                        }
                    } catch {
                        lock.withLock { outcomes.failures.append("\(error)") }
                    }
                }
            }
            let (failures, added) = (outcomes.failures, outcomes.added)
            #expect(failures.isEmpty, "\(failures.count) command(s) failed, first: \(failures.first ?? "")")
            #expect(added.count == 2 * perLoop)
            let last = try a.run(["sync"])
            #expect(last.status == 0, "\(last)")
            let central = Set(try field.service.records(token: field.coordinator).compactMap { $0["id"] as? String })
            #expect(Set(added).isSubset(of: central), "\(Set(added).subtracting(central).count) record(s) never reached the service")
        }
    }
}

extension SyncEndToEnd {
    @Suite("Remote failures")
    struct RemoteFailures {
        /// A service that answers every request with 503 (a stand-in written in Python: the real one does not fail on
        /// demand), and one that refuses every token with 401: `sync`, `export --remote` and `indicators --remote`
        /// say the same thing and exit the same way (69 then 77), and the store is left as it was.
        @Test func syncExportAndIndicatorsFailTheSameWay() throws {
            let box = try Sandbox()
            defer { box.remove() }
            for (status, exit) in [(503, Int32(69)), (401, Int32(77))] {
                let port = try E2E.freePort()
                let script = """
                    import http.server, sys
                    class H(http.server.BaseHTTPRequestHandler):
                        def answer(self):
                            body = b'{"error":{"message":"down for maintenance","code":"unavailable"}}'
                            self.send_response(\(status)); self.send_header("Content-Type", "application/json")
                            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                        do_GET = answer
                        def do_POST(self):
                            self.rfile.read(int(self.headers.get("Content-Length") or 0)); self.answer()
                        def log_message(self, *a): pass
                    http.server.HTTPServer(("127.0.0.1", \(port)), H).serve_forever()
                    """
                let file = try box.write("failing-\(status).py", script)
                let server = try Child(try E2E.tool("python3"), [file], in: box.dir, tag: "failing-\(status)")
                defer { server.stop(grace: 1) }
                let laptop = Laptop(box, "l\(status)")
                try laptop.setUp(project: "p", url: "http://127.0.0.1:\(port)", token: "plb_" + String(repeating: "0", count: 64))
                _ = try laptop.addSession("Séance")
                // Wait until the stand-in listens.
                for _ in 0..<50
                where (try? E2E.run(try E2E.tool("curl"), ["-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/"], in: box.dir))?.status != 0 {
                    Thread.sleep(forTimeInterval: 0.1)
                }
                let before = try laptop.run(["list", "--json"]).stdout
                for args in [
                    ["sync"], ["export", "--remote", "--format", "jsonl", "--out", box.path("r\(status).jsonl")], ["indicators", "--remote"],
                ] {
                    let r = try laptop.run(args)
                    #expect(r.status == exit, "\(status) \(args): \(r)")
                    #expect(r.stderr.contains(status == 503 ? "the service" : "refused"), "\(args): \(r)")
                    #expect(!r.stderr.contains("Fatal error"), "\(r)")
                }
                #expect(try laptop.run(["list", "--json"]).stdout == before)
            }
        }
    }
}
