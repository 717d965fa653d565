import Foundation
import GRDB
import PalabreCore
@testable import PalabreStore
import Testing

// MARK: - Helpers

/// The repository root, found from this file so the tests run from any clone.
private let repoRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // PalabreStoreTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()

private func loadCatalog() throws -> FormCatalog {
    let catalog = try FormLoader.load(directory: repoRoot.appendingPathComponent("forms").path)
    #expect(catalog.problems.isEmpty, "\(catalog.problems)")
    return catalog
}

/// Runs `body` with a new empty directory that is removed afterwards.
private func withTempDir<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// A new store in a temporary directory.
private func withStore<T>(now: @escaping @Sendable () -> Date = { Date() }, _ body: (FieldStore, URL) throws -> T) throws -> T {
    try withTempDir { dir in
        let store = try FieldStore(path: dir.appendingPathComponent("field.sqlite").path, now: now)
        return try body(store, dir)
    }
}

private func date(_ year: Int) -> Date {
    var c = DateComponents()
    c.year = year
    c.month = 6
    c.day = 1
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "UTC")!
    return cal.date(from: c)!
}

private let sessionValues: [String: Value] = [
    "title": .string("Vestibule de la paix à Bara"),
    "date": .string("2026-09-08"),
    "region": .string("gao"),
    "locality": .string("Bara"),
    "format": .string("intergenerational"),
]

private func participantValues(session: String) -> [String: Value] {
    [
        "session": .string(session), "consent": .string("yes"), "name": .string("Aminata Touré"),
        "sex": .string("female"), "age_band": .string("25_35"), "role": .string("women_group"),
    ]
}

/// The store's tables, row by row, to compare before and after an operation.
private func dump(_ store: FieldStore) throws -> [String: [Row]] {
    try store.pool.read { db in
        var out: [String: [Row]] = [:]
        for (table, order) in [("records", "id"), ("changes", "seq"), ("history", "id"), ("meta", "key")] {
            out[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)")
        }
        return out
    }
}

private func changeCount(_ store: FieldStore) throws -> Int { try store.changes().count }

/// Writes a file in `dir` and returns its path.
private func write(_ text: String, to name: String, in dir: URL) throws -> String {
    let path = dir.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

// MARK: - Forms folder

@Test func theRepositoryFormsLoadWithoutProblems() throws {
    let catalog = try loadCatalog()
    #expect(catalog.names == ["followup", "initiative", "participant", "session"])
}

// MARK: - Create and read

@Test func createdRecordIsReadableWithItsValues() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        let record = try #require(try store.record(id))
        #expect(RecordID.isValid(id))
        #expect(record.form == "session")
        #expect(record.values == sessionValues)
        #expect(!record.isDeleted)
        #expect(record.state.formVersion == (try catalog.form("session").version))
    }
}

@Test func createdStampIsTheStoresNodeAndClock() throws {
    let catalog = try loadCatalog()
    let now = date(2026)
    try withStore(now: { now }) { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        let record = try #require(try store.record(id))
        #expect(record.created.node == (try store.identity().node))
        #expect(record.created.node.count == 16)
        #expect(record.created.hlc.wallMilliseconds == HLC.milliseconds(now))
        #expect(record.state.stamps.values.allSatisfy { $0 == record.created })
    }
}

@Test func createWritesOneLocalChangeWithAllValues() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        let log = try store.changes(localOnly: true)
        #expect(log.count == 1)
        #expect(log.first?.change.recordID == id)
        #expect(log.first?.change.values == sessionValues.mapValues { Optional($0) })
        #expect(log.first?.change.prev.isEmpty == true)
    }
}

@Test func invalidCreateWritesNothing() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let before = try dump(store)
        var values = sessionValues
        values["region"] = .string("atlantis")
        let error = #expect(throws: StoreError.self) { try store.create(form: try catalog.form("session"), values: values) }
        guard case .invalid(let problems)? = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(problems.map(\.field) == ["region"])
        #expect(try dump(store) == before)
    }
}

@Test func createWithAnExistingIDIsRefused() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        #expect(throws: StoreError.self) { try store.create(form: try catalog.form("session"), values: sessionValues, id: id) }
        #expect(try changeCount(store) == 1)
    }
}

// MARK: - Edit

@Test func editKeepsTheReplacedValueInHistoryAndLogsOneChange() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        let created = try #require(try store.record(id)).created
        #expect(try changeCount(store) == 1)

        #expect(try store.edit(id: id, set: ["title": .string("Nouveau titre")], catalog: catalog))

        let record = try #require(try store.record(id))
        #expect(record.values["title"] == .string("Nouveau titre"))
        #expect(record.values["region"] == .string("gao"))
        #expect(try changeCount(store) == 2)
        let history = try store.history(id)
        #expect(history.count == 1)
        let entry = try #require(history.first?.superseded)
        #expect(entry.field == "title")
        #expect(entry.value == .string("Vestibule de la paix à Bara"))
        #expect(entry.stamp == created)
        #expect(entry.winner == record.state.stamps["title"])
        #expect(entry.winner > created)
        #expect(!entry.conflict)
    }
}

@Test func editChangeRecordsThePreviousStamp() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        let created = try #require(try store.record(id)).created
        try store.edit(id: id, set: ["title": .string("T2")], catalog: catalog)
        let last = try #require(try store.changes().last?.change)
        #expect(last.values == ["title": .string("T2")])
        #expect(last.prev == ["title": created])
    }
}

@Test func editThatChangesNothingWritesNothing() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        let before = try dump(store)
        #expect(try store.edit(id: id, set: ["title": sessionValues["title"]!], catalog: catalog) == false)
        #expect(try dump(store) == before)
    }
}

@Test func unsetClearsAFieldAndKeepsItsOldValueInHistory() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        var values = sessionValues
        values["commune"] = .string("Bara")
        let id = try store.create(form: try catalog.form("session"), values: values)
        try store.edit(id: id, set: [:], unset: ["commune"], catalog: catalog)
        #expect(try store.record(id)?.values["commune"] == nil)
        #expect(try store.history(id).map(\.superseded.value) == [.string("Bara")])
        #expect(try store.changes().last?.change.values["commune"] == .some(nil))
    }
}

@Test(arguments: [
    (["region": Value.string("atlantis")], [String]()),  // not a choice
    ([:], ["title"]),  // a required field cleared
    (["women_count": .integer(-3)], []),  // breaks a constraint
    (["themes_other": .string("x")], []),  // not relevant
    (["nickname": .string("x")], []),  // not a field
])
func editThatWouldMakeTheRecordInvalidThrowsAndChangesNothing(set: [String: Value], unset: [String]) throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        try store.edit(id: id, set: ["commune": .string("Bara")], catalog: catalog)
        let before = try dump(store)
        let error = #expect(throws: StoreError.self) { try store.edit(id: id, set: set, unset: unset, catalog: catalog) }
        guard case .invalid(let problems)? = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(!problems.isEmpty)
        #expect(try dump(store) == before)
    }
}

@Test func editOfAnUnknownRecordIsNotFound() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let ghost = "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e"
        #expect(throws: StoreError.notFound(id: ghost)) { try store.edit(id: ghost, set: ["title": .string("x")], catalog: catalog) }
    }
}

// MARK: - Delete and restore

@Test func editOfADeletedRecordThrowsDeleted() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        try store.delete(id: id)
        let before = try dump(store)
        #expect(throws: StoreError.deleted(id: id)) { try store.edit(id: id, set: ["title": .string("x")], catalog: catalog) }
        #expect(try dump(store) == before)
    }
}

@Test func deletedRecordIsHiddenFromListsAndCountsButKept() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        try store.delete(id: id)
        #expect(try store.records(form: "session").isEmpty)
        #expect(try store.records(form: "session", includeDeleted: true).map(\.id) == [id])
        #expect(try store.counts()["session"] == nil)
        #expect(try store.record(id)?.isDeleted == true)
        #expect(try store.record(id)?.values == sessionValues)
    }
}

@Test func restoreBringsADeletedRecordBackAndAllowsEdits() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        try store.delete(id: id)
        try store.restore(id: id)
        #expect(try store.record(id)?.isDeleted == false)
        #expect(try store.counts()["session"] == 1)
        #expect(try store.edit(id: id, set: ["title": .string("Après restauration")], catalog: catalog))
        #expect(try store.record(id)?.values["title"] == .string("Après restauration"))
        // The deletion is kept in history, replaced by the restore without conflict.
        let tombstones = try store.history(id).filter { $0.superseded.field == deletedField }
        #expect(tombstones.map(\.superseded.value) == [.bool(true)])
        #expect(tombstones.allSatisfy { !$0.superseded.conflict })
    }
}

@Test func deletingTwiceOrRestoringALiveRecordIsRefused() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        #expect(throws: StoreError.self) { try store.restore(id: id) }
        try store.delete(id: id)
        #expect(throws: StoreError.self) { try store.delete(id: id) }
        #expect(try changeCount(store) == 2)
    }
}

// MARK: - References and skip logic

@Test func referenceToANonExistentSessionIsRefused() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let ghost = RecordID.make()
        let participant = try catalog.form("participant")
        let error = #expect(throws: StoreError.self) {
            try store.create(form: participant, values: participantValues(session: ghost))
        }
        guard case .invalid(let problems)? = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(problems.map(\.rule) == [.missingReference(form: "session")])
        #expect(problems.first?.field == "session")
        #expect(try store.records().isEmpty)
    }
}

@Test func referenceToAnExistingSessionIsAccepted() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let session = try store.create(form: try catalog.form("session"), values: sessionValues)
        let p = try store.create(form: try catalog.form("participant"), values: participantValues(session: session))
        #expect(try store.record(p)?.values["session"] == .string(session))
    }
}

@Test func referenceToARecordOfAnotherFormIsRefused() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let session = try store.create(form: try catalog.form("session"), values: sessionValues)
        let participant = try store.create(form: try catalog.form("participant"), values: participantValues(session: session))
        let error = #expect(throws: StoreError.self) {
            try store.create(form: try catalog.form("participant"), values: participantValues(session: participant))
        }
        #expect(
            error
                == .invalid([
                    ValidationError(
                        form: "participant", field: "session", value: participant,
                        rule: .referenceToOtherForm(expected: "session", actual: "participant"))
                ]))
    }
}

@Test func referenceToADeletedSessionIsRefused() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let session = try store.create(form: try catalog.form("session"), values: sessionValues)
        try store.delete(id: session)
        let error = #expect(throws: StoreError.self) {
            try store.create(form: try catalog.form("participant"), values: participantValues(session: session))
        }
        guard case .invalid(let problems)? = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(problems.map(\.rule) == [.deleted])
    }
}

@Test func participantWithoutConsentButWithANameIsRefused() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let session = try store.create(form: try catalog.form("session"), values: sessionValues)
        var values = participantValues(session: session)
        values["consent"] = .string("no")
        let error = #expect(throws: StoreError.self) { try store.create(form: try catalog.form("participant"), values: values) }
        guard case .invalid(let problems)? = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(problems.map(\.field) == ["name"])
        #expect(problems.first?.rule == .notRelevant("${consent} = 'yes'"))
        #expect(try store.records(form: "participant").isEmpty)
        // Without the name it is accepted.
        values["name"] = nil
        try store.create(form: try catalog.form("participant"), values: values)
        #expect(try store.counts()["participant"] == 1)
    }
}

@Test func withdrawingConsentWithoutRemovingTheNameIsRefused() throws {
    let catalog = try loadCatalog()
    try withStore { store, _ in
        let session = try store.create(form: try catalog.form("session"), values: sessionValues)
        let p = try store.create(form: try catalog.form("participant"), values: participantValues(session: session))
        #expect(throws: StoreError.self) { try store.edit(id: p, set: ["consent": .string("no")], catalog: catalog) }
        #expect(try store.edit(id: p, set: ["consent": .string("no")], unset: ["name"], catalog: catalog))
        #expect(try store.record(p)?.values["name"] == nil)
    }
}

// MARK: - Clock persistence

@Test func stampsKeepIncreasingAcrossAReopenEvenWhenTheWallClockGoesBack() throws {
    let catalog = try loadCatalog()
    try withTempDir { dir in
        let path = dir.appendingPathComponent("field.sqlite").path
        let late = date(2040)
        let early = date(2010)
        let first: StoredRecord
        let node: String
        do {
            let store = try FieldStore(path: path, now: { late })
            let id = try store.create(form: try catalog.form("session"), values: sessionValues)
            try store.edit(id: id, set: ["title": .string("T2")], catalog: catalog)
            first = try #require(try store.record(id))
            node = try store.identity().node
        }
        let reopened = try FieldStore(path: path, now: { early })
        #expect(try reopened.identity().node == node)
        let second = try reopened.create(form: try catalog.form("session"), values: sessionValues)
        let created = try #require(try reopened.record(second)).created
        #expect(created > first.state.updated)
        #expect(created.hlc.wallMilliseconds == HLC.milliseconds(late))
        try reopened.edit(id: first.id, set: ["title": .string("T3")], catalog: catalog)
        let stamps = try reopened.changes().map(\.change.stamp.hlc)
        #expect(stamps.count == 4)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 }, "\(stamps)")
    }
}

@Test func importedRecordsAreStampedAboveEarlierWritesAndPersistTheClock() throws {
    let catalog = try loadCatalog()
    let now = date(2026)
    try withStore(now: { now }) { store, dir in
        _ = try store.create(form: try catalog.form("session"), values: sessionValues)
        let text = (0..<3).map { i in
            #"{"form":"session","values":{"title":"S\#(i)","date":"2026-09-08","region":"gao","locality":"Bara","format":"women"}}"#
        }.joined(separator: "\n")
        let path = try write(text, to: "s.jsonl", in: dir)
        _ = try store.importItems(try ImportReader.read(path: path, form: nil), catalog: catalog, file: path)
        _ = try store.create(form: try catalog.form("session"), values: sessionValues)
        let stamps = try store.changes().map(\.change.stamp.hlc)
        #expect(stamps.count == 5)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 }, "\(stamps)")
    }
}

// MARK: - Refusing files that are not Palabre stores

@Test func aFileThatIsNotSQLiteIsRefused() throws {
    try withTempDir { dir in
        let path = try write("id,title\n1,not a database\n", to: "field.sqlite", in: dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try FieldStore(path: path) }
        guard case .unreadable(let p, let reason)? = error else {
            Issue.record("expected .unreadable, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(reason.contains("not a SQLite database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}

@Test func aSQLiteFileOfAnotherProgramIsRefused() throws {
    try withTempDir { dir in
        let path = dir.appendingPathComponent("other.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Hawa')")
            }
        }
        let error = #expect(throws: StoreError.self) { try FieldStore(path: path) }
        guard case .unreadable(_, let reason)? = error else {
            Issue.record("expected .unreadable, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("another program"))
        // Its data is untouched.
        let names = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT name FROM contacts") }
        #expect(names == ["Hawa"])
    }
}

@Test func refusingASQLiteFileOfAnotherProgramLeavesItsBytesUnchanged() throws {
    try withTempDir { dir in
        let path = dir.appendingPathComponent("other.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in try db.execute(sql: "CREATE TABLE contacts (name TEXT)") }
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: StoreError.self) { try FieldStore(path: path) }
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(after == before)
    }
}

@Test func anEmptyFileBecomesANewStore() throws {
    try withTempDir { dir in
        let path = try write("", to: "field.sqlite", in: dir)
        let store = try FieldStore(path: path)
        #expect(try store.identity().node.count == 16)
    }
}

@Test func reopeningAStoreKeepsItsRecords() throws {
    let catalog = try loadCatalog()
    try withTempDir { dir in
        let path = dir.appendingPathComponent("sub/folder/field.sqlite").path
        let id: String
        do {
            let store = try FieldStore(path: path)
            id = try store.create(form: try catalog.form("session"), values: sessionValues)
        }
        #expect(try FieldStore(path: path).record(id)?.values == sessionValues)
    }
}

// MARK: - Import

@Test func importIsAllOrNothingAndListsTheBadLine() throws {
    let catalog = try loadCatalog()
    try withStore { store, dir in
        let s = RecordID.make()
        let lines = [
            #"{"form":"session","id":"\#(s)","values":{"title":"S","date":"2026-09-08","region":"gao","locality":"Bara","format":"women"}}"#,
            #"{"form":"participant","values":{"session":"\#(s)","consent":"no","sex":"female","age_band":"25_35","role":"youth"}}"#,
            #"{"form":"participant","values":{"session":"\#(s)","consent":"no","sex":"female","age_band":"99","role":"youth"}}"#,
            #"{"form":"participant","values":{"session":"\#(s)","consent":"no","sex":"male","age_band":"18_24","role":"elder"}}"#,
        ]
        let path = try write(lines.joined(separator: "\n") + "\n", to: "bad.jsonl", in: dir)
        let items = try ImportReader.read(path: path, form: nil)
        #expect(items.count == 4)
        let before = try dump(store)
        let error = #expect(throws: StoreError.self) { try store.importItems(items, catalog: catalog, file: path) }
        guard case .importRejected(let file, let problems)? = error else {
            Issue.record("expected .importRejected, got \(String(describing: error))")
            return
        }
        #expect(file == path)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("line 3: ") == true, "\(problems)")
        #expect(problems.first?.contains("participant.age_band: '99' is not one of") == true, "\(problems)")
        #expect(try dump(store) == before)
        #expect(try store.counts().isEmpty)
    }
}

@Test func importListsEveryBadLine() throws {
    let catalog = try loadCatalog()
    try withStore { store, dir in
        let text = """
            {"form":"session","values":{"title":"S","date":"2026-02-30","region":"gao","locality":"Bara","format":"women"}}

            {"form":"sesion","values":{"title":"S"}}
            {"form":"session","values":{"title":"S","date":"2026-09-08","region":"gao","locality":"Bara","format":"women","colour":"red"}}
            """
        let path = try write(text, to: "bad.jsonl", in: dir)
        let error = #expect(throws: StoreError.self) {
            try store.importItems(try ImportReader.read(path: path, form: nil), catalog: catalog, file: path)
        }
        guard case .importRejected(_, let problems)? = error else {
            Issue.record("expected .importRejected, got \(String(describing: error))")
            return
        }
        #expect(problems.map { $0.prefix(while: { $0 != ":" }) } == ["line 1", "line 3", "line 4"], "\(problems)")
        #expect(try changeCount(store) == 0)
    }
}

@Test func unreadableJSONLinesAreListedByLine() throws {
    let text = "{\"form\":\"session\",\"values\":{}}\n{not json}\n[1]\n"
    let error = #expect(throws: StoreError.self) { try ImportReader.jsonLines(text, file: "x.jsonl", form: nil) }
    guard case .importRejected(_, let problems)? = error else {
        Issue.record("expected .importRejected, got \(String(describing: error))")
        return
    }
    #expect(problems.count == 2)
    #expect(problems.first?.hasPrefix("line 2: ") == true)
    #expect(problems.last?.hasPrefix("line 3: ") == true)
}

@Test func importResolvesReferencesToRecordsEarlierInTheSameFile() throws {
    let catalog = try loadCatalog()
    try withStore { store, dir in
        let s = RecordID.make()
        let text = [
            #"{"form":"session","id":"\#(s.uppercased())","values":{"title":"S","date":"2026-09-08","region":"gao","locality":"Bara","format":"women"}}"#,
            #"{"form":"participant","session":"\#(s)","consent":"yes","name":"Hawa","sex":"female","age_band":"25_35","role":"youth"}"#,
        ].joined(separator: "\n")
        let path = try write(text, to: "ok.jsonl", in: dir)
        let summary = try store.importItems(try ImportReader.read(path: path, form: nil), catalog: catalog, file: path)
        #expect(summary.imported == ["session": 1, "participant": 1])
        #expect(summary.unchanged == 0)
        #expect(try store.record(s)?.form == "session")
        let participant = try #require(try store.records(form: "participant").first)
        #expect(participant.values["session"] == .string(s))
    }
}

@Test func importRefusesAReferenceToALaterLine() throws {
    let catalog = try loadCatalog()
    try withStore { store, dir in
        let s = RecordID.make()
        let text = [
            #"{"form":"participant","values":{"session":"\#(s)","consent":"no","sex":"female","age_band":"25_35","role":"youth"}}"#,
            #"{"form":"session","id":"\#(s)","values":{"title":"S","date":"2026-09-08","region":"gao","locality":"Bara","format":"women"}}"#,
        ].joined(separator: "\n")
        let path = try write(text, to: "order.jsonl", in: dir)
        let error = #expect(throws: StoreError.self) {
            try store.importItems(try ImportReader.read(path: path, form: nil), catalog: catalog, file: path)
        }
        guard case .importRejected(_, let problems)? = error else {
            Issue.record("expected .importRejected, got \(String(describing: error))")
            return
        }
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("line 1: ") == true)
        #expect(try store.records(includeDeleted: true).isEmpty)
    }
}

@Test func importRefusesTheSameIDTwiceInAFile() throws {
    let catalog = try loadCatalog()
    try withStore { store, dir in
        let s = RecordID.make()
        let line = #"{"form":"session","id":"\#(s)","values":{"title":"S","date":"2026-09-08","region":"gao","locality":"Bara","format":"women"}}"#
        let path = try write(line + "\n" + line, to: "twice.jsonl", in: dir)
        let error = #expect(throws: StoreError.self) {
            try store.importItems(try ImportReader.read(path: path, form: nil), catalog: catalog, file: path)
        }
        guard case .importRejected(_, let problems)? = error else {
            Issue.record("expected .importRejected, got \(String(describing: error))")
            return
        }
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("line 2: ") == true)
    }
}

@Test func reimportingTheSameItemsReportsThemUnchangedAndWritesNothing() throws {
    let catalog = try loadCatalog()
    try withStore { store, dir in
        let s = RecordID.make()
        let p = RecordID.make()
        let text = [
            #"{"form":"session","id":"\#(s)","values":{"title":"S","date":"2026-09-08","region":"gao","locality":"Bara","format":"women","themes":["land","water"],"location":[15.93,0.39],"women_count":12}}"#,
            #"{"form":"participant","id":"\#(p)","values":{"session":"\#(s)","consent":"no","sex":"female","age_band":"25_35","role":"youth"}}"#,
            #"{"form":"initiative","id":"\#(RecordID.make())","values":{"title":"Puits","type":"well","status":"proposed","estimated_cost":2500000,"session":"\#(s)"}}"#,
        ].joined(separator: "\n")
        let path = try write(text, to: "twice.jsonl", in: dir)
        let items = try ImportReader.read(path: path, form: nil)
        let first = try store.importItems(items, catalog: catalog, file: path)
        #expect(first.total == 3)
        let before = try dump(store)
        let second = try store.importItems(items, catalog: catalog, file: path)
        #expect(second.imported.isEmpty)
        #expect(second.total == 0)
        #expect(second.unchanged == 3)
        #expect(try dump(store) == before)
    }
}

@Test func reimportingAnIDWithOtherValuesIsRefused() throws {
    let catalog = try loadCatalog()
    try withStore { store, dir in
        let s = RecordID.make()
        let line =
            #"{"form":"session","id":"\#(s)","values":{"title":"TITLE","date":"2026-09-08","region":"gao","locality":"Bara","format":"women"}}"#
        let path1 = try write(line.replacingOccurrences(of: "TITLE", with: "A"), to: "a.jsonl", in: dir)
        let path2 = try write(line.replacingOccurrences(of: "TITLE", with: "B"), to: "b.jsonl", in: dir)
        _ = try store.importItems(try ImportReader.read(path: path1, form: nil), catalog: catalog, file: path1)
        #expect(throws: StoreError.self) {
            try store.importItems(try ImportReader.read(path: path2, form: nil), catalog: catalog, file: path2)
        }
        #expect(try store.record(s)?.values["title"] == .string("A"))
    }
}

@Test func importingTheDemoSampleGivesTheCountsOfTheFile() throws {
    let catalog = try loadCatalog()
    let path = repoRoot.appendingPathComponent("samples/demo.jsonl").path
    // Count the file's records by form independently of Palabre's JSON reader.
    var expected: [String: Int] = [:]
    let text = try String(contentsOfFile: path, encoding: .utf8)
    for line in text.split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        let form = try #require(object?["form"] as? String)
        expected[form, default: 0] += 1
    }
    #expect(expected.count == 4)
    try withStore { store, _ in
        let items = try ImportReader.read(path: path, form: nil)
        let summary = try store.importItems(items, catalog: catalog, file: path)
        #expect(summary.imported == expected)
        #expect(summary.unchanged == 0)
        #expect(try store.counts() == expected)
        #expect(try changeCount(store) == expected.values.reduce(0, +))
    }
}

// MARK: - CSV

@Test func csvReadsQuotedFieldsWithSeparatorsAndDoubledQuotes() throws {
    let reader = try CSVReader(text: "title,notes\n\"Bara, Gao\",\"he said \"\"yes\"\"\"\n")
    #expect(reader.rows.map(\.fields) == [["title", "notes"], ["Bara, Gao", "he said \"yes\""]])
}

@Test func csvKeepsNewlinesInsideQuotesAndNumbersRowsByStartLine() throws {
    let reader = try CSVReader(text: "a,b\n\"line one\nline two\",x\nnext,row\n")
    #expect(reader.rows.map(\.fields) == [["a", "b"], ["line one\nline two", "x"], ["next", "row"]])
    #expect(reader.rows.map(\.line) == [1, 2, 4])
}

@Test func csvDetectsSemicolonSeparator() throws {
    let reader = try CSVReader(text: "title;cost\nPuits;2 500,5\n")
    #expect(reader.rows.map(\.fields) == [["title", "cost"], ["Puits", "2 500,5"]])
}

@Test func csvSkipsAByteOrderMark() throws {
    let reader = try CSVReader(text: "\u{FEFF}form,title\nsession,Bara\n")
    #expect(reader.rows.first?.fields == ["form", "title"])
    #expect(reader.rows.first?.fields.first?.unicodeScalars.first == "f")
}

@Test func csvHandlesCRLFAndEmptyCellsAndBlankLines() throws {
    let reader = try CSVReader(text: "a,b,c\r\n1,,3\r\n\r\n,\r\n")
    #expect(reader.rows.map(\.fields) == [["a", "b", "c"], ["1", "", "3"], ["", ""]])
}

@Test func csvLastRowWithoutNewlineIsKept() throws {
    let reader = try CSVReader(text: "a,b\n1,2")
    #expect(reader.rows.map(\.fields) == [["a", "b"], ["1", "2"]])
}

@Test func csvUnterminatedQuoteNamesItsLine() {
    #expect(throws: StoreError.other("line 2: a quoted field is never closed")) {
        try CSVReader(text: "a,b\n\"open,x\n1,2\n")
    }
}

@Test func csvImportWithBOMSemicolonsAndFrenchNumbers() throws {
    let catalog = try loadCatalog()
    try withStore { store, dir in
        let s = RecordID.make()
        let csv =
            "\u{FEFF}form;id;title;type;status;estimated_cost;description\r\n"
            + "initiative;\(s);Puits de Bara;well;proposed;2 500 000,5;\"Puits; \"\"pastoral\"\"\r\nprofond\"\r\n"
        let path = try write(csv, to: "initiatives.csv", in: dir)
        let items = try ImportReader.read(path: path, form: nil)
        #expect(items.count == 1)
        let summary = try store.importItems(items, catalog: catalog, file: path)
        #expect(summary.imported == ["initiative": 1])
        let record = try #require(try store.record(s))
        #expect(record.values["estimated_cost"] == .decimal(2_500_000.5))
        #expect(record.values["description"] == .string("Puits; \"pastoral\"\r\nprofond"))
        #expect(record.values["title"] == .string("Puits de Bara"))
    }
}

@Test func csvRowWithTheWrongNumberOfCellsIsRefusedByLine() throws {
    let error = #expect(throws: StoreError.self) {
        try ImportReader.csv("title,date\nA,2026-01-01\nB\n", file: "s.csv", form: "session")
    }
    #expect(error == .importRejected(file: "s.csv", problems: ["line 3: 1 cells, but the header has 2 columns"]))
}

@Test func csvUsesTheGivenFormWhenThereIsNoFormColumn() throws {
    let items = try ImportReader.csv("title,region\nA,gao\n", file: "s.csv", form: "session")
    #expect(items.count == 1)
    #expect(items.first?.form == "session")
    #expect(items.first?.values == ["title": .string("A"), "region": .string("gao")])
    #expect(items.first?.textual == true)
    #expect(items.first?.line == 2)
}

/// A store made before the index and received-forms migrations (v2, v3) opens read-only as it is, writing nothing,
/// and is upgraded by the next command that writes.
@Test func aStoreWithoutTheIndexMigrationIsReadAsItIsAndUpgradedByTheNextWrite() throws {
    try withTempDir { dir in
        let path = dir.appendingPathComponent("old.sqlite").path
        let catalog = try loadCatalog()
        let store = try FieldStore(path: path)
        let id = try store.create(form: try catalog.form("session"), values: sessionValues)
        try store.close()
        // As an older version left it.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v2:%' OR identifier LIKE 'v3:%'")
            try db.execute(sql: "DROP INDEX records_by_project; DROP INDEX history_by_conflict_record; DROP TABLE received_forms")
        }
        try queue.close()
        func migrated() throws -> Bool {
            let q = try DatabaseQueue(path: path)
            defer { try? q.close() }
            return try q.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM grdb_migrations WHERE identifier LIKE 'v2:%'") ?? false }
        }
        let reader = try FieldStore(path: path, mode: .readOnly)
        #expect(try reader.record(id) != nil)
        #expect(try reader.receivedForms().forms.isEmpty, "no table yet: nothing received")
        try reader.close()
        #expect(try !migrated(), "a read-only open writes nothing")
        let writer = try FieldStore(path: path, mode: .existing)
        try writer.close()
        #expect(try migrated(), "the next store that may write upgrades it")
    }
}
