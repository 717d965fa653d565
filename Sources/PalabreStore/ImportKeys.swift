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
        secret = try FieldStore.secret(db, named: "import_secret")
    }

    /// The key of the next line with these values (counting the identical lines before it in this file).
    mutating func key(form: String, values: [String: Value]) -> String {
        let content = form + "\n" + ValueMap.encode(values)
        let occurrence = seen[content, default: 0]
        seen[content] = occurrence + 1
        let mac = HMAC<SHA256>.authenticationCode(for: Data((content + "\n" + String(occurrence)).utf8), using: secret)
        return Data(mac).hex
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
}
