import Foundation
import PalabreCore
import PalabreStore

/// How long a project keeps the identifying values (sensitive and contact fields) of its records.
public struct RetentionPolicy: Equatable, Sendable {
    /// The project's code.
    public var project: String
    /// Days a record keeps its identifying values after it reached the service; 0 keeps them for ever.
    public var days: Int
    /// When and by whom it was last set (nil when never set).
    public var setAt: Date?
    public var setBy: String?

    /// Builds one.
    public init(project: String, days: Int, setAt: Date? = nil, setBy: String? = nil) {
        self.project = project
        self.days = days
        self.setAt = setAt
        self.setBy = setBy
    }

    /// The longest period accepted: a hundred years.
    public static let maxDays = 36_500

    /// What the erasure's tombstone says erased the values (`_erased_by`).
    public var erasedBy: String { "retention (\(days) days)" }
}

/// One record whose retention period is over (see ``SyncBackend/retentionDue(project:forms:now:projectCreated:cutoff:)``).
public struct RetentionDue: Sendable {
    public var id: String
    public var form: String
    public var values: [String: Value]

    /// Builds one.
    public init(id: String, form: String, values: [String: Value]) {
        self.id = id
        self.form = form
        self.values = values
    }
}

/// What one sweep did in one project.
public struct RetentionSweep: Sendable {
    /// The project and its period (0: none).
    public var project: String
    public var days: Int
    /// Records erased now (or, in a dry run, that would be).
    public var erased: [String] = []
    /// Records whose erasure failed, with why; they are tried again at the next sweep.
    public var failed: [(id: String, reason: String)] = []
}

extension SyncBackend {
    /// Erases the identifying values of every record whose project's retention period is over, through
    /// ``erase(project:record:by:)`` (so the tombstone reaches every laptop at its next sync), and notes when records
    /// newly arrived, which starts their period.
    ///
    /// A record's period starts when it reached the service (as a sweep first noticed it, whatever its form), or when
    /// it was created if that is later: a laptop whose clock is years behind (a flat clock battery) cannot make the
    /// service erase a name captured today. Records already there when the service first watched a project (a
    /// database upgraded from before retention) start at their creation, but no earlier than the first time the
    /// service heard from the laptop that created them. The service runs a sweep at start and every hour
    /// (`palabre-server serve --retention-sweep-minutes`); `palabre-server erase --expired` runs one now. Sweeps
    /// running at once (the service and the command, or two instances) erase a record once.
    ///
    /// - Parameters:
    ///   - only: one project, or every project.
    ///   - dryRun: find the records but erase nothing.
    public func sweepRetention(project only: String? = nil, dryRun: Bool = false) async throws -> [RetentionSweep] {
        let policies = Dictionary(try await retentionPolicies().map { ($0.project, $0) }, uniquingKeysWith: { a, _ in a })
        var sweeps: [RetentionSweep] = []
        for project in try await projects() where only == nil || project.code == only {
            let policy = policies[project.code] ?? RetentionPolicy(project: project.code, days: 0)
            var sweep = RetentionSweep(project: project.code, days: policy.days)
            // A project without stored forms has no record yet; reading its forms would store the built-in ones.
            guard try await storedFormCount(project: project.code) > 0 else {
                sweeps.append(sweep)
                continue
            }
            let forms = try await currentForms(project: project.code)
            var identifying: [String: Set<String>] = [:]
            for name in forms.names {
                let fields = (forms[name]?.fields ?? []).filter { $0.sensitive || $0.contact }.map(\.name)
                if !fields.isEmpty { identifying[name] = Set(fields) }
            }
            let now = serverTime()
            let cutoff = policy.days > 0 && !identifying.isEmpty ? now - Int64(policy.days) * 86_400_000 : Int64.min
            let due = try await retentionDue(
                project: project.code, forms: identifying.keys.sorted(), now: now, projectCreated: HLC.milliseconds(project.created), cutoff: cutoff)
            var done: [String] = []
            for record in due {
                let erased: Set<String> = if case .list(let l)? = record.values[erasedField] { Set(l) } else { [] }
                if identifying[record.form, default: []].isSubset(of: erased) {
                    done.append(record.id)  // erased already, by a person or an earlier sweep
                    continue
                }
                if dryRun {
                    sweep.erased.append(record.id)
                    continue
                }
                do {
                    // Checked again in the erasing transaction: a sweep running meanwhile may have erased it.
                    if try await !eraseUnlessErased(project: project.code, record: record.id, by: policy.erasedBy).isEmpty {
                        sweep.erased.append(record.id)
                    }
                    done.append(record.id)
                } catch {
                    sweep.failed.append((record.id, "\(error)"))
                }
            }
            if !dryRun, !done.isEmpty { try await retentionDone(done) }
            sweeps.append(sweep)
        }
        if let only, !sweeps.contains(where: { $0.project == only }) {
            throw ServiceError.notFound("there is no project '\(only)' (see 'palabre-server project list')")
        }
        return sweeps
    }

    /// Checks a retention period before it is stored.
    func validRetention(project: String, days: Int, by: String) async throws -> String {
        guard (0...RetentionPolicy.maxDays).contains(days) else {
            throw ServiceError.badRequest("--days: '\(days)' is not a number of days from 0 (keep for ever) to \(RetentionPolicy.maxDays)")
        }
        let by = by.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !by.isEmpty, by.count <= 200 else { throw ServiceError.badRequest("say who sets the retention (--by), in at most 200 characters") }
        guard try await self.project(project) != nil else {
            throw ServiceError.notFound("there is no project '\(project)' (see 'palabre-server project list')")
        }
        return by
    }
}
