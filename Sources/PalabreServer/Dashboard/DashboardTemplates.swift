import Foundation
import Mustache
import PalabreCore

/// The dashboard's HTML, as Mustache templates (hummingbird-project/swift-mustache) filled from plain view values:
/// the markup reads as HTML, every `{{value}}` is escaped (by ``HTML/escape(_:)``, which also drops control
/// characters), and only the charts, drawn by ``SVGChart`` from computed coordinates, go in unescaped (`{{{svg}}}`).
///
/// The templates are compiled into the binary (a single copied `palabre-server` has its dashboard); the page's
/// words come from ``DashboardText`` through `{{t.name}}`.
enum DashboardTemplates {
    /// Renders `page` with `view`, inside the document.
    static func render(_ view: Any, page: String, lang: Language, title: String) -> String {
        let body = library.render(view, withTemplate: page) ?? ""
        return library.render(
            ["lang": lang.rawValue, "title": title, "css": DashboardPage.css, "body": body],
            withTemplate: "document") ?? ""
    }

    static let library: MustacheLibrary = {
        MustacheContentTypes.register(PageContent(), named: "PAGE")
        var library = MustacheLibrary()
        for (name, source) in templates {
            do {
                try library.register("{{% CONTENT_TYPE: PAGE}}" + source, named: name)
            } catch {
                preconditionFailure("dashboard template \(name): \(error)")  // a template is code: a test renders each
            }
        }
        return library
    }()

    /// Escapes as every page of the dashboard does.
    struct PageContent: MustacheContentType {
        func escapeText(_ text: String) -> String { HTML.escape(text) }
    }

    static let templates: [String: String] = [
        "document": """
        <!DOCTYPE html>
        <html lang="{{lang}}"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>{{title}}</title>
        <style>{{{css}}}</style>
        </head><body>{{{body}}}</body></html>

        """,
        "header": """
        <header class="top"><div class="brand">{{t.appName}} <span>· {{t.dashboard}}</span></div><nav class="who">\
        {{#header}}{{#device}}<span class="device">{{name}} · {{role}}</span>{{/device}}\
        <a class="lang" hreflang="{{otherCode}}" lang="{{otherCode}}" href="{{switchHref}}">{{otherName}}</a>\
        {{#device}}<form method="post" action="/dashboard/logout"><input type="hidden" name="lang" value="{{t.code}}">\
        <button type="submit" class="link">{{t.signOut}}</button></form>{{/device}}{{/header}}</nav></header>
        """,
        "login": """
        {{> header}}<main class="narrow"><section class="login"><h1>{{t.signInTitle}}</h1>\
        {{#error}}<p class="error" role="alert">{{.}}</p>{{/error}}{{#notice}}<p class="notice" role="status">{{.}}</p>{{/notice}}\
        <p>{{t.signInIntro}}</p><form method="post" action="/dashboard/login"><input type="hidden" name="lang" value="{{t.code}}">\
        <label for="token">{{t.tokenLabel}}</label>\
        <input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false" required \
        placeholder="plb_…" autofocus><button type="submit">{{t.signIn}}</button></form></section></main>
        """,
        "message": """
        {{> header}}<main class="narrow"><section class="login"><p class="error" role="alert">{{message}}</p>\
        <p><a href="{{backHref}}">{{t.backToDashboard}}</a></p></section></main>
        """,
        "dashboard": """
        {{> header}}<main>{{#filters}}\
        <form class="filters" method="get" action="/dashboard" aria-label="{{t.filters}}"><input type="hidden" name="lang" value="{{t.code}}">\
        {{#choosesProject}}<label class="wide">{{t.project}}<select name="project">\
        {{#projects}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/projects}}</select></label>{{/choosesProject}}\
        {{^choosesProject}}<div class="fixed"><span>{{t.project}}</span><strong>{{projectName}}</strong></div>{{/choosesProject}}\
        <label class="wide">{{t.region}}<select name="region"><option value="">{{t.allRegions}}</option>\
        {{#regions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/regions}}</select></label>\
        <label>{{t.from}}<input type="date" name="from" value="{{from}}"></label>\
        <label>{{t.to}}<input type="date" name="to" value="{{to}}"></label>\
        <div class="actions"><button type="submit">{{t.apply}}</button><a class="reset" href="{{resetHref}}">{{t.reset}}</a></div></form>\
        {{/filters}}\
        {{#notices}}<p class="notice" role="status">{{.}}</p>{{/notices}}\
        <p class="scope">{{scope}}</p>\
        <section class="kpis" aria-label="{{t.dashboard}}">{{#kpis}}<div class="kpi" id="kpi-{{id}}"><div class="k">{{label}}</div>\
        <div class="n">{{value}}</div>{{#detail}}<div class="s">{{.}}</div>{{/detail}}</div>{{/kpis}}</section>\
        <section class="charts">{{#charts}}<figure class="chart"><figcaption>{{title}}</figcaption>{{{svg}}}\
        {{#note}}<p class="note">{{.}}</p>{{/note}}</figure>{{/charts}}</section>\
        {{#followup}}<section class="table-card" id="without-followup"><h2>{{t.withoutFollowup}} <span class="count">{{count}}</span></h2>\
        <p class="note">{{t.withoutFollowupNote}}</p>{{^rows}}<p class="empty">{{t.allFollowed}}</p>{{/rows}}\
        {{#hasRows}}<div class="scroll"><table><thead><tr><th scope="col">{{t.initiative}}</th><th scope="col">{{t.type}}</th>\
        <th scope="col">{{t.status}}</th><th scope="col">{{t.region}}</th><th scope="col">{{t.lastFollowup}}</th></tr></thead><tbody>\
        {{#rows}}<tr>{{#cells}}<td{{#cls}} class="{{.}}"{{/cls}} data-label="{{heading}}">{{value}}</td>{{/cells}}</tr>{{/rows}}\
        </tbody></table></div>{{/hasRows}}</section>{{/followup}}</main>
        """,
    ]
}

/// What the dashboard page shows, as its template reads it.
struct DashboardView {
    struct Header {
        struct SignedIn {
            var name: String
            var role: String
        }
        var device: SignedIn?
        var otherCode: String
        var otherName: String
        var switchHref: String
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Filters {
        /// The projects an admin of every project picks from; nil for anyone else, who sees their own.
        var projects: [Option]?
        var projectName: String
        var regions: [Option]
        var from: String
        var to: String
        var resetHref: String
        /// Whether ``projects`` is given (Mustache reads stored values only).
        var choosesProject: Bool
    }

    struct KPI {
        var id: String
        var label: String
        var value: String
        var detail: String? = nil
    }

    struct Card {
        var title: String
        /// Drawn by ``SVGChart``, already escaped.
        var svg: String
        var note: String? = nil
    }

    struct Cell {
        var heading: String
        var value: String
        var cls: String? = nil
    }

    struct Row {
        var cells: [Cell]
    }

    struct Followup {
        var count: String
        var rows: [Row]
        /// Whether there are rows (Mustache reads stored values only).
        var hasRows: Bool
    }

    var t: DashboardText
    var header: Header
    var filters: Filters
    var notices: [String]
    var scope: String
    var kpis: [KPI]
    var charts: [Card]
    var followup: Followup
}

/// The sign-in page.
struct LoginView {
    var t: DashboardText
    var header: DashboardView.Header
    var error: String?
    var notice: String?
}

/// A page that only says something, with a way back.
struct MessageView {
    var t: DashboardText
    var header: DashboardView.Header
    var message: String
    var backHref: String
}

extension DashboardText: MustacheParent {
    /// The words a template reads as `{{t.name}}`; `{{t.code}}` is the language's code.
    func child(named name: String) -> Any? {
        if name == "code" { return lang.rawValue }
        return Self.words[name].map { self[keyPath: $0] }
    }

    private static let words: [String: KeyPath<DashboardText, String> & Sendable] = [
        "appName": \.appName, "dashboard": \.dashboard, "signOut": \.signOut, "filters": \.filters, "project": \.project,
        "region": \.region, "allRegions": \.allRegions, "from": \.from, "to": \.to, "apply": \.apply, "reset": \.reset,
        "signInTitle": \.signInTitle, "signInIntro": \.signInIntro, "tokenLabel": \.tokenLabel, "signIn": \.signIn,
        "backToDashboard": \.backToDashboard, "withoutFollowup": \.withoutFollowup, "withoutFollowupNote": \.withoutFollowupNote,
        "allFollowed": \.allFollowed, "initiative": \.initiative, "type": \.type, "status": \.status, "lastFollowup": \.lastFollowup,
    ]
}
