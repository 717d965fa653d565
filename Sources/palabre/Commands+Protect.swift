import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore

/// Reads a passphrase: `$PALABRE_PASSPHRASE` (scripts), else from the terminal without echo, else the first line of
/// standard input.
func readPassphrase(_ prompt: String) -> String? {
    if let p = ProcessInfo.processInfo.environment["PALABRE_PASSPHRASE"], !p.isEmpty { return p }
    guard isatty(0) == 1 else { return readLine(strippingNewline: true) }
    FileHandle.standardError.write(Data(prompt.utf8))
    var old = termios()
    tcgetattr(0, &old)
    var quiet = old
    quiet.c_lflag &= ~tcflag_t(ECHO)
    tcsetattr(0, TCSANOW, &quiet)
    defer {
        tcsetattr(0, TCSANOW, &old)
        FileHandle.standardError.write(Data("\n".utf8))
    }
    return readLine(strippingNewline: true)
}

extension Palabre {
    struct Protect: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Protège cette base de données par une phrase secrète : les noms, les numéros de téléphone et le jeton de synchronisation sont scellés.",
                    "Protect this store with a passphrase: names, phone numbers and the sync token are sealed."),
                discussion: tr(
                    """
                    Demande deux fois une phrase secrète (ou lit $PALABRE_PASSPHRASE). Toutes les valeurs sensibles et de contact \
                    (noms, numéros de téléphone) sont scellées partout où la base de données les garde : enregistrements, \
                    historique, journal des modifications, modifications mises de côté ; le jeton de synchronisation aussi. La \
                    saisie continue avec la base de données verrouillée (un nouveau nom est scellé dès qu'il est enregistré) ; \
                    lire un nom, modifier un participant, exporter des noms et synchroniser demandent « palabre unlock », une \
                    fois par journée de travail. Les décomptes, les dates et les initiatives restent lisibles. Oublier la phrase \
                    secrète fait perdre ce qui est scellé sur cet ordinateur (le serveur garde sa copie : une nouvelle phrase \
                    secrète et un nouveau jeton la font revenir).
                    Exemple : palabre protect
                    """,
                    """
                    Asks for a passphrase twice (or reads $PALABRE_PASSPHRASE). Every sensitive and contact value (names, phone \
                    numbers) is sealed wherever the store keeps it: records, history, the change log, what is set aside; so is \
                    the sync token. Capture goes on with the store locked (a new name is sealed as it is saved); reading a name, \
                    editing a participant, exporting names and syncing need 'palabre unlock', once a working day. Counts, \
                    dates and initiatives stay readable. Forgetting the passphrase loses what is sealed on this laptop (the \
                    service keeps its copy: a new passphrase and token bring it back).
                    Example: palabre protect
                    """))
        }
        @OptionGroup var options: StoreOptions

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            let words = Words(lang)
            try guarded(lang) {
                guard let first = readPassphrase(words.passphrasePrompt) else { throw CLIFailure(words.nothingChanged, code: 1) }
                if isatty(0) == 1, ProcessInfo.processInfo.environment["PALABRE_PASSPHRASE"]?.isEmpty ?? true {
                    guard readPassphrase(words.passphraseAgain) == first else { throw CLIFailure(words.passphrasesDiffer, code: 65) }
                }
                // The forms say which fields are sensitive: those values are sealed where the store already keeps them.
                let catalog = try options.catalog(lang, store, reading: true)
                try store.protect(passphrase: first, catalog: catalog)  // refused (short, already protected): exit 65
                print(words.protected)
            }
        }
    }

    struct Unlock: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Déverrouille cette base de données protégée pour la journée de travail (12 heures, ou jusqu'à « palabre lock »).",
                    "Open this protected store for the working day (12 hours, or until 'palabre lock')."),
                discussion: tr(
                    """
                    La clé est gardée dans un espace de stockage en mémoire ($XDG_RUNTIME_DIR, sinon /dev/shm), jamais sur le disque.
                    Exemple : palabre unlock
                    """,
                    """
                    The key is kept in memory-backed storage ($XDG_RUNTIME_DIR, else /dev/shm), never on the disk.
                    Example: palabre unlock
                    """))
        }
        @OptionGroup var options: StoreOptions

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            let words = Words(lang)
            try guarded(lang) {
                guard let passphrase = readPassphrase(words.passphrasePrompt) else { throw CLIFailure(words.nothingChanged, code: 1) }
                let until = try store.unlock(passphrase: passphrase)
                print(words.unlocked(until: ISOTime.text(until, fraction: false)))
            }
        }
    }

    struct Lock: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Verrouille tout de suite cette base de données protégée (la phrase secrète la déverrouille de nouveau).",
                    "Close this protected store now (the passphrase opens it again)."))
        }
        @OptionGroup var options: StoreOptions

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            try guarded(lang) {
                try store.lock()
                print(Words(lang).locked)
            }
        }
    }

    struct Wipe: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Urgence : détruit immédiatement la clé de cette base de données ; tout ce qui est scellé devient illisible, le reste demeure.",
                    "Emergency: destroy this store's key at once; everything sealed becomes unreadable, the rest stays."),
                discussion: tr(
                    """
                    Prend bien moins d'une seconde. Les décomptes, les dates et les initiatives restent ; les noms, les numéros de \
                    téléphone et le jeton sont perdus pour toujours. Pour synchroniser de nouveau : « palabre protect » (une \
                    nouvelle phrase secrète), puis un nouveau jeton demandé à votre coordinateur ou coordinatrice ; la \
                    synchronisation suivante rapporte les noms que cet ordinateur a le droit de détenir. Les noms saisis ici et \
                    pas encore envoyés sont perdus.
                    Exemple : palabre wipe --yes
                    """,
                    """
                    Takes well under a second. Counts, dates and initiatives stay; names, phone numbers and the token are gone \
                    for good. To sync again: 'palabre protect' (a new passphrase), then a new token from your coordinator; the \
                    next sync brings back the names this laptop may hold. Names captured here and not yet sent are lost.
                    Example: palabre wipe --yes
                    """))
        }
        @OptionGroup var options: StoreOptions
        @Flag(help: trHelp("Ne demande pas de confirmation.", "Do not ask for confirmation.")) var yes = false

        func run() throws {
            let store = try options.openStore()
            let lang = options.language(store)
            let words = Words(lang)
            try guarded(lang) {
                if !yes {
                    guard isInteractive else { throw CLIFailure(words.wipeNeedsYes, code: 64) }
                    FileHandle.standardOutput.write(Data(words.wipeQuestion.utf8))
                    guard let answer = readLine(), ["o", "oui", "y", "yes"].contains(answer.lowercased()) else {
                        throw CLIFailure(words.nothingChanged, code: 1)
                    }
                }
                try store.wipe()
                print(words.wiped)
            }
        }
    }
}
