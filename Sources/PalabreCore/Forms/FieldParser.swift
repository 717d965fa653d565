import Foundation

/// Reads a field's value from what a person typed (`--set`, a prompt, a CSV cell) or from JSON.
public enum FieldParser {
    /// Parses typed text for a field; the caller treats empty text as "no value" before calling.
    ///
    /// Integers and decimals accept spaces between thousands and a decimal comma (`2 500 000`, `2,5`), as French
    /// speakers write them; select_multiple takes choice names separated by spaces; geopoints `lat lon`.
    ///
    /// - Throws: ``ValidationError`` naming the field, the text and the rule.
    public static func parse(_ raw: String, for field: Field, form: String) throws(ValidationError) -> Value {
        let text = trimmed(raw)
        func fail(_ rule: ValidationError.Rule) -> ValidationError {
            ValidationError(form: form, field: field.name, value: raw, rule: rule)
        }
        switch field.type {
        case .text:
            return .string(text)
        case .integer:
            guard let i = Int64(numeric(text)) else { throw fail(.wrongType(.integer)) }
            return .integer(i)
        case .decimal:
            var n = numeric(text)
            if !n.contains("."), n.filter({ $0 == "," }).count == 1 { n = n.replacingOccurrences(of: ",", with: ".") }
            // Only plain decimal notation: Double("0x10") would read hexadecimal, and "inf" or "nan" are no numbers.
            guard n.allSatisfy({ "0123456789.-+eE".contains($0) }), let d = Double(n), d.isFinite, n.first != "." && !n.hasPrefix("-.")
            else { throw fail(.wrongType(.decimal)) }
            return .decimal(d)
        case .date:
            guard isDate(text) else { throw fail(.wrongType(.date)) }
            return .string(text)
        case .selectOne:
            guard field.choice(text) != nil else { throw fail(.notAChoice(field.choices.map(\.name))) }
            return .string(text)
        case .selectMultiple:
            var picked: [String] = []
            for name in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init) {
                guard field.choice(name) != nil else {
                    throw ValidationError(form: form, field: field.name, value: name, rule: .notAChoice(field.choices.map(\.name)))
                }
                if !picked.contains(name) { picked.append(name) }
            }
            return .list(picked)
        case .geopoint:
            let parts = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == ";" })
            guard parts.count == 2 || parts.count == 4, let lat = Double(parts[0]), let lon = Double(parts[1]),
                (-90...90).contains(lat), (-180...180).contains(lon)
            else { throw fail(.wrongType(.geopoint)) }
            return .geopoint(latitude: lat, longitude: lon)
        case .reference:
            guard RecordID.isValid(text) else { throw fail(.wrongType(.reference)) }
            return .string(text.lowercased())
        }
    }

    /// Converts a value read from JSON (an import line, a change) to the field's type, checking it.
    ///
    /// A string is parsed as typed text, so `"12"` is accepted for an integer; numbers must fit the type.
    public static func coerce(_ value: Value, for field: Field, form: String) throws(ValidationError) -> Value {
        func fail() -> ValidationError {
            ValidationError(form: form, field: field.name, value: value.displayString, rule: .wrongType(field.type))
        }
        switch (field.type, value) {
        case (_, .string(let s)):
            return try parse(s, for: field, form: form)
        case (.integer, .integer):
            return value
        case (.integer, .decimal(let d)):
            guard d == d.rounded(), abs(d) < 9e15 else { throw fail() }
            return .integer(Int64(d))
        case (.decimal, .integer(let i)):
            return .decimal(Double(i))
        case (.decimal, .decimal(let d)):
            guard d.isFinite else { throw fail() }
            return value
        case (.selectMultiple, .list(let names)):
            return try parse(names.joined(separator: " "), for: field, form: form)
        case (.geopoint, .geopoint(let lat, let lon)):
            guard (-90...90).contains(lat), (-180...180).contains(lon) else { throw fail() }
            return value
        case (.text, .integer), (.text, .decimal):
            return .string(value.displayString)
        default:
            throw fail()
        }
    }

    /// Whether a value already has the shape its field's type stores (used when merging values from elsewhere).
    public static func hasStoredShape(_ value: Value, for type: FieldType) -> Bool {
        switch (type, value) {
        case (.text, .string), (.date, .string), (.selectOne, .string), (.reference, .string): return true
        case (.integer, .integer), (.decimal, .decimal), (.selectMultiple, .list), (.geopoint, .geopoint): return true
        default: return false
        }
    }

    /// Trims white space at both ends without going through Foundation (hot in imports).
    static func trimmed(_ s: String) -> String {
        guard let f = s.first, let l = s.last, f.isWhitespace || l.isWhitespace else { return s }
        return String(s.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    static func numeric(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 32 || $0 == 0xC2 || $0 == 0xE2 || $0 == 95 }) else { return s }
        // Thin and non-breaking spaces are what French keyboards and spreadsheets put between thousands.
        return s.filter { $0 != " " && $0 != "\u{00A0}" && $0 != "\u{202F}" && $0 != "_" }
    }

    /// Whether `s` is a real calendar date written `YYYY-MM-DD`.
    public static func isDate(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 10, u[4] == 45, u[7] == 45 else { return false }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard (48...57).contains(u[i]) else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10), y >= 1900, (1...12).contains(m), d >= 1 else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return d <= days
    }
}
