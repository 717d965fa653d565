import Hummingbird
import PalabreCore

extension Routes {
    /// `GET /healthz`.
    func health() -> Response { .json(#"{"status":"ok"}"#) }

    /// `GET /openapi.yaml`.
    func contract() throws -> Response {
        guard let openAPI else {
            throw ServiceError.notFound("the contract (sync/openapi.yaml) was not found beside this service")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: openAPI)))
    }

    /// `GET /v1/me`: `{"device","id","project","role","server_time"}`.
    func me(_ context: PalabreRequestContext) throws -> Response {
        guard let device = context.device else { throw ServiceError.unauthorized("no token") }
        return .json(
            .object([
                ("device", .string(device.name)), ("id", .string(device.id)), ("project", device.project.map(JSON.string) ?? .null),
                ("role", .string(device.role.rawValue)), ("server_time", .number(String(backend.serverTime()))),
            ]))
    }
}
