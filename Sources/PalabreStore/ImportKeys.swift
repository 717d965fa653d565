import Crypto
import Foundation
import GRDB
import PalabreCore

/// Content keys of the lines without an id that this store imported, so a file imported again is recognised.
///
/// A line's key is an HMAC-SHA256, under a secret drawn once per store, of its form, its values as checked (canonical
/// JSON, defaults applied) and its occurrence among identical lines of the file: two identical anonymous participants
/// in one file are two records (occurrences 0 and 1), and importing the file again matches both. The keys live in the
/// store only (table `import_keys`, never synced); keyed, they confirm no guessed name to someone who copies the file.
/// A line edited in the file is a new line; a record deleted after its import is not brought back by a re-import.
struct ImportKeys {
    private let secret: SymmetricKey
    private var seen: [String: Int] = [:]
    private let db: Database

    init(_ db: Database) throws {
        self.db = db
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS import_keys (key TEXT PRIMARY KEY NOT NULL, record_id TEXT NOT NULL) WITHOUT ROWID")
        if let hex = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'import_secret'"), let data = Self.bytes(hex) {
            secret = SymmetricKey(data: data)
        } else {
            let key = SymmetricKey(size: .bits256)
            let hex = key.withUnsafeBytes { Self.hex($0) }
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('import_secret', ?)", arguments: [hex])
            secret = key
        }
    }

    /// The key of the next line with these values (counting the identical lines before it in this file).
    mutating func key(form: String, values: [String: Value]) -> String {
        let content = form + "\n" + ValueMap.encode(values)
        let occurrence = seen[content, default: 0]
        seen[content] = occurrence + 1
        let mac = HMAC<SHA256>.authenticationCode(for: Data((content + "\n" + String(occurrence)).utf8), using: secret)
        return mac.withUnsafeBytes { Self.hex($0) }
    }

    private static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digits[Int(b >> 4)]
                out[2 * i + 1] = digits[Int(b & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    func wasImported(_ key: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM import_keys WHERE key = ?", arguments: [key]) ?? false
    }

    static func record(_ keys: [(String, String)], _ db: Database) throws {
        guard !keys.isEmpty else { return }
        // With --again a key may be recorded twice: the newest record is kept under it.
        let statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO import_keys (key, record_id) VALUES (?, ?)")
        for (key, id) in keys { try statement.execute(arguments: [key, id]) }
    }

    private static func bytes(_ hex: String) -> Data? {
        let chars = Array(hex.utf8)
        guard chars.count == 64 else { return nil }
        var out = Data(capacity: 32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let b = UInt8(String(decoding: chars[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}
