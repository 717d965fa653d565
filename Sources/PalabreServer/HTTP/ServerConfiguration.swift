import NIOCore

/// How the HTTP service listens and what it accepts. Storage settings (the database, the forms, the clock bound)
/// belong to the backend.
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String
    /// The port; 0 picks a free one (see `buildApplication`'s `onServerRunning`).
    public var port: Int
    /// The largest request body accepted, after decompression (bytes).
    public var maxBodyBytes: Int
    /// Changes per pull page when the request does not say.
    public var defaultPullLimit: Int
    /// The most changes one pull page may hold.
    public var maxPullLimit: Int
    /// How long a connection may stay open without sending a complete request head (before its first request or between
    /// two): half-sent headers and forgotten keep-alive connections are closed after it.
    public var idleTimeout: TimeAmount = .seconds(30)
    /// How long nothing may be read or written on a connection while it is in use (a body trickled, a reader stalled).
    public var stalledTimeout: TimeAmount = .seconds(60)
    /// The most changes one pushed batch may hold (the protocol's 500): a batch is one write transaction.
    public var maxBatchChanges = 500
    /// A contract file to serve at `GET /openapi.yaml` instead of the one built in (``OpenAPIDocument``), if any.
    public var openAPIPath: String?
    /// Analysts never see a count of fewer people than this in indicators and the dashboard
    /// (``Indicators/withholdingSmallCells(below:)``); 1 or less shows every count.
    public var smallCells = 5
    /// The bearer token Prometheus scrapes `GET /metrics` with; nil: no `/metrics` at all (404).
    public var metricsToken: String?

    /// Builds a configuration; every setting has the service's default.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 << 20, defaultPullLimit: Int = 500,
        maxPullLimit: Int = 5000, openAPIPath: String? = nil
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.defaultPullLimit = defaultPullLimit
        self.maxPullLimit = maxPullLimit
        self.openAPIPath = openAPIPath
    }
}
