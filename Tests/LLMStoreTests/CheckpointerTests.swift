import Foundation
import GRDB
import Testing
@testable import LLMStore

/// WAL checkpoints run on their own thread, not inside the commit that crosses the threshold.
@Suite(.timeLimit(.minutes(1))) struct CheckpointerTests {
    @Test func theWriterNeverCheckpointsItselfAndTheThreadKeepsTheWALShort() throws {
        let db = try AppDatabase.makeTemporary()
        let checkpointer = try #require(db.checkpointer)
        try db.pool.write { try $0.execute(sql: "CREATE TABLE t (x BLOB NOT NULL)") }
        let before = checkpointer.runs
        // Each commit adds a page or two to the WAL: 1,200 commits cross the threshold.
        let blob = Data(repeating: 7, count: 3000)
        for _ in 0..<1200 {
            try db.pool.write { try $0.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [blob]) }
        }
        #expect(checkpointer.waitForRuns(atLeast: before + 1, until: Date().addingTimeInterval(30)))
        // Everything committed is in the database file after a checkpoint with no reader.
        let now = checkpointer.checkpointNow()
        #expect(now.result == 0 && now.copied == now.walFrames)
        #expect(try db.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 1200)
        // The writer's own automatic checkpoint is off (our WAL hook replaced SQLite's).
        let auto = try db.pool.write { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
        #expect(auto == 0)
    }
}
