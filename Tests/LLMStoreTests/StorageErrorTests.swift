import Foundation
import LLMDomain
import Testing
@testable import LLMStore

@Suite struct StorageErrorTests {
    @Test func aFullDatabaseIsAStorageErrorAndWritesNothing() throws {
        let db = try AppDatabase.makeTemporary()
        // Cap the writer connection at its current size: the next page it needs is "disk full".
        try db.pool.write { conn in
            let pages = try Int.fetchOne(conn, sql: "PRAGMA page_count")!
            try conn.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        #expect(throws: DomainError(.storage,
                                    "The disk holding the database \(db.path) is full; free some space and try again")) {
            _ = try db.createUser(email: "big@x.io", fullName: String(repeating: "x", count: 200_000),
                                  passwordHash: "h", isSuperuser: false)
        }
        #expect(try db.user(email: "big@x.io") == nil)
        try db.healthCheck()
    }

    @Test func lockTimeoutsAndOtherFailuresGetClearMessagesWithoutSQLArguments() {
        let path = "/data/llmrpc.sqlite3"
        let busy = DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked",
                                 sql: "UPDATE users SET password_hash = ?", arguments: ["secret-hash"])
        #expect(StorageError.map(busy, path: path) as? DomainError == DomainError(
            .storage, "The database /data/llmrpc.sqlite3 stayed locked by another process for more than 5 s; try again"))
        let io = DatabaseError(resultCode: .SQLITE_IOERR, message: "disk I/O error", sql: "INSERT ...",
                               arguments: ["secret-hash"])
        let mapped = "\(StorageError.map(io, path: path))"
        #expect(mapped == "storage_error: Input/output error on the database /data/llmrpc.sqlite3: disk I/O error")
        // Domain errors and other errors pass through unchanged.
        let domain = DomainError(.modelNotFound, "Model not found")
        #expect(StorageError.map(domain, path: path) as? DomainError == domain)
    }
}
