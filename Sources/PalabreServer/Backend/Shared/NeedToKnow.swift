import Foundation
import PalabreCore
import PalabreStore

/// Need to know (DESIGN.md, *Protection*): a facilitator's laptop receives names and phone numbers only of the people
/// of its own records and sessions, and of those a coordinator assigned to it; of everyone else it receives the rest
/// (sex, age band, role, the session), so counts and initiatives still sync.
enum NeedToKnow {
    /// Whether a change writes a value of a field its form marks sensitive or contact.
    static func identifying(_ change: Change, forms: FormCatalog) -> Bool {
        guard let form = forms[change.form] else { return false }
        return change.values.contains { name, value in value != nil && (form.field(name).map { $0.sensitive || $0.contact } ?? false) }
    }

    /// The change texts of a pulled page as this device may hold them: identifying values left out of the changes of
    /// records it has no need to know.
    static func filter(_ texts: [String], for device: Device, forms: FormCatalog, backend: any SyncBackend) async throws -> [String] {
        let changes = try texts.map { try Change(json: JSON.parse($0)) }
        let candidates = Set(changes.filter { identifying($0, forms: forms) }.map(\.recordID))
        guard !candidates.isEmpty else { return texts }
        let reach = try await backend.reach(of: device.id)
        let origins = try await backend.origins(of: candidates.sorted())
        var formOf: [String: String] = [:]
        for c in changes { formOf[c.recordID] = c.form }
        // What each candidate refers to (a participant's session): a record known by its session is known.
        var referenced: [String: [String]] = [:]
        for id in candidates {
            guard let form = forms[formOf[id] ?? ""], let values = origins[id]?.values else { continue }
            referenced[id] = form.fields.filter { $0.type == .reference }.compactMap { f in
                if case .string(let r)? = values[f.name] { return r }
                return nil
            }
        }
        let refOrigins = try await backend.origins(of: Array(Set(referenced.values.joined())).sorted())
        func known(_ id: String, node: String?) -> Bool { reach.assigned.contains(id) || node.map(reach.nodes.contains) == true }
        var allowed: Set<String> = []
        for id in candidates {
            if known(id, node: origins[id]?.node) || (referenced[id] ?? []).contains(where: { known($0, node: refOrigins[$0]?.node) }) {
                allowed.insert(id)
            }
        }
        return zip(texts, changes).map { text, change in
            guard candidates.contains(change.recordID), !allowed.contains(change.recordID), let form = forms[change.form] else { return text }
            var out = change
            for (name, _) in change.values where form.field(name).map({ $0.sensitive || $0.contact }) == true {
                out.values[name] = nil
                out.prev[name] = nil
            }
            return out.serialized
        }
    }
}
