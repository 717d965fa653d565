import PalabreCore

/// A change that could not be applied, with the reason; kept and shown, never dropped.
public struct SetAside: Hashable, Sendable {
    /// The change.
    public var change: Change
    /// Why it was set aside.
    public var reason: String

    /// Builds one.
    public init(change: Change, reason: String) {
        self.change = change
        self.reason = reason
    }
}

/// What applying changes from elsewhere did.
public struct ApplyOutcome: Hashable, Sendable {
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
