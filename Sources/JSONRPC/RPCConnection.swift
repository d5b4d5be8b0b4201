import LLMJSON
import Synchronization

/// Where a connection's outgoing lines go (stdout, a socket).
public protocol RPCOutput: AnyObject, Sendable {
    /// Queues one complete message line (its "\n" included). Lines are written in call order.
    func writeLine(_ bytes: [UInt8])
    /// Suspends while the peer is not reading and too much output is waiting (backpressure).
    func waitUntilWritable() async
}

/// One incoming request or notification, after envelope validation.
public struct RPCRequest: Sendable {
    /// nil for a notification.
    public let id: RPCID?
    /// true when the message had `"id": null`: answered with `id: null`.
    public let hasNullID: Bool
    public let method: String
    public let params: Params
    public var isNotification: Bool { id == nil && !hasNullID }
}

/// What a method handler can do besides returning its result.
public struct RPCContext: Sendable {
    public let connection: RPCConnection
    public let request: RPCRequest
    /// Sends a notification now (before the request's response, which is written after the handler returns).
    public func notify(_ method: String, _ params: JSONValue) {
        connection.send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }
    /// Sends one already serialised notification: a complete JSON object on one line, ending
    /// with "\n" (for the stream chunks, written without building a JSONValue).
    public func notifyRaw(line: [UInt8]) {
        connection.output.writeLine(line)
    }
    /// Suspends while the client is not reading.
    public func waitUntilWritable() async { await connection.output.waitUntilWritable() }
}

/// The application side of a connection: the method table, sessions, error mapping.
public protocol RPCHandler: AnyObject, Sendable {
    /// Runs one request or notification and returns its result (ignored for notifications).
    func handle(_ request: RPCRequest, context: RPCContext) async throws -> JSONValue
    /// The one mapping from thrown errors to wire errors.
    func wireError(for error: Error) -> RPCError
    /// Whether end of input (stdin closed) cancels this in-flight request (streams) or lets it finish.
    func cancelsOnInputEnd(method: String) -> Bool
    /// Whether later requests on the connection wait for this one (it changes the session,
    /// like a login), so a pipelined transcript behaves as written.
    func isBarrier(method: String) -> Bool
    /// The executor this request's task prefers (nil: the global concurrent executor).
    func executorPreference(method: String) -> (any TaskExecutor)?
}

extension RPCHandler {
    public func executorPreference(method: String) -> (any TaskExecutor)? { nil }
}

/// One JSON-RPC connection: decodes lines, validates envelopes, runs requests concurrently,
/// answers each exactly once, handles batches, cancellation and the in-flight limit.
public final class RPCConnection: Sendable {
    public let output: RPCOutput
    public let maxInFlight: Int
    /// Sequential mode (a transcript piped from a file): each request starts after the previous
    /// one has been answered, there is no in-flight limit, and end of input cancels nothing.
    public let sequential: Bool
    private let handlerBox: Mutex<RPCHandler?>
    private let state = Mutex(State())

    private struct InFlight {
        let task: Task<Void, Never>
        let method: String
    }
    private struct State {
        var nextToken = 0
        var inFlight: [Int: InFlight] = [:]
        var tokensByID: [RPCID: Set<Int>] = [:]
        var shuttingDown = false
        /// The last session-changing request; later requests start after it.
        var barrier: Task<Void, Never>? = nil
        /// In sequential mode, the last request started.
        var last: Task<Void, Never>? = nil
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
        /// Requests out of the in-flight table whose answer is being queued.
        var replying = 0
    }

    public init(output: RPCOutput, maxInFlight: Int = 64, sequential: Bool = false) {
        self.output = output
        self.maxInFlight = maxInFlight
        self.sequential = sequential
        self.handlerBox = Mutex(nil)
    }

    /// Set once, before the first line.
    public func setHandler(_ h: RPCHandler) { handlerBox.withLock { $0 = h } }
    private var handler: RPCHandler { handlerBox.withLock { $0! } }

    /// After `shutdown`: new requests are refused with `-32600 shutting_down`.
    public func beginShutdown() { state.withLock { $0.shuttingDown = true } }
    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }
    public var inFlightCount: Int { state.withLock { $0.inFlight.count } }

    // MARK: Output

    public func send(_ message: JSONValue) {
        output.writeLine(JSONWriter.line(message))
    }

    static func response(id: RPCID?, result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id?.json ?? .null, "result": result]
    }
    static func errorResponse(id: RPCID?, _ error: RPCError) -> JSONValue {
        ["jsonrpc": "2.0", "id": id?.json ?? .null, "error": error.json]
    }

    // MARK: Input

    /// Handles one framed input unit from the transport.
    public func receive(_ frame: LineFramer.Frame) {
        switch frame {
        case .tooLong:
            send(Self.errorResponse(id: nil, .lineTooLong(limit: 0)))
        case .line(let bytes):
            receiveLine(bytes)
        }
    }

    /// Reports an over-long line with the transport's limit.
    public func receiveTooLong(limit: Int) {
        send(Self.errorResponse(id: nil, .lineTooLong(limit: limit)))
    }

    public func receiveLine(_ bytes: [UInt8]) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch let e as JSONParseError {
            send(Self.errorResponse(id: nil, .parseError(e.description)))
            return
        } catch {
            send(Self.errorResponse(id: nil, .parseError("invalid JSON")))
            return
        }
        switch value {
        case .array(let items):
            if items.isEmpty {
                send(Self.errorResponse(id: nil, .invalidRequest("empty batch")))
                return
            }
            runBatch(items)
        default:
            switch decode(value) {
            case .invalid(let id, let err):
                send(Self.errorResponse(id: id, err))
            case .request(let req):
                start(req) { [self] reply in if let reply { send(reply) } }
            }
        }
    }

    private enum Decoded {
        case request(RPCRequest)
        case invalid(RPCID?, RPCError)
    }

    /// Envelope validation, recovering the id whenever it can be read.
    private func decode(_ value: JSONValue) -> Decoded {
        guard case .object(let o) = value else {
            return .invalid(nil, .invalidRequest("a request must be an object"))
        }
        var id: RPCID? = nil
        var hasNullID = false
        if let rawID = o["id"] {
            if rawID.isNull {
                hasNullID = true
            } else if let parsed = RPCID(rawID) {
                id = parsed
            } else {
                return .invalid(nil, .invalidRequest("'id' must be a string, a number or null"))
            }
        }
        guard o["jsonrpc"] == .string("2.0") else {
            return .invalid(id, .invalidRequest("'jsonrpc' must be \"2.0\""))
        }
        guard let methodValue = o["method"] else {
            return .invalid(id, .invalidRequest("'method' is missing"))
        }
        guard let method = methodValue.stringValue else {
            return .invalid(id, .invalidRequest("'method' must be a string"))
        }
        var params = JSONObject()
        if let p = o["params"] {
            switch p {
            case .object(let po): params = po
            case .array:
                let err = RPCError.invalidParams(field: "params", "params must be an object (by name), not an array")
                if id == nil && !hasNullID { return .request(RPCRequest(id: nil, hasNullID: false, method: "\0invalid", params: Params(params))) }
                return .invalid(id, err)
            default:
                return .invalid(id, .invalidRequest("'params' must be an object"))
            }
        }
        return .request(RPCRequest(id: id, hasNullID: hasNullID, method: method, params: Params(params)))
    }

    // MARK: Dispatch

    /// Runs `req` (or answers it at once) and calls `done` exactly once with the response
    /// message, or nil for a notification.
    private func start(_ req: RPCRequest, done: @escaping @Sendable (JSONValue?) -> Void) {
        // Cancellation is handled here, at once, without queueing behind the request itself.
        if req.method == "$/cancelRequest" || req.method == "notifications/cancelled" {
            let target = req.params.object["id"] ?? req.params.object["requestId"]
            if let t = target, let tid = RPCID(t) { cancel(id: tid) }
            done(req.isNotification ? JSONValue?.none : Self.response(id: req.id, result: .null))
            return
        }
        if req.method == "\0invalid" { done(nil); return }

        let refusal: RPCError? = state.withLock { s in
            if s.shuttingDown && req.method != "exit" && !req.isNotification { return .shuttingDown }
            if !sequential && !req.isNotification && s.inFlight.count >= maxInFlight {
                var e = RPCError.overloaded(retryAfterMs: 100, limit: maxInFlight)
                e.data["in_flight"] = .int(s.inFlight.count)
                return e
            }
            return nil
        }
        if let refusal {
            done(Self.errorResponse(id: req.id, refusal))
            return
        }

        let handler = self.handler
        let context = RPCContext(connection: self, request: req)
        // The task is registered under a lock before it can finish, so a cancel always finds it.
        let isBarrier = handler.isBarrier(method: req.method)
        let preferred = handler.executorPreference(method: req.method)
        state.withLock { s in
            let token = s.nextToken
            s.nextToken += 1
            let previousBarrier = sequential ? s.last : s.barrier
            let operation: @Sendable () async -> Void = { [self] in
                await previousBarrier?.value
                var reply: JSONValue? = nil
                do {
                    let result = try await handler.handle(req, context: context)
                    if !req.isNotification { reply = Self.response(id: req.id, result: result) }
                } catch {
                    if !req.isNotification {
                        let wire: RPCError = (error is CancellationError) ? .cancelled : handler.wireError(for: error)
                        reply = Self.errorResponse(id: req.id, wire)
                    }
                }
                // Leave the in-flight table before answering (a client may send the next request the
                // moment it reads this answer), but wake drains only after the answer is queued.
                finished(token: token, id: req.id)
                done(reply)
                for w in replied() { w.resume() }
            }
            let task = preferred.map { Task(executorPreference: $0, operation: operation) } ?? Task(operation: operation)
            if isBarrier { s.barrier = task }
            if sequential { s.last = task }
            s.inFlight[token] = InFlight(task: task, method: req.method)
            if let id = req.id { s.tokensByID[id, default: []].insert(token) }
        }
    }

    /// Moves a finished request out of the in-flight table, into `replying` until it is answered.
    private func finished(token: Int, id: RPCID?) {
        state.withLock { s in
            s.inFlight[token] = nil
            s.replying += 1
            if let id {
                s.tokensByID[id]?.remove(token)
                if s.tokensByID[id]?.isEmpty == true { s.tokensByID[id] = nil }
            }
        }
    }

    /// A finished request's answer is queued; returns the drain waiters to wake if nothing is left.
    private func replied() -> [CheckedContinuation<Void, Never>] {
        state.withLock { s in
            s.replying -= 1
            guard s.inFlight.isEmpty && s.replying == 0 else { return [] }
            let w = s.drainWaiters
            s.drainWaiters = []
            return w
        }
    }

    private func runBatch(_ items: [JSONValue]) {
        let count = items.count
        let collector = BatchCollector(count: count) { [self] replies in
            if !replies.isEmpty { send(.array(replies)) }
        }
        for (i, item) in items.enumerated() {
            switch decode(item) {
            case .invalid(let id, let err):
                collector.set(i, Self.errorResponse(id: id, err))
            case .request(let req):
                start(req) { reply in collector.set(i, reply) }
            }
        }
    }

    /// Cancels the in-flight request(s) with this id; unknown or finished ids do nothing.
    public func cancel(id: RPCID) {
        let tasks: [Task<Void, Never>] = state.withLock { s in
            (s.tokensByID[id] ?? []).compactMap { s.inFlight[$0]?.task }
        }
        for t in tasks { t.cancel() }
    }

    /// Cancels every in-flight request (the client is gone).
    public func cancelAll() {
        let tasks = state.withLock { s in s.inFlight.values.map(\.task) }
        for t in tasks { t.cancel() }
    }

    /// End of input: cancels the requests the handler says should stop (streams), lets the
    /// others finish, and returns when every request has been answered.
    public func inputEnded() async {
        let handler = self.handler
        let tasks = sequential ? [] : state.withLock { s in
            s.inFlight.values.filter { handler.cancelsOnInputEnd(method: $0.method) }.map(\.task)
        }
        for t in tasks { t.cancel() }
        await drain()
    }

    /// Returns when nothing is in flight and every answer is queued.
    public func drain() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.inFlight.isEmpty && s.replying == 0 { return true }
                s.drainWaiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }
}

/// Collects a batch's replies in order and delivers them once all members are done.
private final class BatchCollector: Sendable {
    private let state: Mutex<(replies: [JSONValue?], remaining: Int)>
    private let complete: @Sendable ([JSONValue]) -> Void

    init(count: Int, complete: @escaping @Sendable ([JSONValue]) -> Void) {
        self.state = Mutex((Array(repeating: nil, count: count), count))
        self.complete = complete
    }

    func set(_ index: Int, _ reply: JSONValue?) {
        let done: [JSONValue]? = state.withLock { s in
            s.replies[index] = reply
            s.remaining -= 1
            return s.remaining == 0 ? s.replies.compactMap { $0 } : nil
        }
        if let done { complete(done) }
    }
}
