import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PalabreCore
import PalabreServer
import Testing

extension ServerTests {
    static let node = "a000000000000001"

    static func batch(_ count: Int = 2) -> Wire.PushRequest {
        Wire.PushRequest(batch: "b1", node: node, changes: (0..<count).map { sessionChange(node: node, hlc: stampNow(counter: Int64($0))) })
    }

    @Test(arguments: BackendKind.all) func aGzipRequestBodyIsAcceptedAndAnswersAreGzippedWhenAsked(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let r = try await client.send(.post, "/v1/sync/push", token: fx.tokens["fac1"], body: Self.batch().serialized, gzip: true)
            #expect(r.status == .ok, "\(r.text)")
            #expect(r.headers[.contentEncoding] == nil, "not asked for gzip")
            #expect(try Wire.PushResponse(text: r.text).applied == 2)

            let zipped = try await client.send(.get, "/v1/sync/pull", token: fx.tokens["fac2"], headers: [.acceptEncoding: "gzip, deflate"])
            #expect(zipped.status == .ok)
            #expect(zipped.headers[.contentEncoding] == "gzip")
            var body = zipped.body
            let plain = try body.decompress(with: .gzip(), maxSize: 1 << 20)
            #expect(try Wire.PullResponse(text: String(buffer: plain)).changes.count == 2)
            let refused = try await client.send(.get, "/v1/sync/pull", token: fx.tokens["fac2"], headers: [.acceptEncoding: "gzip;q=0"])
            #expect(refused.headers[.contentEncoding] == nil)
        }
    }

    @Test(arguments: BackendKind.all) func aTruncatedGzipBodyIs400AndWritesNothing(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        var plain = ByteBuffer(string: Self.batch(20).serialized)
        let compressed = try plain.compress(with: .gzip())
        try await fx.app().test(.router) { client in
            for cut in [8, compressed.readableBytes / 2] {
                let truncated = compressed.getSlice(at: compressed.readerIndex, length: compressed.readableBytes - cut)!
                let r = try await client.executeRequest(
                    uri: "/v1/sync/push", method: .post,
                    headers: [.authorization: "Bearer \(fx.tokens["fac1"]!)", .contentEncoding: "gzip"],
                    body: truncated)
                #expect(r.status == .badRequest, "cut \(cut): \(r.text)")
                #expect(r.errorCode == "bad_request")
                #expect(Wire.ErrorBody(text: r.text)?.message.contains("gzip") == true)
            }
            let garbage = try await client.executeRequest(
                uri: "/v1/sync/push", method: .post,
                headers: [.authorization: "Bearer \(fx.tokens["fac1"]!)", .contentEncoding: "gzip"],
                body: ByteBuffer(string: Self.batch().serialized))
            #expect(garbage.status == .badRequest)
        }
        #expect(try await fx.changeCount() == 0)
    }

    @Test(arguments: [
        ("{\"batch\":\"b1\",\"node\":", "invalid JSON"),
        ("[1,2,3]", "'batch'"),
        ("{\"batch\":\"b1\",\"node\":\"n\",\"changes\":5}", "'changes' must be an array"),
        ("{\"batch\":7,\"node\":\"n\",\"changes\":[]}", "'batch'"),
        ("{\"batch\":\"b1\",\"node\":\"n\",\"changes\":[{\"record\":\"r\"}]}", "changes[0]"),
        ("", "empty"),
    ])
    func malformedPushBodiesAre400NamingWhatIsWrong(body: String, says: String) async throws {
        let fx = try await ServerFixture()
        try await fx.app().test(.router) { client in
            let r = try await client.send(.post, "/v1/sync/push", token: fx.tokens["fac1"], body: body)
            #expect(r.status == .badRequest)
            let error = try #require(Wire.ErrorBody(text: r.text))
            #expect(error.code == "bad_request")
            #expect(error.message.contains(says), "\(error.message)")
        }
    }

    @Test(arguments: [
        (#"{"record":5,"field":"title","action":"keep"}"#, "'record'"),
        (#"{"record":"r","field":"title","action":"drop"}"#, "keep, restore"),
        (#"{"record":"r","field":"title"}"#, "'action'"),
        (#"not json"#, "not valid JSON"),
    ])
    func malformedResolveBodiesAre400(body: String, says: String) async throws {
        let fx = try await ServerFixture()
        try await fx.app().test(.router) { client in
            let r = try await client.send(.post, "/v1/conflicts/resolve", token: fx.tokens["coord"], body: body)
            #expect(r.status == .badRequest)
            #expect(Wire.ErrorBody(text: r.text)?.message.contains(says) == true, "\(r.text)")
        }
    }

    @Test(arguments: BackendKind.all) func bodiesOverTheLimitAre413PlainOrOnceDecompressed(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind, maxBodyBytes: 4096)
        try await fx.app().test(.router) { client in
            let big = Self.batch(40).serialized
            #expect(big.utf8.count > 4096)
            let plain = try await client.send(.post, "/v1/sync/push", token: fx.tokens["fac1"], body: big)
            #expect(plain.status == .contentTooLarge)
            #expect(plain.errorCode == "too_large")
            // Small on the wire, too big once inflated.
            let bomb = "{\"batch\":\"b\",\"node\":\"n\",\"changes\":[]" + String(repeating: " ", count: 200_000) + "}"
            let zipped = try await client.send(.post, "/v1/sync/push", token: fx.tokens["fac1"], body: bomb, gzip: true)
            #expect(zipped.status == .contentTooLarge)
            #expect(zipped.errorCode == "too_large")
            let fits = try await client.send(.post, "/v1/sync/push", token: fx.tokens["fac1"], body: Self.batch(2).serialized, gzip: true)
            #expect(fits.status == .ok)
        }
        #expect(try await fx.changeCount() == 2)
    }

    @Test(arguments: BackendKind.all) func anUnknownContentEncodingIs415(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let r = try await client.send(
                .post, "/v1/sync/push", token: fx.tokens["fac1"], body: Self.batch().serialized,
                headers: [.contentEncoding: "br"])
            #expect(r.status == .unsupportedMediaType)
            #expect(r.errorCode == "unsupported_encoding")
        }
    }
}
