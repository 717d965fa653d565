import Foundation

/// The name of the field that holds a record's deletion: a tombstone is a field like any other, so an edit of
/// other fields never touches it and only a later write of it (a restore) brings the record back.
public let deletedField = "_deleted"

/// One local transaction's writes to one record, as it travels between stores.
///
/// Fields saved together share one stamp. `prev` holds, for each written field, the stamp the field had on
/// the writing store just before: a receiving store uses it to tell a sequential edit from a concurrent one.
public struct Change: Hashable, Sendable {
    /// The record.
    public var recordID: String
    /// The record's form.
    public var form: String
    /// The form version the writer used.
    public var formVersion: Int
    /// The project the record belongs to.
    public var project: String
    /// When and where it was written.
    public var stamp: Stamp
    /// The written fields; nil clears a field.
    public var values: [String: Value?]
    /// The stamp each written field had on the writer before this write (absent = never written there).
    public var prev: [String: Stamp]

    /// Builds a change.
    public init(recordID: String, form: String, formVersion: Int, project: String, stamp: Stamp,
                values: [String: Value?], prev: [String: Stamp] = [:]) {
        self.recordID = recordID
        self.form = form
        self.formVersion = formVersion
        self.project = project
        self.stamp = stamp
        self.values = values
        self.prev = prev
    }
}

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

/// The per-field last-writer-wins merge rule.
///
/// For each written field the higher `(hlc, node)` stamp wins; equal stamps are the same write seen twice.
/// The rule is commutative, associative and idempotent: any order of changes, with any duplicates, gives the
/// same values and stamps.
public enum Merge {
    /// Applies a change to a record's state, returning the values it superseded (for history and conflicts).
    @discardableResult
    public static func apply(_ change: Change, to state: inout RecordState) -> [Superseded] {
        var out: [Superseded] = []
        var changedAny = false
        for (field, incoming) in change.values {
            let current = state.stamps[field] ?? .zero
            if change.stamp == current { continue }
            let incomingPrev = change.prev[field] ?? .zero
            if change.stamp > current {
                if current != .zero {
                    let old = state.values[field] ?? state.withheld[field]
                    // The writer had not seen the value it beats: two concurrent writes.
                    let conflict = incomingPrev < current && old != incoming
                    out.append(Superseded(field: field, value: old, stamp: current, winner: change.stamp, conflict: conflict))
                }
                state.values[field] = incoming
                state.withheld[field] = nil
                state.stamps[field] = change.stamp
                state.prevs[field] = incomingPrev
                changedAny = true
            } else {
                // The incoming write loses; keep its value. It conflicts unless the winner's writer had seen it.
                let winnerPrev = state.prevs[field] ?? .zero
                let conflict = winnerPrev < change.stamp && (state.values[field] ?? state.withheld[field]) != incoming
                out.append(Superseded(field: field, value: incoming, stamp: change.stamp, winner: current, conflict: conflict))
            }
        }
        if changedAny && change.stamp >= state.updated { state.formVersion = change.formVersion }
        return out
    }
}
