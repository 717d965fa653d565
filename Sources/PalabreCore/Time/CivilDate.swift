import Foundation

/// A day of the calendar, as forms, filters and indicators write it: `YYYY-MM-DD`, proleptic Gregorian.
///
/// The one place Palabre turns days into numbers and back (Howard Hinnant's `days_from_civil` and `civil_from_days`):
/// no `Calendar`, no formatter, so it is cheap enough for every record of an export and gives the same answer on
/// every machine whatever its locale.
///
/// ```swift
/// CivilDate("2026-02-29")                        // nil: 2026 is not a leap year
/// CivilDate("2026-11-30")!.adding(days: -90).text  // "2026-09-01"
/// CivilDate(Date(timeIntervalSince1970: 0)).text   // "1970-01-01"
/// ```
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A real calendar day, or nil.
    public init?(year: Int, month: Int, day: Int) {
        guard (0...9999).contains(year), (1...12).contains(month), day >= 1, day <= Self.days(inMonth: month, of: year) else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// Reads `YYYY-MM-DD` (exactly ten characters, a real day, from `earliestYear`), or nil.
    public init?(_ text: String, earliestYear: Int = 0) {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == 45, u[7] == 45 else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard (48...57).contains(u[i]) else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10), y >= earliestYear else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The day `days` after 1970-01-01 (before it when negative).
    public init(daysSince1970 days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400 + (mp < 10 ? 0 : 1))
    }

    /// The day a moment falls on in a time zone (UTC unless said).
    public init(_ date: Date, in zone: TimeZone? = nil) {
        let offset = Double(zone?.secondsFromGMT(for: date) ?? 0)
        self.init(daysSince1970: Int64(((date.timeIntervalSince1970 + offset) / 86_400).rounded(.down)))
    }

    /// Days since 1970-01-01.
    public var daysSince1970: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month), d = Int64(day)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The day `days` later (earlier when negative).
    public func adding(days: Int) -> CivilDate { CivilDate(daysSince1970: daysSince1970 + Int64(days)) }

    /// `YYYY-MM-DD`.
    public var text: String {
        guard (0...9999).contains(year) else { return Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2) }
        return String(unsafeUninitializedCapacity: 10) { out in
            Self.digits(Int64(year), 4, at: 0, in: out)
            out[4] = 45
            Self.digits(Int64(month), 2, at: 5, in: out)
            out[7] = 45
            Self.digits(Int64(day), 2, at: 8, in: out)
            return 10
        }
    }

    /// Writes `n` (not negative) as `width` decimal digits at `i`: the writer behind `text` and ``ISOTime``.
    @inline(__always)
    static func digits(_ n: Int64, _ width: Int, at i: Int, in out: UnsafeMutableBufferPointer<UInt8>) {
        var v = n
        for k in stride(from: i + width - 1, through: i, by: -1) {
            out[k] = UInt8(48 + v % 10)
            v /= 10
        }
    }
    public var description: String { text }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    /// Today in the machine's time zone (what a facilitator calls today), or in UTC (the service's day).
    public static func today(_ now: Date = Date(), utc: Bool = false) -> CivilDate { CivilDate(now, in: utc ? nil : .current) }

    static func days(inMonth month: Int, of year: Int) -> Int {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    static func pad(_ n: some BinaryInteger, _ width: Int) -> String {
        if n < 0 { return "-" + pad(0 - n, width) }
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

/// A moment as Palabre writes it: ISO 8601 in UTC, to the millisecond (`2026-11-29T08:45:58.123Z`: exports, records,
/// stamps) or to the second (`2026-11-29T08:45:58Z`: the service's tables, the CLI's history).
public enum ISOTime {
    /// The text of a moment in milliseconds since 1970.
    public static func text(milliseconds ms: Int64, fraction: Bool = true) -> String {
        let days = Int64((Double(ms) / 86_400_000).rounded(.down))
        let rest = ms - days * 86_400_000
        let day = CivilDate(daysSince1970: days)
        guard (0...9999).contains(day.year) else {
            let time = CivilDate.pad(rest / 3_600_000, 2) + ":" + CivilDate.pad(rest / 60_000 % 60, 2) + ":" + CivilDate.pad(rest / 1000 % 60, 2)
            return day.text + "T" + time + (fraction ? "." + CivilDate.pad(rest % 1000, 3) : "") + "Z"
        }
        // Digits written straight into the string's storage: this runs twice for every exported record.
        return String(unsafeUninitializedCapacity: 24) { out in
            func put(_ n: Int64, _ width: Int, at i: Int) { CivilDate.digits(n, width, at: i, in: out) }
            put(Int64(day.year), 4, at: 0)
            out[4] = 45
            put(Int64(day.month), 2, at: 5)
            out[7] = 45
            put(Int64(day.day), 2, at: 8)
            out[10] = 84
            put(rest / 3_600_000, 2, at: 11)
            out[13] = 58
            put(rest / 60_000 % 60, 2, at: 14)
            out[16] = 58
            put(rest / 1000 % 60, 2, at: 17)
            guard fraction else {
                out[19] = 90
                return 20
            }
            out[19] = 46
            put(rest % 1000, 3, at: 20)
            out[23] = 90
            return 24
        }
    }

    /// The text of a date.
    public static func text(_ date: Date, fraction: Bool = true) -> String {
        text(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)), fraction: fraction)
    }

    /// Reads `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ` (what ``text(milliseconds:fraction:)`` writes), else nil.
    public static func milliseconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 20 || b.count == 24, b[10] == 84, b[13] == 58, b[16] == 58, b.last == 90,
            let day = CivilDate(String(decoding: b[0..<10], as: UTF8.self))
        else { return nil }
        func num(_ from: Int, _ count: Int) -> Int64? {
            var n: Int64 = 0
            for i in from..<(from + count) {
                guard (48...57).contains(b[i]) else { return nil }
                n = n * 10 + Int64(b[i] - 48)
            }
            return n
        }
        guard let hh = num(11, 2), let mm = num(14, 2), let ss = num(17, 2), hh < 24, mm < 60, ss < 61 else { return nil }
        var ms: Int64 = 0
        if b.count == 24 {
            guard b[19] == 46, let f = num(20, 3) else { return nil }
            ms = f
        }
        return (day.daysSince1970 * 86_400 + hh * 3600 + mm * 60 + ss) * 1000 + ms
    }

    /// The date a text names, else nil.
    public static func date(_ text: String) -> Date? { milliseconds(text).map { Date(timeIntervalSince1970: Double($0) / 1000) } }
}
