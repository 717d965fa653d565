import ArgumentParser
import Foundation

/// `palabre-server`: the central sync service and its administration.
@main
struct PalabreServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "palabre-server",
        abstract: "The Palabre central service: field laptops push and pull their changes here.",
        discussion: """
            Everything lives in one SQLite file (--database, $PALABRE_DATABASE, or ./palabre-central.sqlite), or \
            in PostgreSQL with --database postgres://USER:PASSWORD@HOST:PORT/DATABASE, which several instances of \
            the service can share. The administration commands take the same --database and work while the \
            service runs. 'copy' moves a SQLite store into PostgreSQL.

            Exit codes: 0 done; 64 bad usage; 65 refused (already exists); 66 no such project or device; \
            69 PostgreSQL cannot be reached; 74 the database cannot be used.

            Example:
              palabre-server project create vestibules-gao --name "Vestibules de la paix, Gao"
              palabre-server enroll --project vestibules-gao --role facilitator --name bara-laptop
              palabre-server serve --host 0.0.0.0 --port 8080
            """,
        subcommands: [
            Serve.self, ProjectCommand.self, Enroll.self, Devices.self, Revoke.self, Exports.self, Forms.self, SetAsideCommand.self, Copy.self,
            Erase.self, Assign.self, Backup.self, Restore.self, Doctor.self,
        ]
    )

    /// Sets the file-creation mask before anything is created: the central database (and its -wal and -shm files)
    /// holds every project's names and phone numbers, so it is readable by its owner only (0600, folders 0700).
    static func main() async {
        umask(0o077)
        await main(nil)
    }
}
