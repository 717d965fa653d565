import Hummingbird
import Logging
import PalabreCore

/// Turns every error into a `Wire.ErrorBody` answer with the right status, in one place: domain refusals become 4xx
/// with their message, unreadable input 400, and anything unexpected a 500 that says nothing internal (and is logged).
struct ErrorMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: PalabreRequestContext,
        next: (Request, PalabreRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            // A path the service serves, asked with another method: 405 with the methods it takes, not 404.
            let allowed = Self.methods(serving: request.uri.path)
            guard !allowed.isEmpty else {
                let (status, body) = Self.render(error, logger: context.logger)
                return Response.json(body.serialized, status: status)
            }
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            var response = Response.json(
                Wire.ErrorBody(
                    message: "\(request.method.rawValue) is not served at \(request.uri.path): use \(names)",
                    code: "method_not_allowed"
                ).serialized, status: .methodNotAllowed)
            response.headers[.allow] = names
            return response
        } catch {
            let (status, body) = Self.render(error, logger: context.logger)
            return Response.json(body.serialized, status: status)
        }
    }

    /// The methods the service answers at a path (the API's endpoints and the dashboard's pages), or none.
    static func methods(serving path: String) -> [HTTPRequest.Method] {
        Endpoint.allCases.filter { $0.path == path }.map(\.method) + (Dashboard.routes[path] ?? [])
    }

    /// The status and body an error is answered with.
    static func render(_ error: any Error, logger: Logger) -> (HTTPResponse.Status, Wire.ErrorBody) {
        if let storage = ServiceError.storageFailure(error, logger: logger) { return (storage.status, storage.body) }
        switch error {
        case let e as ServiceError:
            return (e.status, e.body)
        case let e as Wire.Malformed:
            return (.badRequest, Wire.ErrorBody(message: e.message, code: "bad_request"))
        case let e as JSONError:
            return (.badRequest, Wire.ErrorBody(message: "the body is not valid JSON: \(e)", code: "bad_request"))
        case let e as HTTPError:
            return (e.status, Wire.ErrorBody(message: e.body ?? Self.phrase(e.status), code: Self.code(e.status)))
        case let e as any HTTPResponseError:
            return (e.status, Wire.ErrorBody(message: Self.phrase(e.status), code: Self.code(e.status)))
        case is CancellationError:
            return (.serviceUnavailable, Wire.ErrorBody(message: "the service is shutting down; try again later", code: "unavailable"))
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return (.internalServerError, Wire.ErrorBody(message: "the service failed unexpectedly; it has been logged", code: "internal"))
        }
    }

    /// The stable code of a bare status.
    static func code(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: return "bad_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 413: return "too_large"
        default: return "http_\(status.code)"
        }
    }

    /// A sentence for a bare status.
    static func phrase(_ status: HTTPResponse.Status) -> String {
        status.code == 404 ? "no such route (see GET /openapi.yaml)" : status.reasonPhrase
    }
}
