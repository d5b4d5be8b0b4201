import CSQLite
import Threading
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a connection waits for a lock that another connection holds: in WAL mode, the write
/// lock, held by another process's commit (every `llmrpc` on one data dir shares the file), most
/// often for a tenth of a millisecond.
///
/// SQLite's own busy handler (`sqlite3_busy_timeout`) sleeps 1, 2, 5, 10 … ms between tries, so a
/// chat whose in-flight row met another process's commit waited a millisecond or more for a lock
/// freed ~100 µs later (seen with strace in the bench, whose stdio and socket servers share a
/// database: ~400 sleeps of 1 ms per server in a quick run; its latency figures did not move
/// measurably once they were gone, so they were not what set its tails).
/// This one retries after 20 µs at first, backs off to SQLite's 1 ms, and gives up with
/// `SQLITE_BUSY` once its pauses add up to the timeout.
///
/// One per connection, owned by whoever owns the connection (installed with `install(on:)`,
/// removed with `uninstall(from:)`); it must outlive its installation.
final class BusyWait: BusyRetrying, Sendable {
    let timeoutMs: Int
    /// Pauses made so far, on this connection.
    let pauses = Atomic<Int>(0)

    init(timeoutMs: Int) {
        self.timeoutMs = timeoutMs
    }

    /// Makes `connection` wait this way (or, with a timeout of 0 or less, fail at once).
    func install(on connection: OpaquePointer?) {
        installBusyHandler(self, on: connection, enabled: timeoutMs > 0)
    }

    /// `connection` fails with `SQLITE_BUSY` at once when a lock is taken.
    static func uninstall(from connection: OpaquePointer?) {
        guard let connection else { return }
        sqlite3_busy_handler(connection, nil, nil)
    }

    /// Sleeps before retry `attempt` (0 for the first) and returns true, or returns false (give
    /// up) once the pauses have reached the timeout.
    func retry(attempt: Int) -> Bool {
        if Self.pausedMicros(before: attempt) >= timeoutMs * 1000 { return false }
        pauses.add(1, ordering: .relaxed)
        usleep(UInt32(Self.pauseMicros(attempt)))
        return true
    }

    /// The pauses, in µs: 20 ten times, 50 ten times, 100 twenty times, 500 twenty times, then
    /// 1,000 (SQLite's first step) for as long as it takes.
    private static let steps: [(count: Int, micros: Int)] = [(10, 20), (10, 50), (20, 100), (20, 500)]

    /// The pause before retry `attempt`, in µs.
    static func pauseMicros(_ attempt: Int) -> Int {
        var left = attempt
        for step in steps {
            if left < step.count { return step.micros }
            left -= step.count
        }
        return 1000
    }

    /// The pauses before retry `attempt`, added up, in µs.
    static func pausedMicros(before attempt: Int) -> Int {
        var left = attempt, total = 0
        for step in steps {
            let n = min(left, step.count)
            total += n * step.micros
            left -= n
        }
        return total + left * 1000
    }
}

/// A short wait for a lock, for a thread that must not sleep (the HTTP engine's): it tries again
/// at once, yielding the core between tries, for up to `micros`, then gives up with
/// `SQLITE_BUSY` (the caller then waits elsewhere). Another process's commit most often holds
/// the write lock for a tenth of a millisecond or less; a sleep would cost more than that here
/// (timer slack, a wake-up), and a hand-off to another thread two wake-ups.
///
/// Installed for one call with `Database.withBriefLockWait`, by whoever holds the connection.
final class BriefLockWait: BusyRetrying, @unchecked Sendable {
    let micros: Int
    /// Tries made again so far (for tests).
    let retries = Atomic<Int>(0)
    /// Until when (monotonic ns), set at the first busy answer.
    private var deadline: UInt64 = 0

    init(micros: Int) {
        self.micros = micros
    }

    func install(on connection: OpaquePointer?) {
        installBusyHandler(self, on: connection, enabled: micros > 0)
    }

    /// True (try again) until `micros` have passed since the first busy answer of this lock.
    func retry(attempt: Int) -> Bool {
        let now = monotonicNanos()
        if attempt == 0 { deadline = now + UInt64(micros) * 1000 }
        if now >= deadline { return false }
        retries.add(1, ordering: .relaxed)
        sched_yield()
        return true
    }
}

/// A connection's busy handler: SQLite calls `retry` when a lock it needs is held, until it
/// returns false (then `SQLITE_BUSY`). `attempt` counts from 0 for each lock.
protocol BusyRetrying: AnyObject {
    func retry(attempt: Int) -> Bool
}

/// Installs `handler` on `connection` (unretained: its owner keeps it alive while installed),
/// or, unless `enabled`, no handler (a held lock fails at once).
private func installBusyHandler(_ handler: some BusyRetrying, on connection: OpaquePointer?, enabled: Bool) {
    guard let connection else { return }
    guard enabled else { return BusyWait.uninstall(from: connection) }
    sqlite3_busy_handler(connection, { context, attempt in
        guard let context else { return 0 }
        let handler = Unmanaged<AnyObject>.fromOpaque(context).takeUnretainedValue() as! any BusyRetrying
        return handler.retry(attempt: Int(attempt)) ? 1 : 0
    }, Unmanaged.passUnretained(handler as AnyObject).toOpaque())
}
