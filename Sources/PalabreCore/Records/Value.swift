import Foundation

/// A field's value as stored, synced and exported.
///
/// Values are deliberately few: every form field type maps onto one of them.
/// `text`, `date` (ISO 8601 `YYYY-MM-DD`), `select_one` and `reference` (a record id) are strings;
/// `select_multiple` is a list of choice names; `geopoint` is a latitude/longitude pair.
///
/// ```swift
/// let v: Value = .list(["land", "water"])
/// v.displayString // "land water"
/// ```
public enum Value: Hashable, Sendable {
    case string(String)
    case integer(Int64)
    case decimal(Double)
    case list([String])
    case geopoint(latitude: Double, longitude: Double)
    case bool(Bool)

    /// The value as a user types it and as XLSForm expressions see it:
    /// lists space-separated, geopoints as `lat lon`.
    public var displayString: String {
        switch self {
        case .string(let s): return s.hasPrefix(SealedText.prefix) ? SealedText.shown : s
        case .integer(let i): return String(i)
        case .decimal(let d): return Value.format(d)
        case .list(let l): return l.joined(separator: " ")
        case .geopoint(let lat, let lon): return "\(Value.format(lat)) \(Value.format(lon))"
        case .bool(let b): return b ? "true" : "false"
        }
    }

    /// Formats a double without a trailing `.0` when it is whole, so `12.0` reads `12`.
    public static func format(_ d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }
}

/// A value sealed for one store's key (a protected laptop, DESIGN.md *Protection*): a string that starts with
/// ``prefix``, opaque to everything but that store, shown as a padlock, never sent and never accepted from elsewhere.
public enum SealedText {
    /// What every sealed text starts with.
    public static let prefix = "sealed:v1:"

    /// What a sealed value reads as on screen.
    public static let shown = "🔒"

    /// Whether a value is sealed.
    public static func isSealed(_ value: Value?) -> Bool {
        if case .string(let s)? = value { return s.hasPrefix(prefix) }
        return false
    }
}
