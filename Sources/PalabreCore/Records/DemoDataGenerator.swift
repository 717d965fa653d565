import Foundation

/// A seeded random source (SplitMix64): the same seed gives the same data set on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    var state: UInt64
    /// Starts from a seed.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Makes data sets of any size with the shape of `samples/demo.jsonl`: per session about 20 participants,
/// 2 initiatives and 3 follow-ups, across the Gao and Tombouctou regions. Everyone in it is fictional.
public struct DemoDataGenerator {
    /// One generated record.
    public struct Item: Sendable {
        /// Its form.
        public var form: String
        /// Its id.
        public var id: String
        /// Its values.
        public var values: [String: Value]
    }

    var rng: SeededRandom
    let start: UInt64 = 1_788_000_000_000  // 2026-08-29, in milliseconds

    /// Starts a generator.
    public init(seed: UInt64 = 2026) { rng = SeededRandom(seed: seed) }

    static let places: [(region: String, cercle: String, commune: String, locality: String, lat: Double, lon: Double)] = [
        ("gao", "Ansongo", "Ansongo", "Ansongo", 15.66, 0.50), ("gao", "Ansongo", "Bara", "Bara", 15.82, 0.33),
        ("gao", "Ansongo", "Ouatagouna", "Ouatagouna", 15.19, 0.72), ("gao", "Bourem", "Bourem", "Bourem", 16.95, -0.35),
        ("gao", "Bourem", "Bamba", "Bamba", 17.03, -1.40), ("gao", "Bourem", "Taboye", "Taboye", 16.73, -0.52),
        ("gao", "Gao", "Gao", "Gao", 16.27, -0.04), ("gao", "Gao", "Soni Aliber", "Soni Aliber", 16.40, -0.20),
        ("tombouctou", "Tombouctou", "Tombouctou", "Tombouctou", 16.77, -3.00),
        ("tombouctou", "Goundam", "Goundam", "Goundam", 16.41, -3.67), ("tombouctou", "Diré", "Diré", "Diré", 16.28, -3.38),
    ]
    static let formats = ["intergenerational", "women", "youth", "community_security", "mixed", "restitution"]
    static let formatTitles = [
        "intergenerational": "Vestibule de la paix intergénérationnel", "women": "Espace de dialogue des femmes",
        "youth": "Espace de dialogue des jeunes", "community_security": "Dialogue communautés – forces de défense et de sécurité",
        "mixed": "Dialogue communautaire", "restitution": "Restitution des engagements",
    ]
    static let themes = [
        "land", "water", "pasture", "security", "governance", "social_cohesion", "women_participation", "youth",
        "justice", "education", "health", "livelihoods",
    ]
    static let given = [
        "Aïssata", "Mariam", "Fatoumata", "Hawa", "Kadidia", "Oumou", "Salamatou", "Zeinabou", "Moussa", "Boubacar",
        "Hamadoun", "Souleymane", "Ibrahim", "Alhousseini", "Mahamane", "Abdoulaye", "Aminata", "Djénéba",
    ]
    static let family = [
        "Maïga", "Touré", "Cissé", "Haïdara", "Ag Mohamed", "Dicko", "Traoré", "Diallo", "Sidibé", "Kounta",
        "Walet", "Koné",
    ]
    static let roles = [
        "youth", "women_group", "elder", "traditional_leader", "religious_leader", "local_authority",
        "defence_security", "civil_society", "displaced", "other",
    ]
    static let ages = ["under_18", "18_24", "25_35", "36_59", "60_plus"]
    static let types = ["well", "borehole", "school", "health_post", "market", "road", "bridge", "dam", "community_radio", "sports"]
    static let typeTitles = [
        "well": "Puits", "borehole": "Forage", "school": "Salle de classe", "health_post": "Poste de santé", "market": "Marché",
        "road": "Piste", "bridge": "Pont", "dam": "Petit barrage", "community_radio": "Radio communautaire", "sports": "Terrain de sport",
    ]
    static let statuses = ["proposed", "validated", "seeking_funding", "funded", "in_progress", "completed", "abandoned"]

    mutating func pick<T>(_ a: [T]) -> T { a[Int.random(in: 0..<a.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func id(day: Int) -> String {
        RecordID.make(milliseconds: start + UInt64(day) * 86_400_000 + UInt64.random(in: 0..<86_400_000, using: &rng), using: &rng)
    }
    func date(_ day: Int) -> String {
        let d = Date(timeIntervalSince1970: Double(start) / 1000 + Double(day) * 86_400)
        return Validator.today(d, utc: true)
    }

    /// Generates `count` records, referenced records first, calling `emit` for each.
    public mutating func generate(count: Int, emit: (Item) throws -> Void) rethrows {
        var made = 0
        var block = 0
        while made < count {
            let day = block % 120
            let place = pick(Self.places)
            let format = pick(Self.formats)
            let sessionID = id(day: day)
            var s: [String: Value] = [
                "title": .string("\(Self.formatTitles[format]!) à \(place.locality)"), "date": .string(date(day)),
                "region": .string(place.region), "cercle": .string(place.cercle), "commune": .string(place.commune),
                "locality": .string(place.locality), "format": .string(format),
                "themes": .list(Array(Set((0..<3).map { _ in pick(Self.themes) })).sorted()),
                "language": .string(place.region == "tombouctou" ? "tamasheq" : "songhay"),
                "summary": .string("Échanges sur l'accès à l'eau et aux pâturages, et sur la place des jeunes et des femmes."),
                "location": .geopoint(latitude: place.lat, longitude: place.lon),
            ]
            let registered = !chance(0.25)
            if !registered {
                let women = Int64.random(in: 10...40, using: &rng)
                s["women_count"] = .integer(women)
                s["men_count"] = .integer(Int64.random(in: 10...40, using: &rng))
                s["youth_count"] = .integer(Int64.random(in: 5...women, using: &rng))
            }
            try emit(Item(form: "session", id: sessionID, values: s))
            made += 1
            for _ in 0..<(registered ? 20 : 0) where made < count {
                let female = chance(format == "women" ? 0.9 : 0.45)
                var p: [String: Value] = [
                    "session": .string(sessionID), "sex": .string(female ? "female" : "male"), "age_band": .string(pick(Self.ages)),
                    "role": .string(female && chance(0.5) ? "women_group" : pick(Self.roles)), "community": .string(place.locality),
                ]
                if p["role"] == .string("other") { p["role"] = .string("civil_society") }
                if chance(0.7) {
                    p["consent"] = .string("yes")
                    p["name"] = .string("\(pick(Self.given)) \(pick(Self.family))")
                    if chance(0.3) {
                        p["phone"] = .string("+223 70 00 \(Int.random(in: 10...99, using: &rng)) \(Int.random(in: 10...99, using: &rng))")
                    }
                } else {
                    p["consent"] = .string("no")
                }
                try emit(Item(form: "participant", id: id(day: day), values: p))
                made += 1
            }
            var initiatives: [String] = []
            for _ in 0..<2 where made < count {
                let type = pick(Self.types)
                let iid = id(day: day)
                initiatives.append(iid)
                try emit(
                    Item(
                        form: "initiative", id: iid,
                        values: [
                            "title": .string("\(Self.typeTitles[type]!) à \(place.locality)"), "type": .string(type), "session": .string(sessionID),
                            "region": .string(place.region), "locality": .string(place.locality),
                            "proposed_by": .string(pick(["women", "youth", "elders", "mixed"])),
                            "beneficiaries": .integer(Int64.random(in: 50...5000, using: &rng)),
                            "estimated_cost": .decimal(Double(Int.random(in: 25...450, using: &rng)) * 100_000),
                            "priority": .integer(Int64.random(in: 1...5, using: &rng)), "status": .string(pick(Self.statuses)),
                        ]))
                made += 1
            }
            for k in 0..<3 where made < count && !initiatives.isEmpty {
                let progress = Int64(min(100, (k + 1) * 30))
                try emit(
                    Item(
                        form: "followup", id: id(day: day + 10 * (k + 1)),
                        values: [
                            "initiative": .string(initiatives[k % initiatives.count]), "date": .string(date(day + 10 * (k + 1))),
                            "status": .string(progress == 100 ? "completed" : "in_progress"), "progress": .integer(progress),
                            "notes": .string("Visite de suivi : travaux en cours, comité de gestion en place."),
                        ]))
                made += 1
            }
            block += 1
        }
    }
}
