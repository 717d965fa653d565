import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PalabreCore
import Prometheus

/// The service's figures in Prometheus's text format (`GET /metrics`, behind its own token): requests by route and
/// status, their latencies, open connections, pushes, changes applied, duplicates, conflicts, changes set aside, and
/// the database's size. One per application: no global metrics system, so tests build as many services as they like.
public final class ServiceMetrics: Sendable {
    /// Where the figures are kept, and emitted from.
    public let registry = PrometheusCollectorRegistry()
    let pushes: Counter
    let changesApplied: Counter
    let duplicates: Counter
    let conflicts: Counter
    let setAside: Counter
    let openConnections: Gauge
    let inFlight: Gauge
    let databaseBytes: Gauge
    /// Latency buckets: a sync on a 2G link takes seconds, a pull from the same room milliseconds.
    static let buckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    public init() {
        pushes = registry.makeCounter(name: "palabre_pushes_total", help: "Batches pushed by laptops and answered.")
        changesApplied = registry.makeCounter(name: "palabre_changes_applied_total", help: "Pushed changes applied to the merged records.")
        duplicates = registry.makeCounter(name: "palabre_changes_duplicate_total", help: "Pushed changes the service already had.")
        conflicts = registry.makeCounter(name: "palabre_conflicts_total", help: "Concurrent writes of one field met while applying pushes.")
        setAside = registry.makeCounter(name: "palabre_changes_set_aside_total", help: "Pushed changes set aside (refused or held), kept for review.")
        openConnections = registry.makeGauge(name: "palabre_open_connections", help: "HTTP connections open now.")
        inFlight = registry.makeGauge(name: "palabre_requests_in_flight", help: "Requests being answered now.")
        databaseBytes = registry.makeGauge(
            name: "palabre_database_bytes", help: "Size of the database (SQLite file and its log; PostgreSQL's database).")
    }

    /// A request answered.
    func request(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "palabre_http_requests_total", labels: [("method", method), ("route", route), ("status", "\(status)")],
            help: "HTTP requests answered, by route and status."
        ).increment()
        registry.makeDurationHistogram(
            name: "palabre_http_request_duration_seconds", labels: [("route", route)], buckets: Self.buckets,
            help: "Time to answer a request, by route."
        ).record(duration)
    }

    /// A push answered.
    func pushed(_ response: Wire.PushResponse) {
        pushes.increment()
        changesApplied.increment(by: Int64(response.applied))
        duplicates.increment(by: Int64(response.duplicates))
        conflicts.increment(by: Int64(response.conflicts))
        setAside.increment(by: Int64(response.setAside.count))
    }

    /// The text Prometheus scrapes.
    public func text() -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8192)
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Counts requests, their status and latency by route (the route's pattern, not the path, so ids do not make new
/// series), and those in flight.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        let method = request.method.rawValue
        do {
            let response = try await next(request, context)
            metrics.request(method: method, route: context.endpointPath ?? "unmatched", status: response.status.code, duration: .now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(method: method, route: context.endpointPath ?? "unmatched", status: status, duration: .now - started)
            throw error
        }
    }
}

/// Counts open connections: one more when a connection becomes active, one less when it closes.
final class ConnectionCounter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let metrics: ServiceMetrics
    /// Whether this connection was counted (it may be active already when the handler is added).
    private var counted = false

    init(metrics: ServiceMetrics) { self.metrics = metrics }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { count() }
    }

    func channelActive(context: ChannelHandlerContext) {
        count()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counted = false
            metrics.openConnections.decrement()
        }
        context.fireChannelInactive()
    }

    private func count() {
        guard !counted else { return }
        counted = true
        metrics.openConnections.increment()
    }
}
