import Foundation
import Testing

/// `palabre indicators --json` on the imported samples, checked figure by figure against the same indicators
/// computed independently, by a small Python program reading samples/demo.jsonl directly.
@Suite struct IndicatorsTests {
    static let oracle = #"""
        import json, sys, datetime
        region, asof = (sys.argv[1] or None), sys.argv[2]
        recs = [json.loads(l) for l in open(sys.argv[3], encoding="utf-8") if l.strip()]
        by = lambda f: [r for r in recs if r["form"] == f]
        def inc(d, k, n=1): d[k] = d.get(k, 0) + n
        sessions = [s for s in by("session") if region is None or s["values"]["region"] == region]
        kept = {s["id"] for s in sessions}
        out = {"sessions": {"total": len(sessions), "by_region": {}, "by_month": {}, "by_format": {}}}
        for s in sessions:
            v = s["values"]; inc(out["sessions"]["by_region"], v["region"]); inc(out["sessions"]["by_month"], v["date"][:7]); inc(out["sessions"]["by_format"], v["format"])
        p = {"registered": 0, "headcounts": 0, "women": 0, "men": 0, "youth": 0, "by_age_band": {}, "by_role": {}}
        registered_sessions = set()
        for r in by("participant"):
            v = r["values"]
            if v["session"] not in kept: continue
            registered_sessions.add(v["session"]); p["registered"] += 1
            p["women" if v["sex"] == "female" else "men"] += 1
            if v["age_band"] in ("under_18", "18_24"): p["youth"] += 1
            inc(p["by_age_band"], v["age_band"]); inc(p["by_role"], v["role"])
        for s in sessions:
            if s["id"] in registered_sessions: continue
            v = s["values"]; w, m = v.get("women_count", 0), v.get("men_count", 0)
            p["headcounts"] += w + m; p["women"] += w; p["men"] += m; p["youth"] += v.get("youth_count", 0)
        p["total"] = p["registered"] + p["headcounts"]
        out["participants"] = p
        latest = {}
        for f in by("followup"):
            v = f["values"]
            if v["initiative"] not in latest or latest[v["initiative"]]["date"] < v["date"]: latest[v["initiative"]] = v
        cutoff = (datetime.date.fromisoformat(asof) - datetime.timedelta(days=90)).isoformat()
        sregion = {s["id"]: s["values"]["region"] for s in by("session")}
        i = {"total": 0, "by_type": {}, "by_status": {}, "by_region": {}, "beneficiaries": 0, "estimated_cost": 0.0, "without_followup_90_days": [], "last_status": {}}
        for r in by("initiative"):
            v = r["values"]
            reg = v.get("region") or sregion.get(v.get("session"), "")
            if region is not None:
                if v.get("session") is not None:
                    if v["session"] not in kept: continue
                elif reg != region: continue
            i["total"] += 1; inc(i["by_type"], v["type"]); inc(i["by_status"], v["status"]); inc(i["by_region"], reg)
            i["beneficiaries"] += v.get("beneficiaries", 0); i["estimated_cost"] += v.get("estimated_cost", 0)
            last = latest.get(r["id"])
            i["last_status"][r["id"]] = last["status"] if last else None
            if v["status"] not in ("completed", "abandoned") and (last["date"] if last else "") < cutoff: i["without_followup_90_days"].append(r["id"])
        i["without_followup_90_days"].sort()
        out["initiatives"] = i
        print(json.dumps(out))
        """#

    func compare(region: String?) throws {
        let box = try Sandbox()
        defer { box.remove() }
        #expect(try box.palabre("import", E2E.demoFile).status == 0)
        var args = ["indicators", "--json", "--as-of", "2026-12-31"]
        if let region { args += ["--region", region] }
        let r = try box.palabre(args)
        #expect(r.status == 0, "\(r)")
        let ours = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let script = try box.write("oracle.py", Self.oracle)
        let o = try E2E.run(try E2E.tool("python3"), [script, region ?? "", "2026-12-31", E2E.demoFile], in: box.dir)
        #expect(o.status == 0, "\(o)")
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: Any])

        func dict(_ d: [String: Any], _ path: String...) -> NSDictionary? {
            var x: Any? = d
            for p in path { x = (x as? [String: Any])?[p] }
            return x as? NSDictionary
        }
        func num(_ d: [String: Any], _ path: String...) -> Double? {
            var x: Any? = d
            for p in path { x = (x as? [String: Any])?[p] }
            return (x as? NSNumber)?.doubleValue
        }
        #expect(dict(ours, "sessions", "by_region") != nil && dict(ours, "participants", "by_role") != nil, "the figures are there")
        #expect(num(ours, "participants", "total") ?? 0 > 0)
        for key in ["by_region", "by_month", "by_format"] { #expect(dict(ours, "sessions", key) == dict(theirs, "sessions", key), "sessions.\(key)") }
        #expect(num(ours, "sessions", "total") == num(theirs, "sessions", "total"))
        for key in ["total", "registered", "headcounts", "women", "men", "youth"] {
            #expect(num(ours, "participants", key) == num(theirs, "participants", key), "participants.\(key)")
        }
        for key in ["by_age_band", "by_role"] { #expect(dict(ours, "participants", key) == dict(theirs, "participants", key), "participants.\(key)") }
        let total = num(theirs, "participants", "total")!, women = num(theirs, "participants", "women")!
        #expect(abs((num(ours, "participants", "share_women") ?? -1) - (women / total * 1000).rounded() / 1000) < 1e-9)
        for key in ["total", "beneficiaries", "estimated_cost"] {
            #expect(num(ours, "initiatives", key) == num(theirs, "initiatives", key), "initiatives.\(key)")
        }
        for key in ["by_type", "by_status", "by_region"] {
            #expect(dict(ours, "initiatives", key) == dict(theirs, "initiatives", key), "initiatives.\(key)")
        }
        let oursLate = (ours["initiatives"] as? [String: Any])?["without_followup_90_days"] as? [String]
        let theirLate = (theirs["initiatives"] as? [String: Any])?["without_followup_90_days"] as? [String]
        #expect(oursLate == theirLate)
        let items = ((ours["initiatives"] as? [String: Any])?["items"] as? [[String: Any]]) ?? []
        let lastStatus = ((theirs["initiatives"] as? [String: Any])?["last_status"] as? [String: Any]) ?? [:]
        #expect(items.count == lastStatus.count)
        for item in items {
            let id = item["id"] as! String
            #expect((item["last_status"] as? String) == (lastStatus[id] as? String), "\(id) last follow-up status")
        }
    }

    @Test func everyFigureMatchesAnIndependentCountOfTheSamples() throws { try compare(region: nil) }

    @Test func aRegionFilterMatchesAnIndependentCountToo() throws { try compare(region: "tombouctou") }

    /// The figures as people read them: codes by their labels in the language chosen, in the form's order of choices.
    @Test func theTextShowsLabelsInTheLanguageChosenNotCodes() throws {
        let box = try Sandbox()
        defer { box.remove() }
        try box.importDemo()
        let fr = try box.palabre(["indicators", "--as-of", "2026-12-01"], lang: "fr")
        #expect(fr.status == 0, "\(fr)")
        #expect(fr.stdout.contains("par région : Tombouctou 3, Gao 9"), "regions in the form's order: \(fr.stdout)")
        #expect(fr.stdout.contains("par tranche d'âge : Moins de 18 ans 17, 18 à 24 ans 52"), "\(fr.stdout)")
        #expect(fr.stdout.contains("Proposée 4") && fr.stdout.contains("Puits 2"), "\(fr.stdout)")
        for code in ["18_24", "gao ", "under_18", "proposed", "women_group"] { #expect(!fr.stdout.contains(code), "\(code) in \(fr.stdout)") }
        let en = try box.palabre(["indicators", "--as-of", "2026-12-01"], lang: "en")
        #expect(en.stdout.contains("by region: Timbuktu 3, Gao 9") && en.stdout.contains("Under 18 17"), "\(en.stdout)")
    }
}
