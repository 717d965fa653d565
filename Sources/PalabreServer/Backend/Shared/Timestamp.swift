import Foundation
import PalabreCore

/// Dates as the service's tables keep them: ISO 8601 text to the second, UTC (`2026-11-29T11:37:31Z`).
///
/// Written and read without `ISO8601DateFormatter`: every request reads a device's three dates and every push writes
/// two, and a formatter (ICU underneath) cost a tenth of the service's CPU under load.
enum Timestamp {
    static func text(_ date: Date) -> String { ISOTime.text(date, fraction: false) }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        return ISOTime.date(text) ?? ISO8601DateFormatter().date(from: text)
    }
}
