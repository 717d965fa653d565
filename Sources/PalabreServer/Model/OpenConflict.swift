import PalabreCore

/// An open conflict, for a coordinator: a value that lost to a concurrent write of the same field.
public struct OpenConflict: Hashable, Sendable {
    /// The record.
    public var record: String
    /// Its form.
    public var form: String
    /// The field.
    public var field: String
    /// The value that lost (nil: the field was empty).
    public var losing: Value?
    /// The losing write's stamp.
    public var losingStamp: Stamp
    /// The value that won and is current (nil: empty).
    public var current: Value?
    /// The stamp of the write it lost to (the current value may be later still).
    public var winningStamp: Stamp

    /// The conflict as JSON:
    /// `{"record","form","field","losing":{"value","hlc","node","time"},"winner":{"hlc","node","time"},"current":value}`.
    public var json: JSON {
        func stamp(_ s: Stamp) -> [(String, JSON)] {
            [("hlc", .number(String(s.hlc.rawValue))), ("node", .string(s.node)), ("time", .string(s.hlc.description))]
        }
        return .object([
            ("record", .string(record)), ("form", .string(form)), ("field", .string(field)),
            ("losing", .object([("value", losing?.json ?? .null)] + stamp(losingStamp))),
            ("winner", .object(stamp(winningStamp))), ("current", current?.json ?? .null),
        ])
    }
}

/// How a coordinator closes a conflict.
public enum ResolveAction: String, Sendable, CaseIterable {
    /// Keep the current value.
    case keep
    /// Write the losing value back: a new write by the service that every device pulls.
    case restore
}
