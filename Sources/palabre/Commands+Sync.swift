import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

extension Palabre {
    struct Remote: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Affiche ou définit le serveur central avec lequel cette base de données se synchronise.",
                    "Show or set the central service this store syncs with."),
                discussion: tr(
                    "Exemple : palabre remote set http://10.0.0.5:8080 --token plb_4f…",
                    "Example: palabre remote set http://10.0.0.5:8080 --token plb_4f…"),
                subcommands: [ShowRemote.self, SetRemote.self],
                defaultSubcommand: ShowRemote.self
            )
        }

        struct ShowRemote: ParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    commandName: "show", abstract: tr("Affiche le serveur (le jeton est masqué).", "Show the remote (the token is masked)."))
            }
            @OptionGroup var options: StoreOptions

            func run() throws {
                let store = try options.openStore(.readOnly)
                let lang = options.language(store)
                try guarded(lang) {
                    guard let url = try store.remoteURL() else {
                        throw CLIFailure(Words(lang).noRemote, code: 66)
                    }
                    // A locked store shows its service; the token stays sealed.
                    let token: String
                    do {
                        token = try store.remote()?.token.prefix(8).description ?? ""
                    } catch StoreError.wiped {
                        token = Words(lang).destroyedToken
                    } catch {
                        token = Words(lang).sealedToken
                    }
                    print(Words(lang).remote(url, token: token, unsent: try store.unsentCount()))
                }
            }
        }

        struct SetRemote: ParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    commandName: "set",
                    abstract: tr(
                        "Définit l'adresse du serveur et le jeton de cet ordinateur.", "Set the service URL and this laptop's token."))
            }
            @OptionGroup var options: StoreOptions
            @Argument(help: trHelp("L'adresse du serveur, par exemple http://10.0.0.5:8080", "The service URL, e.g. http://10.0.0.5:8080")) var url:
                String
            @Option(help: trHelp("Le jeton donné par « palabre-server enroll ».", "The token given by 'palabre-server enroll'.")) var token: String

            func run() throws {
                let store = try options.openStore()
                let lang = options.language(store)
                try guarded(lang) {
                    guard let u = URL(string: url), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
                        throw CLIFailure(Words(lang).notAnAddress(url), code: 64)
                    }
                    guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
                        throw CLIFailure(Words(lang).notAToken(token), code: 64)
                    }
                    // Another service starts the sync state again (FieldStore.setRemote says why).
                    try store.setRemote(PalabreStore.Remote(url: url, token: token))
                    print(Words(lang).remoteSet(url))
                }
            }
        }
    }

    struct Sync: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Envoie au serveur les modifications de cette base de données et reçoit celles de tous les autres, jusqu'à ce que les deux concordent.",
                    "Send this store's changes to the service and receive everyone else's, until both agree."),
                discussion: tr(
                    """
                    En cas d'interruption (pas de liaison, coupure, Ctrl-C), rien n'est perdu : le « palabre sync » suivant \
                    termine le travail sans renvoyer les modifications dont le serveur a accusé réception. Code de sortie 69 quand \
                    le serveur est injoignable.

                    Exemple : palabre sync
                    """,
                    """
                    Interrupted (no link, a cut, Ctrl-C), nothing is lost: the next 'palabre sync' finishes the job without \
                    sending acknowledged changes again. Exit code 69 when the service cannot be reached.

                    Example: palabre sync
                    """)
            )
        }
        @OptionGroup var options: StoreOptions
        @Flag(help: trHelp("Affiche le bilan en JSON.", "Print the summary as JSON.")) var json = false
        @Flag(
            name: .customLong("from-start"),
            help: trHelp(
                "Renvoie toutes les modifications de cette base de données et reçoit de nouveau tout (après la restauration du serveur depuis une sauvegarde) ; rien n'est appliqué deux fois.",
                "Send every change of this store again and receive everything again (after the service was restored from a backup); nothing is applied twice."
            ))
        var fromStart = false

        func run() async throws {
            let store = try options.openStore()
            let lang = options.language(store)
            let words = Words(lang)
            let remote = try RemoteAccess.of(store, lang)
            if fromStart {
                // The service may have lost what it had acknowledged, and numbers its log anew: everything goes again
                // (what it has is recognised and skipped) and comes again (merged, never applied twice).
                try guarded(lang) {
                    try store.updateSyncState { $0.startAgain() }
                }
            }
            warnIfClockBehind(store, lang)
            // Pulled records are settled with the forms, as on the service; a forms folder with mistakes does not stop a sync.
            let forms = try? options.catalog(lang, store)
            let terminal = isatty(2) == 1 && !json
            let openBefore = (try? store.conflicts().count) ?? 0
            var summary = try await remote.run(before: { if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }) { transport in
                var client = SyncClient(store: store, transport: transport, forms: forms)
                client.reloadForms = { try? options.catalog(lang, store) }
                var summary = try await client.sync { p in
                    guard terminal else { return }
                    FileHandle.standardError.write(Data("\r\(words.progress(p))\u{1B}[K".utf8))
                }
                (summary.bytesSent, summary.bytesReceived) = transport.bytes
                return summary
            }
            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            // The count said is what 'palabre conflicts' lists: a conflict the service saw when this push arrived and the
            // same one met again when pulling are one conflict, and one listed already before the sync still counts.
            let open = (try? store.conflicts().count) ?? summary.conflicts
            summary.conflicts = open
            if json {
                var members: [(String, JSON)] = [
                    ("sent", .number(String(summary.sent))), ("received", .number(String(summary.received))),
                    ("conflicts", .number(String(summary.conflicts))), ("new_conflicts", .number(String(max(0, open - openBefore)))),
                    ("batches", .number(String(summary.batches))),
                    (
                        "set_aside",
                        .array(
                            summary.setAside.map {
                                .object([("record", .string($0.record)), ("reason", .string($0.reason)), ("held", .bool($0.held))])
                            })
                    ),
                    ("applied_since", .number(String(summary.appliedSince))),
                    ("still_set_aside", .number(String(summary.stillSetAside?.count ?? 0))),
                    ("bytes_sent", .number(String(summary.bytesSent))), ("bytes_received", .number(String(summary.bytesReceived))),
                    ("forms_received", .array(summary.formsReceived.map { .string($0) })),
                    ("service_restored", .bool(summary.serviceRestored)),
                ]
                if let ahead = summary.clockAheadBy {
                    members.append(("clock_ahead_ms", .number(String(ahead))))
                    members.append(("restamped", .number(String(summary.restamped))))
                }
                print(JSON.object(members).serialized)
            } else {
                if summary.serviceRestored { print(words.serviceRestored) }
                print(words.synced(summary))
                if !summary.formsReceived.isEmpty { print(words.formsReceived(summary.formsReceived)) }
                if !summary.formsUnreadable.isEmpty { printError(words.formsUnreadable(summary.formsUnreadable)) }
                for s in summary.setAside { printSafe(words.setAside(s.record, s.reason, held: s.held)) }
                if summary.appliedSince > 0 { print(words.appliedSince(summary.appliedSince)) }
                if let still = summary.stillSetAside, !still.isEmpty { print(words.stillSetAside(still)) }
                if summary.conflicts > 0 { print(words.seeConflicts) }
            }
            if let ahead = summary.clockAheadBy {
                printError(words.clockAhead(ahead, restamped: summary.restamped))
            }
        }
    }

    struct Node: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Affiche l'identifiant de nœud de cette base de données, ou lui en donne un nouveau (base de données copiée depuis un autre ordinateur).",
                    "Show this store's node id, or give it a new one (a store copied from another laptop)."),
                discussion: tr(
                    """
                    Chaque écriture est marquée de l'identifiant de nœud de la base de données, tiré au hasard à sa création. Le \
                    serveur lie un nœud au premier appareil qui a envoyé des modifications depuis ce nœud : une base de données \
                    copiée sur un deuxième ordinateur y est donc refusée (« node … belongs to device … »). Sur la copie, \
                    « palabre node renew » choisit un nouvel identifiant de nœud et marque de nouveau sous celui-ci les \
                    modifications pas encore envoyées, en une seule transaction ; « palabre sync » passe alors.
                    Exemple : palabre node renew
                    """,
                    """
                    Every write is stamped with the store's node id, chosen at random when the store was created. The service \
                    binds a node to the first device that pushed from it, so a store copied to a second laptop is refused \
                    there ('node … belongs to device …'). On the copy, 'palabre node renew' picks a new node id and stamps \
                    the changes not yet sent again under it, in one transaction; then 'palabre sync' goes through.
                    Example: palabre node renew
                    """),
                subcommands: [ShowNode.self, RenewNode.self],
                defaultSubcommand: ShowNode.self
            )
        }

        struct ShowNode: ParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(commandName: "show", abstract: tr("Affiche l'identifiant de nœud.", "Print the node id."))
            }
            @OptionGroup var options: StoreOptions

            func run() throws {
                let store = try options.openStore(.readOnly)
                try guarded(options.language(store)) { print(try store.identity().node) }
            }
        }

        struct RenewNode: ParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    commandName: "renew",
                    abstract: tr("Donne un nouvel identifiant de nœud à la base de données.", "Give the store a new node id."))
            }
            @OptionGroup var options: StoreOptions

            func run() throws {
                let store = try options.openStore()
                let lang = options.language(store)
                try guarded(lang) {
                    let (old, new, moved) = try store.renewNode()
                    print(Words(lang).nodeRenewed(old, new, restamped: moved))
                }
            }
        }
    }

    struct Conflicts: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Liste les écritures concurrentes qui ont perdu, pour garder la valeur gagnante ou restaurer la perdante.",
                    "List concurrent writes that lost, to keep the winner or restore the loser."),
                discussion: tr("Exemple : palabre conflicts --json", "Example: palabre conflicts --json")
            )
        }
        @OptionGroup var options: StoreOptions
        @Flag(help: trHelp("Affiche en JSON.", "Print JSON.")) var json = false

        func run() throws {
            let store = try options.openStore(.readOnly)
            let lang = options.language(store)
            try guarded(lang) {
                let list = try store.conflicts()
                if json {
                    print(
                        JSON.array(
                            list.map { c in
                                JSON.object([
                                    ("record", .string(c.entry.recordID)), ("form", .string(c.form)), ("field", .string(c.entry.superseded.field)),
                                    ("current", c.current?.json ?? .null), ("lost", c.entry.superseded.value?.json ?? .null),
                                    ("lost_written", .string(isoString(c.entry.superseded.stamp.hlc))),
                                    ("lost_node", .string(c.entry.superseded.stamp.node)),
                                ])
                            }
                        ).serialized)
                    return
                }
                if list.isEmpty { print(Words(lang).noConflicts) }
                for c in list {
                    let s = c.entry.superseded
                    printSafe(
                        Words(lang).conflict(
                            record: c.entry.recordID, form: c.form, field: s.field, kept: c.current?.displayString ?? "∅",
                            lost: s.value?.displayString ?? "∅", written: isoString(s.stamp.hlc), node: s.stamp.node))
                }
            }
        }
    }

    struct Resolve: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Clôt un conflit : garde la valeur actuelle, ou restaure celle qui a perdu (une nouvelle écriture, qui se synchronise).",
                    "Close a conflict: keep the current value, or restore the one that lost (a new write that syncs)."),
                discussion: tr(
                    "Exemple : palabre resolve 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e status --restore",
                    "Example: palabre resolve 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e status --restore")
            )
        }
        @OptionGroup var options: StoreOptions
        @Argument(
            help: trHelp(
                "L'identifiant de l'enregistrement, ou son début ou ses derniers caractères, tels que les listes les affichent.",
                "The record's id, or its start or its last characters as lists show them.")) var id: String
        @Argument(help: trHelp("Le champ.", "The field.")) var field: String
        @Flag(help: trHelp("Garde la valeur actuelle.", "Keep the current value.")) var keep = false
        @Flag(help: trHelp("Restaure la valeur qui a perdu.", "Restore the value that lost.")) var restore = false

        func validate() throws {
            if keep == restore { throw ArgumentParser.ValidationError("give exactly one of --keep or --restore") }
        }

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            try guarded(lang) {
                let catalog = try options.catalog(lang, store)
                try store.resolve(recordID: try store.resolveID(id), field: field, restore: restore, catalog: catalog)
                print(restore ? Words(lang).valueRestored : Words(lang).valueKept)
            }
        }
    }
}

/// Warns when the wall clock is behind the last time heard from the service: the laptop's date is probably wrong.
func warnIfClockBehind(_ store: FieldStore, _ lang: Language) {
    guard let last = try? store.syncState().lastServerTime else { return }
    let now = HLC.milliseconds(Date())
    if now < last - 5 * 60_000 {
        printError(Words(lang).clockBehind(last - now))
    }
}
