import Foundation

/// Small numbers: counts of people below a threshold are withheld, so a small group cannot be singled out.
///
/// A count of people (participants, women, men, youth, an age band, a role) of 1 to `threshold − 1` is withheld
/// (*primary* suppression; 0 is shown: it singles no one out). A withheld count could be found again by subtraction
/// from the counts beside it, so in each set of counts that adds up to a shown total (women + men + the others =
/// participants; the age bands = registered; the roles = registered; registered + headcounts = participants;
/// youth + the others = participants; the youth age bands + the youth headcounts = youth), the smallest shown non-zero
/// counts are withheld too until what is hidden adds up to 0 or at least the threshold (*secondary* suppression); a
/// remainder that is not shown (the participants neither women nor men) counts as hidden. Shares are withheld with the counts they divide. Sessions and initiatives are not people and
/// are shown; so are beneficiaries, an estimate of a community, not a list of people.
///
/// Withheld counts are `null` in JSON (`NA` in R, an empty cell in Excel) and listed under `withheld`.
extension Indicators {
    /// The indicators with every count of fewer than `threshold` people withheld (see above); `threshold` ≤ 1 withholds
    /// nothing.
    public func withholdingSmallCells(below threshold: Int) -> Indicators {
        var out = self
        out.smallCellThreshold = threshold
        guard threshold > 1 else { return out }
        var cells: [String: Int] = [
            "participants.total": participants, "participants.registered": registered, "participants.headcounts": counted,
            "participants.women": women, "participants.men": men, "participants.youth": youth,
            // Not shown, but derivable: whoever is neither a woman nor a man, or not youth.
            "~participants.other_sex": max(0, participants - women - men), "~participants.not_youth": max(0, participants - youth),
        ]
        for (band, n) in byAgeBand { cells["participants.by_age_band." + band] = n }
        // Youth is its age bands plus the youth headcounts, which are not shown.
        let youthRegistered = byAgeBand.filter { youthBands.contains($0.key) }.values.reduce(0, +)
        cells["~participants.youth_headcounts"] = max(0, youth - youthRegistered)
        for (role, n) in byRole { cells["participants.by_role." + role] = n }
        var withheld = Set(cells.filter { $0.value > 0 && $0.value < threshold }.map(\.key))
        // Sets of counts adding up to a total.
        let sums: [(total: String, parts: [String])] = [
            ("participants.total", ["participants.women", "participants.men", "~participants.other_sex"]),
            ("participants.total", ["participants.registered", "participants.headcounts"]),
            ("participants.total", ["participants.youth", "~participants.not_youth"]),
            ("participants.registered", byAgeBand.keys.sorted().map { "participants.by_age_band." + $0 }),
            ("participants.registered", byRole.keys.sorted().map { "participants.by_role." + $0 }),
            (
                "participants.youth",
                byAgeBand.keys.filter(youthBands.contains).sorted().map { "participants.by_age_band." + $0 } + ["~participants.youth_headcounts"]
            ),
        ]
        // In every set whose total is shown, what is hidden adds up to total − what is shown: that sum must say
        // nothing about fewer than `threshold` people (0, or at least the threshold). A remainder that is not shown
        // (the people neither women nor men) is hidden by nature.
        func hiddenMass(_ parts: [String]) -> Int {
            parts.filter { withheld.contains($0) || $0.hasPrefix("~") }.reduce(0) { $0 + (cells[$1] ?? 0) }
        }
        var changed = true
        while changed {
            changed = false
            for (total, parts) in sums where !withheld.contains(total) {
                let mass = hiddenMass(parts)
                guard mass > 0 && mass < threshold else { continue }
                // The smallest shown count that says something goes too.
                let candidates = parts.filter { !withheld.contains($0) && !$0.hasPrefix("~") && (cells[$0] ?? 0) > 0 }
                    .sorted { (cells[$0]!, $0) < (cells[$1]!, $1) }
                if let next = candidates.first {
                    withheld.insert(next)
                } else {
                    // Nothing else to hide behind: the total itself would give the count away.
                    withheld.insert(total)
                }
                changed = true
            }
        }
        out.withheld = Set(withheld.filter { !$0.hasPrefix("~") })
        if out.withheld.contains("participants.total") || out.withheld.contains("participants.women") || out.withheld.contains("participants.men") {
            out.withheld.insert("participants.share_women")
        }
        if out.withheld.contains("participants.total") || out.withheld.contains("participants.youth") {
            out.withheld.insert("participants.share_youth")
        }
        return out
    }

    /// Whether a count is withheld (its path: `participants.women`, `participants.by_role.elder`).
    public func isWithheld(_ path: String) -> Bool { withheld.contains(path) }
}
