import Foundation

extension Change {
    /// The change as JSON, as stored in a change log and sent over the wire:
    /// `{"record":…,"form":…,"form_version":1,"project":…,"hlc":…,"node":…,"values":{…},"prev":{"f":[hlc,"node"]}}`.
    public var serialized: String { serialized(valuesJSON: ValueMap.encode(values)) }

    /// The JSON form, given the already encoded `values` object.
    public func serialized(valuesJSON: String) -> String {
        var out = "{\"record\":"
        JSON.writeString(recordID, into: &out)
        out += ",\"form\":"
        JSON.writeString(form, into: &out)
        out += ",\"form_version\":\(formVersion),\"project\":"
        JSON.writeString(project, into: &out)
        out += ",\"hlc\":\(stamp.hlc.rawValue),\"node\":"
        JSON.writeString(stamp.node, into: &out)
        out += ",\"values\":" + valuesJSON
        if !prev.isEmpty {
            out += ",\"prev\":{"
            for (i, k) in prev.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSON.writeString(k, into: &out)
                let p = prev[k]!
                out += ":[\(p.hlc.rawValue),"
                JSON.writeString(p.node, into: &out)
                out += "]"
            }
            out += "}"
        }
        out += "}"
        return out
    }

    /// Reads a change from its JSON form.
    ///
    /// - Throws: `JSONError` naming the missing or malformed member.
    public init(json: JSON) throws(JSONError) {
        func need(_ key: String) throws(JSONError) -> JSON {
            guard let v = json[key] else { throw JSONError(message: "a change needs '\(key)'", offset: 0) }
            return v
        }
        guard let record = try need("record").stringValue, let form = try need("form").stringValue,
            let version = try need("form_version").intValue, let project = try need("project").stringValue,
            let hlc = try need("hlc").intValue, let node = try need("node").stringValue
        else { throw JSONError(message: "a change has a member of the wrong type", offset: 0) }
        guard case .object(let members) = try need("values") else { throw JSONError(message: "'values' must be an object", offset: 0) }
        var values: [String: Value?] = [:]
        for (k, v) in members { values[k] = try Value(json: v) }
        var prev: [String: Stamp] = [:]
        if case .object(let ps)? = json["prev"] {
            for (k, v) in ps {
                guard case .array(let a) = v, a.count == 2, let h = a[0].intValue, let n = a[1].stringValue else {
                    throw JSONError(message: "'prev.\(k)' must be [hlc, node]", offset: 0)
                }
                prev[k] = Stamp(hlc: HLC(rawValue: h), node: n)
            }
        }
        self.init(
            recordID: record, form: form, formVersion: Int(version), project: project,
            stamp: Stamp(hlc: HLC(rawValue: hlc), node: node), values: values, prev: prev)
    }
}
