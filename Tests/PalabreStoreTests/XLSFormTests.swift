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
                "region", "village", "household_size", "themes", "themes_other", "satisfaction", "incident", "incident_details",
                "gps",
            ])
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

    /// pyxform, the converter ODK and KoboToolbox use, reads the sample and finds the same questions with the same
    /// types: our reading of the sheet is the reference's (PALABRE_PYXFORM names a Python with pyxform; CI sets it).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PALABRE_PYXFORM"] != nil))
    func pyxformFindsTheSameQuestions() throws {
        let python = ProcessInfo.processInfo.environment["PALABRE_PYXFORM"]!
        let script = """
            import json, sys
            from pyxform.xls2json import parse_file_to_json
            def walk(node, form, out):
                for c in node.get("children", []):
                    t = c.get("type")
                    if t == "repeat":
                        walk(c, c["name"], out)
                    elif t == "group":
                        walk(c, form, out)
                    elif c.get("name") not in ("meta", "instanceID"):
                        out.append([form, c["name"], t])
            d = parse_file_to_json(sys.argv[1])
            out = []
            walk(d, d["id_string"], out)
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, Self.household]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let theirs = try #require(try JSONSerialization.jsonObject(with: data) as? [[String]])
        let kinds: [String: String] = [
            "select one": "select_one", "select all that apply": "select_multiple", "range": "integer", "text": "text",
            "integer": "integer", "decimal": "decimal", "date": "date", "geopoint": "geopoint",
        ]
        let ours = FormLoader.loadWorkbook(Self.household).forms.flatMap { f in
            f.fields.filter { $0.type != .reference }.map { [f.name, $0.name, $0.type.rawValue] }
        }
        // Each form's questions in the sheet's order (pyxform walks a repeat where it stands, Palabre makes it a form).
        func byForm(_ rows: [[String]]) -> [String: [[String]]] { Dictionary(grouping: rows, by: { $0[0] }) }
        #expect(byForm(theirs.map { [$0[0], $0[1], kinds[$0[2]] ?? $0[2]] }) == byForm(ours))
        #expect(ours.count == 12)
    }
}
