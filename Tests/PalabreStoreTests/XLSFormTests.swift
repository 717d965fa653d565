import Foundation
import PalabreCore
import PalabreStore
import Testing

/// XLSForm workbooks read as Palabre forms: the sample a programme would write (groups, a repeat, `or_other`, a range,
/// French, English and Bambara) converts to forms that compile, with pyxform (the reference converter) finding the
/// same questions; what Palabre cannot capture is refused by name and row; what is not an .xlsx says so.
@Suite struct XLSFormTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples/xlsform").path
    static let household = samples + "/enquete_menage.xlsx"

    @Test func theSampleConvertsToFormsThatCompile() throws {
        let (forms, problems) = FormLoader.loadWorkbook(Self.household)
        #expect(problems.isEmpty, "\(problems)")
        let catalog = FormCatalog(forms: forms)
        #expect(catalog.problems.isEmpty, "\(catalog.problems)")
        #expect(catalog.names == ["enquete_menage", "member"])
        let main = try #require(catalog["enquete_menage"])
        #expect(main.version == 3 && main.title.text(.fr) == "Enquête ménage après dialogue")
        #expect(
            main.fields.map(\.name) == [
                "started", "ended", "day", "device", "welcome", "consent_read", "region", "cercle", "village", "dialogue_date",
                "arrival", "next_visit", "household_size", "members_listed", "themes", "themes_other", "theme_count", "first_theme",
                "region_name", "summary", "large", "satisfaction", "programme", "recap", "incident", "incident_details", "gps",
            ])
        #expect(main.defaultLanguage == "fr")
        // Every type keeps its meaning: metadata, a note, an acknowledgement, times, calculations.
        #expect(
            ["started", "ended", "day", "device", "welcome", "consent_read", "arrival", "next_visit", "theme_count"].map {
                main.field($0)?.type
            } == [.start, .end, .today, .deviceid, .note, .acknowledge, .time, .datetime, .calculate])
        #expect(main.field("region_name")?.calculation?.source == "jr:choice-name(${region}, '${region}')")
        #expect(main.field("consent_read")?.requiredMessage?.texts["fr"] == "Lisez le consentement avant de commencer")
        #expect(main.field("programme")?.readOnly == true)
        // Cascading selects: a cercle knows its region, and the filter reads that column.
        #expect(main.field("cercle")?.choiceFilter?.source == "region=${region}")
        #expect(main.field("cercle")?.choice("bourem")?.attributes == ["region": "gao"])
        // Labels in every language the sheet has, Bambara included.
        #expect(main.field("region")?.label.texts == ["fr": "Région", "en": "Region", "bm": "Mara"])
        #expect(main.field("region")?.choice("tombouctou")?.label.texts["en"] == "Timbuktu")
        #expect(main.field("village")?.required == .always && main.field("village")?.hint?.texts["fr"] != nil)
        // or_other: an "other" choice and its text, asked only when chosen.
        #expect(main.field("themes")?.choice("other") != nil)
        #expect(main.field("themes_other")?.relevant?.source == "selected(${themes}, 'other')")
        // A range is a number between its bounds.
        #expect(main.field("satisfaction")?.type == .integer && main.field("satisfaction")?.constraint?.source == ". >= 1 and . <= 5")
        // A group's relevance reaches every question in it.
        #expect(main.field("incident_details")?.relevant?.source == "(${household_size} > 1) and (${incident} = 'yes')")
        #expect(main.field("incident")?.defaultValue == "no")
        // The repeat is a form whose records refer to their household.
        let member = try #require(catalog["member"])
        #expect(member.fields.first?.type == .reference && member.fields.first?.referencedForm == "enquete_menage")
        #expect(member.repeats?.parent == "enquete_menage" && member.repeats?.count?.source == "${members_listed}")
        #expect(member.repeats?.relevant?.source == "${members_listed} > 0")
        #expect(member.field("age")?.constraintMessage?.texts["fr"] == "Entre 0 et 120 ans")
        #expect(member.field("sex")?.choices.map(\.name) == ["female", "male"])
    }

    /// What a user runs: the converted YAML reads back as the same forms.
    @Test func theConvertedYAMLIsTheSameModel() throws {
        let (converted, problems) = XLSForm.convert(path: Self.household)
        #expect(problems.isEmpty)
        let direct = FormLoader.loadWorkbook(Self.household).forms
        for c in converted {
            let (form, p) = FormLoader.load(text: c.yaml, file: "/x/\(c.name).yaml")
            #expect(p.isEmpty, "\(p)")
            let same = try #require(direct.first { $0.name == c.name })
            #expect(form?.fields == same.fields && form?.version == same.version)
        }
    }

    @Test func aTypePalabreCannotCaptureIsRefusedByNameAndRow() {
        let (forms, problems) = FormLoader.loadWorkbook(Self.samples + "/photo.xlsx")
        #expect(problems.map(\.description).contains { $0.contains("row 3") && $0.contains("'image'") && $0.contains("photo") }, "\(problems)")
        #expect(forms.first?.field("photo") == nil, "never dropped silently: the problem is reported, and a publish refuses it")
        #expect(throws: StoreError.self) { try FormLoader.publishable(Self.samples + "/photo.xlsx") }
    }

    @Test func anOldXlsOrAFileThatIsNoWorkbookSaysSo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xlsform-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let xls = dir + "/old.xls"
        FileManager.default.createFile(
            atPath: xls, contents: Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 64)))
        #expect(XLSForm.convert(path: xls).problems.first?.message.contains("save it as .xlsx") == true)
        let text = dir + "/notes.xlsx"
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(XLSForm.convert(path: text).problems.first?.message.contains("not a ZIP archive") == true)
    }

    @Test(arguments: [
        ("English (en)", "en"), ("Français (fr)", "fr"), ("Bambara", "bm"), ("fr", "fr"), ("Tamasheq", "tmh"), ("Songhay (ses)", "ses"),
    ])
    func languageColumnsNameTheirCode(_ suffix: String, _ code: String) {
        #expect(XLSForm.languageCode(suffix) == code)
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pyxform").path

    /// pyxform's own example forms that use what Palabre captures: each imports without a problem.
    static let pyxformExamples = [
        "text_and_integer", "extra_columns", "extra_sheet_names", "field-list", "group", "specify_other", "yes_or_no_question",
        "choice_filter_test", "ODKValidateWarnings", "xl_date_ambiguous",
    ]

    @Test(arguments: pyxformExamples)
    func pyxformsExampleFormsImport(_ name: String) {
        let (forms, problems) = FormLoader.loadWorkbook(Self.fixtures + "/\(name).xlsx")
        #expect(problems.isEmpty, "\(problems)")
        #expect(!forms.isEmpty && FormCatalog(forms: forms).problems.isEmpty)
    }

    /// What pyxform finds in a workbook: per question its form, name, type, relevant (with its groups'), constraint,
    /// calculation, choice names, label languages; one JSON row each.
    static let pyxformReader = """
        import json, sys
        from pyxform.xls2json import parse_file_to_json
        kinds = {"select one": "select_one", "select all that apply": "select_multiple", "dateTime": "datetime",
                 "phone number": "text", "select one external": "select_one"}
        def walk(node, form, relevants, out, lists):
            for c in node.get("children", []):
                t = c.get("type")
                bind = c.get("bind", {})
                if t == "repeat":
                    walk(c, c["name"], [], out, lists)
                elif t == "group":
                    if c.get("name") == "meta":
                        continue
                    r = bind.get("relevant")
                    walk(c, form, relevants + ([r] if r else []), out, lists)
                elif c.get("name", "").endswith("_other") and bind.get("relevant", "").startswith("selected(../"):
                    continue  # the text of an "or_other" answer, which Palabre adds as a field of its own
                else:
                    rs = relevants + ([bind["relevant"]] if bind.get("relevant") else [])
                    relevant = rs[0] if len(rs) == 1 else " and ".join("(%s)" % r for r in rs) if rs else ""
                    label = c.get("label", "")
                    languages = sorted(label.keys()) if isinstance(label, dict) else []
                    choices = [x["name"] for x in (c.get("choices") or lists.get(c.get("itemset"), []) or [])]
                    out.append({"form": form, "name": c["name"], "type": kinds.get(t, t),
                                "relevant": relevant, "constraint": bind.get("constraint", "") if t != "phone number" else "",
                                "calculation": bind.get("calculate", ""), "choices": choices, "languages": languages,
                                "parameters": c.get("parameters", {})})
        d = parse_file_to_json(sys.argv[1])
        out = []
        walk(d, d["id_string"], [], out, d.get("choices", {}))
        print(json.dumps({"default_language": d.get("default_language", "default"), "questions": out}))
        """

    /// Runs the reader above with the Python PALABRE_PYXFORM names.
    static func pyxform(_ path: String) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PALABRE_PYXFORM"]!)
        process.arguments = ["-c", pyxformReader, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "pyxform could not read \(path)")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// For pyxform's examples and Palabre's sample: the same questions, types, skip logic, rules, calculations, choice
    /// lists and label languages as pyxform's `xls2json` (the step of `xls2xform` that reads the sheet).
    @Test(
        .enabled(if: ProcessInfo.processInfo.environment["PALABRE_PYXFORM"] != nil),
        arguments: pyxformExamples.map { fixtures + "/\($0).xlsx" } + [household])
    func pyxformCompilesTheSameForm(_ path: String) throws {
        let theirs = try Self.pyxform(path)
        let questions = try #require(theirs["questions"] as? [[String: Any]])
        let defaultLanguage = theirs["default_language"] as? String ?? "default"
        let forms = FormLoader.loadWorkbook(path).forms
        var ours: [[String: String]] = []
        for form in forms {
            for f in form.fields {
                // The parent reference of a repeat, and the text of an "other" choice, are Palabre's additions.
                if f.type == .reference && f.name == form.repeats?.parent { continue }
                if f.name.hasSuffix("_other"), f.relevant?.source.hasPrefix("selected(") == true, f.type == .text { continue }
                ours.append([
                    "form": form.name, "name": f.name, "type": f.type.rawValue, "relevant": f.relevant?.source ?? "",
                    "calculation": f.calculation?.source ?? "", "choices": f.choices.map(\.name).filter { $0 != "other" }.joined(separator: " "),
                ])
            }
        }
        var expected: [[String: String]] = []
        for q in questions {
            var type = q["type"] as? String ?? ""
            if type == "range" {
                // A whole number when its start, end and step are whole, as XLSForm's range widget is.
                let p = q["parameters"] as? [String: Any] ?? [:]
                let whole = ["start", "end", "step"].allSatisfy { Double("\(p[$0] ?? "1")").map { $0 == $0.rounded() } ?? false }
                type = whole ? "integer" : "decimal"
            }
            expected.append([
                "form": XLSForm.formName(q["form"] as? String ?? ""), "name": q["name"] as? String ?? "", "type": type,
                "relevant": q["relevant"] as? String ?? "", "calculation": q["calculation"] as? String ?? "",
                "choices": (q["choices"] as? [String] ?? []).filter { $0 != "other" }.joined(separator: " "),
            ])
        }
        func byForm(_ rows: [[String: String]]) -> [String: [[String: String]]] { Dictionary(grouping: rows, by: { $0["form"]! }) }
        #expect(byForm(ours) == byForm(expected), "\(path)")
        // Constraints as written (a range's bounds and a phone number's digits are Palabre's own), and label languages.
        for q in questions {
            let name = q["name"] as? String ?? ""
            guard let field = forms.lazy.compactMap({ $0.field(name) }).first else { continue }
            if let c = q["constraint"] as? String, !c.isEmpty, q["type"] as? String != "range" {
                #expect(field.constraint?.source == c, "\(path): \(name)")
            }
            let languages = (q["languages"] as? [String] ?? []).map { $0 == "default" ? (defaultLanguage == "default" ? "en" : defaultLanguage) : $0 }
                .map(XLSForm.languageCode)
            if !languages.isEmpty, field.type != .calculate {
                #expect(Set(field.label.texts.keys) == Set(languages), "\(path): \(name)")
            }
        }
    }

    /// ODK's specification form has questions Palabre cannot capture (photos, barcodes, lines on a map): pyxform
    /// reads them, and Palabre refuses each by its name and row rather than dropping it.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PALABRE_PYXFORM"] != nil))
    func whatPalabreCannotCaptureInODKsSpecFormIsNamed() throws {
        let path = Self.fixtures + "/xlsform_spec_test.xlsx"
        let questions = try #require(try Self.pyxform(path)["questions"] as? [[String: Any]])
        let cannot: Set<String> = ["photo", "image", "audio", "video", "barcode", "geotrace", "geoshape", "file", "phonenumber"]
        let named = questions.filter { cannot.contains($0["type"] as? String ?? "") }.compactMap { $0["name"] as? String }
        #expect(named.count >= 4)
        let problems = FormLoader.loadWorkbook(path).problems.map(\.description)
        for name in named {
            #expect(problems.contains { $0.contains("'\(name)'") && $0.contains("row ") && $0.contains("cannot be captured") }, "\(name)")
        }
    }
}
