import ArgumentParser
import Foundation
import GRDB
import Logging
import PalabreCore
import PalabreServer
import PalabreStore

/// `palabre-bench`: the service-side benchmarks, each against a baseline measured in the same run.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "palabre-bench",
        abstract: "The service-side benchmarks (BENCHMARKS.md), each against a baseline measured in the same run.",
        subcommands: [Apply.self, Load.self, Dates.self],
        defaultSubcommand: Apply.self
    )
}

/// `palabre-bench apply`: applying pushed changes on the service against plain SQLite inserts of the same rows.
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure applying pushed changes on the service against plain SQLite inserts of the same rows.",
        discussion: "Example: swift run -c release palabre-bench --records 100000"
    )

    @Option(help: "How many records (one change each).") var records = 100_000
    @Option(help: "Changes per pushed batch.") var batch = 500
    @Option(help: "The forms folder.") var forms = "forms"
    @Option(help: "Measure on PostgreSQL instead (postgres://…; two schemas of their own are made in it).") var postgres: String?

    func run() async throws {
        let catalog = try FormLoader.load(directory: forms)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // The changes a laptop would push: generated records, one change each, stamped in order by one node.
        var gen = DemoDataGenerator(seed: 7)
        var list: [Change] = []
        list.reserveCapacity(records)
        var clock = HybridLogicalClock()
        let now = Date()
        gen.generate(count: records) { item in
            list.append(
                Change(
                    recordID: item.id, form: item.form, formVersion: 1, project: "bench",
                    stamp: Stamp(hlc: clock.send(now: now), node: "0123456789abcdef"), values: item.values.mapValues { $0 }))
        }
        let changes = list
        let bodies = stride(from: 0, to: changes.count, by: batch).map { start in
            Wire.PushRequest(batch: "b\(start)", node: "0123456789abcdef", changes: Array(changes[start..<min(start + batch, changes.count)]))
                .serialized
        }
        if let postgres {
            try await onPostgres(postgres, catalog: catalog, changes: changes, bodies: bodies)
            return
        }

        // Baseline: the same rows, as (record, hlc, node, body), inserted into a plain table, same batching, same
        // durability (WAL, synchronous=FULL), through GRDB with a prepared statement.
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let raw = try DatabasePool(path: dir.appendingPathComponent("raw.sqlite").path, configuration: config)
        try await raw.write { db in try db.execute(sql: "CREATE TABLE t (record TEXT, hlc INTEGER, node TEXT, body TEXT)") }
        let texts = changes.map(\.serialized)
        let t0 = Date()
        for start in stride(from: 0, to: changes.count, by: batch) {
            try await raw.write { db in
                let st = try db.cachedStatement(sql: "INSERT INTO t VALUES (?, ?, ?, ?)")
                for i in start..<min(start + batch, changes.count) {
                    try st.execute(arguments: [changes[i].recordID, changes[i].stamp.hlc.rawValue, changes[i].stamp.node, texts[i]])
                }
            }
        }
        let rawSeconds = Date().timeIntervalSince(t0)

        // The service: each batch read from its wire text, checked against the forms, merged field by field, logged,
        // answered and remembered, one transaction per batch.
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let backend = try SQLiteBackend(path: dir.appendingPathComponent("central.sqlite").path, forms: catalog, logger: logger)
        _ = try await backend.createProject(code: "bench", name: "Benchmark")
        let device = try await backend.enroll(name: "laptop", project: "bench", role: .facilitator).device
        let t1 = Date()
        var applied = 0
        for body in bodies {
            let response = try await backend.push(try Wire.PushRequest(text: body), from: device)
            applied += response.applied
        }
        let serviceSeconds = Date().timeIntervalSince(t1)
        guard applied == records else { throw ValidationError("only \(applied) of \(records) changes were applied") }

        print(
            String(
                format:
                    "apply %d pushed changes in batches of %d: service %.2f s (%.0f changes/s), plain SQLite insert %.2f s (%.0f rows/s): service at %.0f%% of raw speed",
                records, batch, serviceSeconds, Double(records) / serviceSeconds, rawSeconds, Double(records) / rawSeconds,
                100 * rawSeconds / serviceSeconds))
    }
}

extension Apply {
    /// The same measure on PostgreSQL: the baseline inserts the same rows into a plain table (one multi-row INSERT per
    /// batch, one transaction each); the service is the PostgreSQL backend applying the batches' wire texts.
    func onPostgres(_ url: String, catalog: FormCatalog, changes: [Change], bodies: [String]) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let run = String(UInt32(Date().timeIntervalSince1970) % 1_000_000)
        let sep = url.contains("?") ? "&" : "?"
        let raw = try await PostgresBackend.connect(
            url: url + sep + "search_path=bench_raw_\(run)", forms: catalog, maxConnections: 1, logger: logger)
        let texts = changes.map(\.serialized)
        let t0 = Date()
        try await raw.rawBaseline(
            rows: changes.indices.map { (changes[$0].recordID, changes[$0].stamp.hlc.rawValue, changes[$0].stamp.node, texts[$0]) },
            batch: batch)
        let rawSeconds = Date().timeIntervalSince(t0)
        raw.close()

        let backend = try await PostgresBackend.connect(
            url: url + sep + "search_path=bench_apply_\(run)", forms: catalog, maxConnections: 1, logger: logger)
        _ = try await backend.createProject(code: "bench", name: "Benchmark")
        let device = try await backend.enroll(name: "laptop", project: "bench", role: .facilitator).device
        let t1 = Date()
        var applied = 0
        for body in bodies {
            applied += try await backend.push(try Wire.PushRequest(text: body), from: device).applied
        }
        let serviceSeconds = Date().timeIntervalSince(t1)
        backend.close()
        guard applied == records else { throw ValidationError("only \(applied) of \(records) changes were applied") }
        print(
            String(
                format:
                    "apply %d pushed changes in batches of %d on PostgreSQL: service %.2f s (%.0f changes/s), plain INSERT %.2f s (%.0f rows/s): service at %.0f%% of raw speed",
                records, batch, serviceSeconds, Double(records) / serviceSeconds, rawSeconds, Double(records) / rawSeconds,
                100 * rawSeconds / serviceSeconds))
    }
}
