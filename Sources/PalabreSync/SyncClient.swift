import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOCore
import NIOHTTP1
import PalabreCore
import PalabreStore

/// Why a sync stopped. Nothing is lost in any case: unsent changes stay queued, a pulled page and its cursor are
/// committed together, and the next `sync` picks up where this one stopped.
///
/// Its `description` says what happened, for logs; what a person should do about it is the program's to say (the
/// field CLI's `Words`).
public enum SyncError: Error, Equatable, CustomStringConvertible {
    /// No remote is set.
    case noRemote
    /// The service could not be reached or the link dropped.
    case offline(String)
    /// The token was refused (401).
    case unauthorized(String)
    /// The service refused the request (403, 4xx) with its message.
    case refused(status: Int, message: String)
    /// The service failed (5xx) or answered something unreadable.
    case service(String)

    public var description: String {
        switch self {
        case .noRemote: return "no remote is set"
        case .offline(let m): return "the service cannot be reached (\(m))"
        case .unauthorized(let m): return "the service refused the token: \(m)"
        case .refused(let status, let m): return "the service refused the request (\(status)): \(m)"
        case .service(let m): return "the service failed: \(m)"
        }
    }
}

/// What a sync did.
public struct SyncSummary: Equatable, Sendable {
    /// Local changes the service acknowledged.
    public var sent = 0
    /// Changes received and applied here.
    public var received = 0
    /// Concurrent writes found, on either side.
    public var conflicts = 0
    /// The service turned out restored from a backup (another change log): everything was sent and received again.
    public var serviceRestored = false
    /// Changes the service set aside (shown to the user, kept here).
    public var setAside: [Wire.SetAsideEntry] = []
    /// Batches sent.
    public var batches = 0
    /// When this store's clock was ahead of the service's beyond the bound: by how many milliseconds.
    public var clockAheadBy: Int64?
    /// Changes re-stamped at the service's time because of that.
    public var restamped = 0
    /// Bytes sent and received on the wire (compressed bodies).
    public var bytesSent = 0
    /// Bytes received on the wire.
    public var bytesReceived = 0
    /// Form versions received that this store did not hold (`followup v2`).
    public var formsReceived: [String] = []
    /// Form versions the service published that this palabre cannot read (then none was taken), with why.
    public var formsUnreadable: [String] = []
    /// This device's changes the service still keeps set aside after this sync, when it was asked (nil otherwise:
    /// nothing was set aside before, or an older service); `held` ones wait for a coordinator to publish their version.
    public var stillSetAside: [Wire.SetAsideEntry]?
    /// Changes the service had set aside that it has applied since (their version was published, or retried).
    public var appliedSince = 0

    /// An empty summary.
    public init() {}
}

/// Progress of a running sync, for a progress line.
public enum SyncProgress: Sendable {
    /// Pushed `sent` of about `total` changes.
    case pushing(sent: Int, total: Int)
    /// Pulled `received` changes so far.
    case pulling(received: Int)
}

/// How a push was answered.
public enum PushAnswer: Sendable, Equatable {
    /// Applied (or already applied: the stored answer).
    case accepted(Wire.PushResponse)
    /// Refused whole because stamps are too far ahead of the service's clock.
    case clockAhead(serverTime: Int64, message: String)
}

/// The way to the service: HTTP in the field, a direct call in simulations.
public protocol SyncTransport: Sendable {
    /// Sends a batch.
    func push(_ request: Wire.PushRequest) async throws -> PushAnswer
    /// Fetches a page of changes after a cursor, without those `node` (the pulling store) wrote.
    func pull(after cursor: Int64, limit: Int, node: String) async throws -> Wire.PullResponse
    /// Fetches the project's forms unless the set tagged `tag` is current (then nil).
    func forms(tag: String?) async throws -> Wire.FormsResponse?
    /// This device's changes the service keeps set aside, after trying them again when `retry` (nil: a service that
    /// does not list them).
    func setAside(retry: Bool) async throws -> Wire.SetAsideList?
}

extension SyncTransport {
    /// A transport with no forms to give (a test calling a backend directly).
    public func forms(tag: String?) async throws -> Wire.FormsResponse? { nil }
    /// A transport that lists no set-aside changes.
    public func setAside(retry: Bool) async throws -> Wire.SetAsideList? { nil }
}

/// Syncs a field store with the service: push every unsent change in batches, then pull every page after the
/// cursor, until both sides agree.
///
/// ```swift
/// let transport = HTTPTransport(url: "http://127.0.0.1:8080", token: token)
/// let summary = try await SyncClient(store: store, transport: transport).sync()
/// try await transport.shutdown()
/// ```
public struct SyncClient: Sendable {
    /// The store synced.
    public let store: FieldStore
    /// The way to the service.
    public let transport: any SyncTransport
    /// Changes per pushed batch.
    public var batchSize = 500
    /// Changes per pulled page.
    public var pageSize = 2000
    /// The forms pulled records are settled with (a field that does not apply is withheld, as on the service).
    public var forms: FormCatalog?
    /// The forms to use once new versions were received (the CLI's forms in use, read again), when they may change.
    public var reloadForms: (@Sendable () -> FormCatalog?)?

    /// Builds a client.
    public init(store: FieldStore, transport: any SyncTransport, forms: FormCatalog? = nil) {
        self.store = store
        self.transport = transport
        self.forms = forms
    }

    /// Runs a whole sync: push, then pull.
    ///
    /// - Throws: ``SyncError``; whatever was acknowledged or pulled before the error stays done.
    public func sync(progress: (@Sendable (SyncProgress) -> Void)? = nil) async throws -> SyncSummary {
        var summary = SyncSummary()
        try await receiveForms(&summary)
        // Pulled records are settled with the forms now in use: the ones just received, when new ones came.
        let settling = summary.formsReceived.isEmpty ? forms : reloadForms?() ?? forms
        do {
            try await push(&summary, progress)
            try await settleSetAside(&summary)
            try await pull(&summary, progress, forms: settling)
        } catch is LogRenewed {
            // The service was restored: this store's positions were reset; everything goes and comes again, once.
            do {
                try await push(&summary, progress)
                try await pull(&summary, progress, forms: settling)
            } catch is LogRenewed {
                throw SyncError.service("the service's change log changed twice during one sync (restored again?): run 'palabre sync' again")
            }
        }
        return summary
    }

    /// The service's change log is another than the one this store's positions belong to (a restored database).
    struct LogRenewed: Error {}

    /// Notes the service's log identity from an answer. A different one than known resets the sync state (as
    /// `palabre sync --from-start` does) and throws ``LogRenewed``; the first one seen is kept.
    func checkLog(_ log: String?, _ summary: inout SyncSummary) throws {
        guard let log else { return }
        let known = try store.syncState().serviceLog
        if known == log { return }
        try store.updateSyncState { state in
            if known != nil { state.startAgain() }
            state.serviceLog = log
        }
        if known != nil {
            summary.serviceRestored = true
            throw LogRenewed()
        }
    }

    /// Learns which of this device's changes the service set aside are still kept there (asked only while this store
    /// keeps any): those no longer listed were applied since, and leave this store's list.
    public func settleSetAside(_ summary: inout SyncSummary, retry: Bool = false) async throws {
        guard try store.serviceSetAsideCount() > 0, let list = try await transport.setAside(retry: retry) else { return }
        summary.appliedSince += try store.settleServiceSetAside(list.entries.map { ($0.record, $0.hlc, $0.node, $0.reason, $0.held) })
        summary.stillSetAside = list.entries
    }

    /// Receives the project's forms first, when they changed: what is captured next uses what the coordinator
    /// published, and pulled records of a new version find it here.
    public func receiveForms(_ summary: inout SyncSummary) async throws {
        let held = try store.receivedForms()
        guard let answer = try await transport.forms(tag: held.tag) else { return }
        let before = Set(held.forms.map { "\($0.name) v\($0.version)" })
        // A set this palabre cannot read (a newer form feature) is not taken: the laptop keeps capturing with the set it
        // holds, and says so.
        let unreadable = answer.forms.compactMap { f -> String? in
            let problems = FormLoader.load(text: f.source, file: "\(f.name).yaml").1
            return problems.isEmpty ? nil : "\(f.name) v\(f.version): \(problems[0].message)"
        }
        if !unreadable.isEmpty {
            summary.formsUnreadable = unreadable
            return
        }
        try store.replaceReceivedForms(answer.forms.map { ($0.name, $0.version, $0.source) }, tag: answer.tag)
        let new = answer.forms.map { "\($0.name) v\($0.version)" }.filter { !before.contains($0) }.sorted()
        summary.formsReceived += new
    }

    /// Sends every unsent local change, batch by batch; re-stamps them once if the service finds the clock ahead.
    public func push(_ summary: inout SyncSummary, _ progress: (@Sendable (SyncProgress) -> Void)? = nil) async throws {
        let node = try store.identity().node
        let total = try store.unsentCount()
        var corrected = false
        while true {
            // A batch sent before without an answer goes again first, exactly as it was, so the service recognises it
            // and answers from its table: what it already applied is never re-stamped or applied twice.
            var unsent: [(seq: Int64, change: Change)] = []
            let state = try store.syncState()
            if let inflight = state.inflight {
                unsent = try store.changes(after: inflight.lowerBound - 1, localOnly: true, limit: Int(inflight.count))
                    .filter { inflight.contains($0.seq) }
                if unsent.first.map({ $0.seq <= state.pushCursor }) ?? true { unsent = [] }
            }
            if unsent.isEmpty {
                unsent = try store.unsentChanges(limit: batchSize)
                // After a start-over, a batch holds either changes the service had (their stamps kept) or new ones.
                if state.pushCursor < state.resendFloor { unsent = unsent.filter { $0.seq <= state.resendFloor } }
            }
            guard let first = unsent.first, let last = unsent.last else {
                try store.updateSyncState { $0.inflight = nil }
                return
            }
            // The id names the queue slice and its content: a store restored from a backup that reuses sequence
            // numbers sends other content under another id, and never gets the stored answer of an older batch.
            let request = Wire.PushRequest(
                batch: "\(node)-\(first.seq)-\(last.seq)-\(Self.digest(unsent.map(\.change)))", node: node,
                changes: unsent.map(\.change))
            try store.updateSyncState { $0.inflight = first.seq...last.seq }
            switch try await transport.push(request) {
            case .accepted(let response):
                let byKey = Dictionary(
                    unsent.map { ("\($0.change.recordID)|\($0.change.stamp.hlc.rawValue)|\($0.change.stamp.node)", $0.change) },
                    uniquingKeysWith: { a, _ in a })
                let setAside = response.setAside.compactMap { e in
                    byKey["\(e.record)|\(e.hlc)|\(e.node)"].map { SetAside(change: $0, reason: e.reason, held: e.held) }
                }
                // A restored service has this batch, but maybe not what it had acknowledged before: checked before
                // acknowledging, so a reset sends this batch again too (recognised there, applied once).
                try checkLog(response.log, &summary)
                let baseline = try store.syncState().ackedBaselinePending
                let acked = try store.acknowledgePush(upTo: last.seq, setAside: setAside, serverTime: HLC(wallMilliseconds: response.serverTime))
                // The service has applied more batches from this node than this store ever had acknowledged: the store
                // was restored from a backup or copied. From now on it pulls its own node's changes too, from the start.
                // After a start-over, the service's count is the new baseline instead.
                if baseline {
                    let theirs = response.nodeBatches ?? acked
                    try store.updateSyncState { $0.ackedBatches = theirs }
                } else if let theirs = response.nodeBatches, theirs > acked {
                    try store.updateSyncState { state in
                        guard !state.pullsOwnChanges else { return }
                        state.pullsOwnChanges = true
                        state.pullCursor = 0
                    }
                }
                summary.sent += unsent.count - response.setAside.count
                summary.setAside += response.setAside
                summary.conflicts += response.conflicts
                summary.batches += 1
                progress?(.pushing(sent: summary.sent + summary.setAside.count, total: total))
            case .clockAhead(let serverTime, let message):
                guard !corrected else { throw SyncError.refused(status: 409, message: message) }
                // Our clock is ahead of the service's beyond its bound: re-stamp what it has not seen at its time, in order.
                // The refused batch was not applied, and every earlier one is acknowledged (an unanswered one is always
                // sent again first), so everything after the push cursor is unseen by the service.
                corrected = true
                try store.updateSyncState { $0.inflight = nil }
                let ours = unsent.map(\.change.stamp.hlc.wallMilliseconds).max() ?? 0
                summary.clockAheadBy = ours - serverTime
                summary.restamped = try store.restampUnsent(correctedNow: Date(timeIntervalSince1970: Double(serverTime) / 1000))
                try store.updateSyncState { $0.lastServerTime = serverTime }
            }
        }
    }

    /// The latest received version of each form (nil before any is received: a laptop capturing with its own folder or
    /// the built-in forms, which never fetches forms again mid-pull).
    func receivedVersions() throws -> [String: Int]? {
        let received = try store.receivedForms().forms
        guard !received.isEmpty else { return nil }
        var latest: [String: Int] = [:]
        for f in received { latest[f.name] = max(latest[f.name] ?? 0, f.version) }
        return latest
    }

    /// A short digest of a batch's changes (FNV-1a over record, clock and node): part of the batch id.
    static func digest(_ changes: [Change]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for c in changes {
            for b in "\(c.recordID)|\(c.stamp.hlc.rawValue)|\(c.stamp.node);".utf8 {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01B3
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Receives every page after the cursor; each page and the new cursor are committed together.
    ///
    /// It leaves out its own node's changes (it has them), unless it found it was restored or copied (`pull_own`):
    /// then it asks for them too, and gets back what it had pushed since the backup.
    ///
    /// A page holding a change of a form version this store has not received (published while this sync ran) fetches
    /// the forms again first, once: the record is then settled, and later edited, with its own version.
    ///
    /// `forms` settles the records in place of the client's.
    public func pull(
        _ summary: inout SyncSummary, _ progress: (@Sendable (SyncProgress) -> Void)? = nil, forms: FormCatalog? = nil
    ) async throws {
        let node = try store.syncState().pullsOwnChanges ? "" : try store.identity().node
        var settling = forms ?? self.forms
        var refetched = false
        let received = try receivedVersions()
        while true {
            let cursor = try store.syncState().pullCursor
            let page = try await transport.pull(after: cursor, limit: pageSize, node: node)
            try checkLog(page.log, &summary)
            if !refetched, let received, page.changes.contains(where: { $0.formVersion > (received[$0.form] ?? 0) }) {
                refetched = true
                let before = summary.formsReceived.count
                try await receiveForms(&summary)
                if summary.formsReceived.count > before { settling = reloadForms?() ?? settling }
            }
            let outcome = try store.applyPulled(
                page.changes, cursor: page.next, serverTime: HLC(wallMilliseconds: page.serverTime),
                forms: settling)
            summary.received += outcome.applied
            summary.conflicts += outcome.conflicts
            try store.noteDeviceNames(page.devices)
            progress?(.pulling(received: summary.received))
            if !page.more { return }
        }
    }
}
