import Foundation
import PalabreCore
import PalabreServer
import PalabreServerInspection
import PalabreStore
import PalabreSync
import Testing

/// The named sync cases of the design: each sets up a lab, makes the situation happen, and checks the outcome.
@Suite struct SyncCaseTests {
    var rng = SeededRandom(seed: 7)
    let session = SyncLab.forms["session"]!

    @Test(arguments: BackendKind.all) func theSameFieldEditedOnTwoLaptopsConvergesAndIsListedAsAConflict(_ kind: BackendKind) async throws {
        var rng = rng
        let lab = try await SyncLab(kind)
        let a = try await lab.addLaptop("a")
        let b = try await lab.addLaptop("b")
        let id = try a.store.create(form: session, values: sessionValues(&rng, title: "Original"))
        try await a.sync()
        try await b.sync()
        try a.store.edit(id: id, set: ["title": .string("From A")], catalog: SyncLab.forms)
        b.clock.shift(by: 1)  // B's edit is a second later, neither having seen the other's
        try b.store.edit(id: id, set: ["title": .string("From B")], catalog: SyncLab.forms)
        try await a.sync()
        try await b.sync()
        try await a.sync()
        let titleA = try a.store.record(id)?.values["title"]
        #expect(titleA == (try b.store.record(id)?.values["title"]))
        #expect(titleA == (try await lab.serviceState()[id]?["title"]))
        // B wrote after A on the same clock, so B wins; A's value is kept and listed.
        #expect(titleA == .string("From B"))
        let conflicts = try await lab.backend.conflicts(project: "p1")
        #expect(conflicts.contains { $0.record == id && $0.field == "title" })
        #expect(try a.store.conflicts().contains { $0.entry.recordID == id && $0.entry.superseded.value == .string("From A") })
    }

    @Test(arguments: BackendKind.all) func differentFieldsOfOneRecordAreBothKept(_ kind: BackendKind) async throws {
        var rng = rng
        let lab = try await SyncLab(kind)
        let a = try await lab.addLaptop("a")
        let b = try await lab.addLaptop("b")
        let id = try a.store.create(form: session, values: sessionValues(&rng))
        try await a.sync()
        try await b.sync()
        try a.store.edit(id: id, set: ["title": .string("Nouveau titre")], catalog: SyncLab.forms)
        try b.store.edit(id: id, set: ["region": .string("kidal")], catalog: SyncLab.forms)
        for laptop in [a, b, a] { try await laptop.sync() }
        for store in [a.store, b.store] {
            let values = try #require(try store.record(id)).values
            #expect(values["title"] == .string("Nouveau titre"))
            #expect(values["region"] == .string("kidal"))
        }
        #expect(try await lab.backend.conflicts(project: "p1").isEmpty)
    }

    @Test(arguments: BackendKind.all) func aConcurrentEditDoesNotResurrectADeletedRecordButARestoreDoes(_ kind: BackendKind) async throws {
        var rng = rng
        let lab = try await SyncLab(kind)
        let a = try await lab.addLaptop("a")
        let b = try await lab.addLaptop("b")
        let id = try a.store.create(form: session, values: sessionValues(&rng))
        try await a.sync()
        try await b.sync()
        try a.store.delete(id: id)
        b.clock.shift(by: 1)
        try b.store.edit(id: id, set: ["title": .string("Edited later")], catalog: SyncLab.forms)  // stamped after the delete
        for laptop in [a, b, a] { try await laptop.sync() }
        #expect(try a.store.record(id)?.isDeleted == true)
        #expect(try b.store.record(id)?.isDeleted == true)
        #expect(try a.store.record(id)?.values["title"] == .string("Edited later"))
        try b.store.restore(id: id)
        for laptop in [b, a] { try await laptop.sync() }
        #expect(try a.store.record(id)?.isDeleted == false)
        #expect(try a.store.records(form: "session").map(\.id) == [id])
    }

    @Test(arguments: BackendKind.all) func anAnswerLostAfterCommitIsResentWithoutDuplicates(_ kind: BackendKind) async throws {
        var rng = rng
        let lab = try await SyncLab(kind)
        let a = try await lab.addLaptop("a")
        for _ in 0..<5 { try a.store.create(form: session, values: sessionValues(&rng)) }
        lab.faults.loseAnswer = 1
        await #expect(throws: SyncError.self) { try await a.sync() }
        // The service committed the batch, but the laptop never heard: it still has them queued.
        #expect(try await lab.serviceState().count == 5)
        #expect(try a.store.unsentCount() == 5)
        lab.faults.loseAnswer = 0
        let summary = try await a.sync()
        #expect(summary.sent == 5)
        #expect(try a.store.unsentCount() == 0)
        #expect(try await lab.backend.rowCount(.changes) == 5, "the replayed batch must not be applied twice")
    }

    @Test(arguments: BackendKind.all) func aLaptopAt2040IsCorrectedAndDoesNotWinForever(_ kind: BackendKind) async throws {
        var rng = rng
        let lab = try await SyncLab(kind)
        let year: TimeInterval = 365 * 86_400
        let future = try await lab.addLaptop("future", offset: 14 * year)
        let other = try await lab.addLaptop("other")
        let id = try future.store.create(form: session, values: sessionValues(&rng, title: "From 2040"))
        let summary = try await future.sync()
        #expect((summary.clockAheadBy ?? 0) > Int64(13 * year * 1000), "the user is told by how much the clock is ahead")
        #expect(summary.restamped == 1)
        #expect(summary.sent == 1)
        let stamped = try #require(try await lab.backend.storedRecord(id)).state.updated.hlc.date
        #expect(stamped < Date().addingTimeInterval(600), "the service holds a stamp near its own time, not 2040")
        try await other.sync()
        try other.store.edit(id: id, set: ["title": .string("Corrected later")], catalog: SyncLab.forms)
        try await other.sync()
        try await future.sync()
        #expect(try future.store.record(id)?.values["title"] == .string("Corrected later"))
    }

    @Test(arguments: BackendKind.all) func aLaptopAt2010OfflineForAWeekIsNeverRefusedAndAdoptsTheServiceTime(_ kind: BackendKind) async throws {
        var rng = rng
        let lab = try await SyncLab(kind)
        let year: TimeInterval = 365 * 86_400
        let past = try await lab.addLaptop("past", offset: -16 * year)
        let other = try await lab.addLaptop("other")
        var ids: [String] = []
        for _ in 0..<7 {
            ids.append(try past.store.create(form: session, values: sessionValues(&rng)))
            past.clock.shift(by: 86_400)  // a week of work, a day at a time
        }
        let summary = try await past.sync()
        #expect(summary.sent == 7)
        #expect(summary.clockAheadBy == nil)
        try await other.sync()
        try other.store.edit(id: ids[0], set: ["title": .string("Other first")], catalog: SyncLab.forms)
        try await other.sync()
        try await past.sync()
        // Having heard from the service, the 2010 laptop now stamps above it: its next edit wins.
        try past.store.edit(id: ids[0], set: ["title": .string("Past after sync")], catalog: SyncLab.forms)
        try await past.sync()
        try await other.sync()
        #expect(try other.store.record(ids[0])?.values["title"] == .string("Past after sync"))
    }

    @Test(arguments: BackendKind.all) func concurrentPushersAndInterleavedPullsSkipNoChange(_ kind: BackendKind) async throws {
        let lab = try await SyncLab(kind)
        var pushers: [Laptop] = []
        for i in 0..<3 {
            let laptop = try await lab.addLaptop("pusher\(i)")
            var rng = SeededRandom(seed: UInt64(i))
            for _ in 0..<120 { try laptop.store.create(form: session, values: sessionValues(&rng)) }
            pushers.append(laptop)
        }
        let reader = try await lab.addLaptop("reader")
        var readerClient = reader.client
        readerClient.pageSize = 7
        let client = readerClient
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in pushers {
                group.addTask {
                    var c = p.client
                    c.batchSize = 25
                    var summary = SyncSummary()
                    try await c.push(&summary)
                }
            }
            group.addTask {
                for _ in 0..<30 {
                    var summary = SyncSummary()
                    try await client.pull(&summary)
                }
            }
            try await group.waitForAll()
        }
        var summary = SyncSummary()
        try await client.pull(&summary)
        #expect(try reader.store.records().count == 360)
        #expect(try await SyncLab.state(reader.store) == lab.serviceState())
    }

    @Test(arguments: BackendKind.all) func aPoisonChangeIsSetAsideAndTheRestGoesThrough(_ kind: BackendKind) async throws {
        var rng = rng
        let lab = try await SyncLab(kind)
        let a = try await lab.addLaptop("a")
        let good = try a.store.create(form: session, values: sessionValues(&rng))
        // A form version the service does not know yet.
        var newer = session
        newer.version += 1
        let poison = try a.store.create(form: newer, values: sessionValues(&rng))
        let good2 = try a.store.create(form: session, values: sessionValues(&rng))
        let summary = try await a.sync()
        #expect(summary.sent == 2)
        #expect(summary.setAside.map(\.record) == [poison])
        #expect(summary.setAside.first?.reason.contains("version") == true)
        let service = try await lab.serviceState()
        #expect(service[good] != nil && service[good2] != nil && service[poison] == nil)
        #expect(try a.store.setAsideChanges().map(\.change.recordID) == [poison], "the laptop keeps and shows it")
        #expect(try a.store.unsentCount() == 0, "the queue is not blocked")
    }
}
