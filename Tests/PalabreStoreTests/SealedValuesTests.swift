import Foundation
import GRDB
import PalabreCore
@testable import PalabreStore
import Testing

/// A protected store keeps names and phone numbers sealed wherever it writes them (records, history, change log, set
/// aside, exports), reads them only unlocked, captures while locked, sends them only opened, and after a wipe forgets
/// them so that the same changes received again bring them back.
@Suite struct SealedValuesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let passphrase = "le vent du fleuve"
    static let names = ["Aminata Touré", "Boubacar Maïga", "Fatoumata Cissé"]
    static let phone = "+223 70 12 34 56"

    let catalog: FormCatalog

    init() throws {
        catalog = try FormLoader.load(directory: Self.root.appendingPathComponent("forms").path)
    }

    func withStore(_ body: (FieldStore, String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sealed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try FieldStore(path: dir + "/s.sqlite")
        defer { try? store.lock() }
        try body(store, dir)
    }

    /// The files of a folder (and its subfolders) that hold the text.
    func leaks(_ secret: String, in dir: String) throws -> [String] {
        let all = FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? []
        return try all.filter { name in
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDir), !isDir.boolValue else { return false }
            return try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)).range(of: Data(secret.utf8)) != nil
        }
    }

    func leaksAny(in dir: String) throws -> [String] {
        try (Self.names + [Self.phone]).flatMap { try leaks($0, in: dir).map { "\($0) holds a name or number" } }
    }

    func session(_ store: FieldStore) throws -> String {
        try store.create(
            form: try catalog.form("session"),
            values: [
                "title": .string("Vestibule de la paix à Bara"), "date": .string("2026-09-08"), "region": .string("gao"),
                "locality": .string("Bara"), "format": .string("intergenerational"),
            ])
    }

    func participant(_ store: FieldStore, session: String, name: String, phone: String? = nil) throws -> String {
        var values: [String: Value] = [
            "session": .string(session), "consent": .string("yes"), "name": .string(name), "sex": .string("female"),
            "age_band": .string("25_35"), "role": .string("women_group"),
        ]
        if let phone { values["phone"] = .string(phone) }
        return try store.create(form: try catalog.form("participant"), values: values)
    }

    @Test func protectSealsWhatTheStoreHoldsAndALockedStoreStillCapturesAndReadsCounts() throws {
        try withStore { store, dir in
            let s = try session(store)
            let first = try participant(store, session: s, name: Self.names[0], phone: Self.phone)
            // A replaced name goes to history: that copy must be sealed too.
            try store.edit(id: first, set: ["name": .string(Self.names[1])], catalog: catalog)
            #expect(!(try leaksAny(in: dir)).isEmpty, "in plain before: the check can see them")
            try store.protect(passphrase: Self.passphrase, catalog: catalog)
            #expect(try leaksAny(in: dir).isEmpty, "records, history and the change log are sealed, no old page left")
            // Unlocked (protect unlocks for the day): the facilitator reads names as before.
            #expect(try store.record(first)?.values["name"] == .string(Self.names[1]))
            #expect(try store.history(first).map(\.superseded.value) == [.string(Self.names[0])])
            #expect(try store.unsentChanges(limit: 10).contains { $0.change.values["phone"] == .some(.string(Self.phone)) })
            try store.lock()
            // Locked: counts, dates, the rest readable; names a padlock; a new participant captured and sealed at once.
            let r = try #require(try store.record(first))
            #expect(r.values["sex"] == .string("female") && r.values["session"] == .string(s))
            #expect(r.values["name"]?.displayString == SealedText.shown)
            let second = try participant(store, session: s, name: Self.names[2])
            #expect(try leaksAny(in: dir).isEmpty, "a name captured while locked is sealed as it is saved")
            #expect(try store.counts()["participant"] == 2)
            // Reading a name, editing a participant and sending need the passphrase.
            #expect(throws: StoreError.locked) { try store.edit(id: second, set: ["age_band": .string("36_59")], catalog: catalog) }
            #expect(throws: StoreError.locked) { try store.unsentChanges(limit: 10) }
            try store.edit(id: s, set: ["locality": .string("Bara centre")], catalog: catalog)
            try store.unlock(passphrase: Self.passphrase)
            #expect(try store.record(second)?.values["name"] == .string(Self.names[2]))
            try store.edit(id: second, set: ["age_band": .string("36_59")], catalog: catalog)
            let sent = try store.unsentChanges(limit: 100).map(\.change)
            #expect(!sent.contains(where: { $0.values.values.contains { SealedText.isSealed($0 ?? nil) } }), "nothing sealed leaves")
            #expect(sent.compactMap { $0.values["name"] ?? nil }.map(\.displayString).sorted() == Self.names.sorted())
            #expect(try leaksAny(in: dir).isEmpty)
        }
    }

    @Test func exportsOfAProtectedStoreNameNoOneUnlessAskedUnlocked() throws {
        try withStore { store, dir in
            let s = try session(store)
            _ = try participant(store, session: s, name: Self.names[0], phone: Self.phone)
            try store.protect(passphrase: Self.passphrase, catalog: catalog)
            for format in ExportOptions.Format.allCases {
                _ = try store.export(format, to: dir + "/out-\(format.rawValue)", catalog: catalog)
            }
            #expect(try leaksAny(in: dir).isEmpty, "csv, jsonl and sqlite exports hold no name and no phone number")
            let csv = try String(contentsOfFile: dir + "/out-csv/participant.csv", encoding: .utf8)
            #expect(csv.contains(SealedText.shown) && csv.contains("women_group") && !csv.contains("phone"))
            try store.lock()
            #expect(throws: StoreError.locked) {
                try store.export(.jsonl, to: dir + "/names.jsonl", catalog: catalog, options: ExportOptions(includeNames: true))
            }
            try store.unlock(passphrase: Self.passphrase)
            _ = try store.export(.jsonl, to: dir + "/names.jsonl", catalog: catalog, options: ExportOptions(includeNames: true))
            let named = try String(contentsOfFile: dir + "/names.jsonl", encoding: .utf8)
            #expect(named.contains(Self.names[0]) && named.contains(Self.phone))
        }
    }

    @Test func afterAWipeTheSameChangesReceivedAgainBringTheNamesBack() throws {
        try withStore { store, dir in
            // What the service would send: changes written on another store.
            let otherDir = dir + "/other"
            try FileManager.default.createDirectory(atPath: otherDir, withIntermediateDirectories: true)
            let other = try FieldStore(path: otherDir + "/o.sqlite")
            let s = try session(other)
            let p = try participant(other, session: s, name: Self.names[0], phone: Self.phone)
            let sent = try other.changes().map(\.change)
            try store.protect(passphrase: Self.passphrase, catalog: catalog)
            _ = try store.applyPulled(sent, cursor: 2, serverTime: HLC(wallMilliseconds: 1), forms: catalog)
            let mine = try participant(store, session: s, name: Self.names[1])
            #expect(try store.record(p)?.values["name"] == .string(Self.names[0]))
            try FileManager.default.removeItem(atPath: otherDir)
            #expect(try leaksAny(in: dir).isEmpty)
            try store.wipe()
            #expect(throws: StoreError.wiped) { try store.edit(id: p, set: ["age_band": .string("36_59")], catalog: catalog) }
            #expect(try store.record(p)?.values["sex"] == .string("female"), "what was not sealed stays")
            try store.protect(passphrase: "une autre phrase", catalog: catalog)
            #expect(try store.syncState().pullCursor == 0 && store.syncState().pullsOwnChanges, "the next pull starts again")
            #expect(try store.record(p)?.values["name"] == nil, "the destroyed name is forgotten, not shown as noise")
            // My own unsent participant still goes, without the name the wipe destroyed.
            let unsent = try store.unsentChanges(limit: 100).map(\.change).filter { $0.recordID == mine }
            #expect(unsent.count == 1 && unsent[0].values["name"] == nil && unsent[0].values["sex"] == .some(.string("female")))
            let again = try store.applyPulled(sent, cursor: 2, serverTime: HLC(wallMilliseconds: 1), forms: catalog)
            #expect(again.applied == 1 && again.duplicates == 1, "the participant's change applies again, the session's is known")
            #expect(try store.record(p)?.values["name"] == .string(Self.names[0]))
            #expect(try store.record(p)?.values["phone"] == .string(Self.phone))
            #expect(try leaksAny(in: dir).isEmpty, "restored names are sealed with the new key")
        }
    }

    @Test func aSealedValueIsRefusedWhereverItArrives() throws {
        let change = Change(
            recordID: RecordID.make(now: Date()), form: "participant", formVersion: 1, project: "default",
            stamp: Stamp(hlc: HLC(wallMilliseconds: 1_800_000_000_000), node: "n1"),
            values: ["name": .string(SealedText.prefix + "AAAA"), "sex": .string("female")])
        let reason = FieldStore.problem(with: change, catalog: catalog, existing: nil)
        #expect(reason == "participant.name: the value is sealed for one laptop's key and cannot be read here")
    }
}
