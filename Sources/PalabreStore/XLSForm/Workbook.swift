import Foundation
import ZIPFoundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The cells of an `.xlsx` workbook as text, sheet by sheet: what an XLSForm is read from.
///
/// An `.xlsx` file is a ZIP archive of XML parts (ECMA-376): `xl/workbook.xml` names the sheets, its relationships say
/// which part holds each, `xl/sharedStrings.xml` holds the texts cells point to. Read with ZIPFoundation and
/// Foundation's streaming `XMLParser`; numbers are given as Excel stores them (`3`, `1.5`), booleans as `TRUE`/`FALSE`,
/// a formula by its last computed value. Formatting, merged cells and the old binary `.xls` are not read.
public struct Workbook: Sendable {
    /// Rows of each sheet by name, each row's cells by column (A = 0); `rows[0]` is the sheet's first line. Missing
    /// cells are empty strings.
    public var sheets: [String: [[String]]]
    /// The sheet names in the workbook's order.
    public var sheetNames: [String]

    /// Why a file could not be read as a workbook.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Reads a workbook.
    ///
    /// - Throws: ``ReadError`` naming what is wrong (not a ZIP archive, the old `.xls` format, a missing part).
    public init(path: String) throws(ReadError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReadError(message: "\(path): cannot be read") }
        try self.init(data: data, name: path)
    }

    /// Reads a workbook from its bytes; `name` names it in errors.
    public init(data: Data, name: String) throws(ReadError) {
        if data.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw ReadError(message: "\(name): an .xls file (the old Excel format): save it as .xlsx (Excel Workbook) and try again")
        }
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw ReadError(message: "\(name): not an .xlsx file (it is not a ZIP archive): save it as .xlsx (Excel Workbook)")
        }
        func part(_ path: String) throws(ReadError) -> Data? {
            guard let entry = archive[path] else { return nil }
            var out = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { out.append($0) }
            } catch {
                throw ReadError(message: "\(name): part \(path) is damaged (\(error))")
            }
            return out
        }
        guard let workbook = try part("xl/workbook.xml") else {
            throw ReadError(message: "\(name): not an Excel workbook (no xl/workbook.xml): save it as .xlsx (Excel Workbook)")
        }
        let sheetList = XMLRecorder.parse(workbook, name: "xl/workbook.xml").elements.filter { $0.name == "sheet" }
        let rels = try part("xl/_rels/workbook.xml.rels").map { XMLRecorder.parse($0, name: "workbook.xml.rels").elements } ?? []
        var targets: [String: String] = [:]
        for r in rels where r.name == "Relationship" {
            guard let id = r.attributes["Id"], let target = r.attributes["Target"] else { continue }
            targets[id] = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        }
        let shared = try part("xl/sharedStrings.xml").map(SharedStrings.parse) ?? []
        var sheets: [String: [[String]]] = [:]
        var names: [String] = []
        for (i, s) in sheetList.enumerated() {
            guard let sheetName = s.attributes["name"] else { continue }
            let id = s.attributes["r:id"] ?? s.attributes.first { $0.key.hasSuffix(":id") }?.value ?? ""
            let path = targets[id] ?? "xl/worksheets/sheet\(i + 1).xml"
            guard let xml = try part(path) else { throw ReadError(message: "\(name): sheet '\(sheetName)' is missing (\(path))") }
            sheets[sheetName] = SheetCells.parse(xml, shared: shared)
            names.append(sheetName)
        }
        self.sheets = sheets
        self.sheetNames = names
    }

    /// The column index of a cell reference's letters (`B7` → 1, `AA3` → 26).
    static func column(_ reference: String) -> Int? {
        var n = 0
        var any = false
        for u in reference.unicodeScalars {
            guard u.value >= 65 && u.value <= 90 else { break }
            n = n * 26 + Int(u.value - 64)
            any = true
        }
        return any ? n - 1 : nil
    }

    /// The row number of a cell reference (`B7` → 7).
    static func row(_ reference: String) -> Int? { Int(reference.drop { $0.isLetter }) }
}

/// Every element of a small XML part with its attributes (workbook, relationships).
private final class XMLRecorder: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
    }
    var elements: [Element] = []

    static func parse(_ data: Data, name: String) -> XMLRecorder {
        let recorder = XMLRecorder()
        let parser = XMLParser(data: data)
        parser.delegate = recorder
        _ = parser.parse()
        return recorder
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        elements.append(Element(name: elementName, attributes: attributeDict))
    }
}

/// `xl/sharedStrings.xml`: each `<si>`'s text, its runs joined (phonetic guides left out).
private final class SharedStrings: NSObject, XMLParserDelegate {
    var strings: [String] = []
    private var current = ""
    private var inText = false
    private var inPhonetic = false

    static func parse(_ data: Data) -> [String] {
        let s = SharedStrings()
        let parser = XMLParser(data: data)
        parser.delegate = s
        _ = parser.parse()
        return s.strings
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        switch elementName {
        case "si": current = ""
        case "t": inText = true
        case "rPh": inPhonetic = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        switch elementName {
        case "si": strings.append(current)
        case "t": inText = false
        case "rPh": inPhonetic = false
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText && !inPhonetic { current += string }
    }
}

/// A worksheet's cells as text, by row and column.
private final class SheetCells: NSObject, XMLParserDelegate {
    let shared: [String]
    var rows: [[String]] = []
    private var row = 0
    private var column = 0
    private var type = ""
    private var value = ""
    private var inValue = false

    init(shared: [String]) { self.shared = shared }

    static func parse(_ data: Data, shared: [String]) -> [[String]] {
        let s = SheetCells(shared: shared)
        let parser = XMLParser(data: data)
        parser.delegate = s
        _ = parser.parse()
        return s.rows
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes a: [String: String] = [:]
    ) {
        switch elementName {
        case "row":
            row = a["r"].flatMap(Int.init) ?? (row + 1)
            column = 0
        case "c":
            let reference = a["r"] ?? ""
            column = Workbook.column(reference) ?? column
            if let r = Workbook.row(reference) { row = r }
            type = a["t"] ?? ""
            value = ""
        case "v", "t": inValue = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        switch elementName {
        case "v", "t": inValue = false
        case "c":
            let text: String
            switch type {
            case "s": text = Int(value.trimmingCharacters(in: .whitespaces)).flatMap { $0 < shared.count ? shared[$0] : nil } ?? ""
            case "b": text = value == "1" ? "TRUE" : "FALSE"
            case "n", "": text = Self.number(value)
            default: text = value  // inlineStr, str (a formula's text), e (an error's text)
            }
            if !text.isEmpty, row >= 1 {
                while rows.count < row { rows.append([]) }
                while rows[row - 1].count <= column { rows[row - 1].append("") }
                rows[row - 1][column] = text
            }
            column += 1
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue { value += string }
    }

    /// A stored number as a person typed it: `3` rather than `3.0`, the shortest decimal that reads back the same.
    static func number(_ text: String) -> String {
        guard let d = Double(text), d.isFinite else { return text }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
