import Foundation

/// Reads a field's value from what a person typed (`--set`, a prompt, a CSV cell) or from JSON.
public enum FieldParser {
    /// Parses typed text for a field; the caller treats empty text as "no value" before calling.
    ///
    /// Integers and decimals accept spaces between thousands and a decimal comma (`2 500 000`, `2,5`), as French
    /// speakers write them; choices their code or label (``Field/matchChoice(_:)``), several separated by commas or
    /// spaces; geopoints `lat lon`; dates `YYYY-MM-DD`, and with `dayFirst` (what a person types in Mali) also
    /// `02/11/2026`. A file is read without `dayFirst`: a spreadsheet may have written `11/02/2026` month first.
    ///
    /// - Throws: ``ValidationError`` naming the field, the text and the rule.
    public static func parse(_ raw: String, for field: Field, form: String, dayFirst: Bool = true) throws(ValidationError) -> Value {
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
        case .date, .today:
            // In a file, only YYYY-MM-DD: 11/02/2026 may be a spreadsheet's month first.
            if !dayFirst, text.split(separator: "-", omittingEmptySubsequences: false).map(\.count) != [4, 2, 2] {
                throw fail(.wrongType(.date))
            }
            switch readDate(text) {
            case .day(let d): return .string(d.text)
            case .noSuchDay(let y, let m, let d): throw fail(.noSuchDate(year: y, month: m, day: d))
            case .unreadable: throw fail(.wrongType(.date))
            }
        case .time:
            guard let t = DateTimeText.timeOfDay(text) else { throw fail(.wrongType(.time)) }
            return .string(t)
        case .datetime, .start, .end:
            guard let t = DateTimeText.dateTime(text) else { throw fail(.wrongType(field.type)) }
            return .string(t)
        case .note:
            throw fail(.wrongType(.note))
        case .acknowledge:
            guard acknowledgements.contains(text.lowercased()) else { throw fail(.wrongType(.acknowledge)) }
            return .string("OK")
        case .calculate, .deviceid:
            return .string(text)
        case .selectOne:
            guard let choice = field.matchChoice(text) else { throw fail(.notAChoice(field.choices.map(\.name))) }
            return .string(choice.name)
        case .selectMultiple:
            // One choice whose whole label has spaces ("Gestion de l'eau"), unless every word is a code of its own (codes
            // `1 2` are two choices, even where a label "1-2 ans" reads the same); else choices separated by commas when
            // there is one (labels may hold spaces), else by spaces.
            if text.contains(where: \.isWhitespace), !text.contains(","), !text.contains(";"),
                !text.split(whereSeparator: \.isWhitespace).allSatisfy({ field.choice(String($0)) != nil }),
                let whole = field.matchChoice(text, prefix: false)
            {
                return .list([whole.name])
            }
            let separators: (Character) -> Bool =
                text.contains(",") || text.contains(";") ? { $0 == "," || $0 == ";" } : { $0 == " " || $0 == "\t" }
            var picked: [String] = []
            for token in text.split(whereSeparator: separators).map({ trimmed(String($0)) }) where !token.isEmpty {
                guard let choice = field.matchChoice(token) else {
                    throw ValidationError(form: form, field: field.name, value: token, rule: .notAChoice(field.choices.map(\.name)))
                }
                if !picked.contains(choice.name) { picked.append(choice.name) }
            }
            return .list(picked)
        case .geopoint:
            switch readGeopoint(text) {
            case .point(let lat, let lon):
                if let rule = geopointRangeProblem(latitude: lat, longitude: lon) { throw fail(rule) }
                return .geopoint(latitude: lat, longitude: lon)
            case .ambiguous:
                throw fail(geopointFormatRule)
            case .unreadable:
                throw fail(.wrongType(.geopoint))
            }
        case .reference:
            guard RecordID.isValid(text) else { throw fail(.wrongType(.reference)) }
            return .string(text.lowercased())
        }
    }

    /// Converts a value read from JSON (an import line, a change) to the field's type, checking it.
    ///
    /// A string is parsed as typed text, so `"12"` is accepted for an integer; numbers must fit the type; dates are
    /// read as in a file (`YYYY-MM-DD` only, see ``parse(_:for:form:dayFirst:)``).
    public static func coerce(_ value: Value, for field: Field, form: String) throws(ValidationError) -> Value {
        func fail() -> ValidationError {
            ValidationError(form: form, field: field.name, value: value.displayString, rule: .wrongType(field.type))
        }
        switch (field.type, value) {
        case (_, .string(let s)):
            return try parse(s, for: field, form: form, dayFirst: false)
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
            // Each element on its own: a JSON list is already split.
            var picked: [String] = []
            for name in names {
                guard let choice = field.matchChoice(name) else {
                    throw ValidationError(form: form, field: field.name, value: name, rule: .notAChoice(field.choices.map(\.name)))
                }
                if !picked.contains(choice.name) { picked.append(choice.name) }
            }
            return .list(picked)
        case (.geopoint, .geopoint(let lat, let lon)):
            if let rule = geopointRangeProblem(latitude: lat, longitude: lon) {
                throw ValidationError(form: form, field: field.name, value: value.displayString, rule: rule)
            }
            return value
        case (.text, .integer), (.text, .decimal), (.calculate, .integer), (.calculate, .decimal), (.calculate, .bool):
            return .string(value.displayString)
        default:
            throw fail()
        }
    }

    /// Whether a value already has the shape its field's type stores (used when merging values from elsewhere).
    public static func hasStoredShape(_ value: Value, for type: FieldType) -> Bool {
        switch (type, value) {
        case (.text, .string), (.date, .string), (.selectOne, .string), (.reference, .string): return true
        case (.time, .string), (.datetime, .string), (.acknowledge, .string), (.calculate, .string): return true
        case (.start, .string), (.end, .string), (.today, .string), (.deviceid, .string): return true
        case (.integer, .integer), (.decimal, .decimal), (.selectMultiple, .list), (.geopoint, .geopoint): return true
        default: return false
        }
    }

    /// What ticks an `acknowledge` box, in French and English.
    static let acknowledgements: Set<String> = ["ok", "yes", "y", "oui", "o", "true", "1", "vu"]

    /// What a typed position reads as.
    enum GeopointReading: Equatable {
        case point(Double, Double)
        /// Commas that could be decimal commas or separators (`16,27`): refused rather than guessed.
        case ambiguous
        case unreadable
    }

    /// Reads `latitude longitude` in decimal degrees, each with a decimal point or a decimal comma (`16,27 -0,04`,
    /// `16.27 -0.04`), separated by spaces or `;`; a comma is read as the separator only where it cannot be a decimal
    /// comma (`16.27, -0.04`, `16.27,-0.04`). ODK's `lat lon altitude accuracy` is accepted (the last two ignored).
    static func readGeopoint(_ text: String) -> GeopointReading {
        var tokens = text.split(whereSeparator: { $0.isWhitespace || $0 == ";" }).map(String.init).filter { $0 != "," }
        if tokens.count == 1 {
            // One word: its single comma is the separator only next to a decimal point or before a sign.
            let t = tokens[0]
            let parts = t.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if parts.count == 4, parts[0].contains("."), parts[1].contains("."), parts.allSatisfy({ !$0.isEmpty }) {
                // ODK's four numbers, comma-separated, with decimal points: the commas can only be separators.
                tokens = parts
            } else {
                guard parts.count == 2 else { return parts.count > 2 ? .ambiguous : .unreadable }
                guard parts[0].contains(".") || parts[1].contains(".") || parts[1].hasPrefix("-") || parts[1].hasPrefix("+")
                else { return .ambiguous }
                tokens = parts
            }
        } else {
            // A comma at the end of a word, or alone at the start of the next, separates: `16.27, -0.04`.
            for i in tokens.indices {
                if i < tokens.count - 1, tokens[i].hasSuffix(",") { tokens[i].removeLast() }
                if i > 0, tokens[i].hasPrefix(",") { tokens[i].removeFirst() }
            }
        }
        guard tokens.count == 2 || tokens.count == 4 else { return .unreadable }
        var numbers: [Double] = []
        for t in tokens.prefix(2) {
            let commas = t.filter { $0 == "," }.count
            // `1.234,5` or `1,2,3`: a comma that is neither clearly decimal nor clearly a separator.
            if commas > 1 || (commas == 1 && t.contains(".")) { return .ambiguous }
            let n = t.replacingOccurrences(of: ",", with: ".")
            let body = n.hasPrefix("-") || n.hasPrefix("+") ? n.dropFirst() : Substring(n)
            let halves = body.split(separator: ".", omittingEmptySubsequences: false)
            // Digits on both sides of the point, or none before it (`.5`, `-.5`).
            guard (1...2).contains(halves.count), !halves.last!.isEmpty,
                halves.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                let d = Double(n), d.isFinite
            else { return .unreadable }
            numbers.append(d)
        }
        return .point(numbers[0], numbers[1])
    }

    /// The rule a position that cannot be read without guessing breaks, in words.
    public static let geopointFormatRule = ValidationError.Rule.constraint(
        "latitude longitude",
        LocalizedText([
            "fr": "écrivez la latitude, une espace, puis la longitude, en degrés décimaux (16,27 -0,04 ou 16.27 -0.04)",
            "en": "write the latitude, a space, then the longitude, in decimal degrees (16.27 -0.04 or 16,27 -0,04)",
        ]))

    /// The rule a position breaks when its latitude is not within −90…90 or its longitude within −180…180, or nil.
    ///
    /// Shared by what is typed, imported and received from elsewhere (``Validator`` checks stored positions with it).
    public static func geopointRangeProblem(latitude: Double, longitude: Double) -> ValidationError.Rule? {
        if !(-90...90).contains(latitude) {
            return .constraint(
                "-90 <= latitude <= 90",
                LocalizedText([
                    "fr": "la latitude (le premier nombre) est comprise entre -90 et 90 degrés",
                    "en": "the latitude (the first number) is between -90 and 90 degrees",
                ]))
        }
        if !(-180...180).contains(longitude) {
            return .constraint(
                "-180 <= longitude <= 180",
                LocalizedText([
                    "fr": "la longitude (le second nombre) est comprise entre -180 et 180 degrés",
                    "en": "the longitude (the second number) is between -180 and 180 degrees",
                ]))
        }
        return nil
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

    /// What a typed date reads as.
    public enum TypedDate: Equatable, Sendable {
        case day(CivilDate)
        /// Well formed, but the calendar has no such day (`2026-11-31`).
        case noSuchDay(year: Int, month: Int, day: Int)
        case unreadable
    }

    /// Reads a date as people type it: `2026-11-02`, or day first as in French, `2/11/2026`, `02/11/2026`,
    /// `02-11-2026` or `02.11.2026`, from 1900.
    public static func readDate(_ text: String) -> TypedDate {
        let parts: [Substring]
        let dayFirst: Bool
        if let iso = CivilDate(text, earliestYear: 1900) { return .day(iso) }
        if text.count == 10, text.split(separator: "-").map(\.count) == [4, 2, 2] {
            parts = text.split(separator: "-")
            dayFirst = false
        } else {
            parts = text.split(whereSeparator: { $0 == "/" || $0 == "-" || $0 == "." })
            guard parts.count == 3, (1...2).contains(parts[0].count), (1...2).contains(parts[1].count), parts[2].count == 4 else {
                return .unreadable
            }
            dayFirst = true
        }
        guard parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }), parts.count == 3,
            let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2])
        else { return .unreadable }
        let (y, m, d) = dayFirst ? (c, b, a) : (a, b, c)
        guard y >= 1900, (1...12).contains(m), d >= 1 else { return .unreadable }
        if let day = CivilDate(year: y, month: m, day: d) { return .day(day) }
        return d <= 31 ? .noSuchDay(year: y, month: m, day: d) : .unreadable
    }

    /// Whether `s` is a real calendar date written `YYYY-MM-DD`, from `earliestYear` (1900 for values a facilitator
    /// types; a filter of the service takes any year of RFC 3339's `full-date`, 0000 to 9999).
    public static func isDate(_ s: String, earliestYear: Int = 1900) -> Bool { CivilDate(s, earliestYear: earliestYear) != nil }
}
