import Foundation

/// The sync protocol's messages (see `sync/PROTOCOL.md`), as JSON through Palabre's own parser and writer so
/// changes keep integers and decimals apart and are written once, without an intermediate Codable tree.
public enum Wire {
    /// A wire message that cannot be read: what is wrong, for a 400 answer.
    public struct Malformed: Error, Equatable, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// Builds one.
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// `POST /v1/sync/push`: a batch of a device's changes, applied whole or not at all; resending it changes nothing.
    public struct PushRequest: Equatable, Sendable {
        /// The batch id, chosen by the device; the same id always gets the same answer.
        public var batch: String
        /// The sending store's node id.
        public var node: String
        /// The changes, oldest first.
        public var changes: [Change]

        /// Builds a request.
        public init(batch: String, node: String, changes: [Change]) {
            self.batch = batch
            self.node = node
            self.changes = changes
        }

        /// The JSON text.
        public var serialized: String {
            var out = "{\"batch\":"
            JSON.writeString(batch, into: &out)
            out += ",\"node\":"
            JSON.writeString(node, into: &out)
            out += ",\"changes\":["
            for (i, c) in changes.enumerated() {
                if i > 0 { out += "," }
                out += c.serialized
            }
            out += "]}"
            return out
        }

        /// Reads a request.
        public init(text: String) throws(Malformed) {
            let json = try Wire.parse(text)
            guard let batch = json["batch"]?.stringValue, !batch.isEmpty, batch.count <= 200 else {
                throw Malformed("'batch' must be a non-empty string of at most 200 characters")
            }
            guard let node = json["node"]?.stringValue, !node.isEmpty else { throw Malformed("'node' must be a non-empty string") }
            guard case .array(let items)? = json["changes"] else { throw Malformed("'changes' must be an array") }
            var changes: [Change] = []
            changes.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                do {
                    changes.append(try Change(json: item))
                } catch {
                    throw Malformed("changes[\(i)]: \(error.message)")
                }
            }
            self.init(batch: batch, node: node, changes: changes)
        }
    }

    /// A change the service could not apply, and why.
    public struct SetAsideEntry: Equatable, Sendable {
        /// The record.
        public var record: String
        /// The change's clock value.
        public var hlc: Int64
        /// The change's node.
        public var node: String
        /// Why.
        public var reason: String
        /// Whether the service holds it for a form or version not published yet, and applies it once published (an
        /// older service never says so: false).
        public var held: Bool

        /// Builds one.
        public init(record: String, hlc: Int64, node: String, reason: String, held: Bool = false) {
            self.record = record
            self.hlc = hlc
            self.node = node
            self.reason = reason
            self.held = held
        }

        /// The JSON object.
        public var json: JSON {
            .object([
                ("record", .string(record)), ("hlc", .number(String(hlc))), ("node", .string(node)), ("reason", .string(reason)),
                ("held", .bool(held)),
            ])
        }

        /// Reads one.
        public init(json item: JSON) throws(Malformed) {
            guard let r = item["record"]?.stringValue, let h = item["hlc"]?.intValue, let n = item["node"]?.stringValue,
                let why = item["reason"]?.stringValue
            else { throw Malformed("a set_aside entry needs record, hlc, node and reason") }
            var held = false
            if case .bool(let b)? = item["held"] { held = b }
            self.init(record: r, hlc: h, node: n, reason: why, held: held)
        }
    }

    /// A device's changes the service keeps set aside (`GET /v1/set-aside`), oldest first.
    public struct SetAsideList: Equatable, Sendable {
        /// The entries.
        public var entries: [SetAsideEntry]
        /// Changes applied by a retry this request asked for (`POST /v1/set-aside/retry`; 0 for a list).
        public var applied: Int

        /// Builds one.
        public init(entries: [SetAsideEntry], applied: Int = 0) {
            self.entries = entries
            self.applied = applied
        }

        /// The JSON text.
        public var serialized: String {
            JSON.object([("set_aside", .array(entries.map(\.json))), ("applied", .number(String(applied)))]).serialized
        }

        /// Reads one.
        public init(text: String) throws(Malformed) {
            let json = try Wire.parse(text)
            guard case .array(let items)? = json["set_aside"] else { throw Malformed("a set-aside list needs 'set_aside'") }
            var entries: [SetAsideEntry] = []
            for item in items { entries.append(try SetAsideEntry(json: item)) }
            self.init(entries: entries, applied: Int(json["applied"]?.intValue ?? 0))
        }
    }

    /// The answer to a push.
    public struct PushResponse: Equatable, Sendable {
        /// The batch answered.
        public var batch: String
        /// Changes applied.
        public var applied: Int
        /// Changes the service already had.
        public var duplicates: Int
        /// Concurrent writes found.
        public var conflicts: Int
        /// Changes set aside.
        public var setAside: [SetAsideEntry]
        /// The service's clock, milliseconds since 1970.
        public var serverTime: Int64
        /// How many batches of this node the service has applied, this one included (optional).
        public var nodeBatches: Int?
        /// The service's change log's identity (`log`): a restored database has a new one, which tells laptops to send
        /// and receive everything again (their positions belong to the log they came from).
        public var log: String?

        /// Builds one.
        public init(batch: String, applied: Int, duplicates: Int, conflicts: Int, setAside: [SetAsideEntry], serverTime: Int64) {
            self.batch = batch
            self.applied = applied
            self.duplicates = duplicates
            self.conflicts = conflicts
            self.setAside = setAside
            self.serverTime = serverTime
        }

        /// The JSON text.
        public var serialized: String {
            let entries: [JSON] = setAside.map(\.json)
            var members: [(String, JSON)] = [
                ("batch", .string(batch)), ("applied", .number(String(applied))), ("duplicates", .number(String(duplicates))),
                ("conflicts", .number(String(conflicts))), ("set_aside", .array(entries)), ("server_time", .number(String(serverTime))),
            ]
            if let nodeBatches { members.append(("node_batches", .number(String(nodeBatches)))) }
            if let log { members.append(("log", .string(log))) }
            return JSON.object(members).serialized
        }

        /// Reads one.
        public init(text: String) throws(Malformed) {
            let json = try Wire.parse(text)
            guard let batch = json["batch"]?.stringValue, let applied = json["applied"]?.intValue,
                let serverTime = json["server_time"]?.intValue
            else { throw Malformed("a push response needs 'batch', 'applied' and 'server_time'") }
            var entries: [SetAsideEntry] = []
            if case .array(let items)? = json["set_aside"] {
                for item in items { entries.append(try SetAsideEntry(json: item)) }
            }
            self.init(
                batch: batch, applied: Int(applied), duplicates: Int(json["duplicates"]?.intValue ?? 0),
                conflicts: Int(json["conflicts"]?.intValue ?? 0), setAside: entries, serverTime: serverTime)
            nodeBatches = json["node_batches"]?.intValue.map { Int($0) }
            log = json["log"]?.stringValue
        }
    }

    /// The answer to `GET /v1/sync/pull?after=CURSOR&limit=N`: a page of changes in log order.
    public struct PullResponse: Equatable, Sendable {
        /// The changes.
        public var changes: [Change]
        /// The cursor to ask after next time.
        public var next: Int64
        /// Whether more changes wait after `next`.
        public var more: Bool
        /// The service's clock, milliseconds since 1970.
        public var serverTime: Int64
        /// The names of the devices whose nodes wrote the changes (node → device name), so laptops name who wrote a
        /// value; optional, absent from older services.
        public var devices: [String: String] = [:]
        /// The service's change log's identity (see ``PushResponse/log``).
        public var log: String?

        /// Builds one.
        public init(changes: [Change], next: Int64, more: Bool, serverTime: Int64, devices: [String: String] = [:]) {
            self.changes = changes
            self.next = next
            self.more = more
            self.serverTime = serverTime
            self.devices = devices
        }

        /// The JSON text, from changes already serialised (the service stores them as text).
        public static func serialized(
            changeTexts: [String], next: Int64, more: Bool, serverTime: Int64, devices: [String: String] = [:], log: String? = nil
        ) -> String {
            var out = "{\"changes\":["
            for (i, c) in changeTexts.enumerated() {
                if i > 0 { out += "," }
                out += c
            }
            out += "],\"next\":\(next),\"more\":\(more),\"server_time\":\(serverTime)"
            if !devices.isEmpty {
                out += ",\"devices\":" + JSON.object(devices.keys.sorted().map { ($0, JSON.string(devices[$0]!)) }).serialized
            }
            if let log { out += ",\"log\":" + JSON.string(log).serialized }
            return out + "}"
        }

        /// Reads one.
        public init(text: String) throws(Malformed) {
            let json = try Wire.parse(text)
            guard case .array(let items)? = json["changes"], let next = json["next"]?.intValue, let serverTime = json["server_time"]?.intValue,
                case .bool(let more)? = json["more"]
            else { throw Malformed("a pull response needs 'changes', 'next', 'more' and 'server_time'") }
            var changes: [Change] = []
            for (i, item) in items.enumerated() {
                do {
                    changes.append(try Change(json: item))
                } catch {
                    throw Malformed("changes[\(i)]: \(error.message)")
                }
            }
            var devices: [String: String] = [:]
            if case .object(let members)? = json["devices"] {
                for (node, name) in members { if case .string(let n) = name { devices[node] = n } }
            }
            self.init(changes: changes, next: next, more: more, serverTime: serverTime, devices: devices)
            log = json["log"]?.stringValue
        }
    }

    /// The error body every refusal carries: `{"error":{"message":…,"code":…}}`, plus `server_time` and
    /// `max_ahead_ms` when the refusal is a clock too far ahead (`code` = `clock_ahead`, HTTP 409).
    public struct ErrorBody: Equatable, Sendable {
        /// A sentence for people.
        public var message: String
        /// A stable code for programs (`unauthorized`, `forbidden`, `bad_request`, `clock_ahead`, `too_large`…).
        public var code: String
        /// The service's clock, with `clock_ahead`.
        public var serverTime: Int64?
        /// The allowed lead, with `clock_ahead`.
        public var maxAheadMs: Int64?

        /// Builds one.
        public init(message: String, code: String, serverTime: Int64? = nil, maxAheadMs: Int64? = nil) {
            self.message = message
            self.code = code
            self.serverTime = serverTime
            self.maxAheadMs = maxAheadMs
        }

        /// The JSON text.
        public var serialized: String {
            var members: [(String, JSON)] = [("message", .string(message)), ("code", .string(code))]
            if let serverTime { members.append(("server_time", .number(String(serverTime)))) }
            if let maxAheadMs { members.append(("max_ahead_ms", .number(String(maxAheadMs)))) }
            return JSON.object([("error", .object(members))]).serialized
        }

        /// Reads one; nil when the text is not an error body.
        public init?(text: String) {
            guard let json = try? JSON.parse(text), let e = json["error"], let m = e["message"]?.stringValue else { return nil }
            self.init(message: m, code: e["code"]?.stringValue ?? "", serverTime: e["server_time"]?.intValue, maxAheadMs: e["max_ahead_ms"]?.intValue)
        }
    }

    static func parse(_ text: String) throws(Malformed) -> JSON {
        do {
            return try JSON.parse(text)
        } catch {
            throw Malformed(error.description)
        }
    }
}
