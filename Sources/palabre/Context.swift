import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore

/// Options every command that touches the store shares.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: trHelp(
            "Le fichier de la base de données (par défaut : $PALABRE_STORE ou ~/.local/share/palabre/store.sqlite).",
            "The store file (default: $PALABRE_STORE or ~/.local/share/palabre/store.sqlite)."))
    var store: String?

    @Option(
        name: .long,
        help: trHelp(
            "Un dossier de définitions de formulaires à utiliser à la place des formulaires intégrés (par défaut : $PALABRE_FORMS).",
            "A folder of form definitions to use instead of the built-in forms (default: $PALABRE_FORMS)."))
    var forms: String?

    @Option(
        name: .long,
        help: trHelp(
            """
            Langue des questions et des messages : fr ou en (par défaut : $PALABRE_LANG, celle de la base de données, ou celle \
            du système) ; ou une langue dans laquelle un formulaire a des libellés (bm, ses, tmh, ff, ar…) : ses libellés \
            sont affichés, les mots propres à Palabre restent en français ou en anglais.
            """,
            """
            Language of prompts and messages: fr or en (default: $PALABRE_LANG, the store's, or the locale); or a language \
            a form is labelled in (bm, ses, tmh, ff, ar…): its labels are shown, Palabre's own words stay French or English.
            """))
    var lang: String?

    @Flag(
        help: trHelp(
            "Quand une réponse enfreint une règle du formulaire, affiche l'expression de la règle à côté de son message.",
            "When an answer breaks a rule of the form, show the rule's expression beside its message."))
    var verbose = false

    /// The store path chosen by option, environment or default.
    var storePath: String {
        if let store { return store }
        let env = ProcessInfo.processInfo.environment
        if let p = env["PALABRE_STORE"], !p.isEmpty { return p }
        let base =
            env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")
        return (base as NSString).appendingPathComponent("palabre/store.sqlite")
    }

    /// Opens the store, or exits with a message: 66 when there is none (only `palabre init` creates one, so a
    /// mistyped `--store` creates nothing), 74 when it cannot be used.
    ///
    /// - Parameter mode: `.create` for `init`; `.readOnly` for commands that only read (they then work on a
    ///   read-only file and never write at open); `.existing` for the others.
    func openStore(_ mode: FieldStore.OpenMode = .existing) throws -> FieldStore {
        do {
            return try FieldStore(path: storePath, mode: mode)
        } catch .missing(let path) {
            let lang = language(nil)
            let command = "palabre init" + (store != nil ? " --store \(shellQuoted(path))" : "")
            printError(Words(lang).noStore(at: path, command: command))
            throw ExitCode(66)
        } catch {
            printError(error.message(language(nil)))
            throw ExitCode(74)
        }
    }

    func validate() throws {
        if let lang, Language(rawValue: lang) == nil, !StoreOptions.isLanguageCode(lang) {
            throw ArgumentParser.ValidationError(
                "--lang '\(lang)' is not fr, en or a language code of 2 or 3 letters (bm, ses, tmh, ff, ar) / n'est ni fr, ni en, ni un code de langue"
            )
        }
    }

    /// Whether a text is a language code as forms use them (`bm`, `ses`, `fr-ML`).
    static func isLanguageCode(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { (2...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    /// The language form labels are shown in: `--lang` (any code a form labels in), else the CLI's language.
    func labels(_ store: FieldStore?) -> LabelLanguage {
        let interface = language(store)
        guard let lang, Language(rawValue: lang) == nil else { return LabelLanguage(interface) }
        return LabelLanguage(interface, code: lang.lowercased())
    }

    /// The language: option, environment, store setting, locale, then English.
    func language(_ store: FieldStore?) -> Language {
        let env = ProcessInfo.processInfo.environment
        if let l = lang.flatMap(Language.init(rawValue:)) { return l }
        if let l = env["PALABRE_LANG"].flatMap(Language.init(rawValue:)) { return l }
        if let s = try? store?.identity().language { return s }
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let v = env[key], !v.isEmpty { return Language(locale: v) ?? .en }
        }
        return .en
    }

    /// A folder given with `--forms` or `$PALABRE_FORMS` (a programme designing its own forms), if any.
    var formsFolder: String? {
        if let forms { return forms }
        if let p = ProcessInfo.processInfo.environment["PALABRE_FORMS"], !p.isEmpty { return p }
        return nil
    }

    /// Where the forms come from, in this order: a folder given with `--forms` or `$PALABRE_FORMS`; the forms the
    /// store received from the service when it last synced; the forms built into `palabre`, so it works from any
    /// folder and as a single copied binary.
    enum FormsSource {
        case folder(String), received, builtIn
    }

    func formsSource(_ store: FieldStore?) -> FormsSource {
        if let folder = formsFolder { return .folder(folder) }
        if let store, let held = try? store.receivedForms(), !held.forms.isEmpty { return .received }
        return .builtIn
    }

    /// The forms' origin in words.
    func formsOrigin(_ lang: Language, _ store: FieldStore?) -> String {
        switch formsSource(store) {
        case .folder(let folder): return folder
        case .received: return Words(lang).receivedForms
        case .builtIn: return Words(lang).builtInForms
        }
    }

    /// Whether the forms hold one of this name (to read only it).
    func offers(_ form: String, _ store: FieldStore?) -> Bool {
        switch formsSource(store) {
        case .folder(let folder): return FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("\(form).yaml"))
        case .received: return (try? store?.receivedForms().forms.contains { $0.name == form }) ?? false
        case .builtIn: return FormLoader.builtInNames.contains(form)
        }
    }

    /// Every form as read, with its problems (`palabre forms check`). With `union`, the received forms are each every
    /// version seen as one, for reading records of any version.
    func loadForms(_ store: FieldStore?, only: Set<String>? = nil, union: Bool = false) throws(StoreError) -> FormCatalog {
        switch formsSource(store) {
        case .folder(let folder): return try FormLoader.load(directory: folder, only: only)
        case .received: return try store?.receivedCatalog(only: only, union: union) ?? FormLoader.builtIn(only: only)
        case .builtIn: return FormLoader.builtIn(only: only)
        }
    }

    /// The store when there is one, opened read-only, for commands that only need its forms.
    func storeIfAny() -> FieldStore? { try? FieldStore(path: storePath, mode: .readOnly) }

    /// Loads the forms; forms with mistakes are refused (run `palabre forms check`).
    ///
    /// `reading`: for showing, listing and exporting records, each received form is every version seen as one (a field
    /// a later version removed still has its label and its column); capture always uses the latest version.
    func catalog(_ lang: Language, _ store: FieldStore?, only: Set<String>? = nil, reading: Bool = false) throws -> FormCatalog {
        let catalog: FormCatalog
        do {
            catalog = try loadForms(store, only: only, union: reading)
        } catch {
            throw CLIFailure(error.message(lang), code: 66)
        }
        if !catalog.problems.isEmpty {
            let head = Words(lang).formsHaveMistakes(formsOrigin(lang, store))
            throw CLIFailure(([head] + catalog.problems.map { "  \($0)" }).joined(separator: "\n"), code: 65)
        }
        return catalog
    }
}

/// A path as a shell word: quoted when it holds anything but letters, digits and `/._-`.
func shellQuoted(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+~".contains($0)) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A failure with a message for the user and an exit code.
struct CLIFailure: Error {
    var message: String
    var code: Int32
    init(_ message: String, code: Int32 = 1) {
        self.message = message
        self.code = code
    }
}

/// Runs a command body, turning domain errors into one clear message on stderr and a conventional exit code.
func guarded(_ lang: Language, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let f as CLIFailure {
        printError(f.message)
        throw ExitCode(f.code)
    } catch let e as StoreError {
        printError(e.message(lang))
        switch e {
        case .invalid, .importRejected, .deleted, .refused: throw ExitCode(65)
        case .notFound, .missing: throw ExitCode(66)
        case .unreadable: throw ExitCode(74)
        case .locked, .wrongPassphrase, .wiped: throw ExitCode(77)
        default: throw ExitCode(1)
        }
    } catch let e as PalabreCore.ValidationError {
        printError(e.message(lang))
        throw ExitCode(65)
    }
}

/// Writes to standard error.
func printError(_ message: String) {
    // Messages quote values (from files, other laptops, the service): their control characters are made visible.
    FileHandle.standardError.write(Data(("palabre: " + terminalSafe(message, keepingNewlines: true) + "\n").utf8))
}

/// Whether standard input and output are a terminal (interactive capture, progress lines).
var isInteractive: Bool { isatty(0) == 1 && isatty(1) == 1 }

/// Parses `field=value` assignments against a form into values, refusing unknown fields with the known ones listed.
///
/// A reference may name its record as lists show it (a unique start or end of the id): `store` finds the whole id.
func parseAssignments(_ sets: [String], form: Form, _ lang: Language, store: FieldStore? = nil) throws -> [String: Value] {
    var values: [String: Value] = [:]
    var problems: [PalabreCore.ValidationError] = []
    for s in sets {
        guard let eq = s.firstIndex(of: "=") else {
            throw CLIFailure(Words(lang).assignment(s), code: 64)
        }
        let name = String(s[..<eq]).trimmingCharacters(in: .whitespaces)
        let raw = String(s[s.index(after: eq)...])
        guard let field = form.field(name) else {
            problems.append(
                PalabreCore.ValidationError(form: form.name, field: name, value: raw, rule: .unknownField(known: form.fields.map(\.name))))
            continue
        }
        if field.type.isComputed || field.readOnly {
            problems.append(PalabreCore.ValidationError(form: form.name, field: name, value: raw, rule: field.readOnly ? .readOnly : .computed))
            continue
        }
        if raw.trimmingCharacters(in: .whitespaces).isEmpty { continue }
        var text = raw
        if field.type == .reference, !RecordID.isValid(raw.trimmingCharacters(in: .whitespaces).lowercased()), let store {
            do {
                text = try store.resolveID(raw)
            } catch .ambiguous(let id, let matches) {
                throw StoreError.ambiguous(id: id, matches: matches)
            } catch {
                // Not a record's id at all: the parser names the field and the rule.
            }
        }
        do {
            values[name] = try FieldParser.parse(text, for: field, form: form.name)
        } catch {
            problems.append(error)
        }
    }
    if !problems.isEmpty { throw StoreError.invalid(problems) }
    return values
}

// Option values read by swift-argument-parser itself: a wrong one is refused with the accepted values, exit 64.
extension ExportOptions.Format: ExpressibleByArgument {}
extension Language: ExpressibleByArgument {}
