import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PalabreCore
import PalabreServer
import PalabreServerInspection
import PalabreStore
import Testing

/// The backends the service's tests run against: SQLite always; PostgreSQL when `PALABRE_TEST_POSTGRES` holds a URL
/// (`.ci/run` starts a server and sets it). Each PostgreSQL fixture gets a schema of its own in that database.
enum BackendKind: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static let postgresURL: String? = ProcessInfo.processInfo.environment["PALABRE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    static var all: [BackendKind] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
    var testDescription: String { rawValue }

    /// A fresh, empty backend of this kind; `dir` holds the SQLite file.
    func make(
        dir: URL, forms: FormCatalog, maxClockAhead: Duration, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> any BackendInspection {
        switch self {
        case .sqlite:
            return try SQLiteBackend(
                path: dir.appendingPathComponent("central.sqlite").path, forms: forms, maxClockAhead: maxClockAhead,
                logger: logger, now: now)
        case .postgres:
            return try await PostgresBackend.connect(
                url: Self.freshSchemaURL(), forms: forms, maxClockAhead: maxClockAhead, maxConnections: 3,
                // Generous: with the whole suite running on two cores, the first answer can be slow.
                startupTimeout: .seconds(120), logger: logger, now: now)
        }
    }

    /// The test database's URL with a new schema of its own.
    static func freshSchemaURL() throws -> String {
        guard let base = postgresURL else { throw ServiceError.badRequest("PALABRE_TEST_POSTGRES is not set") }
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return base + (base.contains("?") ? "&" : "?") + "search_path=" + schema
    }
}

/// A central service on a real database (a SQLite file in a temporary folder, or a fresh PostgreSQL schema), with two
/// projects and a device of each role:
/// `fac1`, `fac2` (facilitators of p1), `fac3` (facilitator of p2), `coord` (coordinator of p1), `analyst` (of p1)
/// and `admin` (every project).
final class ServerFixture: @unchecked Sendable {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let forms: FormCatalog = try! FormLoader.load(directory: repo.appendingPathComponent("forms").path)
    static let openAPIPath = repo.appendingPathComponent("sync/openapi.yaml").path

    let dir: URL
    let kind: BackendKind
    let backend: any BackendInspection
    let configuration: ServerConfiguration
    let logs = LogCapture()
    private(set) var tokens: [String: String] = [:]
    private(set) var devices: [String: Device] = [:]

    init(
        _ kind: BackendKind = .sqlite, maxBodyBytes: Int = 64 << 20, maxClockAhead: Duration = .seconds(600),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let logs = logs
        let logger = Logger(label: "test") { _ in CapturingLogHandler(capture: logs) }
        self.kind = kind
        backend = try await kind.make(dir: dir, forms: Self.forms, maxClockAhead: maxClockAhead, logger: logger, now: now)
        configuration = ServerConfiguration(maxBodyBytes: maxBodyBytes)
        _ = try await backend.createProject(code: "p1", name: "Project one")
        _ = try await backend.createProject(code: "p2", name: "Project two")
        let roster: [(String, String?, Role)] = [
            ("fac1", "p1", .facilitator), ("fac2", "p1", .facilitator), ("fac3", "p2", .facilitator),
            ("coord", "p1", .coordinator), ("analyst", "p1", .analyst), ("admin", nil, .admin),
        ]
        for (name, project, role) in roster {
            let e = try await backend.enroll(name: name, project: project, role: role)
            tokens[name] = e.token
            devices[name] = e.device
        }
    }

    deinit {
        (backend as? PostgresBackend)?.close()
        try? FileManager.default.removeItem(at: dir)
    }

    /// The service under test, logging into ``logs``.
    func app() -> Application<RouterResponder<PalabreRequestContext>> {
        let logs = logs
        return buildApplication(
            configuration: configuration, backend: backend,
            logger: Logger(label: "test") { _ in CapturingLogHandler(capture: logs) })
    }

    /// Rows in the service's change log.
    func changeCount() async throws -> Int { try await backend.rowCount(.changes) }

    /// Pushes the demo samples into a project as the admin's changes, as laptops would have: through a scratch field
    /// store, so they carry stamps and a node.
    func loadSamples(project: String = "p1") async throws {
        let store = try FieldStore(path: dir.appendingPathComponent("samples-\(UUID().uuidString).sqlite").path)
        try store.setIdentity(device: "samples", project: project, language: nil)
        let items = try ImportReader.read(path: Self.repo.appendingPathComponent("samples/demo.jsonl").path, form: nil)
        _ = try store.importItems(items, catalog: Self.forms, file: "demo.jsonl")
        let changes = try store.changes(localOnly: true).map(\.change)
        _ = try await backend.push(Wire.PushRequest(batch: "samples", node: try store.identity().node, changes: changes), from: devices["admin"]!)
    }
}

/// A session change: by default a new, valid record titled "Séance", in p1.
///
/// A change that replaces nothing (no `prev`) and deletes nothing creates the record, so it carries every field the
/// form requires (the service checks a new record whole), with `values` written over them; pass `complete: false`
/// for a fragment.
func sessionChange(
    node: String, hlc: HLC, project: String = "p1", record: String = RecordID.make(),
    values: [String: Value?] = ["title": .string("Séance")], prev: [String: Stamp] = [:], complete: Bool? = nil
) -> Change {
    var all = values
    if complete ?? (prev.isEmpty && values[deletedField] == nil) {
        all = validSession.mapValues { Optional($0) }
        for (k, v) in values { all[k] = .some(v) }
    }
    return Change(recordID: record, form: "session", formVersion: 1, project: project, stamp: Stamp(hlc: hlc, node: node), values: all, prev: prev)
}

/// The required fields of a session, valid.
let validSession: [String: Value] = [
    "title": .string("Séance"), "date": .string("2026-11-02"), "region": .string("gao"),
    "locality": .string("Bara"), "format": .string("intergenerational"),
]

/// The clock value `seconds` from now (plus a counter), as field stores stamp.
func stampNow(plus seconds: Double = 0, counter: Int64 = 0) -> HLC {
    HLC(wallMilliseconds: HLC.milliseconds(Date().addingTimeInterval(seconds)), counter: counter)
}

extension TestClientProtocol {
    /// Sends a request with a token and a body (gzipped on request).
    func send(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: String? = nil, gzip: Bool = false,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var buffer = body.map { ByteBuffer(string: $0) }
        if gzip, var plain = buffer {
            buffer = try plain.compress(with: .gzip())
            headers[.contentEncoding] = "gzip"
        }
        if body != nil { headers[.contentType] = "application/json" }
        return try await executeRequest(uri: uri, method: method, headers: headers, body: buffer)
    }

    /// Pulls a page as a device.
    func pull(_ query: String, token: String?) async throws -> Wire.PullResponse {
        let r = try await send(.get, "/v1/sync/pull?" + query, token: token)
        guard r.status == .ok else { throw ServiceError.badRequest("pull answered \(r.status): \(r.text)") }
        return try Wire.PullResponse(text: r.text)
    }

    /// Pushes a batch as a device.
    func push(_ batch: Wire.PushRequest, token: String?) async throws -> TestResponse {
        try await send(.post, "/v1/sync/push", token: token, body: batch.serialized)
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }
    /// The body as JSON (null when it is not JSON).
    var json: JSON { (try? JSON.parse(text)) ?? .null }
    /// The error body's code.
    var errorCode: String? { Wire.ErrorBody(text: text)?.code }
}

/// Log lines kept for assertions.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// A log handler writing into a ``LogCapture``.
struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        capture.append("\(event.level) \(event.message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}
