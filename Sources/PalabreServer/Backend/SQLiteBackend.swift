import Foundation
import GRDB
import Logging
import PalabreCore
import PalabreStore

/// The central service's storage on one SQLite file: a ``PalabreStore/FieldStore`` (records, change log, history,
/// set-aside changes) with the service's own tables added by migrations (projects, devices, batches).
///
/// SQLite runs one write transaction at a time, so the change log's sequence order is its commit order and a pull
/// cursor never skips a change. The administration commands may open the same file while the service runs.
///
/// ```swift
/// let forms = try FormLoader.load(directory: "forms")
/// let backend = try SQLiteBackend(path: "palabre-central.sqlite", forms: forms)
/// let project = try await backend.createProject(code: "demo", name: "Demo")
/// let enrolled = try await backend.enroll(name: "laptop-1", project: "demo", role: .facilitator)
/// print(enrolled.token)
/// ```
public final class SQLiteBackend: SyncBackend {
    /// The store holding everything.
    public let store: FieldStore
    /// The forms incoming changes are checked against.
    public let forms: FormCatalog
    /// How far ahead of the service's clock a change's stamp may be.
    public let maxClockAhead: Duration
    /// Each project's compiled forms.
    public let formCache = FormCache()
    /// Where the secret behind analysts' pseudonyms is kept.
    public let pseudonymSecret = PseudonymSecret()
    let logger: Logger
    let now: @Sendable () -> Date

    /// Opens (creating when absent) the service's database.
    ///
    /// - Parameters:
    ///   - path: the SQLite file.
    ///   - forms: the forms incoming changes are checked against.
    ///   - maxClockAhead: how far ahead of the service's clock a stamp may be before its batch is refused.
    ///   - logger: where refusals and copied stores are reported.
    ///   - now: the wall clock; tests pass another.
    /// - Throws: ``PalabreStore/StoreError/unreadable(path:reason:)`` when the file is not a Palabre database.
    public init(
        path: String, forms: FormCatalog, maxClockAhead: Duration = .seconds(600),
        logger: Logger = Logger(label: "palabre.server"), now: @escaping @Sendable () -> Date = { Date() }
    ) throws(StoreError) {
        store = try FieldStore(path: path, now: now, migrations: CentralSchema.migrations)
        self.forms = forms
        self.maxClockAhead = maxClockAhead
        self.logger = logger
        self.now = now
    }

    /// The service's clock, milliseconds since 1970.
    public func serverTime() -> Int64 { HLC.milliseconds(now()) }

    /// Runs a blocking store call off the cooperative thread pool.
    func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
