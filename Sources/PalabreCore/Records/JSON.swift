import Foundation

/// A parsed JSON document, keeping numbers as written so integers and decimals survive a round trip.
///
/// Palabre reads and writes JSON on every record (store columns, JSON Lines, the wire), so it uses this
/// small parser and writer rather than `JSONSerialization`, whose `NSNumber`s blur `12` and `12.0`.
public indirect enum JSON: Hashable, Sendable {
    case null
    case bool(Bool)
    /// A number, as its literal text (`12`, `-3.5`, `1e3`).
    case number(String)
    case string(String)
    case array([JSON])
    /// An object, keys in document order.
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(b)
        case .number(let n): h.combine(n)
        case .string(let s): h.combine(s)
        case .array(let a): h.combine(a)
        case .object(let o):
            for (k, v) in o {
                h.combine(k)
                h.combine(v)
            }
        }
    }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    /// The string, if this is one.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The integer, if this is an integral number.
    public var intValue: Int64? { if case .number(let n) = self { return Int64(n) } else { return nil } }
    /// The number as a double, if this is one.
    public var doubleValue: Double? { if case .number(let n) = self { return Double(n) } else { return nil } }

    /// Parses a JSON text.
    ///
    /// - Throws: `JSONError` with the byte offset of the first mistake.
    public static func parse(_ text: String) throws(JSONError) -> JSON {
        var text = text
        let result: Result<JSON, JSONError> = text.withUTF8 { buf in
            var p = JSONParser(buf)
            p.skipSpace()
            do throws(JSONError) {
                let v = try p.value(depth: 0)
                p.skipSpace()
                if p.i != buf.count { return .failure(JSONError(message: "unexpected text after the JSON value", offset: p.i)) }
                return .success(v)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The compact JSON text of this value.
    public var serialized: String {
        var out = ""
        JSON.write(self, into: &out)
        return out
    }

    /// Appends the compact JSON text of `v` to `out`.
    public static func write(_ v: JSON, into out: inout String) {
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, e) in a.enumerated() {
                if i > 0 { out += "," }
                write(e, into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, e)) in o.enumerated() {
                if i > 0 { out += "," }
                writeString(k, into: &out)
                out += ":"
                write(e, into: &out)
            }
            out += "}"
        }
    }

    /// Appends `s` as a JSON string literal. Besides what JSON requires (C0 controls, `"` and `\`), DEL and the C1
    /// controls (U+0080–U+009F, `0xC2 0x80`–`0xC2 0x9F` in UTF-8) are written as `\u` escapes too, so JSON printed on a
    /// terminal cannot carry an escape sequence (U+009B is a one-character CSI for some terminals).
    public static func writeString(_ s: String, into out: inout String) {
        @inline(__always) func mustEscape(_ b: UInt8, _ next: UInt8?) -> Bool {
            b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || (b == 0xC2 && (next ?? 0) < 0xA0)
        }
        let plain =
            s.utf8.withContiguousStorageIfAvailable { bytes in
                for i in bytes.indices where mustEscape(bytes[i], i + 1 < bytes.count ? bytes[i + 1] : nil) { return false }
                return true
            } ?? !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\"" || $0 == "\\" || (0x7F...0x9F).contains($0.value) })
        if plain {
            out += "\""
            out += s
            out += "\""
            return
        }
        out += "\""
        var plainStart = s.unicodeScalars.startIndex
        var idx = plainStart
        let scalars = s.unicodeScalars
        while idx != scalars.endIndex {
            let c = scalars[idx]
            let escape: String?
            switch c {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            default:
                if c.value < 0x20 || (0x7F...0x9F).contains(c.value) {
                    let h = String(c.value, radix: 16)
                    escape = "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    escape = nil
                }
            }
            if let escape {
                out.unicodeScalars.append(contentsOf: scalars[plainStart..<idx])
                out += escape
                plainStart = scalars.index(after: idx)
            }
            idx = scalars.index(after: idx)
        }
        out.unicodeScalars.append(contentsOf: scalars[plainStart..<scalars.endIndex])
        out += "\""
    }
}

/// A JSON syntax error.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    /// Byte offset in the text.
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset + 1): \(message)" }

    /// Builds an error.
    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
}

private struct JSONParser {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    func fail(_ m: String) -> JSONError { JSONError(message: m, offset: i) }

    mutating func value(depth: Int) throws(JSONError) -> JSON {
        guard depth < 64 else { throw fail("nested too deeply") }
        guard i < b.count else { throw fail("unexpected end of text") }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [(String, JSON)] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") {
                i += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let k = try string()
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
                i += 1
                skipSpace()
                members.append((k, try value(depth: depth + 1)))
                skipSpace()
                guard i < b.count else { throw fail("unexpected end of text in an object") }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if b[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(members)
                }
                throw fail("expected ',' or '}' in an object")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSON] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < b.count else { throw fail("unexpected end of text in an array") }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if b[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
                throw fail("expected ',' or ']' in an array")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            return try number()
        }
    }

    mutating func literal(_ word: StaticString, _ v: JSON) throws(JSONError) -> JSON {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { throw fail("unexpected end of text") }
        for k in 0..<n where b[i + k] != word.utf8Start[k] { throw fail("unexpected character") }
        i += n
        return v
    }

    mutating func number() throws(JSONError) -> JSON {
        let start = i
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        while i < b.count, (48...57).contains(b[i]) {
            i += 1
            digits += 1
        }
        guard digits > 0 else {
            i = start
            throw fail("unexpected character")
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var frac = 0
            while i < b.count, (48...57).contains(b[i]) {
                i += 1
                frac += 1
            }
            guard frac > 0 else { throw fail("expected digits after '.'") }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            var exp = 0
            while i < b.count, (48...57).contains(b[i]) {
                i += 1
                exp += 1
            }
            guard exp > 0 else { throw fail("expected digits in an exponent") }
        }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
    }

    mutating func string() throws(JSONError) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
        guard i < b.count else { throw fail("unterminated string") }
        if b[i] == UInt8(ascii: "\"") {
            let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            i += 1
            return s
        }
        var bytes = Array(b[start..<i])
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: bytes, as: UTF8.self)
            }
            if c < 0x20 { throw fail("control character in a string") }
            if c != UInt8(ascii: "\\") {
                bytes.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < b.count else { break }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                        throw fail("lone surrogate in a string")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("bad surrogate pair in a string") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw fail("invalid escape in a string")
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        guard i + 4 <= b.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }
}
