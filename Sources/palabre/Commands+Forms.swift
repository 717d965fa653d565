import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

extension Palabre {
    struct Forms: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Liste, affiche, vérifie, convertit (XLSForm) et publie les définitions de formulaires.",
                    "List, show, check, convert (XLSForm) and publish the form definitions."),
                subcommands: [ListForms.self, ShowForm.self, Check.self, Convert.self, Publish.self],
                defaultSubcommand: ListForms.self
            )
        }

        struct ListForms: ParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    commandName: "list",
                    abstract: tr("Liste les formulaires : nom, version, champs.", "List the forms: name, version, fields."))
            }
            @OptionGroup var options: StoreOptions

            func run() throws {
                let store = options.storeIfAny()
                let lang = options.language(store)
                try guarded(lang) {
                    let catalog = try options.catalog(lang, store)
                    for name in catalog.names {
                        let f = catalog[name]!
                        print(Words(lang).formLine(name, version: f.version, fields: f.fields.count, title: f.title.text(lang)))
                    }
                    // Where they come from: the folder given, the service's (received when the store last synced), or built in.
                    print(Words(lang).formsFrom(options.formsOrigin(lang, store)))
                }
            }
        }

        struct ShowForm: ParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    commandName: "show",
                    abstract: tr(
                        "Affiche les champs d'un formulaire, leurs types, leurs règles et leurs choix.",
                        "Show a form's fields, types, rules and choices."),
                    discussion: tr(
                        "Exemple : palabre forms show participant --lang fr",
                        "Example: palabre forms show participant --lang fr"))
            }
            @OptionGroup var options: StoreOptions
            @Argument(help: trHelp("Le formulaire.", "The form.")) var form: String

            func run() throws {
                let lang = options.language(nil)
                try guarded(lang) {
                    let f = try options.catalog(lang, options.storeIfAny()).form(form)
                    print("\(f.name) v\(f.version): \(f.title.text(lang))  (\(f.file))")
                    if let r = f.repeats {
                        let extra = [r.count.map { "count \($0.source)" }, r.relevant.map { "relevant \($0.source)" }].compactMap { $0 }
                        print(Words(lang).detail(.repeats, ([r.parent] + extra).joined(separator: ", ")))
                    }
                    for field in f.fields {
                        var line = "  \(field.name) [\(field.type.rawValue)"
                        if let t = field.referencedForm { line += " → \(t)" }
                        line += "]"
                        switch field.required {
                        case .always: line += " *"
                        case .when(let e): line += " * \(Words(lang).requiredIf) \(e.source)"
                        case .never: break
                        }
                        line += "  \(field.label.text(lang))"
                        print(line)
                        let words = Words(lang)
                        if let r = field.relevant { print(words.detail(.relevant, r.source)) }
                        if let c = field.constraint { print(words.detail(.constraint, c.source)) }
                        if let d = field.defaultValue { print(words.detail(.defaultValue, d)) }
                        if let c = field.calculation { print(words.detail(.calculation, c.source)) }
                        if let c = field.choiceFilter { print(words.detail(.choiceFilter, c.source)) }
                        if field.readOnly { print(words.detail(.readOnly, "true")) }
                        if field.sensitive { print("      " + words.sensitive(contact: field.contact)) }
                        if !field.choices.isEmpty {
                            print(
                                words.detail(.choices, field.choices.map { "\($0.name) (\($0.label.text(lang)))" }.joined(separator: ", ")))
                        }
                    }
                }
            }
        }

        struct Check: ParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    abstract: tr(
                        "Signale chaque erreur des formulaires, avec le fichier et le champ ; sort avec le code 65 s'il y en a une.",
                        "Report every mistake in the forms, with file and field; exits 65 when there is one."),
                    discussion: tr(
                        """
                        Sans fichier, vérifie les formulaires utilisés. Avec des fichiers (NOM.yaml, ou un XLSForm FICHIER.xlsx), \
                        vérifie ceux-ci, en résolvant leurs références avec les formulaires utilisés.

                        Exemples : palabre forms check --forms ./forms
                                   palabre forms check enquete_menage.xlsx
                        """,
                        """
                        Without files, checks the forms in use. With files (NAME.yaml, or an XLSForm FILE.xlsx), checks those, \
                        their references resolved against the forms in use.

                        Examples: palabre forms check --forms ./forms
                                  palabre forms check enquete_menage.xlsx
                        """))
            }
            @OptionGroup var options: StoreOptions
            @Argument(
                help: trHelp(
                    "Les fichiers de formulaires à vérifier (YAML ou XLSForm .xlsx) ; par défaut : les formulaires utilisés.",
                    "Form files to check (YAML or XLSForm .xlsx); default: the forms in use.")) var files: [String] = []

            func run() throws {
                let store = options.storeIfAny()
                let lang = options.language(store)
                let names: [String]
                let problems: [FormProblem]
                do {
                    if files.isEmpty {
                        let catalog = try options.loadForms(store)
                        (names, problems) = (catalog.names, catalog.problems)
                    } else {
                        (names, problems) = try Self.given(files, besides: options.loadForms(store))
                    }
                } catch {
                    printError(error.message(lang))
                    throw ExitCode(66)
                }
                let checked = files.isEmpty ? options.formsOrigin(lang, store) : files.joined(separator: ", ")
                if problems.isEmpty {
                    print(Words(lang).formsOK(names.count, checked, names))
                    return
                }
                for p in problems { print(p.description) }
                printError(Words(lang).formMistakes(problems.count, checked))
                throw ExitCode(65)
            }

            /// The forms of the files given, with the forms in use they do not replace (for references); only the
            /// files' problems are reported (the forms in use were checked when they were published or read).
            static func given(_ files: [String], besides current: FormCatalog) throws(StoreError) -> (names: [String], problems: [FormProblem]) {
                var forms: [Form] = []
                var problems: [FormProblem] = []
                for path in files {
                    guard FileManager.default.fileExists(atPath: path) else { throw StoreError.formFile(path, problems: []) }
                    if FormLoader.isWorkbook(path) {
                        let (more, found) = FormLoader.loadWorkbook(path)
                        forms += more
                        problems += found
                    } else {
                        let (form, found) = FormLoader.loadFile(path)
                        problems += found
                        if let form { forms.append(form) }
                    }
                }
                let names = Set(forms.map(\.name))
                let others = current.names.filter { !names.contains($0) }.compactMap { current[$0] }
                let whole = FormCatalog(forms: forms + others, problems: problems)
                let otherFiles = Set(others.map(\.file))
                return (forms.map(\.name).sorted(), whole.problems.filter { !otherFiles.contains($0.file) })
            }
        }

        struct Convert: ParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    abstract: tr(
                        "Convertit un XLSForm (.xlsx) en fichiers de formulaires YAML de Palabre, un par formulaire (une répétition est un formulaire).",
                        "Convert an XLSForm (.xlsx) to Palabre's YAML form files, one per form (a repeat is a form)."),
                    discussion: tr(
                        """
                        Les fichiers YAML décrivent le même modèle : vérifiez-les, modifiez-les, publiez-les. Les types que Palabre \
                        ne sait pas saisir sont refusés, avec leur nom et leur ligne ; rien n'est alors écrit.

                        Exemple : palabre forms convert enquete_menage.xlsx --out forms/
                        """,
                        """
                        The YAML files are the same model: check them, edit them, publish them. Types Palabre cannot capture \
                        are refused by name with their row; nothing is written then.

                        Example: palabre forms convert enquete_menage.xlsx --out forms/
                        """))
            }
            @OptionGroup var options: StoreOptions
            @Argument(help: trHelp("Le classeur XLSForm (.xlsx).", "The XLSForm workbook (.xlsx).")) var file: String
            @Option(
                help: trHelp(
                    "Le dossier où écrire les fichiers NOM.yaml (par défaut : le dossier courant).",
                    "The folder to write NAME.yaml files into (default: the current folder).")) var out: String = "."

            func run() throws {
                let lang = options.language(options.storeIfAny())
                guard FileManager.default.fileExists(atPath: file) else {
                    printError(Words(lang).noSuchFile(file))
                    throw ExitCode(66)
                }
                let (converted, problems) = XLSForm.convert(path: file)
                // Each converted text must compile as a form file does.
                var all = problems
                for c in converted {
                    all += FormLoader.load(text: c.yaml, file: (file as NSString).appendingPathComponent(c.name + ".yaml")).1
                }
                if !all.isEmpty {
                    for p in all { print(p.description) }
                    printError(Words(lang).formMistakes(all.count, file))
                    throw ExitCode(65)
                }
                for c in converted {
                    let path = (out as NSString).appendingPathComponent(c.name + ".yaml")
                    do {
                        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                        try c.yaml.write(toFile: path, atomically: true, encoding: .utf8)
                    } catch {
                        printError(Words(lang).cannotWrite(path, "\(error.localizedDescription)"))
                        throw ExitCode(74)
                    }
                    print(path)
                }
            }
        }

        struct Publish: AsyncParsableCommand {
            static var configuration: CommandConfiguration {
                CommandConfiguration(
                    abstract: tr(
                        "Publie des fichiers de formulaires sur le serveur comme prochaines versions du projet (depuis l'ordinateur d'un coordinateur).",
                        "Publish form files as the project's next versions on the service (a coordinator's laptop)."),
                    discussion: tr(
                        """
                        Le serveur les vérifie exactement comme « palabre forms check » et par rapport à toutes les versions \
                        précédentes (on peut ajouter des champs et des choix, changer les libellés, les indications et les règles ; \
                        un champ ne change jamais de type, un choix n'est jamais retiré), les publie tous ou aucun, et applique les \
                        modifications qu'il gardait en attente de ces versions. Chaque ordinateur les reçoit à sa prochaine \
                        synchronisation (« palabre sync »). Il faut le jeton d'un coordinateur ou d'un administrateur.

                        Exemple : palabre forms publish followup.yaml
                        """,
                        """
                        The service checks them exactly as 'palabre forms check' does and against every earlier version \
                        (fields and choices may be added, labels, hints and rules changed; a field never changes type, a \
                        choice is never removed), publishes all or none, and applies the changes it held for them. Every \
                        laptop receives them at its next 'palabre sync'. Needs a coordinator's or an admin's token.

                        Example: palabre forms publish followup.yaml
                        """))
            }
            @OptionGroup var options: StoreOptions
            @Argument(
                help: trHelp(
                    "Des fichiers de formulaires (NOM.yaml, du nom du formulaire), ou des classeurs XLSForm (.xlsx).",
                    "Form files (NAME.yaml, named after the form), or XLSForm workbooks (.xlsx).")) var files: [String]

            func run() async throws {
                let store = try options.openStore()
                let lang = options.language(store)
                let words = Words(lang)
                var read: [(name: String, text: String)] = []
                for path in files {
                    // An XLSForm workbook is published as the YAML forms it converts to (a repeat is a form).
                    do throws(StoreError) {
                        read += try FormLoader.publishable(path)
                    } catch {
                        printError(error.message(lang))
                        throw ExitCode(FileManager.default.fileExists(atPath: path) ? 65 : 66)
                    }
                }
                let remote = try RemoteAccess.of(store, lang)
                let answer = try await remote.run { transport in try await transport.publishForms(read) }
                let json = try JSON.parse(answer)
                let project = json["project"]?.stringValue ?? ""
                var published: [(String, Int)] = []
                if case .array(let items)? = json["published"] {
                    for item in items {
                        if let name = item["name"]?.stringValue, let v = item["version"]?.intValue { published.append((name, Int(v))) }
                    }
                }
                if published.isEmpty { print(words.nothingToPublish) }
                for (name, version) in published { print(words.published(name, version, project)) }
                var left = 0
                if case .array(let items)? = json["set_aside"] { left = items.count }
                print(words.heldApplied(Int(json["applied"]?.intValue ?? 0), left: left))
            }
        }
    }
}
