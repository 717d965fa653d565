import Foundation
import PalabreCore

/// One record read from an import file, before validation.
public struct ImportItem: Sendable {
    /// The line it starts on.
    public var line: Int
    /// The form named by the line, the column or the option.
    public var form: String
    /// The id, when the file gives one (so references inside the file resolve and a re-import is recognised).
    public var id: String?
    /// Field values as read: strings from CSV, JSON values from JSON Lines; converted per field type.
    public var values: [String: Value]
    /// Whether the values are raw text (CSV) to parse, rather than typed JSON values to coerce.
    public var textual: Bool
}

/// Reads import files: JSON Lines (`{"form":…,"id":…,"values":{…}}` or flat `{"form":…,"title":…}`) or CSV with a header.
public enum ImportReader {
    /// Reads a file, choosing the format by extension (`.csv` is CSV, anything else JSON Lines).
    ///
    /// - Throws: ``StoreError/importRejected(file:problems:)`` listing every unreadable line.
    public static func read(path: String, form: String?) throws(StoreError) -> [ImportItem] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .other("cannot read the file \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw .other("\(path) is not UTF-8 text") }
        return path.lowercased().hasSuffix(".csv") ? try csv(text, file: path, form: form) : try jsonLines(text, file: path, form: form)
    }

    /// Reads JSON Lines text.
    public static func jsonLines(_ text: String, file: String, form: String?) throws(StoreError) -> [ImportItem] {
        var items: [ImportItem] = []
        var problems: [String] = []
        var n = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy(\.isWhitespace) { continue }
            do {
                let json = try JSON.parse(String(line))
                guard case .object(let members) = json else { throw JSONError(message: "a line must be a JSON object", offset: 0) }
                let formName = json["form"]?.stringValue ?? form
                guard let formName else {
                    problems.append("line \(n): no form: give \"form\" in the line or --form")
                    continue
                }
                var values: [String: Value] = [:]
                if case .object(let vals)? = json["values"] {
                    for (k, v) in vals { if let value = try Value(json: v) { values[k] = value } }
                } else {
                    for (k, v) in members where !["form", "id", "values"].contains(k) {
                        if let value = try Value(json: v) { values[k] = value }
                    }
                }
                items.append(ImportItem(line: n, form: formName, id: json["id"]?.stringValue, values: values, textual: false))
            } catch {
                problems.append("line \(n): \(error)")
            }
        }
        if !problems.isEmpty { throw .importRejected(file: file, problems: problems) }
        return items
    }

    /// Reads CSV text with a header row; `form` and `id` columns are optional, empty cells are no value.
    public static func csv(_ text: String, file: String, form: String?) throws(StoreError) -> [ImportItem] {
        let reader = try CSVReader(text: text)
        guard let header = reader.rows.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces) }) else { return [] }
        var items: [ImportItem] = []
        var problems: [String] = []
        for (line, cells) in reader.rows.dropFirst() {
            if cells.count != header.count {
                problems.append("line \(line): \(cells.count) cells, but the header has \(header.count) columns")
                continue
            }
            var values: [String: Value] = [:]
            var formName = form
            var id: String?
            for (col, cell) in zip(header, cells) {
                switch col {
                case "form": if !cell.isEmpty { formName = cell }
                case "id": if !cell.isEmpty { id = cell }
                default: if !cell.isEmpty { values[col] = .string(cell) }
                }
            }
            guard let formName else {
                problems.append("line \(line): no form: add a 'form' column or give --form")
                continue
            }
            items.append(ImportItem(line: line, form: formName, id: id, values: values, textual: true))
        }
        if !problems.isEmpty { throw .importRejected(file: file, problems: problems) }
        return items
    }
}
