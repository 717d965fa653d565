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

    /// Whatever the counts, no shown count of a set adds up with the others to reveal a withheld one alone.
    @Test(arguments: 0..<40) func noWithheldCountCanBeFoundAgainBySubtraction(_ seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed))
        let sexes = ["female", "male"], bands = ["under_18", "18_24", "25_35", "36_59"], roles = ["elder", "youth", "chief"]
        var list: [(String, String, String)] = []
        for _ in 0..<Int.random(in: 1...30, using: &rng) {
            list.append((sexes.randomElement(using: &rng)!, bands.randomElement(using: &rng)!, roles.randomElement(using: &rng)!))
        }
        let ind = indicators(list).withholdingSmallCells(below: 5)
        for (prefix, counts) in [("participants.by_age_band.", ind.byAgeBand), ("participants.by_role.", ind.byRole)] {
            let hidden = counts.keys.filter { ind.isWithheld(prefix + $0) }
            #expect(hidden.count != 1 || ind.isWithheld("participants.registered"), "\(counts) \(ind.withheld)")
            for (k, n) in counts where n > 0 && n < 5 { #expect(ind.isWithheld(prefix + k)) }
        }
        let sexHidden = ["women", "men"].filter { ind.isWithheld("participants." + $0) }.count
        #expect(sexHidden != 1 || ind.isWithheld("participants.total"), "\(ind.withheld)")
    }
}

/// A small deterministic generator (SplitMix64) for reproducible random cases.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
