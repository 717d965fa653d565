import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

extension Palabre {
    /// `palabre set-aside [list|retry]`: the changes that could not be applied, here or by the service.
    struct SetAsideCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-aside",
            abstract: "List the changes that could not be applied yet, and ask the service to try them again.",
            discussion: """
                A change of a form version the service has not published yet is held there (HELD) and applied as soon as \
                a coordinator publishes it; one that breaks a rule is refused (REFUSED) and kept. Either way it stays \
                saved on this laptop. Each 'palabre sync' updates the list.
                """,
            subcommands: [List.self, Retry.self], defaultSubcommand: List.self)

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List the set-aside changes, oldest first.", discussion: "Example: palabre set-aside")
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
            static let configuration = CommandConfiguration(
                abstract: "Ask the service to try this laptop's set-aside changes again, and update the list.",
                discussion: "Example: palabre set-aside retry")
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
