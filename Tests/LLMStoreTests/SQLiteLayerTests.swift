import Foundation
import Testing
@testable import LLMStore
import CSQLite

/// The store's own SQLite layer (Sources/LLMStore/SQLite): snapshots, statements, values,
/// errors and migrations, on real files.
@Suite struct SQLiteLayerTests {
    /// A fresh file and a pool on it, removed afterwards.
    static func withPool(_ body: (DatabasePool, String) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "llmrpc-sqlite-\(UUID().uuidString).sqlite3"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let pool = try DatabasePool(path: path)
        defer { try? pool.close() }
        try body(pool, path)
    }

    /// Memory statistics make every SQLite allocation take one process-wide mutex; they are
    /// turned off before the first connection opens, so SQLite reports no memory in use.
    @Test func sqliteKeepsNoMemoryStatistics() throws {
        try Self.withPool { pool, _ throws in
            try pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER NOT NULL); INSERT INTO t VALUES (1)") }
            #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 1)
            #expect(sqliteConfigured == 0)  // SQLITE_OK: applied before the library initialised
            #expect(sqlite3_memory_used() == 0)
        }
    }

    /// The statement cache hashes a text by its length and its ends; texts that agree there
    /// still get statements of their own.
    @Test func statementsWhoseTextsShareLengthAndEndsAreCachedApart() throws {
        try Self.withPool { pool, _ throws in
            let a = "SELECT            0 AS value, 'the same ending here'"
            let b = "SELECT            7 AS value, 'the same ending here'"
            #expect(a.utf8.count == b.utf8.count && a.prefix(16) == b.prefix(16) && a.suffix(16) == b.suffix(16))
            #expect(SQLKey(a).hashValue == SQLKey(b).hashValue && SQLKey(a) != SQLKey(b))
            let values = try pool.read { db in
                try [a, b, a].map { try Int.fetchOne(db.cachedStatement(sql: $0)) }
            }
            #expect(values == [0, 7, 0])
        }
    }

    @Test func aReadSeesOneSnapshotWhileTheWriterCommits() throws {
        try Self.withPool { pool, _ throws in
            try pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER NOT NULL); INSERT INTO t VALUES (1)") }
            let (before, during) = try pool.read { db -> (Int, Int) in
                let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t")!
                try pool.write { try $0.execute(sql: "INSERT INTO t VALUES (2)") }
                return (before, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t")!)
            }
            #expect(before == 1 && during == 1)
            #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 2)
            // Without a transaction each statement sees the latest commit.
            try pool.unsafeRead { db in
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") == 2)
                try pool.write { try $0.execute(sql: "INSERT INTO t VALUES (3)") }
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") == 3)
            }
        }
    }

    @Test func releasingThePageCachesKeepsEveryConnectionWorking() throws {
        try Self.withPool { pool, _ throws in
            try pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER NOT NULL); INSERT INTO t VALUES (1), (2)") }
            #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT SUM(x) FROM t") } == 3)
            pool.releaseMemory()
            try pool.write { try $0.execute(sql: "INSERT INTO t VALUES (4)") }
            #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT SUM(x) FROM t") } == 7)
        }
    }

    @Test func aFailedWriteRollsBackAndTheWriterStaysUsable() throws {
        try Self.withPool { pool, _ throws in
            try pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER NOT NULL UNIQUE)") }
            #expect {
                try pool.write { db in
                    try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [1])
                    try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [1])
                }
            } throws: { error in
                let e = error as? DatabaseError
                return e?.resultCode == .SQLITE_CONSTRAINT && e?.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
                    && StorageError.isUniqueViolation(error)
            }
            #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 0)
            try pool.write { try $0.execute(sql: "INSERT INTO t VALUES (5)") }
            #expect(try pool.read { try Int.fetchAll($0, sql: "SELECT x FROM t") } == [5])
        }
    }

    @Test func statementsRefuseTrailingStatementsAndWrongArgumentCounts() throws {
        try Self.withPool { pool, _ throws in
            try pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER)") }
            try pool.write { db in
                #expect(throws: DatabaseError.self) { _ = try db.makeStatement(sql: "SELECT 1; DELETE FROM t") }
                #expect { try db.cachedStatement(sql: "INSERT INTO t VALUES (?)").execute(arguments: [1, 2]) }
                    throws: { ($0 as? DatabaseError)?.resultCode == .SQLITE_MISUSE }
                // A trailing semicolon and white space are one statement.
                try db.makeStatement(sql: "INSERT INTO t VALUES (7);  \n").execute()
            }
            #expect(try pool.read { try Int.fetchAll($0, sql: "SELECT x FROM t") } == [7])
        }
    }

    @Test func valuesRoundTripExactly() throws {
        try Self.withPool { pool, _ throws in
            let text = "nul\u{0}inside, é, 🙂"
            let blob = Data([0, 1, 2, 255, 0])
            try pool.write { db in
                try db.execute(sql: "CREATE TABLE v (i INTEGER, t TEXT, b BLOB, r REAL, n INTEGER)")
                try db.execute(sql: "INSERT INTO v VALUES (?, ?, ?, ?, ?)",
                               arguments: [Int64.min, text, blob, 0.5, nil as Int?])
                try db.execute(sql: "INSERT INTO v VALUES (?, ?, ?, ?, ?)", arguments: [Int64.max, "", Data(), -2.0, true])
            }
            let rows = try pool.read { try Row.fetchAll($0, sql: "SELECT * FROM v ORDER BY i") }
            #expect(rows.count == 2)
            #expect(rows[0]["i"] as Int64 == Int64.min)
            #expect(rows[0]["t"] as String == text)
            #expect(rows[0]["b"] as Data == blob)
            #expect(rows[0]["r"] as Double == 0.5)
            #expect(rows[0]["n"] as Int? == nil)
            #expect(rows[0]["I"] as Int64 == Int64.min)  // names compare case-insensitively
            #expect(rows[1]["i"] as Int64 == Int64.max)
            #expect(rows[1]["t"] as String == "")
            #expect(rows[1]["b"] as Data == Data())
            #expect(rows[1]["r"] as Int == -2)
            #expect(rows[1]["n"] as Bool == true)
            #expect(rows[1]["missing"] as String? == nil)
            #expect(rows[1][0] as Int64 == Int64.max)
            // fetchAll of one column: a NULL is an error, not a silent gap.
            #expect { _ = try pool.read { try Int.fetchAll($0, sql: "SELECT n FROM v ORDER BY i") } }
                throws: { ($0 as? DatabaseError)?.resultCode == .SQLITE_MISMATCH }
            #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT n FROM v WHERE i < 0") } == nil)
        }
    }

    @Test func migrationsApplyOnceAndAFailureAppliesNone() throws {
        try Self.withPool { pool, _ throws in
            var migrator = DatabaseMigrator()
            migrator.registerMigration("a") { try $0.execute(sql: "CREATE TABLE a (x INTEGER)") }
            migrator.registerMigration("b") { try $0.execute(sql: "CREATE TABLE b (x INTEGER)") }
            try migrator.migrate(pool, upTo: "a")
            try migrator.migrate(pool)
            try migrator.migrate(pool)
            #expect(try pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == ["a", "b"])

            var broken = migrator
            broken.registerMigration("c") { try $0.execute(sql: "CREATE TABLE c (x INTEGER)") }
            broken.registerMigration("d") { try $0.execute(sql: "CREATE TABLE a (x INTEGER)") }  // already exists
            #expect(throws: DatabaseError.self) { try broken.migrate(pool) }
            #expect(try pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == ["a", "b"])
            #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'") } == 0)
            // Foreign keys are on again afterwards.
            #expect(try pool.write { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") } == 1)
        }
    }

    @Test func aMigrationThatBreaksAForeignKeyIsRefused() throws {
        try Self.withPool { pool, _ throws in
            var migrator = DatabaseMigrator()
            migrator.registerMigration("parent") { try $0.execute(sql: "CREATE TABLE p (id INTEGER PRIMARY KEY)") }
            migrator.registerMigration("orphan") { db in
                try db.execute(sql: "CREATE TABLE c (p INTEGER REFERENCES p(id)); INSERT INTO c VALUES (42)")
            }
            #expect { try migrator.migrate(pool) }
                throws: { ($0 as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY }
            #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('p', 'c')") } == 0)
        }
    }

    @Test func poolsOpeningOneNewFileAtOnceMigrateItOnce() async throws {
        let path = NSTemporaryDirectory() + "llmrpc-race-\(UUID().uuidString).sqlite3"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let opened = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask { try AppDatabase(path: path).modelCount() >= 0 ? 1 : 0 }
            }
            return try await group.reduce(0, +)
        }
        #expect(opened == 4)
        let db = try AppDatabase(path: path)
        #expect(try db.pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == AppDatabase.migrator.identifiers)
    }
}
