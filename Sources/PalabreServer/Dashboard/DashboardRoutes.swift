import Foundation
import Hummingbird
import PalabreCore

/// Registers the analysts' dashboard:
///
/// - `GET /dashboard/login`: the sign-in page (`?lang=fr|en`, else `Accept-Language`, else French);
/// - `POST /dashboard/login`: form field `token`, a coordinator's, analyst's or admin's device token; opens a session
///   (an HttpOnly, SameSite=Strict cookie for 8 hours) and redirects to `/dashboard`;
/// - `POST /dashboard/logout`: closes the session;
/// - `GET /dashboard?project=&region=&from=&to=&lang=`: the page, server-rendered, charts in inline SVG.
///
/// These routes do not take bearer tokens: the cookie is checked on every request, and so is its device, so a revoked
/// device's sessions stop working at once.
func addDashboardRoutes(to router: Router<PalabreRequestContext>, configuration: ServerConfiguration, backend: any SyncBackend) {
    let dashboard = Dashboard(backend: backend, smallCells: configuration.smallCells)
    router.get("/dashboard/login") { request, context in try await dashboard.guarded(request, context, dashboard.loginPage) }
    router.post("/dashboard/login") { request, context in try await dashboard.guarded(request, context, dashboard.signIn) }
    router.post("/dashboard/logout") { request, context in try await dashboard.guarded(request, context, dashboard.signOut) }
    router.get("/dashboard") { request, context in try await dashboard.guarded(request, context, dashboard.page) }
}

/// The dashboard's handlers.
struct Dashboard: Sendable {
    /// The dashboard's paths and the methods each takes (the 405 answer reads it too).
    static let routes: [String: [HTTPRequest.Method]] = ["/dashboard": [.get], "/dashboard/login": [.get, .post], "/dashboard/logout": [.post]]

    let backend: any SyncBackend
    /// Analysts see no count of fewer people than this.
    var smallCells = 5
    /// The backend keeps the sessions.
    var sessions: any DashboardSessionStore { backend }

    /// The cookie's name.
    static let cookie = "palabre_session"
    /// How long a session lasts: 8 hours, a working day.
    static let lifetime: TimeInterval = 8 * 3600
    /// The roles that may open the dashboard.
    static let roles: Set<Role> = [.coordinator, .analyst, .admin]

    // MARK: Sign-in

    /// `GET /dashboard/login`: the form, or the dashboard when a session is already open.
    func loginPage(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let text = language(request)
        if try await device(request) != nil { return redirect(to: "/dashboard", lang: explicitLanguage(request)) }
        let notice = request.query("expired") != nil ? text.sessionEnded : request.query("out") != nil ? text.signedOut : nil
        return html(DashboardPage.login(text, notice: notice))
    }

    /// `POST /dashboard/login`: checks the token, opens a session, sets the cookie.
    func signIn(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        if let refused = crossSite(request, context) { return refused }
        let form = try await FormFields.read(request, context, upTo: 16 << 10)
        let chosen = form.lang.flatMap { Language(rawValue: $0) }
        let text = chosen.map(DashboardText.init) ?? language(request)
        let token = (form.token ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { return html(DashboardPage.login(text, error: text.emptyToken), status: .badRequest) }
        guard let device = try await backend.authenticate(token: token) else {
            context.logger.notice("dashboard sign-in refused: unknown or revoked token")
            return html(DashboardPage.login(text, error: text.unknownToken), status: .unauthorized)
        }
        guard Self.roles.contains(device.role) else {
            context.logger.notice("dashboard sign-in refused", metadata: ["device": "\(device.name)", "role": "\(device.role)"])
            return html(DashboardPage.login(text, error: text.facilitatorRefused), status: .forbidden)
        }
        let id = DashboardSessionID.make()
        let created = now()
        try await sessions.createDashboardSession(
            idHash: DashboardSessionID.hash(id), deviceID: device.id, created: created,
            expires: created.addingTimeInterval(Self.lifetime))
        context.logger.info("dashboard session opened", metadata: ["device": "\(device.name)"])
        var response = redirect(to: "/dashboard", lang: chosen?.rawValue)
        response.headers[.setCookie] = cookie(id, maxAge: Int(Self.lifetime), request: request)
        return response
    }

    /// `POST /dashboard/logout`: forgets the session and clears the cookie.
    func signOut(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        if let refused = crossSite(request, context) { return refused }
        if let id = sessionID(request) { try await sessions.deleteDashboardSession(idHash: DashboardSessionID.hash(id)) }
        let lang = (try? await FormFields.read(request, context, upTo: 4 << 10))?.lang.flatMap { Language(rawValue: $0)?.rawValue }
        var response = Response.redirect(to: "/dashboard/login" + HTML.query([("out", "1"), ("lang", lang)]), type: .normal)
        response.headers[.setCookie] = cookie("", maxAge: 0, request: request)
        return response
    }

    // MARK: The page

    /// `GET /dashboard`: the figures of one project, filtered by region and period.
    func page(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let text = language(request)
        guard let device = try await device(request), Self.roles.contains(device.role) else {
            var response = redirect(
                to: "/dashboard/login", lang: explicitLanguage(request),
                extra: sessionID(request) == nil ? [] : [("expired", "1")])
            if sessionID(request) != nil {
                response.headers[.setCookie] = cookie("", maxAge: 0, request: request)
            }
            return response
        }
        // The project: an admin of every project picks one; anyone else sees their own, and only it.
        let requested = request.query("project")
        var projects: [Project] = []
        let code: String
        if let own = device.project {
            if let requested, requested != own {
                return html(DashboardPage.message(text, device: device, text.onlyProject(own)), status: .forbidden)
            }
            code = own
        } else {
            projects = try await backend.projects()
            guard let chosen = requested ?? projects.first?.code else {
                return html(DashboardPage.message(text, device: device, text.noProject), status: .notFound)
            }
            guard projects.contains(where: { $0.code == chosen }) else {
                return html(DashboardPage.message(text, device: device, text.noSuchProject(chosen)), status: .notFound)
            }
            code = chosen
        }
        let projectName = try await backend.project(code)?.name ?? code

        // Filters: a region of the forms, days as YYYY-MM-DD; anything else is ignored, and said so.
        var notices: [String] = []
        // The project's forms, every version: labels and masking as the forms say.
        let projectForms = try await backend.projectForms(code).union
        let labels = Labels(forms: projectForms, text: text)
        var region = request.query("region")
        if let r = region, !labels.order(.sessions, "region").contains(r), !labels.order(.initiatives, "region").contains(r) {
            notices.append(text.badRegion(r))
            region = nil
        }
        func day(_ name: String, _ label: String) -> String? {
            guard let value = request.query(name) else { return nil }
            guard Self.isDay(value) else {
                notices.append(text.badDate(label, value))
                return nil
            }
            return value
        }
        let from = day("from", text.from), to = day("to", text.to)

        let form = projectForms
        let records = try await backend.records(project: code, form: nil).map { r in
            (form: r.form, id: r.id, values: device.role.masksSensitiveFields ? Redaction.masked(r.values, form: form[r.form]) : r.values)
        }
        let today = Self.dayText(now())
        var indicators = Indicators(
            records: records, map: labels.map,
            filter: .init(region: region, from: from, to: to), today: today)
        if device.role.masksSensitiveFields { indicators = indicators.withholdingSmallCells(below: smallCells) }
        let model = DashboardPage.Model(
            text: text, device: device, project: code, projectName: projectName, projects: projects,
            region: region, from: from, to: to, today: today, indicators: indicators, forms: form,
            notices: notices)
        return html(DashboardPage.dashboard(model))
    }

    // MARK: Helpers

    /// A 403 page when a form post comes from another site (login CSRF: a page elsewhere signing the browser in with
    /// the attacker's token, or out), else nil.
    ///
    /// Browsers send `Origin` with every form post: it must name this service, as the request's `Host` (or, behind a
    /// proxy, `X-Forwarded-Host`) does; `Origin: null` (a sandboxed frame, a privacy redirect) is refused too. Without
    /// `Origin`, `Sec-Fetch-Site` is checked when sent. A client that sends neither (curl, a script) is no browser and
    /// carries no one else's cookies: it is let through.
    func crossSite(_ request: Request, _ context: PalabreRequestContext) -> Response? {
        let text = language(request)
        if let origin = request.headers[.origin] {
            let host =
                request.headers[.init("X-Forwarded-Host")!]?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
                ?? request.headers[.init("Host")!] ?? request.head.authority
            if let host, Self.sameOrigin(origin, host: host) { return nil }
            context.logger.notice("dashboard form post refused: cross-site", metadata: ["origin": "\(origin.prefix(100))", "host": "\(host ?? "")"])
            return html(DashboardPage.login(text, error: text.crossSite), status: .forbidden)
        }
        if let site = request.headers[.init("Sec-Fetch-Site")!], !["same-origin", "none"].contains(site.lowercased()) {
            context.logger.notice("dashboard form post refused: cross-site", metadata: ["sec-fetch-site": "\(site.prefix(40))"])
            return html(DashboardPage.login(text, error: text.crossSite), status: .forbidden)
        }
        return nil
    }

    /// Whether an `Origin` (`scheme://host[:port]`) names the host and port of `host` (a `Host` header value), default
    /// ports (80 for http, 443 for https) written or not.
    static func sameOrigin(_ origin: String, host: String) -> Bool {
        let o = origin.lowercased()
        let scheme: String
        if o.hasPrefix("http://") { scheme = "http" } else if o.hasPrefix("https://") { scheme = "https" } else { return false }
        let rest = o.dropFirst(scheme.count + 3)
        guard !rest.isEmpty, !rest.contains("/") else { return false }
        func normal(_ authority: Substring) -> String {
            let a = String(authority)
            let defaultPort = scheme == "http" ? ":80" : ":443"
            return a.hasSuffix(defaultPort) ? String(a.dropLast(defaultPort.count)) : a
        }
        return normal(rest) == normal(Substring(host.lowercased()))
    }

    /// Runs a handler; a failure becomes a short HTML page (not the API's JSON), logged.
    func guarded(
        _ request: Request, _ context: PalabreRequestContext,
        _ handler: (Request, PalabreRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await handler(request, context)
        } catch {
            let (status, body) = ErrorMiddleware.render(error, logger: context.logger)
            return html(DashboardPage.message(language(request), device: nil, body.message), status: status)
        }
    }

    /// The device of the request's session, checked now (expiry, revocation), or nil.
    func device(_ request: Request) async throws -> Device? {
        guard let id = sessionID(request) else { return nil }
        return try await sessions.dashboardSessionDevice(idHash: DashboardSessionID.hash(id), now: now())
    }

    /// The session id from the cookie, when it is well formed.
    func sessionID(_ request: Request) -> String? {
        guard let value = request.cookies[Self.cookie]?.value, DashboardSessionID.isWellFormed(value) else { return nil }
        return value
    }

    /// The `Set-Cookie` value: HttpOnly, SameSite=Strict, for the dashboard's paths only; Secure behind HTTPS.
    func cookie(_ value: String, maxAge: Int, request: Request) -> String {
        let https = request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
        return "\(Self.cookie)=\(value); HttpOnly; SameSite=Strict; Path=/dashboard; Max-Age=\(maxAge)" + (https ? "; Secure" : "")
    }

    func language(_ request: Request) -> DashboardText {
        DashboardText(lang: DashboardText.language(query: request.query("lang"), acceptLanguage: request.headers[.acceptLanguage]))
    }

    /// `?lang=` when the request gave one, to carry it over a redirect.
    func explicitLanguage(_ request: Request) -> String? { request.query("lang").flatMap { Language(rawValue: $0)?.rawValue } }

    func redirect(to path: String, lang: String?, extra: [(String, String?)] = []) -> Response {
        Response.redirect(to: path + HTML.query(extra + [("lang", lang)]), type: .normal)
    }

    /// An HTML answer that no cache keeps, no page frames and that may load nothing but its own inline style.
    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                .init("Content-Security-Policy")!: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                    + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
                .init("X-Content-Type-Options")!: "nosniff",
                .init("X-Frame-Options")!: "DENY",
                .init("Referrer-Policy")!: "no-referrer",
            ], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The fields of the dashboard's forms, decoded by Hummingbird's `URLEncodedFormDecoder`.
    struct FormFields: Decodable {
        var token: String?
        var lang: String?

        /// The fields of a sign-in post; a body over `limit` is refused (413), one that is not a form (a field twice,
        /// broken percent-encoding) reads as no field, and is logged.
        static func read(_ request: Request, _ context: PalabreRequestContext, upTo limit: Int) async throws -> FormFields {
            let buffer = try await request.body.collect(upTo: limit)
            do {
                return try URLEncodedFormDecoder().decode(FormFields.self, from: String(decoding: buffer.readableBytesView, as: UTF8.self))
            } catch {
                context.logger.notice("dashboard form post not read as a form", metadata: ["error": "\(String(describing: error).prefix(200))"])
                return FormFields()
            }
        }
    }

    /// The service's clock.
    func now() -> Date { Date(timeIntervalSince1970: Double(backend.serverTime()) / 1000) }

    /// A day as `YYYY-MM-DD`, UTC.
    static func dayText(_ date: Date) -> String { CivilDate(date).text }

    /// Whether a text is a real day written `YYYY-MM-DD`.
    static func isDay(_ s: String) -> Bool { CivilDate(s) != nil }
}
