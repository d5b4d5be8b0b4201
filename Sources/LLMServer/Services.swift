import FoundationEssentials
import LLMCatalog
import LLMCrypto
import LLMDomain
import LLMHTTP
import LLMStore
import Logging

/// Everything a method needs, built once at start-up and shared by every connection.
public final class Services: Sendable {
    public let config: ServerConfig
    public let logger: Logger
    public let db: AppDatabase
    public let tokens: TokenService
    public let cipher: KeyCipher
    public let masterKeyID: String
    public let http: HTTPClient
    public let limiter: RateLimiter
    public let startedAt: Date
    public let memory: MemoryReclaimer
    public let version = LLMRPCVersion.current

    public init(config: ServerConfig, logger: Logger, db: AppDatabase, tokens: TokenService, cipher: KeyCipher,
                masterKeyID: String, http: HTTPClient) {
        self.config = config
        self.logger = logger
        self.db = db
        self.tokens = tokens
        self.cipher = cipher
        self.masterKeyID = masterKeyID
        self.http = http
        self.limiter = RateLimiter(requestsPerMinute: config.rateLimitRPM, maxConcurrentStreams: config.maxConcurrentStreamsPerUser)
        self.startedAt = Date()
        db.runDeferredWrites(on: http.executor)
        // SQLite's page caches and the spare HTTP handles first, so that their pages are free
        // when malloc trims.
        self.memory = MemoryReclaimer(trim: { [db, http] in
            db.releaseMemory()
            http.releaseMemory()
            MemoryReclaimer.mallocTrim()
        }, settled: { [db] in await db.writesSettled() })
    }

    /// Before the process exits: closes the database (the last connection checkpoints and
    /// removes the WAL) and lets queued log lines out (waiting at most a second for them).
    public func finish() {
        db.close()
        StderrLogHandler.flush()
    }
}

public enum LLMRPCVersion {
    public static let current = "0.1.0"
}
