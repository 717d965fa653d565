import Foundation
import PalabreCore
import PalabreStore

/// A page of the change log, as the service stores it: change bodies already serialised.
public struct PullPage: Equatable, Sendable {
    /// The changes' JSON texts, in log order.
    public var changeTexts: [String]
    /// The cursor to ask after next time (past every row looked at, including skipped ones).
    public var next: Int64
    /// Whether more changes wait after `next`.
    public var more: Bool
    /// The service's clock, milliseconds since 1970.
    public var serverTime: Int64
    /// Names of the devices whose nodes wrote the changes (filled in by the route).
    public var devices: [String: String] = [:]
    /// The nodes that wrote the changes.
    public var nodes: Set<String> = []
    /// The change log's identity (filled in by the route).
    public var log: String?

    /// Builds one.
    public init(changeTexts: [String], next: Int64, more: Bool, serverTime: Int64) {
        self.changeTexts = changeTexts
        self.next = next
        self.more = more
        self.serverTime = serverTime
    }

    /// The `Wire.PullResponse` JSON text.
    public var serialized: String {
        Wire.PullResponse.serialized(changeTexts: changeTexts, next: next, more: more, serverTime: serverTime, devices: devices, log: log)
    }
}

/// Where the central service keeps projects, devices, the merged records and the change log.
///
/// Every method is one transaction: a push is applied whole or not at all. ``SQLiteBackend`` is the
/// embedded implementation; a PostgreSQL one must keep the same promises (notably, a pull cursor never skips
/// a change that commits later with a lower sequence number).
///
/// It keeps the dashboard's sign-in sessions too (``DashboardSessionStore``), in the database, never in an instance.
///
/// Methods that act for a device trust that the caller checked the device's role (the HTTP layer does);
/// they check projects themselves.
public protocol SyncBackend: DashboardSessionStore {
    /// The forms incoming changes are checked against.
    var forms: FormCatalog { get }

    /// The service's clock, milliseconds since 1970.
    func serverTime() -> Int64

    /// How far ahead of the service's clock a change's stamp may be before its batch is refused.
    var maxClockAhead: Duration { get }

    // MARK: Sync

    /// Applies a batch from a device in one transaction and answers it; the same `(node, batch)` always gets the
    /// same answer, and a replay writes nothing.
    ///
    /// - Throws: ``ServiceError/forbidden(_:)`` when a change is for a project the device may not write to,
    ///   ``ServiceError/clockAhead(message:serverTime:maxAheadMs:)`` when a stamp is too far ahead of the service's
    ///   clock; nothing is written then.
    func push(_ request: Wire.PushRequest, from device: Device) async throws -> Wire.PushResponse

    /// The changes of a project after a cursor, in log order, at most `limit`; changes written by `excludingNode`
    /// are skipped (their writer has them) but `next` moves past them.
    func pull(project: String, after cursor: Int64, limit: Int, excludingNode: String?) async throws -> PullPage

    // MARK: Review

    /// Open conflicts of a project, oldest first.
    func conflicts(project: String) async throws -> [OpenConflict]

    /// Closes the open conflicts on a record's field: keep the current value, or restore the losing one (a new
    /// write by the service, which every device then pulls).
    ///
    /// - Throws: ``ServiceError/notFound(_:)`` when the record is not in the project or has no open conflict there.
    func resolve(project: String, record: String, field: String, action: ResolveAction) async throws

    /// The change log's identity: made once, at random; ``renewLogEpoch()`` gives a restored database a new one.
    func logEpoch() async throws -> String

    /// Gives the change log a new identity (after a restore): laptops then send and receive everything again.
    func renewLogEpoch() async throws -> String

    /// How many bytes the database takes (SQLite: the file and its write-ahead log; PostgreSQL: the database).
    func databaseBytes() async throws -> Int64

    /// The names of the project's devices that wrote from these nodes (node → device name; unknown nodes left out).
    func deviceNames(project: String, nodes: Set<String>) async throws -> [String: String]

    /// Erases a record's identifying values (its form's sensitive and contact fields) from the merged record, its
    /// history, the change log, what is set aside and the stored answers to batches, with a write by the service that
    /// every device then pulls and that wins over every write of those fields. Returns the fields erased.
    ///
    /// - Throws: ``ServiceError/notFound(_:)`` when the record is not in the project, ``ServiceError/badRequest(_:)``
    ///   when its form has no identifying field or `by` is empty.
    func erase(project: String, record: String, by: String) async throws -> [String]

    /// Erases as ``erase(project:record:by:)`` unless every identifying field is erased already (by a person, or by a
    /// sweep running at the same time in another process or instance), checked in the erasing transaction; returns
    /// the fields erased, none when it did nothing.
    func eraseUnlessErased(project: String, record: String, by: String) async throws -> [String]

    /// Sets how many days a project keeps identifying values before ``sweepRetention(project:dryRun:)`` erases them;
    /// 0 keeps them for ever.
    ///
    /// - Throws: ``ServiceError/notFound(_:)`` for an unknown project, ``ServiceError/badRequest(_:)`` for a period
    ///   out of range or an empty `by`.
    func setRetention(project: String, days: Int, by: String) async throws

    /// The retention periods set, by project (a project never set keeps its values for ever).
    func retentionPolicies() async throws -> [RetentionPolicy]

    /// Notes, at `now`, the arrival of every record of the project not noted yet, whatever its form (on the project's
    /// first sweep, at its creation, no earlier than the first time the service heard from the node that created it,
    /// or than `projectCreated` when that is unknown, and no later than `now`), then returns the records of these
    /// forms not yet done whose period started (the later of arrival and creation, milliseconds) before `cutoff`
    /// (none when `cutoff` is `Int64.min`). One transaction.
    func retentionDue(project: String, forms: [String], now: Int64, projectCreated: Int64, cutoff: Int64) async throws -> [RetentionDue]

    /// Marks records as done with retention (their identifying values are erased).
    func retentionDone(_ ids: [String]) async throws

    /// Lets a device hold by name the people of a record (a session) it did not capture (need to know).
    ///
    /// - Throws: ``ServiceError/notFound(_:)`` for a record not in the project or a device not of it.
    func assign(project: String, record: String, device: String, by: String) async throws

    /// Of these records, their creating node and current values (need to know looks at who made them and what they
    /// refer to).
    func origins(of ids: [String]) async throws -> [String: (node: String, values: [String: Value])]

    /// The nodes a device pushed from, and the records assigned to it.
    func reach(of deviceID: String) async throws -> (nodes: Set<String>, assigned: Set<String>)

    /// The live (not deleted) records of a project, of one form or all, oldest first.
    func records(project: String, form: String?) async throws -> [LiveRecord]

    /// Where the secret behind analysts' pseudonyms is kept: the database, or a key file (``PseudonymSecret``).
    var pseudonymSecret: PseudonymSecret { get }

    /// Checks the pseudonym key file, moving the database's secret into it the first time, before the service answers.
    func preparePseudonymSecret() async throws

    /// Writes an export to a temporary file or folder and logs it; sensitive fields pseudonymised for analysts.
    func export(_ request: ExportRequest, for device: Device) async throws -> String

    // MARK: Administration

    /// Creates a project.
    ///
    /// - Throws: ``ServiceError/alreadyExists(_:)``, ``ServiceError/badRequest(_:)`` for a bad code.
    func createProject(code: String, name: String) async throws -> Project

    /// The project with this code, or nil.
    func project(_ code: String) async throws -> Project?

    /// Every project, by code.
    func projects() async throws -> [Project]

    /// Enrols a device and returns its token, the only time it is visible (only its hash is kept).
    ///
    /// - Parameter project: required except for an admin, whom nil lets act in every project.
    /// - Throws: ``ServiceError/notFound(_:)`` for an unknown project, ``ServiceError/alreadyExists(_:)`` for a
    ///   name in use, ``ServiceError/badRequest(_:)`` for an empty name or a missing project.
    func enroll(name: String, project: String?, role: Role) async throws -> Enrollment

    /// Every device, oldest first, revoked ones included.
    func devices() async throws -> [Device]

    /// Revokes a device by name or id; its token stops working at once.
    ///
    /// - Throws: ``ServiceError/notFound(_:)`` when no device has this name or id.
    func revoke(_ nameOrID: String) async throws -> Device

    /// The device holding this token, or nil when the token is unknown or revoked. Checked on every request.
    func authenticate(token: String) async throws -> Device?

    /// Every export made through the service, newest first: who took which data, and whether pseudonymised.
    func exportLog() async throws -> [ExportLogEntry]

    /// Every version of a project's forms as stored, by name then version (none for a project that never had any).
    func storedForms(project: String) async throws -> [PublishedForm]

    /// Notes which forms a device received (`followup 2, session 1`) and when.
    func recordFormsHeld(deviceID: String, held: String, at date: Date) async throws

    /// Every change the service set aside, oldest first (see ``retrySetAside(ids:formSets:)``).
    func setAsideRecords() async throws -> [SetAsideRecord]

    /// Tries set-aside changes again in one transaction, exactly as a push checks them: each one that applies now (or
    /// was applied meanwhile) leaves the table and goes into the change log; each other keeps its place and first
    /// date, with the new reason.
    func retrySetAside(ids: [Int64], formSets: FormSets) async throws -> ApplyOutcome

    /// How many form versions a project has (they are never removed, so a publish always raises it).
    func storedFormCount(project: String) async throws -> Int

    /// The compiled forms of each project, kept by this instance while no version is added.
    var formCache: FormCache { get }

    /// Adds form versions, all or none, in one transaction.
    ///
    /// - Throws: ``ServiceError/alreadyExists(_:)`` when one of these versions was stored meanwhile.
    func storeForms(_ forms: [PublishedForm]) async throws
}

extension SyncBackend {
    /// The indicators of a project's merged records: computed by Core from the live records, the same on both backends.
    public func indicators(project: String, filter: Indicators.Filter, today: String) async throws -> Indicators {
        let records = try await self.records(project: project, form: nil)
        // Which fields feed which indicator, as the project's forms declare it.
        let map = IndicatorMap.declared(by: try await projectForms(project).current)
        return Indicators(records: records.map { (form: $0.form, id: $0.id, values: $0.values) }, map: map, filter: filter, today: today)
    }

    /// ``maxClockAhead`` in milliseconds.
    var maxAheadMs: Int64 {
        let c = maxClockAhead.components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }
}
