import Foundation
import Hummingbird
import PalabreCore

/// The handlers, one per ``Endpoint``, sharing the backend and the configuration.
struct Routes: Sendable {
    let backend: any SyncBackend
    let configuration: ServerConfiguration
    /// The contract's text, read once at start.
    let openAPI: String?
    /// The figures `GET /metrics` gives.
    let metrics: ServiceMetrics

    /// Answers a request to an endpoint; the device's token, when needed, was checked by ``AuthMiddleware``.
    func respond(to endpoint: Endpoint, _ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        switch endpoint {
        case .health: return health()
        case .openAPI: return try contract()
        case .me: return try me(context)
        case .push: return try await push(request, context)
        case .pull: return try await pull(request, context)
        case .forms: return try await forms(request, context)
        case .publishForms: return try await publishForms(request, context)
        case .setAside: return try await setAside(request, context, retry: false)
        case .retrySetAside: return try await setAside(request, context, retry: true)
        case .conflicts: return try await conflicts(request, context)
        case .resolve: return try await resolve(request, context)
        case .records: return try await records(request, context)
        case .export: return try await export(request, context)
        case .indicators: return try await indicators(request, context)
        }
    }

    /// Parses a JSON object body, naming what is wrong.
    func jsonObject(_ request: Request, what: String) async throws -> JSON {
        let text = try await request.text(maxBytes: configuration.maxBodyBytes)
        let json: JSON
        do {
            json = try JSON.parse(text)
        } catch {
            throw ServiceError.badRequest("the \(what) body is not valid JSON: \(error)")
        }
        guard case .object = json else { throw ServiceError.badRequest("the \(what) body must be a JSON object") }
        return json
    }
}
