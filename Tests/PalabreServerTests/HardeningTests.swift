import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import PalabreCore
import PalabreServer
import PalabreServerInspection
@testable import PalabreStore
import PalabreSync
import Testing

/// What a token holder other than `palabre` can send, and what the service must still refuse, withhold or survive
/// (issue 9). Each test failed before its fix.
@Suite struct HardeningTests {
    /// A change of any form, stamped now.
    static func change(
        _ form: String, node: String = "a000000000000001", counter: Int64 = 0, record: String = RecordID.make(),
        project: String = "p1", version: Int = 1, hlc: HLC? = nil, values: [String: Value?],
        prev: [String: Stamp] = [:]
    ) -> Change {
        Change(
            recordID: record, form: form, formVersion: version, project: project,
            stamp: Stamp(hlc: hlc ?? stampNow(counter: counter), node: node), values: values, prev: prev)
    }

    static func participant(
        session: String, counter: Int64, values: [String: Value?] = [:], record: String = RecordID.make(),
        node: String = "a000000000000001"
    ) -> Change {
        var all: [String: Value?] = [
            "session": .string(session), "consent": .string("no"), "sex": .string("female"),
            "age_band": .string("18_24"), "role": .string("youth"),
        ]
        for (k, v) in values { all[k] = .some(v) }
        return change("participant", node: node, counter: counter, record: record, values: all)
    }

    /// Pushes changes as a device; returns the answer (the push must be answered 200).
    static func push(
        _ changes: [Change], as device: String, node: String = "a000000000000001", batch: String = UUID().uuidString,
        _ client: some TestClientProtocol, _ fx: ServerFixture
    ) async throws -> Wire.PushResponse {
        let r = try await client.push(Wire.PushRequest(batch: batch, node: node, changes: changes), token: fx.tokens[device])
        try #require(r.status == .ok, "push answered \(r.status): \(r.text)")
        return try Wire.PushResponse(text: r.text)
    }

    /// A failure of the service's own database is a 503 `storage` answer that names no table, query or path (the cause
    /// is logged), and the service goes on answering.
    @Test func aBrokenDatabaseIsA503ThatRevealsNothingInternal() async throws {
        let fx = try await ServerFixture(.sqlite)
        let queue = try DatabaseQueue(path: fx.dir.appendingPathComponent("central.sqlite").path)
        try await queue.write { db in try db.execute(sql: "DROP TABLE batches") }
        try await fx.app().test(.router) { client in
            let node = "abababababababab"
            let r = try await client.push(
                Wire.PushRequest(batch: "b1", node: node, changes: [sessionChange(node: node, hlc: stampNow())]),
                token: fx.tokens["fac1"])
            #expect(r.status == .serviceUnavailable && r.errorCode == "storage", "\(r.status) \(r.text)")
            #expect(!r.text.contains("batches") && !r.text.lowercased().contains("sql") && !r.text.contains(fx.dir.path), "\(r.text)")
            #expect(try await client.send(.get, "/healthz").status == .ok)
        }
    }

    @Test(arguments: BackendKind.all) func valuesTheFormsForbidAreSetAsideExactlyAsTheCLIRefusesThem(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let session = sessionChange(node: "a000000000000001", hlc: stampNow(counter: 1))
        let initiative = Self.change(
            "initiative", counter: 2,
            values: [
                "title": .string("Forage"), "type": .string("borehole"),
                "status": .string("proposed"),
            ])
        // Each of these breaks one rule of its form; the CLI would refuse every one.
        let bad: [(String, Change)] = [
            (
                "progress",
                Self.change(
                    "followup", counter: 3,
                    values: [
                        "initiative": .string(initiative.recordID), "date": .string("2026-11-20"),
                        "status": .string("in_progress"), "progress": .integer(1000),
                    ])
            ),
            (
                "beneficiaries",
                Self.change(
                    "initiative", counter: 4,
                    values: [
                        "title": .string("Puits"), "type": .string("well"),
                        "status": .string("proposed"), "beneficiaries": .integer(-5),
                    ])
            ),
            ("women_count", sessionChange(node: "a000000000000001", hlc: stampNow(counter: 5), values: ["women_count": .integer(.max)])),
            (
                "name",
                Self.participant(
                    session: session.recordID, counter: 6,
                    values: ["consent": .string("yes"), "name": .string(String(repeating: "Secret ", count: 800))])
            ),
            (
                "phone",
                Self.participant(
                    session: session.recordID, counter: 7,
                    values: ["consent": .string("yes"), "name": .string("Awa"), "phone": .string("call me maybe")])
            ),
            ("name", Self.participant(session: session.recordID, counter: 9, values: ["name": .string("Aminata Secret")])),  // consent no
            ("session", Self.participant(session: RecordID.make(), counter: 10)),  // no such session
            (
                "title",
                sessionChange(
                    node: "a000000000000001", hlc: stampNow(counter: 11),
                    values: ["title": .string(String(repeating: "x", count: 20_000))])
            ),
            (
                "estimated_cost",
                Self.change(
                    "initiative", counter: 12,
                    values: [
                        "title": .string("Route"), "type": .string("road"),
                        "status": .string("proposed"), "estimated_cost": .decimal(1e308),
                    ])
            ),
        ]
        // The one rule the service does not hold a laptop to: a required identifying value (a name when consent is
        // given). Any store may erase it at any time, and a write made before the erasure arrives without it.
        let nameless = Self.participant(session: session.recordID, counter: 8, values: ["consent": .string("yes")])
        try await fx.app().test(.router) { client in
            let answer = try await Self.push([session, initiative, nameless] + bad.map(\.1), as: "fac1", client, fx)
            #expect(answer.applied == 3, "only the three valid records")
            #expect(answer.setAside.count == bad.count)
            for (field, change) in bad {
                let entry = answer.setAside.first { $0.record == change.recordID }
                #expect(entry?.reason.contains(".\(field)") == true, "\(field): \(entry?.reason ?? "not set aside")")
            }
            // Reasons never repeat a sensitive value; nor do the service's logs.
            #expect(!answer.setAside.contains { $0.reason.contains("Secret") })
            #expect(!fx.logs.all.contains { $0.contains("Secret") })
            for (_, change) in bad { #expect(try await fx.backend.storedRecord(change.recordID) == nil) }
        }
    }

    @Test(arguments: BackendKind.all) func referencesMustNameARecordOfTheSameProject(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let elsewhere = sessionChange(node: "c000000000000003", hlc: stampNow(counter: 1), project: "p2")
        try await fx.app().test(.router) { client in
            let a = try await Self.push([elsewhere], as: "fac3", node: "c000000000000003", client, fx)
            #expect(a.applied == 1)
            let p = Self.participant(session: elsewhere.recordID, counter: 2)
            let b = try await Self.push([p], as: "fac1", client, fx)
            #expect(b.applied == 0)
            #expect(b.setAside.first?.reason.contains("participant.session") == true, "\(b.setAside)")
        }
    }

    @Test(arguments: BackendKind.all) func anEditIsCheckedOverTheRecordAsItsWriterSawIt(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let session = sessionChange(node: "a000000000000001", hlc: stampNow(counter: 1))
        let s = Stamp(hlc: session.stamp.hlc, node: session.stamp.node)
        try await fx.app().test(.router) { client in
            _ = try await Self.push([session], as: "fac1", client, fx)
            // Clearing a required field, or breaking a rule, is refused; a valid edit goes through.
            let clear = sessionChange(
                node: "a000000000000001", hlc: stampNow(counter: 2), record: session.recordID,
                values: ["locality": nil], prev: ["locality": s])
            let tooMany = sessionChange(
                node: "a000000000000001", hlc: stampNow(counter: 3), record: session.recordID,
                values: ["men_count": .integer(50_000)], complete: false)
            let fine = sessionChange(
                node: "a000000000000001", hlc: stampNow(counter: 4), record: session.recordID,
                values: ["men_count": .integer(40)], complete: false)
            let answer = try await Self.push([clear, tooMany, fine], as: "fac1", client, fx)
            #expect(answer.applied == 1)
            #expect(answer.setAside.map(\.hlc) == [clear.stamp.hlc.rawValue, tooMany.stamp.hlc.rawValue])
            let stored = try #require(try await fx.backend.storedRecord(session.recordID))
            #expect(stored.values["locality"] == .string("Bara"))
            #expect(stored.values["men_count"] == .integer(40))
        }
    }

    @Test(arguments: BackendKind.all) func forgedVersionsAndStampsAreSetAside(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        var forged = sessionChange(node: "a000000000000001", hlc: stampNow(counter: 1), values: ["secret_name": .string("Aminata")])
        forged.formVersion = 0
        let versionZero = forged
        let negative = sessionChange(node: "a000000000000001", hlc: HLC(rawValue: -5))
        try await fx.app().test(.router) { client in
            let answer = try await Self.push([versionZero, negative], as: "fac1", client, fx)
            #expect(answer.applied == 0)
            #expect(answer.setAside.count == 2)
            #expect(answer.setAside[0].reason.contains("version 0"))
            #expect(answer.setAside[1].reason.contains("clock value -5"))
            #expect(!answer.setAside.contains { $0.reason.contains("Aminata") })
        }
    }

    @Test(arguments: BackendKind.all) func aLosingPastStampedWriteMovesNeitherCreationTimeNorDevice(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let session = sessionChange(node: "a000000000000001", hlc: stampNow(counter: 1))
        let old = sessionChange(
            node: "b000000000000002", hlc: HLC(wallMilliseconds: HLC.milliseconds(Date(timeIntervalSince1970: 1_500_000_000))),
            record: session.recordID, values: ["title": .string("Vieux")], complete: false)
        try await fx.app().test(.router) { client in
            _ = try await Self.push([session], as: "fac1", client, fx)
            let answer = try await Self.push([old], as: "fac2", node: "b000000000000002", client, fx)
            #expect(answer.applied == 1)
        }
        let stored = try #require(try await fx.backend.storedRecord(session.recordID))
        #expect(stored.created == session.stamp)
        #expect(stored.values["title"] == .string("Séance"))
    }

    @Test(arguments: BackendKind.all) func aNodeBelongsToTheFirstDeviceThatPushedFromIt(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let node = "a000000000000001"
        let mine = sessionChange(node: node, hlc: stampNow(counter: 1))
        try await fx.app().test(.router) { client in
            _ = try await Self.push([mine], as: "fac1", node: node, batch: "b-1", client, fx)
            // Another facilitator under fac1's node: refused, nothing applied.
            let forged = sessionChange(node: node, hlc: stampNow(counter: 2))
            let r = try await client.push(Wire.PushRequest(batch: "b-2", node: node, changes: [forged]), token: fx.tokens["fac2"])
            #expect(r.status == .conflict)
            #expect(r.errorCode == "node_in_use")
            #expect(r.text.contains("fac1") && r.text.contains("palabre node renew"))
            #expect(try await fx.backend.storedRecord(forged.recordID) == nil)
            // Another project's device replaying fac1's batch gets neither the stored answer nor a write.
            let replay = try await client.push(Wire.PushRequest(batch: "b-1", node: node, changes: []), token: fx.tokens["fac3"])
            #expect(replay.status == .conflict)
            #expect(!replay.text.contains("\"applied\""))
        }
        // Once fac1 is revoked (its laptop re-enrolled under a new token), the node may be taken over.
        _ = try await fx.backend.revoke("fac1")
        try await fx.app().test(.router) { client in
            let next = sessionChange(node: node, hlc: stampNow(counter: 3))
            let answer = try await Self.push([next], as: "fac2", node: node, client, fx)
            #expect(answer.applied == 1)
        }
    }

    @Test(arguments: BackendKind.all) func aBatchOfMoreThan500ChangesIsRefusedWith413(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let changes = (0..<501).map { sessionChange(node: "a000000000000001", hlc: stampNow(counter: Int64($0))) }
        try await fx.app().test(.router) { client in
            let r = try await client.push(Wire.PushRequest(batch: "big", node: "a000000000000001", changes: changes), token: fx.tokens["fac1"])
            #expect(r.status == .contentTooLarge)
            #expect(r.errorCode == "too_large")
            #expect(r.text.contains("501") && r.text.contains("500"))
            #expect(try await fx.changeCount() == 0)
            let ok = try await Self.push(Array(changes.prefix(500)), as: "fac1", client, fx)
            #expect(ok.applied == 500)
        }
    }

    @Test func hugeStoredFiguresNeverKillTheIndicatorsOrTheDashboard() async throws {
        // Stored data that predates the bounds (or came from a store that had none): written through a backend on the
        // same database whose forms allow anything, then served by one with the real forms. (The figures are
        // computed by the same code on PostgreSQL.)
        let fx = try await ServerFixture(.sqlite)
        var lax = Array(ServerFixture.forms.forms.values)
        for i in lax.indices { for j in lax[i].fields.indices { lax[i].fields[j].constraint = nil } }
        let sessions = (1...2).map { i in
            sessionChange(
                node: "a000000000000001", hlc: stampNow(counter: Int64(i)),
                values: ["women_count": .integer(.max), "men_count": .integer(.max), "youth_count": .integer(.max)])
        }
        let initiatives = (3...4).map { i in
            Self.change(
                "initiative", counter: Int64(i),
                values: [
                    "title": .string("Forage"), "type": .string("borehole"), "status": .string("proposed"),
                    "beneficiaries": .integer(.max), "estimated_cost": .decimal(1.7e308),
                ])
        }
        // Written into the service's database as a store whose forms allow anything would have (the service itself
        // now checks every push against the project's published forms).
        let laxForms = FormCatalog(forms: lax)
        let central = try #require(fx.backend as? SQLiteBackend)
        let stored = try await central.store.hostWrite { db in
            try FieldStore.applyRemote(db, sessions + initiatives, catalog: laxForms, origin: "old", checksRecords: true)
        }
        #expect(stored.applied == 4)
        try await fx.app().test(.router) { client in
            let r = try await client.send(.get, "/v1/indicators", token: fx.tokens["coord"])
            #expect(r.status == .ok)
            let json = try JSON.parse(r.text)
            #expect(json["participants"]?["total"]?.intValue == Int64.max)
            #expect(json["initiatives"]?["beneficiaries"]?.intValue == Int64.max)
            #expect(!r.text.contains("inf") && !r.text.contains("nan"))
            let cookie = try await client.session(fx.tokens["coord"]!)
            let page = try await client.send(.get, "/dashboard", headers: [.cookie: cookie])
            #expect(page.status == .ok)
            #expect(!page.text.contains("NaN"))
        }
    }

    @Test(arguments: BackendKind.all) func analystsNeverSeeAFieldNoFormDeclares(_ kind: BackendKind) async throws {
        // A participant captured with a phone, read by a service whose participant form no longer has one.
        let fx = try await ServerFixture(kind)
        let session = sessionChange(node: "a000000000000001", hlc: stampNow(counter: 1))
        let p = Self.participant(
            session: session.recordID, counter: 2,
            values: ["consent": .string("yes"), "name": .string("Awa Touré"), "phone": .string("+223 70 00 00 00")])
        try await fx.app().test(.router) { client in
            let a = try await Self.push([session, p], as: "fac1", client, fx)
            #expect(a.applied == 2)
        }
        var forms = Array(ServerFixture.forms.forms.values)
        let i = try #require(forms.firstIndex { $0.name == "participant" })
        let old = forms[i]
        forms[i] = Form(name: old.name, version: 2, title: old.title, fields: old.fields.filter { $0.name != "phone" })
        let withoutPhone = FormCatalog(forms: forms)
        let records = try await fx.backend.records(project: "p1", form: "participant")
        #expect(records.first?.values["phone"] != nil, "the data is kept")
        let shown = Redaction.masked(try #require(records.first).values, form: withoutPhone["participant"])
        #expect(shown["phone"] == nil)
        #expect(shown["name"] == Redaction.mask)
        let change = Redaction.masked(p, form: withoutPhone["participant"])
        #expect(change.values["phone"] == nil && change.prev["phone"] == nil)
        #expect(change.values["sex"] == .some(.string("female")))
    }

    @Test(arguments: BackendKind.all, [false, true])
    func aConsentWithdrawalWinsOverAConcurrentNameEditInEitherOrder(_ kind: BackendKind, withdrawalFirst: Bool) async throws {
        let fx = try await ServerFixture(kind)
        let a = "a000000000000001", b = "b000000000000002"
        let session = sessionChange(node: a, hlc: stampNow(counter: 1))
        let person = Self.participant(
            session: session.recordID, counter: 2,
            values: [
                "consent": .string("yes"), "name": .string("Hawa Maïga"),
                "phone": .string("+223 70 00 00 00"),
            ], node: a)
        let base = person.stamp
        // Laptop A: consent withdrawn, name and phone cleared. Laptop B, offline, later by its clock: the name corrected.
        let withdrawal = Self.change(
            "participant", node: a, counter: 3, record: person.recordID,
            values: ["consent": .string("no"), "name": nil, "phone": nil],
            prev: ["consent": base, "name": base, "phone": base])
        let correction = Self.change(
            "participant", node: b, counter: 9, record: person.recordID, values: ["name": .string("Hawa Maïga Touré")],
            prev: ["name": base])
        try await fx.app().test(.router) { client in
            _ = try await Self.push([session, person], as: "fac1", node: a, client, fx)
            let pushes: [(Change, String, String)] = [(withdrawal, "fac1", a), (correction, "fac2", b)]
            for (change, device, node) in withdrawalFirst ? pushes : pushes.reversed() {
                let answer = try await Self.push([change], as: device, node: node, client, fx)
                #expect(answer.applied == 1, "\(answer.setAside)")
            }
            let stored = try #require(try await fx.backend.storedRecord(person.recordID))
            #expect(stored.values["consent"] == .string("no"))
            #expect(stored.values["name"] == nil && stored.values["phone"] == nil, "\(stored.values)")
            let records = try await client.send(.get, "/v1/records?form=participant", token: fx.tokens["coord"])
            #expect(!records.text.contains("Hawa"))
            let csv = try await client.send(.get, "/v1/export?format=jsonl&form=participant", token: fx.tokens["coord"])
            #expect(!csv.text.contains("Hawa"))
            // Consent given again with a name: the new name stands.
            let again = Self.change(
                "participant", node: a, counter: 20, record: person.recordID,
                values: ["consent": .string("yes"), "name": .string("Hawa M.")], prev: ["consent": withdrawal.stamp])
            _ = try await Self.push([again], as: "fac1", node: a, client, fx)
            #expect(try await fx.backend.storedRecord(person.recordID)?.values["name"] == .string("Hawa M."))
        }
    }

    @Test(arguments: BackendKind.all) func consentNoWithANameIsRefusedOutright(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let session = sessionChange(node: "a000000000000001", hlc: stampNow(counter: 1))
        let person = Self.participant(session: session.recordID, counter: 2)
        try await fx.app().test(.router) { client in
            _ = try await Self.push([session, person], as: "fac1", client, fx)
            // One write saying no consent and giving a name: the writer saw both, so it is refused.
            let both = Self.change(
                "participant", counter: 3, record: person.recordID, values: ["consent": .string("no"), "name": .string("Awa")],
                prev: ["consent": person.stamp])
            let answer = try await Self.push([both], as: "fac1", client, fx)
            #expect(answer.applied == 0)
            #expect(answer.setAside.first?.reason.contains("participant.name") == true)
            #expect(answer.setAside.first?.reason.contains("Awa") == false)
        }
    }

    @Test(arguments: BackendKind.all) func aCopiedStoreIsRefusedUntilItRenewsItsNodeThenNothingIsLost(_ kind: BackendKind) async throws {
        let lab = try await SyncLab(kind)
        let original = try await lab.addLaptop("original")
        let form = SyncLab.forms["session"]!
        var rng = SeededRandom(seed: 7)
        _ = try original.store.create(form: form, values: sessionValues(&rng))
        try await original.sync()
        // The store file is copied to a second laptop, enrolled with its own token; both go on capturing.
        let copyPath = lab.dir.appendingPathComponent("copy.sqlite").path
        try await original.store.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copyPath]) }
        let copy = try FieldStore(path: copyPath)
        let enrollment = try await lab.backend.enroll(name: "second-laptop", project: "p1", role: .facilitator)
        let client = SyncClient(
            store: copy, transport: DirectTransport(backend: lab.backend, device: enrollment.device, faults: lab.faults),
            forms: SyncLab.forms)
        let onCopy = try copy.create(form: form, values: sessionValues(&rng, title: "Sur la copie"))
        let onOriginal = try original.store.create(form: form, values: sessionValues(&rng, title: "Sur l'original"))
        await #expect(throws: SyncError.self) { try await client.sync() }
        #expect(try await lab.backend.storedRecord(onCopy) == nil, "nothing applied under another device's node")
        let (old, new, moved) = try copy.renewNode()
        #expect(old == (try original.store.identity().node) && new != old && moved == 1)
        let summary = try await client.sync()
        #expect(summary.sent == 1)
        try await original.sync()
        try await client.sync()
        #expect(try await lab.backend.storedRecord(onCopy)?.values["title"] == .string("Sur la copie"))
        #expect(try await lab.backend.storedRecord(onCopy)?.created.node == new)
        #expect(try copy.record(onOriginal)?.values["title"] == .string("Sur l'original"))
        #expect(try SyncLab.state(copy) == (try await lab.serviceState()))
        #expect(try SyncLab.state(original.store) == (try await lab.serviceState()))
    }

    @Test func slowAndSilentClientsAreCutOff() async throws {
        let fx = try await ServerFixture(.sqlite)
        var configuration = fx.configuration
        configuration.port = 0
        configuration.idleTimeout = .milliseconds(500)
        configuration.stalledTimeout = .seconds(1)
        let port = PortBox()
        let app = buildApplication(configuration: configuration, backend: fx.backend) { await port.set($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            let p = try await port.wait()
            // Half a request head, then silence: closed after the idle timeout.
            let halfHead = try await RawConnection.open(port: p)
            try await halfHead.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            let closedAfter = try await halfHead.secondsUntilClosed(limit: 10)
            #expect(closedAfter < 5)
            // A head announcing a body that never comes: closed after the stalled timeout.
            let noBody = try await RawConnection.open(port: p)
            try await noBody.send(
                "POST /v1/sync/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(fx.tokens["fac1"]!)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
            let stalled = try await noBody.secondsUntilClosed(limit: 10)
            #expect(stalled < 6)
            group.cancelAll()
        }
    }
}

/// The port a service listens on, once it does.
actor PortBox {
    private var port: Int?
    func set(_ p: Int) { port = p }
    func wait() async throws -> Int {
        for _ in 0..<200 {
            if let port { return port }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw ServiceError.unavailable("the service did not start")
    }
}

/// A plain TCP connection for sending requests by hand.
struct RawConnection {
    let fd: Int32

    static func open(port: Int) async throws -> RawConnection {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw ServiceError.unavailable("cannot connect") }
        return RawConnection(fd: fd)
    }

    func send(_ text: String) async throws {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, bytes.count, 0) }
    }

    /// Reads until the peer closes; the seconds that took (or `limit` when it did not close).
    func secondsUntilClosed(limit: Double) async throws -> Double {
        let start = Date()
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer { close(fd) }
        while Date().timeIntervalSince(start) < limit {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return Date().timeIntervalSince(start) }
            if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return Date().timeIntervalSince(start) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return limit
    }
}
