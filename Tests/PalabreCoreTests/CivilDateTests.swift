import Foundation
import PalabreCore
import Testing

/// The one date module, checked against Foundation's formatter over two centuries of days.
@Suite struct CivilDateTests {
    @Test func everyDayFrom1900To2100MatchesFoundationBothWays() {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        f.timeZone = TimeZone(identifier: "UTC")
        let first = CivilDate("1900-01-01")!.daysSince1970, last = CivilDate("2100-12-31")!.daysSince1970
        var mismatches: [String] = []
        for days in stride(from: first, through: last, by: 1) {
            let day = CivilDate(daysSince1970: days)
            let expected = f.string(from: Date(timeIntervalSince1970: Double(days) * 86_400))
            if day.text != expected || CivilDate(expected)?.daysSince1970 != days { mismatches.append("\(days): \(day.text) vs \(expected)") }
            if mismatches.count > 5 { break }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(last - first + 1 == 73_414)
    }

    @Test func onlyRealDaysAreRead() {
        for bad in ["2026-02-29", "2026-11-31", "2026-13-01", "2026-00-10", "2026-1-01", "26-01-01", "2026/01/01", "2026-01-01 ", "２０２６-01-01", ""] {
            #expect(CivilDate(bad) == nil, "\(bad)")
        }
        #expect(CivilDate("2024-02-29")?.text == "2024-02-29")
        #expect(CivilDate("2000-02-29") != nil && CivilDate("1900-02-29") == nil)
        #expect(CivilDate("1899-12-31", earliestYear: 1900) == nil && CivilDate("0263-06-04") != nil)
        #expect(CivilDate("2026-11-30")!.adding(days: -90).text == "2026-09-01")
        #expect(CivilDate("2026-12-31")!.adding(days: 1).text == "2027-01-01")
        #expect(CivilDate("2026-03-01")! > CivilDate("2026-02-28")!)
    }

    @Test func aMomentFallsOnTheDayOfItsTimeZone() {
        let lateEvening = Date(timeIntervalSince1970: 1_764_543_600)  // 2025-11-30T23:00:00Z
        #expect(CivilDate(lateEvening).text == "2025-11-30")
        #expect(CivilDate(lateEvening, in: TimeZone(secondsFromGMT: 3600)).text == "2025-12-01")
        #expect(CivilDate(lateEvening, in: TimeZone(secondsFromGMT: -3600)).text == "2025-11-30")
        #expect(CivilDate(Date(timeIntervalSince1970: -1)).text == "1969-12-31")
    }

    @Test func timesAreWrittenAndReadAsFoundationDoes() {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let ms = Int64.random(in: -2_208_988_800_000...4_102_444_800_000, using: &g)  // 1900 to 2100
            let text = ISOTime.text(milliseconds: ms)
            #expect(text == f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000)), "\(ms)")
            #expect(ISOTime.milliseconds(text) == ms)
            #expect(ISOTime.milliseconds(ISOTime.text(milliseconds: ms, fraction: false)) == ms - ((ms % 1000) + 1000) % 1000)
        }
        for bad in ["2026-11-29T24:00:00Z", "2026-11-29T08:45:58", "2026-02-30T08:45:58Z", "2026-11-29 08:45:58Z", "2026-11-29T08:45:58.12Z"] {
            #expect(ISOTime.milliseconds(bad) == nil, "\(bad)")
        }
    }
}
