#if canImport(Glibc)
import Glibc
#endif

/// A mutex with a condition variable (pthreads), for the store's few blocking waits: the
/// writer connection, the idle readers, the checkpoint thread.
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func signal() { pthread_cond_signal(cond) }
    func broadcast() { pthread_cond_broadcast(cond) }

    /// Waits for a signal (the lock held).
    func wait() { pthread_cond_wait(cond, mutex) }

    /// Waits for a signal for at most `seconds` (the lock held); false on timeout.
    func wait(seconds: Double) -> Bool {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let whole = Int(seconds)
        var nsec = Int(ts.tv_nsec) + Int((seconds - Double(whole)) * 1e9)
        var sec = Int(ts.tv_sec) + whole
        if nsec >= 1_000_000_000 { sec += 1; nsec -= 1_000_000_000 }
        ts.tv_sec = sec
        ts.tv_nsec = nsec
        return pthread_cond_timedwait(cond, mutex, &ts) == 0
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// Starts a detached thread running `body`.
func startThread(_ body: @escaping @Sendable () -> Void) {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, context)
    precondition(rc == 0, "pthread_create failed (\(rc))")
    pthread_detach(thread)
}

private final class ThreadBody {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
