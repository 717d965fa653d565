import Foundation
import PalabreCore
import Testing

/// The indicators survive whatever is stored: sums that would overflow saturate, amounts stay finite, JSON stays JSON.
@Suite struct IndicatorsTests {
    /// The shipped forms' declarations, written out (Core does not read form files).
    static let map = IndicatorMap([
        (
            "session",
            .init(
                part: .sessions,
                fields: Dictionary(uniqueKeysWithValues: ["region", "date", "format", "women_count", "men_count", "youth_count"].map { ($0, $0) }))
        ),
        (
            "participant",
            .init(
                part: .participants, fields: Dictionary(uniqueKeysWithValues: ["session", "sex", "age_band", "role"].map { ($0, $0) }),
                codes: ["women": ["female"], "men": ["male"], "youth": ["under_18", "18_24"]])
        ),
        (
            "initiative",
            .init(
                part: .initiatives,
                fields: Dictionary(
                    uniqueKeysWithValues: ["session", "region", "title", "type", "status", "beneficiaries", "estimated_cost"].map { ($0, $0) }),
                codes: ["closed": ["completed", "abandoned"]])
        ),
        (
            "followup",
            .init(part: .followups, fields: Dictionary(uniqueKeysWithValues: ["initiative", "date", "status", "progress"].map { ($0, $0) }))
        ),
    ])

    @Test func hugeHeadcountsBeneficiariesAndCostsNeitherTrapNorReachJSONAsInfinity() throws {
        let session: [String: Value] = [
            "region": .string("gao"), "date": .string("2026-11-02"), "format": .string("women"),
            "women_count": .integer(.max), "men_count": .integer(.max), "youth_count": .integer(.max),
        ]
        let initiative: [String: Value] = [
            "title": .string("Forage"), "type": .string("borehole"), "status": .string("proposed"),
            "region": .string("gao"), "beneficiaries": .integer(.max), "estimated_cost": .decimal(1.7e308),
        ]
        let records = [
            (form: "session", id: "s1", values: session), (form: "session", id: "s2", values: session),
            (form: "initiative", id: "i1", values: initiative), (form: "initiative", id: "i2", values: initiative),
            (form: "initiative", id: "i3", values: ["estimated_cost": .decimal(-.infinity), "beneficiaries": .integer(-4)]),
        ]
        let i = Indicators(records: records, map: Self.map, today: "2026-12-01")
        #expect(i.participants == Int.max && i.women == Int.max && i.youth == Int.max)
        #expect(i.beneficiaries == Int64.max)
        #expect(i.estimatedCost.isFinite && i.estimatedCost == .greatestFiniteMagnitude)
        #expect(i.initiatives.first { $0.id == "i3" }?.estimatedCost == 0, "a negative or infinite amount counts as none")
        let text = i.json.serialized
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect(parsed is [String: Any], "valid JSON: \(text.prefix(200))")
        #expect(!text.contains("inf") && !text.contains("nan"))
    }
}
