/// What a device may do, granted by its role.
public enum Permission: String, Sendable, CaseIterable {
    /// Send changes (`POST /v1/sync/push`).
    case push
    /// Receive changes (`GET /v1/sync/pull`).
    case pull
    /// List and resolve conflicts (`/v1/conflicts`).
    case review
    /// Read the merged records (`GET /v1/records`).
    case readRecords = "read_records"
    /// Publish new versions of the project's forms (`POST /v1/forms`).
    case publishForms = "publish_forms"
}

/// A device's role: what its token lets it do, in its project (or, for an admin without one, in every project).
///
/// ```swift
/// Role.facilitator.allows(.push)   // true
/// Role.analyst.allows(.push)       // false
/// ```
public enum Role: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Captures in the field: pushes and pulls.
    case facilitator
    /// Also reviews conflicts and reads the merged records.
    case coordinator
    /// Reads only: pulls and reads the merged records, with sensitive fields masked.
    case analyst
    /// Does everything, in every project unless enrolled in one.
    case admin

    /// Whether this role grants a permission.
    public func allows(_ permission: Permission) -> Bool {
        switch (self, permission) {
        case (.admin, _): return true
        case (.coordinator, _): return true
        case (.facilitator, .push), (.facilitator, .pull): return true
        case (.analyst, .pull), (.analyst, .readRecords): return true
        default: return false
        }
    }

    /// Whether sensitive fields are masked for this role.
    public var masksSensitiveFields: Bool { self == .analyst }

    /// The roles a device may have, for messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public var description: String { rawValue }
}
