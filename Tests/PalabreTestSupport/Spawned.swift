import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, for the tests that run the built binaries.
///
/// Foundation's `Process.run()` on Linux crashed the test runner (a bad read in its `memcpy`) when many tests launched
/// programs while others held database connections and servers; `posix_spawn` is what it should be: one call, safe
/// from any thread. The child gets its own standard input, output and error files, its working directory and
/// environment, default signal handlers, an empty signal mask, and none of the test process's other descriptors.
public final class Spawned: @unchecked Sendable {
    /// The child's process id.
    public let pid: pid_t
    private let condition = NSCondition()
    private var waitStatus: Int32?

    /// Starts `executable` with `arguments`; standard streams are opened from the given paths (output files are
    /// appended to, and must exist).
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String,
        stdin: String = "/dev/null", stdout: String, stderr: String
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_APPEND, 0)
        // glibc's extensions, not in Swift's Glibc module: looked up by name.
        if let chdir = Self.addChdir { _ = chdir(&actions, directory) }
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw NSError(
                domain: "Spawned", code: Int(rc),
                userInfo: [NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(rc)))"])
        }
        pid = child
        let spawnedPID = child
        // One thread per child waits for it, so its end is known at once and it never stays a zombie.
        let thread = Thread { [condition] in
            var status: Int32 = 0
            while waitpid(spawnedPID, &status, 0) == -1 && errno == EINTR {}
            condition.lock()
            self.waitStatus = status
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addChdir: AddChdir? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }
    private static let addCloseFrom: AddCloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// Whether the child has ended.
    public var hasExited: Bool {
        condition.lock()
        defer { condition.unlock() }
        return waitStatus != nil
    }

    /// Waits up to `timeout` seconds for the end; returns whether it came.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while waitStatus == nil {
            if !condition.wait(until: deadline) { return waitStatus != nil }
        }
        return true
    }

    /// Whether a signal ended it.
    public var signalled: Bool {
        guard let s = statusValue else { return false }
        return (s & 0x7f) != 0 && (s & 0x7f) != 0x7f
    }

    /// The exit code, or the signal's number when a signal ended it; -1 while it runs.
    public var status: Int32 {
        guard let s = statusValue else { return -1 }
        return signalled ? s & 0x7f : (s >> 8) & 0xff
    }

    private var statusValue: Int32? {
        condition.lock()
        defer { condition.unlock() }
        return waitStatus
    }

    /// Sends a signal while it runs.
    public func signal(_ sig: Int32) {
        guard !hasExited else { return }
        kill(pid, sig)
    }
}
