import Foundation
import PalabreCore

/// The dashboard's words in French and English, numbers written the way each language writes them, and HTML escaping.
struct DashboardText: Sendable {
    let lang: Language

    /// The language of a request: `?lang=` (or the sign-in form's field) first, then `Accept-Language`, else French.
    static func language(query: String?, acceptLanguage: String?) -> Language {
        if let query, let l = Language(rawValue: query.lowercased()) { return l }
        guard let header = acceptLanguage else { return .fr }
        var best: (Language, Double)?
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first, let l = Language(locale: tag) else { continue }
            var q = 1.0
            for p in pieces.dropFirst() where p.hasPrefix("q=") { q = Double(p.dropFirst(2)) ?? 0 }
            if q > 0, best.map({ q > $0.1 }) ?? true { best = (l, q) }
        }
        return best?.0 ?? .fr
    }

    private func t(_ fr: String, _ en: String) -> String { lang == .fr ? fr : en }

    // MARK: Sign-in

    var appName: String { "Palabre" }
    var dashboard: String { t("Tableau de bord", "Dashboard") }
    var signInTitle: String { t("Connexion au tableau de bord", "Sign in to the dashboard") }
    var signInIntro: String {
        t(
            "Saisissez le jeton d'accès de coordinateur, d'analyste ou d'administrateur que l'administrateur du service vous a remis. "
                + "Il n'est demandé qu'une fois : la session reste ouverte 8 heures sur ce navigateur.",
            "Enter the coordinator, analyst or admin access token the service's administrator gave you. "
                + "It is asked for once: the session stays open for 8 hours in this browser.")
    }
    var tokenLabel: String { t("Jeton d'accès", "Access token") }
    var signIn: String { t("Se connecter", "Sign in") }
    var signOut: String { t("Se déconnecter", "Sign out") }
    var emptyToken: String { t("Saisissez votre jeton d'accès (il commence par plb_).", "Enter your access token (it starts with plb_).") }
    var unknownToken: String {
        t(
            "Ce jeton est inconnu ou a été révoqué. Vérifiez-le, ou demandez un nouveau jeton à l'administrateur du service.",
            "This token is unknown or has been revoked. Check it, or ask the service's administrator for a new one.")
    }
    var crossSite: String {
        t(
            "Cette demande vient d'un autre site que ce service : elle est refusée. Ouvrez le tableau de bord à son adresse et connectez-vous depuis cette page.",
            "This request comes from a site other than this service: it is refused. Open the dashboard at its own address and sign in from that page."
        )
    }
    var facilitatorRefused: String {
        t(
            "Ce jeton est celui d'un facilitateur : le tableau de bord est réservé aux coordinateurs, analystes et administrateurs. "
                + "Demandez un jeton d'analyste à votre coordinateur.",
            "This is a facilitator's token: the dashboard is for coordinators, analysts and admins. "
                + "Ask your coordinator for an analyst token.")
    }
    var sessionEnded: String {
        t("Votre session a expiré ou a été fermée : reconnectez-vous.", "Your session has expired or was closed: sign in again.")
    }
    var signedOut: String { t("Vous êtes déconnecté.", "You are signed out.") }
    var otherLanguage: (code: String, name: String) { lang == .fr ? ("en", "English") : ("fr", "Français") }

    func role(_ role: Role) -> String {
        switch role {
        case .facilitator: return t("facilitateur", "facilitator")
        case .coordinator: return t("coordinateur", "coordinator")
        case .analyst: return t("analyste", "analyst")
        case .admin: return t("administrateur", "admin")
        }
    }

    // MARK: Filters

    var project: String { t("Projet", "Project") }
    var region: String { t("Région", "Region") }
    var allRegions: String { t("Toutes les régions", "All regions") }
    var from: String { t("Du", "From") }
    var to: String { t("Au", "To") }
    var apply: String { t("Appliquer", "Apply") }
    var reset: String { t("Réinitialiser", "Reset") }
    var filters: String { t("Filtres", "Filters") }
    var wholePeriod: String { t("toute la période", "whole period") }
    func period(from: String?, to: String?) -> String {
        switch (from, to) {
        case (nil, nil): return wholePeriod
        case (let f?, nil): return t("depuis le \(f)", "from \(f)")
        case (nil, let e?): return t("jusqu'au \(e)", "up to \(e)")
        case (let f?, let e?): return t("du \(f) au \(e)", "\(f) to \(e)")
        }
    }
    func asOf(_ day: String) -> String { t("données au \(day)", "data as of \(day)") }
    func badDate(_ field: String, _ value: String) -> String {
        t(
            "Filtre « \(field) » ignoré : « \(value) » n'est pas une date AAAA-MM-JJ.",
            "Filter '\(field)' ignored: '\(value)' is not a date as YYYY-MM-DD.")
    }
    func badRegion(_ value: String) -> String {
        t(
            "Filtre de région ignoré : « \(value) » n'est pas une région des formulaires.",
            "Region filter ignored: '\(value)' is not a region of the forms.")
    }
    func onlyProject(_ code: String) -> String {
        t("Ce jeton donne accès au projet « \(code) » seulement.", "This token gives access to project '\(code)' only.")
    }
    func noSuchProject(_ code: String) -> String { t("Il n'y a pas de projet « \(code) ».", "There is no project '\(code)'.") }
    var noProject: String {
        t(
            "Aucun projet n'existe encore : créez-en un avec « palabre-server project create ».",
            "No project exists yet: create one with 'palabre-server project create'.")
    }
    var backToDashboard: String { t("Revenir au tableau de bord", "Back to the dashboard") }

    // MARK: Figures

    var sessions: String { t("Séances", "Sessions") }
    var participants: String { t("Participants", "Participants") }
    /// A count of too few people to show (`< 5`).
    func fewer(than k: Int) -> String { "< \(k)" }
    func smallCellsNote(_ k: Int) -> String {
        t(
            "Pour protéger les personnes, les effectifs de moins de \(k) personnes ne sont pas affichés (« < \(k) »), ni ceux qui permettraient de les retrouver.",
            "To protect people, counts of fewer than \(k) people are not shown ('< \(k)'), nor those that would give them away.")
    }
    func participantsDetail(registered: Int, counted: Int) -> String {
        t("\(number(registered)) inscrits, \(number(counted)) comptés", "\(number(registered)) registered, \(number(counted)) counted")
    }
    var shareWomen: String { t("Part des femmes", "Share of women") }
    var shareYouth: String { t("Part des jeunes", "Share of youth") }
    var youthDetail: String { t("moins de 25 ans", "under 25") }
    func ofParticipants(_ n: Int) -> String { t("\(number(n)) participants", "\(number(n)) participants") }
    var initiatives: String { t("Initiatives", "Initiatives") }
    var beneficiaries: String { t("Bénéficiaires", "Beneficiaries") }
    var estimatedCost: String { t("Coût estimé", "Estimated cost") }
    var total: String { "Total" }
    var notGiven: String { t("Non renseigné", "Not given") }
    var noData: String { t("Aucune donnée pour ces filtres", "No data for these filters") }

    // MARK: Charts

    var sessionsByMonth: String { t("Séances par mois", "Sessions by month") }
    var sessionsByRegion: String { t("Séances par région", "Sessions by region") }
    var participantsBySex: String { t("Participants par sexe", "Participants by sex") }
    var participantsByAge: String { t("Participants inscrits par tranche d'âge", "Registered participants by age band") }
    var ageNote: String {
        t(
            "Les séances sans inscription ne donnent que des effectifs, sans âge.",
            "Sessions without registration give headcounts only, without ages.")
    }
    var initiativesByStatus: String { t("Initiatives par état", "Initiatives by status") }
    var initiativesByType: String { t("Initiatives par type", "Initiatives by type") }

    // MARK: Table

    var withoutFollowup: String { t("Initiatives sans suivi depuis 90 jours", "Initiatives without a follow-up in 90 days") }
    var withoutFollowupNote: String {
        t(
            "Initiatives ni achevées ni abandonnées dont le dernier suivi date de plus de 90 jours, ou qui n'en ont aucun.",
            "Initiatives neither completed nor abandoned whose latest follow-up is more than 90 days old, or that have none.")
    }
    var allFollowed: String {
        t(
            "Aucune : toutes les initiatives en cours ont été suivies ces 90 derniers jours.",
            "None: every open initiative was followed up in the last 90 days.")
    }
    var initiative: String { t("Initiative", "Initiative") }
    var type: String { t("Type", "Type") }
    var status: String { t("État", "Status") }
    var lastFollowup: String { t("Dernier suivi", "Last follow-up") }
    var never: String { t("aucun", "none") }
    var untitled: String { t("(sans titre)", "(untitled)") }

    // MARK: Numbers and dates

    /// A whole number with the language's thousands separator (a narrow no-break space in French, a comma in English).
    func number<I: BinaryInteger>(_ n: I) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += lang == .fr ? "\u{202F}" : "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// An amount rounded to a whole number.
    /// Whatever is stored: an amount past what a whole number holds is written in scientific notation, never trapped.
    func amount(_ x: Double) -> String {
        guard x.isFinite, x.magnitude < 9.0e18 else { return x.isFinite ? String(format: "%.3g", x) : "–" }
        return number(Int64(x.rounded()))
    }

    /// A share (0…1) as a percentage with one decimal, or a dash.
    func percent(_ x: Double?) -> String {
        guard let x else { return "–" }
        let text = String(format: "%.1f", x * 100)
        return lang == .fr ? text.replacingOccurrences(of: ".", with: ",") + "\u{202F}%" : text + "%"
    }

    /// A month's short name (`2026-09` → `sept.` / `Sep`).
    func monthName(_ month: Int) -> String {
        let fr = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
        let en = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard (1...12).contains(month) else { return "?" }
        return lang == .fr ? fr[month - 1] : en[month - 1]
    }

    /// A label with its value, as accessible titles read (`Gao : 9`, `Gao: 9`).
    func labelled(_ label: String, _ value: String) -> String { lang == .fr ? "\(label) : \(value)" : "\(label): \(value)" }
}

/// HTML escaping of any text put in a page, in element content and in quoted attributes alike.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline have no place in a page.
                if c.value < 0x20 && c != "\t" && c != "\n" { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A query string from pairs, percent-encoded, without empty values (`?a=1&b=2`, or "" when none).
    static func query(_ pairs: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let parts = pairs.compactMap { k, v -> String? in
            guard let v, !v.isEmpty else { return nil }
            return "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}
