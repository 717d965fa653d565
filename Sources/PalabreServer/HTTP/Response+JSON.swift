import Foundation
import Hummingbird
import PalabreCore

extension Response {
    /// A JSON answer from its text.
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A JSON answer.
    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response { json(value.serialized, status: status) }
}

extension Request {
    /// The body as UTF-8 text (already collected and decompressed by ``RequestBodyMiddleware``).
    func text(maxBytes: Int) async throws -> String {
        let buffer = try await body.collect(upTo: maxBytes)
        guard buffer.readableBytes > 0 else { throw ServiceError.badRequest("the request body is empty: send a JSON object") }
        guard let text = String(bytes: buffer.readableBytesView, encoding: .utf8) else {
            throw ServiceError.badRequest("the request body is not UTF-8 text")
        }
        return text
    }

    /// A query parameter, nil when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters[name[...]], !value.isEmpty else { return nil }
        return String(value)
    }

    /// A boolean query parameter: `true` or `false`, false when absent.
    ///
    /// - Throws: ``ServiceError/badRequest(_:)`` for any other value.
    func flag(_ name: String) throws -> Bool {
        switch query(name) {
        case nil, "false": return false
        case "true": return true
        case let other?: throw ServiceError.badRequest("query parameter '\(name)': '\(other.prefix(60))' is not true or false")
        }
    }

    /// An integer query parameter within bounds.
    ///
    /// - Throws: ``ServiceError/badRequest(_:)`` naming the parameter, its value and the rule.
    func query(_ name: String, default value: Int64, in range: ClosedRange<Int64>) throws -> Int64 {
        guard let text = query(name) else { return value }
        guard let n = Int64(text), range.contains(n) else {
            throw ServiceError.badRequest(
                "query parameter '\(name)': '\(text)' is not a whole number from \(range.lowerBound)"
                    + (range.upperBound == .max ? " up" : " to \(range.upperBound)"))
        }
        return n
    }
}
