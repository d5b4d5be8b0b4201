import Foundation
import GRDB
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
    /// Users, models and keys in memory (see `AppDatabase+SettingsCache.swift`).
    let settingsCache = SettingsCache()

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
        } catch {
            throw StorageError.map(error, path: path)
        }
        temporaryPath = deleteOnDeinit ? path : nil
    }

    /// A fresh database in a new temporary file, deleted when the instance is released.
    /// For tests.
    public static func makeTemporary() throws -> AppDatabase {
        let path = NSTemporaryDirectory() + "llmrpc-test-\(UUID().uuidString.lowercased()).sqlite3"
        return try AppDatabase(path: path, deleteOnDeinit: true)
    }

    deinit {
        guard let path = temporaryPath else { return }
        try? pool.close()
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }

    /// The path of the database file.
    public var path: String { pool.path }

    /// Throws a storage error unless the database answers `SELECT 1`.
    public func healthCheck() throws {
        _ = try read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    static func configuration(maxSizeBytes: Int? = nil) -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(5)  // busy_timeout = 5000 ms
        // Readers keep GRDB's own 10 s timeout (they only wait in rare WAL cases, such as
        // another process recovering the WAL after a crash).
        config.label = "llmrpc"
        // In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process
        // (kill -9) loses nothing and the file is never corrupted; only a power cut may lose the
        // last moments. Every chat request commits twice (pending row, then settlement), and a
        // full fsync per commit was most of the cost of usage logging.
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
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

/// A new lowercase UUID string (version 4), the format of every id in the database.
/// Foundation's `UUID()` opens /dev/urandom for every id on Linux; the standard library's
/// generator uses the `getrandom` system call instead (a chat request makes four ids).
func newId() -> String {
    var g = SystemRandomNumberGenerator()
    var b = (g.next() as UInt64, g.next() as UInt64)
    return withUnsafeBytes(of: &b) { raw -> String in
        let hex: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { out in
            var o = 0
            for i in 0..<16 {
                var byte = raw[i]
                if i == 6 { byte = (byte & 0x0f) | 0x40 }  // version 4
                if i == 8 { byte = (byte & 0x3f) | 0x80 }  // RFC 4122 variant
                if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = UInt8(ascii: "-"); o += 1 }
                out[o] = hex.utf8Start[Int(byte >> 4)]
                out[o + 1] = hex.utf8Start[Int(byte & 0x0f)]
                o += 2
            }
            return o
        }
    }
}
