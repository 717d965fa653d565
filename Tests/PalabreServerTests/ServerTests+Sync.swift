import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PalabreCore
import PalabreServer
import PalabreServerInspection
import Testing

extension ServerTests {
    @Test(arguments: BackendKind.all) func pushedChangesArePulledByAnotherDeviceButNotByTheirWriter(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let node = "a000000000000001"
        let changes = (1...3).map { sessionChange(node: node, hlc: stampNow(counter: Int64($0)), values: ["title": .string("Séance \($0)")]) }
        try await fx.app().test(.router) { client in
            let pushed = try await client.push(Wire.PushRequest(batch: "b1", node: node, changes: changes), token: fx.tokens["fac1"])
            #expect(pushed.status == .ok)
            let answer = try Wire.PushResponse(text: pushed.text)
            #expect(answer.applied == 3 && answer.duplicates == 0 && answer.setAside.isEmpty)
            #expect(abs(answer.serverTime - HLC.milliseconds(Date())) < 60_000)

            let other = try await client.send(.get, "/v1/sync/pull?after=0&node=b000000000000002", token: fx.tokens["fac2"])
            #expect(other.status == .ok)
            let page = try Wire.PullResponse(text: other.text)
            #expect(page.changes == changes)
            #expect(page.more == false)

            let own = try await client.pull("after=0&node=\(node)", token: fx.tokens["fac1"])
            #expect(own.changes.isEmpty, "the writer has its own changes")
            #expect(own.next == page.next, "the cursor still moves past them")

            // A device of another project sees none of it.
            let elsewhere = try await client.pull("", token: fx.tokens["fac3"])
            #expect(elsewhere.changes.isEmpty && elsewhere.next == 0)
        }
        let stored = try #require(try await fx.backend.storedRecord(changes[0].recordID))
        #expect(stored.values["title"] == .string("Séance 1"))
    }

    @Test(arguments: BackendKind.all) func aReplayedBatchGetsTheSameAnswerAndWritesNothing(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let node = "a000000000000001"
        let batch = Wire.PushRequest(
            batch: "\(node)-1-2", node: node,
            changes: [
                sessionChange(node: node, hlc: stampNow(counter: 1)), sessionChange(node: node, hlc: stampNow(counter: 2)),
            ])
        try await fx.app().test(.router) { client in
            let first = try await client.push(batch, token: fx.tokens["fac1"])
            #expect(first.status == .ok)
            let count = try await fx.changeCount()
            #expect(count == 2)
            try await Task.sleep(for: .milliseconds(5))
            let again = try await client.push(batch, token: fx.tokens["fac1"])
            #expect(again.status == .ok)
            #expect(again.text == first.text, "same answer, same server_time")
            #expect(try Wire.PushResponse(text: again.text).applied == 2)
            #expect(try await fx.changeCount() == count)
            // The same changes under a new batch id are recognised as duplicates.
            let renamed = try await client.push(Wire.PushRequest(batch: "other", node: node, changes: batch.changes), token: fx.tokens["fac1"])
            let answer = try Wire.PushResponse(text: renamed.text)
            #expect(answer.applied == 0 && answer.duplicates == 2)
            #expect(try await fx.changeCount() == count)
        }
    }

    @Test(arguments: BackendKind.all) func aBatchStampedAnHourAheadIsRefusedWholeWithTheServiceTime(_ kind: BackendKind) async throws {
        let serviceNow = Date(timeIntervalSince1970: 1_790_000_000)
        let fx = try await ServerFixture(kind, now: { serviceNow })
        let node = "a000000000000001"
        let wall = HLC.milliseconds(serviceNow)
        let fine = sessionChange(node: node, hlc: HLC(wallMilliseconds: wall + 600_000))  // at the bound: accepted
        let ahead = sessionChange(node: node, hlc: HLC(wallMilliseconds: wall + 3_600_000))
        try await fx.app().test(.router) { client in
            let r = try await client.push(Wire.PushRequest(batch: "b1", node: node, changes: [fine, ahead]), token: fx.tokens["fac1"])
            #expect(r.status == .conflict)
            let error = try #require(Wire.ErrorBody(text: r.text))
            #expect(error.code == "clock_ahead")
            #expect(error.serverTime == wall)
            #expect(error.maxAheadMs == 600_000)
            #expect(error.message.contains("stamped 1 h ahead"), "says by how much: \(error.message)")
            #expect(error.message.contains("10 min allowed"))
            #expect(try await fx.changeCount() == 0, "nothing applied, not even the change within the bound")
            #expect(fx.logs.all.contains { $0.contains("clock ahead") && $0.contains("fac1") })

            // Re-stamped, the same batch id goes through: the refusal was not stored as its answer.
            let restamped = sessionChange(node: node, hlc: HLC(wallMilliseconds: wall + 600_000, counter: 1), record: ahead.recordID)
            let retry = try await client.push(Wire.PushRequest(batch: "b1", node: node, changes: [fine, restamped]), token: fx.tokens["fac1"])
            #expect(retry.status == .ok)
            #expect(try Wire.PushResponse(text: retry.text).applied == 2)
        }
    }

    @Test(arguments: BackendKind.all) func aPoisonChangeIsSetAsideAndTheRestOfTheBatchApplies(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let node = "a000000000000001"
        let good = sessionChange(node: node, hlc: stampNow(counter: 1))
        let badChoice = sessionChange(node: node, hlc: stampNow(counter: 2), values: ["region": .string("atlantis")])
        let unknownForm = {
            var change = sessionChange(node: node, hlc: stampNow(counter: 3))
            change.form = "survey"
            return change
        }()
        let alsoGood = sessionChange(node: node, hlc: stampNow(counter: 4))
        try await fx.app().test(.router) { client in
            let r = try await client.push(
                Wire.PushRequest(batch: "b1", node: node, changes: [good, badChoice, unknownForm, alsoGood]),
                token: fx.tokens["fac1"])
            #expect(r.status == .ok)
            let answer = try Wire.PushResponse(text: r.text)
            #expect(answer.applied == 2)
            #expect(answer.setAside.map(\.record) == [badChoice.recordID, unknownForm.recordID])
            #expect(answer.setAside[0].reason.contains("atlantis"))
            #expect(answer.setAside[1].reason.contains("survey"))
            #expect(answer.setAside[0].hlc == badChoice.stamp.hlc.rawValue && answer.setAside[0].node == node)
        }
        #expect(try await fx.backend.storedRecord(good.recordID) != nil)
        #expect(try await fx.backend.storedRecord(alsoGood.recordID) != nil)
        #expect(try await fx.backend.storedRecord(badChoice.recordID) == nil)
        let kept = try await fx.backend.setAsideEntries()
        #expect(kept.count == 2 && kept.allSatisfy { $0.origin == "fac1" })
    }

    @Test(arguments: BackendKind.all) func pagesWithALimitWalkEveryChangeExactlyOnce(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let nodes = ["a000000000000001", "b000000000000002"]
        try await fx.app().test(.router) { client in
            for (i, node) in nodes.enumerated() {
                let changes = (0..<12 + i).map { sessionChange(node: node, hlc: stampNow(counter: Int64($0))) }
                let r = try await client.push(Wire.PushRequest(batch: "b", node: node, changes: changes), token: fx.tokens[i == 0 ? "fac1" : "fac2"])
                #expect(r.status == .ok)
            }
            var cursor: Int64 = 0
            var seen: [String] = []
            var pages = 0
            while true {
                let page = try await client.pull("after=\(cursor)&limit=7", token: fx.tokens["coord"])
                #expect(page.changes.count <= 7)
                #expect(page.next >= cursor)
                seen += page.changes.map { "\($0.recordID)|\($0.stamp)" }
                cursor = page.next
                pages += 1
                if !page.more { break }
                #expect(pages < 10)
            }
            #expect(seen.count == 25)
            #expect(Set(seen).count == 25)
            #expect(pages == 4)
            let tail = try await client.pull("after=\(cursor)&limit=7", token: fx.tokens["coord"])
            #expect(tail.changes.isEmpty && !tail.more && tail.next == cursor)
            // The contract's maximum is the service's: above it is refused, naming the rule (schemathesis found it read as 5000).
            for bad in ["5001", "0", "-1", "ten"] {
                let r = try await client.send(.get, "/v1/sync/pull?after=0&limit=\(bad)", token: fx.tokens["coord"])
                #expect(r.status == .badRequest, "limit=\(bad): \(r.status)")
                #expect(r.text.contains("'limit'") && r.text.contains("from 1 to 5000"), "\(r.text)")
            }
            #expect(try await client.send(.get, "/v1/sync/pull?after=0&limit=5000", token: fx.tokens["coord"]).status == .ok)
        }
    }

    @Test(arguments: BackendKind.all) func aNodeSeenWithASecondDeviceIsRefusedUntilTheFirstIsRevoked(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let node = "c0c0c0c0c0c0c0c0"
        try await fx.app().test(.router) { client in
            let a = try await client.push(
                Wire.PushRequest(batch: "1", node: node, changes: [sessionChange(node: node, hlc: stampNow(counter: 1))]),
                token: fx.tokens["fac1"])
            let b = try await client.push(
                Wire.PushRequest(batch: "2", node: node, changes: [sessionChange(node: node, hlc: stampNow(counter: 2))]),
                token: fx.tokens["fac2"])
            #expect(a.status == .ok && b.status == .conflict && b.errorCode == "node_in_use")
        }
        #expect(try await fx.backend.devicesBound(toNode: node) == ["fac1"])
        // fac1's laptop re-enrolled as fac2 (fac1 revoked): fac2 takes the node over, and the log says so once.
        _ = try await fx.backend.revoke("fac1")
        try await fx.app().test(.router) { client in
            for n in 3...4 {
                let batch = Wire.PushRequest(batch: "\(n)", node: node, changes: [sessionChange(node: node, hlc: stampNow(counter: Int64(n)))])
                let r = try await client.push(batch, token: fx.tokens["fac2"])
                #expect(r.status == .ok)
            }
        }
        let warnings = fx.logs.all.filter { $0.contains("node \(node) used by two devices (fac1, fac2): a copied store?") }
        #expect(warnings.count == 1, "said once, when the node is first seen with a second device")
        let bound = try await fx.backend.devicesBound(toNode: node)
        #expect(bound == ["fac1", "fac2"])
    }

    @Test(arguments: BackendKind.all) func aCoordinatorListsAConflictAndRestoresTheLosingValueForEveryone(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let (a, b) = ("a000000000000001", "b000000000000002")
        let created = sessionChange(node: a, hlc: stampNow(counter: 1), values: ["title": .string("Premier titre")])
        let record = created.recordID
        let base = ["title": created.stamp]
        // Both laptops edit the title having seen only the creation: concurrent writes.
        let fromA = sessionChange(node: a, hlc: stampNow(counter: 2), record: record, values: ["title": .string("Titre de A")], prev: base)
        let fromB = sessionChange(node: b, hlc: stampNow(counter: 3), record: record, values: ["title": .string("Titre de B")], prev: base)
        try await fx.app().test(.router) { client in
            #expect(try await client.push(Wire.PushRequest(batch: "1", node: a, changes: [created, fromA]), token: fx.tokens["fac1"]).status == .ok)
            let second = try await client.push(Wire.PushRequest(batch: "1", node: b, changes: [fromB]), token: fx.tokens["fac2"])
            #expect(try Wire.PushResponse(text: second.text).conflicts == 1)

            let listed = try await client.send(.get, "/v1/conflicts", token: fx.tokens["coord"])
            #expect(listed.status == .ok)
            guard case .array(let conflicts)? = listed.json["conflicts"] else {
                Issue.record("no conflicts array: \(listed.text)")
                return
            }
            #expect(conflicts.count == 1)
            #expect(conflicts.first?["record"]?.stringValue == record)
            #expect(conflicts.first?["field"]?.stringValue == "title")
            #expect(conflicts.first?["losing"]?["value"]?.stringValue == "Titre de A")
            #expect(conflicts.first?["losing"]?["hlc"]?.intValue == fromA.stamp.hlc.rawValue)
            #expect(conflicts.first?["current"]?.stringValue == "Titre de B")

            let cursor = try await client.pull("", token: fx.tokens["fac1"]).next
            let body = #"{"record":"\#(record)","field":"title","action":"restore"}"#
            let resolved = try await client.send(.post, "/v1/conflicts/resolve", token: fx.tokens["coord"], body: body)
            #expect(resolved.status == .ok, "\(resolved.text)")

            let again = try await client.send(.get, "/v1/conflicts", token: fx.tokens["coord"])
            #expect(again.json["conflicts"] == .array([]))
            // The restore is a new write by the service, pulled by the laptops.
            let page = try await client.pull("after=\(cursor)&node=\(a)", token: fx.tokens["fac1"])
            #expect(page.changes.count == 1)
            #expect(page.changes.first?.values["title"] == .some(.string("Titre de A")))
            #expect(page.changes.first?.stamp.node == (try await fx.backend.serviceNode()))
            let twice = try await client.send(.post, "/v1/conflicts/resolve", token: fx.tokens["coord"], body: body)
            #expect(twice.status == .notFound)
        }
        #expect(try await fx.backend.storedRecord(record)?.values["title"] == .string("Titre de A"))
    }

    @Test(arguments: BackendKind.all) func recordsAreMergedAndAnalystsSeeSensitiveFieldsMasked(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let node = "a000000000000001"
        let deleted = sessionChange(node: node, hlc: stampNow(counter: 1))
        let person = Change(
            recordID: RecordID.make(), form: "participant", formVersion: 1, project: "p1",
            stamp: Stamp(hlc: stampNow(counter: 2), node: node),
            values: [
                "session": .string(deleted.recordID), "consent": .string("yes"), "name": .string("Hawa Maïga"),
                "sex": .string("female"), "age_band": .string("18_24"), "role": .string("youth"),
            ])
        let tombstone = sessionChange(node: node, hlc: stampNow(counter: 3), record: deleted.recordID, values: [deletedField: .bool(true)])
        try await fx.app().test(.router) { client in
            let batch = Wire.PushRequest(batch: "1", node: node, changes: [deleted, person, tombstone])
            let pushed = try await client.push(batch, token: fx.tokens["fac1"])
            #expect(try Wire.PushResponse(text: pushed.text).applied == 3)

            let coordinator = try await client.send(.get, "/v1/records?form=participant", token: fx.tokens["coord"])
            #expect(
                coordinator.json["records"]
                    == .array([
                        .object([
                            ("id", .string(person.recordID)), ("form", .string("participant")),
                            (
                                "values",
                                .object([
                                    ("session", .string(deleted.recordID)), ("consent", .string("yes")), ("name", .string("Hawa Maïga")),
                                    ("sex", .string("female")), ("age_band", .string("18_24")), ("role", .string("youth")),
                                ])
                            ),
                        ])
                    ]))
            let analyst = try await client.send(.get, "/v1/records?form=participant", token: fx.tokens["analyst"])
            #expect(analyst.json["records"]?.serialized.contains(#""name":"***""#) == true)
            #expect(!analyst.text.contains("Hawa"))
            let sessions = try await client.send(.get, "/v1/records?form=session", token: fx.tokens["coord"])
            #expect(sessions.json["records"] == .array([]), "a deleted record is not live")
            // Pulled changes are masked for analysts too.
            let pulled = try await client.send(.get, "/v1/sync/pull", token: fx.tokens["analyst"])
            #expect(pulled.status == .ok)
            #expect(!pulled.text.contains("Hawa") && pulled.text.contains("***"))
            #expect(try await client.send(.get, "/v1/records?form=nope", token: fx.tokens["coord"]).status == .notFound)
        }
    }
}

extension ServerTests {
    @Test(arguments: BackendKind.all) func aCursorNeverSkipsAChangeWhileOthersPush(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let batches = 8
        let perBatch = 15
        let devices = try ["fac1", "fac2", "coord"].map { try #require(fx.devices[$0]) }
        let backend = fx.backend
        let done = LogCapture()  // any line in it: the pushers have finished
        @Sendable func page(after cursor: Int64, limit: Int) async throws -> (keys: [String], next: Int64, more: Bool) {
            let page = try await backend.pull(project: "p1", after: cursor, limit: limit, excludingNode: nil)
            let keys = try page.changeTexts.map { try Change(json: JSON.parse($0)) }.map { "\($0.recordID)|\($0.stamp)" }
            return (keys, page.next, page.more)
        }
        // A reader walking the log with small pages while the pushes commit.
        let reader = Task {
            var cursor: Int64 = 0
            var seen: [String] = []
            while done.all.isEmpty {
                let p = try await page(after: cursor, limit: 4)
                seen += p.keys
                cursor = p.next
                if !p.more { try await Task.sleep(for: .milliseconds(1)) }
            }
            return (seen, cursor)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, device) in devices.enumerated() {
                group.addTask {
                    let node = String(format: "%016x", 0xA0 + i)
                    for b in 0..<batches {
                        let changes = (0..<perBatch).map { sessionChange(node: node, hlc: stampNow(counter: Int64(b * perBatch + $0))) }
                        _ = try await backend.push(Wire.PushRequest(batch: "\(b)", node: node, changes: changes), from: device)
                    }
                }
            }
            try await group.waitForAll()
        }
        done.append("pushed")
        var (seen, cursor) = try await reader.value
        while true {
            let p = try await page(after: cursor, limit: 50)
            seen += p.keys
            cursor = p.next
            if !p.more { break }
        }
        let total = devices.count * batches * perBatch
        #expect(try await fx.changeCount() == total)
        #expect(seen.count == total, "every change once")
        #expect(Set(seen).count == total)
    }
}
