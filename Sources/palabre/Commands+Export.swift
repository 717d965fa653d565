import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

extension Palabre {
    struct Export: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Exporte les enregistrements de la base de données pour Excel, R, pandas ou Power BI : CSV, JSON Lines ou SQLite.",
                    "Export the store's records for Excel, R, pandas or Power BI: CSV, JSON Lines or SQLite."),
                discussion: tr(
                    """
                    csv : un dossier avec un fichier par formulaire (en UTF-8, qu'Excel ouvre avec les accents intacts), une \
                    colonne par champ dans l'ordre du formulaire, chaque select_multiple aussi en une colonne 0/1 par choix \
                    (themes/water), les coordonnées GPS en _latitude et _longitude, puis id, created, updated, device. jsonl : \
                    un enregistrement par ligne. sqlite : une table typée par formulaire, et des vues qui relient les \
                    enregistrements à ceux qu'ils référencent (participant_session, initiative_session…).
                    Les enregistrements supprimés sont omis, sauf avec --include-deleted (une colonne « deleted » les signale alors).

                    Avec --remote, le jeu de données fusionné est téléchargé depuis le serveur (celui de la base de données, avec \
                    son jeton), tel que le rôle de ce jeton permet de le voir : les analystes reçoivent les champs sensibles sous \
                    forme de pseudonymes stables, et aucun numéro de téléphone.

                    Exemple : palabre export --format csv --out exports/ --labels fr
                              palabre export --format sqlite --out palabre.sqlite --since 2026-10-01
                              palabre export --remote --format csv --out merged/
                    """,
                    """
                    csv: a folder with one file per form (UTF-8 that Excel opens with accents intact), one column per field in \
                    form order, select_multiple also as one 0/1 column per choice (themes/water), geopoints as _latitude and \
                    _longitude, then id, created, updated, device. jsonl: one record a line. sqlite: one typed table per form, \
                    and views joining records to the records they reference (participant_session, initiative_session…).
                    Deleted records are left out unless --include-deleted (then a 'deleted' column marks them).

                    With --remote, the merged data set is downloaded from the service (the store's remote and token), as that \
                    token's role may see it: analysts get sensitive fields as stable pseudonyms and no phone numbers.

                    Example: palabre export --format csv --out exports/ --labels fr
                             palabre export --format sqlite --out palabre.sqlite --since 2026-10-01
                             palabre export --remote --format csv --out merged/
                    """)
            )
        }
        @OptionGroup var options: StoreOptions
        @Option(help: trHelp("csv, jsonl ou sqlite.", "csv, jsonl or sqlite.")) var format: ExportOptions.Format
        @Option(
            help: trHelp(
                "Où écrire : un dossier pour csv, un fichier pour jsonl et sqlite.", "Where to write: a folder for csv, a file for jsonl and sqlite.")
        ) var out: String
        @Option(name: .customLong("form"), help: trHelp("Seulement ce formulaire (répétable).", "Only this form (repeatable).")) var forms: [String] =
            []
        @Option(
            help: trHelp(
                "Seulement les enregistrements modifiés ce jour-là ou après (AAAA-MM-JJ).", "Only records changed on or after this day (YYYY-MM-DD).")
        ) var since: String?
        @Option(
            help: trHelp(
                "Les libellés des choix dans cette langue (fr ou en) au lieu des codes.",
                "Choice labels in this language (fr or en) instead of codes.")) var labels: Language?
        @Flag(
            help: trHelp(
                "Garde les enregistrements supprimés, signalés dans une colonne « deleted ».", "Keep deleted records, marked in a 'deleted' column."))
        var includeDeleted = false
        @Flag(
            help: trHelp(
                "Télécharge le jeu de données fusionné depuis le serveur au lieu d'exporter cette base de données.",
                "Download the merged data set from the service instead of exporting this store.")) var remote = false
        @Flag(
            help: ArgumentHelp(
                tr(
                    "Sur une base de données protégée (déverrouillée au préalable), écrit les noms et les numéros de téléphone en clair.",
                    "On a protected store, write names and phone numbers in the clear (unlocked first)."),
                discussion: tr(
                    "Sans cette option, l'export d'une base de données protégée affiche les champs sensibles sous la forme 🔒 et omet les numéros de téléphone.",
                    "Without it, a protected store's export shows sensitive fields as 🔒 and leaves phone numbers out.")))
        var includeNames = false

        func run() async throws {
            let store = try options.openStore(.readOnly)
            let lang = options.language(store)
            if remote {
                try await runRemote(store, lang)
                return
            }
            try guarded(lang) {
                let catalog = try options.catalog(lang, store, reading: true)
                let terminal = isatty(2) == 1
                let summary = try store.export(
                    format, to: out, catalog: catalog,
                    options: ExportOptions(
                        forms: forms.isEmpty ? nil : forms, since: since, labels: labels, includeDeleted: includeDeleted,
                        includeNames: includeNames),
                    progress: terminal ? { n in FileHandle.standardError.write(Data("\r\(n)…".utf8)) } : nil)
                if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                let parts = summary.counts.keys.sorted().map { "\(summary.counts[$0]!) \($0)" }.joined(separator: ", ")
                print(Words(lang).exported(to: out, parts))
            }
        }

        /// Downloads each requested file from the service, streaming to disk.
        func runRemote(_ store: FieldStore, _ lang: Language) async throws {
            let remote = try RemoteAccess.of(store, lang)
            var query = RemoteAccess.query([
                ("format", format.rawValue), ("since", since), ("labels", labels?.rawValue),
                ("include_deleted", includeDeleted ? "true" : nil),
            ])
            var downloads: [(String, String)] = []
            switch format {
            case .csv:
                let names = forms.isEmpty ? ((try? options.catalog(lang, store).names) ?? []) : forms
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                for name in names {
                    downloads.append(
                        ("/v1/export?\(query)&" + RemoteAccess.query([("form", name)]), (out as NSString).appendingPathComponent("\(name).csv")))
                }
            case .jsonl, .sqlite:
                if let only = forms.first { query += "&" + RemoteAccess.query([("form", only)]) }
                downloads.append(("/v1/export?\(query)", out))
            }
            try await remote.run { transport in
                for (path, file) in downloads { try await transport.download(path, to: file) }
            }
            print(Words(lang).downloaded(downloads.map(\.1)))
        }
    }
}
