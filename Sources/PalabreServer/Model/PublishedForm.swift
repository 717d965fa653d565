import Foundation

/// One version of one form of a project, as the service keeps it: its definition as published (YAML text), when and
/// by whom. Versions are never changed or removed: every record keeps the version it was captured with.
public struct PublishedForm: Sendable, Equatable {
    public var project: String
    public var name: String
    public var version: Int
    /// The definition, as the file published held it.
    public var source: String
    /// When, as the service's clock said (ISO 8601).
    public var published: String
    /// Who: a device's name, `palabre-server` (the command), or `shipped` for the forms a project started with.
    public var by: String

    public init(project: String, name: String, version: Int, source: String, published: String, by: String) {
        self.project = project
        self.name = name
        self.version = version
        self.source = source
        self.published = published
        self.by = by
    }
}
