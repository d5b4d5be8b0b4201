/// An HTTP/1.1 and HTTP/2 client on libcurl's multi interface: one engine thread drives every
/// transfer, connections are kept alive and reused, bodies stream with backpressure.
///
/// Keep the client alive while responses are read: `shutdown()` (also run on deinit) fails
/// every transfer still in flight with `.cancelled`.
public final class HTTPClient: @unchecked Sendable {
    public let configuration: HTTPClientConfiguration
    private let engine: CurlEngine

    public init(configuration: HTTPClientConfiguration = .init()) {
        self.configuration = configuration
        self.engine = CurlEngine(idleTimeout: configuration.idleTimeout, maxIdleConnections: configuration.maxIdleConnections)
    }

    deinit {
        engine.shutdown()
    }

    /// Sends `request` and returns when the final status line and headers have arrived, so
    /// failures are known before any body byte is forwarded. The body then streams through
    /// `HTTPResponse.body`. Throws `HTTPError`; cancelling the calling task cancels the transfer.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await start(request).response()
    }

    /// Starts `request` without waiting for anything: the engine sends it in its next round.
    /// `PendingResponse.response()` then waits for the head (which may have arrived meanwhile:
    /// it is kept, and the body is buffered up to `maxBufferedBytes` before the transfer
    /// pauses). A caller that gives up calls `cancel()`. Throws if the request cannot be set up.
    public func start(_ request: HTTPRequest) throws -> PendingResponse {
        let transfer = Transfer(engine: engine, maxBufferedBytes: configuration.maxBufferedBytes)
        try transfer.configure(request, configuration)
        if !engine.enqueue(.add(transfer)) {
            transfer.finish(HTTPError(.cancelled, "the HTTP client was shut down"))
        }
        return PendingResponse(transfer)
    }

    /// The engine thread as a task executor: a task that prefers it runs between the engine's
    /// rounds of libcurl work, so its transfers' events resume it without a thread hand-off.
    /// Such a task must not block (no long computation, no sleeping system calls).
    public var executor: any TaskExecutor { engine }

    /// Gives back memory kept for the next transfers (spare handles), after a burst.
    public func releaseMemory() {
        engine.releaseSpareHandles()
    }

    /// How many connections' sockets the engine waits on (for tests).
    var socketsWaitedOn: Int { get async { await engine.curlSocketsWaitedOn() } }

    /// Easy handles the engine created so far (the rest were reused). For tests.
    var handlesCreated: Int { engine.spareHandlesCreated }

    /// Has the engine thread poll `fd` along with its transfers and call `onReadable` there,
    /// each time `fd` is readable or closed, until it returns false. One `read(2)` per call does
    /// not block. A reader on this thread hands requests to tasks that prefer `executor` without
    /// waking another thread. Returns false once the client has shut down.
    @discardableResult
    public func watchReadable(fd: Int32, _ onReadable: @escaping @Sendable () -> Bool) -> Bool {
        engine.enqueue(.watch(fd, onReadable))
    }

    /// Cancels every transfer in flight and stops the engine thread. Later sends fail with
    /// `.cancelled`. Idempotent.
    public func shutdown() {
        engine.shutdown()
    }
}

/// A request started with `HTTPClient.start`, whose response is awaited later.
public struct PendingResponse: Sendable {
    let transfer: Transfer

    init(_ transfer: Transfer) {
        self.transfer = transfer
    }

    /// Waits for the final status line and headers (see `HTTPClient.send`). Cancelling the
    /// calling task cancels the transfer.
    public func response() async throws -> HTTPResponse {
        let head: Transfer.Head
        do {
            head = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Transfer.Head, Error>) in
                    transfer.awaitHead(continuation)
                }
            } onCancel: {
                transfer.cancel()
            }
        } catch {
            transfer.cancel()
            throw error
        }
        return HTTPResponse(status: head.status, headers: head.headers, body: HTTPBody(transfer))
    }

    /// Gives the request up: the transfer stops, nothing more is read.
    public func cancel() {
        transfer.cancel()
    }
}
