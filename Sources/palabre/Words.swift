import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

/// Every sentence the field CLI shows a person, in French and English, in one place: a command says *what* to tell
/// (`words.edited(id)`), never how to say it. French comes first in each pair: it is the language of most of the
/// people who use Palabre. The libraries' errors keep their own `message(_:)` (a store or form error is the same in
/// every program); the wording of the sync client's failures, which names CLI commands, is here.
///
/// In French, a laptop's store is « la base de données » (not « magasin », a shop).
struct Words: Sendable {
    let lang: Language

    init(_ lang: Language) { self.lang = lang }

    private func t(_ fr: String, _ en: String) -> String { lang == .fr ? fr : en }

    // MARK: The store

    func noStore(at path: String, command: String) -> String {
        t(
            "il n'y a pas de base de données à \(path) : créez-la avec « \(command) --project PROJET --device NOM » (seul « palabre init » crée une base de données)",
            "there is no store at \(path): create it with '\(command) --project PROJECT --device NAME' (only 'palabre init' creates a store)")
    }

    func badLanguage(_ value: String) -> String {
        t("--lang : « \(value) » n'est ni fr ni en", "--lang '\(value)' is not one of fr, en")
    }

    func unsentBeforeProjectChange(_ count: Int) -> String {
        t(
            "--project : \(count) modification(s) du projet actuel attendent l'envoi ; faites « palabre sync » avant de changer de projet",
            "--project: \(count) change(s) of the current project wait to be sent; run 'palabre sync' before changing the project")
    }

    /// `palabre init`'s report: the store, the device, the project, the node.
    func identity(path: String, device: String, project: String, node: String) -> [String] {
        [
            t("Base de données : ", "Store: ") + path, t("Appareil : ", "Device: ") + (device.isEmpty ? "-" : device),
            t("Projet : ", "Project: ") + project, t("Nœud : ", "Node: ") + node,
        ]
    }

    func formsHaveMistakes(_ folder: String) -> String {
        t(
            "les formulaires de \(folder) ont des erreurs (voir « palabre forms check ») :",
            "the forms in \(folder) have mistakes (see 'palabre forms check'):")
    }

    // MARK: Writing records

    var giveValuesOrUseATerminal: String {
        t(
            "donnez les valeurs avec --set champ=valeur, ou lancez la commande dans un terminal pour qu'elles vous soient demandées",
            "give values with --set field=value, or run this in a terminal to be asked")
    }
    var nothingSaved: String { t("rien n'a été enregistré", "nothing was saved") }
    var giveASetOrUnset: String {
        t("donnez au moins un --set champ=valeur ou un --unset champ", "give at least one --set field=value or --unset field")
    }
    func assignment(_ text: String, option: String = "--set") -> String {
        t(
            "\(option) « \(text) » : écrivez champ=valeur, par exemple --set region=gao",
            "\(option) '\(text)': write field=value, for example --set region=gao")
    }
    func whereClause(_ text: String) -> String {
        t("--where « \(text) » : écrivez champ=valeur", "--where '\(text)': write field=value")
    }
    func edited(_ id: String) -> String { t("modifié \(id)", "edited \(id)") }
    var nothingChanged: String { t("aucun changement", "nothing changed") }
    func deleted(_ id: String) -> String { t("supprimé \(id)", "deleted \(id)") }
    func restored(_ id: String) -> String { t("restauré \(id)", "restored \(id)") }

    // MARK: Import and export

    func noSuchFile(_ path: String) -> String { t("le fichier \(path) n'existe pas", "no such file: \(path)") }
    func cannotWrite(_ path: String, _ why: String) -> String {
        t(
            "impossible d'écrire \(path) (\(why)) : vérifiez que le dossier existe et peut être écrit",
            "cannot write \(path) (\(why)): check the folder exists and may be written")
    }

    func imported(_ total: Int, parts: String, unchanged: Int) -> String {
        t(
            "\(total) enregistrement(s) importé(s)" + (parts.isEmpty ? "" : " (\(parts))") + (unchanged > 0 ? ", \(unchanged) déjà présent(s)" : ""),
            "imported \(total) record(s)" + (parts.isEmpty ? "" : " (\(parts))") + (unchanged > 0 ? ", \(unchanged) already present" : ""))
    }
    func recognisedLines(_ count: Int) -> String {
        t(
            "\(count) ligne(s) sans id identique(s) à des lignes déjà importées : laissée(s) ; « --again » les importe comme nouveaux enregistrements",
            "\(count) line(s) without an id match lines imported before: left alone; --again imports them as new records")
    }
    func exported(to out: String, _ parts: String) -> String { t("exporté vers \(out) : ", "exported to \(out): ") + parts }
    func downloaded(_ files: [String]) -> String {
        t("téléchargé du serveur : ", "downloaded from the service: ") + files.joined(separator: ", ")
    }
    func generated(_ count: Int, _ out: String) -> String {
        t("\(count) enregistrements écrits dans \(out)", "wrote \(count) records to \(out)")
    }
    func atLeastOneRecord(_ count: Int) -> String {
        t("--records : il en faut au moins 1, pas \(count)", "--records must be at least 1, not \(count)")
    }
    func cannotWrite(_ path: String) -> String { t("impossible d'écrire \(path)", "cannot write \(path)") }

    // MARK: Reading records

    var noRecords: String { t("aucun enregistrement", "no records") }
    var deletedMark: String { t("[supprimé]", "[deleted]") }
    func captured(at created: String, by node: String, updated: String) -> String {
        t("  saisi le \(created) par \(node), modifié le \(updated)", "  captured \(created) by \(node), updated \(updated)")
    }
    var history: String { t("Historique :", "History:") }
    /// `Statut : Proposée → Financée (bara-laptop, 2026-11-20 14:02)`.
    func historyLine(_ label: String, from: String, to: String, by: String, at: String) -> String {
        t("\(label) : \(from) → \(to) (\(by), \(at))", "\(label): \(from) → \(to) (\(by), \(at))")
    }
    func otherDevice(_ node: String) -> String { t("autre appareil \(node)", "other device \(node)") }
    var noReplacedValues: String { t("  (aucune valeur remplacée)", "  (no replaced values)") }
    var conflictMark: String { t("[conflit]", "[conflict]") }

    // MARK: Forms

    func formLine(_ name: String, version: Int, fields: Int, title: String) -> String {
        "\(name.padding(toLength: 12, withPad: " ", startingAt: 0)) v\(version)  " + t("\(fields) champs", "\(fields) fields") + "  \(title)"
    }
    func formsOK(_ count: Int, _ folder: String, _ names: [String]) -> String {
        t("\(count) formulaires corrects dans \(folder) : ", "\(count) forms OK in \(folder): ") + names.joined(separator: ", ")
    }
    func formMistakes(_ count: Int, _ folder: String) -> String {
        t("\(count) erreur(s) dans \(folder)", "\(count) mistake(s) in \(folder)")
    }
    func formsFrom(_ origin: String) -> String { t("(formulaires : \(origin))", "(forms: \(origin))") }
    func formsReceived(_ versions: [String]) -> String {
        t("  formulaires reçus : ", "  forms received: ") + versions.joined(separator: ", ")
    }
    func formsUnreadable(_ problems: [String]) -> String {
        t(
            "les formulaires publiés ne peuvent pas être lus par cette version de palabre (\(problems.joined(separator: " ; "))) : "
                + "la saisie continue avec les formulaires déjà reçus ; installez la dernière version de palabre",
            "the published forms cannot be read by this palabre (\(problems.joined(separator: "; "))): capture goes on with the forms "
                + "received before; install the latest palabre")
    }
    var receivedForms: String { t("les formulaires reçus du serveur", "the forms received from the service") }
    var builtInForms: String { t("les formulaires intégrés à palabre", "the forms built into palabre") }
    /// One detail of a field in `palabre forms show`: `relevant: …`, « pertinent si : … ».
    func detail(_ kind: FieldDetail, _ text: String) -> String {
        let (fr, en): (String, String)
        switch kind {
        case .relevant: (fr, en) = ("pertinent si", "relevant")
        case .constraint: (fr, en) = ("règle", "constraint")
        case .defaultValue: (fr, en) = ("par défaut", "default")
        case .choices: (fr, en) = ("choix", "choices")
        case .calculation: (fr, en) = ("calcul", "calculation")
        case .choiceFilter: (fr, en) = ("choix filtrés par", "choice filter")
        case .readOnly: (fr, en) = ("lecture seule", "read only")
        case .repeats: (fr, en) = ("répété dans", "repeated in")
        }
        return "      " + t("\(fr) : \(text)", "\(en): \(text)")
    }
    enum FieldDetail { case relevant, constraint, defaultValue, choices, calculation, choiceFilter, readOnly, repeats }
    var requiredIf: String { t("si", "if") }
    func sensitive(contact: Bool) -> String {
        t("sensible" + (contact ? ", contact" : ""), "sensitive" + (contact ? ", contact" : ""))
    }

    // MARK: Indicators

    func notADate(_ option: String, _ value: String) -> String {
        t("--\(option) : « \(value) » n'est pas une date AAAA-MM-JJ", "--\(option): '\(value)' is not a date as YYYY-MM-DD")
    }

    /// The indicators as lines of text.
    /// The indicators as lines; `label` gives a code's label (`gao` → `Gao`, `18_24` → `18 à 24 ans`) by part and
    /// indicator key.
    func indicators(_ ind: Indicators, label: (IndicatorMap.Part, String, String) -> (text: String, rank: Int) = { ($2, 0) }) -> [String] {
        func pct(_ x: Double?) -> String { x.map { String(format: "%.0f %%", $0 * 100) } ?? "-" }
        // In the form's order of choices (age bands youngest first), codes no form knows after them.
        func list(_ d: [String: Int], _ part: IndicatorMap.Part? = nil, _ key: String = "") -> String {
            let shown: [(code: String, text: String, rank: Int)] = d.keys.map { code in
                let l: (text: String, rank: Int) = part.map { label($0, key, code) } ?? (code, 0)
                return (code, l.text, l.rank)
            }
            return shown.sorted { ($0.rank, $0.code) < ($1.rank, $1.code) }.map { "\($0.text) \(d[$0.code]!)" }.joined(separator: ", ")
        }
        return [
            t("Séances : ", "Sessions: ") + "\(ind.sessions)",
            "  " + t("par région : ", "by region: ") + list(ind.sessionsByRegion, .sessions, "region"),
            "  " + t("par mois : ", "by month: ") + list(ind.sessionsByMonth),
            "  " + t("par format : ", "by format: ") + list(ind.sessionsByFormat, .sessions, "format"),
            t(
                "Participants : \(ind.participants) (\(ind.registered) enregistrés, \(ind.counted) comptés)",
                "Participants: \(ind.participants) (\(ind.registered) registered, \(ind.counted) counted)"),
            "  "
                + t(
                    "femmes \(ind.women) (\(pct(ind.shareWomen))), jeunes \(ind.youth) (\(pct(ind.shareYouth)))",
                    "women \(ind.women) (\(pct(ind.shareWomen))), youth \(ind.youth) (\(pct(ind.shareYouth)))"),
            "  " + t("par tranche d'âge : ", "by age band: ") + list(ind.byAgeBand, .participants, "age_band"),
            "  " + t("par rôle : ", "by role: ") + list(ind.byRole, .participants, "role"),
            t(
                "Initiatives : \(ind.initiatives.count), bénéficiaires \(ind.beneficiaries), coût estimé ",
                "Initiatives: \(ind.initiatives.count), beneficiaries \(ind.beneficiaries), estimated cost ")
                + "\(Value.format(ind.estimatedCost)) FCFA",
            "  " + t("par type : ", "by type: ") + list(ind.initiativesByType, .initiatives, "type"),
            "  " + t("par statut : ", "by status: ") + list(ind.initiativesByStatus, .initiatives, "status"),
            "  " + t("sans suivi depuis 90 jours : ", "without a follow-up in 90 days: ") + "\(ind.withoutRecentFollowup.count)",
        ]
    }

    // MARK: The remote and sync

    var noRemote: String {
        t(
            "aucun serveur n'est défini : lancez d'abord « palabre remote set URL --token JETON »",
            "no remote is set: run 'palabre remote set URL --token TOKEN' first")
    }
    func remote(_ url: String, token: String, unsent: Int) -> String {
        t("\(url)  jeton \(token)…  (\(unsent) modification(s) à envoyer)", "\(url)  token \(token)…  (\(unsent) change(s) to send)")
    }
    func remoteSet(_ url: String) -> String { t("serveur : \(url)", "remote: \(url)") }
    func notAnAddress(_ url: String) -> String {
        t("adresse du serveur : « \(url) » n'est pas une adresse http:// ou https://", "remote URL: '\(url)' is not an http:// or https:// address")
    }
    func notAToken(_ token: String) -> String {
        t(
            "--token : « \(token) » n'est pas un jeton (un jeton n'est pas vide et n'a pas d'espace)",
            "--token: '\(token)' is not a token (no spaces, not empty)")
    }

    /// A failure of the sync client, with what to do about it.
    func syncFailure(_ error: SyncError) -> String {
        switch error {
        case .noRemote:
            return noRemote
        case .offline(let m):
            return t(
                "le serveur est injoignable (\(m)) ; rien n'est perdu, relancez « palabre sync » quand la liaison reviendra",
                "the service cannot be reached (\(m)); nothing is lost, run 'palabre sync' again when the link is back")
        case .unauthorized(let m):
            return t("le serveur a refusé le jeton : \(m)", "the service refused the token: \(m)")
        case .refused(let status, let m):
            return t("le serveur a refusé la demande (\(status)) : \(m)", "the service refused the request (\(status)): \(m)")
        case .service(let m):
            return t(
                "le serveur a échoué : \(m) ; rien n'est perdu, relancez « palabre sync »",
                "the service failed: \(m); nothing is lost, run 'palabre sync' again")
        }
    }

    func progress(_ p: SyncProgress) -> String {
        switch p {
        case .pushing(let sent, let total): return t("envoi \(sent)/\(total)…", "sending \(sent)/\(total)…")
        case .pulling(let received): return t("réception \(received)…", "receiving \(received)…")
        }
    }
    func synced(_ s: SyncSummary) -> String {
        t(
            "envoyés \(s.sent), reçus \(s.received), conflits ouverts \(s.conflicts), mis de côté \(s.setAside.count)",
            "sent \(s.sent), received \(s.received), open conflicts \(s.conflicts), set aside \(s.setAside.count)")
    }
    func setAside(_ record: String, _ reason: String, held: Bool = false) -> String {
        held
            ? t(
                "  en attente \(record) : le serveur la garde jusqu'à la publication de sa version (\(reason))",
                "  held \(record): the service keeps it until its version is published (\(reason))")
            : t("  mis de côté \(record) : \(reason)", "  set aside \(record): \(reason)")
    }
    func appliedSince(_ n: Int) -> String {
        t(
            "  \(n) modification(s) mise(s) de côté auparavant ont été appliquées par le serveur",
            "  \(n) change(s) set aside earlier were applied by the service")
    }
    func stillSetAside(_ entries: [Wire.SetAsideEntry]) -> String {
        let held = entries.filter(\.held).count
        return t(
            "  le serveur garde \(entries.count) de vos modifications (\(held) en attente d'une version à publier) : « palabre set-aside »",
            "  the service keeps \(entries.count) of your changes (\(held) waiting for a version to be published): see 'palabre set-aside'")
    }
    var noSetAside: String { t("aucune modification mise de côté", "no change is set aside") }
    func setAsideRow(_ r: SetAsideRecord) -> [String] {
        let origin = r.origin == "service" ? t("serveur", "service") : t("réception", "pull")
        return [
            r.created.replacingOccurrences(of: "T", with: " "), r.held ? t("EN ATTENTE", "HELD") : t("REFUSÉE", "REFUSED"), origin,
            r.change.recordID, "\(r.change.form) v\(r.change.formVersion)", r.reason,
        ]
    }
    var setAsideHeader: [String] {
        [t("DEPUIS", "SINCE"), t("ÉTAT", "STATE"), t("OÙ", "WHERE"), t("FICHE", "RECORD"), t("FORMULAIRE", "FORM"), t("RAISON", "REASON")]
    }
    func retried(applied: Int, left: Int) -> String {
        t(
            "\(applied) modification(s) appliquée(s) ; \(left) toujours mise(s) de côté",
            "\(applied) change(s) applied; \(left) still set aside")
    }
    func published(_ name: String, _ version: Int, _ project: String) -> String {
        t("publié \(name) version \(version) dans le projet \(project)", "published \(name) version \(version) in project \(project)")
    }
    var nothingToPublish: String {
        t("rien à publier : chaque formulaire est déjà à sa dernière version", "nothing to publish: every form is already its latest version")
    }
    func heldApplied(_ n: Int, left: Int) -> String {
        t(
            "\(n) modification(s) en attente de ces versions appliquée(s) ; \(left) toujours mise(s) de côté",
            "\(n) held change(s) of these versions applied; \(left) still set aside")
    }
    var serviceRestored: String {
        t(
            "le serveur a été restauré depuis une sauvegarde : tout a été renvoyé et reçu de nouveau (rien n'est appliqué deux fois)",
            "the service was restored from a backup: everything was sent and received again (nothing is applied twice)")
    }
    var seeConflicts: String { t("  voir « palabre conflicts »", "  see 'palabre conflicts'") }
    func clockAhead(_ ms: Int64, restamped: Int) -> String {
        t(
            "l'horloge de cet ordinateur avance de \(duration(ms)) sur celle du serveur : \(restamped) modification(s) ont été réhorodatées à l'heure du serveur et envoyées. Corrigez la date et l'heure de l'ordinateur.",
            "this laptop's clock is \(duration(ms)) ahead of the service's: \(restamped) change(s) were re-stamped at the service's time and sent. Please set the laptop's date and time."
        )
    }
    func clockBehind(_ ms: Int64) -> String {
        t(
            "attention : l'horloge de cet ordinateur retarde de \(duration(ms)) sur le serveur ; corrigez la date et l'heure",
            "warning: this laptop's clock is \(duration(ms)) behind the service; please set the date and time")
    }
    func nodeRenewed(_ old: String, _ new: String, restamped: Int) -> String {
        t(
            "nœud \(old) → \(new) ; \(restamped) modification(s) non envoyée(s) réhorodatée(s) ; lancez maintenant « palabre sync »",
            "node \(old) → \(new); \(restamped) unsent change(s) stamped again; now run 'palabre sync'")
    }

    /// A duration in words.
    func duration(_ ms: Int64) -> String {
        let minutes = ms / 60_000
        if minutes < 120 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 72 { return t("\(hours) h", "\(hours) hours") }
        return t("\(hours / 24) jours", "\(hours / 24) days")
    }

    // MARK: Conflicts

    var noConflicts: String { t("aucun conflit", "no conflicts") }
    func conflict(record: String, form: String, field: String, kept: String, lost: String, written: String, node: String) -> String {
        t(
            "\(record) \(form).\(field) : gardé « \(kept) », perdu « \(lost) » (\(written) \(node))",
            "\(record) \(form).\(field): kept '\(kept)', lost '\(lost)' (\(written) \(node))")
    }
    var valueRestored: String { t("valeur restaurée", "value restored") }
    var valueKept: String { t("valeur gardée", "value kept") }

    // MARK: Interactive capture

    var captureIntro: String {
        t(
            "Entrée garde la réponse entre crochets ou passe un champ facultatif, « < » revient à la question précédente, « - » efface une réponse facultative, Ctrl-C abandonne.",
            "Enter keeps the answer in brackets or skips an optional field, '<' goes back one question, '-' clears an optional answer, Ctrl-C gives up."
        )
    }
    var severalChoices: String {
        t("numéros, codes ou libellés séparés par des espaces ou des virgules", "numbers, codes or labels separated by spaces or commas")
    }
    var oneChoice: String { t("numéro, code ou libellé", "number, code or label") }
    var dateFormat: String { t("JJ/MM/AAAA ou AAAA-MM-JJ", "YYYY-MM-DD or DD/MM/YYYY") }
    var numberOrSearch: String { t("numéro, ou un mot du titre ou du lieu", "number, or a word of the title or place") }
    var recordIDOrSearch: String { t("un mot du titre ou du lieu, ou l'identifiant", "a word of the title or place, or the id") }
    func noRecordMatches(_ text: String) -> String {
        t("aucun enregistrement ne contient « \(terminalSafe(text)) »", "no record holds '\(terminalSafe(text))'")
    }
    func severalRecordsMatch(_ n: Int) -> String {
        t("\(n) enregistrements correspondent : choisissez par numéro", "\(n) records match: pick one by number")
    }
    var atFirstQuestion: String { t("c'est la première question", "this is the first question") }
    var reviewTitle: String { t("Vos réponses :", "Your answers:") }
    var saveOrChange: String {
        t("Tapez un numéro pour changer cette réponse. Enregistrer ? [O/n] ", "Type a number to change that answer. Save? [Y/n] ")
    }
    var changeToFix: String {
        t(
            "Tapez le numéro d'une réponse pour la corriger, ou « non » pour abandonner > ",
            "Type the number of an answer to correct it, or 'no' to give up > ")
    }
    /// The words that say yes, or no, once folded (no case, no accents).
    var yesWords: Set<String> { lang == .fr ? ["o", "oui", "ok", "d'accord"] : ["y", "yes", "ok"] }
    var noWords: Set<String> { lang == .fr ? ["n", "non"] : ["n", "no"] }
    var answerYesNoOrNumber: String {
        t("répondez oui, non, ou le numéro d'une réponse à changer", "answer yes, no, or the number of an answer to change")
    }
    var answerNumberOrNo: String {
        t("répondez par le numéro d'une réponse à corriger, ou non", "answer with the number of an answer to correct, or no")
    }
    var answerYesOrNo: String { t("répondez oui ou non", "answer yes or no") }
    func addChild(_ what: String, first: Bool) -> String {
        first ? t("Ajouter : \(what) ? [O/n] ", "Add: \(what)? [Y/n] ") : t("Un(e) autre (\(what)) ? [O/n] ", "Another (\(what))? [Y/n] ")
    }
    func addChildQuick(_ what: String, first: Bool) -> String {
        let fr =
            first
            ? "Ajouter : \(what) ? (r : plusieurs anonymes en lignes rapides) [O/r/n] " : "Un(e) autre (\(what)) ? (r : en lignes rapides) [O/r/n] "
        let en = first ? "Add: \(what)? (q: several anonymous, in quick lines) [Y/q/n] " : "Another (\(what))? (q: in quick lines) [Y/q/n] "
        return t(fr, en)
    }
    func sittingSummary(_ made: [(String, Int)]) -> String {
        t("Saisi dans la foulée : ", "Captured in this sitting: ") + made.map { "\($0.1) × \($0.0)" }.joined(separator: ", ")
    }
    var quickLetter: String { t("r", "q") }
    var answerYesNoQuick: String { t("répondez oui, non, ou r pour les lignes rapides", "answer yes, no, or q for quick lines") }
    var nothingSavedForThisOne: String { t("celui-ci n'a pas été enregistré", "this one was not saved") }
    func quickIntro(_ what: String, fields: [String], example: String) -> String {
        t(
            "Lignes rapides (\(what), sans nom) : une ligne par personne, avec \(fields.joined(separator: ", ")) dans n'importe quel ordre, par code, libellé ou ses premières lettres (« \(example) ») ; « 12x \(example) » pour douze personnes pareilles. Ligne vide pour finir.",
            "Quick lines (\(what), unnamed): one line per person with \(fields.joined(separator: ", ")) in any order, by code, label or its first letters ('\(example)'); '12x \(example)' for twelve people alike. An empty line ends."
        )
    }
    func quickPrompt(_ saved: Int) -> String { t("[\(saved) enregistré(s)] > ", "[\(saved) saved] > ") }
    var timeFormat: String { t("HH:MM", "HH:MM") }
    var dateTimeFormat: String { t("AAAA-MM-JJ HH:MM", "YYYY-MM-DD HH:MM") }
    var passphrasePrompt: String { t("Phrase secrète : ", "Passphrase: ") }
    var passphraseAgain: String { t("La même phrase secrète, encore : ", "The same passphrase, again: ") }
    var passphrasesDiffer: String { t("les deux phrases secrètes diffèrent : rien n'est changé", "the two passphrases differ: nothing changed") }
    var protected: String {
        t(
            "base locale protégée : noms, téléphones et jeton de synchronisation sont scellés ; « palabre unlock » l'ouvre chaque jour",
            "store protected: names, phone numbers and the sync token are sealed; 'palabre unlock' opens it each day")
    }
    func unlocked(until: String) -> String { t("ouverte jusqu'à \(until)", "unlocked until \(until)") }
    var locked: String { t("verrouillée", "locked") }
    var sealedToken: String { t("(scellé : palabre unlock)", "(sealed: palabre unlock)") }
    var destroyedToken: String { t("(détruit par palabre wipe)", "(destroyed by palabre wipe)") }
    var wipeQuestion: String {
        t("Détruire la clé de cette base de données (irréversible) ? [o/N] ", "Destroy this store's key (cannot be undone)? [y/N] ")
    }
    var eraseQuestion: String {
        t(
            "Effacer pour toujours le nom et le téléphone de cette personne, partout ? [o/N] ",
            "Erase this person's name and phone for good, everywhere? [y/N] ")
    }
    var eraseNeedsYes: String {
        t("hors d'un terminal, « palabre erase ID --by QUI --yes »", "outside a terminal: 'palabre erase ID --by WHO --yes'")
    }
    func erased(_ fields: String) -> String {
        t(
            "effacé : \(fields) ; le service et les autres ordinateurs l'effacent à la prochaine synchronisation",
            "erased: \(fields); the service and the other laptops erase it at the next sync")
    }
    func erasure(_ fields: String, at: String, by: String) -> String {
        t("  effacé pour toujours : \(fields), le \(at) par \(by)", "  erased for good: \(fields), on \(at) by \(by)")
    }
    var wipeNeedsYes: String { t("hors d'un terminal, « palabre wipe --yes »", "outside a terminal: 'palabre wipe --yes'") }
    var wiped: String {
        t(
            "clé détruite : ce qui était scellé est illisible ; le reste est intact. « palabre protect » puis un nouveau jeton pour synchroniser.",
            "key destroyed: what was sealed is unreadable; the rest is intact. 'palabre protect', then a new token, to sync again.")
    }
    func nothingToChoose(_ field: String) -> String {
        t(
            "« \(field) » est obligatoire mais aucun choix ne correspond aux réponses données : rien n'est enregistré (le formulaire est à corriger)",
            "'\(field)' is required but no choice matches the answers given: nothing is saved (the form needs fixing)")
    }
    func addAnother(_ what: String, first: Bool) -> String {
        first ? t("Ajouter : \(what) ? [o/N] ", "Add: \(what)? [y/N] ") : t("En ajouter un autre (\(what)) ? [o/N] ", "Add another (\(what))? [y/N] ")
    }
    var required: String { t("ce champ est obligatoire", "this field is required") }
    var saveQuestion: String { t("Enregistrer ? [O/n] ", "Save? [Y/n] ") }
}
