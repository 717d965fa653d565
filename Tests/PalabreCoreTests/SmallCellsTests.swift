import Foundation
import PalabreCore
import Testing

/// Small numbers: no count of fewer than the threshold of people reaches an analyst, directly or by subtraction.
@Suite struct SmallCellsTests {
    /// Participants registered at sessions: (sex, age band, role) per person.
    func indicators(_ people: [(String, String, String)], headcounts: (women: Int, men: Int)? = nil) -> Indicators {
        var records: [(form: String, id: String, values: [String: Value])] = [
            (
                "session", "s1",
                ["region": .string("gao"), "date": .string("2026-11-02"), "format": .string("women")]
            )
        ]
        for (i, p) in people.enumerated() {
            records.append(
                (
                    "participant", "p\(i)",
                    ["session": .string("s1"), "sex": .string(p.0), "age_band": .string(p.1), "role": .string(p.2)]
                ))
        }
        if let headcounts {
            records.append(
                (
                    "session", "s2",
                    [
                        "region": .string("gao"), "date": .string("2026-11-03"), "format": .string("youth"),
                        "women_count": .integer(Int64(headcounts.women)), "men_count": .integer(Int64(headcounts.men)),
                    ]
                ))
        }
        return Indicators(records: records, map: IndicatorsTests.map, today: "2026-12-01")
    }

    func people(_ n: Int, _ sex: String, _ band: String, _ role: String) -> [(String, String, String)] {
        Array(repeating: (sex, band, role), count: n)
    }

    @Test func aSmallCountIsWithheldAndSoIsTheOneThatWouldGiveItAway() throws {
        // 3 women and 12 men: "women" is withheld, and "men" with it (15 − 12 would say 3); the total stays.
        let ind = indicators(people(3, "female", "25_35", "elder") + people(12, "male", "25_35", "elder"))
            .withholdingSmallCells(below: 5)
        #expect(ind.isWithheld("participants.women") && ind.isWithheld("participants.men"))
        #expect(!ind.isWithheld("participants.total") && ind.participants == 15)
        #expect(ind.isWithheld("participants.share_women"))
        let json = ind.json
        #expect(json["participants"]?["women"] == .null && json["participants"]?["men"] == .null)
        #expect(json["participants"]?["total"]?.intValue == 15)
        #expect(json["withheld"]?["below"]?.intValue == 5)
    }

    @Test func aLoneSmallAgeBandTakesTheNextSmallestWithIt() throws {
        let ind = indicators(
            people(2, "female", "under_18", "youth") + people(8, "female", "25_35", "elder") + people(10, "male", "36_59", "elder")
        ).withholdingSmallCells(below: 5)
        #expect(ind.isWithheld("participants.by_age_band.under_18") && ind.isWithheld("participants.by_age_band.25_35"))
        #expect(!ind.isWithheld("participants.by_age_band.36_59"), "one more hidden count is enough")
        // Youth: 2 of 20 is small: withheld, and the shares with it; the 18 others are not shown, so nothing else need go.
        #expect(ind.isWithheld("participants.youth") && ind.isWithheld("participants.share_youth"))
        #expect(!ind.isWithheld("participants.women") && !ind.isWithheld("participants.registered"))
    }

    /// Youth is its two age bands: with 18 aged 18 to 24 shown, a youth count of 21 would say 3 under 18.
    @Test func aSmallYouthBandCannotBeFoundFromTheYouthCount() throws {
        let ind = indicators(
            people(3, "female", "under_18", "youth") + people(18, "male", "18_24", "youth") + people(20, "female", "36_59", "elder")
        ).withholdingSmallCells(below: 5)
        #expect(ind.isWithheld("participants.by_age_band.under_18"))
        #expect(ind.isWithheld("participants.by_age_band.18_24") || ind.isWithheld("participants.youth"), "\(ind.withheld)")
    }

    @Test func zeroSinglesNoOneOutAndAThresholdOfOneWithholdsNothing() throws {
        let ind = indicators(people(6, "female", "25_35", "elder") + people(7, "male", "25_35", "elder"))
        let five = ind.withholdingSmallCells(below: 5)
        #expect(five.withheld.isEmpty, "\(five.withheld)")
        #expect(five.json["participants"]?["youth"]?.intValue == 0)
        let small = indicators(people(1, "female", "25_35", "elder")).withholdingSmallCells(below: 1)
        #expect(small.withheld.isEmpty && small.json["participants"]?["women"]?.intValue == 1)
    }

    @Test func aSmallTotalIsWithheldWithEverythingInIt() throws {
        let ind = indicators(people(2, "female", "25_35", "elder") + people(1, "male", "25_35", "elder")).withholdingSmallCells(below: 5)
        for path in ["participants.total", "participants.registered", "participants.women", "participants.men", "participants.by_role.elder"] {
            #expect(ind.isWithheld(path), "\(path)")
        }
    }

    /// Whatever the counts, what an analyst can work out by subtraction from the counts shown (a set's total minus
    /// its shown parts) is 0 or at least 5 people, and no count of 1 to 4 is shown.
    @Test(arguments: 0..<60) func noSmallGroupCanBeWorkedOutFromWhatIsShown(_ seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        let sexes = ["female", "male", "unknown"], bands = ["under_18", "18_24", "25_35", "36_59"], roles = ["elder", "youth", "chief"]
        var list: [(String, String, String)] = []
        for _ in 0..<Int.random(in: 1...30, using: &rng) {
            list.append((sexes.randomElement(using: &rng)!, bands.randomElement(using: &rng)!, roles.randomElement(using: &rng)!))
        }
        let ind = indicators(list).withholdingSmallCells(below: 5)
        /// A count as the analyst reads it: nil when withheld.
        func shown(_ path: String, _ n: Int) -> Int? { ind.isWithheld(path) ? nil : n }
        func check(_ total: Int?, _ parts: [Int?], _ what: String) {
            for p in parts.compactMap({ $0 }) { #expect(p == 0 || p >= 5, "\(what): \(p) shown") }
            guard let total else { return }
            let rest = total - parts.compactMap { $0 }.reduce(0, +)
            #expect(rest == 0 || rest >= 5, "\(what): \(rest) worked out (\(ind.withheld.sorted()))")
        }
        let total = shown("participants.total", ind.participants)
        // Women and men, with whoever is neither (never shown).
        check(total, [shown("participants.women", ind.women), shown("participants.men", ind.men)], "sex")
        check(total, [shown("participants.youth", ind.youth)], "youth")
        let registered = shown("participants.registered", ind.registered)
        check(registered, bands.map { b in ind.byAgeBand[b].map { shown("participants.by_age_band." + b, $0) } ?? 0 }, "age bands")
        check(registered, roles.map { r in ind.byRole[r].map { shown("participants.by_role." + r, $0) } ?? 0 }, "roles")
        check(
            shown("participants.youth", ind.youth),
            ["under_18", "18_24"].map { b in ind.byAgeBand[b].map { shown("participants.by_age_band." + b, $0) } ?? 0 }, "youth bands")
    }
}
