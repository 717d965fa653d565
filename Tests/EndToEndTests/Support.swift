import Foundation
import PalabreTestSupport
import Testing

// End-to-end support: runs the real `palabre` binary in a throwaway folder and reads what it did.
//
// The binary is $PALABRE_BIN, or the `palabre` that `swift build` put beside the test executable.

/// A failure of the test harness itself (binary missing, helper tool missing…), shown as the test's error.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What a finished process said and how it ended.
struct RunResult: CustomStringConvertible, Sendable {
    var status: Int32
    /// True when the process was killed by a signal (then `status` is the signal number).
    var signalled: Bool
    var timedOut: Bool
    var stdout: String
    var stderr: String

    var description: String {
        "exit \(status)\(signalled ? " (signal)" : "")\(timedOut ? " (timed out)" : "")\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)"
    }
}

enum E2E {
    /// The repository root (for forms/ and samples/): this file is Tests/EndToEndTests/Support.swift.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var formsDir: String { repoRoot.appendingPathComponent("forms").path }
    static var demoFile: String { repoRoot.appendingPathComponent("samples/demo.jsonl").path }

    /// The `palabre` executable to test.
    static func binary() throws -> String {
        let fm = FileManager.default
        if let p = ProcessInfo.processInfo.environment["PALABRE_BIN"], !p.isEmpty {
            guard fm.isExecutableFile(atPath: p) else { throw HarnessError("PALABRE_BIN=\(p) is not an executable file") }
            return p
        }
        var starts: [URL] = []
        if let u = Bundle.main.executableURL { starts.append(u.deletingLastPathComponent()) }
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        var tried: [String] = []
        for start in starts {
            // Under `swift test` on Linux the test executable sits in .build/<triple>/debug beside `palabre`;
            // on macOS it is inside a .xctest bundle a few folders further down.
            var dir = start
            for _ in 0..<4 {
                let candidate = dir.appendingPathComponent("palabre").path
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: candidate) {
                    return candidate
                }
                if !tried.contains(candidate) { tried.append(candidate) }
                dir = dir.deletingLastPathComponent()
            }
        }
        throw HarnessError(
            "the palabre binary was not found (looked at \(tried.joined(separator: ", "))): run `swift build` first, or set PALABRE_BIN")
    }

    /// An executable on the PATH (sqlite3, python3).
    static func tool(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw HarnessError("\(name) is not on the PATH; install it (the CI script installs sqlite3 and python3)")
    }

    /// The environment for child processes: the test's own, without anything that would point palabre elsewhere.
    static func environment(home: URL) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in ["PALABRE_STORE", "PALABRE_FORMS", "PALABRE_LANG", "PALABRE_TIMING", "PALABRE_PASSPHRASE", "LC_ALL", "LC_MESSAGES", "LANG"] {
            env[key] = nil
        }
        // Should a command ignore --store, it writes here and not in the real home.
        env["XDG_DATA_HOME"] = home.path
        return env
    }

    /// Runs an executable with no input, output captured through files, killed after `timeout` seconds.
    static func run(
        _ executable: String, _ arguments: [String], in dir: URL, timeout: TimeInterval = 30, environment extra: [String: String] = [:]
    ) throws -> RunResult {
        let fm = FileManager.default
        let tag = UUID().uuidString
        let outURL = dir.appendingPathComponent(".out-\(tag)")
        let errURL = dir.appendingPathComponent(".err-\(tag)")
        guard fm.createFile(atPath: outURL.path, contents: nil), fm.createFile(atPath: errURL.path, contents: nil)
        else { throw HarnessError("cannot create output files in \(dir.path)") }
        defer {
            try? fm.removeItem(at: outURL)
            try? fm.removeItem(at: errURL)
        }
        let child = try Spawned(
            executable, arguments, environment: environment(home: dir).merging(extra) { $1 }, directory: dir.path,
            stdout: outURL.path, stderr: errURL.path)
        var timedOut = false
        if !child.wait(timeout: timeout) {
            timedOut = true
            child.signal(SIGTERM)
            if !child.wait(timeout: 2) {
                child.signal(SIGKILL)
                child.wait(timeout: 30)
            }
        }
        let out = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        let err = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return RunResult(status: child.status, signalled: child.signalled, timedOut: timedOut, stdout: out, stderr: err)
    }

    /// The records of a demo.jsonl-shaped file: (form, id) in file order.
    static func idsInDemo() throws -> [(form: String, id: String)] {
        let text = try String(contentsOfFile: demoFile, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let form = obj?["form"] as? String, let id = obj?["id"] as? String else {
                throw HarnessError("samples/demo.jsonl has a line without form and id: \(line.prefix(80))")
            }
            return (form, id)
        }
    }

    /// Whether `s` is a lowercase UUID as palabre prints ids.
    static func isRecordID(_ s: String) -> Bool {
        UUID(uuidString: s) != nil && s == s.lowercased() && s.count == 36
    }
}

/// One test's throwaway folder, with its store file, and palabre run against them.
struct Sandbox {
    let dir: URL
    let binary: String

    /// A new folder; with `initialised` (the default) its store is created by `palabre init`, as a facilitator would:
    /// no other command creates a store.
    init(initialised: Bool = true) throws {
        binary = try E2E.binary()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-e2e-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if initialised {
            // No --lang: a language given here would be kept by the store and hide the locale from the tests that read it.
            let r = try E2E.run(binary, ["init", "--store", store], in: dir)
            guard r.status == 0 else { throw HarnessError("setup: palabre init of \(store) failed: \(r)") }
        }
    }

    /// Removes the folder; call with `defer`.
    func remove() { try? FileManager.default.removeItem(at: dir) }

    /// The store file every command is given with --store.
    var store: String { path("store.sqlite") }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Writes a file in the folder and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Runs `palabre ARGS --store STORE --forms FORMS --lang LANG`.
    func palabre(_ args: [String], lang: String = "en", store: String? = nil, forms: String? = nil) throws -> RunResult {
        try E2E.run(binary, args + ["--store", store ?? self.store, "--forms", forms ?? E2E.formsDir, "--lang", lang], in: dir)
    }

    func palabre(_ args: String..., lang: String = "en") throws -> RunResult { try palabre(args, lang: lang) }

    /// The id printed by a successful `add`.
    func add(_ form: String, _ sets: [String: String]) throws -> String {
        let args = ["add", form] + sets.keys.sorted().flatMap { ["--set", "\($0)=\(sets[$0]!)"] }
        let r = try palabre(args)
        guard r.status == 0 else { throw HarnessError("setup add \(form) failed: \(r)") }
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard E2E.isRecordID(id) else { throw HarnessError("setup add \(form) printed no id: \(r)") }
        return id
    }

    /// Adds a valid session and returns its id.
    func addSession(title: String = "Vestibule de la paix à Bara") throws -> String {
        try add("session", ["title": title, "date": "2026-09-08", "region": "gao", "locality": "Bara", "format": "intergenerational"])
    }

    /// Imports samples/demo.jsonl into the store.
    func importDemo() throws {
        let r = try palabre("import", E2E.demoFile)
        guard r.status == 0 else { throw HarnessError("setup import of demo.jsonl failed: \(r)") }
    }

    /// `list [FORM] --json [--deleted]`, decoded.
    func list(_ form: String? = nil, deleted: Bool = false) throws -> [[String: Any]] {
        var args = ["list"]
        if let form { args.append(form) }
        args.append("--json")
        if deleted { args.append("--deleted") }
        let r = try palabre(args)
        guard r.status == 0 else { throw HarnessError("list --json failed: \(r)") }
        return try Self.jsonArray(r.stdout)
    }

    /// `show ID --json [--history]`, decoded.
    func show(_ id: String, history: Bool = false) throws -> [String: Any] {
        let r = try palabre(["show", id, "--json"] + (history ? ["--history"] : []))
        guard r.status == 0 else { throw HarnessError("show --json failed: \(r)") }
        return try Self.jsonObject(r.stdout)
    }

    static func jsonArray(_ text: String) throws -> [[String: Any]] {
        guard let a = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw HarnessError("not a JSON array of objects: \(text.prefix(300))")
        }
        return a
    }

    static func jsonObject(_ text: String) throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw HarnessError("not a JSON object: \(text.prefix(300))")
        }
        return o
    }

    /// Everything the store holds, as text: compared before and after a refused command.
    /// (A byte copy of the file would not do: WAL checkpoints move bytes without changing content.)
    func dump(_ store: String? = nil) throws -> String {
        let file = store ?? self.store
        guard FileManager.default.fileExists(atPath: file) else { throw HarnessError("no store at \(file) to dump") }
        let sql =
            "SELECT * FROM records ORDER BY id; SELECT * FROM changes ORDER BY seq; "
            + "SELECT * FROM history ORDER BY id; SELECT * FROM meta ORDER BY key"
        let r = try E2E.run(try E2E.tool("sqlite3"), ["-bail", file, sql], in: dir)
        guard r.status == 0 else { throw HarnessError("sqlite3 could not read \(file): \(r)") }
        return r.stdout
    }
}

/// The values of a decoded record.
func values(_ record: [String: Any]) -> [String: Any] { record["values"] as? [String: Any] ?? [:] }

/// The ids in a decoded list.
func ids(_ records: [[String: Any]]) -> [String] { records.compactMap { $0["id"] as? String } }
