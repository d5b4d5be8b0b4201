import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import LLMDomain

/// The service's one SQLite database: every read and write of the app goes through the
/// intent-named methods of this type (in the `AppDatabase+*.swift` files), each of which is
/// one transaction.
///
/// The file is opened as a `DatabasePool` in WAL mode, with foreign keys on and a 5 s busy
/// timeout, so several `llmrpc` processes can share it: readers never block, and writers
/// (always `BEGIN IMMEDIATE`) wait for each other instead of failing. Errors from SQLite
/// come out as `DomainError(.storage, ...)` with a message a user can act on.
public final class AppDatabase: Sendable {
    /// The connection pool: one writer connection, several readers.
    let pool: DatabasePool
    /// The file to delete when this instance goes away (temporary databases only).
    private let temporaryPath: String?
    /// WAL checkpoints on a thread of their own (see `Checkpointer.swift`); nil if its
    /// connection could not be opened (SQLite's automatic checkpoint then stays on).
    let checkpointer: Checkpointer?
    /// Users, models and keys in memory (see `AppDatabase+SettingsCache.swift`).
    let settingsCache = SettingsCache()
    /// Group commit of chat requests' writes (see `WriteCombiner.swift`).
    let writeCombiner = WriteCombiner()
    /// Set when a deferred chat record fails (see `settleChatDeferred`).
    let deferredRecordsFailingFlag = Atomic<Bool>(false)

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    /// `maxSizeBytes` caps the file (SQLite's `max_page_count`): past it, writes fail with the
    /// same clear "full" error as a full disk, and reads go on.
    public convenience init(path: String, maxSizeBytes: Int? = nil) throws {
        try self.init(path: path, deleteOnDeinit: false, maxSizeBytes: maxSizeBytes)
    }

    private init(path: String, deleteOnDeinit: Bool, maxSizeBytes: Int? = nil) throws {
        do {
            pool = try DatabasePool(path: path, configuration: AppDatabase.configuration(maxSizeBytes: maxSizeBytes))
            try AppDatabase.migrator.migrate(pool)
            checkpointer = Checkpointer(path: path)
            if let checkpointer {
                try pool.writeWithoutTransaction { db in
                    if let c = db.sqliteConnection { checkpointer.attach(to: c) }
                }
            }
        } catch {
            throw StorageError.map(error, path: path)
        }
        temporaryPath = deleteOnDeinit ? path : nil
    }

    /// A fresh database in a new temporary file, deleted when the instance is released.
    /// For tests.
    public static func makeTemporary() throws -> AppDatabase {
        let path = FileManager.default.temporaryDirectory.path + "/" + "llmrpc-test-\(UUID().uuidString.lowercased()).sqlite3"
        return try AppDatabase(path: path, deleteOnDeinit: true)
    }

    deinit {
        close()
        guard let path = temporaryPath else { return }
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }

    /// Stops the checkpoint thread and closes every connection: the last connection to the file
    /// (of any process) checkpoints the WAL into the database and removes it, so the next start
    /// need not read the whole WAL back (recovery checksums every frame). Later use throws.
    public func close() {
        checkpointer?.stop()
        try? pool.close()
    }

    /// Frees SQLite's page caches (at idle, after a burst; see `MemoryReclaimer`).
    public func releaseMemory() {
        pool.releaseMemory()
    }

    /// The path of the database file.
    public var path: String { pool.path }

    /// Throws a storage error unless the database answers `SELECT 1`.
    public func healthCheck() throws {
        _ = try read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    static func configuration(maxSizeBytes: Int? = nil) -> DatabaseConfiguration {
        var config = DatabaseConfiguration()
        // Writers wait up to 5 s for another process's write lock; readers keep 10 s (they
        // only wait in rare WAL cases, such as another process recovering the WAL after a crash).
        config.writerBusyTimeoutMs = 5000
        config.readerBusyTimeoutMs = 10000
        // Page caches: the writer keeps the right edges and inner pages of the tables and
        // indexes a chat request writes (about 40 pages, 160 KB); readers mostly read one small row.
        // SQLite's default of 2 MB per connection was resident memory kept for nothing.
        config.writerCacheKiB = 512
        config.readerCacheKiB = 128
        // In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process
        // (kill -9) loses nothing and the file is never corrupted; only a power cut may lose the
        // last moments. Every chat request commits twice (pending row, then settlement), and a
        // full fsync per commit was most of the cost of usage logging.
        config.prepareDatabase = { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // No mmap (SQLite's default): each connection maps the file on its own and every page
            // it touches stays resident, so a 150 MB usage log showed as 300 MB of RSS after a
            // minute of load; CPU per request was the same within noise either way.
            if let limit = maxSizeBytes {
                let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA max_page_count = \(max(1, limit / pageSize))")
            }
        }
        return config
    }

    // MARK: - Access with error mapping

    /// One write transaction (`BEGIN IMMEDIATE`); SQLite errors become `DomainError(.storage)`.
    func write<T>(_ updates: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(updates)
        } catch {
            throw StorageError.map(error, path: pool.path)
        }
    }

    /// One read transaction on a snapshot; SQLite errors become `DomainError(.storage)`.
    func read<T>(_ value: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(value)
        } catch {
            throw StorageError.map(error, path: pool.path)
        }
    }
}

/// A new lowercase UUID string, the format of every id in the database: version 7 (RFC 9562),
/// 48 bits of Unix milliseconds then 74 random bits. Ids made one after another sort one after
/// another, so the primary-key indexes of usage rows, conversations and messages grow at their
/// right edge (one page touched per commit, no splits in the middle) instead of at random
/// places. The random bits come from `getrandom` (through glibc's `arc4random_buf`), 4 KB at a
/// time: `SystemRandomNumberGenerator` made a system call per 8 bytes, eight per chat request;
/// Foundation's `UUID()` opened /dev/urandom for every id.
func newId() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    let ms = UInt64(max(0, Int64(ts.tv_sec))) &* 1000 &+ UInt64(ts.tv_nsec / 1_000_000)
    var bytes = [UInt8](repeating: 0, count: 16)
    for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(i))) }
    bytes.withUnsafeMutableBytes { raw in idRandomness.take(10, into: raw.baseAddress! + 6) }
    bytes[6] = (bytes[6] & 0x0f) | 0x70  // version 7
    bytes[8] = (bytes[8] & 0x3f) | 0x80  // RFC 9562 variant
    let hex: StaticString = "0123456789abcdef"
    return String(unsafeUninitializedCapacity: 36) { out in
        var o = 0
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = UInt8(ascii: "-"); o += 1 }
            out[o] = hex.utf8Start[Int(byte >> 4)]
            out[o + 1] = hex.utf8Start[Int(byte & 0x0f)]
            o += 2
        }
        return o
    }
}

/// Random bytes for ids, drawn from the kernel's generator a buffer at a time.
private let idRandomness = RandomBuffer()

final class RandomBuffer: Sendable {
    private let state = Mutex<(bytes: [UInt8], used: Int)>(([UInt8](repeating: 0, count: 4096), 4096))

    func take(_ count: Int, into out: UnsafeMutableRawPointer) {
        state.withLock { s in
            if s.used + count > s.bytes.count {
                s.bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                s.used = 0
            }
            s.bytes.withUnsafeBytes { out.copyMemory(from: $0.baseAddress! + s.used, byteCount: count) }
            s.used += count
        }
    }
}
