import PalabreCore

/// A change that could not be applied, with the reason; kept and shown, never dropped.
public struct SetAside: Hashable, Sendable {
    /// The change.
    public var change: Change
    /// Why it was set aside.
    public var reason: String
    /// Whether it is held for a form or version the receiver does not have yet (applied when it arrives), rather than
    /// refused by a rule.
    public var held: Bool

    /// Builds one.
    public init(change: Change, reason: String, held: Bool = false) {
        self.change = change
        self.reason = reason
        self.held = held
    }
}

/// A change kept aside in a store's table: held for a form version, or refused by a rule.
public struct SetAsideRecord: Hashable, Sendable {
    /// Its row.
    public var id: Int64
    /// The change.
    public var change: Change
    /// Why it was set aside (the latest try).
    public var reason: String
    /// Whether it waits for a form or version the receiver lacks (see ``SetAside/held``).
    public var held: Bool
    /// Where it came from: a device's name on the service; `service` (what the service reported) or `pull` on a laptop.
    public var origin: String
    /// When it was first set aside (ISO 8601, UTC).
    public var created: String

    /// Builds one.
    public init(id: Int64, change: Change, reason: String, held: Bool, origin: String, created: String) {
        self.id = id
        self.change = change
        self.reason = reason
        self.held = held
        self.origin = origin
        self.created = created
    }
}

/// What applying changes from elsewhere did.
public struct ApplyOutcome: Hashable, Sendable {
    /// Records whose erasure grew, with every field now erased (the service purges its own copies of those).
    public var erased: [String: [String]] = [:]
    /// Changes applied (new writes, winning or losing).
    public var applied = 0
    /// Changes already known (same record, clock and node), skipped.
    public var duplicates = 0
    /// Concurrent writes found (losing values kept in history and listed as conflicts).
    public var conflicts = 0
    /// Changes that could not be applied.
    public var setAside: [SetAside] = []
    /// The highest clock value seen.
    public var maxHLC = HLC.zero

    /// An empty outcome.
    public init() {}
}

/// A conflict to review: a value that lost to a concurrent write.
public struct Conflict: Hashable, Sendable {
    /// The history entry (its id is what `resolve` takes).
    public var entry: HistoryEntry
    /// The record's form.
    public var form: String
    /// The value that won and is current.
    public var current: Value?
}
