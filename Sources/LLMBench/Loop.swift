import Foundation

/// Drives requests on gateway connections with a fixed number outstanding per connection:
/// each completion sends the next request from the reader thread (closed loop), until a
/// request count or a deadline is reached. Counts results, chunks and order violations.
final class Loop: @unchecked Sendable {
    let method: String
    let params: String
    let limit: Int?
    let deadlineNs: UInt64?

    private let lock = NSLock()
    private var issued = 0
    private var outstanding = 0
    private(set) var ok = 0
    private(set) var failed = 0
    /// Successful requests that completed before the deadline.
    private(set) var okInWindow = 0
    private(set) var chunks = 0
    /// Streams whose chunks were not numbered 0, 1, 2, … or whose count differed from `expectChunks`.
    private(set) var badStreams = 0
    private(set) var durations: [Double] = []
    private var cont: CheckedContinuation<Void, Never>?
    let expectChunks: Int?
    let keepDurations: Bool

    init(method: String, params: String, limit: Int? = nil, durationS: Double? = nil,
         expectChunks: Int? = nil, keepDurations: Bool = false) {
        self.method = method
        self.params = params
        self.limit = limit
        self.deadlineNs = durationS.map { nowNs() + UInt64($0 * 1e9) }
        self.expectChunks = expectChunks
        self.keepDurations = keepDurations
    }

    /// Starts `perConn` requests on each connection and returns when the last one is answered.
    func run(_ conns: [RPCConn], perConn: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.withLock { cont = c }
            for conn in conns {
                for _ in 0..<perConn { issue(conn) }
            }
            finishIfIdle()
        }
    }

    /// Reserves the next request, if the count and deadline allow one. Called under `lock`.
    private func reserve() -> Bool {
        if let limit, issued >= limit { return false }
        if let deadlineNs, nowNs() >= deadlineNs { return false }
        issued += 1
        outstanding += 1
        return true
    }

    private func issue(_ conn: RPCConn) {
        guard lock.withLock({ reserve() }) else { return }
        send(conn)
    }

    private func send(_ conn: RPCConn) {
        conn.send(method, paramsJSON: params) { [self] c in
            // Recording this answer and reserving the next request is one step, so the
            // outstanding count never touches 0 while the loop goes on.
            let next = lock.withLock { () -> Bool in
                record(c)
                return reserve()
            }
            if next { send(conn) } else { finishIfIdle() }
        }
    }

    /// Called under `lock`.
    private func record(_ c: RPCCall) {
        outstanding -= 1
        if c.ok {
            ok += 1
            if let deadlineNs, c.doneNs <= deadlineNs { okInWindow += 1 }
        } else {
            failed += 1
        }
        chunks += c.chunks
        if !c.seqInOrder || (expectChunks != nil && c.chunks != expectChunks) { badStreams += 1 }
        if keepDurations { durations.append(Double(c.latencyNs) / 1e3) }
    }

    private func finishIfIdle() {
        let c: CheckedContinuation<Void, Never>? = lock.withLock {
            guard outstanding == 0, let k = cont else { return nil }
            cont = nil
            return k
        }
        c?.resume()
    }
}
