import Foundation
import JSONRPC
import Logging
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// JSON-RPC over a Unix domain socket: many connections, each its own session.
/// The directory is 0700 and the socket 0600; a peer with another uid is refused (SO_PEERCRED);
/// a lock file tells a live server from a stale socket.
public final class SocketServer: @unchecked Sendable {
    public let path: String
    private let config: ServerConfig
    private let logger: Logger
    private let makeHandler: @Sendable (RPCConnection) -> RPCHandler
    private let group: MultiThreadedEventLoopGroup
    private var channel: Channel?
    private var lockFD: Int32 = -1
    private let connections = ConnectionRegistry()

    public init(path: String, config: ServerConfig, logger: Logger,
                makeHandler: @escaping @Sendable (RPCConnection) -> RPCHandler) {
        self.path = path
        self.config = config
        self.logger = logger
        self.makeHandler = makeHandler
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// The default socket path: `$XDG_RUNTIME_DIR/llmrpc/llmrpc.sock`, else `llmrpc.sock` in the data dir.
    public static func defaultPath(config: ServerConfig, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let run = environment["XDG_RUNTIME_DIR"], !run.isEmpty { return "\(run)/llmrpc/llmrpc.sock" }
        return "\(config.dataDir)/llmrpc.sock"
    }

    /// Takes the lock, removes a stale socket, binds and sets permissions.
    public func start() async throws {
        let dir = (path as NSString).deletingLastPathComponent
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

        let handlerFactory = makeHandler
        let cfg = config
        let log = logger
        let registry = connections
        let myUID = getuid()
        let oldMask = umask(0o177)
        defer { umask(oldMask) }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                guard let provider = channel as? SocketOptionProvider else {
                    return channel.close()
                }
                let credFuture: EventLoopFuture<PeerCred> = provider.unsafeGetSocketOption(
                    level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
                return credFuture.flatMap { cred in
                    guard cred.uid == myUID else {
                        log.warning("refused a connection from another user", metadata: ["uid": "\(cred.uid)"])
                        return channel.close()
                    }
                    let output = ChannelOutput(channel: channel, maxUnsent: cfg.maxUnsentOutputBytes)
                    let conn = RPCConnection(output: output, maxInFlight: cfg.maxInFlight)
                    conn.setHandler(handlerFactory(conn))
                    let key = ObjectIdentifier(conn)
                    registry.add(key, conn)
                    channel.closeFuture.whenComplete { _ in
                        output.closed()
                        conn.cancelAll()
                        registry.remove(key)
                    }
                    return channel.pipeline.addHandler(
                        LineHandler(connection: conn, maxLine: cfg.maxLineBytes, output: output))
                }
            }
        channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
        chmod(path, 0o600)
        logger.info("listening", metadata: ["socket": "\(path)"])
    }

    /// Runs until `stop()`.
    public func run() async throws {
        try await channel?.closeFuture.get()
    }

    public func stop() async {
        try? await channel?.close()
        let all = connections.all
        for c in all { c.cancelAll() }
        for c in all { await c.drain() }
        unlink(path)
        if lockFD >= 0 { close(lockFD); lockFD = -1 }
        try? await group.shutdownGracefully()
    }
}

/// `struct ucred` of Linux: pid, uid, gid.
struct PeerCred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Frames input lines with a bounded buffer and hands them to the connection.
final class LineHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private var framer: LineFramer
    private let connection: RPCConnection
    private let maxLine: Int
    private let output: ChannelOutput

    init(connection: RPCConnection, maxLine: Int, output: ChannelOutput) {
        self.connection = connection
        self.maxLine = maxLine
        self.output = output
        self.framer = LineFramer(maxLineLength: maxLine)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buf = unwrapInboundIn(data)
        let conn = connection
        let limit = maxLine
        buf.withUnsafeReadableBytes { raw in
            framer.feed(raw) { frame in
                switch frame {
                case .line(let l): conn.receiveLine(l)
                case .tooLong: conn.receiveTooLong(limit: limit)
                }
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        output.writabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed {
            let conn = connection
            let limit = maxLine
            framer.finish { frame in
                switch frame {
                case .line(let l): conn.receiveLine(l)
                case .tooLong: conn.receiveTooLong(limit: limit)
                }
            }
            // Like end of stdin: streams stop, other requests finish and are answered, then close.
            let channel = context.channel
            Task {
                await conn.inputEnded()
                try? await channel.close()
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Socket output with a bound on unsent bytes: streams wait in `waitUntilWritable`.
final class ChannelOutput: RPCOutput, @unchecked Sendable {
    private let channel: Channel
    private let maxUnsent: Int
    private let state = Mutex<(unsent: Int, closed: Bool, waiters: [CheckedContinuation<Void, Never>])>((0, false, []))

    init(channel: Channel, maxUnsent: Int) {
        self.channel = channel
        self.maxUnsent = maxUnsent
    }

    func writeLine(_ bytes: [UInt8]) {
        let closed = state.withLock { s -> Bool in
            if !s.closed { s.unsent += bytes.count }
            return s.closed
        }
        if closed { return }
        let count = bytes.count
        let buffer = channel.allocator.buffer(bytes: bytes)
        channel.writeAndFlush(buffer).whenComplete { [self] _ in
            let w = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.unsent -= count
                if s.unsent <= maxUnsent {
                    let all = s.waiters
                    s.waiters = []
                    return all
                }
                return []
            }
            for c in w { c.resume() }
        }
    }

    func waitUntilWritable() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.closed || s.unsent <= maxUnsent { return true }
                s.waiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }

    func writabilityChanged(_ writable: Bool) {}

    func closed() {
        let w = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            let all = s.waiters
            s.waiters = []
            return all
        }
        for c in w { c.resume() }
    }
}

/// The live connections, so a shutdown can cancel and drain them.
final class ConnectionRegistry: Sendable {
    private let map = Mutex<[ObjectIdentifier: RPCConnection]>([:])
    func add(_ key: ObjectIdentifier, _ c: RPCConnection) { map.withLock { $0[key] = c } }
    func remove(_ key: ObjectIdentifier) { _ = map.withLock { $0.removeValue(forKey: key) } }
    var all: [RPCConnection] { map.withLock { Array($0.values) } }
}
