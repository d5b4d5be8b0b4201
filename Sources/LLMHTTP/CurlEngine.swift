import Threading
import CCurl
import CLinux
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Initialises libcurl once per process, before any engine thread starts.
private let curlGlobalInit: CURLcode = llm_curl_global_init()

/// The one thread that owns a libcurl multi handle. It loops on `curl_multi_poll`; other
/// threads hand it work (`enqueue`) under a lock and wake it with `curl_multi_wakeup`.
/// Every libcurl call on the multi handle, and on easy handles once added, happens here.
///
/// It is also a task executor: tasks that prefer it (`Task(executorPreference:)`) run their
/// jobs on this thread between two rounds of libcurl work. A request that runs here sends its
/// transfer, and is resumed when the response or a body chunk arrives, without a hand-off to
/// another thread and back (each hand-off is a wake-up, and on a busy core a wait).
final class CurlEngine: TaskExecutor, @unchecked Sendable {
    enum Operation {
        case add(Transfer)
        case cancel(Transfer)
        case unpause(Transfer)
        case watch(Int32, @Sendable () -> Bool)
    }

    private let multi: UnsafeMutableRawPointer
    private let idleTimeoutNanos: UInt64
    private let idleCheckIntervalNanos: UInt64
    private let lock = PosixLock()
    private let stopped = DispatchSemaphore(value: 0)

    // locked
    private var operations: [Operation] = []
    private var jobs: [UnownedJob] = []
    private var isShutDown = false
    private var engineThread: pthread_t?
    /// Whether the thread is (about to be) in `curl_multi_poll` and must be woken for new work.
    private var polling = false

    // engine thread only
    private var active: [ObjectIdentifier: Transfer] = [:]
    private var spareOperations: [Operation] = []
    private var spareJobs: [UnownedJob] = []
    /// Descriptors watched along with libcurl's sockets, and what to run when one is readable
    /// (false: stop watching it).
    private var watched: [Int32: @Sendable () -> Bool] = [:]
    /// The watched descriptors `poll` can wait on, in the order they came. Up to
    /// `directPollLimit` of them are polled with libcurl's sockets; past that, libcurl's poll
    /// waits on one epoll instance that holds them all (every one is added to it). Polling each
    /// made every round's `poll` (several per request) walk every idle connection: 32 idle
    /// socket clients added ~35–65 µs to a request's time to first chunk and ~0.8 ms to its
    /// p99; through epoll a lone stdin cost ~25 µs more (one more wake-up hop and system call),
    /// hence both (session 10).
    private var pollable: [Int32] = []
    private static let directPollLimit = 4
    private let epoll: Int32
    /// Watched descriptors epoll refuses (a regular file, /dev/null: `poll` calls them always
    /// readable): their callbacks run every round, and the round does not sleep.
    private var alwaysReady: [Int32] = []
    private var waitFDs: [curl_waitfd] = []
    private var readyFDs = [Int32](repeating: 0, count: 64)
    private var nextIdleCheckNanos: UInt64 = 0

    /// Easy handles of finished transfers, reset, for the next transfers to take (creating and
    /// freeing one per request was ~13 k instructions). Taken on any thread, given back here.
    /// As many are kept as idle connections (`maxIdleConnections`): with 16, a steady 64
    /// requests in flight still created and freed a handle for 7 requests in 10 (~9 k
    /// instructions each, callgrind); a reset handle holds ~7 KB.
    private let spareLock = PosixLock()
    private var spareHandles: [UnsafeMutableRawPointer] = []
    private let maxSpareHandles: Int

    /// `maxIdleConnections`: see `HTTPClientConfiguration` (`CURLMOPT_MAXCONNECTS`).
    init(idleTimeout: Double, maxIdleConnections: Int) {
        precondition(curlGlobalInit == CURLE_OK, "curl_global_init failed")
        multi = curl_multi_init()!
        epoll = llmrpc_epoll_create()
        precondition(epoll >= 0, "epoll_create1 failed: errno \(errno)")
        _ = llm_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxIdleConnections)
        maxSpareHandles = max(1, maxIdleConnections)
        idleTimeoutNanos = UInt64(max(0.001, idleTimeout) * 1e9)
        // Check about ten times per idle period, between every 10 ms and every second.
        idleCheckIntervalNanos = min(1_000_000_000, max(10_000_000, idleTimeoutNanos / 10))
        Threads.start(name: "llmhttp-curl") { [self] in self.run() }
    }

    /// Hands an operation to the engine thread. Returns false once the engine has shut down.
    @discardableResult
    func enqueue(_ operation: Operation) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if isShutDown { return false }
        operations.append(operation)
        wakeIfPollingLocked()
        return true
    }

    /// Wakes the engine out of `curl_multi_poll` if it is in it (or about to be). With `lock`
    /// held, so the multi handle cannot be cleaned up meanwhile.
    private func wakeIfPollingLocked() {
        if polling {
            polling = false
            curl_multi_wakeup(multi)
        }
    }

    /// Runs `job` on the engine thread (`TaskExecutor`). After shutdown, jobs run on a
    /// dispatch queue instead: the tasks they belong to must still finish.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        lock.lock()
        if isShutDown {
            lock.unlock()
            let executor = asUnownedTaskExecutor()
            DispatchQueue.global().async { job.runSynchronously(on: executor) }
            return
        }
        jobs.append(job)
        wakeIfPollingLocked()
        lock.unlock()
    }

    /// Fails every transfer with `.cancelled` and stops the thread; waits for it unless called
    /// from it. Idempotent.
    func shutdown() {
        lock.lock()
        if isShutDown {
            lock.unlock()
            return
        }
        isShutDown = true
        curl_multi_wakeup(multi)
        let onEngineThread = engineThread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        lock.unlock()
        if !onEngineThread {
            stopped.wait()
            stopped.signal()
        }
    }

    // MARK: the engine thread

    private func run() {
        lock.withLock { engineThread = pthread_self() }
        var running: Int32 = 0
        let executor = asUnownedTaskExecutor()
        while true {
            // Jobs first: a request's job usually adds its transfer, which then starts in this
            // same round.
            lock.lock()
            swap(&jobs, &spareJobs)
            lock.unlock()
            for job in spareJobs { job.runSynchronously(on: executor) }
            spareJobs.removeAll(keepingCapacity: true)

            lock.lock()
            swap(&operations, &spareOperations)
            let stop = isShutDown
            lock.unlock()
            for operation in spareOperations {
                perform(operation)
            }
            spareOperations.removeAll(keepingCapacity: true)
            if stop { break }

            curl_multi_perform(multi, &running)
            collectFinished()
            let now = monotonicNanos()
            if !active.isEmpty && now >= nextIdleCheckNanos {
                checkIdle(now: now)
                nextIdleCheckNanos = now + idleCheckIntervalNanos
            }
            var waitMillis: Int32 = active.isEmpty
                ? 10_000
                : Int32(clamping: (nextIdleCheckNanos &- min(now, nextIdleCheckNanos)) / 1_000_000 + 1)
            if !alwaysReady.isEmpty { waitMillis = 0 }
            // Work that arrived meanwhile (jobs resumed by this round's callbacks) runs at once;
            // otherwise others must wake the poll.
            lock.lock()
            if jobs.isEmpty && operations.isEmpty && !isShutDown {
                polling = true
            } else {
                waitMillis = 0
            }
            lock.unlock()
            waitFDs.removeAll(keepingCapacity: true)
            if pollable.count > Self.directPollLimit {
                waitFDs.append(curl_waitfd(fd: epoll, events: Int16(CURL_WAIT_POLLIN), revents: 0))
            } else {
                for fd in pollable { waitFDs.append(curl_waitfd(fd: fd, events: Int16(CURL_WAIT_POLLIN), revents: 0)) }
            }
            if waitFDs.isEmpty {
                curl_multi_poll(multi, nil, 0, waitMillis, nil)
            } else {
                curl_multi_poll(multi, &waitFDs, UInt32(waitFDs.count), waitMillis, nil)
            }
            lock.withLock { polling = false }
            if !alwaysReady.isEmpty || waitFDs.contains(where: { $0.revents != 0 }) { runReadable() }
        }
        let cancelled = HTTPError(.cancelled, "the HTTP client was shut down")
        for transfer in active.values {
            remove(transfer)
            transfer.finish(cancelled)
        }
        active = [:]
        lock.lock()
        let leftover = operations
        operations = []
        lock.unlock()
        for case .add(let transfer) in leftover {
            transfer.finish(cancelled)
        }
        curl_multi_cleanup(multi)
        close(epoll)
        for easy in spareLock.withLock({ () -> [UnsafeMutableRawPointer] in
            defer { spareHandles = [] }
            return spareHandles
        }) { curl_easy_cleanup(easy) }
        // Jobs queued before the shutdown still run (later ones go to a dispatch queue).
        let pending = lock.withLock { () -> [UnownedJob] in
            defer { jobs = [] }
            return jobs
        }
        if !pending.isEmpty {
            DispatchQueue.global().async { for job in pending { job.runSynchronously(on: executor) } }
        }
        stopped.signal()
    }

    /// Runs the callbacks of the watched descriptors that are readable (or closed): those this
    /// round's poll found (directly, or through epoll) and those poll cannot wait on.
    private func runReadable() {
        if waitFDs.count == 1 && waitFDs[0].fd == epoll {
            if waitFDs[0].revents != 0 {
                let n = readyFDs.withUnsafeMutableBufferPointer { llmrpc_epoll_ready(epoll, $0.baseAddress!, Int32($0.count)) }
                for i in 0..<max(0, Int(n)) { runCallback(readyFDs[i]) }
            }
        } else {
            for w in waitFDs where w.revents != 0 { runCallback(w.fd) }
        }
        for fd in alwaysReady { runCallback(fd) }
    }

    private func runCallback(_ fd: Int32) {
        guard let onReadable = watched[fd] else { return }
        if onReadable() { return }
        watched[fd] = nil
        if let i = alwaysReady.firstIndex(of: fd) {
            alwaysReady.remove(at: i)
        } else {
            pollable.removeAll { $0 == fd }
            _ = llmrpc_epoll_unwatch(epoll, fd)  // fails harmlessly if the callback closed it
        }
    }

    private func perform(_ operation: Operation) {
        switch operation {
        case .watch(let fd, let onReadable):
            // A number watched again (its descriptor closed, the number reused) gets the new callback.
            let known = watched[fd] != nil
            watched[fd] = onReadable
            if known { return }
            if llmrpc_epoll_watch(epoll, fd) == 0 || errno == EEXIST { pollable.append(fd) } else { alwaysReady.append(fd) }
        case .add(let transfer):
            guard !transfer.isFinished, let easy = transfer.easy else { return }
            transfer.lastActivityNanos = monotonicNanos()
            let code = curl_multi_add_handle(multi, easy)
            if code != CURLM_OK {
                transfer.finish(HTTPError(.transport, String(cString: curl_multi_strerror(code))))
                return
            }
            active[ObjectIdentifier(transfer)] = transfer
        case .cancel(let transfer):
            // Removing an unfinished transfer closes its connection at once.
            guard active.removeValue(forKey: ObjectIdentifier(transfer)) != nil else { return }
            remove(transfer)
        case .unpause(let transfer):
            guard active[ObjectIdentifier(transfer)] != nil, let easy = transfer.easy else { return }
            transfer.prepareUnpause()
            transfer.lastActivityNanos = monotonicNanos()
            // May call the write callback right away with the data held back.
            _ = llm_curl_easy_unpause(easy)
        }
    }

    /// Takes finished transfers off the multi handle and reports their outcome.
    private func collectFinished() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = llm_curl_msg_result(message)
            var pointer: UnsafeMutableRawPointer?
            _ = llm_curl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &pointer)
            guard let pointer else { continue }
            let transfer = Unmanaged<Transfer>.fromOpaque(pointer).takeUnretainedValue()
            active.removeValue(forKey: ObjectIdentifier(transfer))
            let error = code == CURLE_OK ? nil : Self.error(for: code, transfer)
            remove(transfer)
            transfer.finish(error)
        }
    }

    /// Fails transfers that received nothing for the idle timeout (paused ones excepted).
    private func checkIdle(now: UInt64) {
        var expired: [Transfer] = []
        for transfer in active.values {
            if transfer.activity != transfer.seenActivity || transfer.pausedInCurl {
                transfer.seenActivity = transfer.activity
                transfer.lastActivityNanos = now
            } else if now &- transfer.lastActivityNanos >= idleTimeoutNanos {
                expired.append(transfer)
            }
        }
        for transfer in expired {
            active.removeValue(forKey: ObjectIdentifier(transfer))
            remove(transfer)
            let seconds = Double(idleTimeoutNanos) / 1e9
            transfer.finish(HTTPError(.idleTimeout, "no data received for \(seconds) s"))
        }
    }

    /// An easy handle in its initial state: a spare one, or a new one (nil if libcurl fails).
    func takeEasyHandle() -> UnsafeMutableRawPointer? {
        let spare = spareLock.withLock { () -> UnsafeMutableRawPointer? in
            if let handle = spareHandles.popLast() { return handle }
            handlesCreated += 1
            return nil
        }
        return spare ?? curl_easy_init()
    }

    /// Frees the spare handles. After a burst the survivors are scattered through the heap,
    /// where they keep malloc from giving back the pages around them (RSS stayed ~1.5 MB higher
    /// after the bench's load with 64 kept). Any thread: a spare handle belongs to no transfer
    /// and is off the multi handle.
    func releaseSpareHandles() {
        let handles = spareLock.withLock { () -> [UnsafeMutableRawPointer] in
            defer { spareHandles = [] }
            return spareHandles
        }
        for handle in handles { curl_easy_cleanup(handle) }
    }

    /// Easy handles created so far (tests). Under `spareLock`.
    private var handlesCreated = 0
    var spareHandlesCreated: Int { spareLock.withLock { handlesCreated } }

    /// Detaches the easy handle from the multi handle and keeps it, reset, for another
    /// transfer (or frees it past `maxSpareHandles`). Engine thread.
    private func remove(_ transfer: Transfer) {
        guard let easy = transfer.easy else { return }
        curl_multi_remove_handle(multi, easy)
        curl_easy_reset(easy)
        let kept = spareLock.withLock { () -> Bool in
            guard spareHandles.count < maxSpareHandles else { return false }
            spareHandles.append(easy)
            return true
        }
        if !kept { curl_easy_cleanup(easy) }
        transfer.easy = nil
        if let list = transfer.headerList {
            curl_slist_free_all(list)
            transfer.headerList = nil
        }
    }

    private static func error(for code: CURLcode, _ transfer: Transfer) -> HTTPError {
        let detail = transfer.errorBuffer.pointee != 0
            ? String(cString: transfer.errorBuffer)
            : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY,
             CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION:
            return HTTPError(.connectFailed, detail)
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPError(.timedOut, detail)
        default:
            return HTTPError(.transport, detail)
        }
    }
}
