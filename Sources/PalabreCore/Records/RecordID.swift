import Foundation

/// Record ids: UUIDv7 (RFC 9562), unique offline and sorting by creation time.
public enum RecordID {
    /// A new UUIDv7 as a lowercase string, its time prefix from `now`.
    public static func make(now: Date = Date()) -> String {
        var g = SystemRandomNumberGenerator()
        return make(milliseconds: UInt64(max(0, HLC.milliseconds(now))), using: &g)
    }

    /// A UUIDv7 from a given time and random source (the generator uses a seeded one for reproducible data sets).
    public static func make<G: RandomNumberGenerator>(milliseconds ms: UInt64, using g: inout G) -> String {
        let r1 = g.next() as UInt64
        let r2 = g.next() as UInt64
        let hi = (ms << 16) | 0x7000 | (r1 & 0x0FFF)
        let lo = (r2 & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let h = hex(hi, 16) + hex(lo, 16)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    /// Whether a string is a well-formed UUID (any version), in canonical 8-4-4-4-12 form.
    public static func isValid(_ s: String) -> Bool {
        let u = s.utf8
        guard u.count == 36 else { return false }
        for (i, b) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if b != UInt8(ascii: "-") { return false }
            } else if !((b >= 48 && b <= 57) || (b >= 97 && b <= 102) || (b >= 65 && b <= 70)) {
                return false
            }
        }
        return true
    }

    private static func hex(_ v: UInt64, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
