import ArgumentParser
import Foundation
import PalabreCore

/// `palabre-bench dates`: the date module (``ISOTime``, ``CivilDate``) against Foundation's `Date.ISO8601FormatStyle`
/// and `ISO8601DateFormatter`, writing and reading the same moments in one run.
struct Dates: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time writing and reading ISO 8601 dates: Palabre's against Foundation's.")
    @Option(help: "Moments to write and read.") var count = 1_000_000

    func run() throws {
        var g = SystemRandomNumberGenerator()
        let moments = (0..<count).map { _ in Int64.random(in: 1_600_000_000_000...1_900_000_000_000, using: &g) }
        let dates = moments.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        func time(_ label: String, _ body: () -> Int) -> Double {
            let start = ContinuousClock.now
            let n = body()
            let d = ContinuousClock.now - start
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            print("  \(label.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%8.0f", Double(count) / s)) /s  (\(n))")
            return s
        }
        print("dates: \(count) moments")
        let ours = time("write ISOTime.text") { moments.reduce(0) { $0 + ISOTime.text(milliseconds: $1).utf8.count } }
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let theirs = time("write Date.ISO8601FormatStyle") { dates.reduce(0) { $0 + style.format($1).utf8.count } }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let legacy = time("write ISO8601DateFormatter (one, reused)") { dates.reduce(0) { $0 + formatter.string(from: $1).utf8.count } }
        let texts = moments.map { ISOTime.text(milliseconds: $0) }
        let readOurs = time("read ISOTime.milliseconds") { texts.reduce(0) { $0 + Int((ISOTime.milliseconds($1) ?? 0) & 1) } }
        let readTheirs = time("read Date.ISO8601FormatStyle") { texts.reduce(0) { $0 + ((try? style.parse($1)) == nil ? 0 : 1) } }
        let days = moments.map { CivilDate(daysSince1970: $0 / 86_400_000).text }
        let dayOurs = time("read and write CivilDate") { days.reduce(0) { $0 + (CivilDate($1)?.adding(days: -90).text.count ?? 0) } }
        print(
            String(
                format: "  ratio, writing: Palabre %.1f× FormatStyle, %.1f× ISO8601DateFormatter; reading: %.1f× FormatStyle",
                theirs / ours, legacy / ours, readTheirs / readOurs))
        _ = dayOurs
    }
}
