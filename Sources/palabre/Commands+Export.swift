import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

extension Palabre {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the store's records for Excel, R, pandas or Power BI: CSV, JSON Lines or SQLite.",
            discussion: """
                csv: a folder with one file per form (UTF-8 that Excel opens with accents intact), one column per field in
                form order, select_multiple also as one 0/1 column per choice (themes/water), geopoints as _latitude and
                _longitude, then id, created, updated, device. jsonl: one record a line. sqlite: one typed table per form,
                and views joining records to the records they reference (participant_session, initiative_session…).
                Deleted records are left out unless --include-deleted (then a 'deleted' column marks them).

                With --remote, the merged data set is downloaded from the service (the store's remote and token), as that
                token's role may see it: analysts get sensitive fields as stable pseudonyms and no phone numbers.

                Example: palabre export --format csv --out exports/ --labels fr
                         palabre export --format sqlite --out palabre.sqlite --since 2026-10-01
                         palabre export --remote --format csv --out merged/
                """
        )
        @OptionGroup var options: StoreOptions
        @Option(help: "csv, jsonl or sqlite.") var format: ExportOptions.Format
        @Option(help: "Where to write: a folder for csv, a file for jsonl and sqlite.") var out: String
        @Option(name: .customLong("form"), help: "Only this form (repeatable).") var forms: [String] = []
        @Option(help: "Only records changed on or after this day (YYYY-MM-DD).") var since: String?
        @Option(help: "Choice labels in this language (fr or en) instead of codes.") var labels: Language?
        @Flag(help: "Keep deleted records, marked in a 'deleted' column.") var includeDeleted = false
        @Flag(help: "Download the merged data set from the service instead of exporting this store.") var remote = false
        @Flag(
            help: ArgumentHelp(
                "On a protected store, write names and phone numbers in the clear (unlocked first).",
                discussion: "Without it, a protected store's export shows sensitive fields as 🔒 and leaves phone numbers out."))
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
