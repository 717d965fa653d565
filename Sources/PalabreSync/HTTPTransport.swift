import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import PalabreCore

/// The sync protocol over HTTP (AsyncHTTPClient): gzip request bodies, gzip answers, bearer token, and a count of
/// the bytes that crossed the wire.
public final class HTTPTransport: SyncTransport {
    /// The service's base URL.
    public let url: String
    let token: String
    let http: HTTPClient
    let timeout: TimeAmount
    let counters = NIOLockedValueBox((sent: 0, received: 0))

    /// Opens a client for a service.
    public init(url: String, token: String, timeout: TimeAmount = .seconds(120)) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.token = token
        self.timeout = timeout
        http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(90))))
    }

    /// Closes the client; call once done.
    public func shutdown() async throws { try await http.shutdown() }

    /// Compressed bytes sent and received so far.
    public var bytes: (sent: Int, received: Int) { counters.withLockedValue { $0 } }

    public func push(_ request: Wire.PushRequest) async throws -> PushAnswer {
        let (status, body) = try await send(method: .POST, path: "/v1/sync/push", body: request.serialized)
        switch status {
        case 200:
            do { return .accepted(try Wire.PushResponse(text: body)) } catch { throw SyncError.service("unreadable push answer: \(error)") }
        case 409:
            if let e = Wire.ErrorBody(text: body), e.code == "clock_ahead", let t = e.serverTime {
                return .clockAhead(serverTime: t, message: e.message)
            }
            throw failure(status, body)
        default:
            throw failure(status, body)
        }
    }

    public func pull(after cursor: Int64, limit: Int, node: String) async throws -> Wire.PullResponse {
        let (status, body) = try await send(
            method: .GET, path: "/v1/sync/pull?after=\(cursor)&limit=\(limit)" + (node.isEmpty ? "" : "&node=\(node)"), body: nil)
        guard status == 200 else { throw failure(status, body) }
        do { return try Wire.PullResponse(text: body) } catch { throw SyncError.service("unreadable pull answer: \(error)") }
    }

    public func forms(tag: String?) async throws -> Wire.FormsResponse? {
        let (status, body) = try await send(method: .GET, path: "/v1/forms", body: nil, headers: tag.map { [("If-None-Match", $0)] } ?? [])
        // 304: the set held is current; 404: a service older than forms from the centre, which offers none.
        if status == 304 || status == 404 { return nil }
        guard status == 200 else { throw failure(status, body) }
        do { return try Wire.FormsResponse(text: body) } catch { throw SyncError.service("unreadable forms answer: \(error)") }
    }

    public func setAside(retry: Bool) async throws -> Wire.SetAsideList? {
        let (status, body) = try await send(method: retry ? .POST : .GET, path: retry ? "/v1/set-aside/retry" : "/v1/set-aside", body: nil)
        // 404: a service older than held changes, which lists none.
        if status == 404 { return nil }
        guard status == 200 else { throw failure(status, body) }
        do { return try Wire.SetAsideList(text: body) } catch { throw SyncError.service("unreadable set-aside answer: \(error)") }
    }

    /// Publishes form files (name, YAML text) as the next versions of the project's forms (a coordinator's or an
    /// admin's token): the service's answer, as JSON text.
    public func publishForms(_ files: [(name: String, text: String)]) async throws -> String {
        let body = JSON.object([
            ("forms", .array(files.map { .object([("name", .string($0.name)), ("source", .string($0.text))]) }))
        ]).serialized
        let (status, answer) = try await send(method: .POST, path: "/v1/forms", body: body)
        guard status == 200 else { throw failure(status, answer) }
        return answer
    }

    func failure(_ status: Int, _ body: String) -> SyncError {
        let message = Wire.ErrorBody(text: body)?.message ?? String(body.prefix(300))
        switch status {
        case 401: return .unauthorized(message)
        case 400..<500: return .refused(status: status, message: message)
        default: return .service("HTTP \(status): \(message)")
        }
    }

    /// Sends one request with a gzip body and asks for a gzip answer; returns the status and the decompressed text.
    func send(method: HTTPMethod, path: String, body: String?, headers: [(String, String)] = []) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        var sent = 0
        if let body {
            var plain = ByteBuffer(string: body)
            let compressed = try plain.compress(with: .gzip())
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Content-Encoding", value: "gzip")
            request.body = .bytes(compressed)
            sent = compressed.readableBytes
        }
        let response: HTTPClientResponse
        var buffer: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            buffer = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw SyncError.offline("\(error)")
        }
        let received = buffer.readableBytes
        counters.withLockedValue {
            $0.sent += sent; $0.received += received
        }
        if response.headers.first(name: "Content-Encoding")?.lowercased() == "gzip" {
            do {
                buffer = try buffer.decompress(with: .gzip(), maxSize: 1 << 30)
            } catch {
                throw SyncError.service("a compressed answer could not be read: \(error)")
            }
        }
        return (Int(response.status.code), String(buffer: buffer))
    }
}

extension HTTPTransport {
    /// Downloads `GET path` into a file, streaming: memory stays flat whatever the size.
    ///
    /// - Throws: ``SyncError``; on a refusal the file is removed.
    public func download(_ path: String, to file: String) async throws {
        var request = HTTPClientRequest(url: url + path)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw SyncError.offline("\(error)")
        }
        guard response.status == .ok else {
            let body = String(buffer: (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer())
            throw failure(Int(response.status.code), body)
        }
        guard FileManager.default.createFile(atPath: file, contents: nil), let handle = FileHandle(forWritingAtPath: file) else {
            throw LocalFileError(message: "cannot write \(file): check the folder exists and may be written")
        }
        do {
            var received = 0
            for try await chunk in response.body {
                received += chunk.readableBytes
                try handle.write(contentsOf: Data(chunk.readableBytesView))
            }
            try handle.close()
            counters.withLockedValue { $0.received += received }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: file)
            throw SyncError.offline("the download was cut: \(error)")
        }
    }

    /// `GET path` answered with JSON text.
    public func getText(_ path: String) async throws -> String {
        let (status, body) = try await send(method: .GET, path: path, body: nil)
        guard status == 200 else { throw failure(status, body) }
        return body
    }
}

/// A file on this machine that a download cannot write: not the service's doing.
public struct LocalFileError: Error, Sendable {
    public var message: String
}
