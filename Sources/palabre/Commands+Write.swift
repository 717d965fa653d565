import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore

extension Palabre {
    struct Init: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Crée la base de données de cet ordinateur, ou en change l'appareil, le projet et la langue (seul init crée une base de données).",
                    "Create this laptop's store, or rename it: device, project and language (only init creates a store)."),
                discussion: tr(
                    "Exemple : palabre init --device gao-laptop-3 --project vestibules-gao --lang fr",
                    "Example: palabre init --device gao-laptop-3 --project vestibules-gao --lang fr")
            )
        }
        @OptionGroup var options: StoreOptions
        @Option(help: trHelp("Un nom pour cet ordinateur, visible par les coordinateurs.", "A name for this laptop, shown to coordinators."))
        var device: String?
        @Option(help: trHelp("Le code du projet pour lequel les enregistrements sont saisis.", "The project code records are captured for."))
        var project: String?

        func run() throws {
            let store = try options.openStore(.create)
            let lang = options.language(store)
            try guarded(lang) {
                let chosen = options.lang.flatMap(Language.init(rawValue:))
                if let l = options.lang, chosen == nil { throw CLIFailure(Words(lang).badLanguage(l), code: 64) }
                // Changes waiting to be sent belong to the current project: the service would refuse them under another.
                if let project, project != (try store.identity().project), try store.unsentCount() > 0 {
                    throw CLIFailure(Words(lang).unsentBeforeProjectChange(try store.unsentCount()), code: 65)
                }
                try store.setIdentity(device: device, project: project, language: chosen)
                let id = try store.identity()
                for line in Words(lang).identity(path: store.path, device: id.device, project: id.project, node: id.node) { print(line) }
            }
        }
    }

    struct Add: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Ajoute un nouvel enregistrement après l'avoir vérifié ; affiche son identifiant.",
                    "Validate and save a new record; prints its id."),
                discussion: tr(
                    """
                    Dans un terminal et sans --set, pose la question de chaque champ pertinent dans l'ordre du formulaire \
                    (« < » ou ↑ revient en arrière), montre toutes les réponses avant d'enregistrer, puis propose les \
                    répétitions du formulaire et les enregistrements qui s'y rattachent : après une séance, ses participants \
                    (un par un, ou anonymes en lignes rapides « F 18_24 jeune ») et ses initiatives. Sinon, donnez les valeurs \
                    avec --set. Les champs calculés (calculate, start, end, today, deviceid) sont remplis par Palabre.
                    Choix : numéro, code ou libellé ; plusieurs choix séparés par des virgules ou des espaces ; dates : \
                    AAAA-MM-JJ ou JJ/MM/AAAA ; heures : HH:MM ; coordonnées GPS (geopoint) : « lat lon ».

                    Exemple : palabre add session --set title="Vestibule de Bara" --set date=2026-09-08 --set region=gao \\
                      --set locality=Bara --set format=intergenerational --set themes="water pasture"
                    """,
                    """
                    In a terminal without --set, asks each relevant field in form order ('<' or up goes back), shows every \
                    answer before saving, then offers the form's repeats and the records that refer to it: after a session, \
                    its participants (one by one, or anonymous in quick lines 'F 18_24 youth') and its initiatives. \
                    Otherwise give values with --set. Computed fields (calculate, start, end, today, deviceid) are filled \
                    in by Palabre.
                    Choices: number, code or label; several separated by commas or spaces; dates: YYYY-MM-DD or \
                    DD/MM/YYYY; times: HH:MM; geopoints: 'lat lon'.

                    Example: palabre add session --set title="Vestibule de Bara" --set date=2026-09-08 --set region=gao \\
                      --set locality=Bara --set format=intergenerational --set themes="water pasture"
                    """)
            )
        }
        @OptionGroup var options: StoreOptions
        @Argument(
            help: trHelp("Le formulaire : session, participant, initiative, followup…", "The form: session, participant, initiative, followup…"))
        var form: String
        @Option(name: .customLong("set"), help: trHelp("Une valeur : champ=valeur (répétable).", "A value: field=value (repeatable).")) var sets:
            [String] = []

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            try guarded(lang) {
                // Only the form needed: a capture on a slow laptop should not wait for every form to be read.
                let catalog = try options.catalog(lang, store, only: options.offers(self.form, store) ? [self.form] : nil)
                let form = try catalog.form(self.form)
                var values: [String: Value]
                let started = DateTimeText.now()
                let interactive = sets.isEmpty
                if interactive {
                    guard isInteractive else {
                        throw CLIFailure(Words(lang).giveValuesOrUseATerminal, code: 64)
                    }
                    var prompter = Prompter(form: form, store: store, lang: lang, labels: options.labels(store), started: started)
                    prompter.verbose = options.verbose
                    guard let answers = try prompter.run() else {
                        throw CLIFailure(Words(lang).nothingSaved, code: 1)
                    }
                    values = answers
                } else {
                    values = try parseAssignments(sets, form: form, lang, store: store)
                    values = try applyDefaults(form, values)
                }
                let id = try store.create(form: form, values: values, started: started, labels: lang)
                print(id)
                if interactive {
                    // The form's repeats (a household's members): captured now, each referring to this record.
                    let all = try options.catalog(lang, store)
                    let saved = try store.record(id)?.values ?? values
                    _ = try Prompter.captureRepeats(
                        of: form, id: id, values: saved, catalog: all, store: store, lang: lang, labels: options.labels(store))
                    // A session in one sitting: its participants and initiatives, the session already set.
                    var sitting = Sitting(parent: form, id: id, catalog: all, store: store, lang: lang, labels: options.labels(store))
                    sitting.verbose = options.verbose
                    let made = try sitting.run()
                    if made.contains(where: { $0.saved > 0 }) {
                        print(Words(lang).sittingSummary(made.map { ($0.form.title.text(options.labels(store)), $0.saved) }))
                    }
                }
                warnIfClockBehind(store, lang)
            }
        }
    }

    struct Edit: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Modifie des champs d'un enregistrement ; l'enregistrement modifié doit rester valide.",
                    "Change fields of a record; the record as edited must still be valid."),
                discussion: tr(
                    """
                    Sans --set ni --unset, dans un terminal, chaque question est posée de nouveau avec la réponse de \
                    l'enregistrement comme valeur par défaut (Entrée la garde), puis les réponses sont présentées pour relecture \
                    avant d'enregistrer ; seul ce qui a changé est écrit.

                    Exemple : palabre edit 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e --set status=funded --unset partner
                              palabre edit 8b0c1d2e
                    """,
                    """
                    Without --set or --unset, in a terminal, every question is asked again with the record's answer as the \
                    default (Enter keeps it), then the review before saving; only what changed is written.

                    Example: palabre edit 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e --set status=funded --unset partner
                             palabre edit 8b0c1d2e
                    """)
            )
        }
        @OptionGroup var options: StoreOptions
        @Argument(
            help: trHelp(
                "L'identifiant de l'enregistrement, ou son début ou ses derniers caractères, tels que les listes les affichent.",
                "The record's id, or its start or its last characters as lists show them.")) var id: String
        @Option(name: .customLong("set"), help: trHelp("Une nouvelle valeur : champ=valeur (répétable).", "A new value: field=value (repeatable)."))
        var sets: [String] = []
        @Option(name: .customLong("unset"), help: trHelp("Un champ à vider (répétable).", "A field to clear (repeatable).")) var unsets: [String] = []

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            try guarded(lang) {
                let catalog = try options.catalog(lang, store)
                guard let record = try store.record(try store.resolveID(id)) else { throw StoreError.notFound(id: id) }
                let form = try catalog.form(record.form)
                if sets.isEmpty && unsets.isEmpty {
                    guard isInteractive else { throw CLIFailure(Words(lang).giveASetOrUnset, code: 64) }
                    try editAsking(record, form: form, store: store, catalog: catalog, lang: lang)
                    return
                }
                let values = try parseAssignments(sets, form: form, lang, store: store)
                // In an edit, `--set field=` with nothing after the `=` clears the field, like --unset.
                let emptied = sets.compactMap { s -> String? in
                    guard let eq = s.firstIndex(of: "="), s[s.index(after: eq)...].allSatisfy(\.isWhitespace) else { return nil }
                    return String(s[..<eq]).trimmingCharacters(in: .whitespaces)
                }
                let changed = try store.edit(id: record.id, set: values, unset: unsets + emptied, catalog: catalog, labels: lang)
                print(changed ? Words(lang).edited(record.id) : Words(lang).nothingChanged)
            }
        }

        /// Asks every question with the record's answer as the default, then writes what changed.
        func editAsking(_ record: StoredRecord, form: Form, store: FieldStore, catalog: FormCatalog, lang: Language) throws {
            if record.isDeleted { throw StoreError.deleted(id: record.id) }
            if record.holdsSealedValues { throw StoreError.locked }
            var prompter = Prompter(form: form, store: store, lang: lang, labels: options.labels(store))
            prompter.verbose = options.verbose
            // The form's own fields only: the erasure's tombstone and fields of other versions are not answers.
            prompter.initial = record.values.filter { form.field($0.key) != nil && !record.state.erased.contains($0.key) }
            prompter.skipped = record.state.erased
            guard let answers = try prompter.run() else { throw CLIFailure(Words(lang).nothingChanged, code: 1) }
            var set: [String: Value] = [:]
            var unset: [String] = []
            for f in form.fields where !f.type.isComputed && !f.readOnly && f.type != .note && !record.state.erased.contains(f.name) {
                let now = answers[f.name]
                guard now != record.values[f.name] else { continue }
                if let now { set[f.name] = now } else { unset.append(f.name) }
            }
            guard !set.isEmpty || !unset.isEmpty else {
                print(Words(lang).nothingChanged)
                return
            }
            let changed = try store.edit(id: record.id, set: set, unset: unset, catalog: catalog, labels: lang)
            print(changed ? Words(lang).edited(record.id) : Words(lang).nothingChanged)
        }
    }

    struct Delete: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Supprime un enregistrement (il reste marqué comme supprimé, avec son historique ; « palabre restore » le restaure).",
                    "Delete a record (kept as a tombstone with its history; 'palabre restore' brings it back)."),
                discussion: tr(
                    "Exemple : palabre delete 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e",
                    "Example: palabre delete 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e")
            )
        }
        @OptionGroup var options: StoreOptions
        @Argument(
            help: trHelp(
                "L'identifiant de l'enregistrement, ou son début ou ses derniers caractères, tels que les listes les affichent.",
                "The record's id, or its start or its last characters as lists show them.")) var id: String

        func run() throws { try writeTombstone(options, id, deleted: true) }
    }

    struct Restore: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr("Restaure un enregistrement supprimé.", "Bring back a deleted record."),
                discussion: tr(
                    "Exemple : palabre restore 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e",
                    "Example: palabre restore 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e")
            )
        }
        @OptionGroup var options: StoreOptions
        @Argument(
            help: trHelp(
                "L'identifiant de l'enregistrement, ou son début ou ses derniers caractères, tels que les listes les affichent.",
                "The record's id, or its start or its last characters as lists show them.")) var id: String

        func run() throws { try writeTombstone(options, id, deleted: false) }
    }

    struct Erase: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Efface pour toujours le nom et le téléphone d'une personne (consentement retiré, ou demande d'effacement).",
                    "Erase a person's name and phone for good (consent withdrawn, or asked to be forgotten)."),
                discussion: tr(
                    """
                    Les champs sensibles et de contact de l'enregistrement sont retirés de cet ordinateur (l'enregistrement, son \
                    historique, le journal des modifications) puis, à la prochaine synchronisation, du serveur et de tous les \
                    autres ordinateurs ; il ne reste que la date de l'effacement et son auteur. L'effacement l'emporte sur toute \
                    écriture de ces champs, même faite plus tard sur un ordinateur qui n'a pas encore synchronisé. Le sexe, la \
                    tranche d'âge, le rôle et la séance restent : les décomptes ne changent pas. C'est irréversible ; une \
                    confirmation est demandée, sauf avec --yes.

                    Exemple : palabre erase 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e --by "Aminata, animatrice"
                    """,
                    """
                    The record's sensitive and contact fields are removed from this laptop (the record, its history, the change \
                    log), and at the next sync from the service and every other laptop, leaving only when and by whom. It wins \
                    over any write of those fields, even one made later on a laptop that has not synced yet. Sex, age band, \
                    role and the session stay, so the counts do not change. It cannot be undone; asks first unless --yes.

                    Example: palabre erase 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e --by "Aminata, animatrice"
                    """)
            )
        }
        @OptionGroup var options: StoreOptions
        @Argument(
            help: trHelp(
                "L'identifiant de l'enregistrement, ou son début ou ses derniers caractères, tels que les listes les affichent.",
                "The record's id, or its start or its last characters as lists show them.")) var id: String
        @Option(
            help: trHelp(
                "Qui efface (votre nom ou votre rôle), conservé dans la trace de l'effacement.",
                "Who erases (your name or role), kept in the tombstone.")) var by: String
        @Flag(help: trHelp("Ne demande pas de confirmation.", "Do not ask for confirmation.")) var yes = false

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            let words = Words(lang)
            try guarded(lang) {
                let catalog = try options.catalog(lang, store, reading: true)
                // Named first, so the question says which record it is (a short id may name another than meant).
                let whole = try store.resolveID(id)
                if !yes {
                    guard isInteractive else { throw CLIFailure(words.eraseNeedsYes, code: 64) }
                    let record = try store.record(whole)
                    let title = record.flatMap { r in catalog[r.form].map { $0.title.text(options.labels(store)) } } ?? record?.form ?? ""
                    print("\(title) \(whole)")
                    FileHandle.standardOutput.write(Data(words.eraseQuestion.utf8))
                    guard let answer = readLine().map(Choice.fold), words.yesWords.contains(answer) else {
                        throw CLIFailure(words.nothingChanged, code: 1)
                    }
                }
                let fields = try store.erase(id: whole, by: by, catalog: catalog)
                print(words.erased(fields.joined(separator: ", ")))
            }
        }
    }

    struct Import: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Importe des enregistrements depuis un fichier JSON Lines ou CSV : tous valides, sinon rien n'est importé et chaque ligne fautive est listée.",
                    "Import records from JSON Lines or CSV: all valid, or nothing imported and every bad line listed."),
                discussion: tr(
                    """
                    JSON Lines : un objet {"form": …, "id": …, "values": {…}} par ligne (la forme qu'affiche « palabre list --json »).
                    CSV (.csv) : une ligne d'en-tête avec les noms des champs, des colonnes « form » et « id » facultatives ; une \
                    cellule vide ne donne aucune valeur.
                    Les enregistrements déjà présents dans la base de données avec les mêmes valeurs sont laissés tels quels : \
                    importer deux fois est donc sans danger. Une ligne sans id est reconnue à son contenu (formulaire, valeurs, et \
                    nombre de lignes identiques qui la précèdent dans le fichier) : une version plus longue d'un fichier \
                    n'importe que ses nouvelles lignes. Une ligne d'un autre fichier identique à une ligne déjà importée est, elle \
                    aussi, prise pour celle-ci : --again importe ces lignes comme de nouveaux enregistrements.

                    Exemple : palabre import samples/demo.jsonl
                              palabre import participants.csv --form participant
                    """,
                    """
                    JSON Lines: one {"form": …, "id": …, "values": {…}} per line (the shape 'palabre list --json' prints).
                    CSV (.csv): a header of field names, optional 'form' and 'id' columns; empty cells are no value.
                    Records already in the store with the same values are left alone, so importing twice is harmless: a line \
                    without an id is recognised by its content (form, values, and how many identical lines came before it in \
                    the file), so a longer version of a file imports only its new lines. A line of another file identical to one \
                    imported before is taken for it too: --again imports such lines as new records.

                    Example: palabre import samples/demo.jsonl
                             palabre import participants.csv --form participant
                    """)
            )
        }
        @OptionGroup var options: StoreOptions
        @Argument(help: trHelp("Le fichier à importer (.jsonl ou .csv).", "The file to import (.jsonl or .csv).")) var file: String
        @Option(
            help: trHelp(
                "Le formulaire de toutes les lignes, quand le fichier ne l'indique pas.", "The form of every line, when the file does not say."))
        var form: String?
        @Flag(
            help: trHelp(
                "Importe les lignes sans id comme de nouveaux enregistrements, même si des lignes identiques ont déjà été importées.",
                "Import lines without an id as new records even when identical lines were imported before.")) var again = false

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            try guarded(lang) {
                let catalog = try options.catalog(lang, store)
                guard FileManager.default.fileExists(atPath: file) else { throw CLIFailure(Words(lang).noSuchFile(file), code: 66) }
                let items = try ImportReader.read(path: file, form: form)
                let progress: ((Int) -> Void)? =
                    isatty(2) == 1
                    ? { n in
                        FileHandle.standardError.write(Data("\r\(n)/\(items.count)…".utf8))
                    } : nil
                let summary = try store.importItems(items, catalog: catalog, file: file, again: again, progress: progress)
                if progress != nil { FileHandle.standardError.write(Data("\r".utf8)) }
                let parts = summary.imported.keys.sorted().map { "\(summary.imported[$0]!) \($0)" }.joined(separator: ", ")
                print(Words(lang).imported(summary.total, parts: parts, unchanged: summary.unchanged))
                if summary.recognised > 0 { printError(Words(lang).recognisedLines(summary.recognised)) }
            }
        }
    }
}

/// Deletes or restores a record and says so.
func writeTombstone(_ options: StoreOptions, _ rawID: String, deleted: Bool) throws {
    let store = try options.openStore()
    let lang = options.language(store)
    try guarded(lang) {
        let id = try store.resolveID(rawID)
        if deleted { try store.delete(id: id) } else { try store.restore(id: id) }
        print(deleted ? Words(lang).deleted(id) : Words(lang).restored(id))
    }
}

/// Fills fields left empty with their form defaults, where the field applies.
func applyDefaults(_ form: Form, _ values: [String: Value]) throws -> [String: Value] {
    var out = values
    for field in form.fields where out[field.name] == nil {
        guard let d = field.defaultValue else { continue }
        let ctx = ExpressionContext(current: nil) { out[$0] }
        if field.relevant?.isTrue(ctx) ?? true { out[field.name] = try FieldParser.parse(d, for: field, form: form.name) }
    }
    return out
}
