import ArgumentParser
import Foundation
import Logging
import PalabreServer

extension PalabreServerCommand {
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a SQLite central store into an empty PostgreSQL database (all of it, in one transaction).",
            discussion: """
                Stop the service first, so nothing is pushed during the copy; then start it again with \
                --database pointing at PostgreSQL. Devices keep their tokens, laptops keep their cursors (nothing is \
                pulled again or missed), pseudonyms stay the same. The SQLite file is only read. On any error nothing \
                is written to PostgreSQL.

                Example: palabre-server copy --from /var/lib/palabre/central.sqlite --to postgres://palabre:SECRET@db.example/palabre
                """
        )
        @Option(help: "The SQLite central store to read.") var from: String
        @Option(help: "The PostgreSQL database to fill: postgres://USER:PASSWORD@HOST:PORT/DATABASE.") var to: String

        func validate() throws {
            guard PostgresBackend.isURL(to) else { throw ValidationError("--to: '\(to)' is not a postgres:// URL") }
            guard FileManager.default.fileExists(atPath: from) else {
                throw ValidationError("--from: '\(from)' does not exist (the service's SQLite file, e.g. palabre-central.sqlite)")
            }
            guard CentralCopy.isCentralStore(path: from) else {
                throw ValidationError("--from: '\(from)' is not a central store of palabre-server (a laptop's store, or not Palabre's)")
            }
        }

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                let source = try await DatabaseOptions.open(from)
                let destination = try await DatabaseOptions.open(to, maxConnections: 2)
                guard let sqlite = source as? SQLiteBackend, let postgres = destination as? PostgresBackend else {
                    throw Failure("copy goes from a SQLite file to a postgres:// URL", code: 64)
                }
                let terminal = isatty(STDERR_FILENO) != 0
                let report = try await CentralCopy.copy(from: sqlite, to: postgres) { table, count in
                    if terminal { FileHandle.standardError.write(Data("\r\(table): \(count)    ".utf8)) }
                }
                if terminal { FileHandle.standardError.write(Data("\r".utf8)) }
                postgres.close()
                for (table, count) in report.rows { print("\(table)\t\(count)") }
                printError("copied \(from) into \(DatabaseOptions.shown(to)); start the service with --database on it")
                if try await sqlite.store.secretMark(named: "pseudonym_key") != nil {
                    printError(
                        "the pseudonym secret is in a key file, not in \(from): start the service on the copy with the same --pseudonym-key-file")
                }
            }
        }
    }
}
