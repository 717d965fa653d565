import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PalabreCore
import PalabreServer
import PalabreServerInspection
import PalabreStore
import Testing

/// Several service instances on one PostgreSQL database: each test starts two instances (two backends with their own
/// connection pools, each behind its own router) on a fresh schema and drives them over HTTP.
@Suite(.enabled(if: BackendKind.postgresURL != nil, "needs PALABRE_TEST_POSTGRES"))
struct MultiInstanceTests {
    /// Two instances on one fresh schema, a project p1 and `devices` facilitators.
    struct Pair {
        let a: PostgresBackend
        let b: PostgresBackend
        var tokens: [String] = []

        /// `slowA` and `slowB` run in each instance's pushes just before COMMIT.
        init(devices: Int, slowA: (@Sendable () async -> Void)? = nil, slowB: (@Sendable () async -> Void)? = nil) async throws {
            let url = try BackendKind.freshSchemaURL()
            var logger = Logger(label: "test")
            logger.logLevel = .error
            a = try await PostgresBackend.connect(
                url: url, forms: ServerFixture.forms, maxConnections: 8, startupTimeout: .seconds(120), logger: logger,
                beforeCommit: slowA)
            b = try await PostgresBackend.connect(
                url: url, forms: ServerFixture.forms, maxConnections: 8, startupTimeout: .seconds(120), logger: logger,
                beforeCommit: slowB)
            _ = try await a.createProject(code: "p1", name: "Project one")
            for i in 0..<devices { tokens.append(try await (i % 2 == 0 ? a : b).enroll(name: "fac\(i)", project: "p1", role: .facilitator).token) }
        }

        func close() {
            a.close()
            b.close()
        }

        func apps() -> (Application<RouterResponder<PalabreRequestContext>>, Application<RouterResponder<PalabreRequestContext>>) {
            var logger = Logger(label: "test")
            logger.logLevel = .error
            let configuration = ServerConfiguration(openAPIPath: ServerFixture.openAPIPath)
            return (
                buildApplication(configuration: configuration, backend: a, logger: logger),
                buildApplication(configuration: configuration, backend: b, logger: logger)
            )
        }
    }

    /// Makes commits slow and uneven, so that transactions which took their positions in one order would, without the
    /// project lock, commit in another.
    static let jitter: @Sendable () async -> Void = { try? await Task.sleep(for: .milliseconds(Int.random(in: 0...25))) }

    @Test func aCursorNeverSkipsAChangeWithConcurrentPushersThroughTwoInstancesAndInterleavedPulls() async throws {
        let pair = try await Pair(devices: 5, slowA: Self.jitter, slowB: Self.jitter)
        defer { pair.close() }
        let (appA, appB) = pair.apps()
        let batches = 12, perBatch = 5
        let reader = pair.tokens[0]
        try await appA.test(.router) { ca in
            try await appB.test(.router) { cb in
                let clients = [ca, cb]
                let done = LogCapture()
                // The reader alternates instances and takes small pages while the pushes commit.
                let walk = Task {
                    var cursor: Int64 = 0, seen: [String] = [], turn = 0
                    while done.all.isEmpty {
                        turn += 1
                        let page = try await clients[turn % 2].pull("after=\(cursor)&limit=5", token: reader)
                        seen += page.changes.map { "\($0.recordID)|\($0.stamp)" }
                        cursor = page.next
                        if !page.more { try await Task.sleep(for: .milliseconds(2)) }
                    }
                    return (seen, cursor)
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (d, token) in pair.tokens.enumerated().dropFirst() {
                        group.addTask {
                            let node = String(format: "%016x", 0xB0 + d)
                            for batch in 0..<batches {
                                let changes = (0..<perBatch).map { sessionChange(node: node, hlc: stampNow(counter: Int64(batch * perBatch + $0))) }
                                // Each batch through the other instance than the last.
                                let r = try await clients[(d + batch) % 2].push(
                                    Wire.PushRequest(batch: "\(batch)", node: node, changes: changes),
                                    token: token)
                                #expect(r.status == .ok, "\(r.text)")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                done.append("pushed")
                var (seen, cursor) = try await walk.value
                while true {
                    let page = try await cb.pull("after=\(cursor)&limit=50", token: reader)
                    seen += page.changes.map { "\($0.recordID)|\($0.stamp)" }
                    cursor = page.next
                    if !page.more { break }
                }
                let total = (pair.tokens.count - 1) * batches * perBatch
                #expect(try await pair.a.rowCount(.changes) == total)
                #expect(seen.count == total, "every change pulled once: \(seen.count) of \(total)")
                #expect(Set(seen).count == seen.count, "no change pulled twice")
            }
        }
    }

    @Test func aPushThatCommitsLateThroughOneInstanceIsNotSkippedByAPullThroughTheOther() async throws {
        // Instance A takes a push's positions, then waits 400 ms before COMMIT; B commits at once.
        let pair = try await Pair(devices: 3, slowA: { try? await Task.sleep(for: .milliseconds(400)) })
        defer { pair.close() }
        let (appA, appB) = pair.apps()
        try await appA.test(.router) { ca in
            try await appB.test(.router) { cb in
                let slowNode = "00000000000000e1", fastNode = "00000000000000e2"
                let finished = LogCapture()
                let slow = Task {
                    defer { finished.append("slow") }
                    return try await ca.push(
                        Wire.PushRequest(
                            batch: "slow", node: slowNode,
                            changes: (0..<5).map { sessionChange(node: slowNode, hlc: stampNow(counter: Int64($0))) }),
                        token: pair.tokens[1])
                }
                try await Task.sleep(for: .milliseconds(100))
                let fast = Task {
                    defer { finished.append("fast") }
                    return try await cb.push(
                        Wire.PushRequest(
                            batch: "fast", node: fastNode,
                            changes: (0..<5).map { sessionChange(node: fastNode, hlc: stampNow(counter: Int64($0))) }),
                        token: pair.tokens[2])
                }
                // Pull through B every 10 ms while either push is in flight, then once more.
                var cursor: Int64 = 0, seen: [String] = []
                while true {
                    let bothDone = finished.all.count == 2
                    let page = try await cb.pull("after=\(cursor)&limit=100", token: pair.tokens[0])
                    seen += page.changes.map { "\($0.recordID)|\($0.stamp)" }
                    cursor = page.next
                    if bothDone { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(try await slow.value.status == .ok)
                #expect(try await fast.value.status == .ok)
                #expect(seen.count == 10, "the late commit's changes were skipped: \(seen.count) of 10 pulled")
            }
        }
    }

    @Test func oneBatchPushedThroughTwoInstancesAtOnceIsAppliedOnce() async throws {
        // A slow commit on each instance: whichever claims the batch first holds it while the other waits.
        let pair = try await Pair(
            devices: 1, slowA: { try? await Task.sleep(for: .milliseconds(150)) },
            slowB: { try? await Task.sleep(for: .milliseconds(150)) })
        defer { pair.close() }
        let (appA, appB) = pair.apps()
        let node = "00000000000000c1"
        try await appA.test(.router) { ca in
            try await appB.test(.router) { cb in
                for n in 0..<4 {
                    let batch = Wire.PushRequest(
                        batch: "b\(n)", node: node,
                        changes: (0..<5).map { sessionChange(node: node, hlc: stampNow(counter: Int64(n * 5 + $0))) })
                    async let first = ca.push(batch, token: pair.tokens[0])
                    async let second = cb.push(batch, token: pair.tokens[0])
                    let (r1, r2) = try await (first, second)
                    #expect(r1.status == .ok && r2.status == .ok, "\(r1.text) \(r2.text)")
                    #expect(r1.text == r2.text, "both instances give the same answer")
                    #expect(try Wire.PushResponse(text: r1.text).applied == 5)
                }
            }
        }
        #expect(try await pair.b.rowCount(.changes) == 20, "each batch applied once")
        #expect(try await pair.b.rowCount(.batches) == 4)
        #expect(try await pair.b.rowCount(.records) == 20)
    }

    @Test func twoInstancesMergingOneNewRecordAtOnceKeepBothWrites() async throws {
        let pair = try await Pair(devices: 2, slowA: { try? await Task.sleep(for: .milliseconds(100)) })
        defer { pair.close() }
        let (appA, appB) = pair.apps()
        for round in 0..<5 {
            let record = RecordID.make()
            // Two laptops hold the same record (copied by a bundle, say): each sends its own field first, at once.
            let x = sessionChange(
                node: "00000000000000d1", hlc: stampNow(counter: 1), record: record,
                values: ["title": .string("Titre \(round)"), "region": .string("gao"), "locality": .string("Diré")])
            // Each is a whole record (the service checks a new record whole): y's title is the same, its locality its own.
            let y = sessionChange(
                node: "00000000000000d2", hlc: stampNow(counter: 2), record: record,
                values: ["title": .string("Titre \(round)"), "locality": .string("Bara")])
            try await appA.test(.router) { ca in
                try await appB.test(.router) { cb in
                    async let r1 = ca.push(Wire.PushRequest(batch: "x\(round)", node: "00000000000000d1", changes: [x]), token: pair.tokens[0])
                    async let r2 = cb.push(Wire.PushRequest(batch: "y\(round)", node: "00000000000000d2", changes: [y]), token: pair.tokens[1])
                    let (a, b) = try await (r1, r2)
                    #expect(a.status == .ok && b.status == .ok, "\(a.text) \(b.text)")
                }
            }
            let stored = try #require(try await pair.b.storedRecord(record))
            #expect(stored.values["title"] == .string("Titre \(round)"))
            #expect(stored.values["locality"] == .string("Bara"), "the second write merged into the record the first created")
        }
        #expect(try await pair.a.rowCount(.changes) == 10)
    }
}

/// The service when PostgreSQL goes away under it: pushes and pulls answer 503 `unavailable`, which clients retry.
@Suite(.enabled(if: BackendKind.postgresURL != nil, "needs PALABRE_TEST_POSTGRES"))
struct PostgresOutageTests {
    @Test func pushesAndPullsAnswer503WhenTheDatabaseIsGone() async throws {
        let fx = try await ServerFixture(.postgres)
        let backend = try #require(fx.backend as? PostgresBackend)
        let node = "00000000000000f1"
        let device = try #require(fx.devices["fac1"])
        backend.close()  // the pools shut down, as when the database is unreachable
        try await Task.sleep(for: .milliseconds(200))
        await #expect(throws: ServiceError.self) {
            _ = try await backend.push(Wire.PushRequest(batch: "b", node: node, changes: [sessionChange(node: node, hlc: stampNow())]), from: device)
        }
        do {
            _ = try await backend.pull(project: "p1", after: 0, limit: 10, excludingNode: nil)
            Issue.record("a pull without a database must fail")
        } catch let e as ServiceError {
            #expect(e.statusCode == 503 && e.body.code == "unavailable", "\(e)")
        }
    }
}
