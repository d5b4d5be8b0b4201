import Dispatch
import FoundationEssentials
import JSONRPC
import LLMCatalog
import LLMCrypto
import LLMDomain
import LLMHTTP
import LLMStore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Start-up: secrets, database, first superuser, catalogue seed, recovery of interrupted
/// usage rows; then a transport.
public enum App {
    /// Builds the shared services from a configuration.
    public static func makeServices(config: ServerConfig, logger: Logger) async throws -> Services {
        MemoryReclaimer.configureAllocator()
        // A client that went away is a failed write (EPIPE) to handle, not the end of the server.
        signal(SIGPIPE, SIG_IGN)
        Sodium.initialize()
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let secret = try loadSecret(config.secretKey, file: "\(config.dataDir)/secret_key", logger: logger)
        let master: MasterKey
        var envMaster: MasterKey? = nil
        if let k = config.encryptionKey {
            do { envMaster = try MasterKey(base64: k) } catch {
                throw ConfigError("LLMRPC_ENCRYPTION_KEY must be 32 bytes in base64 (generate one with: head -c32 /dev/urandom | base64)")
            }
        }
        let dbDir = Paths.parent(of: config.databasePath)
        if !dbDir.isEmpty {
            try FileManager.default.createDirectory(atPath: dbDir, withIntermediateDirectories: true)
        }
        let db = try AppDatabase(path: config.databasePath, maxSizeBytes: config.databaseMaxBytes)
        if let envMaster {
            master = envMaster
        } else {
            let keyFile = "\(config.dataDir)/encryption_key"
            let pendingFile = keyFile + ".new"
            if let pending = MasterKeyFiles.pendingKey(path: pendingFile) {
                if try db.storedMasterKeyIds().contains(pending.id) {
                    try MasterKeyFiles.promote(pending: pendingFile, to: keyFile)
                    logger.notice("finished an interrupted master key rotation")
                } else {
                    unlink(pendingFile)
                    logger.notice("discarded an interrupted master key rotation; nothing had changed")
                }
            }
            let (bytes, _, warning) = try SecretFile.loadOrCreate(path: keyFile, byteCount: 32)
            if let warning { logger.warning("\(warning)") }
            master = try MasterKey(bytes: bytes)
        }

        if try db.modelCount() == 0 {
            let (inserted, _) = try db.upsertModels(DefaultCatalog.entries.map(NewModel.init(entry:)), overwritePrices: false)
            logger.info("seeded the model catalogue", metadata: ["models": "\(inserted)"])
        }
        if let email = config.firstSuperuser, let password = config.firstSuperuserPassword {
            if try db.ensureFirstSuperuser(email: email, passwordHash: { try PasswordHasher.hash(password) }) {
                logger.info("created the first superuser", metadata: ["email": "\(email)"])
            }
        }
        try db.pruneLoginFailures(before: Date().addingTimeInterval(-86_400))
        let interrupted = try db.markInterruptedUsage(isAlive: { pid in kill(pid, 0) == 0 || errno != ESRCH })
        if interrupted > 0 { logger.notice("marked interrupted requests", metadata: ["count": "\(interrupted)"]) }

        let tokens = await TokenService(secret: secret, lifetimeMinutes: config.accessTokenExpireMinutes)
        let http = HTTPClient(configuration: HTTPClientConfiguration(
            connectTimeout: 10, idleTimeout: TimeInterval(config.upstreamTimeoutSeconds),
            totalTimeout: TimeInterval(config.upstreamMaxSeconds)))
        return Services(config: config, logger: logger, db: db, tokens: tokens, cipher: KeyCipher(master: master),
                        masterKeyID: master.id, http: http)
    }

    static func loadSecret(_ value: String?, file: String, logger: Logger) throws -> String {
        if let value { return value }
        let (bytes, _, warning) = try SecretFile.loadOrCreate(path: file, byteCount: 32)
        if let warning { logger.warning("\(warning)") }
        return Hex.encode(bytes)
    }

    /// Serves one session on stdin/stdout until end of input; returns the exit code.
    /// `sequential` (or stdin being a regular file) runs requests one after another, in order.
    public static func serveStdio(services: Services, sequential: Bool = false) async -> Int32 {
        let protocolFD = StdoutGuard.takeOverStdout()
        let transport = StdioTransport(inputFD: 0, outputFD: protocolFD, config: services.config,
                                       sequential: sequential || StdioTransport.isRegularFile(0),
                                       engine: services.http)
        let session = Session(transport: .stdio)
        let handler = ServerHandler(services: services, session: session) { code in
            transport.flush()
            services.finish()
            exit(code)
        }
        transport.connection.setHandler(handler)
        if let token = services.config.accessToken {
            do {
                let user = try await SessionAuth.userForToken(token, services: services)
                session.bind(userID: user.id)
            } catch {
                services.logger.warning("LLMRPC_ACCESS_TOKEN was not accepted; the session starts unauthenticated",
                                        metadata: ["reason": "\(ErrorMapping.wire(error).type)"])
            }
        }
        let signals = SignalWatcher { sig in
            services.logger.notice("signal received; finishing", metadata: ["signal": "\(sig)"])
            transport.connection.beginShutdown()
            transport.connection.cancelAll()
            Task {
                await transport.connection.drain()
                await services.db.writesSettled()
                transport.flush()
                services.finish()
                exit(0)
            }
        }
        services.logger.info("serving on stdio", metadata: ["version": "\(services.version)"])
        await transport.run()
        _ = signals
        await services.db.writesSettled()
        services.logger.info("end of input; exiting")
        services.finish()
        return 0
    }

    /// Serves the Unix socket until SIGTERM/SIGINT.
    public static func serveSocket(services: Services, path: String) async throws {
        let server = SocketServer(path: path, config: services.config, logger: services.logger,
                                  engine: services.http) { conn in
            let session = Session(transport: .socket)
            return ServerHandler(services: services, session: session) { _ in
                // `exit` on a socket ends that client's connection, not the server other clients share.
                conn.beginShutdown()
            }
        }
        try await server.start()
        let signals = SignalWatcher { sig in
            services.logger.notice("signal received; shutting down", metadata: ["signal": "\(sig)"])
            Task {
                await server.stop()
                await services.db.writesSettled()
                services.finish()
                exit(0)
            }
        }
        try await server.run()
        _ = signals
    }
}

/// SIGTERM and SIGINT as callbacks (the default action is replaced).
final class SignalWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { handler(sig) }
            s.resume()
            sources.append(s)
        }
    }
}
