import Foundation
import GRDB
import PalabreCore
import PalabreStore
import Testing

/// The sync state as one type: written whole, read whole, under the keys older stores already hold.
@Suite struct SyncStateTests {
    func withStore<T>(_ body: (FieldStore, String) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("palabre-syncstate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("field.sqlite").path
        return try body(try FieldStore(path: path), path)
    }

    @Test func aStateIsWrittenAndReadWholeAndDefaultsLeaveNoKeys() throws {
        try withStore { store, path in
            #expect(try store.syncState() == .fresh)
            try store.updateSyncState {
                $0.pullCursor = 812
                $0.pushCursor = 40
                $0.inflight = 41...60
                $0.ackedBatches = 3
                $0.pullsOwnChanges = true
                $0.lastServerTime = 1_764_400_000_000
            }
            let s = try store.syncState()
            #expect(s.pullCursor == 812 && s.pushCursor == 40 && s.inflight == 41...60 && s.ackedBatches == 3)
            #expect(s.pullsOwnChanges && s.lastServerTime == 1_764_400_000_000)
            // The keys an older store holds, with the values it wrote.
            let q = try DatabaseQueue(path: path)
            let meta = try q.read { db in
                try Dictionary(
                    uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT key, value FROM meta").map { ($0["key"] as String, $0["value"] as String) })
            }
            #expect(meta["pull_cursor"] == "812" && meta["push_cursor"] == "40" && meta["push_inflight"] == "41 60")
            #expect(meta["acked_batches"] == "3" && meta["pull_own"] == "1" && meta["last_server_time"] == "1764400000000")
            try store.updateSyncState { $0 = .fresh }
            let left = try q.read { db in
                try String.fetchAll(db, sql: "SELECT key FROM meta WHERE key LIKE 'pu%' OR key LIKE 'ack%' OR key LIKE 'last%'")
            }
            #expect(left.isEmpty, "\(left)")
        }
    }

    @Test func anotherServiceStartsTheStateAgainButANewTokenDoesNot() throws {
        try withStore { store, _ in
            #expect(try store.remote() == nil)
            #expect(try store.setRemote(Remote(url: "http://a.example:8080", token: "plb_1")) == false)
            try store.updateSyncState {
                $0.pullCursor = 5
                $0.pushCursor = 9
                $0.inflight = 10...12
            }
            #expect(try store.setRemote(Remote(url: "http://a.example:8080", token: "plb_2")) == false)
            #expect(try store.syncState().pullCursor == 5 && store.remote() == Remote(url: "http://a.example:8080", token: "plb_2"))
            #expect(try store.setRemote(Remote(url: "http://b.example:8080", token: "plb_3")) == true)
            #expect(try store.syncState() == .fresh)
            #expect(try store.remote()?.url == "http://b.example:8080")
        }
    }

    /// A garbled in-flight range (a hand-edited store) reads as none rather than as a wrong slice of the queue.
    @Test func aGarbledInflightRangeReadsAsNone() throws {
        try withStore { store, path in
            let q = try DatabaseQueue(path: path)
            try q.write { db in try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('push_inflight', '60 41')") }
            #expect(try store.syncState().inflight == nil)
        }
    }
}
