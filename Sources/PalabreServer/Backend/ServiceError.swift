import PalabreCore

/// Why the service refused something, in words that say what to do; each maps to one HTTP status and
/// a stable code in ``PalabreCore/Wire/ErrorBody``.
public enum ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No token, or an unknown or revoked one (401, `unauthorized`).
    case unauthorized(String)
    /// The token acts outside its project or role (403, `forbidden`).
    case forbidden(String)
    /// No such project, device, record or route (404, `not_found`).
    case notFound(String)
    /// The request cannot be read or names a bad value (400, `bad_request`).
    case badRequest(String)
    /// A name or code already taken (409, `already_exists`).
    case alreadyExists(String)
    /// A batch stamped too far ahead of the service's clock: nothing was applied (409, `clock_ahead`).
    case clockAhead(message: String, serverTime: Int64, maxAheadMs: Int64)
    /// A store node already bound to another device (409, `node_in_use`): a copied store, or a forged node id.
    case nodeInUse(String)
    /// A body over the size limit (413, `too_large`).
    case tooLarge(String)
    /// A body in an encoding the service does not read (415, `unsupported_encoding`).
    case unsupportedEncoding(String)
    /// The database cannot be reached (503, `unavailable`): try again later.
    case unavailable(String)
    /// The database failed (503, `storage`): nothing was applied; try again later. The cause is logged, not sent.
    case storage(String)

    /// The HTTP status code (``status`` for Hummingbird).
    public var statusCode: Int {
        switch self {
        case .unauthorized: return 401
        case .forbidden: return 403
        case .notFound: return 404
        case .badRequest: return 400
        case .alreadyExists, .clockAhead, .nodeInUse: return 409
        case .tooLarge: return 413
        case .unsupportedEncoding: return 415
        case .unavailable, .storage: return 503
        }
    }

    /// The error body sent back.
    public var body: Wire.ErrorBody {
        switch self {
        case .unauthorized(let m): return Wire.ErrorBody(message: m, code: "unauthorized")
        case .forbidden(let m): return Wire.ErrorBody(message: m, code: "forbidden")
        case .notFound(let m): return Wire.ErrorBody(message: m, code: "not_found")
        case .badRequest(let m): return Wire.ErrorBody(message: m, code: "bad_request")
        case .alreadyExists(let m): return Wire.ErrorBody(message: m, code: "already_exists")
        case .clockAhead(let m, let t, let ahead): return Wire.ErrorBody(message: m, code: "clock_ahead", serverTime: t, maxAheadMs: ahead)
        case .nodeInUse(let m): return Wire.ErrorBody(message: m, code: "node_in_use")
        case .tooLarge(let m): return Wire.ErrorBody(message: m, code: "too_large")
        case .unsupportedEncoding(let m): return Wire.ErrorBody(message: m, code: "unsupported_encoding")
        case .unavailable(let m): return Wire.ErrorBody(message: m, code: "unavailable")
        case .storage(let m): return Wire.ErrorBody(message: m, code: "storage")
        }
    }

    public var description: String { body.message }
}

extension ServiceError {
    /// The refusal of a batch stamped too far ahead, saying by how much.
    static func clockAheadRefusal(leadMs: Int64, serverTime: Int64, maxAheadMs: Int64) -> ServiceError {
        let time = HLC(wallMilliseconds: serverTime).date
        let message =
            "the batch is stamped \(Self.duration(leadMs)) ahead of the service's clock (\(Timestamp.text(time))), "
            + "more than the \(Self.duration(maxAheadMs)) allowed: nothing was applied; set the device's clock right, "
            + "re-stamp the unsent changes at the service's time and send them again"
        return .clockAhead(message: message, serverTime: serverTime, maxAheadMs: maxAheadMs)
    }

    /// `1 h 2 min 3 s`, `10 min`, `250 ms`, to the nearest second.
    static func duration(_ ms: Int64) -> String {
        if ms < 1000 { return "\(ms) ms" }
        let s = (ms + 500) / 1000
        var parts: [String] = []
        if s >= 86_400 { parts.append("\(s / 86_400) d") }
        if s % 86_400 >= 3600 { parts.append("\(s % 86_400 / 3600) h") }
        if s % 3600 >= 60 { parts.append("\(s % 3600 / 60) min") }
        if s % 60 > 0 { parts.append("\(s % 60) s") }
        return parts.joined(separator: " ")
    }
}
