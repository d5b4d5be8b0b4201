import Threading
import FoundationEssentials
import JSONRPC
import LLMHTTP
import LLMDomain
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// JSON-RPC over a Unix domain socket: many connections, each its own session.
/// The directory is 0700 and the socket 0600; a peer with another uid is refused (SO_PEERCRED);
/// a lock file tells a live server from a stale socket.
///
/// Threads, like stdio: one accepts; each connection is read on the HTTP engine's thread (framed
/// lines handed to its `RPCConnection`) and has an `FDLineWriter`, which writes an answer from the
/// task that produced it when nothing is queued. (On SwiftNIO every answer and stream chunk
/// crossed to the event loop's thread: one wake-up each, ~0.5 ms more per request than stdio.)
public final class SocketServer: @unchecked Sendable {
    public let path: String
    private let config: ServerConfig
    private let logger: Logger
    private let makeHandler: @Sendable (RPCConnection) -> RPCHandler
    private var listenFD: Int32 = -1
    private var lockFD: Int32 = -1
    private let connections = ConnectionRegistry()
    private let stopped = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Reads connections on its thread (nil: a thread per connection).
    private let engine: HTTPClient?

    public init(path: String, config: ServerConfig, logger: Logger, engine: HTTPClient? = nil,
                makeHandler: @escaping @Sendable (RPCConnection) -> RPCHandler) {
        self.engine = engine
        self.path = path
        self.config = config
        self.logger = logger
        self.makeHandler = makeHandler
    }
    /// The default socket path: `$XDG_RUNTIME_DIR/llmrpc/llmrpc.sock`, else `llmrpc.sock` in the data dir.
    public static func defaultPath(config: ServerConfig, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let run = environment["XDG_RUNTIME_DIR"], !run.isEmpty { return "\(run)/llmrpc/llmrpc.sock" }
        return "\(config.dataDir)/llmrpc.sock"
    }

    /// Takes the lock, removes a stale socket, binds and sets permissions.
    public func start() async throws {
        let dir = Paths.parent(of: path)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        chmod(dir, 0o700)
        guard path.utf8.count < 104 else { throw ConfigError("socket path too long (max 103 bytes): \(path)") }

        let lockPath = path + ".lock"
        lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw ConfigError("cannot open lock file \(lockPath): \(String(cString: strerror(errno)))") }
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            close(lockFD)
            lockFD = -1
            throw ConfigError("another llmrpc server is already listening on \(path)")
        }
        // We hold the lock: any socket file left here belongs to a dead server.
        if FileManager.default.fileExists(atPath: path) {
            logger.notice("removing stale socket", metadata: ["path": "\(path)"])
            unlink(path)
        }

        let oldMask = umask(0o177)
        defer { umask(oldMask) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ConfigError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 256) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ConfigError("cannot listen on \(path): \(reason)")
        }
        chmod(path, 0o600)
        listenFD = fd
        Threads.start(name: "llmrpc-accept") { [self] in acceptLoop(fd) }
        logger.info("listening", metadata: ["socket": "\(path)"])
    }

    private func acceptLoop(_ fd: Int32) {
        let myUID = getuid()
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    logger.error("cannot accept a connection", metadata: ["reason": "\(String(cString: strerror(errno)))"])
                    // Wait until a descriptor is freed: any connection closing wakes us.
                    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&p, 1, 100)
                    continue
                }
                return  // the listening socket was closed: stop()
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            var cred = PeerCred()
            var len = socklen_t(MemoryLayout<PeerCred>.size)
            guard getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0, cred.uid == myUID else {
                logger.warning("refused a connection from another user", metadata: ["uid": "\(cred.uid)"])
                close(client)
                continue
            }
            serve(client)
        }
    }

    /// One connection: its session, its writer, its reader thread.
    private func serve(_ fd: Int32) {
        let output = FDLineWriter(fd: fd, maxUnsent: config.maxUnsentOutputBytes)
        let conn = RPCConnection(output: output, maxInFlight: config.maxInFlight)
        conn.setHandler(makeHandler(conn))
        // A peer that is gone (a write fails): its requests are cancelled, as on stdio's EOF.
        output.onFailure = { conn.cancelAll() }
        let key = ObjectIdentifier(conn)
        connections.add(key, conn)
        let maxLine = config.maxLineBytes
        let registry = connections
        LineReader.start(fd: fd, maxLine: maxLine, into: conn, engine: engine) {
            // Like end of stdin: streams stop, other requests finish and are answered, then close.
            Task {
                await conn.inputEnded()
                output.closeAndFlush()
                close(fd)
                registry.remove(key)
            }
        }
    }

    /// Runs until `stop()`.
    public func run() async throws {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = stopped.withLock { s -> Bool in
                if s.done { return true }
                s.waiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }

    public func stop() async {
        if listenFD >= 0 {
            shutdown(listenFD, Int32(SHUT_RDWR))
            close(listenFD)
            listenFD = -1
        }
        let all = connections.all
        for c in all { c.cancelAll() }
        for c in all { await c.drain() }
        unlink(path)
        if lockFD >= 0 { close(lockFD); lockFD = -1 }
        let waiters = stopped.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.done = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}

/// `struct ucred` of Linux: pid, uid, gid.
struct PeerCred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The live connections, so a shutdown can cancel and drain them.
final class ConnectionRegistry: Sendable {
    private let map = Mutex<[ObjectIdentifier: RPCConnection]>([:])
    func add(_ key: ObjectIdentifier, _ c: RPCConnection) { map.withLock { $0[key] = c } }
    func remove(_ key: ObjectIdentifier) { _ = map.withLock { $0.removeValue(forKey: key) } }
    var all: [RPCConnection] { map.withLock { Array($0.values) } }
}
