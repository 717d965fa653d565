import Foundation

/// A project: the scope of records, devices and changes.
public struct Project: Hashable, Sendable {
    /// The short code records carry (`vestibules-gao`).
    public var code: String
    /// A name for people.
    public var name: String
    /// When it was created.
    public var created: Date

    /// Builds one.
    public init(code: String, name: String, created: Date) {
        self.code = code
        self.name = name
        self.created = created
    }
}

/// An enrolled device (a laptop, or a person's access), identified by its token.
public struct Device: Hashable, Sendable {
    /// A UUID, chosen at enrolment.
    public var id: String
    /// A unique name (`bara-laptop`), used in logs and as the origin of what it sends.
    public var name: String
    /// Its project; nil only for an admin of every project.
    public var project: String?
    /// What it may do.
    public var role: Role
    /// When it was enrolled.
    public var created: Date
    /// When its token was revoked, if it was.
    public var revoked: Date?
    /// When it was last heard from.
    public var lastSeen: Date?
    /// The forms it last received (`followup 2, session 1`: each form's latest version), and when.
    public var formsHeld: String?
    public var formsReceived: Date?

    /// Builds one.
    public init(
        id: String, name: String, project: String?, role: Role, created: Date, revoked: Date? = nil, lastSeen: Date? = nil,
        formsHeld: String? = nil, formsReceived: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.project = project
        self.role = role
        self.created = created
        self.revoked = revoked
        self.lastSeen = lastSeen
        self.formsHeld = formsHeld
        self.formsReceived = formsReceived
    }

    /// Whether the device may act in a project: its own, or any for an admin without one.
    public func canAccess(project code: String) -> Bool { project == nil ? role == .admin : project == code }
}

/// A new device and its token, which is shown this once and stored only as a hash.
public struct Enrollment: Sendable {
    /// The device.
    public var device: Device
    /// The bearer token (`plb_` and 64 hex digits).
    public var token: String
}
