import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import PalabreCore

/// The router of the whole service: every ``Endpoint`` with its middleware.
///
/// Outermost first: the request log, gzip answers, errors rendered as `Wire.ErrorBody`; then, on routes that need a
/// token, bearer authentication and the request body (size limit, gzip).
public func buildRouter(
    configuration: ServerConfiguration, backend: any SyncBackend, metrics: ServiceMetrics = ServiceMetrics()
) -> Router<PalabreRequestContext> {
    let router = Router(context: PalabreRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: CompressionMiddleware())
    router.add(middleware: ErrorMiddleware())
    // The contract built into the binary, so it is served wherever the binary runs; a file only when one is named.
    let openAPI = configuration.openAPIPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? OpenAPIDocument.yaml
    let routes = Routes(backend: backend, configuration: configuration, openAPI: openAPI, metrics: metrics)
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
    if let token = configuration.metricsToken { addMetricsRoute(to: router, token: token, metrics: metrics, backend: backend) }
    return router
}

/// `GET /metrics`: the Prometheus text, to a scraper holding the metrics token (not a device's: a monitoring system
/// should not hold a key to the people's data). A wrong or missing token is 401.
func addMetricsRoute(to router: Router<PalabreRequestContext>, token: String, metrics: ServiceMetrics, backend: any SyncBackend) {
    let expected = Array("Bearer \(token)".utf8)
    router.get("/metrics") { request, _ -> Response in
        let given = Array((request.headers[.authorization] ?? "").utf8)
        // Compared in constant time: the answer's timing says nothing of how much of a guess was right.
        var difference = given.count ^ expected.count
        for i in 0..<min(given.count, expected.count) { difference |= Int(given[i] ^ expected[i]) }
        guard difference == 0 else {
            return Response(
                status: .unauthorized, headers: [.contentType: "application/json", .wwwAuthenticate: "Bearer"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: Wire.ErrorBody(message: "GET /metrics needs the metrics token (serve --metrics-token-file)", code: "unauthorized")
                            .serialized)))
        }
        if let bytes = try? await backend.databaseBytes() { metrics.databaseBytes.set(Double(bytes)) }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
    }
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
    let metrics = ServiceMetrics()
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [ConnectionCounter(metrics: metrics), IdleStateHandler(allTimeout: stalled), CloseWhenIdle()],
        idleTimeout: idle)
    return Application(
        router: buildRouter(configuration: configuration, backend: backend, metrics: metrics),
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
