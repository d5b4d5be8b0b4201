import Threading
import CCurl
import CLinux
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Initialises libcurl once per process, before any engine thread starts.
private let curlGlobalInit: CURLcode = llm_curl_global_init()

/// The one thread that owns a libcurl multi handle, driven through libcurl's event interface:
/// libcurl says which of its sockets to wait on, for what (its socket callback), and when to be
/// called back (its timer callback); the thread waits in `epoll_wait` on one epoll instance that
/// holds those sockets, the watched descriptors (stdin, socket clients) and an eventfd, and
/// tells libcurl which sockets are ready (`curl_multi_socket_action`). Other threads hand it
/// work (`enqueue`) under a lock and wake it through the eventfd. Every libcurl call on the
/// multi handle, and on easy handles once added, happens here.
/// Work per round follows what is ready, not how many transfers or clients there are (see
/// NOTES: `curl_multi_perform` walked every transfer each round).
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
    /// Whether the thread is (about to be) in `epoll_wait` and must be woken for new work.
    private var polling = false

    // engine thread only
    private var active: [ObjectIdentifier: Transfer] = [:]
    private var spareOperations: [Operation] = []
    private var spareJobs: [UnownedJob] = []
    /// Descriptors watched along with libcurl's sockets, and what to run when one is readable
    /// (false: stop watching it).
    private var watched: [Int32: @Sendable () -> Bool] = [:]
    /// libcurl's sockets in `epoll`, and what libcurl waits on each for (`CURL_POLL_*`).
    private var curlSockets: [Int32: Int32] = [:]
    /// Sockets libcurl no longer waits on (a connection between two transfers) left in `epoll`
    /// with what they were waited on for: a keep-alive connection is let go at the end of every
    /// transfer and taken again by the next, and leaving it there makes that one `epoll_ctl`
    /// instead of two (a removal and an addition: ~1.8 per plain request under load). One that
    /// becomes ready meanwhile (the server closed it) is taken out then; one libcurl closes
    /// leaves the instance by itself, and its number, if reused, is added anew.
    private var parkedSockets: [Int32: Int32] = [:]
    /// When libcurl asked to be called back (monotonic ns; 0: at once), nil: not at all.
    private var timerDeadline: UInt64?
    /// Holds libcurl's sockets, the watched descriptors and `wakeFD`.
    private let epoll: Int32
    /// Signalled by other threads to wake the engine from `epoll_wait` (see `polling`).
    private let wakeFD: Int32
    /// Watched descriptors epoll refuses (a regular file, /dev/null: `poll` calls them always
    /// readable): their callbacks run every round, and the round does not sleep.
    private var alwaysReady: [Int32] = []
    private static let maxEvents = 1024
    private var readyFDs = [Int32](repeating: 0, count: CurlEngine.maxEvents)
    private var readyWhat = [Int32](repeating: 0, count: CurlEngine.maxEvents)
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
        wakeFD = llmrpc_eventfd_create()
        precondition(wakeFD >= 0 && llmrpc_epoll_set(epoll, wakeFD, 0, 1, 0) == 0, "eventfd failed: errno \(errno)")
        _ = llm_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxIdleConnections)
        maxSpareHandles = max(1, maxIdleConnections)
        idleTimeoutNanos = UInt64(max(0.001, idleTimeout) * 1e9)
        // Check about ten times per idle period, between every 10 ms and every second.
        idleCheckIntervalNanos = min(1_000_000_000, max(10_000_000, idleTimeoutNanos / 10))
        // The engine outlives the multi handle (cleaned up at the end of `run`), so the
        // callbacks may use it unretained.
        let code = llm_curl_multi_set_event_callbacks(multi, { _, socket, what, engine, _ in
            Unmanaged<CurlEngine>.fromOpaque(engine!).takeUnretainedValue().curlWaits(on: socket, for: what)
            return 0
        }, { _, timeoutMillis, engine in
            Unmanaged<CurlEngine>.fromOpaque(engine!).takeUnretainedValue().curlCallBack(in: timeoutMillis)
            return 0
        }, Unmanaged.passUnretained(self).toOpaque())
        precondition(code == CURLM_OK, "libcurl refused its event callbacks")
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

    /// Wakes the engine out of `epoll_wait` if it is in it (or about to be). With `lock` held,
    /// so the eventfd cannot be closed meanwhile.
    private func wakeIfPollingLocked() {
        if polling {
            polling = false
            llmrpc_eventfd_signal(wakeFD)
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
        llmrpc_eventfd_signal(wakeFD)
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

            // An added transfer asks to be called back at once: it is sent here.
            var now = monotonicNanos()
            if let deadline = timerDeadline, deadline <= now {
                timerDeadline = nil
                var running: Int32 = 0
                curl_multi_socket_action(multi, llm_curl_socket_timeout(), 0, &running)
                collectFinished()
                now = monotonicNanos()
            }
            if !active.isEmpty && now >= nextIdleCheckNanos {
                checkIdle(now: now)
                nextIdleCheckNanos = now + idleCheckIntervalNanos
            }
            var waitMillis: Int32 = active.isEmpty
                ? 10_000
                : Int32(clamping: (nextIdleCheckNanos &- min(now, nextIdleCheckNanos)) / 1_000_000 + 1)
            if let deadline = timerDeadline {
                // Rounded up: woken before it, the round would find nothing due and wait again.
                waitMillis = min(waitMillis, Int32(clamping: (deadline &- min(now, deadline) + 999_999) / 1_000_000))
            }
            if !alwaysReady.isEmpty { waitMillis = 0 }
            // Work that arrived meanwhile (jobs resumed by this round's callbacks) runs at once;
            // otherwise others must wake the wait.
            lock.lock()
            if jobs.isEmpty && operations.isEmpty && !isShutDown {
                polling = true
            } else {
                waitMillis = 0
            }
            lock.unlock()
            let n = llmrpc_epoll_wait(epoll, &readyFDs, &readyWhat, Int32(Self.maxEvents), waitMillis)
            lock.withLock { polling = false }
            for i in 0..<max(0, Int(n)) {
                let fd = readyFDs[i]
                if fd == wakeFD {
                    llmrpc_eventfd_drain(wakeFD)
                } else if curlSockets[fd] != nil {
                    let what = Int(readyWhat[i])
                    var mask: Int32 = 0
                    if what & (LLMRPC_EPOLL_IN | LLMRPC_EPOLL_HUP) != 0 { mask |= CURL_CSELECT_IN }
                    if what & LLMRPC_EPOLL_OUT != 0 { mask |= CURL_CSELECT_OUT }
                    if what & LLMRPC_EPOLL_ERR != 0 { mask |= CURL_CSELECT_ERR }
                    var running: Int32 = 0
                    curl_multi_socket_action(multi, fd, mask, &running)
                } else if parkedSockets.removeValue(forKey: fd) != nil {
                    _ = llmrpc_epoll_unwatch(epoll, fd)  // an idle connection closed or spoke
                } else {
                    runCallback(fd)
                }
            }
            for fd in alwaysReady { runCallback(fd) }
            collectFinished()
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
        lock.withLock {
            close(wakeFD)
            close(epoll)
        }
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

    private func runCallback(_ fd: Int32) {
        guard let onReadable = watched[fd] else { return }
        if onReadable() { return }
        watched[fd] = nil
        if let i = alwaysReady.firstIndex(of: fd) {
            alwaysReady.remove(at: i)
        } else {
            _ = llmrpc_epoll_unwatch(epoll, fd)  // fails harmlessly if the callback closed it
        }
    }

    /// libcurl's socket callback: wait on `socket` for `what` (`CURL_POLL_*`), or no longer.
    /// Engine thread (libcurl calls it from the calls made there).
    fileprivate func curlWaits(on socket: Int32, for what: Int32) {
        if what == CURL_POLL_REMOVE {
            if let was = curlSockets.removeValue(forKey: socket) { parkedSockets[socket] = was }
            return
        }
        let readable: Int32 = what == CURL_POLL_IN || what == CURL_POLL_INOUT ? 1 : 0
        let writable: Int32 = what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? 1 : 0
        let waited = curlSockets.updateValue(what, forKey: socket)
        if waited == what { return }
        // A parked one is changed, not added (it may have been closed since: then added).
        let inInstance = waited != nil || parkedSockets.removeValue(forKey: socket) != nil
        if llmrpc_epoll_set(epoll, socket, inInstance ? 1 : 0, readable, writable) != 0 {
            // Added before (EEXIST) or gone from the instance (ENOENT): the other operation.
            _ = llmrpc_epoll_set(epoll, socket, inInstance ? 0 : 1, readable, writable)
        }
    }

    /// How many of libcurl's sockets the engine waits on (for tests).
    func curlSocketsWaitedOn() async -> Int {
        await Task(executorPreference: self) { self.curlSockets.count }.value
    }

    /// libcurl's timer callback: call `curl_multi_socket_action` with the timeout "socket" in
    /// `millis` ms (0: at once, -1: not at all). Engine thread.
    fileprivate func curlCallBack(in millis: Int) {
        timerDeadline = millis < 0 ? nil : millis == 0 ? 0 : monotonicNanos() + UInt64(millis) * 1_000_000
    }

    private func perform(_ operation: Operation) {
        switch operation {
        case .watch(let fd, let onReadable):
            // A number watched again (its descriptor closed, the number reused) gets the new callback.
            let known = watched[fd] != nil
            watched[fd] = onReadable
            if known { return }
            parkedSockets[fd] = nil  // a closed connection's number, reused
            if llmrpc_epoll_set(epoll, fd, 0, 1, 0) != 0 {
                // Still in the instance under this number (its descriptor was duplicated): only
                // readable now. Refused (EPERM): run every round.
                if errno != EEXIST || llmrpc_epoll_set(epoll, fd, 1, 1, 0) != 0 { alwaysReady.append(fd) }
            }
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
