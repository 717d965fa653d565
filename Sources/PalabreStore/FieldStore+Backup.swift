import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

extension FieldStore {
    /// What a backup or a check found.
    public struct FileCheck: Sendable {
        /// The file's size in bytes.
        public var bytes: Int64
        /// SQLite's `integrity_check` answer: `ok`, or what is wrong.
        public var integrity: String
    }

    /// Writes a consistent copy of the SQLite database at `source` to `path` while its service goes on reading and
    /// writing (SQLite's online backup, one snapshot). The source is opened read-only and never migrated: a backup taken
    /// with a newer binary before the service restarts is still the database as the running service left it. The copy
    /// is checked (`integrity_check`), flushed, and only then given its name, with a link that fails rather than replace
    /// a file: a backup cut off half-way, or two at once to one name, never leave a file that looks whole.
    ///
    /// - Throws: ``StoreError/refused(_:)`` when `path` exists or the copy is damaged; ``StoreError/unreadable(path:reason:)``.
    @discardableResult
    public static func backup(of source: String, to path: String) throws(StoreError) -> FileCheck {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: path) else {
            throw StoreError.refused("\(path) exists: a backup never overwrites a file (give a new name, or remove it first)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw StoreError.refused("\(path): the folder \(folder) does not exist (make it first)")
        }
        let partial = path + ".partial-\(getpid())"
        func cleanUp() { for suffix in ["", "-wal", "-shm", "-journal"] { try? fm.removeItem(atPath: partial + suffix) } }
        cleanUp()
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(30)
            let from = try DatabaseQueue(path: source, configuration: configuration)
            let destination = try DatabaseQueue(path: partial)
            try from.backup(to: destination)
            try from.close()
            // One file, no write-ahead log beside it: what is copied is the whole backup.
            try destination.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
            }
            let integrity = try destination.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
            try destination.close()
            guard integrity == "ok" else {
                cleanUp()
                throw StoreError.refused("the copy failed SQLite's integrity check (\(integrity)); nothing was written to \(path)")
            }
            try flush(partial)
            // link() refuses an existing name: a file made meanwhile is never replaced.
            guard link(partial, path) == 0 else {
                let reason = String(cString: strerror(errno))
                cleanUp()
                throw StoreError.refused("cannot name the copy \(path): \(reason)")
            }
            cleanUp()
            try? flush(folder.isEmpty ? "." : folder)
            let bytes = (try? fm.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            return FileCheck(bytes: bytes, integrity: integrity)
        } catch let e as StoreError {
            cleanUp()
            throw e
        } catch {
            cleanUp()
            throw StoreError.unreadable(path: source, reason: "\(error)")
        }
    }

    /// Checks the store: SQLite's `integrity_check` (every page and index) and the file's size.
    public func check() throws(StoreError) -> FileCheck {
        try run {
            let integrity = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            return FileCheck(bytes: bytes, integrity: integrity)
        }
    }

    /// `fsync` of a file or a folder.
    static func flush(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError.refused("cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.refused("cannot flush \(path) to disk: \(String(cString: strerror(errno)))") }
    }
}
