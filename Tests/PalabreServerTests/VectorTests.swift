import Foundation
import PalabreCore
import PalabreServer
import PalabreStore
import Testing

/// Replays `sync/vectors/*.json` on every side: the pure merge rule (with the relevance rule) in every order, a field
/// store in order and reversed, and the service as one pushed batch.
@Suite struct VectorTests {
    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var changes: [Change]
        var expect: [String: [String: Value]]
        var conflicts: [(record: String, field: String, lost: Value?)]
        var description: String { name }
    }

    static let vectors: [Vector] = {
        let dir = SyncLab.repo.appendingPathComponent("sync/vectors")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()) ?? []
        return files.map { file in
            let text = try! String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            let json = try! JSON.parse(text)
            guard case .array(let cs)? = json["changes"], case .object(let ex)? = json["expect"], case .array(let cf)? = json["conflicts"] else {
                fatalError("vector \(file) is malformed")
            }
            var expect: [String: [String: Value]] = [:]
            for (id, fields) in ex { expect[id] = try! ValueMap.decodePresent(fields.serialized) }
            return Vector(
                name: json["name"]?.stringValue ?? file, changes: cs.map { try! Change(json: $0) }, expect: expect,
                conflicts: cf.map { c in (c["record"]!.stringValue!, c["field"]!.stringValue!, try! c["lost"].flatMap { try Value(json: $0) }) })
        }
    }()

    @Test func thereAreVectors() { #expect(Self.vectors.count >= 5) }

    @Test("the pure rule reaches the expected state from every order", arguments: vectors)
    func pureRule(vector: Vector) {
        for order in permutations(Array(vector.changes.indices)) {
            var states: [String: RecordState] = [:]
            for i in order {
                let c = vector.changes[i]
                var s = states[c.recordID] ?? RecordState(id: c.recordID, form: c.form, formVersion: c.formVersion, project: c.project)
                Merge.apply(c, to: &s)
                Relevance.settle(&s, form: SyncLab.forms[c.form]!)
                states[c.recordID] = s
            }
            #expect(states.mapValues(\.values) == vector.expect, "\(vector.name), order \(order)")
        }
    }

    @Test("a field store reaches the expected state in order and reversed, with the conflicts listed", arguments: vectors)
    func fieldStore(vector: Vector) throws {
        for reversed in [false, true] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-vector-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try FieldStore(path: dir.appendingPathComponent("s.sqlite").path)
            _ = try store.applyChanges(reversed ? vector.changes.reversed() : vector.changes, catalog: SyncLab.forms, origin: "vector")
            #expect(try SyncLab.state(store) == vector.expect, "\(vector.name) reversed: \(reversed)")
            if !reversed {
                let found = try store.conflicts().map {
                    "\($0.entry.recordID).\($0.entry.superseded.field)=\($0.entry.superseded.value?.displayString ?? "")"
                }
                let wanted = vector.conflicts.map { "\($0.record).\($0.field)=\($0.lost?.displayString ?? "")" }
                #expect(found.sorted() == wanted.sorted(), "\(vector.name)")
            }
        }
    }

    @Test("the service reaches the expected state from one pushed batch", arguments: BackendKind.all, vectors)
    func service(kind: BackendKind, vector: Vector) async throws {
        let lab = try await SyncLab(kind)
        let device = try await lab.backend.enroll(name: "vectors", project: "p1", role: .facilitator).device
        _ = try await lab.backend.push(Wire.PushRequest(batch: "b1", node: "cccccccccccccccc", changes: vector.changes), from: device)
        #expect(try await lab.serviceState() == vector.expect, "\(vector.name)")
    }

    func permutations(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i -> [[Int]] in
            var rest = items
            let x = rest.remove(at: i)
            return permutations(rest).map { [x] + $0 }
        }
    }
}
