import Foundation

/// The per-field last-writer-wins merge rule.
///
/// For each written field the higher `(hlc, node)` stamp wins; equal stamps are the same write seen twice.
/// The rule is commutative, associative and idempotent: any order of changes, with any duplicates, gives the
/// same values and stamps.
public enum Merge {
    /// Applies a change to a record's state, returning the values it superseded (for history and conflicts).
    @discardableResult
    ///
    /// An erasure (``erasedField``) is merged by union: its fields lose their values, stamps and merge state, and every
    /// write of them, earlier or later, is dropped without a trace (not even in history): the same state in any order.
    public static func apply(_ change: Change, to state: inout RecordState) -> [Superseded] {
        var out: [Superseded] = []
        var changedAny = false
        var erased = state.erased
        if case .some(.some(.list(let fields))) = change.values[erasedField] {
            erased.formUnion(fields)
            state.values[erasedField] = .list(erased.sorted())
            state.stamps[erasedField] = max(state.stamps[erasedField] ?? .zero, change.stamp)
            changedAny = true
        }
        for f in erased where f != erasedField && f != erasedByField && f != deletedField {
            (state.values[f], state.withheld[f], state.stamps[f], state.prevs[f]) = (nil, nil, nil, nil)
        }
        for (field, incoming) in change.values where field != erasedField && !erased.contains(field) {
            let current = state.stamps[field] ?? .zero
            if change.stamp == current { continue }
            let incomingPrev = change.prev[field] ?? .zero
            if change.stamp > current {
                // Who erased is a label of the tombstone: the latest wins, the others are not kept as history.
                if current != .zero && field != erasedByField {
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
                if field == erasedByField { continue }
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
