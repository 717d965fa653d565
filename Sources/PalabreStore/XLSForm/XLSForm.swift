import Foundation
import PalabreCore
import Yams

/// Reads an XLSForm (the spreadsheet format of ODK, KoboToolbox, Ona and SurveyCTO) as Palabre forms: the workbook's
/// `survey`, `choices` and `settings` sheets become the YAML form format (``FormCompiler``), so a spreadsheet and a
/// YAML file are one model, checked, published and captured alike. A repeat becomes a form of its own whose records
/// refer to their parent's (as participants refer to their session).
///
/// Types Palabre cannot capture are refused by name with their row, never dropped.
public enum XLSForm {
    /// One form read from a workbook, as the YAML text it converts to.
    public struct Converted: Sendable, Equatable {
        /// The form's name (`form_id`, or a repeat's name).
        public var name: String
        /// Its YAML text (the form file format).
        public var yaml: String
    }

    /// Types Palabre cannot capture yet, refused by name.
    static let unsupported: Set<String> = [
        "image", "audio", "video", "file", "barcode", "geotrace", "geoshape", "background-audio", "select_one_from_file",
        "select_multiple_from_file", "rank", "hidden", "xml-external", "csv-external", "trigger", "username", "email",
        "phonenumber", "simserial", "subscriberid", "audit", "osm", "include", "begin_loop", "end_loop", "uri:email",
        "uri:username", "uri:phonenumber", "uri:subscriberid", "uri:simserial", "start-geopoint", "background-geopoint",
        "select one from file", "select multiple from file",
    ]
    /// Types that keep their XLSForm name in Palabre's form format.
    static let direct: Set<String> = [
        "text", "integer", "decimal", "date", "time", "datetime", "geopoint", "note", "acknowledge", "calculate", "start", "end",
        "today", "deviceid",
    ]
    /// Columns of the choices sheet that are not a choice's own columns (`choice_filter` reads the others).
    static let choiceOwnColumns: Set<String> = ["list_name", "list name", "name", "value", "image", "audio", "video", "media::image"]
    /// Columns that change nothing about the data (presentation hints), read and left out.
    static let ignoredColumns: Set<String> = ["appearance", "media::image", "image", "audio", "video", "guidance_hint", "autoplay"]

    /// Converts a workbook; `file` names it in problems (`FILE.xlsx: row 12: …`).
    public static func convert(_ workbook: Workbook, file: String) -> (forms: [Converted], problems: [FormProblem]) {
        var reader = Reader(workbook: workbook, file: file)
        return reader.run()
    }

    /// Converts the workbook at a path.
    public static func convert(path: String) -> (forms: [Converted], problems: [FormProblem]) {
        do {
            return convert(try Workbook(path: path), file: path)
        } catch {
            return ([], [FormProblem(file: path, message: error.message)])
        }
    }

    /// Other names XLSForm accepts for a column (pyxform's aliases).
    static let columnAliases: [String: String] = [
        "caption": "label", "relevance": "relevant", "constraining_message": "constraint_message", "calculate": "calculation",
        "readonly": "read_only", "command": "type", "tag": "name", "list name": "list_name", "set_form_id": "form_id",
        "set_form_title": "form_title",
    ]
    /// Columns XLSForm defines, matched without regard to case; any other column keeps its case (a choice's column
    /// that a choice_filter names: `YES_NO=${q1}`).
    static let knownColumns: Set<String> = [
        "type", "name", "label", "hint", "required", "required_message", "relevant", "constraint", "constraint_message",
        "calculation", "default", "choice_filter", "appearance", "read_only", "repeat_count", "parameters", "list_name", "form_id",
        "form_title", "version", "default_language", "id_string", "media", "image", "audio", "video", "guidance_hint", "autoplay",
        "trigger", "instance_name", "style", "public_key", "submission_url", "value", "big-image", "note", "body::accuracythreshold",
    ]

    /// A header cell as the reader names it: `Label::Français (fr)` → `label::Français (fr)`, `relevance` → `relevant`.
    static func column(_ raw: String) -> String {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.components(separatedBy: "::")
        let head = parts[0].lowercased()
        let known = columnAliases[head] ?? (knownColumns.contains(head) || columnAliases.values.contains(head) ? head : nil)
        guard let known else { return trimmed }
        return ([known] + parts.dropFirst()).joined(separator: "::")
    }

    /// Other spellings of types (pyxform's aliases), to the names this reader uses.
    static let typeAliases: [String: String] = [
        "string": "text", "int": "integer", "imei": "deviceid", "uri:deviceid": "deviceid", "get device id": "deviceid",
        "get start time": "start", "get end time": "end", "get today": "today", "phonenumber": "phonenumber",
        "begin_lgroup": "begin_repeat", "end_lgroup": "end_repeat", "begin_looped group": "begin_repeat",
        "end_looped group": "end_repeat", "select1": "select_one",
    ]

    /// A type cell read as (type, words): `select one from regions or specify other` → (`select_one`,
    /// [`select_one`, `regions`, `or_other`]); `begin group` → `begin_group`.
    static func normalizedType(_ raw: String) -> (String, [String]) {
        // Words as written (a list keeps its case), the suffix that asks for an "other" answer taken off.
        var words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var orOther = false
        for suffix in [["or", "specify", "other"], ["or_other"]]
        where words.count > suffix.count && words.suffix(suffix.count).map({ $0.lowercased() }) == suffix {
            words.removeLast(suffix.count)
            orOther = true
        }
        let text = words.joined(separator: " ").lowercased()
        for file in ["select one from file ", "select multiple from file "] where text.hasPrefix(file) {
            return (file.hasPrefix("select one") ? "select_one_from_file" : "select_multiple_from_file", [text])
        }
        let selects: [(String, String)] = [
            ("select all that apply from", "select_multiple"), ("select one from", "select_one"),
            ("add select one prompt using", "select_one"), ("add select multiple prompt using", "select_multiple"),
            ("select all that apply", "select_multiple"), ("select one", "select_one"), ("select1", "select_one"),
        ]
        for (prefix, kind) in selects {
            let n = prefix.split(separator: " ").count
            guard words.count == n + 1, words.prefix(n).map({ $0.lowercased() }).joined(separator: " ") == prefix else { continue }
            return (kind, [kind, words[n]] + (orOther ? ["or_other"] : []))
        }
        var type = words[0].lowercased()
        if type == "begin" || type == "end", words.count > 1 {
            type += "_" + words.dropFirst().map { $0.lowercased() }.joined(separator: " ")
        } else if words.count > 1, !type.hasPrefix("select"), !unsupported.contains(type) {
            type = text
        }
        type = typeAliases[type] ?? type
        words[0] = type
        return (type, words + (orOther ? ["or_other"] : []))
    }

    /// Conditions that must all hold, as one expression (a group's and a question's `relevant`).
    static func allOf(_ conditions: [String]) -> String {
        conditions.count == 1 ? conditions[0] : conditions.map { "(\($0))" }.joined(separator: " and ")
    }

    /// A form name Palabre accepts: letters, digits and `_`, starting with a letter.
    public static func formName(_ raw: String) -> String {
        var name = String(raw.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) ? Character($0) : "_" })
        if let f = name.unicodeScalars.first, !f.properties.isAlphabetic { name = "form_" + name }
        return name
    }

    /// A language code from a column's suffix: `English (en)` → `en`, `fr` → `fr`, `Bambara` → `bm`.
    public static func languageCode(_ suffix: String) -> String { LabelLanguage.code(suffix) }
}

/// One pass over a workbook.
private struct Reader {
    let workbook: Workbook
    let file: String
    var problems: [FormProblem] = []

    init(workbook: Workbook, file: String) {
        self.workbook = workbook
        self.file = file
    }

    /// A sheet's rows as (row number, column → text), keyed by its header row's names, lowercased.
    struct Sheet {
        var columns: [String]
        var rows: [(number: Int, cells: [String: String])]
    }

    mutating func problem(_ row: Int?, _ field: String?, _ message: String) {
        problems.append(FormProblem(file: file, field: field, message: (row.map { "row \($0): " } ?? "") + message))
    }

    func sheet(_ name: String) -> Sheet? {
        guard let key = workbook.sheetNames.first(where: { $0.lowercased().trimmingCharacters(in: .whitespaces) == name }),
            let rows = workbook.sheets[key]
        else { return nil }
        guard let headerIndex = rows.firstIndex(where: { row in row.contains { !$0.isEmpty } }) else { return Sheet(columns: [], rows: []) }
        let header = rows[headerIndex].map { XLSForm.column($0) }
        var out: [(Int, [String: String])] = []
        for i in (headerIndex + 1)..<rows.count {
            var cells: [String: String] = [:]
            for (c, value) in rows[i].enumerated() where c < header.count && !header[c].isEmpty {
                let v = value.trimmingCharacters(in: .whitespacesAndNewlines)
                if !v.isEmpty { cells[header[c]] = v }
            }
            if !cells.isEmpty { out.append((i + 1, cells)) }
        }
        return Sheet(columns: header, rows: out)
    }

    /// The texts of a column in every language: `label`, `label::English (en)`, `label::fr`.
    func localized(_ cells: [String: String], _ column: String, defaultLanguage: String) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in cells {
            if key == column {
                out[defaultLanguage] = out[defaultLanguage] ?? value
            } else if key.hasPrefix(column + "::") {
                out[XLSForm.languageCode(String(key.dropFirst(column.count + 2)))] = value
            }
        }
        return out
    }

    /// A form being built: its fields as ordered YAML mappings.
    struct Building {
        var name: String
        var title: [String: String]
        var fields: [[(String, Node)]] = []
        var lists: Set<String> = []
        var parent: String?
        var repeatBlock: [(String, Node)] = []
    }

    mutating func run() -> (forms: [XLSForm.Converted], problems: [FormProblem]) {
        guard let survey = sheet("survey") else {
            problem(nil, nil, "no 'survey' sheet (sheets: \(workbook.sheetNames.joined(separator: ", "))): an XLSForm needs one")
            return ([], problems)
        }
        let settings = sheet("settings")?.rows.first?.cells ?? [:]
        let defaultLanguage = settings["default_language"].map(XLSForm.languageCode) ?? "en"
        let base = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        // A form's name is letters, digits and `_` in Palabre: `my-form.v1` becomes `my_form_v1`.
        let formID = XLSForm.formName(settings["form_id"] ?? settings["id_string"] ?? base)
        var version = 1
        if let v = settings["version"] {
            if let n = Int(v), n >= 1 { version = n } else { problem(nil, nil, "settings: version '\(v)' must be a whole number ≥ 1") }
        }
        var title = localized(settings, "form_title", defaultLanguage: defaultLanguage)
        if title.isEmpty { title = [defaultLanguage: settings["form_title"] ?? formID] }

        // Choice lists, in order, with every language.
        var lists: [String: [Node]] = [:]
        for row in sheet("choices")?.rows ?? [] {
            guard let list = row.cells["list_name"] ?? row.cells["list name"] else {
                problem(row.number, nil, "choices: a choice needs its list_name")
                continue
            }
            guard let name = row.cells["name"] ?? row.cells["value"] else {
                problem(row.number, nil, "choices: a choice of list '\(list)' needs its name")
                continue
            }
            var labels = localized(row.cells, "label", defaultLanguage: defaultLanguage)
            if labels.isEmpty { labels = [defaultLanguage: name] }
            // The other columns (`region` of a cercle) are what a choice_filter reads.
            var choice: [(String, Node)] = [("name", .quoted(name)), ("label", .texts(labels))]
            for key in row.cells.keys.sorted()
            where !XLSForm.choiceOwnColumns.contains(key) && key != "label" && !key.hasPrefix("label::") && !key.hasPrefix("media::")
                && FormCompiler.isName(key)
            {
                choice.append((key, .quoted(row.cells[key]!)))
            }
            lists[list, default: []].append(.mapping(choice))
        }

        var forms: [Building] = [Building(name: formID, title: title)]
        var stack: [Int] = [0]  // the forms open (repeats), innermost last
        var groups: [(kind: String, name: String, relevant: String?, row: Int, form: Int)] = []
        for row in survey.rows {
            let cells = row.cells
            guard let rawType = cells["type"] else {
                if cells["name"] != nil { problem(row.number, cells["name"], "a row with a name needs a type") }
                continue
            }
            let (type, words) = XLSForm.normalizedType(rawType)
            let name = cells["name"]
            switch type {
            case "begin_group":
                groups.append(("group", name ?? "", cells["relevant"], row.number, stack.last!))
                continue
            case "begin_repeat":
                guard let name else {
                    problem(row.number, nil, "begin repeat needs a name (the repeat becomes a form of that name)")
                    continue
                }
                var t = localized(cells, "label", defaultLanguage: defaultLanguage)
                if t.isEmpty { t = [defaultLanguage: name] }
                let parent = forms[stack.last!].name
                forms.append(Building(name: name, title: t, parent: parent))
                stack.append(forms.count - 1)
                groups.append(("repeat", name, cells["relevant"], row.number, forms.count - 1))
                // The child's records refer to their parent's, as participants refer to their session.
                let parentTitle = forms[stack[stack.count - 2]].title
                forms[forms.count - 1].fields.append([
                    ("name", .plain(parent)), ("type", .plain("reference")), ("form", .plain(parent)),
                    ("required", .plain("true")), ("label", .texts(parentTitle)),
                ])
                // How many records, and whether any: read from the parent's answers when the parent is saved.
                let around = groups.filter { $0.kind == "group" && $0.relevant != nil && $0.form == stack[stack.count - 2] }.compactMap(\.relevant)
                let relevants = around + (cells["relevant"].map { [$0] } ?? [])
                var block: [(String, Node)] = [("parent", .plain(parent))]
                if let count = cells["repeat_count"] {
                    // A number, or an expression on the parent's answers (`${household_size}`).
                    block.append(("count", .quoted(count)))
                }
                if !relevants.isEmpty {
                    block.append(("relevant", .quoted(XLSForm.allOf(relevants))))
                }
                forms[forms.count - 1].repeatBlock = block
                continue
            case "end_group", "end_repeat":
                let kind = type == "end_group" ? "group" : "repeat"
                guard let last = groups.last, last.kind == kind else {
                    problem(row.number, name, "'\(rawType)' closes no open \(kind)")
                    continue
                }
                groups.removeLast()
                if kind == "repeat" { stack.removeLast() }
                continue
            default: break
            }
            guard let name else {
                problem(row.number, nil, "a '\(rawType)' question needs a name")
                continue
            }
            if XLSForm.unsupported.contains(type) || type.hasPrefix("begin_loop") {
                problem(row.number, name, "type '\(type)' cannot be captured with Palabre: remove the question or change its type")
                continue
            }
            var field: [(String, Node)] = [("name", .plain(name))]
            var constraint = cells["constraint"]
            var extra: [(String, Node)] = []
            switch type {
            case "phone number":
                // pyxform's "phone number": digits only; a contact detail (dropped for analysts).
                field += [("type", .plain("text")), ("contact", .plain("true"))]
                constraint = constraint.map { "(\($0)) and regex(., '^[0-9]*$')" } ?? "regex(., '^[0-9]*$')"
            case _ where XLSForm.direct.contains(type):
                field.append(("type", .plain(type)))
                if type == "calculate" {
                    guard let calculation = cells["calculation"] else {
                        problem(row.number, name, "a calculate row needs its calculation (column 'calculation')")
                        continue
                    }
                    field.append(("calculation", .quoted(calculation)))
                }
            case "range":
                // A number between the parameters' start and end (XLSForm's defaults 1 and 10, step 1).
                var p: [String: String] = [:]
                for pair in (cells["parameters"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }) {
                    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    if kv.count == 2 { p[kv[0].lowercased()] = kv[1] }
                }
                let start = p["start"] ?? "1", end = p["end"] ?? "10", step = p["step"] ?? "1"
                let whole = [start, end, step].allSatisfy { Int($0) != nil }
                field.append(("type", .plain(whole ? "integer" : "decimal")))
                let bounds = ". >= \(start) and . <= \(end)"
                constraint = constraint.map { "(\($0)) and \(bounds)" } ?? bounds
            case "select_one", "select_multiple", "select_one_external", "select_multiple_external":
                guard words.count >= 2 else {
                    problem(row.number, name, "'\(type)' needs its choice list: '\(type) LIST'")
                    continue
                }
                let list = words[1]
                field.append(("type", .plain(type.hasPrefix("select_one") ? "select_one" : "select_multiple")))
                field.append(("choices", .plain(list)))
                forms[stack.last!].lists.insert(list)
                if lists[list] == nil {
                    problem(row.number, name, "choice list '\(list)' is not on the choices sheet")
                }
                if words.count >= 3 && words[2] == "or_other" {
                    // ODK's `or_other`: an "other" choice, then the text of it when chosen.
                    if !(lists[list] ?? []).contains(where: { $0.choiceName == "other" }) {
                        lists[list, default: []].append(.mapping([("name", .quoted("other")), ("label", .texts(["en": "Other", "fr": "Autre"]))]))
                    }
                    var other = localized(cells, "label", defaultLanguage: defaultLanguage)
                    other = Dictionary(uniqueKeysWithValues: other.map { ($0.key, $0.value + ($0.key == "fr" ? " (autre)" : " (other)")) })
                    extra = [
                        ("name", .plain(name + "_other")), ("type", .plain("text")),
                        ("label", .texts(other.isEmpty ? ["en": "Other", "fr": "Autre"] : other)),
                        ("relevant", .quoted("selected(${\(name)}, 'other')")),
                        ("required", .quoted("selected(${\(name)}, 'other')")),
                    ]
                }
                if let filter = cells["choice_filter"] { field.append(("choice_filter", .quoted(filter))) }
            default:
                problem(row.number, name, "unknown type '\(rawType)'")
                continue
            }
            var label = localized(cells, "label", defaultLanguage: defaultLanguage)
            if label.isEmpty { label = [defaultLanguage: name] }
            field.append(("label", .texts(label)))
            let hint = localized(cells, "hint", defaultLanguage: defaultLanguage)
            if !hint.isEmpty { field.append(("hint", .texts(hint))) }
            let computed = FieldType(rawValue: type).map { $0.isComputed || $0 == .note } ?? false
            if let r = cells["required"], !computed {
                switch r.lowercased() {
                case "yes", "true", "true()", "1": field.append(("required", .plain("true")))
                case "no", "false", "false()", "0": break
                default: field.append(("required", .quoted(r)))
                }
                let message = localized(cells, "required_message", defaultLanguage: defaultLanguage)
                if !message.isEmpty { field.append(("required_message", .texts(message))) }
            }
            if let r = cells["read_only"], ["yes", "true", "true()", "1"].contains(r.lowercased()), !computed {
                field.append(("read_only", .plain("true")))
            }
            // A question inside groups applies only when every group around it (in its own form) does.
            let relevants =
                groups.filter { $0.kind == "group" && $0.form == stack.last! }.compactMap(\.relevant)
                + (cells["relevant"].map { [$0] } ?? [])
            if !relevants.isEmpty {
                field.append(("relevant", .quoted(XLSForm.allOf(relevants))))
            }
            if let constraint { field.append(("constraint", .quoted(constraint))) }
            let message = localized(cells, "constraint_message", defaultLanguage: defaultLanguage)
            if !message.isEmpty { field.append(("constraint_message", .texts(message))) }
            if let d = cells["default"] { field.append(("default", .quoted(d))) }
            if cells["calculation"] != nil, type != "calculate" {
                problem(
                    row.number, name,
                    "column calculation: only a calculate row computes its value in Palabre (this row is '\(type)'): make it a calculate row, or move the expression to 'default'"
                )
            }
            forms[stack.last!].fields.append(field)
            if !extra.isEmpty { forms[stack.last!].fields.append(extra) }
        }
        for open in groups.reversed() {
            problem(open.row, open.name, "begin \(open.kind) '\(open.name)' is never closed (end \(open.kind))")
        }
        let converted = forms.compactMap { f -> XLSForm.Converted? in
            var root: [(String, Node)] = [("form", .plain(f.name)), ("version", .plain(String(version))), ("title", .texts(f.title))]
            if settings["default_language"] != nil { root.append(("default_language", .plain(defaultLanguage))) }
            if !f.repeatBlock.isEmpty { root.append(("repeat", .mapping(f.repeatBlock))) }
            root.append(("fields", .sequence(f.fields.map { .mapping($0) })))
            let used = f.lists.sorted().compactMap { l in lists[l].map { (l, Node.sequence($0)) } }
            if !used.isEmpty { root.append(("choices", .mapping(used))) }
            guard let yaml = try? Yams.serialize(node: .mapping(root), width: -1, allowUnicode: true) else {
                problems.append(FormProblem(file: file, message: "form '\(f.name)' could not be written as YAML"))
                return nil
            }
            return XLSForm.Converted(name: f.name, yaml: yaml)
        }
        return (converted, problems)
    }
}

extension Node {
    static func plain(_ s: String) -> Node { .scalar(.init(s)) }
    static func quoted(_ s: String) -> Node { .scalar(.init(s, .implicit, .doubleQuoted)) }
    static func mapping(_ pairs: [(String, Node)]) -> Node { .mapping(.init(pairs.map { (Node.plain($0.0), $0.1) })) }
    static func sequence(_ nodes: [Node]) -> Node { .sequence(.init(nodes)) }
    /// A text per language, in a stable order (French, English, then the others by code).
    static func texts(_ t: [String: String]) -> Node {
        let order = t.keys.sorted { a, b in
            let rank = ["fr": 0, "en": 1]
            return (rank[a] ?? 2, a) < (rank[b] ?? 2, b)
        }
        return .mapping(order.map { ($0, .quoted(t[$0]!)) })
    }
    /// A choice mapping's name.
    var choiceName: String? { self["name"]?.string }
}
