import Foundation
import PalabreCore
import PalabreServer
import PalabreStore
import PalabreSync
import Testing

/// Several laptops and the service, random creates, edits, deletes and restores, wrong clocks, random sync orders,
/// lost answers and duplicated batches: after everyone syncs, every store equals the service, and every field
/// equals the write with the highest (hlc, node) ever made, computed independently from the change logs.
@Suite struct ConvergenceTests {
    static let seeds: [UInt64] = {
        let n = Int(ProcessInfo.processInfo.environment["PALABRE_SEEDS"] ?? "") ?? 200
        return (1...UInt64(n)).map { $0 }
    }()

    /// PostgreSQL gets every fifth seed: its merge is the same rule written again around row locks, so it is checked
    /// against the same oracle.
    static let postgresSeeds: [UInt64] = BackendKind.postgresURL == nil ? [] : seeds.filter { $0 % 5 == 1 }

    @Test("every store converges to the highest write of every field", arguments: seeds)
    func convergence(seed: UInt64) async throws {
        try await converge(.sqlite, seed: seed)
    }

    @Test("every store converges through the PostgreSQL backend too", arguments: postgresSeeds)
    func convergenceOnPostgres(seed: UInt64) async throws {
        try await converge(.postgres, seed: seed)
    }

    func converge(_ kind: BackendKind, seed: UInt64) async throws {
        var rng = SeededRandom(seed: seed)
        let lab = try await SyncLab(kind, seed: seed)
        lab.faults.loseAnswer = 0.2
        lab.faults.duplicate = 0.15
        lab.faults.losePage = 0.1
        let year: TimeInterval = 365 * 86_400
        try await lab.addLaptop("now")
        try await lab.addLaptop("in2040", offset: 14 * year)
        try await lab.addLaptop("in2010", offset: -16 * year)
        let fields = ["title", "region", "locality", "format", "summary"]

        for _ in 0..<40 {
            let laptop = lab.laptops.randomElement(using: &rng)!
            let roll = Int.random(in: 0..<100, using: &rng)
            let records = try laptop.store.records(form: "session", includeDeleted: true)
            switch roll {
            case 0..<25:
                try laptop.store.create(form: SyncLab.forms["session"]!, values: sessionValues(&rng))
            case 25..<55 where !records.isEmpty:
                let r = records.randomElement(using: &rng)!
                if r.isDeleted {
                    try laptop.store.restore(id: r.id)
                } else {
                    let f = fields.randomElement(using: &rng)!
                    let v = sessionValues(&rng)[f] ?? .string("Résumé \(Int.random(in: 1...99, using: &rng))")
                    try laptop.store.edit(id: r.id, set: [f: v], catalog: SyncLab.forms)
                }
            case 55..<65 where !records.isEmpty:
                let r = records.randomElement(using: &rng)!
                if r.isDeleted { try laptop.store.restore(id: r.id) } else { try laptop.store.delete(id: r.id) }
            case 65..<70 where laptop.name == "in2010":
                laptop.clock.shift(by: -Double(Int.random(in: 1...400, using: &rng)) * 86_400)  // the clock jumps back
            default:
                do {
                    try await laptop.sync()
                } catch is SyncError {
                    // A lost answer or page: the next sync finishes the job.
                }
            }
        }
        lab.faults.loseAnswer = 0
        lab.faults.duplicate = 0
        lab.faults.losePage = 0
        for _ in 0..<2 { for laptop in lab.laptops { try await laptop.sync() } }

        let service = try await lab.serviceState()
        for laptop in lab.laptops {
            #expect(try SyncLab.state(laptop.store) == service, "seed \(seed): \(laptop.name) differs from the service")
            #expect(try laptop.store.unsentCount() == 0, "seed \(seed): \(laptop.name) has unsent changes")
        }
        try Self.expectHighestWrites(lab, service, seed: seed)
    }

    /// The oracle: the highest (hlc, node) write of each field, over every change every laptop made (of one form).
    static func highestWrites(_ lab: SyncLab, form: String? = nil) throws -> [String: [String: (Stamp, Value?)]] {
        var best: [String: [String: (Stamp, Value?)]] = [:]
        for laptop in lab.laptops {
            for (_, change) in try laptop.store.changes(localOnly: true) where form == nil || change.form == form {
                for (field, value) in change.values {
                    if let current = best[change.recordID]?[field], current.0 >= change.stamp { continue }
                    best[change.recordID, default: [:]][field] = (change.stamp, value)
                }
            }
        }
        return best
    }

    /// Every record written is on the service, each field holding its highest write.
    static func expectHighestWrites(_ lab: SyncLab, _ service: [String: [String: Value]], seed: UInt64) throws {
        let best = try highestWrites(lab)
        #expect(Set(best.keys) == Set(service.keys), "seed \(seed): records differ from those written")
        for (id, fields) in best {
            for (field, (stamp, value)) in fields {
                #expect(service[id]?[field] == value, "seed \(seed): \(id).\(field) should be the write at \(stamp)")
            }
        }
    }

    @Test("a withdrawal of consent or an erasure wins over concurrent identifying writes, on every store", arguments: seeds.prefix(60))
    func consentConverges(seed: UInt64) async throws {
        var rng = SeededRandom(seed: seed)
        let lab = try await SyncLab(.sqlite, seed: seed)
        lab.faults.loseAnswer = 0.2
        lab.faults.duplicate = 0.15
        let year: TimeInterval = 365 * 86_400
        let first = try await lab.addLaptop("now")
        try await lab.addLaptop("in2040", offset: 14 * year)
        try await lab.addLaptop("in2010", offset: -16 * year)
        let form = SyncLab.forms["participant"]!
        let session = try first.store.create(form: SyncLab.forms["session"]!, values: sessionValues(&rng))
        lab.faults.loseAnswer = 0
        lab.faults.duplicate = 0
        for laptop in lab.laptops { try await laptop.sync() }
        lab.faults.loseAnswer = 0.2
        lab.faults.duplicate = 0.15
        func name(_ rng: inout SeededRandom) -> Value {
            .string(["Hawa Maïga", "Aminata Touré", "Fatouma Cissé"].randomElement(using: &rng)! + " \(Int.random(in: 1...99, using: &rng))")
        }

        var erasedIDs: Set<String> = []
        for _ in 0..<40 {
            let laptop = lab.laptops.randomElement(using: &rng)!
            let people = try laptop.store.records(form: "participant")
            let roll = Int.random(in: 0..<100, using: &rng)
            switch roll {
            case 0..<20:
                try laptop.store.create(
                    form: form,
                    values: [
                        "session": .string(session), "consent": .string("yes"), "name": name(&rng),
                        "sex": .string("female"), "age_band": .string("25_35"), "role": .string("elder"),
                    ])
            case 20..<40 where !people.isEmpty:
                // Consent withdrawn: the name and phone cleared in the same write, as the CLI requires.
                let p = people.randomElement(using: &rng)!
                if !p.state.erased.isEmpty {
                    try laptop.store.edit(id: p.id, set: ["age_band": .string("36_59")], catalog: SyncLab.forms)
                } else if p.values["consent"] == .string("yes") {
                    try laptop.store.edit(id: p.id, set: ["consent": .string("no")], unset: ["name", "phone"], catalog: SyncLab.forms)
                } else {
                    try laptop.store.edit(id: p.id, set: ["consent": .string("yes"), "name": name(&rng)], catalog: SyncLab.forms)
                }
            case 40..<65 where !people.isEmpty:
                // Correcting a name (only where this laptop still sees consent) or another field.
                let p = people.randomElement(using: &rng)!
                if p.values["consent"] == .string("yes") && p.state.erased.isEmpty {
                    try laptop.store.edit(id: p.id, set: ["name": name(&rng)], catalog: SyncLab.forms)
                } else {
                    try laptop.store.edit(id: p.id, set: ["community": .string("Bara \(Int.random(in: 1...9, using: &rng))")], catalog: SyncLab.forms)
                }
            case 65..<72 where !people.isEmpty:
                // A person asks to be forgotten: erased on this laptop, while others may still be editing the name.
                let p = people.randomElement(using: &rng)!
                try laptop.store.erase(id: p.id, by: laptop.name, catalog: SyncLab.forms)
                erasedIDs.insert(p.id)
            default:
                do { try await laptop.sync() } catch is SyncError {}
            }
        }
        lab.faults.loseAnswer = 0
        lab.faults.duplicate = 0
        for _ in 0..<2 { for laptop in lab.laptops { try await laptop.sync() } }

        // An erased value is kept nowhere on any laptop: not in the record, its history or the change log.
        for laptop in lab.laptops {
            for id in erasedIDs {
                #expect(try laptop.store.record(id)?.state.erased == ["name", "phone"], "seed \(seed): \(laptop.name) \(id)")
                #expect(try laptop.store.history(id).allSatisfy { !["name", "phone"].contains($0.superseded.field) })
                let logged = try laptop.store.changes().filter { $0.change.recordID == id }
                #expect(logged.allSatisfy { $0.change.values["name"] == nil && $0.change.values["phone"] == nil }, "seed \(seed)")
            }
        }
        let service = try await lab.serviceState()
        for laptop in lab.laptops {
            #expect(try SyncLab.state(laptop.store) == service, "seed \(seed): \(laptop.name) differs from the service")
        }
        // The oracle: the highest write of each field, then the form's rule (a field that does not apply is empty).
        let best = try Self.highestWrites(lab, form: "participant")
        var withdrawn = 0
        // Erasures merge by union: every field any laptop erased is empty, whatever was written after.
        var erasures: [String: Set<String>] = [:]
        for laptop in lab.laptops {
            for (_, change) in try laptop.store.changes(localOnly: true) {
                if case .list(let l)?? = change.values[erasedField] { erasures[change.recordID, default: []].formUnion(l) }
            }
        }
        #expect(Set(erasures.keys) == erasedIDs, "seed \(seed)")
        for (id, fields) in best {
            var merged = fields.compactMapValues { $0.1 }
            if let erased = erasures[id] {
                for f in erased { merged[f] = nil }
                merged[erasedField] = .list(erased.sorted())
            }
            let expected = Relevance.settled(merged, form: form)
            #expect(service[id] == expected, "seed \(seed): \(id)")
            #expect(service[id]?["consent"] != .string("no") || service[id]?["name"] == nil, "seed \(seed): a name without consent")
            if merged["consent"] == .string("no") && merged["name"] != nil { withdrawn += 1 }
        }
        _ = withdrawn
    }

    /// The session form's version 2 (a new field), which one laptop captures with before the service publishes it.
    static let sessionV2Text = FormLoader.builtInSources.first { $0.name == "session" }!.source
        .replacingOccurrences(of: "version: 2", with: "version: 3")
        .replacingOccurrences(
            of: "  - name: location\n",
            with: "  - name: mediator\n    type: text\n    label: {fr: \"Médiateur\", en: \"Mediator\"}\n  - name: location\n")

    /// The forms the laptop ahead captures with: version 2 of the session form, the others as shipped.
    static let sessionV2: FormCatalog = {
        var forms = SyncLab.forms.names.compactMap { SyncLab.forms[$0] }.filter { $0.name != "session" }
        forms.append(FormLoader.load(text: sessionV2Text, file: "session.yaml").0!)
        return FormCatalog(forms: forms)
    }()

    @Test("a version published in the middle: every held change is applied, every store converges", arguments: seeds.prefix(60))
    func convergenceWithAPublishInTheMiddle(seed: UInt64) async throws {
        try await convergeAcrossAPublish(.sqlite, seed: seed)
    }

    @Test("a version published in the middle, through PostgreSQL", arguments: postgresSeeds.filter { $0 <= 60 })
    func convergenceWithAPublishInTheMiddleOnPostgres(seed: UInt64) async throws {
        try await convergeAcrossAPublish(.postgres, seed: seed)
    }

    /// Laptops on version 1 and one ahead on version 2 create and edit sessions, with lost answers and duplicated
    /// batches; a coordinator publishes version 2 at a random step. The ahead laptop's changes are held until then (never
    /// counted as sent), then applied; in the end every store equals the service and the oracle, and nothing is set aside.
    func convergeAcrossAPublish(_ kind: BackendKind, seed: UInt64) async throws {
        var rng = SeededRandom(seed: seed)
        let lab = try await SyncLab(kind, seed: seed)
        lab.faults.loseAnswer = 0.2
        lab.faults.duplicate = 0.15
        lab.faults.losePage = 0.1
        try await lab.addLaptop("v1")
        try await lab.addLaptop("v1-late", offset: -3600)
        let ahead = try await lab.addLaptop("ahead")
        let publishAt = Int.random(in: 0..<40, using: &rng)
        var published = false
        func publish() async throws {
            let done = try await lab.backend.publish(project: "p1", files: [("session.yaml", Self.sessionV2Text)], by: "coord")
            #expect(done.retried.setAside.isEmpty, "seed \(seed): still set aside after the publish: \(done.retried.setAside)")
            published = true
        }
        for step in 0..<40 {
            if step == publishAt { try await publish() }
            let laptop = lab.laptops.randomElement(using: &rng)!
            let catalog = laptop === ahead ? Self.sessionV2 : SyncLab.forms
            let records = try laptop.store.records(form: "session")
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<30:
                var values = sessionValues(&rng)
                if laptop === ahead { values["mediator"] = .string("Médiateur \(Int.random(in: 1...99, using: &rng))") }
                try laptop.store.create(form: catalog["session"]!, values: values)
            case 30..<60 where !records.isEmpty:
                let r = records.randomElement(using: &rng)!
                let field = laptop === ahead ? ["title", "mediator"].randomElement(using: &rng)! : "title"
                try laptop.store.edit(id: r.id, set: [field: .string("\(field) \(Int.random(in: 1...99, using: &rng))")], catalog: catalog)
            default:
                do {
                    let summary = try await laptop.sync()
                    if !published { #expect(summary.setAside.filter { !$0.held }.isEmpty, "seed \(seed): \(summary.setAside)") }
                } catch is SyncError {
                    // A lost answer or page: the next sync finishes the job.
                }
            }
        }
        if !published { try await publish() }
        lab.faults.loseAnswer = 0
        lab.faults.duplicate = 0
        lab.faults.losePage = 0
        for _ in 0..<2 { for laptop in lab.laptops { try await laptop.sync() } }

        #expect(try await lab.backend.setAside(project: "p1").isEmpty, "seed \(seed): nothing stays set aside")
        let service = try await lab.serviceState()
        for laptop in lab.laptops {
            #expect(try SyncLab.state(laptop.store) == service, "seed \(seed): \(laptop.name) differs from the service")
            #expect(try laptop.store.unsentCount() == 0, "seed \(seed): \(laptop.name) has unsent changes")
            #expect(try laptop.store.serviceSetAsideCount() == 0, "seed \(seed): \(laptop.name) still lists set-aside changes")
        }
        try Self.expectHighestWrites(lab, service, seed: seed)
    }
}
