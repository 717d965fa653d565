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

    /// Writes a consistent copy of the whole store to `path` while the service goes on reading and writing (SQLite's
    /// online backup, one snapshot), checks the copy (`integrity_check`), flushes it to disk and only then gives it
    /// its name: a backup cut off half-way leaves no file that looks like one. Refuses a `path` that exists.
    ///
    /// - Throws: ``StoreError/refused(_:)`` when `path` exists or the copy is damaged; ``StoreError/unreadable(path:reason:)``.
    @discardableResult
    public func backup(to path: String) throws(StoreError) -> FileCheck {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: path) else {
            throw StoreError.refused("\(path) exists: a backup never overwrites a file (give a new name, or remove it first)")
        }
        let partial = path + ".partial"
        for suffix in ["", "-wal", "-shm", "-journal"] { try? fm.removeItem(atPath: partial + suffix) }
        do {
            let destination = try DatabaseQueue(path: partial)
            try pool.backup(to: destination)
            // One file, no write-ahead log beside it: what is copied is the whole backup.
            try destination.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
            }
            let integrity = try destination.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
            try destination.close()
            guard integrity == "ok" else {
                try? fm.removeItem(atPath: partial)
                throw StoreError.refused("the copy failed SQLite's integrity check (\(integrity)); nothing was written to \(path)")
            }
            try Self.flush(partial)
            guard rename(partial, path) == 0 else {
                throw StoreError.refused("cannot name the copy \(path): \(String(cString: strerror(errno)))")
            }
            try? Self.flush((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
            let bytes = (try? fm.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            return FileCheck(bytes: bytes, integrity: integrity)
        } catch let e as StoreError {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? fm.removeItem(atPath: partial + suffix) }
            throw e
        } catch {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? fm.removeItem(atPath: partial + suffix) }
            throw StoreError.unreadable(path: self.path, reason: "\(error)")
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
