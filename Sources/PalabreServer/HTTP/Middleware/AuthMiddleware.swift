import Foundation
import Hummingbird

/// Finds the device behind `Authorization: Bearer TOKEN`, asking the backend on every request (no cache), so a
/// revoked token stops working at once. No token, or an unknown or revoked one, is a 401.
struct AuthMiddleware: RouterMiddleware {
    let backend: any SyncBackend

    func handle(
        _ request: Request, context: PalabreRequestContext,
        next: (Request, PalabreRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw ServiceError.unauthorized("no token: send the device's token as Authorization: Bearer TOKEN")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw ServiceError.unauthorized("the Authorization header must read 'Bearer TOKEN'")
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard let device = try await backend.authenticate(token: token) else {
            throw ServiceError.unauthorized("the token is unknown or revoked: ask a coordinator to enrol this device again")
        }
        var context = context
        context.device = device
        return try await next(request, context)
    }
}
