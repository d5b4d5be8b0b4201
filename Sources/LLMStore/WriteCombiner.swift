import Threading
import Synchronization

/// Group commit for the writes of chat requests. Every chat request writes twice (its
/// pending usage row, then its settlement), and each commit writes every page it touched to
/// the WAL. Under load, writes that arrive while one is running wait (suspended, not
/// blocking a thread) and are committed together in the next transaction; one failing write
/// (a budget refusal) does not undo the others (see `commit`).
///
/// No thread of its own (but `lockWaiter`, for a wait on another process's lock): the first
/// writer to arrive leads: it yields once (so that ready tasks, under load other requests about
/// to write, run and queue), runs its write with whatever is queued by then, resumes the others
/// with their results, and hands the lead to the next queued writer if any. A lone writer goes
/// straight through.
final class WriteCombiner: Sendable {
    typealias Work = @Sendable (Database) throws -> Void

    private enum Signal: Sendable {
        case done((any Error)?)
        case lead
    }

    private struct Waiter: Sendable {
        let work: Work
        let continuation: CheckedContinuation<Signal, Never>
    }

    private struct State {
        var busy = false
        var queue: [Waiter] = []
        /// Deferred writes started and not yet finished, and who waits for them to finish.
        var deferred = 0
        var settledWaiters: [CheckedContinuation<Void, Never>] = []
        /// Who waits for the queue to reach a length (`waitUntilQueued`, for tests).
        var queueWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        /// Takes the queue waiters whose length has been reached.
        mutating func reachedQueueWaiters() -> [CheckedContinuation<Void, Never>] {
            guard !queueWaiters.isEmpty else { return [] }
            let n = queue.count
            let reached = queueWaiters.filter { $0.count <= n }.map(\.continuation)
            queueWaiters.removeAll { $0.count <= n }
            return reached
        }
    }

    private let state = Mutex(State())
    /// Where deferred writes run (nil: the global executor). The server gives the executor chat
    /// requests run on: a record then starts after the answer is written, on the same thread,
    /// instead of waking another thread (which on a busy core may run before the answer).
    let deferredExecutor = Mutex<(any TaskExecutor)?>(nil)
    /// Writes per transaction, at most (a bound on a batch's savepoints and latency).
    static let maxBatch = 64
    /// How long a commit on the engine thread tries again for another process's write lock
    /// before it moves to `lockWaiter`. Two servers on one database (the bench with
    /// `--shared-data-dir`) met each other's commit on ~35 % of sequential requests; such a
    /// commit holds the lock for ~20–150 µs, and the hand-off to the waiting thread and back
    /// cost two wake-ups (~150–190 µs more per request under `perf`, session 10). Meanwhile the
    /// engine's other transfers wait, hence the bound.
    static let briefLockWaitMicros = 250
    /// Transactions run by this combiner (for tests and diagnostics).
    let transactions = Atomic<Int>(0)
    /// Where a commit waits when another process holds the write lock. One parked thread: a
    /// thread started per wait cost ~50–300 µs, and the bench's two servers on one database met
    /// each other's lock on about a quarter of the stdio server's requests (perf, session 9).
    let lockWaiter = SerialThread(name: "llmrpc-db-wait")

    /// Writes waiting for the current transaction to end.
    var queued: Int { state.withLock { $0.queue.count } }

    /// Returns once `count` writes wait for the current transaction (for tests: no polling).
    func waitUntilQueued(_ count: Int) async {
        await withCheckedContinuation { c in
            let now = state.withLock { s -> Bool in
                if s.queue.count >= count { return true }
                s.queueWaiters.append((count, c))
                return false
            }
            if now { c.resume() }
        }
    }

    /// Starts `work` without waiting for it (see `AppDatabase.settleChatDeferred`); `done`
    /// gets its outcome. `settled()` waits for every deferred write started before it.
    func runDeferred(_ pool: DatabasePool, _ work: @escaping Work, done: @escaping @Sendable ((any Error)?) -> Void) {
        state.withLock { $0.deferred += 1 }
        Task(executorPreference: deferredExecutor.withLock { $0 }) { [self] in
            var failure: (any Error)? = nil
            do { try await perform(pool, work) } catch { failure = error }
            done(failure)
            let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.deferred -= 1
                guard s.deferred == 0 else { return [] }
                defer { s.settledWaiters = [] }
                return s.settledWaiters
            }
            for w in waiters { w.resume() }
        }
    }

    /// Returns once no deferred write is outstanding (at once when none is).
    func settled() async {
        if state.withLock({ $0.deferred == 0 }) { return }
        await withCheckedContinuation { c in
            let now = state.withLock { s -> Bool in
                if s.deferred == 0 { return true }
                s.settledWaiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Runs `work` in a write transaction, alone or with others; rethrows its own error.
    func perform(_ pool: DatabasePool, _ work: @escaping Work) async throws {
        let idle = state.withLock { s -> Bool in
            if s.busy { return false }
            s.busy = true
            return true
        }
        var signal = Signal.lead
        if !idle {
            // Wait for the running transaction; if it ended meanwhile, lead after all.
            signal = await withCheckedContinuation { c in
                let (lead, reached) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if !s.busy { s.busy = true; return (true, []) }
                    s.queue.append(Waiter(work: work, continuation: c))
                    return (false, s.reachedQueueWaiters())
                }
                for r in reached { r.resume() }
                if lead { c.resume(returning: .lead) }
            }
        }
        switch signal {
        case .done(let error):
            if let error { throw error }
        case .lead:
            // Let the tasks that are ready run first: under load they are other requests about
            // to write, which then queue and share this transaction. (Without this, the leader
            // holds the only core through its commit and batches stay of one.)
            await Task.yield()
            if let error = await lead(pool, work) { throw error }
        }
    }

    private func lead(_ pool: DatabasePool, _ own: @escaping Work) async -> (any Error)? {
        let others = state.withLock { s -> [Waiter] in
            let n = min(s.queue.count, Self.maxBatch - 1)
            let taken = Array(s.queue.prefix(n))
            s.queue.removeFirst(n)
            return taken
        }
        let works = [own] + others.map(\.work)
        // Chat requests run on the HTTP engine's thread, which must not block: the first try
        // does not wait for another thread of this process holding the writer, and waits for
        // another process's write lock only briefly, without sleeping (`briefLockWaitMicros`);
        // if it would have to wait longer, the commit waits on `lockWaiter` (the task pool's two
        // threads are not blocked for up to the busy timeout either).
        var result = Self.commit(pool, works, wait: false)
        if result == nil {
            result = await withCheckedContinuation { (c: CheckedContinuation<[(any Error)?]?, Never>) in
                lockWaiter.run { c.resume(returning: Self.commit(pool, works, wait: true)) }
            }
        }
        let errors = result!
        transactions.add(1, ordering: .relaxed)
        for (waiter, error) in zip(others, errors.dropFirst()) {
            waiter.continuation.resume(returning: .done(error))
        }
        let next = state.withLock { s -> Waiter? in
            if s.queue.isEmpty { s.busy = false; return nil }
            return s.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return errors[0]
    }

    /// Runs the works in one `BEGIN IMMEDIATE` … `COMMIT`. Returns each work's error, or nil.
    /// Several works run first one after the other; only if one of them throws is the
    /// transaction rolled back and run again with each work in its own savepoint, so that the
    /// others still commit. (A savepoint makes SQLite copy every page it then changes to a
    /// statement journal, spilled to a temporary file past 64 KB: with a savepoint per work, a
    /// batch of chat records wrote ~10 pages of 4 KB per record there, twice the WAL's share.)
    /// If SQLite ends the transaction itself (a full disk, an I/O error) or the commit fails,
    /// every work gets that error. Without `wait`, nil instead of waiting for the writer or,
    /// past `briefLockWaitMicros`, for another process's lock (see `lead`).
    static func commit(_ pool: DatabasePool, _ works: [Work], wait: Bool) -> [(any Error)?]? {
        func begin(_ db: Database) throws -> Bool {
            do {
                try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
                return true
            } catch let e as DatabaseError where !wait && e.resultCode == .SQLITE_BUSY {
                return false  // another process holds the write lock
            }
        }
        func allSucceed(_ db: Database) -> Bool {
            do {
                for work in works { try work(db) }
                return true
            } catch {
                return false
            }
        }
        func run(_ db: Database) throws -> [(any Error)?]? {
            guard try begin(db) else { return nil }
            var errors: [(any Error)?] = []
            errors.reserveCapacity(works.count)
            do {
                if works.count == 1 {
                    try works[0](db)
                    errors.append(nil)
                } else if allSucceed(db) {
                    errors = Array(repeating: nil, count: works.count)
                } else {
                    if db.isInsideTransaction { try db.cachedStatement(sql: "ROLLBACK").execute() }
                    guard try begin(db) else { return nil }
                    for work in works {
                        try db.cachedStatement(sql: "SAVEPOINT combined_write").execute()
                        do {
                            try work(db)
                            try db.cachedStatement(sql: "RELEASE combined_write").execute()
                            errors.append(nil)
                        } catch {
                            guard db.isInsideTransaction else { throw error }
                            try db.cachedStatement(sql: "ROLLBACK TO combined_write").execute()
                            try db.cachedStatement(sql: "RELEASE combined_write").execute()
                            errors.append(error)
                        }
                    }
                }
                try db.cachedStatement(sql: "COMMIT").execute()
                return errors
            } catch {
                if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK").execute() }
                throw error
            }
        }
        do {
            if wait { return try pool.writeWithoutTransaction(run) }
            return (try pool.writeWithoutBlocking(briefWaitMicros: briefLockWaitMicros, run)) ?? nil
        } catch {
            return Array(repeating: error, count: works.count)
        }
    }
}

/// The result of a write run by the combiner, set by the work, read by its caller.
final class WriteResult<T>: @unchecked Sendable {
    var value: T?
}

extension AppDatabase {
    /// One write transaction (`BEGIN IMMEDIATE` … `COMMIT`), rolled back if `body` throws.
    func writeTransaction<T>(_ body: @escaping @Sendable (Database) throws -> T) throws -> T {
        let result = WriteResult<T>()
        if let error = WriteCombiner.commit(pool, [{ db in result.value = try body(db) }], wait: true)![0] {
            throw StorageError.map(error, path: pool.path)
        }
        return result.value!
    }

    /// The same write, committed together with the writes of concurrent requests (see
    /// `WriteCombiner`).
    func combinedWrite<T>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result = WriteResult<T>()
        do {
            try await writeCombiner.perform(pool) { db in result.value = try body(db) }
        } catch {
            throw StorageError.map(error, path: pool.path)
        }
        return result.value!
    }
}
