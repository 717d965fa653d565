import Logging
import ServiceLifecycle
import Synchronization

/// Runs ``SyncBackend/sweepRetention(project:dryRun:)`` once the service is ready and then every `every`, until the
/// service shuts down. A sweep that fails is logged and tried again at the next one: nothing is lost by waiting.
public struct RetentionService: Service {
    let backend: any SyncBackend
    let every: Duration
    let logger: Logger
    let ready: ReadyGate

    /// Builds one; it sweeps once `ready` opens (the database migrated and checked).
    public init(backend: any SyncBackend, every: Duration, ready: ReadyGate, logger: Logger) {
        self.backend = backend
        self.every = every
        self.ready = ready
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            guard await ready.wait() else { return }
            while !Task.isCancelled {
                await sweepOnce()
                do { try await Task.sleep(for: every) } catch { return }
            }
        }
    }

    /// One sweep of every project, logged.
    func sweepOnce() async {
        do {
            for sweep in try await backend.sweepRetention() where !sweep.erased.isEmpty || !sweep.failed.isEmpty {
                logger.notice(
                    "retention: identifying values erased",
                    metadata: ["project": "\(sweep.project)", "days": "\(sweep.days)", "records": "\(sweep.erased.count)"])
                for failure in sweep.failed {
                    logger.warning(
                        "retention: erasure failed, tried again at the next sweep",
                        metadata: ["project": "\(sweep.project)", "record": "\(failure.id)", "error": "\(failure.reason)"])
                }
            }
        } catch is CancellationError {
            return  // shutting down
        } catch {
            logger.warning("retention sweep failed, tried again at the next one", metadata: ["error": "\(error)"])
        }
    }
}

/// Opens once, from the start-up code, for services that must wait until the database is ready.
public final class ReadyGate: Sendable {
    private struct State {
        var open = false
        var next: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Lets every waiter go on.
    public func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.waiters = [:] }
            return s.waiters.values
        }
        for w in waiters { w.resume(returning: true) }
    }

    /// Waits until the gate opens; false when this task is cancelled first (other waiters go on waiting).
    func wait() async -> Bool {
        let id = state.withLock { s in
            defer { s.next += 1 }
            return s.next
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.open || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if resumeNow { c.resume(returning: !Task.isCancelled) }
            }
        } onCancel: {
            state.withLock { s in s.waiters.removeValue(forKey: id) }?.resume(returning: false)
        }
    }
}
