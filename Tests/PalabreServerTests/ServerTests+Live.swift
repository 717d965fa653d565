import Foundation
import Hummingbird
import HummingbirdTesting
import PalabreCore
import PalabreServer
import PalabreStore
import PalabreSync
import Testing

extension ServerTests {
    /// The real client over a real socket: what `palabre sync` does against `palabre-server serve`.
    @Test(arguments: BackendKind.all) func theHTTPClientSyncsTwoLaptopsThroughALiveService(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let forms = ServerFixture.forms
        try await fx.app().test(.live) { client in
            let url = "http://localhost:\(try #require(client.port))"
            var laptops: [FieldStore] = []
            for name in ["fac1", "fac2"] {
                let store = try FieldStore(path: fx.dir.appendingPathComponent("\(name).sqlite").path)
                try store.setIdentity(device: name, project: "p1", language: .en)
                laptops.append(store)
            }
            let values: [String: Value] = [
                "title": .string("Séance à Bourem"), "date": .string("2026-10-02"), "region": .string("gao"),
                "cercle": .string("Bourem"), "locality": .string("Bourem"), "format": .string("youth"),
                "themes": .list(["water"]),
            ]
            let id = try laptops[0].create(form: try #require(forms["session"]), values: values)

            let (sent, bytes) = try await Self.sync(laptops[0], url: url, token: fx.tokens["fac1"])
            #expect(sent.sent == 1)
            #expect(bytes > 0, "a gzip body went over the wire")

            let (received, _) = try await Self.sync(laptops[1], url: url, token: fx.tokens["fac2"])
            #expect(received.received == 1)
            #expect(try laptops[1].record(id)?.values["title"] == .string("Séance à Bourem"))
        }
    }

    /// One `palabre sync` of a store over HTTP; returns the summary and the bytes sent.
    static func sync(_ store: FieldStore, url: String, token: String?) async throws -> (SyncSummary, Int) {
        let transport = HTTPTransport(url: url, token: try #require(token))
        do {
            let summary = try await SyncClient(store: store, transport: transport).sync()
            try await transport.shutdown()
            return (summary, transport.bytes.sent)
        } catch {
            try await transport.shutdown()
            throw error
        }
    }
}
