import Crypto
import Foundation
import GRDB

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

    /// Protects the store with a passphrase: makes its key pair and seals what it already holds (the sync token). A
    /// store protected before refuses (the passphrase is changed with `changePassphrase`); a wiped one takes a new key.
    public func protect(passphrase: String) throws(StoreError) {
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
            }
            try self.scrub()
            try UnlockCache.write(privateKey, for: self.cacheName(), until: self.now().addingTimeInterval(Self.unlockLifetime))
        }
    }

    /// Unlocks the store for a working day; returns until when. A wrong passphrase is refused.
    @discardableResult
    public func unlock(passphrase: String) throws(StoreError) -> Date {
        try run {
            guard case .protected(let key) = try pool.read({ db in try Self.protection(db) }) else {
                throw StoreError.refused("this store is not protected: 'palabre protect' sets its passphrase")
            }
            guard let privateKey = try key.unwrap(passphrase: passphrase) else {
                throw StoreError.refused("wrong passphrase: the store stays locked")
            }
            let until = self.now().addingTimeInterval(Self.unlockLifetime)
            try UnlockCache.write(privateKey, for: self.cacheName(), until: until)
            return until
        }
    }

    /// Forgets the unlocked key (the store stays protected).
    public func lock() throws(StoreError) {
        try run { UnlockCache.remove(try self.cacheName()) }
    }

    /// The private key when the store is unlocked (within the day, for this store's key), else nil.
    public func unlockedKey() throws(StoreError) -> Curve25519.KeyAgreement.PrivateKey? {
        guard case .protected(let key) = try protectionState() else { return nil }
        let name = try run { try cacheName() }
        guard let k = UnlockCache.read(name, now: now()), k.publicKey.rawRepresentation == key.publicKey else { return nil }
        return k
    }

    /// Destroys the store's key: every sealed value (names, phone numbers, the token) becomes noise at once; the rest
    /// stays. Old pages are overwritten (`secure_delete`) and the write-ahead log emptied, so no copy of the key
    /// remains in the files.
    public func wipe() throws(StoreError) {
        try run {
            UnlockCache.remove(try self.cacheName())
            try pool.write { db in
                try db.execute(sql: "PRAGMA secure_delete = ON")
                try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, 'wiped')", arguments: [Self.protectionKey])
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

    /// The name of this store's unlocked key in the cache: its node id (one per store).
    func cacheName() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'node'") ?? "store" }
    }

    /// Opens a sealed text with the unlocked key; plain text is returned as it is.
    func opened(_ text: String) throws(StoreError) -> String {
        guard Sealing.isSealed(text) else { return text }
        if try protectionState() == .wiped { throw StoreError.refused("this store was wiped: its sealed values are gone") }
        guard let key = try unlockedKey() else { throw StoreError.locked }
        guard let plain = Sealing.open(text, with: key) else { throw StoreError.other("a sealed value could not be opened (damaged)") }
        return plain
    }
}

/// Unlocked keys, in memory-backed storage (`/dev/shm`, else `$XDG_RUNTIME_DIR`): gone when the laptop is switched off,
/// readable by their owner only, each with the moment it expires.
enum UnlockCache {
    static var folder: String? {
        let uid = getuid()
        for base in ["/dev/shm", ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"] ?? ""] where !base.isEmpty {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: base, isDirectory: &isDir), isDir.boolValue { return base + "/palabre-\(uid)" }
        }
        return nil
    }

    static func path(_ name: String) -> String? { folder.map { $0 + "/" + name.filter { $0.isLetter || $0.isNumber || $0 == "-" } + ".key" } }

    static func write(_ key: Curve25519.KeyAgreement.PrivateKey, for name: String, until: Date) throws {
        guard let folder, let path = path(name) else {
            throw StoreError.refused("no memory-backed folder (/dev/shm) to keep the unlocked key in")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let text = "\(Int(until.timeIntervalSince1970))\n\(key.rawRepresentation.base64EncodedString())\n"
        let fd = open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw StoreError.refused("cannot write \(path)") }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        guard rename(path + ".tmp", path) == 0 else { throw StoreError.refused("cannot write \(path)") }
    }

    static func read(_ name: String, now: Date) -> Curve25519.KeyAgreement.PrivateKey? {
        guard let path = path(name), let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n")
        guard lines.count == 2, let until = Int(lines[0]), Double(until) > now.timeIntervalSince1970,
            let raw = Data(base64Encoded: String(lines[1]))
        else {
            remove(name)
            return nil
        }
        return try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
    }

    static func remove(_ name: String) {
        if let path = path(name) { unlink(path) }
    }
}
