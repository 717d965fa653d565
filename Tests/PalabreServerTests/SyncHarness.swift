import Foundation
import GRDB
import Logging
import PalabreCore
import PalabreServer
import PalabreServerInspection
import PalabreStore
import PalabreSync
import Testing

/// A wall clock a test can set: laptops at 2010, 2040, or jumping back.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval

    init(offset: TimeInterval = 0) { self.offset = offset }

    func now() -> Date { lock.withLock { Date().addingTimeInterval(offset) } }
    func set(offset: TimeInterval) { lock.withLock { self.offset = offset } }
    func shift(by delta: TimeInterval) { lock.withLock { self.offset += delta } }
}

/// Seeded faults on the way to the service: answers lost after the service committed, batches sent twice,
/// pulled pages lost on the way.
final class Faults: @unchecked Sendable {
    private let lock = NSLock()
    private var rng: SeededRandom
    var loseAnswer = 0.0
    var duplicate = 0.0
    var losePage = 0.0

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    func roll(_ p: Double) -> Bool {
        guard p > 0 else { return false }
        return lock.withLock { Double.random(in: 0..<1, using: &rng) < p }
    }
}

/// The service called directly (no HTTP), through the real backend, with faults injected around it.
struct DirectTransport: SyncTransport {
    let backend: any SyncBackend
    let device: Device
    let faults: Faults

    func push(_ request: Wire.PushRequest) async throws -> PushAnswer {
        do {
            let response = try await backend.push(request, from: device)
            if faults.roll(faults.duplicate) {
                let again = try await backend.push(request, from: device)
                #expect(again == response, "a replayed batch must get the same answer")
            }
            if faults.roll(faults.loseAnswer) { throw SyncError.offline("answer lost after the service committed") }
            // Through the wire format, as a real client reads it.
            return .accepted(try Wire.PushResponse(text: response.serialized))
        } catch let e as ServiceError {
            if case .clockAhead(let message, let serverTime, _) = e { return .clockAhead(serverTime: serverTime, message: message) }
            throw SyncError.refused(status: e.statusCode, message: e.description)
        }
    }

    func pull(after cursor: Int64, limit: Int, node: String) async throws -> Wire.PullResponse {
        let page = try await backend.pull(project: device.project ?? "", after: cursor, limit: limit, excludingNode: node)
        if faults.roll(faults.losePage) { throw SyncError.offline("page lost on the way") }
        return try Wire.PullResponse(text: page.serialized)
    }

    func setAside(retry: Bool) async throws -> Wire.SetAsideList? {
        let applied = retry ? try await backend.retrySetAside(device: device.name).applied : 0
        let rows = try await backend.setAside(device: device.name)
        return try Wire.SetAsideList(
            text: Wire.SetAsideList(
                entries: rows.map {
                    Wire.SetAsideEntry(
                        record: $0.change.recordID, hlc: $0.change.stamp.hlc.rawValue, node: $0.change.stamp.node, reason: $0.reason,
                        held: $0.held)
                }, applied: applied
            ).serialized)
    }
}

/// One field laptop: a real store on a SQLite file, its own wall clock, its device and transport.
final class Laptop: @unchecked Sendable {
    let name: String
    let store: FieldStore
    let clock: TestClock
    let client: SyncClient

    init(name: String, store: FieldStore, clock: TestClock, client: SyncClient) {
        self.name = name
        self.store = store
        self.clock = clock
        self.client = client
    }

    @discardableResult
    func sync() async throws -> SyncSummary { try await client.sync() }
}

/// A service and several laptops in a temporary folder.
final class SyncLab: @unchecked Sendable {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let forms: FormCatalog = try! FormLoader.load(directory: repo.appendingPathComponent("forms").path)

    let dir: URL
    let backend: any BackendInspection
    let faults: Faults
    var laptops: [Laptop] = []

    init(_ kind: BackendKind = .sqlite, project: String = "p1", seed: UInt64 = 1, maxClockAhead: Duration = .seconds(600)) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-lab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        backend = try await kind.make(dir: dir, forms: Self.forms, maxClockAhead: maxClockAhead, logger: logger)
        faults = Faults(seed: seed)
        _ = try await backend.createProject(code: project, name: "Test project")
    }

    deinit {
        (backend as? PostgresBackend)?.close()
        try? FileManager.default.removeItem(at: dir)
    }

    @discardableResult
    func addLaptop(_ name: String, offset: TimeInterval = 0, project: String = "p1", role: Role = .facilitator) async throws -> Laptop {
        let clock = TestClock(offset: offset)
        let store = try FieldStore(path: dir.appendingPathComponent("\(name).sqlite").path, now: { clock.now() })
        try store.setIdentity(device: name, project: project, language: .en)
        let enrollment = try await backend.enroll(name: name, project: project, role: role)
        let transport = DirectTransport(backend: backend, device: enrollment.device, faults: faults)
        let laptop = Laptop(
            name: name, store: store, clock: clock,
            client: SyncClient(store: store, transport: transport, forms: Self.forms))
        laptops.append(laptop)
        return laptop
    }

    /// The service's records, as id → values (tombstone included).
    func serviceState() async throws -> [String: [String: Value]] {
        Dictionary(uniqueKeysWithValues: try await backend.storedRecords(project: nil).map { ($0.id, $0.state.values) })
    }

    static func state(_ store: FieldStore) throws -> [String: [String: Value]] {
        Dictionary(uniqueKeysWithValues: try store.records(includeDeleted: true).map { ($0.id, $0.state.values) })
    }
}

/// A valid session's values, varied by a random source.
func sessionValues<G: RandomNumberGenerator>(_ rng: inout G, title: String? = nil) -> [String: Value] {
    [
        "title": .string(title ?? "Séance \(Int.random(in: 1...9999, using: &rng))"),
        "date": .string("2026-10-\(String(format: "%02d", Int.random(in: 1...28, using: &rng)))"),
        "region": .string(["gao", "tombouctou", "mopti"].randomElement(using: &rng)!),
        "locality": .string(["Bara", "Bourem", "Diré", "Ansongo"].randomElement(using: &rng)!),
        "format": .string(["youth", "women", "mixed"].randomElement(using: &rng)!),
    ]
}
