import ArgumentParser
import Foundation
import GRDB
import PalabreCore
import PalabreServer
import PalabreStore

extension PalabreServerCommand {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a consistent copy of the service's SQLite database while it runs (for PostgreSQL: the pg_dump recipe).",
            discussion: """
                The copy is one snapshot of the whole database, taken without stopping the service (SQLite's online \
                backup), checked with SQLite's integrity check, flushed to disk, and only then given its name: a backup \
                cut off half-way leaves no file that looks like one. An existing file is never overwritten. The copy \
                holds every name the service holds: keep it as safe as the database (it is made readable by its owner \
                only). A pseudonym key file (serve --pseudonym-key-file) is not in the database: back it up too, apart.

                Exit codes: 0 done; 64 PostgreSQL (the recipe is printed: use pg_dump); 65 refused (the file exists, \
                or the copy is damaged); 74 the database cannot be read.

                Example: palabre-server backup --to /var/backups/palabre/central-$(date +%F).sqlite
                """
        )
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The file to write (it must not exist).") var to: String

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                if PostgresBackend.isURL(options.path) {
                    throw Failure(Self.pgDumpRecipe(options.shown, to: to), code: 64)
                }
                guard FileManager.default.fileExists(atPath: options.path) else {
                    throw Failure("there is no database at \(options.path) (--database, or $PALABRE_DATABASE)", code: 66)
                }
                guard CentralCopy.isCentralStore(path: options.path) else {
                    throw Failure("\(options.path) is not a database of palabre-server (a laptop's store, or not Palabre's)", code: 65)
                }
                let started = Date()
                // Opened read-only, never migrated: the database as the running service keeps it.
                let check = try FieldStore.backup(of: options.path, to: to)
                let seconds = Date().timeIntervalSince(started)
                print("backed up \(options.path) to \(to): \(Self.size(check.bytes)), integrity ok, \(String(format: "%.1f", seconds)) s")
                if let key = environment("PALABRE_PSEUDONYM_KEY_FILE") {
                    print("the pseudonym key file \(key) is not in the backup: back it up too, kept apart from it")
                }
            }
        }

        static func pgDumpRecipe(_ shown: String, to file: String) -> String {
            """
            palabre-server does not copy PostgreSQL itself: PostgreSQL's own tools make a consistent copy while the \
            service runs. For example:
              pg_dump --format=custom --file=\(file) '\(shown)'
            and to put it back into an empty database:
              pg_restore --dbname='\(shown)' --no-owner \(file)
            (the password is the one of --database; pg_dump reads it from ~/.pgpass or $PGPASSWORD)
            """
        }

        static func size(_ bytes: Int64) -> String {
            if bytes >= 1 << 30 { return String(format: "%.1f GB", Double(bytes) / 1_073_741_824) }
            return bytes >= 1 << 20
                ? String(format: "%.1f MB", Double(bytes) / 1_048_576) : String(format: "%.0f KB", Double(bytes) / 1024)
        }
    }
}

extension PalabreServerCommand {
    struct Doctor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the database, the forms, the disk, the clock and the pseudonym secret, and say what to do.",
            discussion: """
                Changes nothing, except that it brings a database of an older version up to this version's schema, as \
                the service does when it starts (run it after the upgrade's restart). Each line starts with ✓ (fine), ! (look at it soon) or ✗ (fix it now), and says what to \
                do. Run it after an upgrade, a restore, a move to another machine, or when laptops report trouble.

                Exit codes: 0 nothing to fix now (warnings allowed); 1 something to fix.

                Example: palabre-server doctor --database /var/lib/palabre/central.sqlite --pseudonym-key-file /etc/palabre/pseudonym.key
                """
        )
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The forms folder the service is started with, to check it (default: $PALABRE_FORMS).") var forms: String?
        @Option(
            name: .customLong("pseudonym-key-file"),
            help: "The pseudonym key file the service is started with (default: $PALABRE_PSEUDONYM_KEY_FILE).")
        var pseudonymKeyFile: String?

        enum Level: String { case ok = "✓", warn = "!", bad = "✗" }

        func run() async throws {
            bootstrapLogging(level: .error)
            var worst = Level.ok
            func say(_ level: Level, _ what: String) {
                print("\(level.rawValue) \(what)")
                if level == .bad || (level == .warn && worst == .ok) { worst = level }
            }
            let path = options.path
            let postgres = PostgresBackend.isURL(path)
            if !postgres, !FileManager.default.fileExists(atPath: path) {
                say(.bad, "database: there is none at \(path) (--database, or $PALABRE_DATABASE); 'palabre-server serve' makes one")
                throw ExitCode(1)
            }
            // The database: reachable, readable, whole, at this version's schema (opening migrates an older one).
            let backend: any SyncBackend
            do {
                backend = try await options.openBackend()
            } catch {
                say(
                    .bad,
                    "database \(options.shown): cannot be opened (\(error)); see the service's log, and restore the latest backup if it is damaged")
                throw ExitCode(1)
            }
            if let sqlite = backend as? SQLiteBackend {
                do {
                    let check = try sqlite.store.check()
                    if check.integrity == "ok" {
                        say(.ok, "database \(path): SQLite, integrity ok, \(Backup.size(check.bytes))")
                    } else {
                        say(.bad, "database \(path): damaged (\(check.integrity)): stop the service and restore the latest backup")
                    }
                } catch {
                    say(.bad, "database \(path): cannot be checked (\(error))")
                }
            } else {
                say(.ok, "database \(options.shown): PostgreSQL, reachable, schema up to date (back it up with pg_dump)")
            }
            do {
                let projects = try await backend.projects()
                let devices = try await backend.devices()
                let active = devices.filter { $0.revoked == nil }
                say(.ok, "projects: \(projects.count), devices: \(active.count) enrolled (\(devices.count - active.count) revoked)")
                // Forms: every stored version of every project compiles (what laptops receive and changes are checked with).
                var broken: [String] = []
                for p in projects {
                    for f in try await backend.storedForms(project: p.code) where !FormLoader.load(text: f.source, file: "\(f.name).yaml").1.isEmpty {
                        broken.append("\(p.code)/\(f.name) v\(f.version)")
                    }
                }
                if broken.isEmpty {
                    say(.ok, "published forms: every version of every project's forms reads")
                } else {
                    say(.bad, "published forms that this version cannot read: \(broken.joined(separator: ", ")); publish a corrected version")
                }
                // The clock: the service stamps what it hears with its own time; a time heard later than now means the
                // clock went back (a wrong date would re-stamp laptops and misplace retention).
                let now = Date()
                if let latest = devices.compactMap(\.lastSeen).max(), latest.timeIntervalSince(now) > 60 {
                    say(
                        .bad,
                        "clock: this machine says \(ISOTime.text(now, fraction: false)), but a laptop was heard at \(ISOTime.text(latest, fraction: false)): the clock went back; set it right (timedatectl, NTP) before serving"
                    )
                } else {
                    let synchronised = clockSynchronised()
                    say(synchronised == false ? .warn : .ok, clockLine(now, synchronised: synchronised))
                }
            } catch {
                say(.bad, "database: cannot be read (\(error))")
            }
            if let folder = forms ?? environment("PALABRE_FORMS") {
                if let catalog = try? FormLoader.load(directory: folder), catalog.problems.isEmpty {
                    say(.ok, "forms folder \(folder): \(catalog.names.count) form(s) read (\(catalog.names.joined(separator: ", ")))")
                } else {
                    let problems = (try? FormLoader.load(directory: folder).problems.map { "\($0)" }) ?? ["cannot be read"]
                    say(.bad, "forms folder \(folder): the service would not start: \(problems.first ?? "?") (see 'palabre forms check')")
                }
            }
            if !postgres { disk(path, say) }
            do {
                say(
                    .ok,
                    "pseudonym secret: "
                        + (try await backend.pseudonymSecretStatus(file: pseudonymKeyFile ?? environment("PALABRE_PSEUDONYM_KEY_FILE"))))
            } catch {
                say(.bad, "pseudonym secret: \(error)")
            }
            if worst == .bad { throw ExitCode(1) }
        }

        /// Free space where the database lives: the write-ahead log and a backup need room.
        func disk(_ path: String, _ say: (Level, String) -> Void) {
            let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
            guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: folder),
                let free = (attributes[.systemFreeSize] as? NSNumber)?.int64Value, let total = (attributes[.systemSize] as? NSNumber)?.int64Value,
                total > 0
            else {
                say(.warn, "disk: cannot tell how much space is free in \(folder)")
                return
            }
            let database = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            let share = Double(free) / Double(total) * 100
            let line =
                "disk: \(Backup.size(free)) free in \(folder) (\(String(format: "%.0f", share)) %), the database takes \(Backup.size(database))"
            if free < max(500 << 20, 2 * database) {
                say(.bad, line + ": free space now, or writes will fail (a backup needs as much as the database)")
            } else if share < 10 || free < 2 << 30 {
                say(.warn, line + ": free some space soon")
            } else {
                say(.ok, line)
            }
        }

        /// Whether the system says its clock is kept by NTP (nil when it cannot tell).
        func clockSynchronised() -> Bool? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/timedatectl")
            process.arguments = ["show", "--property=NTPSynchronized", "--value"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/timedatectl"), (try? process.run()) != nil else { return nil }
            process.waitUntilExit()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            return process.terminationStatus == 0 ? text == "yes" : nil
        }

        func clockLine(_ now: Date, synchronised: Bool?) -> String {
            let time = "clock: \(ISOTime.text(now, fraction: false)) (UTC), no laptop heard later"
            switch synchronised {
            case true?: return time + ", kept by NTP"
            case false?: return time + ", but not synchronised by NTP: laptops are re-stamped at this time, keep it right (timedatectl set-ntp true)"
            case nil: return time
            }
        }
    }
}

extension PalabreServerCommand {
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a backup back in place of the SQLite database (the service stopped), or mark a database restored by other means.",
            discussion: """
                Stop the service first. The backup is checked (a central store of palabre-server, SQLite's integrity \
                check) before anything is touched. A database already at --database is kept, renamed \
                NAME.before-restore-TIMESTAMP with its -wal and -shm files, never deleted; without --replace it is \
                refused. The restored database is brought up to this version's schema, and its change log gets a new \
                identity: at their next sync, laptops see it and send everything again (what the service has is \
                recognised, nothing is applied twice), so what reached the service after the backup comes back, and \
                they receive everything again.

                After pg_restore (PostgreSQL), or a SQLite file put in place by hand, run 'palabre-server restore \
                --mark-restored' on that database so laptops know.

                Example: palabre-server restore --from /var/backups/palabre/central-2026-12-01.sqlite --replace
                         palabre-server restore --mark-restored --database postgres://palabre@db/palabre
                """
        )
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The backup to restore (made by 'palabre-server backup').") var from: String?
        @Flag(help: "Set the database in place aside (renamed, kept) and restore over it.") var replace = false
        @Flag(name: .customLong("mark-restored"), help: "Only give the database's change log a new identity (it was restored by other means).")
        var markRestored = false

        func validate() throws {
            if (from == nil) == !markRestored {
                throw ValidationError("give --from BACKUP, or --mark-restored for a database restored by other means")
            }
        }

        /// Erasures are never undone by a restore: those the replaced database holds (a person who asked to be
        /// forgotten after the backup was made) are written again on the restored one. A record the backup does not hold
        /// yet comes back when its laptop sends everything again: it is listed, to erase once it is there.
        func carryErasures(from old: String, to backend: any SyncBackend) async throws {
            var configuration = Configuration()
            configuration.readonly = true
            guard let queue = try? DatabaseQueue(path: old, configuration: configuration),
                let rows = try? await queue.read({ db in
                    try Row.fetchAll(db, sql: "SELECT id, project, vals FROM records WHERE instr(vals, '\"_erased\"') > 0").map {
                        (id: $0["id"] as String, project: $0["project"] as String, vals: $0["vals"] as String)
                    }
                })
            else {
                print("the replaced database cannot be read: erasures made after the backup must be made again ('palabre-server erase')")
                return
            }
            var carried = 0
            var missing: [String] = []
            for row in rows {
                guard let values = try? ValueMap.decodePresent(row.vals), case .list(let fields)? = values[erasedField], !fields.isEmpty else {
                    continue
                }
                let by: String = if case .string(let b)? = values[erasedByField] { b } else { "restore" }
                do {
                    if try await !backend.eraseUnlessErased(project: row.project, record: row.id, by: by).isEmpty { carried += 1 }
                } catch ServiceError.notFound {
                    missing.append("palabre-server erase \(row.id) --project \(row.project) --by \"\(by)\"")
                }
            }
            if carried > 0 { print("\(carried) erasure(s) made after the backup were made again on the restored database") }
            if !missing.isEmpty {
                print("once the laptops have synced, erase again (these records are newer than the backup):")
                for m in missing { print("  " + m) }
            }
        }

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                if markRestored {
                    let backend = try await options.openBackend()
                    _ = try await backend.renewLogEpoch()
                    print("\(options.shown): marked restored; laptops send and receive everything again at their next sync")
                    return
                }
                guard let from else { return }
                if PostgresBackend.isURL(options.path) {
                    throw Failure(
                        Backup.pgDumpRecipe(options.shown, to: from) + "\nthen: palabre-server restore --mark-restored --database URL", code: 64)
                }
                let fm = FileManager.default
                guard fm.fileExists(atPath: from) else { throw Failure("--from: '\(from)' does not exist", code: 66) }
                guard CentralCopy.isCentralStore(path: from) else {
                    throw Failure("--from: '\(from)' is not a backup of palabre-server (a laptop's store, or not Palabre's)", code: 65)
                }
                var configuration = Configuration()
                configuration.readonly = true
                let source = try DatabaseQueue(path: from, configuration: configuration)
                let integrity = try await source.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
                guard integrity == "ok" else {
                    throw Failure("--from: '\(from)' is damaged (SQLite's integrity check: \(integrity)); nothing was changed", code: 65)
                }
                let target = options.path
                guard !fm.fileExists(atPath: target) || replace else {
                    throw Failure(
                        "there is a database at \(target) already: stop the service, then restore with --replace (it is kept, renamed)", code: 65)
                }
                // Written under a temporary name, then renamed: a restore cut off leaves no half database in place.
                let partial = target + ".restoring"
                for suffix in ["", "-wal", "-shm", "-journal"] { try? fm.removeItem(atPath: partial + suffix) }
                let destination = try DatabaseQueue(path: partial)
                try source.backup(to: destination)
                // The new log identity is in the file before it takes the database's name: a restore cut off after the
                // rename still tells the laptops.
                let epoch = LogEpoch.make()
                try await destination.write { db in
                    try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('log_epoch', ?)", arguments: [epoch])
                }
                try await destination.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
                try destination.close()
                try source.close()
                if let handle = FileHandle(forUpdatingAtPath: partial) {
                    try handle.synchronize()
                    try handle.close()
                }
                var setAside: String?
                if fm.fileExists(atPath: target) {
                    let stamp = ISOTime.text(Date(), fraction: false).replacingOccurrences(of: ":", with: "")
                    let aside = "\(target).before-restore-\(stamp)"
                    for suffix in ["", "-wal", "-shm"] where fm.fileExists(atPath: target + suffix) {
                        try fm.moveItem(atPath: target + suffix, toPath: aside + suffix)
                    }
                    setAside = aside
                }
                guard rename(partial, target) == 0 else {
                    throw Failure("cannot put the restored database at \(target): \(String(cString: strerror(errno)))", code: 74)
                }
                // Opening it migrates a backup of an older version.
                let backend = try await options.openBackend()
                let projects = try await backend.projects()
                let devices = try await backend.devices()
                print("restored \(from) to \(target): \(projects.count) project(s), \(devices.count) device(s)")
                if let setAside {
                    print("the database that was there is kept as \(setAside)")
                    try await carryErasures(from: setAside, to: backend)
                }
                print("start the service again; laptops send and receive everything again at their next sync")
            }
        }
    }
}
