import Threading
import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// How the pool's connections are set up.
struct DatabaseConfiguration: Sendable {
    /// How long a writer waits for another process's write lock (SQLite's busy timeout).
    var writerBusyTimeoutMs: Int32 = 5000
    /// How long a reader waits (only in rare WAL cases, e.g. another process recovering the
    /// WAL after a crash).
    var readerBusyTimeoutMs: Int32 = 10000
    /// SQLite's page cache per connection, in KiB (nil: SQLite's default, 2 MB).
    var writerCacheKiB: Int? = nil
    var readerCacheKiB: Int? = nil
    /// Run on every new connection after the pool's own settings (pragmas).
    var prepareDatabase: (@Sendable (Database) throws -> Void)? = nil

    init() {}
}

/// An SQLite file in WAL mode with one writer connection and reader connections made on
/// demand: readers never wait for the writer, writers wait for each other (in this process
/// on a lock, across processes on SQLite's write lock with a busy timeout). Every connection
/// has foreign keys on.
final class DatabasePool: @unchecked Sendable {
    let path: String
    private let configuration: DatabaseConfiguration
    private let writerLock = PosixLock()
    private var writer: Database?
    private let readersLock = PosixLock()
    private var idleReaders: [Database] = []
    private var closed = false
    /// Idle readers kept open, at most.
    static let maxIdleReaders = 2

    init(path: String, configuration: DatabaseConfiguration = DatabaseConfiguration()) throws {
        self.path = path
        self.configuration = configuration
        let w = try Database(path: path, create: true)
        try DatabasePool.setUp(w, busyTimeoutMs: configuration.writerBusyTimeoutMs, cacheKiB: configuration.writerCacheKiB,
                               configuration)
        // WAL mode is a property of the file: set once, kept by every later connection.
        guard try String.fetchOne(w, sql: "PRAGMA journal_mode = WAL")?.lowercased() == "wal" else {
            throw DatabaseError(resultCode: .SQLITE_ERROR, message: "could not switch the database to WAL mode")
        }
        writer = w
    }

    deinit { try? close() }

    private static func setUp(_ db: Database, busyTimeoutMs: Int32, cacheKiB: Int?,
                              _ configuration: DatabaseConfiguration) throws {
        db.waitForLocks(timeoutMs: Int(busyTimeoutMs))
        try db.execute(sql: "PRAGMA foreign_keys = ON")
        if let cacheKiB { try db.execute(sql: "PRAGMA cache_size = -\(max(1, cacheKiB))") }
        try configuration.prepareDatabase?(db)
    }

    /// Closes every connection; later use throws.
    func close() throws {
        writerLock.withLock {
            writer?.close()
            writer = nil
        }
        readersLock.withLock {
            closed = true
            for r in idleReaders { r.close() }
            idleReaders = []
        }
    }

    /// Frees the page caches of the writer and the idle readers (`sqlite3_db_release_memory`):
    /// after a burst they hold pages nobody needs until the next request reads them again.
    func releaseMemory() {
        writerLock.withLock { if let c = writer?.sqliteConnection { sqlite3_db_release_memory(c) } }
        readersLock.withLock {
            for r in idleReaders { if let c = r.sqliteConnection { sqlite3_db_release_memory(c) } }
        }
    }

    private static let closedError = DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database is closed")

    // MARK: - Writes

    /// The writer connection, exclusively, with no transaction opened.
    func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        guard let writer else { throw Self.closedError }
        return try body(writer)
    }

    /// `writeWithoutTransaction`, unless that would block: nil at once if another thread of this
    /// process holds the writer. While `body` runs, a write lock held by another process is
    /// waited for only briefly, without sleeping (`BriefLockWait`, up to `briefWaitMicros`),
    /// then fails with `SQLITE_BUSY`.
    func writeWithoutBlocking<T>(briefWaitMicros: Int, _ body: (Database) throws -> T) throws -> T? {
        guard writerLock.tryLock() else { return nil }
        defer { writerLock.unlock() }
        guard let writer else { throw Self.closedError }
        return try writer.withBriefLockWait(micros: briefWaitMicros) { _ in try body(writer) }
    }

    /// `body` in a `BEGIN IMMEDIATE` … `COMMIT` transaction on the writer, rolled back if it throws.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try writeWithoutTransaction { db in try Self.inTransaction(db, "BEGIN IMMEDIATE", body) }
    }

    static func inTransaction<T>(_ db: Database, _ begin: String, _ body: (Database) throws -> T) throws -> T {
        try db.cachedStatement(sql: begin).execute()
        do {
            let value = try body(db)
            try db.cachedStatement(sql: "COMMIT").execute()
            return value
        } catch {
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK").execute() }
            throw error
        }
    }

    // MARK: - Reads

    /// `body` on a reader in a read transaction: one snapshot of the database for all its statements.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try unsafeRead { db in try Self.inTransaction(db, "BEGIN DEFERRED", body) }
    }

    /// `body` (one statement, no transaction: it sees the latest commit) on the writer if no
    /// other thread holds it, else on a reader. A reader's page cache is dropped whenever
    /// another connection commits, so after each of this process's own commits its next read
    /// starts with page reads (two `pread`s for the settings generation, per chat); the
    /// writer's cache stays valid across its own commits.
    func readLatest<T>(_ body: (Database) throws -> T) throws -> T {
        if writerLock.tryLock() {
            defer { writerLock.unlock() }
            guard let writer else { throw Self.closedError }
            return try body(writer)
        }
        return try unsafeRead(body)
    }

    /// `body` on a reader, without a transaction (each statement sees the latest commit).
    func unsafeRead<T>(_ body: (Database) throws -> T) throws -> T {
        let reader = try takeReader()
        defer { giveBack(reader) }
        return try body(reader)
    }

    private func takeReader() throws -> Database {
        let idle: Database? = try readersLock.withLock {
            if closed { throw Self.closedError }
            return idleReaders.popLast()
        }
        if let idle { return idle }
        let r = try Database(path: path, create: false)
        try Self.setUp(r, busyTimeoutMs: configuration.readerBusyTimeoutMs, cacheKiB: configuration.readerCacheKiB,
                       configuration)
        return r
    }

    private func giveBack(_ reader: Database) {
        // A reader left inside a transaction (a failed COMMIT) is not reused.
        if reader.isInsideTransaction { try? reader.execute(sql: "ROLLBACK") }
        let keep = readersLock.withLock { () -> Bool in
            guard !closed, idleReaders.count < Self.maxIdleReaders, !reader.isInsideTransaction else { return false }
            idleReaders.append(reader)
            return true
        }
        if !keep { reader.close() }
    }
}
