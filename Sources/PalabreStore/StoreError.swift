import Foundation
import PalabreCore

/// Why a store operation failed, in words that say what to do.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The store file cannot be opened or is not a Palabre store.
    case unreadable(path: String, reason: String)
    /// There is no store at this path (and the caller did not ask to create one).
    case missing(path: String)
    /// No record has this id.
    case notFound(id: String)
    /// Input was refused; nothing was written.
    case invalid([ValidationError])
    /// An import file had bad lines; nothing was imported.
    case importRejected(file: String, problems: [String])
    /// The forms folder cannot be read.
    case formsFolder(String, String)
    /// A form file (YAML or an XLSForm workbook) is missing or cannot be read; or a workbook has problems (given).
    case formFile(String, problems: [String])
    /// A record is deleted and must be restored before it is edited.
    case deleted(id: String)
    /// A short id that names several records (some of them given).
    case ambiguous(id: String, matches: [String])
    /// An operation that does not apply to the record as it is (deleting a deleted record…).
    case refused(String)
    /// The store is protected and locked: what is asked needs its passphrase (`palabre unlock`).
    case locked
    /// The passphrase given does not open the store.
    case wrongPassphrase
    /// `wipe` destroyed the store's key: what was sealed is gone.
    case wiped
    /// Anything else, with a sentence.
    case other(String)

    /// The message in a language.
    public func message(_ lang: Language) -> String {
        let fr = lang == .fr
        switch self {
        case .unreadable(let path, let reason):
            return fr ? "la base de données \(path) est inutilisable : \(reason)" : "the store \(path) cannot be used: \(reason)"
        case .missing(let path):
            return fr ? "il n'y a pas de base de données à \(path)" : "there is no store at \(path)"
        case .wrongPassphrase:
            return fr ? "phrase secrète incorrecte : la base de données reste verrouillée" : "wrong passphrase: the store stays locked"
        case .wiped:
            return fr
                ? "la clé de cette base de données a été détruite (palabre wipe) : ce qui était scellé est perdu ; « palabre protect » puis un nouveau jeton"
                : "this store's key was destroyed (palabre wipe): what was sealed is gone; 'palabre protect', then a new token"
        case .locked:
            return fr
                ? "la base de données est verrouillée : « palabre unlock » l'ouvre pour la journée (phrase secrète)"
                : "the store is locked: 'palabre unlock' opens it for the day (passphrase)"
        case .notFound(let id):
            return fr ? "aucun enregistrement n'a l'identifiant '\(id)'" : "no record has the id '\(id)'"
        case .ambiguous(let id, let matches):
            let shown = matches.prefix(3).joined(separator: ", ") + (matches.count > 3 ? "…" : "")
            return fr
                ? "'\(id)' désigne plusieurs enregistrements (\(shown)) : donnez plus de caractères de l'identifiant"
                : "'\(id)' names several records (\(shown)): give more characters of the id"
        case .invalid(let errors):
            return errors.map { $0.message(lang) }.joined(separator: "\n")
        case .importRejected(let file, let problems):
            let head =
                fr
                ? "\(file) : rien n'a été importé, \(problems.count) ligne(s) refusée(s) :"
                : "\(file): nothing was imported, \(problems.count) line(s) refused:"
            return ([head] + problems.map { "  " + $0 }).joined(separator: "\n")
        case .formsFolder(let dir, let reason):
            return fr ? "dossier de formulaires \(dir) : \(reason)" : "forms folder \(dir): \(reason)"
        case .formFile(let path, let problems):
            if problems.isEmpty {
                return fr ? "\(path) : fichier absent, ou pas du texte UTF-8" : "\(path): no such file, or not UTF-8 text"
            }
            return (fr ? "\(path) : rien n'est publié : " : "\(path): nothing is published: ") + problems.joined(separator: "; ")
        case .deleted(let id):
            return fr
                ? "l'enregistrement \(id) est supprimé : faites d'abord « palabre restore \(id) »"
                : "record \(id) is deleted: run 'palabre restore \(id)' first"
        case .refused(let m), .other(let m):
            return m
        }
    }

    public var description: String { message(.en) }
}
