import Foundation

/// The programme's indicators, computed from live records: sessions by region, month and format; participants by
/// sex, age band and role; the share of women and of youth; initiatives by type, status and region with their
/// beneficiaries, estimated cost and latest follow-up; initiatives without a follow-up in 90 days.
///
/// Which forms and fields feed them is declared in the forms (``IndicatorMap``): nothing here names a form, a field or a
/// code. Participants are counted once: a session with registered participants counts them; a session without counts
/// its headcounts (the declared `women_count`, `men_count`, `youth_count`). Youth, women, men and closed initiatives
/// are the codes the forms list (in the shipped forms: age bands `under_18` and `18_24`; `completed`, `abandoned`).
public struct Indicators: Sendable, Equatable {
    /// Filters.
    public struct Filter: Sendable, Equatable {
        /// Only sessions (and their participants and initiatives) of this region.
        public var region: String?
        /// Only sessions on or after this day.
        public var from: String?
        /// Only sessions on or before this day.
        public var to: String?

        /// Builds a filter.
        public init(region: String? = nil, from: String? = nil, to: String? = nil) {
            self.region = region
            self.from = from
            self.to = to
        }
    }

    /// One initiative's situation.
    public struct Initiative: Sendable, Equatable {
        public var id: String
        public var title: String
        public var type: String
        public var status: String
        public var region: String
        public var beneficiaries: Int64
        public var estimatedCost: Double
        /// The latest follow-up's date, status and progress.
        public var lastFollowup: String?
        public var lastStatus: String?
        public var lastProgress: Int64?
    }

    public var sessions = 0
    public var sessionsByRegion: [String: Int] = [:]
    public var sessionsByMonth: [String: Int] = [:]
    public var sessionsByFormat: [String: Int] = [:]
    /// Participants: registered plus headcounts of sessions without registration.
    public var participants = 0
    public var registered = 0
    public var counted = 0
    public var women = 0
    public var men = 0
    public var youth = 0
    public var byAgeBand: [String: Int] = [:]
    public var byRole: [String: Int] = [:]
    public var initiatives: [Initiative] = []
    public var initiativesByType: [String: Int] = [:]
    public var initiativesByStatus: [String: Int] = [:]
    public var initiativesByRegion: [String: Int] = [:]
    public var beneficiaries: Int64 = 0
    public var estimatedCost: Double = 0
    /// Initiatives not completed or abandoned whose latest follow-up (or proposal) is more than 90 days old.
    public var withoutRecentFollowup: [String] = []
    /// Counts withheld because they are of too few people (``withholdingSmallCells(below:)``), by path.
    public var withheld: Set<String> = []
    /// The threshold applied, if any.
    public var smallCellThreshold: Int?
    /// The age bands the forms count as youth (youth is their sum plus the youth headcounts).
    public var youthBands: Set<String> = []

    /// Share of women among participants (0…1), nil without participants.
    public var shareWomen: Double? { participants == 0 ? nil : Double(women) / Double(participants) }
    /// Share of youth (the age bands the forms count as youth) among participants (0…1), nil without participants.
    public var shareYouth: Double? { participants == 0 ? nil : Double(youth) / Double(participants) }

    /// Computes the indicators from live records given as (form, id, values), as of `today` (`YYYY-MM-DD`), reading
    /// the forms and fields `map` names (declared in the forms: ``IndicatorMap``).
    public init(
        records: [(form: String, id: String, values: [String: Value])], map: IndicatorMap, filter: Filter = Filter(), today: String
    ) {
        // A value of the field feeding `key` of `part`.
        func field(_ part: IndicatorMap.Part, _ key: String, _ v: [String: Value]) -> Value? { map.field(part, key).flatMap { v[$0] } }
        func text(_ part: IndicatorMap.Part, _ key: String, _ v: [String: Value]) -> String? {
            if case .string(let s)? = field(part, key, v) { return s } else { return nil }
        }
        func int(_ part: IndicatorMap.Part, _ key: String, _ v: [String: Value]) -> Int64? {
            if case .integer(let i)? = field(part, key, v) { return i } else { return nil }
        }
        func number(_ part: IndicatorMap.Part, _ key: String, _ v: [String: Value]) -> Double? {
            switch field(part, key, v) {
            case .decimal(let d)?: return d
            case .integer(let i)?: return Double(i)
            default: return nil
            }
        }
        let sessionForm = map.form(.sessions), participantForm = map.form(.participants)
        let initiativeForm = map.form(.initiatives), followupForm = map.form(.followups)
        let (womenCodes, menCodes) = (map.codes(.participants, "women"), map.codes(.participants, "men"))
        let youthCodes = map.codes(.participants, "youth"), closedCodes = map.codes(.initiatives, "closed")
        youthBands = youthCodes
        var sessionRegion: [String: String] = [:]
        var kept: Set<String> = []
        for r in records where r.form == sessionForm {
            let region = text(.sessions, "region", r.values) ?? ""
            let date = text(.sessions, "date", r.values) ?? ""
            sessionRegion[r.id] = region
            if let want = filter.region, want != region { continue }
            if let from = filter.from, date < from { continue }
            if let to = filter.to, date > to { continue }
            kept.insert(r.id)
            sessions += 1
            sessionsByRegion[region, default: 0] += 1
            sessionsByMonth[String(date.prefix(7)), default: 0] += 1
            sessionsByFormat[text(.sessions, "format", r.values) ?? "", default: 0] += 1
        }
        var withRegistrations: Set<String> = []
        for r in records where r.form == participantForm {
            guard let s = text(.participants, "session", r.values), kept.contains(s) else { continue }
            withRegistrations.insert(s)
            registered += 1
            let sex = text(.participants, "sex", r.values) ?? ""
            if womenCodes.contains(sex) { women += 1 } else if menCodes.contains(sex) { men += 1 }
            let band = text(.participants, "age_band", r.values) ?? ""
            byAgeBand[band, default: 0] += 1
            if youthCodes.contains(band) { youth += 1 }
            byRole[text(.participants, "role", r.values) ?? "", default: 0] += 1
        }
        for r in records where r.form == sessionForm && kept.contains(r.id) && !withRegistrations.contains(r.id) {
            // Headcounts are bounded by the form, but stored data may predate the bound or come from elsewhere:
            // every sum saturates instead of trapping, and a negative count counts as none.
            let w = Self.count(int(.sessions, "women_count", r.values)), m = Self.count(int(.sessions, "men_count", r.values))
            counted = Self.add(counted, Self.add(w, m))
            women = Self.add(women, w)
            men = Self.add(men, m)
            youth = Self.add(youth, Self.count(int(.sessions, "youth_count", r.values)))
        }
        participants = Self.add(registered, counted)

        var latest: [String: (date: String, status: String?, progress: Int64?)] = [:]
        for r in records where r.form == followupForm {
            guard let i = text(.followups, "initiative", r.values), let date = text(.followups, "date", r.values) else { continue }
            if let current = latest[i], current.date >= date { continue }
            latest[i] = (date, text(.followups, "status", r.values), int(.followups, "progress", r.values))
        }
        let cutoff = Self.day(today, minus: 90)
        for r in records where r.form == initiativeForm {
            let session = text(.initiatives, "session", r.values)
            let region = text(.initiatives, "region", r.values) ?? session.flatMap { sessionRegion[$0] } ?? ""
            if filter.region != nil || filter.from != nil || filter.to != nil {
                // Filtered: an initiative counts with its session; one without a session, by its own region.
                if let session { guard kept.contains(session) else { continue } } else if let want = filter.region, want != region { continue }
            }
            let f = latest[r.id]
            let item = Initiative(
                id: r.id, title: text(.initiatives, "title", r.values) ?? "", type: text(.initiatives, "type", r.values) ?? "",
                status: text(.initiatives, "status", r.values) ?? "", region: region,
                beneficiaries: Int64(Self.count(int(.initiatives, "beneficiaries", r.values))),
                estimatedCost: Self.amount(number(.initiatives, "estimated_cost", r.values)), lastFollowup: f?.date,
                lastStatus: f?.status, lastProgress: f?.progress)
            initiatives.append(item)
            initiativesByType[item.type, default: 0] += 1
            initiativesByStatus[item.status, default: 0] += 1
            initiativesByRegion[item.region, default: 0] += 1
            beneficiaries = Int64(Self.add(Int(beneficiaries), Int(item.beneficiaries)))
            estimatedCost = Self.amount(estimatedCost + item.estimatedCost)
            if !closedCodes.contains(item.status), (f?.date ?? "") < cutoff { withoutRecentFollowup.append(item.id) }
        }
        initiatives.sort { $0.id < $1.id }
        withoutRecentFollowup.sort()
    }

    /// A stored count as a non-negative `Int` (absent or negative: 0).
    static func count(_ v: Int64?) -> Int { max(0, Int(v ?? 0)) }

    /// `a + b`, saturating at `Int.max` instead of trapping (counts are never negative here).
    static func add(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    /// A stored amount as a finite, non-negative number: JSON has no infinity, and a sum of huge costs stays finite.
    static func amount(_ v: Double?) -> Double {
        guard let v, !v.isNaN, v > 0 else { return 0 }
        return v.isFinite ? v : .greatestFiniteMagnitude
    }

    /// The day `days` before `day` (`YYYY-MM-DD`).
    static func day(_ day: String, minus days: Int) -> String {
        CivilDate(day)?.adding(days: -days).text ?? day
    }

    /// The indicators as JSON, keys stable, for `--json` and the service.
    public var json: JSON {
        func counts(_ d: [String: Int], _ path: String = "") -> JSON {
            .object(d.keys.sorted().map { ($0, withheld.contains(path + $0) ? .null : .number(String(d[$0]!))) })
        }
        func share(_ x: Double?, _ path: String) -> JSON {
            withheld.contains(path) ? .null : x.map { .number(String(($0 * 1000).rounded() / 1000)) } ?? .null
        }
        func people(_ n: Int, _ path: String) -> JSON { withheld.contains(path) ? .null : .number(String(n)) }
        return .object(
            [
                (
                    "sessions",
                    .object([
                        ("total", .number(String(sessions))), ("by_region", counts(sessionsByRegion)),
                        ("by_month", counts(sessionsByMonth)), ("by_format", counts(sessionsByFormat)),
                    ])
                ),
                (
                    "participants",
                    .object([
                        ("total", people(participants, "participants.total")),
                        ("registered", people(registered, "participants.registered")),
                        ("headcounts", people(counted, "participants.headcounts")), ("women", people(women, "participants.women")),
                        ("men", people(men, "participants.men")), ("youth", people(youth, "participants.youth")),
                        ("share_women", share(shareWomen, "participants.share_women")),
                        ("share_youth", share(shareYouth, "participants.share_youth")),
                        ("by_age_band", counts(byAgeBand, "participants.by_age_band.")), ("by_role", counts(byRole, "participants.by_role.")),
                    ])
                ),
                (
                    "initiatives",
                    .object([
                        ("total", .number(String(initiatives.count))), ("by_type", counts(initiativesByType)),
                        ("by_status", counts(initiativesByStatus)), ("by_region", counts(initiativesByRegion)),
                        ("beneficiaries", .number(String(beneficiaries))), ("estimated_cost", .number(Value.decimalLiteral(estimatedCost))),
                        ("without_followup_90_days", .array(withoutRecentFollowup.map { .string($0) })),
                        (
                            "items",
                            .array(
                                initiatives.map { i in
                                    .object([
                                        ("id", .string(i.id)), ("title", .string(i.title)), ("type", .string(i.type)), ("status", .string(i.status)),
                                        ("region", .string(i.region)), ("beneficiaries", .number(String(i.beneficiaries))),
                                        ("estimated_cost", .number(Value.decimalLiteral(i.estimatedCost))),
                                        ("last_followup", i.lastFollowup.map { .string($0) } ?? .null),
                                        ("last_status", i.lastStatus.map { .string($0) } ?? .null),
                                        ("last_progress", i.lastProgress.map { .number(String($0)) } ?? .null),
                                    ])
                                })
                        ),
                    ])
                ),
            ] + withheldJSON)
    }

    /// `withheld: {below, cells}` when small cells were withheld, so a reader knows a null is not a zero.
    private var withheldJSON: [(String, JSON)] {
        guard let smallCellThreshold else { return [] }
        return [
            (
                "withheld",
                .object([
                    ("below", .number(String(smallCellThreshold))), ("cells", .array(withheld.sorted().map { .string($0) })),
                ])
            )
        ]
    }
}
