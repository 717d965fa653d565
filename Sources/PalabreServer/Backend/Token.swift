import Crypto
import Foundation

/// Bearer tokens: `plb_` and 32 random bytes in hex, stored only as their SHA-256, so a copy of the database does not
/// give access.
public enum Token {
    /// The prefix, so a token is recognisable in a config file or a leak scanner.
    public static let prefix = "plb_"

    /// A new random token.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) } }
        return prefix + hex(bytes)
    }

    /// The hash kept in the database: SHA-256 of the token's UTF-8, in lowercase hex.
    public static func hash(_ token: String) -> String {
        hex(Array(SHA256.hash(data: Data(token.utf8))))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
