import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PalabreCore
import PalabreStore
import PostgresNIO
import ServiceLifecycle

/// The central service's storage on PostgreSQL, for organisations that outgrow one SQLite file: several service
/// instances can share one database.
///
/// It keeps every promise of ``SyncBackend`` with concurrent writers:
/// - A push runs in one transaction. Its batch row is inserted first, so the same batch pushed through two instances at
///   once is applied once: the second waits on the first's row and then answers with the stored response.
/// - Record rows are locked (`FOR UPDATE`, in id order) before they are merged, so two pushes touching one record
///   merge one after the other; every other push runs in parallel.
/// - Change-log positions are numbered per project from the project's row, locked as the push's last step and held to
///   its commit: positions are handed out in commit order, so a pull cursor never skips a change that commits later.
/// - A deadlock, a serialization failure or a record created concurrently rolls the push back and runs it again.
/// - Pulls, token checks and record reads use a second pool, so they never wait for a connection held by a push that
///   waits for a lock. Any database failure is answered 503 (``ServiceError/unavailable(_:)``), which clients retry.
///
/// It is a service (swift-service-lifecycle's `Service`): the central service adds it to its application
/// (`addServices`), so its connection pools start before the server listens and close only after the server has
/// answered its last request on a graceful shutdown. A command or a test that has no application uses
/// ``connect(url:forms:maxClockAhead:maxConnections:startupTimeout:logger:now:beforeCommit:)``, which runs it on a task
/// of its own until ``close()``.
///
/// ```swift
/// let backend = try PostgresBackend(url: "postgres://palabre@localhost/palabre", forms: forms)
/// var app = buildApplication(configuration: ServerConfiguration(port: 8080), backend: backend)
/// app.addServices(backend)
/// app.beforeServerStarts { try await backend.prepare() }
/// try await app.runService()
/// ```
public final class PostgresBackend: SyncBackend, Service, Sendable {
    /// The forms incoming changes are checked against.
    public let forms: FormCatalog
    /// How far ahead of the service's clock a change's stamp may be.
    public let maxClockAhead: Duration
    /// Each project's compiled forms.
    public let formCache = FormCache()
    /// Where the secret behind analysts' pseudonyms is kept.
    public let pseudonymSecret = PseudonymSecret()
    /// Where the database is, without the password (for logs).
    public let description: String
    /// Connections for transactions that write (pushes, resolutions, administration).
    let client: PostgresClient
    /// Connections for reads that must not queue behind pushes waiting for locks: pulls, token checks, records.
    let readClient: PostgresClient
    package let logger: Logger
    let now: @Sendable () -> Date
    /// The schema named by the URL's `search_path`, if any.
    private let schema: String?
    private let startupTimeout: Duration
    /// The task running the pools when the backend was opened by ``connect(url:forms:maxClockAhead:maxConnections:startupTimeout:logger:now:beforeCommit:)``.
    private let runner = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// Called inside a push's transaction after its change-log positions are taken, just before COMMIT: tests widen
    /// the window in which commits could reorder. Given once, at `init`.
    let beforeCommit: (@Sendable () async -> Void)?

    /// Describes the database; nothing is connected until ``run()`` runs and ``prepare()`` is called.
    ///
    /// - Parameters:
    ///   - url: `postgres://USER:PASSWORD@HOST:PORT/DATABASE`, with optional `?sslmode=disable|prefer|require`,
    ///     `&search_path=SCHEMA` (a schema of its own in a shared database) and `&host=/run/postgresql` (a Unix socket).
    ///   - maxConnections: the size of each of this instance's two pools (writes; pulls, token checks and reads).
    ///   - startupTimeout: how long ``prepare()`` waits for the database's first answer.
    /// - Throws: ``ServiceError/badRequest(_:)`` for a bad URL.
    public init(
        url: String, forms: FormCatalog, maxClockAhead: Duration = .seconds(600), maxConnections: Int = 16,
        startupTimeout: Duration = .seconds(10), logger: Logger = Logger(label: "palabre.server"), now: @escaping @Sendable () -> Date = { Date() },
        beforeCommit: (@Sendable () async -> Void)? = nil
    ) throws(ServiceError) {
        var (configuration, description, schema) = try Self.configuration(url: url)
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(10)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        readClient = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.forms = forms
        self.maxClockAhead = maxClockAhead
        self.description = description
        self.logger = logger
        self.now = now
        self.schema = schema
        self.startupTimeout = startupTimeout
        self.beforeCommit = beforeCommit
    }

    /// Runs both connection pools until the task is cancelled or a graceful shutdown begins (`Service`).
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.readClient.run() }
        }
    }

    /// Waits (for the startup timeout) for the database's first answer, then brings the schema up to date. Call it
    /// once ``run()`` runs: in an application, from `beforeServerStarts`.
    ///
    /// - Throws: ``ServiceError/unavailable(_:)`` when the database cannot be reached or migrated.
    public func prepare() async throws(ServiceError) {
        let logger = logger, client = client, schema = schema
        // The pool retries a refused connection without end: the first answer is awaited for a bounded time.
        let first = await Self.within(startupTimeout) { _ = try await client.query("SELECT 1", logger: logger) }
        do {
            try first.get()
            // Not bounded: instances starting together wait for each other's migrations.
            try await PostgresSchema.migrate(client, schema: schema, logger: logger)
        } catch {
            let reason =
                error is TimedOut
                ? "no answer in \(startupTimeout.components.seconds) s (is it running, and reachable from here?)"
                : Self.describe(error)
            throw ServiceError.unavailable("PostgreSQL at \(description): \(reason)")
        }
    }

    /// Opens a backend outside an application: runs it on a task of its own and prepares it; ``close()`` stops it.
    ///
    /// ```swift
    /// let backend = try await PostgresBackend.connect(url: "postgres://palabre@localhost/palabre", forms: forms)
    /// defer { backend.close() }
    /// ```
    public static func connect(
        url: String, forms: FormCatalog, maxClockAhead: Duration = .seconds(600), maxConnections: Int = 16,
        startupTimeout: Duration = .seconds(10), logger: Logger = Logger(label: "palabre.server"),
        now: @escaping @Sendable () -> Date = { Date() },
        beforeCommit: (@Sendable () async -> Void)? = nil
    ) async throws(ServiceError) -> PostgresBackend {
        let backend = try PostgresBackend(
            url: url, forms: forms, maxClockAhead: maxClockAhead, maxConnections: maxConnections,
            startupTimeout: startupTimeout, logger: logger, now: now, beforeCommit: beforeCommit)
        // The task holds the pools, not the backend: a backend nobody holds any more is freed, and its deinit stops them.
        let (client, readClient) = (backend.client, backend.readClient)
        backend.runner.withLockedValue {
            $0 = Task {
                await withDiscardingTaskGroup { group in
                    group.addTask { await client.run() }
                    group.addTask { await readClient.run() }
                }
            }
        }
        do {
            try await backend.prepare()
        } catch {
            backend.close()
            throw error
        }
        return backend
    }

    deinit { runner.withLockedValue { $0?.cancel() } }

    /// Closes the pools' connections of a backend opened by ``connect(url:forms:maxClockAhead:maxConnections:startupTimeout:logger:now:beforeCommit:)``.
    public func close() { runner.withLockedValue { $0?.cancel() } }

    /// The service's clock, milliseconds since 1970.
    public func serverTime() -> Int64 { HLC.milliseconds(now()) }

    /// Whether a text is a PostgreSQL URL rather than a SQLite path.
    public static func isURL(_ text: String) -> Bool { text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") }

    /// The client configuration of a URL, and the URL without its password.
    static func configuration(url: String) throws(ServiceError) -> (PostgresClient.Configuration, String, String?) {
        guard isURL(url), let parts = URLComponents(string: url) else {
            throw ServiceError.badRequest("--database '\(url)': expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let user = parts.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = parts.password.flatMap { $0.removingPercentEncoding }
        var database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        if database.isEmpty { database = user }
        var query: [String: String] = [:]
        for item in parts.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let known: Set = ["sslmode", "search_path", "host", "application_name"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw ServiceError.badRequest("--database: unknown URL parameter '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        var configuration: PostgresClient.Configuration
        if let socketDir = query["host"], socketDir.hasPrefix("/") {
            let port = parts.port ?? 5432
            configuration = .init(unixSocketPath: "\(socketDir)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch query["sslmode"] ?? "prefer" {
            case "disable": tls = .disable
            case "prefer": tls = .prefer(.makeClientConfiguration())
            case "require": tls = .require(.makeClientConfiguration())
            case let other:
                throw ServiceError.badRequest("--database: sslmode '\(other)' is not one of disable, prefer, require")
            }
            configuration = .init(
                host: parts.host ?? "localhost", port: parts.port ?? 5432, username: user, password: password,
                database: database, tls: tls)
        }
        var startup: [(String, String)] = [("application_name", query["application_name"] ?? "palabre-server")]
        let schema = query["search_path"].flatMap { $0.isEmpty ? nil : $0 }
        if let schema {
            guard schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), schema.first?.isNumber == false else {
                throw ServiceError.badRequest("--database: search_path '\(schema)' must be one schema name of letters, digits and '_'")
            }
            startup.append(("search_path", schema))
        }
        configuration.options.additionalStartupParameters = startup
        var shown = parts
        if shown.password != nil { shown.password = "***" }
        return (configuration, shown.string ?? url, schema)
    }

    /// Runs a transaction on one connection; a deadlock, a serialization failure or a unique violation (a record
    /// created by a concurrent push) rolls it back and runs it again, up to eight times.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.unavailableOnFailure { try await self.retrying(body) }
    }

    private func retrying<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: self.logger)
                    do {
                        let value = try await body(connection)
                        try await connection.query("COMMIT", logger: self.logger)
                        return value
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: self.logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where attempt < 8 && Self.isRetryable(error) {
                logger.debug("transaction retried", metadata: ["attempt": "\(attempt)", "sqlstate": "\(error.serverInfo?[.sqlState] ?? "")"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 2...20) * attempt))
            }
        }
    }

    struct TimedOut: Error {}

    /// The result of `body`, or `TimedOut` once `limit` passes (then `body` is left to end on its own).
    static func within(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async -> Result<Void, any Error> {
        let once = NIOLockedValueBox(false)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, any Error>, Never>) in
            @Sendable func finish(_ r: Result<Void, any Error>) {
                if once.withLockedValue({ done in
                    defer { done = true }; return !done
                }) {
                    continuation.resume(returning: r)
                }
            }
            Task {
                do {
                    try await body()
                    finish(.success(()))
                } catch {
                    finish(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: limit)
                finish(.failure(TimedOut()))
            }
        }
    }

    /// Runs statements outside an explicit transaction (each is its own).
    package func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.unavailableOnFailure { try await self.client.withConnection { try await body($0) } }
    }

    /// Runs reads on the read pool: a pull or a token check never waits for a connection held by a push that waits
    /// for a lock.
    func withReadConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.unavailableOnFailure { try await self.readClient.withConnection { try await body($0) } }
    }

    /// The service's own refusals pass through; any other failure (a lost connection, a pool that cannot connect, a
    /// server error) becomes ``ServiceError/unavailable(_:)``: 503, which clients retry later.
    static func unavailableOnFailure<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ServiceError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ServiceError.unavailable("the database failed: \(describe(error)); nothing was changed, try again")
        }
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001" || state == "23505"
    }

    /// A database error in one line: PostgreSQL's message and code, or the connection failure.
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return "\(message) (SQLSTATE \(e.serverInfo?[.sqlState] ?? "?"))" }
            return "\(e.code)" + (e.underlying.map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }
}

extension PostgresConnection {
    /// Runs a statement, ignoring its rows.
    func run(_ query: PostgresQuery, _ logger: Logger) async throws {
        _ = try await self.query(query, logger: logger)
    }
}

extension PostgresBackend {
    /// The benchmarks' baseline: `(record, hlc, node, body)` rows inserted into a plain table `raw_changes` (created
    /// here), one multi-row INSERT and one transaction per batch; no index, no check, no merge.
    public func rawBaseline(rows: [(String, Int64, String, String)], batch: Int) async throws {
        let logger = logger
        try await withConnection { db in
            try await db.run("CREATE TABLE IF NOT EXISTS raw_changes (record_id TEXT, hlc BIGINT, node TEXT, body TEXT)", logger)
        }
        for start in stride(from: 0, to: rows.count, by: batch) {
            let part = Array(rows[start..<min(start + batch, rows.count)])
            try await transaction { db in
                try await db.run(
                    """
                    INSERT INTO raw_changes SELECT * FROM unnest(\(part.map(\.0)), \(part.map(\.1)), \(part.map(\.2)), \(part.map(\.3)))
                    """, logger)
            }
        }
    }
}
