import Foundation
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
                    recorded.append(.object([("method", .string(method.rawValue.lowercased())), ("path", .string(path)),
                                             ("status", .number(String(r.status.code))), ("body", r.json)]))
                }
                return r
            }
            let fac = fx.tokens["fac1"], coord = fx.tokens["coord"], analyst = fx.tokens["analyst"]
            _ = try await record(.get, "/healthz", token: nil)
            _ = try await record(.get, "/v1/me", token: fac)
            _ = try await record(.get, "/v1/me", token: nil)
            let record1 = RecordID.make()
            let base: [String: Value?] = ["title": .string("Séance"), "date": .string("2026-10-01"), "region": .string("gao"),
                                          "locality": .string("Bara"), "format": .string("youth")]
            let a = sessionChange(node: "aaaaaaaaaaaaaaaa", hlc: stampNow(), record: record1, values: base)
            let b = sessionChange(node: "aaaaaaaaaaaaaaaa", hlc: stampNow(counter: 1), record: record1, values: ["title": .string("Titre A")],
                                  prev: ["title": a.stamp])
            let c = sessionChange(node: "bbbbbbbbbbbbbbbb", hlc: stampNow(counter: 2), record: record1, values: ["title": .string("Titre B")],
                                  prev: ["title": a.stamp])
            let poison = sessionChange(node: "aaaaaaaaaaaaaaaa", hlc: stampNow(counter: 3), values: ["region": .string("atlantis")])
            _ = try await record(.post, "/v1/sync/push", token: fac, body: Wire.PushRequest(batch: "b1", node: "aaaaaaaaaaaaaaaa", changes: [a, b, poison]).serialized)
            _ = try await record(.post, "/v1/sync/push", token: fx.tokens["fac2"], body: Wire.PushRequest(batch: "b1", node: "bbbbbbbbbbbbbbbb", changes: [c]).serialized)
            let ahead = sessionChange(node: "aaaaaaaaaaaaaaaa", hlc: stampNow(plus: 86_400))
            _ = try await record(.post, "/v1/sync/push", token: fac, body: Wire.PushRequest(batch: "b2", node: "aaaaaaaaaaaaaaaa", changes: [ahead]).serialized)
            _ = try await record(.post, "/v1/sync/push", token: fac, body: "{\"batch\":1}")
            _ = try await record(.post, "/v1/sync/push", token: analyst, body: Wire.PushRequest(batch: "b3", node: "cccccccccccccccc", changes: []).serialized)
            _ = try await record(.get, "/v1/sync/pull?after=0&limit=2", token: fac)
            _ = try await record(.get, "/v1/sync/pull?after=0", token: analyst)
            _ = try await record(.get, "/v1/sync/pull?after=-1", token: fac)
            _ = try await record(.get, "/v1/conflicts", token: coord)
            _ = try await record(.get, "/v1/conflicts", token: fac)
            _ = try await record(.post, "/v1/conflicts/resolve", token: coord,
                                 body: "{\"record\":\"\(record1)\",\"field\":\"title\",\"action\":\"restore\"}")
            _ = try await record(.post, "/v1/conflicts/resolve", token: coord,
                                 body: "{\"record\":\"\(record1)\",\"field\":\"title\",\"action\":\"restore\"}")
            _ = try await record(.get, "/v1/records?form=session", token: analyst)
            _ = try await record(.get, "/v1/records", token: fac)
            return recorded
        }
        let file = fx.dir.appendingPathComponent("responses.json")
        try JSON.array(recorded).serialized.write(to: file, atomically: true, encoding: .utf8)
        let checker = ServerFixture.repo.appendingPathComponent("sync/check-responses.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", checker, ServerFixture.openAPIPath, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        // Foundation's Process.run() is not safe beside other launches in this test process (the end-to-end tests
        // launch many): the same file lock as theirs keeps launches one at a time.
        let fd = open("/tmp/palabre-tests-launch.lock", O_CREAT | O_RDWR, 0o666)
        if fd >= 0 { flock(fd, LOCK_EX) }
        do {
            try process.run()
        } catch {
            if fd >= 0 { flock(fd, LOCK_UN); close(fd) }
            throw error
        }
        if fd >= 0 { flock(fd, LOCK_UN); close(fd) }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        withExtendedLifetime(process) {}
        #expect(recorded.count >= 17)
        #expect(process.terminationStatus == 0, "\(output)")
        // The statuses above cover successes and each kind of refusal.
        let statuses = Set(recorded.compactMap { $0["status"]?.intValue })
        #expect(statuses.isSuperset(of: [200, 400, 401, 403, 409]), "\(statuses)")
    }
}
