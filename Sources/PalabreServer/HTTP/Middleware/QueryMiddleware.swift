import Hummingbird

/// Refuses an API request that names a query parameter without a value (`?to=`, `?project=`): the contract gives each
/// parameter a type (a date, a project code) that an empty text is not, and reading it as absent would answer a
/// question the caller did not ask (all dates, the token's own project). The dashboard's own form, whose empty fields
/// mean "all", is not behind this.
struct QueryMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: PalabreRequestContext,
        next: (Request, PalabreRequestContext) async throws -> Response
    ) async throws -> Response {
        for (name, value) in request.uri.queryParameters where value.isEmpty {
            throw ServiceError.badRequest("query parameter '\(name.prefix(60))' is empty: give it a value or leave it out")
        }
        return try await next(request, context)
    }
}
