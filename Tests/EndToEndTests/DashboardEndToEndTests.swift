import Foundation
import Testing

/// The dashboard as a coordinator sees it: the real `palabre-server serve --demo`, a sign-in with curl and a cookie
/// jar, the page saved to a file, then drawn by headless Chromium (a screenshot, and the DOM it built), whose SVG must
/// show the figures of samples/demo.jsonl counted here independently.
///
/// Set PALABRE_SCREENSHOT_DIR to keep the screenshots (1366×900 and 360×800, French and English).
@Suite(.serialized) struct DashboardEndToEndTests {
    @Test func theDemoDashboardDrawsTheSamplesFiguresInHeadlessChromium() throws {
        let chromium = try Browser.chromium()
        let box = try Sandbox()
        defer { box.remove() }
        let expected = try DemoCounts.fromSamples()
        // The figures the issue quotes, so that a change of the samples is noticed here.
        #expect(expected.sessions == 12)
        #expect(expected.byRegion == ["gao": 9, "tombouctou": 3])
        #expect(expected.registered == 250 && expected.headcounts == 129 && expected.participants == 379)
        #expect(expected.women == 211)

        let service = try Service(box, serveOptions: ["--demo", "--samples", E2E.demoFile])
        defer { service.stop() }
        try service.start()
        let token = try #require(Self.coordinatorToken(service.child?.stdout ?? ""), "serve --demo printed no coordinator token")

        // Sign in as a browser would, keeping the cookie in a jar.
        let curl = try E2E.tool("curl")
        let jar = box.path("cookies.txt")
        let signIn = try E2E.run(
            curl,
            [
                "-sS", "-c", jar, "-b", jar, "-o", box.path("signin.html"), "-w", "%{http_code} %{redirect_url}",
                "--data-urlencode", "token=\(token)", service.url + "/dashboard/login",
            ], in: box.dir)
        #expect(signIn.status == 0 && signIn.stdout.hasPrefix("303 ") && signIn.stdout.hasSuffix("/dashboard"), "\(signIn)")
        let jarText = (try? String(contentsOfFile: jar, encoding: .utf8)) ?? ""
        #expect(jarText.contains("#HttpOnly_127.0.0.1") && jarText.contains("palabre_session"), "the cookie is HttpOnly: \(jarText)")

        // A wrong token and a facilitator's are refused.
        let wrong = try E2E.run(
            curl,
            [
                "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--data-urlencode",
                "token=plb_" + String(repeating: "0", count: 64), service.url + "/dashboard/login",
            ], in: box.dir)
        #expect(wrong.stdout == "401")
        let without = try E2E.run(curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", service.url + "/dashboard"], in: box.dir)
        #expect(without.stdout.hasPrefix("303 ") && without.stdout.contains("/dashboard/login"), "\(without)")

        var shots: [String] = []
        for (lang, width, height) in [("fr", 1366, 900), ("en", 1366, 900), ("fr", 360, 800)] {
            let html = box.path("dashboard-\(lang)-\(width).html")
            let fetch = try E2E.run(
                curl, ["-sS", "-b", jar, "-o", html, "-w", "%{http_code}", service.url + "/dashboard?lang=\(lang)"],
                in: box.dir)
            #expect(fetch.stdout == "200", "GET /dashboard: \(fetch)")
            let page = try String(contentsOfFile: html, encoding: .utf8)
            #expect(!page.contains("<script") && !page.contains(" src=") && !page.contains("<link"), "the page loads nothing")

            let shot = box.path("dashboard-\(lang)-\(width)x\(height).png")
            let drawn = try Browser.run(chromium, ["--screenshot=\(shot)", "--window-size=\(width),\(height)", "file://\(html)"], box: box)
            #expect(drawn.status == 0, "chromium --screenshot: \(drawn)")
            try Browser.checkPNG(shot, width: width, height: height)
            shots.append(shot)

            let dump = try Browser.run(chromium, ["--dump-dom", "--window-size=\(width),\(height)", "file://\(html)"], box: box)
            #expect(dump.status == 0, "chromium --dump-dom: \(dump)")
            let dom = dump.stdout
            let regionName = lang == "fr" ? ["gao": "Gao", "tombouctou": "Tombouctou"] : ["gao": "Gao", "tombouctou": "Timbuktu"]
            let sep = lang == "fr" ? " : " : ": "

            // Sessions: 12 by month, 9 in Gao and 3 in Tombouctou.
            let months = SVGText.bars(dom, chart: "chart-sessions-by-month")
            #expect(months.compactMap { Int($0.value) }.reduce(0, +) == expected.sessions, "\(months)")
            #expect(SVGText.texts(dom, chart: "chart-sessions-by-month").contains("Total\(sep)\(expected.sessions)"))
            let regions = SVGText.bars(dom, chart: "chart-sessions-by-region")
            let wantRegions = expected.byRegion.sorted { $0.value > $1.value }.map {
                SVGText.Bar(label: regionName[$0.key]!, value: String($0.value))
            }
            #expect(regions == wantRegions)
            // Participants: 379 = 250 registered + 129 counted, of whom 211 women.
            let sex = SVGText.bars(dom, chart: "chart-participants-by-sex")
            #expect(SVGText.texts(dom, chart: "chart-participants-by-sex").contains("Total\(sep)\(expected.participants)"))
            #expect(sex.first?.value == String(expected.women), "\(sex)")
            #expect(sex.first?.label == (lang == "fr" ? "Femme" : "Female"))
            #expect(sex.map { Int($0.value) ?? 0 }.reduce(0, +) == expected.participants)
            // Initiatives by status add up to the samples' initiatives.
            let statuses = SVGText.bars(dom, chart: "chart-initiatives-by-status")
            #expect(statuses.compactMap { Int($0.value) }.reduce(0, +) == expected.initiatives)
            #expect(SVGText.bars(dom, chart: "chart-initiatives-by-type").compactMap { Int($0.value) }.reduce(0, +) == expected.initiatives)
            // Headline figures, outside the SVG.
            #expect(dom.contains(#"<div class="n">\#(expected.participants)</div>"#))
            #expect(dom.contains(#"<div class="n">\#(expected.sessions)</div>"#))
        }

        if let keep = ProcessInfo.processInfo.environment["PALABRE_SCREENSHOT_DIR"], !keep.isEmpty {
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            for shot in shots {
                let target = URL(fileURLWithPath: keep).appendingPathComponent(URL(fileURLWithPath: shot).lastPathComponent)
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(at: URL(fileURLWithPath: shot), to: target)
            }
        }
    }

    /// The coordinator's token in what `serve --demo` printed: `  coordinator (coordinator): plb_…`.
    static func coordinatorToken(_ stdout: String) -> String? {
        for line in stdout.split(separator: "\n") where line.contains("(coordinator): ") {
            if let token = line.split(separator: " ").last, token.hasPrefix("plb_") { return String(token) }
        }
        return nil
    }
}

/// The demo's figures counted straight from samples/demo.jsonl, without the code under test.
struct DemoCounts {
    var sessions = 0
    var byRegion: [String: Int] = [:]
    var registered = 0
    var headcounts = 0
    var women = 0
    var initiatives = 0
    var participants: Int { registered + headcounts }

    static func fromSamples() throws -> DemoCounts {
        let text = try String(contentsOfFile: E2E.demoFile, encoding: .utf8)
        let lines = try text.split(separator: "\n").map { line -> [String: Any] in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw HarnessError("samples/demo.jsonl: a line is not an object")
            }
            return object
        }
        func values(_ r: [String: Any]) -> [String: Any] { r["values"] as? [String: Any] ?? [:] }
        var out = DemoCounts()
        let sessions = lines.filter { $0["form"] as? String == "session" }
        var registeredIn: Set<String> = []
        let ids = Set(sessions.compactMap { $0["id"] as? String })
        for p in lines where p["form"] as? String == "participant" {
            guard let s = values(p)["session"] as? String, ids.contains(s) else { continue }
            registeredIn.insert(s)
            out.registered += 1
            if values(p)["sex"] as? String == "female" { out.women += 1 }
        }
        for s in sessions {
            out.sessions += 1
            out.byRegion[values(s)["region"] as? String ?? "", default: 0] += 1
            if !registeredIn.contains(s["id"] as? String ?? "") {
                let w = values(s)["women_count"] as? Int ?? 0, m = values(s)["men_count"] as? Int ?? 0
                out.headcounts += w + m
                out.women += w
            }
        }
        out.initiatives = lines.filter { $0["form"] as? String == "initiative" }.count
        return out
    }
}

/// Headless Chromium.
enum Browser {
    /// The browser's path; its absence fails the test with the command that installs it.
    static func chromium() throws -> String {
        for name in ["chromium", "chromium-browser"] {
            if let path = try? E2E.tool(name) { return path }
        }
        throw HarnessError("chromium is not installed: run `apt-get install chromium` (the CI script installs it)")
    }

    /// `chromium --headless --no-sandbox --disable-gpu ARGS` with a profile of its own in the test's folder.
    static func run(_ chromium: String, _ args: [String], box: Sandbox) throws -> RunResult {
        try E2E.run(
            chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--user-data-dir=\(box.path("chromium-profile"))",
            ]
                + args, in: box.dir, timeout: 120)
    }

    /// The file is a PNG of this size, and not a blank one.
    static func checkPNG(_ path: String, width: Int, height: Int) throws {
        let data = try #require(FileManager.default.contents(atPath: path), "no screenshot at \(path)")
        #expect(data.count > 20_000, "a screenshot of \(data.count) bytes is too small to hold the charts")
        let bytes = [UInt8](data.prefix(24))
        #expect(bytes.count == 24 && bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not a PNG")
        guard bytes.count == 24 else { return }
        let w = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(w == width && h == height, "screenshot is \(w)×\(h)")
    }
}

/// The `<text>` of a chart's SVG in a page or a DOM dump.
enum SVGText {
    struct Bar: Equatable, CustomStringConvertible {
        var label: String
        var value: String
        var description: String { "\(label)=\(value)" }
    }

    /// The chart's `<svg>` element.
    static func svg(_ dom: String, chart id: String) -> String? {
        guard let start = dom.range(of: #"<svg id="\#(id)""#), let end = dom[start.upperBound...].range(of: "</svg>") else { return nil }
        return String(dom[start.lowerBound..<end.upperBound])
    }

    /// Every text of the chart, unescaped.
    static func texts(_ dom: String, chart id: String) -> [String] { classed(svg(dom, chart: id) ?? "").map(\.1) }

    /// Each bar's label and figure, in order.
    static func bars(_ dom: String, chart id: String) -> [Bar] {
        guard let svg = svg(dom, chart: id) else { return [] }
        return svg.components(separatedBy: #"<g class="bar""#).dropFirst().map { group in
            let t = classed(group)
            return Bar(label: t.first { $0.0 == "lbl" }?.1 ?? "", value: t.first { $0.0 == "val" }?.1 ?? "")
        }
    }

    static func classed(_ svg: String) -> [(String, String)] {
        let regex = try! NSRegularExpression(pattern: #"<text[^>]*class="([^"]*)"[^>]*>([^<]*)</text>"#)
        let ns = svg as NSString
        return regex.matches(in: svg, range: NSRange(location: 0, length: ns.length)).map { m in
            (ns.substring(with: m.range(at: 1)), unescape(ns.substring(with: m.range(at: 2))))
        }
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&nbsp;", with: "\u{00A0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}
