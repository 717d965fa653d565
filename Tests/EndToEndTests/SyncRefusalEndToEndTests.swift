import Foundation
import Testing

/// What the service refuses over HTTP, and how: the status, a JSON error body, and the service still up.
extension SyncEndToEnd {
    /// A service with projects `p` and `q`, a facilitator of `p` and coordinators of both.
    struct Refusals {
        let box: Sandbox
        let service: Service
        let facilitator: String
        let coordinatorP: String
        let coordinatorQ: String

        init(_ box: Sandbox, serveOptions: [String] = []) throws {
            self.box = box
            service = try Service(box, serveOptions: serveOptions)
            try service.createProject("p")
            try service.createProject("q")
            facilitator = try service.enroll("facilitator-p", role: "facilitator", project: "p")
            coordinatorP = try service.enroll("coordinator-p", role: "coordinator", project: "p")
            coordinatorQ = try service.enroll("coordinator-q", role: "coordinator", project: "q")
            try service.start()
        }

        /// Whether a record of the project is on the service (through a coordinator).
        func holds(_ record: String, project: String = "p") throws -> Bool {
            try ids(service.records(token: project == "p" ? coordinatorP : coordinatorQ)).contains(record)
        }

        /// The refusal is an error body with this code and a message, and the service still answers.
        func expectRefusal(_ answer: HTTPAnswer, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(answer.status == status, "\(answer)", sourceLocation: sourceLocation)
            #expect(answer.errorCode == code, "\(answer)", sourceLocation: sourceLocation)
            #expect(answer.errorMessage?.isEmpty == false, "a refusal says why: \(answer)", sourceLocation: sourceLocation)
            #expect(try service.http("GET", "/healthz").status == 200, "the service must still answer", sourceLocation: sourceLocation)
        }
    }

    @Suite("Authorization")
    struct Authorization {
        @Test func aRequestWithNoTokenOrAnUnknownOneIs401() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let fx = try Refusals(box)
            defer { fx.service.stop() }
            let change = sessionChange(project: "p")
            try fx.expectRefusal(try fx.service.http("GET", "/v1/sync/pull"), 401, "unauthorized")
            try fx.expectRefusal(try fx.service.http("POST", "/v1/sync/push", body: pushBody([change])), 401, "unauthorized")
            let unknown = "plb_" + String(repeating: "0", count: 64)
            try fx.expectRefusal(try fx.service.http("GET", "/v1/sync/pull", token: unknown), 401, "unauthorized")
            try fx.expectRefusal(try fx.service.http("POST", "/v1/sync/push", token: unknown, body: pushBody([change])), 401, "unauthorized")
            try fx.expectRefusal(try fx.service.http("GET", "/v1/me", headers: ["Authorization: Basic dXNlcjpwYXNz"]), 401, "unauthorized")
            // The same requests with a real token go through, so the 401s were the token's.
            #expect(try fx.service.http("GET", "/v1/sync/pull", token: fx.facilitator).status == 200)
        }

        @Test func aTokenRevokedWhileTheServiceRunsIs401AtOnceAndSyncExits77() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let fx = try Refusals(box)
            defer { fx.service.stop() }
            let token = try fx.service.enroll("bara-laptop", role: "facilitator", project: "p")
            let laptop = Laptop(box, "bara")
            try laptop.setUp(project: "p", url: fx.service.url, token: token)
            _ = try laptop.addSession("Avant la révocation")
            try laptop.syncOK()
            #expect(try fx.service.http("GET", "/v1/me", token: token).status == 200)

            let revoked = try fx.service.admin(["revoke", "bara-laptop"])
            #expect(revoked.status == 0, "\(revoked)")
            try #require(fx.service.isRunning)
            try fx.expectRefusal(try fx.service.http("GET", "/v1/me", token: token), 401, "unauthorized")
            try fx.expectRefusal(try fx.service.http("GET", "/v1/sync/pull", token: token), 401, "unauthorized")

            _ = try laptop.addSession("Après la révocation")
            let r = try laptop.sync()
            #expect(r.status == 77, "\(r)")
            #expect(r.stderr.contains("refused the token"), "\(r)")
            #expect(try laptop.unsent() == 1, "the change stays queued")
        }

        @Test func anAnalystPushingIs403AndNothingIsApplied() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let fx = try Refusals(box)
            defer { fx.service.stop() }
            let analyst = try fx.service.enroll("analyst-p", role: "analyst", project: "p")
            let record = UUID().uuidString.lowercased()
            let body = pushBody([sessionChange(record: record, project: "p")], batch: "analyst-1")
            try fx.expectRefusal(try fx.service.http("POST", "/v1/sync/push", token: analyst, body: body), 403, "forbidden")
            #expect(try !fx.holds(record))
            // The analyst may pull, and the body was good: a facilitator's push of it applies.
            #expect(try fx.service.http("GET", "/v1/sync/pull", token: analyst).status == 200)
            let accepted = try fx.service.http("POST", "/v1/sync/push", token: fx.facilitator, body: body)
            #expect(accepted.status == 200 && (accepted.object?["applied"] as? NSNumber)?.intValue == 1, "\(accepted)")
            #expect(try fx.holds(record))
        }

        @Test func aFacilitatorOfPPullingProjectQIs403() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let fx = try Refusals(box)
            defer { fx.service.stop() }
            try fx.expectRefusal(try fx.service.http("GET", "/v1/sync/pull?project=q", token: fx.facilitator), 403, "forbidden")
            try fx.expectRefusal(try fx.service.http("GET", "/v1/records?project=q", token: fx.facilitator), 403, "forbidden")
            #expect(try fx.service.http("GET", "/v1/sync/pull?project=p", token: fx.facilitator).status == 200)
        }

        @Test func aFacilitatorOfPPushingAChangeOfProjectQIs403AndNothingOfTheBatchIsApplied() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let fx = try Refusals(box)
            defer { fx.service.stop() }
            let inP = UUID().uuidString.lowercased()
            let inQ = UUID().uuidString.lowercased()
            let onlyQ = pushBody([sessionChange(record: inQ, project: "q")], batch: "q-only")
            try fx.expectRefusal(try fx.service.http("POST", "/v1/sync/push", token: fx.facilitator, body: onlyQ), 403, "forbidden")
            let mixed = pushBody([sessionChange(record: inP, project: "p"), sessionChange(record: inQ, project: "q")], batch: "p-and-q")
            try fx.expectRefusal(try fx.service.http("POST", "/v1/sync/push", token: fx.facilitator, body: mixed), 403, "forbidden")
            #expect(try !fx.holds(inQ, project: "q"))
            #expect(try !fx.holds(inP), "a refused batch applies nothing, not even its change of project p")
        }

        @Test func aFacilitatorListingConflictsIs403() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let fx = try Refusals(box)
            defer { fx.service.stop() }
            try fx.expectRefusal(try fx.service.http("GET", "/v1/conflicts", token: fx.facilitator), 403, "forbidden")
            #expect(try fx.service.http("GET", "/v1/conflicts", token: fx.coordinatorP).status == 200)
        }
    }

    @Suite("Bad bodies")
    struct BadBodies {
        /// A bad request and the refusal it must get.
        struct Case: CustomTestStringConvertible, Sendable {
            var name: String
            var method = "POST"
            var path = "/v1/sync/push"
            var serveOptions: [String] = []
            var status: Int
            var code: String
            var headers: [String] = []
            var body: @Sendable (Sandbox) throws -> Data?

            var testDescription: String { name }
        }

        static let cases: [Case] = [
            Case(name: "malformed JSON", status: 400, code: "bad_request") { _ in Data(#"{"batch":"b1","node":"#.utf8) },
            Case(name: "truncated gzip", status: 400, code: "bad_request", headers: ["Content-Encoding: gzip"]) { box in
                let whole = try gzipped(pushBody((0..<50).map { sessionChange(project: "p", title: "Session \($0)") }), in: box)
                return whole.prefix(whole.count / 2)
            },
            Case(name: "gzip announced, not gzip", status: 400, code: "bad_request", headers: ["Content-Encoding: gzip"]) { _ in
                pushBody([sessionChange(project: "p")])
            },
            Case(name: "oversized body", serveOptions: ["--max-body-mb", "1"], status: 413, code: "too_large") { _ in
                Data((#"{"batch":"big","node":"00c0ffee00c0ffee","changes":[],"pad":""# + String(repeating: "a", count: 3 << 20) + "\"}").utf8)
            },
            Case(
                name: "gzip that inflates over the cap", serveOptions: ["--max-body-mb", "1"], status: 413, code: "too_large",
                headers: ["Content-Encoding: gzip"]
            ) { box in
                try gzipped(
                    Data((#"{"batch":"big","node":"00c0ffee00c0ffee","changes":[],"pad":""# + String(repeating: "a", count: 3 << 20) + "\"}").utf8),
                    in: box)
            },
            Case(name: "wrong types", status: 400, code: "bad_request") { _ in Data(#"{"batch":1,"node":"x","changes":"no"}"#.utf8) },
            Case(name: "a change missing its members", status: 400, code: "bad_request") { _ in
                pushBody([#"{"record":"0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e","form":"session"}"#])
            },
            Case(name: "empty body", status: 400, code: "bad_request") { _ in Data() },
            Case(name: "unknown route", method: "GET", path: "/v1/no-such-route", status: 404, code: "not_found") { _ in nil },
            Case(name: "pull with a bad cursor", method: "GET", path: "/v1/sync/pull?after=minus-one", status: 400, code: "bad_request") { _ in nil },
        ]

        @Test(arguments: cases)
        func aBadRequestIsRefusedWith4xxAndAJSONErrorAndTheServiceStaysUp(_ c: Case) throws {
            let box = try Sandbox()
            defer { box.remove() }
            let fx = try Refusals(box, serveOptions: c.serveOptions)
            defer { fx.service.stop() }
            let answer = try fx.service.http(c.method, c.path, token: fx.facilitator, body: try c.body(box), headers: c.headers)
            try fx.expectRefusal(answer, c.status, c.code)
            #expect(fx.service.isRunning)
            #expect(!fx.service.log.contains("status=5"), "no request may be answered 5xx: \(fx.service.log.suffix(2000))")
            // Nothing of a refused body was applied.
            #expect(try fx.service.count("select count(*) from changes") == 0)
        }

        /// PROTOCOL.md: "one bad change does not block the queue": a change the service cannot accept is set aside and
        /// listed in `set_aside`, the rest applies. A refusal of the whole body (400) is accepted too; a 5xx is not.
        @Test func aChangeWithARecordIdThatIsNotAUUIDIsSetAsideOrRefusedNeverApplied() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let fx = try Refusals(box)
            defer { fx.service.stop() }
            let good = UUID().uuidString.lowercased()
            let body = pushBody([sessionChange(record: "not-a-uuid", project: "p"), sessionChange(record: good, project: "p")])
            let answer = try fx.service.http("POST", "/v1/sync/push", token: fx.facilitator, body: body)
            #expect((400..<500).contains(answer.status) || answer.status == 200, "\(answer)")
            if answer.status == 200 {
                let setAside = answer.object?["set_aside"] as? [[String: Any]] ?? []
                #expect(setAside.map { $0["record"] as? String } == ["not-a-uuid"], "\(answer)")
                #expect((setAside.first?["reason"] as? String)?.contains("not-a-uuid") == true, "the reason names the id: \(answer)")
                #expect((answer.object?["applied"] as? NSNumber)?.intValue == 1, "the good change still applies: \(answer)")
                #expect(try fx.holds(good))
            } else {
                #expect(answer.errorCode == "bad_request", "\(answer)")
            }
            #expect(try fx.service.count("select count(*) from changes where record_id = 'not-a-uuid'") == 0)
            #expect(try fx.service.http("GET", "/healthz").status == 200)
            #expect(!fx.service.log.contains("status=5"), "\(fx.service.log.suffix(2000))")
        }
    }
}
