import Foundation
import PalabreCore
import PalabreServer
import PalabreServerInspection
import PalabreStore
import Testing

/// A project's forms on the service: the shipped set to start with, compatible versions published, anything else
/// refused with nothing stored; on both backends.
@Suite struct FormRegistryTests {
    static let followup = FormLoader.builtInSources.first { $0.name == "followup" }!.source
    static let v2 = followup.replacingOccurrences(of: "version: 1", with: "version: 2")
        .replacingOccurrences(
            of: "  - name: notes\n", with: "  - name: visitor\n    type: text\n    label: {fr: \"Visiteur\", en: \"Visitor\"}\n  - name: notes\n")

    @Test(arguments: BackendKind.all) func aProjectStartsWithTheShippedFormsRecordedOnce(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let first = try await fx.backend.formVersions(project: "p1")
        #expect(Set(first.map(\.name)) == ["followup", "initiative", "participant", "session"])
        let shipped = Dictionary(uniqueKeysWithValues: FormLoader.builtIn().forms.values.map { ($0.name, $0.version) })
        #expect(first.allSatisfy { $0.by == "shipped" && $0.version == shipped[$0.name] })
        #expect(try await fx.backend.formVersions(project: "p1") == first, "read again, nothing is added")
        #expect(try await fx.backend.rowCount(.published_forms) == 4, "only the project asked about is seeded")
        await #expect(throws: ServiceError.self) { try await fx.backend.formVersions(project: "nope") }
    }

    @Test(arguments: BackendKind.all) func aCompatibleVersionIsPublishedAndBecomesCurrent(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let published = try await fx.backend.publish(project: "p1", files: [("followup.yaml", Self.v2)], by: "coord").versions
        #expect(published.map(\.version) == [2] && published[0].by == "coord")
        let history = try await fx.backend.formVersions(project: "p1").filter { $0.name == "followup" }
        #expect(history.map(\.version) == [1, 2] && history[1].source == Self.v2)
        #expect(try await fx.backend.currentForms(project: "p1")["followup"]?.field("visitor") != nil)
        #expect(try await fx.backend.currentForms(project: "p2")["followup"]?.field("visitor") == nil, "another project keeps its own")
        #expect(
            try await fx.backend.publish(project: "p1", files: [("followup.yaml", Self.v2)], by: "coord").versions.isEmpty,
            "the same file again: nothing")
    }

    @Test(arguments: BackendKind.all) func anIncompatibleOrBrokenPublishIsRefusedWholeAndStoresNothing(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let before = try await fx.backend.formVersions(project: "p1")
        let retyped = Self.v2.replacingOccurrences(of: "  - name: progress\n    type: integer", with: "  - name: progress\n    type: text")
        let dangling = FormLoader.builtInSources.first { $0.name == "session" }!.source
            .replacingOccurrences(of: "version: 1", with: "version: 2")
            .replacingOccurrences(
                of: "  - name: location\n",
                with: "  - name: host\n    type: reference\n    form: household\n    label: {fr: \"Hôte\", en: \"Host\"}\n  - name: location\n")
        for files in [[("followup.yaml", retyped)], [("followup.yaml", Self.v2), ("session.yaml", dangling)], [("followup.yaml", "form: [")]] {
            do {
                _ = try await fx.backend.publish(project: "p1", files: files, by: "coord")
                Issue.record("published \(files.map(\.0))")
            } catch let e as ServiceError {
                #expect(e.description.contains("nothing was published"), "\(e)")
                if files[0].1 == retyped {
                    #expect(e.description.contains("progress") && e.description.contains("integer") && e.description.contains("text"))
                }
                if files.count == 2 { #expect(e.description.contains("household"), "\(e)") }
            }
        }
        #expect(try await fx.backend.formVersions(project: "p1") == before)
    }

    /// A change is checked against the version it was made with: version 2 makes a new field required, and a laptop
    /// still on version 1 keeps capturing sessions without it; a version 2 session without it is set aside.
    @Test(arguments: BackendKind.all) func aChangeIsCheckedAgainstItsOwnVersion(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let session = FormLoader.builtInSources.first { $0.name == "session" }!.source
        let v2 = session.replacingOccurrences(of: "version: 2", with: "version: 3")
            .replacingOccurrences(
                of: "  - name: location\n",
                with: "  - name: host\n    type: text\n    required: true\n    label: {fr: \"Hôte\", en: \"Host\"}\n  - name: location\n")
        #expect(try await fx.backend.publish(project: "p1", files: [("session.yaml", v2)], by: "coord").versions.count == 1)
        let node = "f1f1f1f1f1f1f1f1"
        var v1Change = sessionChange(node: node, hlc: stampNow(counter: 1))
        v1Change.formVersion = 2  // the shipped version, the project's first
        var v2Change = sessionChange(node: node, hlc: stampNow(counter: 2))
        v2Change.formVersion = 3
        var v2WithHost = sessionChange(node: node, hlc: stampNow(counter: 3), values: ["host": .string("Chef de village")])
        v2WithHost.formVersion = 3
        let answer = try await fx.backend.push(
            Wire.PushRequest(batch: "b1", node: node, changes: [v1Change, v2Change, v2WithHost]), from: fx.devices["fac1"]!)
        #expect(answer.applied == 2, "\(answer)")
        #expect(answer.setAside.map(\.record) == [v2Change.recordID], "\(answer)")
        #expect(answer.setAside.first?.reason.contains("host") == true, "\(answer)")
    }

    /// A change of a version not published yet is held, with a follow-up of its record that cannot be checked without it;
    /// a publish applies both, in their order, into the change log; one that still breaks a rule stays, with its first
    /// date and the new reason; a retry of nothing does nothing.
    @Test(arguments: BackendKind.all) func heldChangesAreAppliedWhenTheirVersionIsPublished(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let node = "a1a1a1a1a1a1a1a1"
        var held = sessionChange(node: node, hlc: stampNow(counter: 1), values: ["mediator": .string("Moussa")])
        held.formVersion = 3
        let edit = sessionChange(
            node: node, hlc: stampNow(counter: 2), record: held.recordID, values: ["title": .string("Vestibule")],
            prev: ["title": held.stamp])
        var broken = sessionChange(node: node, hlc: stampNow(counter: 3), values: ["mediator": .string("x")])
        broken.formVersion = 3
        broken.values["date"] = .some(nil)  // a required field left empty
        let answer = try await fx.backend.push(
            Wire.PushRequest(batch: "b1", node: node, changes: [held, edit, broken]), from: fx.devices["fac1"]!)
        #expect(answer.applied == 0 && answer.setAside.count == 3, "\(answer)")
        #expect(answer.setAside.map(\.held) == [true, false, true], "the edit breaks no version rule: it lacks its record")
        let before = try await fx.backend.setAside(project: "p1")
        #expect(before.map(\.origin) == ["fac1", "fac1", "fac1"])
        #expect(try await fx.backend.setAside(device: "fac2").isEmpty)
        #expect(try await fx.backend.retrySetAside(project: "p1").applied == 0, "nothing published yet")
        #expect(try await fx.backend.setAside(project: "p1").map(\.id) == before.map(\.id), "kept in place")

        let session = FormLoader.builtInSources.first { $0.name == "session" }!.source
        let v2 = session.replacingOccurrences(of: "version: 2", with: "version: 3")
            .replacingOccurrences(
                of: "  - name: location\n", with: "  - name: mediator\n    type: text\n    label: {fr: \"M\", en: \"M\"}\n  - name: location\n")
        let logBefore = try await fx.backend.rowCount(.changes)
        let done = try await fx.backend.publish(project: "p1", files: [("session.yaml", v2)], by: "coord")
        #expect(done.versions.map(\.version) == [3])
        #expect(done.retried.applied == 2 && done.retried.setAside.map(\.change.recordID) == [broken.recordID], "\(done.retried)")
        #expect(done.retried.setAside.first?.held == false && done.retried.setAside.first?.reason.contains("date") == true)
        let record = try #require(try await fx.backend.storedRecord(held.recordID))
        #expect(record.state.values["title"] == .string("Vestibule") && record.state.values["mediator"] == .string("Moussa"))
        #expect(try await fx.backend.rowCount(.changes) == logBefore + 2, "applied changes enter the log: laptops pull them")
        let after = try await fx.backend.setAside(project: "p1")
        #expect(after.map(\.id) == [before[2].id] && after[0].created == before[2].created && !after[0].held)
        let again = try await fx.backend.retrySetAside(device: "fac1")
        #expect(again.applied == 0 && again.setAside.count == 1)
    }
}
