import Foundation
import Logging
import PalabreCore
import PalabreServer
import PalabreServerInspection
import PalabreStore
import Synchronization
import Testing

/// Retention: after a project's period, the service erases identifying values by itself, counted from when a record
/// reached the service so a laptop's wrong clock cannot shorten it.
@Suite("Retention")
struct RetentionTests {
    /// A clock the test moves.
    final class Clock: Sendable {
        let date: Mutex<Date>
        init(_ d: Date) { date = Mutex(d) }
        func advance(days: Double) { date.withLock { $0 = $0.addingTimeInterval(days * 86_400) } }
        var now: Date { date.withLock { $0 } }
        func stamp(counter: Int64 = 0, minusDays: Double = 0) -> HLC {
            HLC(wallMilliseconds: HLC.milliseconds(now.addingTimeInterval(-minusDays * 86_400)), counter: counter)
        }
    }

    static let day = 86_400.0

    /// A named participant of `session`, created at `hlc`.
    static func person(_ name: String, session: String, hlc: HLC, project: String = "p1", node: String = "a000000000000001") -> Change {
        Change(
            recordID: RecordID.make(), form: "participant", formVersion: 1, project: project, stamp: Stamp(hlc: hlc, node: node),
            values: [
                "session": .string(session), "consent": .string("yes"), "name": .string(name), "phone": .string("+223 70 00 00 01"),
                "sex": .string("female"), "age_band": .string("18_24"), "role": .string("youth"),
            ])
    }

    static func push(_ changes: [Change], as device: String, node: String = "a000000000000001", _ fx: ServerFixture) async throws {
        let answer = try await fx.backend.push(
            Wire.PushRequest(batch: UUID().uuidString, node: node, changes: changes), from: fx.devices[device]!)
        try #require(answer.setAside.isEmpty, "\(answer.setAside)")
    }

    static func name(_ id: String, _ fx: ServerFixture) async throws -> Value? {
        try await fx.backend.storedRecord(id)?.state.values["name"]
    }

    @Test(arguments: BackendKind.all)
    func namesGoAfterThePeriodCountedFromArrivalAndAWrongLaptopClockCannotShortenIt(_ kind: BackendKind) async throws {
        let clock = Clock(Date())
        let fx = try await ServerFixture(kind, now: { clock.now })
        try await fx.backend.setRetention(project: "p1", days: 30, by: "coordinator Gao")
        let session = sessionChange(node: "a000000000000001", hlc: clock.stamp(counter: 1))
        let p2session = sessionChange(node: "c000000000000003", hlc: clock.stamp(counter: 1), project: "p2")
        // Captured today; captured on a laptop whose clock says ten years ago (a flat clock battery).
        let today = Self.person("Awa Aujourd'hui", session: session.recordID, hlc: clock.stamp(counter: 2))
        let flat = Self.person("Bintou Pile", session: session.recordID, hlc: clock.stamp(counter: 3, minusDays: 3650))
        let elsewhere = Self.person(
            "Coumba Ailleurs", session: p2session.recordID, hlc: clock.stamp(counter: 2), project: "p2", node: "c000000000000003")
        try await Self.push([session, today, flat], as: "fac1", fx)
        try await Self.push([p2session, elsewhere], as: "fac3", node: "c000000000000003", fx)

        // The first sweep finds nothing due: the flat-battery record is not believed ten years old.
        var sweeps = try await fx.backend.sweepRetention()
        #expect(sweeps.first { $0.project == "p1" }?.erased == [], "\(sweeps)")
        #expect(try await Self.name(flat.recordID, fx) == .string("Bintou Pile"))

        // Ten days on, another flat-battery laptop's record arrives: its period starts now.
        clock.advance(days: 10)
        let late = Self.person("Djeneba Tardive", session: session.recordID, hlc: clock.stamp(counter: 4, minusDays: 3660), node: "b000000000000002")
        try await Self.push([late], as: "fac2", node: "b000000000000002", fx)
        sweeps = try await fx.backend.sweepRetention()
        #expect(sweeps.first { $0.project == "p1" }?.erased == [], "\(sweeps)")

        // Thirty-one days after the first arrivals: a dry run lists them and changes nothing.
        clock.advance(days: 21)
        let logged = try await fx.changeCount()
        let dry = try await fx.backend.sweepRetention(project: "p1", dryRun: true)
        #expect(Set(dry.first?.erased ?? []) == [today.recordID, flat.recordID], "\(dry)")
        #expect(try await fx.changeCount() == logged)
        #expect(try await Self.name(today.recordID, fx) == .string("Awa Aujourd'hui"))

        sweeps = try await fx.backend.sweepRetention()
        #expect(Set(sweeps.first { $0.project == "p1" }?.erased ?? []) == [today.recordID, flat.recordID], "\(sweeps)")
        #expect(sweeps.first { $0.project == "p2" }?.erased == [], "p2 keeps names for ever")
        for id in [today.recordID, flat.recordID] {
            let state = try #require(try await fx.backend.storedRecord(id)?.state)
            #expect(state.values["name"] == nil && state.values["phone"] == nil, "\(state.values)")
            #expect(state.erased == ["name", "phone"])
            #expect(state.values[erasedByField] == .string("retention (30 days)"))
            #expect(state.values["age_band"] == .string("18_24"), "counts stay")
        }
        #expect(try await Self.name(late.recordID, fx) == .string("Djeneba Tardive"), "arrived 21 days ago")
        #expect(try await Self.name(elsewhere.recordID, fx) == .string("Coumba Ailleurs"))
        // The erasure is in the change log for laptops to pull, and no change, history row or log line holds the names.
        let logText = try await fx.backend.loggedChanges().map(\.serialized).joined()
        #expect(!logText.contains("Awa") && !logText.contains("Bintou"))
        #expect(try await fx.backend.loggedChanges().filter { $0.values[erasedField] != nil }.count == 2)
        #expect(!fx.logs.all.contains { $0.contains("Awa") || $0.contains("Bintou") })

        // A sweep again writes nothing more; ten days later the late record goes too.
        let afterErasure = try await fx.changeCount()
        _ = try await fx.backend.sweepRetention()
        #expect(try await fx.changeCount() == afterErasure, "an erased record is not erased again")
        clock.advance(days: 10)
        sweeps = try await fx.backend.sweepRetention()
        #expect(sweeps.first { $0.project == "p1" }?.erased == [late.recordID], "\(sweeps)")
        #expect(try await Self.name(elsewhere.recordID, fx) == .string("Coumba Ailleurs"))
    }

    @Test(arguments: BackendKind.all)
    func aPersonsErasureIsNotRepeatedAndRecordsAlreadyThereStartAtTheirCreation(_ kind: BackendKind) async throws {
        let clock = Clock(Date())
        let fx = try await ServerFixture(kind, now: { clock.now })
        let session = sessionChange(node: "a000000000000001", hlc: clock.stamp(counter: 1))
        let first = Self.person("Fatou Première", session: session.recordID, hlc: clock.stamp(counter: 2))
        let forgotten = Self.person("Hawa Oubliée", session: session.recordID, hlc: clock.stamp(counter: 3))
        try await Self.push([session, first, forgotten], as: "fac1", fx)
        _ = try await fx.backend.erase(project: "p1", record: forgotten.recordID, by: "coordinator")
        // Fifty days on, a laptop whose clock says ten years ago is heard from for the first time.
        clock.advance(days: 50)
        let flat = Self.person("Oumou Pile", session: session.recordID, hlc: clock.stamp(counter: 4, minusDays: 3650), node: "b000000000000002")
        try await Self.push([flat], as: "fac2", node: "b000000000000002", fx)
        // Retention set, and the service first sweeps, two months after the first records came: they are due at once;
        // the flat-clock record, ten days after the service first heard from its laptop, is not.
        clock.advance(days: 10)
        try await fx.backend.setRetention(project: "p1", days: 30, by: "coordinator")
        #expect(try await fx.backend.retentionPolicies().map(\.days) == [30])
        let before = try await fx.changeCount()
        let sweep = try await fx.backend.sweepRetention(project: "p1")
        #expect(sweep.first?.erased == [first.recordID], "the erased one is not erased again: \(sweep)")
        #expect(try await fx.changeCount() == before + 1)
        #expect(try await Self.name(flat.recordID, fx) == .string("Oumou Pile"))
        clock.advance(days: 21)
        #expect(try await fx.backend.sweepRetention(project: "p1").first?.erased == [flat.recordID])
        let forgottenBy = try await fx.backend.storedRecord(forgotten.recordID)?.state.values[erasedByField]
        #expect(forgottenBy == .string("coordinator"))
        // Turning retention off stops it.
        try await fx.backend.setRetention(project: "p1", days: 0, by: "coordinator")
        let another = Self.person("Kadia Gardée", session: session.recordID, hlc: clock.stamp(counter: 5))
        try await Self.push([another], as: "fac1", fx)
        clock.advance(days: 400)
        #expect(try await fx.backend.sweepRetention(project: "p1").first?.erased == [])
        #expect(try await Self.name(another.recordID, fx) == .string("Kadia Gardée"))
    }

    @Test(arguments: BackendKind.all) func aBadPeriodIsRefusedByNameAndChangesNothing(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.backend.setRetention(project: "p1", days: 90, by: "coordinator")
        for (days, by, project, words) in [
            (-1, "x", "p1", "--days: '-1'"), (36_501, "x", "p1", "36500"), (30, "  ", "p1", "--by"), (30, "x", "nope", "no project 'nope'"),
        ] {
            await #expect {
                try await fx.backend.setRetention(project: project, days: days, by: by)
            } throws: { error in
                "\(error)".contains(words)
            }
        }
        #expect(try await fx.backend.retentionPolicies().map { "\($0.project) \($0.days) \($0.setBy ?? "")" } == ["p1 90 coordinator"])
        await #expect(throws: ServiceError.self) { try await fx.backend.sweepRetention(project: "nope") }
    }

    /// The service sweeps by itself once the database is ready, and again every period.
    @Test func theRunningServiceSweepsOnceReadyAndThenEveryPeriod() async throws {
        let clock = Clock(Date())
        let fx = try await ServerFixture(.sqlite, now: { clock.now })
        try await fx.backend.setRetention(project: "p1", days: 1, by: "coordinator")
        let session = sessionChange(node: "a000000000000001", hlc: clock.stamp(counter: 1))
        let person = Self.person("Mariam Balayée", session: session.recordID, hlc: clock.stamp(counter: 2))
        try await Self.push([session, person], as: "fac1", fx)
        let ready = ReadyGate()
        let service = RetentionService(backend: fx.backend, every: .milliseconds(20), ready: ready, logger: Logger(label: "test"))
        let task = Task { try await service.run() }
        defer { task.cancel() }
        // Not before the gate opens, even when due.
        clock.advance(days: 2)
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await Self.name(person.recordID, fx) == .string("Mariam Balayée"))
        ready.open()
        var erased = false
        for _ in 0..<250 where !erased {
            try await Task.sleep(for: .milliseconds(20))
            erased = try await Self.name(person.recordID, fx) == nil
        }
        #expect(erased, "the service erased the record once ready")
        // And again at a later sweep, for a record that arrives afterwards.
        let next = Self.person("Nana Suivante", session: session.recordID, hlc: clock.stamp(counter: 3))
        try await Self.push([next], as: "fac1", fx)
        // Its arrival noted now (a dry run notes arrivals too), whenever the service's own sweep comes round.
        #expect(try await fx.backend.sweepRetention(project: "p1", dryRun: true).first?.erased == [], "its day has not passed")
        #expect(try await Self.name(next.recordID, fx) == .string("Nana Suivante"))
        clock.advance(days: 2)
        erased = false
        for _ in 0..<250 where !erased {
            try await Task.sleep(for: .milliseconds(20))
            erased = try await Self.name(next.recordID, fx) == nil
        }
        #expect(erased, "a later sweep erased the later record")
        task.cancel()
        _ = try? await task.value
    }

    /// Two sweeps at once (the running service and `erase --expired`, or two instances) erase each record once.
    @Test(arguments: BackendKind.all)
    func sweepsRunningAtOnceEraseEachRecordOnce(_ kind: BackendKind) async throws {
        let clock = Clock(Date())
        let fx = try await ServerFixture(kind, now: { clock.now })
        try await fx.backend.setRetention(project: "p1", days: 30, by: "coordinator")
        let session = sessionChange(node: "a000000000000001", hlc: clock.stamp(counter: 1))
        let people = (0..<20).map { Self.person("Personne \($0)", session: session.recordID, hlc: clock.stamp(counter: Int64(2 + $0))) }
        try await Self.push([session] + people, as: "fac1", fx)
        _ = try await fx.backend.sweepRetention()
        clock.advance(days: 31)
        let backend = fx.backend
        let sweeps = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { try await backend.sweepRetention(project: "p1").flatMap(\.erased) } }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        #expect(sweeps.flatMap { $0 }.sorted() == people.map(\.recordID).sorted(), "each erased by exactly one sweep: \(sweeps)")
        let erasures = try await fx.backend.loggedChanges().filter { $0.values[erasedField] != nil }
        #expect(erasures.count == people.count, "one erasure per record in the change log")
    }

    /// A sweep of a project no form was ever stored for leaves it so: the project gets its forms from the service's
    /// forms when it is first used, not the built-in ones from a command run without `--forms`.
    @Test(arguments: BackendKind.all)
    func aSweepStoresNoFormsForAProjectThatHasNone(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.backend.createProject(code: "empty", name: "Empty")
        try await fx.backend.setRetention(project: "empty", days: 30, by: "coordinator")
        #expect(try await fx.backend.storedFormCount(project: "empty") == 0)
        let sweep = try await fx.backend.sweepRetention(project: "empty")
        #expect(sweep.first?.erased == [])
        #expect(try await fx.backend.storedFormCount(project: "empty") == 0)
    }
}
