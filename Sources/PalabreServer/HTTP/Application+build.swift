import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The router of the whole service: every ``Endpoint`` with its middleware.
///
/// Outermost first: the request log, gzip answers, errors rendered as `Wire.ErrorBody`; then, on routes that need a
/// token, bearer authentication and the request body (size limit, gzip).
public func buildRouter(configuration: ServerConfiguration, backend: any SyncBackend) -> Router<PalabreRequestContext> {
    let router = Router(context: PalabreRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: CompressionMiddleware())
    router.add(middleware: ErrorMiddleware())
    // The contract built into the binary, so it is served wherever the binary runs; a file only when one is named.
    let openAPI = configuration.openAPIPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? OpenAPIDocument.yaml
    let routes = Routes(backend: backend, configuration: configuration, openAPI: openAPI)
    let authenticated = router.group()
        .add(middleware: AuthMiddleware(backend: backend))
        .add(middleware: QueryMiddleware())
        .add(middleware: RequestBodyMiddleware(maxBytes: configuration.maxBodyBytes))
    for endpoint in Endpoint.allCases {
        let handler: @Sendable (Request, PalabreRequestContext) async throws -> Response = { request, context in
            try await routes.respond(to: endpoint, request, context)
        }
        if endpoint.needsToken {
            authenticated.on(RouterPath(endpoint.path), method: endpoint.method, use: handler)
        } else {
            router.on(RouterPath(endpoint.path), method: endpoint.method, use: handler)
        }
    }
    addDashboardRoutes(to: router, configuration: configuration, backend: backend)
    return router
}

/// Builds the central service: give it a configuration and a backend, then run it.
///
/// No global state: tests build one on a temporary database and call `app.test(.router)`, or `.live` for a real
/// socket on a free port.
///
/// ```swift
/// let backend = try SQLiteBackend(path: "palabre-central.sqlite", forms: forms)
/// let app = buildApplication(configuration: ServerConfiguration(port: 8080), backend: backend)
/// try await app.runService()   // stops gracefully on SIGTERM or SIGINT: requests in flight finish first
/// ```
///
/// - Parameters:
///   - configuration: where to listen and what to accept.
///   - backend: the storage.
///   - logger: the service's logger (one line per request, refusals, copied stores).
///   - onServerRunning: called once listening, with the port (useful with port 0).
public func buildApplication(
    configuration: ServerConfiguration, backend: any SyncBackend,
    logger: Logger = Logger(label: "palabre.server"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
)
    -> Application<RouterResponder<PalabreRequestContext>>
{
    // Slow or silent clients are cut off: a connection that sends no complete request head within the idle timeout (a
    // half-sent header, a kept-alive connection left open), or on which nothing is read or written for the request
    // timeout (a body trickled byte by byte, a client that stopped reading), is closed.
    let idle = configuration.idleTimeout, stalled = configuration.stalledTimeout
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [IdleStateHandler(allTimeout: stalled), CloseWhenIdle()],
        idleTimeout: idle)
    return Application(
        router: buildRouter(configuration: configuration, backend: backend),
        server: .http1(configuration: http1),
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "palabre"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// Closes a connection when NIO's `IdleStateHandler` says nothing moved on it for the stalled timeout.
final class CloseWhenIdle: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
