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
    /// The contract served at `GET /openapi.yaml`, if found.
    public var openAPIPath: String?

    /// Builds a configuration; every setting has the service's default.
    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 << 20, defaultPullLimit: Int = 500,
                maxPullLimit: Int = 5000, openAPIPath: String? = nil) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.defaultPullLimit = defaultPullLimit
        self.maxPullLimit = maxPullLimit
        self.openAPIPath = openAPIPath
    }
}
