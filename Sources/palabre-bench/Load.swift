import ArgumentParser
import Foundation
import Logging
import PalabreCore
import PalabreServer
import PalabreStore
import PalabreSync

/// `palabre-bench load`: many simulated laptops syncing at once against a running service, then a check that the
/// service holds exactly what they wrote.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate laptops enrolled in a fresh project and syncing concurrently against a running service; report and check.",
        discussion: """
            Each simulated laptop loops for --duration seconds: it writes a few changes (new sessions with their \
            participants, initiatives and follow-ups from the demo generator; edits of its own records and of \
            records it pulled; deletions), pushes them over HTTP with gzip as the palabre client does (an \
            unanswered batch is sent again as it was), then pulls every page since its cursor. At the end every \
            laptop pushes what it still holds and pulls to the end, and the tool checks, through the service's \
            HTTP API: the project's change log holds every change written exactly once; every laptop pulled every \
            other laptop's changes exactly once; the live records equal the merge of everything written.

            The laptops are enrolled through --database, which the service runs on (the administration commands \
            work while it runs). --ceiling instead measures GET /healthz with the same concurrency: what the HTTP \
            stack alone allows on this machine.

            Example: palabre-bench load --url http://127.0.0.1:8080 --database postgres://palabre@localhost/palabre --laptops 200 --duration 60
            """
    )

    @Option(help: "The running service; repeat it for several instances (laptop i uses the i-th modulo their number).")
    var url: [String] = ["http://127.0.0.1:8080"]
    @Option(help: "The service's database (SQLite file or postgres:// URL), to enrol the laptops.") var database: String?
    @Option(help: "How many laptops.") var laptops = 200
    @Option(help: "How many projects they are spread over (laptop i in project i modulo this).") var projects = 10
    @Option(help: "How long they sync, in seconds.") var duration = 30
    @Option(help: "Changes a laptop writes between two syncs, on average.") var changes = 12
    @Option(help: "Pause between two syncs of a laptop, in milliseconds, on average (0: back to back).") var think = 0
    @Option(help: "The forms folder.") var forms = "forms"
    @Flag(help: "Measure GET /healthz instead: the ceiling of the HTTP stack.") var ceiling = false

    func validate() throws {
        guard laptops >= 1, laptops <= 5000 else { throw ValidationError("--laptops: '\(laptops)' is not from 1 to 5000") }
        guard projects >= 1, projects <= laptops else { throw ValidationError("--projects: '\(projects)' is not from 1 to --laptops") }
        guard !url.isEmpty else { throw ValidationError("--url: give the service's address") }
        guard duration >= 1 else { throw ValidationError("--duration: '\(duration)' must be at least 1 second") }
        guard changes >= 1 else { throw ValidationError("--changes: '\(changes)' must be at least 1") }
        if !ceiling && database == nil { throw ValidationError("--database: needed to enrol the laptops (or give --ceiling)") }
        // A wrong path would make a new, empty store the service never reads: every sync would then be refused.
        if !ceiling, let database, !PostgresBackend.isURL(database), !CentralCopy.isCentralStore(path: database) {
            throw ValidationError(
                "--database: '\(database)' is not the service's SQLite store (give the file palabre-server serves, or its postgres:// URL)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "load")
        logger.logLevel = .error
        let stats = Stats()
        if ceiling {
            let clients = (0..<laptops).map { HTTPTransport(url: url[$0 % url.count], token: "none") }
            let deadline = Date().addingTimeInterval(Double(duration))
            let started = Date()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in clients {
                    group.addTask {
                        while Date() < deadline {
                            let t = ContinuousClock.now
                            do {
                                _ = try await client.getText("/healthz")
                                stats.record("request", t)
                            } catch {
                                stats.error("\(error)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seconds = Date().timeIntervalSince(started)
            for c in clients { try? await c.shutdown() }
            print("ceiling: \(laptops) clients for \(duration) s against GET /healthz of \(url.joined(separator: ", "))")
            print(stats.report(seconds: seconds, syncName: "request"))
            return
        }

        // Enrolment: a fresh project, the laptops, a checker (pulls everything) and a coordinator (reads records).
        let catalog = try FormLoader.load(directory: forms)
        let backend: any SyncBackend
        if let database, PostgresBackend.isURL(database) {
            backend = try await PostgresBackend.connect(url: database, forms: catalog, maxConnections: 2, logger: logger)
        } else {
            backend = try SQLiteBackend(path: database ?? "", forms: catalog, logger: logger)
        }
        let run = "load-" + String(UInt32(Date().timeIntervalSince1970) % 1_000_000)
        let codes = (0..<projects).map { "\(run)-\($0)" }
        for code in codes { _ = try await backend.createProject(code: code, name: "Load test \(code)") }
        var sims: [SimLaptop] = []
        for i in 0..<laptops {
            let project = codes[i % projects]
            let token = try await backend.enroll(name: "\(run)-laptop-\(i)", project: project, role: .facilitator).token
            sims.append(SimLaptop(project: project, transport: HTTPTransport(url: url[i % url.count], token: token), meanChanges: changes))
        }
        // An admin of every project checks, through the first and the last instance.
        let adminToken = try await backend.enroll(name: "\(run)-checker", project: nil, role: .admin).token
        let checker = HTTPTransport(url: url[0], token: adminToken)
        let coordinator = HTTPTransport(url: url[url.count - 1], token: adminToken)
        (backend as? PostgresBackend)?.close()
        FileHandle.standardError.write(Data("enrolled \(laptops) laptops in \(projects) project(s) \(run)-*; syncing for \(duration) s\n".utf8))

        let deadline = Date().addingTimeInterval(Double(duration))
        let started = Date()
        let think = think
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sim in sims {
                group.addTask {
                    // Spread the first syncs over a second, as laptops do not all wake at once.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...1000)))
                    while Date() < deadline {
                        sim.write()
                        await sim.sync(stats)
                        if think > 0 { try await Task.sleep(for: .milliseconds(Int.random(in: 0...(2 * think)))) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = Date().timeIntervalSince(started)
        let during = stats.snapshot()

        // The end: everyone pushes what is left, then everyone pulls to the end.
        for round in 1...10 {
            await withTaskGroup(of: Void.self) { group in for sim in sims { group.addTask { await sim.pushRemaining(stats) } } }
            if sims.allSatisfy(\.isDrained) { break }
            if round == 10 { throw ValidationError("some laptops could not push their last changes after 10 rounds") }
        }
        await withTaskGroup(of: Void.self) { group in for sim in sims { group.addTask { await sim.pullToEnd(stats) } } }

        print("load: \(laptops) laptops in \(projects) project(s) for \(duration) s against \(url.joined(separator: ", "))")
        print(during.report(seconds: seconds, syncName: "sync"))
        var failures: [String] = []
        var checked = (changes: 0, records: 0)
        for code in codes {
            let (problems, counts) = try await Self.check(
                sims: sims.filter { $0.project == code }, checker: checker, coordinator: coordinator,
                project: code, forms: catalog)
            failures += problems.map { "project \(code): \($0)" }
            checked.changes += counts.changes
            checked.records += counts.records
        }
        if failures.isEmpty {
            print(
                "check: in every project, the log holds the changes written (\(checked.changes)), each once; every laptop pulled every "
                    + "other laptop's changes exactly once; the live records (\(checked.records)) equal the merge of the writes")
        }
        for sim in sims { try? await sim.transport.shutdown() }
        try? await checker.shutdown()
        try? await coordinator.shutdown()
        if !failures.isEmpty {
            for f in failures { print("CHECK FAILED: \(f)") }
            throw ExitCode(1)
        }
    }

    /// Checks the service against what the laptops wrote; returns what is wrong.
    static func check(
        sims: [SimLaptop], checker: HTTPTransport, coordinator: HTTPTransport,
        project: String, forms: FormCatalog
    ) async throws -> ([String], (changes: Int, records: Int)) {
        var failures: [String] = []
        var written: [ChangeKey: Change] = [:]
        for sim in sims { for c in sim.written { written[ChangeKey(c)] = c } }
        let total = sims.reduce(0) { $0 + $1.written.count }
        if written.count != total { failures.append("the laptops wrote \(total) changes but only \(written.count) distinct ones") }

        // 1. The log: every change written, exactly once, nothing else.
        var cursor: Int64 = 0
        var logged: [ChangeKey] = []
        while true {
            let page = try Wire.PullResponse(text: try await checker.getText("/v1/sync/pull?project=\(project)&after=\(cursor)&limit=5000"))
            logged += page.changes.map(ChangeKey.init)
            cursor = page.next
            if !page.more { break }
        }
        let loggedSet = Set(logged)
        if logged.count != loggedSet.count { failures.append("the log holds \(logged.count - loggedSet.count) change(s) twice") }
        let missing = Set(written.keys).subtracting(loggedSet)
        let extra = loggedSet.subtracting(written.keys)
        if !missing.isEmpty { failures.append("\(missing.count) change(s) written are not in the log") }
        if !extra.isEmpty { failures.append("the log holds \(extra.count) change(s) nobody wrote") }

        // 2. Every laptop pulled every other laptop's changes exactly once (a checksum of the keys pulled).
        let totalSum = written.keys.reduce(UInt64(0)) { $0 &+ $1.hash64 }
        var skewed = 0
        for sim in sims {
            let own = sim.written.reduce(UInt64(0)) { $0 &+ ChangeKey($1).hash64 }
            if sim.pulledCount != total - sim.written.count || sim.pulledSum != totalSum &- own { skewed += 1 }
        }
        if skewed > 0 { failures.append("\(skewed) laptop(s) did not pull every other laptop's changes exactly once") }

        // 3. The live records equal the merge of everything written.
        var states: [String: RecordState] = [:]
        for c in written.values {
            var s = states[c.recordID] ?? RecordState(id: c.recordID, form: c.form, formVersion: c.formVersion, project: c.project)
            _ = Merge.apply(c, to: &s)
            states[c.recordID] = s
        }
        // A field that does not apply in the merged record is withheld, on the service as here (Relevance).
        for (id, var s) in states {
            if let form = forms[s.form] { Relevance.settle(&s, form: form) }
            states[id] = s
        }
        let expected = states.values.filter { !$0.isDeleted }.reduce(into: [String: [String: Value]]()) { $0[$1.id] = $1.fieldValues }
        let text = try await coordinator.getText("/v1/records?project=\(project)")
        var served: [String: [String: Value]] = [:]
        guard case .array(let items)? = try JSON.parse(text)["records"] else { return (failures + ["GET /v1/records answered no list"], (0, 0)) }
        for item in items {
            guard let id = item["id"]?.stringValue, let valuesJSON = item["values"], case .object(let members) = valuesJSON else { continue }
            var values: [String: Value] = [:]
            for (k, v) in members { values[k] = try Value(json: v) }
            served[id] = values
        }
        if Set(served.keys) != Set(expected.keys) {
            failures.append("the service has \(served.count) live records, the laptops' writes make \(expected.count)")
        }
        let differing = expected.filter { served[$0.key] != nil && served[$0.key] != $0.value }.count
        if differing > 0 { failures.append("\(differing) record(s) differ from the merge of the writes") }
        return (failures, (total, served.count))
    }
}

/// A change's identity: record, clock value, node.
struct ChangeKey: Hashable {
    var record: String
    var hlc: Int64
    var node: String

    init(_ c: Change) {
        record = c.recordID
        hlc = c.stamp.hlc.rawValue
        node = c.stamp.node
    }

    /// FNV-1a, stable across runs.
    var hash64: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(record)|\(hlc)|\(node)".utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}

/// One simulated laptop. Used by one task at a time.
final class SimLaptop: @unchecked Sendable {
    let project: String
    let transport: HTTPTransport
    let node = makeNodeID()
    let meanChanges: Int
    var clock = HybridLogicalClock()
    var generator: DemoDataGenerator
    var buffer: [DemoDataGenerator.Item] = []
    /// A second stream, whose items only lend values to edits: drawing them from the first would drop sessions that
    /// later participants reference (the service sets those aside, rightly).
    var donors: DemoDataGenerator
    var donorBuffer: [DemoDataGenerator.Item] = []
    var rng: SeededRandom
    /// Records this laptop knows, with the stamps it last saw per field (for `prev`).
    var known: [String: (form: String, stamps: [String: Stamp])] = [:]
    var own: [String] = []
    var pulledIDs: [String] = []
    var pending: [Change] = []
    var inflight: Wire.PushRequest?
    var batches = 0
    var cursor: Int64 = 0
    /// Every change written, for the final check.
    var written: [Change] = []
    var pulledCount = 0
    var pulledSum: UInt64 = 0

    init(project: String, transport: HTTPTransport, meanChanges: Int) {
        self.project = project
        self.transport = transport
        self.meanChanges = meanChanges
        // Seeds of this run: record ids must not repeat those of an earlier run on the same database (the service
        // would rightly set aside a change moving a record to another project).
        generator = DemoDataGenerator(seed: UInt64.random(in: 1...UInt64.max))
        donors = DemoDataGenerator(seed: UInt64.random(in: 1...UInt64.max))
        rng = SeededRandom(seed: UInt64.random(in: 1...UInt64.max))
    }

    var isDrained: Bool { pending.isEmpty && inflight == nil }

    func nextItem() -> DemoDataGenerator.Item {
        if buffer.isEmpty { generator.generate(count: 200) { buffer.append($0) }; buffer.reverse() }
        return buffer.removeLast()
    }

    func nextDonor() -> DemoDataGenerator.Item {
        if donorBuffer.isEmpty { donors.generate(count: 200) { donorBuffer.append($0) }; donorBuffer.reverse() }
        return donorBuffer.removeLast()
    }

    /// Writes between 1 and twice the mean changes: mostly new records, some edits, a few deletions.
    func write() {
        for _ in 0..<Int.random(in: 1...(2 * meanChanges), using: &rng) {
            let roll = Int.random(in: 0..<100, using: &rng)
            if roll < 70 || own.isEmpty {
                let item = nextItem()
                add(
                    Change(recordID: item.id, form: item.form, formVersion: 1, project: project, stamp: stamp(), values: item.values.mapValues { $0 })
                )
                own.append(item.id)
            } else if roll < 97 {
                // An edit of one of its records, or (a third of the time) of one it pulled: a value another record of
                // the same form has, so it stays valid.
                let pool = roll < 88 || pulledIDs.isEmpty ? own : pulledIDs
                let id = pool[Int.random(in: 0..<pool.count, using: &rng)]
                guard let form = known[id]?.form else { continue }
                var donor = nextDonor()
                var tries = 0
                while donor.form != form && tries < 50 { donor = nextDonor(); tries += 1 }
                guard donor.form == form,
                    let field = donor.values.keys.sorted().filter({ $0 != "session" && $0 != "initiative" })
                        .randomElement(using: &rng)
                else { continue }
                add(change(id, form: form, values: [field: donor.values[field]]))
            } else {
                let id = own[Int.random(in: 0..<own.count, using: &rng)]
                guard let form = known[id]?.form else { continue }
                add(change(id, form: form, values: [deletedField: .bool(true)]))
            }
        }
    }

    func stamp() -> Stamp { Stamp(hlc: clock.send(now: Date()), node: node) }

    func change(_ id: String, form: String, values: [String: Value?]) -> Change {
        var prev: [String: Stamp] = [:]
        for k in values.keys { if let s = known[id]?.stamps[k] { prev[k] = s } }
        return Change(recordID: id, form: form, formVersion: 1, project: project, stamp: stamp(), values: values, prev: prev)
    }

    func add(_ c: Change) {
        pending.append(c)
        written.append(c)
        see(c)
    }

    func see(_ c: Change) {
        var entry = known[c.recordID] ?? (c.form, [:])
        for k in c.values.keys where (entry.stamps[k] ?? .zero) < c.stamp { entry.stamps[k] = c.stamp }
        known[c.recordID] = entry
    }

    /// One sync: push what is pending (or the unanswered batch again), then pull every page.
    func sync(_ stats: Stats) async {
        let t = ContinuousClock.now
        let pushed = await push(stats)
        let pulled = await pull(stats)
        if pushed && pulled { stats.record("sync", t) }
    }

    func push(_ stats: Stats) async -> Bool {
        if inflight == nil && !pending.isEmpty {
            batches += 1
            inflight = Wire.PushRequest(batch: "\(node)-\(batches)", node: node, changes: pending)
            pending = []
        }
        guard let request = inflight else { return true }
        let t = ContinuousClock.now
        do {
            switch try await transport.push(request) {
            case .accepted(let response):
                stats.record("push", t)
                stats.applied(response.applied, duplicates: response.duplicates)
                for entry in response.setAside { stats.error("set aside: \(entry.reason)") }
                inflight = nil
                return true
            case .clockAhead(_, let message):
                stats.error("clock ahead: \(message)")
            }
        } catch {
            stats.error("push: \(error)")
        }
        return false
    }

    func pull(_ stats: Stats) async -> Bool {
        while true {
            let t = ContinuousClock.now
            do {
                let page = try await transport.pull(after: cursor, limit: 1000, node: node)
                stats.record("pull", t)
                for c in page.changes {
                    pulledCount += 1
                    pulledSum = pulledSum &+ ChangeKey(c).hash64
                    // Only a sample of the records pulled is remembered (to edit some), as a laptop's memory is not the point.
                    if known[c.recordID] != nil {
                        see(c)
                    } else if pulledIDs.count < 200 || Int.random(in: 0..<20, using: &rng) == 0 {
                        if pulledIDs.count < 200 {
                            pulledIDs.append(c.recordID)
                        } else {
                            pulledIDs[Int.random(in: 0..<200, using: &rng)] = c.recordID
                        }
                        see(c)
                    }
                }
                cursor = page.next
                if !page.more { return true }
            } catch {
                stats.error("pull: \(error)")
                return false
            }
        }
    }

    func pushRemaining(_ stats: Stats) async {
        while !isDrained { if !(await push(stats)) { return } }
    }

    func pullToEnd(_ stats: Stats) async {
        for _ in 0..<10 { if await pull(stats) { return } }
    }
}

/// Latencies and counts, shared by the laptops' tasks.
final class Stats: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [String: [Double]] = [:]
    private var errors: [String: Int] = [:]
    /// The first error of each kind in full.
    private var examples: [String: String] = [:]
    private var appliedCount = 0
    private var duplicateCount = 0

    func record(_ kind: String, _ start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        lock.withLock { latencies[kind, default: []].append(ms) }
    }

    func error(_ text: String) {
        // Errors are grouped by their first words, not their details.
        let kind = text.split(separator: ":").prefix(2).joined(separator: ":").prefix(80)
        lock.withLock {
            errors[String(kind), default: 0] += 1
            if examples[String(kind)] == nil { examples[String(kind)] = String(text.prefix(300)) }
        }
    }

    func applied(_ n: Int, duplicates: Int) {
        lock.withLock {
            appliedCount += n
            duplicateCount += duplicates
        }
    }

    /// A copy of what was measured so far.
    func snapshot() -> Stats {
        let copy = Stats()
        lock.withLock {
            copy.latencies = latencies
            copy.errors = errors
            copy.examples = examples
            copy.appliedCount = appliedCount
            copy.duplicateCount = duplicateCount
        }
        return copy
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    func report(seconds: Double, syncName: String) -> String {
        lock.withLock {
            var lines: [String] = []
            let syncs = latencies[syncName]?.count ?? 0
            func pad(_ s: String) -> String { s.padding(toLength: 18, withPad: " ", startingAt: 0) }
            lines.append(pad("  \(syncName)s") + String(format: "%8d in %.1f s = %8.1f/s", syncs, seconds, Double(syncs) / seconds))
            if syncName == "sync" {
                lines.append(
                    pad("  changes applied")
                        + String(
                            format: "%8d           = %8.1f/s  (%d duplicates skipped)", appliedCount,
                            Double(appliedCount) / seconds, duplicateCount))
            }
            lines.append(pad("  latency (ms)") + "     p50      p95      p99      max")
            for kind in [syncName, "push", "pull"] {
                guard let values = latencies[kind]?.sorted(), !values.isEmpty else { continue }
                lines.append(
                    pad("    \(kind)")
                        + String(
                            format: "%8.1f %8.1f %8.1f %8.1f", Self.percentile(values, 50), Self.percentile(values, 95),
                            Self.percentile(values, 99), values.last!))
            }
            let total = errors.values.reduce(0, +)
            lines.append("  errors           \(total)")
            for (kind, n) in errors.sorted(by: { $0.value > $1.value }).prefix(8) {
                lines.append("    \(n) × \(kind)")
                if let example = examples[kind], example != kind { lines.append("        e.g. \(example)") }
            }
            return lines.joined(separator: "\n")
        }
    }
}
