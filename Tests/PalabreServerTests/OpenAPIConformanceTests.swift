import Foundation
import PalabreTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PalabreCore
import PalabreServer
import Testing

/// The service's answers match `sync/openapi.yaml`: every endpoint is exercised, successes and refusals, and each
/// recorded body is validated against the schema the spec gives for its path, method and status
/// (by `sync/check-responses.py`, with openapi-schema-validator).
@Suite struct OpenAPIConformanceTests {
    @Test(arguments: BackendKind.all) func everyRecordedResponseMatchesTheSpec(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let recorded: [JSON] = try await fx.app().test(.router) { client in
            var recorded: [JSON] = []
            func record(_ method: HTTPRequest.Method, _ uri: String, token: String?, body: String? = nil) async throws -> TestResponse {
                let r = try await client.send(method, uri, token: token, body: body)
                let path = String(uri.split(separator: "?").first ?? "")
                if path != "/openapi.yaml" {
                    recorded.append(
                        .object([
                            ("method", .string(method.rawValue.lowercased())), ("path", .string(path)),
                            ("status", .number(String(r.status.code))), ("body", r.json),
                        ]))
                }
                return r
            }
            let fac = fx.tokens["fac1"], coord = fx.tokens["coord"], analyst = fx.tokens["analyst"]
            _ = try await record(.get, "/healthz", token: nil)
            _ = try await record(.get, "/v1/me", token: fac)
            _ = try await record(.get, "/v1/me", token: nil)
            let record1 = RecordID.make()
            let base: [String: Value?] = [
                "title": .string("Séance"), "date": .string("2026-10-01"), "region": .string("gao"),
                "locality": .string("Bara"), "format": .string("youth"),
            ]
            let a = sessionChange(node: "aaaaaaaaaaaaaaaa", hlc: stampNow(), record: record1, values: base)
            let b = sessionChange(
                node: "aaaaaaaaaaaaaaaa", hlc: stampNow(counter: 1), record: record1, values: ["title": .string("Titre A")],
                prev: ["title": a.stamp])
            let c = sessionChange(
                node: "bbbbbbbbbbbbbbbb", hlc: stampNow(counter: 2), record: record1, values: ["title": .string("Titre B")],
                prev: ["title": a.stamp])
            let poison = sessionChange(node: "aaaaaaaaaaaaaaaa", hlc: stampNow(counter: 3), values: ["region": .string("atlantis")])
            _ = try await record(
                .post, "/v1/sync/push", token: fac, body: Wire.PushRequest(batch: "b1", node: "aaaaaaaaaaaaaaaa", changes: [a, b, poison]).serialized)
            _ = try await record(
                .post, "/v1/sync/push", token: fx.tokens["fac2"],
                body: Wire.PushRequest(batch: "b1", node: "bbbbbbbbbbbbbbbb", changes: [c]).serialized)
            let ahead = sessionChange(node: "aaaaaaaaaaaaaaaa", hlc: stampNow(plus: 86_400))
            _ = try await record(
                .post, "/v1/sync/push", token: fac, body: Wire.PushRequest(batch: "b2", node: "aaaaaaaaaaaaaaaa", changes: [ahead]).serialized)
            _ = try await record(.post, "/v1/sync/push", token: fac, body: "{\"batch\":1}")
            _ = try await record(
                .post, "/v1/sync/push", token: analyst, body: Wire.PushRequest(batch: "b3", node: "cccccccccccccccc", changes: []).serialized)
            _ = try await record(.get, "/v1/sync/pull?after=0&limit=2", token: fac)
            _ = try await record(.get, "/v1/sync/pull?after=0", token: analyst)
            _ = try await record(.get, "/v1/sync/pull?after=-1", token: fac)
            _ = try await record(.get, "/v1/conflicts", token: coord)
            _ = try await record(.get, "/v1/conflicts", token: fac)
            _ = try await record(
                .post, "/v1/conflicts/resolve", token: coord,
                body: "{\"record\":\"\(record1)\",\"field\":\"title\",\"action\":\"restore\"}")
            _ = try await record(
                .post, "/v1/conflicts/resolve", token: coord,
                body: "{\"record\":\"\(record1)\",\"field\":\"title\",\"action\":\"restore\"}")
            _ = try await record(.get, "/v1/records?form=session", token: analyst)
            _ = try await record(.get, "/v1/records", token: fac)
            return recorded
        }
        let file = fx.dir.appendingPathComponent("responses.json")
        try JSON.array(recorded).serialized.write(to: file, atomically: true, encoding: .utf8)
        let checker = ServerFixture.repo.appendingPathComponent("sync/check-responses.py").path
        let output = fx.dir.appendingPathComponent("checker.out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let checkerRun = try Spawned(
            "/usr/bin/env", ["python3", checker, ServerFixture.openAPIPath, file.path],
            environment: ProcessInfo.processInfo.environment, directory: fx.dir.path,
            stdout: output.path, stderr: output.path)
        checkerRun.wait(timeout: 120)
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(recorded.count >= 17)
        #expect(checkerRun.status == 0, "\(text)")
        // The statuses above cover successes and each kind of refusal.
        let statuses = Set(recorded.compactMap { $0["status"]?.intValue })
        #expect(statuses.isSuperset(of: [200, 400, 401, 403, 409]), "\(statuses)")
    }
}
