import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PalabreCore
import PalabreServer
import PalabreStore
import PalabreServerInspection
import Testing

/// The analysts' dashboard through the real router: signing in with a token, the session cookie, the page's figures.
@Suite struct DashboardTests {
    // MARK: - Signing in

    @Test(arguments: BackendKind.all) func theSignInPageIsServedInFrenchByDefaultAndInEnglishOnRequest(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let fr = try await client.send(.get, "/dashboard/login")
            #expect(fr.status == .ok)
            #expect(fr.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(fr.text.contains(#"<html lang="fr""#))
            #expect(fr.text.contains("Connexion au tableau de bord"))
            #expect(fr.text.contains(#"name="token""#) && fr.text.contains(#"action="/dashboard/login""#))
            #expect(!fr.text.contains("<script"), "the page needs no script")
            #expect(!fr.text.contains("src=") && !fr.text.contains("<link"), "the page fetches nothing")
            let en = try await client.send(.get, "/dashboard/login?lang=en")
            #expect(en.text.contains(#"<html lang="en""#) && en.text.contains("Sign in to the dashboard"))
            let header = try await client.send(.get, "/dashboard/login", headers: [.acceptLanguage: "en-GB,en;q=0.9,fr;q=0.5"])
            #expect(header.text.contains(#"<html lang="en""#))
            let preferred = try await client.send(.get, "/dashboard/login", headers: [.acceptLanguage: "de-DE, fr;q=0.8, en;q=0.7"])
            #expect(preferred.text.contains(#"<html lang="fr""#))
        }
    }

    @Test(arguments: BackendKind.all) func aWrongTokenIsRefusedWithoutACookie(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            for token in ["plb_" + String(repeating: "0", count: 64), "not-a-token"] {
                let r = try await client.signIn(token)
                #expect(r.status == .unauthorized)
                #expect(r.headers[.setCookie] == nil)
                #expect(r.text.contains("inconnu ou a été révoqué"), "\(r.text)")
            }
            let empty = try await client.signIn("")
            #expect(empty.status == .badRequest)
            #expect(empty.headers[.setCookie] == nil)
        }
    }

    @Test(arguments: BackendKind.all) func aFacilitatorIsRefusedWithAClearMessage(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let r = try await client.signIn(fx.tokens["fac1"]!)
            #expect(r.status == .forbidden)
            #expect(r.headers[.setCookie] == nil)
            #expect(r.text.contains("facilitateur") && r.text.contains("coordinateurs, analystes et administrateurs"))
            let en = try await client.signIn(fx.tokens["fac1"]!, lang: "en")
            #expect(en.text.contains("This is a facilitator&#39;s token: the dashboard is for coordinators, analysts and admins."))
            #expect(try await fx.sessionRows() == 0)
        }
    }

    @Test(arguments: BackendKind.all) func aCoordinatorGetsAnHttpOnlySameSiteCookieWhoseHashAloneIsStored(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let r = try await client.signIn(fx.tokens["coord"]!)
            #expect(r.status == .seeOther)
            #expect(r.headers[.location] == "/dashboard")
            let cookie = try #require(r.headers[.setCookie])
            let attributes = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(attributes.contains("HttpOnly"))
            #expect(attributes.contains("SameSite=Strict"))
            #expect(attributes.contains("Path=/dashboard"))
            #expect(attributes.contains("Max-Age=28800"))
            let id = try #require(Self.sessionID(r))
            #expect(id.count == 64 && id.allSatisfy(\.isHexDigit))
            let stored = try await fx.sessions()
            #expect(stored.count == 1)
            #expect(stored.first?["id_hash"] as String? == Self.sha256(id))
            #expect(stored.first?["device_id"] as String? == fx.devices["coord"]!.id)
            let created = ISO8601DateFormatter().date(from: stored.first?["created"] ?? "")!
            let expires = ISO8601DateFormatter().date(from: stored.first?["expires"] ?? "")!
            #expect(abs(expires.timeIntervalSince(created) - 28_800) < 2)
            // Analysts and admins may sign in too; English carries over to the page.
            #expect(try await client.signIn(fx.tokens["analyst"]!).status == .seeOther)
            let admin = try await client.signIn(fx.tokens["admin"]!, lang: "en")
            #expect(admin.headers[.location] == "/dashboard?lang=en")
        }
    }

    @Test(arguments: BackendKind.all) func theDashboardWithoutAValidCookieRedirectsToTheSignInPage(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let r = try await client.send(.get, "/dashboard")
            #expect(r.status == .seeOther)
            #expect(r.headers[.location] == "/dashboard/login")
            for bad in ["palabre_session=nothex", "palabre_session=" + String(repeating: "a", count: 64), "other=1"] {
                let b = try await client.send(.get, "/dashboard", headers: [.cookie: bad])
                #expect(b.status == .seeOther, "\(bad)")
                #expect(b.headers[.location]?.hasPrefix("/dashboard/login") == true)
            }
            let en = try await client.send(.get, "/dashboard?lang=en")
            #expect(en.headers[.location] == "/dashboard/login?lang=en")
        }
    }

    @Test(arguments: BackendKind.all) func signingOutEndsTheSession(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let cookie = try await client.session(fx.tokens["coord"]!)
            #expect(try await client.send(.get, "/dashboard", headers: [.cookie: cookie]).status == .ok)
            let out = try await client.send(.post, "/dashboard/logout", headers: [.cookie: cookie])
            #expect(out.status == .seeOther)
            #expect(out.headers[.location]?.hasPrefix("/dashboard/login") == true)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await client.send(.get, "/dashboard", headers: [.cookie: cookie]).status == .seeOther)
            #expect(try await fx.sessionRows() == 0)
        }
    }

    /// Login CSRF: a page on another site posting the attacker's token (or a sign-out) is refused; the service's own
    /// page, whose browser sends `Origin` naming the service, is not; a client that sends no `Origin` (curl) is let in.
    @Test(arguments: BackendKind.all) func formPostsFromAnotherSiteAreRefused(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let host = HTTPField.Name("Host")!
            for (origin, fetchSite) in [
                ("https://evil.example", nil), ("null", nil), ("http://palabre.example:8081", nil),
                ("http://palabre.example.evil.example", nil), (nil, "cross-site"), (nil, "same-site"),
            ] as [(String?, String?)] {
                var headers: HTTPFields = [host: "palabre.example:8080"]
                if let origin { headers[.origin] = origin }
                if let fetchSite { headers[HTTPField.Name("Sec-Fetch-Site")!] = fetchSite }
                let r = try await client.signIn(fx.tokens["coord"]!, headers: headers)
                #expect(r.status == .forbidden, "\(origin ?? "-") \(fetchSite ?? "-"): \(r.status)")
                #expect(r.headers[.setCookie] == nil)
                #expect(r.text.contains("vient d&#39;un autre site"), "\(r.text)")
            }
            #expect(try await fx.sessionRows() == 0)
            let same = try await client.signIn(fx.tokens["coord"]!, headers: [host: "palabre.example:8080", .origin: "http://palabre.example:8080"])
            #expect(same.status == .seeOther, "\(same.text)")
            let proxied = try await client.signIn(
                fx.tokens["coord"]!,
                headers: [
                    host: "127.0.0.1:8080", HTTPField.Name("X-Forwarded-Host")!: "palabre.example", .origin: "https://palabre.example:443",
                ])
            #expect(proxied.status == .seeOther, "behind a proxy: \(proxied.text)")
            let script = try await client.signIn(fx.tokens["coord"]!)
            #expect(script.status == .seeOther)
            #expect(try await fx.sessionRows() == 3)
            // A sign-out from elsewhere does not end the session.
            let cookie = try await client.session(fx.tokens["coord"]!)
            let out = try await client.send(
                .post, "/dashboard/logout", headers: [.cookie: cookie, host: "palabre.example", .origin: "https://evil.example"])
            #expect(out.status == .forbidden)
            #expect(try await client.send(.get, "/dashboard", headers: [.cookie: cookie]).status == .ok)
        }
    }

    // MARK: - The page

    /// An analyst's page shows no count of fewer than 5 people: the four registered participants (one per age band)
    /// read "< 5", and so do the headcounts that would give them away (19 − 15); a coordinator sees them all.
    @Test(arguments: BackendKind.all) func analystsSeeNoCountOfFewerThanFivePeople(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        _ = try await Self.pushSamples(fx)
        try await fx.app().test(.router) { client in
            let analyst = try await client.send(.get, "/dashboard", headers: [.cookie: try await client.session(fx.tokens["analyst"]!)]).text
            #expect(Page.bars(analyst, "chart-participants-by-age").map(\.value) == ["&lt; 5", "&lt; 5", "&lt; 5", "&lt; 5"], "\(analyst)")
            #expect(Page.svg(analyst, "chart-participants-by-age")?.contains(">Total : &lt; 5</text>") == true)
            #expect(Page.kpi(analyst, "participants") == "19" && Page.kpi(analyst, "share-women") == "63,2\u{202F}%")
            #expect(Page.bars(analyst, "chart-participants-by-sex") == [.init("Femme", "12"), .init("Homme", "7")])
            #expect(analyst.contains("les effectifs de moins de 5 personnes ne sont pas affichés"))
            #expect(!analyst.contains("4 inscrits") && !analyst.contains("15 comptés"))
            let coordinator = try await client.send(.get, "/dashboard", headers: [.cookie: try await client.session(fx.tokens["coord"]!)]).text
            #expect(Page.bars(coordinator, "chart-participants-by-age").map(\.value) == ["1", "1", "1", "1"])
            #expect(coordinator.contains("4 inscrits, 15 comptés") && !coordinator.contains("moins de 5 personnes"))
        }
    }

    @Test(arguments: BackendKind.all) func thePageShowsTheFiguresOfThePushedRecords(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let data = try await Self.pushSamples(fx)
        // What the indicators say about the service's records, and a count by hand of what was pushed.
        let live = try await fx.backend.records(project: "p1", form: nil).map { (form: $0.form, id: $0.id, values: $0.values) }
        let expected = Indicators(records: live, map: IndicatorMap.declared(by: FormLoader.builtIn()), today: Self.today)
        #expect(expected.sessions == 3 && expected.participants == 19 && expected.women == 12 && expected.men == 7)
        #expect(expected.youth == 6 && expected.initiatives.count == 2 && expected.beneficiaries == 1500)
        #expect(expected.sessionsByRegion == ["gao": 2, "tombouctou": 1])

        try await fx.app().test(.router) { client in
            let cookie = try await client.session(fx.tokens["coord"]!)
            let r = try await client.send(.get, "/dashboard", headers: [.cookie: cookie])
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/html; charset=utf-8")
            #expect(r.headers[.cacheControl] == "no-store")
            #expect(r.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
            let page = r.text
            #expect(!page.contains("<script"), "no script")
            #expect(!page.contains(" src="), "nothing fetched")
            #expect(!page.contains("<link"), "no external style sheet or font")

            // Headline figures.
            #expect(Page.kpi(page, "sessions") == "3")
            #expect(Page.kpi(page, "participants") == "19")
            #expect(Page.kpi(page, "share-women") == "63,2\u{202F}%")  // 12 of 19
            #expect(Page.kpi(page, "share-youth") == "31,6\u{202F}%")  // 6 of 19
            #expect(Page.kpi(page, "initiatives") == "2")
            #expect(Page.kpi(page, "beneficiaries") == "1\u{202F}500")
            #expect(Page.kpi(page, "cost") == "14\u{202F}500\u{202F}000")
            #expect(page.contains("Coût estimé (FCFA)"))

            // Charts: the figures are SVG text on the bars, labelled from the forms in French.
            #expect(Page.bars(page, "chart-sessions-by-region") == [.init("Gao", "2"), .init("Tombouctou", "1")])
            #expect(Page.bars(page, "chart-sessions-by-month") == [.init("sept.", "1"), .init("oct.", "2")])
            #expect(Page.bars(page, "chart-participants-by-sex") == [.init("Femme", "12"), .init("Homme", "7")])
            #expect(
                Page.bars(page, "chart-participants-by-age") == [
                    .init("Moins de 18 ans", "1"), .init("18 à 24 ans", "1"),
                    .init("36 à 59 ans", "1"), .init("60 ans et plus", "1"),
                ])
            #expect(Page.bars(page, "chart-initiatives-by-status") == [.init("Proposée", "1"), .init("En cours de réalisation", "1")])
            #expect(Set(Page.bars(page, "chart-initiatives-by-type")) == [.init("Puits", "1"), .init("École", "1")])
            #expect(Page.svg(page, "chart-sessions-by-region")?.contains("<title>Gao : 2</title>") == true, "accessible titles")
            #expect(Page.svg(page, "chart-participants-by-sex")?.contains(">Total : 19</text>") == true)
            // Every chart agrees with the indicators.
            #expect(Page.bars(page, "chart-sessions-by-region").map(\.value) == expected.sessionsByRegion.values.sorted(by: >).map(String.init))

            // The table of initiatives without a follow-up in 90 days: the one never followed up, not the other.
            let table = try #require(Page.section(page, "without-followup"))
            #expect(table.contains("Forage &amp; puits"))
            #expect(!table.contains("École de Tombouctou"))
            #expect(expected.withoutRecentFollowup == [data.unfollowed])

            // Filters: a region, a period; and English labels.
            let gao = try await client.send(.get, "/dashboard?region=gao", headers: [.cookie: cookie]).text
            #expect(Page.kpi(gao, "sessions") == "2")
            #expect(Page.kpi(gao, "participants") == "18")
            #expect(gao.contains(#"<option value="gao" selected>Gao</option>"#))
            let october = try await client.send(.get, "/dashboard?from=2026-10-01&to=2026-10-31", headers: [.cookie: cookie]).text
            #expect(Page.kpi(october, "sessions") == "2")
            #expect(Page.bars(october, "chart-sessions-by-month") == [.init("oct.", "2")])
            let en = try await client.send(.get, "/dashboard?lang=en&region=tombouctou", headers: [.cookie: cookie]).text
            #expect(en.contains(#"<html lang="en""#))
            #expect(Page.bars(en, "chart-sessions-by-region") == [.init("Timbuktu", "1")])
            #expect(Page.bars(en, "chart-participants-by-sex") == [.init("Female", "0"), .init("Male", "1")])
            #expect(Page.kpi(en, "share-women") == "0.0%")
            // A bad date is ignored, and said so.
            let bad = try await client.send(.get, "/dashboard?from=2026-13-01", headers: [.cookie: cookie]).text
            #expect(Page.kpi(bad, "sessions") == "3")
            #expect(bad.contains("n&#39;est pas une date AAAA-MM-JJ"))
        }
    }

    @Test(arguments: BackendKind.all) func aRevokedDevicesSessionStopsWorkingAtOnce(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let cookie = try await client.session(fx.tokens["analyst"]!)
            #expect(try await client.send(.get, "/dashboard", headers: [.cookie: cookie]).status == .ok)
            _ = try await fx.backend.revoke("analyst")
            let r = try await client.send(.get, "/dashboard", headers: [.cookie: cookie])
            #expect(r.status == .seeOther)
            #expect(r.headers[.location] == "/dashboard/login?expired=1")
            #expect(r.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await client.signIn(fx.tokens["analyst"]!).status == .unauthorized)
        }
    }

    @Test(arguments: BackendKind.all) func anExpiredSessionRedirectsToTheSignInPage(_ kind: BackendKind) async throws {
        let clock = TestClock()
        let fx = try await ServerFixture(kind, now: { clock.now() })
        try await fx.app().test(.router) { client in
            let cookie = try await client.session(fx.tokens["coord"]!)
            clock.shift(by: 8 * 3600 - 60)
            #expect(try await client.send(.get, "/dashboard", headers: [.cookie: cookie]).status == .ok)
            clock.shift(by: 120)
            let r = try await client.send(.get, "/dashboard", headers: [.cookie: cookie])
            #expect(r.status == .seeOther)
            #expect(r.headers[.location] == "/dashboard/login?expired=1")
            let login = try await client.send(.get, "/dashboard/login?expired=1")
            #expect(login.text.contains("Votre session a expiré"))
            // Signing in again removes the expired session's row.
            _ = try await client.session(fx.tokens["coord"]!)
            #expect(try await fx.sessionRows() == 1)
        }
    }

    @Test(arguments: BackendKind.all) func anAnalystCannotPickAnotherProjectButAnAdminCan(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let analyst = try await client.session(fx.tokens["analyst"]!)
            let own = try await client.send(.get, "/dashboard", headers: [.cookie: analyst])
            #expect(own.status == .ok)
            #expect(!own.text.contains(#"<select name="project">"#), "no project list for an analyst")
            #expect(own.text.contains("Project one"))
            #expect(try await client.send(.get, "/dashboard?project=p1", headers: [.cookie: analyst]).status == .ok)
            let other = try await client.send(.get, "/dashboard?project=p2", headers: [.cookie: analyst])
            #expect(other.status == .forbidden)
            #expect(other.text.contains("Ce jeton donne accès au projet « p1 » seulement."))
            #expect(!other.text.contains("Project two"))

            let admin = try await client.session(fx.tokens["admin"]!)
            let list = try await client.send(.get, "/dashboard", headers: [.cookie: admin]).text
            #expect(list.contains(#"<select name="project">"#))
            #expect(list.contains(#"<option value="p1" selected>"#) && list.contains(#"<option value="p2">"#))
            let p2 = try await client.send(.get, "/dashboard?project=p2", headers: [.cookie: admin])
            #expect(p2.status == .ok)
            #expect(p2.text.contains(#"<option value="p2" selected>"#))
            #expect(try await client.send(.get, "/dashboard?project=nope", headers: [.cookie: admin]).status == .notFound)
        }
    }

    @Test(arguments: BackendKind.all) func userTextIsEscaped(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let node = "e5c0e5c0e5c0e5c0"
        let title = #"<script>alert("x")</script><img src=x onerror=alert(1)>"#
        let initiative = Change(
            recordID: RecordID.make(), form: "initiative", formVersion: 1, project: "p1",
            stamp: Stamp(hlc: stampNow(), node: node),
            values: ["title": .string(title), "type": .string("well"), "region": .string("gao"), "status": .string("proposed")],
            prev: [:])
        try await fx.app().test(.router) { client in
            let pushed = try await client.push(Wire.PushRequest(batch: "x1", node: node, changes: [initiative]), token: fx.tokens["fac1"])
            #expect(try Wire.PushResponse(text: pushed.text).applied == 1)
            let cookie = try await client.session(fx.tokens["coord"]!)
            let page = try await client.send(
                .get, "/dashboard?region=%3Cscript%3Ealert(2)%3C/script%3E&to=%22%3E%3Cb%3E&from=%1B%5B2J1",
                headers: [.cookie: cookie]
            ).text
            #expect(!page.contains("<script"), "\(page)")
            #expect(!page.contains("<img"))
            #expect(!page.contains("<b>"))
            #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"))
            #expect(page.contains("&lt;script&gt;alert(2)&lt;/script&gt;"), "the refused region is shown escaped")
            #expect(!page.contains("\u{1B}") && page.contains("[2J1"), "a terminal escape in a refused date is dropped, the rest shown")
        }
    }

    // MARK: - Helpers

    static let today = ISO8601DateFormatter.dashboardDay.string(from: Date())

    /// Three sessions (two in Gao, one in Tombouctou), four registered participants, one session's headcounts, two
    /// initiatives (one followed up ten days ago), pushed by a facilitator of p1.
    static func pushSamples(_ fx: ServerFixture) async throws -> (unfollowed: String, followed: String) {
        let node = "d0d0d0d0d0d0d0d0"
        var counter: Int64 = 0
        func change(_ form: String, _ values: [String: Value?], id: String = RecordID.make()) -> Change {
            counter += 1
            return Change(
                recordID: id, form: form, formVersion: 1, project: "p1", stamp: Stamp(hlc: stampNow(counter: counter), node: node),
                values: values, prev: [:])
        }
        func session(_ title: String, _ date: String, _ region: String, _ extra: [String: Value?] = [:]) -> Change {
            change(
                "session",
                [
                    "title": .string(title), "date": .string(date), "region": .string(region), "locality": .string("Bara"),
                    "format": .string("intergenerational"),
                ].merging(extra) { _, new in new })
        }
        let s1 = session("Vestibule de Bara", "2026-09-08", "gao")
        let s2 = session(
            "Dialogue d'Ansongo", "2026-10-02", "gao",
            ["women_count": .integer(10), "men_count": .integer(5), "youth_count": .integer(4)])
        let s3 = session("Dialogue de Tombouctou", "2026-10-20", "tombouctou")
        func participant(_ session: Change, _ sex: String, _ band: String) -> Change {
            change(
                "participant",
                [
                    "session": .string(session.recordID), "consent": .string("no"), "sex": .string(sex),
                    "age_band": .string(band), "role": .string("youth"),
                ])
        }
        let i1 = change(
            "initiative",
            [
                "title": .string("Forage & puits"), "type": .string("well"), "session": .string(s1.recordID),
                "region": .string("gao"), "status": .string("proposed"), "beneficiaries": .integer(1200),
                "estimated_cost": .decimal(12_500_000),
            ])
        let i2 = change(
            "initiative",
            [
                "title": .string("École de Tombouctou"), "type": .string("school"), "session": .string(s3.recordID),
                "region": .string("tombouctou"), "status": .string("in_progress"), "beneficiaries": .integer(300),
                "estimated_cost": .decimal(2_000_000),
            ])
        let tenDaysAgo = ISO8601DateFormatter.dashboardDay.string(from: Date().addingTimeInterval(-10 * 86_400))
        let f2 = change(
            "followup",
            [
                "initiative": .string(i2.recordID), "date": .string(tenDaysAgo), "status": .string("in_progress"),
                "progress": .integer(40),
            ])
        let changes = [
            s1, s2, s3, participant(s1, "female", "18_24"), participant(s1, "female", "36_59"),
            participant(s1, "male", "60_plus"), participant(s3, "male", "under_18"), i1, i2, f2,
        ]
        try await fx.app().test(.router) { client in
            let r = try await client.push(Wire.PushRequest(batch: "samples", node: node, changes: changes), token: fx.tokens["fac1"])
            let answer = try Wire.PushResponse(text: r.text)
            #expect(answer.applied == changes.count && answer.setAside.isEmpty, "\(r.text)")
        }
        return (i1.recordID, i2.recordID)
    }

    static func sessionID(_ r: TestResponse) -> String? {
        guard let cookie = r.headers[.setCookie], cookie.hasPrefix("palabre_session=") else { return nil }
        return String(cookie.dropFirst("palabre_session=".count).prefix { $0 != ";" })
    }

    static func sha256(_ s: String) -> String { Token.hash(s) }
}

/// What the page shows, read back from its HTML.
enum Page {
    struct Bar: Hashable, CustomStringConvertible {
        var label: String
        var value: String
        init(_ label: String, _ value: String) {
            self.label = label
            self.value = value
        }
        var description: String { "\(label)=\(value)" }
    }

    /// The headline figure with this id.
    static func kpi(_ page: String, _ id: String) -> String? {
        guard let start = page.range(of: #"id="kpi-\#(id)""#), let n = page[start.upperBound...].range(of: #"<div class="n">"#),
            let end = page[n.upperBound...].range(of: "</div>")
        else { return nil }
        return String(page[n.upperBound..<end.lowerBound])
    }

    /// The SVG of a chart.
    static func svg(_ page: String, _ id: String) -> String? {
        guard let start = page.range(of: #"<svg id="\#(id)""#), let end = page[start.upperBound...].range(of: "</svg>") else { return nil }
        return String(page[start.lowerBound..<end.upperBound])
    }

    /// A section by id.
    static func section(_ page: String, _ id: String) -> String? {
        guard let start = page.range(of: #"id="\#(id)""#), let end = page[start.upperBound...].range(of: "</section>") else { return nil }
        return String(page[start.lowerBound..<end.upperBound])
    }

    /// The bars of a chart: each one's label and the figure written on it, in order.
    static func bars(_ page: String, _ id: String) -> [Bar] {
        guard let svg = svg(page, id) else { return [] }
        var out: [Bar] = []
        var label: String?
        for (cls, content) in texts(svg) {
            if cls == "lbl" { label = content }
            if cls == "val" { out.append(Bar(label ?? "", content)) }
        }
        // In a column chart the figure comes before the label: pair them by group instead.
        if svg.contains(#"<line class="axis""#) {
            out = []
            for group in svg.components(separatedBy: #"<g class="bar""#).dropFirst() {
                let t = texts(group)
                out.append(Bar(t.first { $0.0 == "lbl" }?.1 ?? "", t.first { $0.0 == "val" }?.1 ?? ""))
            }
        }
        return out
    }

    /// `(class, content)` of every `<text>` element.
    static func texts(_ svg: String) -> [(String, String)] {
        var out: [(String, String)] = []
        var rest = svg[...]
        while let open = rest.range(of: "<text"), let close = rest[open.upperBound...].range(of: ">"),
            let end = rest[close.upperBound...].range(of: "</text>")
        {
            let tag = rest[open.upperBound..<close.lowerBound]
            var cls = ""
            if let c = tag.range(of: #"class=""#), let q = tag[c.upperBound...].firstIndex(of: "\"") { cls = String(tag[c.upperBound..<q]) }
            out.append((cls, String(rest[close.upperBound..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
        return out
    }
}

extension ISO8601DateFormatter {
    /// `YYYY-MM-DD`, UTC.
    static var dashboardDay: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        return f
    }
}

extension ServerFixture {
    /// Rows in `dashboard_sessions`.
    func sessionRows() async throws -> Int { try await backend.rowCount(.dashboard_sessions) }

    /// The stored sessions, as column → value.
    func sessions() async throws -> [[String: String]] {
        switch kind {
        case .sqlite:
            let backend = try #require(backend as? SQLiteBackend)
            return try await backend.store.hostRead { db in
                try Row.fetchAll(db, sql: "SELECT id_hash, device_id, created, expires FROM dashboard_sessions").map { row in
                    Dictionary(uniqueKeysWithValues: ["id_hash", "device_id", "created", "expires"].map { ($0, row[$0] as String) })
                }
            }
        case .postgres:
            let backend = try #require(backend as? PostgresBackend)
            return try await backend.dashboardSessionRows()
        }
    }
}

extension TestClientProtocol {
    /// `POST /dashboard/login` with a token, as a browser's form sends it.
    func signIn(_ token: String, lang: String? = nil, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = "token=" + (token.addingPercentEncoding(withAllowedCharacters: allowed) ?? "") + (lang.map { "&lang=\($0)" } ?? "")
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        headers.append(contentsOf: extra)
        return try await executeRequest(uri: "/dashboard/login", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// Signs in and returns the `Cookie` header to send.
    func session(_ token: String) async throws -> String {
        let r = try await signIn(token)
        guard r.status == .seeOther, let id = DashboardTests.sessionID(r) else {
            throw ServiceError.badRequest("sign-in answered \(r.status): \(r.text)")
        }
        return "palabre_session=\(id)"
    }
}
