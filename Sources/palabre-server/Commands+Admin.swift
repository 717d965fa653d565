import ArgumentParser
import Foundation
import PalabreCore
import PalabreServer

extension PalabreServerCommand {
    struct ProjectCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "project",
            abstract: "Create and list projects (the scope of devices, records and changes) and set how long they keep names.",
            discussion: "Example: palabre-server project create vestibules-gao --name \"Vestibules de la paix, Gao\"",
            subcommands: [Create.self, List.self, Retention.self]
        )

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a project.",
                discussion: "Example: palabre-server project create vestibules-gao --name \"Vestibules de la paix, Gao\""
            )
            @OptionGroup var options: DatabaseOptions
            @Argument(help: "The project code: lowercase letters, digits, '-', '_' or '.' (e.g. vestibules-gao).") var code: String
            @Option(help: "A name for people.") var name: String

            func run() async throws {
                bootstrapLogging(level: .warning)
                try await guarded {
                    let project = try await options.openBackend().createProject(code: code, name: name)
                    print("project \(project.code) created: \(project.name)")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the projects.", discussion: "Example: palabre-server project list")
            @OptionGroup var options: DatabaseOptions

            func run() async throws {
                bootstrapLogging(level: .warning)
                try await guarded {
                    let backend = try await options.openBackend()
                    let days = Dictionary(try await backend.retentionPolicies().map { ($0.project, $0.days) }, uniquingKeysWith: { a, _ in a })
                    for p in try await backend.projects() {
                        let kept = days[p.code] ?? 0
                        print("\(p.code)\t\(p.name)\t\(Table.date(p.created))\t\(kept > 0 ? "names kept \(kept) days" : "names kept for ever")")
                    }
                }
            }
        }
    }

    struct Retention: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set how many days a project keeps the names and phone numbers of the people recorded.",
            discussion: """
                After the period, the service erases a record's identifying values (its form's sensitive and contact fields) \
                as 'palabre-server erase' does: from the merged record, its history, the change log and what is set aside, \
                and from every laptop at its next sync, leaving a tombstone 'retention (N days)'. Counts, sex, age band, \
                role and initiatives stay. A record's period starts when it reached the service, or at its creation if later, \
                so a laptop with a wrong clock cannot shorten it; records already there when the service first swept the \
                project start at their creation (never before the project's). The running service sweeps at start and every \
                hour (serve --retention-sweep-minutes); 'palabre-server erase --expired' sweeps now. --days 0 keeps names \
                for ever (the default).

                Example: palabre-server project retention vestibules-gao --days 730 --by "coordinator Gao"
                Example: palabre-server project retention vestibules-gao
                """
        )
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The project code.") var code: String
        @Option(parsing: .unconditional, help: "Days to keep identifying values after a record reached the service; 0 keeps them for ever.")
        var days: Int?
        @Option(help: "Who sets it (a name or role), kept with the setting.") var by: String?

        func validate() throws {
            if days != nil, by == nil { throw ValidationError("--by: say who sets the retention (a name or role)") }
            if days == nil, by != nil { throw ValidationError("--by goes with --days N (the period to set)") }
        }

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                let backend = try await options.openBackend()
                if let days, let by {
                    try await backend.setRetention(project: code, days: days, by: by)
                    print(
                        days > 0
                            ? "\(code) keeps names and phone numbers \(days) days after a record reaches the service; the running service erases them after that (see 'palabre-server erase --expired --dry-run' for what is due now)"
                            : "\(code) keeps names and phone numbers for ever")
                    return
                }
                guard try await backend.project(code) != nil else {
                    throw ServiceError.notFound("there is no project '\(code)' (see 'palabre-server project list')")
                }
                if let policy = try await backend.retentionPolicies().first(where: { $0.project == code }), policy.days > 0 {
                    let since = policy.setAt.map { ", set \(Table.date($0))" } ?? ""
                    print("\(code) keeps names and phone numbers \(policy.days) days\(since)\(policy.setBy.map { " by \($0)" } ?? "")")
                } else {
                    print("\(code) keeps names and phone numbers for ever (set a period with --days N --by WHO)")
                }
            }
        }
    }

    struct Enroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol a device; prints its token, once (only a hash is kept).",
            discussion: """
                The token alone goes to standard output, so a script can capture it; give it to the laptop with \
                'palabre remote set URL --token TOKEN'. Roles: facilitator (push and pull), coordinator (also \
                conflicts and records), analyst (read only, sensitive fields masked), admin (everything; without \
                --project, in every project).

                Example: TOKEN=$(palabre-server enroll --project vestibules-gao --role facilitator --name bara-laptop)
                """
        )
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The project (required except for an admin of every project).") var project: String?
        @Option(help: "One of \(Role.names).") var role: Role
        @Option(help: "A unique name for the device, shown in logs (e.g. bara-laptop).") var name: String

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                let enrollment = try await options.openBackend().enroll(name: name, project: project, role: role)
                print(enrollment.token)
                let scope = enrollment.device.project.map { "project \($0)" } ?? "every project"
                printError(
                    "enrolled \(enrollment.device.name) as \(enrollment.device.role) of \(scope); "
                        + "this token is shown only once: keep it now")
            }
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the enrolled devices, revoked ones included.",
            discussion: "Example: palabre-server devices --database /var/lib/palabre/central.sqlite"
        )
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                let devices = try await options.openBackend().devices()
                if devices.isEmpty {
                    printError("no device is enrolled yet (see 'palabre-server enroll --help')")
                    return
                }
                let rows = devices.map { d in
                    [
                        d.name, d.id, d.project ?? "*", d.role.rawValue, Table.date(d.created), d.lastSeen.map(Table.date) ?? "-",
                        d.revoked.map(Table.date) ?? "-", d.formsHeld ?? "-", d.formsReceived.map(Table.date) ?? "-",
                    ]
                }
                print(
                    Table.render(
                        header: ["NAME", "ID", "PROJECT", "ROLE", "CREATED", "LAST SEEN", "REVOKED", "FORMS", "FORMS RECEIVED"], rows: rows))
            }
        }
    }

    struct Exports: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the exports made through the service, newest first: who took which data, pseudonymised or not.",
            discussion: "Example: palabre-server exports --project vestibules-gao --database /var/lib/palabre/central.sqlite"
        )
        @OptionGroup var options: DatabaseOptions
        @Option(help: "Only this project's exports.") var project: String?

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                let log = try await options.openBackend().exportLog().filter { project == nil || $0.project == project }
                if log.isEmpty {
                    printError(project.map { "no export of project \($0) yet" } ?? "no export yet")
                    return
                }
                let rows = log.map { e in
                    [
                        e.created.replacingOccurrences(of: "T", with: " "), e.device, e.role, e.project, e.forms.joined(separator: ","),
                        e.format, e.view,
                    ]
                }
                print(Table.render(header: ["WHEN", "DEVICE", "ROLE", "PROJECT", "FORMS", "FORMAT", "VIEW"], rows: rows))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a device's token, by name or id: it stops working at once, even while the service runs.",
            discussion: "Example: palabre-server revoke bara-laptop"
        )
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The device's name or id (see 'palabre-server devices').") var device: String

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                let revoked = try await options.openBackend().revoke(device)
                print("revoked \(revoked.name) (\(revoked.id)) on \(revoked.revoked.map(Table.date) ?? "-")")
            }
        }
    }
}

extension PalabreServerCommand {
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a person's identifying values everywhere: the service now, every laptop at its next sync.",
            discussion: """
                For a person who withdrew consent or asked to be forgotten: the record's sensitive and contact fields (name, \
                phone) are removed from the merged record, its history, the change log, what is set aside and the stored \
                answers to batches, leaving a tombstone that says when and by whom, never the value. Every laptop applies \
                it at its next sync, and it wins over any write of those fields, even one made later offline. Counts, \
                sex, age band and role stay. It cannot be undone.

                With --expired instead of a record: erase now every record whose project's retention period is over (see \
                'palabre-server project retention'), as the running service does every hour; --dry-run lists them.

                Example: palabre-server erase 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e --project vestibules-gao --by "coordinator Gao"
                Example: palabre-server erase --expired --project vestibules-gao --dry-run
                """
        )
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The record's id.") var record: String?
        @Option(help: "The record's project (with --expired: only this project).") var project: String?
        @Option(help: "Who erases (a name or role), kept in the tombstone.") var by: String?
        @Flag(help: "Erase every record past its project's retention period (the tombstone says 'retention (N days)').") var expired = false
        @Flag(name: .customLong("dry-run"), help: "With --expired: list the records due, erase nothing.") var dryRun = false

        func validate() throws {
            if expired {
                if record != nil { throw ValidationError("give a record id or --expired, not both") }
                if by != nil { throw ValidationError("--by: an erasure by retention is signed 'retention (N days)'; leave --by out with --expired") }
            } else {
                if dryRun { throw ValidationError("--dry-run goes with --expired") }
                guard record != nil else { throw ValidationError("give the record's id to erase (or --expired for what retention has due)") }
                guard project != nil else { throw ValidationError("--project: say the record's project") }
                guard by != nil else { throw ValidationError("--by: say who erases (a name or role), kept in the tombstone") }
            }
        }

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                let backend = try await options.openBackend()
                guard !expired, let record, let project, let by else {
                    var failed = false
                    var printed = 0
                    for sweep in try await backend.sweepRetention(project: project, dryRun: dryRun) {
                        guard sweep.days > 0 else {
                            if self.project != nil {
                                printed += 1
                                print("\(sweep.project): keeps names for ever, nothing is due")
                            }
                            continue
                        }
                        printed += 1
                        let verb = dryRun ? "due for erasure" : "erased"
                        print("\(sweep.project): \(sweep.erased.count) record(s) \(verb) (retention \(sweep.days) days)")
                        for id in sweep.erased where dryRun { print("  \(id)") }
                        for f in sweep.failed {
                            failed = true
                            print("  \(f.id): not erased: \(f.reason)")
                        }
                    }
                    if printed == 0 {
                        print("no project keeps names for a set period (see 'palabre-server project retention'): nothing is due")
                    } else if !dryRun {
                        print("laptops apply the erasures at their next sync")
                    }
                    if failed { throw Failure("some erasures failed (above); the next sweep tries them again", code: 1) }
                    return
                }
                let fields = try await backend.erase(project: project, record: record.lowercased(), by: by)
                print("erased \(fields.joined(separator: ", ")) of \(record.lowercased()); laptops apply it at their next sync")
            }
        }
    }
}

extension PalabreServerCommand {
    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let a facilitator's laptop hold the names of a session's people it did not capture (need to know).",
            discussion: """
                A facilitator's laptop receives names and phone numbers only of the people it captured and of their
                sessions; of the others it receives sex, age band, role and session, so counts still add up. Assigning a
                session (or one participant) to a device lets it receive their names from its next sync on (changes it
                pulled before stay as they came).

                Example: palabre-server assign 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e --project vestibules-gao --to bara-laptop --by "coordinator Gao"
                """
        )
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The record's id (a session, or one participant).") var record: String
        @Option(help: "The record's project.") var project: String
        @Option(help: "The device's name or id (see 'palabre-server devices').") var to: String
        @Option(help: "Who assigns (a name or role).") var by: String

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                try await options.openBackend().assign(project: project, record: record.lowercased(), device: to, by: by)
                print("assigned \(record.lowercased()) to \(to): its people's names reach that laptop from its next sync")
            }
        }
    }
}

/// Plain-text tables for the terminal.
enum Table {
    /// `2026-11-02 08:45:12Z`.
    static func date(_ date: Date) -> String {
        ISOTime.text(date, fraction: false).replacingOccurrences(of: "T", with: " ")
    }

    /// Columns padded to their widest cell.
    static func render(header: [String], rows: [[String]]) -> String { TextTable.render(header: header, rows: rows) }
}

extension Role: ExpressibleByArgument {}
