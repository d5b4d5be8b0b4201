#if canImport(Glibc)
import Glibc
#endif

// Threads and locks on pthreads directly, for the server's few threads (the HTTP engine, the
// checkpointer, writers, readers of regular files): Foundation's Thread, NSLock and NSCondition
// are not in FoundationEssentials, and linking all of Foundation for them cost ~10 MB of
// resident memory. One copy, used by LLMHTTP, LLMStore, LLMServer and the CLI.

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC, through the vDSO): for timeouts and pauses.
@inline(__always)
public func monotonicNanos() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

public enum Threads {
    /// Runs `body` on a new detached thread named `name`.
    /// For blocking work (reads, accepts) that must not hold a thread of the concurrency pool.
    public static func start(name: String? = nil, _ body: @escaping @Sendable () -> Void) {
        final class Start {
            let name: String?
            let body: @Sendable () -> Void
            init(name: String?, body: @escaping @Sendable () -> Void) { self.name = name; self.body = body }
        }
        let context = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attr, { context in
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            if let name = start.name { nameCurrentThread(name) }
            start.body()
            return nil
        }, context)
        precondition(rc == 0, "pthread_create failed: \(String(cString: strerror(rc)))")
    }
}

/// One thread that runs blocking jobs one after another: started with the first job, parked
/// between jobs, ended after `idleSeconds` without one (the next job starts it again). For work
/// that may block now and then and must not hold a thread of the task pool or an event thread,
/// without starting a thread each time (~50–300 µs on a small VM).
public final class SerialThread: @unchecked Sendable {
    private let name: String
    private let idleSeconds: Double
    private let cond = PosixCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var running = false
    private var starts = 0
    private var done = 0

    public init(name: String, idleSeconds: Double = 10) {
        self.name = name
        self.idleSeconds = idleSeconds
    }

    /// Runs `job` on the thread, after the jobs before it.
    public func run(_ job: @escaping @Sendable () -> Void) {
        cond.lock()
        jobs.append(job)
        if running {
            cond.signal()
        } else {
            running = true
            starts += 1
            Threads.start(name: name) { [self] in loop() }
        }
        cond.unlock()
    }

    /// Threads started so far, and jobs run (for tests).
    public var threadsStarted: Int { cond.withLock { starts } }
    public var jobsRun: Int { cond.withLock { done } }
    /// Whether the thread is there (running a job or parked).
    public var isRunning: Bool { cond.withLock { running } }

    private func loop() {
        cond.lock()
        while true {
            while jobs.isEmpty {
                if !cond.wait(seconds: idleSeconds) && jobs.isEmpty {
                    running = false
                    cond.unlock()
                    return
                }
            }
            let batch = jobs
            jobs = []
            cond.unlock()
            for job in batch { job() }
            cond.lock()
            done += batch.count
        }
    }
}

/// A pthread mutex.
public final class PosixLock: @unchecked Sendable {
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) public func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) public func unlock() { pthread_mutex_unlock(mutex) }
    /// Takes the lock if it is free; false (without waiting) if another thread holds it.
    @inline(__always) public func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }

    @inline(__always) public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// A pthread mutex and condition variable, used as NSCondition was: `lock()`, then `wait()`
/// in a loop on the predicate, `signal()`/`broadcast()` with the lock held.
public final class PosixCondition: @unchecked Sendable {
    private let mutex = PosixLock()
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        cond = .allocate(capacity: 1)
        cond.initialize(to: pthread_cond_t())
        // Timed waits count on the monotonic clock (a change of the wall clock does not move them).
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        cond.deallocate()
    }

    public func lock() { mutex.lock() }
    public func unlock() { mutex.unlock() }
    /// Releases the lock until signalled, then holds it again. Wakes spuriously at times.
    public func wait() { pthread_cond_wait(cond, mutex.mutex) }
    public func signal() { pthread_cond_signal(cond) }
    public func broadcast() { pthread_cond_broadcast(cond) }

    /// `wait()` for at most `seconds`; false on timeout.
    public func wait(seconds: Double) -> Bool {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let whole = Int(max(0, seconds))
        var nsec = Int(ts.tv_nsec) + Int((max(0, seconds) - Double(whole)) * 1e9)
        var sec = Int(ts.tv_sec) + whole
        if nsec >= 1_000_000_000 { sec += 1; nsec -= 1_000_000_000 }
        ts.tv_sec = sec
        ts.tv_nsec = nsec
        return pthread_cond_timedwait(cond, mutex.mutex, &ts) == 0
    }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        try mutex.withLock(body)
    }
}

/// Names the calling thread, as `top -H` and debuggers show it (15 bytes at most).
/// pthread_setname_np is a GNU extension that Swift's Glibc module does not declare.
private func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = write(fd, bytes, bytes.count)
    close(fd)
}
