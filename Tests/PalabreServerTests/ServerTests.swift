import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PalabreCore
import PalabreServer
import PalabreServerInspection
import Testing

/// The central service through its real router on a real SQLite file: access, sync, bodies, the contract.
@Suite struct ServerTests {
    // MARK: - Public routes and the contract

    @Test(arguments: BackendKind.all) func healthzAnswersWithoutAToken(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let r = try await client.send(.get, "/healthz")
            #expect(r.status == .ok)
            #expect(r.json["status"]?.stringValue == "ok")
        }
    }

    /// The contract is built into the service (sync/embed-openapi.sh): served wherever the binary runs, and the same
    /// text as `sync/openapi.yaml` (this fails when the YAML was edited and the script not run).
    @Test func theEmbeddedContractIsSyncOpenAPIYAML() async throws {
        let file = try String(contentsOfFile: ServerFixture.openAPIPath, encoding: .utf8)
        let fx = try await ServerFixture(.sqlite)
        try await fx.app().test(.router) { client in
            let r = try await client.send(.get, "/openapi.yaml")
            #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("application/yaml") == true)
            #expect(r.text == file, "the embedded contract differs from sync/openapi.yaml: run sync/embed-openapi.sh")
        }
    }

    @Test(arguments: BackendKind.all) func openAPIDescribesEveryRouteTheRouterServes(_ kind: BackendKind) async throws {
        let text = try String(contentsOfFile: ServerFixture.openAPIPath, encoding: .utf8)
        let documented = Self.documentedOperations(text)
        for endpoint in Endpoint.allCases {
            let key = "\(endpoint.method.rawValue.lowercased()) \(endpoint.path)"
            #expect(documented.contains(key), "sync/openapi.yaml does not describe \(key)")
        }
        #expect(documented.count == Endpoint.allCases.count, "openapi.yaml documents routes the service lacks: \(documented.sorted())")
        // And the router answers each one (not 404), so the list is the router's.
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            for endpoint in Endpoint.allCases {
                let r = try await client.send(endpoint.method, endpoint.path, token: fx.tokens["admin"], body: endpoint.method == .post ? "{}" : nil)
                #expect(r.status != .notFound, "\(endpoint.path) is not routed: \(r.text)")
            }
            let served = try await client.send(.get, "/openapi.yaml")
            #expect(served.status == .ok)
            #expect(served.text == text)
        }
    }

    /// `method path` of every operation under `paths:`, by a plain scan of the YAML's indentation.
    static func documentedOperations(_ yaml: String) -> Set<String> {
        var out: Set<String> = []
        var inPaths = false
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:" }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(method)) { out.insert("\(method) \(path)") }
            }
        }
        return out
    }

    // MARK: - Authentication

    @Test(arguments: BackendKind.all, [nil, "plb_" + String(repeating: "0", count: 64), "not-even-a-token", "Basic abc"])
    func requestsWithoutAValidTokenAre401(kind: BackendKind, token: String?) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            var headers: HTTPFields = [:]
            if let token { headers[.authorization] = token.hasPrefix("Basic") ? token : "Bearer \(token)" }
            for (method, uri) in [(HTTPRequest.Method.get, "/v1/me"), (.get, "/v1/sync/pull?after=0"), (.post, "/v1/sync/push")] {
                let r = try await client.executeRequest(uri: uri, method: method, headers: headers, body: ByteBuffer(string: "{}"))
                #expect(r.status == .unauthorized, "\(uri)")
                #expect(r.errorCode == "unauthorized")
            }
        }
    }

    @Test(arguments: BackendKind.all) func aRevokedTokenStopsWorkingAtOnceOnALiveService(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.live) { client in
            let before = try await client.send(.get, "/v1/me", token: fx.tokens["fac1"])
            #expect(before.status == .ok)
            #expect(before.json["device"]?.stringValue == "fac1")
            #expect(before.json["role"]?.stringValue == "facilitator")
            #expect(before.json["project"]?.stringValue == "p1")
            let revoked = try await fx.backend.revoke("fac1")
            #expect(revoked.revoked != nil)
            let after = try await client.send(.get, "/v1/me", token: fx.tokens["fac1"])
            #expect(after.status == .unauthorized)
            #expect(after.errorCode == "unauthorized")
            // Others are untouched.
            #expect(try await client.send(.get, "/v1/me", token: fx.tokens["fac2"]).status == .ok)
        }
    }

    @Test(arguments: BackendKind.all) func tokensAreStoredOnlyAsTheirHash(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let token = try #require(fx.tokens["fac1"])
        #expect(token.hasPrefix("plb_") && token.count == 68)
        var data = Data()
        if let pg = fx.backend as? PostgresBackend {
            for table in CentralTable.allCases { data += Data(try await pg.tableText(table).utf8) }
        } else {
            data =
                try Data(contentsOf: fx.dir.appendingPathComponent("central.sqlite"))
                + ((try? Data(contentsOf: fx.dir.appendingPathComponent("central.sqlite-wal"))) ?? Data())
        }
        #expect(data.range(of: Data(token.utf8)) == nil, "the plain token is in the database")
        #expect(data.range(of: Data(Token.hash(token).utf8)) != nil)
        #expect(try await fx.backend.authenticate(token: token)?.name == "fac1")
    }

    // MARK: - Roles and projects

    @Test(arguments: BackendKind.all) func anAnalystCannotPush(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let batch = Wire.PushRequest(batch: "b1", node: "a000000000000001", changes: [sessionChange(node: "a000000000000001", hlc: stampNow())])
            let r = try await client.push(batch, token: fx.tokens["analyst"])
            #expect(r.status == .forbidden)
            #expect(r.errorCode == "forbidden")
        }
        #expect(try await fx.changeCount() == 0)
    }

    @Test(arguments: BackendKind.all) func pushingIntoAnotherProjectIsRefusedWhole(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let node = "a000000000000001"
            let ours = sessionChange(node: node, hlc: stampNow(counter: 1))
            let theirs = sessionChange(node: node, hlc: stampNow(counter: 2), project: "p2")
            let r = try await client.push(Wire.PushRequest(batch: "b1", node: node, changes: [ours, theirs]), token: fx.tokens["fac1"])
            #expect(r.status == .forbidden)
            #expect(Wire.ErrorBody(text: r.text)?.message.contains("'p2'") == true)
            // An admin may write to any existing project, but not to one that does not exist.
            let admin = try await client.push(Wire.PushRequest(batch: "b2", node: "ad00000000000001", changes: [theirs]), token: fx.tokens["admin"])
            #expect(admin.status == .ok)
            let ghost = sessionChange(node: node, hlc: stampNow(counter: 3), project: "nowhere")
            let refused = try await client.push(Wire.PushRequest(batch: "b3", node: "ad00000000000001", changes: [ghost]), token: fx.tokens["admin"])
            #expect(refused.status == .forbidden)
        }
        #expect(try await fx.changeCount() == 1, "only the admin's change is in")
    }

    @Test(arguments: BackendKind.all) func aFacilitatorCannotReviewConflictsOrReadRecords(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            let conflicts = try await client.send(.get, "/v1/conflicts", token: fx.tokens["fac1"])
            #expect(conflicts.status == .forbidden)
            #expect(conflicts.errorCode == "forbidden")
            let resolve = #"{"record":"x","field":"title","action":"keep"}"#
            let resolved = try await client.send(.post, "/v1/conflicts/resolve", token: fx.tokens["fac1"], body: resolve)
            #expect(resolved.status == .forbidden)
            let records = try await client.send(.get, "/v1/records", token: fx.tokens["fac1"])
            #expect(records.status == .forbidden)
            let coordinator = try await client.send(.get, "/v1/conflicts", token: fx.tokens["coord"])
            #expect(coordinator.status == .ok)
        }
    }

    @Test(arguments: BackendKind.all) func devicesPullOnlyTheirProjectAndAnAdminNamesOne(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        try await fx.app().test(.router) { client in
            #expect(try await client.send(.get, "/v1/sync/pull?project=p2", token: fx.tokens["fac1"]).status == .forbidden)
            let unnamed = try await client.send(.get, "/v1/sync/pull", token: fx.tokens["admin"])
            #expect(unnamed.status == .badRequest)
            #expect(try await client.send(.get, "/v1/sync/pull?project=p2", token: fx.tokens["admin"]).status == .ok)
            #expect(try await client.send(.get, "/v1/sync/pull?project=zz", token: fx.tokens["admin"]).status == .notFound)
            let bad = try await client.send(.get, "/v1/sync/pull?after=minus-one", token: fx.tokens["fac1"])
            #expect(bad.status == .badRequest)
            #expect(Wire.ErrorBody(text: bad.text)?.message.contains("'after'") == true)
        }
    }
}
