import Foundation
import Hummingbird

/// Gzips answers for clients that send `Accept-Encoding: gzip`: a day of field work must cross a 2G link in seconds.
struct CompressionMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: PalabreRequestContext,
        next: (Request, PalabreRequestContext) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        // `Cache-Control: no-transform` marks a streamed download (an export) that must not be gathered in memory.
        guard Self.acceptsGzip(request.headers[values: .acceptEncoding]), response.headers[.contentEncoding] == nil,
            response.body.contentLength != 0, !(response.headers[.cacheControl] ?? "").contains("no-transform")
        else { return response }
        let box = BufferBox()
        try await response.body.write(CollectingWriter(box: box))
        response.body = ResponseBody(byteBuffer: try Gzip.compress(box.buffer))
        response.headers[.contentEncoding] = "gzip"
        response.headers[.vary] = "Accept-Encoding"
        return response
    }

    /// Whether `Accept-Encoding` values admit gzip (`gzip`, `x-gzip` or `*`, with no `q=0`).
    static func acceptsGzip(_ values: [String]) -> Bool {
        for item in values.flatMap({ $0.split(separator: ",") }) {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let name = parts.first, ["gzip", "x-gzip", "*"].contains(name) else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if q > 0 { return true }
        }
        return false
    }
}

/// Gathers a response body written in parts.
private final class BufferBox: @unchecked Sendable {
    var buffer = ByteBuffer()
}

private struct CollectingWriter: ResponseBodyWriter {
    let box: BufferBox

    mutating func write(_ buffer: ByteBuffer) async throws {
        var part = buffer
        box.buffer.writeBuffer(&part)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
