import Foundation
import Synchronization
import Testing
@testable import LLMStore

/// Waiting for another connection's lock (`BusyWait`): short pauses first, the timeout kept,
/// on real connections to one file.
@Suite struct BusyWaitTests {
    @Test func pausesStartShortAndBackOffToAMillisecond() {
        let first = (0..<70).map(BusyWait.pauseMicros)
        #expect(first == Array(repeating: 20, count: 10) + Array(repeating: 50, count: 10) + Array(repeating: 100, count: 20)
                + Array(repeating: 500, count: 20) + Array(repeating: 1000, count: 10))
        var sum = 0
        for attempt in 0..<6000 {
            #expect(BusyWait.pausedMicros(before: attempt) == sum, "attempt \(attempt)")
            sum += BusyWait.pauseMicros(attempt)
        }
        // 5 s (the writer's timeout) is reached after 5,048 pauses: 12.7 ms in the first 60, then 1 ms each.
        #expect(BusyWait.pausedMicros(before: 5047) == 4_999_700 && BusyWait.pausedMicros(before: 5048) == 5_000_700)
    }

    /// Two connections to one file in WAL mode, where `t` has one column; the file is removed
    /// afterwards.
    static func withConnections(_ body: (Database, Database) async throws -> Void) async throws {
        let path = NSTemporaryDirectory() + "llmrpc-busy-\(UUID().uuidString).sqlite3"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let holder = try Database(path: path, create: true)
        _ = try String.fetchOne(holder, sql: "PRAGMA journal_mode = WAL")
        try holder.execute(sql: "CREATE TABLE t (n INTEGER NOT NULL)")
        let waiter = try Database(path: path, create: false)
        try await body(holder, waiter)
    }

    /// A write that meets another connection's open write transaction pauses until it commits,
    /// then goes on and sees its row.
    @Test func aWriteWaitsForTheOtherCommitThenSeesIt() async throws {
        try await Self.withConnections { holder, waiter in
            waiter.waitForLocks(timeoutMs: 5000)
            try holder.execute(sql: "BEGIN IMMEDIATE; INSERT INTO t VALUES (100)")
            let ended = Ended()
            let done = Task { try await Self.onOwnThread { () throws -> Int? in
                defer { ended.flag.store(true, ordering: .releasing) }
                try waiter.execute(sql: "BEGIN IMMEDIATE; INSERT INTO t SELECT COUNT(*) FROM t; COMMIT")
                return try Int.fetchOne(waiter, sql: "SELECT n FROM t WHERE n <> 100")
            } }
            // The waiter is pausing once it has paused once (or it failed: then the test fails
            // below); then the holder commits.
            while waiter.busyWait!.pauses.load(ordering: .relaxed) == 0 && !ended.flag.load(ordering: .acquiring) {
                await Task.yield()
            }
            try holder.execute(sql: "COMMIT")
            #expect(try await done.value == 1)  // written after the holder's row
            #expect(waiter.busyWait!.pauses.load(ordering: .relaxed) >= 1)
        }
    }

    /// A lock held past the timeout: the write fails with SQLITE_BUSY after exactly the pauses
    /// that fit in it (78 for 30 ms), and no sooner than the timeout.
    @Test func aLockHeldPastTheTimeoutFailsWithBusy() async throws {
        try await Self.withConnections { holder, waiter in
            waiter.waitForLocks(timeoutMs: 30)
            try holder.execute(sql: "BEGIN IMMEDIATE; INSERT INTO t VALUES (1)")
            let start = DispatchTime.now().uptimeNanoseconds
            #expect { try waiter.execute(sql: "BEGIN IMMEDIATE") }
                throws: { ($0 as? DatabaseError)?.resultCode == .SQLITE_BUSY }
            #expect(DispatchTime.now().uptimeNanoseconds - start >= 30_000_000)
            #expect(waiter.busyWait!.pauses.load(ordering: .relaxed) == 78)
            // With no brief wait either, it fails at once, with no pause and no retry.
            waiter.withBriefLockWait(micros: 0) { brief in
                #expect { try waiter.execute(sql: "BEGIN IMMEDIATE") }
                    throws: { ($0 as? DatabaseError)?.resultCode == .SQLITE_BUSY }
                #expect(brief.retries.load(ordering: .relaxed) == 0)
            }
            #expect(waiter.busyWait!.pauses.load(ordering: .relaxed) == 78)
            try holder.execute(sql: "COMMIT")
            try waiter.execute(sql: "BEGIN IMMEDIATE; INSERT INTO t VALUES (2); COMMIT")
            #expect(try Int.fetchAll(waiter, sql: "SELECT n FROM t ORDER BY n") == [1, 2])
        }
    }

    /// The engine thread's brief wait: it tries again without sleeping while the other
    /// connection holds the lock, and goes on as soon as that one commits; no pause is made.
    @Test func aBriefWaitGoesOnOnceTheOtherCommits() async throws {
        try await Self.withConnections { holder, waiter in
            waiter.waitForLocks(timeoutMs: 5000)
            try holder.execute(sql: "BEGIN IMMEDIATE; INSERT INTO t VALUES (100)")
            let seen = Mutex<BriefLockWait?>(nil)
            let ended = Ended()
            let done = Task { try await Self.onOwnThread { () throws -> Int in
                defer { ended.flag.store(true, ordering: .releasing) }
                return try waiter.withBriefLockWait(micros: 60_000_000) { brief in
                    seen.withLock { $0 = brief }
                    try waiter.execute(sql: "BEGIN IMMEDIATE; INSERT INTO t SELECT COUNT(*) FROM t; COMMIT")
                    return brief.retries.load(ordering: .relaxed)
                }
            } }
            // Once it has retried (or failed: then the test fails below), the holder commits.
            while (seen.withLock { $0 }?.retries.load(ordering: .relaxed) ?? 0) == 0 && !ended.flag.load(ordering: .acquiring) {
                await Task.yield()
            }
            try holder.execute(sql: "COMMIT")
            #expect(try await done.value > 0)
            #expect(try Int.fetchAll(waiter, sql: "SELECT n FROM t ORDER BY n") == [1, 100])
            #expect(waiter.busyWait!.pauses.load(ordering: .relaxed) == 0)
            // The connection's own wait is back afterwards.
            try holder.execute(sql: "BEGIN IMMEDIATE")
            let start = DispatchTime.now().uptimeNanoseconds
            waiter.waitForLocks(timeoutMs: 5)
            #expect { try waiter.execute(sql: "BEGIN IMMEDIATE") }
                throws: { ($0 as? DatabaseError)?.resultCode == .SQLITE_BUSY }
            #expect(DispatchTime.now().uptimeNanoseconds - start >= 5_000_000)
            #expect(waiter.busyWait!.pauses.load(ordering: .relaxed) > 0)
            try holder.execute(sql: "ROLLBACK")
        }
    }

    /// A lock held past the brief wait: `SQLITE_BUSY` once it has passed, having retried
    /// without a single sleeping pause.
    @Test func aLockHeldPastTheBriefWaitFailsWithBusy() async throws {
        try await Self.withConnections { holder, waiter in
            waiter.waitForLocks(timeoutMs: 5000)
            try holder.execute(sql: "BEGIN IMMEDIATE; INSERT INTO t VALUES (1)")
            let start = DispatchTime.now().uptimeNanoseconds
            waiter.withBriefLockWait(micros: 2000) { brief in
                #expect { try waiter.execute(sql: "BEGIN IMMEDIATE") }
                    throws: { ($0 as? DatabaseError)?.resultCode == .SQLITE_BUSY }
                #expect(brief.retries.load(ordering: .relaxed) > 0)
            }
            #expect(DispatchTime.now().uptimeNanoseconds - start >= 2_000_000)
            #expect(waiter.busyWait!.pauses.load(ordering: .relaxed) == 0)
            try holder.execute(sql: "COMMIT")
        }
    }

    final class Ended: Sendable { let flag = Atomic<Bool>(false) }

    /// Runs `body` on a thread of its own: a connection waiting for a lock blocks its thread,
    /// and must not hold one of the task pool's (two here), which the tests running meanwhile
    /// need (the holder's commit among them).
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try body() }) }.start()
        }
    }
}
