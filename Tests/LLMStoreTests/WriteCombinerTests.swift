import Foundation
import Synchronization
import Testing
import Threading
@testable import LLMStore

/// Group commit: writes that arrive while a transaction runs are committed together; when one
/// of them fails, again each in its own savepoint.
@Suite(.timeLimit(.minutes(3))) struct WriteCombinerTests {
    /// Runs of each work of a batch (the works run on the writer, one at a time).
    final class Runs: @unchecked Sendable {
        var counts = [Int](repeating: 0, count: 5)
    }

    @Test func aBatchRunsEachWorkOnceWithoutSavepointsUnlessOneFails() throws {
        let db = try AppDatabase.makeTemporary()
        try db.pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER NOT NULL)") }
        struct Refused: Error {}
        for failing in [nil, 3] as [Int?] {
            let runs = Runs()
            let works: [WriteCombiner.Work] = (0..<5).map { i in
                { d in
                    runs.counts[i] += 1
                    try d.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [i])
                    if i == failing { throw Refused() }
                }
            }
            let errors = WriteCombiner.commit(db.pool, works, wait: true)!
            #expect(errors.map { $0 == nil } == (0..<5).map { $0 != failing })
            if failing == nil {
                #expect(runs.counts == [1, 1, 1, 1, 1])
            } else {
                // The first pass stops at the failing work and is rolled back; the second runs
                // every work in a savepoint of its own.
                #expect(runs.counts == [2, 2, 2, 2, 1])
            }
        }
        let xs = try db.pool.read { try Int.fetchAll($0, sql: "SELECT x FROM t ORDER BY x") }
        #expect(xs == [0, 0, 1, 1, 2, 2, 3, 4, 4])
    }

    @Test func aFailingWriteInABatchUndoesOnlyItself() throws {
        let db = try AppDatabase.makeTemporary()
        try db.pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER NOT NULL)") }
        struct Refused: Error {}
        let works: [WriteCombiner.Work] = (0..<5).map { i in
            { d in
                try d.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [i])
                try d.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [i + 100])
                if i == 2 { throw Refused() }
            }
        }
        let errors = WriteCombiner.commit(db.pool, works, wait: true)!
        #expect(errors.map { $0 == nil } == [true, true, false, true, true])
        #expect(errors[2] is Refused)
        let xs = try db.pool.read { try Int.fetchAll($0, sql: "SELECT x FROM t ORDER BY x") }
        #expect(xs == [0, 1, 3, 4, 100, 101, 103, 104])
    }

    @Test func aFailedCommitFailsEveryWriteOfTheBatch() throws {
        let db = try AppDatabase.makeTemporary()
        try db.pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER NOT NULL)") }
        // A deferred foreign key fails at COMMIT, after every work succeeded.
        try db.pool.write { try $0.execute(sql: """
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
            """) }
        let works: [WriteCombiner.Work] = [
            { d in try d.execute(sql: "INSERT INTO t (x) VALUES (1)") },
            { d in try d.execute(sql: "INSERT INTO child (p) VALUES (42)") },
        ]
        let errors = WriteCombiner.commit(db.pool, works, wait: true)!
        #expect(errors.allSatisfy { ($0 as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT })
        #expect(try db.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 0)
    }

    @Test func writesArrivingDuringACommitShareTheNextTransaction() async throws {
        let db = try AppDatabase.makeTemporary()
        try db.pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER NOT NULL)") }
        let combiner = db.writeCombiner
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        // The first write holds its transaction open until the others are queued, on a thread
        // of its own (blocking one of the task pool's two threads would starve the others).
        let first = Task(executorPreference: OneThreadExecutor()) {
            try await db.combinedWrite { d in
                try d.execute(sql: "INSERT INTO t (x) VALUES (-1)")
                inside.signal()
                release.wait()
            }
        }
        await withCheckedContinuation { c in DispatchQueue.global().async { inside.wait(); c.resume() } }
        let n = 20
        let writers = (0..<n).map { i in
            Task.detached { () -> Bool in
                do {
                    try await db.combinedWrite { d in
                        try d.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [i])
                        if i == 7 { throw DatabaseError(resultCode: .SQLITE_CONSTRAINT, message: "refused") }
                    }
                    return true
                } catch { return false }
            }
        }
        await combiner.waitUntilQueued(n)
        release.signal()
        try await first.value
        var ok: [Bool] = []
        for w in writers { ok.append(await w.value) }
        #expect(ok.filter { !$0 }.count == 1 && ok[7] == false)
        #expect(combiner.transactions.load(ordering: .relaxed) == 2)
        let xs = try db.pool.read { try Int.fetchAll($0, sql: "SELECT x FROM t ORDER BY x") }
        #expect(xs == [-1] + (0..<n).filter { $0 != 7 })
    }

    /// While another process holds the write lock, a combined write waits off its caller's
    /// thread: the one thread of the executor it was called on (in the server, the HTTP engine,
    /// which serves every chat) keeps running other work, and the write succeeds afterwards.
    @Test func aWriteLockedByAnotherProcessWaitsWithoutHoldingTheCallersThread() async throws {
        let db = try AppDatabase.makeTemporary()
        try db.pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER NOT NULL)") }
        let other = try AppDatabase(path: db.path)  // stands for another process
        let executor = OneThreadExecutor()
        // Twice: the second wait runs on the thread the first one started.
        for round in 0..<2 {
            let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
            Thread {
                try? other.pool.write { db in
                    try db.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [10 * round + 1])
                    locked.signal()
                    release.wait()
                }
            }.start()
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async { locked.wait(); c.resume() }
            }
            let write = Task(executorPreference: executor) {
                try await db.combinedWrite { try $0.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [10 * round + 2]) }
            }
            // Runs on the same single thread, after the write has reached its commit (the write
            // yields once before it commits; these yields let it get there): if the write blocked
            // that thread until the lock is released, this would finish only after the write had
            // given up (busy timeout), and the write would fail.
            // It also ends the other process's transaction, from that same thread (not from a
            // thread of the task pool, which parallel tests may keep busy).
            let otherWork = await Task(executorPreference: executor) { () async -> Int in
                await Task.yield()
                await Task.yield()
                release.signal()
                return 40 + 2
            }.value
            #expect(otherWork == 42)
            try await write.value
        }
        #expect(try db.pool.read { try Int.fetchAll($0, sql: "SELECT x FROM t ORDER BY x") } == [1, 2, 11, 12])
        #expect(db.writeCombiner.lockWaiter.jobsRun == 2 && db.writeCombiner.lockWaiter.threadsStarted == 1)
    }
}

/// A task executor with one thread of its own.
final class OneThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let cond = NSCondition()
    private var jobs: [UnownedJob] = []

    init() {
        Thread { [self] in
            while true {
                cond.lock()
                while jobs.isEmpty { cond.wait() }
                let job = jobs.removeFirst()
                cond.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        cond.lock()
        jobs.append(job)
        cond.signal()
        cond.unlock()
    }
}

/// The thread a commit waits on: jobs run in order on one thread, started once; after its idle
/// time it ends, and the next job starts it again.
@Suite struct SerialThreadTests {
    @Test func jobsRunInOrderOnOneThreadThatEndsWhenIdleAndStartsAgain() async {
        let worker = SerialThread(name: "test-serial", idleSeconds: 10)
        let order = Mutex<[Int]>([])
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            for i in 0..<5 { worker.run { order.withLock { $0.append(i) } } }
            worker.run { c.resume() }
        }
        #expect(order.withLock { $0 } == [0, 1, 2, 3, 4])
        #expect(worker.threadsStarted == 1 && worker.isRunning)

        // With no idle time the thread ends after its job; the next job starts another.
        let brief = SerialThread(name: "test-serial2", idleSeconds: 0)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in brief.run { c.resume() } }
        while brief.isRunning { await Task.yield() }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in brief.run { c.resume() } }
        #expect(brief.threadsStarted == 2)
    }
}
