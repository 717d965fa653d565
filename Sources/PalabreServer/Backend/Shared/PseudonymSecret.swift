import Crypto
import Foundation
import Synchronization

/// Where a service keeps the secret behind analysts' pseudonyms (DESIGN.md, *Protection*).
///
/// By default it is in the service's database. With a key file (`palabre-server serve --pseudonym-key-file`, or
/// `$PALABRE_PSEUDONYM_KEY_FILE`) it lives outside it, so that a backup, a dump or a copy of the database handed to
/// someone does not carry the one secret that links a pseudonym back to a name: whoever holds the records and the
/// secret can test every name of a village against an analyst's export.
///
/// The first time a key file is used, a secret already in the database moves to it (the file is written, then the
/// database forgets its copy), so the pseudonyms stay the same; a file that disagrees with the database's secret is
/// refused rather than silently changing every pseudonym.
public final class PseudonymSecret: Sendable {
    private let file = Mutex<String?>(nil)

    public init() {}

    /// Keeps the secret in this file (nil: in the database).
    public func keep(inFile path: String?) { file.withLock { $0 = path } }

    /// The key file, when there is one.
    public var path: String? { file.withLock { $0 } }

    /// What the database keeps of a secret moved to a key file: a fingerprint, which tells the file that belongs to it
    /// and reveals nothing of the secret (a hash of 256 random bits).
    static func mark(of key: Data) -> String {
        "sha256:" + SHA256.hash(data: Data("palabre pseudonym key\n".utf8) + key).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// The secret in a key file: read (checked: a regular file of this user, readable by no one else, 64 hexadecimal
    /// characters, the one `stored` or `mark` says), or made from `stored` (the database's) or at random and written
    /// 0600. `mark` is the fingerprint a database keeps after its secret moved to a file: that file must be given, not a
    /// new one made (a second instance of the service needs a copy of the first one's file).
    static func key(inFile path: String, stored: Data?, mark: String?) throws -> Data {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw ServiceError.unavailable("the pseudonym key file \(path) is not a regular file (a link or a folder): give a file of its own")
            }
            guard info.st_uid == geteuid() else {
                throw ServiceError.unavailable(
                    "the pseudonym key file \(path) belongs to another user (uid \(info.st_uid)): it must be the service's own")
            }
            guard info.st_mode & 0o077 == 0 else {
                throw ServiceError.unavailable(
                    "the pseudonym key file \(path) can be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 \(path)")
            }
            let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let key = Data(hex: text), key.count == 32 else {
                throw ServiceError.unavailable(
                    "the pseudonym key file \(path) does not hold a secret of 64 hexadecimal characters: it was damaged or edited")
            }
            if let mark, mark != Self.mark(of: key) {
                throw ServiceError.unavailable(
                    "the pseudonym key file \(path) holds another secret than the one this database's was moved to: every pseudonym would change. "
                        + "Give the file the secret was moved to (every instance of the service needs a copy of it)")
            }
            if let stored, stored != key {
                throw ServiceError.unavailable(
                    "the pseudonym key file \(path) holds another secret than the database: every pseudonym would change. "
                        + "Use the file that came with this database, or move the file away to move the database's secret into a new one")
            }
            return key
        }
        guard errno == ENOENT else {
            throw ServiceError.unavailable("the pseudonym key file \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        if mark != nil {
            throw ServiceError.unavailable(
                "the pseudonym key file \(path) does not exist, and this database's secret was moved to a key file: copy that file here "
                    + "(0600; every instance of the service uses the same), or every pseudonym would change")
        }
        let key = stored ?? SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        // Written whole under a temporary name, synced, then renamed: a crash leaves the old state or the new one.
        let temporary = path + ".new-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw ServiceError.unavailable("the pseudonym key file \(path) cannot be made: \(String(cString: strerror(errno)))")
        }
        let bytes = Array((key.hex + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ServiceError.unavailable("the pseudonym key file \(path) cannot be written: \(String(cString: strerror(errno)))")
        }
        return key
    }
}

/// What a backend does to keep its pseudonym secret in its database, or to forget it there.
protocol PseudonymSecretStore: SyncBackend {
    /// The secret in the database: nil when there is none and `create` is false.
    func storedPseudonymKey(create: Bool) async throws -> Data?
    /// The fingerprint the database keeps once its secret moved to a key file (``PseudonymSecret/mark(of:)``).
    func pseudonymKeyMark() async throws -> String?
    /// Removes the database's copy (it is in the key file now), leaving no old page with it where the engine allows,
    /// and keeps the key's fingerprint instead.
    func forgetStoredPseudonymKey(mark: String) async throws
}

extension PseudonymSecretStore {
    /// The secret behind pseudonyms, wherever it is kept (``PseudonymSecret``).
    func pseudonymKey() async throws -> Data {
        let stored = try await storedPseudonymKey(create: false)
        let mark = stored == nil ? try await pseudonymKeyMark() : nil
        guard let path = pseudonymSecret.path else {
            if mark != nil {
                throw ServiceError.unavailable(
                    "this database's pseudonym secret was moved to a key file: give it (--pseudonym-key-file or $PALABRE_PSEUDONYM_KEY_FILE), or every pseudonym would change"
                )
            }
            if let stored { return stored }
            guard let key = try await storedPseudonymKey(create: true) else {
                throw ServiceError.unavailable("the service's pseudonym secret could not be made")
            }
            return key
        }
        let key = try PseudonymSecret.key(inFile: path, stored: stored, mark: mark)
        if stored != nil { try await forgetStoredPseudonymKey(mark: PseudonymSecret.mark(of: key)) }
        return key
    }
}

extension SyncBackend {
    /// Where the pseudonym secret is and whether it can be used as the service would (`palabre-server doctor`),
    /// writing nothing: the file is checked as the service checks it, never made or moved.
    ///
    /// - Throws: ``ServiceError/unavailable(_:)`` saying what is wrong and what to do.
    public func pseudonymSecretStatus(file: String?) async throws -> String {
        guard let store = self as? any PseudonymSecretStore else { return "not kept by this backend" }
        let stored = try await store.storedPseudonymKey(create: false)
        let mark = stored == nil ? try await store.pseudonymKeyMark() : nil
        guard let file else {
            if mark != nil {
                throw ServiceError.unavailable(
                    "this database's pseudonym secret was moved to a key file, and none is given: --pseudonym-key-file FILE (or $PALABRE_PSEUDONYM_KEY_FILE)"
                )
            }
            return stored == nil
                ? "not made yet (made at the first pseudonymised export)"
                : "in the database (a backup of the database carries it; --pseudonym-key-file moves it out)"
        }
        guard FileManager.default.fileExists(atPath: file) || (try? FileManager.default.destinationOfSymbolicLink(atPath: file)) != nil else {
            if mark != nil {
                throw ServiceError.unavailable(
                    "the pseudonym key file \(file) does not exist, and this database's secret was moved to a key file: copy that file here (0600)")
            }
            return "\(file) does not exist yet: the service makes it at start\(stored == nil ? "" : " and moves the database's secret into it")"
        }
        _ = try PseudonymSecret.key(inFile: file, stored: stored, mark: mark)
        return "in \(file) (0600, the one this database's secret belongs to)"
    }
}
