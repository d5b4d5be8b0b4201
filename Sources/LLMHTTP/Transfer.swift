import Threading
import CCurl

/// One request in flight: the state shared by the engine thread (which owns the easy handle
/// and runs libcurl's callbacks) and the consumer (which awaits the head and reads the body).
///
/// Fields under "locked" are guarded by `lock`; fields under "engine thread" are touched only
/// by the engine thread (libcurl calls the callbacks there too), so they need no lock.
final class Transfer: @unchecked Sendable {
    /// The status line and headers of the final response.
    struct Head: Sendable {
        var status: Int
        var headers: [(String, String)]
    }

    let engine: CurlEngine
    let maxBufferedBytes: Int
    /// When the consumer drains the buffer to this size, a paused transfer resumes.
    let resumeThreshold: Int
    private let lock = PosixLock()

    // MARK: locked

    private var headContinuation: CheckedContinuation<Head, Error>?
    /// The head, when it arrived before anyone awaited it (a transfer started early, see
    /// `HTTPClient.start`); nil once taken or cancelled.
    private var arrivedHead: Head?
    /// Complete chunks not yet read by the consumer; `chunks[chunkStart...]` are pending.
    private var chunks: [[UInt8]] = []
    private var chunkStart = 0
    private var buffered = 0
    private var peakBuffered = 0
    private var bodyWaiter: UnsafeContinuation<[UInt8]?, Error>?
    /// Set once: `.some(nil)` after a clean end, `.some(error)` after a failure or a cancel.
    private var outcome: HTTPError??
    private var pausedForConsumer = false
    private var unpauseRequested = false
    private var pauseCount = 0
    private var pauseWaiters: [CheckedContinuation<Void, Never>] = []

    // MARK: engine thread

    /// The easy handle while the transfer is alive; nil once cleaned up.
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    let errorBuffer: UnsafeMutablePointer<CChar>
    var responseStatus = 0
    var responseHeaders: [(String, String)] = []
    var headDelivered = false
    /// Bumped by every callback; the idle check compares it with `seenActivity`.
    var activity: UInt64 = 0
    var seenActivity: UInt64 = 0
    var lastActivityNanos: UInt64 = 0
    var pausedInCurl = false

    init(engine: CurlEngine, maxBufferedBytes: Int) {
        self.engine = engine
        self.maxBufferedBytes = max(1, maxBufferedBytes)
        self.resumeThreshold = self.maxBufferedBytes / 2
        let size = llm_curl_error_size()
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        if let easy { curl_easy_cleanup(easy) }
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    // MARK: consumer side

    /// Registers the continuation that `send` awaits; fails it at once if already finished.
    func awaitHead(_ continuation: CheckedContinuation<Head, Error>) {
        lock.lock()
        if let head = arrivedHead {
            arrivedHead = nil
            lock.unlock()
            continuation.resume(returning: head)
            return
        }
        if let outcome {
            lock.unlock()
            continuation.resume(throwing: outcome ?? HTTPError(.transport, "transfer ended without a response"))
            return
        }
        headContinuation = continuation
        lock.unlock()
    }

    /// The next body chunk, or nil at the end of the body.
    func nextChunk() async throws -> [UInt8]? {
        if Task.isCancelled {
            cancel()
        }
        // Fast path: a chunk is already buffered, or the transfer is over.
        lock.lock()
        if let result = takeLocked() {
            lock.unlock()
            return try result.get()
        }
        lock.unlock()
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<[UInt8]?, Error>) in
                lock.lock()
                if let result = takeLocked() {
                    lock.unlock()
                    continuation.resume(with: result)
                } else if bodyWaiter != nil {
                    lock.unlock()
                    continuation.resume(throwing: HTTPError(.transport, "the body is already being read by another task"))
                } else {
                    bodyWaiter = continuation
                    lock.unlock()
                }
            }
        } onCancel: {
            self.cancel()
        }
    }

    /// Pops a buffered chunk or returns the outcome; nil when the consumer must wait.
    /// Called with the lock held; may ask the engine to resume a paused transfer.
    private func takeLocked() -> Result<[UInt8]?, Error>? {
        if chunkStart < chunks.count {
            let chunk = chunks[chunkStart]
            chunks[chunkStart] = []
            chunkStart += 1
            if chunkStart == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                chunkStart = 0
            }
            buffered -= chunk.count
            if pausedForConsumer && !unpauseRequested && buffered <= resumeThreshold {
                unpauseRequested = true
                engine.enqueue(.unpause(self))
            }
            return .success(chunk)
        }
        if let outcome {
            if let error = outcome { return .failure(error) }
            return .success(nil)
        }
        return nil
    }

    /// Aborts the transfer: waiters fail with `error`, buffered bytes are dropped and the engine
    /// removes the handle (closing the connection). Does nothing once the transfer has finished.
    func cancel(_ error: HTTPError = HTTPError(.cancelled, "the transfer was cancelled")) {
        lock.lock()
        if outcome != nil {
            lock.unlock()
            return
        }
        outcome = .some(error)
        chunks = []
        chunkStart = 0
        buffered = 0
        arrivedHead = nil
        let waiter = bodyWaiter
        bodyWaiter = nil
        let head = headContinuation
        headContinuation = nil
        let pauses = pauseWaiters
        pauseWaiters = []
        lock.unlock()
        waiter?.resume(throwing: error)
        head?.resume(throwing: error)
        for pause in pauses { pause.resume() }
        engine.enqueue(.cancel(self))
    }

    var isFinished: Bool {
        lock.withLock { outcome != nil }
    }

    // MARK: engine side (libcurl callbacks and completion)

    /// The write callback: hands `count` body bytes to the consumer, or pauses the transfer
    /// when the consumer already has `maxBufferedBytes` waiting.
    @inline(__always)
    func receiveBody(_ bytes: UnsafeMutablePointer<CChar>, count: Int) -> Int {
        if count == 0 { return 0 }
        activity &+= 1
        if !headDelivered { deliverHead() }
        let chunk = [UInt8](UnsafeRawBufferPointer(start: bytes, count: count))
        lock.lock()
        if outcome != nil {
            lock.unlock()
            return 0  // cancelled: abort; the engine removes the handle
        }
        if let waiter = bodyWaiter {
            bodyWaiter = nil
            lock.unlock()
            waiter.resume(returning: chunk)
            return count
        }
        if buffered >= maxBufferedBytes {
            pausedForConsumer = true
            pauseCount += 1
            let pauses = pauseWaiters
            pauseWaiters = []
            lock.unlock()
            for pause in pauses { pause.resume() }
            pausedInCurl = true
            return llm_curl_writefunc_pause()
        }
        chunks.append(chunk)
        buffered += count
        if buffered > peakBuffered { peakBuffered = buffered }
        lock.unlock()
        return count
    }

    /// Hands the collected status and headers to whoever awaits them, once (or keeps them
    /// for `awaitHead`, unless the transfer was cancelled meanwhile).
    func deliverHead() {
        headDelivered = true
        let head = Head(status: responseStatus, headers: responseHeaders)
        responseHeaders = []
        lock.lock()
        let continuation = headContinuation
        headContinuation = nil
        if continuation == nil && outcome == nil { arrivedHead = head }
        lock.unlock()
        continuation?.resume(returning: head)
    }

    /// Records the end of the transfer (nil error = the body is complete). Engine thread.
    func finish(_ error: HTTPError?) {
        if error == nil && !headDelivered { deliverHead() }
        lock.lock()
        if outcome != nil {
            lock.unlock()
            return
        }
        outcome = .some(error)
        let waiter = bodyWaiter
        bodyWaiter = nil
        let head = headContinuation
        headContinuation = nil
        let pauses = pauseWaiters
        pauseWaiters = []
        lock.unlock()
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
        head?.resume(throwing: error ?? HTTPError(.transport, "transfer ended without a response"))
        for pause in pauses { pause.resume() }
    }

    /// Clears the consumer-pause flags before the engine resumes the transfer. Engine thread.
    func prepareUnpause() {
        lock.lock()
        pausedForConsumer = false
        unpauseRequested = false
        lock.unlock()
        pausedInCurl = false
    }

    // MARK: testing

    /// Bytes received and not yet read by the consumer.
    var bufferedBytes: Int { lock.withLock { buffered } }
    /// The most bytes ever buffered at once.
    var peakBufferedBytes: Int { lock.withLock { peakBuffered } }
    /// How many times the transfer paused for the consumer.
    var pauses: Int { lock.withLock { pauseCount } }

    /// Returns once the transfer has paused for the consumer (or finished).
    func waitUntilPaused() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if pauseCount > 0 || outcome != nil {
                lock.unlock()
                continuation.resume()
            } else {
                pauseWaiters.append(continuation)
                lock.unlock()
            }
        }
    }
}
