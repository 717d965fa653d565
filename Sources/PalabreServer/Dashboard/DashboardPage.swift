import Foundation
import PalabreCore

/// The dashboard's pages, rendered on the service as one HTML document each: inline CSS, inline SVG, no script and
/// nothing fetched, so they work on an office network without internet.
enum DashboardPage {
    /// What the dashboard page shows.
    struct Model {
        var text: DashboardText
        var device: Device
        /// The project shown, and its name.
        var project: String
        var projectName: String
        /// The projects an admin may pick from (empty for others, who see their own).
        var projects: [Project]
        var region: String?
        var from: String?
        var to: String?
        var today: String
        var indicators: Indicators
        var forms: FormCatalog
        /// Filters that were ignored, said in words.
        var notices: [String]
    }

    // MARK: - The dashboard

    static func dashboard(_ m: Model) -> String {
        let t = m.text, ind = m.indicators
        let labels = Labels(forms: m.forms, text: t)
        // Counts of too few people (analysts: Indicators.withholdingSmallCells) read "< 5" and draw no bar.
        let k = ind.smallCellThreshold ?? 0
        func people(_ n: Int, _ path: String) -> String { ind.isWithheld(path) ? t.fewer(than: k) : t.number(n) }
        func bar(_ n: Int, _ path: String) -> Double { ind.isWithheld(path) ? 0 : Double(n) }
        let smallNote = ind.withheld.isEmpty ? nil : t.smallCellsNote(k)
        // The note goes with the chart whose counts are withheld.
        let sexNote = ["participants.women", "participants.men", "participants.total"].contains(where: ind.isWithheld) ? smallNote : nil
        let ageWithheld = ind.withheld.contains { $0.hasPrefix("participants.by_age_band.") || $0 == "participants.registered" }
        let ageNote = ageWithheld ? t.ageNote + " " + (smallNote ?? "") : t.ageNote
        let regionName = m.region.map { labels.region($0) } ?? t.allRegions
        let sexBars = [
            SVGChart.Bar(
                key: "female", label: labels.codeLabel(.participants, "women", of: "sex", fallback: "female"),
                value: bar(ind.women, "participants.women"),
                display: people(ind.women, "participants.women"), color: "#a8467a"),
            SVGChart.Bar(
                key: "male", label: labels.codeLabel(.participants, "men", of: "sex", fallback: "male"), value: bar(ind.men, "participants.men"),
                display: people(ind.men, "participants.men"), color: "#3d6fb4"),
        ]
        let charts: [DashboardView.Card] = [
            .init(title: t.sessionsByMonth, svg: monthsChart(ind, t)),
            .init(
                title: t.sessionsByRegion,
                svg: SVGChart.horizontal(
                    id: "chart-sessions-by-region", title: t.sessionsByRegion,
                    bars: bars(ind.sessionsByRegion, order: labels.order(.sessions, "region"), label: labels.region, text: t),
                    color: "#2b6f8e", total: t.labelled(t.total, t.number(ind.sessions)), text: t)),
            .init(
                title: t.participantsBySex,
                svg: SVGChart.horizontal(
                    id: "chart-participants-by-sex", title: t.participantsBySex, bars: ind.participants == 0 ? [] : sexBars,
                    color: "#3d6fb4", total: t.labelled(t.total, people(ind.participants, "participants.total")), text: t), note: sexNote),
            .init(
                title: t.participantsByAge,
                svg: SVGChart.horizontal(
                    id: "chart-participants-by-age", title: t.participantsByAge,
                    bars: bars(
                        ind.byAgeBand, order: labels.order(.participants, "age_band"), sortByValue: false,
                        label: { labels.choice(.participants, "age_band", $0) }, text: t,
                        withheld: { ind.isWithheld("participants.by_age_band." + $0) ? t.fewer(than: k) : nil }),
                    color: "#6a5aa8", total: t.labelled(t.total, people(ind.registered, "participants.registered")), text: t),
                note: ageNote),
            .init(
                title: t.initiativesByStatus,
                svg: SVGChart.horizontal(
                    id: "chart-initiatives-by-status", title: t.initiativesByStatus,
                    bars: bars(
                        ind.initiativesByStatus, order: labels.order(.initiatives, "status"), sortByValue: false,
                        label: { labels.choice(.initiatives, "status", $0) }, text: t),
                    color: "#c07a1c", total: t.labelled(t.total, t.number(ind.initiatives.count)), text: t)),
            .init(
                title: t.initiativesByType,
                svg: SVGChart.horizontal(
                    id: "chart-initiatives-by-type", title: t.initiativesByType,
                    bars: bars(
                        ind.initiativesByType, order: labels.order(.initiatives, "type"),
                        label: { labels.choice(.initiatives, "type", $0) }, text: t),
                    color: "#3f8a5a", total: t.labelled(t.total, t.number(ind.initiatives.count)), text: t)),
        ]
        let view = DashboardView(
            t: t,
            header: header(
                t, device: m.device,
                switchQuery: [
                    ("project", m.device.project == nil ? m.project : nil),
                    ("region", m.region), ("from", m.from), ("to", m.to),
                ]),
            filters: filters(m, labels: labels), notices: m.notices,
            scope: [m.projectName, regionName, t.period(from: m.from, to: m.to), t.asOf(m.today)].joined(separator: " · "),
            kpis: [
                .init(id: "sessions", label: t.sessions, value: t.number(ind.sessions)),
                .init(
                    id: "participants", label: t.participants, value: people(ind.participants, "participants.total"),
                    detail: ind.isWithheld("participants.registered") || ind.isWithheld("participants.headcounts")
                        ? smallNote : t.participantsDetail(registered: ind.registered, counted: ind.counted)),
                .init(
                    id: "share-women", label: t.shareWomen,
                    value: ind.isWithheld("participants.share_women") ? t.fewer(than: k) : t.percent(ind.shareWomen),
                    detail: ind.isWithheld("participants.women") ? smallNote : t.ofParticipants(ind.women)),
                .init(
                    id: "share-youth", label: t.shareYouth,
                    value: ind.isWithheld("participants.share_youth") ? t.fewer(than: k) : t.percent(ind.shareYouth), detail: t.youthDetail),
                .init(id: "initiatives", label: t.initiatives, value: t.number(ind.initiatives.count)),
                .init(id: "beneficiaries", label: t.beneficiaries, value: t.number(ind.beneficiaries)),
                .init(id: "cost", label: t.estimatedCost + " (FCFA)", value: t.amount(ind.estimatedCost)),
            ],
            charts: charts, followup: followup(ind, labels: labels, text: t))
        return DashboardTemplates.render(view, page: "dashboard", lang: t.lang, title: "\(t.dashboard) · \(m.projectName) · \(t.appName)")
    }

    /// Sessions by month, every month from the first to the last shown (empty months too).
    static func monthsChart(_ ind: Indicators, _ t: DashboardText) -> String {
        var months = ind.sessionsByMonth.keys.filter { $0.count == 7 }.sorted()
        if let first = months.first, let last = months.last, var (y, m) = yearMonth(first), let end = yearMonth(last) {
            months = []
            while (y, m) <= end, months.count < 120 {
                months.append(String(format: "%04d-%02d", y, m))
                (y, m) = m == 12 ? (y + 1, 1) : (y, m + 1)
            }
        }
        var bars: [SVGChart.Bar] = [], subs: [String?] = []
        var lastYear: Int?
        for month in months {
            guard let (y, m) = yearMonth(month) else { continue }
            let n = ind.sessionsByMonth[month] ?? 0
            bars.append(
                SVGChart.Bar(
                    key: month, label: t.monthName(m), value: Double(n), display: t.number(n),
                    title: "\(t.monthName(m)) \(y)"))
            subs.append(lastYear == y ? nil : String(y))
            lastYear = y
        }
        let undated = ind.sessionsByMonth.filter { $0.key.count != 7 }.values.reduce(0, +)
        if undated > 0 {
            bars.append(SVGChart.Bar(key: "", label: t.notGiven, value: Double(undated), display: t.number(undated)))
            subs.append(nil)
        }
        return SVGChart.columns(
            id: "chart-sessions-by-month", title: t.sessionsByMonth, bars: bars, sublabels: subs,
            color: "#2b6f8e", total: t.labelled(t.total, t.number(ind.sessions)), text: t)
    }

    static func yearMonth(_ s: String) -> (Int, Int)? {
        let parts = s.split(separator: "-")
        guard parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m) else { return nil }
        return (y, m)
    }

    /// Bars of counts: in the form's choice order, or largest first; an empty code reads "not given".
    static func bars(
        _ counts: [String: Int], order: [String], sortByValue: Bool = true, label: (String) -> String,
        text: DashboardText, withheld: (String) -> String? = { _ in nil }
    ) -> [SVGChart.Bar] {
        let rank = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let keys = counts.keys.sorted { a, b in
            if sortByValue, counts[a]! != counts[b]! { return counts[a]! > counts[b]! }
            let ra = a.isEmpty ? Int.max : rank[a] ?? Int.max - 1, rb = b.isEmpty ? Int.max : rank[b] ?? Int.max - 1
            return ra != rb ? ra < rb : a < b
        }
        return keys.map {
            let hidden = withheld($0)
            return SVGChart.Bar(
                key: $0, label: $0.isEmpty ? text.notGiven : label($0), value: hidden == nil ? Double(counts[$0]!) : 0,
                display: hidden ?? text.number(counts[$0]!))
        }
    }

    /// The filters, as a GET form: the project (a list for admins, fixed for others), the region, the period.
    static func filters(_ m: Model, labels: Labels) -> DashboardView.Filters {
        let t = m.text
        let projects =
            m.device.project == nil
            ? m.projects.map { DashboardView.Option(value: $0.code, label: "\($0.name) (\($0.code))", selected: $0.code == m.project) } : nil
        return DashboardView.Filters(
            projects: projects, projectName: m.projectName,
            regions: labels.order(.sessions, "region").map { .init(value: $0, label: labels.region($0), selected: $0 == m.region) },
            from: m.from ?? "", to: m.to ?? "",
            resetHref: "/dashboard" + HTML.query([("project", m.device.project == nil ? m.project : nil), ("lang", t.lang.rawValue)]),
            choosesProject: projects != nil)
    }

    /// The initiatives still open without a follow-up in 90 days.
    static func followup(_ ind: Indicators, labels: Labels, text t: DashboardText) -> DashboardView.Followup {
        let byID = Dictionary(ind.initiatives.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let rows = ind.withoutRecentFollowup.compactMap { byID[$0] }
            .sorted { ($0.lastFollowup ?? "", $0.title) < ($1.lastFollowup ?? "", $1.title) }
            .map { i in
                [
                    DashboardView.Cell(heading: t.initiative, value: i.title.isEmpty ? t.untitled : i.title, cls: "title"),
                    .init(heading: t.type, value: i.type.isEmpty ? t.notGiven : labels.choice(.initiatives, "type", i.type)),
                    .init(heading: t.status, value: i.status.isEmpty ? t.notGiven : labels.choice(.initiatives, "status", i.status)),
                    .init(heading: t.region, value: i.region.isEmpty ? t.notGiven : labels.region(i.region)),
                    .init(heading: t.lastFollowup, value: i.lastFollowup ?? t.never, cls: "date"),
                ]
            }
        return DashboardView.Followup(
            count: t.number(ind.withoutRecentFollowup.count), rows: rows.map { .init(cells: $0) },
            hasRows: !rows.isEmpty)
    }

    /// The bar across the top: the app, who is signed in, the other language, signing out.
    static func header(_ t: DashboardText, device: Device?, switchQuery: [(String, String?)]) -> DashboardView.Header {
        let other = t.otherLanguage
        let path = device == nil ? "/dashboard/login" : "/dashboard"
        return DashboardView.Header(
            device: device.map { .init(name: $0.name, role: t.role($0.role)) }, otherCode: other.code,
            otherName: other.name, switchHref: path + HTML.query(switchQuery + [("lang", other.code)]))
    }

    // MARK: - Sign-in and messages

    /// The sign-in page, with a message (an error, or a notice such as "signed out").
    static func login(_ t: DashboardText, error: String? = nil, notice: String? = nil) -> String {
        DashboardTemplates.render(
            LoginView(t: t, header: header(t, device: nil, switchQuery: []), error: error, notice: notice),
            page: "login", lang: t.lang, title: "\(t.signInTitle) · \(t.appName)")
    }

    /// A page that only says something (a refused project), with a way back.
    static func message(_ t: DashboardText, device: Device?, _ message: String) -> String {
        DashboardTemplates.render(
            MessageView(
                t: t, header: header(t, device: device, switchQuery: []), message: message,
                backHref: "/dashboard" + HTML.query([("lang", t.lang.rawValue)])),
            page: "message", lang: t.lang, title: t.appName)
    }

    /// The style sheet: system fonts only, a grid that goes from three columns on a laptop to one on a phone.
    static let css = """
        :root{--ink:#1c2733;--muted:#566472;--line:#dbe2e8;--bg:#f3f5f7;--card:#fff;--accent:#1f5f7a;--top:#16324a}
        *{box-sizing:border-box}
        html{-webkit-text-size-adjust:100%}
        body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans","Liberation Sans",Arial,sans-serif}
        a{color:var(--accent)}
        header.top{background:var(--top);color:#fff;display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.4rem 1rem;padding:.55rem 1.25rem}
        .brand{font-weight:700;font-size:1.1rem;letter-spacing:.01em}.brand span{font-weight:400;opacity:.85}
        .who{display:flex;flex-wrap:wrap;align-items:center;gap:.35rem 1rem;font-size:.88rem}
        .who a,.who .link{color:#fff}.who form{margin:0}
        .device{opacity:.9}
        button{font:inherit;font-weight:600;background:var(--accent);color:#fff;border:0;border-radius:5px;padding:.45rem 1rem;cursor:pointer;min-height:2.2rem}
        button.link{background:none;border:1px solid rgba(255,255,255,.55);font-weight:400;padding:.2rem .6rem;min-height:0}
        main{max-width:1320px;margin:0 auto;padding:1rem 1.25rem 2rem}
        main.narrow{max-width:30rem;padding-top:2.5rem}
        form.filters{display:flex;flex-wrap:wrap;align-items:flex-end;gap:.6rem .9rem;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem}
        form.filters label,.fixed{display:flex;flex-direction:column;gap:.15rem;font-size:.78rem;color:var(--muted)}
        .fixed strong{color:var(--ink);font-size:.95rem;padding:.35rem 0;min-height:2.2rem}
        select,input{font:inherit;font-size:.93rem;color:var(--ink);background:#fff;border:1px solid #b7c2cc;border-radius:5px;padding:.3rem .45rem;min-height:2.2rem;max-width:100%}
        .actions{display:flex;align-items:center;gap:.8rem}
        .reset{font-size:.88rem}
        .scope{color:var(--muted);font-size:.88rem;margin:.7rem 0}
        .notice,.error{border-radius:6px;padding:.55rem .8rem;margin:.7rem 0;font-size:.92rem}
        .notice{background:#fff7e0;border:1px solid #ecd38a}
        .error{background:#fdecec;border:1px solid #e4a5a5;color:#7a1f1f}
        .kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(158px,1fr));gap:.6rem;margin:0 0 .8rem}
        .kpi{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .85rem;border-top:3px solid var(--accent)}
        .kpi .k{font-size:.8rem;color:var(--muted)}
        .kpi .n{font-size:clamp(1.2rem,2vw,1.45rem);font-weight:700;line-height:1.2;white-space:nowrap;font-variant-numeric:tabular-nums}
        .kpi .s{font-size:.74rem;color:var(--muted)}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(330px,100%),1fr));gap:.6rem;align-items:start}
        figure.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem .6rem;min-width:0}
        figcaption,h2{font-size:.98rem;font-weight:700;margin:0 0 .35rem}
        .chart-svg{display:block;width:100%;overflow:visible}
        svg text{fill:var(--ink);font-family:inherit}
        svg .lbl{font-size:12.5px}
        svg .sub{font-size:11.5px;fill:var(--muted)}
        svg .val{font-size:12.5px;font-weight:700;font-variant-numeric:tabular-nums}
        svg .total,svg .empty{font-size:12px;fill:var(--muted)}
        svg .axis{stroke:#9aa7b3;stroke-width:1}
        .note{font-size:.78rem;color:var(--muted);margin:.35rem 0 0}
        .table-card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.75rem .9rem;margin-top:.8rem}
        .table-card h2 .count{display:inline-block;background:#c07a1c;color:#fff;border-radius:999px;font-size:.78rem;padding:0 .5rem;vertical-align:2px}
        .table-card .note{margin:0 0 .5rem}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:.88rem}
        th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
        th{font-size:.78rem;color:var(--muted);font-weight:600;white-space:nowrap}
        td.date{white-space:nowrap;font-variant-numeric:tabular-nums}
        tbody tr:nth-child(even){background:#f8fafb}
        .login{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.3rem 1.4rem}
        .login h1{font-size:1.3rem;margin:0 0 .7rem}
        .login label{display:block;font-weight:600;margin:.8rem 0 .3rem}
        .login input{width:100%;font-family:ui-monospace,"DejaVu Sans Mono",monospace}
        .login button{margin-top:.9rem;width:100%}
        @media (max-width:640px){
        header.top{padding:.5rem .75rem}
        main{padding:.75rem .75rem 1.5rem}
        main.narrow{padding-top:1rem}
        form.filters label{flex:1 1 40%}
        form.filters label.wide,.fixed{flex:1 1 100%}
        table,tbody,tr,td{display:block;width:100%}
        thead{display:none}
        tbody tr{border-bottom:1px solid var(--line);padding:.35rem 0}
        td{border:0;padding:.12rem .2rem;display:flex;gap:.6rem}
        td::before{content:attr(data-label);flex:0 0 6.5rem;color:var(--muted);font-size:.78rem;padding-top:.1rem}
        td.title{font-weight:600}
        td.title::before{display:none}
        form.filters select,form.filters input{width:100%}
        .kpis{grid-template-columns:repeat(2,minmax(0,1fr))}
        .kpi .n{font-size:1.25rem}
        }
        """
}

/// Choice labels from the forms, in the page's language, found through the fields the forms declare for each
/// indicator (``IndicatorMap``).
struct Labels {
    let forms: FormCatalog
    let text: DashboardText
    let map: IndicatorMap

    init(forms: FormCatalog, text: DashboardText) {
        self.forms = forms
        self.text = text
        self.map = IndicatorMap.declared(by: forms)
    }

    /// The field feeding an indicator key.
    func field(_ part: IndicatorMap.Part, _ key: String) -> Field? {
        guard let form = map.form(part), let name = map.field(part, key) else { return nil }
        return forms[form]?.field(name)
    }

    /// The label of a choice of the field feeding an indicator key, else the code itself.
    func choice(_ part: IndicatorMap.Part, _ key: String, _ code: String) -> String {
        field(part, key)?.choice(code)?.label.text(text.lang) ?? code
    }

    /// The label of the first code a code-set key counts (`women`: "Femme"), else the fallback.
    func codeLabel(_ part: IndicatorMap.Part, _ key: String, of field: String, fallback: String) -> String {
        guard let code = map.forms[part]?.declaration.codes[key]?.first else { return fallback }
        return choice(part, field, code)
    }

    /// A region's label (sessions and initiatives share the list; the sessions' first).
    func region(_ code: String) -> String {
        field(.sessions, "region")?.choice(code)?.label.text(text.lang) ?? field(.initiatives, "region")?.choice(code)?.label.text(text.lang)
            ?? code
    }

    /// The codes of the choices of the field feeding an indicator key, in the form's order.
    func order(_ part: IndicatorMap.Part, _ key: String) -> [String] { field(part, key)?.choices.map(\.name) ?? [] }
}
