import Foundation
import Testing

extension SyncEndToEnd {
    @Suite("Contract")
    struct Contract {
        /// The service runs in a folder that holds no checkout (the sandbox), as an installed service does: its contract
        /// is built in, served at `/openapi.yaml`, and is `sync/openapi.yaml`.
        @Test func theServiceServesItsContractFromAFolderWithoutTheCheckout() throws {
            let box = try Sandbox()
            defer { box.remove() }
            let service = try Service(box)
            try service.start()
            defer { service.stop() }
            #expect(!FileManager.default.fileExists(atPath: box.path("sync/openapi.yaml")))
            let answer = try service.http("GET", "/openapi.yaml")
            let file = try String(contentsOf: E2E.repoRoot.appendingPathComponent("sync/openapi.yaml"), encoding: .utf8)
            #expect(answer.status == 200, "\(answer)")
            #expect(answer.body == file)
        }
    }
}
