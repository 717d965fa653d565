import Foundation

/// The rule that keeps a merged record within its form: a field that does not apply holds no value.
///
/// Two valid writes can merge into a record its form forbids. A laptop records that a participant withdrew consent
/// (`consent = no`, name and phone cleared); another, offline, corrects the name; the name's write is later, so by
/// last-writer-wins alone the merged record would say `consent = no` *and* carry a name, on every store. The rule:
/// after every merge, each field whose `relevant` condition is false in the merged record is **withheld**: its
/// winning value leaves the record's values (nothing shows, exports, counts or pulls it into a record view) and is
/// kept only in ``RecordState/withheld``, beside the field's stamp. A withdrawal therefore wins over concurrent
/// identifying writes, whatever their stamps.
///
/// Why withheld rather than erased: the effective record is then a pure function of the per-field last-writer-wins
/// state, which converges; so every store, in any order of syncs, shows the same record. Erasing at the moment a
/// field stopped applying would depend on the order changes arrived in. A withheld value comes back only if a later
/// write makes the field apply again *and* no later write of the field was made; the CLI and the service require
/// the field to be answered again in that case (a name is required when consent is given), so in practice a new
/// value replaces it. Erasing withheld values from every copy is part of the protection work (issue 13).
///
/// Conditions are evaluated on the merged values alone, repeatedly until nothing changes (a field can depend on one
/// that stopped applying); `today()` reads as the empty string, so the rule does not change with the calendar.
public enum Relevance {
    /// Moves the values of fields that do not apply into `withheld`, and back those that apply again.
    public static func settle(_ state: inout RecordState, form: Form) {
        var effective = state.values
        for (k, v) in state.withheld where effective[k] == nil { effective[k] = v }
        let governed = form.fields.filter { $0.relevant != nil }
        guard !governed.isEmpty || !state.withheld.isEmpty else { return }
        var withheld: [String: Value] = [:]
        var changed = true
        while changed {
            changed = false
            let ctx = ExpressionContext(current: nil, today: "") { effective[$0] }
            for field in governed where effective[field.name] != nil {
                if field.relevant?.isTrue(ctx) == false {
                    withheld[field.name] = effective.removeValue(forKey: field.name)
                    changed = true
                    break  // re-evaluate with the field gone: conditions may read it
                }
            }
        }
        state.values = effective
        state.withheld = withheld
    }

    /// The values of a record as its form allows them: ``settle(_:form:)`` applied to plain values.
    public static func settled(_ values: [String: Value], form: Form) -> [String: Value] {
        var state = RecordState(id: "", form: form.name, formVersion: form.version, project: "")
        state.values = values
        settle(&state, form: form)
        return state.values
    }
}
