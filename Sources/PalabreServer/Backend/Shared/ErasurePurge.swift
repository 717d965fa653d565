import Foundation
import PalabreCore
import PalabreStore

/// What the service strips from the texts it keeps once a record's fields are erased: the stored answers to pushed
/// batches carry the set-aside changes they reported, with their values.
enum ErasurePurge {
    /// A JSON text with the erased fields' values removed from every change of the record it holds (`values` and
    /// `prev` of each object naming the record); nil when it held none.
    static func strip(_ text: String, record: String, fields: Set<String>) -> String? {
        guard text.contains(record), let json = try? JSON.parse(text) else { return nil }
        var changed = false
        func walk(_ j: JSON) -> JSON {
            switch j {
            case .array(let a): return .array(a.map(walk))
            case .object(let members):
                let isChange = members.contains { $0.0 == "record" && $0.1 == .string(record) }
                return .object(
                    members.map { key, value in
                        if isChange && (key == "values" || key == "prev"), case .object(let fs) = value {
                            let kept = fs.filter { !fields.contains($0.0) || $0.0 == erasedField }
                            if kept.count != fs.count { changed = true }
                            return (key, .object(kept))
                        }
                        return (key, walk(value))
                    })
            default: return j
            }
        }
        let out = walk(json)
        return changed ? out.serialized : nil
    }
}
