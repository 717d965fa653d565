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
    public init(path: String, forms: FormCatalog, maxClockAhead: Duration = .seconds(600),
                logger: Logger = Logger(label: "palabre.server"), now: @escaping @Sendable () -> Date = { Date() }) throws(StoreError) {
        store = try FieldStore(path: path, now: now, migrations: CentralSchema.migrations)
        self.forms = forms
        self.maxClockAhead = maxClockAhead
        self.logger = logger
        self.now = now
    }

    /// The service's clock, milliseconds since 1970.
    public func serverTime() -> Int64 { HLC.milliseconds(now()) }

    /// The bound on stamps ahead of the service's clock, in milliseconds.
    var maxAheadMs: Int64 {
        let c = maxClockAhead.components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }

    /// Runs a blocking store call off the cooperative thread pool.
    func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// Dates as the service's tables keep them: ISO 8601 text to the second, UTC (`2026-11-29T11:37:31Z`).
///
/// Written and read without `ISO8601DateFormatter`: every request reads a device's three dates and every push writes
/// two, and a formatter (ICU underneath) cost a tenth of the service's CPU under load.
enum Timestamp {
    static func text(_ date: Date) -> String {
        let iso = HLC.iso(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
        return String(iso.dropLast(5)) + "Z"  // without the milliseconds
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int64? {
            var n: Int64 = 0
            for i in from..<(from + count) {
                guard i < b.count, (48...57).contains(b[i]) else { return nil }
                n = n * 10 + Int64(b[i] - 48)
            }
            return n
        }
        guard b.count == 20 || b.count == 24, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b.last == 90,
              let y = num(0, 4), let m = num(5, 2), let d = num(8, 2), let hh = num(11, 2), let mm = num(14, 2), let ss = num(17, 2),
              (1...12).contains(m), (1...31).contains(d), hh < 24, mm < 60, ss < 61
        else { return ISO8601DateFormatter().date(from: text) }
        var ms: Int64 = 0
        if b.count == 24 {
            guard b[19] == 46, let f = num(20, 3) else { return ISO8601DateFormatter().date(from: text) }
            ms = f
        }
        // Days since 1970 from a civil date (Howard Hinnant's algorithm).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + hh * 3600 + mm * 60 + ss
        return Date(timeIntervalSince1970: Double(seconds) + Double(ms) / 1000)
    }
}
