import Foundation
import CompressNIO
import Hummingbird

/// Collects a request body up to the size limit and decompresses it when it says `Content-Encoding: gzip`, so routes
/// read plain JSON. Runs after authentication: an unknown client cannot make the service inflate anything.
struct RequestBodyMiddleware: RouterMiddleware {
    let maxBytes: Int

    func handle(
        _ request: Request, context: PalabreRequestContext,
        next: (Request, PalabreRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post || request.method == .put || request.method == .patch else { return try await next(request, context) }
        let raw: ByteBuffer
        do {
            raw = try await request.body.collect(upTo: maxBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ServiceError.tooLarge("the request body is over the limit of \(maxBytes) bytes: send smaller batches")
        }
        let body: ByteBuffer
        switch request.headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased() {
        case nil, "", "identity": body = raw
        case "gzip", "x-gzip": body = try Gzip.decompress(raw, maxBytes: maxBytes)
        case let other?:
            throw ServiceError.unsupportedEncoding("Content-Encoding '\(other)' is not supported: send gzip or an uncompressed body")
        }
        var head = request.head
        head.headerFields[.contentEncoding] = nil
        head.headerFields[.contentLength] = String(body.readableBytes)
        return try await next(Request(head: head, body: RequestBody(buffer: body)), context)
    }
}

/// Gzip bodies, read strictly: a truncated or corrupt body is refused rather than read in part.
enum Gzip {
    /// Decompresses one gzip member of at most `maxBytes` once inflated.
    ///
    /// - Throws: ``ServiceError/badRequest(_:)`` for data that is not gzip, corrupt or truncated,
    ///   ``ServiceError/tooLarge(_:)`` over the limit.
    static func decompress(_ compressed: ByteBuffer, maxBytes: Int) throws -> ByteBuffer {
        let start = compressed.readerIndex
        guard compressed.readableBytes >= 18, compressed.getInteger(at: start, as: UInt16.self) == 0x1F8B else {
            throw ServiceError.badRequest("the body says Content-Encoding: gzip but is not gzip data")
        }
        var input = compressed
        let output: ByteBuffer
        do {
            output = try input.decompress(with: .gzip(), maxSize: maxBytes)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw ServiceError.tooLarge("the request body is over the limit of \(maxBytes) bytes once decompressed: send smaller batches")
        } catch {
            throw ServiceError.badRequest("the gzip body is corrupt (\(error)): nothing was read")
        }
        // zlib stops quietly where a cut-off stream ends; the trailer's length (mod 2^32) tells a whole stream from a cut one.
        let trailerSize = compressed.getInteger(at: compressed.writerIndex - 4, endianness: .little, as: UInt32.self)
        guard input.readableBytes == 0, trailerSize == UInt32(truncatingIfNeeded: output.readableBytes) else {
            throw ServiceError.badRequest("the gzip body is truncated or has trailing data: nothing was read; send it again")
        }
        return output
    }

    /// Compresses a body.
    static func compress(_ plain: ByteBuffer) throws -> ByteBuffer {
        var input = plain
        return try input.compress(with: .gzip())
    }
}
