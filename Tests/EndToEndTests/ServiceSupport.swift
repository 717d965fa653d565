import Foundation
import PalabreTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// End-to-end support for sync: the real `palabre-server` as a child process on 127.0.0.1 with its own database,
// laptops (stores) that sync with it through the real `palabre`, and HTTP through `curl`.
//
// Every wait is bounded. Every process started here is stopped by the test that started it (`defer`), by its pid:
// SIGTERM, then SIGKILL.

extension E2E {
    /// The `palabre-server` executable: $PALABRE_SERVER_BIN, or the one beside the `palabre` under test.
    static func serverBinary() throws -> String {
        if let p = ProcessInfo.processInfo.environment["PALABRE_SERVER_BIN"], !p.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: p) else {
                throw HarnessError("PALABRE_SERVER_BIN=\(p) is not an executable file")
            }
            return p
        }
        let candidate = URL(fileURLWithPath: try binary()).deletingLastPathComponent().appendingPathComponent("palabre-server").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw HarnessError("palabre-server was not found beside palabre (\(candidate)): run `swift build` first, or set PALABRE_SERVER_BIN")
        }
        return candidate
    }

    /// `datefudge`, which runs a program with a shifted clock (unlike faketime, it does not hang Swift concurrency).
    static func datefudge() throws -> String {
        do {
            return try tool("datefudge")
        } catch {
            throw HarnessError("datefudge is not installed: run `apt-get install datefudge` (the CI script installs it)")
        }
    }

    /// The environment of a child process: `environment(home:)` without the service's settings either.
    static func childEnvironment(home: URL) -> [String: String] {
        var env = environment(home: home)
        for key in ["PALABRE_DATABASE", "PALABRE_HOST", "PALABRE_PORT", "PALABRE_MAX_CLOCK_AHEAD", "PALABRE_LOG_LEVEL"] {
            env[key] = nil
        }
        return env
    }

    /// A TCP port nobody listens on right now: bind a socket to port 0 on 127.0.0.1, read the port, close it.
    static func freePort() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind() to 127.0.0.1:0 failed: errno \(errno)") }
        var out = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let got = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard got == 0 else { throw HarnessError("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: out.sin_port))
    }

    /// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
    @discardableResult
    static func waitUntil(timeout: TimeInterval, interval: TimeInterval = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try condition() { return true }
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// The JSON value of a text, or nil.
    static func json(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// A JSON value written with sorted keys, to compare decoded values whatever their order.
    static func canonical(_ value: Any?) -> String {
        guard let value else { return "null" }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
            return String(describing: value)
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A process running in the background: the service, or a `palabre sync` to kill midway.
final class Child: @unchecked Sendable {
    let child: Spawned
    let outURL: URL
    let errURL: URL

    /// Starts `executable ARGS` in `dir`, output to files in `dir` named after `tag`.
    init(_ executable: String, _ arguments: [String], in dir: URL, tag: String) throws {
        let fm = FileManager.default
        outURL = dir.appendingPathComponent("\(tag).out")
        errURL = dir.appendingPathComponent("\(tag).err")
        guard fm.createFile(atPath: outURL.path, contents: nil), fm.createFile(atPath: errURL.path, contents: nil)
        else { throw HarnessError("cannot create output files for \(tag) in \(dir.path)") }
        child = try Spawned(
            executable, arguments, environment: E2E.childEnvironment(home: dir), directory: dir.path,
            stdout: outURL.path, stderr: errURL.path)
    }

    deinit { stop() }

    var pid: Int32 { child.pid }

    var hasExited: Bool { child.hasExited }

    /// Waits up to `timeout` seconds for the process to end; returns whether it did.
    @discardableResult
    func wait(timeout: TimeInterval) -> Bool { child.wait(timeout: timeout) }

    /// Sends a signal, if the process still runs.
    func signal(_ sig: Int32) { child.signal(sig) }

    /// SIGTERM, up to `grace` seconds, then SIGKILL; returns once the process is gone (bounded).
    func stop(grace: TimeInterval = 5) {
        guard !hasExited else { return }
        signal(SIGTERM)
        if wait(timeout: grace) { return }
        signal(SIGKILL)
        wait(timeout: 10)
    }

    var stdout: String { String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self) }
    var stderr: String { String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self) }

    /// What the ended process did (call after `wait`).
    var result: RunResult {
        let ended = hasExited
        return RunResult(status: ended ? child.status : -1, signalled: ended && child.signalled, timedOut: !ended, stdout: stdout, stderr: stderr)
    }

    /// Waits for the end (killing it after `timeout`) and returns what it did.
    func finish(timeout: TimeInterval) -> RunResult {
        if !wait(timeout: timeout) {
            stop(grace: 2)
            var r = result
            r.timedOut = true
            return r
        }
        return result
    }
}

/// What an HTTP request got back.
struct HTTPAnswer: CustomStringConvertible {
    var status: Int
    var body: String

    /// The decoded body, when it is a JSON object.
    var object: [String: Any]? { E2E.json(body) as? [String: Any] }
    /// `error.code` of an error body.
    var errorCode: String? { (object?["error"] as? [String: Any])?["code"] as? String }
    /// `error.message` of an error body.
    var errorMessage: String? { (object?["error"] as? [String: Any])?["message"] as? String }

    var description: String { "HTTP \(status): \(body.prefix(600))" }
}

/// The central service of one test: its database in the test's folder, its process, its port.
final class Service: @unchecked Sendable {
    let box: Sandbox
    let binary: String
    let database: String
    /// Options added to `serve` (e.g. --max-body-mb 1).
    let serveOptions: [String]
    private(set) var port = 0
    private(set) var child: Child?
    private var starts = 0

    /// A name for its log files, unique in the box when several services run.
    let name: String

    /// A service on `database`: a file name in the box, or a `postgres://` URL used as it is.
    init(_ box: Sandbox, database: String = "central.sqlite", serveOptions: [String] = [], name: String = "service") throws {
        self.box = box
        binary = try E2E.serverBinary()
        self.database = database.hasPrefix("postgres://") ? database : box.path(database)
        self.serveOptions = serveOptions
        self.name = name
    }

    deinit { stop() }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Everything the running (or last) process logged.
    var log: String { child?.stderr ?? "" }

    /// `palabre-server ARGS --database DB`, which works while the service runs (generous: a fresh PostgreSQL schema is
    /// migrated first, behind every other test doing the same on two cores).
    func admin(_ args: [String]) throws -> RunResult {
        try E2E.run(binary, args + ["--database", database], in: box.dir, timeout: 90)
    }

    /// Creates a project.
    func createProject(_ code: String) throws {
        let r = try admin(["project", "create", code, "--name", "Projet \(code)"])
        guard r.status == 0 else { throw HarnessError("setup: project create \(code) failed: \(r)") }
    }

    /// Enrols a device and returns its token (printed alone on stdout).
    func enroll(_ name: String, role: String, project: String?) throws -> String {
        let r = try admin(["enroll", "--role", role, "--name", name] + (project.map { ["--project", $0] } ?? []))
        let token = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard r.status == 0, !token.isEmpty, !token.contains(where: \.isWhitespace) else {
            throw HarnessError("setup: enroll \(name) printed no token: \(r)")
        }
        return token
    }

    /// Starts the service on a free port (another one if the port was taken meanwhile) and waits until it answers.
    func start() throws {
        var failures: [String] = []
        for _ in 0..<4 {
            let candidate = try E2E.freePort()
            if try launch(port: candidate, failures: &failures) { return }
        }
        throw HarnessError("the service did not start:\n\(failures.joined(separator: "\n"))")
    }

    /// Starts it on a given port (a service replacing another at the same address).
    func start(port: Int) throws {
        var failures: [String] = []
        for _ in 0..<5 {
            if try launch(port: port, failures: &failures) { return }
            Thread.sleep(forTimeInterval: 0.3)
        }
        throw HarnessError("the service did not start on port \(port):\n\(failures.joined(separator: "\n"))")
    }

    /// Starts it again on the same port and database (after `stop` or `kill`).
    func restart() throws {
        guard port != 0 else { throw HarnessError("restart before start") }
        var failures: [String] = []
        // The port was ours a moment ago; give the kernel a few tries to hand it back.
        for _ in 0..<5 {
            if try launch(port: port, failures: &failures) { return }
            Thread.sleep(forTimeInterval: 0.3)
        }
        throw HarnessError("the service did not start again on port \(port):\n\(failures.joined(separator: "\n"))")
    }

    private func launch(port candidate: Int, failures: inout [String]) throws -> Bool {
        starts += 1
        let c = try Child(
            binary,
            [
                "serve", "--database", database, "--host", "127.0.0.1", "--port", String(candidate),
                "--forms", E2E.formsDir, "--log-level", "info",
            ] + serveOptions,
            in: box.dir, tag: "\(name)-\(starts)")
        // Ours is listening once it logs so (another process on the port would answer /healthz too).
        let listening = E2E.waitUntil(timeout: 30) { c.hasExited || c.stderr.contains("listening") }
        if !listening || c.hasExited {
            c.stop(grace: 2)
            failures.append("port \(candidate): \(c.hasExited ? "exited \(c.child.status)" : "not listening after 30 s"): \(c.stderr.suffix(800))")
            return false
        }
        port = candidate
        child = c
        var last = HTTPAnswer(status: 0, body: "")
        let healthy = try E2E.waitUntil(timeout: 15, interval: 0.1) {
            last = try http("GET", "/healthz", timeout: 2)
            return last.status == 200 || c.hasExited
        }
        guard healthy, !c.hasExited else {
            c.stop(grace: 2)
            child = nil
            failures.append("port \(candidate): /healthz never answered 200 (last: \(last)): \(c.stderr.suffix(800))")
            return false
        }
        return true
    }

    /// Whether the service process still runs.
    var isRunning: Bool { child.map { !$0.hasExited } ?? false }

    /// SIGKILL, as a power cut would: nothing is flushed or finished.
    func kill9() {
        child?.signal(SIGKILL)
        child?.wait(timeout: 10)
    }

    /// SIGTERM, then SIGKILL after a grace period.
    func stop() {
        child?.stop(grace: 5)
    }

    /// One HTTP request through curl: method, path, optional bearer token, body bytes and extra headers.
    func http(
        _ method: String, _ path: String, token: String? = nil, body: Data? = nil, headers: [String] = [],
        timeout: TimeInterval = 30
    ) throws -> HTTPAnswer {
        let curl = try E2E.tool("curl")
        let tag = UUID().uuidString
        let answerFile = box.path(".http-answer-\(tag)")
        let bodyFile = box.path(".http-body-\(tag)")
        defer {
            try? FileManager.default.removeItem(atPath: answerFile)
            try? FileManager.default.removeItem(atPath: bodyFile)
        }
        // No `Expect: 100-continue` wait on large bodies.
        var args = ["-sS", "-m", String(Int(timeout)), "-o", answerFile, "-w", "%{http_code}", "-X", method, "-H", "Expect:"]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        for h in headers { args += ["-H", h] }
        if let body {
            try body.write(to: URL(fileURLWithPath: bodyFile))
            args += ["--data-binary", "@\(bodyFile)"]
            if !headers.contains(where: { $0.lowercased().hasPrefix("content-type:") }) {
                args += ["-H", "Content-Type: application/json"]
            }
        }
        args.append(url + path)
        let r = try E2E.run(curl, args, in: box.dir, timeout: timeout + 5)
        let code = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let text = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: answerFile))) ?? Data(), as: UTF8.self)
        return HTTPAnswer(status: code, body: code == 0 ? "curl: \(r.stderr)" : text)
    }

    /// `GET /v1/records` (coordinator or analyst token): the records, decoded.
    func records(token: String, project: String? = nil) throws -> [[String: Any]] {
        let a = try http("GET", "/v1/records" + (project.map { "?project=\($0)" } ?? ""), token: token)
        guard a.status == 200, let list = a.object?["records"] as? [[String: Any]] else {
            throw HarnessError("GET /v1/records failed: \(a)")
        }
        return list
    }

    /// A count from the service's database, read by sqlite3 (while the service runs: WAL lets it read).
    func count(_ sql: String) throws -> Int {
        let r = try E2E.run(try E2E.tool("sqlite3"), ["-cmd", ".timeout 5000", database, sql], in: box.dir)
        guard r.status == 0, let n = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("sqlite3 \(database) \(sql) failed: \(r)")
        }
        return n
    }
}

/// A field laptop: one store in the test's folder, driven through the real `palabre`.
struct Laptop {
    let box: Sandbox
    let name: String
    let store: String
    /// The forms folder it captures with; nil: none given (the forms received from the service, else the built-in ones).
    var forms: String? = E2E.formsDir

    init(_ box: Sandbox, _ name: String) {
        self.box = box
        self.name = name
        store = box.path("\(name).sqlite")
    }

    /// `palabre ARGS --store STORE --forms FORMS --lang en`.
    func run(_ args: [String], timeout: TimeInterval = 60, environment: [String: String] = [:]) throws -> RunResult {
        try E2E.run(box.binary, args + options, in: box.dir, timeout: timeout, environment: environment)
    }

    /// The same under `datefudge DATE`: the laptop's clock reads DATE (and runs on from there).
    func run(at date: String, _ args: [String], timeout: TimeInterval = 60) throws -> RunResult {
        try E2E.run(try E2E.datefudge(), [date, box.binary] + args + options, in: box.dir, timeout: timeout)
    }

    var options: [String] { ["--store", store] + (forms.map { ["--forms", $0] } ?? []) + ["--lang", "en"] }

    /// `palabre ARGS` started in the background, to be killed midway.
    func start(_ args: [String], tag: String) throws -> Child {
        try Child(box.binary, args + options, in: box.dir, tag: tag)
    }

    /// `init --project P --device NAME`, then `remote set URL --token TOKEN`.
    func setUp(project: String, url: String, token: String) throws {
        let i = try run(["init", "--project", project, "--device", name])
        guard i.status == 0 else { throw HarnessError("setup: init of \(name) failed: \(i)") }
        let r = try run(["remote", "set", url, "--token", token])
        guard r.status == 0 else { throw HarnessError("setup: remote set on \(name) failed: \(r)") }
    }

    /// `add FORM --set k=v…`; returns the new id.
    func add(_ form: String, _ sets: [String: String], at date: String? = nil) throws -> String {
        let args = ["add", form] + sets.keys.sorted().flatMap { ["--set", "\($0)=\(sets[$0]!)"] }
        let r = try date.map { try run(at: $0, args) } ?? run(args)
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard r.status == 0, E2E.isRecordID(id) else { throw HarnessError("setup: add \(form) on \(name) failed: \(r)") }
        return id
    }

    /// Adds a valid session.
    func addSession(_ title: String, at date: String? = nil) throws -> String {
        try add(
            "session", ["title": title, "date": "2026-09-08", "region": "gao", "locality": "Bara", "format": "intergenerational"],
            at: date)
    }

    /// `sync` (with `--json`), bounded.
    func sync(json: Bool = false, at date: String? = nil, timeout: TimeInterval = 120) throws -> RunResult {
        let args = ["sync"] + (json ? ["--json"] : [])
        return try date.map { try run(at: $0, args, timeout: timeout) } ?? run(args, timeout: timeout)
    }

    /// A sync that must succeed (setup steps), with its JSON summary.
    @discardableResult
    func syncOK(at date: String? = nil) throws -> [String: Any] {
        let r = try sync(json: true, at: date)
        guard r.status == 0, let summary = E2E.json(r.stdout) as? [String: Any] else {
            throw HarnessError("sync of \(name) failed: \(r)")
        }
        return summary
    }

    /// `list --json`, decoded.
    func list() throws -> [[String: Any]] {
        let r = try run(["list", "--json"], timeout: 120)
        guard r.status == 0 else { throw HarnessError("list --json on \(name) failed: \(r)") }
        return try Sandbox.jsonArray(r.stdout)
    }

    /// `show ID --json`, decoded.
    func show(_ id: String) throws -> [String: Any] {
        let r = try run(["show", id, "--json"])
        guard r.status == 0 else { throw HarnessError("show \(id) on \(name) failed: \(r)") }
        return try Sandbox.jsonObject(r.stdout)
    }

    /// `conflicts --json`, decoded.
    func conflicts() throws -> [[String: Any]] {
        let r = try run(["conflicts", "--json"])
        guard r.status == 0 else { throw HarnessError("conflicts --json on \(name) failed: \(r)") }
        return try Sandbox.jsonArray(r.stdout)
    }

    /// The unsent count `palabre remote` reports ("… (N change(s) to send)").
    func unsent() throws -> Int {
        let r = try run(["remote"])
        guard r.status == 0, let open = r.stdout.range(of: "("), let close = r.stdout.range(of: " change(s) to send"),
            let n = Int(r.stdout[open.upperBound..<close.lowerBound])
        else { throw HarnessError("palabre remote on \(name) did not say how many changes are to send: \(r)") }
        return n
    }

    /// A query on the store by sqlite3 (read only, while another process may write).
    func sql(_ query: String) throws -> String {
        let r = try E2E.run(try E2E.tool("sqlite3"), ["-readonly", "-cmd", ".timeout 5000", store, query], in: box.dir)
        guard r.status == 0 else { throw HarnessError("sqlite3 \(store) \(query) failed: \(r)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Records by id, each as its form and canonical values: what two sides must agree on.
func contents(_ records: [[String: Any]]) -> [String: String] {
    var out: [String: String] = [:]
    for r in records {
        guard let id = r["id"] as? String else { continue }
        out[id] = "\(r["form"] as? String ?? "?") \(E2E.canonical(r["values"]))"
    }
    return out
}

/// A hand-made change for the wire (`sync/PROTOCOL.md`): a valid session of `project`, stamped now.
func sessionChange(
    record: String = UUID().uuidString.lowercased(), project: String, node: String = "00c0ffee00c0ffee",
    title: String = "Session faite à la main"
) -> String {
    let hlc = Int64(Date().timeIntervalSince1970 * 1000) << 16
    return #"{"record":"\#(record)","form":"session","form_version":1,"project":"\#(project)","hlc":\#(hlc),"node":"\#(node)","#
        + #""values":{"title":"\#(title)","date":"2026-09-08","region":"gao","locality":"Bara","format":"intergenerational"},"prev":{}}"#
}

/// A push body holding changes.
func pushBody(_ changes: [String], batch: String = "manual-\(UUID().uuidString)", node: String = "00c0ffee00c0ffee") -> Data {
    Data(#"{"batch":"\#(batch)","node":"\#(node)","changes":[\#(changes.joined(separator: ","))]}"#.utf8)
}

/// gzip of bytes, by the gzip tool.
func gzipped(_ data: Data, in box: Sandbox) throws -> Data {
    let plain = box.path(".gz-\(UUID().uuidString)")
    try data.write(to: URL(fileURLWithPath: plain))
    defer {
        try? FileManager.default.removeItem(atPath: plain)
        try? FileManager.default.removeItem(atPath: plain + ".gz")
    }
    let r = try E2E.run(try E2E.tool("gzip"), ["-n", plain], in: box.dir)
    guard r.status == 0, let out = FileManager.default.contents(atPath: plain + ".gz") else { throw HarnessError("gzip failed: \(r)") }
    return out
}
