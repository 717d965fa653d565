import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

extension Palabre {
    /// `palabre set-aside [list|retry]`: the changes that could not be applied, here or by the service.
    struct SetAsideCommand: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "set-aside",
                abstract: tr(
                    "Liste les modifications qui n'ont pas encore pu être appliquées, et demande au serveur de les réessayer.",
                    "List the changes that could not be applied yet, and ask the service to try them again."),
                discussion: tr(
                    """
                    Une modification faite avec une version de formulaire que le serveur n'a pas encore publiée y est gardée en \
                    attente (EN ATTENTE) et appliquée dès qu'un coordinateur publie cette version ; une modification qui enfreint \
                    une règle est refusée (REFUSÉE) et conservée. Dans les deux cas, elle reste enregistrée sur cet ordinateur. \
                    Chaque « palabre sync » met la liste à jour.
                    """,
                    """
                    A change of a form version the service has not published yet is held there (HELD) and applied as soon as \
                    a coordinator publishes it; one that breaks a rule is refused (REFUSED) and kept. Either way it stays \
                    saved on this laptop. Each 'palabre sync' updates the list.
                    """),
                subcommands: [List.self, Retry.self], defaultSubcommand: List.self)
        }

        struct List: ParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    abstract: tr(
                        "Liste les modifications mises de côté, de la plus ancienne à la plus récente.",
                        "List the set-aside changes, oldest first."),
                    discussion: tr("Exemple : palabre set-aside", "Example: palabre set-aside"))
            }
            @OptionGroup var options: StoreOptions

            func run() throws {
                let store = try options.openStore(.readOnly)
                let lang = options.language(store)
                let words = Words(lang)
                try guarded(lang) {
                    let rows = try store.setAsideChanges()
                    if rows.isEmpty {
                        print(words.noSetAside)
                        return
                    }
                    printSafe(TextTable.render(header: words.setAsideHeader, rows: rows.map(words.setAsideRow)))
                }
            }
        }

        struct Retry: AsyncParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    abstract: tr(
                        "Demande au serveur de réessayer les modifications mises de côté de cet ordinateur, et met la liste à jour.",
                        "Ask the service to try this laptop's set-aside changes again, and update the list."),
                    discussion: tr("Exemple : palabre set-aside retry", "Example: palabre set-aside retry"))
            }
            @OptionGroup var options: StoreOptions

            func run() async throws {
                let store = try options.openStore()
                let lang = options.language(store)
                let remote = try RemoteAccess.of(store, lang)
                let summary = try await remote.run { transport in
                    var summary = SyncSummary()
                    try await SyncClient(store: store, transport: transport).settleSetAside(&summary, retry: true)
                    return summary
                }
                print(Words(lang).retried(applied: summary.appliedSince, left: summary.stillSetAside?.count ?? 0))
            }
        }
    }
}
