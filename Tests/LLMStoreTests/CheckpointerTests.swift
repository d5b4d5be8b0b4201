import Foundation
import Testing
@testable import LLMStore

/// WAL checkpoints run on their own thread, not inside the commit that crosses the threshold.
@Suite(.timeLimit(.minutes(3))) struct CheckpointerTests {
    @Test func theThreadCheckpointsWhileTheWriterDoesNot() throws {
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
        #expect(now.result == 0 && now.walFrames >= 0 && now.copied == now.walFrames)
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: db.path)[.size] as? Int)
        #expect(fileSize > 1200 * 3000, "the rows were copied into the database file (\(fileSize) bytes)")

        #expect(try db.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 1200)
        // The writer's own automatic checkpoint is off (our WAL hook replaced SQLite's).
        let auto = try db.pool.write { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
        #expect(auto == 0)
    }

    @Test func aCheckpointIsAskedForOncePerThousandNewFramesNotAfterEveryCommit() throws {
        let db = try AppDatabase.makeTemporary()
        let checkpointer = try #require(db.checkpointer)
        try db.pool.write { try $0.execute(sql: "CREATE TABLE t (x BLOB NOT NULL)") }
        let blob = Data(repeating: 5, count: 3000)
        // A reader keeps its snapshot open throughout, so no checkpoint can reach the end of
        // the WAL and the WAL never starts over: its frame count only grows.
        try db.pool.read { reader in
            _ = try Int.fetchOne(reader, sql: "SELECT COUNT(*) FROM t")
            for _ in 0..<1500 {
                try db.pool.write { try $0.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [blob]) }
            }
        }
        // Asked each time the WAL passed another 1,000 frames, not at each of the commits past 1,000.
        let walSize = try #require(try FileManager.default.attributesOfItem(atPath: db.path + "-wal")[.size] as? Int)
        let frames = (walSize - 32) / (4096 + 24)
        #expect(frames > 2000 && frames < Int(Checkpointer.writerFallback))
        // (Each request re-arms at its own frame count, so the last may fall a few frames short.)
        #expect((frames / 1000 - 1...frames / 1000).contains(checkpointer.requests), "\(checkpointer.requests) requests for \(frames) frames")
    }

    @Test func withoutTheThreadTheWriterStillBoundsTheWAL() throws {
        let db = try AppDatabase.makeTemporary()
        try #require(db.checkpointer).stop()
        try db.pool.write { try $0.execute(sql: "CREATE TABLE t (x BLOB NOT NULL)") }
        let blob = Data(repeating: 9, count: 3000)
        for _ in 0..<9000 {
            try db.pool.write { try $0.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [blob]) }
        }
        // 9,000 commits of one page each: without any checkpoint the WAL would hold them all.
        let walSize = try #require(try FileManager.default.attributesOfItem(atPath: db.path + "-wal")[.size] as? Int)
        #expect(walSize < Int(Checkpointer.writerFallback + 200) * 4120, "WAL of \(walSize) bytes")
        #expect(try db.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 9000)
    }
}
