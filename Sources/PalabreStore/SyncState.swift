import GRDB
import PalabreCore

/// The service a store syncs with: its URL and this laptop's token.
public struct Remote: Sendable, Equatable {
    public var url: String
    public var token: String

    public init(url: String, token: String) {
        self.url = url
        self.token = token
    }
}

/// Where a store stands with its service, read and written whole, in one transaction each (``FieldStore/syncState()``,
/// ``FieldStore/updateSyncState(_:)``). Kept in the store's `meta` table under the keys below, as it always was, so
/// older stores read the same.
public struct SyncState: Sendable, Equatable {
    /// The service's change log position after the last page applied (`pull_cursor`).
    public var pullCursor: Int64 = 0
    /// The last local change sequence number the service acknowledged (`push_cursor`).
    public var pushCursor: Int64 = 0
    /// The local changes of the batch sent and not yet answered (`push_inflight`, "first last"): sent again first,
    /// exactly as it was, so the service answers it from its batch table.
    public var inflight: ClosedRange<Int64>?
    /// How many batches the service has acknowledged to this store (`acked_batches`); fewer than the service counts for
    /// the node means the store was restored or copied.
    public var ackedBatches = 0
    /// Whether it pulls its own node's changes too (`pull_own`): set once it found it was restored or copied.
    public var pullsOwnChanges = false
    /// The service's clock at the last answer, milliseconds (`last_server_time`).
    public var lastServerTime: Int64?
    /// The identity of the service's change log these positions belong to (`service_log`); another one means the
    /// service was restored from a backup: everything is sent and received again.
    public var serviceLog: String?
    /// After ``startAgain()``: the last change the service had acknowledged before (`resend_floor`). Changes up to it
    /// are sent again with their own stamps, never re-stamped (the service had them: a fresh stamp would make an old
    /// value win over later edits), and no batch spans it.
    public var resendFloor: Int64 = 0
    /// After ``startAgain()``: the next push answer's `node_batches` is taken as what was acknowledged, rather than as
    /// a sign this store was restored (`acked_batches` of -1).
    public var ackedBaselinePending: Bool { ackedBatches < 0 }

    /// Everything is to be sent and received again (`palabre sync --from-start`, or a service restored from a
    /// backup): positions start over; what the clock knows, the log identity, the resend floor and whether own
    /// changes are pulled stay.
    public mutating func startAgain() {
        let kept = self
        self = .fresh
        lastServerTime = kept.lastServerTime
        serviceLog = kept.serviceLog
        pullsOwnChanges = kept.pullsOwnChanges
        resendFloor = max(kept.resendFloor, kept.pushCursor, kept.inflight?.upperBound ?? 0)
        ackedBatches = -1
    }

    public init() {}

    /// The same store against another service: nothing of this one's positions applies there.
    public static let fresh = SyncState()

    enum Key {
        static let pullCursor = "pull_cursor", pushCursor = "push_cursor", inflight = "push_inflight"
        static let ackedBatches = "acked_batches", pullsOwn = "pull_own", lastServerTime = "last_server_time"
        static let remoteURL = "remote_url", remoteToken = "remote_token"
        static let serviceLog = "service_log", resendFloor = "resend_floor"
        static let all = [pullCursor, pushCursor, inflight, ackedBatches, pullsOwn, lastServerTime, serviceLog, resendFloor]
    }

    /// Reads it inside a transaction.
    static func read(_ db: Database) throws -> SyncState {
        var values: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key IN (\(Key.all.map { "'\($0)'" }.joined(separator: ",")))") {
            values[row["key"]] = row["value"]
        }
        var s = SyncState()
        s.pullCursor = values[Key.pullCursor].flatMap { Int64($0) } ?? 0
        s.pushCursor = values[Key.pushCursor].flatMap { Int64($0) } ?? 0
        if let bounds = values[Key.inflight]?.split(separator: " ").compactMap({ Int64($0) }), bounds.count == 2, bounds[0] <= bounds[1] {
            s.inflight = bounds[0]...bounds[1]
        }
        s.ackedBatches = values[Key.ackedBatches].flatMap { Int($0) } ?? 0
        s.pullsOwnChanges = values[Key.pullsOwn] != nil
        s.lastServerTime = values[Key.lastServerTime].flatMap { Int64($0) }
        s.serviceLog = values[Key.serviceLog]
        s.resendFloor = values[Key.resendFloor].flatMap { Int64($0) } ?? 0
        return s
    }

    /// Writes it inside a transaction (a default value removes its key).
    func write(_ db: Database) throws {
        func put(_ key: String, _ value: String?) throws {
            if let value {
                try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
            }
        }
        try put(Key.pullCursor, pullCursor == 0 ? nil : String(pullCursor))
        try put(Key.pushCursor, pushCursor == 0 ? nil : String(pushCursor))
        try put(Key.inflight, inflight.map { "\($0.lowerBound) \($0.upperBound)" })
        try put(Key.ackedBatches, ackedBatches == 0 ? nil : String(ackedBatches))
        try put(Key.pullsOwn, pullsOwnChanges ? "1" : nil)
        try put(Key.lastServerTime, lastServerTime.map(String.init))
        try put(Key.serviceLog, serviceLog)
        try put(Key.resendFloor, resendFloor == 0 ? nil : String(resendFloor))
    }
}

extension FieldStore {
    /// Where this store stands with its service.
    public func syncState() throws(StoreError) -> SyncState {
        try run { try pool.read { db in try SyncState.read(db) } }
    }

    /// Changes the sync state in one transaction: read, changed by `body`, written.
    public func updateSyncState(_ body: @Sendable (inout SyncState) -> Void) throws(StoreError) {
        try run {
            try pool.write { db in
                var s = try SyncState.read(db)
                body(&s)
                try s.write(db)
            }
        }
    }

    /// The service this store syncs with, if one is set.
    ///
    /// On a protected store the token is sealed: reading it needs the store unlocked (``StoreError/locked``).
    public func remote() throws(StoreError) -> Remote? {
        let stored = try run {
            try pool.read { db -> Remote? in
                guard let url = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [SyncState.Key.remoteURL])
                else { return nil }
                let token = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [SyncState.Key.remoteToken]) ?? ""
                return Remote(url: url, token: token)
            }
        }
        guard var remote = stored else { return nil }
        remote.token = try opened(remote.token)
        return remote
    }

    /// The service's URL alone (readable while the store is locked).
    public func remoteURL() throws(StoreError) -> String? {
        try run { try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [SyncState.Key.remoteURL]) } }
    }

    /// Sets the service, in one transaction. Another service has its own change log and none of this store's
    /// changes: the sync state starts again (what is already there is recognised and skipped), or changes would be
    /// skipped for good. The same service with a new token keeps it. Returns whether the state was reset.
    @discardableResult
    public func setRemote(_ remote: Remote) throws(StoreError) -> Bool {
        try run {
            try pool.write { db in
                let previous = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [SyncState.Key.remoteURL])
                let reset = previous != nil && previous != remote.url
                if reset {
                    try SyncState.fresh.write(db)
                    // Another service's forms are asked for whole at the next sync.
                    try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [FieldStore.formsTagKey])
                }
                // A protected store keeps the token sealed (its public key is enough: no unlock needed to set it).
                var token = remote.token
                if case .protected(let key) = try Self.protection(db) { token = try Sealing.seal(token, for: key.publicKey) }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?), (?, ?)",
                    arguments: [SyncState.Key.remoteURL, remote.url, SyncState.Key.remoteToken, token])
                return reset
            }
        }
    }
}
