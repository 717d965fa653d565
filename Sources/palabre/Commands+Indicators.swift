import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

extension Palabre {
    struct IndicatorsCommand: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "indicators",
                abstract: tr(
                    "Calcule les indicateurs du programme à partir de cette base de données : séances, participants (part des femmes et des jeunes), initiatives.",
                    "The programme's indicators from this store: sessions, participants (share of women and youth), initiatives."),
                discussion: tr(
                    """
                    Chaque participant est compté une fois : les participants enregistrés d'une séance ou, si personne n'y a été \
                    enregistré, ses décomptes de présence. Les jeunes sont les moins de 25 ans. Les initiatives sans suivi depuis \
                    90 jours sont listées.

                    Exemple : palabre indicators --region gao --from 2026-09-01 --to 2026-11-30
                    """,
                    """
                    Participants are counted once: registered participants of a session, or its headcounts when nobody was \
                    registered. Youth means under 25. Initiatives without a follow-up in 90 days are listed.

                    Example: palabre indicators --region gao --from 2026-09-01 --to 2026-11-30
                    """)
            )
        }
        @OptionGroup var options: StoreOptions
        @Option(help: trHelp("Seulement cette région.", "Only this region.")) var region: String?
        @Option(help: trHelp("Seulement les séances à partir de ce jour (AAAA-MM-JJ).", "Only sessions from this day (YYYY-MM-DD).")) var from:
            String?
        @Option(help: trHelp("Seulement les séances jusqu'à ce jour (AAAA-MM-JJ).", "Only sessions up to this day (YYYY-MM-DD).")) var to: String?
        @Option(
            help: trHelp(
                "Le jour à partir duquel compte la règle des 90 jours sans suivi (par défaut : aujourd'hui).",
                "The day the 90-day follow-up rule counts from (default: today).")) var asOf: String?
        @Flag(help: trHelp("Affiche en JSON.", "Print JSON.")) var json = false
        @Flag(
            help: trHelp(
                "Les indicateurs du jeu de données fusionné sur le serveur (celui de la base de données, avec son jeton), en JSON.",
                "The indicators of the merged data set on the service (the store's remote and token), as JSON.")) var remote = false

        func run() async throws {
            let store = try options.openStore(.readOnly)
            let lang = options.language(store)
            if remote {
                let remote = try RemoteAccess.of(store, lang)
                let query = RemoteAccess.query([("region", region), ("from", from), ("to", to), ("as_of", asOf)])
                print(try await remote.run { try await $0.getText("/v1/indicators?" + query) })
                return
            }
            try guarded(lang) {
                for (name, value) in [("from", from), ("to", to), ("as-of", asOf)] {
                    if let value, !FieldParser.isDate(value) { throw CLIFailure(Words(lang).notADate(name, value), code: 64) }
                }
                let records = try store.records().map { (form: $0.form, id: $0.id, values: $0.values) }
                // Which fields feed which indicator, as the forms in use declare it.
                let catalog = try options.catalog(lang, store)
                let map = IndicatorMap.declared(by: catalog)
                let ind = Indicators(
                    records: records, map: map, filter: .init(region: region, from: from, to: to), today: asOf ?? Validator.today())
                if json {
                    print(ind.json.serialized)
                    return
                }
                // Codes are shown by their labels in the language chosen; JSON keeps the codes.
                let shown = options.labels(store)
                let lines = Words(lang).indicators(ind) { part, key, code in
                    guard let form = map.form(part).flatMap({ catalog[$0] }), let field = map.field(part, key).flatMap(form.field),
                        let rank = field.choices.firstIndex(where: { $0.name == code })
                    else { return (code, Int.max) }
                    var labels = shown
                    labels.fallback = form.defaultLanguage
                    return (field.choices[rank].label.text(labels), rank)
                }
                for line in lines { print(line) }
            }
        }
    }
}
