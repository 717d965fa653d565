import ArgumentParser
import Foundation
import Logging
import PalabreCore
import PalabreServer
import PalabreStore

/// The database option every command shares.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The service's SQLite file, or a PostgreSQL URL postgres://USER:PASSWORD@HOST:PORT/DATABASE (default: $PALABRE_DATABASE, or ./palabre-central.sqlite).",
            valueName: "path-or-url"))
    var database: String?

    /// The path chosen by option, environment or default.
    var path: String {
        database ?? environment("PALABRE_DATABASE") ?? "palabre-central.sqlite"
    }

    /// Where the database is, for messages (a URL's password hidden).
    var shown: String { Self.shown(path) }

    /// A path or URL for messages, a URL's password hidden.
    static func shown(_ path: String) -> String {
        guard PostgresBackend.isURL(path), var parts = URLComponents(string: path) else { return path }
        if parts.password != nil { parts.password = "***" }
        return parts.string ?? path
    }

    /// Opens the backend: PostgreSQL for a `postgres://` URL (migrated to the current schema), else the SQLite file
    /// (created when absent).
    ///
    /// - Parameter connect: false for the service, which runs a PostgreSQL backend as one of its application's services
    ///   and prepares it before listening (``prepare(_:)``).
    func openBackend(
        forms: FormCatalog = FormCatalog(forms: []), maxClockAhead: Duration = .seconds(600), maxConnections: Int = 16,
        logger: Logger = Logger(label: "palabre.server"), connect: Bool = true
    ) async throws -> any SyncBackend {
        try await Self.open(
            path, forms: forms, maxClockAhead: maxClockAhead, maxConnections: maxConnections, logger: logger,
            connect: connect)
    }

    /// Opens the backend at a path or URL (see ``openBackend(forms:maxClockAhead:maxConnections:logger:connect:)``).
    static func open(
        _ path: String, forms: FormCatalog = FormCatalog(forms: []), maxClockAhead: Duration = .seconds(600),
        maxConnections: Int = 16, logger: Logger = Logger(label: "palabre.server"),
        connect: Bool = true
    ) async throws -> any SyncBackend {
        if PostgresBackend.isURL(path) {
            guard connect else {
                return try PostgresBackend(
                    url: path, forms: forms, maxClockAhead: maxClockAhead, maxConnections: maxConnections,
                    logger: logger)
            }
            do {
                return try await PostgresBackend.connect(
                    url: path, forms: forms, maxClockAhead: maxClockAhead,
                    maxConnections: maxConnections, logger: logger)
            } catch {
                if case .badRequest = error { throw error }
                throw Failure(error.description, code: 69)
            }
        }
        do {
            return try SQLiteBackend(path: path, forms: forms, maxClockAhead: maxClockAhead, logger: logger)
        } catch {
            throw Failure(error.message(.en), code: 74)
        }
    }
}

/// The service's forms: a folder given with --forms or $PALABRE_FORMS, else the forms built into the binary; a folder
/// with mistakes is refused. A project that has no forms yet starts with these (see `SyncBackend.formVersions`).
func serviceForms(_ folder: String?) throws -> FormCatalog {
    guard let dir = folder ?? environment("PALABRE_FORMS") else { return FormLoader.builtIn() }
    let catalog = try FormLoader.load(directory: dir)
    if !catalog.problems.isEmpty {
        throw Failure(
            (["the forms in \(dir) have mistakes (see 'palabre forms check'):"] + catalog.problems.map { "  \($0)" })
                .joined(separator: "\n"), code: 65)
    }
    return catalog
}

/// Waits for a PostgreSQL backend's database and migrates it; an unreachable database is exit code 69.
func prepare(_ backend: PostgresBackend) async throws {
    do {
        try await backend.prepare()
    } catch {
        throw Failure(error.description, code: 69)
    }
}

/// A value from the environment, nil when unset or empty.
func environment(_ name: String) -> String? {
    guard let v = ProcessInfo.processInfo.environment[name], !v.isEmpty else { return nil }
    return v
}

/// A failure with a message for the user and an exit code.
struct Failure: Error {
    var message: String
    var code: Int32

    init(_ message: String, code: Int32) {
        self.message = message
        self.code = code
    }
}

/// Runs a command body, turning errors into one clear line on stderr and a conventional exit code.
func guarded(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let f as Failure {
        printError(f.message)
        throw ExitCode(f.code)
    } catch let e as ServiceError {
        printError(e.description)
        switch e {
        case .notFound: throw ExitCode(66)
        case .alreadyExists: throw ExitCode(65)
        case .unavailable: throw ExitCode(69)
        default: throw ExitCode(64)
        }
    } catch let e as StoreError {
        printError(e.message(.en))
        switch e {
        case .unreadable: throw ExitCode(74)
        case .notFound, .formsFolder: throw ExitCode(66)
        default: throw ExitCode(65)
        }
    }
}

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data(("palabre-server: " + message + "\n").utf8))
}

/// Sends every log line to standard error (standard output is kept for what scripts capture, such as a token).
func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
