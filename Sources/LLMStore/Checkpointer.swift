import Threading
import FoundationEssentials
import CSQLite

/// WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside the commit
/// that crosses 1,000 WAL frames, with two fsyncs: the request that happened to commit then
/// (about one in thirty chat requests) waited milliseconds for the disk. Instead, a WAL hook on
/// the writer connection wakes this thread, which runs a PASSIVE checkpoint on a connection of
/// its own: it copies what no reader still needs, and writers go on meanwhile.
final class Checkpointer: @unchecked Sendable {
    /// WAL frames after which a checkpoint is started (SQLite's own default threshold).
    static let threshold: Int32 = 1000

    private let cond = PosixCondition()
    /// Serialises use of `connection` (opened without SQLite's own mutex).
    private let connectionLock = PosixLock()
    private var requested = false
    private var stopping = false
    private var finished = false
    private var connection: OpaquePointer?
    /// The connection's wait for the writers' lock (a checkpoint needs it briefly).
    private let busyWait = BusyWait(timeoutMs: 5000)
    /// Checkpoints run (for tests).
    private(set) var runs = 0
    /// Checkpoints asked for by the WAL hook (for tests; read under no lock).
    private(set) var requests = 0

    init?(path: String) {
        var db: OpaquePointer?
        _ = sqliteConfigured
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            sqlite3_close(db)
            return nil
        }
        busyWait.install(on: db)
        // A connection learns that the file is in WAL mode on its first read; until then a
        // checkpoint does nothing at all.
        guard sqlite3_exec(db, "SELECT COUNT(*) FROM sqlite_master", nil, nil, nil) == SQLITE_OK else {
            sqlite3_close(db)
            return nil
        }
        connection = db
        Threads.start(name: "llmrpc-checkpoint") { [self] in run() }
    }

    /// WAL frames past which the writer checkpoints itself after all, as SQLite would: the
    /// thread is not keeping up (a bound on the WAL's size).
    static let writerFallback: Int32 = 8 * threshold

    /// WAL frames at which the hook next wakes the thread. Touched only by the WAL hook, which
    /// runs on the writer connection under its lock.
    private var nextRequestAt = threshold

    /// Installs the hook on the writer connection (replacing SQLite's automatic checkpoint).
    func attach(to writer: OpaquePointer) {
        sqlite3_wal_hook(writer, { context, db, name, frames in
            guard let context else { return SQLITE_OK }
            Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().walCommitted(db, name, frames: frames)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// After each commit on the writer, with the WAL's frame count. A checkpoint is asked for
    /// once per `threshold` new frames, not after every commit past it: while writers keep
    /// appending, a PASSIVE checkpoint cannot reach the end of the WAL, the WAL does not start
    /// over, and asking again at every commit made each checkpoint walk (and sort) every frame
    /// of the WAL again: 180 k instructions per chat request, a fifth of the request.
    private func walCommitted(_ db: OpaquePointer?, _ name: UnsafePointer<CChar>?, frames: Int32) {
        if frames < nextRequestAt - Self.threshold {
            nextRequestAt = Self.threshold  // the WAL started over
        }
        if frames >= Self.writerFallback {
            sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            nextRequestAt = Self.threshold
        } else if frames >= nextRequestAt {
            nextRequestAt = frames + Self.threshold
            request()
        }
    }

    func request() {
        cond.lock()
        requests += 1
        requested = true
        cond.signal()
        cond.unlock()
    }

    /// Stops the thread after any checkpoint in progress; closes its connection.
    func stop() {
        cond.lock()
        stopping = true
        cond.signal()
        while !finished { cond.wait() }
        cond.unlock()
    }

    /// Waits until at least `n` checkpoints have run (tests); false at the deadline.
    func waitForRuns(atLeast n: Int, until deadline: Date) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        while runs < n {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 || !cond.wait(seconds: left) { return runs >= n }
        }
        return true
    }

    /// Runs one checkpoint now, on the caller's thread (tests).
    func checkpointNow() -> (walFrames: Int32, copied: Int32, result: Int32) {
        let r = checkpoint()
        cond.lock()
        runs += 1
        cond.broadcast()
        cond.unlock()
        return r
    }

    private func checkpoint() -> (walFrames: Int32, copied: Int32, result: Int32) {
        connectionLock.lock()
        defer { connectionLock.unlock() }
        var log: Int32 = 0, copied: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        return (log, copied, rc)
    }

    private func run() {
        cond.lock()
        while true {
            while !requested && !stopping { cond.wait() }
            if stopping { break }
            requested = false
            // Unlocked while it runs: a commit's WAL hook (`request()`) must never wait for it.
            cond.unlock()
            _ = checkpoint()
            cond.lock()
            runs += 1
            cond.broadcast()
        }
        connectionLock.lock()
        sqlite3_close(connection)
        connection = nil
        connectionLock.unlock()
        finished = true
        cond.broadcast()
        cond.unlock()
    }
}
