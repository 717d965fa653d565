import Foundation
@testable import PalabreServer
import Testing

/// The service's stored dates, written and read without a date formatter, agree with ISO8601DateFormatter.
struct TimestampTests {
    @Test(arguments: [0.0, 1_788_000_000, 1_795_952_790.999, 951_782_400, -86_400 * 365.25 * 30, 4_102_444_799])
    func textIsWhatTheFormatterWritesAndReadsBack(_ seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let text = Timestamp.text(date)
        #expect(text == ISO8601DateFormatter().string(from: date))
        #expect(Timestamp.date(text) == ISO8601DateFormatter().date(from: text))
    }

    @Test func otherFormsAreStillRead() {
        #expect(Timestamp.date("2026-11-29T11:37:31.250Z") == Date(timeIntervalSince1970: 1_795_952_251.25))
        #expect(Timestamp.date("2026-11-29T12:37:31+01:00") == Date(timeIntervalSince1970: 1_795_952_251))
        #expect(Timestamp.date("2026-13-29T11:37:31Z") == nil)
        #expect(Timestamp.date("not a date") == nil)
        #expect(Timestamp.date(nil) == nil)
    }
}
