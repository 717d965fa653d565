import Foundation

/// Times of day and moments as forms store them (XLSForm's `time` and `datetime`), and the date functions of
/// expressions (`now()`, `date()`, `decimal-date-time()`).
///
/// A `time` is stored `HH:MM` (or `HH:MM:SS` when seconds were given); a `datetime` `YYYY-MM-DDTHH:MM[:SS]`, followed
/// by the zone when one was given (`Z`, `+01:00`): a facilitator's wall-clock time is kept as they read it.
public enum DateTimeText {
    /// The time of day a person typed, normalised, else nil: `9:05`, `09:05`, `09:05:30`, `9h05`, `14h` (as French
    /// speakers write it).
    public static func timeOfDay(_ raw: String) -> String? {
        var s = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if s.hasSuffix("h") { s += "00" }
        s = s.replacingOccurrences(of: "h", with: ":")
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        let n = parts.map { Int($0)! }
        guard n[0] < 24, n[1] < 60, parts[1].count == 2, n.count < 3 || (n[2] < 60 && parts[2].count == 2) else { return nil }
        return n.map { CivilDate.pad($0, 2) }.joined(separator: ":")
    }

    /// A moment a person typed or a device wrote, normalised, else nil: `2026-12-04 14:30`, `2026-12-04T14:30:00Z`,
    /// `2026-12-04T14:30+01:00`; the date must exist.
    public static func dateTime(_ raw: String) -> String? {
        let s = raw.trimmingCharacters(in: .whitespaces)
        guard s.count >= 16, let day = CivilDate(String(s.prefix(10)), earliestYear: 1900) else { return nil }
        let sep = s[s.index(s.startIndex, offsetBy: 10)]
        guard sep == "T" || sep == " " || sep == "t" else { return nil }
        var rest = String(s.dropFirst(11)).trimmingCharacters(in: .whitespaces)
        var zone = ""
        if rest.hasSuffix("Z") || rest.hasSuffix("z") {
            zone = "Z"
            rest.removeLast()
        } else if let i = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let z = String(rest[i...])
            // Exactly ±HH:MM.
            let digits = Array(z.utf8)
            guard digits.count == 6, digits[3] == UInt8(ascii: ":"),
                [1, 2, 4, 5].allSatisfy({ (48...57).contains(digits[$0]) }),
                let h = Int(z.dropFirst().prefix(2)), let m = Int(z.suffix(2)), h <= 14, m < 60
            else { return nil }
            zone = z
            rest = String(rest[..<i])
        }
        // Fractions of a second (devices write them) are kept out: a form's moment is to the second.
        if let dot = rest.firstIndex(of: "."), rest[rest.index(after: dot)...].allSatisfy(\.isNumber) { rest = String(rest[..<dot]) }
        guard rest.count >= 5, rest.contains(":"), !rest.contains("h"), let time = timeOfDay(rest) else { return nil }
        return day.text + "T" + time + zone
    }

    /// The current moment, `YYYY-MM-DDTHH:MM:SSZ`.
    public static func now(_ date: Date = Date()) -> String { ISOTime.text(date, fraction: false) }

    /// XPath `date()`: a number is days since 1970-01-01, a text begins with a date; nil when neither.
    static func date(_ v: ExpressionValue) -> String? {
        switch v {
        case .number(let d):
            guard d.isFinite, abs(d) < 3_000_000 else { return nil }
            return CivilDate(daysSince1970: Int64(d.rounded(.down))).text
        case .string(let s):
            return CivilDate(String(s.trimmingCharacters(in: .whitespaces).prefix(10)))?.text
        case .bool:
            return nil
        }
    }

    /// XPath `decimal-date-time()`: days since 1970-01-01 (UTC) of a date or a moment, with the time as a fraction.
    static func days(_ s: String) -> Double? {
        let text = s.trimmingCharacters(in: .whitespaces)
        if text.count == 10, let d = CivilDate(text) { return Double(d.daysSince1970) }
        guard let m = dateTime(text), let day = CivilDate(String(m.prefix(10))) else { return nil }
        // `dateTime` wrote it: `HH:MM[:SS]` then nothing, `Z` or exactly `±HH:MM`.
        let rest = Array(m.utf8.dropFirst(11))
        func number(_ at: Int) -> Int { Int(rest[at] - 48) * 10 + Int(rest[at + 1] - 48) }
        let hasSeconds = rest.count >= 8 && rest[5] == UInt8(ascii: ":")
        var seconds = Double(number(0) * 3600 + number(3) * 60 + (hasSeconds ? number(6) : 0))
        let zoneAt = hasSeconds ? 8 : 5
        if rest.count == zoneAt + 6 {
            let offset = (number(zoneAt + 1) * 60 + number(zoneAt + 4)) * 60
            seconds -= Double(rest[zoneAt] == UInt8(ascii: "-") ? -offset : offset)
        }
        return Double(day.daysSince1970) + seconds / 86_400
    }
}
