import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A subprocess that inherits exactly three descriptors, its stdin, stdout and stderr, and
/// nothing else of the test process.
///
/// Foundation's `Process` closes, in the child, the descriptors open when it prepares the
/// spawn; one that another test thread opens meanwhile (a socket, a pipe: the suite runs its
/// tests in parallel) is inherited, and the child holds it open for its whole life. Seen here:
/// a server holding another test's socket, so the fake provider's close never reached its
/// client (a 10 s timeout), and pipes that never reached end of file, so tests waiting for a
/// process's output to end hung until their time limit. This spawns with the file action
/// `closefrom(3)` (glibc 2.34), which closes every other descriptor at the moment of the spawn.
public final class ChildProcess: @unchecked Sendable {
    /// Where one of the child's standard streams comes from.
    public enum Stream: Sendable {
        /// /dev/null.
        case null
        /// A file, opened read-only (for stdin).
        case file(String)
        /// A descriptor of this process, handed over: dup2'd in the child, and closed here (once,
        /// even if given for two streams) when `init` returns, whether the spawn worked or not.
        case fd(Int32)
    }

    public let pid: pid_t
    public var processIdentifier: pid_t { pid }
    /// The exit status and who waits for it; shared with the reaper thread (which must not keep
    /// the `ChildProcess` alive).
    private final class Exit: @unchecked Sendable {
        let condition = NSCondition()
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []

        func withLock<T>(_ body: (Exit) -> T) -> T {
            condition.lock()
            defer { condition.unlock() }
            return body(self)
        }
    }
    private let exit = Exit()

    /// Starts `executable` (an absolute path) with exactly `arguments` and `environment`.
    public init(executable: String, arguments: [String], environment: [String: String], directory: String? = nil,
                stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .null) throws {
        let handedOver = Set([stdin, stdout, stderr].compactMap { if case .fd(let fd) = $0 { fd } else { nil } })
        defer { handedOver.forEach { _ = close($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0)
            case .file(let path): posix_spawn_file_actions_addopen(&actions, target, path, O_RDONLY, 0)
            case .fd(let fd): posix_spawn_file_actions_adddup2(&actions, fd, target)
            }
        }
        if let directory {
            guard let addchdir = Self.addchdir else { throw SpawnError("posix_spawn_file_actions_addchdir_np is missing") }
            _ = directory.withCString { addchdir(&actions, $0) }
        }
        guard let closefrom = Self.addclosefrom else { throw SpawnError("posix_spawn_file_actions_addclosefrom_np is missing (glibc < 2.34)") }
        _ = closefrom(&actions, 3)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Default dispositions and an empty mask (a test thread may block signals), and a
        // process group of its own, as Foundation gives.
        var all = sigset_t(), empty = sigset_t()
        sigfillset(&all)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attr, argv, envp)
        guard rc == 0 else { throw SpawnError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
        // The reaper: the exit status once the child has ended (the exit code, or the signal
        // that ended it, as Foundation reports both).
        let exit = self.exit, child = pid
        Thread {
            var raw: Int32 = 0
            while waitpid(child, &raw, 0) < 0 && errno == EINTR {}
            let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f
            let waiters = exit.withLock { e -> [CheckedContinuation<Int32, Never>] in
                e.status = code
                e.condition.broadcast()
                defer { e.waiters = [] }
                return e.waiters
            }
            for w in waiters { w.resume(returning: code) }
        }.start()
    }

    /// A pipe whose both ends are closed on exec (a child gets only what it is given; every
    /// child started here closes all but its three streams anyway).
    public static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { throw SpawnError("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Starts `command` looked up on PATH (through /usr/bin/env).
    public convenience init(command: String, arguments: [String], environment: [String: String], directory: String? = nil,
                            stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .null) throws {
        try self.init(executable: "/usr/bin/env", arguments: [command] + arguments, environment: environment,
                      directory: directory, stdin: stdin, stdout: stdout, stderr: stderr)
    }

    /// True until the child has ended and been reaped.
    public var isRunning: Bool { exit.withLock { $0.status == nil } }

    /// The exit status, once the child has ended.
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { c in
            let now = exit.withLock { e -> Int32? in
                if let status = e.status { return status }
                e.waiters.append(c)
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }

    /// The exit status, blocking this thread until the child has ended (for synchronous callers).
    public func waitUntilExit() -> Int32 {
        exit.condition.lock()
        defer { exit.condition.unlock() }
        while exit.status == nil { exit.condition.wait() }
        return exit.status!
    }

    /// Sends `signal` while the child has not been reaped (its pid cannot be someone else's).
    public func send(_ signal: Int32) {
        exit.withLock { e in if e.status == nil { _ = kill(pid, signal) } }
    }

    public func terminate() { send(SIGTERM) }

    deinit { terminate() }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    // Not in Swift's Glibc module (declared only for _GNU_SOURCE / __USE_MISC): found at run time.
    private static let addclosefrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
    private static let addchdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }
}

public struct SpawnError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
