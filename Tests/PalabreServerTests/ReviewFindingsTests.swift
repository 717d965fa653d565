import Foundation
import GRDB
import PalabreCore
import PalabreServer
import PalabreServerInspection
@testable import PalabreStore
import PalabreSync
import Testing

/// Review findings: each test states what the design promises and fails while the finding stands.
@Suite struct ReviewFindingsTests {
    let session = SyncLab.forms["session"]!

    /// Finding 1. A batch applied by the service whose answer was lost is still "unsent" on the laptop. If the next
    /// push is refused for a clock ahead (because a newer change joined the queue, so the batch id is new),
    /// `restampUnsent` re-stamps the already-applied changes too. The service then receives them again under new,
    /// later stamps: a value another laptop had already replaced (after seeing it) comes back and wins.
    @Test(arguments: BackendKind.all) func restampAfterLostAnswerRevertsAnotherLaptopsLaterEdit(_ kind: BackendKind) async throws {
        var rng = SeededRandom(seed: 11)
        let lab = try await SyncLab(kind)
        let a = try await lab.addLaptop("a")
        let b = try await lab.addLaptop("b")
        let id = try a.store.create(form: session, values: sessionValues(&rng, title: "Original"))
        lab.faults.loseAnswer = 1
        await #expect(throws: SyncError.self) { try await a.sync() }  // applied by the service, answer lost
        lab.faults.loseAnswer = 0
        try await b.sync()
        try b.store.edit(id: id, set: ["title": .string("B corrected it")], catalog: SyncLab.forms)  // B saw "Original"
        try await b.sync()
        // A's wall clock jumps an hour ahead; a new change joins its queue.
        a.clock.set(offset: 3600)
        try a.store.create(form: session, values: sessionValues(&rng))
        try await Task.sleep(for: .milliseconds(20))
        let summary = try await a.sync()
        #expect(summary.restamped == 1, "only the change the service never saw should be re-stamped (got \(summary.restamped))")
        let aNode = try a.store.identity().node
        let aChangesOnRecord = try await lab.backend.loggedChanges().filter { $0.recordID == id && $0.stamp.node == aNode }
        #expect(aChangesOnRecord.count == 1, "the service holds A's creation \(aChangesOnRecord.count) times under different stamps")
        #expect(
            try await lab.serviceState()[id]?["title"] == .string("B corrected it"),
            "B's edit, made after seeing A's value, was reverted by the re-stamped copy of that value")
    }

    /// Finding 2. A local change that lost, locally, to a pulled write is re-stamped above that write
    /// (the floor includes pulled stamps) but the record is not re-merged, and the laptop never pulls its own change
    /// back: the laptop keeps the pulled value while the service and everyone else take the laptop's value.
    @Test(arguments: BackendKind.all) func restampOfALocallyLosingChangeDiverges(_ kind: BackendKind) async throws {
        var rng = SeededRandom(seed: 12)
        let lab = try await SyncLab(kind)
        let a = try await lab.addLaptop("a")
        let b = try await lab.addLaptop("b")
        let id = try a.store.create(form: session, values: sessionValues(&rng, title: "Original"))
        try await a.sync()
        try await b.sync()
        try a.store.edit(id: id, set: ["title": .string("A offline")], catalog: SyncLab.forms)  // queued on A
        try await Task.sleep(for: .milliseconds(20))
        try b.store.edit(id: id, set: ["title": .string("B later")], catalog: SyncLab.forms)  // later, concurrent
        try await b.sync()
        // A pulls (e.g. a capture writes while a sync is pulling, or a pull-only client): B's later edit wins on A.
        var s = SyncSummary()
        try await a.client.pull(&s)
        #expect(try a.store.record(id)?.values["title"] == .string("B later"))
        // Then A's clock jumps ahead and a new change gets the queue refused and re-stamped.
        a.clock.set(offset: 3600)
        try a.store.create(form: session, values: sessionValues(&rng))
        try await a.sync()
        try await b.sync()
        try await a.sync()
        let onA = try a.store.record(id)?.values["title"]
        let onService = try await lab.serviceState()[id]?["title"]
        let onB = try b.store.record(id)?.values["title"]
        #expect(onA == onService, "A shows \(String(describing: onA)), the service \(String(describing: onService))")
        #expect(onB == onService)
    }

    /// Finding 3. Batch ids name a slice of the queue by sequence number, and the service answers a known
    /// `(node, batch)` from its table without looking at the content. A store restored from a backup (or copied to a
    /// second laptop) re-uses sequence numbers: its new changes get the old batch's stored answer, are marked
    /// acknowledged, and never reach the service. Pulls skip the node's own changes, so the restored store never gets
    /// back what it had pushed either.
    @Test(arguments: BackendKind.all) func aRestoredStoreReusesBatchIdsAndItsNewWorkIsSilentlyDropped(_ kind: BackendKind) async throws {
        var rng = SeededRandom(seed: 13)
        let lab = try await SyncLab(kind)
        let a = try await lab.addLaptop("a")
        let backupPath = lab.dir.appendingPathComponent("a-backup.sqlite").path
        try a.store.pool.backup(to: DatabaseQueue(path: backupPath))  // last night's backup
        let x = try a.store.create(form: session, values: sessionValues(&rng, title: "Before the crash"))
        try await a.sync()
        // The laptop dies; the store is restored from the backup, and the facilitator captures a new record.
        let restored = try FieldStore(path: backupPath, now: { a.clock.now() })
        let client = SyncClient(store: restored, transport: a.client.transport)
        let y = try restored.create(form: session, values: sessionValues(&rng, title: "After the restore"))
        let summary = try await client.sync()
        #expect(summary.sent == 1)
        #expect(try restored.unsentCount() == 0, "the laptop believes it was sent")
        #expect(try await lab.serviceState()[y] != nil, "the service never received the new record: the stale answer of batch -1-1 was replayed")
        #expect(try restored.record(x) != nil, "the restored store never gets back its own pushed record")
    }

    /// Finding 4. Changes applied from a bundle (`applyChanges`, local = 0) are neither bounded nor excluded from the
    /// re-stamp floor. One change from a laptop at 2040 moves this store's clock to 2040, and every re-stamp then
    /// starts above it: the push is refused again, and the queue can never be sent.
    @Test(arguments: BackendKind.all) func aBundleFromA2040LaptopBlocksThePushQueueForever(_ kind: BackendKind) async throws {
        var rng = SeededRandom(seed: 14)
        let lab = try await SyncLab(kind)
        let a = try await lab.addLaptop("a")
        let year: TimeInterval = 365 * 86_400
        let far = HLC(wallMilliseconds: HLC.milliseconds(Date().addingTimeInterval(14 * year)))
        let fromBundle = Change(
            recordID: RecordID.make(), form: "session", formVersion: session.version, project: "p1",
            stamp: Stamp(hlc: far, node: "00000000000000ff"), values: sessionValues(&rng).mapValues { Optional($0) })
        _ = try a.store.applyChanges([fromBundle], catalog: SyncLab.forms, origin: "bundle")
        let mine = try a.store.create(form: session, values: sessionValues(&rng))
        // Bundles between laptops (USB) are not a feature yet; when they come, applying one must bound foreign stamps
        // as the service does. Until then this is a known issue of the store's applyChanges, kept visible here.
        let state = try await lab.serviceState()
        await withKnownIssue("bundles: foreign stamps are not bounded yet") {
            do { try await a.sync() } catch { Issue.record("the laptop's own (correctly clocked) work cannot be sent: \(error)") }
            #expect(state[mine] != nil)
        }
    }
}
