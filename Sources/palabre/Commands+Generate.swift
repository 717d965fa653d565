import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore

extension Palabre {
    struct Generate: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Écrit un jeu de données généré, de la même forme que les exemples (pour les mesures de performance et les essais), à importer avec « palabre import ».",
                    "Write a generated data set with the samples' shape (for benchmarks and trials), importable with 'palabre import'."),
                discussion: tr(
                    """
                    La même graine donne le même fichier. Le CSV a une colonne par champ de chaque formulaire, plus « form » et « id ».

                    Exemple : palabre generate --records 100000 --out /tmp/big.jsonl
                              palabre generate --records 100000 --out /tmp/big.csv
                    """,
                    """
                    The same seed gives the same file. CSV has one column per field of every form plus 'form' and 'id'.

                    Example: palabre generate --records 100000 --out /tmp/big.jsonl
                             palabre generate --records 100000 --out /tmp/big.csv
                    """)
            )
        }
        @Option(help: trHelp("Le nombre d'enregistrements.", "How many records.")) var records: Int = 100_000
        @Option(help: trHelp("Le fichier à écrire (.jsonl ou .csv).", "The file to write (.jsonl or .csv).")) var out: String
        @Option(help: trHelp("La graine du générateur aléatoire.", "The random seed.")) var seed: UInt64 = 2026
        @OptionGroup var options: StoreOptions

        func run() throws {
            let lang = options.language(nil)
            try guarded(lang) {
                guard records > 0 else { throw CLIFailure(Words(lang).atLeastOneRecord(records), code: 64) }
                let catalog = try options.catalog(lang, nil)
                guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                    throw CLIFailure(Words(lang).cannotWrite(out), code: 73)
                }
                defer { try? handle.close() }
                let csv = out.lowercased().hasSuffix(".csv")
                var columns: [String] = []
                if csv {
                    for name in ["session", "participant", "initiative", "followup"] {
                        for f in catalog[name]?.fields ?? [] where !columns.contains(f.name) { columns.append(f.name) }
                    }
                }
                var buffer = csv ? (["form", "id"] + columns).joined(separator: ",") + "\n" : ""
                var gen = DemoDataGenerator(seed: seed)
                try gen.generate(count: records) { item in
                    if csv {
                        buffer += item.form + "," + item.id
                        for c in columns {
                            buffer += ","
                            if let v = item.values[c] { buffer += csvField(v.displayString) }
                        }
                        buffer += "\n"
                    } else {
                        buffer += "{\"form\":\"\(item.form)\",\"id\":\"\(item.id)\",\"values\":" + ValueMap.encode(item.values) + "}\n"
                    }
                    if buffer.utf8.count > 1 << 20 {
                        try handle.write(contentsOf: Data(buffer.utf8))
                        buffer = ""
                    }
                }
                try handle.write(contentsOf: Data(buffer.utf8))
                print(Words(lang).generated(records, out))
            }
        }
    }
}

/// A CSV cell, quoted when it holds a separator, a quote or a line break.
func csvField(_ s: String) -> String {
    if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" }) {
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
}
