import Foundation

extension Value {
    /// The value as JSON: strings, integers, decimals always written with a `.` or exponent (so they read back as
    /// decimals), lists as arrays of strings, geopoints as `[latitude, longitude]`, booleans.
    public var json: JSON {
        switch self {
        case .string(let s): return .string(s)
        case .integer(let i): return .number(String(i))
        case .decimal(let d): return .number(Value.decimalLiteral(d))
        case .list(let l): return .array(l.map { .string($0) })
        case .geopoint(let lat, let lon): return .array([.number(Value.decimalLiteral(lat)), .number(Value.decimalLiteral(lon))])
        case .bool(let b): return .bool(b)
        }
    }

    /// Reads a stored or transmitted value; `null` is nil (a cleared field).
    ///
    /// - Throws: `JSONError` when the JSON has a shape no value has (an object, a mixed array).
    public init?(json: JSON) throws(JSONError) {
        switch json {
        case .null: return nil
        case .string(let s): self = .string(s)
        case .bool(let b): self = .bool(b)
        case .number(let n):
            if n.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                guard let d = Double(n), d.isFinite else { throw JSONError(message: "number out of range: \(n)", offset: 0) }
                self = .decimal(d)
            } else if let i = Int64(n) {
                self = .integer(i)
            } else {
                throw JSONError(message: "integer out of range: \(n)", offset: 0)
            }
        case .array(let items):
            if items.count == 2, let lat = items[0].doubleValue, let lon = items[1].doubleValue {
                self = .geopoint(latitude: lat, longitude: lon)
                return
            }
            var list: [String] = []
            list.reserveCapacity(items.count)
            for item in items {
                guard case .string(let s) = item else {
                    throw JSONError(message: "a list value must hold strings only", offset: 0)
                }
                list.append(s)
            }
            self = .list(list)
        case .object:
            throw JSONError(message: "an object is not a field value", offset: 0)
        }
    }

    /// A decimal's JSON literal, always with a `.` or exponent.
    static func decimalLiteral(_ d: Double) -> String {
        let s = String(d)
        return s.contains(where: { $0 == "." || $0 == "e" || $0 == "n" || $0 == "i" }) ? s : s + ".0"
    }
}

/// Field values of a record or change, as a JSON object.
public enum ValueMap {
    /// Encodes `field → value` (nil = cleared, written as `null`), keys sorted for a stable text.
    public static func encode(_ values: [String: Value?]) -> String {
        var out = "{"
        for (i, key) in values.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            JSON.writeString(key, into: &out)
            out += ":"
            if let v = values[key]! { JSON.write(v.json, into: &out) } else { out += "null" }
        }
        out += "}"
        return out
    }

    /// Encodes present values only.
    public static func encode(_ values: [String: Value]) -> String {
        encode(values.mapValues { Optional($0) })
    }

    /// Decodes a JSON object of values; nulls are kept as nil entries.
    public static func decode(_ text: String) throws(JSONError) -> [String: Value?] {
        guard case .object(let members) = try JSON.parse(text) else {
            throw JSONError(message: "expected an object of field values", offset: 0)
        }
        var out: [String: Value?] = [:]
        out.reserveCapacity(members.count)
        for (k, v) in members { out[k] = try Value(json: v) }
        return out
    }

    /// Decodes a JSON object of values, dropping nulls.
    public static func decodePresent(_ text: String) throws(JSONError) -> [String: Value] {
        try decode(text).compactMapValues { $0 }
    }
}
