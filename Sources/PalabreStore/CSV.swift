import Foundation

/// A small RFC 4180 CSV reader: quoted fields, doubled quotes, newlines inside quotes, CRLF, a UTF-8 byte-order
/// mark (as Excel writes), and `,` or `;` as separator (French Excel writes `;`).
public struct CSVReader {
    /// Rows, each with the line number it starts on.
    public private(set) var rows: [(line: Int, fields: [String])] = []

    /// Parses a whole text.
    ///
    /// - Throws: ``StoreError`` naming the line of an unterminated quote.
    public init(text: String, separator: Character? = nil) throws(StoreError) {
        var s = Substring(text)
        if s.hasPrefix("\u{FEFF}") { s = s.dropFirst() }
        let firstLine = s.prefix { $0 != "\n" && $0 != "\r\n" }
        let sep: UInt8 = {
            if let separator { return separator.asciiValue ?? 44 }
            return firstLine.filter { $0 == ";" }.count > firstLine.filter { $0 == "," }.count ? 59 : 44
        }()
        let bytes = Array(s.utf8)
        var i = 0
        var line = 1
        var field: [UInt8] = []
        var fields: [String] = []
        var rowLine = 1
        var inQuotes = false
        var quoteLine = 0
        var any = false
        while i < bytes.count {
            let c = bytes[i]
            if inQuotes {
                if c == 34 {
                    if i + 1 < bytes.count, bytes[i + 1] == 34 {
                        field.append(34)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if c == 10 { line += 1 }
                    field.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case 34:
                inQuotes = true
                quoteLine = line
                any = true
            case sep:
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                any = true
            case 13:
                break
            case 10:
                if any || !field.isEmpty {
                    fields.append(String(decoding: field, as: UTF8.self))
                    rows.append((rowLine, fields))
                }
                fields = []
                field.removeAll(keepingCapacity: true)
                any = false
                line += 1
                rowLine = line
            default:
                field.append(c)
                any = true
            }
            i += 1
        }
        if inQuotes { throw .other("line \(quoteLine): a quoted field is never closed") }
        if any || !field.isEmpty {
            fields.append(String(decoding: field, as: UTF8.self))
            rows.append((rowLine, fields))
        }
    }
}
