import Foundation
import GRDB
import PalabreCore
@testable import PalabreStore
import Testing

/// `erase`: a person's identifying values leave the record, its history, the change log and what is set aside, in every
/// byte of the store's files; the tombstone says when and by whom; a later write of those fields is dropped.
@Suite struct ErasureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let name = "Hawa Maïga Touré", corrected = "Hawa Maïga Cissé", phone = "+223 70 11 22 33"
    let catalog: FormCatalog

    init() throws { catalog = try FormLoader.load(directory: Self.root.appendingPathComponent("forms").path) }

    func withStore(_ body: (FieldStore, String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("erase-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(try FieldStore(path: dir + "/s.sqlite"), dir)
    }

    func files(in dir: String, holding text: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter {
            try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)).range(of: Data(text.utf8)) != nil
        }
    }

    func person(_ store: FieldStore) throws -> (session: String, person: String) {
        let s = try store.create(
            form: try catalog.form("session"),
            values: [
                "title": .string("Vestibule"), "date": .string("2026-09-08"), "region": .string("gao"), "locality": .string("Bara"),
                "format": .string("youth"),
            ])
        let p = try store.create(
            form: try catalog.form("participant"),
            values: [
                "session": .string(s), "consent": .string("yes"), "name": .string(Self.name), "phone": .string(Self.phone),
                "sex": .string("female"), "age_band": .string("18_24"), "role": .string("youth"),
            ])
        return (s, p)
    }

    @Test func anErasureLeavesNoByteOfTheValuesAndATombstoneThatNamesNoOne() throws {
        try withStore { store, dir in
            let (_, p) = try person(store)
            try store.edit(id: p, set: ["name": .string(Self.corrected)], catalog: catalog)
            #expect(try !files(in: dir, holding: Self.name).isEmpty, "the check sees the value before")
            let fields = try store.erase(id: p, by: "coordinator Gao", catalog: catalog)
            #expect(fields == ["name", "phone"])
            let r = try #require(try store.record(p))
            #expect(r.values["name"] == nil && r.values["phone"] == nil && r.values["age_band"] == .string("18_24"))
            let tomb = try #require(try store.erasure(of: p))
            #expect(tomb.fields == ["name", "phone"] && tomb.by == "coordinator Gao" && tomb.at.rawValue > 0)
            #expect(try store.history(p).isEmpty, "the replaced name is gone from history")
            #expect(try store.changes().allSatisfy { $0.change.values["name"] == nil && $0.change.values["phone"] == nil })
            for text in [Self.name, Self.corrected, Self.phone] {
                #expect(try files(in: dir, holding: text).isEmpty, "\(text): in no page of the store or its log")
            }
            // The record stays editable; its erased fields are neither required nor writable again.
            #expect(try store.edit(id: p, set: ["age_band": .string("25_35")], catalog: catalog))
            #expect(throws: StoreError.self) { try store.edit(id: p, set: ["name": .string("X")], catalog: catalog) }
        }
    }

    @Test func aLaterWriteOfAnErasedFieldFromElsewhereIsDroppedAndNotLogged() throws {
        try withStore { store, dir in
            let (_, p) = try person(store)
            let created = try #require(try store.record(p)?.state.stamps["name"])
            try store.erase(id: p, by: "coordinator", catalog: catalog)
            // An offline laptop corrected the name, stamped long after the erasure (its clock in 2040).
            let late = Change(
                recordID: p, form: "participant", formVersion: 1, project: "default",
                stamp: Stamp(hlc: HLC(wallMilliseconds: 2_208_988_800_000), node: "bbbbbbbbbbbbbbbb"),
                values: ["name": .string(Self.corrected), "age_band": .string("25_35")], prev: ["name": created, "age_band": created])
            let outcome = try store.applyChanges([late], catalog: catalog, origin: "test")
            #expect(outcome.applied == 1 && outcome.conflicts == 0)
            let r = try #require(try store.record(p))
            #expect(r.values["name"] == nil && r.values["age_band"] == .string("25_35"), "the rest of the change applies")
            #expect(try store.history(p).allSatisfy { $0.superseded.field != "name" })
            #expect(try files(in: dir, holding: Self.corrected).isEmpty, "logged without the erased value")
        }
    }

    @Test func anErasureIsRefusedForARecordWithNothingIdentifyingOrWithoutSayingWho() throws {
        try withStore { store, _ in
            let (s, _) = try person(store)
            #expect(throws: StoreError.self) { try store.erase(id: s, by: "coordinator", catalog: catalog) }
            #expect(throws: StoreError.self) { try store.erase(id: s, by: "  ", catalog: catalog) }
            #expect(throws: StoreError.notFound(id: "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e")) {
                try store.erase(id: "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e", by: "coordinator", catalog: catalog)
            }
            let bad = Change(
                recordID: s, form: "participant", formVersion: 1, project: "default", stamp: Stamp(hlc: HLC(wallMilliseconds: 1), node: "n"),
                values: [erasedField: .list(["sex"]), erasedByField: .string("x")])
            #expect(FieldStore.problem(with: bad, catalog: catalog, existing: nil)?.contains("not a sensitive or contact field") == true)
        }
    }
}
