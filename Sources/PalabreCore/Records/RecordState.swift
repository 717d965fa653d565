import Foundation

/// A record's merged state: the value and stamp of each field.
public struct RecordState: Hashable, Sendable {
    /// The record's id.
    public var id: String
    /// Its form.
    public var form: String
    /// The form version of its latest write.
    public var formVersion: Int
    /// Its project.
    public var project: String
    /// Current values (cleared fields absent), including ``deletedField`` once deleted or restored.
    public var values: [String: Value]
    /// The stamp of each field's current value (cleared fields keep their stamp).
    public var stamps: [String: Stamp]
    /// The `prev` each current value was written with, to recognise concurrent writes that arrive later.
    public var prevs: [String: Stamp]
    /// Winning values of fields that do not apply in the merged record (``Relevance``): kept out of ``values``, so
    /// nothing shows, exports or counts them, and kept here only so every store computes the same merge.
    public var withheld: [String: Value] = [:]

    /// An empty record, before any write.
    public init(id: String, form: String, formVersion: Int, project: String) {
        self.id = id
        self.form = form
        self.formVersion = formVersion
        self.project = project
        values = [:]
        stamps = [:]
        prevs = [:]
    }

    /// Whether the record is deleted.
    public var isDeleted: Bool { values[deletedField] == .bool(true) }

    /// The fields an erasure removed for good (``erasedField``).
    public var erased: Set<String> {
        if case .list(let l)? = values[erasedField] { return Set(l) }
        return []
    }

    /// The user fields' values (without the tombstone).
    public var fieldValues: [String: Value] {
        var v = values
        v[deletedField] = nil
        return v
    }

    /// The highest stamp of any field: when the record last changed.
    public var updated: Stamp { stamps.values.max() ?? .zero }
}

/// A value that stopped being current: replaced by a newer write, or an incoming write that lost.
public struct Superseded: Hashable, Sendable {
    /// The field.
    public var field: String
    /// The value that is no longer current (nil: the field was empty).
    public var value: Value?
    /// Its stamp.
    public var stamp: Stamp
    /// The stamp of the value that won over it.
    public var winner: Stamp
    /// Whether the two writes were concurrent (neither writer had seen the other's value): a conflict to review.
    public var conflict: Bool

    /// Builds an entry.
    public init(field: String, value: Value?, stamp: Stamp, winner: Stamp, conflict: Bool) {
        self.field = field
        self.value = value
        self.stamp = stamp
        self.winner = winner
        self.conflict = conflict
    }
}

extension Superseded {
    /// Whether this lost value is still a conflict to look at: while the field holds the write that beat it. Any
    /// later write of the field (a resolution, or an edit made after seeing the winner) closes it, on every store
    /// that receives that write. The one definition for laptops and both service backends.
    public func isOpen(in state: RecordState) -> Bool {
        conflict && state.stamps[field] == winner
    }
}
