import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore

extension Palabre {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the store's records for Excel, R, pandas or Power BI: CSV, JSON Lines or SQLite.",
            discussion: """
                csv: a folder with one file per form (UTF-8 that Excel opens with accents intact), one column per field in
                form order, select_multiple also as one 0/1 column per choice (themes/water), geopoints as _latitude and
                _longitude, then id, created, updated, device. jsonl: one record a line. sqlite: one typed table per form,
                and views joining records to the records they reference (participant_session, initiative_session…).
                Deleted records are left out unless --include-deleted (then a 'deleted' column marks them).

                Example: palabre export --format csv --out exports/ --labels fr
                         palabre export --format sqlite --out palabre.sqlite --since 2026-10-01
                """
        )
        @OptionGroup var options: StoreOptions
        @Option(help: "csv, jsonl or sqlite.") var format: String
        @Option(help: "Where to write: a folder for csv, a file for jsonl and sqlite.") var out: String
        @Option(name: .customLong("form"), help: "Only this form (repeatable).") var forms: [String] = []
        @Option(help: "Only records changed on or after this day (YYYY-MM-DD).") var since: String?
        @Option(help: "Choice labels in this language (fr or en) instead of codes.") var labels: String?
        @Flag(help: "Keep deleted records, marked in a 'deleted' column.") var includeDeleted = false

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            try guarded(lang) {
                guard let format = ExportOptions.Format(rawValue: format) else {
                    throw CLIFailure("--format: '\(format)' is not one of csv, jsonl, sqlite", code: 64)
                }
                var labelLanguage: Language?
                if let labels {
                    guard let l = Language(rawValue: labels) else { throw CLIFailure("--labels: '\(labels)' is not one of fr, en", code: 64) }
                    labelLanguage = l
                }
                let catalog = try options.catalog(lang)
                let terminal = isatty(2) == 1
                let summary = try store.export(
                    format, to: out, catalog: catalog,
                    options: ExportOptions(forms: forms.isEmpty ? nil : forms, since: since, labels: labelLanguage, includeDeleted: includeDeleted),
                    progress: terminal ? { n in FileHandle.standardError.write(Data("\r\(n)…".utf8)) } : nil)
                if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                let parts = summary.counts.keys.sorted().map { "\(summary.counts[$0]!) \($0)" }.joined(separator: ", ")
                print((lang == .fr ? "exporté vers \(out) : " : "exported to \(out): ") + parts)
            }
        }
    }
}
