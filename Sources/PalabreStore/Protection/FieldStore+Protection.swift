import Crypto
import Foundation
import GRDB
import PalabreCore

/// A store protected by its facilitator's passphrase (DESIGN.md, *Protection*): what is sealed needs the store's
/// private key, which `unlock` keeps for a working day in memory-backed storage and `wipe` destroys.
extension FieldStore {
    /// The `meta` key of the store's key pair.
    static let protectionKey = "protection"
    /// How long an unlock lasts: a working day.
    public static let unlockLifetime: TimeInterval = 12 * 3600

    /// Whether the store is protected, and if so whether it was wiped.
    public enum ProtectionState: Sendable, Equatable {
        case none
        case protected(StoreKey)
        /// `wipe` destroyed the key: what was sealed is noise until a new passphrase is set.
        case wiped
    }

    /// The store's protection.
    public func protectionState() throws(StoreError) -> ProtectionState {
        try run { try pool.read { db in try Self.protection(db) } }
    }

    static func protection(_ db: Database) throws -> ProtectionState {
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [protectionKey]) else { return .none }
        if text == "wiped" { return .wiped }
        guard let key = StoreKey(text: text) else { throw StoreError.other("the store's key (meta '\(protectionKey)') is damaged") }
        return .protected(key)
    }

    /// Protects the store with a passphrase: makes its key pair and seals what it already holds (the sync token, and
    /// every sensitive and contact value in records, history, the change log and what is set aside, `catalog` saying
    /// which fields those are). A store protected before refuses (the passphrase is changed with `changePassphrase`).
    ///
    /// A wiped store takes a new key, and forgets the values the wipe destroyed (with their stamps, and the received
    /// changes that carried them), so that its next sync brings back everything it may hold again.
    public func protect(passphrase: String, catalog: FormCatalog? = nil) throws(StoreError) {
        guard passphrase.count >= 8 else {
            throw StoreError.refused("a passphrase has at least 8 characters (a few words are easier to remember and harder to guess)")
        }
        try run {
            let (key, privateKey) = try StoreKey.make(passphrase: passphrase)
            try pool.write { db in
                if case .protected = try Self.protection(db) {
                    throw StoreError.refused("this store is already protected: 'palabre unlock' opens it")
                }
                let wiped = try Self.protection(db) == .wiped
                try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [Self.protectionKey, key.text])
                if let token = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [SyncState.Key.remoteToken]) {
                    // A wiped store's sealed token is noise: it is dropped, and a new one must be set.
                    if wiped && Sealing.isSealed(token) {
                        try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [SyncState.Key.remoteToken])
                    } else if !Sealing.isSealed(token) {
                        try db.execute(
                            sql: "UPDATE meta SET value = ? WHERE key = ?",
                            arguments: [try Sealing.seal(token, for: key.publicKey), SyncState.Key.remoteToken])
                    }
                }
                if wiped { try Self.forgetDestroyed(db) }
                try Self.sealStored(db, seal: Seal(publicKey: key.publicKey, privateKey: nil, forms: Self.formsByName(catalog)))
            }
            try self.scrub()
            try UnlockCache.write(privateKey, for: Self.cacheName(key), until: self.now().addingTimeInterval(Self.unlockLifetime))
        }
    }

    static func formsByName(_ catalog: FormCatalog?) -> [String: Form] {
        Dictionary((catalog?.latestForms ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Seals every value a seal says is sealed, wherever the store keeps one (those already sealed stay as they are).
    static func sealStored(_ db: Database, seal: Seal) throws {
        for row in try Row.fetchAll(db, sql: "SELECT * FROM records") {
            let record = try decodeRecord(row)
            let sealed = try seal.sealing(record.state)
            guard sealed != record.state else { continue }
            try db.execute(
                sql: "UPDATE records SET vals = ?, stamps = ? WHERE id = ?",
                arguments: [
                    ValueMap.encode(sealed.fieldValues), StampsCodec.encode(stamps: sealed.stamps, prevs: sealed.prevs, withheld: sealed.withheld),
                    record.id,
                ])
        }
        let history = try Row.fetchAll(
            db, sql: "SELECT h.id, h.field, h.value, r.form FROM history h JOIN records r ON r.id = h.record_id WHERE h.value IS NOT NULL")
        for row in history {
            guard seal.seals(form: row["form"], field: row["field"]) else { continue }
            guard let value = try Value(json: JSON.parse(row["value"] as String)), !SealedText.isSealed(value) else { continue }
            try db.execute(
                sql: "UPDATE history SET value = ? WHERE id = ?", arguments: [try seal.sealed(value).json.serialized, row["id"] as Int64])
        }
        for (table, key, all) in [("changes", "seq", false), ("set_aside", "id", true)] {
            for row in try Row.fetchAll(db, sql: "SELECT \(key) AS k, body FROM \(table)") {
                let change = try Change(json: JSON.parse(row["body"] as String))
                let sealed = try seal.sealing(change, all: all)
                guard sealed != change else { continue }
                try db.execute(sql: "UPDATE \(table) SET body = ? WHERE \(key) = ?", arguments: [sealed.serialized, row["k"] as Int64])
            }
        }
    }

    /// After a wipe: every sealed value left is noise. Records forget those values and their stamps, history forgets
    /// them, changes received or already sent that carried them leave the log (so the same changes pulled again apply),
    /// unsent ones keep the rest of their fields, and the next pull starts from the beginning, own changes included.
    static func forgetDestroyed(_ db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT * FROM records") {
            var state = try decodeRecord(row).state
            let destroyed = Set(state.values.filter { SealedText.isSealed($0.value) }.keys)
                .union(state.withheld.filter { SealedText.isSealed($0.value) }.keys)
            guard !destroyed.isEmpty else { continue }
            for k in destroyed { (state.values[k], state.withheld[k], state.stamps[k], state.prevs[k]) = (nil, nil, nil, nil) }
            try db.execute(
                sql: "UPDATE records SET vals = ?, stamps = ? WHERE id = ?",
                arguments: [
                    ValueMap.encode(state.fieldValues), StampsCodec.encode(stamps: state.stamps, prevs: state.prevs, withheld: state.withheld),
                    state.id,
                ])
        }
        try db.execute(sql: "DELETE FROM history WHERE value LIKE ?", arguments: ["\"" + SealedText.prefix + "%"])
        var sync = try SyncState.read(db)
        for row in try Row.fetchAll(db, sql: "SELECT seq, body, local FROM changes WHERE body LIKE ?", arguments: ["%" + SealedText.prefix + "%"]) {
            var change = try Change(json: JSON.parse(row["body"] as String))
            guard Seal.holdsSealed(change) else { continue }
            let seq: Int64 = row["seq"]
            if (row["local"] as Int) == 1 && seq > sync.pushCursor {
                change.values = change.values.filter { !SealedText.isSealed($0.value ?? nil) }
                try db.execute(sql: "UPDATE changes SET body = ? WHERE seq = ?", arguments: [change.serialized, seq])
            } else {
                try db.execute(sql: "DELETE FROM changes WHERE seq = ?", arguments: [seq])
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, body FROM set_aside") {
            var change = try Change(json: JSON.parse(row["body"] as String))
            guard Seal.holdsSealed(change) else { continue }
            change.values = change.values.filter { !SealedText.isSealed($0.value ?? nil) }
            try db.execute(sql: "UPDATE set_aside SET body = ? WHERE id = ?", arguments: [change.serialized, row["id"] as Int64])
        }
        sync.pullCursor = 0
        sync.pullsOwnChanges = true
        try sync.write(db)
    }

    /// Unlocks the store for a working day; returns until when. A wrong passphrase is refused.
    @discardableResult
    public func unlock(passphrase: String) throws(StoreError) -> Date {
        try run {
            let state = try pool.read { db in try Self.protection(db) }
            if state == .wiped { throw StoreError.wiped }
            guard case .protected(let key) = state else {
                throw StoreError.refused("this store is not protected: 'palabre protect' sets its passphrase")
            }
            guard let privateKey = try key.unwrap(passphrase: passphrase) else { throw StoreError.wrongPassphrase }
            let until = self.now().addingTimeInterval(Self.unlockLifetime)
            try UnlockCache.write(privateKey, for: Self.cacheName(key), until: until)
            return until
        }
    }

    /// Forgets the unlocked key (the store stays protected).
    public func lock() throws(StoreError) {
        if case .protected(let key) = try protectionState() { UnlockCache.remove(Self.cacheName(key)) }
    }

    /// The private key when the store is unlocked (within the day, for this store's key), else nil.
    public func unlockedKey() throws(StoreError) -> Curve25519.KeyAgreement.PrivateKey? {
        guard case .protected(let key) = try protectionState() else { return nil }
        guard let k = UnlockCache.read(Self.cacheName(key), now: now()), k.publicKey.rawRepresentation == key.publicKey else { return nil }
        return k
    }

    /// Destroys the store's key: every sealed value (names, phone numbers, the token) becomes noise at once; the rest
    /// stays. Old pages are overwritten (`secure_delete`) and the write-ahead log emptied, so no copy of the key
    /// remains in the files.
    ///
    /// The key is gone from the files once the write is checkpointed (its old page overwritten with zeros), before the
    /// store is compacted; what the disk itself keeps of freed blocks is beyond a file (DESIGN.md, *Protection*). An
    /// unprotected store has nothing sealed to destroy: refused, with what to do.
    public func wipe() throws(StoreError) {
        guard case .protected(let key) = try protectionState() else {
            if try protectionState() == .wiped { return }
            throw StoreError.refused("this store is not protected, so nothing is sealed to destroy: 'palabre protect' first")
        }
        try run {
            UnlockCache.remove(Self.cacheName(key))
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA secure_delete = ON")
                try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, 'wiped')", arguments: [Self.protectionKey])
                _ = try db.checkpoint(.truncate)
            }
            try self.scrub()
        }
    }

    /// Empties the write-ahead log into the store and overwrites freed pages, so values replaced by sealed ones (or a
    /// destroyed key) leave no copy behind.
    func scrub() throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(sql: "VACUUM")
            _ = try db.checkpoint(.truncate)
        }
    }

    /// The name of a store's unlocked key in the cache: a hash of its public key (a node renewal changes nothing).
    static func cacheName(_ key: StoreKey) -> String {
        SHA256.hash(data: key.publicKey).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// Opens a sealed text with the unlocked key; plain text is returned as it is.
    func opened(_ text: String) throws(StoreError) -> String {
        guard Sealing.isSealed(text) else { return text }
        if try protectionState() == .wiped { throw StoreError.wiped }
        guard let key = try unlockedKey() else { throw StoreError.locked }
        guard let plain = Sealing.open(text, with: key) else { throw StoreError.other("a sealed value could not be opened (damaged)") }
        return plain
    }
}

/// Unlocked keys, in memory-backed storage (`$XDG_RUNTIME_DIR`, else `/dev/shm`): gone when the laptop is switched off,
/// in a folder of the user's own (0700, refused when another user owns it or it is a link), each file created new
/// and readable by its owner only, with the moment it expires.
enum UnlockCache {
    /// The user's folder, made if missing, checked either way; nil when there is no safe one.
    static func folder() -> String? {
        let uid = getuid()
        var bases: [String] = []
        if let run = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !run.isEmpty { bases.append(run) }
        bases.append("/dev/shm")
        for base in bases {
            let dir = base + "/palabre-\(uid)"
            _ = mkdir(dir, 0o700)
            var st = stat()
            // lstat: a link planted in a world-writable folder is not followed.
            guard lstat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == uid, st.st_mode & 0o077 == 0 else { continue }
            return dir
        }
        return nil
    }

    static func write(_ key: Curve25519.KeyAgreement.PrivateKey, for name: String, until: Date) throws {
        guard let folder = folder() else {
            throw StoreError.refused("no private memory-backed folder ($XDG_RUNTIME_DIR or /dev/shm) to keep the unlocked key in")
        }
        let path = folder + "/" + name + ".key"
        let tmp = path + ".\(UInt64.random(in: 1...UInt64.max))"
        let text = "\(Int(until.timeIntervalSince1970))\n\(key.rawRepresentation.base64EncodedString())\n"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.refused("cannot write the unlocked key in \(folder)") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw StoreError.refused("cannot write the unlocked key in \(folder)")
        }
    }

    static func read(_ name: String, now: Date) -> Curve25519.KeyAgreement.PrivateKey? {
        guard let folder = folder() else { return nil }
        let path = folder + "/" + name + ".key"
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_uid == getuid(), st.st_size < 4096 else { return nil }
        var buffer = [UInt8](repeating: 0, count: Int(st.st_size))
        guard Glibc.read(fd, &buffer, buffer.count) == buffer.count else { return nil }
        let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n")
        guard lines.count == 2, let until = Int(lines[0]), Double(until) > now.timeIntervalSince1970,
            let raw = Data(base64Encoded: String(lines[1]))
        else {
            unlink(path)
            return nil
        }
        return try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
    }

    static func remove(_ name: String) {
        if let folder = folder() { unlink(folder + "/" + name + ".key") }
    }
}
